package esdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
)

// quick makes the official client give up finding a stopped server after
// one attempt, so that the tests of a stopped server take milliseconds:
// the Log's own backoff does the retrying.
const quick = "&maxDiscoverAttempts=1&discoveryInterval=1"

// watchdog bounds each test's calls: a hang fails the test instead of
// stalling it.
const watchdog = 20 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	t.Cleanup(cancel)
	return ctx
}

// events returns n events named after label.
func events(label string, n int) []eventlog.Event {
	out := make([]eventlog.Event, n)
	for i := range out {
		data, _ := json.Marshal(map[string]any{"label": label, "i": i})
		out[i] = eventlog.Event{ID: uuid.New(), Type: "TestEvent", Data: data}
	}
	return out
}

// nextRevisions reads n events from sub and returns their revisions.
func nextRevisions(t *testing.T, ctx context.Context, sub eventlog.Subscription, n int) []eventlog.Revision {
	t.Helper()
	revs := []eventlog.Revision{}
	for range n {
		r, err := sub.Next(ctx)
		require.NoError(t, err, "after %v", revs)
		revs = append(revs, r.Revision)
	}
	return revs
}

func span(first, last eventlog.Revision) []eventlog.Revision {
	revs := []eventlog.Revision{}
	for r := first; r <= last; r++ {
		revs = append(revs, r)
	}
	return revs
}

// TestSubscriptionSurvivesServerRestart: a subscription whose server is
// stopped while it is live, and started again on the same address,
// resubscribes by itself and goes on from where it was: the reader sees
// every event once, in order, whether it had read them all or was behind
// when the server went away. Meanwhile the log's calls fail with
// ErrUnavailable.
func TestSubscriptionSurvivesServerRestart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		unread int // events appended, and not read, before the stop
	}{
		{"CaughtUp", 0},
		{"Behind", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			srv := esdbtest.NewServer(t)
			log := newLog(t, esdb.Config{ConnString: srv.ConnString() + quick})
			const stream = "restart"
			_, err := log.Append(ctx, stream, eventlog.NoStream, events("before", 3)...)
			require.NoError(t, err)
			sub, err := log.Subscribe(ctx, stream, eventlog.Start)
			require.NoError(t, err)
			t.Cleanup(func() { _ = sub.Close() })
			require.Equal(t, span(0, 2), nextRevisions(t, ctx, sub, 3))
			if tc.unread > 0 {
				_, err = log.Append(ctx, stream, eventlog.Exact(2), events("unread", tc.unread)...)
				require.NoError(t, err)
			}

			srv.Stop()
			_, err = log.Append(ctx, stream, eventlog.Any, events("refused", 1)...)
			assert.ErrorIs(t, err, eventlog.ErrUnavailable, "append while the server is down")
			var clientErr *esclient.Error
			assert.True(t, errors.As(err, &clientErr), "the client's error stays in the chain: %v", err)
			_, err = log.Read(ctx, stream, eventlog.Start, eventlog.Forwards, 10)
			assert.ErrorIs(t, err, eventlog.ErrUnavailable, "read while the server is down")
			_, err = log.Subscribe(ctx, stream, eventlog.Start)
			assert.ErrorIs(t, err, eventlog.ErrUnavailable, "subscribe while the server is down")
			assert.ErrorIs(t, log.Delete(ctx, "other", eventlog.Any), eventlog.ErrUnavailable, "delete while the server is down")
			assert.ErrorIs(t, log.Ping(ctx), eventlog.ErrUnavailable, "ping while the server is down")

			require.NoError(t, srv.Start())
			last := eventlog.Revision(2 + tc.unread)
			_, err = log.Append(ctx, stream, eventlog.Exact(last), events("after", 3)...)
			require.NoError(t, err, "append once the server is back")
			assert.Equal(t, span(3, last+3), nextRevisions(t, ctx, sub, tc.unread+3), "no gap, no duplicate")
			// And nothing else is waiting: the next event is the next one.
			_, err = log.Append(ctx, stream, eventlog.Exact(last+3), events("marker", 1)...)
			require.NoError(t, err)
			assert.Equal(t, []eventlog.Revision{last + 4}, nextRevisions(t, ctx, sub, 1))
		})
	}
}

// TestSubscriptionNoticesALogThatWentBack: the server goes away, and a
// new one, which lost the events (an esdbtest started again, a database
// restored from an older backup), answers on its address. The
// subscription does not wait there for revisions that may never come:
// Next fails with ErrWentBack, whether the stream is gone or shorter.
func TestSubscriptionNoticesALogThatWentBack(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after int // events of the stream on the new server
	}{
		{"GoneAltogether", 0},
		{"Shorter", 2},
		// As many events again, or more, but others: whenever the
		// subscription reconnects, the stream is gone, or holds another
		// event where it held its last.
		{"AsLongWithOthers", 5},
		{"LongerWithOthers", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			srv := esdbtest.NewServer(t)
			log := newLog(t, esdb.Config{ConnString: srv.ConnString() + quick})
			const stream = "wiped"
			_, err := log.Append(ctx, stream, eventlog.NoStream, events("before", 5)...)
			require.NoError(t, err)
			sub, err := log.Subscribe(ctx, stream, eventlog.Start)
			require.NoError(t, err)
			t.Cleanup(func() { _ = sub.Close() })
			require.Equal(t, span(0, 4), nextRevisions(t, ctx, sub, 5))

			srv.Close()
			fresh := esdbtest.New(esdbtest.Config{Addr: srv.Addr()})
			require.NoError(t, fresh.Start())
			t.Cleanup(fresh.Close)
			if tc.after > 0 {
				// Other events under the first revisions: whenever the
				// subscription reconnects, before or after them, the
				// stream is shorter than what it read.
				_, err := log.Append(ctx, stream, eventlog.NoStream, events("after", tc.after)...)
				require.NoError(t, err)
			}
			_, err = sub.Next(ctx)
			assert.ErrorIs(t, err, esdb.ErrWentBack)
		})
	}
}

