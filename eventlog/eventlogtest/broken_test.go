package eventlogtest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
)

// A brokenLog is the reference log with one bug, and the suite's case that
// must catch it.
type brokenLog struct {
	name    string
	catches string // the case of Run that must fail
	hangs   bool   // the bug is a hang: shorten the watchdog, and want its message
	wrap    func(*refLog) eventlog.Log
}

var brokenLogs = []brokenLog{
	{"IgnoresExpectations", "ExpectationsThatFailChangeNothing", false, func(l *refLog) eventlog.Log {
		return appendFunc{l, func(ctx context.Context, stream string, _ eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
			return l.Append(ctx, stream, eventlog.Any, events...)
		}}
	}},
	{"UntypedWrongExpectedRevision", "ExpectationsThatFailChangeNothing", false, func(l *refLog) eventlog.Log {
		return appendFunc{l, func(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
			res, err := l.Append(ctx, stream, expected, events...)
			if errors.Is(err, eventlog.ErrWrongExpectedRevision) {
				err = fmt.Errorf("stream %q: %w", stream, eventlog.ErrWrongExpectedRevision)
			}
			return res, err
		}}
	}},
	{"NotIdempotent", "ReappendWithExactIsANoOp", false, func(l *refLog) eventlog.Log {
		// Checks NoStream and Exact strictly against the last revision,
		// as a naive log would, so that a retry is refused.
		var mu sync.Mutex
		return appendFunc{l, func(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if expected != eventlog.Any && expected != eventlog.StreamExists {
				actual := eventlog.NoStream
				if last, err := l.Read(ctx, stream, eventlog.End, eventlog.Backwards, 1); err == nil {
					actual = eventlog.Exact(last[0].Revision)
				}
				if actual != expected {
					return eventlog.AppendResult{}, &eventlog.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: actual}
				}
			}
			return l.Append(ctx, stream, expected, events...)
		}}
	}},
	{"ExactRetryStoredAgain", "ReappendWithExactIsANoOp", false, func(l *refLog) eventlog.Log {
		// Treats a retry with Exact or NoStream as best effort, like one
		// with Any on a log that forgot its IDs.
		l.forget = true
		var mu sync.Mutex
		return appendFunc{l, func(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if !bestEffort(expected) && len(events) > 0 {
				e := int64(-1) // NoStream
				if rev, ok := expected.Revision(); ok {
					e = int64(rev)
				}
				recs := readStream(ctx, l, stream)
				if e+1 < int64(len(recs)) && recs[e+1].ID == events[0].ID {
					return l.Append(ctx, stream, eventlog.Any, events...)
				}
			}
			return l.Append(ctx, stream, expected, events...)
		}}
	}},
	{"AnyRetryRefused", "ReappendWithAnyIsANoOpOrStoredAgain", false, func(l *refLog) eventlog.Log {
		return anyRetryFunc(l, func(ctx context.Context, stream string, expected eventlog.Expected, events []eventlog.Event, recs []eventlog.Recorded) (eventlog.AppendResult, error) {
			return eventlog.AppendResult{}, &eventlog.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: eventlog.Exact(recs[len(recs)-1].Revision)}
		})
	}},
	{"AnyRetryStoresPartOfBatch", "ReappendWithAnyIsANoOpOrStoredAgain", false, func(l *refLog) eventlog.Log {
		l.forget = true
		return anyRetryFunc(l, func(ctx context.Context, stream string, _ eventlog.Expected, events []eventlog.Event, _ []eventlog.Recorded) (eventlog.AppendResult, error) {
			return l.Append(ctx, stream, eventlog.Any, events[:len(events)-1]...)
		})
	}},
	{"AnyRetryStoredAgainAnswersFirst", "ReappendWithAnyIsANoOpOrStoredAgain", false, func(l *refLog) eventlog.Log {
		l.forget = true
		return anyRetryFunc(l, func(ctx context.Context, stream string, _ eventlog.Expected, events []eventlog.Event, recs []eventlog.Recorded) (eventlog.AppendResult, error) {
			first, _ := firstOf(recs, events[len(events)-1].ID)
			_, err := l.Append(ctx, stream, eventlog.Any, events...)
			return eventlog.AppendResult{NextExpected: first}, err
		})
	}},
	{"AnyRetryAnswersStreamEnd", "ReappendWithAnyIsANoOpOrStoredAgain", false, func(l *refLog) eventlog.Log {
		return anyRetryFunc(l, func(ctx context.Context, stream string, expected eventlog.Expected, events []eventlog.Event, recs []eventlog.Recorded) (eventlog.AppendResult, error) {
			_, err := l.Append(ctx, stream, expected, events...)
			return eventlog.AppendResult{NextExpected: recs[len(recs)-1].Revision}, err
		})
	}},
	{"AnyRetryWithOtherIDsIsANoOp", "ReappendWithAnyAndOtherIDsFailsOrIsNew", false, func(l *refLog) eventlog.Log {
		// Looks at the first ID only, and so loses the events that differ.
		return anyRetryFunc(l, func(_ context.Context, _ string, _ eventlog.Expected, events []eventlog.Event, recs []eventlog.Recorded) (eventlog.AppendResult, error) {
			first, _ := firstOf(recs, events[0].ID)
			return eventlog.AppendResult{NextExpected: first}, nil
		})
	}},
	{"AnyRetryStoresOnlyNewIDs", "ReappendWithAnyAndOtherIDsFailsOrIsNew", false, func(l *refLog) eventlog.Log {
		// De-duplicates event by event instead of batch by batch.
		l.forget = true
		return anyRetryFunc(l, func(ctx context.Context, stream string, expected eventlog.Expected, events []eventlog.Event, recs []eventlog.Recorded) (eventlog.AppendResult, error) {
			var fresh []eventlog.Event
			last := recs[len(recs)-1].Revision
			for _, e := range events {
				if rev, held := firstOf(recs, e.ID); held {
					last = rev
				} else {
					fresh = append(fresh, e)
				}
			}
			if len(fresh) == 0 {
				return eventlog.AppendResult{NextExpected: last}, nil
			}
			return l.Append(ctx, stream, expected, fresh...)
		})
	}},
	{"NotAtomic", "InvalidArgumentsAreRefused", false, func(l *refLog) eventlog.Log {
		return appendFunc{l, func(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
			if len(events) == 0 {
				return l.Append(ctx, stream, expected)
			}
			var res eventlog.AppendResult
			for i, e := range events {
				var err error
				if res, err = l.Append(ctx, stream, expected, e); err != nil {
					return res, err
				}
				if i == 0 {
					expected = eventlog.Any
				}
			}
			return res, nil
		}}
	}},
	{"BackwardsOffByOne", "ReadWindows", false, func(l *refLog) eventlog.Log {
		return readFunc{l, func(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
			if dir == eventlog.Backwards && from != eventlog.End && from > 0 {
				from--
			}
			return l.Read(ctx, stream, from, dir, max)
		}}
	}},
	{"TimeNotUTC", "RecordedFieldsRoundTrip", false, func(l *refLog) eventlog.Log {
		return readFunc{l, func(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
			recs, err := l.Read(ctx, stream, from, dir, max)
			for i := range recs {
				recs[i].Time = recs[i].Time.In(time.FixedZone("UTC+1", 3600))
			}
			return recs, err
		}}
	}},
	{"EmptyMetadataNotNil", "RecordedFieldsRoundTrip", false, func(l *refLog) eventlog.Log {
		return readFunc{l, func(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
			recs, err := l.Read(ctx, stream, from, dir, max)
			for i := range recs {
				if recs[i].Metadata == nil {
					recs[i].Metadata = []byte{}
				}
			}
			return recs, err
		}}
	}},
	{"ExclusiveSubscribe", "SubscribeDeliversInOrder", false, func(l *refLog) eventlog.Log {
		// EventStoreDB's own rule: a subscription from revision N starts
		// after N.
		return subscribeFunc{l, func(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
			if from != eventlog.Start && from != eventlog.End {
				from++
			}
			return l.Subscribe(ctx, stream, from)
		}}
	}},
	{"EndResolvedAtFirstNext", "SlowReaderLosesNothing", false, func(l *refLog) eventlog.Log {
		return subscribeFunc{l, func(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
			if from != eventlog.End {
				return l.Subscribe(ctx, stream, from)
			}
			return &lazyEndSub{log: l, stream: stream}, nil
		}}
	}},
	{"LosesEventOnCancel", "NextHonoursItsContext", false, func(l *refLog) eventlog.Log {
		return subscribeFunc{l, func(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
			sub, err := l.Subscribe(ctx, stream, from)
			if err != nil {
				return nil, err
			}
			return nextFunc{sub, func(ctx context.Context) (eventlog.Recorded, error) {
				rec, err := sub.Next(ctx)
				if err == nil && ctx.Err() != nil {
					return eventlog.Recorded{}, ctx.Err() // and the event is gone
				}
				return rec, err
			}}, nil
		}}
	}},
	{"NextIgnoresContext", "NextHonoursItsContext", true, func(l *refLog) eventlog.Log {
		return subscribeFunc{l, func(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
			sub, err := l.Subscribe(ctx, stream, from)
			if err != nil {
				return nil, err
			}
			return nextFunc{sub, func(context.Context) (eventlog.Recorded, error) {
				return sub.Next(context.Background())
			}}, nil
		}}
	}},
	{"DedupesAcrossStreams", "AnyRetryInAnotherStreamIsNew", false, func(l *refLog) eventlog.Log {
		// Remembers IDs across every stream, and takes IDs seen in
		// any as a retry: the batch, sent to another stream, is lost.
		var mu sync.Mutex
		seen := map[uuid.UUID]eventlog.AppendResult{}
		return appendFunc{l, func(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if res, ok := seen[events[0].ID]; ok && bestEffort(expected) {
				return res, nil
			}
			res, err := l.Append(ctx, stream, expected, events...)
			if err == nil {
				seen[events[0].ID] = res
			}
			return res, err
		}}
	}},
	{"ChecksTheFirstEventOnly", "InvalidArgumentsAreRefused", false, func(l *refLog) eventlog.Log {
		// Checks the first event's data; stores the others as given.
		return appendFunc{l, func(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
			if len(events) > 1 {
				if err := eventlog.CheckAppend(stream, events[:1]); err != nil {
					return eventlog.AppendResult{}, err
				}
				fixed := append([]eventlog.Event(nil), events...)
				for i := 1; i < len(fixed); i++ {
					if fixed[i].ID != uuid.Nil && fixed[i].Type != "" {
						fixed[i].Data, fixed[i].Metadata = []byte("{}"), nil
					}
				}
				events = fixed
			}
			return l.Append(ctx, stream, expected, events...)
		}}
	}},
	{"PanicsOnRead", "ReadWindows", false, func(l *refLog) eventlog.Log {
		// A bug that panics fails the case it is met in, saying so,
		// rather than end the whole test binary.
		return readFunc{l, func(context.Context, string, eventlog.Revision, eventlog.Direction, int) ([]eventlog.Recorded, error) {
			panic("index out of range")
		}}
	}},
	{"CloseLeavesNextWaiting", "SubscriptionCloseEndsNext", true, func(l *refLog) eventlog.Log {
		return subscribeFunc{l, func(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
			sub, err := l.Subscribe(ctx, stream, from)
			if err != nil {
				return nil, err
			}
			return closeFunc{sub, func() error { return nil }}, nil
		}}
	}},
}

