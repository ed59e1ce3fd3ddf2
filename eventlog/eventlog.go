package eventlog

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// A Log is an append-only store of events, kept in named streams. Within a
// stream every event has a revision: 0 for the first, then 1, 2, … with no
// gaps. Every reader of a stream sees its events in that one order; that
// total order per stream is all the consistency eventchain needs.
//
// Implementations must be safe for concurrent use. Every method that may
// block takes a context and gives up with ctx.Err() when it is done.
type Log interface {
	// Append writes events to the end of stream, atomically (all or none),
	// if the stream is in the state expected says. The events get
	// consecutive revisions after the stream's last.
	//
	// Whether a retry is safe (the same event IDs appended again, after a
	// timeout, say) depends on the expectation, as in EventStoreDB:
	//
	//   - Exact and NoStream: guaranteed. If the events at the position
	//     the expectation names have the batch's IDs, in order, the retry
	//     writes nothing and returns the first append's result, however
	//     long ago that was; if they have other IDs, it fails with a
	//     *WrongExpectedRevisionError.
	//   - Any and StreamExists: best effort. The log remembers the IDs of
	//     a bounded window of recent writes, across all streams, where
	//     each was first written (EventStoreDB keeps some 100 000 in an
	//     8 MiB cache; memlog and esdbtest let you choose). If the window
	//     holds the batch's first ID for this stream, the append is a
	//     retry: it writes nothing and returns where the window has the
	//     batch's last ID, or, if the window does not hold every ID of
	//     the batch there, fails with a *WrongExpectedRevisionError. If
	//     the window has forgotten the first ID, the append is a new one:
	//     the events are stored again, whole, at later revisions, and the
	//     stream holds them twice.
	//
	// So a caller that needs its events stored exactly once appends them
	// with Exact or NoStream; otherwise its readers must fold duplicates
	// away, by event ID. Every fold in eventchain does: applying an event
	// a second time changes nothing.
	//
	// Errors: a *WrongExpectedRevisionError (errors.Is
	// ErrWrongExpectedRevision) if the stream is not as expected;
	// ErrStreamDeleted; ErrEmptyAppend if events is empty; ErrInvalid for
	// an invalid stream name or event; ErrTooLarge past MaxAppendSize;
	// ErrClosed after Close.
	Append(ctx context.Context, stream string, expected Expected, events ...Event) (AppendResult, error)

	// Read returns up to max events of stream, starting at revision from
	// and going in dir. Forwards from a revision past the end gives no
	// events; Backwards from End, or from any revision past the end,
	// starts at the last event.
	//
	// Errors: ErrStreamNotFound if the stream has no events;
	// ErrStreamDeleted; ErrInvalid if max < 1 or the name is invalid;
	// ErrClosed.
	Read(ctx context.Context, stream string, from Revision, dir Direction, max int) ([]Recorded, error)

	// Subscribe starts a catch-up subscription to stream: its Next
	// returns, in order, every event with revision ≥ from that the stream
	// holds (catching up), then every event appended after (live), with no
	// gap and no duplicate. From End, it returns only events appended after
	// Subscribe returns. The stream need not exist yet. ctx bounds only the
	// setting up; the subscription lives until Close.
	//
	// Errors: ErrStreamDeleted, ErrInvalid, ErrClosed.
	Subscribe(ctx context.Context, stream string, from Revision) (Subscription, error)

	// Close releases the log. Calls after it return ErrClosed, and so do
	// the Next calls of its subscriptions. Close is idempotent: later
	// calls return nil.
	Close() error
}

// A Subscription delivers a stream's events one at a time, pulled by its
// reader: Next returns the next event when there is one.
//
// Back-pressure is therefore built in. A reader that is slow just calls
// Next later; nothing is lost, because the subscription is a cursor into
// the stream, not a queue, and nothing piles up on its behalf. An
// implementation may buffer a little ahead of its reader (a network
// subscription must), but a bounded amount.
//
// A Subscription is meant for one reading goroutine; Close may be called
// from any goroutine, at any time, and is idempotent.
type Subscription interface {
	// Next blocks until the next event is available and returns it. It
	// returns ctx.Err() if ctx is done first; ErrClosed once the
	// subscription or its log is closed, even if events are waiting; and
	// ErrStreamDeleted once the stream is deleted (perhaps after some of
	// the events it held). After ctx.Err() Next may be called again and
	// resumes where it stopped, losing nothing; after any other error the
	// subscription is finished. Called with a ctx already done, Next may
	// still return an event it holds at hand (memlog's are all at hand;
	// boltlog's only within the page it read ahead), or ctx.Err(): code
	// that stops on a done ctx must check ctx itself, not count on Next.
	Next(ctx context.Context) (Recorded, error)
	// Close ends the subscription and releases what it holds; a Next
	// waiting in another goroutine returns ErrClosed. Close is idempotent
	// (later calls return nil), also after the log is closed.
	Close() error
}

