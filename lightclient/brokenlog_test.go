package lightclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/node"
)

// TestFromLogRefusesABrokenLog syncs from logs whose Read of the blocks
// stream breaks the eventlog.Log contract, ignoring the revision a read
// starts from or reversing its pages, on a stream of more than one of
// FromLog's pages: FromLog fails at once with eventlog.ErrBrokenLog,
// where unchecked it read the first page again and again until its
// context ended, or went on with the stream's events out of order.
func TestFromLogRefusesABrokenLog(t *testing.T) {
	blocks, _ := powChain(t, 140) // more than a page of the log
	mem := newLog(t, true)
	appendBlocks(t, mem, blocks...)
	for _, fault := range []eventlogtest.ReadFault{eventlogtest.IgnoringFrom, eventlogtest.Reversing} {
		t.Run(fault.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := newClient(t, powEngine(t)).FromLog(ctx, eventlogtest.BreakingReads(mem, node.StreamBlocks, fault))
			require.ErrorIs(t, err, eventlog.ErrBrokenLog)
			assert.ErrorContains(t, err, node.StreamBlocks)
		})
	}
}
