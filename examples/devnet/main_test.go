package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/apptest"
)

// TestDevnetProcess builds devnet, runs it as a process on a free port,
// asks its bank for the chain head and /metrics while it runs, and once
// its status line shows a block mined stops it as Ctrl-C would (SIGINT),
// checking that it said where it stopped and exited 0. (Not -duration,
// which counts from the process's start: on a loaded machine it could end
// devnet before the test had asked anything.)
func TestDevnetProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the devnet binary for several seconds; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "devnet")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-data-dir", t.TempDir(), "-addr", "127.0.0.1:0", "-difficulty", "12",
		"-every", "50ms", "-max-wait", "500ms", "-status-every", "1s")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	// The bank answers 503 until its node has restored: its log line
	// "ready" says when, and the URL may come first.
	var stderr bytes.Buffer
	logs, logsW := io.Pipe()
	cmd.Stderr = io.MultiWriter(&stderr, logsW)
	// The auditor's counts are left out of /metrics until it has
	// restored its report: its log line "restored", with the audit
	// stream's position (audit_events), says when. (Every node logs a
	// "restored" too, with tx_events: the bank's may come first.)
	ready, audited := make(chan struct{}), make(chan struct{})
	go func() {
		defer func() { _, _ = io.Copy(io.Discard, logs) }() // drain, so the process never blocks on its stderr
		// Each is set to nil once closed.
		r, a := ready, audited
		for s := bufio.NewScanner(logs); (r != nil || a != nil) && s.Scan(); {
			switch line := s.Text(); {
			case r != nil && strings.Contains(line, " msg=ready "):
				close(r)
				r = nil
			case a != nil && strings.Contains(line, " msg=restored ") && strings.Contains(line, " audit_events="):
				close(a)
				a = nil
			}
		}
	}()
	require.NoError(t, cmd.Start())

	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "devnet printed nothing")
	first := lines.Text()
	url := regexp.MustCompile(`http://[0-9.:]+`).FindString(first)
	require.NotEmpty(t, url, "first line names the bank: %q", first)
	for what, said := range map[string]chan struct{}{"the bank never said it was ready": ready, "the auditor never said it had restored": audited} {
		select {
		case <-said:
		case <-ctx.Done():
			_ = cmd.Wait() // the context killed it
			t.Fatalf("%s; stderr:\n%s", what, stderr.String())
		}
	}

	resp, err := http.Get(url + "/chain/head")
	require.NoError(t, err)
	var head struct{ Height uint64 }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&head))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// /metrics beside the API: every participant's, each labelled.
	resp, err = http.Get(url + "/metrics")
	require.NoError(t, err)
	scraped, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	for _, series := range []string{
		`eventchain_height{node="bank"}`, `eventchain_height{node="miner-1"}`, `eventchain_height{node="miner-2"}`, `eventchain_height{node="auditor"}`,
		`eventchain_pool_size{node="bank"}`,
		`eventchain_miner_hashes_total{miner="miner-1"}`, `eventchain_miner_blocks_won_total{miner="miner-2"}`,
		`eventchain_bank_requests_total{code="200"}`,
		`eventchain_audit_submitted `,
	} {
		assert.Contains(t, string(scraped), series)
	}

	// A status line at a height past 0, then Ctrl-C.
	mined := regexp.MustCompile(`^height [1-9]`)
	for !mined.MatchString(lines.Text()) {
		if !lines.Scan() {
			_ = cmd.Wait() // its stderr is all copied once it returns
			t.Fatalf("devnet ended before it mined a block; stderr:\n%s", stderr.String())
		}
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	var last string
	for lines.Scan() {
		last = lines.Text()
	}
	require.NoError(t, cmd.Wait(), "exit status; stderr:\n%s", stderr.String())
	require.NoError(t, logsW.Close())
	m := regexp.MustCompile(`stopped at height (\d+)`).FindStringSubmatch(last)
	require.Len(t, m, 2, "last line: %q", last)
	height, _ := strconv.Atoi(m[1])
	assert.Positive(t, height, "blocks were mined")
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"no miners", []string{"-miners", "0"}, "-miners"},
		// Each a node in memory: 100 000 of them grew 270 MB/s, silently.
		{"too many miners", []string{"-miners", "100000"}, "-miners: have 100000, want 1…32"},
		{"too many workers", []string{"-workers", "100000000"}, "-workers"},
		{"too hard", []string{"-difficulty", "65"}, "-difficulty"},
		// Go's flag package would read these as octal 16 and hex 16.
		{"a difficulty in octal", []string{"-difficulty", "020"}, `invalid value "020" for flag -difficulty: want a whole number in decimal digits`},
		{"miners in hex", []string{"-miners", "0x2"}, `invalid value "0x2" for flag -miners`},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
		{"bad log format", []string{"-log-format", "xml"}, "-log-format"},
		{"unknown consensus", []string{"-consensus", "pos"}, "-consensus"},
		{"a negative duration", []string{"-duration", "-1s"}, "-duration: have -1s"},
		{"no transactions in a block", []string{"-max-tx", "0"}, "-max-tx: have 0, want 1…"},
		{"a negative wait", []string{"-max-wait", "-1s"}, "-max-wait: have -1s"},
		{"no audit interval", []string{"-audit-interval", "0s"}, "-audit-interval: have 0s"},
		{"no audit age", []string{"-audit-max-age", "0s"}, "-audit-max-age: have 0s"},
		{"negative attempts", []string{"-audit-max-attempts", "-1"}, "-audit-max-attempts: have -1"},
		{"an audit policy of more than a century", []string{"-audit-max-age", "300000h", "-audit-max-attempts", "3"}, "-audit-max-age × (-audit-max-attempts + 1): have 300000h0m0s × 4, want at most 876000h0m0s in all"},
		{"no pause between transfers", []string{"-every", "0s"}, "-every: have 0s, want > 0"},
		{"no pause between status lines", []string{"-status-every", "-1s"}, "-status-every: have -1s, want > 0"},
		{"an unknown restore mode", []string{"-restore", "quick"}, `invalid value "quick" for flag -restore: node: unknown restore mode: have "quick", want verify, fast or snapshot`},
		{"a negative snapshot interval", []string{"-snapshot-every", "-1"}, `invalid value "-1" for flag -snapshot-every`},
		{"an empty data directory name", []string{"-data-dir", ""}, "-data-dir: empty"},
		{"a stream prefix on the data directory's own log", []string{"-stream-prefix", "y/"}, "-stream-prefix is for a log several chains share"},
		{"a port in use", []string{"-addr", "{busy}"}, "listen on"},
		// Refused before the port is taken, which would have said so instead.
		{"a bad GELF URL", []string{"-addr", "{busy}", "-gelf", "bogus://x"}, "-gelf"},
		{"a log of no known kind", []string{"-addr", "{busy}", "-eventlog", "bogus"}, "-eventlog: have \"bogus\""},
		{"a stream prefix of the system's", []string{"-addr", "{busy}", "-eventlog", "memory", "-stream-prefix", "$x"}, "-stream-prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			dir := filepath.Join(t.TempDir(), "data")
			args := slices.Clone(tc.args)
			for i, a := range args {
				if a == "{busy}" {
					l, err := net.Listen("tcp", "127.0.0.1:0")
					require.NoError(t, err)
					t.Cleanup(func() { l.Close() })
					args[i] = l.Addr().String()
				}
			}
			err := run(context.Background(), append([]string{"-data-dir", dir, "-addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error()+stderr.String(), tc.want)
			assert.NoDirExists(t, dir, "a usage error makes nothing on disk")
		})
	}
}

