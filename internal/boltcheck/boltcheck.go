// Package boltcheck checks a bbolt file with plain reads, before bbolt
// reads it through its memory map. bbolt trusts its file: a damaged page
// can make it read out of bounds, loop, or panic in a goroutine of its own
// where no recover reaches (it does so at open, walking the tree of a file
// that keeps no free-page list). Inspect reads the two meta pages and the
// file's length; CheckPages then walks every page the newer meta page
// reaches, so that bbolt never meets a page that is not what its parent
// says. They read the format bbolt writes (version 2, unchanged since
// 2014) as far as the checks need it.
//
// Package eventlog/boltlog checks its event log with it, and the bank its
// ledger index.
package boltcheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

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

	defaultPageSize = 4096
	minPageSize     = 1024
	maxPageSize     = 16 << 20
)

// NoFreelist is Meta.Freelist in a file that keeps no free-page list
// (written with bbolt's NoFreelistSync).
const NoFreelist = ^uint64(0)

var native = binary.NativeEndian

// A Meta is what the checks use of one of bbolt's meta pages.
type Meta struct {
	PageSize uint32
	Root     uint64 // the root bucket's root page
	Freelist uint64 // the free-page list's page, or NoFreelist
	Pgid     uint64 // the high-water mark: pages in use or free are below it
	Txid     uint64 // the transaction that wrote it
}

// ErrNoMagic says that a page is not a bbolt meta page at all.
var ErrNoMagic = errors.New("no bbolt magic number")

