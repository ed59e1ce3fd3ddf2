package memlog_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
)

// benchEvents is eventlogtest.BenchEvents: the events every log's
// benchmarks append.
var benchEvents = eventlogtest.BenchEvents

// BenchmarkAppend measures appends of one event and of batches of 20 (a
// block's worth of transactions), reporting events per second, with the
// default de-duplication window: once it is full, each event written
// pushes the oldest ID out.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 20} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchAppend(b, memlog.Config{}, batch) })
	}
}

// benchAppend appends b.N batches of batch new events with Any to a log
// made with cfg, and reports events per second.
func benchAppend(b *testing.B, cfg memlog.Config, batch int) {
	ctx := context.Background()
	log := memlog.New(cfg)
	defer log.Close()
	// IDs must differ or the appends become idempotent no-ops; make them
	// before the timer starts.
	events := benchEvents(b.N * batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := log.Append(ctx, "bench", eventlog.Any, events[i*batch:(i+1)*batch]...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendDedupWindow measures appends of batches of 20 events
// with Any under de-duplication windows of several sizes, none included:
// what remembering IDs costs.
func BenchmarkAppendDedupWindow(b *testing.B) {
	const batch = 20
	for _, w := range []struct {
		name string
		size int
	}{{"none", memlog.NoDedupWindow}, {"1000", 1000}, {"default", 0}} {
		b.Run("window="+w.name, func(b *testing.B) { benchAppend(b, memlog.Config{DedupWindow: w.size}, batch) })
	}
}

// BenchmarkRetry measures a retry of a batch of 20 that is a no-op: with
// Exact, checked against the stored events, and with Any, against the
// de-duplication window.
func BenchmarkRetry(b *testing.B) {
	for _, expected := range []eventlog.Expected{eventlog.Exact(99), eventlog.Any} {
		b.Run("expected="+expected.String(), func(b *testing.B) {
			ctx := context.Background()
			log := memlog.New(memlog.Config{})
			defer log.Close()
			events := benchEvents(120)
			if _, err := log.Append(ctx, "bench", eventlog.NoStream, events[:100]...); err != nil {
				b.Fatal(err)
			}
			if _, err := log.Append(ctx, "bench", expected, events[100:]...); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res, err := log.Append(ctx, "bench", expected, events[100:]...)
				if err != nil || res.NextExpected != 119 {
					b.Fatalf("retry: have %v, %v, want 119, no error", res.NextExpected, err)
				}
			}
		})
	}
}

// BenchmarkRead measures forward reads of 100 events from a stream of
// 10 000, reporting events per second.
func BenchmarkRead(b *testing.B) {
	log := memlog.New(memlog.Config{})
	defer log.Close()
	eventlogtest.BenchRead(b, log)
}

// BenchmarkFanOut measures one writer appending while 4 subscribers follow
// the stream live; an op is one event appended and delivered to all four.
// It reports events per second appended (each delivered 4 times).
func BenchmarkFanOut(b *testing.B) {
	const subscribers = 4
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	events := benchEvents(b.N)
	subs := make([]eventlog.Subscription, subscribers)
	for i := range subs {
		sub, err := log.Subscribe(ctx, "bench", eventlog.Start)
		if err != nil {
			b.Fatal(err)
		}
		defer sub.Close()
		subs[i] = sub
	}
	b.ReportAllocs()
	b.ResetTimer()
	var g errgroup.Group
	for _, sub := range subs {
		g.Go(func() error {
			for want := range b.N {
				r, err := sub.Next(ctx)
				if err != nil {
					return err
				}
				if r.Revision != eventlog.Revision(want) {
					return fmt.Errorf("have revision %d, want %d", r.Revision, want)
				}
			}
			return nil
		})
	}
	for i := range b.N {
		if _, err := log.Append(ctx, "bench", eventlog.Any, events[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
