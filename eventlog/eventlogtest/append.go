package eventlogtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
)

// revisionsFollowAppendOrder: a stream's events get revisions 0, 1, 2, …
// in the order they were appended, across appends of one event and of
// batches, and each append's NextExpected is the revision of its last
// event.
func (s *suite) revisionsFollowAppendOrder(t *testing.T) {
	h := s.fresh(t)
	stream := h.stream("order")
	var all []eventlog.Event
	for i, n := range []int{1, 3, 1, 5, 2, 1} {
		events := newEvents(fmt.Sprintf("batch %d", i), n)
		// Any expectation that holds will do; use each kind.
		expected := eventlog.NoStream
		switch {
		case i == 0:
		case i%3 == 1:
			expected = eventlog.Exact(eventlog.Revision(len(all) - 1))
		case i%3 == 2:
			expected = eventlog.StreamExists
		default:
			expected = eventlog.Any
		}
		res := h.mustAppend(stream, expected, events...)
		all = append(all, events...)
		assert.Equal(t, eventlog.Revision(len(all)-1), res.NextExpected, "batch %d of %d events: NextExpected", i, n)
	}
	assertEvents(t, stream, 0, all, h.readAll(stream), "read forwards")
}

// expectationsThatHoldAppend: an append succeeds when its stream is in the
// state it expects, and NextExpected is the revision of its last event.
func (s *suite) expectationsThatHoldAppend(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prior    int // events in the stream before
		expected eventlog.Expected
	}{
		{"AnyOnNewStream", 0, eventlog.Any},
		{"AnyOnStreamWithEvents", 3, eventlog.Any},
		{"NoStreamOnNewStream", 0, eventlog.NoStream},
		{"StreamExistsOnStreamWithEvents", 3, eventlog.StreamExists},
		{"ExactLastRevision", 3, eventlog.Exact(2)},
		{"ExactZeroOnOneEvent", 1, eventlog.Exact(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.fresh(t)
			stream := h.stream("holds")
			prior := newEvents("prior", tc.prior)
			if len(prior) > 0 {
				h.mustAppend(stream, eventlog.NoStream, prior...)
			}
			events := newEvents("appended", 2)
			res := h.mustAppend(stream, tc.expected, events...)
			assert.Equal(t, eventlog.Revision(tc.prior+1), res.NextExpected, "NextExpected")
			assertEvents(t, stream, 0, append(prior, events...), h.readAll(stream), "read back")
		})
	}
}

// expectationsThatFailChangeNothing: an append whose stream is not in the
// state it expects fails with a *WrongExpectedRevisionError that names
// the stream, the expectation, and the actual state (NoStream for an
// empty stream, else Exact(last revision)), and writes nothing.
func (s *suite) expectationsThatFailChangeNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prior    int
		expected eventlog.Expected
	}{
		{"NoStreamOnStreamWithEvents", 3, eventlog.NoStream},
		{"StreamExistsOnNewStream", 0, eventlog.StreamExists},
		{"ExactZeroOnNewStream", 0, eventlog.Exact(0)},
		{"ExactBehindLastRevision", 3, eventlog.Exact(1)},
		{"ExactZeroBehindLastRevision", 3, eventlog.Exact(0)},
		{"ExactOneAheadOfLastRevision", 3, eventlog.Exact(3)},
		{"ExactFarAheadOfLastRevision", 3, eventlog.Exact(1000)},
		{"ExactBeyondMaxInt64", 3, eventlog.Exact(eventlog.End)},
		{"ExactBeyondMaxInt64OnNewStream", 0, eventlog.Exact(eventlog.End)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.fresh(t)
			stream := h.stream("fails")
			prior := newEvents("prior", tc.prior)
			if len(prior) > 0 {
				h.mustAppend(stream, eventlog.NoStream, prior...)
			}
			_, err := h.append(h.ctx, stream, tc.expected, newEvents("refused", 2)...)
			assertWrongExpected(t, err, stream, tc.expected, actualAfter(tc.prior), "append expecting "+tc.expected.String())
			if tc.prior == 0 {
				h.requireNotFound(stream, "after a refused append")
			} else {
				assertEvents(t, stream, 0, prior, h.readAll(stream), "after a refused append")
			}
		})
	}
}

