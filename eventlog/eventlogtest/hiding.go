package eventlogtest

import (
	"context"
	"sync/atomic"

	"github.com/eventchain/eventchain/eventlog"
)

// Hiding returns a log that behaves like log, except that it hides the
// events of stream below the revision [HidingLog.Hide] last set (none at
// first) from every read and subscription, as EventStoreDB hides them
// from every reader when anyone who can write to the log soft-deletes
// the stream or sets its $tb (truncate before), $maxCount or $maxAge. A
// read or subscription from a hidden revision starts at the first event
// left, with its own revision; a read that finds none left is
// ErrStreamNotFound. Appends and the other streams pass through. Tests
// use it to show what a reader does with a stream whose first events,
// or the last it read, are gone while the stream goes on.
func Hiding(log eventlog.Log, stream string) *HidingLog {
	return &HidingLog{Log: log, stream: stream}
}

// A HidingLog is the log Hiding returns. It is safe for concurrent use.
type HidingLog struct {
	eventlog.Log
	stream string
	before atomic.Uint64
}

// Hide hides the events of the log's stream below revision before, from
// the next read or subscription on (Hide(0) shows them all again).
func (l *HidingLog) Hide(before eventlog.Revision) { l.before.Store(uint64(before)) }

// Read reads as the wrapped log does, hiding what Hide said.
func (l *HidingLog) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	before := eventlog.Revision(l.before.Load())
	if stream == l.stream && dir == eventlog.Forwards && from < before {
		from = before
	}
	recs, err := l.Log.Read(ctx, stream, from, dir, max)
	if err != nil || stream != l.stream {
		return recs, err
	}
	kept := recs[:0:0]
	for _, r := range recs {
		if r.Revision >= before {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return nil, eventlog.ErrStreamNotFound
	}
	return kept, nil
}

// Subscribe subscribes as the wrapped log does, from the first event
// left if from is hidden.
func (l *HidingLog) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	if before := eventlog.Revision(l.before.Load()); stream == l.stream && from < before {
		from = before
	}
	return l.Log.Subscribe(ctx, stream, from)
}
