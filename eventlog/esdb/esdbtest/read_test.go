package esdbtest_test

import (
	"context"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
)

// TestReadStream: a stream read returns up to count events from a
// revision (included), forwards or backwards; a read past the end is
// empty; the stream ends with io.EOF, for ever.
func TestReadStream(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		stream := streamName("read")
		mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(12)...)
		mustAppend(t, c, stream, esdb.Revision(11), jsonEvents(8)...) // 20 events: 0…19
		span := func(from, to int) []uint64 {
			revs := []uint64{}
			for r := from; ; {
				revs = append(revs, uint64(r))
				if r == to {
					return revs
				}
				if from < to {
					r++
				} else {
					r--
				}
			}
		}
		for _, tc := range []struct {
			name  string
			dir   esdb.Direction
			from  esdb.StreamPosition
			count uint64
			want  []uint64
		}{
			{"ForwardsFromStart", esdb.Forwards, esdb.Start{}, 10, span(0, 9)},
			{"ForwardsAll", esdb.Forwards, esdb.Start{}, 1024, span(0, 19)},
			{"ForwardsFromRevision", esdb.Forwards, esdb.Revision(5), 3, span(5, 7)},
			{"ForwardsToTheEnd", esdb.Forwards, esdb.Revision(18), 10, span(18, 19)},
			{"ForwardsPastTheEnd", esdb.Forwards, esdb.Revision(25), 10, []uint64{}},
			{"BackwardsFromEnd", esdb.Backwards, esdb.End{}, 10, span(19, 10)},
			{"BackwardsFromRevision", esdb.Backwards, esdb.Revision(5), 3, span(5, 3)},
			{"BackwardsToTheStart", esdb.Backwards, esdb.Revision(1), 10, span(1, 0)},
			{"BackwardsFromStart", esdb.Backwards, esdb.Start{}, 10, span(0, 0)},
			{"BackwardsFromPastTheEnd", esdb.Backwards, esdb.Revision(100), 2, span(19, 18)},
			// The largest revision a real node takes: past the end, not the
			// start again.
			{"ForwardsFromMaxInt64", esdb.Forwards, esdb.Revision(math.MaxInt64), 10, []uint64{}},
			{"BackwardsFromMaxInt64", esdb.Backwards, esdb.Revision(math.MaxInt64), 2, span(19, 18)},
			// MaxUint64 is how a real node spells End.
			{"BackwardsFromMaxUint64", esdb.Backwards, esdb.Revision(math.MaxUint64), 2, span(19, 18)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				read, err := readStream(t, c, stream, esdb.ReadStreamOptions{Direction: tc.dir, From: tc.from}, tc.count)
				require.NoError(t, err)
				assert.Equal(t, tc.want, revisions(read))
			})
		}

		t.Run("EOFForEver", func(t *testing.T) {
			rs, err := c.ReadStream(context.Background(), stream, esdb.ReadStreamOptions{}, 1024)
			require.NoError(t, err)
			defer rs.Close()
			for range 20 {
				_, err := rs.Recv()
				require.NoError(t, err)
			}
			for range 2 {
				_, err := rs.Recv()
				assert.ErrorIs(t, err, io.EOF)
			}
		})

		t.Run("MissingStreamIsNotFound", func(t *testing.T) {
			// ReadStream itself succeeds; the first Recv reports the
			// missing stream, and io.EOF follows.
			rs, err := c.ReadStream(context.Background(), streamName("missing"), esdb.ReadStreamOptions{}, 10)
			require.NoError(t, err)
			defer rs.Close()
			_, err = rs.Recv()
			e, ok := esdb.FromError(err)
			require.False(t, ok)
			assert.Equal(t, esdb.ErrorCodeResourceNotFound, e.Code(), "%v", err)
			_, err = rs.Recv()
			assert.ErrorIs(t, err, io.EOF)
		})

		t.Run("RevisionsPastMaxInt64Fail", func(t *testing.T) {
			// A real node's StreamRevision refuses them (an
			// ArgumentOutOfRangeException: Unknown); MaxUint64 is End,
			// which a forwards read refuses too.
			for _, rev := range []uint64{math.MaxInt64 + 1, math.MaxUint64 - 1, math.MaxUint64} {
				_, err := readStream(t, c, stream, esdb.ReadStreamOptions{From: esdb.Revision(rev)}, 10)
				requireCode(t, err, esdb.ErrorCodeUnknown, "forwards from %d", rev)
			}
			for _, rev := range []uint64{math.MaxInt64 + 1, math.MaxUint64 - 1} {
				_, err := readStream(t, c, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(rev)}, 10)
				requireCode(t, err, esdb.ErrorCodeUnknown, "backwards from %d", rev)
			}
		})

		t.Run("CountZeroFails", func(t *testing.T) {
			// A real node's index reader refuses a page of no events
			// (Ensure.Positive(maxCount)) before it looks at the stream:
			// the read fails with Unknown, whatever the stream's state.
			deleted := streamName("count-zero-deleted")
			_, err := c.TombstoneStream(context.Background(), deleted, esdb.TombstoneStreamOptions{})
			require.NoError(t, err)
			for _, name := range []string{stream, streamName("count-zero-missing"), deleted} {
				for _, dir := range []esdb.Direction{esdb.Forwards, esdb.Backwards} {
					read, err := readStream(t, c, name, esdb.ReadStreamOptions{Direction: dir}, 0)
					assert.Empty(t, read)
					requireCode(t, err, esdb.ErrorCodeUnknown, "%s, direction %v", name, dir)
					assert.Equal(t, codes.Unknown, grpcCode(err), "%v", err)
				}
			}
		})

		t.Run("ForwardsFromEndFails", func(t *testing.T) {
			// A real node refuses this read, with Unknown; eventlog/esdb
			// never sends it.
			_, err := readStream(t, c, stream, esdb.ReadStreamOptions{From: esdb.End{}}, 10)
			requireCode(t, err, esdb.ErrorCodeUnknown)
		})
	})
}

