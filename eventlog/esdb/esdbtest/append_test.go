package esdbtest_test

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// TestAppendExpectations: every kind of expected revision succeeds when
// the stream is as expected, and otherwise fails with the
// wrong-expected-version answer the client decodes, naming both the
// expectation and the current revision; nothing is written then.
func TestAppendExpectations(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		for _, tc := range []struct {
			name     string
			prior    int
			expected esdb.ExpectedRevision
			next     uint64 // NextExpectedVersion on success
			wrong    string // the error text on failure, "" for success
		}{
			{"AnyOnNewStream", 0, esdb.Any{}, 1, ""},
			{"AnyOnStreamWithEvents", 3, esdb.Any{}, 4, ""},
			{"NoStreamOnNewStream", 0, esdb.NoStream{}, 1, ""},
			{"StreamExistsOnStreamWithEvents", 3, esdb.StreamExists{}, 4, ""},
			{"ExactLastRevision", 3, esdb.Revision(2), 4, ""},
			{"ExactZeroOnOneEvent", 1, esdb.Revision(0), 2, ""},
			{"NoStreamOnStreamWithEvents", 3, esdb.NoStream{}, 0, "expecting 'no_stream' but got '2'"},
			{"StreamExistsOnNewStream", 0, esdb.StreamExists{}, 0, "expecting 'stream_exists' but got 'no_stream'"},
			{"ExactOnNewStream", 0, esdb.Revision(0), 0, "expecting '0' but got 'no_stream'"},
			{"ExactAhead", 1, esdb.Revision(999), 0, "expecting '999' but got '0'"},
			{"ExactBehind", 3, esdb.Revision(1), 0, "expecting '1' but got '2'"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stream := streamName("expect")
				if tc.prior > 0 {
					mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(tc.prior)...)
				}
				res, err := c.AppendToStream(context.Background(), stream, esdb.AppendToStreamOptions{ExpectedRevision: tc.expected}, jsonEvents(2)...)
				if tc.wrong == "" {
					require.NoError(t, err)
					assert.Equal(t, tc.next, res.NextExpectedVersion)
					assert.Greater(t, res.CommitPosition, uint64(0))
					assert.Equal(t, res.CommitPosition, res.PreparePosition, "commit and prepare positions are equal")
					return
				}
				// The append's wrong expected version is an unwrapped
				// *esdb.Error, so FromError works on it.
				e, ok := esdb.FromError(err)
				require.False(t, ok)
				require.Equal(t, esdb.ErrorCodeWrongExpectedVersion, e.Code(), "%v", err)
				assert.Contains(t, err.Error(), "wrong expected version: "+tc.wrong)
				events, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 100)
				if tc.prior == 0 {
					requireCode(t, err, esdb.ErrorCodeResourceNotFound, "a refused append creates nothing")
					return
				}
				require.NoError(t, err)
				assert.Len(t, events, tc.prior, "a refused append writes nothing")
			})
		}
	})
}

