package esdb

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog"
)

// tombstoneType and tombstoneRevision mark the event EventStoreDB sends a
// subscription when its stream is tombstoned.
const (
	tombstoneType     = "$streamDeleted"
	tombstoneRevision = math.MaxInt64
)

// Subscribe implements [eventlog.Log] with an EventStoreDB catch-up
// subscription, presenting the contract's semantics:
//
//   - from is inclusive: from revision r > 0 subscribes from
//     EventStoreDB's (exclusive) revision r−1, from 0 from the start;
//   - from End, Subscribe first reads the stream's last revision, so the
//     subscription has a definite place to resume from;
//   - if the connection drops, the subscription resubscribes from the
//     last revision it received, after waits growing from
//     Policy.ReconnectMin to Policy.ReconnectMax, so the reader sees no
//     gap and no duplicate; it gives up only if the stream is deleted
//     (ErrStreamDeleted) or the server refuses it for a reason a retry
//     cannot mend;
//   - a goroutine receives events into a buffer of
//     Policy.SubscriptionBuffer events; when the buffer is full, it stops
//     receiving, and the server waits.
//
// The first subscription attempt happens in Subscribe, so its errors
// (ErrStreamDeleted, ErrUnavailable) are Subscribe's.
func (l *Log) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.check(stream); err != nil {
		return nil, err
	}
	setup, end, err := l.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	s := &subscription{
		log:    l,
		stream: stream,
		stored: l.prefix + stream,
		next:   from,
		events: make(chan eventlog.Recorded, l.policy.SubscriptionBuffer),
		closed: make(chan struct{}),
		done:   make(chan struct{}),
	}
	if from == eventlog.End {
		rev, found, err := l.last(setup, s.stored)
		if err != nil {
			return nil, l.fail(setup, "subscribe to", stream, err)
		}
		s.next = 0
		if found {
			s.next = rev + 1
			s.held = s.next
			if s.heldID, err = l.idAt(setup, s.stored, rev); err != nil {
				return nil, l.fail(setup, "subscribe to", stream, err)
			}
		}
	} else if from > 0 {
		// A reader subscribes from revision n once it has read the n
		// before (a node restored from the stream, say): the server must
		// keep holding those too, or the reader's state rests on events
		// that are gone. Counted only as far as the server holds them
		// now, so that a subscription from past the end is no claim.
		rev, found, err := l.last(setup, s.stored)
		if err != nil {
			return nil, l.fail(setup, "subscribe to", stream, err)
		}
		if found {
			s.held = min(from, rev+1)
			if s.heldID, err = l.idAt(setup, s.stored, s.held-1); err != nil {
				return nil, l.fail(setup, "subscribe to", stream, err)
			}
		}
	}
	s.ctx, s.cancel = context.WithCancel(l.ctx)
	a, err := s.open(setup)
	if err != nil {
		s.cancel()
		return nil, l.fail(setup, "subscribe to", stream, err)
	}
	l.ops.Add(1) // within begin's count, so Close cannot be past its Wait
	go s.pump(a)
	return s, nil
}

// A subscription is a catch-up subscription of a Log. Its pump goroutine
// receives events from the server into events; Next takes them from
// there.
type subscription struct {
	log            *Log
	stream, stored string // the caller's name, and the name in the server

	// next is the revision of the first event not yet received: where a
	// resubscription starts. Only the pump touches it once it runs.
	next eventlog.Revision
	// held is how many of the stream's revisions the server is known to
	// have held (0: none known): the last received, or the last there
	// when a subscription from End began. A subscription from past the
	// stream's end knows of none, whatever next says.
	held eventlog.Revision
	// heldID is the ID of the event at revision held-1, when known: a
	// server that lost the stream and holds as many events again, another
	// chain's, holds another event there.
	heldID uuid.UUID

	events chan eventlog.Recorded // the buffer; the pump closes it when it ends
	err    error                  // why the pump ended; set before events is closed

	ctx    context.Context // ends with Close or the log's Close
	cancel context.CancelFunc

	closeOnce sync.Once
	closed    chan struct{} // closed by Close
	done      chan struct{} // closed when the pump has ended
}

// An attempt is one EventStoreDB subscription, on a client of its own.
type attempt struct {
	client *esclient.Client
	sub    *esclient.Subscription
	cancel context.CancelFunc
}

// from returns where to subscribe from to receive revision s.next first:
// EventStoreDB's subscriptions start after the revision they name.
func (s *subscription) from() esclient.StreamPosition {
	if s.next == 0 {
		return esclient.Start{}
	}
	return esclient.Revision(min(uint64(s.next), tombstoneRevision) - 1)
}

