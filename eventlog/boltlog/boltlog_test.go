package boltlog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
)

// TestMain runs the package's tests, checking that none leaves a
// goroutine behind (a Log's committer must end with Close); or, when the
// environment says so, it is a child process of a test (see child). The
// goroutines allowed to stay are those a broken log leaves waiting in
// bbolt for a lock a fault left held, for ever, by design (see
// TestDamageWhileOpen and TestDamageUnderConcurrentUse): a reader starting
// a transaction, or the committer writing its meta page or growing the
// map. None of the package's goroutines waits in one of these at the end
// of a test otherwise.
func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(child(role))
	}
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/eventchain/eventchain/eventlog/boltlog.(*Log).closeBroken.func1"),
		goleak.IgnoreAnyFunction("go.etcd.io/bbolt.(*DB).beginTx"),
		goleak.IgnoreAnyFunction("go.etcd.io/bbolt.(*DB).beginRWTx"),
		goleak.IgnoreAnyFunction("go.etcd.io/bbolt.(*DB).removeTx"),
		goleak.IgnoreAnyFunction("go.etcd.io/bbolt.(*DB).mmap"),
		goleak.IgnoreAnyFunction("go.etcd.io/bbolt.(*Tx).writeMeta"))
}

// childEnv names the environment variable that makes the test binary a
// child process: "<role> <file>".
const childEnv = "BOLTLOG_TEST_CHILD"

// child runs the role the environment names and returns the exit code.
func child(env string) int {
	role, path, _ := strings.Cut(env, " ")
	switch role {
	case "append":
		return crashChild(path)
	case "open":
		// Open a file another process holds: print the error.
		log, err := boltlog.Open(context.Background(), boltlog.Config{Path: path, LockTimeout: 200 * time.Millisecond})
		if err == nil {
			_ = log.Close()
			fmt.Println("opened")
			return 0
		}
		fmt.Printf("locked=%v: %v\n", errors.Is(err, boltlog.ErrLocked), err)
		return 3
	}
	fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
	return 2
}

// childCommand returns a command that runs the test binary as a child in
// role, on the file at path.
func childCommand(ctx context.Context, role, path string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role+" "+path)
	return cmd
}

// open opens a log in a new file of t's (or cfg.Path), closed when t ends.
func open(t testing.TB, cfg boltlog.Config) *boltlog.Log {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "events.db")
	}
	log, err := boltlog.Open(context.Background(), cfg)
	require.NoError(t, err, "open %s", cfg.Path)
	t.Cleanup(func() { _ = log.Close() })
	return log
}

// event returns an event whose ID is derived from name.
func event(name string) eventlog.Event {
	return eventlog.Event{
		ID:   uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)),
		Type: "Greeting",
		Data: []byte(`{"hello":"` + name + `"}`),
	}
}

// numbered returns n events with IDs derived from label and their index.
func numbered(label string, n int) []eventlog.Event {
	events := make([]eventlog.Event, n)
	for i := range events {
		events[i] = event(fmt.Sprintf("%s %d", label, i))
	}
	return events
}

func ids(recs []eventlog.Recorded) []uuid.UUID {
	out := make([]uuid.UUID, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func eventIDs(events []eventlog.Event) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func TestConformance(t *testing.T) {
	t.Parallel()
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log { return open(t, boltlog.Config{}) })
}

func TestConformanceWithPrefix(t *testing.T) {
	t.Parallel()
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log {
		return eventlog.WithPrefix(open(t, boltlog.Config{}), "course-42/")
	})
}

// TestConformanceWithTinyDedupWindow: a window of two writes remembers a
// batch of two and forgets a batch of three, so the suite's retries with
// Any meet both answers.
func TestConformanceWithTinyDedupWindow(t *testing.T) {
	t.Parallel()
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log { return open(t, boltlog.Config{DedupWindow: 2}) })
}

func TestConformanceWithoutDedupWindow(t *testing.T) {
	t.Parallel()
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log {
		return open(t, boltlog.Config{DedupWindow: boltlog.NoDedupWindow})
	})
}

