// Package e2e_test runs the example apps as separate processes on
// loopback, the way a user runs them: an esdbtest server, a bank that
// starts the chain from a genesis file, miners that wait for it and pay
// their -beneficiary, an auditor, and a scheduler signing transfers with
// the keys of a keystore.
package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/examples/internal/apptest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/node"
)

// build compiles the packages into dir and returns the binaries by name.
func build(t *testing.T, pkgs ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	for _, pkg := range pkgs {
		bin := filepath.Join(dir, filepath.Base(pkg))
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = "../.."
		msg, err := cmd.CombinedOutput()
		require.NoError(t, err, "go build %s: %s", pkg, msg)
		out[filepath.Base(pkg)] = bin
	}
	return out
}

// process is a running app.
type process struct {
	name   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	lines  chan string
	done   chan error
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs bin with args; the test stops it at the end if it still runs.
func start(t *testing.T, name, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, lines: make(chan string, 100), done: make(chan error, 1)}
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start(), name)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			select {
			case p.lines <- s.Text():
			default: // nobody reads any more
			}
		}
		close(p.lines)
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, tail(p.stderr.String(), 3000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// awaitTime bounds every wait for a process: the machine running the
// tests may be loaded, and a wait that passes its bound fails the test.
const awaitTime = 2 * time.Minute

// await returns the first submatch of re in the process's output.
func (p *process) await(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	timeout := time.After(awaitTime)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				err := <-p.done
				t.Fatalf("%s exited (%v) before printing %v; stderr:\n%s", p.name, err, re, tail(p.stderr.String(), 3000))
			}
			if m := re.FindStringSubmatch(line); m != nil {
				return m[1]
			}
		case err := <-p.done:
			t.Fatalf("%s exited (%v) before printing %v; stderr:\n%s", p.name, err, re, tail(p.stderr.String(), 3000))
		case <-timeout:
			t.Fatalf("%s did not print %v within %v", p.name, re, awaitTime)
		}
	}
}

// awaitStderr waits until the process has logged text. Its logs are on
// stderr, which only polling can watch.
func (p *process) awaitStderr(t *testing.T, text string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s to log %q", p.name, text), func() bool {
		select {
		case err := <-p.done:
			t.Fatalf("%s exited (%v) before logging %q; stderr:\n%s", p.name, err, text, tail(p.stderr.String(), 3000))
		default:
		}
		return strings.Contains(p.stderr.String(), text)
	})
}

// exitCode waits for the process to exit by itself and returns its exit
// status.
func (p *process) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.done:
		var exit *exec.ExitError
		if err == nil {
			return 0
		}
		require.ErrorAs(t, err, &exit, "%s", p.name)
		return exit.ExitCode()
	case <-time.After(awaitTime):
		t.Fatalf("%s did not exit within %v", p.name, awaitTime)
		return -1
	}
}

// stop sends SIGINT and checks that the process exits 0.
func (p *process) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-p.done:
		assert.NoError(t, err, "%s exit status; stderr:\n%s", p.name, tail(p.stderr.String(), 3000))
	case <-time.After(awaitTime):
		t.Fatalf("%s did not stop within %v of SIGINT", p.name, awaitTime)
	}
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(data, v), "%s", data)
	}
	return resp.StatusCode
}

