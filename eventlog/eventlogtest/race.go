package eventlogtest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
)

// exactRaceHasOneWinnerPerRevision: when many goroutines append with
// Exact(last revision they know) at once, exactly one wins each revision;
// the losers get a *WrongExpectedRevisionError whose Actual is a later
// revision, and the stream ends with no gap and every winning event once.
// This is the miners' race the log exists to referee.
func (s *suite) exactRaceHasOneWinnerPerRevision(t *testing.T) {
	const (
		writers = 8
		last    = 60 // the revision the race ends at
	)
	h := s.fresh(t)
	stream := h.stream("exact-race")
	h.mustAppend(stream, eventlog.NoStream, newEvent("genesis"))

	type win struct {
		expected eventlog.Revision
		id       string
	}
	wins := make([][]win, writers)
	losses := make([]int, writers)
	gate := make(chan struct{})
	g, ctx := h.group()
	for w := range writers {
		g.Go(func() error {
			select {
			case <-gate:
			case <-ctx.Done():
				return ctx.Err()
			}
			for at := eventlog.Revision(0); at < last; {
				e := newEvent(fmt.Sprintf("writer %d", w))
				res, err := h.append(ctx, stream, eventlog.Exact(at), e)
				var wrong *eventlog.WrongExpectedRevisionError
				switch {
				case err == nil:
					if res.NextExpected != at+1 {
						return fmt.Errorf("writer %d won at %d: NextExpected: have %v, want %d", w, at, res.NextExpected, at+1)
					}
					wins[w] = append(wins[w], win{at, e.ID.String()})
					at = res.NextExpected
				case errors.As(err, &wrong):
					actual, ok := wrong.Actual.Revision()
					if !ok || actual <= at || wrong.Expected != eventlog.Exact(at) || wrong.Stream != stream {
						return fmt.Errorf("writer %d lost at %d with a wrong error: Stream %q, Expected %v, Actual %v (want a revision after %d)",
							w, at, wrong.Stream, wrong.Expected, wrong.Actual, at)
					}
					losses[w]++
					at = actual
				default:
					return fmt.Errorf("writer %d: append expecting %d: %w", w, at, err)
				}
			}
			return nil
		})
	}
	close(gate)
	require.NoError(t, g.Wait())

	recs := h.readAll(stream)
	require.Len(t, recs, last+1, "the stream must end at the race's last revision")
	assert.Equal(t, span(0, last), revisionsOf(recs), "revisions without gaps")
	winner := map[eventlog.Revision]string{}
	totalLosses := 0
	for w := range writers {
		totalLosses += losses[w]
		for _, won := range wins[w] {
			if other, dup := winner[won.expected]; dup {
				t.Errorf("two appends expecting %d both won: %s and %s", won.expected, other, won.id)
			}
			winner[won.expected] = won.id
		}
	}
	assert.Len(t, winner, last, "one winner for each revision from 0 to %d", last-1)
	for at, id := range winner {
		assert.Equal(t, id, recs[at+1].ID.String(), "the event at %d must be the one that won expecting %d", at+1, at)
	}
	t.Logf("%d writers, %d appends won, %d lost", writers, last, totalLosses)
}

// concurrentAppendsAreAtomicAndAgreed: batches appended with Any from
// several goroutines at once are each written whole, with consecutive
// revisions, in each writer's order; nothing is lost or doubled; each
// append's NextExpected is the revision of its last event; and every
// subscriber sees the same order Read does.
func (s *suite) concurrentAppendsAreAtomicAndAgreed(t *testing.T) {
	const (
		writers     = 4
		batches     = 12
		subscribers = 2
	)
	h := s.fresh(t)
	stream := h.stream("concurrent")
	type batch struct {
		events []eventlog.Event
		res    eventlog.AppendResult
	}
	plan := make([][]batch, writers)
	total := 0
	for w := range plan {
		plan[w] = make([]batch, batches)
		for b := range plan[w] {
			plan[w][b].events = newEvents(fmt.Sprintf("writer %d batch %d", w, b), b%3+1)
			total += b%3 + 1
		}
	}
	subs := make([]eventlog.Subscription, subscribers)
	seen := make([][]eventlog.Recorded, subscribers)
	for i := range subs {
		subs[i] = h.mustSubscribe(stream, eventlog.Start)
	}

	g, ctx := h.group()
	for i := range subs {
		g.Go(func() error {
			recs, err := h.nextN(ctx, subs[i], 0, total)
			seen[i] = recs
			if err != nil {
				return fmt.Errorf("subscriber %d: %w", i, err)
			}
			return nil
		})
	}
	for w := range plan {
		g.Go(func() error {
			for b := range plan[w] {
				res, err := h.append(ctx, stream, eventlog.Any, plan[w][b].events...)
				if err != nil {
					return fmt.Errorf("writer %d, batch %d: %w", w, b, err)
				}
				plan[w][b].res = res
			}
			return nil
		})
	}
	require.NoError(t, g.Wait())

	recs := h.readAll(stream)
	require.Len(t, recs, total, "every event once")
	assert.Equal(t, span(0, eventlog.Revision(total-1)), revisionsOf(recs), "revisions without gaps")
	at := map[string]eventlog.Revision{}
	for _, r := range recs {
		at[r.ID.String()] = r.Revision
	}
	require.Len(t, at, total, "no event twice")
	for w := range plan {
		prev := -1
		for b, bt := range plan[w] {
			first, ok := at[bt.events[0].ID.String()]
			if !assert.True(t, ok, "writer %d, batch %d is missing", w, b) {
				continue
			}
			assert.Greater(t, int(first), prev, "writer %d, batch %d must come after its previous batch", w, b)
			for j, e := range bt.events {
				assert.Equal(t, first+eventlog.Revision(j), at[e.ID.String()], "writer %d, batch %d, event %d: a batch has consecutive revisions", w, b, j)
			}
			lastRev := first + eventlog.Revision(len(bt.events)-1)
			assert.Equal(t, lastRev, bt.res.NextExpected, "writer %d, batch %d: NextExpected", w, b)
			prev = int(lastRev)
		}
	}
	for i := range seen {
		assert.Equal(t, idsOfRecorded(recs), idsOfRecorded(seen[i]), "subscriber %d must see the order Read does", i)
		assert.Equal(t, revisionsOf(recs), revisionsOf(seen[i]), "subscriber %d: revisions", i)
	}
}