// TestNamedLogRefusesADataDirWithALogOfItsOwn: the spec and keys of a
// data directory that keeps its own chain would begin, on another log, a
// second chain with the same genesis and keys.
func TestNamedLogRefusesADataDirWithALogOfItsOwn(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "events.db"), nil, 0o600))
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"-data-dir", dir, "-eventlog", "file:" + filepath.Join(t.TempDir(), "other.db"), "-addr", "127.0.0.1:0"}, &stdout, &stderr)
	require.Error(t, err)
	assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
	assert.ErrorContains(t, err, "keeps its own chain, in events.db")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing made beside it")

	// Named, the directory's own log is no other chain's.
	own := t.TempDir()
	require.NoError(t, runUntilUp([]string{"-data-dir", own, "-addr", "127.0.0.1:0", "-difficulty", "8"}, &stdout, &stderr), "%s", stderr.String())
	err = runUntilUp([]string{"-data-dir", own, "-eventlog", "file:" + filepath.Join(own, "events.db"), "-addr", "127.0.0.1:0"}, &stdout, &stderr)
	assert.NoError(t, err, "%s", stderr.String())
	// But not with a prefix: a second chain in that file; nor on a data
	// directory that has no log yet.
	fresh := t.TempDir()
	err = runUntilUp([]string{"-data-dir", fresh, "-eventlog", "file:" + filepath.Join(fresh, "events.db"), "-stream-prefix", "x-", "-addr", "127.0.0.1:0"}, &stdout, &stderr)
	assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
	assert.NoFileExists(t, filepath.Join(fresh, "events.db"))
	err = runUntilUp([]string{"-data-dir", own, "-eventlog", "file:" + filepath.Join(own, "events.db"), "-stream-prefix", "x-", "-addr", "127.0.0.1:0"}, &stdout, &stderr)
	assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
	assert.ErrorContains(t, err, "would begin a second chain in it")
}