// reappendWithExactIsANoOp: appending the same event IDs again with the
// same Exact or NoStream expectation writes nothing and returns the first
// append's result, whether right after the first append or after other
// events followed it: the log compares the IDs at the position the
// expectation names, so this is guaranteed however long ago the first
// append was. A subscription sees each event once.
func (s *suite) reappendWithExactIsANoOp(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prior    int
		expected eventlog.Expected
		later    int // events appended between the two appends
	}{
		{"NoStream", 0, eventlog.NoStream, 0},
		{"Exact", 2, eventlog.Exact(1), 0},
		{"NoStreamAfterLaterEvents", 0, eventlog.NoStream, 2},
		{"ExactAfterLaterEvents", 2, eventlog.Exact(1), 2},
		{"ExactAfterManyLaterEvents", 2, eventlog.Exact(1), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.fresh(t)
			stream := h.stream("reappend")
			sub := h.mustSubscribe(stream, eventlog.Start)
			prior, batch, first, later := h.appendAround(stream, tc.prior, tc.expected, tc.later)

			again, err := h.append(h.ctx, stream, tc.expected, batch...)
			require.NoError(t, err, "the same IDs at the same position again, expecting %v, must be a no-op", tc.expected)
			assert.Equal(t, first, again, "a re-append expecting %v returns the first append's result", tc.expected)

			all := slices.Concat(prior, batch, later)
			assertEvents(t, stream, 0, all, h.readAll(stream), "read after the re-append")
			h.assertGoesOn(stream, sub, all)
		})
	}
}

// reappendWithAnyIsANoOpOrStoredAgain: appending the same event IDs again
// with Any or StreamExists is best effort, as in EventStoreDB: a log that
// still remembers the IDs writes nothing and returns the first append's
// result; one that has forgotten them appends the batch again, whole and
// in order, after the stream's last event, and returns the revision of
// its last event. Nothing else: not part of the batch, not an error, not
// another answer. A subscription sees each stored event once.
func (s *suite) reappendWithAnyIsANoOpOrStoredAgain(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prior    int
		expected eventlog.Expected
		later    int // events appended between the two appends
	}{
		{"AnyOnNewStream", 0, eventlog.Any, 0},
		{"AnyOnStreamWithEvents", 2, eventlog.Any, 0},
		{"StreamExists", 2, eventlog.StreamExists, 0},
		{"AnyAfterLaterEvents", 2, eventlog.Any, 2},
		{"StreamExistsAfterLaterEvents", 2, eventlog.StreamExists, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.fresh(t)
			stream := h.stream("reappend-any")
			sub := h.mustSubscribe(stream, eventlog.Start)
			prior, batch, first, later := h.appendAround(stream, tc.prior, tc.expected, tc.later)

			again, err := h.append(h.ctx, stream, tc.expected, batch...)
			require.NoError(t, err, "the same IDs again, expecting %v, must be a no-op or store them again, not fail", tc.expected)
			all := slices.Concat(prior, batch, later)
			recs := h.readAll(stream)
			if len(recs) == len(all) {
				t.Logf("the log remembered the IDs: the re-append was a no-op")
				assertEvents(t, stream, 0, all, recs, "read after a re-append that wrote nothing")
				assert.Equal(t, first, again, "a re-append expecting %v that writes nothing returns the first append's result", tc.expected)
			} else {
				t.Logf("the log forgot the IDs: the re-append stored the batch again")
				all = append(all, batch...)
				assertEvents(t, stream, 0, all, recs, "read after a re-append that wrote something: it must have stored the whole batch again, in order, after the stream's last event")
				assert.Equal(t, eventlog.Revision(len(all)-1), again.NextExpected, "a re-append expecting %v that stores the batch again returns the revision of its last event", tc.expected)
			}
			h.assertGoesOn(stream, sub, all)
		})
	}
}

