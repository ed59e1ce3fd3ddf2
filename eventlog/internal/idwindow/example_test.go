package idwindow_test

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog/internal/idwindow"
)

// A window of two writes: a retry of a write it remembers finds where
// the first went; once two newer writes came, it has forgotten it, as
// EventStoreDB forgets the IDs past its window.
func ExampleWindow() {
	w := idwindow.New[string](2)
	first, second, third := uuid.New(), uuid.New(), uuid.New()
	w.Add(first, "blocks@0", idwindow.Cost("blocks"))
	where, ok := w.Lookup(first)
	fmt.Println(where, ok)

	w.Add(second, "blocks@1", idwindow.Cost("blocks"))
	w.Add(third, "blocks@2", idwindow.Cost("blocks"))
	_, ok = w.Lookup(first)
	fmt.Println("first remembered:", ok, "- remembered now:", w.Len())
	// Output:
	// blocks@0 true
	// first remembered: false - remembered now: 2
}
