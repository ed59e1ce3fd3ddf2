package boltlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/boltcheck"
)

// Open checks a file in three steps, each on what the step before it
// vouched for, so that nothing it reads can make it panic or loop:
//
//  1. boltcheck.Inspect: bbolt's two meta pages (read with plain reads,
//     not through bbolt's memory map), and the file's length against
//     them; definite and sound say what boltlog makes of them.
//  2. boltcheck.CheckPages: every page the newer meta page reaches, and
//     bbolt's list of free pages; each page is in the file, used once,
//     of the kind its parent says, with its elements inside it; and
//     every page below the high-water mark is either in use or free.
//  3. checkLayout: through bbolt, the buckets and records of boltlog's
//     layout, every event's checksum, and revisions 0, 1, 2, … with no
//     gap in every stream.
//
// bbolt itself trusts its file: a damaged page can make it read out of
// bounds or loop. Steps 1 and 2 read the format bbolt writes (version 2,
// unchanged since 2014) to make sure it never meets such a page.

// definite returns the faults of s that no other process's writing can
// explain, so that Open may report them before it has the file's lock:
// an empty file, a file with no bbolt meta page, a file shorter than a
// valid meta page says.
func definite(s boltcheck.File, path string) error {
	switch {
	case s.ReadFailed != nil:
		return nil // Open will meet the error again, and report it
	case s.Size == 0:
		return corrupt(path, nil, "empty file (Open never leaves one: it creates a log whole, or not at all)")
	case errors.Is(s.MetaErrs[0], boltcheck.ErrNoMagic) && errors.Is(s.MetaErrs[1], boltcheck.ErrNoMagic):
		return corrupt(path, nil, "not a bbolt database: no bbolt meta page at its start")
	}
	for i, m := range s.Metas {
		if s.MetaErrs[i] != nil {
			continue
		}
		if s.Size < 0 || m.Pgid > uint64(s.Size)/uint64(m.PageSize) { // divided: pgid × page size could overflow
			return corrupt(path, nil, "truncated: %d bytes, but meta page %d needs %d pages of %d bytes", s.Size, i, m.Pgid, m.PageSize)
		}
		if m.Freelist == boltcheck.NoFreelist {
			return corrupt(path, nil, "meta page %d: no free-page list (boltlog always keeps one)", i)
		}
	}
	return nil
}

// sound returns every fault of s: the definite ones, and also a damaged
// meta page. bbolt would open a file with one good meta page, falling
// back to it; but if the damaged one was the newer, that silently loses
// the last commit, which was acknowledged. So Open refuses, and says
// which page is damaged.
func sound(s boltcheck.File, path string) error {
	if err := definite(s, path); err != nil {
		return err
	}
	if s.ReadFailed != nil {
		return fmt.Errorf("boltlog: %q: %w", path, s.ReadFailed)
	}
	for i, err := range s.MetaErrs {
		if err != nil {
			return corrupt(path, nil, "meta page %d is damaged (%v); bbolt would fall back on the other, which may lose the last commit", i, err)
		}
	}
	if s.Metas[0].PageSize != s.Metas[1].PageSize {
		return corrupt(path, nil, "the meta pages disagree on the page size: %d and %d", s.Metas[0].PageSize, s.Metas[1].PageSize)
	}
	if d := int64(s.Metas[0].Txid) - int64(s.Metas[1].Txid); d != 1 && d != -1 {
		return corrupt(path, nil, "the meta pages' transactions, %d and %d, are not consecutive", s.Metas[0].Txid, s.Metas[1].Txid)
	}
	return nil
}

// checkPages checks the pages of f, whose meta pages s found sound, with
// boltcheck.CheckPages: a fault is a *CorruptError.
func checkPages(f io.ReaderAt, path string, s boltcheck.File) error {
	var bad *boltcheck.Fault
	if err := boltcheck.CheckPages(f, s); errors.As(err, &bad) {
		return corrupt(path, bad.Err, "%s", bad.Reason)
	} else if err != nil {
		return corrupt(path, err, "its pages cannot be checked")
	}
	return nil
}

// checkLayout checks, in a read transaction of a file whose pages
// checkPages found sound, boltlog's buckets and records: see the steps
// atop this file.
func checkLayout(tx *bolt.Tx, path string) error {
	metaB := tx.Bucket(bucketMeta)
	if metaB == nil {
		return corrupt(path, nil, "a bbolt database, but not a boltlog event log: no %q bucket", bucketMeta)
	}
	if v := metaB.Get(keyFormat); !bytes.Equal(v, []byte(formatMarker)) {
		return corrupt(path, nil, "format %q, want %q", v, formatMarker)
	}
	known := map[string]bool{string(bucketMeta): true, string(bucketStreams): true, string(bucketTombstones): true}
	c := tx.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if !known[string(k)] || v != nil {
			return corrupt(path, nil, "unknown top-level key %q", k)
		}
	}
	streams, tombs := tx.Bucket(bucketStreams), tx.Bucket(bucketTombstones)
	if streams == nil || tombs == nil {
		return corrupt(path, nil, "no %q or %q bucket", bucketStreams, bucketTombstones)
	}
	tombstones, names := uint64(0), uint64(0)
	c = tombs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		tombstones++
		name := string(k)
		if err := eventlog.CheckStreamName(name); err != nil {
			return corrupt(path, nil, "tombstone of an invalid stream name: %v", err)
		}
		if v == nil {
			return corrupt(path, nil, "tombstone of stream %q is a bucket", name)
		}
		if _, err := decodeTombstone(name, v); err != nil {
			return corrupt(path, nil, "tombstone of stream %q: %v", name, err)
		}
	}
	c = streams.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		names++
		name := string(k)
		if err := eventlog.CheckStreamName(name); err != nil {
			return corrupt(path, nil, "a stream with an invalid name: %v", err)
		}
		if v != nil {
			return corrupt(path, nil, "stream %q is not a bucket", name)
		}
		if tombs.Get(k) != nil {
			return corrupt(path, nil, "stream %q has events and a tombstone", name)
		}
		if err := checkStream(streams.Bucket(k), name); err != nil {
			return corrupt(path, nil, "%v", err)
		}
	}
	if seq := tombs.Sequence(); seq != tombstones {
		return corrupt(path, nil, "%d tombstones, but the count says %d", tombstones, seq)
	}
	if seq := streams.Sequence(); seq != names {
		return corrupt(path, nil, "%d streams, but the count says %d", names, seq)
	}
	return nil
}

// checkStream checks that the stream's bucket holds events 0, 1, 2, …,
// with no gap, each with a sound record.
func checkStream(b *bolt.Bucket, name string) error {
	next := uint64(0)
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 || v == nil {
			return fmt.Errorf("stream %q: key %x is not a revision", name, k)
		}
		if rev := binary.BigEndian.Uint64(k); rev != next {
			return fmt.Errorf("stream %q: revision %d follows %d events", name, rev, next)
		}
		if _, err := parseEvent(name, next, v); err != nil {
			return fmt.Errorf("stream %q: revision %d: %w", name, next, err)
		}
		next++
	}
	if next == 0 {
		return fmt.Errorf("stream %q: a bucket with no events", name)
	}
	if seq := b.Sequence(); seq != next {
		return fmt.Errorf("stream %q: %d events, but the count says %d", name, next, seq)
	}
	return nil
}
