package eventlogtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
)

// readWindows: Read returns up to max events from a revision, forwards or
// backwards, the from revision included. Forwards from past the end gives
// no events and no error; backwards from End, or from past the end,
// starts at the last event.
func (s *suite) readWindows(t *testing.T) {
	const n = 10 // events in the stream: revisions 0…9
	revs := func(rs ...eventlog.Revision) []eventlog.Revision { return append([]eventlog.Revision{}, rs...) }
	for _, tc := range []struct {
		name string
		from eventlog.Revision
		dir  eventlog.Direction
		max  int
		want []eventlog.Revision
	}{
		{"ForwardsFromStartAll", eventlog.Start, eventlog.Forwards, 100, revs(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)},
		{"ForwardsFromStartMaxExact", eventlog.Start, eventlog.Forwards, n, revs(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)},
		{"ForwardsFromStartMaxOne", eventlog.Start, eventlog.Forwards, 1, revs(0)},
		{"ForwardsFromStartMaxThree", eventlog.Start, eventlog.Forwards, 3, revs(0, 1, 2)},
		{"ForwardsFromMiddle", 4, eventlog.Forwards, 3, revs(4, 5, 6)},
		{"ForwardsMaxOverRest", 8, eventlog.Forwards, 5, revs(8, 9)},
		{"ForwardsFromLast", 9, eventlog.Forwards, 5, revs(9)},
		{"ForwardsJustPastEnd", 10, eventlog.Forwards, 5, revs()},
		{"ForwardsFarPastEnd", 1000, eventlog.Forwards, 5, revs()},
		{"ForwardsFromEnd", eventlog.End, eventlog.Forwards, 5, revs()},
		// The largest revision EventStoreDB takes, and the smallest past it.
		{"ForwardsFromMaxInt64", math.MaxInt64, eventlog.Forwards, 5, revs()},
		{"ForwardsFromPastMaxInt64", math.MaxInt64 + 1, eventlog.Forwards, 5, revs()},
		{"BackwardsFromEndAll", eventlog.End, eventlog.Backwards, 100, revs(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)},
		{"BackwardsFromEndMaxThree", eventlog.End, eventlog.Backwards, 3, revs(9, 8, 7)},
		{"BackwardsFromEndMaxOne", eventlog.End, eventlog.Backwards, 1, revs(9)},
		{"BackwardsFromMiddle", 5, eventlog.Backwards, 3, revs(5, 4, 3)},
		{"BackwardsMaxOverRest", 1, eventlog.Backwards, 5, revs(1, 0)},
		{"BackwardsFromStart", eventlog.Start, eventlog.Backwards, 5, revs(0)},
		{"BackwardsFromLast", 9, eventlog.Backwards, 2, revs(9, 8)},
		{"BackwardsJustPastEnd", 10, eventlog.Backwards, 2, revs(9, 8)},
		{"BackwardsFarPastEnd", 1000, eventlog.Backwards, 2, revs(9, 8)},
		{"BackwardsFromMaxInt64", math.MaxInt64, eventlog.Backwards, 2, revs(9, 8)},
		{"BackwardsFromPastMaxInt64", math.MaxInt64 + 1, eventlog.Backwards, 2, revs(9, 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.fresh(t)
			stream := h.stream("window")
			events := newEvents("window", n)
			h.mustAppend(stream, eventlog.NoStream, events[:4]...)
			h.mustAppend(stream, eventlog.Exact(3), events[4:]...)

			recs := h.mustRead(stream, tc.from, tc.dir, tc.max)
			require.Equal(t, tc.want, revisionsOf(recs), "revisions read %v from %v, max %d", tc.dir, tc.from, tc.max)
			for i, rec := range recs {
				assertRecorded(t, stream, rec.Revision, events[rec.Revision], rec, fmt.Sprintf("event %d read", i))
			}
		})
	}
}

