package node

import (
	"context"
	"slices"
	"sync"

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

// CheckedInAdvance makes n note each block whose signatures a verify
// restore checks in advance, on every core, and returns a function that
// gives their hashes. Call it before Restore.
func CheckedInAdvance(n *Node) func() []blockchain.Hash {
	var mu sync.Mutex
	var checked []blockchain.Hash
	n.verifySignatures = func(b *blockchain.Block) error {
		mu.Lock()
		checked = append(checked, b.Hash())
		mu.Unlock()
		return b.VerifySignatures()
	}
	return func() []blockchain.Hash {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(checked)
	}
}

// RestorePage is how many block events Restore reads at a time.
const RestorePage = restorePage