// open subscribes. The subscription lives as long as s.ctx, but setup
// bounds the setting up: if it ends first, open gives up with its error.
// Like Log.withClient, it tries a new client if an idle one was dead.
func (s *subscription) open(setup context.Context) (*attempt, error) {
	c, reused, err := s.log.pool.get(setup, false)
	if err != nil {
		return nil, err
	}
	a, err := s.openOn(setup, c)
	if err == nil || !reused || !broken(err) {
		return a, err
	}
	s.log.pool.flush()
	if c, _, err = s.log.pool.get(setup, true); err != nil {
		return nil, err
	}
	return s.openOn(setup, c)
}

// openOn subscribes with client c, which it gives back to the pool if
// it fails.
func (s *subscription) openOn(setup context.Context, c *esclient.Client) (*attempt, error) {
	ctx, cancel := context.WithCancel(s.ctx)
	stop := context.AfterFunc(setup, cancel)
	sub, err := c.SubscribeToStream(ctx, s.stored, esclient.SubscribeToStreamOptions{From: s.from()})
	if !stop() { // setup ended meanwhile, and cancelled ctx
		if err == nil {
			_ = sub.Close()
		}
		cancel()
		s.log.pool.put(c, true) // a subscription's connection, never kept: see the package doc
		return nil, setup.Err()
	}
	if err != nil {
		cancel()
		s.log.pool.put(c, broken(err) || cutShort(setup, err))
		return nil, err
	}
	return &attempt{client: c, sub: sub, cancel: cancel}, nil
}

// errTombstone says the stream's tombstone arrived.
var errTombstone = errors.New("the stream was deleted")

// pump runs the subscription: it receives from attempt a; when a drops,
// it resubscribes; it ends, closing s.events, when s.ctx ends, the
// stream is deleted, or a resubscription fails for good.
func (s *subscription) pump(a *attempt) {
	defer s.log.ops.Done()
	defer close(s.done)
	failures := 0 // resubscriptions since the last that received anything
	for {
		progressed, dropErr := s.receive(a)
		_ = a.sub.Close()
		a.cancel()
		// Never kept: a drop may be a dead connection, and a
		// subscription closed by its reader was cut short, on a
		// connection quiet for as long as its stream was, which may have
		// gone silent meanwhile (see cutShort).
		s.log.pool.put(a.client, true)
		if progressed {
			failures = 0
		}
		switch {
		case s.ctx.Err() != nil:
			s.finish(eventlog.ErrClosed)
			return
		case errors.Is(dropErr, errTombstone):
			s.finish(fmt.Errorf("esdb: subscription to %q: %w", s.stream, eventlog.ErrStreamDeleted))
			return
		}
		s.log.logger.Warn("esdb: subscription dropped; resubscribing", "stream", s.stream, "from", s.next, "error", dropErr)
		var err error
		a, err = s.resubscribe(&failures)
		if err != nil {
			s.finish(err)
			return
		}
	}
}

// resubscribe subscribes again, waiting between attempts as the policy
// says, until it works or cannot work.
func (s *subscription) resubscribe(failures *int) (*attempt, error) {
	for {
		if wait := s.log.policy.backoff(*failures); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return nil, eventlog.ErrClosed
			}
		}
		*failures++
		if err := s.checkNotBehind(); err != nil {
			if s.ctx.Err() != nil {
				return nil, eventlog.ErrClosed
			}
			if !unreachable(err) {
				return nil, err
			}
			s.log.logger.Warn("esdb: resubscription failed; retrying", "stream", s.stream, "attempt", *failures, "error", err)
			continue
		}
		a, err := s.open(s.ctx)
		switch {
		case err == nil:
			s.log.logger.Info("esdb: resubscribed", "stream", s.stream, "from", s.next)
			return a, nil
		case s.ctx.Err() != nil:
			return nil, eventlog.ErrClosed
		case !unreachable(err):
			return nil, s.log.fail(s.ctx, "resubscribe to", s.stream, err)
		}
		s.log.logger.Warn("esdb: resubscription failed; retrying", "stream", s.stream, "attempt", *failures, "error", err)
	}
}

