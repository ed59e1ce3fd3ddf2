package node

import (
	"context"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
)

// Exported for the tests of package node_test only.

// SetSnapshotPartSize makes the node's snapshot parts hold at most size
// accounts, so that a test's few accounts take many parts. Call it
// before Follow.
func SetSnapshotPartSize(n *Node, size int) { n.partSize = size }

// WriteSnapshot records the snapshot of a chain at tip, as Follow
// records the snapshot of a block it applied from revision blocksRev of
// the blocks stream: state is the state after tip, headers the newest
// headers up to tip's. The benchmark records so the snapshot of a chain
// it built without a node, with nothing pending and no transaction read.
func WriteSnapshot(ctx context.Context, n *Node, state *blockchain.State, tip *blockchain.Block, headers []blockchain.Header, blocksRev eventlog.Revision) error {
	return n.writeSnapshot(ctx, snapshotJob{state: state, tip: tip, headers: headers, blocksRev: blocksRev})
}

// RestorePage is how many block events Restore reads at a time.
const RestorePage = restorePage
