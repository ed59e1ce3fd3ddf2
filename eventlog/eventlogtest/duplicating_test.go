package eventlogtest_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
)

// TestDuplicatingWithRateZeroPassesRun: a Duplicating log that
// duplicates nothing is the log it wraps, and keeps the whole contract.
func TestDuplicatingWithRateZeroPassesRun(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log { return eventlogtest.Duplicating(newForgetfulRefLog(), 0, 1) })
}

// TestDuplicatingPassesTheCasesWithoutAny: duplicating every append with
// Any or StreamExists changes nothing for the rules that append with
// Exact and NoStream only.
func TestDuplicatingPassesTheCasesWithoutAny(t *testing.T) {
	eventlogtest.RunWithoutAny(t, func(*testing.T) eventlog.Log { return eventlogtest.Duplicating(newForgetfulRefLog(), 1, 1) })
}

// fixedBatches returns n batches of 1 to 3 events with IDs derived from
// label, the same on every call.
func fixedBatches(label string, n int) [][]eventlog.Event {
	batches := make([][]eventlog.Event, n)
	for b := range batches {
		for i := range b%3 + 1 {
			id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s %d %d", label, b, i))
			batches[b] = append(batches[b], eventlog.Event{ID: id, Type: "TestEvent", Data: fmt.Appendf(nil, `{"b":%d,"i":%d}`, b, i)})
		}
	}
	return batches
}

// copiesOf returns the revisions at which recs holds batch whole, in
// order, and fails t if recs holds any of its events elsewhere.
func copiesOf(t *testing.T, recs []eventlog.Recorded, batch []eventlog.Event) []eventlog.Revision {
	t.Helper()
	var at []eventlog.Revision
	held := 0
	for i, r := range recs {
		for _, e := range batch {
			if r.ID == e.ID {
				held++
			}
		}
		if r.ID != batch[0].ID {
			continue
		}
		whole := i+len(batch) <= len(recs)
		for j := 1; whole && j < len(batch); j++ {
			whole = recs[i+j].ID == batch[j].ID
		}
		if assert.True(t, whole, "a copy of a batch of %d events at revision %d is not whole", len(batch), r.Revision) {
			at = append(at, r.Revision)
		}
	}
	assert.Equal(t, len(at)*len(batch), held, "every event of the batch is in a whole copy of it")
	return at
}

// readAllOf reads a whole stream.
func readAllOf(t *testing.T, log eventlog.Log, stream string) []eventlog.Recorded {
	t.Helper()
	recs, err := log.Read(t.Context(), stream, eventlog.Start, eventlog.Forwards, 1<<20)
	require.NoError(t, err)
	return recs
}

// TestDuplicatingDuplicatesOnlyAnyAndStreamExists: with rate 1, every
// append with Any or StreamExists is stored twice, whole, the second
// copy after the first; appends with Exact and NoStream are stored once.
func TestDuplicatingDuplicatesOnlyAnyAndStreamExists(t *testing.T) {
	for _, tc := range []struct {
		name     string
		expected func(last eventlog.Expected) eventlog.Expected
		copies   int
	}{
		{"Any", func(eventlog.Expected) eventlog.Expected { return eventlog.Any }, 2},
		{"StreamExists", func(eventlog.Expected) eventlog.Expected { return eventlog.StreamExists }, 2},
		{"Exact", func(last eventlog.Expected) eventlog.Expected { return last }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			log := eventlogtest.Duplicating(newForgetfulRefLog(), 1, 1)
			t.Cleanup(func() { _ = log.Close() })
			genesis := fixedBatches("genesis", 1)[0]
			res, err := log.Append(ctx, "s", eventlog.NoStream, genesis...)
			require.NoError(t, err)
			batches := fixedBatches(tc.name, 30)
			for i, b := range batches {
				res, err = log.Append(ctx, "s", tc.expected(eventlog.Exact(res.NextExpected)), b...)
				require.NoError(t, err, "batch %d", i)
			}
			require.NoError(t, log.Flush(ctx))

			recs := readAllOf(t, log, "s")
			assert.Equal(t, []eventlog.Revision{0}, copiesOf(t, recs, genesis), "an append expecting no stream is never duplicated")
			for i, b := range batches {
				at := copiesOf(t, recs, b)
				require.Len(t, at, tc.copies, "copies of batch %d", i)
				if tc.copies == 2 {
					assert.Less(t, at[0], at[1])
				}
			}
			assert.Equal(t, len(batches)*(tc.copies-1), log.Duplicates(), "Duplicates")
		})
	}
}

