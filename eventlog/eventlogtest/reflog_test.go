package eventlogtest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog"
)

// refLog is the simplest log that keeps the contract: one mutex over a map
// of slices, and a channel closed on every change to wake subscribers. It
// exists to show that the suite passes on a correct log (and, broken on
// purpose, that it fails on incorrect ones); it is not memlog.
//
// It remembers every event ID of a stream for ever, unless forget is set:
// then it remembers none, and a re-append with Any or StreamExists stores
// the events again. Those are the two ends of what the contract allows.
type refLog struct {
	forget  bool // set before first use
	mu      sync.Mutex
	closed  bool
	streams map[string]*refStream
	changed chan struct{} // closed and replaced on every change
}

type refStream struct {
	events  []eventlog.Recorded
	ids     map[uuid.UUID]eventlog.Revision // first revision of each ID
	deleted bool
}

var (
	_ eventlog.Log     = (*refLog)(nil)
	_ eventlog.Deleter = (*refLog)(nil)
)

func newRefLog() *refLog {
	return &refLog{streams: map[string]*refStream{}, changed: make(chan struct{})}
}

// newForgetfulRefLog returns a refLog that remembers no event IDs.
func newForgetfulRefLog() *refLog {
	l := newRefLog()
	l.forget = true
	return l
}

// broadcast wakes every waiting Next; l.mu must be held.
func (l *refLog) broadcast() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// stream returns the named stream, creating it empty; l.mu must be held.
func (l *refLog) stream(name string) *refStream {
	s := l.streams[name]
	if s == nil {
		s = &refStream{ids: map[uuid.UUID]eventlog.Revision{}}
		l.streams[name] = s
	}
	return s
}

// actual is the stream's state as a WrongExpectedRevisionError gives it.
func (s *refStream) actual() eventlog.Expected {
	if len(s.events) == 0 {
		return eventlog.NoStream
	}
	return eventlog.Exact(eventlog.Revision(len(s.events) - 1))
}

func (l *refLog) Append(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	if err := eventlog.CheckAppend(stream, events); err != nil {
		return eventlog.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventlog.AppendResult{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return eventlog.AppendResult{}, eventlog.ErrClosed
	}
	s := l.stream(stream)
	if s.deleted {
		return eventlog.AppendResult{}, fmt.Errorf("stream %q: %w", stream, eventlog.ErrStreamDeleted)
	}
	wrong := &eventlog.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: s.actual()}
	cur := int64(len(s.events)) - 1
	switch expected {
	case eventlog.Any, eventlog.StreamExists:
		if expected == eventlog.StreamExists && cur < 0 {
			return eventlog.AppendResult{}, wrong
		}
		if _, seen := s.ids[events[0].ID]; seen && !l.forget {
			// A re-append: idempotent if every ID is already here.
			var last eventlog.Revision
			for _, e := range events {
				rev, ok := s.ids[e.ID]
				if !ok {
					return eventlog.AppendResult{}, wrong
				}
				last = rev
			}
			return eventlog.AppendResult{NextExpected: last}, nil
		}
	default:
		want := int64(-1) // NoStream
		if rev, ok := expected.Revision(); ok {
			want = int64(rev)
		} else if expected != eventlog.NoStream {
			return eventlog.AppendResult{}, wrong
		}
		if want < cur {
			// A re-append at an earlier position: idempotent if the same
			// IDs are there.
			for i, e := range events {
				at := want + 1 + int64(i)
				if at > cur || s.events[at].ID != e.ID {
					return eventlog.AppendResult{}, wrong
				}
			}
			return eventlog.AppendResult{NextExpected: eventlog.Revision(want + int64(len(events)))}, nil
		}
		if want != cur {
			return eventlog.AppendResult{}, wrong
		}
	}
	now := time.Now().UTC()
	for _, e := range events {
		rev := eventlog.Revision(len(s.events))
		rec := eventlog.Recorded{Event: copyEvent(e), Stream: stream, Revision: rev, Time: now}
		s.events = append(s.events, rec)
		if _, ok := s.ids[e.ID]; !ok {
			s.ids[e.ID] = rev
		}
	}
	l.broadcast()
	return eventlog.AppendResult{NextExpected: eventlog.Revision(len(s.events) - 1)}, nil
}