// TestReopenKeepsEverything: what one Log wrote, the next one to open
// the file reads, field for field; a deleted stream stays deleted; and
// retries are answered as the package documents: by position with Exact
// and NoStream, however long ago, and by the window with Any, which
// starts empty.
func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	at := time.Date(2026, 7, 1, 12, 0, 0, 123456789, time.FixedZone("CEST", 2*60*60))
	cfg := boltlog.Config{Path: path, Now: func() time.Time { return at }}

	first := open(t, cfg)
	blocks, txs := numbered("block", 3), numbered("tx", 2)
	txs[1].Metadata = []byte(`{"by":"bank"}`)
	_, err := first.Append(ctx, "blocks", eventlog.NoStream, blocks...)
	require.NoError(t, err)
	_, err = first.Append(ctx, "txs", eventlog.Any, txs...)
	require.NoError(t, err)
	_, err = first.Append(ctx, "doomed", eventlog.NoStream, event("doomed"))
	require.NoError(t, err)
	require.NoError(t, first.Delete(ctx, "doomed", eventlog.Exact(0)))
	require.NoError(t, first.Delete(ctx, "never-written", eventlog.NoStream))
	before, err := first.Read(ctx, "txs", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	require.NoError(t, first.Close())

	second := open(t, boltlog.Config{Path: path})
	after, err := second.Read(ctx, "txs", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.Equal(t, before, after, "every field of every event, read before and after reopening")
	require.Len(t, after, 2)
	assert.Equal(t, at.UTC(), after[0].Time, "the recorded time, to the nanosecond, in UTC")
	assert.Nil(t, after[0].Metadata, "no metadata comes back nil")
	assert.Equal(t, `{"by":"bank"}`, string(after[1].Metadata))

	for _, name := range []string{"doomed", "never-written"} {
		_, err = second.Read(ctx, name, eventlog.Start, eventlog.Forwards, 10)
		assert.ErrorIs(t, err, eventlog.ErrStreamDeleted, "read of %q", name)
		_, err = second.Append(ctx, name, eventlog.Any, event("again"))
		assert.ErrorIs(t, err, eventlog.ErrStreamDeleted, "append to %q", name)
	}

	res, err := second.Append(ctx, "blocks", eventlog.NoStream, blocks...)
	require.NoError(t, err, "a retry with NoStream after reopening")
	assert.Equal(t, eventlog.Revision(2), res.NextExpected, "is recognised by position")
	res, err = second.Append(ctx, "blocks", eventlog.Exact(0), blocks[1:]...)
	require.NoError(t, err, "a retry with Exact after reopening")
	assert.Equal(t, eventlog.Revision(2), res.NextExpected, "is recognised by position")
	_, err = second.Append(ctx, "blocks", eventlog.Exact(0), event("other"))
	assert.ErrorIs(t, err, eventlog.ErrWrongExpectedRevision, "other IDs at that position")

	res, err = second.Append(ctx, "txs", eventlog.Any, txs...)
	require.NoError(t, err, "a retry with Any after reopening")
	assert.Equal(t, eventlog.Revision(3), res.NextExpected, "the window starts empty: the events are stored again")
	res, err = second.Append(ctx, "txs", eventlog.Any, txs...)
	require.NoError(t, err, "a second retry with Any")
	assert.Equal(t, eventlog.Revision(3), res.NextExpected, "now the window remembers them")
	recs, err := second.Read(ctx, "txs", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.Equal(t, append(eventIDs(txs), eventIDs(txs)...), ids(recs))
}

func TestRecordedTimeComesFromTheClock(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 7, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*60*60)),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), // before the Unix epoch
		{}, // the zero time, year 1
	} {
		t.Run(at.String(), func(t *testing.T) {
			log := open(t, boltlog.Config{Now: func() time.Time { return at }})
			_, err := log.Append(context.Background(), "s", eventlog.Any, event("clock"))
			require.NoError(t, err)
			recs, err := log.Read(context.Background(), "s", eventlog.End, eventlog.Backwards, 1)
			require.NoError(t, err)
			assert.Equal(t, at.UTC(), recs[0].Time)
		})
	}
}

func TestCancelledContextsAreRefused(t *testing.T) {
	log := open(t, boltlog.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := log.Append(ctx, "s", eventlog.Any, event("x"))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = log.Read(ctx, "s", eventlog.Start, eventlog.Forwards, 1)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = log.Subscribe(ctx, "s", eventlog.Start)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, log.Delete(ctx, "s", eventlog.Any), context.Canceled)
	_, err = boltlog.Open(ctx, boltlog.Config{Path: filepath.Join(t.TempDir(), "x.db")})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestZeroLog: only Open makes a Log; every method of a zero Log returns
// ErrNotOpen at once, rather than hang or panic.
func TestZeroLog(t *testing.T) {
	var l boltlog.Log
	ctx := context.Background()
	ev := eventlog.Event{ID: uuid.New(), Type: "T", Data: []byte(`{}`)}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Append", func() error { _, err := l.Append(ctx, "s", eventlog.Any, ev); return err }},
		{"Delete", func() error { return l.Delete(ctx, "s", eventlog.Any) }},
		{"Read", func() error { _, err := l.Read(ctx, "s", eventlog.Start, eventlog.Forwards, 1); return err }},
		{"Subscribe", func() error { _, err := l.Subscribe(ctx, "s", eventlog.Start); return err }},
		{"Close", l.Close},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.ErrorIs(t, tc.call(), boltlog.ErrNotOpen) })
	}
}

