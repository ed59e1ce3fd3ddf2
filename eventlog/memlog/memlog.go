package memlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/internal/idwindow"
)

// Config configures a [Log]. The zero Config is ready to use.
type Config struct {
	// Now stamps recorded events; nil means time.Now.
	Now func() time.Time

	// DedupWindow is how many of the latest event writes, across all
	// streams, the log remembers the IDs of, to recognise a retried
	// append with Any or StreamExists (see [eventlog.Log]'s Append): 0
	// means DefaultDedupWindow; NoDedupWindow, or any negative number,
	// keeps no IDs, so that every such retry stores its events again.
	// The log remembers fewer if EventStoreDB would: it never holds more
	// than EventStoreDB's 8 MiB of IDs, counted as EventStoreDB counts
	// them (28 bytes, plus 2 per character of the stream's name). Retries
	// with Exact or NoStream compare the stored events, and are recognised
	// whatever the window.
	DedupWindow int
}

// DefaultDedupWindow is the DedupWindow of a zero Config: 100 000
// writes, about what EventStoreDB's 8 MiB cache of event IDs holds when
// stream names are some 25 characters long (about 40 000 for names of
// 100 characters, 200 000 for names of 5).
const DefaultDedupWindow = idwindow.Default

// NoDedupWindow is a DedupWindow that keeps no event IDs: a log that
// behaves like an EventStoreDB whose cache has forgotten every earlier
// append, so that a retry with Any or StreamExists stores its events
// again. Tests use it to see what their folds make of duplicates.
const NoDedupWindow = idwindow.None

// Log is an [eventlog.Log] held in memory: a map of streams, each a slice
// of recorded events, behind one read-write mutex. It is a real
// implementation, not a mock: it passes the same conformance suite as the
// EventStoreDB adapter, including idempotent appends, deletion and
// catch-up subscriptions.
//
// Like EventStoreDB, it remembers the IDs of the latest event writes in a
// bounded window (Config.DedupWindow), first write first forgotten, and
// checks retries with Any or StreamExists against it only; a retry with
// Exact or NoStream is checked against the stored events.
//
// It copies event data on the way in and on the way out, so neither the
// caller's slices nor the stored events can change behind anyone's back.
// It starts no goroutines: subscribers wait on a channel that each append
// to their stream closes, so they are woken by notification, never by
// polling, and an abandoned subscription holds nothing but a cursor.
//
// A Log is safe for concurrent use. Its events live as long as it does;
// it is meant for demos and tests, not for data that must survive a
// restart. Make one with [New]: every method of the zero Log returns
// [ErrNotMade].
type Log struct {
	now func() time.Time

	mu      sync.RWMutex
	streams map[string]*stream
	ids     *idwindow.Window[written] // the de-duplication window
	closed  bool
	done    chan struct{} // closed by Close
}

// written says where the de-duplication window saw an event ID first
// written.
type written struct {
	stream *stream
	rev    eventlog.Revision
}

var (
	_ eventlog.Log     = (*Log)(nil)
	_ eventlog.Deleter = (*Log)(nil)
)

// stream is one stream's state. Its fields are guarded by Log.mu.
type stream struct {
	events  []eventlog.Recorded
	idCost  int // what the window counts for each of its event IDs
	deleted bool
	// changed is closed, and replaced, whenever the stream changes: every
	// subscriber waiting for a new event waits on it.
	changed chan struct{}
}

// New returns an empty log.
func New(cfg Config) *Log {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	window := cfg.DedupWindow
	if window == 0 {
		window = DefaultDedupWindow
	}
	return &Log{
		now:     now,
		streams: make(map[string]*stream),
		ids:     idwindow.New[written](window),
		done:    make(chan struct{}),
	}
}

// last returns the stream's last revision as an expectation: NoStream if
// it has no events.
func (s *stream) last() eventlog.Expected {
	if s == nil || len(s.events) == 0 {
		return eventlog.NoStream
	}
	return eventlog.Exact(eventlog.Revision(len(s.events) - 1))
}

// notify wakes every subscriber waiting on the stream.
func (s *stream) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// streamFor returns the named stream, creating it empty if it is new.
func (l *Log) streamFor(name string) *stream {
	s := l.streams[name]
	if s == nil {
		s = &stream{idCost: idwindow.Cost(name), changed: make(chan struct{})}
		l.streams[name] = s
	}
	return s
}