// TestAppsAsProcesses runs the apps for about ten seconds on a chain of
// its own: two miners and an auditor started first, without -genesis,
// wait for the chain spec; the bank, started with -genesis, writes it
// into the empty log; a third miner started with another genesis file is
// refused, naming the difference; the scheduler signs transfers with the
// demo accounts' keys. Then it checks through the bank's API that every
// accepted transaction is included, that a node restored in verify mode
// from the log's spec includes each exactly once and conserves the
// money, and that the bank and both miners agree on the tip.
func TestAppsAsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds five binaries and runs them for about ten seconds; skipped with -short")
	}
	bins := build(t, "./eventlog/esdb/esdbtest/cmd/esdbtest", "./examples/bank", "./examples/miner", "./examples/auditor", "./examples/scheduler")
	demo := []string{"alice", "bob", "carol", "dave"}
	chain := newTestChain(t, demo, []string{"miner-1", "miner-2"})

	server := start(t, "esdbtest", bins["esdbtest"], "-listen", "127.0.0.1:0")
	conn := server.await(t, regexp.MustCompile(`connect with (\S+)`))
	common := []string{"-eventlog", conn, "-stream-prefix", "e2e/"}

	// The miners and the auditor come first, to an empty log: they wait
	// for the chain spec, saying so.
	var miners []*process
	for i := range 2 {
		id := fmt.Sprintf("miner-%d", i+1)
		miners = append(miners, start(t, id, bins["miner"], append(common, "-id", id, "-beneficiary", chain.addr(t, id).String(),
			"-workers", "1", "-max-wait", "300ms", "-metrics", "127.0.0.1:0")...))
	}
	auditor := start(t, "auditor", bins["auditor"], append(common, "-interval", "1s", "-max-age", "5s", "-metrics", "")...)
	for _, p := range append([]*process{auditor}, miners...) {
		p.awaitStderr(t, "waiting for the chain spec")
	}

	// The bank declares the chain; the miners join it.
	bankProc := start(t, "bank", bins["bank"], append(common, "-genesis", chain.genesis, "-addr", "127.0.0.1:0")...)
	bankURL := bankProc.await(t, regexp.MustCompile(`listening on (\S+)`))
	var minerMetrics []string
	for _, m := range miners {
		minerMetrics = append(minerMetrics, m.await(t, regexp.MustCompile(`metrics on (\S+)`)))
		m.awaitStderr(t, "msg=joined") // the port answers at once; joined, the miner logs it
	}

	// A miner brought another genesis is refused: it would mine blocks
	// no one else accepts.
	other := chain.spec
	other.Consensus.PoW = &blockchain.PoWSpec{Bits: chainBits + 1}
	stranger := start(t, "miner-3", bins["miner"], append(common, "-id", "miner-3", "-beneficiary", chain.addr(t, "miner-1").String(),
		"-genesis", apptest.WriteSpec(t, t.TempDir(), "other.json", other), "-metrics", "")...)
	assert.Equal(t, 2, stranger.exitCode(t), "a miner with another genesis exits with a usage error")
	assert.Contains(t, stranger.stderr.String(), "consensus.pow.bits", "its error names the field that differs")

	eventually(t, "the bank to be ready", func() bool {
		return getJSON(t, bankURL+"/readyz", new(map[string]string)) == http.StatusOK
	})
	// The scheduler signs 300 transfers between the demo accounts, one
	// every 20 ms, and exits.
	scheduler := start(t, "scheduler", bins["scheduler"], "-bank", bankURL, "-every", "20ms", "-count", "300",
		"-keystore", chain.keystore, "-accounts", strings.Join(demo, ","))
	require.Zero(t, scheduler.exitCode(t), "the scheduler exits 0 after -count transfers")

	// Every transaction the log accepted, as the bank's clients saw them.
	ctx := context.Background()
	log, err := esdb.Open(ctx, esdb.Config{ConnString: conn, StreamPrefix: "e2e/"})
	require.NoError(t, err)
	defer log.Close()
	var accepted []uuid.UUID
	readAll(t, log, node.StreamTransactions, func(p events.Payload) {
		if s, ok := p.(events.TransactionSubmitted); ok {
			accepted = append(accepted, s.Tx.ID())
		}
	})
	require.NotEmpty(t, accepted, "the scheduler got transactions accepted")

	// Wait until the bank reports every one included.
	client, err := bankclient.New(bankURL, nil)
	require.NoError(t, err)
	waitCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for _, id := range accepted {
		st, err := client.WaitIncluded(waitCtx, id, nil)
		require.NoError(t, err, "transaction %s", id)
		require.Equal(t, bankclient.Included, st.State, "transaction %s: %s", id, st.Reason)
	}

	// A node restored in verify mode from the server sees each exactly
	// once, in blocks that pay the miners, and no money made or lost.
	r := replay(t, ctx, log, chain.spec)
	assert.Zero(t, r.rejected, "every block event in the log is a valid block")
	n := r.node
	count := inclusions(t, n.Chain(), chain.addr(t, "miner-1"), chain.addr(t, "miner-2"))
	for _, id := range accepted {
		assert.Equal(t, 1, count[id], "transaction %s", id)
	}
	supply, _ := checkConservation(t, n.Chain())

	head, err := client.Head(ctx)
	require.NoError(t, err)
	assert.Equal(t, n.Chain().TipHash(), head.Hash, "the bank's tip is the chain's")
	for i, url := range minerMetrics {
		eventually(t, fmt.Sprintf("miner %d to reach height %d", i+1, head.Height), func() bool { return scrapeHeight(t, url) == head.Height })
	}
	t.Logf("%d transactions in %d blocks; supply %d", len(accepted), head.Height, supply)

	for _, p := range append([]*process{auditor, bankProc}, miners...) {
		p.stop(t)
	}
	server.stop(t)
}

// eventually polls cond every 50 ms, for at most awaitTime: the apps
// run in other processes, so their HTTP answers and their logs are the
// only signals.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(awaitTime)
	for !cond() {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("waited %v for %s", awaitTime, what)
		}
	}
}

// scrapeHeight reads the eventchain_height gauge at a /metrics URL.
func scrapeHeight(t *testing.T, url string) uint64 { return scrapeGauge(t, url, "eventchain_height") }

// scrapeGauge reads the value of a gauge without labels at a /metrics URL.
func scrapeGauge(t *testing.T, url, name string) uint64 {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)`).FindStringSubmatch(string(data))
	require.Len(t, m, 2, "no %s in %s", name, tail(string(data), 500))
	var v float64
	_, err = fmt.Sscan(strings.TrimSpace(m[1]), &v)
	require.NoError(t, err)
	return uint64(v)
}
