package esdbtest_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
)

// eventIDs returns the IDs of events, in order.
func eventIDs(events []*esdb.ResolvedEvent) []uuid.UUID {
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.OriginalEvent().EventID
	}
	return ids
}

// dataIDs returns the IDs of events to append, in order.
func dataIDs(events []esdb.EventData) []uuid.UUID {
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.EventID
	}
	return ids
}

// TestDedupWindow: a retry of a batch of three, after other events were
// written to another stream, is a no-op while the event-ID cache still
// remembers the batch's first ID, and stores the batch again once it
// has forgotten it — for any and stream_exists. Retries with no_stream
// and a revision compare the stored events and are no-ops whatever the
// cache.
func TestDedupWindow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		window   int
		expected esdb.ExpectedRevision
		prior    int  // events in the stream before the batch
		between  int  // events written to another stream between the batch and its retry
		stored   bool // whether the retry stores the batch again
	}{
		{"AnyWellWithinWindow", 10, esdb.Any{}, 1, 2, false},
		{"AnyFillingTheWindow", 10, esdb.Any{}, 1, 7, false},
		{"AnyOneWritePastTheWindow", 10, esdb.Any{}, 1, 8, true},
		{"AnyDefaultWindow", 0, esdb.Any{}, 1, 100, false},
		{"AnyNoWindow", esdbtest.NoDedupWindow, esdb.Any{}, 0, 0, true},
		{"StreamExistsPastTheWindow", 4, esdb.StreamExists{}, 1, 2, true},
		{"StreamExistsNoWindow", esdbtest.NoDedupWindow, esdb.StreamExists{}, 1, 0, true},
		{"NoStreamPastTheWindow", 2, esdb.NoStream{}, 0, 10, false},
		{"NoStreamNoWindow", esdbtest.NoDedupWindow, esdb.NoStream{}, 0, 0, false},
		{"RevisionPastTheWindow", 2, esdb.Revision(0), 1, 10, false},
		{"RevisionNoWindow", esdbtest.NoDedupWindow, esdb.Revision(0), 1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, esdbtest.Config{DedupWindow: tc.window})
			c := newClient(t, srv.ConnString())
			stream := streamName("window")
			if tc.prior > 0 {
				mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(tc.prior)...)
			}
			batch := jsonEvents(3)
			first := mustAppend(t, c, stream, tc.expected, batch...)
			for range tc.between {
				mustAppend(t, c, streamName("between"), esdb.Any{}, jsonEvents(1)...)
			}

			again := mustAppend(t, c, stream, tc.expected, batch...)
			read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 100)
			require.NoError(t, err)
			want := len(batch) + tc.prior
			if tc.stored {
				want += len(batch)
				assert.Equal(t, uint64(want-1), again.NextExpectedVersion, "a retry stored again answers with its own last revision")
				assert.Greater(t, again.CommitPosition, first.CommitPosition)
				assert.Equal(t, dataIDs(batch), eventIDs(read[want-len(batch):]), "the second copy, whole, at the end")
			} else {
				assert.Equal(t, first, again, "a retry that is a no-op answers like the first append")
			}
			assert.Len(t, read, want)
		})
	}
}

// TestDedupWindowIsEmptyAfterARestart: a node keeps its event-ID cache
// in memory only, and fills it only as it writes, so after a restart it
// remembers no earlier append: a retry with any or stream_exists is
// stored again, while retries with no_stream and a revision, which
// compare the stored events, are still no-ops.
func TestDedupWindowIsEmptyAfterARestart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		expected esdb.ExpectedRevision
		prior    int
		stored   bool
	}{
		{"Any", esdb.Any{}, 0, true},
		{"StreamExists", esdb.StreamExists{}, 1, true},
		{"NoStream", esdb.NoStream{}, 0, false},
		{"Revision", esdb.Revision(0), 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, esdbtest.Config{})
			c := newClient(t, srv.ConnString())
			stream := streamName("restart-window")
			if tc.prior > 0 {
				mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(tc.prior)...)
			}
			batch := jsonEvents(2)
			first := mustAppend(t, c, stream, tc.expected, batch...)

			srv.Stop()
			require.NoError(t, srv.Start())
			c = newClient(t, srv.ConnString()) // see TestStopAndStart

			again := mustAppend(t, c, stream, tc.expected, batch...)
			read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 100)
			require.NoError(t, err)
			want := tc.prior + len(batch)
			if tc.stored {
				want += len(batch)
				assert.Equal(t, uint64(want-1), again.NextExpectedVersion, "stored again")
			} else {
				assert.Equal(t, first, again, "a no-op")
			}
			assert.Len(t, read, want)
		})
	}
}

// TestDedupWindowCountsSystemRecords: every record written takes its
// place in the cache, the $metadata records of stream metadata too, as
// on a real node.
func TestDedupWindowCountsSystemRecords(t *testing.T) {
	srv := startServer(t, esdbtest.Config{DedupWindow: 3})
	c := newClient(t, srv.ConnString())
	ctx := context.Background()
	stream := streamName("system")
	batch := jsonEvents(3)
	mustAppend(t, c, stream, esdb.Any{}, batch...)
	_, err := c.SetStreamMetadata(ctx, streamName("meta"), esdb.AppendToStreamOptions{}, esdb.StreamMetadata{})
	require.NoError(t, err)
	// The metadata record is the fourth write: batch[0] has left the
	// window of three.
	again := mustAppend(t, c, stream, esdb.Any{}, batch...)
	assert.Equal(t, uint64(5), again.NextExpectedVersion, "stored again")
}

