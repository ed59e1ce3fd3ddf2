package esdbtest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
)

// TestIdempotentRetryOfHiddenEvents: a retry that is a no-op answers
// with the revision of the batch's last event and, as a real node reads
// that event to find its position, with no position if a read could not
// return it: the stream soft-deleted, or the event truncated by
// $maxCount. The client then reports positions of 0.
func TestIdempotentRetryOfHiddenEvents(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		ctx := context.Background()
		for _, tc := range []struct {
			name     string
			expected esdb.ExpectedRevision
			hide     func(t *testing.T, stream string)
			retry    int    // how many of the batch's events the retry sends
			want     uint64 // its NextExpectedVersion
			position bool
		}{
			{"AnyVisible", esdb.Any{}, func(*testing.T, string) {}, 2, 1, true},
			{"AnySoftDeleted", esdb.Any{}, func(t *testing.T, stream string) {
				_, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{})
				require.NoError(t, err)
			}, 2, 1, false},
			{"NoStreamSoftDeleted", esdb.NoStream{}, func(t *testing.T, stream string) {
				_, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{})
				require.NoError(t, err)
			}, 2, 1, false},
			{"NoStreamTruncated", esdb.NoStream{}, func(t *testing.T, stream string) {
				var m esdb.StreamMetadata
				m.SetMaxCount(1)
				_, err := c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{}, m)
				require.NoError(t, err)
			}, 1, 0, false},
			{"NoStreamNotTruncated", esdb.NoStream{}, func(t *testing.T, stream string) {
				var m esdb.StreamMetadata
				m.SetMaxCount(1)
				_, err := c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{}, m)
				require.NoError(t, err)
			}, 2, 1, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stream := streamName("hidden-retry")
				batch := jsonEvents(2)
				first := mustAppend(t, c, stream, tc.expected, batch...)
				tc.hide(t, stream)
				again := mustAppend(t, c, stream, tc.expected, batch[:tc.retry]...)
				assert.Equal(t, tc.want, again.NextExpectedVersion)
				if tc.position && tc.retry == len(batch) {
					assert.Equal(t, first, again)
				} else if !tc.position {
					assert.Zero(t, again.CommitPosition, "no position")
					assert.Zero(t, again.PreparePosition, "no position")
				}
			})
		}
	})
}

// TestStreamMetadataValidity: a real node reads a stream's metadata with
// a strict JSON reader: if $maxCount, $maxAge, $tb or $cacheControl is
// not an integer that fits an int64, $tempStream not a boolean, or $acl
// not an object of roles, it takes the whole metadata for empty; a
// $maxCount or $maxAge below 1, or a $tb below 0, it leaves out. Other
// keys do not matter. Here 5 events, and metadata written as JSON.
func TestStreamMetadataValidity(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		all := []uint64{0, 1, 2, 3, 4}
		for _, tc := range []struct {
			name string
			meta string
			want []uint64 // what a read from the start returns
		}{
			{"TruncateBefore", `{"$tb":3}`, []uint64{3, 4}},
			{"MaxCount", `{"$maxCount":2}`, []uint64{3, 4}},
			{"MaxCountZeroIsLeftOut", `{"$maxCount":0,"$tb":1}`, []uint64{1, 2, 3, 4}},
			{"MaxCountNegativeIsLeftOut", `{"$maxCount":-1}`, all},
			{"MaxAgeZeroIsLeftOut", `{"$maxAge":0}`, all},
			{"TruncateBeforeNegativeIsLeftOut", `{"$tb":-1,"$maxCount":1}`, []uint64{4}},
			{"CacheControlZeroIsLeftOut", `{"$tb":3,"$cacheControl":0}`, []uint64{3, 4}},
			{"CustomKeysDoNotMatter", `{"$tb":3,"custom":1.5,"other":{"$tb":"x"}}`, []uint64{3, 4}},
			{"ACLOfRoles", `{"$tb":3,"$acl":{"$r":"$all","$w":["a","b"],"$mr":[]}}`, []uint64{3, 4}},
			{"MaxCountFraction", `{"$tb":3,"$maxCount":1.5}`, all},
			{"MaxCountWithExponent", `{"$tb":3,"$maxCount":1e1}`, all},
			{"MaxCountString", `{"$tb":3,"$maxCount":"1"}`, all},
			{"MaxAgeFraction", `{"$tb":3,"$maxAge":2.5}`, all},
			{"CacheControlFraction", `{"$tb":3,"$cacheControl":1.5}`, all},
			{"TempStreamNotBoolean", `{"$tb":3,"$tempStream":"yes"}`, all},
			{"TruncateBeforePastInt64", `{"$tb":9223372036854775808}`, all},
			{"MaxAgeLongestTimeSpan", `{"$tb":3,"$maxAge":922337203685}`, []uint64{3, 4}},
			{"MaxAgePastTimeSpan", `{"$tb":3,"$maxAge":922337203686}`, all},
			{"ACLString", `{"$tb":3,"$acl":"$userStreamAcl"}`, all},
			{"ACLUnknownKey", `{"$tb":3,"$acl":{"$x":"a"}}`, all},
			{"ACLRoleNotString", `{"$tb":3,"$acl":{"$r":["a",1]}}`, all},
			{"ACLRoleNull", `{"$tb":3,"$acl":{"$r":null}}`, all},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stream := streamName("meta-validity")
				mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(5)...)
				mustAppend(t, c, "$$"+stream, esdb.Any{}, esdb.EventData{
					EventType: "$metadata", ContentType: esdb.ContentTypeJson, Data: []byte(tc.meta),
				})
				read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
				require.NoError(t, err)
				assert.Equal(t, tc.want, revisions(read))
			})
		}
	})
}

