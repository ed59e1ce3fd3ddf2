package eventlogtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/eventchain/eventchain/eventlog"
)

// A DuplicatingLog is the log [Duplicating] returns: an [eventlog.Log]
// that now and then stores an append a second time, with two methods for
// the tests that use it.
type DuplicatingLog interface {
	eventlog.Log

	// Flush stores now, in the order they were drawn, the duplicates
	// still held back for a later append. A duplicate whose append fails
	// is dropped, as a client's retry that failed would be; Flush returns
	// those errors, joined, except ErrStreamDeleted (the stream was
	// deleted since: a retry fails the same way on EventStoreDB).
	Flush(ctx context.Context) error

	// Duplicates returns how many duplicates the wrapped log has stored:
	// appends of a batch again that it answered with a later revision
	// than the first time. A duplicate the wrapped log took for a retry,
	// and answered like the first append, is not counted.
	Duplicates() int
}

// Duplicating returns a log that behaves like log, except that it stores
// some appends twice, the way EventStoreDB does when a client retries an
// append with Any after the server's cache of event IDs has forgotten
// it. It lets the rest of eventchain test that its folds shrug off
// duplicates: every fold must (see [eventlog.Log]'s Append).
//
// It duplicates only what EventStoreDB could: after an append with Any
// or StreamExists succeeds, with probability rate (0 to 1) it appends
// the same events, with the same IDs, again, with Any. Half of the
// duplicates are appended at once, and the call returns the second
// append's result, as a retried call would. The others are held back,
// and appended by a later Append call (to any stream, through this log)
// once its own append is done: the next call, or one up to 1024 calls
// later, the delays spread over orders of magnitude, so that duplicates
// land at any distance from their original, near and far. Appends with
// Exact or NoStream are never duplicated: EventStoreDB recognises their
// retries by position, always.
//
// The duplicate goes to log, which decides, as an EventStoreDB server
// decides about a retry: so wrap a log that keeps no event IDs, such as
// memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow}), or the
// eventlog/esdb adapter on an esdbtest server with no window, to have
// every duplicate really stored. A log that still remembers the IDs
// answers the duplicate like the first append and stores nothing, as
// EventStoreDB does while its cache remembers them.
//
// The draws come from a pseudo-random generator seeded with seed, under
// a lock: the same seed and the same calls, in the same order, give the
// same duplicates. Duplicates still held back are stored before the
// later call's return only if that call's context is not done; Flush
// stores them all, and Close drops them.
//
// The result is safe for concurrent use, is an [eventlog.Deleter] exactly
// when log is, and accepts the stream names log does. With rate 0 it
// passes Run. Duplicating panics if rate is not between 0 and 1.
func Duplicating(log eventlog.Log, rate float64, seed uint64) DuplicatingLog {
	if math.IsNaN(rate) || rate < 0 || rate > 1 {
		panic(fmt.Sprintf("eventlogtest: Duplicating: rate %v, want 0 to 1", rate))
	}
	d := &duplicating{log: log, rate: rate, rng: rand.New(rand.NewPCG(seed, duplicatingStream))}
	if del, ok := log.(eventlog.Deleter); ok {
		return duplicatingDeleter{d, del}
	}
	return d
}

// duplicatingStream is the second word of the generator's seed: any
// constant will do.
const duplicatingStream = 0xe7c4a1d2b3f60958

// maxDelayBits bounds how long a duplicate may be held back: up to
// 1<<maxDelayBits later Append calls.
const maxDelayBits = 10

type duplicating struct {
	log  eventlog.Log
	rate float64

	mu      sync.Mutex
	rng     *rand.Rand
	calls   uint64      // Append calls returned so far
	pending []duplicate // held back, in the order they were drawn
	stored  int         // duplicates the log stored
}

// A duplicate is an append to make again.
type duplicate struct {
	stream string
	events []eventlog.Event      // the log's own copy
	first  eventlog.AppendResult // what the first append returned
	due    uint64                // store it once calls reaches this
}

