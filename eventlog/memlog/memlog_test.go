package memlog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
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

// event is a Greeting whose ID comes from its name.
func event(name string) eventlog.Event {
	return eventlog.Event{
		ID:   uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)),
		Type: "Greeting",
		Data: []byte(`{"hello":"` + name + `"}`),
	}
}

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

// TestPrefixLeavingNoRoom: a prefix as long as the log's limit on names
// leaves no name at all, and every call says so, rather than ask for
// names of at most a negative number of bytes.
func TestPrefixLeavingNoRoom(t *testing.T) {
	log := eventlog.WithPrefix(memlog.New(memlog.Config{}), strings.Repeat("p", eventlog.MaxStreamNameLen))
	t.Cleanup(func() { _ = log.Close() })
	_, err := log.Append(context.Background(), "blocks", eventlog.Any, eventlog.Event{ID: uuid.New(), Type: "t", Data: []byte("{}")})
	require.ErrorIs(t, err, eventlog.ErrInvalid)
	assert.Contains(t, err.Error(), fmt.Sprintf("a stream prefix of %d bytes leaves no room for a name", eventlog.MaxStreamNameLen))
	_, err = log.Read(context.Background(), "blocks", eventlog.Start, eventlog.Forwards, 1)
	assert.ErrorIs(t, err, eventlog.ErrInvalid)
}

func TestConformanceWithoutDedupWindow(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log {
		return memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow})
	})
}

// TestConformanceWithTinyDedupWindow: a window of two writes remembers a
// batch of two and forgets a batch of three, so the suite's retries with
// Any meet both answers.
func TestConformanceWithTinyDedupWindow(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log {
		return memlog.New(memlog.Config{DedupWindow: 2})
	})
}

// numbered returns n events with IDs derived from label and their index.
func numbered(label string, n int) []eventlog.Event {
	events := make([]eventlog.Event, n)
	for i := range events {
		events[i] = event(fmt.Sprintf("%s %d", label, i))
	}
	return events
}

// TestDedupWindow: a retry of a batch of three, after other events were
// written to another stream, is a no-op while the window still
// remembers the batch's first ID, and stores the batch again once it has
// forgotten it — for Any and StreamExists. Retries with NoStream and
// Exact compare the stored events and are no-ops whatever the window.
func TestDedupWindow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		window   int
		expected eventlog.Expected
		prior    int  // events in the stream before the batch
		between  int  // events written to another stream between the batch and its retry
		stored   bool // whether the retry stores the batch again
	}{
		{"AnyWellWithinWindow", 10, eventlog.Any, 1, 2, false},
		{"AnyFillingTheWindow", 10, eventlog.Any, 1, 7, false},
		{"AnyOneWritePastTheWindow", 10, eventlog.Any, 1, 8, true},
		{"AnyDefaultWindow", 0, eventlog.Any, 1, 1000, false},
		{"AnyNoWindow", memlog.NoDedupWindow, eventlog.Any, 0, 0, true},
		{"AnyNegativeWindow", -5, eventlog.Any, 0, 0, true},
		{"StreamExistsFillingTheWindow", 4, eventlog.StreamExists, 1, 1, false},
		{"StreamExistsPastTheWindow", 4, eventlog.StreamExists, 1, 2, true},
		{"StreamExistsNoWindow", memlog.NoDedupWindow, eventlog.StreamExists, 1, 0, true},
		{"NoStreamPastTheWindow", 2, eventlog.NoStream, 0, 10, false},
		{"NoStreamNoWindow", memlog.NoDedupWindow, eventlog.NoStream, 0, 0, false},
		{"ExactPastTheWindow", 2, eventlog.Exact(0), 1, 10, false},
		{"ExactNoWindow", memlog.NoDedupWindow, eventlog.Exact(0), 1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			log := memlog.New(memlog.Config{DedupWindow: tc.window})
			t.Cleanup(func() { _ = log.Close() })
			prior, batch := numbered("prior", tc.prior), numbered("batch", 3)
			if len(prior) > 0 {
				_, err := log.Append(ctx, "s", eventlog.NoStream, prior...)
				require.NoError(t, err)
			}
			first, err := log.Append(ctx, "s", tc.expected, batch...)
			require.NoError(t, err)
			require.Equal(t, eventlog.Revision(tc.prior+2), first.NextExpected)
			for i := range tc.between {
				_, err := log.Append(ctx, "other", eventlog.Any, event(fmt.Sprint("between ", i)))
				require.NoError(t, err)
			}

			again, err := log.Append(ctx, "s", tc.expected, batch...)
			require.NoError(t, err, "a retry")
			want := append(prior, batch...)
			if tc.stored {
				want = append(want, batch...)
				assert.Equal(t, eventlog.Revision(len(want)-1), again.NextExpected, "a retry stored again answers with its own last revision")
			} else {
				assert.Equal(t, first, again, "a retry that is a no-op answers like the first append")
			}
			recs, err := log.Read(ctx, "s", eventlog.Start, eventlog.Forwards, 100)
			require.NoError(t, err)
			assert.Equal(t, idsOf(want), idsOfRecorded(recs), "the stream after the retry")
		})
	}
}