// TestSoftDelete: DeleteStream hides a stream's events (reads say not
// found) without ending it: a later append continues the numbering, and
// only the new events are visible. The expectation is checked like an
// append's, but a wrong one is a gRPC error the client does not decode.
func TestSoftDelete(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		ctx := context.Background()

		t.Run("ReadsSayNotFound", func(t *testing.T) {
			stream := streamName("soft")
			res := mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(1)...)
			del, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(0)})
			require.NoError(t, err)
			assert.Greater(t, del.Position.Commit, res.CommitPosition, "the delete is written after the append")
			assert.Equal(t, del.Position.Commit, del.Position.Prepare)
			_, err = readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
			requireCode(t, err, esdb.ErrorCodeResourceNotFound)
		})

		t.Run("AppendContinuesNumbering", func(t *testing.T) {
			stream := streamName("soft-recreate")
			mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(2)...)
			_, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(1)})
			require.NoError(t, err)
			assert.Equal(t, uint64(4), mustAppend(t, c, stream, esdb.Any{}, jsonEvents(3)...).NextExpectedVersion)
			read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
			require.NoError(t, err)
			assert.Equal(t, []uint64{2, 3, 4}, revisions(read), "only the new events")
			meta, err := c.GetStreamMetadata(ctx, stream, esdb.ReadStreamOptions{})
			require.NoError(t, err)
			assert.Equal(t, u64(2), meta.TruncateBefore())
			assert.Equal(t, uint64(6), mustAppend(t, c, stream, esdb.Any{}, jsonEvents(2)...).NextExpectedVersion)
		})

		t.Run("NoStreamRecreatesOnce", func(t *testing.T) {
			stream := streamName("soft-nostream")
			mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(2)...)
			_, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{})
			require.NoError(t, err)
			assert.Equal(t, uint64(2), mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(1)...).NextExpectedVersion)
			_, err = c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, jsonEvents(1)...)
			requireCode(t, err, esdb.ErrorCodeWrongExpectedVersion)
		})

		t.Run("StreamExistsSaysDeleted", func(t *testing.T) {
			stream := streamName("soft-exists")
			mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(1)...)
			_, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{})
			require.NoError(t, err)
			_, err = c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, jsonEvents(1)...)
			requireCode(t, err, esdb.ErrorCodeStreamDeleted)
		})

		t.Run("NewMetadataUndeletes", func(t *testing.T) {
			// Metadata written to a soft-deleted stream brings it back,
			// empty: its old events stay hidden.
			stream := streamName("soft-meta")
			mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(2)...)
			_, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{})
			require.NoError(t, err)
			_, err = c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{}, esdb.StreamMetadata{})
			require.NoError(t, err)
			read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
			require.NoError(t, err, "an undeleted stream is found")
			assert.Empty(t, read)
			meta, err := c.GetStreamMetadata(ctx, stream, esdb.ReadStreamOptions{})
			require.NoError(t, err)
			assert.Equal(t, u64(2), meta.TruncateBefore())
		})

		t.Run("WrongExpectationIsAGRPCError", func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				prior    int
				expected esdb.ExpectedRevision
			}{
				{"NeverWrittenWithAny", 0, esdb.Any{}},
				{"ExactBehind", 3, esdb.Revision(1)},
				{"NoStreamOnStreamWithEvents", 1, esdb.NoStream{}},
				{"StreamExistsOnNewStream", 0, esdb.StreamExists{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					stream := streamName("soft-wrong")
					if tc.prior > 0 {
						mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(tc.prior)...)
					}
					_, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{ExpectedRevision: tc.expected})
					requireCode(t, err, esdb.ErrorCodeUnknown)
					assert.Equal(t, codes.FailedPrecondition, grpcCode(err))
					assert.Contains(t, err.Error(), "WrongExpectedVersion")
				})
			}
		})
	})
}

