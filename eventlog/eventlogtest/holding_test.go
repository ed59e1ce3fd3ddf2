package eventlogtest_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
)

// TestHolding: a held stream's subscriptions hand out nothing until the
// release, then every event in order; another stream's, and reads, pass
// through.
func TestHolding(t *testing.T) {
	ctx := context.Background()
	mem := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = mem.Close() })
	for _, stream := range []string{"held", "free"} {
		_, err := mem.Append(ctx, stream, eventlog.Any, eventlog.Event{ID: uuid.New(), Type: "t", Data: []byte("{}")})
		require.NoError(t, err)
	}
	release := make(chan struct{})
	log := eventlogtest.Holding(mem, "held", release)

	free, err := log.Subscribe(ctx, "free", eventlog.Start)
	require.NoError(t, err)
	defer free.Close()
	_, err = free.Next(ctx)
	assert.NoError(t, err, "another stream passes through")
	recs, err := log.Read(ctx, "held", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.Len(t, recs, 1, "reads pass through")

	held, err := log.Subscribe(ctx, "held", eventlog.Start)
	require.NoError(t, err)
	defer held.Close()
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err = held.Next(done)
	assert.ErrorIs(t, err, context.Canceled, "held: nothing until the release")

	close(release)
	r, err := held.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, recs[0].ID, r.ID)
}
