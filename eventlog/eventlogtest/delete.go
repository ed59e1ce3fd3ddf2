package eventlogtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
)

// deleter returns a fresh log that is an eventlog.Deleter, or skips t.
func (s *suite) deleter(t *testing.T) (*harness, eventlog.Deleter) {
	t.Helper()
	h := s.fresh(t)
	d, ok := h.log.(eventlog.Deleter)
	if !ok {
		t.Skipf("%T does not implement eventlog.Deleter, an optional capability: nothing to check", h.log)
	}
	return h, d
}

// requireDeleter skips t, a table of cases, if newLog's logs are not
// Deleters, so that the table skips once and not row by row.
func (s *suite) requireDeleter(t *testing.T) {
	t.Helper()
	s.deleter(t)
}

// deleteChecksExpectation: Delete deletes a stream only if it is in the
// state expected says, like Append, a new stream included; otherwise it
// fails with a *WrongExpectedRevisionError and the stream is untouched.
func (s *suite) deleteChecksExpectation(t *testing.T) {
	s.requireDeleter(t)
	for _, tc := range []struct {
		name     string
		prior    int
		expected eventlog.Expected
		ok       bool
	}{
		{"AnyOnStreamWithEvents", 3, eventlog.Any, true},
		{"StreamExistsOnStreamWithEvents", 3, eventlog.StreamExists, true},
		{"ExactLastRevision", 3, eventlog.Exact(2), true},
		{"NoStreamOnNewStream", 0, eventlog.NoStream, true},
		{"AnyOnNewStream", 0, eventlog.Any, true},
		{"ExactBehindLastRevision", 3, eventlog.Exact(0), false},
		{"ExactAheadOfLastRevision", 3, eventlog.Exact(5), false},
		{"NoStreamOnStreamWithEvents", 3, eventlog.NoStream, false},
		{"StreamExistsOnNewStream", 0, eventlog.StreamExists, false},
		{"ExactZeroOnNewStream", 0, eventlog.Exact(0), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, d := s.deleter(t)
			stream := h.stream("delete-expect")
			prior := newEvents("prior", tc.prior)
			if len(prior) > 0 {
				h.mustAppend(stream, eventlog.NoStream, prior...)
			}
			err := h.delete(h.ctx, d, stream, tc.expected)
			if tc.ok {
				require.NoError(t, err, "Delete expecting %v", tc.expected)
				_, err := h.read(h.ctx, stream, eventlog.Start, eventlog.Forwards, 10)
				assert.ErrorIs(t, err, eventlog.ErrStreamDeleted, "Read after Delete")
				return
			}
			assertWrongExpected(t, err, stream, tc.expected, actualAfter(tc.prior), "Delete expecting "+tc.expected.String())
			if len(prior) == 0 {
				h.requireNotFound(stream, "after a refused Delete")
			} else {
				assertEvents(t, stream, 0, prior, h.readAll(stream), "after a refused Delete")
			}
			// And the stream still takes appends.
			h.mustAppend(stream, actualAfter(tc.prior), newEvent("after"))
		})
	}
}

