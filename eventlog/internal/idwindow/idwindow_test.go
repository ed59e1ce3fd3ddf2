package idwindow_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/eventchain/eventchain/eventlog/internal/idwindow"
)

// id returns a fixed ID for a letter, so that tables read as letters.
func id(letter string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte(letter)) }

// TestWindow: each case writes IDs in order (letter and value) into a
// window of a size, then asks which it remembers, and with what value.
func TestWindow(t *testing.T) {
	type write struct {
		id string
		v  int
	}
	for _, tc := range []struct {
		name   string
		size   int
		writes []write
		want   map[string]int // what the window remembers; every other letter of writes is forgotten
	}{
		{"NoneKeepsNothing", idwindow.None, []write{{"a", 1}, {"b", 2}}, map[string]int{}},
		{"ZeroKeepsNothing", 0, []write{{"a", 1}}, map[string]int{}},
		{"NotYetFull", 3, []write{{"a", 1}, {"b", 2}, {"c", 3}}, map[string]int{"a": 1, "b": 2, "c": 3}},
		{"OldestLeavesFirst", 3, []write{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}}, map[string]int{"b": 2, "c": 3, "d": 4}},
		{"WrapsAround", 2, []write{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}}, map[string]int{"d": 4, "e": 5}},
		{"FirstWriteWins", 3, []write{{"a", 1}, {"a", 2}}, map[string]int{"a": 1}},
		// The third write pushes out the first, which forgets a; the
		// third is then the first write of a the window remembers.
		{"SameIDFillsTheWindow", 2, []write{{"a", 1}, {"a", 2}, {"a", 3}}, map[string]int{"a": 3}},
		// As in EventStoreDB: the oldest place of a leaves, and a is
		// forgotten though its second write is still in the window.
		{"ForgottenWhenItsOldestPlaceLeaves", 3, []write{{"a", 1}, {"b", 2}, {"a", 3}, {"c", 4}}, map[string]int{"b": 2, "c": 4}},
		{"WrittenAgainOnceForgotten", 2, []write{{"a", 1}, {"b", 2}, {"c", 3}, {"a", 4}}, map[string]int{"c": 3, "a": 4}},
		{"SizeOne", 1, []write{{"a", 1}, {"b", 2}}, map[string]int{"b": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := idwindow.New[int](tc.size)
			for _, wr := range tc.writes {
				w.Add(id(wr.id), wr.v, 1)
			}
			assert.Equal(t, len(tc.want), w.Len(), "Len")
			for _, wr := range tc.writes {
				v, ok := w.Lookup(id(wr.id))
				want, remembered := tc.want[wr.id]
				if assert.Equal(t, remembered, ok, "is %s remembered", wr.id) && ok {
					assert.Equal(t, want, v, "the value of %s: have %d, want %d", wr.id, v, want)
				}
			}
		})
	}
}

// TestWindowStaysBounded: however many IDs are written, the window
// remembers at most its size.
func TestWindowStaysBounded(t *testing.T) {
	const size = 100
	w := idwindow.New[int](size)
	assert.Equal(t, size, w.Size())
	for i := range 10 * size {
		w.Add(id(fmt.Sprint(i)), i, idwindow.Cost("s"))
		assert.LessOrEqual(t, w.Len(), size)
	}
	assert.Equal(t, size, w.Len(), "the last %d writes, all different", size)
	_, ok := w.Lookup(id(fmt.Sprint(10*size - size - 1)))
	assert.False(t, ok, "the write just before the window")
	v, ok := w.Lookup(id(fmt.Sprint(10*size - size)))
	assert.True(t, ok, "the oldest write in the window")
	assert.Equal(t, 10*size-size, v)
}

