package eventlogtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/eventlog"
)

// The watchdog. Every call the suite makes to a log gets a context that
// ends after watchdog; a call still running hangGrace after its context
// ended counts as hung. Either way the call's error names the case, so a
// log that hangs fails the case instead of stalling the test binary.
// (Variables only so that the package's own tests can shorten them.)
var (
	watchdog  = 30 * time.Second
	hangGrace = 5 * time.Second
)

// errWatchdog is the cause of a context the watchdog ended.
var errWatchdog = errors.New("eventlogtest watchdog expired")

// result is what a guarded call returns.
type result[T any] struct {
	v   T
	err error
}

// guard runs f under the watchdog, on its own goroutine, and waits for it:
// f gets a context that ends with ctx or after watchdog, whichever comes
// first. If f has not returned hangGrace after that context ended, guard
// returns an error saying that what hung in case name, and leaves f's
// goroutine behind (the case fails anyway). A panic in f is an error of
// that case, not the end of the test binary: the log's bug fails one
// case, saying where. guard never touches a testing.T, so it may run on
// any goroutine.
func guard[T any](ctx context.Context, name, what string, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, watchdog, errWatchdog)
	defer cancel()
	done := make(chan result[T], 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- result[T]{err: fmt.Errorf("%s: %s panicked: %v", name, what, v)}
			}
		}()
		v, err := f(ctx)
		done <- result[T]{v, err}
	}()
	var r result[T]
	select {
	case r = <-done:
	case <-ctx.Done():
		timer := time.NewTimer(hangGrace)
		defer timer.Stop()
		select {
		case r = <-done:
		case <-timer.C:
			var zero T
			return zero, fmt.Errorf("%s: %s hung: still running %v after its context ended (%v)",
				name, what, hangGrace, context.Cause(ctx))
		}
	}
	if r.err != nil && errors.Is(context.Cause(ctx), errWatchdog) {
		r.err = fmt.Errorf("%s: %s: no answer within the watchdog's %v: %w", name, what, watchdog, r.err)
	}
	return r.v, r.err
}

// A harness is one case's log, with the log's methods wrapped in the
// watchdog. The methods that take a ctx report errors and never touch the
// test, so goroutines may call them; the must… methods and the assertion
// helpers belong to the test's own goroutine.
type harness struct {
	t    *testing.T
	name string          // the case's full name, for the watchdog's messages
	log  eventlog.Log    // the log under test (or a WithPrefix view of it)
	ctx  context.Context // ends when the case does
}

// fresh asks newLog for a new log for t, and closes it when t ends.
func (s *suite) fresh(t *testing.T) *harness {
	t.Helper()
	log := s.newLog(t)
	require.NotNil(t, log, "newLog returned nil")
	h := &harness{t: t, name: t.Name(), log: log, ctx: t.Context()}
	t.Cleanup(func() {
		// Close is idempotent, so cases that closed the log already, and
		// newLog's own clean-up if it has one, are fine.
		assert.NoError(t, h.closeLog(), "Close at the end of the case")
	})
	return h
}

// with returns a harness for another view of the same log (WithPrefix).
// It adds no clean-up: closing the view closes the log, which the
// original harness does anyway.
func (h *harness) with(log eventlog.Log) *harness {
	c := *h
	c.log = log
	return &c
}

// stream returns a stream name no other case or run uses, so that the
// suite can run against a shared server: "eventlogtest-<label>-<uuid>".
func (h *harness) stream(label string) string {
	return "eventlogtest-" + label + "-" + uuid.NewString()
}

func (h *harness) append(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	return guard(ctx, h.name, "Append", func(ctx context.Context) (eventlog.AppendResult, error) {
		return h.log.Append(ctx, stream, expected, events...)
	})
}

func (h *harness) read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	return guard(ctx, h.name, "Read", func(ctx context.Context) ([]eventlog.Recorded, error) {
		return h.log.Read(ctx, stream, from, dir, max)
	})
}

// subscribe subscribes and, if that works, closes the subscription when
// the case ends. Unlike the other methods that take a ctx, it registers a
// clean-up, so it belongs to the test's goroutine.
func (h *harness) subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	sub, err := guard(ctx, h.name, "Subscribe", func(ctx context.Context) (eventlog.Subscription, error) {
		return h.log.Subscribe(ctx, stream, from)
	})
	if err == nil && sub != nil {
		h.t.Cleanup(func() {
			assert.NoError(h.t, h.closeSub(sub), "Subscription.Close at the end of the case")
		})
	}
	return sub, err
}

func (h *harness) next(ctx context.Context, sub eventlog.Subscription) (eventlog.Recorded, error) {
	return guard(ctx, h.name, "Next", sub.Next)
}

func (h *harness) delete(ctx context.Context, d eventlog.Deleter, stream string, expected eventlog.Expected) error {
	_, err := guard(ctx, h.name, "Delete", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, d.Delete(ctx, stream, expected)
	})
	return err
}