// appendPriorAndBatch sets the scene of a re-append with other IDs:
// prior events appended with NoStream, then a batch of batchLen with
// expected. It returns the batch and every event the stream holds.
func (h *harness) appendPriorAndBatch(stream string, prior int, expected eventlog.Expected, batchLen int) (batch, all []eventlog.Event) {
	h.t.Helper()
	priorEvs := newEvents("prior", prior)
	if len(priorEvs) > 0 {
		h.mustAppend(stream, eventlog.NoStream, priorEvs...)
	}
	batch = newEvents("batch", batchLen)
	h.mustAppend(stream, expected, batch...)
	return batch, slices.Concat(priorEvs, batch)
}

// appendAround sets the scene of a re-append: prior events appended with
// NoStream, then the batch of three with expected (the append to repeat),
// then later events after it, fifty at a time.
func (h *harness) appendAround(stream string, prior int, expected eventlog.Expected, later int) (priorEvs, batch []eventlog.Event, first eventlog.AppendResult, laterEvs []eventlog.Event) {
	h.t.Helper()
	priorEvs = newEvents("prior", prior)
	if len(priorEvs) > 0 {
		h.mustAppend(stream, eventlog.NoStream, priorEvs...)
	}
	batch = newEvents("batch", 3)
	first = h.mustAppend(stream, expected, batch...)
	require.Equal(h.t, eventlog.Revision(prior+2), first.NextExpected, "first append: NextExpected")
	laterEvs = newEvents("later", later)
	for i := 0; i < len(laterEvs); i += 50 {
		h.mustAppend(stream, eventlog.Exact(first.NextExpected+eventlog.Revision(i)), laterEvs[i:min(i+50, len(laterEvs))]...)
	}
	return priorEvs, batch, first, laterEvs
}

// assertGoesOn checks that stream, which holds all, goes on from its last
// event with an append expecting it, and that sub, a subscription from
// Start, delivers every event once.
func (h *harness) assertGoesOn(stream string, sub eventlog.Subscription, all []eventlog.Event) {
	h.t.Helper()
	marker := newEvent("marker")
	res := h.mustAppend(stream, eventlog.Exact(eventlog.Revision(len(all)-1)), marker)
	assert.Equal(h.t, eventlog.Revision(len(all)), res.NextExpected, "NextExpected of an append after the re-append")
	all = append(all, marker)
	assertEvents(h.t, stream, 0, all, h.mustNext(sub, 0, len(all)), "subscription from Start")
}

// reappendWithExactAndOtherIDsFails: a batch that starts like an earlier
// append with Exact or NoStream, at the same position, but then differs
// is not a re-append: it fails with a *WrongExpectedRevisionError, and
// the stream is unchanged.
func (s *suite) reappendWithExactAndOtherIDsFails(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prior    int
		expected eventlog.Expected
		batch    int                                           // events of the first append
		change   func(batch []eventlog.Event) []eventlog.Event // the second append
	}{
		{"ExactSecondIDDiffers", 1, eventlog.Exact(0), 3, func(b []eventlog.Event) []eventlog.Event {
			return []eventlog.Event{b[0], newEvent("other"), b[2]}
		}},
		{"NoStreamLastIDDiffers", 0, eventlog.NoStream, 3, func(b []eventlog.Event) []eventlog.Event {
			return []eventlog.Event{b[0], b[1], newEvent("other")}
		}},
		{"ExactOneIDMore", 1, eventlog.Exact(0), 2, func(b []eventlog.Event) []eventlog.Event {
			return []eventlog.Event{b[0], b[1], newEvent("more")}
		}},
		{"ExactFirstIDDiffers", 1, eventlog.Exact(0), 2, func(b []eventlog.Event) []eventlog.Event {
			return []eventlog.Event{newEvent("other"), b[1]}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.fresh(t)
			stream := h.stream("reappend-other")
			batch, all := h.appendPriorAndBatch(stream, tc.prior, tc.expected, tc.batch)

			_, err := h.append(h.ctx, stream, tc.expected, tc.change(batch)...)
			assertWrongExpected(t, err, stream, tc.expected, actualAfter(len(all)), "re-append with other IDs")
			assertEvents(t, stream, 0, all, h.readAll(stream), "read after the refused append")
		})
	}
}

