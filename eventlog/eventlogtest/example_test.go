package eventlogtest_test

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
)

// A fold that counts every event it reads gets a balance wrong once the
// log holds duplicates; one that skips event IDs it has seen does not.
// Duplicating wraps a log with no de-duplication window, so that every
// duplicate it makes is really stored.
func ExampleDuplicating() {
	ctx := context.Background()
	log := eventlogtest.Duplicating(memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow}), 0.3, 42)
	defer log.Close()
	for i := range 20 {
		deposit := eventlog.Event{
			ID:   uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "deposit/%d", i)),
			Type: "Deposited",
			Data: []byte(`{"amount":10}`),
		}
		if _, err := log.Append(ctx, "deposits", eventlog.Any, deposit); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := log.Flush(ctx); err != nil { // store what is still held back
		fmt.Println(err)
		return
	}

	recs, _ := log.Read(ctx, "deposits", eventlog.Start, eventlog.Forwards, 100)
	naive, folded := 0, 0
	seen := map[uuid.UUID]bool{}
	for _, r := range recs {
		naive += 10
		if !seen[r.ID] {
			seen[r.ID] = true
			folded += 10
		}
	}
	fmt.Println("events stored:", len(recs), "of which duplicates:", log.Duplicates())
	fmt.Println("balance counting every event:", naive)
	fmt.Println("balance skipping seen IDs:", folded)
	// Output:
	// events stored: 26 of which duplicates: 6
	// balance counting every event: 260
	// balance skipping seen IDs: 200
}