// TestDuplicatingLandsNearAndFar: duplicates land right after their
// original, and hundreds of events later; the answer to each append names
// a copy of its event.
func TestDuplicatingLandsNearAndFar(t *testing.T) {
	ctx := t.Context()
	log := eventlogtest.Duplicating(newForgetfulRefLog(), 1, 3)
	t.Cleanup(func() { _ = log.Close() })
	batches := fixedBatches("near-and-far", 600)
	answers := make([]eventlog.Revision, len(batches))
	for i, b := range batches {
		res, err := log.Append(ctx, "s", eventlog.Any, b[:1]...)
		require.NoError(t, err)
		answers[i] = res.NextExpected
	}
	require.NoError(t, log.Flush(ctx))
	recs := readAllOf(t, log, "s")

	distances := map[string]int{}
	for i, b := range batches {
		assert.Equal(t, b[0].ID, recs[answers[i]].ID, "append %d answered with revision %d, which holds another event", i, answers[i])
		at := copiesOf(t, recs, b[:1])
		require.Len(t, at, 2)
		switch d := at[1] - at[0]; {
		case d == 1:
			distances["adjacent"]++
		case d <= 100:
			distances["near"]++
		default:
			distances["far"]++
		}
	}
	t.Logf("distances between copies: %v", distances)
	assert.Positive(t, distances["adjacent"], "duplicates right after their original")
	assert.Positive(t, distances["near"], "duplicates a little later")
	assert.Positive(t, distances["far"], "duplicates more than 100 events later")
}

// TestDuplicatingIsDeterministic: the same seed and the same calls give
// the same stream; another seed gives another.
func TestDuplicatingIsDeterministic(t *testing.T) {
	run := func(seed uint64) []string {
		ctx := t.Context()
		log := eventlogtest.Duplicating(newForgetfulRefLog(), 0.3, seed)
		defer log.Close()
		for i, b := range fixedBatches("deterministic", 200) {
			_, err := log.Append(ctx, fmt.Sprint("s", i%3), eventlog.Any, b...)
			require.NoError(t, err)
		}
		require.NoError(t, log.Flush(ctx))
		var ids []string
		for s := range 3 {
			for _, r := range readAllOf(t, log, fmt.Sprint("s", s)) {
				ids = append(ids, r.ID.String())
			}
		}
		return ids
	}
	first := run(7)
	assert.Equal(t, first, run(7), "the same seed")
	assert.NotEqual(t, first, run(8), "another seed")
}

// TestDuplicatingKeepsItsRate: about rate of the appends are duplicated.
func TestDuplicatingKeepsItsRate(t *testing.T) {
	for _, rate := range []float64{0, 0.05, 0.2, 0.5, 1} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			const appends = 2000
			ctx := t.Context()
			log := eventlogtest.Duplicating(newForgetfulRefLog(), rate, 11)
			t.Cleanup(func() { _ = log.Close() })
			for _, b := range fixedBatches("rate", appends) {
				_, err := log.Append(ctx, "s", eventlog.Any, b...)
				require.NoError(t, err)
			}
			require.NoError(t, log.Flush(ctx))
			// Five standard deviations either way: a seeded draw, so
			// never flaky, and a wrong rate would be far outside.
			want := rate * appends
			slack := 5 * math.Sqrt(appends*rate*(1-rate))
			assert.InDelta(t, want, float64(log.Duplicates()), slack, "duplicates of %d appends at rate %v", appends, rate)
		})
	}
}

// TestDuplicatingOverALogThatRemembers: a log that remembers the IDs
// takes every duplicate for a retry and stores nothing, as EventStoreDB
// does while its cache remembers them.
func TestDuplicatingOverALogThatRemembers(t *testing.T) {
	ctx := t.Context()
	log := eventlogtest.Duplicating(newRefLog(), 1, 1)
	t.Cleanup(func() { _ = log.Close() })
	batches := fixedBatches("remembered", 50)
	for i, b := range batches {
		res, err := log.Append(ctx, "s", eventlog.Any, b...)
		require.NoError(t, err)
		if i == 0 {
			assert.Equal(t, eventlog.Revision(len(b)-1), res.NextExpected, "a duplicate the log took for a retry answers like the first append")
		}
	}
	require.NoError(t, log.Flush(ctx))
	recs := readAllOf(t, log, "s")
	for i, b := range batches {
		assert.Len(t, copiesOf(t, recs, b), 1, "copies of batch %d", i)
	}
	assert.Zero(t, log.Duplicates())
}

