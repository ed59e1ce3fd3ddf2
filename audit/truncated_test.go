package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/node"
)

// TestTruncatedTransactionsAreNotALostLog: a $maxCount set on the
// transactions stream by anyone who can write to an EventStoreDB hides
// the events the auditor read, while the stream goes on. The auditor took
// that for a wiped log and stopped, at its next tick and at every tick
// after each restart. It goes on now, and still rebroadcasts and drops;
// a stream that shows nothing from there on is still a log that lost its
// events.
func TestTruncatedTransactionsAreNotALostLog(t *testing.T) {
	for _, tc := range []struct {
		name  string
		more  int               // transactions appended after the auditor read the first
		shown eventlog.Revision // the first revision readers see
		want  error
	}{
		{"whole", 2, 0, nil},
		{"the read event hidden, later ones shown", 2, 1, nil},
		{"everything hidden", 2, 3, node.ErrLogWentBack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mem, fake := newRig(t)
			log := eventlogtest.Hiding(mem, node.StreamTransactions)
			a := newAuditorOn(t, fake, log, c, policy(time.Second, 10*time.Second, 3))
			put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: consensustest.Transfer("bob", "carol", 5, 0)})
			require.NoError(t, a.Tick(context.Background()))
			require.Equal(t, 1, a.Report().Pending)

			for i := range tc.more {
				put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: consensustest.Transfer("dave", "erin", 1, uint64(i))})
			}
			log.Hide(tc.shown)
			for _, at := range []time.Duration{0, 11 * time.Second} { // nothing due, then a rebroadcast due
				c.set(at)
				err := a.Tick(context.Background())
				if tc.want != nil {
					assert.ErrorIs(t, err, tc.want, "at %v", at)
					continue
				}
				require.NoError(t, err, "at %v", at)
			}
			if tc.want == nil {
				assert.Equal(t, 1+tc.more, a.Report().Rebroadcasts, "the auditor goes on: every transaction rebroadcast")
			}
		})
	}
}
