package esdbtest_test

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
)

// TestMain fails the package if a test leaves a goroutine behind: every
// server handler must end when its call does, and Stop must end them all.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// envURL names the environment variable that points the tests at a real
// EventStoreDB as well.
const envURL = "EVENTSTORE_URL"

// A target is a server the protocol tests run against.
type target struct {
	name string
	conn string           // its connection string
	srv  *esdbtest.Server // nil for a real EventStoreDB
}

// inProcess reports whether the target is an esdbtest server of this
// test: its $all then holds only what the test wrote, and the test may
// stop and start it.
func (tg target) inProcess() bool { return tg.srv != nil }

// eachTarget runs f against a new esdbtest server, and against the real
// EventStoreDB that EVENTSTORE_URL names, or skips that run saying how to
// enable it.
func eachTarget(t *testing.T, f func(t *testing.T, tg target)) {
	t.Run("esdbtest", func(t *testing.T) {
		srv := esdbtest.NewServer(t)
		f(t, target{name: "esdbtest", conn: srv.ConnString(), srv: srv})
	})
	t.Run("EventStoreDB", func(t *testing.T) {
		url := os.Getenv(envURL)
		if url == "" {
			t.Skip(envURL + " not set: run EventStoreDB and set it, e.g. " + envURL + "=esdb://localhost:2113?tls=false, to run these tests against it too")
		}
		f(t, target{name: "EventStoreDB", conn: url})
	})
}

// newClient returns an official client for conn, closed when t ends, with
// the client's console logging turned off.
func newClient(t testing.TB, conn string) *esdb.Client {
	t.Helper()
	cfg, err := esdb.ParseConnectionString(conn)
	require.NoError(t, err)
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// streamName returns a stream name no other test or run uses.
func streamName(label string) string { return "esdbtest-" + label + "-" + uuid.NewString() }

// jsonEvents returns n JSON events of type "TestEvent" with fresh IDs.
func jsonEvents(n int) []esdb.EventData {
	events := make([]esdb.EventData, n)
	for i := range events {
		events[i] = esdb.EventData{
			EventID:     uuid.New(),
			EventType:   "TestEvent",
			ContentType: esdb.ContentTypeJson,
			Data:        []byte(`{"i":` + string(rune('0'+i%10)) + `}`),
		}
	}
	return events
}

// mustAppend appends events and returns the result.
func mustAppend(t testing.TB, c *esdb.Client, stream string, expected esdb.ExpectedRevision, events ...esdb.EventData) *esdb.WriteResult {
	t.Helper()
	res, err := c.AppendToStream(context.Background(), stream, esdb.AppendToStreamOptions{ExpectedRevision: expected}, events...)
	require.NoError(t, err, "append %d events to %q", len(events), stream)
	return res
}

// readStream reads a stream to its end (io.EOF) and returns the events
// and the error that ended it (nil for EOF).
func readStream(t testing.TB, c *esdb.Client, stream string, opts esdb.ReadStreamOptions, count uint64) ([]*esdb.ResolvedEvent, error) {
	t.Helper()
	rs, err := c.ReadStream(context.Background(), stream, opts, count)
	if err != nil {
		return nil, err // the call could not start: no connection, say
	}
	defer rs.Close()
	var out []*esdb.ResolvedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// revisions returns the revisions of events.
func revisions(events []*esdb.ResolvedEvent) []uint64 {
	revs := []uint64{}
	for _, e := range events {
		revs = append(revs, e.OriginalEvent().EventNumber)
	}
	return revs
}

// esdbCode returns the client's error code of err, unwrapping as needed
// (some client calls wrap their *esdb.Error), and false if there is none.
func esdbCode(err error) (esdb.ErrorCode, bool) {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

// requireCode checks that err carries the client error code want.
func requireCode(t testing.TB, err error, want esdb.ErrorCode, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	have, ok := esdbCode(err)
	require.True(t, ok, "want an *esdb.Error, have %T: %v", err, err)
	require.Equal(t, want, have, "error code of %v", err)
}

// grpcCode returns the gRPC status code inside err.
func grpcCode(err error) codes.Code {
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	var e *esdb.Error
	if errors.As(err, &e) && e.Err() != nil {
		return grpcCode(e.Err())
	}
	return codes.Unknown
}

// u64 returns a pointer to v, for comparing the client's *uint64 fields.
func u64(v uint64) *uint64 { return &v }
