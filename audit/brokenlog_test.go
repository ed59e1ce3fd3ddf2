package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// auditPage is more events than one of the auditor's reads takes.
const auditPage = 600

// brokenLogDeadline bounds each call on a broken log: an auditor that
// checks its pages fails at once, one that does not reads until the
// deadline.
const brokenLogDeadline = 5 * time.Second

// appendJunk appends n events of a type no stream knows to stream: the
// auditor reads them and passes over them.
func appendJunk(t *testing.T, log eventlog.Log, stream string, n int) {
	t.Helper()
	evs := make([]eventlog.Event, n)
	for i := range evs {
		evs[i] = eventlog.Event{ID: uuid.New(), Type: "Nothing", Data: []byte(`{}`)}
	}
	_, err := log.Append(context.Background(), stream, eventlog.Any, evs...)
	require.NoError(t, err)
}

// TestBrokenLogFailsTheAuditor runs the auditor on logs whose Read
// breaks the eventlog.Log contract for one stream, ignoring the revision
// a read starts from or reversing its pages, each stream longer than one
// of the auditor's pages: the transactions and the audit streams, which
// Restore reads, and the blocks stream, which a Tick searches for a
// block its node let go. Each fails at once with eventlog.ErrBrokenLog,
// naming the stream, where unchecked it read one page again and again
// until its context ended, or went on with part of a stream.
func TestBrokenLogFailsTheAuditor(t *testing.T) {
	// restore restores an auditor of a chain without blocks.
	restore := func(t *testing.T, _ *memlog.Log, log eventlog.Log, c *clock) error {
		fake := &fakeChain{chain: consensustest.NewChain(consensustest.NewFaker()), changed: make(chan struct{})}
		a := newAuditorOn(t, fake, log, c, policy(10*time.Second, 30*time.Second, 3))
		ctx, cancel := context.WithTimeout(context.Background(), brokenLogDeadline)
		defer cancel()
		return a.Restore(ctx)
	}
	// tick ticks an auditor whose node keeps only its newest block, on a
	// blocks stream that holds more than a page of junk, then three blocks.
	tick := func(t *testing.T, mem *memlog.Log, log eventlog.Log, c *clock) error {
		chain := consensustest.NewChain(consensustest.NewFaker())
		blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), chain, 3, nil)
		require.NoError(t, err)
		for _, b := range blocks {
			ev, err := events.Encode(events.BlockMined{Block: b, MinerID: "test"})
			require.NoError(t, err)
			_, err = mem.Append(context.Background(), node.StreamBlocks, eventlog.Any, ev)
			require.NoError(t, err)
		}
		n := newNode(t, mem, 1, c.Now)
		require.Equal(t, blocks[2].Hash(), n.Chain().TipHash())
		_, held := n.Chain().BlockAt(1)
		require.False(t, held, "the node let block 1 go")
		a, err := audit.New(audit.Config{Node: n, Log: log, Policy: policy(10*time.Second, 30*time.Second, 3), Now: c.Now})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), brokenLogDeadline)
		defer cancel()
		return a.Tick(ctx)
	}
	for _, tc := range []struct {
		name   string
		stream string
		fault  eventlogtest.ReadFault
		run    func(t *testing.T, mem *memlog.Log, log eventlog.Log, c *clock) error
	}{
		{"transactions, ignoring from", node.StreamTransactions, eventlogtest.IgnoringFrom, restore},
		{"transactions, reversing", node.StreamTransactions, eventlogtest.Reversing, restore},
		{"audit, ignoring from", node.StreamAudit, eventlogtest.IgnoringFrom, restore},
		{"audit, reversing", node.StreamAudit, eventlogtest.Reversing, restore},
		{"blocks, ignoring from", node.StreamBlocks, eventlogtest.IgnoringFrom, tick},
		{"blocks, reversing", node.StreamBlocks, eventlogtest.Reversing, tick},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mem, _ := newRig(t)
			appendJunk(t, mem, tc.stream, auditPage)
			err := tc.run(t, mem, eventlogtest.BreakingReads(mem, tc.stream, tc.fault), c)
			require.ErrorIs(t, err, eventlog.ErrBrokenLog)
			assert.ErrorContains(t, err, tc.stream)
		})
	}
}
