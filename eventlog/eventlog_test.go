package eventlog_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/eventchain/eventchain/eventlog"
)

func TestExpected(t *testing.T) {
	for _, tc := range []struct {
		e       eventlog.Expected
		str     string
		rev     eventlog.Revision
		isExact bool
	}{
		{eventlog.Any, "any", 0, false},
		{eventlog.NoStream, "no stream", 0, false},
		{eventlog.StreamExists, "stream exists", 0, false},
		{eventlog.Exact(0), "0", 0, true},
		{eventlog.Exact(41), "41", 41, true},
		{eventlog.Exact(math.MaxInt64), "9223372036854775807", math.MaxInt64, true},
		{eventlog.Exact(eventlog.End), "invalid", 0, false},
	} {
		t.Run(tc.str, func(t *testing.T) {
			assert.Equal(t, tc.str, tc.e.String())
			rev, ok := tc.e.Revision()
			assert.Equal(t, tc.isExact, ok)
			assert.Equal(t, tc.rev, rev)
		})
	}
}

func TestRevisionAndDirectionStrings(t *testing.T) {
	assert.Equal(t, "0", eventlog.Start.String())
	assert.Equal(t, "end", eventlog.End.String())
	assert.Equal(t, "7", eventlog.Revision(7).String())
	assert.Equal(t, "forwards", eventlog.Forwards.String())
	assert.Equal(t, "backwards", eventlog.Backwards.String())
	assert.Equal(t, "Direction(9)", eventlog.Direction(9).String())
}

