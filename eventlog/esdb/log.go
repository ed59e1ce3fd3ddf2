package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"sync"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/eventchain/eventchain/eventlog"
)

// Log is an [eventlog.Log], and an [eventlog.Deleter], kept in
// EventStoreDB and reached through its official Go client.
//
// Each call, and each subscription for as long as it lives, uses a gRPC
// connection of its own, from a small pool (the package documentation
// says why). Calls give up when their context ends, also while
// connecting.
//
// A Log is safe for concurrent use. Close ends its subscriptions and
// waits for every goroutine it started. Only [New] or [Open] makes a Log:
// the methods of a zero Log return [ErrNotOpen], and its Close nil.
type Log struct {
	prefix string
	policy Policy
	logger *slog.Logger
	pool   *pool

	ctx    context.Context // ends when Close is called
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	ops    sync.WaitGroup // calls in progress, subscriptions, dialers
}

var (
	_ eventlog.Log     = (*Log)(nil)
	_ eventlog.Deleter = (*Log)(nil)
)

// New returns a Log for cfg without connecting: the first call
// connects. It fails only if cfg is invalid (errors.Is
// eventlog.ErrInvalid): no connection string, or one the official client
// cannot parse. See Open for a Log known to reach its server.
func New(cfg Config) (*Log, error) {
	cc, err := cfg.clientConfig()
	if err != nil {
		return nil, fmt.Errorf("esdb: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	policy := cfg.Policy.withDefaults()
	l := &Log{prefix: cfg.StreamPrefix, policy: policy, logger: logger}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.pool = &pool{cfg: *cc, maxIdle: policy.MaxIdleConns, wg: &l.ops}
	return l, nil
}

// Open returns a Log for cfg that has reached its server: New, then
// Ping. It fails with an error wrapping eventlog.ErrInvalid for a bad
// cfg, eventlog.ErrUnavailable if the server cannot be reached, or
// ctx.Err(). If ctx ends while the official client is still looking for
// the server, Open returns at once, and the client's search ends by
// itself a little later (see Close).
func Open(ctx context.Context, cfg Config) (*Log, error) {
	l, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := l.Ping(ctx); err != nil {
		l.shutdown(false)
		return nil, err
	}
	return l, nil
}

// Ping connects to the server anew and reports whether it answers: nil,
// or an error wrapping eventlog.ErrUnavailable, ctx.Err() or
// eventlog.ErrClosed.
func (l *Log) Ping(ctx context.Context) error {
	ctx, end, err := l.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	c, _, err := l.pool.get(ctx, true)
	if err != nil {
		return l.fail(ctx, "ping", "", err)
	}
	l.pool.put(c, false)
	return nil
}

// MaxStreamNameLen returns the longest stream name the log accepts:
// eventlog.MaxStreamNameLen less the length of Config.StreamPrefix.
// eventlog.NameLimit asks for it.
func (l *Log) MaxStreamNameLen() int { return eventlog.MaxStreamNameLen - len(l.prefix) }

// Close ends the log: it ends every subscription (their Next returns
// eventlog.ErrClosed), makes calls in progress and later calls return
// eventlog.ErrClosed, waits for every goroutine the log started, and
// closes its connections. Close is idempotent.
//
// Two waits are the official client's. It closes a connection in a
// goroutine of its own, which ends a moment after Close returns. And its
// search for a server takes no context, so Close waits for one in
// progress to end: at most maxDiscoverAttempts × discoveryInterval
// (10 × 100 ms by default) against a server that refuses connections,
// and maxDiscoverAttempts × gossipTimeout against one that accepts them
// and says nothing.
func (l *Log) Close() error {
	if l == nil || l.cancel == nil { // a Log New or Open did not make: nothing to close
		return nil
	}
	l.shutdown(true)
	return nil
}

// ErrNotOpen is the error of every method but Close of a Log that [New] or
// [Open] did not make, such as a zero Log: it has no connection to a
// server. (Close of such a Log does nothing and returns nil.)
var ErrNotOpen = errors.New("esdb: the Log was not made by New or Open")

// shutdown closes the log, and waits for its goroutines if wait is set.
func (l *Log) shutdown(wait bool) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	if wait {
		l.ops.Wait()
	}
	l.pool.close()
}

// begin starts a call: it returns a context that also ends when the log
// closes, and a function to call when the call is over; or ctx.Err(), or
// ErrClosed.
func (l *Log) begin(ctx context.Context) (context.Context, func(), error) {
	if l == nil || l.ctx == nil || l.pool == nil {
		return nil, nil, ErrNotOpen
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, nil, eventlog.ErrClosed
	}
	l.ops.Add(1)
	l.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(l.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
		l.ops.Done()
	}, nil
}

// check refuses a stream name that is invalid, or too long once
// prefixed.
func (l *Log) check(stream string) error {
	if l == nil {
		return ErrNotOpen
	}
	if err := eventlog.CheckStreamName(stream); err != nil {
		return err
	}
	if len(stream) > l.MaxStreamNameLen() {
		return fmt.Errorf("%w: stream name of %d bytes, want at most %d (MaxStreamNameLen less the prefix)", eventlog.ErrInvalid, len(stream), l.MaxStreamNameLen())
	}
	return nil
}

// withClient runs f with a client from the pool, and gives it back; or
// closes it, if its call was cut short (see cutShort).
//
// If f fails because its server went away, on a client that was idle in
// the pool, the other idle clients are likely dead too (a server that
// restarted since, say): they are closed, and if retry is set, f runs
// once more on a new client. Only calls that may run twice set it:
// reads, and appends, whose events' IDs make a second run a no-op where
// the server can tell: always with NoStream or an exact revision, and
// with Any or StreamExists only while the server remembers the IDs (it
// forgets them when it restarts), which eventlog.Log's contract allows
// (a retry with those may store the events twice).
func (l *Log) withClient(ctx context.Context, retry bool, f func(*esclient.Client) error) error {
	c, reused, err := l.pool.get(ctx, false)
	if err != nil {
		return err
	}
	err = f(c)
	l.pool.put(c, broken(err) || cutShort(ctx, err))
	if !reused || !broken(err) {
		return err
	}
	l.pool.flush()
	if !retry || ctx.Err() != nil {
		return err
	}
	if c, _, err = l.pool.get(ctx, true); err != nil {
		return err
	}
	err = f(c)
	l.pool.put(c, broken(err) || cutShort(ctx, err))
	return err
}

// toExpected maps an expectation to the client's; false for one no
// stream meets (Exact beyond math.MaxInt64), which is never sent.
func toExpected(e eventlog.Expected) (esclient.ExpectedRevision, bool) {
	switch e {
	case eventlog.Any:
		return esclient.Any{}, true
	case eventlog.NoStream:
		return esclient.NoStream{}, true
	case eventlog.StreamExists:
		return esclient.StreamExists{}, true
	}
	if rev, ok := e.Revision(); ok {
		return esclient.Revision(uint64(rev)), true
	}
	return nil, false
}

// Append implements [eventlog.Log]. Events are sent as JSON (content
// type application/json), with Metadata as the event's user metadata.
//
// On a wrong expected revision, the error's Actual comes from the
// server's answer; when the expectation is one no stream can meet
// (Exact beyond math.MaxInt64), nothing is sent, and Actual comes from a
// read of the stream's last event.
func (l *Log) Append(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventlog.AppendResult{}, err
	}
	if err := l.check(stream); err != nil {
		return eventlog.AppendResult{}, err
	}
	if err := eventlog.CheckAppend(stream, events); err != nil {
		return eventlog.AppendResult{}, err
	}
	ctx, end, err := l.begin(ctx)
	if err != nil {
		return eventlog.AppendResult{}, err
	}
	defer end()
	stored := l.prefix + stream
	exp, ok := toExpected(expected)
	if !ok {
		return eventlog.AppendResult{}, l.wrongExpected(ctx, stream, expected, nil, nil)
	}
	data := make([]esclient.EventData, len(events))
	for i, e := range events {
		data[i] = esclient.EventData{
			EventID:     e.ID,
			EventType:   e.Type,
			ContentType: esclient.ContentTypeJson,
			Data:        e.Data,
			Metadata:    e.Metadata,
		}
	}
	var res *esclient.WriteResult
	err = l.withClient(ctx, true, func(c *esclient.Client) error {
		var err error
		res, err = c.AppendToStream(ctx, stored, esclient.AppendToStreamOptions{ExpectedRevision: exp}, data...)
		return err
	})
	if code, isClient := clientCode(err); isClient && code == esclient.ErrorCodeWrongExpectedVersion {
		return eventlog.AppendResult{}, l.wrongExpected(ctx, stream, expected, err, gotRevision)
	}
	if err != nil {
		return eventlog.AppendResult{}, l.fail(ctx, "append to", stream, err)
	}
	return eventlog.AppendResult{NextExpected: eventlog.Revision(res.NextExpectedVersion)}, nil
}

