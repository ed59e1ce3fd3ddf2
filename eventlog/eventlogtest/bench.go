package eventlogtest

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog"
)

// BenchEvents returns n events with distinct IDs and a payload the size of
// a small transaction (about 140 bytes), for benchmarks of any log: the
// same events make the figures of memlog, boltlog and the others
// comparable. Make them before the benchmark's timer starts.
func BenchEvents(n int) []eventlog.Event {
	events := make([]eventlog.Event, n)
	for i := range events {
		events[i] = eventlog.Event{
			ID:   uuid.New(),
			Type: "TransactionSubmitted",
			Data: []byte(`{"v":1,"tx":{"id":"6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5","from":"alice","to":"bob","amount":125,"timestamp":"2026-01-02T03:04:05.678Z"}}`),
		}
	}
	return events
}

// BenchRead measures forward reads of 100 events from a stream of 10 000
// that it first appends to log, and reports events per second: the same
// read benchmark for every log.
func BenchRead(b *testing.B, log eventlog.Log) {
	ctx := context.Background()
	const size, page = 10_000, 100
	events := BenchEvents(size)
	for i := 0; i < size; i += 100 {
		if _, err := log.Append(ctx, "bench", eventlog.Any, events[i:i+100]...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		from := eventlog.Revision(i * page % size)
		recs, err := log.Read(ctx, "bench", from, eventlog.Forwards, page)
		if err != nil || len(recs) != page {
			b.Fatalf("read %d from %d: %v", len(recs), from, err)
		}
	}
	b.ReportMetric(float64(b.N*page)/b.Elapsed().Seconds(), "events/s")
}
