package boltlog_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
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

// Events outlive the Log that wrote them: close the file, open it again,
// and they are there; and a retried append with Exact is still recognised.
func Example() {
	dir, _ := os.MkdirTemp("", "boltlog-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "chain.db")
	ctx := context.Background()

	log, err := boltlog.Open(ctx, boltlog.Config{Path: path})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, _ := log.Append(ctx, "greetings", eventlog.NoStream, greeting("world"), greeting("alice"))
	fmt.Println("appended up to revision", res.NextExpected)
	log.Close()

	log, err = boltlog.Open(ctx, boltlog.Config{Path: path})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()
	recs, _ := log.Read(ctx, "greetings", eventlog.Start, eventlog.Forwards, 10)
	for _, r := range recs {
		fmt.Println(r.Revision, string(r.Data))
	}
	// The same append again, after the restart: a no-op with the first
	// answer, because the log finds these IDs at these revisions.
	res, err = log.Append(ctx, "greetings", eventlog.NoStream, greeting("world"), greeting("alice"))
	fmt.Println("retry:", res.NextExpected, err)
	// Output:
	// appended up to revision 1
	// 0 {"hello":"world"}
	// 1 {"hello":"alice"}
	// retry: 1 <nil>
}

// A second Open of a file in use waits LockTimeout, then says so.
func ExampleOpen_locked() {
	dir, _ := os.MkdirTemp("", "boltlog-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "chain.db")
	ctx := context.Background()

	log, err := boltlog.Open(ctx, boltlog.Config{Path: path})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()

	_, err = boltlog.Open(ctx, boltlog.Config{Path: path, LockTimeout: 100 * time.Millisecond})
	fmt.Println(errors.Is(err, boltlog.ErrLocked))
	// Output:
	// true
}

// A file that is not an event log is refused with a *CorruptError that
// says why.
func ExampleCorruptError() {
	dir, _ := os.MkdirTemp("", "boltlog-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "notes.txt")
	_ = os.WriteFile(path, []byte("shopping: eggs, milk, bread\n"), 0o600)

	_, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
	var bad *boltlog.CorruptError
	if errors.As(err, &bad) {
		fmt.Println(bad.Reason)
	}
	// Output:
	// not a bbolt database: no bbolt meta page at its start
}

// A subscription delivers the history, then waits for each new commit.
func ExampleLog_Subscribe() {
	dir, _ := os.MkdirTemp("", "boltlog-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	log, err := boltlog.Open(ctx, boltlog.Config{Path: filepath.Join(dir, "chain.db")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close()
	_, _ = log.Append(ctx, "greetings", eventlog.Any, greeting("one"), greeting("two"))

	sub, _ := log.Subscribe(ctx, "greetings", eventlog.Start)
	defer sub.Close()
	_, _ = log.Append(ctx, "greetings", eventlog.Any, greeting("three"))
	for range 3 {
		r, _ := sub.Next(ctx)
		fmt.Println(r.Revision, string(r.Data))
	}
	// Output:
	// 0 {"hello":"one"}
	// 1 {"hello":"two"}
	// 2 {"hello":"three"}
}