// TestSuiteCatchesBrokenLogs runs, for each broken log, the case that must
// catch its bug, in a child process (a failing Run cannot be run inside a
// passing test), and checks that the case failed.
func TestSuiteCatchesBrokenLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process per broken log")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	for _, b := range brokenLogs {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, exe, "-test.run=^TestBrokenLog$/^"+b.catches+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), "EVENTLOGTEST_BROKEN="+b.name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the child must run and fail; output:\n%s", out)
			assert.Contains(t, string(out), "--- FAIL: TestBrokenLog/"+b.catches, "the case that must catch the bug")
			if b.name == "PanicsOnRead" {
				assert.Contains(t, string(out), "Read panicked: index out of range", "a panic fails its case, named")
			}
			if b.hangs {
				assert.Regexp(t, "TestBrokenLog/"+b.catches+"[^:]*: [A-Za-z.]+( hung|: no answer within the watchdog)", string(out),
					"a hang must fail with the watchdog's message naming the case")
			}
		})
	}
}

// TestBrokenLog runs the suite on the broken log named by
// EVENTLOGTEST_BROKEN; it is TestSuiteCatchesBrokenLogs's child, and
// skips when run on its own.
func TestBrokenLog(t *testing.T) {
	name := os.Getenv("EVENTLOGTEST_BROKEN")
	if name == "" {
		t.Skip("run by TestSuiteCatchesBrokenLogs, with EVENTLOGTEST_BROKEN set")
	}
	for _, b := range brokenLogs {
		if b.name == name {
			// A bug that loses an event leaves a reader waiting for it
			// until the watchdog gives up: make that quick.
			eventlogtest.SetWatchdog(time.Second, 500*time.Millisecond)
			eventlogtest.Run(t, func(*testing.T) eventlog.Log { return b.wrap(newRefLog()) })
			return
		}
	}
	t.Fatalf("no broken log %q", name)
}

