package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// restoreLog returns a memlog holding n blocks of 20 transactions, sealed
// with proof of work at 4 bits, and the engine that verifies them.
func restoreLog(b *testing.B, n int) (eventlog.Log, *pow.Engine) {
	b.Helper()
	engine, err := pow.New(pow.Config{Bits: 4, Workers: 1})
	require.NoError(b, err)
	blocks, err := consensustest.GenerateChain(context.Background(), engine, blockchain.HeaderList{blockchain.Genesis().Header()}, n,
		func(i int, g *consensustest.BlockGen) {
			for range 20 {
				g.AddTransfer("alice", "bob", int64(i+1))
			}
		})
	require.NoError(b, err)
	log := memlog.New(memlog.Config{})
	const batch = 200 // about 4 KiB an event: stay under MaxAppendSize
	for i := 0; i < n; i += batch {
		evs := make([]eventlog.Event, 0, batch)
		for _, blk := range blocks[i:min(i+batch, n)] {
			e, err := events.Encode(events.BlockMined{Block: blk, MinerID: "bench"})
			require.NoError(b, err)
			evs = append(evs, e)
		}
		_, err := log.Append(context.Background(), node.StreamBlocks, eventlog.Any, evs...)
		require.NoError(b, err)
	}
	return log, engine
}

// BenchmarkRestore restores a node from logs of 10 000 and 100 000 blocks
// of 20 transactions, in each mode. One op is one whole restore; the
// metrics give the time per block, so the two sizes show whether the cost
// is linear.
//
//	go test ./node -run '^$' -bench Restore -benchtime 1x -timeout 30m
func BenchmarkRestore(b *testing.B) {
	for _, size := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("blocks=%d", size), func(b *testing.B) {
			log, engine := restoreLog(b, size)
			defer log.Close()
			for _, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreFast} {
				b.Run("mode="+mode.String(), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						n, err := node.New(node.Config{Log: log, Engine: engine, Window: 10, Now: func() time.Time { return testNow }})
						require.NoError(b, err)
						require.NoError(b, n.Restore(context.Background(), mode))
						require.Equal(b, uint64(size), n.Chain().Height())
					}
					b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/restore")
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(size), "ns/block")
				})
			}
		})
	}
}
