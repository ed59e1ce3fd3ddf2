package esdbtest_test

import (
	"context"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
)

// The official client talks to an esdbtest server as to EventStoreDB.
func Example() {
	srv := esdbtest.New(esdbtest.Config{})
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	cfg, _ := esdb.ParseConnectionString(srv.ConnString())
	cfg.Logger = esdb.NoopLogging()
	client, _ := esdb.NewClient(cfg)
	defer client.Close()

	ctx := context.Background()
	_, err := client.AppendToStream(ctx, "orders", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}},
		esdb.EventData{EventType: "OrderPlaced", ContentType: esdb.ContentTypeJson, Data: []byte(`{"id":1}`)},
		esdb.EventData{EventType: "OrderShipped", ContentType: esdb.ContentTypeJson, Data: []byte(`{"id":1}`)},
	)
	fmt.Println("append:", err)

	// The same append again expects no stream, and there is one now.
	_, err = client.AppendToStream(ctx, "orders", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}},
		esdb.EventData{EventType: "OrderPlaced", ContentType: esdb.ContentTypeJson, Data: []byte(`{"id":2}`)})
	fmt.Println("append:", err)

	stream, _ := client.ReadStream(ctx, "orders", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 10)
	defer stream.Close()
	for {
		ev, err := stream.Recv()
		if err != nil {
			break // io.EOF
		}
		fmt.Println(ev.Event.EventNumber, ev.Event.EventType, string(ev.Event.Data))
	}
	// Output:
	// append: <nil>
	// append: [ErrorCodeWrongExpectedVersion] an append request failed the optimistic concurrency on the server: wrong expected version: expecting 'no_stream' but got '1'
	// 1 OrderShipped {"id":1}
	// 0 OrderPlaced {"id":1}
}

// A stopped server keeps its data and its address; started again, it
// serves both.
func ExampleServer_Stop() {
	srv := esdbtest.New(esdbtest.Config{})
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	addr := srv.Addr()

	connect := func() *esdb.Client {
		cfg, _ := esdb.ParseConnectionString(srv.ConnString())
		cfg.Logger = esdb.NoopLogging()
		client, _ := esdb.NewClient(cfg)
		return client
	}
	ctx := context.Background()
	before := connect()
	_, _ = before.AppendToStream(ctx, "kept", esdb.AppendToStreamOptions{},
		esdb.EventData{EventType: "Kept", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)})
	_ = before.Close()

	srv.Stop()
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	after := connect()
	defer after.Close()
	stream, _ := after.ReadStream(ctx, "kept", esdb.ReadStreamOptions{}, 10)
	defer stream.Close()
	ev, err := stream.Recv()
	fmt.Println(srv.Addr() == addr, ev.Event.EventType, err)
	// Output:
	// true Kept <nil>
}