// bestEffort reports whether retries with expected are best effort: Any
// and StreamExists.
func bestEffort(expected eventlog.Expected) bool {
	return expected == eventlog.Any || expected == eventlog.StreamExists
}

// readStream returns every event of stream; none if it has none.
func readStream(ctx context.Context, l *refLog, stream string) []eventlog.Recorded {
	recs, _ := l.Read(ctx, stream, eventlog.Start, eventlog.Forwards, 1<<20)
	return recs
}

// firstOf returns the revision of the first event with id in recs.
func firstOf(recs []eventlog.Recorded, id uuid.UUID) (eventlog.Revision, bool) {
	for _, r := range recs {
		if r.ID == id {
			return r.Revision, true
		}
	}
	return 0, false
}

// anyRetryFunc returns l with its appends with Any or StreamExists whose
// first event ID its stream already holds, all of them, handed to retry
// with the events of the stream; every other append goes to l. The
// appends are serialised, so that the stream is read and written in one
// step.
func anyRetryFunc(l *refLog, retry func(ctx context.Context, stream string, expected eventlog.Expected, events []eventlog.Event, recs []eventlog.Recorded) (eventlog.AppendResult, error)) eventlog.Log {
	var mu sync.Mutex
	return appendFunc{l, func(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if bestEffort(expected) && len(events) > 0 {
			recs := readStream(ctx, l, stream)
			if _, held := firstOf(recs, events[0].ID); held {
				return retry(ctx, stream, expected, events, recs)
			}
		}
		return l.Append(ctx, stream, expected, events...)
	}}
}