// TestIdempotentAppend: the same event IDs appended again are a no-op
// that answers like the first append: by position for explicit
// expectations (no_stream included), by the ID cache for any and
// stream_exists. A batch that starts the same but differs is refused.
func TestIdempotentAppend(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		ctx := context.Background()
		for _, tc := range []struct {
			name     string
			expected esdb.ExpectedRevision
			prior    int
			later    int // events appended between the two appends
		}{
			{"Any", esdb.Any{}, 0, 0},
			{"AnyAfterLaterEvents", esdb.Any{}, 2, 3},
			{"NoStream", esdb.NoStream{}, 0, 0},
			{"NoStreamAfterLaterEvents", esdb.NoStream{}, 0, 3},
			{"StreamExists", esdb.StreamExists{}, 2, 0},
			{"Exact", esdb.Revision(1), 2, 0},
			{"ExactAfterLaterEvents", esdb.Revision(1), 2, 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stream := streamName("idempotent")
				if tc.prior > 0 {
					mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(tc.prior)...)
				}
				batch := jsonEvents(4)
				first := mustAppend(t, c, stream, tc.expected, batch...)
				if tc.later > 0 {
					mustAppend(t, c, stream, esdb.Any{}, jsonEvents(tc.later)...)
				}
				again := mustAppend(t, c, stream, tc.expected, batch...)
				assert.Equal(t, first, again, "a retry answers like the first append")
				events, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 100)
				require.NoError(t, err)
				assert.Len(t, events, tc.prior+len(batch)+tc.later, "the retry wrote nothing")
			})
		}

		t.Run("DifferentSecondIDIsRefused", func(t *testing.T) {
			for _, expected := range []esdb.ExpectedRevision{esdb.Any{}, esdb.NoStream{}} {
				stream := streamName("idempotent-other")
				batch := jsonEvents(2)
				mustAppend(t, c, stream, expected, batch...)
				_, err := c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: expected}, batch[0], jsonEvents(1)[0])
				requireCode(t, err, esdb.ErrorCodeWrongExpectedVersion, "%T", expected)
			}
		})

		t.Run("DuplicateIDsInOneBatch", func(t *testing.T) {
			// Six copies of one event: revisions 0…5 either way. Retried
			// with no_stream the answer is 5 again; retried with any, the
			// first-wins cache answers with the first copy's revision, 0.
			same := jsonEvents(1)[0]
			six := []esdb.EventData{same, same, same, same, same, same}
			stream := streamName("duplicates")
			assert.Equal(t, uint64(5), mustAppend(t, c, stream, esdb.NoStream{}, six...).NextExpectedVersion)
			assert.Equal(t, uint64(5), mustAppend(t, c, stream, esdb.NoStream{}, six...).NextExpectedVersion)
			same = jsonEvents(1)[0]
			six = []esdb.EventData{same, same, same, same, same, same}
			stream = streamName("duplicates-any")
			assert.Equal(t, uint64(5), mustAppend(t, c, stream, esdb.Any{}, six...).NextExpectedVersion)
			assert.Equal(t, uint64(0), mustAppend(t, c, stream, esdb.Any{}, six...).NextExpectedVersion)
		})

		t.Run("EmptyAppend", func(t *testing.T) {
			// An append of no events succeeds and creates nothing; the Go
			// client reports "no stream" as NextExpectedVersion 1.
			stream := streamName("empty")
			for range 2 {
				assert.Equal(t, uint64(1), mustAppend(t, c, stream, esdb.Any{}).NextExpectedVersion)
			}
			_, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
			requireCode(t, err, esdb.ErrorCodeResourceNotFound)
		})
	})
}

// TestEventFieldsRoundTrip: what a reader gets is what was appended —
// ID, type, content type, data and user metadata byte for byte — with
// the stream, the revision, a created time from the append, and the
// append's position.
func TestEventFieldsRoundTrip(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		stream := streamName("fields")
		events := []esdb.EventData{
			{EventID: uuid.New(), EventType: "Binary", ContentType: esdb.ContentTypeBinary, Data: []byte{0, 1, 2, 0xff, 0}, Metadata: []byte{0xfe, 0}},
			{EventID: uuid.New(), EventType: "Json-ü", ContentType: esdb.ContentTypeJson, Data: []byte(`{"a":[1,2,"流"]}`), Metadata: []byte(`{"by":"test"}`)},
			{EventID: uuid.New(), EventType: "NoMetadata", ContentType: esdb.ContentTypeJson, Data: []byte(`null`)},
		}
		// A real server's clock may be a little off this machine's.
		slack := time.Millisecond
		if !tg.inProcess() {
			slack = time.Minute
		}
		before := time.Now().Add(-slack)
		res := mustAppend(t, c, stream, esdb.NoStream{}, events...)
		after := time.Now().Add(slack)

		read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
		require.NoError(t, err)
		require.Len(t, read, len(events))
		for i, r := range read {
			e, want := r.Event, events[i]
			require.NotNil(t, e)
			assert.Nil(t, r.Link)
			assert.Equal(t, want.EventID, e.EventID, "event %d: ID", i)
			assert.Equal(t, want.EventType, e.EventType, "event %d: type", i)
			wantType := "application/octet-stream"
			if want.ContentType == esdb.ContentTypeJson {
				wantType = "application/json"
			}
			assert.Equal(t, wantType, e.ContentType, "event %d: content type", i)
			assert.Equal(t, stream, e.StreamID)
			assert.Equal(t, uint64(i), e.EventNumber)
			assert.True(t, bytes.Equal(want.Data, e.Data), "event %d: data %q, want %q", i, e.Data, want.Data)
			assert.True(t, bytes.Equal(want.Metadata, e.UserMetadata), "event %d: user metadata %q, want %q", i, e.UserMetadata, want.Metadata)
			assert.Equal(t, []string{"content-type", "created", "type"}, slices.Sorted(maps.Keys(e.SystemMetadata)), "event %d: system metadata", i)
			assert.True(t, !e.CreatedDate.Before(before) && !e.CreatedDate.After(after), "event %d: created %v, want within [%v, %v]", i, e.CreatedDate, before, after)
			assert.Equal(t, time.UTC, e.CreatedDate.Location())
			assert.Equal(t, e.Position.Commit, e.Position.Prepare)
			assert.Equal(t, u64(e.Position.Commit), r.Commit, "event %d: the read event's commit position", i)
		}
		assert.Equal(t, res.CommitPosition, read[2].Event.Position.Commit, "the append's position is its last event's")
		assert.Less(t, read[0].Event.Position.Commit, read[1].Event.Position.Commit)
		assert.Less(t, read[1].Event.Position.Commit, read[2].Event.Position.Commit)
	})
}

