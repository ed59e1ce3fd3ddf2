package eventlogtest

import (
	"context"
	"slices"

	"github.com/eventchain/eventchain/eventlog"
)

// A ReadFault is a way for Read to break the [eventlog.Log] contract, one
// a log of your own could have: see [BreakingReads].
type ReadFault int

// The faults BreakingReads can give a log's reads.
const (
	// IgnoringFrom reads every page from the stream's first event
	// forwards, or from its last backwards, wherever the read asked to
	// start: a log that drops its from argument.
	IgnoringFrom ReadFault = iota + 1
	// Reversing returns the events a read asks for in reverse order: a
	// log that reads its store one way and forgets to turn the page.
	Reversing
)

// String returns "ignoring from" or "reversing".
func (f ReadFault) String() string {
	switch f {
	case IgnoringFrom:
		return "ignoring from"
	case Reversing:
		return "reversing"
	}
	return "ReadFault(?)"
}

// BreakingReads returns a log that behaves like log, except that its reads
// of stream break the contract the way fault says; reads of other
// streams, appends and subscriptions pass through. It is the tool to
// check that code which reads a stream a page at a time refuses such a
// log with an error wrapping [eventlog.ErrBrokenLog] (see
// [eventlog.CheckPage]), rather than reading the same page for ever or
// stopping with part of the stream. It fails Run, of course.
// BreakingReads panics on a fault it does not know.
func BreakingReads(log eventlog.Log, stream string, fault ReadFault) eventlog.Log {
	if fault != IgnoringFrom && fault != Reversing {
		panic("eventlogtest: BreakingReads: unknown fault " + fault.String())
	}
	return breaking{Log: log, stream: stream, fault: fault}
}

type breaking struct {
	eventlog.Log
	stream string
	fault  ReadFault
}

func (l breaking) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if stream != l.stream {
		return l.Log.Read(ctx, stream, from, dir, max)
	}
	switch l.fault {
	case IgnoringFrom:
		from = eventlog.Start
		if dir == eventlog.Backwards {
			from = eventlog.End
		}
		return l.Log.Read(ctx, stream, from, dir, max)
	default: // Reversing
		recs, err := l.Log.Read(ctx, stream, from, dir, max)
		slices.Reverse(recs)
		return recs, err
	}
}