// TestDedupWindowIsEventStoreDBs: the window's rules that are
// EventStoreDB's: a retry whose first ID the window remembers but not
// every other is refused; the window is one for all streams and
// remembers an ID where it was first written; the answer to a retry is
// where its last ID was first written, even within one batch.
func TestDedupWindowIsEventStoreDBs(t *testing.T) {
	ctx := context.Background()
	a, b, c := event("a"), event("b"), event("c")
	six := []eventlog.Event{a, a, a, a, a, a}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"RetryWithOtherSecondIDIsRefused", []step{
			{"s", eventlog.Any, []eventlog.Event{a, b}, next(1)},
			{"s", eventlog.Any, []eventlog.Event{a, c}, refused(eventlog.Exact(1))},
			{"s", eventlog.StreamExists, []eventlog.Event{a, c}, refused(eventlog.Exact(1))},
			{"s", eventlog.Any, []eventlog.Event{a, b}, next(1)},
		}},
		{"RetryWithOneIDMoreIsRefused", []step{
			{"s", eventlog.Any, []eventlog.Event{a}, next(0)},
			{"s", eventlog.Any, []eventlog.Event{a, b}, refused(eventlog.Exact(0))},
		}},
		{"RetryOfPartOfABatchIsANoOp", []step{
			{"s", eventlog.Any, []eventlog.Event{a, b, c}, next(2)},
			{"s", eventlog.Any, []eventlog.Event{b}, next(1)},
			{"s", eventlog.Any, []eventlog.Event{a, c}, next(2)},
		}},
		{"IDOfAnotherStreamIsNew", []step{
			{"s", eventlog.Any, []eventlog.Event{a}, next(0)},
			{"t", eventlog.Any, []eventlog.Event{a}, next(0)},
			// The window remembers a in s, where it was first written, so
			// a retry in t is not recognised, and writes a again.
			{"t", eventlog.Any, []eventlog.Event{a}, next(1)},
		}},
		{"SecondIDOfAnotherStreamIsRefused", []step{
			{"s", eventlog.Any, []eventlog.Event{a}, next(0)},
			{"t", eventlog.Any, []eventlog.Event{b}, next(0)},
			{"t", eventlog.Any, []eventlog.Event{b, a}, refused(eventlog.Exact(0))},
		}},
		{"SameIDSixTimesWithAny", []step{
			{"s", eventlog.Any, six, next(5)},
			{"s", eventlog.Any, six, next(0)}, // the first copy's revision
		}},
		{"SameIDSixTimesWithNoStream", []step{
			{"s", eventlog.NoStream, six, next(5)},
			{"s", eventlog.NoStream, six, next(5)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			for i, st := range tc.steps {
				res, err := log.Append(ctx, st.stream, st.expected, st.events...)
				if !st.want.refused {
					require.NoError(t, err, "step %d", i)
					assert.Equal(t, st.want.next, res.NextExpected, "step %d: NextExpected: have %v, want %v", i, res.NextExpected, st.want.next)
					continue
				}
				var wrong *eventlog.WrongExpectedRevisionError
				require.ErrorAs(t, err, &wrong, "step %d", i)
				assert.Equal(t, st.want.actual, wrong.Actual, "step %d: Actual: have %v, want %v", i, wrong.Actual, st.want.actual)
				assert.Equal(t, st.expected, wrong.Expected, "step %d: Expected", i)
			}
		})
	}
}

// A step appends events to stream, and wants what want says.
type step struct {
	stream   string
	expected eventlog.Expected
	events   []eventlog.Event
	want     answer
}

// An answer is a NextExpected, or a WrongExpectedRevisionError with an
// Actual.
type answer struct {
	next    eventlog.Revision
	refused bool
	actual  eventlog.Expected
}

func next(rev eventlog.Revision) answer       { return answer{next: rev} }
func refused(actual eventlog.Expected) answer { return answer{refused: true, actual: actual} }

func idsOf(events []eventlog.Event) []uuid.UUID {
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

func idsOfRecorded(recs []eventlog.Recorded) []uuid.UUID {
	ids := make([]uuid.UUID, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

// TestDedupWindowIsBoundedByEventStoreDBsCache: however large the window,
// the log remembers no more IDs than EventStoreDB's 8 MiB cache would:
// with stream names of 1000 characters, about 4 100.
func TestDedupWindowIsBoundedByEventStoreDBsCache(t *testing.T) {
	ctx := context.Background()
	log := memlog.New(memlog.Config{DedupWindow: 1_000_000})
	t.Cleanup(func() { _ = log.Close() })
	long := strings.Repeat("s", 1000)
	batch := numbered("batch", 3)
	_, err := log.Append(ctx, long, eventlog.Any, batch...)
	require.NoError(t, err)
	for i := range 50 {
		_, err := log.Append(ctx, long+"-other", eventlog.Any, numbered(fmt.Sprint("other ", i), 100)...)
		require.NoError(t, err)
	}
	res, err := log.Append(ctx, long, eventlog.Any, batch...)
	require.NoError(t, err)
	assert.Equal(t, eventlog.Revision(5), res.NextExpected, "5 000 writes later, the retry is stored again")
}

// TestZeroLog: a Log New did not make says so from every method, rather
// than answering some calls and crashing on others.
func TestZeroLog(t *testing.T) {
	ctx := context.Background()
	var l memlog.Log
	ev := eventlog.Event{ID: uuid.New(), Type: "Noted", Data: []byte(`{}`)}
	for name, call := range map[string]func() error{
		"Append": func() error { _, err := l.Append(ctx, "s", eventlog.Any, ev); return err },
		"Read":   func() error { _, err := l.Read(ctx, "s", 0, eventlog.Forwards, 1); return err },
		"Subscribe": func() error {
			sub, err := l.Subscribe(ctx, "s", 0)
			if sub != nil {
				sub.Close()
			}
			return err
		},
		"Delete": func() error { return l.Delete(ctx, "s", eventlog.Any) },
		"Close":  l.Close,
	} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, call(), memlog.ErrNotMade)
		})
	}
}
