package node_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

// TestRestoreTakesBackAFundsDrop: a pending transfer that a block left
// its sender unable to pay is dropped by the pool of a node that follows
// live. A drop for funds is not final while the transfer's nonce is
// unused: once a credit lets the sender pay again, a node restored from
// the same log, which judges the transactions stream against the tip,
// holds it pending, as the bank would take it from anyone who submitted
// it again. Everything else is as the live node has it.
func TestRestoreTakesBackAFundsDrop(t *testing.T) {
	for _, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreFast} {
		t.Run(mode.String(), func(t *testing.T) {
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			live := newNode(t, log, nil)
			follow(t, live)
			ctx := context.Background()
			small := consensustest.Transfer("alice", "bob", 1, 0)
			pay := consensustest.Transfer("alice", "bob", 10, 1)
			for _, tx := range []blockchain.Transaction{small, pay} {
				require.NoError(t, live.SubmitTransaction(ctx, tx))
			}
			// Read back before the blocks: a transfer read after the
			// block that left its sender short would wait for a credit
			// (TestWaitingTransfers), not be dropped.
			nodetest.WaitFor(t, live, "both transfers read back", func() bool { _, txs := live.Position(); return txs == 2 })
			// Another bank's transfer took nonce 0 and nearly all the
			// funds; then carol gives some back.
			spend := consensustest.Transfer("alice", "carol", consensustest.Funds-5, 0)
			refund := consensustest.Transfer("carol", "alice", 100, 0)
			s := newScratch(t, newEngine(t))
			for _, b := range []*blockchain.Block{s.next(spend), s.next(refund)} {
				nodetest.WaitFor(t, live, "the tip", func() bool { return live.Chain().TipHash() == b.PrevHash() })
				require.NoError(t, live.PublishBlock(ctx, b, "test"))
			}
			nodetest.WaitFor(t, live, "two blocks", func() bool { return live.Chain().Height() == 2 })
			require.False(t, live.Pool().Has(pay.ID()), "dropped live: its sender could not pay")
			require.Zero(t, live.Pool().Len())

			restored := newNode(t, log, nil)
			require.NoError(t, restored.Restore(ctx, mode))
			assert.Equal(t, live.Chain().TipHash(), restored.Chain().TipHash())
			assert.Equal(t, live.Chain().State().Root(), restored.Chain().State().Root())
			assert.False(t, restored.Pool().Has(small.ID()), "its nonce is used")
			assert.True(t, restored.Pool().Has(pay.ID()), "payable at the tip: pending again")
			assert.Equal(t, 1, restored.Pool().Len())
			assert.NoError(t, restored.Chain().CheckTransaction(pay), "a miner may include it")
		})
	}
}
