package boltlog

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/internal/idwindow"
)

// The bounds of one group commit: the committer takes requests waiting
// until it has this many, or this many bytes of events, so that one
// transaction stays a bounded size.
const (
	maxGroup      = 1000
	maxGroupBytes = 4 << 20
)

// A request is an Append or a Delete on its way to the committer, and,
// once done is closed, its answer.
type request struct {
	stream   string
	expected eventlog.Expected
	delete   bool
	ids      []uuid.UUID // the events' IDs, in order
	records  [][]byte    // the events' records, from encodeEvent
	size     int         // eventlog.AppendSize of the events
	idCost   int         // what the window counts for each ID

	res  eventlog.AppendResult
	err  error
	done chan struct{} // closed by the committer once res and err are set
}

// Append implements [eventlog.Log]. It returns once the events are on
// disk, or once it is sure they will not be: with an error, or with a
// result that needs no write (a retry that is a no-op). Its idempotency
// follows EventStoreDB's rules (see the eventlog package): by position
// for Exact and NoStream, by the de-duplication window for Any and
// StreamExists.
//
// If ctx ends while the append waits for the committer, Append returns
// ctx.Err() and nothing is written; once the committer has taken it,
// Append waits for the commit, which no context can stop halfway.
func (l *Log) Append(ctx context.Context, name string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventlog.AppendResult{}, err
	}
	if err := eventlog.CheckAppend(name, events); err != nil {
		return eventlog.AppendResult{}, err
	}
	r := &request{
		stream:   name,
		expected: expected,
		ids:      make([]uuid.UUID, len(events)),
		records:  make([][]byte, len(events)),
		size:     eventlog.AppendSize(events...),
		idCost:   idwindow.Cost(name),
		done:     make(chan struct{}),
	}
	for i, e := range events {
		r.ids[i], r.records[i] = e.ID, encodeEvent(e)
	}
	if err := l.submit(ctx, r); err != nil {
		return eventlog.AppendResult{}, err
	}
	return r.res, r.err
}

// Delete implements [eventlog.Deleter]: the stream's events are dropped
// and its name kept as a tombstone, for ever, in the same commit.
func (l *Log) Delete(ctx context.Context, name string, expected eventlog.Expected) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := eventlog.CheckStreamName(name); err != nil {
		return err
	}
	r := &request{stream: name, expected: expected, delete: true, done: make(chan struct{})}
	if err := l.submit(ctx, r); err != nil {
		return err
	}
	return r.err
}

// submit queues r for the committer and waits for its answer. If ctx
// ends first, submit takes r back out of the queue and returns ctx.Err(),
// unless the committer has taken it already: then it waits for the
// answer, which comes once the commit is done.
func (l *Log) submit(ctx context.Context, r *request) error {
	if l.wake == nil {
		return ErrNotOpen
	}
	l.qmu.Lock()
	if l.closing {
		l.qmu.Unlock()
		return eventlog.ErrClosed
	}
	l.queue = append(l.queue, r)
	n := len(l.queue)
	l.qmu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default: // the committer has a wake-up waiting already
	}
	if l.onQueue != nil {
		l.onQueue(n)
	}
	select {
	case <-r.done:
		return nil
	case <-l.brokenCh: // the committer may wait in bbolt for ever
		return l.broken.Load()
	case <-ctx.Done():
	}
	l.qmu.Lock()
	if i := slices.Index(l.queue, r); i >= 0 {
		l.queue = slices.Delete(l.queue, i, i+1)
		l.qmu.Unlock()
		return ctx.Err()
	}
	l.qmu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-l.brokenCh:
		return l.broken.Load()
	}
}

// commitLoop is the committer: it takes the requests queued, commits
// them together, answers them, and starts again. While it commits, new
// requests queue up to be the next group: that is all the batching there
// is, so a lone append is committed at once, and appends that arrive
// together share one commit. Once Close has been called, it commits what
// is queued, and returns.
func (l *Log) commitLoop() {
	defer close(l.committerDone)
	for {
		l.qmu.Lock()
		group := l.take()
		closing := l.closing
		l.qmu.Unlock()
		if len(group) > 0 {
			l.commit(group)
			continue
		}
		if closing {
			return
		}
		select {
		case <-l.wake:
		case <-l.done:
		}
	}
}