// TestReadAll: $all holds every event of every stream in commit order,
// positions growing, commit equal to prepare, a batch's events together;
// it also holds the system events ($metadata, $streamDeleted) other
// calls write. Forwards reads include the position they start at,
// backwards reads exclude it.
func TestReadAll(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		ctx := context.Background()
		a, b := streamName("all-a"), streamName("all-b")
		first := mustAppend(t, c, a, esdb.NoStream{}, jsonEvents(2)...)
		mustAppend(t, c, b, esdb.NoStream{}, jsonEvents(1)...)
		_, err := c.SetStreamMetadata(ctx, a, esdb.AppendToStreamOptions{}, esdb.StreamMetadata{})
		require.NoError(t, err)
		tomb, err := c.TombstoneStream(ctx, b, esdb.TombstoneStreamOptions{})
		require.NoError(t, err)

		// The first event of a is one position before first (the
		// append's position is its last event's): read backwards from
		// first to find it, then forwards from there.
		back, err := readAllEvents(c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.Position{Commit: first.CommitPosition, Prepare: first.PreparePosition}}, 1)
		require.NoError(t, err)
		require.Len(t, back, 1, "backwards from the second event of a: the first")
		start := back[0].Event.Position
		mine := func(e *esdb.ResolvedEvent) bool {
			s := e.Event.StreamID
			return s == a || s == b || s == "$$"+a
		}
		all, err := readAllEvents(c, esdb.ReadAllOptions{From: start}, 1000)
		require.NoError(t, err)
		var got []string
		var last uint64
		for _, e := range all {
			if !mine(e) {
				continue
			}
			p := e.Event.Position
			assert.Equal(t, p.Commit, p.Prepare, "%s: commit and prepare", e.Event.StreamID)
			assert.Greater(t, p.Commit, last, "positions only grow")
			last = p.Commit
			got = append(got, e.Event.StreamID+"/"+e.Event.EventType)
		}
		require.Equal(t, []string{a + "/TestEvent", a + "/TestEvent", b + "/TestEvent", "$$" + a + "/$metadata", b + "/$streamDeleted"}, got)
		assert.Equal(t, start, all[0].Event.Position, "a forwards read includes its start")
		assert.Equal(t, tomb.Position.Commit, last, "the tombstone's position")

		if tg.inProcess() {
			t.Run("FromStartAndEnd", func(t *testing.T) {
				all, err := readAllEvents(c, esdb.ReadAllOptions{}, 1000)
				require.NoError(t, err)
				assert.Len(t, all, 5, "a fresh server's $all holds what the test wrote")
				newest, err := readAllEvents(c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
				require.NoError(t, err)
				require.Len(t, newest, 1)
				assert.Equal(t, "$streamDeleted", newest[0].Event.EventType)
				none, err := readAllEvents(c, esdb.ReadAllOptions{From: esdb.End{}}, 10)
				require.NoError(t, err)
				assert.Empty(t, none, "forwards from the end")
				none, err = readAllEvents(c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.Start{}}, 10)
				require.NoError(t, err)
				assert.Empty(t, none, "backwards from the start")
			})
		}
	})
}

// readAllEvents reads $all to the end of the read.
func readAllEvents(c *esdb.Client, opts esdb.ReadAllOptions, count uint64) ([]*esdb.ResolvedEvent, error) {
	rs, err := c.ReadAll(context.Background(), opts, count)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*esdb.ResolvedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// TestLinkResolution: a link event ($>, data "revision@stream") read
// with ResolveLinkTos comes back as the event it points to, with the
// link beside it.
func TestLinkResolution(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		target, links := streamName("link-target"), streamName("links")
		events := jsonEvents(2)
		mustAppend(t, c, target, esdb.NoStream{}, events...)
		mustAppend(t, c, links, esdb.NoStream{}, esdb.EventData{EventID: uuid.New(), EventType: "$>", ContentType: esdb.ContentTypeBinary, Data: []byte("1@" + target)})

		read, err := readStream(t, c, links, esdb.ReadStreamOptions{ResolveLinkTos: true}, 10)
		require.NoError(t, err)
		require.Len(t, read, 1)
		require.NotNil(t, read[0].Event)
		require.NotNil(t, read[0].Link)
		assert.Equal(t, events[1].EventID, read[0].Event.EventID, "the event linked to")
		assert.Equal(t, target, read[0].Event.StreamID)
		assert.Equal(t, "$>", read[0].Link.EventType)
		assert.Equal(t, "$>", read[0].OriginalEvent().EventType, "the original event is the link")

		read, err = readStream(t, c, links, esdb.ReadStreamOptions{}, 10)
		require.NoError(t, err)
		require.Len(t, read, 1)
		assert.Nil(t, read[0].Link, "without ResolveLinkTos the link is an event like another")
		assert.Equal(t, "$>", read[0].Event.EventType)
	})
}

// TestUnimplementedAnswersSo: calls the server does not implement answer
// Unimplemented, which the client reports as an unsupported feature.
func TestUnimplementedAnswersSo(t *testing.T) {
	srv := esdbtest.NewServer(t)
	c := newClient(t, srv.ConnString())
	err := c.CreatePersistentSubscription(context.Background(), streamName("persistent"), "group", esdb.PersistentStreamSubscriptionOptions{})
	require.Error(t, err)
	assert.Equal(t, codes.Unimplemented, grpcCode(err), "%v", err)
}