// A Deleter is a Log whose streams can be deleted: after Delete the stream
// refuses appends, reads and subscriptions with ErrStreamDeleted, for ever
// (EventStoreDB calls this a tombstone). It is optional: ask with a type
// assertion.
//
//	if d, ok := log.(eventlog.Deleter); ok { … }
type Deleter interface {
	// Delete deletes stream if it is in the state expected says; errors
	// as for Append. A stream that was never written can be deleted too
	// (with Any or NoStream): its name is then used up.
	Delete(ctx context.Context, stream string, expected Expected) error
}

// A Revision is the position of an event in its stream: 0 for the first
// event. Reads and subscriptions take one to say where to start.
type Revision uint64

// Start and End are the revisions a read or subscription starts from to
// mean "the first event" and "after the last event".
const (
	Start Revision = 0
	End   Revision = math.MaxUint64
)

// String returns the number, or "end".
func (r Revision) String() string {
	if r == End {
		return "end"
	}
	return strconv.FormatUint(uint64(r), 10)
}

// A Direction says which way a read goes.
type Direction int

// The two directions of a read.
const (
	Forwards Direction = iota
	Backwards
)

// String returns "forwards" or "backwards".
func (d Direction) String() string {
	switch d {
	case Forwards:
		return "forwards"
	case Backwards:
		return "backwards"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// Expected is the state an append expects its stream to be in: the
// optimistic-concurrency check. Use Any, NoStream, StreamExists or
// Exact(revision).
//
// Exact is what makes a log an ordering service: two miners that both
// read the blocks stream up to revision 41, its last event, both append
// their next block with Exact(41); the first wins, the second gets a
// *WrongExpectedRevisionError and knows it lost. (A revision is not a
// height: in eventchain's blocks stream block 1 is revision 0, as the
// genesis is not in the log, and events that are no block may lie
// between.)
type Expected int64

// The expectations that name no revision. A retry with NoStream is
// recognised by position, always; one with Any or StreamExists only
// while the log remembers the IDs (see Log's Append).
const (
	// Any appends whatever the stream's state.
	Any Expected = -1
	// NoStream appends only if the stream has no events yet.
	NoStream Expected = -2
	// StreamExists appends only if the stream has at least one event.
	StreamExists Expected = -3
)

// Exact expects the stream's last event to be at revision rev. Revisions
// beyond math.MaxInt64 cannot be expected and give an expectation no
// stream meets.
func Exact(rev Revision) Expected {
	if rev > math.MaxInt64 {
		return invalidExpected
	}
	return Expected(rev)
}

// invalidExpected is an expectation that always fails.
const invalidExpected Expected = math.MinInt64

// Revision returns the revision Exact named, and false for Any, NoStream
// and StreamExists.
func (e Expected) Revision() (Revision, bool) {
	if e < 0 {
		return 0, false
	}
	return Revision(e), true
}

// String returns "any", "no stream", "stream exists", or the revision.
func (e Expected) String() string {
	switch e {
	case Any:
		return "any"
	case NoStream:
		return "no stream"
	case StreamExists:
		return "stream exists"
	}
	if e < 0 {
		return "invalid"
	}
	return strconv.FormatInt(int64(e), 10)
}

// An Event is what an application appends: an envelope around a JSON
// payload.
type Event struct {
	// ID identifies the event. Derive it from the content (a UUIDv5,
	// say): then a retried append carries the same IDs, and is a no-op
	// with Exact or NoStream, and with Any or StreamExists while the log
	// still remembers them (see Log's Append); and a reader can tell a
	// duplicate from a new event. The zero UUID is invalid.
	ID uuid.UUID
	// Type names the payload's kind, e.g. "BlockMined"; not empty, and
	// UTF-8.
	Type string
	// Data is the payload, a JSON value.
	Data []byte
	// Metadata is optional JSON about the event (who wrote it, say);
	// empty for none. Logs return empty metadata as nil.
	Metadata []byte
}

// A Recorded event is an Event as the log stored it: with its stream, its
// revision in that stream, and when the log recorded it.
type Recorded struct {
	Event
	Stream   string    // the stream that holds the event
	Revision Revision  // its position in the stream: 0 for the first
	Time     time.Time // when the log recorded the event, UTC
}

// String returns "stream@revision Type", for logs.
func (r Recorded) String() string {
	return fmt.Sprintf("%s@%d %s", r.Stream, r.Revision, r.Type)
}

// AppendResult says where an append left its stream.
type AppendResult struct {
	// NextExpected is the revision of the last event written: what the
	// next append should pass as Exact(NextExpected).
	NextExpected Revision
}

// MaxAppendSize bounds one append, counted as EventStoreDB counts it:
// for each event len(Data) + len(Metadata) + 2·len(Type). Every
// implementation refuses more with ErrTooLarge, so code that works on the
// in-memory log works on EventStoreDB.
const MaxAppendSize = 1 << 20

// AppendSize returns the size of events as MaxAppendSize counts it.
func AppendSize(events ...Event) int {
	n := 0
	for _, e := range events {
		n += len(e.Data) + len(e.Metadata) + 2*len(e.Type)
	}
	return n
}
