package eventlogtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
)

// nextHonoursItsContext: Next returns ctx.Err() when its context is done
// before an event comes (cancelled before the call, expiring during it,
// or cancelled from another goroutine), and a later Next resumes where
// the subscription stopped: no event is lost or delivered twice, even
// when the cancellation races with an append.
func (s *suite) nextHonoursItsContext(t *testing.T) {
	const races = 20
	h := s.fresh(t)
	stream := h.stream("next-ctx")
	events := newEvents("next-ctx", 2)
	h.mustAppend(stream, eventlog.NoStream, events...)
	sub := h.mustSubscribe(stream, eventlog.Start)
	assertEvents(t, stream, 0, events, h.mustNext(sub, 0, 2), "catching up")
	rev := eventlog.Revision(2) // the next revision to come

	cancelled, cancel := context.WithCancel(h.ctx)
	cancel()
	_, err := h.next(cancelled, sub)
	assert.ErrorIs(t, err, context.Canceled, "Next with a cancelled context and no event")

	expiring, cancel := context.WithTimeout(h.ctx, 20*time.Millisecond)
	defer cancel()
	_, err = h.next(expiring, sub)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "Next whose context expires while it waits")

	waiting, cancel := context.WithCancel(h.ctx)
	ch := h.goNext(waiting, sub)
	cancel()
	r := <-ch
	assert.ErrorIs(t, r.err, context.Canceled, "Next cancelled from another goroutine")

	// An event is waiting, the context is done: Next may return either,
	// but the event must not be lost.
	e := newEvent("waiting")
	h.mustAppend(stream, eventlog.Exact(rev-1), e)
	rec, err := h.next(cancelled, sub)
	if err != nil {
		assert.ErrorIs(t, err, context.Canceled, "Next with a cancelled context")
		rec = h.mustNext(sub, rev, 1)[0]
	}
	assertRecorded(t, stream, rev, e, rec, "the event that was waiting when Next was cancelled")
	rev++

	// A cancellation racing with an append: Next returns the event or
	// ctx.Err(), and in the second case the next Next returns the event.
	for round := range races {
		ctx, cancel := context.WithCancel(h.ctx)
		ch := h.goNext(ctx, sub)
		e := newEvent(fmt.Sprintf("race %d", round))
		appended := make(chan error, 1)
		go func() {
			_, err := h.append(h.ctx, stream, eventlog.Exact(rev-1), e)
			appended <- err
		}()
		cancel()
		r := <-ch
		require.NoError(t, <-appended, "round %d: append", round)
		if r.err != nil {
			require.ErrorIs(t, r.err, context.Canceled, "round %d: Next", round)
			r.rec = h.mustNext(sub, rev, 1)[0]
		}
		require.True(t, assertRecorded(t, stream, rev, e, r.rec, fmt.Sprintf("round %d", round)))
		rev++
	}
}

// doneContextChangesNothing: a call whose context is already done either
// works as usual or returns ctx.Err() having done nothing; it never does
// half of its work, and a subscription it sets up works.
func (s *suite) doneContextChangesNothing(t *testing.T) {
	h := s.fresh(t)
	stream := h.stream("done-ctx")
	events := newEvents("done-ctx", 4)
	h.mustAppend(stream, eventlog.NoStream, events[:2]...)
	done, cancel := context.WithCancel(h.ctx)
	cancel()

	want := events[:2]
	if _, err := h.append(done, stream, eventlog.Exact(1), events[2:]...); err != nil {
		assert.ErrorIs(t, err, context.Canceled, "Append with a cancelled context")
	} else {
		want = events
	}
	assertEvents(t, stream, 0, want, h.readAll(stream), "read after Append with a cancelled context")

	if recs, err := h.read(done, stream, eventlog.Start, eventlog.Forwards, 10); err != nil {
		assert.ErrorIs(t, err, context.Canceled, "Read with a cancelled context")
	} else {
		assertEvents(t, stream, 0, want, recs, "Read with a cancelled context")
	}

	if sub, err := h.subscribe(done, stream, eventlog.Start); err != nil {
		assert.ErrorIs(t, err, context.Canceled, "Subscribe with a cancelled context")
	} else {
		assertEvents(t, stream, 0, want, h.mustNext(sub, 0, len(want)), "a subscription set up with a cancelled context")
	}

	if d, ok := h.log.(eventlog.Deleter); ok {
		if err := h.delete(done, d, stream, eventlog.Any); err != nil {
			assert.ErrorIs(t, err, context.Canceled, "Delete with a cancelled context")
			assertEvents(t, stream, 0, want, h.readAll(stream), "read after Delete with a cancelled context")
		} else {
			_, err := h.read(h.ctx, stream, eventlog.Start, eventlog.Forwards, 10)
			assert.ErrorIs(t, err, eventlog.ErrStreamDeleted, "read after Delete with a cancelled context")
		}
	}
}

