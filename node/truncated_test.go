package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

// TestRestoreRefusesTruncatedBlocks: anyone who can write to an
// EventStoreDB can hide a stream's first events from every reader (a soft
// delete, $tb, $maxCount). A node restored from a blocks stream cut so
// began again at genesis, refused every real block as not linking to its
// tip, and a miner so restored mined a second chain from genesis, taking
// again every transfer of the first. Restore now refuses such a stream,
// in every mode, and restores as before from a whole one.
func TestRestoreRefusesTruncatedBlocks(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	chain := newScratch(t, engine)
	for i := range 4 {
		b := chain.next(consensustest.Transfer("alice", "bob", 1, uint64(i)))
		appendRaw(t, log, node.StreamBlocks, mined(t, b))
	}
	for _, tc := range []struct {
		name   string
		before eventlog.Revision // the first revision readers see
		mode   node.RestoreMode
		want   error
	}{
		{"whole, verify", 0, node.RestoreVerify, nil},
		{"whole, fast", 0, node.RestoreFast, nil},
		{"whole, snapshot", 0, node.RestoreSnapshot, nil},
		{"first block hidden, verify", 1, node.RestoreVerify, node.ErrBlocksTruncated},
		{"three blocks hidden, verify", 3, node.RestoreVerify, node.ErrBlocksTruncated},
		{"three blocks hidden, fast", 3, node.RestoreFast, node.ErrBlocksTruncated},
		{"three blocks hidden, snapshot", 3, node.RestoreSnapshot, node.ErrBlocksTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNode(t, hidden(log, node.StreamBlocks, tc.before), nil)
			err := n.Restore(context.Background(), tc.mode)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				assert.Contains(t, err.Error(), `no event 0 of "blocks"`)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, chain.chain.TipHash(), n.Chain().TipHash())
		})
	}
}

// TestSpecRefusedWhenHidden: anyone who can write to an EventStoreDB
// could append a spec of their own to the chain-spec stream and hide the
// real one, its first event, with $tb. An app started without -genesis
// (a miner, an auditor) took the forged spec for the network's and
// followed, and mined, a chain of its own from it. The chain-spec
// stream's first event is now the spec only at revision 0.
func TestSpecRefusedWhenHidden(t *testing.T) {
	ours, theirs := consensustest.Spec(), otherSpec()
	mem := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = mem.Close() })
	_, err := node.LoadSpec(context.Background(), mem, &ours)
	require.NoError(t, err)
	forged, err := events.Encode(events.ChainSpecDeclared{Spec: theirs})
	require.NoError(t, err)
	appendRaw(t, mem, events.StreamChainSpec, forged)

	for _, tc := range []struct {
		name   string
		before eventlog.Revision
		load   func(log eventlog.Log) (blockchain.ChainSpec, error)
		want   error
	}{
		{"whole, read", 0, func(log eventlog.Log) (blockchain.ChainSpec, error) {
			return node.LoadSpec(context.Background(), log, nil)
		}, nil},
		{"whole, waited for", 0, func(log eventlog.Log) (blockchain.ChainSpec, error) { return node.WaitSpec(context.Background(), log) }, nil},
		{"spec hidden, read", 1, func(log eventlog.Log) (blockchain.ChainSpec, error) {
			return node.LoadSpec(context.Background(), log, nil)
		}, node.ErrBadSpecEvent},
		{"spec hidden, read with ours", 1, func(log eventlog.Log) (blockchain.ChainSpec, error) {
			return node.LoadSpec(context.Background(), log, &ours)
		}, node.ErrBadSpecEvent},
		{"spec hidden, waited for", 1, func(log eventlog.Log) (blockchain.ChainSpec, error) { return node.WaitSpec(context.Background(), log) }, node.ErrBadSpecEvent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			have, err := tc.load(hidden(mem, events.StreamChainSpec, tc.before))
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				assert.Contains(t, err.Error(), "first event is hidden")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, ours.Hash(), have.Hash())
		})
	}
}

// TestRestoreSnapshotFromADeletedStream: anyone who can write to the log
// can delete the snapshots stream for good (an EventStoreDB tombstone).
// A node restored from a snapshot then failed to start at all; it
// applies every block instead, as on a log that holds no snapshot.
func TestRestoreSnapshotFromADeletedStream(t *testing.T) {
	for _, tc := range []struct {
		name      string
		snapshots func(t *testing.T, log *memlog.Log)
	}{
		{"no snapshots stream", func(*testing.T, *memlog.Log) {}},
		{"snapshots stream deleted", func(t *testing.T, log *memlog.Log) {
			appendRaw(t, log, node.StreamSnapshots, raw("Nonsense", []byte(`{}`)))
			require.NoError(t, log.Delete(context.Background(), node.StreamSnapshots, eventlog.Any))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			chain := newScratch(t, newEngine(t))
			for i := range 3 {
				appendRaw(t, log, node.StreamBlocks, mined(t, chain.next(consensustest.Transfer("alice", "bob", 1, uint64(i)))))
			}
			tc.snapshots(t, log)
			n := newNode(t, log, nil)
			require.NoError(t, n.Restore(context.Background(), node.RestoreSnapshot))
			assert.Equal(t, chain.chain.TipHash(), n.Chain().TipHash())
			assert.False(t, n.SnapshotStats().Restored)
		})
	}
}