// closeLog and closeSub call Close under the watchdog; Close takes no
// context, so only the hang check applies.
func (h *harness) closeLog() error { return h.closeWith("Log.Close", h.log.Close) }

func (h *harness) closeSub(sub eventlog.Subscription) error {
	return h.closeWith("Subscription.Close", sub.Close)
}

func (h *harness) closeWith(what string, close func() error) error {
	_, err := guard(context.Background(), h.name, what, func(context.Context) (struct{}, error) {
		return struct{}{}, close()
	})
	return err
}

// A nextResult is what a Next on another goroutine returned.
type nextResult struct {
	rec eventlog.Recorded
	err error
}

// goNext calls Next on a goroutine of its own and hands its result over
// on the returned channel, which always gets one within the watchdog's
// limits. When the case ends, the subscription is closed and the
// goroutine joined.
func (h *harness) goNext(ctx context.Context, sub eventlog.Subscription) <-chan nextResult {
	ch := make(chan nextResult, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rec, err := h.next(ctx, sub)
		ch <- nextResult{rec, err}
	}()
	h.t.Cleanup(func() {
		_ = h.closeSub(sub)
		<-done
	})
	return ch
}

// group returns an errgroup for the case's goroutines, and a context that
// ends when one of them fails; the group is cancelled and joined when the
// case ends, even if it ends early.
func (h *harness) group() (*errgroup.Group, context.Context) {
	ctx, cancel := context.WithCancel(h.ctx)
	g, ctx := errgroup.WithContext(ctx)
	h.t.Cleanup(func() {
		cancel()
		_ = g.Wait()
	})
	return g, ctx
}

func (h *harness) mustAppend(stream string, expected eventlog.Expected, events ...eventlog.Event) eventlog.AppendResult {
	h.t.Helper()
	res, err := h.append(h.ctx, stream, expected, events...)
	require.NoError(h.t, err, "append %d events to %q expecting %v", len(events), stream, expected)
	return res
}

func (h *harness) mustRead(stream string, from eventlog.Revision, dir eventlog.Direction, max int) []eventlog.Recorded {
	h.t.Helper()
	recs, err := h.read(h.ctx, stream, from, dir, max)
	require.NoError(h.t, err, "read %q %v from %v, max %d", stream, dir, from, max)
	// Every page is one the readers of eventchain accept; readAll's loop,
	// like theirs, would otherwise spin on a log that ignores from.
	require.NoError(h.t, eventlog.CheckPage(stream, from, dir, max, recs))
	return recs
}

// readPage is the max of readAll's reads, small enough that the long
// streams of the suite take several pages.
const readPage = 64

// readAll reads the whole stream forwards, a page at a time.
func (h *harness) readAll(stream string) []eventlog.Recorded {
	h.t.Helper()
	var all []eventlog.Recorded
	for {
		page := h.mustRead(stream, eventlog.Revision(len(all)), eventlog.Forwards, readPage)
		all = append(all, page...)
		if len(page) < readPage {
			return all
		}
	}
}

func (h *harness) mustSubscribe(stream string, from eventlog.Revision) eventlog.Subscription {
	h.t.Helper()
	sub, err := h.subscribe(h.ctx, stream, from)
	require.NoError(h.t, err, "subscribe to %q from %v", stream, from)
	require.NotNil(h.t, sub, "Subscribe returned no subscription and no error")
	return sub
}

// nextN returns the next n events of sub, which must have the revisions
// first, first+1, …: it stops at the first error, or at the first event
// out of place (so that a log that skips or repeats an event fails at
// once, not when the watchdog gives up waiting for one more), and returns
// what it got with the error.
func (h *harness) nextN(ctx context.Context, sub eventlog.Subscription, first eventlog.Revision, n int) ([]eventlog.Recorded, error) {
	recs := make([]eventlog.Recorded, 0, n)
	for i := range n {
		rec, err := h.next(ctx, sub)
		if err != nil {
			return recs, fmt.Errorf("Next: event %d of %d: %w", i+1, n, err)
		}
		recs = append(recs, rec)
		if want := first + eventlog.Revision(i); rec.Revision != want {
			return recs, fmt.Errorf("Next: event %d of %d: have revision %v, want %v", i+1, n, rec.Revision, want)
		}
	}
	return recs, nil
}

// mustNext returns the next n events of sub, from revision first on.
func (h *harness) mustNext(sub eventlog.Subscription, first eventlog.Revision, n int) []eventlog.Recorded {
	h.t.Helper()
	recs, err := h.nextN(h.ctx, sub, first, n)
	require.NoError(h.t, err, "delivered before the error: %v", revisionsOf(recs))
	return recs
}

// requireNotFound checks that stream has no events.
func (h *harness) requireNotFound(stream string, why string) {
	h.t.Helper()
	_, err := h.read(h.ctx, stream, eventlog.Start, eventlog.Forwards, 10)
	require.ErrorIs(h.t, err, eventlog.ErrStreamNotFound, "%s: the stream must have no events", why)
}

