// Package idwindow is the de-duplication window of the logs
// eventlog/memlog, eventlog/boltlog and eventlog/esdb/esdbtest: a bounded memory of where
// recently written event IDs were first written, against which an append
// with Any or StreamExists is checked. It reproduces EventStoreDB's cache
// of committed events (a BoundedCache in its index committer):
//
//   - every event written takes one place in a first-in, first-out queue;
//     when the queue is full, its oldest place is given up and the ID
//     written there is forgotten;
//   - the queue is full when it holds as many places as the window's
//     size, or when what its IDs cost, counted as EventStoreDB counts
//     (see Cost), is more than MaxBytes: EventStoreDB bounds its cache by
//     that cost only, so a window is never bigger than its cache;
//   - the first write of an ID the window remembers wins: writing it again
//     takes a place but leaves the remembered value as it was;
//   - an ID is forgotten when its oldest place is given up, even if it was
//     written again since and that later place is still in the queue;
//   - every write adds its cost, and a place given up takes it back. One
//     thing of EventStoreDB's is reproduced only by a window made with
//     NewLikeEventStoreDB, for esdbtest: there, a place given up takes
//     back only the cost of the ID it forgets, and nothing if that ID is
//     forgotten already, so each write of an ID the window still
//     remembers costs for good, and the window holds that much less from
//     then on. The embedded logs do not shrink their windows so.
//
// The logs take an append for a retry only in the stream where the window
// says its IDs were first written, so a write of an ID to another stream
// is never taken for one, and on a window like EventStoreDB's costs for
// good. Nothing in eventchain writes one ID to
// two streams: banks once wrote every keyed transfer's event under one ID
// to its request stream and to "transactions", so that a retry of the
// second append was never recognised, and after about 160 000 of them
// (MaxBytes at the 52 a write to "transactions" costs) a window like
// EventStoreDB's remembered next to nothing. A key's reservation now has
// an ID of its own.
package idwindow

import (
	"unicode/utf16"

	"github.com/google/uuid"
)

// Default is the size of a window unless configured otherwise: about as
// many IDs as EventStoreDB's MaxBytes hold when stream names are some 25
// characters long (it holds about 40 000 for names of 100 characters and
// 200 000 for names of 5). Past 28 characters or so, MaxBytes is the
// tighter bound.
const Default = 100_000

// None is a size that keeps no IDs at all: every lookup misses.
const None = -1

// MaxBytes is the most the IDs of a window may cost, as EventStoreDB
// bounds its cache of them: 8 MiB.
const MaxBytes = 8 << 20

// Cost returns what EventStoreDB counts for remembering one ID written to
// stream: 16 bytes for the ID, 4 for its event number, 8 for a reference
// to the stream's name, and 2 for each UTF-16 code unit of the name.
func Cost(stream string) int {
	units := 0
	for _, r := range stream {
		units += utf16.RuneLen(r)
	}
	return 16 + 4 + 8 + 2*units
}

// A Window remembers the IDs of the latest event writes, at most Size of
// them and at most MaxBytes of their cost, and for each ID it remembers,
// the value of its first write (where the event was written). Use New.
//
// A Window is not safe for concurrent use: its owner's lock guards it.
type Window[V any] struct {
	size  int
	first map[uuid.UUID]remembered[V]
	// queue[head:] are the writes in the window, oldest first. Places
	// before head have been given up; they are reclaimed now and then.
	queue []place
	head  int
	bytes int // what the window counts against MaxBytes
	// repeatsCost: a repeated write's cost is never taken back (see
	// NewLikeEventStoreDB).
	repeatsCost bool
}

// A place is one write in the window.
type place struct {
	id   uuid.UUID
	cost int
}

// remembered is the first write of an ID the window remembers.
type remembered[V any] struct {
	v    V
	cost int
}

// New returns an empty window of size writes. A size below 1 (None, say)
// gives a window that keeps nothing.
func New[V any](size int) *Window[V] {
	w := &Window[V]{size: max(size, 0)}
	if w.size > 0 {
		w.first = make(map[uuid.UUID]remembered[V])
	}
	return w
}

// NewLikeEventStoreDB returns an empty window of size writes that
// counts what it holds as EventStoreDB's cache does (BoundedCache's
// PutRecord and RemoveRecord): every write adds its cost, but a place
// given up takes back only the cost of the ID it forgets, if the window
// still remembers it, so a write of an ID the window remembered already
// costs for good. esdbtest's window is one, so that it recognises no
// retry a real node would store again.
func NewLikeEventStoreDB[V any](size int) *Window[V] {
	w := New[V](size)
	w.repeatsCost = true
	return w
}

// Size returns the most writes the window spans; 0 if it keeps nothing.
func (w *Window[V]) Size() int { return w.size }

// Len returns the number of IDs the window remembers now.
func (w *Window[V]) Len() int { return len(w.first) }

// Lookup returns the value of id's first write, and whether the window
// remembers id.
func (w *Window[V]) Lookup(id uuid.UUID) (V, bool) {
	r, ok := w.first[id]
	return r.v, ok
}

// Add records a write of id, with v saying where it was written and cost
// what remembering it costs (see Cost). While the window is full, its
// oldest write leaves it first, and the ID written there is forgotten.
// If the window still remembers id, v is dropped: the first write wins.
func (w *Window[V]) Add(id uuid.UUID, v V, cost int) {
	if w.size == 0 {
		return
	}
	for n := len(w.queue) - w.head; n > 0 && (n >= w.size || w.bytes > MaxBytes); n-- {
		w.giveUpOldest()
	}
	w.queue = append(w.queue, place{id, cost})
	w.bytes += cost
	if _, ok := w.first[id]; !ok {
		w.first[id] = remembered[V]{v, cost}
	}
}

// giveUpOldest takes the oldest write out of the window, and forgets its
// ID. It takes back that write's cost; or, in a window like
// EventStoreDB's, as its BoundedCache.RemoveRecord does, the cost of the
// write the window remembers, if it remembers one: the cost of a write
// of an ID it remembered already is never taken back.
func (w *Window[V]) giveUpOldest() {
	p := w.queue[w.head]
	w.head++
	r, remembers := w.first[p.id]
	switch {
	case !w.repeatsCost:
		w.bytes -= p.cost
	case remembers:
		w.bytes -= r.cost
	}
	delete(w.first, p.id)
	// Reclaim the places given up once they are half the queue, so that
	// it stays within twice the window, at a constant cost per write.
	if w.head >= 64 && 2*w.head >= len(w.queue) {
		n := copy(w.queue, w.queue[w.head:])
		clear(w.queue[n:])
		w.queue, w.head = w.queue[:n], 0
	}
}
