package boltlog_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
)

// seekHole is Linux's SEEK_HOLE: Seek finds the next hole, or the end.
const seekHole = 4

// dataEnd returns where the first hole of the file at path begins: its
// size if it has none.
func dataEnd(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	end, err := f.Seek(0, seekHole)
	require.NoError(t, err)
	return end
}

// TestFileIsWrittenAheadOfItsPages: after appends that grow the log, the
// next commit finds at least half of fillAhead written past the pages,
// with no hole, so that it overwrites blocks the file has. The file
// opens again with every event.
func TestFileIsWrittenAheadOfItsPages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("finds holes with Linux's SEEK_HOLE")
	}
	sized := func(label string, n, size int) []eventlog.Event {
		events := numbered(label, n)
		for i := range events {
			events[i].Data = []byte(fmt.Sprintf(`{"n":%d,"pad":%q}`, i, strings.Repeat("p", size)))
		}
		return events
	}
	tests := []struct {
		name    string
		batches [][]eventlog.Event
	}{
		{"OneEvent", [][]eventlog.Event{numbered("one", 1)}},
		{"ManyTopUps", func() [][]eventlog.Event {
			var b [][]eventlog.Event
			for i := range 40 {
				b = append(b, sized(fmt.Sprint("many ", i), 50, 1000))
			}
			return b
		}()},
		{"AnAppendLargerThanTheRoom", [][]eventlog.Event{numbered("before", 3), sized("large", 1, 900<<10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			log := open(t, boltlog.Config{})
			var want []eventlog.Event
			for _, batch := range tt.batches {
				_, err := log.Append(ctx, "s", eventlog.Any, batch...)
				require.NoError(t, err)
				want = append(want, batch...)
			}
			pages := log.Stats().Bytes
			last := event("last")
			_, err := log.Append(ctx, "s", eventlog.Any, last)
			require.NoError(t, err)
			want = append(want, last)

			assert.GreaterOrEqual(t, dataEnd(t, log.Path()), pages+boltlog.FillAhead(pages)/2,
				"written with no hole past %d bytes of pages", pages)

			require.NoError(t, log.Close())
			again := open(t, boltlog.Config{Path: log.Path()})
			got, err := again.Read(ctx, "s", eventlog.Start, eventlog.Forwards, len(want)+1)
			require.NoError(t, err)
			assert.Equal(t, eventIDs(want), ids(got))
		})
	}
}