func TestOpenNeedsAPath(t *testing.T) {
	_, err := boltlog.Open(context.Background(), boltlog.Config{})
	assert.ErrorIs(t, err, eventlog.ErrInvalid)
}

// TestOpenReportsFileSystemErrors: a path that cannot hold a log is an
// error that names it, and the file system's error stays testable with
// errors.Is. A missing directory was reported as the temporary file
// Open tried to make in it, a name the caller never gave.
func TestOpenReportsFileSystemErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    func(t *testing.T, dir string) string
		invalid bool  // the path names what cannot be a log: eventlog.ErrInvalid
		is      error // the file system's error, if any, that errors.Is finds
		says    string
		inDir   bool // the error names the path's directory, as what failed
	}{
		{"MissingDirectory", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "no", "such", "events.db")
		}, false, fs.ErrNotExist, "create", true},
		{"Directory", func(t *testing.T, dir string) string { return dir }, true, nil, "is a directory", false},
		{"UnwritableDirectory", func(t *testing.T, dir string) string {
			if runtime.GOOS == "windows" || os.Geteuid() == 0 {
				t.Skip("the directory's mode stops no one here")
			}
			ro := filepath.Join(dir, "ro")
			require.NoError(t, os.Mkdir(ro, 0o500))
			return filepath.Join(ro, "events.db")
		}, false, fs.ErrPermission, "create", true},
		{"NamedPipe", func(t *testing.T, dir string) string { // whose open waits for a writer
			path := filepath.Join(dir, "events.db")
			if err := mkfifo(path); errors.Is(err, errors.ErrUnsupported) {
				t.Skip("no named pipes here")
			} else {
				require.NoError(t, err)
			}
			return path
		}, true, nil, "is not a regular file", false},
		{"DanglingSymlink", func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "events.db")
			require.NoError(t, os.Symlink(filepath.Join(dir, "gone.db"), path))
			return path
		}, true, nil, "is a symbolic link to", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path(t, t.TempDir())
			opened := make(chan error, 1)
			go func() {
				_, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
				opened <- err
			}()
			var err error
			select {
			case err = <-opened:
			case <-time.After(time.Minute):
				t.Fatal("Open hangs")
			}
			require.Error(t, err)
			assert.NotErrorIs(t, err, boltlog.ErrCorrupt)
			assert.NotErrorIs(t, err, boltlog.ErrLocked)
			assert.Equal(t, tc.invalid, errors.Is(err, eventlog.ErrInvalid), "errors.Is(%v, eventlog.ErrInvalid)", err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.ErrorContains(t, err, fmt.Sprintf("%q", path), "the error names the path asked for")
			assert.ErrorContains(t, err, tc.says)
			if tc.inDir {
				assert.ErrorContains(t, err, "directory "+filepath.Dir(path)+": ")
			}
			assert.NotContains(t, err.Error(), ".new-", "the error names no temporary file")
		})
	}
}

// TestOpenRemovesStrayLinks: Open creates a log under a temporary name
// and links it into place; a crash between the link and the removal of
// the temporary name left that name for ever, a second link to the log.
// Open now removes such a name, when it is the log's file, and leaves
// alone a temporary file that is another file (a create in progress) and
// other names of the log's file.
func TestOpenRemovesStrayLinks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.db")
	log, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
	require.NoError(t, err)
	_, err = log.Append(context.Background(), "s", eventlog.NoStream, event("kept"))
	require.NoError(t, err)
	require.NoError(t, log.Close())

	if runtime.GOOS == "windows" {
		t.Skip("Windows removes no name of an open file: the stray stays (as the package doc says)")
	}
	stray := filepath.Join(dir, ".events.db.new-2718281828") // the crash's leftover
	if err := os.Link(path, stray); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	inProgress := filepath.Join(dir, ".events.db.new-3141592653") // another file
	require.NoError(t, os.WriteFile(inProgress, []byte("a log being made"), 0o600))
	otherName := filepath.Join(dir, "events-link.db") // a link someone made
	require.NoError(t, os.Link(path, otherName))
	otherLog := filepath.Join(dir, ".other.db.new-1") // the pattern of another log
	require.NoError(t, os.Link(path, otherLog))

	log = open(t, boltlog.Config{Path: path})
	_, err = os.Lstat(stray)
	assert.ErrorIs(t, err, fs.ErrNotExist, "the stray link to the log is removed")
	for _, keep := range []string{path, inProgress, otherName, otherLog} {
		_, err := os.Lstat(keep)
		assert.NoError(t, err, "%s is left alone", filepath.Base(keep))
	}
	got, err := log.Read(context.Background(), "s", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{event("kept").ID}, ids(got))
}