// reappendWithAnyAndOtherIDsFailsOrIsNew: a batch that starts like an
// earlier append with Any or StreamExists but then differs is refused
// with a *WrongExpectedRevisionError, changing nothing, by a log that
// remembers the first ID; a log that has forgotten it takes the batch
// for a new append and stores it whole. Never a no-op: that would lose
// the events that differ.
func (s *suite) reappendWithAnyAndOtherIDsFailsOrIsNew(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prior    int
		expected eventlog.Expected
		batch    int                                           // events of the first append
		change   func(batch []eventlog.Event) []eventlog.Event // the second append
	}{
		{"AnySecondIDDiffers", 0, eventlog.Any, 2, func(b []eventlog.Event) []eventlog.Event {
			return []eventlog.Event{b[0], newEvent("other")}
		}},
		{"StreamExistsLastIDDiffers", 1, eventlog.StreamExists, 3, func(b []eventlog.Event) []eventlog.Event {
			return []eventlog.Event{b[0], b[1], newEvent("other")}
		}},
		{"AnyOneIDMore", 1, eventlog.Any, 2, func(b []eventlog.Event) []eventlog.Event {
			return []eventlog.Event{b[0], b[1], newEvent("more")}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.fresh(t)
			stream := h.stream("reappend-any-other")
			batch, all := h.appendPriorAndBatch(stream, tc.prior, tc.expected, tc.batch)

			changed := tc.change(batch)
			res, err := h.append(h.ctx, stream, tc.expected, changed...)
			if err != nil {
				t.Logf("the log remembered the first ID: the append was refused")
				assertWrongExpected(t, err, stream, tc.expected, actualAfter(len(all)), "re-append with other IDs")
				assertEvents(t, stream, 0, all, h.readAll(stream), "read after the refused append")
				return
			}
			t.Logf("the log forgot the first ID: the append was a new one")
			all = append(all, changed...)
			assertEvents(t, stream, 0, all, h.readAll(stream), "read after a re-append with other IDs that succeeded: it must have stored the whole batch, after the stream's last event")
			assert.Equal(t, eventlog.Revision(len(all)-1), res.NextExpected, "NextExpected of a re-append with other IDs that succeeded")
		})
	}
}