// TestSubscriptionAfterAReadNoticesALogThatWentBack: a reader that read
// a stream's events and subscribes from the revision after them (as a
// node does once restored) has its state built from them; if the server
// is wiped before any new event comes, Next fails with ErrWentBack rather
// than wait on a log that no longer holds what the reader built on.
func TestSubscriptionAfterAReadNoticesALogThatWentBack(t *testing.T) {
	ctx := testContext(t)
	srv := esdbtest.NewServer(t)
	log := newLog(t, esdb.Config{ConnString: srv.ConnString() + quick})
	const stream = "read-then-wiped"
	_, err := log.Append(ctx, stream, eventlog.NoStream, events("before", 3)...)
	require.NoError(t, err)
	read, err := log.Read(ctx, stream, eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	require.Len(t, read, 3)
	sub, err := log.Subscribe(ctx, stream, 3)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })

	srv.Close()
	fresh := esdbtest.New(esdbtest.Config{Addr: srv.Addr()})
	require.NoError(t, fresh.Start())
	t.Cleanup(fresh.Close)
	_, err = sub.Next(ctx)
	assert.ErrorIs(t, err, esdb.ErrWentBack)
}

// TestSubscriptionFromPastTheEndSurvivesARestart: a subscription from a
// revision the stream has not reached yet has read nothing; a restart of
// a server that kept its data is no loss, and the revision it waits for
// comes.
func TestSubscriptionFromPastTheEndSurvivesARestart(t *testing.T) {
	ctx := testContext(t)
	srv := esdbtest.NewServer(t)
	resubscribed := make(chan struct{}, 1)
	logger := slog.New(onMessage{"esdb: resubscribed", resubscribed})
	log := newLog(t, esdb.Config{ConnString: srv.ConnString() + quick, Logger: logger})
	const stream = "ahead"
	_, err := log.Append(ctx, stream, eventlog.NoStream, events("first", 2)...)
	require.NoError(t, err)
	sub, err := log.Subscribe(ctx, stream, 5)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	srv.Stop()
	require.NoError(t, srv.Start())
	select { // back on a stream that still ends at revision 1
	case <-resubscribed:
	case <-ctx.Done():
		t.Fatal("never resubscribed")
	}
	_, err = log.Append(ctx, stream, eventlog.Exact(1), events("then", 4)...)
	require.NoError(t, err)
	assert.Equal(t, []eventlog.Revision{5}, nextRevisions(t, ctx, sub, 1))
}

// TestSubscriptionSurvivesRepeatedRestarts stops and starts the server
// several times under a live subscription fed by appends in between.
func TestSubscriptionSurvivesRepeatedRestarts(t *testing.T) {
	ctx := testContext(t)
	srv := esdbtest.NewServer(t)
	log := newLog(t, esdb.Config{ConnString: srv.ConnString() + quick})
	sub, err := log.Subscribe(ctx, "restarts", eventlog.End)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	next := eventlog.Revision(0)
	for round := range 4 {
		_, err := log.Append(ctx, "restarts", eventlog.Any, events(fmt.Sprint("round ", round), 2)...)
		require.NoError(t, err, "round %d", round)
		srv.Stop()
		require.NoError(t, srv.Start())
		assert.Equal(t, span(next, next+1), nextRevisions(t, ctx, sub, 2), "round %d", round)
		next += 2
	}
}

// TestCloseWhileReconnecting: closing the log while a subscription waits
// for its server ends the subscription at once: Next says ErrClosed, and
// no goroutine is left (TestMain checks).
func TestCloseWhileReconnecting(t *testing.T) {
	ctx := testContext(t)
	srv := esdbtest.NewServer(t)
	log, err := esdb.New(esdb.Config{
		ConnString: srv.ConnString() + quick,
		// Long waits: Close must not wait for them.
		Policy: esdb.Policy{ReconnectMin: time.Hour, ReconnectMax: time.Hour},
	})
	require.NoError(t, err)
	sub, err := log.Subscribe(ctx, "closing", eventlog.Start)
	require.NoError(t, err)
	srv.Stop()
	waiting := make(chan error, 1)
	go func() {
		_, err := sub.Next(ctx)
		waiting <- err
	}()
	require.NoError(t, log.Close())
	assert.ErrorIs(t, <-waiting, eventlog.ErrClosed)
	assert.NoError(t, sub.Close())
}

// TestContextBoundsConnecting: a server that accepts connections and
// never answers cannot hold a call longer than its context, even while
// the client looks for the server (which takes no context).
func TestContextBoundsConnecting(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // and say nothing
			mu.Unlock()
		}
	}()
	silence := func() {
		_ = lis.Close()
		<-accepted
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	}
	t.Cleanup(silence)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = esdb.Open(ctx, esdb.Config{ConnString: "esdb://" + lis.Addr().String() + "?tls=false" + quick})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	silence() // so that the abandoned connection attempt ends now
}

// onMessage is a slog.Handler that signals ch (without blocking) for
// each record whose message is msg.
type onMessage struct {
	msg string
	ch  chan<- struct{}
}

func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }

func (h onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}

func (h onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h onMessage) WithGroup(string) slog.Handler      { return h }
