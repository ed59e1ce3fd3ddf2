package bank_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
)

// TestIndexCatchUpRefusesABrokenLog: a bank whose node was restored from
// a snapshot catches its empty index up from the blocks stream when it
// is made ready, a page at a time. On a log whose Read of that stream
// breaks the eventlog.Log contract, ignoring the revision a read starts
// from or reversing its pages, the index fails at once with
// eventlog.ErrBrokenLog and the bank stays not ready. Unchecked, the
// catch-up read the first page again and again, for ever (each read has
// a timeout of its own, the loop none), holding the bank's lock.
func TestIndexCatchUpRefusesABrokenLog(t *testing.T) {
	for _, fault := range []eventlogtest.ReadFault{eventlogtest.IgnoringFrom, eventlogtest.Reversing} {
		t.Run(fault.String(), func(t *testing.T) {
			const n = 150 // more blocks than a page of the catch-up
			mem := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = mem.Close() })
			appendBlocks(t, mem, n, 1, nil)
			writer, err := node.New(node.Config{Log: mem, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), SnapshotEvery: n, Now: func() time.Time { return fixedNow }})
			require.NoError(t, err)
			followFor(t, writer, func() bool { return writer.SnapshotStats().Written == 1 })

			nd, err := node.New(node.Config{Log: mem, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), Now: func() time.Time { return fixedNow }})
			require.NoError(t, err)
			require.NoError(t, nd.Restore(t.Context(), node.RestoreSnapshot))
			_, held := nd.Chain().BlockAt(1)
			require.False(t, held, "precondition: the node holds no block below its snapshot")
			b, err := bank.New(bank.Config{Node: nd, Log: eventlogtest.BreakingReads(mem, node.StreamBlocks, fault)})
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })

			ready := make(chan struct{})
			go func() {
				defer close(ready)
				b.SetReady(true)
			}()
			select {
			case <-ready:
			case <-time.After(5 * time.Second):
				// Closing the log ends the reads, and so the catch-up.
				t.Cleanup(func() { _ = mem.Close(); <-ready })
				t.Fatal("SetReady still catching up after 5s")
			}
			err = b.IndexErr()
			require.ErrorIs(t, err, eventlog.ErrBrokenLog)
			assert.ErrorContains(t, err, node.StreamBlocks)
			assert.False(t, b.Ready())
		})
	}
}