// invalidArgumentsAreRefused: bad stream names, bad events, empty appends
// and bad read counts are refused with the contract's errors, and refused
// appends write nothing.
func (s *suite) invalidArgumentsAreRefused(t *testing.T) {
	valid := func() eventlog.Event { return newEvent("valid") }
	with := func(change func(*eventlog.Event)) eventlog.Event {
		e := valid()
		change(&e)
		return e
	}
	appendTo := func(name func(stream string) string, events ...eventlog.Event) func(*harness, string) error {
		return func(h *harness, stream string) error {
			_, err := h.append(h.ctx, name(stream), eventlog.Any, events...)
			return err
		}
	}
	same := func(stream string) string { return stream }
	empty := func(string) string { return "" }
	dollar := func(stream string) string { return "$" + stream }
	tooLong := func(stream string) string {
		return stream + strings.Repeat("x", eventlog.MaxStreamNameLen+1-len(stream))
	}
	notUTF8 := func(stream string) string { return stream + "-\xff\xfe" }
	readOf := func(name func(string) string, dir eventlog.Direction, max int) func(*harness, string) error {
		return func(h *harness, stream string) error {
			_, err := h.read(h.ctx, name(stream), eventlog.Start, dir, max)
			return err
		}
	}
	subscribeTo := func(name func(string) string) func(*harness, string) error {
		return func(h *harness, stream string) error {
			_, err := h.subscribe(h.ctx, name(stream), eventlog.Start)
			return err
		}
	}
	for _, tc := range []struct {
		name  string
		prior int // events appended first (so that only the argument is wrong)
		call  func(h *harness, stream string) error
		want  error
		// writes says whether the call names stream validly, so that the
		// suite checks that it wrote nothing.
		writes bool
	}{
		{"AppendToEmptyName", 0, appendTo(empty, valid()), eventlog.ErrInvalid, false},
		{"AppendToDollarName", 0, appendTo(dollar, valid()), eventlog.ErrInvalid, false},
		{"AppendToTooLongName", 0, appendTo(tooLong, valid()), eventlog.ErrInvalid, false},
		{"AppendToNonUTF8Name", 0, appendTo(notUTF8, valid()), eventlog.ErrInvalid, false},
		{"AppendOfNoEvents", 0, appendTo(same), eventlog.ErrEmptyAppend, true},
		{"AppendOfNoEventsToStreamWithEvents", 2, appendTo(same), eventlog.ErrEmptyAppend, true},
		{"AppendWithZeroID", 0, appendTo(same, with(func(e *eventlog.Event) { e.ID = uuid.Nil })), eventlog.ErrInvalid, true},
		{"AppendWithEmptyType", 0, appendTo(same, with(func(e *eventlog.Event) { e.Type = "" })), eventlog.ErrInvalid, true},
		{"AppendWithNonUTF8Type", 0, appendTo(same, with(func(e *eventlog.Event) { e.Type = "Bad\xff" })), eventlog.ErrInvalid, true},
		{"AppendWithNonJSONData", 0, appendTo(same, with(func(e *eventlog.Event) { e.Data = []byte("not json") })), eventlog.ErrInvalid, true},
		{"AppendWithNoData", 0, appendTo(same, with(func(e *eventlog.Event) { e.Data = nil })), eventlog.ErrInvalid, true},
		{"AppendWithNonJSONMetadata", 0, appendTo(same, with(func(e *eventlog.Event) { e.Metadata = []byte("{") })), eventlog.ErrInvalid, true},
		{"AppendWithSecondEventInvalid", 0, appendTo(same, valid(), with(func(e *eventlog.Event) { e.ID = uuid.Nil })), eventlog.ErrInvalid, true},
		{"AppendWithLastEventInvalidToStreamWithEvents", 2, appendTo(same, valid(), valid(), with(func(e *eventlog.Event) { e.Type = "" })), eventlog.ErrInvalid, true},
		// Every event's data is checked, not the first one's alone.
		{"AppendWithSecondEventDataNotJSON", 0, appendTo(same, valid(), with(func(e *eventlog.Event) { e.Data = []byte("not json") })), eventlog.ErrInvalid, true},
		{"AppendWithSecondEventNoData", 0, appendTo(same, valid(), with(func(e *eventlog.Event) { e.Data = nil })), eventlog.ErrInvalid, true},
		{"AppendWithSecondEventMetadataNotJSON", 0, appendTo(same, valid(), with(func(e *eventlog.Event) { e.Metadata = []byte("{") })), eventlog.ErrInvalid, true},
		{"ReadOfEmptyName", 0, readOf(empty, eventlog.Forwards, 10), eventlog.ErrInvalid, false},
		{"ReadOfDollarName", 0, readOf(dollar, eventlog.Forwards, 10), eventlog.ErrInvalid, false},
		{"ReadOfTooLongName", 0, readOf(tooLong, eventlog.Forwards, 10), eventlog.ErrInvalid, false},
		{"ReadOfNonUTF8Name", 0, readOf(notUTF8, eventlog.Forwards, 10), eventlog.ErrInvalid, false},
		{"ReadInAnUnknownDirection", 2, readOf(same, eventlog.Direction(7), 10), eventlog.ErrInvalid, true},
		{"ReadWithMaxZero", 2, readOf(same, eventlog.Forwards, 0), eventlog.ErrInvalid, true},
		{"ReadWithMaxNegative", 2, readOf(same, eventlog.Forwards, -1), eventlog.ErrInvalid, true},
		{"ReadBackwardsWithMaxZero", 2, readOf(same, eventlog.Backwards, 0), eventlog.ErrInvalid, true},
		{"SubscribeToEmptyName", 0, subscribeTo(empty), eventlog.ErrInvalid, false},
		{"SubscribeToDollarName", 0, subscribeTo(dollar), eventlog.ErrInvalid, false},
		{"SubscribeToTooLongName", 0, subscribeTo(tooLong), eventlog.ErrInvalid, false},
		{"SubscribeToNonUTF8Name", 0, subscribeTo(notUTF8), eventlog.ErrInvalid, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.fresh(t)
			stream := h.stream("invalid")
			prior := newEvents("prior", tc.prior)
			if len(prior) > 0 {
				h.mustAppend(stream, eventlog.NoStream, prior...)
			}
			assert.ErrorIs(t, tc.call(h, stream), tc.want)
			if !tc.writes {
				return
			}
			if len(prior) == 0 {
				h.requireNotFound(stream, "after a refused call")
			} else {
				assertEvents(t, stream, 0, prior, h.readAll(stream), "after a refused call")
			}
		})
	}
}

