package eventlogtest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
)

// subscribeDeliversInOrder: a subscription from a revision delivers every
// event from that revision on (the revision included), the ones the
// stream holds and then the ones appended while it reads, in order, with
// no gap and no duplicate; from End it delivers exactly the events
// appended after Subscribe returned. The stream need not exist yet.
func (s *suite) subscribeDeliversInOrder(t *testing.T) {
	const live = 30 // events appended while the subscriber reads
	for _, tc := range []struct {
		name  string
		prior int
		from  eventlog.Revision
		first eventlog.Revision // the first revision delivered
	}{
		{"FromStart", 5, eventlog.Start, 0},
		{"FromMiddle", 5, 3, 3},
		{"FromLastRevision", 5, 4, 4},
		{"FromEnd", 5, eventlog.End, 5},
		{"FromJustPastEnd", 5, 5, 5},
		{"FromFarPastEnd", 5, 8, 8},
		{"FromStartOnNewStream", 0, eventlog.Start, 0},
		{"FromEndOnNewStream", 0, eventlog.End, 0},
		{"FromMiddleOnNewStream", 0, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.fresh(t)
			stream := h.stream("subscribe")
			all := newEvents("subscribe", tc.prior+live)
			if tc.prior > 0 {
				h.mustAppend(stream, eventlog.NoStream, all[:tc.prior]...)
			}
			sub := h.mustSubscribe(stream, tc.from)

			g, ctx := h.group()
			g.Go(func() error {
				// Batches of 1, 2 and 3 events, while the subscriber reads.
				for i, size := tc.prior, 1; i < len(all); i, size = i+size, size%3+1 {
					batch := all[i:min(i+size, len(all))]
					if _, err := h.append(ctx, stream, eventlog.Any, batch...); err != nil {
						return fmt.Errorf("append events %d…%d: %w", i, i+len(batch)-1, err)
					}
				}
				return nil
			})
			// Reading stops too if the appender fails; its error is the
			// one to report then.
			got, err := h.nextN(ctx, sub, tc.first, len(all)-int(tc.first))
			require.NoError(t, g.Wait(), "the appender")
			require.NoError(t, err)
			assertEvents(t, stream, tc.first, all[tc.first:], got, fmt.Sprintf("subscription from %v", tc.from))
		})
	}
}

// subscribeFromEndWhileAppending: a subscription from End taken while
// another goroutine appends delivers no event whose append finished before
// Subscribe was called, every event whose append started after Subscribe
// returned, and everything in between in order, with no gap.
func (s *suite) subscribeFromEndWhileAppending(t *testing.T) {
	const (
		after  = 20    // appends after Subscribe returned
		racing = 10000 // appends without word from the subscriber: then wait for it
	)
	h := s.fresh(t)
	stream := h.stream("end-racing")
	var (
		started, completed atomic.Int64 // appends begun and finished; append i writes revision i
		warm               = make(chan struct{})
		hiOnce             = make(chan int64, 1)
		appended           []eventlog.Event // the appender's; read after Wait
	)
	g, ctx := h.group()
	g.Go(func() error {
		hi := int64(-1)
		for i := int64(0); hi < 0 || i < hi+after; i++ {
			switch {
			case hi >= 0:
			case i < racing:
				select {
				case hi = <-hiOnce:
				default:
				}
			default:
				// The subscriber is slow (a loaded machine, a log whose
				// Subscribe takes long): racing it longer proves no more,
				// and a count of appends is no bound on its time. Its
				// word always comes, once Subscribe has returned.
				select {
				case hi = <-hiOnce:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			e := newEvent("racing")
			started.Store(i + 1)
			res, err := h.append(ctx, stream, eventlog.Any, e)
			if err != nil {
				return fmt.Errorf("append %d: %w", i, err)
			}
			if res.NextExpected != eventlog.Revision(i) {
				return fmt.Errorf("append %d: NextExpected: have %v, want %d", i, res.NextExpected, i)
			}
			appended = append(appended, e)
			completed.Store(i + 1)
			if i == 2 {
				close(warm)
			}
		}
		return nil
	})
	select {
	case <-warm:
	case <-ctx.Done():
	}
	lo := completed.Load()
	sub, subErr := h.subscribe(h.ctx, stream, eventlog.End)
	hi := started.Load()
	hiOnce <- hi
	require.NoError(t, g.Wait(), "the appender")
	require.NoError(t, subErr, "subscribe from End")

	first, err := h.next(h.ctx, sub)
	require.NoError(t, err, "the first Next")
	f := int64(first.Revision)
	assert.GreaterOrEqual(t, f, lo, "the first event delivered from End must not be one whose append finished before Subscribe (%d had)", lo)
	require.LessOrEqual(t, f, hi, "the first event delivered from End must not come after one whose append started after Subscribe returned (%d had started)", hi)
	rest := h.mustNext(sub, first.Revision+1, len(appended)-int(f)-1)
	assertEvents(t, stream, first.Revision, appended[f:], append([]eventlog.Recorded{first}, rest...), "subscription from End")
}

// slowReaderLosesNothing: a subscriber that reads nothing while hundreds
// of events are appended still gets all of them, in order.
func (s *suite) slowReaderLosesNothing(t *testing.T) {
	const batches, size = 30, 10
	h := s.fresh(t)
	stream := h.stream("slow")
	fromStart := h.mustSubscribe(stream, eventlog.Start)
	fromEnd := h.mustSubscribe(stream, eventlog.End)
	var all []eventlog.Event
	for range batches {
		events := newEvents("slow", size)
		h.mustAppend(stream, eventlog.Any, events...)
		all = append(all, events...)
	}
	assertEvents(t, stream, 0, all, h.mustNext(fromStart, 0, len(all)), "subscription from Start")
	assertEvents(t, stream, 0, all, h.mustNext(fromEnd, 0, len(all)), "subscription from End")
}

// subscriptionOutlivesSubscribeContext: Subscribe's context bounds only
// the setting up; the subscription goes on delivering after it ends.
func (s *suite) subscriptionOutlivesSubscribeContext(t *testing.T) {
	h := s.fresh(t)
	stream := h.stream("outlives")
	events := newEvents("outlives", 4)
	h.mustAppend(stream, eventlog.NoStream, events[:2]...)
	ctx, cancel := context.WithCancel(h.ctx)
	sub, err := h.subscribe(ctx, stream, eventlog.Start)
	require.NoError(t, err)
	cancel()
	h.mustAppend(stream, eventlog.Exact(1), events[2:]...)
	assertEvents(t, stream, 0, events, h.mustNext(sub, 0, len(events)), "subscription after its Subscribe context ended")
}

// subscribedStreamIsStillNew: a subscription to a stream that holds no
// event does not make the stream: StreamExists and Exact(0) are refused
// with Actual NoStream, a read finds nothing, and NoStream appends.
func (s *suite) subscribedStreamIsStillNew(t *testing.T) {
	h := s.fresh(t)
	stream := h.stream("subscribed-new")
	h.mustSubscribe(stream, eventlog.Start)
	for _, expected := range []eventlog.Expected{eventlog.StreamExists, eventlog.Exact(0)} {
		_, err := h.append(h.ctx, stream, expected, newEvent("refused"))
		assertWrongExpected(t, err, stream, expected, eventlog.NoStream, "append expecting "+expected.String()+" to a stream with a subscription and no events")
	}
	h.requireNotFound(stream, "after the refused appends")
	h.mustAppend(stream, eventlog.NoStream, newEvent("first"))
}