// TestDuplicateAny: with DuplicateAny, appends with any and
// stream_exists are stored a second time, whole, after the first, and
// the client is told about a copy of its events; appends with no_stream
// or a revision never are; Duplicates counts what was stored twice.
func TestDuplicateAny(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     float64
		expected func(last uint64) esdb.ExpectedRevision
		twice    bool // whether every batch is stored twice (or else once)
	}{
		{"AnyAlways", 1, func(uint64) esdb.ExpectedRevision { return esdb.Any{} }, true},
		{"StreamExistsAlways", 1, func(uint64) esdb.ExpectedRevision { return esdb.StreamExists{} }, true},
		{"RevisionNever", 1, func(last uint64) esdb.ExpectedRevision { return esdb.Revision(last) }, false},
		{"AnyAtRateZero", 0, func(uint64) esdb.ExpectedRevision { return esdb.Any{} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, esdbtest.Config{DuplicateAny: tc.rate, DuplicateSeed: 1})
			c := newClient(t, srv.ConnString())
			stream := streamName("duplicates")
			last := mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(1)...).NextExpectedVersion
			const appends = 40
			batches := make([][]esdb.EventData, appends)
			answers := make([]uint64, appends)
			for i := range batches {
				batches[i] = jsonEvents(i%3 + 1)
				last = mustAppend(t, c, stream, tc.expected(last), batches[i]...).NextExpectedVersion
				answers[i] = last
			}
			// Enough appends elsewhere for every duplicate held back to be
			// due: 1024 at most, and each append may make more.
			for range 1100 {
				mustAppend(t, c, streamName("elsewhere"), esdb.NoStream{}, jsonEvents(1)...)
			}

			read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 1000)
			require.NoError(t, err)
			ids := eventIDs(read)
			for i, b := range batches {
				copies := 0
				for at := range ids {
					if ids[at] == b[0].EventID {
						copies++
						require.LessOrEqual(t, at+len(b), len(ids))
						assert.Equal(t, dataIDs(b), ids[at:at+len(b)], "batch %d: a copy at %d is whole", i, at)
					}
				}
				want := 1
				if tc.twice {
					want = 2
				}
				assert.Equal(t, want, copies, "copies of batch %d", i)
				assert.Equal(t, b[len(b)-1].EventID, ids[answers[i]], "batch %d: the answer names a copy of its last event", i)
			}
			wantDuplicates := 0
			if tc.twice {
				wantDuplicates = appends
			}
			assert.Equal(t, wantDuplicates, srv.Duplicates())
		})
	}
}

// TestDuplicateAnyIsDeterministic: the same seed and the same appends
// give the same streams.
func TestDuplicateAnyIsDeterministic(t *testing.T) {
	run := func(seed uint64) []uuid.UUID {
		srv := startServer(t, esdbtest.Config{DuplicateAny: 0.4, DuplicateSeed: seed})
		c := newClient(t, srv.ConnString())
		stream := streamName("deterministic")
		for i := range 60 {
			events := make([]esdb.EventData, i%2+1)
			for j := range events {
				events[j] = esdb.EventData{
					EventID:     uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%d %d", i, j)),
					EventType:   "TestEvent",
					ContentType: esdb.ContentTypeJson,
					Data:        []byte(`{}`),
				}
			}
			mustAppend(t, c, stream, esdb.Any{}, events...)
		}
		read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 1000)
		require.NoError(t, err)
		return eventIDs(read)
	}
	first := run(3)
	assert.Equal(t, first, run(3), "the same seed")
	assert.NotEqual(t, first, run(4), "another seed")
}

// TestDuplicateAnySparesDeletedStreams: a duplicate due on a stream
// tombstoned since is dropped, as the retry would have been refused.
func TestDuplicateAnySparesDeletedStreams(t *testing.T) {
	srv := startServer(t, esdbtest.Config{DuplicateAny: 1, DuplicateSeed: 1})
	c := newClient(t, srv.ConnString())
	ctx := context.Background()
	stream := streamName("deleted")
	for range 20 {
		mustAppend(t, c, stream, esdb.Any{}, jsonEvents(1)...)
	}
	stored := srv.Duplicates()
	require.Less(t, stored, 20, "some duplicates are held back (else pick another seed)")
	_, err := c.TombstoneStream(ctx, stream, esdb.TombstoneStreamOptions{})
	require.NoError(t, err)
	for range 1100 {
		mustAppend(t, c, streamName("elsewhere"), esdb.NoStream{}, jsonEvents(1)...)
	}
	assert.Equal(t, stored, srv.Duplicates(), "nothing written to the deleted stream")
}

// TestStartRefusesBadDuplicateRates: a DuplicateAny outside 0 to 1 is
// refused by Start.
func TestStartRefusesBadDuplicateRates(t *testing.T) {
	for _, rate := range []float64{-0.5, 1.5, math.NaN()} {
		srv := esdbtest.New(esdbtest.Config{DuplicateAny: rate})
		err := srv.Start()
		srv.Close()
		assert.ErrorContains(t, err, "want 0 to 1", "rate %v", rate)
	}
}

// TestDedupWindowIsBoundedByARealNodesCache: however large the window,
// the server remembers no more IDs than a real node's 8 MiB cache would:
// with stream names of 1000 characters, about 4 100.
func TestDedupWindowIsBoundedByARealNodesCache(t *testing.T) {
	srv := startServer(t, esdbtest.Config{DedupWindow: 1_000_000})
	c := newClient(t, srv.ConnString())
	long := streamName(strings.Repeat("s", 1000))
	batch := jsonEvents(3)
	mustAppend(t, c, long, esdb.Any{}, batch...)
	for range 50 {
		mustAppend(t, c, long+"-other", esdb.Any{}, jsonEvents(100)...)
	}
	again := mustAppend(t, c, long, esdb.Any{}, batch...)
	assert.Equal(t, uint64(5), again.NextExpectedVersion, "5 000 writes later, the retry is stored again")
}
