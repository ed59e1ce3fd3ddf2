package node_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

// A Restore from a snapshot that fails after the chain resumed (the log
// failed reading the blocks after the snapshot), then Follow, which
// "subscribes to both streams from exactly where Restore stopped": the
// snapshot's pending transactions never reach the pool.
func TestFollowAfterFailedSnapshotRestore(t *testing.T) {
	extra := consensustest.Transfer("carol", "dave", 1, 0)
	log, tip := honestLog(t, []uint64{3}, func(_ uint64, parts []events.SnapshotPart, m *events.SnapshotTaken) []events.SnapshotPart {
		m.Pending = append(m.Pending, extra)
		return parts
	})
	flaky := &failingReads{Log: log, from: 3} // the blocks after the snapshot's tip, at revision 2
	flaky.fail.Store(true)
	n := newNode(t, flaky, nil)
	require.ErrorIs(t, n.Restore(context.Background(), node.RestoreSnapshot), errRead)
	require.True(t, n.SnapshotStats().Restored, "precondition: the chain resumed from the snapshot")
	flaky.fail.Store(false) // the log is back

	follow(t, n)
	nodetest.WaitFor(t, n, "the node to reach the tip", func() bool { return n.Chain().TipHash() == tip.Hash() })
	assert.True(t, n.Pool().Has(extra.ID()), "the snapshot's pending transfer carol→dave is in the pool")
	assert.Equal(t, uint64(1), n.Pool().NextNonce(extra.From()), "carol's next nonce counts her pending transfer")
	assert.Equal(t, 2, n.Pool().Len(), "the snapshot's two pending transfers: bob→carol, which honestLog puts there, and carol→dave")
}