// TestWindowIsBoundedByCost: a window never holds more than
// EventStoreDB's cache would: once the cost of its IDs is past MaxBytes,
// each write pushes the oldest out, however many places are left.
func TestWindowIsBoundedByCost(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		cost int
		want int // IDs remembered after many writes
	}{
		// As in EventStoreDB, the check comes before the write, so the
		// window goes one write past MaxBytes.
		{"MegabyteIDs", 100, 1 << 20, 9},
		{"SizeIsTighter", 5, 1 << 20, 5},
		{"DefaultWithLongNames", idwindow.Default, idwindow.Cost(strings.Repeat("x", 100)), idwindow.MaxBytes/idwindow.Cost(strings.Repeat("x", 100)) + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := idwindow.New[int](tc.size)
			for i := range tc.want + 10 {
				w.Add(id(fmt.Sprint(i)), i, tc.cost)
			}
			assert.Equal(t, tc.want, w.Len())
		})
	}
}

// TestWindowCountsRepeatedWritesForGood: as in EventStoreDB's
// BoundedCache, in a window made like it, a write of an ID the window
// remembers adds its cost, and giving up a place takes back only the cost
// of the ID it forgets, if it still remembers it; so the repeated write
// costs for good. With IDs of 1 MiB, the window holds nine of them
// (TestWindowIsBoundedByCost); after one repeated write, eight. A window
// of the embedded logs takes every write's cost back, and still holds
// nine.
func TestWindowCountsRepeatedWritesForGood(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    *idwindow.Window[int]
		want []int
	}{
		{"like EventStoreDB", idwindow.NewLikeEventStoreDB[int](100), []int{3, 4, 5, 6, 7, 8, 9, 10}},
		{"embedded", idwindow.New[int](100), []int{2, 3, 4, 5, 6, 7, 8, 9, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.w
			w.Add(id("a"), 0, 1<<20)
			w.Add(id("a"), 1, 1<<20)
			for i := 1; i <= 10; i++ {
				w.Add(id(fmt.Sprint("b", i)), i, 1<<20)
			}
			remembered := []int{}
			for i := 1; i <= 10; i++ {
				if _, ok := w.Lookup(id(fmt.Sprint("b", i))); ok {
					remembered = append(remembered, i)
				}
			}
			assert.Equal(t, tc.want, remembered)
			_, ok := w.Lookup(id("a"))
			assert.False(t, ok)
		})
	}
}

// TestEmbeddedWindowDoesNotShrink: an ID written to two streams — as a
// bank writes every keyed transfer's event, to its request stream and to
// the transactions stream — costs a window of the embedded logs nothing
// for good: after many such writes it still remembers as many IDs as
// its size. One like EventStoreDB's shrinks with each.
func TestEmbeddedWindowDoesNotShrink(t *testing.T) {
	const size, writes = 1_000, 100_000
	for _, tc := range []struct {
		name   string
		w      *idwindow.Window[int]
		shrunk bool
	}{
		{"embedded", idwindow.New[int](size), false},
		{"like EventStoreDB", idwindow.NewLikeEventStoreDB[int](size), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range writes {
				u := id(fmt.Sprint("e", i))
				tc.w.Add(u, i, 100)
				tc.w.Add(u, i, 100) // the same ID, to a second stream
			}
			if tc.shrunk {
				assert.Less(t, tc.w.Len(), size/2, "each repeated write costs for good")
			} else {
				assert.Equal(t, size/2, tc.w.Len(), "two places an ID: half the size in IDs, as before any write")
			}
		})
	}
}

// TestCost: EventStoreDB's count, with the name in UTF-16 code units.
func TestCost(t *testing.T) {
	for _, tc := range []struct {
		stream string
		want   int
	}{
		{"", 28},
		{"blocks", 28 + 12},
		{"é", 28 + 2},          // one code unit
		{"流", 28 + 2},          // one code unit, three bytes of UTF-8
		{"\U0001F600", 28 + 4}, // a surrogate pair
	} {
		assert.Equal(t, tc.want, idwindow.Cost(tc.stream), "%q", tc.stream)
	}
	assert.Less(t, idwindow.Default*idwindow.Cost("transactions"), idwindow.MaxBytes,
		"with short names, the default size is the tighter bound")
}