// take removes the next group from the queue: the requests at its front,
// as many as maxGroup and maxGroupBytes allow, one at least. l.qmu must
// be held.
func (l *Log) take() []*request {
	n, size := 0, 0
	for n < len(l.queue) && n < maxGroup && (n == 0 || size+l.queue[n].size <= maxGroupBytes) {
		size += l.queue[n].size
		n++
	}
	group := slices.Clone(l.queue[:n])
	l.queue = slices.Delete(l.queue, 0, n)
	return group
}

// commit applies group in one write transaction, commits it if it wrote
// anything, answers every request, and wakes the subscribers of the
// streams it changed.
func (l *Log) commit(group []*request) {
	changed, events, err := l.apply(group)
	if err != nil {
		// Nothing was written, but the window may have taken IDs the file
		// does not have: forget them all, as a restart would.
		l.ids = idwindow.New[written](l.windowSize)
		for _, r := range group {
			r.res, r.err = eventlog.AppendResult{}, fmt.Errorf("boltlog: commit: %w", err)
		}
	} else {
		if len(changed) > 0 {
			l.stats.commits.Add(1)
			l.stats.events.Add(uint64(events))
		}
		l.stats.appends.Add(uint64(len(group)))
	}
	for _, r := range group {
		close(r.done)
	}
	if err == nil {
		l.notify(changed)
	}
}