// TestSecondOpenIsLocked: while one Log has the file, another Open waits
// LockTimeout and fails with ErrLocked, or sooner if its context ends;
// once the first closes, Open works.
func TestSecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	first := open(t, boltlog.Config{Path: path})

	_, err := boltlog.Open(context.Background(), boltlog.Config{Path: path, LockTimeout: 100 * time.Millisecond})
	require.ErrorIs(t, err, boltlog.ErrLocked)
	assert.Contains(t, err.Error(), "file is in use by another process")
	assert.Contains(t, err.Error(), path)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = boltlog.Open(ctx, boltlog.Config{Path: path, LockTimeout: time.Hour})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "Open's context ends its wait")

	require.NoError(t, first.Close())
	second := open(t, boltlog.Config{Path: path})
	assert.NoError(t, second.Close())
}

// TestSecondProcessIsLocked: another process that opens the file gets,
// after its LockTimeout, an error saying that the file is in use by
// another process.
func TestSecondProcessIsLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.db")
	log := open(t, boltlog.Config{Path: path})

	var out bytes.Buffer
	cmd := childCommand(t.Context(), "open", path)
	cmd.Stdout = &out
	err := cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the child's output: %s", out.String())
	assert.Equal(t, 3, exit.ExitCode(), "the child's output: %s", out.String())
	assert.Contains(t, out.String(), "locked=true: ")
	assert.Contains(t, out.String(), "file is in use by another process")

	require.NoError(t, log.Close())
	out.Reset()
	cmd = childCommand(t.Context(), "open", path)
	cmd.Stdout = &out
	require.NoError(t, cmd.Run(), "once the file is closed: %s", out.String())
	assert.Equal(t, "opened\n", out.String())
}

// gate is a clock that blocks its first call until it is opened: it holds
// the committer inside its first commit.
type gate struct {
	once    sync.Once
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}), open: make(chan struct{})} }

func (g *gate) now() time.Time {
	g.once.Do(func() {
		close(g.entered)
		<-g.open
	})
	return time.Now()
}

// TestConcurrentAppendsShareACommit: appends that queue while a commit is
// under way are committed together, in the next one.
func TestConcurrentAppendsShareACommit(t *testing.T) {
	const clients = 16
	ctx := context.Background()
	g := newGate()
	log := open(t, boltlog.Config{Now: g.now})
	queued := make(chan int, clients+1)
	boltlog.SetQueueHook(log, func(n int) { queued <- n })

	var appends errgroup.Group
	appends.Go(func() error {
		_, err := log.Append(ctx, "s", eventlog.Any, event("first"))
		return err
	})
	<-g.entered // the first append's commit is under way
	<-queued
	for i := range clients {
		appends.Go(func() error {
			_, err := log.Append(ctx, fmt.Sprint("s-", i%4), eventlog.Any, event(fmt.Sprint("client ", i)))
			return err
		})
	}
	for n := 0; n < clients; n = <-queued {
	}
	close(g.open)
	require.NoError(t, appends.Wait())
	st := log.Stats()
	st.Bytes = 0
	assert.Equal(t, boltlog.Stats{Commits: 2, Appends: clients + 1, Events: clients + 1}, st,
		"the first append's commit, then one for the %d that queued behind it", clients)
}

