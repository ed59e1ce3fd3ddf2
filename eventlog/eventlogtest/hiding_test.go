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

// TestHiding: the hidden stream's reads and subscriptions start at the
// first event left, with its own revision, as EventStoreDB's do after a
// $tb; another stream passes through.
func TestHiding(t *testing.T) {
	ctx := context.Background()
	mem := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = mem.Close() })
	for _, stream := range []string{"cut", "whole"} {
		for range 4 {
			_, err := mem.Append(ctx, stream, eventlog.Any, eventlog.Event{ID: uuid.New(), Type: "t", Data: []byte("{}")})
			require.NoError(t, err)
		}
	}
	log := eventlogtest.Hiding(mem, "cut")
	revisions := func(recs []eventlog.Recorded) []eventlog.Revision {
		var revs []eventlog.Revision
		for _, r := range recs {
			revs = append(revs, r.Revision)
		}
		return revs
	}
	for _, tc := range []struct {
		name    string
		hide    eventlog.Revision
		stream  string
		from    eventlog.Revision
		dir     eventlog.Direction
		want    []eventlog.Revision
		wantErr error
		first   eventlog.Revision // the first a subscription from Start gets
	}{
		{"nothing hidden", 0, "cut", eventlog.Start, eventlog.Forwards, []eventlog.Revision{0, 1, 2, 3}, nil, 0},
		{"from a hidden revision", 2, "cut", eventlog.Start, eventlog.Forwards, []eventlog.Revision{2, 3}, nil, 2},
		{"from one left", 2, "cut", 3, eventlog.Forwards, []eventlog.Revision{3}, nil, 2},
		{"backwards", 2, "cut", eventlog.End, eventlog.Backwards, []eventlog.Revision{3, 2}, nil, 2},
		{"all hidden", 4, "cut", eventlog.Start, eventlog.Forwards, nil, eventlog.ErrStreamNotFound, 0},
		{"another stream", 2, "whole", eventlog.Start, eventlog.Forwards, []eventlog.Revision{0, 1, 2, 3}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log.Hide(tc.hide)
			recs, err := log.Read(ctx, tc.stream, tc.from, tc.dir, 10)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, revisions(recs))

			sub, err := log.Subscribe(ctx, tc.stream, eventlog.Start)
			require.NoError(t, err)
			defer sub.Close()
			r, err := sub.Next(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.first, r.Revision, "a subscription starts at the first event left")
		})
	}
}
