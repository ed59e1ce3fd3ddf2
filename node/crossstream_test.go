package node_test

import (
	"context"
	"testing"

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
	"github.com/eventchain/eventchain/pool"
)

// TestTransactionReadBeforeItsBlock has a node read a transfer before
// the block it relies on, which another node applied before it took the
// transfer: the block that pays a sender who had nothing, or the block
// that used a sender's nonce without the node ever pooling that transfer.
// The node whose blocks stream lags its transactions stream must pool
// the transfer once it applies the block, or it never mines it.
func TestTransactionReadBeforeItsBlock(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block blockchain.Transaction // in block 1, never submitted
		spend blockchain.Transaction // submitted once block 1 is applied
	}{
		{"funds paid in the block", consensustest.Transfer("alice", "zoe", 100, 0), consensustest.Transfer("zoe", "carol", 60, 0)},
		{"the nonce before used in the block", consensustest.Transfer("alice", "bob", 100, 0), consensustest.Transfer("alice", "carol", 60, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			release := make(chan struct{})
			bank := newNode(t, log, nil)
			lagging := newNode(t, eventlogtest.Holding(log, node.StreamBlocks, release), nil) // its blocks stream lags its transactions stream
			follow(t, bank, lagging)

			b := newScratch(t, newEngine(t)).next(tc.block)
			require.NoError(t, bank.PublishBlock(context.Background(), b, "test"))
			nodetest.WaitFor(t, bank, "block 1", func() bool { return bank.Chain().TipHash() == b.Hash() })
			require.NoError(t, bank.SubmitTransaction(context.Background(), tc.spend))
			nodetest.WaitFor(t, lagging, "the transfer read", func() bool { _, txs := lagging.Position(); return txs == 1 })
			require.Zero(t, lagging.Chain().Height(), "the lagging node has not applied block 1 yet")

			close(release)
			nodetest.WaitFor(t, lagging, "block 1", func() bool { return lagging.Chain().TipHash() == b.Hash() })
			assert.True(t, bank.Pool().Has(tc.spend.ID()), "the node that took the transfer pools it")
			assert.True(t, lagging.Pool().Has(tc.spend.ID()), "the lagging node pools the transfer once it applies block 1")
		})
	}
}

