package boltlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/eventlog"
)

// Open checks a file in three steps, each on what the step before it
// vouched for, so that nothing it reads can make it panic or loop:
//
//  1. inspect: bbolt's two meta pages (read with plain reads, not through
//     bbolt's memory map), and the file's length against them.
//  2. checkPages: every page the newer meta page reaches, and bbolt's
//     list of free pages; each page is in the file, used once, of the
//     kind its parent says, with its elements inside it; and every page
//     below the high-water mark is either in use or free.
//  3. checkLayout: through bbolt, the buckets and records of boltlog's
//     layout, every event's checksum, and revisions 0, 1, 2, … with no
//     gap in every stream.
//
// bbolt itself trusts its file: a damaged page can make it read out of
// bounds or loop. Steps 1 and 2 read the format bbolt writes (version 2,
// unchanged since 2014) to make sure it never meets such a page.

// bbolt's file format, as far as the checks need it. bbolt writes its
// structures in the machine's byte order.
const (
	pageHeaderSize   = 16 // page ID (8), flags (2), count (2), overflow (4)
	elementSize      = 16 // a branch or leaf element
	bucketHeaderSize = 16 // root page ID (8), sequence (8)
	metaSize         = 64 // magic … checksum
	metaChecksumOff  = 56

	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	metaPageFlag     = 0x04
	freelistPageFlag = 0x10
	bucketLeafFlag   = 0x01

	boltMagic   = 0xED0CDAED
	boltVersion = 2
	noFreelist  = ^uint64(0)

	defaultPageSize = 4096
	minPageSize     = 1024
	maxPageSize     = 16 << 20
)

var native = binary.NativeEndian

// A meta is what the check uses of one of bbolt's meta pages.
type meta struct {
	pageSize uint32
	root     uint64 // the root bucket's root page
	freelist uint64
	pgid     uint64 // the high-water mark: pages in use or free are below it
	txid     uint64
}

// errNoMagic says that a page is not a bbolt meta page at all.
var errNoMagic = errors.New("no bbolt magic number")

