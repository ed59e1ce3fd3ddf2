package esdbtest_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// subscriptionWatchdog bounds every subscription of the tests: a server
// that stops sending fails the test when it expires instead of hanging.
const subscriptionWatchdog = 20 * time.Second

// subscribeStream subscribes with a watchdog context and closes the
// subscription when the test ends.
func subscribeStream(t *testing.T, c *esdb.Client, stream string, from esdb.StreamPosition) *esdb.Subscription {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), subscriptionWatchdog)
	t.Cleanup(cancel)
	sub, err := c.SubscribeToStream(ctx, stream, esdb.SubscribeToStreamOptions{From: from})
	require.NoError(t, err, "SubscribeToStream returns once the server confirms")
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

func subscribeAll(t *testing.T, c *esdb.Client, opts esdb.SubscribeToAllOptions) *esdb.Subscription {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), subscriptionWatchdog)
	t.Cleanup(cancel)
	sub, err := c.SubscribeToAll(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// transcript receives from sub until it has n entries or stop says so,
// and writes each as "stream/revision" for an event of a stream keep
// accepts (others are skipped), "caught-up", or "checkpoint". A dropped
// subscription fails the test.
func transcript(t *testing.T, sub *esdb.Subscription, keep func(stream string) bool, until string) []string {
	t.Helper()
	var out []string
	for {
		msg := sub.Recv()
		var entry string
		switch {
		case msg.EventAppeared != nil:
			e := msg.EventAppeared.OriginalEvent()
			if !keep(e.StreamID) {
				continue
			}
			entry = fmt.Sprintf("%d", e.EventNumber)
		case msg.CaughtUp != nil:
			entry = "caught-up"
		case msg.CheckPointReached != nil:
			entry = "checkpoint"
		case msg.FellBehind != nil:
			entry = "fell-behind"
		case msg.SubscriptionDropped != nil:
			require.Failf(t, "subscription dropped", "after %v: %v", out, msg.SubscriptionDropped.Error)
		}
		out = append(out, entry)
		if entry == until {
			return out
		}
	}
}

// only accepts one stream's events.
func only(stream string) func(string) bool { return func(s string) bool { return s == stream } }

// TestSubscribeToStream: a subscription is confirmed first, then sends
// the stream's history after its start point (a subscription excludes
// the revision it starts from, unlike a read), then caught-up, then every
// new event: nothing skipped, nothing repeated. A subscription from the
// end, or to a stream that does not exist yet, is caught up at once.
func TestSubscribeToStream(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		for _, tc := range []struct {
			name       string
			prior      int
			from       esdb.StreamPosition
			later      int
			catchUp    []string // up to caught-up
			live, last string   // the last live entry expected
		}{
			{"FromStart", 3, esdb.Start{}, 2, []string{"0", "1", "2", "caught-up"}, "3 4", "4"},
			{"FromRevisionExcludesIt", 10, esdb.Revision(4), 1, []string{"5", "6", "7", "8", "9", "caught-up"}, "10", "10"},
			{"FromEnd", 3, esdb.End{}, 2, []string{"caught-up"}, "3 4", "4"},
			{"NewStreamFromStart", 0, esdb.Start{}, 2, []string{"caught-up"}, "0 1", "1"},
			{"NewStreamFromEnd", 0, esdb.End{}, 1, []string{"caught-up"}, "0", "0"},
			{"PastTheEndSkipsUpToIt", 5, esdb.Revision(10), 7, []string{"caught-up"}, "11", "11"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stream := streamName("subscribe")
				if tc.prior > 0 {
					mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(tc.prior)...)
				}
				sub := subscribeStream(t, c, stream, tc.from)
				assert.Equal(t, tc.catchUp, transcript(t, sub, only(stream), "caught-up"))
				// Appended only once caught up, so the order is certain.
				for range tc.later {
					mustAppend(t, c, stream, esdb.Any{}, jsonEvents(1)...)
				}
				assert.Equal(t, tc.live, joined(transcript(t, sub, only(stream), tc.last)))
			})
		}

		t.Run("LiveEventsCarryEverything", func(t *testing.T) {
			stream := streamName("subscribe-live")
			sub := subscribeStream(t, c, stream, esdb.Start{})
			transcript(t, sub, only(stream), "caught-up")
			events := jsonEvents(1)
			events[0].Metadata = []byte(`{"m":1}`)
			res := mustAppend(t, c, stream, esdb.NoStream{}, events...)
			msg := sub.Recv()
			require.NotNil(t, msg.EventAppeared, "%+v", msg)
			e := msg.EventAppeared.Event
			assert.Equal(t, events[0].EventID, e.EventID)
			assert.Equal(t, events[0].Data, e.Data)
			assert.Equal(t, events[0].Metadata, e.UserMetadata)
			assert.Equal(t, res.CommitPosition, e.Position.Commit)
		})

		t.Run("CloseDropsIt", func(t *testing.T) {
			sub := subscribeStream(t, c, streamName("subscribe-close"), esdb.Start{})
			transcript(t, sub, func(string) bool { return true }, "caught-up")
			require.NoError(t, sub.Close())
			assert.NotNil(t, sub.Recv().SubscriptionDropped)
		})
	})
}

