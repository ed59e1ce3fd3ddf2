package esdb_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
)

// greeting returns an event whose ID is derived from its content, so
// that appending it again is a harmless retry.
func greeting(name string) eventlog.Event {
	return eventlog.Event{
		ID:   uuid.NewSHA1(uuid.NameSpaceURL, []byte("greeting/"+name)),
		Type: "Greeting",
		Data: []byte(`{"hello":"` + name + `"}`),
	}
}

// Two writers race for the same revision; EventStoreDB lets one win. The
// server here is an in-memory esdbtest one; a real EventStoreDB would
// do the same, with a connection string like
// esdb://localhost:2113?tls=false.
func Example() {
	srv := esdbtest.New(esdbtest.Config{})
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	ctx := context.Background()
	log, err := esdb.Open(ctx, esdb.Config{ConnString: srv.ConnString(), StreamPrefix: "example/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()

	res, _ := log.Append(ctx, "greetings", eventlog.NoStream, greeting("world"))
	fmt.Println("first event at revision", res.NextExpected)

	// Both saw revision 0 as the last; both append after it.
	_, errA := log.Append(ctx, "greetings", eventlog.Exact(0), greeting("alice"))
	_, errB := log.Append(ctx, "greetings", eventlog.Exact(0), greeting("bob"))
	fmt.Println("alice:", errA)
	var wrong *eventlog.WrongExpectedRevisionError
	if errors.As(errB, &wrong) {
		fmt.Println("bob lost: the stream is at revision", wrong.Actual)
	}

	// A retry of alice's append changes nothing.
	res, err = log.Append(ctx, "greetings", eventlog.Exact(0), greeting("alice"))
	fmt.Println("retry:", res.NextExpected, err)

	last, _ := log.Read(ctx, "greetings", eventlog.End, eventlog.Backwards, 1)
	fmt.Println("last:", last[0].Stream, last[0].Revision, string(last[0].Data))
	// Output:
	// first event at revision 0
	// alice: <nil>
	// bob lost: the stream is at revision 1
	// retry: 1 <nil>
	// last: greetings 1 {"hello":"alice"}
}

// A subscription delivers the stream's history, then its new events, in
// order; from a revision, it starts with that revision.
func ExampleLog_Subscribe() {
	srv := esdbtest.New(esdbtest.Config{})
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx := context.Background()
	log, err := esdb.Open(ctx, esdb.Config{ConnString: srv.ConnString()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()

	_, _ = log.Append(ctx, "greetings", eventlog.NoStream, greeting("one"), greeting("two"))
	sub, err := log.Subscribe(ctx, "greetings", 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()
	_, _ = log.Append(ctx, "greetings", eventlog.Exact(1), greeting("three"))

	for range 2 {
		r, _ := sub.Next(ctx)
		fmt.Println(r.Revision, string(r.Data))
	}
	// Output:
	// 1 {"hello":"two"}
	// 2 {"hello":"three"}
}

// Config takes the official client's connection strings; New checks
// them without connecting.
func ExampleNew() {
	for _, conn := range []string{
		"esdb://localhost:2113?tls=false",
		"esdb://admin:changeit@db1:2113,db2:2113,db3:2113?nodePreference=leader&tlsVerifyCert=false",
		"http://localhost:2113",
	} {
		log, err := esdb.New(esdb.Config{ConnString: conn})
		if err != nil {
			fmt.Println(errors.Is(err, eventlog.ErrInvalid), err)
			continue
		}
		fmt.Println("ok:", conn)
		_ = log.Close()
	}
	// Output:
	// ok: esdb://localhost:2113?tls=false
	// ok: esdb://admin:changeit@db1:2113,db2:2113,db3:2113?nodePreference=leader&tlsVerifyCert=false
	// true esdb: invalid argument: connection string http://localhost:2113: an invalid scheme is specified, expecting esdb:// or esdb+discover://
}