// TestDevnetProofOfAuthority runs devnet in this process with the miners
// taking turns as proof-of-authority signers, and checks it made blocks.
func TestDevnetProofOfAuthority(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet until it has made two blocks; skipped with -short")
	}
	var stdout strings.Builder
	// Until a status line shows height 2 or more: then it stops.
	status := regexp.MustCompile(`(?m)^height (\d+) `)
	err := runUntil([]string{"-data-dir", t.TempDir(), "-consensus", "poa", "-addr", "127.0.0.1:0",
		"-every", "50ms", "-max-wait", "200ms", "-status-every", "100ms"}, &stdout, io.Discard, func(printed string) bool {
		for _, m := range status.FindAllStringSubmatch(printed, -1) {
			if h, _ := strconv.Atoi(m[1]); h >= 2 {
				return true
			}
		}
		return false
	})
	require.NoError(t, err)
	assert.Contains(t, stdout.String(), "proof of authority")
	m := regexp.MustCompile(`stopped at height (\d+)`).FindStringSubmatch(stdout.String())
	require.Len(t, m, 2, "%s", stdout.String())
	height, _ := strconv.Atoi(m[1])
	assert.GreaterOrEqual(t, height, 2, "both signers took a turn")
}

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/home/ada/.config/eventchain/keys", "/home/ada/.config/eventchain/keys"},
		{"/tmp/dir with spaces/keys", "'/tmp/dir with spaces/keys'"},
		{"/tmp/ünïcødé 链/keys", "'/tmp/ünïcødé 链/keys'"},
		{"/tmp/it's/keys", `'/tmp/it'\''s/keys'`},
		{"/tmp/$HOME/keys", "'/tmp/$HOME/keys'"},
		{"", "''"},
	} {
		assert.Equal(t, tc.want, shellQuote(tc.in), tc.in)
	}
}

