package memlog_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
)

// Two writers race for the same revision; the log lets exactly one win.
func Example() {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	// An event has an ID, a type and its data; the log knows a retried
	// append by its events' IDs. Here an event's ID comes from its name,
	// so a retry carries the same ID.
	event := func(name string) eventlog.Event {
		return eventlog.Event{
			ID:   uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)),
			Type: "Greeting",
			Data: []byte(`{"hello":"` + name + `"}`),
		}
	}

	res, _ := log.Append(ctx, "greetings", eventlog.NoStream, event("world"))
	fmt.Println("first event at revision", res.NextExpected)

	// Both saw revision 0 as the last; both try to append after it.
	_, errA := log.Append(ctx, "greetings", eventlog.Exact(0), event("alice"))
	_, errB := log.Append(ctx, "greetings", eventlog.Exact(0), event("bob"))
	fmt.Println("alice:", errA)
	fmt.Println("bob:", errB)
	var wrong *eventlog.WrongExpectedRevisionError
	if errors.As(errB, &wrong) {
		fmt.Println("bob should retry after revision", wrong.Actual)
	}

	// A retry of alice's append (her answer got lost, say) changes nothing.
	res, err := log.Append(ctx, "greetings", eventlog.Exact(0), event("alice"))
	fmt.Println("retry:", res.NextExpected, err)
	// Output:
	// first event at revision 0
	// alice: <nil>
	// bob: stream "greetings": wrong expected revision: have 1, want 0
	// bob should retry after revision 1
	// retry: 1 <nil>
}

// A catch-up subscription delivers history, then live events, in order.
func ExampleLog_Subscribe() {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	// An event: an ID (here from its name), a type and its data.
	event := func(name string) eventlog.Event {
		return eventlog.Event{
			ID:   uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)),
			Type: "Greeting",
			Data: []byte(`{"hello":"` + name + `"}`),
		}
	}
	_, _ = log.Append(ctx, "greetings", eventlog.Any, event("one"), event("two"))

	sub, _ := log.Subscribe(ctx, "greetings", eventlog.Start)
	defer sub.Close()
	_, _ = log.Append(ctx, "greetings", eventlog.Any, event("three"))

	for range 3 {
		r, _ := sub.Next(ctx)
		fmt.Println(r.Revision, string(r.Data))
	}
	// Output:
	// 0 {"hello":"one"}
	// 1 {"hello":"two"}
	// 2 {"hello":"three"}
}