// checkNotBehind makes sure, before a resubscription, that the server
// still holds the events the subscription received: a server wiped, or
// restored from an older backup, holds fewer, and a subscription from
// s.next would wait for revisions that may never come, or that will hold
// other events. It returns an error wrapping ErrWentBack then; the
// server's error if it could not tell (a deleted stream is left for the
// subscription to report).
func (s *subscription) checkNotBehind() error {
	if s.held == 0 {
		return nil
	}
	last, found, err := s.log.last(s.ctx, s.stored)
	switch {
	case err != nil && unreachable(err):
		return err
	case err != nil:
		return nil // not for this check to name: the subscription will
	case !found:
		return fmt.Errorf("esdb: subscription to %q: %w: the stream has no events, and it held revision %d", s.stream, ErrWentBack, s.held-1)
	case last+1 < s.held:
		return fmt.Errorf("esdb: subscription to %q: %w: the stream ends at revision %d, and it held revision %d", s.stream, ErrWentBack, last, s.held-1)
	}
	if s.heldID != uuid.Nil {
		// As many events, or more: the same ones? A server wiped and
		// written again (another chain's spec, say) holds others.
		id, err := s.log.idAt(s.ctx, s.stored, s.held-1)
		if err != nil {
			return err // unreachable again: try later, and check again then
		}
		if id != uuid.Nil && id != s.heldID {
			return fmt.Errorf("esdb: subscription to %q: %w: revision %d holds event %s, and it held %s", s.stream, ErrWentBack, s.held-1, id, s.heldID)
		}
	}
	return nil
}

// idAt returns the ID of the event at revision rev of stream (its stored
// name); the zero UUID if the stream holds no such event (truncated by
// $maxCount, say) or the server's answer is not for this check to name
// (the subscription reports it). An unreachable server is an error.
func (l *Log) idAt(ctx context.Context, stored string, rev eventlog.Revision) (uuid.UUID, error) {
	evs, err := l.read(ctx, stored, esclient.ReadStreamOptions{Direction: esclient.Forwards, From: esclient.Revision(uint64(rev))}, 1)
	switch {
	case err != nil && unreachable(err):
		return uuid.Nil, err
	case err != nil || len(evs) == 0 || evs[0].OriginalEvent() == nil || evs[0].OriginalEvent().EventNumber != uint64(rev):
		return uuid.Nil, nil
	}
	return evs[0].OriginalEvent().EventID, nil
}

// ErrWentBack is what a subscription's Next returns, wrapped, when the
// server it reconnected to holds fewer events of its stream than it had
// received, or another event at the last revision it held: the server lost events (it was wiped, or restored from an
// older backup, or esdbtest was started again, keeping nothing). Nothing
// a reader built from the lost events holds any more: a node must stop
// and restore from the log as it is now. (A stream whose events all
// expired by $maxAge, or were truncated by $tb, reads as empty too, and
// is reported so; eventchain sets neither.) It is eventlog.ErrWentBack,
// which package node looks for, knowing no server.
var ErrWentBack = eventlog.ErrWentBack

// receive passes a's events on to s.events until a drops (its error is
// returned), the tombstone arrives (errTombstone) or s.ctx ends.
// progressed says whether the server sent anything.
func (s *subscription) receive(a *attempt) (progressed bool, err error) {
	for {
		msg := a.sub.Recv()
		switch {
		case msg.SubscriptionDropped != nil:
			return progressed, msg.SubscriptionDropped.Error
		case msg.EventAppeared != nil:
			progressed = true
			e := msg.EventAppeared.OriginalEvent()
			if e == nil {
				continue
			}
			if e.EventType == tombstoneType && e.EventNumber == tombstoneRevision {
				return progressed, errTombstone
			}
			rev := eventlog.Revision(e.EventNumber)
			if rev+1 >= s.held {
				s.held, s.heldID = rev+1, e.EventID
			}
			if rev < s.next {
				continue // received before a resubscription already
			}
			select {
			case s.events <- recorded(s.stream, e):
				s.next = rev + 1
			case <-s.ctx.Done():
				return progressed, s.ctx.Err()
			}
		default: // caught up, a checkpoint, fell behind: nothing to pass on
			progressed = true
		}
	}
}

// finish records why the subscription ended and tells Next.
func (s *subscription) finish(err error) {
	s.err = err
	close(s.events)
}

// Next implements [eventlog.Subscription].
func (s *subscription) Next(ctx context.Context) (eventlog.Recorded, error) {
	select {
	case <-s.closed:
		return eventlog.Recorded{}, eventlog.ErrClosed
	case <-s.log.ctx.Done():
		return eventlog.Recorded{}, eventlog.ErrClosed
	default:
	}
	select {
	case r, ok := <-s.events:
		if !ok {
			return eventlog.Recorded{}, s.err
		}
		return r, nil
	case <-ctx.Done():
		return eventlog.Recorded{}, ctx.Err()
	case <-s.closed:
		return eventlog.Recorded{}, eventlog.ErrClosed
	case <-s.log.ctx.Done():
		return eventlog.Recorded{}, eventlog.ErrClosed
	}
}

// Close implements [eventlog.Subscription]: it ends the subscription and
// waits for its goroutine.
func (s *subscription) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.cancel()
	})
	<-s.done
	return nil
}