// TestFollowRefusesASkippedBlock: a blocks stream deleted (an
// EventStoreDB soft delete) with nothing appended since reads as empty,
// so a node restored from it starts at genesis. The log numbers the next
// append on from the deleted events; a miner restored so mined a second
// chain from genesis there, taking again every transfer of the first.
// Follow now stops at the first event past a gap.
func TestFollowRefusesASkippedBlock(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before eventlog.Revision // the first revision readers see
		want   error
	}{
		{"whole", 0, nil},
		{"deleted", 3, node.ErrBlocksTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = mem.Close() })
			old := newScratch(t, newEngine(t))
			for i := range 3 {
				appendRaw(t, mem, node.StreamBlocks, mined(t, old.next(consensustest.Transfer("alice", "bob", 1, uint64(i)))))
			}
			n := newNode(t, hidden(mem, node.StreamBlocks, tc.before), nil)
			require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
			followed := make(chan error, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { followed <- n.Follow(ctx) }()

			// The next block of the chain the node holds: after the
			// deletion, block 1 again, on genesis.
			next := old.next(consensustest.Transfer("alice", "bob", 1, 3))
			if tc.want != nil {
				next = newScratch(t, newEngine(t)).next(consensustest.Transfer("alice", "carol", 2, 0)) // not the first block again, which the log would take for a retry
			}
			appendRaw(t, mem, node.StreamBlocks, mined(t, next))
			if tc.want != nil {
				select {
				case err := <-followed:
					require.ErrorIs(t, err, tc.want)
				case <-time.After(nodetest.Watchdog):
					t.Fatalf("Follow went on past the gap: height %d", n.Chain().Height())
				}
				assert.Zero(t, n.Chain().Height(), "the block is not taken")
				return
			}
			nodetest.WaitFor(t, n, "the block", func() bool { return n.Chain().TipHash() == next.Hash() })
			cancel()
			require.ErrorIs(t, <-followed, context.Canceled)
		})
	}
}

// TestSubmitOnTruncatedTransactions: a submission the log takes for a
// retry of an event before the last one the node read makes the node
// check that the log still holds that event. A $maxCount, $maxAge or
// $tb set on the transactions stream by anyone who can write to an
// EventStoreDB hides it while the stream goes on: the read then returns
// a later revision, which the node took for a wiped log, and it refused
// every submission from then on. As the auditor does, it now takes a
// later revision for a truncation; a stream that shows nothing from
// there on is still a log that lost its events.
func TestSubmitOnTruncatedTransactions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shown eventlog.Revision // the first revision readers see
		want  error
	}{
		{"whole", 0, nil},
		{"the read event hidden, later ones shown", 2, nil},
		{"everything hidden", 4, node.ErrLogWentBack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			spec := consensustest.Spec()
			mem := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = mem.Close() })
			_, err := node.LoadSpec(ctx, mem, &spec)
			require.NoError(t, err)
			log := eventlogtest.Hiding(mem, node.StreamTransactions)
			n, err := node.New(node.Config{Log: log, Spec: spec, Engine: consensustest.NewFaker()})
			require.NoError(t, err)
			for nonce := range uint64(2) {
				require.NoError(t, n.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 1, nonce)))
			}
			require.NoError(t, n.Restore(ctx, node.RestoreVerify))
			_, read := n.Position()
			require.Equal(t, eventlog.Revision(2), read)
			for nonce := range uint64(2) { // the stream goes on past what the node read
				e, err := events.Encode(events.TransactionSubmitted{Tx: consensustest.Transfer("carol", "bob", 1, nonce)})
				require.NoError(t, err)
				appendRaw(t, mem, node.StreamTransactions, e)
			}
			log.Hide(tc.shown)

			// The first transfer again: the log takes it for a retry, at
			// revision 0, before what the node read.
			err = n.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 1, 0))
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.NoError(t, n.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 1, 2)), "the node goes on taking submissions")
		})
	}
}

// hidden is log with the events of stream below before hidden.
func hidden(log eventlog.Log, stream string, before eventlog.Revision) eventlog.Log {
	h := eventlogtest.Hiding(log, stream)
	h.Hide(before)
	return h
}