// newEvents returns n events with fresh IDs, each with JSON data naming
// label and its index, and JSON metadata on every other one (so that both
// kinds are checked).
func newEvents(label string, n int) []eventlog.Event {
	events := make([]eventlog.Event, n)
	for i := range events {
		data, _ := json.Marshal(map[string]any{"label": label, "i": i})
		e := eventlog.Event{ID: uuid.New(), Type: "TestEvent", Data: data}
		if i%2 == 1 {
			e.Metadata = []byte(`{"by":"eventlogtest"}`)
		}
		events[i] = e
	}
	return events
}

// newEvent returns one event like newEvents.
func newEvent(label string) eventlog.Event { return newEvents(label, 1)[0] }

// assertRecorded checks that got is want as recorded in stream at rev.
func assertRecorded(t *testing.T, stream string, rev eventlog.Revision, want eventlog.Event, got eventlog.Recorded, where string) bool {
	t.Helper()
	ok := assert.Equal(t, stream, got.Stream, "%s: Recorded.Stream must be the name as given", where)
	ok = assert.Equal(t, rev, got.Revision, "%s: Recorded.Revision", where) && ok
	ok = assert.Equal(t, want.ID.String(), got.ID.String(), "%s: Recorded.ID", where) && ok
	ok = assert.Equal(t, want.Type, got.Type, "%s: Recorded.Type", where) && ok
	ok = assert.Equal(t, string(want.Data), string(got.Data), "%s: Recorded.Data", where) && ok
	if len(want.Metadata) == 0 {
		ok = assert.Nil(t, got.Metadata, "%s: empty metadata must come back nil", where) && ok
	} else {
		ok = assert.Equal(t, string(want.Metadata), string(got.Metadata), "%s: Recorded.Metadata", where) && ok
	}
	ok = assert.False(t, got.Time.IsZero(), "%s: Recorded.Time must be set", where) && ok
	ok = assert.Equal(t, time.UTC, got.Time.Location(), "%s: Recorded.Time must be UTC", where) && ok
	// A day either way allows for a server whose clock is off, and still
	// catches a time in the wrong unit or from the wrong epoch.
	ok = assert.WithinDuration(t, time.Now(), got.Time, 24*time.Hour, "%s: Recorded.Time must be about now", where) && ok
	return ok
}

// assertEvents checks that got is want recorded in stream from revision
// first on, in order, with nothing missing or extra.
func assertEvents(t *testing.T, stream string, first eventlog.Revision, want []eventlog.Event, got []eventlog.Recorded, what string) {
	t.Helper()
	if !assert.Equal(t, idsOfEvents(want), idsOfRecorded(got), "%s: the IDs, in order", what) {
		return
	}
	for i := range want {
		if !assertRecorded(t, stream, first+eventlog.Revision(i), want[i], got[i], fmt.Sprintf("%s: event %d", what, i)) {
			return
		}
	}
}

func idsOfEvents(events []eventlog.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID.String()
	}
	return ids
}

func idsOfRecorded(recs []eventlog.Recorded) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID.String()
	}
	return ids
}

func revisionsOf(recs []eventlog.Recorded) []eventlog.Revision {
	revs := make([]eventlog.Revision, len(recs))
	for i, r := range recs {
		revs[i] = r.Revision
	}
	return revs
}

// span returns the revisions from first to last, both included.
func span(first, last eventlog.Revision) []eventlog.Revision {
	revs := []eventlog.Revision{}
	for r := first; r <= last; r++ {
		revs = append(revs, r)
	}
	return revs
}

// assertWrongExpected checks that err is a *WrongExpectedRevisionError for
// stream with both states as given.
func assertWrongExpected(t *testing.T, err error, stream string, expected, actual eventlog.Expected, what string) {
	t.Helper()
	if !assert.ErrorIs(t, err, eventlog.ErrWrongExpectedRevision, what) {
		return
	}
	var wrong *eventlog.WrongExpectedRevisionError
	if !assert.ErrorAs(t, err, &wrong, "%s: the error must be a *eventlog.WrongExpectedRevisionError", what) {
		return
	}
	assert.Equal(t, stream, wrong.Stream, "%s: WrongExpectedRevisionError.Stream", what)
	assert.Equal(t, expected, wrong.Expected, "%s: WrongExpectedRevisionError.Expected: have %v, want %v", what, wrong.Expected, expected)
	assert.Equal(t, actual, wrong.Actual, "%s: WrongExpectedRevisionError.Actual: have %v, want %v", what, wrong.Actual, actual)
}

// actualAfter is the Actual of a stream with n events.
func actualAfter(n int) eventlog.Expected {
	if n == 0 {
		return eventlog.NoStream
	}
	return eventlog.Exact(eventlog.Revision(n - 1))
}