// TestEditedSpecFileIsNamed: a spec.json changed since the log was made
// from it is refused, naming the file and the log, not "yours"; the
// remedy it gives, deleting the file, works: the log's spec is written
// again.
func TestEditedSpecFileIsNamed(t *testing.T) {
	dir := t.TempDir()
	var out lockedBuilder // devnet's goroutines write stdout and stderr at once
	require.NoError(t, runUntilUp([]string{"-data-dir", dir, "-addr", "127.0.0.1:0", "-difficulty", "8"}, &out, &out), "%s", out.String())
	path := filepath.Join(dir, specFile)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	edited := strings.Replace(string(data), `"blockReward":50`, `"blockReward":51`, 1)
	require.NotEqual(t, string(data), edited, "precondition: the reward is in the file")
	require.NoError(t, os.WriteFile(path, []byte(edited), 0o600))

	err = runUntilUp([]string{"-data-dir", dir, "-addr", "127.0.0.1:0"}, &out, &out)
	require.Error(t, err)
	assert.ErrorContains(t, err, path+" does not match the chain in "+filepath.Join(dir, logFile))
	assert.ErrorContains(t, err, "blockReward")
	assert.ErrorContains(t, err, "delete "+path+", and devnet writes the chain's own again from the log")

	require.NoError(t, os.Remove(path))
	require.NoError(t, runUntilUp([]string{"-data-dir", dir, "-addr", "127.0.0.1:0"}, &out, &out), "%s", out.String())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, string(data), string(got), "the chain's own spec")
}

// TestDifficultyUnderProofOfAuthority: -difficulty means nothing to a
// proof-of-authority chain; devnet says it ignores it rather than let
// the flag seem to have worked.
func TestDifficultyUnderProofOfAuthority(t *testing.T) {
	var stdout, stderr strings.Builder
	args := []string{"-eventlog", "memory", "-consensus", "poa", "-difficulty", "14", "-addr", "127.0.0.1:0", "-every", "50ms"}
	require.NoError(t, runUntilUp(args, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "-difficulty is proof of work's")
	// And devnet names its genesis, for the wallet's -genesis-hash.
	assert.Regexp(t, `devnet: genesis [0-9a-f]{64}: pin it`, stdout.String())

	// So does a data directory's proof-of-authority chain, started again
	// with the same flags, or with -difficulty alone.
	dir := t.TempDir()
	for _, flags := range [][]string{{"-consensus", "poa", "-difficulty", "14"}, {"-consensus", "poa", "-difficulty", "14"}, {"-difficulty", "12"}} {
		var stderr lockedBuilder
		require.NoError(t, runUntilUp(append([]string{"-data-dir", dir, "-addr", "127.0.0.1:0", "-every", "50ms"}, flags...), new(discard), &stderr), "%v", flags)
		assert.Contains(t, stderr.String(), "-difficulty is proof of work's", "%v", flags)
	}
}

// lockedBuilder is a strings.Builder that several goroutines may write:
// devnet's stdout and its log, given one writer.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDurationEndsDevnetWhileItStarts: a -duration that runs out while
// devnet still opens its log is a stop, exit 0, not "open event log:
// context deadline exceeded" (as a slow machine met with 200ms).
func TestDurationEndsDevnetWhileItStarts(t *testing.T) {
	var stdout strings.Builder
	err := run(context.Background(), []string{"-data-dir", t.TempDir(), "-addr", "127.0.0.1:0", "-duration", "1ns"}, &stdout, io.Discard)
	require.NoError(t, err)
	assert.Contains(t, stdout.String(), "devnet: stopped before it had started")
}

// runUntil runs devnet in this process, its standard output going to
// stdout, until done says, of all it has printed, that it has got far
// enough; then it stops devnet as Ctrl-C would and returns run's error.
// A devnet that ends first (an error, a refusal) returns as it would.
//
// Tests stop devnet this way rather than with a -duration, which races
// its start: on a slow machine, under the race detector, 500ms ended
// some runs before the bank had made its ledger index or said where it
// was.
//
// A devnet that does not get that far within runUntilLimit is stopped,
// and the error says so, with what it printed.
func runUntil(args []string, stdout, stderr io.Writer, done func(printed string) bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), runUntilLimit)
	defer cancel()
	ww := &watchWriter{w: stdout, done: done, stop: cancel}
	err := run(ctx, args, ww, stderr)
	if printed, reached := ww.result(); !reached && ctx.Err() != nil {
		return fmt.Errorf("devnet did not get as far as the test waits for within %v (run: %v); it printed:\n%s", runUntilLimit, err, printed)
	}
	return err
}