// TestLargeAppends: an append of exactly 1 MiB, counted as EventStoreDB
// counts it (data + metadata + twice the type), is stored and read back
// whole; one byte more is refused, with the server's real answer even
// when the client has more events to send (the server reads them all
// before it answers).
func TestLargeAppends(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		const limit = 1 << 20
		event := func(dataLen int, meta []byte) esdb.EventData {
			return esdb.EventData{EventID: uuid.New(), EventType: "Big", ContentType: esdb.ContentTypeBinary,
				Data: bytes.Repeat([]byte{'x'}, dataLen), Metadata: meta}
		}
		for _, tc := range []struct {
			name   string
			events []esdb.EventData
			ok     bool
		}{
			{"ExactlyOneMiB", []esdb.EventData{event(limit-6, nil)}, true},
			{"ExactlyOneMiBWithMetadata", []esdb.EventData{event(limit-6-4, []byte("meta"))}, true},
			{"OneByteOver", []esdb.EventData{event(limit-5, nil)}, false},
			{"OverAtTheSecondOfMany", []esdb.EventData{event(600<<10, nil), event(600<<10, nil), event(200<<10, nil),
				event(200<<10, nil), event(200<<10, nil), event(200<<10, nil), event(200<<10, nil)}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stream := streamName("large")
				_, err := c.AppendToStream(context.Background(), stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, tc.events...)
				if !tc.ok {
					require.Error(t, err)
					if tg.inProcess() {
						// A real node may answer before it has read the
						// whole request; the client then reports the
						// broken stream instead (see the package doc).
						assert.Equal(t, codes.InvalidArgument, grpcCode(err), "the server's answer, not a broken stream: %v", err)
					}
					_, err = readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
					requireCode(t, err, esdb.ErrorCodeResourceNotFound, "nothing written")
					return
				}
				require.NoError(t, err)
				read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
				require.NoError(t, err)
				require.Len(t, read, len(tc.events))
				for i := range read {
					assert.True(t, bytes.Equal(tc.events[i].Data, read[i].Event.Data), "event %d: data of %d bytes comes back whole", i, len(tc.events[i].Data))
					assert.True(t, bytes.Equal(tc.events[i].Metadata, read[i].Event.UserMetadata), "event %d: metadata", i)
				}
			})
		}
	})
}

// TestConcurrentExactAppends: appenders racing with the same expected
// revision get exactly one winner.
func TestConcurrentExactAppends(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.conn)
		stream := streamName("race")
		mustAppend(t, c, stream, esdb.NoStream{}, jsonEvents(1)...)
		const racers = 8
		errs := make(chan error, racers)
		for range racers {
			go func() {
				_, err := c.AppendToStream(context.Background(), stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, jsonEvents(1)...)
				errs <- err
			}()
		}
		wins := 0
		for range racers {
			if err := <-errs; err == nil {
				wins++
			} else {
				requireCode(t, err, esdb.ErrorCodeWrongExpectedVersion)
				assert.Contains(t, err.Error(), "expecting '0' but got '1'")
			}
		}
		assert.Equal(t, 1, wins, "one winner")
		read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
		require.NoError(t, err)
		assert.Equal(t, []uint64{0, 1}, revisions(read))
	})
}
