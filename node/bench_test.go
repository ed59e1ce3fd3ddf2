package node_test

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// benchTxsPerBlock is how many transfers each block of the restore
// benchmark holds.
const benchTxsPerBlock = 20

// A benchLog is a log holding the blocks stream of a chain of
// consensustest.Spec(), sealed by the fake engine, and the hash of its
// tip.
type benchLog struct {
	log eventlog.Log
	tip blockchain.Hash
}

// benchLogs caches one benchLog per size for the whole process: signing
// two million transfers takes a while, and the modes' sub-benchmarks,
// and every round of each, read the same log.
var benchLogs struct {
	sync.Mutex
	bySize map[int]benchLog
}

// restoreLog returns a memlog holding n blocks of benchTxsPerBlock
// signed transfers each, made once per process. The transfers go round
// the eight funded accounts of consensustest.Spec(), one minor unit each,
// so no balance runs dry; each sender's nonces count up. The blocks are
// built here rather than with consensustest.GenerateChain, which would
// verify every signature as it proposes and applies each block: the state
// root comes from a blockchain.StateBatch, and the fake engine's seal is
// no seal at all. A restoring node checks all of it.
func restoreLog(b *testing.B, n int) benchLog {
	b.Helper()
	benchLogs.Lock()
	defer benchLogs.Unlock()
	if l, ok := benchLogs.bySize[n]; ok {
		return l
	}
	start := time.Now()
	keys := make([]blockchain.PrivateKey, len(consensustest.Accounts))
	for i, name := range consensustest.Accounts {
		keys[i] = consensustest.Key(name)
	}
	state, err := blockchain.NewState(consensustest.Spec().Alloc)
	require.NoError(b, err)
	parent := consensustest.Genesis().Header()
	log := memlog.New(memlog.Config{})
	const chunk = 150 // blocks per append: about 5 KiB an event, under MaxAppendSize
	for first := 0; first < n; first += chunk {
		count := min(chunk, n-first)
		txs := signBenchTxs(keys, first*benchTxsPerBlock, count*benchTxsPerBlock)
		evs := make([]eventlog.Event, 0, count)
		for i := range count {
			blockTxs := txs[i*benchTxsPerBlock : (i+1)*benchTxsPerBlock]
			batch := state.Batch()
			for _, tx := range blockTxs {
				require.NoError(b, batch.Transfer(tx.From(), tx.To(), tx.Amount(), tx.Fee(), tx.Nonce()))
			}
			miner := consensustest.Addr("miner")
			require.NoError(b, batch.Credit(miner, consensustest.Reward))
			h := blockchain.NextHeader(parent, blockTxs, parent.Timestamp.Add(consensustest.BlockInterval))
			h.Beneficiary, h.StateRoot = miner, batch.Root()
			state = batch.Apply()
			blk := blockchain.NewBlock(h, blockTxs)
			e, err := events.Encode(events.BlockMined{Block: blk, MinerID: "bench"})
			require.NoError(b, err)
			evs = append(evs, e)
			parent = h
		}
		_, err := log.Append(context.Background(), node.StreamBlocks, eventlog.Any, evs...)
		require.NoError(b, err)
	}
	if benchLogs.bySize == nil {
		benchLogs.bySize = make(map[int]benchLog)
	}
	l := benchLog{log: log, tip: parent.Hash()}
	benchLogs.bySize[n] = l
	b.Logf("made a log of %d blocks of %d transfers in %v", n, benchTxsPerBlock, time.Since(start).Round(time.Millisecond))
	return l
}

// signBenchTxs signs the count transfers of the benchmark chain that
// start at index first, on every core. Transfer g is sent by account
// g mod 8 to the next account, with nonce g / 8.
func signBenchTxs(keys []blockchain.PrivateKey, first, count int) []blockchain.Transaction {
	txs := make([]blockchain.Transaction, count)
	workers := runtime.GOMAXPROCS(0)
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			for i := w; i < count; i += workers {
				idx := first + i
				from, to := keys[idx%len(keys)], keys[(idx+1)%len(keys)]
				txs[i] = blockchain.Transfer{ChainID: consensustest.ChainID, To: to.Address(), Amount: 1, Nonce: uint64(idx / len(keys))}.Sign(from)
			}
			return nil
		})
	}
	_ = g.Wait() // the workers return no error
	return txs
}

// largeRestore is the size of the restore benchmark's large case, which
// takes minutes to make and to restore: it runs only when -test.bench
// names it, as in
//
//	go test ./node -run '^$' -bench 'Restore/blocks=100000' -benchtime 1x -timeout 60m
const largeRestore = 100_000