// deletedStreamRefusesEverything: after Delete, the stream refuses
// appends (whatever they expect, retries of old appends included), reads,
// subscriptions and a second Delete with ErrStreamDeleted, for ever; other
// streams are untouched; invalid names are refused with ErrInvalid.
func (s *suite) deletedStreamRefusesEverything(t *testing.T) {
	h, d := s.deleter(t)
	stream, other := h.stream("deleted"), h.stream("deleted-other")
	events := newEvents("deleted", 3)
	h.mustAppend(stream, eventlog.NoStream, events...)
	kept := newEvents("kept", 1)
	h.mustAppend(other, eventlog.NoStream, kept...)

	assert.ErrorIs(t, h.delete(h.ctx, d, "", eventlog.Any), eventlog.ErrInvalid, "Delete of an empty name")
	assert.ErrorIs(t, h.delete(h.ctx, d, "$"+stream, eventlog.Any), eventlog.ErrInvalid, "Delete of a name starting with $")
	require.NoError(t, h.delete(h.ctx, d, stream, eventlog.Exact(2)), "Delete")

	for _, expected := range []eventlog.Expected{eventlog.Any, eventlog.NoStream, eventlog.StreamExists, eventlog.Exact(2), eventlog.Exact(3)} {
		_, err := h.append(h.ctx, stream, expected, newEvent("after delete"))
		assert.ErrorIs(t, err, eventlog.ErrStreamDeleted, "Append expecting %v after Delete", expected)
	}
	_, err := h.append(h.ctx, stream, eventlog.NoStream, events...)
	assert.ErrorIs(t, err, eventlog.ErrStreamDeleted, "a retry of the first append after Delete")
	for _, r := range []struct {
		from eventlog.Revision
		dir  eventlog.Direction
	}{{eventlog.Start, eventlog.Forwards}, {eventlog.End, eventlog.Backwards}, {1, eventlog.Forwards}} {
		_, err := h.read(h.ctx, stream, r.from, r.dir, 10)
		assert.ErrorIs(t, err, eventlog.ErrStreamDeleted, "Read %v from %v after Delete", r.dir, r.from)
	}
	for _, from := range []eventlog.Revision{eventlog.Start, 2, eventlog.End} {
		_, err := h.subscribe(h.ctx, stream, from)
		assert.ErrorIs(t, err, eventlog.ErrStreamDeleted, "Subscribe from %v after Delete", from)
	}
	for _, expected := range []eventlog.Expected{eventlog.Any, eventlog.Exact(2)} {
		assert.ErrorIs(t, h.delete(h.ctx, d, stream, expected), eventlog.ErrStreamDeleted, "Delete expecting %v after Delete", expected)
	}
	assertEvents(t, other, 0, kept, h.readAll(other), "another stream")
}

// deleteEndsSubscriptions: deleting a stream ends its subscriptions: a
// Next waiting in another goroutine returns ErrStreamDeleted; one that
// has not caught up may deliver some of the stream's events first, in
// order, and then returns ErrStreamDeleted too. Subscriptions to other
// streams go on.
func (s *suite) deleteEndsSubscriptions(t *testing.T) {
	h, d := s.deleter(t)
	stream, other := h.stream("delete-sub"), h.stream("delete-sub-other")
	events := newEvents("delete-sub", 2)
	h.mustAppend(stream, eventlog.NoStream, events...)
	live := h.mustSubscribe(stream, eventlog.Start)
	h.mustNext(live, 0, 2)
	behind := h.mustSubscribe(stream, eventlog.Start)
	otherSub := h.mustSubscribe(other, eventlog.Start)
	ch := h.goNext(h.ctx, live)

	require.NoError(t, h.delete(h.ctx, d, stream, eventlog.Any), "Delete")
	assert.ErrorIs(t, (<-ch).err, eventlog.ErrStreamDeleted, "a Next waiting when its stream is deleted")

	var delivered []eventlog.Recorded
	for range len(events) + 1 {
		rec, err := h.next(h.ctx, behind)
		if err != nil {
			assert.ErrorIs(t, err, eventlog.ErrStreamDeleted, "Next of a subscription behind when its stream is deleted")
			break
		}
		delivered = append(delivered, rec)
	}
	require.LessOrEqual(t, len(delivered), len(events), "a subscription behind delivers at most the events the stream had")
	assertEvents(t, stream, 0, events[:len(delivered)], delivered, "what a subscription behind delivers before the end")

	kept := newEvents("kept", 1)
	h.mustAppend(other, eventlog.NoStream, kept...)
	assertEvents(t, other, 0, kept, h.mustNext(otherSub, 0, 1), "a subscription to another stream")
	assert.NoError(t, h.closeSub(live), "Close of a subscription ended by Delete")
	assert.NoError(t, h.closeSub(behind), "Close of a subscription ended by Delete")
}
