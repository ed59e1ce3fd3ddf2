package eventlogtest_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
)

// TestBreakingReads: the broken stream's reads break the contract as the
// fault says, and CheckPage refuses them; another stream's pass through.
func TestBreakingReads(t *testing.T) {
	ctx := context.Background()
	mem := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = mem.Close() })
	for _, stream := range []string{"broken", "sound"} {
		for range 10 {
			_, err := mem.Append(ctx, stream, eventlog.Any, eventlog.Event{ID: uuid.New(), Type: "t", Data: []byte("{}")})
			require.NoError(t, err)
		}
	}
	for _, tc := range []struct {
		name  string
		fault eventlogtest.ReadFault
		from  eventlog.Revision
		dir   eventlog.Direction
		want  []eventlog.Revision // of the broken stream
	}{
		{"ignoring from, forwards", eventlogtest.IgnoringFrom, 4, eventlog.Forwards, []eventlog.Revision{0, 1, 2}},
		{"ignoring from, backwards", eventlogtest.IgnoringFrom, 4, eventlog.Backwards, []eventlog.Revision{9, 8, 7}},
		{"reversing, forwards", eventlogtest.Reversing, 4, eventlog.Forwards, []eventlog.Revision{6, 5, 4}},
		{"reversing, backwards", eventlogtest.Reversing, 4, eventlog.Backwards, []eventlog.Revision{2, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := eventlogtest.BreakingReads(mem, "broken", tc.fault)
			recs, err := log.Read(ctx, "broken", tc.from, tc.dir, 3)
			require.NoError(t, err)
			assert.Equal(t, tc.want, revisions(recs))
			assert.ErrorIs(t, eventlog.CheckPage("broken", tc.from, tc.dir, 3, recs), eventlog.ErrBrokenLog)

			recs, err = log.Read(ctx, "sound", tc.from, tc.dir, 3)
			require.NoError(t, err)
			assert.NoError(t, eventlog.CheckPage("sound", tc.from, tc.dir, 3, recs), "another stream passes through")
		})
	}
	assert.Panics(t, func() { eventlogtest.BreakingReads(mem, "broken", 0) })
}

func revisions(recs []eventlog.Recorded) []eventlog.Revision {
	revs := make([]eventlog.Revision, len(recs))
	for i, r := range recs {
		revs[i] = r.Revision
	}
	return revs
}