func (d *duplicating) Append(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	res, err := d.log.Append(ctx, stream, expected, events...)

	d.mu.Lock()
	d.calls++
	var now *duplicate // to store at once
	if err == nil && (expected == eventlog.Any || expected == eventlog.StreamExists) {
		// Four draws for every such append, whatever their outcome, so that
		// one decision does not shift the ones after it.
		dup := d.rng.Float64() < d.rate
		held := d.rng.IntN(2) == 1
		delay := 1 + uint64(d.rng.IntN(1<<d.rng.IntN(maxDelayBits+1)))
		if dup {
			c := duplicate{stream: stream, events: cloneEvents(events), first: res, due: d.calls + delay}
			if held {
				d.pending = append(d.pending, c)
			} else {
				now = &c
			}
		}
	}
	var due []duplicate
	if ctx.Err() == nil {
		due = d.takeLocked(func(c duplicate) bool { return c.due <= d.calls })
	}
	d.mu.Unlock()

	if now != nil {
		if again, err := d.store(ctx, *now); err == nil {
			res = again // the retry's answer
		}
	}
	for _, c := range due {
		_, _ = d.store(ctx, c) // a retry that fails is just gone
	}
	return res, err
}

// takeLocked removes the pending duplicates that take reports and returns
// them, in order; d.mu must be held.
func (d *duplicating) takeLocked(take func(duplicate) bool) []duplicate {
	var taken []duplicate
	kept := d.pending[:0]
	for _, c := range d.pending {
		if take(c) {
			taken = append(taken, c)
		} else {
			kept = append(kept, c)
		}
	}
	clear(d.pending[len(kept):])
	d.pending = kept
	return taken
}

// store appends a duplicate, with Any, and counts it if log stored it.
func (d *duplicating) store(ctx context.Context, c duplicate) (eventlog.AppendResult, error) {
	res, err := d.log.Append(ctx, c.stream, eventlog.Any, c.events...)
	if err == nil && res.NextExpected > c.first.NextExpected {
		d.mu.Lock()
		d.stored++
		d.mu.Unlock()
	}
	return res, err
}

func (d *duplicating) Flush(ctx context.Context) error {
	d.mu.Lock()
	all := d.takeLocked(func(duplicate) bool { return true })
	d.mu.Unlock()
	var errs []error
	for _, c := range all {
		if _, err := d.store(ctx, c); err != nil && !errors.Is(err, eventlog.ErrStreamDeleted) {
			errs = append(errs, fmt.Errorf("duplicate of %d events in %q: %w", len(c.events), c.stream, err))
		}
	}
	return errors.Join(errs...)
}

func (d *duplicating) Duplicates() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stored
}

func (d *duplicating) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	return d.log.Read(ctx, stream, from, dir, max)
}

func (d *duplicating) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	return d.log.Subscribe(ctx, stream, from)
}

// Close drops the duplicates held back and closes the wrapped log.
func (d *duplicating) Close() error {
	d.mu.Lock()
	d.pending = nil
	d.mu.Unlock()
	return d.log.Close()
}

// MaxStreamNameLen returns the wrapped log's limit, for eventlog.NameLimit.
func (d *duplicating) MaxStreamNameLen() int { return eventlog.NameLimit(d.log) }

type duplicatingDeleter struct {
	*duplicating
	d eventlog.Deleter
}

func (d duplicatingDeleter) Delete(ctx context.Context, stream string, expected eventlog.Expected) error {
	return d.d.Delete(ctx, stream, expected)
}

// cloneEvents copies events, their data and metadata included, so that
// a duplicate held back is what was appended even if the caller changes
// its slices after.
func cloneEvents(events []eventlog.Event) []eventlog.Event {
	out := slices.Clone(events)
	for i := range out {
		out[i].Data = bytes.Clone(out[i].Data)
		out[i].Metadata = bytes.Clone(out[i].Metadata)
	}
	return out
}