// ParseMeta reads the meta page at the start of b.
func ParseMeta(b []byte) (Meta, error) {
	if len(b) < pageHeaderSize+metaSize {
		return Meta{}, fmt.Errorf("%w: %d bytes, too short for a meta page", ErrNoMagic, len(b))
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	if native.Uint32(m) != boltMagic {
		return Meta{}, ErrNoMagic
	}
	if v := native.Uint32(m[4:]); v != boltVersion {
		return Meta{}, fmt.Errorf("bbolt format version %d, want %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(m[:metaChecksumOff])
	if have, want := native.Uint64(m[metaChecksumOff:]), h.Sum64(); have != want {
		return Meta{}, fmt.Errorf("checksum %016x, want %016x", have, want)
	}
	if flags := native.Uint16(b[8:]); flags != metaPageFlag {
		return Meta{}, fmt.Errorf("page flags %#x, want a meta page (%#x)", flags, metaPageFlag)
	}
	mt := Meta{
		PageSize: native.Uint32(m[8:]),
		Root:     native.Uint64(m[16:]),
		Freelist: native.Uint64(m[32:]),
		Pgid:     native.Uint64(m[40:]),
		Txid:     native.Uint64(m[48:]),
	}
	if mt.PageSize < minPageSize || mt.PageSize > maxPageSize {
		return Meta{}, fmt.Errorf("page size %d, want %d to %d", mt.PageSize, minPageSize, maxPageSize)
	}
	return mt, nil
}

// A File is what Inspect found: the file's length and its meta pages,
// each with the error that makes it unusable, if any.
type File struct {
	Size       int64
	Metas      [2]Meta
	MetaErrs   [2]error // why each meta page is unusable; nil if it is not
	PageSize   int64
	Newest     int   // the valid meta page with the higher transaction ID, -1 if neither is valid: the one bbolt uses when both are valid (bbolt does not read a meta page's flags, which ParseMeta checks)
	ReadFailed error // the file could not be read or stat'ed: nothing else is set
}

// Inspect reads f's meta pages, then its length: in that order, so that
// even while another process writes the file, the length is at least
// what a valid meta page says (bbolt grows a file before it writes the
// meta page that needs the room).
func Inspect(f io.ReaderAt, stat func() (os.FileInfo, error)) File {
	var s File
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
		s.ReadFailed = err
		return s
	}
	s.Metas[0], s.MetaErrs[0] = ParseMeta(b)
	s.PageSize = defaultPageSize
	if s.MetaErrs[0] == nil {
		s.PageSize = int64(s.Metas[0].PageSize)
	}
	if b, err = read(s.PageSize); err != nil {
		s.ReadFailed = err
		return s
	}
	s.Metas[1], s.MetaErrs[1] = ParseMeta(b)
	if s.MetaErrs[0] != nil && s.MetaErrs[1] == nil {
		s.PageSize = int64(s.Metas[1].PageSize)
	}
	s.Newest = -1
	for i, m := range s.Metas {
		if s.MetaErrs[i] == nil && (s.Newest < 0 || m.Txid > s.Metas[s.Newest].Txid) {
			s.Newest = i
		}
	}
	info, err := stat()
	if err != nil {
		s.ReadFailed = err
		return s
	}
	s.Size = info.Size()
	return s
}

// Page states in CheckPages.
const (
	pageUnseen = iota
	pageUsed
	pageFree
)

// A pageChecker walks the pages of a file that inspect found sound.
type pageChecker struct {
	f     io.ReaderAt
	ps    int64
	hwm   uint64
	state []byte // one of the page states, by page ID
}

// CheckPages checks every page of the file f, whose meta pages s found
// sound (both valid, s.Newest the one to follow, the file long enough
// for its pages), with plain reads:
//
//   - every page the newer meta page reaches is in the file, used once,
//     of the kind its parent says, with its elements inside it;
//   - each page's keys are in order, and within the range its parent
//     gives it, or bbolt's searches would go astray;
//   - if the file keeps a free-page list (bbolt's NoFreelistSync unset),
//     every page it names is below the high-water mark and not in use,
//     and every page below the mark is either in use or free. A file
//     without one has its free pages found by bbolt at open, by walking
//     the tree that the first point checks.
//
// A fault is a *Fault.
func CheckPages(f io.ReaderAt, s File) error {
	if s.Newest < 0 {
		return fault(nil, "no valid meta page")
	}
	m := s.Metas[s.Newest]
	if s.PageSize <= 0 || s.Size < 0 || m.Pgid > uint64(s.Size)/uint64(s.PageSize) { // divided: a product could overflow
		return fault(nil, "truncated: %d bytes, but the meta page needs %d pages of %d bytes", s.Size, m.Pgid, s.PageSize)
	}
	c := &pageChecker{f: f, ps: s.PageSize, hwm: m.Pgid, state: make([]byte, m.Pgid)}
	if m.Pgid < 2 {
		return fault(nil, "high-water mark %d, want at least 2", m.Pgid)
	}
	c.state[0], c.state[1] = pageUsed, pageUsed
	// The tree of buckets, from the root bucket's root page down. Each page
	// may be reached once, so a damaged page that points back up is found
	// here, not followed for ever. Each page's keys must be in order, and
	// within the range its parent gives it, or bbolt's searches would go
	// astray.
	stack := []span{{id: m.Root}}
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
			return fault(nil, "page %d: flags %#x, want a branch or leaf page of a bucket", sp.id, flags)
		}
	}
	if m.Freelist == NoFreelist {
		return nil
	}
	// The free pages.
	p, err := c.page(m.Freelist, "the free-page list")
	if err != nil {
		return err
	}
	if flags := native.Uint16(p[8:]); flags != freelistPageFlag {
		return fault(nil, "page %d: flags %#x, want the free-page list", m.Freelist, flags)
	}
	count, off := uint64(native.Uint16(p[10:])), uint64(pageHeaderSize)
	if count == 0xFFFF { // the count did not fit: it is the first element
		count, off = native.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > (uint64(len(p))-off)/8 {
		return fault(nil, "page %d: %d free pages do not fit in the free-page list", m.Freelist, count)
	}
	for i := range count {
		id := native.Uint64(p[off+8*i:])
		if id < 2 || id >= c.hwm {
			return fault(nil, "free-page list: page %d is outside the file's pages [2, %d)", id, c.hwm)
		}
		if c.state[id] != pageUnseen {
			return fault(nil, "free-page list: page %d is free and also in use, or free twice", id)
		}
		c.state[id] = pageFree
	}
	for id, st := range c.state {
		if st == pageUnseen {
			return fault(nil, "page %d is neither in use nor free", id)
		}
	}
	return nil
}

// page reads page id and its overflow pages, and marks them used: what
// says what should be there, for the error.
func (c *pageChecker) page(id uint64, what string) ([]byte, error) {
	if id < 2 || id >= c.hwm {
		return nil, fault(nil, "%s: page %d is outside the file's pages [2, %d)", what, id, c.hwm)
	}
	p := make([]byte, c.ps)
	if _, err := c.f.ReadAt(p, int64(id)*c.ps); err != nil {
		return nil, fault(err, "%s: page %d cannot be read", what, id)
	}
	if have := native.Uint64(p); have != id {
		return nil, fault(nil, "%s: page %d says it is page %d", what, id, have)
	}
	overflow := uint64(native.Uint32(p[12:]))
	if overflow >= c.hwm-id {
		return nil, fault(nil, "%s: page %d runs %d pages past the file's pages", what, id, overflow)
	}
	for i := id; i <= id+overflow; i++ {
		if c.state[i] != pageUnseen {
			return nil, fault(nil, "%s: page %d is used twice", what, i)
		}
		c.state[i] = pageUsed
	}
	if overflow > 0 {
		p = make([]byte, int64(overflow+1)*c.ps)
		if _, err := c.f.ReadAt(p, int64(id)*c.ps); err != nil {
			return nil, fault(err, "%s: pages %d to %d cannot be read", what, id, id+overflow)
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
		return nil, fault(nil, "page %d: a branch page with no elements", sp.id)
	}
	children := make([]span, n)
	var prev []byte
	for i := range n {
		_, key, _, child, err := element(p, i, false)
		if err == nil {
			err = inOrder(sp, prev, key)
		}
		if err != nil {
			return nil, fault(nil, "page %d: element %d: %v", sp.id, i, err)
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
			return nil, fault(nil, "%s: element %d: %v", where, i, err)
		}
		prev = key
		if flags&bucketLeafFlag == 0 {
			continue
		}
		if len(v) < bucketHeaderSize {
			return nil, fault(nil, "%s: element %d: a bucket of %d bytes, want at least %d", where, i, len(v), bucketHeaderSize)
		}
		root := native.Uint64(v)
		if root != 0 {
			roots = append(roots, span{id: root})
			continue
		}
		inline := v[bucketHeaderSize:]
		if len(inline) < pageHeaderSize || native.Uint16(inline[8:]) != leafPageFlag {
			return nil, fault(nil, "%s: element %d: an inline bucket that is not a leaf page", where, i)
		}
		more, err := c.leaf(fmt.Sprintf("%s: element %d's inline bucket", where, i), inline, span{})
		if err != nil {
			return nil, err
		}
		roots = append(roots, more...)
	}
	return roots, nil
}

// A Fault is what CheckPages found wrong with a file.
type Fault struct {
	Reason string // what is wrong, and where, e.g. "page 7 is used twice"
	Err    error  // the read error behind it, if any
}

func (f *Fault) Error() string {
	if f.Err != nil {
		return f.Reason + ": " + f.Err.Error()
	}
	return f.Reason
}

// Unwrap returns the read error, if any.
func (f *Fault) Unwrap() error { return f.Err }

func fault(err error, format string, args ...any) *Fault {
	return &Fault{Reason: fmt.Sprintf(format, args...), Err: err}
}