// Append implements [eventlog.Log]; its idempotency follows EventStoreDB's
// rules (see the eventlog package): by position for Exact and NoStream,
// by the de-duplication window for Any and StreamExists.
func (l *Log) Append(ctx context.Context, name string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventlog.AppendResult{}, err
	}
	if err := eventlog.CheckAppend(name, events); err != nil {
		return eventlog.AppendResult{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return eventlog.AppendResult{}, err
	}
	s := l.streams[name]
	if s != nil && s.deleted {
		return eventlog.AppendResult{}, fmt.Errorf("stream %q: %w", name, eventlog.ErrStreamDeleted)
	}
	wrong := func() error {
		return &eventlog.WrongExpectedRevisionError{Stream: name, Expected: expected, Actual: s.last()}
	}
	if res, done, err := checkExpected(s, l.ids, expected, events, wrong); done {
		return res, err
	}

	s = l.streamFor(name)
	at := l.now().UTC()
	for _, e := range events {
		rev := eventlog.Revision(len(s.events))
		s.events = append(s.events, eventlog.Recorded{Event: copyEvent(e), Stream: name, Revision: rev, Time: at})
		l.ids.Add(e.ID, written{s, rev}, s.idCost)
	}
	s.notify()
	return eventlog.AppendResult{NextExpected: eventlog.Revision(len(s.events) - 1)}, nil
}

// checkExpected decides an append against the stream's state s (nil if it
// has never been written) and the de-duplication window ids, as
// EventStoreDB's CheckCommit does. done is false if the events must be
// appended; otherwise the append ends with res and err: an idempotent
// success, or the error wrong returns.
func checkExpected(s *stream, ids *idwindow.Window[written], expected eventlog.Expected, events []eventlog.Event, wrong func() error) (res eventlog.AppendResult, done bool, err error) {
	cur := int64(-1) // the last revision, -1 for none
	if s != nil {
		cur = int64(len(s.events)) - 1
	}
	switch expected {
	case eventlog.StreamExists, eventlog.Any:
		if expected == eventlog.StreamExists && cur < 0 {
			return res, true, wrong()
		}
		// Idempotency by the window: a batch whose first ID the window
		// remembers for this stream is a retry if it remembers all of them
		// there (the answer is where the last was first written), a
		// conflict otherwise. A batch whose first ID it has forgotten is
		// a new append, even if the stream holds the events already.
		if first, known := ids.Lookup(events[0].ID); s == nil || !known || first.stream != s {
			return res, false, nil
		}
		var last eventlog.Revision
		for _, e := range events {
			at, known := ids.Lookup(e.ID)
			if !known || at.stream != s {
				return res, true, wrong()
			}
			last = at.rev
		}
		return eventlog.AppendResult{NextExpected: last}, true, nil
	}

	e := int64(-1) // NoStream expects the last revision to be -1
	if rev, ok := expected.Revision(); ok {
		e = int64(rev)
	} else if expected != eventlog.NoStream {
		return res, true, wrong() // an invalid expectation no stream meets
	}
	switch {
	case e == cur:
		return res, false, nil
	case e > cur:
		return res, true, wrong()
	}
	// e < cur: a retry of an append that already happened at e+1…, if the
	// events there have these IDs, in this order. This reads the stored
	// events, so it works whatever the window remembers.
	for i, ev := range events {
		pos := e + 1 + int64(i)
		if pos > cur || s.events[pos].ID != ev.ID {
			return res, true, wrong()
		}
	}
	return eventlog.AppendResult{NextExpected: eventlog.Revision(e + int64(len(events)))}, true, nil
}

// Read implements [eventlog.Log].
func (l *Log) Read(ctx context.Context, name string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := eventlog.CheckRead(name, dir, max); err != nil {
		return nil, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if err := l.usable(); err != nil {
		return nil, err
	}
	s := l.streams[name]
	switch {
	case s != nil && s.deleted:
		return nil, fmt.Errorf("stream %q: %w", name, eventlog.ErrStreamDeleted)
	case s == nil || len(s.events) == 0:
		return nil, fmt.Errorf("stream %q: %w", name, eventlog.ErrStreamNotFound)
	}
	n := uint64(len(s.events))
	var out []eventlog.Recorded
	if dir == eventlog.Forwards {
		if uint64(from) >= n {
			return []eventlog.Recorded{}, nil
		}
		end := min(n, uint64(from)+uint64(max)) // from < n, so no overflow
		out = make([]eventlog.Recorded, 0, end-uint64(from))
		for _, r := range s.events[from:end] {
			out = append(out, copyRecorded(r))
		}
		return out, nil
	}
	start := min(uint64(from), n-1)
	count := min(start+1, uint64(max))
	out = make([]eventlog.Recorded, 0, count)
	for i := range count {
		out = append(out, copyRecorded(s.events[start-i]))
	}
	return out, nil
}

// Subscribe implements [eventlog.Log]. The subscription is a cursor into
// the stream; see [eventlog.Subscription] on back-pressure.
func (l *Log) Subscribe(ctx context.Context, name string, from eventlog.Revision) (eventlog.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := eventlog.CheckStreamName(name); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return nil, err
	}
	s := l.streamFor(name)
	if s.deleted {
		return nil, fmt.Errorf("stream %q: %w", name, eventlog.ErrStreamDeleted)
	}
	next := from
	if from == eventlog.End {
		next = eventlog.Revision(len(s.events))
	}
	return &subscription{log: l, stream: s, name: name, next: next, done: make(chan struct{})}, nil
}

