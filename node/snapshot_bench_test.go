package node_test

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// snapshotBenchEvery is where the snapshot benchmark's snapshot lies: at
// the last multiple of it below the tip, as a node with SnapshotEvery
// snapshotBenchEvery leaves it at worst, so that a restore applies
// snapshotBenchEvery blocks after it.
const snapshotBenchEvery = 1000

// largeSnapshotRestore is the size of the snapshot benchmark's large
// case, which takes minutes to make (and to restore in full, for the
// comparison): it runs only when -test.bench names it, as in
//
//	go test ./node -run '^$' -bench 'RestoreSnapshot/blocks=1000000' -benchtime 20x -timeout 60m
const largeSnapshotRestore = 1_000_000

// A snapshotBenchLog is a log holding the blocks stream of a chain of
// consensustest.Spec() and the snapshot of that chain at snapHeight, and
// how long a full restore of it took.
type snapshotBenchLog struct {
	log        eventlog.Log
	tip        blockchain.Hash
	snapHeight uint64
	full       time.Duration // a RestoreVerify of the whole log, measured once
}

// snapshotBenchLogs caches one log per size for the whole process.
var snapshotBenchLogs struct {
	sync.Mutex
	bySize map[int]*snapshotBenchLog
}

// snapshotLog returns a memlog holding n blocks of one signed transfer
// each, made once per process, and the snapshot of the chain at the last
// multiple of snapshotBenchEvery below n. The transfers go round the
// eight funded accounts of consensustest.Spec(), one minor unit each,
// as in BenchmarkRestore's log (signBenchTxs); the blocks are built the
// same way, each state root from a blockchain.StateBatch, so every
// block is a real block of the chain. The snapshot is recorded by a
// node's own writer (node.WriteSnapshot), from the chain's headers, tip
// block and state at that height: what a restoring node reads is what a
// following node would have recorded. A full RestoreVerify of the log
// is timed once, for the comparison.
func snapshotLog(b *testing.B, n int) *snapshotBenchLog {
	b.Helper()
	snapshotBenchLogs.Lock()
	defer snapshotBenchLogs.Unlock()
	if l, ok := snapshotBenchLogs.bySize[n]; ok {
		return l
	}
	start := time.Now()
	keys := make([]blockchain.PrivateKey, len(consensustest.Accounts))
	for i, name := range consensustest.Accounts {
		keys[i] = consensustest.Key(name)
	}
	state, err := blockchain.NewState(consensustest.Spec().Alloc)
	require.NoError(b, err)
	genesis := consensustest.Genesis()
	parent := genesis.Header()
	log := memlog.New(memlog.Config{})
	snapHeight := uint64((n - 1) / snapshotBenchEvery * snapshotBenchEvery)
	var (
		recent   = []blockchain.Header{parent} // the newest DefaultSnapshotHeaders headers
		snapTip  = genesis
		snapAt   = state
		snapHdrs []blockchain.Header
	)
	miner := consensustest.Addr("miner")
	const chunk = 1000 // blocks per append: some 600 KB, under MaxAppendSize
	for first := 0; first < n; first += chunk {
		count := min(chunk, n-first)
		txs := signBenchTxs(keys, first, count)
		evs := make([]eventlog.Event, 0, count)
		for i, tx := range txs {
			batch := state.Batch()
			require.NoError(b, batch.Transfer(tx.From(), tx.To(), tx.Amount(), tx.Fee(), tx.Nonce()))
			require.NoError(b, batch.Credit(miner, consensustest.Reward))
			blockTxs := txs[i : i+1 : i+1]
			h := blockchain.NextHeader(parent, blockTxs, parent.Timestamp.Add(consensustest.BlockInterval))
			h.Beneficiary, h.StateRoot = miner, batch.Root()
			state = batch.Apply()
			blk := blockchain.NewBlock(h, blockTxs)
			e, err := events.Encode(events.BlockMined{Block: blk, MinerID: "bench"})
			require.NoError(b, err)
			evs = append(evs, e)
			parent = h
			if recent = append(recent, h); len(recent) > node.DefaultSnapshotHeaders {
				recent = recent[1:]
			}
			if h.Height == snapHeight {
				snapTip, snapAt, snapHdrs = blk, state, append([]blockchain.Header(nil), recent...)
			}
		}
		_, err := log.Append(context.Background(), node.StreamBlocks, eventlog.Any, evs...)
		require.NoError(b, err)
	}
	made := time.Since(start)

	writer, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker()})
	require.NoError(b, err)
	require.NoError(b, node.WriteSnapshot(context.Background(), writer, snapAt, snapTip, snapHdrs, eventlog.Revision(snapHeight-1)))

	start = time.Now()
	full := newBenchNode(b, log)
	require.NoError(b, full.Restore(context.Background(), node.RestoreVerify))
	require.Equal(b, uint64(n), full.Chain().Height())
	l := &snapshotBenchLog{log: log, tip: parent.Hash(), snapHeight: snapHeight, full: time.Since(start)}
	if snapshotBenchLogs.bySize == nil {
		snapshotBenchLogs.bySize = make(map[int]*snapshotBenchLog)
	}
	snapshotBenchLogs.bySize[n] = l
	b.Logf("made a log of %d blocks of one transfer in %v, with a snapshot at %d; a full restore took %v",
		n, made.Round(time.Millisecond), snapHeight, l.full.Round(time.Millisecond))
	return l
}

// newBenchNode returns a node of the benchmark's network on log, keeping
// 10 whole blocks.
func newBenchNode(b *testing.B, log eventlog.Log) *node.Node {
	b.Helper()
	n, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(),
		Window: 10, Now: func() time.Time { return testNow }})
	require.NoError(b, err)
	return n
}

// BenchmarkRestoreSnapshot restores a node with RestoreSnapshot from logs
// of 10 000 and 1 000 000 blocks, each holding a snapshot
// snapshotBenchEvery blocks below the tip. One op is one whole restore:
// the manifest, its parts, the tip's check, the resumed chain, and the
// snapshotBenchEvery blocks after it applied with every rule and
// signature checked. The metrics give the time per restore, which should
// not grow with the chain, the time per block after the snapshot, and
// the time of a full RestoreVerify of the same log (measured once, not
// in the loop) with the speed-up.
//
//	go test ./node -run '^$' -bench 'RestoreSnapshot/blocks=10000$' -benchtime 20x
func BenchmarkRestoreSnapshot(b *testing.B) {
	for _, size := range []int{10_000, largeSnapshotRestore} {
		b.Run(fmt.Sprintf("blocks=%d", size), func(b *testing.B) {
			if size == largeSnapshotRestore && !strings.Contains(flag.Lookup("test.bench").Value.String(), fmt.Sprint(largeSnapshotRestore)) {
				b.Skipf("takes minutes to make: run it with -bench 'RestoreSnapshot/blocks=%d' -benchtime 20x -timeout 60m", largeSnapshotRestore)
			}
			l := snapshotLog(b, size)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				n := newBenchNode(b, l.log)
				require.NoError(b, n.Restore(context.Background(), node.RestoreSnapshot))
				require.Equal(b, l.tip, n.Chain().TipHash())
				require.Equal(b, l.snapHeight, n.SnapshotStats().RestoredFrom)
			}
			seconds := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(seconds, "s/restore")
			b.ReportMetric(seconds*1e9/float64(uint64(size)-l.snapHeight), "ns/block-after")
			b.ReportMetric(l.full.Seconds(), "full-s/restore")
			b.ReportMetric(l.full.Seconds()/seconds, "speedup")
		})
	}
}
