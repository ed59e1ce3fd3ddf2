package eventlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The errors of the Log contract. Implementations wrap them (with %w), so
// callers test with errors.Is, never by text.
var (
	// ErrWrongExpectedRevision: the stream was not in the state the append
	// expected. The error is a *WrongExpectedRevisionError with both
	// states.
	ErrWrongExpectedRevision = errors.New("wrong expected revision")
	// ErrStreamNotFound: a read found no events in the stream.
	ErrStreamNotFound = errors.New("stream not found")
	// ErrStreamDeleted: the stream was deleted (see Deleter).
	ErrStreamDeleted = errors.New("stream deleted")
	// ErrEmptyAppend: an append of no events.
	ErrEmptyAppend = errors.New("append of no events")
	// ErrInvalid: an invalid argument — stream name, event, or read count.
	ErrInvalid = errors.New("invalid argument")
	// ErrTooLarge: an append of more than MaxAppendSize.
	ErrTooLarge = errors.New("append too large")
	// ErrClosed: the log or the subscription is closed.
	ErrClosed = errors.New("closed")
	// ErrUnavailable: the log cannot be reached now (a network log whose
	// server is down); trying again later may work.
	ErrUnavailable = errors.New("event log unavailable")
	// ErrCorrupt: the log's storage is damaged: what it holds cannot be
	// read back as it was written (a file changed or cut short under
	// it). Unlike ErrUnavailable, trying again does not help; the log
	// must be repaired or restored. boltlog's *CorruptError matches it.
	ErrCorrupt = errors.New("event log damaged")
	// ErrWentBack: the log holds fewer events of a stream than a reader
	// had read from it, or another event at the last revision it read:
	// it lost events (a server wiped, or put back from an older copy, or
	// one that keeps its data in memory started again). What the reader
	// built from the lost events holds no more. esdb's subscriptions
	// return it (esdb.ErrWentBack is this error).
	ErrWentBack = errors.New("the log holds fewer events than were read, or others: it lost events")
	// ErrBrokenLog: the log answered against this contract — a Read that
	// handed back more events than asked for, events of another stream,
	// or a page out of order or from before where it was asked to start
	// (see CheckPage). The fault is in the log's code, not in what it
	// stores: that would be ErrCorrupt, whose remedy, repairing or
	// restoring the data, does nothing for it; nor does trying again.
	ErrBrokenLog = errors.New("event log breaks the Log contract")
)

// A WrongExpectedRevisionError says that an append expected its stream in
// one state and found it in another:
//
//	var wrong *eventlog.WrongExpectedRevisionError
//	if errors.As(err, &wrong) {
//		// wrong.Actual is NoStream or Exact(last revision)
//	}
type WrongExpectedRevisionError struct {
	Stream   string   // the stream appended to
	Expected Expected // what the append expected
	Actual   Expected // NoStream, or Exact(the stream's last revision)
}

// Error reads like `stream "blocks": wrong expected revision: have 41, want 40`.
func (e *WrongExpectedRevisionError) Error() string {
	return fmt.Sprintf("stream %q: %v: have %v, want %v", e.Stream, ErrWrongExpectedRevision, e.Actual, e.Expected)
}

// Is makes errors.Is(err, ErrWrongExpectedRevision) true.
func (e *WrongExpectedRevisionError) Is(target error) bool { return target == ErrWrongExpectedRevision }

// MaxStreamNameLen is the longest stream name, in bytes.
const MaxStreamNameLen = 1024

// CheckStreamName returns an error wrapping ErrInvalid unless name can name
// a stream: 1 to MaxStreamNameLen bytes of UTF-8, not starting with "$"
// (EventStoreDB keeps those names for its own streams).
// Implementations call it so that they all accept the same names.
func CheckStreamName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty stream name", ErrInvalid)
	case len(name) > MaxStreamNameLen:
		return fmt.Errorf("%w: stream name of %d bytes, want at most %d", ErrInvalid, len(name), MaxStreamNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: stream name %q is not UTF-8", ErrInvalid, name)
	case strings.HasPrefix(name, "$"):
		return fmt.Errorf("%w: stream name %q starts with $, kept for system streams", ErrInvalid, name)
	}
	return nil
}

// CheckRead returns the error a read of stream must give before it
// touches the log: ErrInvalid for a bad stream name, a max below 1, or an
// unknown direction. Implementations call it so that they all refuse the
// same reads.
func CheckRead(stream string, dir Direction, max int) error {
	if err := CheckStreamName(stream); err != nil {
		return err
	}
	if max < 1 {
		return fmt.Errorf("%w: read max %d, want ≥ 1", ErrInvalid, max)
	}
	if dir != Forwards && dir != Backwards {
		return fmt.Errorf("%w: direction %v", ErrInvalid, dir)
	}
	return nil
}