// wrongExpected returns the *eventlog.WrongExpectedRevisionError for a
// refused append or delete, with err (the client's; nil if nothing was
// sent) in its chain. Actual comes from err's text, found with re, if it
// says it, and else from a read of the stream's last revision.
func (l *Log) wrongExpected(ctx context.Context, stream string, expected eventlog.Expected, err error, re *regexp.Regexp) error {
	actual, ok := eventlog.Expected(0), false
	if err != nil {
		actual, ok = parseActual(re, err.Error())
	}
	if !ok {
		var rerr error
		actual, rerr = l.current(ctx, l.prefix+stream)
		if rerr != nil {
			return l.fail(ctx, "read the last revision of", stream, rerr)
		}
	}
	wrong := &eventlog.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: actual}
	if err == nil {
		return wrong
	}
	return fmt.Errorf("%w (eventstoredb: %w)", wrong, err)
}

// current returns the state of a stream (by its stored name) as an
// expectation would name it: NoStream or Exact(its last revision).
func (l *Log) current(ctx context.Context, stored string) (eventlog.Expected, error) {
	rev, found, err := l.last(ctx, stored)
	switch {
	case err != nil:
		return 0, err
	case !found:
		return eventlog.NoStream, nil
	}
	return eventlog.Exact(rev), nil
}