// recordedFieldsRoundTrip: a Recorded event carries the stream name as
// given, its revision, and the event's ID, Type, Data and Metadata as
// appended (empty metadata as nil), with a Time that is set and UTC; Read
// in either direction and a subscription agree on all of it.
func (s *suite) recordedFieldsRoundTrip(t *testing.T) {
	h := s.fresh(t)
	stream := h.stream("fields")
	events := newEvents("fields", 4)
	events[2].Type = "Other.Type-2"
	events[2].Data = []byte(`[1,"two",{"three":3.5},null,true]`)
	events[3].Data = []byte(`"just a string: ü ✓"`)
	events[3].Metadata = []byte(`{"nested":{"a":[1,2]},"unicode":"流"}`)
	h.mustAppend(stream, eventlog.NoStream, events...)

	forwards := h.mustRead(stream, eventlog.Start, eventlog.Forwards, 10)
	assertEvents(t, stream, 0, events, forwards, "read forwards")
	backwards := h.mustRead(stream, eventlog.End, eventlog.Backwards, 10)
	require.Len(t, backwards, len(events), "read backwards")
	sub := h.mustSubscribe(stream, eventlog.Start)
	delivered := h.mustNext(sub, 0, len(events))
	assertEvents(t, stream, 0, events, delivered, "subscription from Start")
	for i := range forwards {
		b := backwards[len(backwards)-1-i]
		assertRecorded(t, stream, eventlog.Revision(i), events[i], b, fmt.Sprintf("event %d read backwards", i))
		assert.True(t, forwards[i].Time.Equal(b.Time), "event %d: Time read forwards %v, backwards %v", i, forwards[i].Time, b.Time)
		assert.True(t, forwards[i].Time.Equal(delivered[i].Time), "event %d: Time read %v, delivered %v", i, forwards[i].Time, delivered[i].Time)
	}
}

// readOfMissingStreamIsNotFound: reading a stream that has no events gives
// ErrStreamNotFound, in either direction and from any revision, and
// neither a refused append nor a subscription creates the stream.
func (s *suite) readOfMissingStreamIsNotFound(t *testing.T) {
	h := s.fresh(t)
	stream := h.stream("missing")
	check := func(why string) {
		t.Helper()
		for _, r := range []struct {
			from eventlog.Revision
			dir  eventlog.Direction
		}{
			{eventlog.Start, eventlog.Forwards},
			{5, eventlog.Forwards},
			{eventlog.End, eventlog.Backwards},
			{eventlog.Start, eventlog.Backwards},
		} {
			recs, err := h.read(h.ctx, stream, r.from, r.dir, 10)
			assert.ErrorIs(t, err, eventlog.ErrStreamNotFound, "%s: read %v from %v", why, r.dir, r.from)
			assert.Empty(t, recs, "%s: read %v from %v", why, r.dir, r.from)
		}
	}
	check("never written")

	_, err := h.append(h.ctx, stream, eventlog.StreamExists, newEvent("refused"))
	require.ErrorIs(t, err, eventlog.ErrWrongExpectedRevision)
	_, err = h.append(h.ctx, stream, eventlog.Exact(3), newEvent("refused"))
	require.ErrorIs(t, err, eventlog.ErrWrongExpectedRevision)
	check("after refused appends")

	h.mustSubscribe(stream, eventlog.Start)
	h.mustSubscribe(stream, eventlog.End)
	check("after subscribing")
}

// streamsAreSeparate: every stream numbers its own events from 0, and
// reads and subscriptions of one stream never see another's events.
func (s *suite) streamsAreSeparate(t *testing.T) {
	h := s.fresh(t)
	a, b := h.stream("separate-a"), h.stream("separate-b")
	subA := h.mustSubscribe(a, eventlog.Start)
	subB := h.mustSubscribe(b, eventlog.Start)
	var wantA, wantB []eventlog.Event
	for i := range 4 {
		ea, eb := newEvents("a", i+1), newEvents("b", 1)
		resA := h.mustAppend(a, eventlog.Any, ea...)
		resB := h.mustAppend(b, eventlog.Any, eb...)
		wantA, wantB = append(wantA, ea...), append(wantB, eb...)
		assert.Equal(t, eventlog.Revision(len(wantA)-1), resA.NextExpected, "stream a, append %d", i)
		assert.Equal(t, eventlog.Revision(len(wantB)-1), resB.NextExpected, "stream b, append %d", i)
	}
	assertEvents(t, a, 0, wantA, h.readAll(a), "read a")
	assertEvents(t, b, 0, wantB, h.readAll(b), "read b")
	assertEvents(t, a, 0, wantA, h.mustNext(subA, 0, len(wantA)), "subscription to a")
	assertEvents(t, b, 0, wantB, h.mustNext(subB, 0, len(wantB)), "subscription to b")
}