// TestTombstone: TombstoneStream deletes a stream for ever: reads,
// appends (whatever they expect), subscriptions, deletes and its
// metadata stream all say deleted. A stream never written can be
// tombstoned too, with any or no_stream.
func TestTombstone(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		ctx := context.Background()
		stream := streamName("tombstone")
		res := mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(3)...)
		tomb, err := c.TombstoneStream(ctx, stream, esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Revision(2)})
		require.NoError(t, err)
		assert.Greater(t, tomb.Position.Commit, res.CommitPosition)

		_, err = readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
		requireCode(t, err, esdb.ErrorCodeStreamDeleted, "read")
		_, err = readStream(t, c, "$$"+stream, esdb.ReadStreamOptions{}, 10)
		requireCode(t, err, esdb.ErrorCodeStreamDeleted, "read of the metadata stream")
		for _, expected := range []esdb.ExpectedRevision{esdb.Any{}, esdb.NoStream{}, esdb.StreamExists{}, esdb.Revision(2), esdb.Revision(5)} {
			_, err := c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: expected}, jsonEvents(1)...)
			requireCode(t, err, esdb.ErrorCodeStreamDeleted, "append expecting %T", expected)
		}
		_, err = c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{}, esdb.StreamMetadata{})
		requireCode(t, err, esdb.ErrorCodeStreamDeleted, "metadata")
		_, err = c.TombstoneStream(ctx, stream, esdb.TombstoneStreamOptions{})
		requireCode(t, err, esdb.ErrorCodeStreamDeleted, "a second tombstone")
		_, err = c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{})
		requireCode(t, err, esdb.ErrorCodeStreamDeleted, "a soft delete")

		t.Run("NeverWritten", func(t *testing.T) {
			for _, tc := range []struct {
				expected esdb.ExpectedRevision
				ok       bool
			}{{esdb.NoStream{}, true}, {esdb.Any{}, true}, {esdb.Revision(0), false}, {esdb.StreamExists{}, false}} {
				_, err := c.TombstoneStream(ctx, streamName("tombstone-new"), esdb.TombstoneStreamOptions{ExpectedRevision: tc.expected})
				if tc.ok {
					assert.NoError(t, err, "%T", tc.expected)
				} else {
					requireCode(t, err, esdb.ErrorCodeUnknown, "%T", tc.expected)
					assert.Equal(t, codes.FailedPrecondition, grpcCode(err))
				}
			}
		})
	})
}

// TestStreamMetadata: stream metadata is kept byte for byte and obeyed:
// the latest wins; $maxCount and $maxAge hide events from reads; a
// stream with only metadata exists for stream_exists.
func TestStreamMetadata(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		ctx := context.Background()

		t.Run("RoundTripLatestWins", func(t *testing.T) {
			stream := streamName("meta")
			mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(1)...)
			var first, second esdb.StreamMetadata
			first.SetMaxAge(2 * time.Second)
			var acl esdb.Acl
			acl.AddReadRoles("admin")
			first.SetAcl(acl)
			second.SetMaxCount(7)
			second.AddCustomProperty("course", "blockchain-101")
			for _, m := range []esdb.StreamMetadata{first, second} {
				_, err := c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{}, m)
				require.NoError(t, err)
				got, err := c.GetStreamMetadata(ctx, stream, esdb.ReadStreamOptions{})
				require.NoError(t, err)
				assert.Equal(t, &m, got)
			}
		})

		t.Run("NoMetadataIsNotFound", func(t *testing.T) {
			_, err := c.GetStreamMetadata(ctx, streamName("meta-none"), esdb.ReadStreamOptions{})
			requireCode(t, err, esdb.ErrorCodeResourceNotFound)
		})

		t.Run("MetadataAloneMakesTheStreamExist", func(t *testing.T) {
			stream := streamName("meta-exists")
			_, err := c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{}, esdb.StreamMetadata{})
			require.NoError(t, err)
			assert.Equal(t, uint64(0), mustAppend(t, c, stream, esdb.StreamExists{}, jsonEvents(1)...).NextExpectedVersion)
		})

		t.Run("MaxCountHidesOlderEvents", func(t *testing.T) {
			stream := streamName("meta-maxcount")
			mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(5)...)
			var m esdb.StreamMetadata
			m.SetMaxCount(2)
			_, err := c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{}, m)
			require.NoError(t, err)
			read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
			require.NoError(t, err)
			assert.Equal(t, []uint64{3, 4}, revisions(read))
		})
	})
}

// TestMaxAgeHidesOldEvents: $maxAge hides events older than it from
// reads, leaving an empty (not a missing) stream. The server's clock is
// injected, so the test waits for nothing.
func TestMaxAgeHidesOldEvents(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	srv := esdbtest.New(esdbtest.Config{Now: clock.Now})
	require.NoError(t, srv.Start())
	t.Cleanup(srv.Close)
	c := newClient(t, srv.ConnString())
	ctx := context.Background()
	stream := streamName("maxage")
	mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(1)...)
	var m esdb.StreamMetadata
	m.SetMaxAge(time.Second)
	_, err := c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{}, m)
	require.NoError(t, err)
	read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
	require.NoError(t, err)
	assert.Len(t, read, 1, "not yet a second old")

	clock.Advance(2 * time.Second)
	read, err = readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
	require.NoError(t, err, "an expired stream reads as empty, not as missing")
	assert.Empty(t, read)
}

// A fakeClock is a server's clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