// appendSizeIsLimited: an append of exactly eventlog.MaxAppendSize, counted
// as eventlog.AppendSize counts (data, metadata, and the type twice), is
// stored and read back whole; one byte more is refused with ErrTooLarge
// and writes nothing.
func (s *suite) appendSizeIsLimited(t *testing.T) {
	const typ = "Big" // counted twice: 6 bytes
	meta := []byte(`{"m":1}`)
	// big returns an event of type typ whose data is a JSON string of
	// dataLen bytes, quotes included.
	big := func(dataLen int, metadata []byte) eventlog.Event {
		return eventlog.Event{
			ID:       uuid.New(),
			Type:     typ,
			Data:     []byte(`"` + strings.Repeat("x", dataLen-2) + `"`),
			Metadata: metadata,
		}
	}
	const max = eventlog.MaxAppendSize
	half := (max - 2*2*len(typ)) / 2
	for _, tc := range []struct {
		name   string
		events []eventlog.Event
		size   int // what eventlog.AppendSize must say: checks the case itself
		ok     bool
	}{
		{"OneEventOfExactlyMax", []eventlog.Event{big(max-2*len(typ), nil)}, max, true},
		{"OneEventOneByteOver", []eventlog.Event{big(max-2*len(typ)+1, nil)}, max + 1, false},
		{"WithMetadataExactlyMax", []eventlog.Event{big(max-2*len(typ)-len(meta), meta)}, max, true},
		{"MetadataTipsItOver", []eventlog.Event{big(max-2*len(typ)-len(meta)+1, meta)}, max + 1, false},
		{"TypeCountsTwice", []eventlog.Event{big(max-len(typ)-1, nil)}, max + len(typ) - 1, false},
		{"TwoEventsOfExactlyMax", []eventlog.Event{big(half, nil), big(max-4*len(typ)-half, nil)}, max, true},
		{"TwoEventsOneByteOver", []eventlog.Event{big(half, nil), big(max-4*len(typ)-half+1, nil)}, max + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.size, eventlog.AppendSize(tc.events...), "the case's own arithmetic")
			h := s.fresh(t)
			stream := h.stream("size")
			_, err := h.append(h.ctx, stream, eventlog.NoStream, tc.events...)
			if !tc.ok {
				assert.ErrorIs(t, err, eventlog.ErrTooLarge, "an append of %d bytes, over MaxAppendSize", tc.size)
				h.requireNotFound(stream, "after a refused append")
				return
			}
			require.NoError(t, err, "an append of exactly MaxAppendSize must be stored")
			recs := h.mustRead(stream, eventlog.Start, eventlog.Forwards, 10)
			require.Len(t, recs, len(tc.events))
			for i, rec := range recs {
				want := tc.events[i]
				// Compare without printing a megabyte on failure.
				assert.Equal(t, want.ID, rec.ID, "event %d: ID", i)
				assert.Equal(t, len(want.Data), len(rec.Data), "event %d: length of Data", i)
				assert.True(t, string(want.Data) == string(rec.Data), "event %d: Data must come back byte for byte", i)
				assert.Equal(t, string(want.Metadata), string(rec.Metadata), "event %d: Metadata", i)
			}
		})
	}
}

