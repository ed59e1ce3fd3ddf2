package boltlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog"
)

// The file's layout: three buckets at the top level.
//
//	boltlog     "format" → formatMarker
//	streams     stream name → a bucket of the stream's events:
//	                revision (8 bytes, big-endian) → event record
//	tombstones  stream name → tombstone record
//
// Keys sort bytewise, so big-endian revisions sort in order: a cursor
// walks a stream forwards or backwards. A stream bucket exists only once
// it has events; a deleted stream has no bucket, only a tombstone.
//
// Every bbolt bucket has a sequence number, kept in the bucket's header
// in its parent: a stream's bucket keeps its number of events (its last
// revision + 1) there, streams its number of streams, tombstones its
// number of tombstones. They cost no page of their own (the header is
// rewritten with every change to the bucket anyway), make a stream's last
// revision a lookup, and let Open notice a page that lost elements at its
// end: the counts would disagree.
var (
	bucketMeta       = []byte("boltlog")
	bucketStreams    = []byte("streams")
	bucketTombstones = []byte("tombstones")
	keyFormat        = []byte("format")
)

// formatMarker names the layout and its version. Open refuses a file
// without it, or with another.
const formatMarker = "eventchain boltlog 1"

// revKey returns the key of revision rev: 8 bytes, big-endian.
func revKey(rev uint64) []byte { return binary.BigEndian.AppendUint64(nil, rev) }

// revOf returns the revision of a key revKey made. The file's check
// makes sure that every key in a stream's bucket is one.
func revOf(key []byte) uint64 { return binary.BigEndian.Uint64(key) }

// An event record is one stored event, versioned and checksummed:
//
//	0      1 byte   record version (1)
//	1      16 bytes event ID
//	17     8 bytes  recorded time: Unix seconds, big-endian int64
//	25     4 bytes  recorded time: nanoseconds within the second
//	29     uvarint length, then the type
//	…      uvarint length, then the data
//	…      uvarint length, then the metadata (0 for none)
//	end−4  4 bytes  CRC-32C (Castagnoli), big-endian
//
// The checksum covers the record's other bytes and also the stream's name
// and the revision, which the record does not repeat (the bucket and the
// key say them): a record copied to another place fails its check as
// surely as a record whose bytes changed. bbolt checksums only its meta
// pages, so this is what finds a damaged event.
const (
	recordVersion = 1
	offID         = 1
	offTime       = offID + 16
	offBody       = offTime + 12
	crcSize       = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeEvent returns e's record, without its time and checksum: the log
// adds them when it commits (see seal), since only then does it know the
// revision and the time. It copies e's bytes, so the caller may reuse
// them as soon as Append returns.
func encodeEvent(e eventlog.Event) []byte {
	n := offBody + 3*binary.MaxVarintLen64 + len(e.Type) + len(e.Data) + len(e.Metadata) + crcSize
	b := make([]byte, offBody, n)
	b[0] = recordVersion
	copy(b[offID:], e.ID[:])
	b = binary.AppendUvarint(b, uint64(len(e.Type)))
	b = append(b, e.Type...)
	b = binary.AppendUvarint(b, uint64(len(e.Data)))
	b = append(b, e.Data...)
	b = binary.AppendUvarint(b, uint64(len(e.Metadata)))
	b = append(b, e.Metadata...)
	return b
}

// putTime writes at into b, a record or tombstone, at off.
func putTime(b []byte, off int, at time.Time) {
	binary.BigEndian.PutUint64(b[off:], uint64(at.Unix()))
	binary.BigEndian.PutUint32(b[off+8:], uint32(at.Nanosecond()))
}

// getTime reads the time putTime wrote, in UTC.
func getTime(b []byte, off int) time.Time {
	return time.Unix(int64(binary.BigEndian.Uint64(b[off:])), int64(binary.BigEndian.Uint32(b[off+8:]))).UTC()
}

// checksum returns the CRC-32C of a record's bytes b stored under stream
// at key (nil for a tombstone).
func checksum(stream string, key, b []byte) uint32 {
	crc := crc32.Update(0, castagnoli, binary.AppendUvarint(nil, uint64(len(stream))))
	crc = crc32.Update(crc, castagnoli, []byte(stream))
	crc = crc32.Update(crc, castagnoli, key)
	return crc32.Update(crc, castagnoli, b)
}

// seal stamps rec, a record from encodeEvent, with its time and appends
// its checksum for stream at key. It returns the finished record, which
// shares rec's array (encodeEvent left room for the checksum).
func seal(rec []byte, stream string, key []byte, at time.Time) []byte {
	putTime(rec, offTime, at)
	return binary.BigEndian.AppendUint32(rec, checksum(stream, key, rec))
}

// errRecord is the cause of every record that does not decode.
var errRecord = errors.New("bad record")

// verified returns v's bytes before the checksum if v is a record of
// at least minLen bytes of the given version whose checksum holds for
// stream and key.
func verified(v []byte, minLen int, stream string, key []byte) ([]byte, error) {
	if len(v) < minLen+crcSize {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", errRecord, len(v), minLen+crcSize)
	}
	body := v[:len(v)-crcSize]
	if have, want := binary.BigEndian.Uint32(v[len(body):]), checksum(stream, key, body); have != want {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", errRecord, have, want)
	}
	if body[0] != recordVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", errRecord, body[0], recordVersion)
	}
	return body, nil
}

