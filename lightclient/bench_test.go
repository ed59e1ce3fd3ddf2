package lightclient_test

import (
	"context"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/lightclient"
)

// benchHeaders is how many headers BenchmarkSync checks per run: the
// issue's goal is 100 000 in at most a second on one core.
const benchHeaders = 100_000

// benchBits is the difficulty of the benchmark's chain: one bit, so that
// generating it takes two tries per block; checking a header costs one
// SHA-256 whatever its difficulty.
const benchBits = 1

var benchChain = sync.OnceValues(func() ([]blockchain.Header, error) {
	engine, err := pow.New(pow.Config{Bits: benchBits, Workers: 1})
	if err != nil {
		return nil, err
	}
	blocks, err := consensustest.GenerateChain(context.Background(), engine, consensustest.NewChain(engine), benchHeaders-1, nil)
	if err != nil {
		return nil, err
	}
	return headersFrom(engineGenesis(engine), blocks), nil
})

// BenchmarkSync checks a chain of 100 000 proof-of-work headers, genesis
// included, from an empty client, and reports headers/s and the seconds
// for 100 000; the baseline is raw SHA-256 of a 152-byte header, 100 000
// times, the least any check of the work could cost. Run it on one core:
//
//	go test -run '^$' -bench Sync -cpu 1 ./lightclient/
func BenchmarkSync(b *testing.B) {
	headers, err := benchChain()
	require.NoError(b, err)
	engine, err := pow.New(pow.Config{Bits: benchBits, Workers: 1})
	require.NoError(b, err)
	last := headers[len(headers)-1].Timestamp

	report := func(b *testing.B) {
		perRun := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(benchHeaders/perRun, "headers/s")
		b.ReportMetric(perRun, "s/100k")
	}

	b.Run("baseline-sha256-152B", func(b *testing.B) {
		var buf [blockchain.HeaderSize]byte
		var sink [32]byte
		for b.Loop() {
			for i := range benchHeaders {
				buf[0] = byte(i)
				sink = sha256.Sum256(buf[:])
			}
		}
		_ = sink
		report(b)
	})

	b.Run("lightclient-Add", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := lightclient.New(lightclient.Config{Genesis: headers[0].Hash(), Engine: engine, Now: func() time.Time { return last }})
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Add(headers...); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}