// TestWaitingTransfers: transfers the pool refused for their sender's
// state alone wait for what they follow, and no more of them wait than
// the pool holds.
func TestWaitingTransfers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		capacity int
		appended []blockchain.Transaction // to the transactions stream, in order
		block    []blockchain.Transaction // then a block with these, if any
		pooled   []blockchain.Transaction
		absent   []blockchain.Transaction
	}{
		{
			// A writer of the log put them out of order: the pool
			// takes nonce 1 once it takes nonce 0, with no block.
			name:     "a nonce read before the one it follows",
			capacity: 10,
			appended: []blockchain.Transaction{consensustest.Transfer("alice", "bob", 2, 1), consensustest.Transfer("alice", "bob", 1, 0)},
			pooled:   []blockchain.Transaction{consensustest.Transfer("alice", "bob", 2, 1), consensustest.Transfer("alice", "bob", 1, 0)},
		},
		{
			name:     "two nonces before the block that pays their sender",
			capacity: 10,
			appended: []blockchain.Transaction{consensustest.Transfer("zoe", "carol", 5, 0), consensustest.Transfer("zoe", "carol", 6, 1)},
			block:    []blockchain.Transaction{consensustest.Transfer("alice", "zoe", 100, 0)},
			pooled:   []blockchain.Transaction{consensustest.Transfer("zoe", "carol", 5, 0), consensustest.Transfer("zoe", "carol", 6, 1)},
		},
		{
			// Only two may wait: the oldest is forgotten when a third
			// comes, so transfers no block will let in (mallory has
			// nothing and gets nothing) keep out no one read after them.
			name:     "the oldest forgotten when more wait than the pool holds",
			capacity: 2,
			appended: []blockchain.Transaction{consensustest.Transfer("mallory", "carol", 5, 10), consensustest.Transfer("mallory", "carol", 6, 11), consensustest.Transfer("zoe", "carol", 5, 0)},
			block:    []blockchain.Transaction{consensustest.Transfer("alice", "zoe", 100, 0)},
			pooled:   []blockchain.Transaction{consensustest.Transfer("zoe", "carol", 5, 0)},
		},
		{
			// A block that uses the nonce for another transfer: the
			// waiting one is forgotten, not pooled.
			name:     "a nonce the block used for another",
			capacity: 10,
			appended: []blockchain.Transaction{consensustest.Transfer("zoe", "carol", 5, 0)},
			block:    []blockchain.Transaction{consensustest.Transfer("alice", "zoe", 100, 0), consensustest.Transfer("zoe", "bob", 50, 0)},
			absent:   []blockchain.Transaction{consensustest.Transfer("zoe", "carol", 5, 0)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			cfg := config(t, log)
			cfg.Policy = pool.DefaultPolicy()
			cfg.Policy.Capacity, cfg.Policy.MaxTx = tc.capacity, min(tc.capacity, cfg.Policy.MaxTx)
			n, err := node.New(cfg)
			require.NoError(t, err)
			follow(t, n)
			for _, tx := range tc.appended {
				e, err := events.Encode(events.TransactionSubmitted{Tx: tx})
				require.NoError(t, err)
				appendRaw(t, log, node.StreamTransactions, e)
			}
			nodetest.WaitFor(t, n, "every transfer read", func() bool { _, txs := n.Position(); return txs == eventlog.Revision(len(tc.appended)) })
			if tc.block != nil {
				b := newScratch(t, newEngine(t)).next(tc.block...)
				require.NoError(t, n.PublishBlock(ctx, b, "test"))
				nodetest.WaitFor(t, n, "block 1", func() bool { return n.Chain().TipHash() == b.Hash() })
			}
			for _, tx := range tc.pooled {
				assert.True(t, n.Pool().Has(tx.ID()), "pooled: nonce %d", tx.Nonce())
			}
			for _, tx := range tc.absent {
				assert.False(t, n.Pool().Has(tx.ID()), "not pooled: nonce %d", tx.Nonce())
			}
			assert.Equal(t, len(tc.pooled), n.Pool().Len())
		})
	}
}

// TestSnapshotKeepsWaitingTransfers: a transfer that waits for a block
// when a node records a snapshot is read before the snapshot's place in
// the transactions stream, and is not pending. A node restored from that
// snapshot must pool it all the same once the block that pays its sender
// comes, as a node that replays every block does.
func TestSnapshotKeepsWaitingTransfers(t *testing.T) {
	for _, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreSnapshot} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			writer := snapshotNode(t, log, 2, 0)
			follow(t, writer)

			spend := consensustest.Transfer("zoe", "carol", 5, 0) // zoe has nothing yet
			e, err := events.Encode(events.TransactionSubmitted{Tx: spend})
			require.NoError(t, err)
			appendRaw(t, log, node.StreamTransactions, e)
			nodetest.WaitFor(t, writer, "the transfer read", func() bool { _, txs := writer.Position(); return txs == 1 })
			require.False(t, writer.Pool().Has(spend.ID()), "precondition: it waits")

			s := newScratch(t, newEngine(t))
			publish(t, writer, s.next(consensustest.Transfer("alice", "bob", 1, 0)), s.next(consensustest.Transfer("alice", "bob", 1, 1)))
			nodetest.WaitFor(t, writer, "the snapshot at 2", func() bool { return writer.SnapshotStats().Written == 1 })
			publish(t, writer, s.next(consensustest.Transfer("alice", "zoe", 100, 2)))
			require.True(t, writer.Pool().Has(spend.ID()), "precondition: the writer pools it once zoe is paid")

			cfg := config(t, log)
			restored, err := node.New(cfg)
			require.NoError(t, err)
			require.NoError(t, restored.Restore(ctx, mode))
			require.Equal(t, uint64(3), restored.Chain().Height())
			if mode == node.RestoreSnapshot {
				require.Equal(t, uint64(2), restored.SnapshotStats().RestoredFrom, "precondition: restored from the snapshot taken while the transfer waited")
			}
			assert.True(t, restored.Pool().Has(spend.ID()), "the restored node pools the transfer zoe can pay now")
		})
	}
}
