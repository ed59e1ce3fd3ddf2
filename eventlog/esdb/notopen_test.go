package esdb_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
)

// TestZeroLog: a Log New or Open did not make says so, rather than panic
// on a nil connection pool, as boltlog's and memlog's zero Logs do.
func TestZeroLog(t *testing.T) {
	ctx := context.Background()
	ev := eventlog.Event{ID: uuid.New(), Type: "T", Data: []byte(`{}`)}
	for _, l := range []*esdb.Log{new(esdb.Log), nil} {
		assert.NotPanics(t, func() {
			_, err := l.Append(ctx, "s", eventlog.Any, ev)
			assert.ErrorIs(t, err, esdb.ErrNotOpen)
			_, err = l.Read(ctx, "s", eventlog.Start, eventlog.Forwards, 1)
			assert.ErrorIs(t, err, esdb.ErrNotOpen)
			_, err = l.Subscribe(ctx, "s", eventlog.Start)
			assert.ErrorIs(t, err, esdb.ErrNotOpen)
			assert.ErrorIs(t, l.Delete(ctx, "s", eventlog.Any), esdb.ErrNotOpen)
			assert.ErrorIs(t, l.Ping(ctx), esdb.ErrNotOpen)
			assert.NoError(t, l.Close())
		})
	}
}