func joined(entries []string) string {
	s := ""
	for i, e := range entries {
		if i > 0 {
			s += " "
		}
		s += e
	}
	return s
}

// TestSubscribeToAll: the same over $all, whose start positions are
// exclusive too, with filters and their checkpoints.
func TestSubscribeToAll(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		stream := streamName("subscribe-all")
		mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(3)...)
		history, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
		require.NoError(t, err)
		p0 := history[0].Event.Position

		t.Run("FromPositionExcludesIt", func(t *testing.T) {
			sub := subscribeAll(t, c, esdb.SubscribeToAllOptions{From: p0})
			assert.Equal(t, []string{"1", "2", "caught-up"}, transcript(t, sub, only(stream), "caught-up"))
			mustAppend(t, c, stream, esdb.Any{}, jsonEvents(1)...)
			assert.Equal(t, []string{"3"}, transcript(t, sub, only(stream), "3"))
		})
		t.Run("FromEnd", func(t *testing.T) {
			sub := subscribeAll(t, c, esdb.SubscribeToAllOptions{From: esdb.End{}})
			assert.Equal(t, []string{"caught-up"}, transcript(t, sub, only(stream), "caught-up"))
			other := streamName("subscribe-all-other")
			mustAppend(t, c, other, esdb.NoStream{}, jsonEvents(2)...)
			assert.Equal(t, []string{"0", "1"}, transcript(t, sub, only(other), "1"))
		})
		t.Run("FilteredByStreamPrefix", func(t *testing.T) {
			prefix := streamName("filtered")
			mustAppend(t, c, prefix+"-a", esdb.NoStream{}, jsonEvents(2)...)
			mustAppend(t, c, streamName("unfiltered"), esdb.NoStream{}, jsonEvents(2)...)
			_, err := c.TombstoneStream(context.Background(), prefix+"-a", esdb.TombstoneStreamOptions{})
			require.NoError(t, err)
			sub := subscribeAll(t, c, esdb.SubscribeToAllOptions{
				From:   p0,
				Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{prefix}},
			})
			var got []string
			for _, e := range transcript(t, sub, func(string) bool { return true }, "caught-up") {
				if e != "checkpoint" {
					got = append(got, e)
				}
			}
			assert.Equal(t, []string{"0", "1", fmt.Sprint(int64(^uint64(0) >> 1)), "caught-up"}, got, "only the prefix's streams, tombstone included")
		})
		t.Run("ExcludeSystemEvents", func(t *testing.T) {
			s := streamName("no-system")
			mustAppend(t, c, s, esdb.NoStream{}, jsonEvents(1)...)
			_, err := c.TombstoneStream(context.Background(), s, esdb.TombstoneStreamOptions{})
			require.NoError(t, err)
			sub := subscribeAll(t, c, esdb.SubscribeToAllOptions{From: p0, Filter: esdb.ExcludeSystemEventsFilter()})
			for {
				msg := sub.Recv()
				require.Nil(t, msg.SubscriptionDropped)
				if msg.CaughtUp != nil {
					break
				}
				if e := msg.EventAppeared; e != nil {
					assert.NotEqual(t, '$', rune(e.OriginalEvent().EventType[0]), "a system event: %s", e.OriginalEvent().EventType)
				}
			}
		})
		if !tg.inProcess() {
			return
		}
		t.Run("FromStartWithCheckpoints", func(t *testing.T) {
			// On a fresh server $all holds just the test's events: a
			// filtered subscription sends a checkpoint each window of
			// considered events and one before caught-up.
			sub := subscribeAll(t, c, esdb.SubscribeToAllOptions{
				From:               esdb.Start{},
				Filter:             &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: []string{"TestEvent"}},
				MaxSearchWindow:    2,
				CheckpointInterval: 1,
			})
			entries := transcript(t, sub, func(string) bool { return true }, "caught-up")
			assert.Contains(t, entries, "checkpoint")
			assert.Equal(t, "checkpoint", entries[len(entries)-2], "a checkpoint just before caught-up")
		})
	})
}