// BenchmarkRestore restores a node from logs of 1 000 and 100 000 blocks
// of 20 signed transfers each, in each mode: verify, verify with
// Config.AssumeValid at the tip (no signature verified), and fast. One op
// is one whole restore. The metrics give the time per block and the blocks
// per second, so the two sizes show whether the cost is linear, and the
// live heap after restoring: what the node keeps (its headers, its window
// of 10 blocks, the accounts), measured after a collection as the heap
// beyond what it was before the node was made, so the log's own memory is
// not counted.
//
//	go test ./node -run '^$' -bench 'Restore/blocks=1000/' -benchtime 3x
func BenchmarkRestore(b *testing.B) {
	for _, size := range []int{1_000, largeRestore} {
		b.Run(fmt.Sprintf("blocks=%d", size), func(b *testing.B) {
			if size == largeRestore && !strings.Contains(flag.Lookup("test.bench").Value.String(), fmt.Sprint(largeRestore)) {
				b.Skipf("takes minutes: run it with -bench 'Restore/blocks=%d' -benchtime 1x -timeout 60m", largeRestore)
			}
			l := restoreLog(b, size)
			for _, mode := range []struct {
				name        string
				mode        node.RestoreMode
				assumeValid blockchain.Hash
			}{
				{"verify", node.RestoreVerify, blockchain.Hash{}},
				{"assume-valid", node.RestoreVerify, l.tip},
				{"fast", node.RestoreFast, blockchain.Hash{}},
			} {
				b.Run("mode="+mode.name, func(b *testing.B) {
					b.ReportAllocs()
					var liveBytes uint64
					for b.Loop() {
						b.StopTimer()
						before := heapInUse()
						b.StartTimer()
						n, err := node.New(node.Config{Log: l.log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(),
							Window: 10, AssumeValid: mode.assumeValid, Now: func() time.Time { return testNow }})
						require.NoError(b, err)
						require.NoError(b, n.Restore(context.Background(), mode.mode))
						require.Equal(b, uint64(size), n.Chain().Height())
						b.StopTimer()
						if after := heapInUse(); after > before {
							liveBytes = after - before
						}
						runtime.KeepAlive(n)
						b.StartTimer()
					}
					seconds := b.Elapsed().Seconds() / float64(b.N)
					// The bound verification sets: every signature checked
					// once, on every core, at the raw ed25519 rate measured
					// now, in this run. A verify restore should take at most
					// 1.25 times that.
					b.StopTimer()
					raw := rawParallelVerifyRate()
					txs := float64(size * benchTxsPerBlock)
					b.ReportMetric(raw, "raw-verify/s")
					b.ReportMetric(txs/seconds, "tx/s")
					b.ReportMetric(seconds/(txs/raw), "x-verify-bound")
					b.ReportMetric(seconds, "s/restore")
					b.ReportMetric(seconds*1e9/float64(size), "ns/block")
					b.ReportMetric(float64(size)/seconds, "blocks/s")
					b.ReportMetric(float64(liveBytes)/(1<<20), "live-MB")
				})
			}
		})
	}
}

// BenchmarkRestoreFloor is BenchmarkRestore's floor: it reads the same
// logs, in pages of Restore's size, and decodes every block event on
// every core (runtime.GOMAXPROCS goroutines), as Restore does before it
// applies anything, and keeps nothing. Decoding a block is what its
// format asks of any reader: the JSON and base64 of the event, and
// for each transaction the SHA-256 of its ID, its hash and its Merkle
// leaf, then the tree's inner nodes. No restore of these logs, in any
// mode, can take less time; assume-valid adds to it each block's rules,
// its state changes and the state root, one block after another.
//
//	go test ./node -run '^$' -bench 'RestoreFloor/blocks=100000' -benchtime 1x -timeout 60m
func BenchmarkRestoreFloor(b *testing.B) {
	for _, size := range []int{1_000, largeRestore} {
		b.Run(fmt.Sprintf("blocks=%d", size), func(b *testing.B) {
			if size == largeRestore && !strings.Contains(flag.Lookup("test.bench").Value.String(), fmt.Sprint(largeRestore)) {
				b.Skipf("takes minutes: run it with -bench 'RestoreFloor/blocks=%d' -benchtime 1x -timeout 60m", largeRestore)
			}
			l := restoreLog(b, size)
			ctx := context.Background()
			workers := runtime.GOMAXPROCS(0)
			b.ReportAllocs()
			for b.Loop() {
				decoded := 0
				for from := eventlog.Revision(0); ; {
					recs, err := l.log.Read(ctx, node.StreamBlocks, from, eventlog.Forwards, node.RestorePage)
					require.NoError(b, err)
					var g errgroup.Group
					for w := range min(workers, len(recs)) {
						g.Go(func() error {
							for i := w; i < len(recs); i += workers {
								p, err := events.Decode(recs[i].Event)
								if err != nil {
									return err
								}
								if _, ok := p.(events.BlockMined); !ok {
									return fmt.Errorf("a %T in the blocks stream", p)
								}
							}
							return nil
						})
					}
					require.NoError(b, g.Wait())
					decoded += len(recs)
					if len(recs) < node.RestorePage {
						break
					}
					from = recs[len(recs)-1].Revision + 1
				}
				require.Equal(b, size, decoded)
			}
			seconds := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(seconds, "s/restore")
			b.ReportMetric(seconds*1e9/float64(size), "ns/block")
			b.ReportMetric(float64(size)/seconds, "blocks/s")
		})
	}
}

// heapInUse returns the bytes of live heap objects after a full
// collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rawParallelVerifyRate measures bare ed25519.Verify on every core at
// once for about half a second: the rate no restore that checks every
// signature can beat on this machine.
func rawParallelVerifyRate() float64 {
	tx := consensustest.Transfer("alice", "bob", 1, 0)
	msg, pub, sig := tx.Fields().SignedMessage(), tx.PublicKey(), tx.Signature()
	const perWorker = 2000
	workers := runtime.GOMAXPROCS(0)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range perWorker {
				if !ed25519.Verify(pub[:], msg, sig[:]) {
					panic("a valid signature did not verify")
				}
			}
		})
	}
	wg.Wait()
	return float64(workers*perWorker) / time.Since(start).Seconds()
}