// decodeEvent returns the event stored under stream at rev as v, with
// copies of its bytes (v belongs to a bbolt transaction).
func decodeEvent(stream string, rev uint64, v []byte) (eventlog.Recorded, error) {
	r, err := parseEvent(stream, rev, v)
	if err != nil {
		return r, err
	}
	r.Data = append([]byte(nil), r.Data...)
	if len(r.Metadata) > 0 {
		r.Metadata = append([]byte(nil), r.Metadata...)
	}
	return r, nil
}

// parseEvent is decodeEvent without the copies: Data and Metadata share
// v's bytes.
func parseEvent(stream string, rev uint64, v []byte) (eventlog.Recorded, error) {
	body, err := verified(v, offBody, stream, revKey(rev))
	if err != nil {
		return eventlog.Recorded{}, err
	}
	if ns := binary.BigEndian.Uint32(body[offTime+8:]); ns >= 1e9 {
		return eventlog.Recorded{}, fmt.Errorf("%w: %d nanoseconds in a second", errRecord, ns)
	}
	r := eventlog.Recorded{Stream: stream, Revision: eventlog.Revision(rev), Time: getTime(body, offTime)}
	copy(r.ID[:], body[offID:])
	rest := body[offBody:]
	var fields [3][]byte
	for i := range fields {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) {
			return eventlog.Recorded{}, fmt.Errorf("%w: field %d overruns the record", errRecord, i)
		}
		fields[i], rest = rest[w:w+int(n)], rest[w+int(n):]
	}
	if len(rest) != 0 {
		return eventlog.Recorded{}, fmt.Errorf("%w: %d bytes after the last field", errRecord, len(rest))
	}
	r.Type, r.Data = string(fields[0]), fields[1]
	if len(fields[2]) > 0 {
		r.Metadata = fields[2]
	}
	return r, nil
}

// storedID returns the ID of the event record v without checking the
// rest: enough to recognise a retried append by position. A record too
// short to hold an ID gives an error.
func storedID(v []byte) (uuid.UUID, error) {
	var id uuid.UUID
	if len(v) < offID+len(id) {
		return id, fmt.Errorf("%w: %d bytes, too short for an ID", errRecord, len(v))
	}
	copy(id[:], v[offID:])
	return id, nil
}

// A tombstone record marks a deleted stream:
//
//	0   1 byte   record version (1)
//	1   8 bytes  when the stream was deleted: Unix seconds
//	9   4 bytes  and nanoseconds
//	13  4 bytes  CRC-32C of the rest and the stream's name
const tombstoneLen = 1 + 12

// encodeTombstone returns the tombstone of stream, deleted at at.
func encodeTombstone(stream string, at time.Time) []byte {
	b := make([]byte, tombstoneLen, tombstoneLen+crcSize)
	b[0] = recordVersion
	putTime(b, 1, at)
	return binary.BigEndian.AppendUint32(b, checksum(stream, nil, b))
}

// decodeTombstone returns when stream was deleted, from its tombstone v.
func decodeTombstone(stream string, v []byte) (time.Time, error) {
	body, err := verified(v, tombstoneLen, stream, nil)
	if err != nil {
		return time.Time{}, err
	}
	if len(body) != tombstoneLen {
		return time.Time{}, fmt.Errorf("%w: tombstone of %d bytes, want %d", errRecord, len(v), tombstoneLen+crcSize)
	}
	return getTime(body, 1), nil
}
