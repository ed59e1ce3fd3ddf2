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
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// TestRestoreSnapshotRefusesTooFewHeaders: on a chain whose proof of
// work retargets every 4 blocks, a snapshot of a real block with its
// honest accounts but only the tip's header and its parent's passes
// every check of the tip itself, yet a chain resumed from it lacks the
// epoch's first header that the next epoch's difficulty is computed
// from, and would refuse every block from then on. The node refuses
// such a snapshot, goes on with an older one or with every block, and
// ends on the honest tip.
func TestRestoreSnapshotRefusesTooFewHeaders(t *testing.T) {
	for _, tc := range []struct {
		name     string
		headers  map[uint64]int // the snapshots' heights and how many headers each holds
		restored uint64         // 0: every block
		refused  int
	}{
		{name: "every header down to genesis", headers: map[uint64]int{3: 4}, restored: 3},
		{name: "the engine's look-back", headers: map[uint64]int{7: 5}, restored: 7},
		{name: "the tip and its parent only", headers: map[uint64]int{7: 2}, refused: 1},
		{name: "one header short", headers: map[uint64]int{7: 4}, refused: 1},
		{name: "too few, an honest older", headers: map[uint64]int{3: 4, 7: 2}, restored: 3, refused: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			engine, err := pow.New(pow.Config{Bits: 6, Workers: 1, RetargetInterval: 4, TargetBlockTime: time.Second, MinBits: 2, MaxBits: 10})
			require.NoError(t, err)
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			chain := newScratch(t, engine)
			var tip *blockchain.Block
			for i := range 9 {
				tip = chain.next(consensustest.Transfer("alice", "zoe", int64(i+1), uint64(i)))
				appendRaw(t, log, node.StreamBlocks, mined(t, tip))
				headers, ok := tc.headers[tip.Height()]
				if !ok {
					continue
				}
				snap := chain.chain.Snapshot(headers)
				require.Len(t, snap.Headers, headers, "precondition")
				parts := events.SnapshotParts(tip.Height(), tip.Hash(), snap.Accounts, 0)
				res, err := log.Append(context.Background(), node.StreamSnapshots, eventlog.Any, mustEncodeEvent(t, parts[0]))
				require.NoError(t, err)
				appendRaw(t, log, node.StreamSnapshots, mustEncodeEvent(t, events.SnapshotTaken{
					Height: tip.Height(), BlockHash: tip.Hash(), StateRoot: tip.Header().StateRoot,
					Parts: 1, Accounts: len(snap.Accounts), FirstPart: res.NextExpected,
					BlocksRevision: eventlog.Revision(i), Headers: snap.Headers, Tip: tip,
				}))
			}
			n, err := node.New(node.Config{Log: log, Spec: consensustest.SpecOf(engine), Engine: engine, Now: func() time.Time { return testNow }})
			require.NoError(t, err)
			require.NoError(t, n.Restore(context.Background(), node.RestoreSnapshot))
			assert.Equal(t, tip.Hash(), n.Chain().TipHash(), "the honest tip; the node stopped at height %d", n.Chain().Height())
			stats := n.SnapshotStats()
			assert.Equal(t, tc.restored > 0, stats.Restored)
			assert.Equal(t, tc.restored, stats.RestoredFrom)
			require.Len(t, stats.Refused, tc.refused)
			for _, err := range stats.Refused {
				assert.ErrorIs(t, err, node.ErrSnapshotRefused)
				assert.ErrorIs(t, err, node.ErrSnapshotHeaders)
			}
		})
	}
}