// apply runs group's requests in order in one write transaction, setting
// each one's answer, and commits if they changed anything (a group of
// refusals and no-op retries needs no fsync). Holding the transaction,
// it first tops up the room written past the file's pages (see fill).
// It returns the streams changed and the number of events written; an
// error if the transaction failed, and then nothing was written, or if
// the path no longer names the log's file (see checkFile), and then what
// was written is where a restart will not find it.
func (l *Log) apply(group []*request) (changed []string, events int, err error) {
	if broken := l.broken.Load(); broken != nil {
		return nil, 0, broken
	}
	// A fault or a panic marks the log broken (see survive): the
	// transaction it interrupted is left as it is, with bbolt's writer
	// lock, since rolling it back would read the damaged file again.
	defer l.survive(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	tx, err := l.db.Begin(true)
	if err != nil {
		return nil, 0, err
	}
	l.fill(tx.Size())
	at := l.now().UTC()
	for _, r := range group {
		n, wrote, err := l.applyOne(tx, r, at)
		if err != nil {
			_ = tx.Rollback()
			return nil, 0, err
		}
		if wrote {
			changed = append(changed, r.stream)
			events += n
		}
	}
	if len(changed) == 0 {
		// Refusals and no-op retries: a retry's "already written" must
		// not be said of events the path no longer leads to either.
		if err := tx.Rollback(); err != nil {
			return nil, 0, err
		}
		return nil, 0, l.checkFile()
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, err
	}
	if err := l.checkFile(); err != nil {
		return nil, 0, err
	}
	return changed, events, nil
}

// applyOne applies r in tx, setting r's answer. It returns the number of
// events written and whether r changed its stream; an error only if the
// transaction cannot go on.
func (l *Log) applyOne(tx *bolt.Tx, r *request, at time.Time) (n int, wrote bool, err error) {
	streams, tombs := tx.Bucket(bucketStreams), tx.Bucket(bucketTombstones)
	key := []byte(r.stream)
	if tombs.Get(key) != nil {
		r.err = fmt.Errorf("stream %q: %w", r.stream, eventlog.ErrStreamDeleted)
		return 0, false, nil
	}
	b := streams.Bucket(key)
	cur := int64(-1) // the stream's last revision; -1 for none
	if b != nil {
		cur = int64(b.Sequence()) - 1
	}
	if r.delete {
		if !meets(actualOf(cur), r.expected) {
			r.err = &eventlog.WrongExpectedRevisionError{Stream: r.stream, Expected: r.expected, Actual: actualOf(cur)}
			return 0, false, nil
		}
		if err := tombs.Put(key, encodeTombstone(r.stream, at)); err != nil {
			return 0, false, err
		}
		if err := tombs.SetSequence(tombs.Sequence() + 1); err != nil {
			return 0, false, err
		}
		if b != nil {
			if err := streams.DeleteBucket(key); err != nil {
				return 0, false, err
			}
			if err := streams.SetSequence(streams.Sequence() - 1); err != nil {
				return 0, false, err
			}
		}
		return 0, true, nil
	}

	res, done, err := l.checkExpected(b, r, cur)
	if errors.Is(err, errRecord) { // a record read back to check the expected revision or an ID
		err = corrupt(l.path, err, "a record damaged since the log was opened")
	}
	if err != nil || done {
		r.res, r.err = res, err
		return 0, false, nil
	}
	if b == nil {
		if b, err = streams.CreateBucket(key); err != nil {
			return 0, false, err
		}
		if err := streams.SetSequence(streams.Sequence() + 1); err != nil {
			return 0, false, err
		}
	}
	// A stream only grows at its end: pages that split may be filled
	// whole, where bbolt's default leaves them half empty for inserts
	// that will never come.
	b.FillPercent = 1.0
	for i, rec := range r.records {
		rev := uint64(cur + 1 + int64(i))
		k := revKey(rev)
		if err := b.Put(k, seal(rec, r.stream, k, at)); err != nil {
			return 0, false, err
		}
		l.ids.Add(r.ids[i], written{r.stream, rev}, r.idCost)
	}
	if err := b.SetSequence(uint64(cur + 1 + int64(len(r.records)))); err != nil {
		return 0, false, err
	}
	r.res = eventlog.AppendResult{NextExpected: eventlog.Revision(cur + int64(len(r.records)))}
	return len(r.records), true, nil
}

// actualOf returns the state of a stream whose last revision is cur (-1
// for none), as a WrongExpectedRevisionError's Actual.
func actualOf(cur int64) eventlog.Expected {
	if cur < 0 {
		return eventlog.NoStream
	}
	return eventlog.Exact(eventlog.Revision(cur))
}

// checkExpected decides an append r against its stream, whose bucket is
// b (nil if it has no events) and last revision cur, and the
// de-duplication window, as EventStoreDB's CheckCommit does (and memlog).
// done is false if the events must be written; otherwise the append ends
// with res and err: an idempotent success, or a
// *WrongExpectedRevisionError.
func (l *Log) checkExpected(b *bolt.Bucket, r *request, cur int64) (res eventlog.AppendResult, done bool, err error) {
	wrong := func() error {
		return &eventlog.WrongExpectedRevisionError{Stream: r.stream, Expected: r.expected, Actual: actualOf(cur)}
	}
	switch r.expected {
	case eventlog.StreamExists, eventlog.Any:
		if r.expected == eventlog.StreamExists && cur < 0 {
			return res, true, wrong()
		}
		// By the window: a batch whose first ID the window remembers for
		// this stream is a retry if it remembers all of them there (the
		// answer is where the last was first written), a conflict
		// otherwise; one whose first ID it forgot is a new append.
		if first, known := l.ids.Lookup(r.ids[0]); cur < 0 || !known || first.stream != r.stream {
			return res, false, nil
		}
		var last uint64
		for _, id := range r.ids {
			at, known := l.ids.Lookup(id)
			if !known || at.stream != r.stream {
				return res, true, wrong()
			}
			last = at.rev
		}
		return eventlog.AppendResult{NextExpected: eventlog.Revision(last)}, true, nil
	}

	e := int64(-1) // NoStream expects the last revision to be -1
	if rev, ok := r.expected.Revision(); ok {
		e = int64(rev)
	} else if r.expected != eventlog.NoStream {
		return res, true, wrong() // an invalid expectation no stream meets
	}
	switch {
	case e == cur:
		return res, false, nil
	case e > cur:
		return res, true, wrong()
	}
	// e < cur: a retry of an append that already happened at e+1…, if the
	// events there have these IDs, in this order. This reads the file, so
	// it holds across restarts, whatever the window remembers.
	for i, id := range r.ids {
		pos := e + 1 + int64(i)
		if pos > cur {
			return res, true, wrong()
		}
		stored, err := storedID(b.Get(revKey(uint64(pos))))
		if err != nil {
			return res, true, fmt.Errorf("boltlog: stream %q: revision %d: %w", r.stream, pos, err)
		}
		if stored != id {
			return res, true, wrong()
		}
	}
	return eventlog.AppendResult{NextExpected: eventlog.Revision(e + int64(len(r.ids)))}, true, nil
}

// meets reports whether a stream whose state is actual (NoStream or
// Exact) meets the expectation, without idempotency: Delete's check.
func meets(actual, expected eventlog.Expected) bool {
	switch expected {
	case eventlog.Any:
		return true
	case eventlog.StreamExists:
		return actual != eventlog.NoStream
	}
	return actual == expected
}