// The wrappers below replace one method of a log or subscription. The
// log wrappers hide Deleter, which no broken log needs.

type appendFunc struct {
	eventlog.Log
	f func(context.Context, string, eventlog.Expected, ...eventlog.Event) (eventlog.AppendResult, error)
}

func (w appendFunc) Append(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	return w.f(ctx, stream, expected, events...)
}

type readFunc struct {
	eventlog.Log
	f func(context.Context, string, eventlog.Revision, eventlog.Direction, int) ([]eventlog.Recorded, error)
}

func (w readFunc) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	return w.f(ctx, stream, from, dir, max)
}

type subscribeFunc struct {
	eventlog.Log
	f func(context.Context, string, eventlog.Revision) (eventlog.Subscription, error)
}

func (w subscribeFunc) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	return w.f(ctx, stream, from)
}

type nextFunc struct {
	eventlog.Subscription
	f func(context.Context) (eventlog.Recorded, error)
}

func (w nextFunc) Next(ctx context.Context) (eventlog.Recorded, error) { return w.f(ctx) }

type closeFunc struct {
	eventlog.Subscription
	f func() error
}

func (w closeFunc) Close() error { return w.f() }

// lazyEndSub subscribes from End only at its first Next, and so misses
// what was appended in between.
type lazyEndSub struct {
	log    *refLog
	stream string
	mu     sync.Mutex
	sub    eventlog.Subscription
	closed bool
}

func (s *lazyEndSub) Next(ctx context.Context) (eventlog.Recorded, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return eventlog.Recorded{}, eventlog.ErrClosed
	}
	if s.sub == nil {
		sub, err := s.log.Subscribe(ctx, s.stream, eventlog.End)
		if err != nil {
			s.mu.Unlock()
			return eventlog.Recorded{}, err
		}
		s.sub = sub
	}
	sub := s.sub
	s.mu.Unlock()
	return sub.Next(ctx)
}

func (s *lazyEndSub) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.sub != nil {
		return s.sub.Close()
	}
	return nil
}