// last returns the revision of a stream's last event, found false if it
// has none; an error for a deleted stream.
func (l *Log) last(ctx context.Context, stored string) (rev eventlog.Revision, found bool, err error) {
	evs, err := l.read(ctx, stored, esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}, 1)
	if code, ok := clientCode(err); ok && code == esclient.ErrorCodeResourceNotFound {
		return 0, false, nil
	}
	if err != nil || len(evs) == 0 {
		return 0, false, err
	}
	return eventlog.Revision(evs[0].OriginalEvent().EventNumber), true, nil
}

// read reads a stream (by its stored name) with the client.
func (l *Log) read(ctx context.Context, stored string, opts esclient.ReadStreamOptions, count uint64) ([]*esclient.ResolvedEvent, error) {
	var out []*esclient.ResolvedEvent
	err := l.withClient(ctx, true, func(c *esclient.Client) error {
		out = nil
		rs, err := c.ReadStream(ctx, stored, opts, count)
		if err != nil {
			return err
		}
		defer rs.Close()
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if ev.OriginalEvent() != nil {
				out = append(out, ev)
			}
		}
	})
	return out, err
}

// Read implements [eventlog.Log]. EventStoreDB refuses a forwards read
// from the end of a stream; this one returns no events (or
// ErrStreamNotFound, or ErrStreamDeleted), as every eventlog.Log does.
func (l *Log) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.check(stream); err != nil {
		return nil, err
	}
	if err := eventlog.CheckRead(stream, dir, max); err != nil {
		return nil, err
	}
	ctx, end, err := l.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	stored := l.prefix + stream
	pastAnyRevision := from > math.MaxInt64 // End, or more than a stream can hold
	if dir == eventlog.Forwards && pastAnyRevision {
		_, found, err := l.last(ctx, stored)
		switch {
		case err != nil:
			return nil, l.fail(ctx, "read", stream, err)
		case !found:
			return nil, l.fail(ctx, "read", stream, eventlog.ErrStreamNotFound)
		}
		return []eventlog.Recorded{}, nil
	}
	opts := esclient.ReadStreamOptions{Direction: esclient.Forwards, From: esclient.Revision(uint64(from))}
	if dir == eventlog.Backwards {
		opts.Direction = esclient.Backwards
		if pastAnyRevision {
			opts.From = esclient.End{}
		}
	}
	evs, err := l.read(ctx, stored, opts, uint64(max))
	if err != nil {
		return nil, l.fail(ctx, "read", stream, err)
	}
	out := make([]eventlog.Recorded, len(evs))
	for i, ev := range evs {
		out[i] = recorded(stream, ev.OriginalEvent())
	}
	return out, nil
}

// recorded converts an event the client read, for stream (the caller's
// name for it).
func recorded(stream string, e *esclient.RecordedEvent) eventlog.Recorded {
	meta := e.UserMetadata
	if len(meta) == 0 {
		meta = nil
	}
	return eventlog.Recorded{
		Event: eventlog.Event{
			ID:       e.EventID,
			Type:     e.EventType,
			Data:     e.Data,
			Metadata: meta,
		},
		Stream:   stream,
		Revision: eventlog.Revision(e.EventNumber),
		Time:     e.CreatedDate.UTC(),
	}
}

// Delete implements [eventlog.Deleter] with EventStoreDB's tombstone (a
// hard delete): the stream's name is used up for ever. EventStoreDB
// answers a wrong expected revision here with a gRPC error the client
// does not decode; its message gives Actual, and failing that, a read of
// the stream does.
func (l *Log) Delete(ctx context.Context, stream string, expected eventlog.Expected) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := l.check(stream); err != nil {
		return err
	}
	ctx, end, err := l.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	exp, ok := toExpected(expected)
	if !ok {
		return l.wrongExpected(ctx, stream, expected, nil, nil)
	}
	// No retry: a tombstone that reached the server before its
	// connection died would make the retry say ErrStreamDeleted.
	err = l.withClient(ctx, false, func(c *esclient.Client) error {
		_, err := c.TombstoneStream(ctx, l.prefix+stream, esclient.TombstoneStreamOptions{ExpectedRevision: exp})
		return err
	})
	if isDeleteWrongExpected(err) {
		return l.wrongExpected(ctx, stream, expected, err, actualVersion)
	}
	return l.fail(ctx, "delete", stream, err)
}
