package boltlog_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
)

// The crash test's child appends to crashStreams streams from
// crashWriters goroutines, two to a stream, so that appends race and
// share commits.
const (
	crashWriters = 4
	crashStreams = 2
)

// crashEvent returns the event the crash test's child appends with ID id:
// its content follows from its ID, so the parent can check every event in
// the file, acknowledged or not.
func crashEvent(id uuid.UUID) eventlog.Event {
	e := eventlog.Event{
		ID:   id,
		Type: "CrashTest",
		Data: []byte(fmt.Sprintf(`{"id":%q,"pad":%q}`, id, strings.Repeat(id.String()[:8], 8))),
	}
	if id[0]&1 == 1 {
		e.Metadata = []byte(`{"odd":true}`)
	}
	return e
}

// crashChild is the crash test's child process: it opens the log at
// path, says "ready" on file descriptor 3, then appends from several
// goroutines as fast as it can, writing a line "stream revision id" to
// descriptor 3 for each event once its Append has returned. It runs until
// it is killed; an append that fails ends it with status 1.
func crashChild(path string) int {
	acks := os.NewFile(3, "acks")
	log, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	if _, err := fmt.Fprintln(acks, "ready"); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	var mu sync.Mutex
	failed := make(chan error, crashWriters)
	for w := range crashWriters {
		go func() {
			stream := fmt.Sprint("crash-", w%crashStreams)
			for k := 0; ; k++ {
				batch := make([]eventlog.Event, 1+k%3)
				for i := range batch {
					batch[i] = crashEvent(uuid.New())
				}
				res, err := log.Append(context.Background(), stream, eventlog.Any, batch...)
				if err != nil {
					failed <- err
					return
				}
				first := res.NextExpected - eventlog.Revision(len(batch)-1)
				mu.Lock()
				for i, e := range batch {
					// One write per line: a kill cuts at most the last one.
					if _, err := fmt.Fprintf(acks, "%s %d %s\n", stream, first+eventlog.Revision(i), e.ID); err != nil {
						mu.Unlock()
						failed <- err
						return
					}
				}
				mu.Unlock()
			}
		}()
	}
	fmt.Fprintln(os.Stderr, "child: append:", <-failed)
	return 1
}

// An ack is one line of the child's: an event it was told is stored.
type ack struct {
	stream string
	rev    eventlog.Revision
	id     uuid.UUID
}

// parseAcks reads the child's lines after "ready"; a last line without
// its newline was cut by the kill and is left out.
func parseAcks(t *testing.T, b []byte) []ack {
	t.Helper()
	var acks []ack
	for len(b) > 0 {
		line, rest, complete := bytes.Cut(b, []byte("\n"))
		if !complete {
			break
		}
		b = rest
		f := strings.Fields(string(line))
		require.Len(t, f, 3, "ack line %q", line)
		rev, err := strconv.ParseUint(f[1], 10, 64)
		require.NoError(t, err, "ack line %q", line)
		id, err := uuid.Parse(f[2])
		require.NoError(t, err, "ack line %q", line)
		acks = append(acks, ack{f[0], eventlog.Revision(rev), id})
	}
	return acks
}

