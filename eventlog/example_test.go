package eventlog_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
)

// Append with an expected revision is optimistic concurrency: of two
// writers that read the stream at the same revision, one appends and the
// other learns that it must read again.
func ExampleExact() {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	event := func() eventlog.Event {
		return eventlog.Event{ID: uuid.New(), Type: "Deposited", Data: []byte(`{"amount":5}`)}
	}

	res, _ := log.Append(ctx, "account-alice", eventlog.NoStream, event())
	fmt.Println("first event at revision", res.NextExpected)

	// Two writers both read revision 0, and both append after it.
	_, err := log.Append(ctx, "account-alice", eventlog.Exact(res.NextExpected), event())
	fmt.Println("first writer:", err)
	_, err = log.Append(ctx, "account-alice", eventlog.Exact(res.NextExpected), event())
	var wrong *eventlog.WrongExpectedRevisionError
	fmt.Println("second writer refused:", errors.As(err, &wrong))
	// Output:
	// first event at revision 0
	// first writer: <nil>
	// second writer refused: true
}

// A prefixed view lets several demos share one log: each names its
// streams as if it were alone.
func ExampleWithPrefix() {
	ctx := context.Background()
	shared := memlog.New(memlog.Config{})
	defer shared.Close()
	class1 := eventlog.WithPrefix(shared, "class1/")
	class2 := eventlog.WithPrefix(shared, "class2/")

	_, _ = class1.Append(ctx, "blocks", eventlog.Any, eventlog.Event{ID: uuid.New(), Type: "BlockMined", Data: []byte(`{}`)})

	recs, _ := class1.Read(ctx, "blocks", eventlog.Start, eventlog.Forwards, 10)
	fmt.Println("class1 reads", len(recs), "event, in stream", recs[0].Stream)
	_, err := class2.Read(ctx, "blocks", eventlog.Start, eventlog.Forwards, 10)
	fmt.Println("class2 finds no such stream:", errors.Is(err, eventlog.ErrStreamNotFound))
	stored, _ := shared.Read(ctx, "class1/blocks", eventlog.Start, eventlog.Forwards, 10)
	fmt.Println("the shared log holds it as", stored[0].Stream)
	// Output:
	// class1 reads 1 event, in stream blocks
	// class2 finds no such stream: true
	// the shared log holds it as class1/blocks
}

// The Check functions are the arguments' rules every Log applies before
// it touches its store.
func ExampleCheckStreamName() {
	for _, name := range []string{"blocks", "", "$all"} {
		fmt.Printf("%q: %v\n", name, eventlog.CheckStreamName(name))
	}
	// Output:
	// "blocks": <nil>
	// "": invalid argument: empty stream name
	// "$all": invalid argument: stream name "$all" starts with $, kept for system streams
}