// TestCancelledWhileQueuedWritesNothing: an append whose context ends
// while it waits for the committer returns ctx.Err(), and is not written.
func TestCancelledWhileQueuedWritesNothing(t *testing.T) {
	ctx := context.Background()
	g := newGate()
	log := open(t, boltlog.Config{Now: g.now})
	queued := make(chan int, 2)
	boltlog.SetQueueHook(log, func(n int) { queued <- n })

	firstDone := make(chan error, 1)
	go func() {
		_, err := log.Append(ctx, "s", eventlog.NoStream, event("first"))
		firstDone <- err
	}()
	<-g.entered
	<-queued
	cancelled, cancel := context.WithCancel(ctx)
	secondDone := make(chan error, 1)
	go func() {
		_, err := log.Append(cancelled, "s", eventlog.Any, event("second"))
		secondDone <- err
	}()
	<-queued
	cancel()
	assert.ErrorIs(t, <-secondDone, context.Canceled)
	close(g.open)
	require.NoError(t, <-firstDone)

	recs, err := log.Read(ctx, "s", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{event("first").ID}, ids(recs), "the cancelled append wrote nothing")
}

// TestCloseCommitsWhatIsQueued: Close waits for the appends queued before
// it, which are committed; appends after it get ErrClosed.
func TestCloseCommitsWhatIsQueued(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	g := newGate()
	log := open(t, boltlog.Config{Path: path, Now: g.now})
	queued := make(chan int, 2)
	boltlog.SetQueueHook(log, func(n int) { queued <- n })

	var appends errgroup.Group
	for _, name := range []string{"first", "second"} {
		appends.Go(func() error {
			_, err := log.Append(ctx, "s", eventlog.Any, event(name))
			return err
		})
		if name == "first" {
			<-g.entered
		}
		<-queued
	}
	closed := make(chan error, 1)
	go func() { closed <- log.Close() }()
	close(g.open)
	require.NoError(t, <-closed)
	require.NoError(t, appends.Wait(), "appends queued before Close are committed")
	_, err := log.Append(ctx, "s", eventlog.Any, event("third"))
	assert.ErrorIs(t, err, eventlog.ErrClosed)

	again := open(t, boltlog.Config{Path: path})
	recs, err := again.Read(ctx, "s", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.ElementsMatch(t, []uuid.UUID{event("first").ID, event("second").ID}, ids(recs))
}

// TestSubscriptionReadsInPages: a subscription far behind delivers
// every event, across many pages, and one that is closed stops waking.
func TestSubscriptionReadsInPages(t *testing.T) {
	ctx := context.Background()
	log := open(t, boltlog.Config{})
	events := numbered("paged", 300)
	for i := 0; i < len(events); i += 100 {
		_, err := log.Append(ctx, "s", eventlog.Any, events[i:i+100]...)
		require.NoError(t, err)
	}
	sub, err := log.Subscribe(ctx, "s", 5)
	require.NoError(t, err)
	defer sub.Close()
	for i := 5; i < len(events); i++ {
		r, err := sub.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, eventlog.Revision(i), r.Revision)
		require.Equal(t, events[i].ID, r.ID)
	}
	require.NoError(t, sub.Close())
	_, err = sub.Next(ctx)
	assert.ErrorIs(t, err, eventlog.ErrClosed)
}

func TestStatsCountOnlyWrites(t *testing.T) {
	ctx := context.Background()
	log := open(t, boltlog.Config{})
	_, err := log.Append(ctx, "s", eventlog.NoStream, numbered("a", 3)...)
	require.NoError(t, err)
	_, err = log.Append(ctx, "s", eventlog.NoStream, numbered("a", 3)...) // a retry: no write
	require.NoError(t, err)
	_, err = log.Append(ctx, "s", eventlog.NoStream, event("b")) // refused: no write
	require.ErrorIs(t, err, eventlog.ErrWrongExpectedRevision)
	require.NoError(t, log.Delete(ctx, "s", eventlog.Exact(2)))
	st := log.Stats()
	assert.Positive(t, st.Bytes, "the file's pages")
	st.Bytes = 0
	assert.Equal(t, boltlog.Stats{Commits: 2, Appends: 4, Events: 3}, st)
	assert.NotEmpty(t, log.Path())
	require.NoError(t, log.Close())
	assert.Zero(t, log.Stats().Bytes, "once closed")
}

// TestSyncsEveryCommit: the log's bbolt commits are fsynced (bbolt's
// NoSync is off). TestCrash kills a process, which keeps the page cache,
// so it cannot tell a log that syncs from one that does not: without
// this, a log opened with NoSync would pass every other test and lose
// acknowledged events at a power loss.
func TestSyncsEveryCommit(t *testing.T) {
	l := open(t, boltlog.Config{Path: filepath.Join(t.TempDir(), "events.db")})
	assert.True(t, boltlog.Syncs(l))
}
