package boltlog

// The committer keeps the file written ahead of bbolt's pages.
//
// bbolt grows its file by truncating it to a larger size, which leaves a
// hole: the file system allocates its blocks only when a commit first
// writes a page there. The commit's fdatasync must then also make the
// allocation durable, which on a journaling file system (ext4, XFS) is a
// journal commit, and costs about as much again as the flush of the
// pages (measured on ext4: 0.6 to 1 ms instead of 0.4). A commit that
// appends to a log nearly always writes a page past the last one, so
// nearly every commit would pay it.
//
// So the committer writes zeros past the high-water mark itself, and
// fsyncs them, before bbolt needs the room: bbolt then finds the file
// large enough and never grows it, and its commits overwrite blocks the
// file already has, so that their fdatasyncs flush data alone. It keeps
// between fillAhead/2 and fillAhead of the file written past the pages,
// and tops it up inside a write transaction, when no commit is writing:
// one commit in many carries the zeros and one fsync more. The zeros are
// past every page a meta page reaches, so a crash while they are written
// leaves nothing to recover, and Open's check reads no further than the
// pages. On a file system that copies on write, the zeros buy nothing and
// cost one fsync per fillAhead/2 of growth.

// Bounds of the room the committer keeps written past the pages: a
// quarter of the pages, so that the zeros cost a fixed share of the
// writing, but no less than fillAheadMin, so that a small log tops up
// rarely, and no more than fillAheadMax, so that one top-up is short.
const (
	fillAheadMin = 512 << 10
	fillAheadMax = 4 << 20
)

// fillAlign rounds the end of what fill writes up to a multiple of the
// largest page bbolt is likely to use, so that the file never ends
// within a page.
const fillAlign = 64 << 10

// fillAhead returns how far past its pages, pages bytes, the committer
// keeps the file written.
func fillAhead(pages int64) int64 { return min(max(pages/4, fillAheadMin), fillAheadMax) }

// zeros is what the committer writes past the pages, a chunk at a time.
var zeros = make([]byte, 1<<20)

// fill tops up the room written past the pages, pages bytes (the
// high-water mark of the write transaction the committer holds), if less
// than half of fillAhead is left. Writing the zeros is no part of a
// commit: if it fails (the disk is full, say), the commit goes on, bbolt
// grows the file as it would have, and fill tries again once the log has
// grown by as much.
func (l *Log) fill(pages int64) {
	// Every page below the high-water mark has been written: by the
	// commit that took it, or by an earlier fill.
	l.filled = max(l.filled, pages)
	ahead := fillAhead(pages)
	if l.filled-pages >= ahead/2 {
		return
	}
	end := (pages + ahead + fillAlign - 1) / fillAlign * fillAlign // whole pages of any size bbolt uses
	for l.filled < end {
		n := min(int64(len(zeros)), end-l.filled)
		if _, err := l.file.WriteAt(zeros[:n], l.filled); err != nil {
			l.filled = end
			return
		}
		l.filled += n
	}
	_ = l.file.Sync()
}
