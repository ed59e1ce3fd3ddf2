package node

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

// TestAppendedTakesOnlyTheSameEvent: the node's memory of its own
// transaction events gives back a transaction only for the very event it
// appended — same ID, type and bytes — and only once.
func TestAppendedTakesOnlyTheSameEvent(t *testing.T) {
	tx := consensustest.Transfer("alice", "bob", 5, 0)
	e, err := events.Encode(events.TransactionSubmitted{Tx: tx})
	require.NoError(t, err)
	changed := e
	changed.Data = append([]byte(nil), e.Data...)
	changed.Data[len(changed.Data)-2] ^= 1
	otherType := e
	otherType.Type = events.TypeTransactionRebroadcast
	otherID := e
	otherID.ID = uuid.New()

	for _, tc := range []struct {
		name string
		read eventlog.Event
		want bool
	}{
		{"the same event", e, true},
		{"a byte changed", changed, false},
		{"another type", otherType, false},
		{"another ID", otherID, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a appended
			a.remember(e, tx)
			got, ok := a.take(tc.read)
			assert.Equal(t, tc.want, ok)
			if tc.want {
				assert.Equal(t, tx.ID(), got.ID())
				_, again := a.take(tc.read)
				assert.False(t, again, "taken once")
			}
		})
	}
}

// TestAppendedForgetsTheOldest: the memory is bounded; past appendedKeep
// events the oldest is forgotten (and would be decoded), the newest kept.
func TestAppendedForgetsTheOldest(t *testing.T) {
	var a appended
	evs := make([]eventlog.Event, appendedKeep+1)
	for i := range evs {
		evs[i] = eventlog.Event{ID: uuid.New(), Type: events.TypeTransactionSubmitted, Data: []byte{byte(i)}}
		a.remember(evs[i], blockchain.Transaction{})
	}
	require.Len(t, a.byID, appendedKeep)
	_, ok := a.take(evs[0])
	assert.False(t, ok, "the oldest is forgotten")
	_, ok = a.take(evs[1])
	assert.True(t, ok, "the next is kept")
	_, ok = a.take(evs[appendedKeep])
	assert.True(t, ok, "the newest is kept")
}