// TestSubscriptionsAndDeletes: a subscription to a tombstoned stream is
// refused; one live when its stream is tombstoned gets the tombstone
// event and is dropped with FailedPrecondition; a soft delete does not
// end a subscription, which sees the stream's new events when it comes
// back, numbered on from where it was.
func TestSubscriptionsAndDeletes(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		ctx := context.Background()
		t.Run("TombstoneWhileLive", func(t *testing.T) {
			stream := streamName("tombstone-live")
			sub := subscribeStream(t, c, stream, esdb.Start{})
			transcript(t, sub, only(stream), "caught-up")
			_, err := c.TombstoneStream(ctx, stream, esdb.TombstoneStreamOptions{})
			require.NoError(t, err)
			msg := sub.Recv()
			if msg.EventAppeared != nil {
				assert.Equal(t, "$streamDeleted", msg.EventAppeared.Event.EventType)
				msg = sub.Recv()
			}
			require.NotNil(t, msg.SubscriptionDropped)
			assert.Equal(t, codes.FailedPrecondition, grpcCode(msg.SubscriptionDropped.Error), "%v", msg.SubscriptionDropped.Error)
		})
		t.Run("SubscribeToTombstoned", func(t *testing.T) {
			stream := streamName("tombstoned")
			_, err := c.TombstoneStream(ctx, stream, esdb.TombstoneStreamOptions{ExpectedRevision: esdb.NoStream{}})
			require.NoError(t, err)
			for _, from := range []esdb.StreamPosition{esdb.Start{}, esdb.End{}, esdb.Revision(3)} {
				_, err = c.SubscribeToStream(ctx, stream, esdb.SubscribeToStreamOptions{From: from})
				// Wrapped: esdb.FromError cannot see it, errors.As can.
				requireCode(t, err, esdb.ErrorCodeStreamDeleted, "from %T", from)
			}
		})
		t.Run("SoftDeleteWhileLive", func(t *testing.T) {
			stream := streamName("soft-live")
			mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(2)...)
			sub := subscribeStream(t, c, stream, esdb.Start{})
			assert.Equal(t, "0 1 caught-up", joined(transcript(t, sub, only(stream), "caught-up")))
			_, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(1)})
			require.NoError(t, err)
			mustAppend(t, c, stream, esdb.Any{}, jsonEvents(3)...)
			assert.Equal(t, "2 3 4", joined(transcript(t, sub, only(stream), "4")))
		})
	})
}

// TestIdleSubscriptionSurvivesKeepalive: the client pings every 10 s,
// with or without streams; a server that did not allow it would drop
// every subscription after about 30 s with GOAWAY "too_many_pings". It
// takes 45 s, so it runs only with ESDBTEST_SLOW=1.
func TestIdleSubscriptionSurvivesKeepalive(t *testing.T) {
	if os.Getenv("ESDBTEST_SLOW") == "" {
		t.Skip("takes 45 s: set ESDBTEST_SLOW=1 to run it")
	}
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		stream := streamName("idle")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // longer than the watchdog
		defer cancel()
		sub, err := c.SubscribeToStream(ctx, stream, esdb.SubscribeToStreamOptions{From: esdb.Start{}})
		require.NoError(t, err)
		defer sub.Close()
		transcript(t, sub, only(stream), "caught-up")
		dropped := make(chan error, 1)
		go func() {
			msg := sub.Recv()
			if msg.SubscriptionDropped != nil {
				dropped <- msg.SubscriptionDropped.Error
				return
			}
			dropped <- nil
		}()
		select {
		case err := <-dropped:
			require.Fail(t, "the idle subscription ended", "%v", err)
		case <-time.After(45 * time.Second):
		}
		mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(1)...)
		assert.NoError(t, <-dropped, "the subscription still delivers")
	})
}

// TestSubscribeFromRevisionsPastMaxInt64: a real node's StreamRevision
// takes MaxUint64 for End (the subscription delivers what comes next),
// and refuses any other revision past MaxInt64.
func TestSubscribeFromRevisionsPastMaxInt64(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		stream := streamName("sub-maxuint")
		mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(2)...)
		sub := subscribeStream(t, c, stream, esdb.Revision(math.MaxUint64))
		mustAppend(t, c, stream, esdb.Revision(1), jsonEvents(1)...)
		assert.Equal(t, []string{"caught-up", "2"}, transcript(t, sub, func(string) bool { return true }, "2"))

		ctx, cancel := context.WithTimeout(context.Background(), subscriptionWatchdog)
		defer cancel()
		_, err := c.SubscribeToStream(ctx, stream, esdb.SubscribeToStreamOptions{From: esdb.Revision(math.MaxInt64 + 1)})
		require.Error(t, err, "a revision past MaxInt64 that is not End")
	})
}
