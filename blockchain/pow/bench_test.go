package pow

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// impossibleHeader is a header no nonce can seal: it keeps a search busy for
// exactly as many nonces as it is given.
func impossibleHeader() blockchain.Header {
	h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h.Bits = blockchain.HashSize * 8
	return h
}

// sha256Limit measures the raw crypto/sha256 rate, in 64-byte blocks per
// second, by hashing a 64 KiB buffer for about d.
func sha256Limit(d time.Duration) float64 {
	buf := make([]byte, 64<<10)
	hh := sha256.New()
	var blocks int
	start := time.Now()
	for time.Since(start) < d {
		for range 16 {
			hh.Write(buf)
		}
		blocks += 16 * len(buf) / 64
	}
	return float64(blocks) / time.Since(start).Seconds()
}

// BenchmarkSHA256Limit reports the rate at which crypto/sha256 compresses
// 64-byte blocks of a 64 KiB buffer: the ceiling for one worker, as each
// nonce costs at least one compression. Read BenchmarkHashRate's H/s
// against it.
func BenchmarkSHA256Limit(b *testing.B) {
	buf := make([]byte, 64<<10)
	hh := sha256.New()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		hh.Write(buf)
	}
	b.ReportMetric(float64(b.N)*float64(len(buf)/64)/b.Elapsed().Seconds(), "H/s")
}

// BenchmarkHashRate measures how many nonces a second Seal's workers try.
// One op is one hash. Besides H/s it reports the ratio to the SHA-256
// limit measured in the same run (x-limit, per worker) and, for several
// workers, the speed-up over one (x-one-worker).
func BenchmarkHashRate(b *testing.B) {
	limit := sha256Limit(200 * time.Millisecond)
	var oneWorker float64
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			h := impossibleHeader()
			var hashes atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			_, found, err := searchParallel(context.Background(), h, uint64(b.N-1), workers, &hashes, false)
			b.StopTimer()
			if found || err != nil {
				b.Fatalf("impossible header: found=%v err=%v", found, err)
			}
			if got := hashes.Load(); got != uint64(b.N) {
				b.Fatalf("hashes counted: have %d, want %d", got, b.N)
			}
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "H/s")
			b.ReportMetric(rate/float64(workers)/limit, "x-limit")
			if workers == 1 {
				oneWorker = rate
			} else if oneWorker > 0 {
				b.ReportMetric(rate/oneWorker, "x-one-worker")
			}
		})
	}
}

// BenchmarkSealCancel measures how long Seal takes to return once its
// context is cancelled while its workers are hashing: the time a miner
// wastes after another miner's block has won. One op is one cancelled
// seal; the metrics are the mean and the worst time from cancel to return.
func BenchmarkSealCancel(b *testing.B) {
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			e, err := New(Config{Workers: workers})
			if err != nil {
				b.Fatal(err)
			}
			block := blockchain.NewBlock(impossibleHeader(), nil)
			var total, worst time.Duration
			for b.Loop() {
				ctx, cancel := context.WithCancel(context.Background())
				returned := make(chan time.Time, 1)
				before := e.Hashes()
				go func() {
					_, err := e.Seal(ctx, block)
					returned <- time.Now()
					if err == nil {
						b.Error("sealed an impossible header")
					}
				}()
				for e.Hashes() == before { // wait until the workers are hashing
					runtime.Gosched()
				}
				start := time.Now()
				cancel()
				d := (<-returned).Sub(start)
				total += d
				worst = max(worst, d)
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns-to-stop")
			b.ReportMetric(float64(worst.Nanoseconds()), "max-ns-to-stop")
		})
	}
}
