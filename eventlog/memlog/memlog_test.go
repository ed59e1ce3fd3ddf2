package memlog_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
)

// TestMain fails the package if any test leaves a goroutine behind: memlog
// starts none, and its subscriptions must not need any.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCopiesInAndOut(t *testing.T) {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })

	e := event("copy")
	_, err := log.Append(ctx, "s", eventlog.NoStream, e)
	require.NoError(t, err)
	e.Data[2] = 'X' // the caller's slice, after the append

	recs, err := log.Read(ctx, "s", eventlog.Start, eventlog.Forwards, 1)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, `{"hello":"copy"}`, string(recs[0].Data), "the log keeps its own copy")
	recs[0].Data[2] = 'Y' // the reader's slice

	again, err := log.Read(ctx, "s", eventlog.Start, eventlog.Forwards, 1)
	require.NoError(t, err)
	assert.Equal(t, `{"hello":"copy"}`, string(again[0].Data), "readers get copies")
}

func TestRecordedTimeComesFromTheClock(t *testing.T) {
	at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*60*60))
	log := memlog.New(memlog.Config{Now: func() time.Time { return at }})
	t.Cleanup(func() { _ = log.Close() })
	_, err := log.Append(context.Background(), "s", eventlog.Any, event("clock"))
	require.NoError(t, err)
	recs, err := log.Read(context.Background(), "s", eventlog.End, eventlog.Backwards, 1)
	require.NoError(t, err)
	assert.Equal(t, at.UTC(), recs[0].Time)
	assert.Equal(t, time.UTC, recs[0].Time.Location())
}

func TestCancelledContextsAreRefused(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := log.Append(ctx, "s", eventlog.Any, event("x"))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = log.Read(ctx, "s", eventlog.Start, eventlog.Forwards, 1)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = log.Subscribe(ctx, "s", eventlog.Start)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, log.Delete(ctx, "s", eventlog.Any), context.Canceled)
}

func TestReadRejectsUnknownDirection(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	_, err := log.Append(context.Background(), "s", eventlog.Any, event("x"))
	require.NoError(t, err)
	_, err = log.Read(context.Background(), "s", eventlog.Start, eventlog.Direction(7), 1)
	assert.ErrorIs(t, err, eventlog.ErrInvalid)
}

func TestConformance(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log { return memlog.New(memlog.Config{}) })
}

func TestConformanceWithPrefix(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log {
		return eventlog.WithPrefix(memlog.New(memlog.Config{}), "course-42/")
	})
}