func TestCheckAppend(t *testing.T) {
	ok := eventlog.Event{ID: uuid.New(), Type: "T", Data: []byte(`{}`)}
	with := func(change func(*eventlog.Event)) []eventlog.Event {
		e := ok
		change(&e)
		return []eventlog.Event{e}
	}
	big := func(n int) []eventlog.Event {
		// A JSON string of n bytes in all: quotes plus n-2 letters.
		return with(func(e *eventlog.Event) { e.Data = []byte(`"` + strings.Repeat("a", n-2) + `"`) })
	}
	for _, tc := range []struct {
		name   string
		stream string
		events []eventlog.Event
		want   error // nil: accepted
	}{
		{"valid", "blocks", []eventlog.Event{ok}, nil},
		{"unicode stream and metadata", "流-é", with(func(e *eventlog.Event) { e.Metadata = []byte(`{"by":"bank"}`) }), nil},
		{"exactly MaxAppendSize", "s", big(eventlog.MaxAppendSize - 2*len("T")), nil},
		{"one byte over MaxAppendSize", "s", big(eventlog.MaxAppendSize - 2*len("T") + 1), eventlog.ErrTooLarge},
		{"empty stream name", "", []eventlog.Event{ok}, eventlog.ErrInvalid},
		{"system stream", "$all", []eventlog.Event{ok}, eventlog.ErrInvalid},
		{"stream name not UTF-8", "bad\xff", []eventlog.Event{ok}, eventlog.ErrInvalid},
		{"stream name too long", strings.Repeat("s", eventlog.MaxStreamNameLen+1), []eventlog.Event{ok}, eventlog.ErrInvalid},
		{"no events", "s", nil, eventlog.ErrEmptyAppend},
		{"zero ID", "s", with(func(e *eventlog.Event) { e.ID = uuid.Nil }), eventlog.ErrInvalid},
		{"empty type", "s", with(func(e *eventlog.Event) { e.Type = "" }), eventlog.ErrInvalid},
		{"type not UTF-8", "s", with(func(e *eventlog.Event) { e.Type = "Bad\xff" }), eventlog.ErrInvalid},
		{"data not JSON", "s", with(func(e *eventlog.Event) { e.Data = []byte(`{`) }), eventlog.ErrInvalid},
		{"no data", "s", with(func(e *eventlog.Event) { e.Data = nil }), eventlog.ErrInvalid},
		{"metadata not JSON", "s", with(func(e *eventlog.Event) { e.Metadata = []byte(`nope`) }), eventlog.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := eventlog.CheckAppend(tc.stream, tc.events)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
}

func TestWrongExpectedRevisionError(t *testing.T) {
	err := fmt.Errorf("publish: %w", &eventlog.WrongExpectedRevisionError{Stream: "blocks", Expected: eventlog.Exact(40), Actual: eventlog.Exact(41)})
	assert.ErrorIs(t, err, eventlog.ErrWrongExpectedRevision)
	assert.NotErrorIs(t, err, eventlog.ErrStreamNotFound)
	var wrong *eventlog.WrongExpectedRevisionError
	assert.True(t, errors.As(err, &wrong))
	assert.Equal(t, `publish: stream "blocks": wrong expected revision: have 41, want 40`, err.Error())
}

func TestCheckPage(t *testing.T) {
	// page returns events of stream s at the revisions given, in that order.
	page := func(revs ...eventlog.Revision) []eventlog.Recorded {
		recs := make([]eventlog.Recorded, len(revs))
		for i, r := range revs {
			recs[i] = eventlog.Recorded{Event: eventlog.Event{ID: uuid.New(), Type: "T", Data: []byte(`{}`)}, Stream: "s", Revision: r}
		}
		return recs
	}
	elsewhere := page(4, 5)
	elsewhere[1].Stream = "t"
	for _, tc := range []struct {
		name string
		from eventlog.Revision
		dir  eventlog.Direction
		max  int
		recs []eventlog.Recorded
		want error // nil: a page a conforming log may return
	}{
		{"forwards from start", eventlog.Start, eventlog.Forwards, 3, page(0, 1, 2), nil},
		{"forwards from the middle", 4, eventlog.Forwards, 3, page(4, 5, 6), nil},
		{"forwards, fewer than max", 8, eventlog.Forwards, 5, page(8, 9), nil},
		{"forwards past the end", 10, eventlog.Forwards, 5, nil, nil},
		{"forwards with a gap", 4, eventlog.Forwards, 3, page(5, 7), nil},
		{"backwards from end", eventlog.End, eventlog.Backwards, 3, page(9, 8, 7), nil},
		{"backwards from past the end", 1000, eventlog.Backwards, 2, page(9, 8), nil},
		{"backwards from the middle", 5, eventlog.Backwards, 3, page(5, 4, 3), nil},
		{"more than max", eventlog.Start, eventlog.Forwards, 2, page(0, 1, 2), eventlog.ErrBrokenLog},
		{"another stream's event", 4, eventlog.Forwards, 3, elsewhere, eventlog.ErrBrokenLog},
		{"forwards, from ignored", 128, eventlog.Forwards, 3, page(0, 1, 2), eventlog.ErrBrokenLog},
		{"forwards, one before from", 4, eventlog.Forwards, 3, page(3, 4, 5), eventlog.ErrBrokenLog},
		{"forwards, reversed", 4, eventlog.Forwards, 3, page(6, 5, 4), eventlog.ErrBrokenLog},
		{"forwards, an event twice", 4, eventlog.Forwards, 3, page(4, 5, 5), eventlog.ErrBrokenLog},
		{"backwards, from ignored", 3, eventlog.Backwards, 3, page(9, 8, 7), eventlog.ErrBrokenLog},
		{"backwards, reversed", 5, eventlog.Backwards, 3, page(3, 4, 5), eventlog.ErrBrokenLog},
		{"a read the contract refuses", eventlog.Start, eventlog.Forwards, 0, nil, eventlog.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := eventlog.CheckPage("s", tc.from, tc.dir, tc.max, tc.recs)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
			if tc.want == eventlog.ErrBrokenLog {
				assert.ErrorContains(t, err, fmt.Sprintf(`read of "s" %v from %v, max %d`, tc.dir, tc.from, tc.max), "the error names the read")
				assert.NotErrorIs(t, err, eventlog.ErrCorrupt)
			}
		})
	}
}
