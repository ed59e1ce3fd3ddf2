package eventlogtest

import (
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