// TestDuplicatingConcurrently: appends from many goroutines to a few
// streams are each stored once or twice, whole, and Duplicates counts the
// second copies.
func TestDuplicatingConcurrently(t *testing.T) {
	const writers, each = 6, 40
	ctx := t.Context()
	log := eventlogtest.Duplicating(newForgetfulRefLog(), 0.5, 5)
	t.Cleanup(func() { _ = log.Close() })
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i, b := range fixedBatches(fmt.Sprint("writer ", w), each) {
				stream := fmt.Sprint("s", (w+i)%3)
				if _, err := log.Append(ctx, stream, eventlog.Any, b...); err != nil {
					errs <- err
					return
				}
				if _, err := log.Read(ctx, stream, eventlog.End, eventlog.Backwards, 1); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, log.Flush(ctx))

	twice := 0
	for w := range writers {
		for i, b := range fixedBatches(fmt.Sprint("writer ", w), each) {
			n := len(copiesOf(t, readAllOf(t, log, fmt.Sprint("s", (w+i)%3)), b))
			assert.Contains(t, []int{1, 2}, n, "copies of writer %d's batch %d", w, i)
			if n == 2 {
				twice++
			}
		}
	}
	assert.Equal(t, twice, log.Duplicates(), "Duplicates counts the batches stored twice")
	assert.Positive(t, twice)
}

// TestDuplicatingHonoursDoneContexts: a call whose context is done stores
// no duplicate held back; a later call, or Flush, does.
func TestDuplicatingHonoursDoneContexts(t *testing.T) {
	ctx := t.Context()
	log := eventlogtest.Duplicating(newForgetfulRefLog(), 1, 2)
	t.Cleanup(func() { _ = log.Close() })
	for _, b := range fixedBatches("held", 20) {
		_, err := log.Append(ctx, "s", eventlog.Any, b...)
		require.NoError(t, err)
	}
	before := len(readAllOf(t, log, "s"))
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err := log.Append(done, "s", eventlog.Any, fixedBatches("refused", 1)[0]...)
	require.ErrorIs(t, err, context.Canceled)
	assert.Len(t, readAllOf(t, log, "s"), before, "a call with a done context stores nothing")

	require.NoError(t, log.Flush(ctx))
	assert.Greater(t, len(readAllOf(t, log, "s")), before, "Flush stores what was held back")
	assert.NoError(t, log.Flush(ctx), "nothing left to flush")
}

// TestDuplicatingKeepsCapabilities: the wrapper is a Deleter exactly when
// the log is, takes the log's name limit, and closes the log.
func TestDuplicatingKeepsCapabilities(t *testing.T) {
	_, ok := eventlogtest.Duplicating(newRefLog(), 0.5, 1).(eventlog.Deleter)
	assert.True(t, ok, "over a Deleter")
	_, ok = eventlogtest.Duplicating(withoutDelete{newRefLog()}, 0.5, 1).(eventlog.Deleter)
	assert.False(t, ok, "over a log that is no Deleter")

	prefixed := eventlog.WithPrefix(newRefLog(), "course-42/")
	assert.Equal(t, eventlog.NameLimit(prefixed), eventlog.NameLimit(eventlogtest.Duplicating(prefixed, 0.5, 1)))

	log := eventlogtest.Duplicating(newForgetfulRefLog(), 1, 1)
	for _, b := range fixedBatches("closed", 10) {
		_, err := log.Append(t.Context(), "s", eventlog.Any, b...)
		require.NoError(t, err)
	}
	require.NoError(t, log.Close())
	_, err := log.Append(t.Context(), "s", eventlog.Any, fixedBatches("after", 1)[0]...)
	assert.ErrorIs(t, err, eventlog.ErrClosed, "Close closes the wrapped log")
	assert.NoError(t, log.Flush(t.Context()), "Close dropped what was held back")
}

// TestDuplicatingRefusesBadRates: a rate outside 0 to 1 is a mistake in
// the test that passes it.
func TestDuplicatingRefusesBadRates(t *testing.T) {
	for _, rate := range []float64{-0.1, 1.01, math.NaN(), math.Inf(1)} {
		assert.Panics(t, func() { eventlogtest.Duplicating(newRefLog(), rate, 1) }, "rate %v", rate)
	}
}