// Delete implements [eventlog.Deleter]: the stream becomes a tombstone.
func (l *Log) Delete(ctx context.Context, name string, expected eventlog.Expected) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := eventlog.CheckStreamName(name); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	s := l.streams[name]
	if s != nil && s.deleted {
		return fmt.Errorf("stream %q: %w", name, eventlog.ErrStreamDeleted)
	}
	if !meets(s.last(), expected) {
		return &eventlog.WrongExpectedRevisionError{Stream: name, Expected: expected, Actual: s.last()}
	}
	s = l.streamFor(name)
	s.deleted = true
	s.notify()
	return nil
}

// meets reports whether a stream whose last revision is actual (NoStream
// or Exact) meets the expectation, without idempotency.
func meets(actual, expected eventlog.Expected) bool {
	switch expected {
	case eventlog.Any:
		return true
	case eventlog.StreamExists:
		return actual != eventlog.NoStream
	}
	return actual == expected
}

// ErrNotMade is the error of every method of a Log that [New] did not
// make: the zero Log has no streams to keep events in.
var ErrNotMade = errors.New("memlog: the Log was not made by memlog.New")

// usable returns ErrNotMade for a Log New did not make and
// eventlog.ErrClosed for a closed one. l.mu must be held.
func (l *Log) usable() error {
	switch {
	case l.done == nil:
		return ErrNotMade
	case l.closed:
		return eventlog.ErrClosed
	}
	return nil
}

// Close implements [eventlog.Log]: every later call, and every waiting
// Next, returns eventlog.ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done == nil {
		return ErrNotMade
	}
	if !l.closed {
		l.closed = true
		close(l.done)
	}
	return nil
}

// subscription is a cursor into one stream.
type subscription struct {
	log    *Log
	stream *stream
	name   string
	next   eventlog.Revision // only the reading goroutine touches it

	closeOnce sync.Once
	done      chan struct{}
}

// Next implements [eventlog.Subscription].
func (s *subscription) Next(ctx context.Context) (eventlog.Recorded, error) {
	for {
		r, wait, err := s.poll()
		if err != nil || wait == nil {
			return r, err
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return eventlog.Recorded{}, ctx.Err()
		case <-s.done:
			return eventlog.Recorded{}, eventlog.ErrClosed
		case <-s.log.done:
			return eventlog.Recorded{}, eventlog.ErrClosed
		}
	}
}

// poll returns the next event if there is one, or else the channel to wait
// on for a change.
func (s *subscription) poll() (eventlog.Recorded, <-chan struct{}, error) {
	s.log.mu.RLock()
	defer s.log.mu.RUnlock()
	select {
	case <-s.done:
		return eventlog.Recorded{}, nil, eventlog.ErrClosed
	default:
	}
	if s.log.closed {
		return eventlog.Recorded{}, nil, eventlog.ErrClosed
	}
	if uint64(s.next) < uint64(len(s.stream.events)) {
		r := copyRecorded(s.stream.events[s.next])
		s.next++
		return r, nil, nil
	}
	if s.stream.deleted {
		return eventlog.Recorded{}, nil, fmt.Errorf("stream %q: %w", s.name, eventlog.ErrStreamDeleted)
	}
	return eventlog.Recorded{}, s.stream.changed, nil
}

// Close implements [eventlog.Subscription].
func (s *subscription) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	return nil
}

func copyEvent(e eventlog.Event) eventlog.Event {
	e.Data = bytes.Clone(e.Data)
	if len(e.Metadata) == 0 {
		e.Metadata = nil
	} else {
		e.Metadata = bytes.Clone(e.Metadata)
	}
	return e
}

func copyRecorded(r eventlog.Recorded) eventlog.Recorded {
	r.Event = copyEvent(r.Event)
	return r
}