// logKeepsItsOwnCopies: the log copies what it is given and what it hands
// out: changing an event's Data or Metadata after Append, or a Recorded's
// after Read or Next, changes nothing stored.
func (s *suite) logKeepsItsOwnCopies(t *testing.T) {
	h := s.fresh(t)
	stream := h.stream("copies")
	events := newEvents("copied", 2)
	want := []eventlog.Event{events[0], events[1]}
	want[0].Data = append([]byte(nil), events[0].Data...)
	want[1].Data = append([]byte(nil), events[1].Data...)
	want[1].Metadata = append([]byte(nil), events[1].Metadata...)
	sub := h.mustSubscribe(stream, eventlog.Start)
	h.mustAppend(stream, eventlog.NoStream, events...)

	scribble := func(b []byte) {
		for i := range b {
			b[i] = 'X'
		}
	}
	scribble(events[0].Data)
	scribble(events[1].Data)
	scribble(events[1].Metadata)
	recs := h.mustRead(stream, eventlog.Start, eventlog.Forwards, 10)
	assertEvents(t, stream, 0, want, recs, "read after changing the appended events")

	for _, rec := range recs {
		scribble(rec.Data)
		scribble(rec.Metadata)
	}
	for _, rec := range h.mustNext(sub, 0, 2) {
		scribble(rec.Data)
		scribble(rec.Metadata)
	}
	assertEvents(t, stream, 0, want, h.mustRead(stream, eventlog.Start, eventlog.Forwards, 10), "read after changing what Read and Next returned")
}

// anyRetryInAnotherStreamIsNew: the window remembers an event ID where it
// was first written, so the same IDs appended with Any or StreamExists
// to another stream are a new append there, stored whole — never a no-op
// answered with the first stream's revision, which would lose them.
func (s *suite) anyRetryInAnotherStreamIsNew(t *testing.T) {
	h := s.fresh(t)
	a := h.stream("cross-a")
	h.mustAppend(a, eventlog.NoStream, newEvents("a-prior", 3)...)
	batch := newEvents("shared", 2)
	h.mustAppend(a, eventlog.Any, batch...)
	for _, expected := range []eventlog.Expected{eventlog.Any, eventlog.StreamExists} {
		t.Run(expected.String(), func(t *testing.T) {
			b := h.stream("cross-b")
			if expected == eventlog.StreamExists {
				h.mustAppend(b, eventlog.NoStream, newEvent("b-first"))
			}
			res, err := h.append(h.ctx, b, expected, batch...)
			require.NoError(t, err, "IDs first written to another stream")
			recs := h.readAll(b)
			require.GreaterOrEqual(t, len(recs), len(batch), "the batch is stored in this stream")
			assert.Equal(t, eventlog.Revision(len(recs)-1), res.NextExpected, "NextExpected is where the batch ends in this stream")
			assert.Equal(t, idsOfEvents(batch), idsOfRecorded(recs[len(recs)-len(batch):]))
		})
	}
}