// runUntilLimit bounds runUntil: far beyond what a start takes on a slow
// machine under the race detector (about a second), far below go test's
// own timeout.
const runUntilLimit = 2 * time.Minute

// runUntilUp runs devnet until it has started: it has printed its last
// line of start-up, the genesis hash, after its bank's address. By then
// its spec is in its data directory and in the log, and its bank's
// ledger index is made.
func runUntilUp(args []string, stdout, stderr io.Writer) error {
	return runUntil(args, stdout, stderr, func(printed string) bool { return strings.Contains(printed, "devnet: genesis ") })
}

// watchWriter passes what devnet prints on to w, and calls stop once
// done is true of all it has printed so far.
type watchWriter struct {
	w    io.Writer
	done func(printed string) bool
	stop func()

	mu      sync.Mutex
	printed strings.Builder
	reached bool // done has been true
}

func (ww *watchWriter) Write(p []byte) (int, error) {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	ww.printed.Write(p)
	if !ww.reached && ww.done(ww.printed.String()) {
		ww.reached = true
		ww.stop()
	}
	return ww.w.Write(p)
}

// result returns what devnet printed, and whether done was true of it.
func (ww *watchWriter) result() (string, bool) {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	return ww.printed.String(), ww.reached
}

// TestRunUntilUpWaitsForTheStart: the helper the tests stop devnet with
// lets it start, however long that takes, and stops it then.
func TestRunUntilUpWaitsForTheStart(t *testing.T) {
	dir := t.TempDir()
	var stdout strings.Builder
	require.NoError(t, runUntilUp([]string{"-data-dir", dir, "-addr", "127.0.0.1:0", "-difficulty", "8"}, &stdout, io.Discard))
	assert.Contains(t, stdout.String(), "devnet: bank on http://127.0.0.1:")
	assert.Regexp(t, `devnet: stopped (at height|while restoring the chain)`, stdout.String(), "stopped, as by Ctrl-C, once up")
	assert.FileExists(t, filepath.Join(dir, indexFile))
	assert.FileExists(t, filepath.Join(dir, specFile))
}

// TestNoConfigDirectory: where the system names no configuration
// directory (no $HOME, as under some service managers), there is no
// default data directory: devnet asks for -data-dir, and makes nothing
// in the directory it was started in. It used to keep the chain and its
// keys in devnet-data there, wherever that was, where the wallet, run
// from anywhere else, found no keystore. A chain that needs no directory
// runs as before.
func TestNoConfigDirectory(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // the usage error, or "" for a devnet that starts
	}{
		{"devnet's own log", nil, "-data-dir: no default data directory"},
		{"a log named", []string{"-eventlog", "file:chain.db"}, "-data-dir: no default data directory"},
		{"a data directory named", []string{"-data-dir", "data"}, ""},
		{"the in-memory log", []string{"-eventlog", "memory"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apptest.NoConfigDir(t)
			cwd := t.TempDir()
			t.Chdir(cwd)
			args := append([]string{"-addr", "127.0.0.1:0", "-difficulty", "8"}, tc.args...)
			if tc.want == "" {
				var stderr strings.Builder
				assert.NoError(t, runUntilUp(args, io.Discard, &stderr), "%s", stderr.String())
				return
			}
			err := runUntilUp(args, io.Discard, io.Discard) // not a run that never ends, if it starts
			require.Error(t, err)
			assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
			assert.ErrorContains(t, err, tc.want)
			assert.ErrorContains(t, err, "EVENTCHAIN_DATA_DIR", "names a way out")
			entries, err := os.ReadDir(cwd)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing made in the working directory")
		})
	}
}
