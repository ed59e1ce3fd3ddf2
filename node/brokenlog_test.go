package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/node"
)

// brokenLogDeadline bounds each restore on a broken log: one that checks
// its pages fails at once, one that does not reads until the deadline.
const brokenLogDeadline = 5 * time.Second

// junkEvents returns n events of a type no stream of eventchain knows:
// every reader passes over them, after reading them.
func junkEvents(n int) []eventlog.Event {
	evs := make([]eventlog.Event, n)
	for i := range evs {
		evs[i] = eventlog.Event{ID: uuid.New(), Type: "Nothing", Data: []byte(`{}`)}
	}
	return evs
}

// TestRestoreRefusesABrokenLog restores from logs whose Read breaks the
// eventlog.Log contract for one stream, ignoring the revision a read
// starts from or reversing its pages, each stream long enough to take
// more than one of Restore's pages. Restore fails at once with
// eventlog.ErrBrokenLog, naming the stream, whichever of its paging
// reads meets the log first: the blocks stream's, the transactions
// stream's, the snapshots stream's backwards search for a manifest, or
// its forwards read of a manifest's parts. Unchecked, such a log had
// Restore read one page again and again until its context ended (for
// ever, with context.Background), or return nil with part of a stream.
func TestRestoreRefusesABrokenLog(t *testing.T) {
	blocks := func(t *testing.T) eventlog.Log {
		log := newLog(t)
		chain := newScratch(t, newEngine(t))
		for i := range node.RestorePage + 5 {
			appendRaw(t, log, node.StreamBlocks, mined(t, chain.next(consensustest.Transfer("alice", "bob", 1, uint64(i)))))
		}
		return log
	}
	transactions := func(t *testing.T) eventlog.Log {
		log := newLog(t)
		_, err := log.Append(context.Background(), node.StreamTransactions, eventlog.Any, junkEvents(node.RestorePage+5)...)
		require.NoError(t, err)
		return log
	}
	// A snapshot whose parts are more than a page of the snapshots
	// stream apart, and a stream whose newest page holds no manifest.
	parts := func(t *testing.T) eventlog.Log {
		log, _ := honestLog(t, []uint64{3}, nil, junkEvents(10)...)
		return log
	}
	noManifest := func(t *testing.T) eventlog.Log {
		log := newLog(t)
		_, err := log.Append(context.Background(), node.StreamSnapshots, eventlog.Any, junkEvents(20)...)
		require.NoError(t, err)
		return log
	}
	for _, tc := range []struct {
		name   string
		log    func(*testing.T) eventlog.Log
		stream string
		fault  eventlogtest.ReadFault
		mode   node.RestoreMode
	}{
		{"blocks, ignoring from", blocks, node.StreamBlocks, eventlogtest.IgnoringFrom, node.RestoreVerify},
		{"blocks, reversing", blocks, node.StreamBlocks, eventlogtest.Reversing, node.RestoreVerify},
		{"transactions, ignoring from", transactions, node.StreamTransactions, eventlogtest.IgnoringFrom, node.RestoreVerify},
		{"transactions, reversing", transactions, node.StreamTransactions, eventlogtest.Reversing, node.RestoreVerify},
		{"snapshot parts, ignoring from", parts, node.StreamSnapshots, eventlogtest.IgnoringFrom, node.RestoreSnapshot},
		{"snapshot manifests, ignoring from", noManifest, node.StreamSnapshots, eventlogtest.IgnoringFrom, node.RestoreSnapshot},
		{"snapshot manifests, reversing", noManifest, node.StreamSnapshots, eventlogtest.Reversing, node.RestoreSnapshot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := eventlogtest.BreakingReads(tc.log(t), tc.stream, tc.fault)
			n, err := node.New(config(t, log))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), brokenLogDeadline)
			defer cancel()
			err = n.Restore(ctx, tc.mode)
			require.ErrorIs(t, err, eventlog.ErrBrokenLog)
			assert.ErrorContains(t, err, tc.stream)
		})
	}
}