// subscriptionCloseEndsNext: Subscription.Close makes a Next waiting in
// another goroutine, and every later Next, return ErrClosed, even with
// events waiting; Close is idempotent; other subscriptions and the log go
// on.
func (s *suite) subscriptionCloseEndsNext(t *testing.T) {
	h := s.fresh(t)
	stream := h.stream("sub-close")
	events := newEvents("sub-close", 2)
	h.mustAppend(stream, eventlog.NoStream, events[0])
	sub := h.mustSubscribe(stream, eventlog.Start)
	other := h.mustSubscribe(stream, eventlog.Start)
	unread := h.mustSubscribe(stream, eventlog.Start)
	h.mustNext(sub, 0, 1)
	h.mustNext(other, 0, 1)

	ch := h.goNext(h.ctx, sub)
	require.NoError(t, h.closeSub(sub), "Close")
	assert.ErrorIs(t, (<-ch).err, eventlog.ErrClosed, "a Next waiting when its subscription closes")
	_, err := h.next(h.ctx, sub)
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Next after Close")
	assert.NoError(t, h.closeSub(sub), "a second Close")

	require.NoError(t, h.closeSub(unread), "Close")
	_, err = h.next(h.ctx, unread)
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Next after Close, with an event waiting")

	h.mustAppend(stream, eventlog.Exact(0), events[1])
	assertEvents(t, stream, 1, events[1:], h.mustNext(other, 1, 1), "another subscription to the stream")
	assertEvents(t, stream, 0, events, h.mustNext(h.mustSubscribe(stream, eventlog.Start), 0, 2), "a new subscription")
}

// logCloseEndsEverything: after Log.Close, a Next waiting in another
// goroutine and every later Next return ErrClosed, and so do Append,
// Read, Subscribe (and Delete); Close is idempotent, and closing the
// subscriptions of a closed log is fine.
func (s *suite) logCloseEndsEverything(t *testing.T) {
	h := s.fresh(t)
	stream := h.stream("log-close")
	h.mustAppend(stream, eventlog.NoStream, newEvents("log-close", 2)...)
	live := h.mustSubscribe(stream, eventlog.Start)
	h.mustNext(live, 0, 2)
	unread := h.mustSubscribe(stream, eventlog.Start)
	ch := h.goNext(h.ctx, live)

	require.NoError(t, h.closeLog(), "Close")
	assert.ErrorIs(t, (<-ch).err, eventlog.ErrClosed, "a Next waiting when the log closes")
	_, err := h.next(h.ctx, live)
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Next after the log closed")
	_, err = h.next(h.ctx, unread)
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Next after the log closed, with events waiting")

	_, err = h.append(h.ctx, stream, eventlog.Any, newEvent("after close"))
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Append after Close")
	_, err = h.append(h.ctx, h.stream("log-close-new"), eventlog.Any, newEvent("after close"))
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Append to a new stream after Close")
	_, err = h.read(h.ctx, stream, eventlog.Start, eventlog.Forwards, 10)
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Read after Close")
	_, err = h.read(h.ctx, stream, eventlog.End, eventlog.Backwards, 10)
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Read backwards after Close")
	_, err = h.subscribe(h.ctx, stream, eventlog.Start)
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Subscribe after Close")
	if d, ok := h.log.(eventlog.Deleter); ok {
		assert.ErrorIs(t, h.delete(h.ctx, d, stream, eventlog.Any), eventlog.ErrClosed, "Delete after Close")
	}

	assert.NoError(t, h.closeLog(), "a second Close")
	assert.NoError(t, h.closeSub(live), "Subscription.Close after the log closed")
	assert.NoError(t, h.closeSub(unread), "Subscription.Close after the log closed")
}
