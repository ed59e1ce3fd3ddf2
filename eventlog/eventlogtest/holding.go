package eventlogtest

import (
	"context"

	"github.com/eventchain/eventchain/eventlog"
)

// Holding returns a log that behaves like log, except that its
// subscriptions to stream hand out nothing until release is closed: a
// reader of several streams whose one stream lags the others, as two
// goroutines reading two streams may, or a reader that has not yet read
// a stream's past. A test closes release when the reader may go on.
// Reads, appends and the subscriptions to other streams pass through.
func Holding(log eventlog.Log, stream string, release <-chan struct{}) eventlog.Log {
	return holding{Log: log, stream: stream, release: release}
}

type holding struct {
	eventlog.Log
	stream  string
	release <-chan struct{}
}

func (l holding) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	sub, err := l.Log.Subscribe(ctx, stream, from)
	if err != nil || stream != l.stream {
		return sub, err
	}
	return heldSubscription{Subscription: sub, release: l.release}, nil
}

// A heldSubscription hands out nothing until release is closed.
type heldSubscription struct {
	eventlog.Subscription
	release <-chan struct{}
}

func (s heldSubscription) Next(ctx context.Context) (eventlog.Recorded, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return eventlog.Recorded{}, ctx.Err()
	}
	return s.Subscription.Next(ctx)
}