// parseMeta reads the meta page at the start of b.
func parseMeta(b []byte) (meta, error) {
	if len(b) < pageHeaderSize+metaSize {
		return meta{}, fmt.Errorf("%w: %d bytes, too short for a meta page", errNoMagic, len(b))
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	if native.Uint32(m) != boltMagic {
		return meta{}, errNoMagic
	}
	if v := native.Uint32(m[4:]); v != boltVersion {
		return meta{}, fmt.Errorf("bbolt format version %d, want %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(m[:metaChecksumOff])
	if have, want := native.Uint64(m[metaChecksumOff:]), h.Sum64(); have != want {
		return meta{}, fmt.Errorf("checksum %016x, want %016x", have, want)
	}
	if flags := native.Uint16(b[8:]); flags != metaPageFlag {
		return meta{}, fmt.Errorf("page flags %#x, want a meta page (%#x)", flags, metaPageFlag)
	}
	mt := meta{
		pageSize: native.Uint32(m[8:]),
		root:     native.Uint64(m[16:]),
		freelist: native.Uint64(m[32:]),
		pgid:     native.Uint64(m[40:]),
		txid:     native.Uint64(m[48:]),
	}
	if mt.pageSize < minPageSize || mt.pageSize > maxPageSize {
		return meta{}, fmt.Errorf("page size %d, want %d to %d", mt.pageSize, minPageSize, maxPageSize)
	}
	return mt, nil
}

// A fileState is what inspect found: the file's length and its meta
// pages, each with the error that makes it unusable, if any.
type fileState struct {
	size       int64
	metas      [2]meta
	metaErrs   [2]error
	pageSize   int64
	newest     int // the meta page bbolt uses: the valid one with the higher transaction ID
	readFailed error
}

// inspect reads f's meta pages, then its length: in that order, so that
// even while another process writes the file, the length is at least
// what a valid meta page says (bbolt grows a file before it writes the
// meta page that needs the room).
func inspect(f io.ReaderAt, stat func() (os.FileInfo, error)) fileState {
	var s fileState
	buf := make([]byte, pageHeaderSize+metaSize)
	read := func(off int64) ([]byte, error) {
		n, err := f.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return buf[:n], nil
	}
	b, err := read(0)
	if err != nil {
		s.readFailed = err
		return s
	}
	s.metas[0], s.metaErrs[0] = parseMeta(b)
	s.pageSize = defaultPageSize
	if s.metaErrs[0] == nil {
		s.pageSize = int64(s.metas[0].pageSize)
	}
	if b, err = read(s.pageSize); err != nil {
		s.readFailed = err
		return s
	}
	s.metas[1], s.metaErrs[1] = parseMeta(b)
	if s.metaErrs[0] != nil && s.metaErrs[1] == nil {
		s.pageSize = int64(s.metas[1].pageSize)
	}
	s.newest = -1
	for i, m := range s.metas {
		if s.metaErrs[i] == nil && (s.newest < 0 || m.txid > s.metas[s.newest].txid) {
			s.newest = i
		}
	}
	info, err := stat()
	if err != nil {
		s.readFailed = err
		return s
	}
	s.size = info.Size()
	return s
}

// definite returns the faults of s that no other process's writing can
// explain, so that Open may report them before it has the file's lock:
// an empty file, a file with no bbolt meta page, a file shorter than a
// valid meta page says.
func (s fileState) definite(path string) error {
	switch {
	case s.readFailed != nil:
		return nil // Open will meet the error again, and report it
	case s.size == 0:
		return corrupt(path, nil, "empty file (Open never leaves one: it creates a log whole, or not at all)")
	case errors.Is(s.metaErrs[0], errNoMagic) && errors.Is(s.metaErrs[1], errNoMagic):
		return corrupt(path, nil, "not a bbolt database: no bbolt meta page at its start")
	}
	for i, m := range s.metas {
		if s.metaErrs[i] != nil {
			continue
		}
		if need := int64(m.pgid) * int64(m.pageSize); m.pgid > 1<<40 || need > s.size {
			return corrupt(path, nil, "truncated: %d bytes, but meta page %d needs %d pages of %d bytes", s.size, i, m.pgid, m.pageSize)
		}
		if m.freelist == noFreelist {
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
func (s fileState) sound(path string) error {
	if err := s.definite(path); err != nil {
		return err
	}
	if s.readFailed != nil {
		return fmt.Errorf("boltlog: %q: %w", path, s.readFailed)
	}
	for i, err := range s.metaErrs {
		if err != nil {
			return corrupt(path, nil, "meta page %d is damaged (%v); bbolt would fall back on the other, which may lose the last commit", i, err)
		}
	}
	if s.metas[0].pageSize != s.metas[1].pageSize {
		return corrupt(path, nil, "the meta pages disagree on the page size: %d and %d", s.metas[0].pageSize, s.metas[1].pageSize)
	}
	if d := int64(s.metas[0].txid) - int64(s.metas[1].txid); d != 1 && d != -1 {
		return corrupt(path, nil, "the meta pages' transactions, %d and %d, are not consecutive", s.metas[0].txid, s.metas[1].txid)
	}
	return nil
}

// Page states in checkPages.
const (
	pageUnseen = iota
	pageUsed
	pageFree
)

// A pageChecker walks the pages of a file that inspect found sound.
type pageChecker struct {
	f     io.ReaderAt
	path  string
	ps    int64
	hwm   uint64
	state []byte // one of the page states, by page ID
}

// checkPages checks every page of the file f, whose meta pages s found
// sound: see the steps atop this file.
func checkPages(f io.ReaderAt, path string, s fileState) error {
	m := s.metas[s.newest]
	c := &pageChecker{f: f, path: path, ps: s.pageSize, hwm: m.pgid, state: make([]byte, m.pgid)}
	if m.pgid < 2 {
		return corrupt(path, nil, "high-water mark %d, want at least 2", m.pgid)
	}
	c.state[0], c.state[1] = pageUsed, pageUsed
	// The tree of buckets, from the root bucket's root page down. Each page
	// may be reached once, so a damaged page that points back up is found
	// here, not followed for ever. Each page's keys must be in order, and
	// within the range its parent gives it, or bbolt's searches would go
	// astray.
	stack := []span{{id: m.root}}
	for len(stack) > 0 {
		sp := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p, err := c.page(sp.id, "a bucket")
		if err != nil {
			return err
		}
		switch flags := native.Uint16(p[8:]); flags {
		case branchPageFlag:
			children, err := c.branch(sp, p)
			if err != nil {
				return err
			}
			stack = append(stack, children...)
		case leafPageFlag:
			roots, err := c.leaf(fmt.Sprintf("page %d", sp.id), p, sp)
			if err != nil {
				return err
			}
			stack = append(stack, roots...)
		default:
			return corrupt(path, nil, "page %d: flags %#x, want a branch or leaf page of a bucket", sp.id, flags)
		}
	}
	// The free pages.
	p, err := c.page(m.freelist, "the free-page list")
	if err != nil {
		return err
	}
	if flags := native.Uint16(p[8:]); flags != freelistPageFlag {
		return corrupt(path, nil, "page %d: flags %#x, want the free-page list", m.freelist, flags)
	}
	count, off := uint64(native.Uint16(p[10:])), uint64(pageHeaderSize)
	if count == 0xFFFF { // the count did not fit: it is the first element
		count, off = native.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > (uint64(len(p))-off)/8 {
		return corrupt(path, nil, "page %d: %d free pages do not fit in the free-page list", m.freelist, count)
	}
	for i := range count {
		id := native.Uint64(p[off+8*i:])
		if id < 2 || id >= c.hwm {
			return corrupt(path, nil, "free-page list: page %d is outside the file's pages [2, %d)", id, c.hwm)
		}
		if c.state[id] != pageUnseen {
			return corrupt(path, nil, "free-page list: page %d is free and also in use, or free twice", id)
		}
		c.state[id] = pageFree
	}
	for id, st := range c.state {
		if st == pageUnseen {
			return corrupt(path, nil, "page %d is neither in use nor free", id)
		}
	}
	return nil
}

// page reads page id and its overflow pages, and marks them used: what
// says what should be there, for the error.
func (c *pageChecker) page(id uint64, what string) ([]byte, error) {
	if id < 2 || id >= c.hwm {
		return nil, corrupt(c.path, nil, "%s: page %d is outside the file's pages [2, %d)", what, id, c.hwm)
	}
	p := make([]byte, c.ps)
	if _, err := c.f.ReadAt(p, int64(id)*c.ps); err != nil {
		return nil, corrupt(c.path, err, "%s: page %d cannot be read", what, id)
	}
	if have := native.Uint64(p); have != id {
		return nil, corrupt(c.path, nil, "%s: page %d says it is page %d", what, id, have)
	}
	overflow := uint64(native.Uint32(p[12:]))
	if overflow >= c.hwm-id {
		return nil, corrupt(c.path, nil, "%s: page %d runs %d pages past the file's pages", what, id, overflow)
	}
	for i := id; i <= id+overflow; i++ {
		if c.state[i] != pageUnseen {
			return nil, corrupt(c.path, nil, "%s: page %d is used twice", what, i)
		}
		c.state[i] = pageUsed
	}
	if overflow > 0 {
		p = make([]byte, int64(overflow+1)*c.ps)
		if _, err := c.f.ReadAt(p, int64(id)*c.ps); err != nil {
			return nil, corrupt(c.path, err, "%s: pages %d to %d cannot be read", what, id, id+overflow)
		}
	}
	return p, nil
}

// element returns the key and, for a leaf, the value of element i of the
// page p (a page, or an inline bucket's page), checking that they lie
// inside it.
func element(p []byte, i int, leaf bool) (flags uint32, key, value []byte, child uint64, err error) {
	at := uint64(pageHeaderSize + i*elementSize)
	if at+elementSize > uint64(len(p)) {
		return 0, nil, nil, 0, fmt.Errorf("element %d lies past the page's end", i)
	}
	e := p[at : at+elementSize]
	var pos, ksize, vsize uint64
	if leaf {
		flags, pos, ksize, vsize = native.Uint32(e), uint64(native.Uint32(e[4:])), uint64(native.Uint32(e[8:])), uint64(native.Uint32(e[12:]))
	} else {
		pos, ksize, child = uint64(native.Uint32(e)), uint64(native.Uint32(e[4:])), native.Uint64(e[8:])
	}
	start := at + pos
	if start+ksize+vsize > uint64(len(p)) {
		return 0, nil, nil, 0, fmt.Errorf("element %d's key and value lie past the page's end", i)
	}
	return flags, p[start : start+ksize], p[start+ksize : start+ksize+vsize], child, nil
}

// A span is a page to check, and the range its keys must lie in: from
// lo, included, to hi, excluded; nil for no bound.
type span struct {
	id     uint64
	lo, hi []byte
}

// inOrder checks that key comes after prev (nil for none) and lies in
// sp's range.
func inOrder(sp span, prev, key []byte) error {
	switch {
	case prev != nil && bytes.Compare(prev, key) >= 0:
		return fmt.Errorf("key %x does not come after key %x", key, prev)
	case sp.lo != nil && bytes.Compare(key, sp.lo) < 0:
		return fmt.Errorf("key %x comes before its parent's %x", key, sp.lo)
	case sp.hi != nil && bytes.Compare(key, sp.hi) >= 0:
		return fmt.Errorf("key %x does not come before its parent's next key %x", key, sp.hi)
	}
	return nil
}

// branch returns the pages a branch page points to, each with its range.
func (c *pageChecker) branch(sp span, p []byte) ([]span, error) {
	n := int(native.Uint16(p[10:]))
	if n == 0 {
		return nil, corrupt(c.path, nil, "page %d: a branch page with no elements", sp.id)
	}
	children := make([]span, n)
	var prev []byte
	for i := range n {
		_, key, _, child, err := element(p, i, false)
		if err == nil {
			err = inOrder(sp, prev, key)
		}
		if err != nil {
			return nil, corrupt(c.path, nil, "page %d: element %d: %v", sp.id, i, err)
		}
		children[i] = span{id: child, lo: key, hi: sp.hi}
		if i > 0 {
			children[i-1].hi = key
		}
		prev = key
	}
	return children, nil
}

// leaf checks a leaf page, or an inline bucket's page, whose keys must lie
// in sp's range, and returns the root pages of the buckets it holds that
// are not inline; it checks the inline ones itself. where names the page,
// for errors.
func (c *pageChecker) leaf(where string, p []byte, sp span) ([]span, error) {
	var roots []span
	var prev []byte
	n := int(native.Uint16(p[10:]))
	for i := range n {
		flags, key, v, _, err := element(p, i, true)
		if err == nil {
			err = inOrder(sp, prev, key)
		}
		if err == nil && flags&^bucketLeafFlag != 0 {
			err = fmt.Errorf("flags %#x", flags)
		}
		if err != nil {
			return nil, corrupt(c.path, nil, "%s: element %d: %v", where, i, err)
		}
		prev = key
		if flags&bucketLeafFlag == 0 {
			continue
		}
		if len(v) < bucketHeaderSize {
			return nil, corrupt(c.path, nil, "%s: element %d: a bucket of %d bytes, want at least %d", where, i, len(v), bucketHeaderSize)
		}
		root := native.Uint64(v)
		if root != 0 {
			roots = append(roots, span{id: root})
			continue
		}
		inline := v[bucketHeaderSize:]
		if len(inline) < pageHeaderSize || native.Uint16(inline[8:]) != leafPageFlag {
			return nil, corrupt(c.path, nil, "%s: element %d: an inline bucket that is not a leaf page", where, i)
		}
		more, err := c.leaf(fmt.Sprintf("%s: element %d's inline bucket", where, i), inline, span{})
		if err != nil {
			return nil, err
		}
		roots = append(roots, more...)
	}
	return roots, nil
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