func copyEvent(e eventlog.Event) eventlog.Event {
	e.Data = slices.Clone(e.Data)
	if len(e.Metadata) == 0 {
		e.Metadata = nil
	} else {
		e.Metadata = slices.Clone(e.Metadata)
	}
	return e
}

func copyRecorded(r eventlog.Recorded) eventlog.Recorded {
	r.Event = copyEvent(r.Event)
	return r
}

func (l *refLog) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if err := eventlog.CheckRead(stream, dir, max); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, eventlog.ErrClosed
	}
	s := l.streams[stream]
	switch {
	case s != nil && s.deleted:
		return nil, fmt.Errorf("stream %q: %w", stream, eventlog.ErrStreamDeleted)
	case s == nil || len(s.events) == 0:
		return nil, fmt.Errorf("stream %q: %w", stream, eventlog.ErrStreamNotFound)
	}
	n := eventlog.Revision(len(s.events))
	var recs []eventlog.Recorded
	if dir == eventlog.Forwards {
		for r := from; r < n && len(recs) < max; r++ {
			recs = append(recs, copyRecorded(s.events[r]))
		}
		return recs, nil
	}
	r := min(from, n-1)
	for len(recs) < max {
		recs = append(recs, copyRecorded(s.events[r]))
		if r == 0 {
			break
		}
		r--
	}
	return recs, nil
}

func (l *refLog) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	if err := eventlog.CheckStreamName(stream); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, eventlog.ErrClosed
	}
	s := l.streams[stream]
	if s != nil && s.deleted {
		return nil, fmt.Errorf("stream %q: %w", stream, eventlog.ErrStreamDeleted)
	}
	if from == eventlog.End {
		from = 0
		if s != nil {
			from = eventlog.Revision(len(s.events))
		}
	}
	return &refSub{log: l, stream: stream, next: from, done: make(chan struct{})}, nil
}

func (l *refLog) Delete(ctx context.Context, stream string, expected eventlog.Expected) error {
	if err := eventlog.CheckStreamName(stream); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return eventlog.ErrClosed
	}
	s := l.stream(stream)
	if s.deleted {
		return fmt.Errorf("stream %q: %w", stream, eventlog.ErrStreamDeleted)
	}
	cur := int64(len(s.events)) - 1
	ok := false
	switch expected {
	case eventlog.Any:
		ok = true
	case eventlog.NoStream:
		ok = cur < 0
	case eventlog.StreamExists:
		ok = cur >= 0
	default:
		rev, exact := expected.Revision()
		ok = exact && int64(rev) == cur
	}
	if !ok {
		return &eventlog.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: s.actual()}
	}
	s.deleted = true
	s.events = nil
	l.broadcast()
	return nil
}

func (l *refLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		l.broadcast()
	}
	return nil
}

// refSub is a cursor into its stream.
type refSub struct {
	log    *refLog
	stream string
	next   eventlog.Revision // only the reading goroutine touches it
	once   sync.Once
	done   chan struct{} // closed by Close
}

func (s *refSub) Next(ctx context.Context) (eventlog.Recorded, error) {
	for {
		select {
		case <-s.done:
			return eventlog.Recorded{}, eventlog.ErrClosed
		default:
		}
		s.log.mu.Lock()
		st := s.log.streams[s.stream]
		switch {
		case s.log.closed:
			s.log.mu.Unlock()
			return eventlog.Recorded{}, eventlog.ErrClosed
		case st != nil && st.deleted:
			s.log.mu.Unlock()
			return eventlog.Recorded{}, fmt.Errorf("stream %q: %w", s.stream, eventlog.ErrStreamDeleted)
		case st != nil && s.next < eventlog.Revision(len(st.events)):
			rec := copyRecorded(st.events[s.next])
			s.next++
			s.log.mu.Unlock()
			return rec, nil
		}
		changed := s.log.changed
		s.log.mu.Unlock()
		select {
		case <-changed:
		case <-s.done:
			return eventlog.Recorded{}, eventlog.ErrClosed
		case <-ctx.Done():
			return eventlog.Recorded{}, ctx.Err()
		}
	}
}

func (s *refSub) Close() error {
	s.once.Do(func() { close(s.done) })
	return nil
}
