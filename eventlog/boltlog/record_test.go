package boltlog

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
)

// sealed returns the record of e as the log stores it in stream s at
// revision rev.
func sealed(s string, rev uint64, e eventlog.Event, at time.Time) []byte {
	return seal(encodeEvent(e), s, revKey(rev), at)
}

func TestRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 7, 1, 12, 0, 0, 42, time.UTC)
	for _, e := range []eventlog.Event{
		{ID: uuid.New(), Type: "T", Data: []byte(`{}`)},
		{ID: uuid.New(), Type: "Block.Mined", Data: []byte(`[1,2,3]`), Metadata: []byte(`{"by":"miner"}`)},
	} {
		r, err := decodeEvent("blocks", 7, sealed("blocks", 7, e, at))
		require.NoError(t, err)
		assert.Equal(t, eventlog.Recorded{Event: e, Stream: "blocks", Revision: 7, Time: at}, r)
	}
}

// TestBadRecordsAreRefused: a record that is damaged, or stored where
// another belongs, gives an error, never a panic or a wrong event.
func TestBadRecordsAreRefused(t *testing.T) {
	e := eventlog.Event{ID: uuid.New(), Type: "T", Data: []byte(`{"a":1}`), Metadata: []byte(`{}`)}
	good := sealed("s", 3, e, time.Now())
	// resealed returns good with change applied and a checksum that
	// matches again: damage the checksum cannot see.
	resealed := func(change func(body []byte) []byte) []byte {
		body := change(append([]byte(nil), good[:len(good)-crcSize]...))
		return binary.BigEndian.AppendUint32(body, checksum("s", revKey(3), body))
	}
	for _, tc := range []struct {
		name   string
		stream string
		rev    uint64
		rec    []byte
	}{
		{"Empty", "s", 3, nil},
		{"Truncated", "s", 3, good[:len(good)-1]},
		{"ByteChanged", "s", 3, append(append([]byte(nil), good[:10]...), append([]byte{good[10] ^ 1}, good[11:]...)...)},
		{"OtherStream", "t", 3, good},
		{"OtherRevision", "s", 4, good},
		{"OtherVersion", "s", 3, resealed(func(b []byte) []byte { b[0] = 2; return b })},
		{"FieldOverruns", "s", 3, resealed(func(b []byte) []byte { b[offBody] = 200; return b })},
		{"BytesAfterFields", "s", 3, resealed(func(b []byte) []byte { return append(b, 0) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeEvent(tc.stream, tc.rev, tc.rec)
			assert.ErrorIs(t, err, errRecord)
		})
	}
	_, err := storedID(good[:10])
	assert.ErrorIs(t, err, errRecord, "a record too short for an ID")
}

func TestTombstoneRoundTrip(t *testing.T) {
	at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	got, err := decodeTombstone("gone", encodeTombstone("gone", at))
	require.NoError(t, err)
	assert.Equal(t, at, got)
	_, err = decodeTombstone("other", encodeTombstone("gone", at))
	assert.ErrorIs(t, err, errRecord, "a tombstone of another stream")
	long := append(encodeTombstone("gone", at)[:tombstoneLen], 0)
	long = binary.BigEndian.AppendUint32(long, checksum("gone", nil, long))
	_, err = decodeTombstone("gone", long)
	assert.ErrorIs(t, err, errRecord, "a tombstone too long")
}

// FuzzDecodeEvent: whatever the bytes, decodeEvent returns an event or an
// error, never a panic, and an event it returns survives encoding and
// decoding again.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(sealed("s", 0, eventlog.Event{ID: uuid.New(), Type: "T", Data: []byte(`1`)}, time.Now()))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeEvent("s", 0, b)
		if err != nil {
			return
		}
		again, err := decodeEvent("s", 0, sealed("s", 0, r.Event, r.Time))
		require.NoError(t, err)
		assert.Equal(t, r, again)
	})
}