// CheckPage returns an error wrapping ErrBrokenLog unless recs can be
// what Read(ctx, stream, from, dir, max) returned on a log that keeps the
// contract: at most max events, every one of stream, in order — forwards,
// revisions strictly increasing and the first at from or later;
// backwards, strictly decreasing and the first at from or earlier (from
// End, or past the end, any revision may come first). A read the
// contract refuses (see CheckRead) gives that error instead.
//
// Code that reads a stream a page at a time calls it on every page,
// before it folds a single event. Such a loop asks for the next page
// just past the last event of the page it has, and stops at a page
// shorter than max; it trusts Read to start where it was asked and to
// keep its order. A Read that ignores from hands back the first page
// every time, and the loop reads it again and again until its context
// ends, that is never with context.Background; a Read that reverses its
// pages sends the loop back where it started, or makes it stop early
// holding part of the stream, with no error. Anyone may plug a Log of
// their own into eventchain, so its readers do not take that on trust:
// a broken log fails them at once, with an error that says what the log
// did. Every page a conforming log returns passes (eventlogtest.Run
// checks each of its reads with CheckPage).
//
// It checks only what one page shows: a page that skips revisions, or
// ends early, passes.
func CheckPage(stream string, from Revision, dir Direction, max int, recs []Recorded) error {
	if err := CheckRead(stream, dir, max); err != nil {
		return err
	}
	read := func() string { return fmt.Sprintf("read of %q %v from %v, max %d", stream, dir, from, max) }
	if len(recs) > max {
		return fmt.Errorf("%w: %s: have %d events, want at most %d", ErrBrokenLog, read(), len(recs), max)
	}
	for i, r := range recs {
		var wrong string
		switch {
		case r.Stream != stream:
			wrong = "of another stream"
		case i == 0 && dir == Forwards && r.Revision < from:
			wrong = "before the revision asked for"
		case i == 0 && dir == Backwards && r.Revision > from:
			wrong = "after the revision asked for"
		case i > 0 && dir == Forwards && r.Revision <= recs[i-1].Revision:
			wrong = fmt.Sprintf("out of order: its revision is not above event %d's, %d", i-1, recs[i-1].Revision)
		case i > 0 && dir == Backwards && r.Revision >= recs[i-1].Revision:
			wrong = fmt.Sprintf("out of order: its revision is not below event %d's, %d", i-1, recs[i-1].Revision)
		default:
			continue
		}
		return fmt.Errorf("%w: %s: event %d, %s, is %s", ErrBrokenLog, read(), i, r, wrong)
	}
	return nil
}

// CheckAppend returns the error an append of events to stream must give
// before it touches the log: ErrInvalid for a bad stream name, a zero
// event ID, an empty type or one that is not UTF-8 (EventStoreDB carries
// it as a protobuf string, which must be), or Data or Metadata that is
// not JSON;
// ErrEmptyAppend for no events; ErrTooLarge past MaxAppendSize.
// Implementations call it so that they all refuse the same appends.
func CheckAppend(stream string, events []Event) error {
	if err := CheckStreamName(stream); err != nil {
		return err
	}
	if len(events) == 0 {
		return fmt.Errorf("stream %q: %w", stream, ErrEmptyAppend)
	}
	for i, e := range events {
		switch {
		case e.ID == uuid.Nil:
			return fmt.Errorf("%w: event %d: zero ID", ErrInvalid, i)
		case e.Type == "":
			return fmt.Errorf("%w: event %d: empty type", ErrInvalid, i)
		case !utf8.ValidString(e.Type):
			return fmt.Errorf("%w: event %d: type %q is not UTF-8", ErrInvalid, i, e.Type[:min(len(e.Type), 64)])
		case !json.Valid(e.Data):
			return fmt.Errorf("%w: event %d (%s): data is not JSON", ErrInvalid, i, e.Type)
		case len(e.Metadata) > 0 && !json.Valid(e.Metadata):
			return fmt.Errorf("%w: event %d (%s): metadata is not JSON", ErrInvalid, i, e.Type)
		}
	}
	if n := AppendSize(events...); n > MaxAppendSize {
		return fmt.Errorf("stream %q: %w: %d bytes, want at most %d", stream, ErrTooLarge, n, MaxAppendSize)
	}
	return nil
}