// TestCrash kills a child process appending as fast as it can, at a
// random moment, again and again, and after each kill opens the file and
// checks that it opens cleanly, that every event ever acknowledged is
// there with its ID, data and revision, and that every stream's
// revisions run 0, 1, 2, … with no gap, each event intact. Most kills
// come while the child appends; every fifth comes at a random moment of
// its start, which may be while it creates or checks the file.
//
// BOLTLOG_CRASH_SEED sets the seed of the kill moments (the test logs the
// one it used).
func TestCrash(t *testing.T) {
	const rounds = 24
	t.Parallel()
	seed := uint64(20260701)
	if s := os.Getenv("BOLTLOG_CRASH_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "BOLTLOG_CRASH_SEED")
	}
	t.Logf("seed %d (set BOLTLOG_CRASH_SEED to repeat a run's kill moments)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := filepath.Join(t.TempDir(), "crash.db")
	started := time.Now()

	var acked []ack
	stored := 0
	for round := range rounds {
		early := round%5 == 0
		delay := time.Duration(50+rng.IntN(250)) * time.Millisecond
		if early {
			delay = time.Duration(rng.IntN(40)) * time.Millisecond
		}
		acks, stderr := runAndKill(t, path, delay, early)
		require.NotContains(t, stderr, "child:", "round %d: the child failed before it was killed", round)
		acked = append(acked, acks...)
		stored = checkCrashFile(t, path, acked, round)
		t.Logf("round %d: killed %v after %s; %d acknowledged this round, %d in all; %d events in the file",
			round, delay, map[bool]string{true: "start", false: "ready"}[early], len(acks), len(acked), stored)
	}
	t.Logf("%d rounds in %v: %d acknowledged events checked after the last, %d stored", rounds, time.Since(started).Round(time.Millisecond), len(acked), stored)
	assert.Greater(t, len(acked), rounds, "the children acknowledged too little to test anything")
}

// runAndKill starts a child that appends to the log at path and kills it
// delay after it starts (early) or after it says it is ready. It returns
// the child's acknowledgements and what it wrote to stderr.
func runAndKill(t *testing.T, path string, delay time.Duration, early bool) ([]ack, string) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	var stderr bytes.Buffer
	cmd := childCommand(t.Context(), "append", path)
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	require.NoError(t, w.Close()) // the child's copy stays open until it dies

	kill := time.NewTimer(delay)
	if !early {
		kill.Stop()
	}
	lines := bufio.NewReader(r)
	readyLine := make(chan error, 1)
	go func() {
		line, err := lines.ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("first line %q, want \"ready\"", line)
		}
		readyLine <- err
	}()
	if !early {
		if err := <-readyLine; err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait() // stderr is complete only then
			t.Fatalf("the child's first line: %v; its stderr: %s", err, stderr.String())
		}
		kill.Reset(delay)
	}
	<-kill.C
	require.NoError(t, cmd.Process.Kill())
	if early {
		if err := <-readyLine; err != nil {
			require.ErrorIs(t, err, io.EOF, "killed before it was ready, the child wrote nothing")
		}
	}
	rest, err := io.ReadAll(lines)
	require.NoError(t, err)
	var exit *exec.ExitError
	err = cmd.Wait()
	require.True(t, errors.As(err, &exit), "the child must die of the kill, not end: %v; its stderr: %s", err, stderr.String())
	status, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok && status.Signaled() && status.Signal() == syscall.SIGKILL, "the child must die of SIGKILL: %v; its stderr: %s", err, stderr.String())
	return parseAcks(t, rest), stderr.String()
}

// checkCrashFile opens the log at path after a kill and checks it against
// every acknowledgement so far. It returns the number of events stored.
func checkCrashFile(t *testing.T, path string, acked []ack, round int) int {
	t.Helper()
	ctx := context.Background()
	log, err := boltlog.Open(ctx, boltlog.Config{Path: path})
	require.NoError(t, err, "round %d: the file must open cleanly after a kill", round)
	defer log.Close()
	streams := map[string][]eventlog.Recorded{}
	stored := 0
	for s := range crashStreams {
		name := fmt.Sprint("crash-", s)
		var all []eventlog.Recorded
		for {
			page, err := log.Read(ctx, name, eventlog.Revision(len(all)), eventlog.Forwards, 1000)
			if errors.Is(err, eventlog.ErrStreamNotFound) {
				break
			}
			require.NoError(t, err, "round %d: read %s", round, name)
			all = append(all, page...)
			if len(page) < 1000 {
				break
			}
		}
		for i, r := range all {
			require.Equal(t, eventlog.Revision(i), r.Revision, "round %d: %s: revisions must have no gap", round, name)
			want := crashEvent(r.ID)
			require.Equal(t, want.Type, r.Type, "round %d: %s@%d: type", round, name, i)
			require.Equal(t, string(want.Data), string(r.Data), "round %d: %s@%d: data", round, name, i)
			require.Equal(t, want.Metadata, r.Metadata, "round %d: %s@%d: metadata", round, name, i)
		}
		streams[name] = all
		stored += len(all)
	}
	for _, a := range acked {
		all := streams[a.stream]
		require.Less(t, int(a.rev), len(all), "round %d: acknowledged %s@%d is missing: the stream has %d events", round, a.stream, a.rev, len(all))
		require.Equal(t, a.id, all[a.rev].ID, "round %d: acknowledged %s@%d has another event", round, a.stream, a.rev)
	}
	return stored
}
