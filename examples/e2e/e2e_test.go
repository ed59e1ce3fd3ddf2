// Package e2e_test runs the example apps as separate processes on
// loopback, the way a user runs them: an esdbtest server, a bank, two
// miners, an auditor and a scheduler.
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

	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
)

const difficulty = "12"

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

// await returns the first submatch of re in the process's output.
func (p *process) await(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	timeout := time.After(time.Minute)
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
			t.Fatalf("%s did not print %v within a minute", p.name, re)
		}
	}
}

// stop sends SIGINT and checks that the process exits 0.
func (p *process) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-p.done:
		assert.NoError(t, err, "%s exit status; stderr:\n%s", p.name, tail(p.stderr.String(), 3000))
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30 s of SIGINT", p.name)
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

// TestAppsAsProcesses runs the apps for about ten seconds, then checks
// through the bank's API that every accepted transaction is included
// exactly once, and that the bank and both miners agree on the tip.
func TestAppsAsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds five binaries and runs them for about ten seconds; skipped with -short")
	}
	bins := build(t, "./eventlog/esdb/esdbtest/cmd/esdbtest", "./examples/bank", "./examples/miner", "./examples/auditor", "./examples/scheduler")

	server := start(t, "esdbtest", bins["esdbtest"], "-listen", "127.0.0.1:0")
	conn := server.await(t, regexp.MustCompile(`connect with (\S+)`))
	common := []string{"-eventlog", conn, "-stream-prefix", "e2e/", "-difficulty", difficulty}

	bankProc := start(t, "bank", bins["bank"], append(common, "-addr", "127.0.0.1:0")...)
	bankURL := bankProc.await(t, regexp.MustCompile(`listening on (\S+)`))
	var miners []*process
	var minerMetrics []string
	for i := range 2 {
		m := start(t, fmt.Sprintf("miner-%d", i+1), bins["miner"], append(common, "-id", fmt.Sprintf("miner-%d", i+1),
			"-workers", "1", "-max-wait", "300ms", "-metrics", "127.0.0.1:0")...)
		minerMetrics = append(minerMetrics, m.await(t, regexp.MustCompile(`metrics on (\S+)`)))
		miners = append(miners, m)
	}
	auditor := start(t, "auditor", bins["auditor"], append(common, "-interval", "1s", "-max-age", "5s", "-metrics", "")...)
	eventually(t, "the bank to be ready", func() bool {
		return getJSON(t, bankURL+"/readyz", new(map[string]string)) == http.StatusOK
	})
	// The scheduler posts 300 transactions, one every 20 ms, and exits.
	scheduler := start(t, "scheduler", bins["scheduler"], "-bank", bankURL, "-every", "20ms", "-count", "300")
	select {
	case err := <-scheduler.done:
		require.NoError(t, err, "scheduler; stderr:\n%s", tail(scheduler.stderr.String(), 3000))
	case <-time.After(2 * time.Minute):
		t.Fatal("the scheduler did not finish within two minutes")
	}

	// Every transaction the log accepted, as the bank's clients saw them.
	ctx := context.Background()
	log, err := esdb.Open(ctx, esdb.Config{ConnString: conn, StreamPrefix: "e2e/"})
	require.NoError(t, err)
	defer log.Close()
	var accepted []uuid.UUID
	for from := eventlog.Revision(0); ; {
		recs, err := log.Read(ctx, node.StreamTransactions, from, eventlog.Forwards, 500)
		require.NoError(t, err)
		for _, r := range recs {
			p, err := events.Decode(r.Event)
			require.NoError(t, err)
			if s, ok := p.(events.TransactionSubmitted); ok {
				accepted = append(accepted, s.Tx.ID())
			}
		}
		if len(recs) < 500 {
			break
		}
		from = recs[len(recs)-1].Revision + 1
	}
	require.NotEmpty(t, accepted, "the scheduler got transactions accepted")

	// Wait until the bank reports every one included.
	for _, id := range accepted {
		eventually(t, "transaction "+id.String()+" to be included", func() bool {
			var st bank.TransactionStatus
			require.Equal(t, http.StatusOK, getJSON(t, bankURL+"/transactions/"+id.String(), &st))
			return st.Status == bank.StatusIncluded
		})
	}

	// A node restored in verify mode from the server sees each exactly once.
	engine, err := pow.New(pow.Config{Bits: 12})
	require.NoError(t, err)
	n, err := node.New(node.Config{Log: log, Engine: engine})
	require.NoError(t, err)
	require.NoError(t, n.Restore(ctx, node.RestoreVerify))
	count := map[uuid.UUID]int{}
	for h := uint64(1); h <= n.Chain().Height(); h++ {
		b, ok := n.Chain().BlockAt(h)
		require.True(t, ok)
		for _, tx := range b.Transactions() {
			count[tx.ID()]++
		}
	}
	for _, id := range accepted {
		assert.Equal(t, 1, count[id], "transaction %s", id)
	}

	var head bank.Head
	require.Equal(t, http.StatusOK, getJSON(t, bankURL+"/chain/head", &head))
	assert.Equal(t, n.Chain().TipHash(), head.Hash, "the bank's tip is the chain's")
	for i, url := range minerMetrics {
		eventually(t, fmt.Sprintf("miner %d to reach height %d", i+1, head.Height), func() bool { return scrapeHeight(t, url) == head.Height })
	}
	t.Logf("%d transactions in %d blocks", len(accepted), head.Height)

	for _, p := range append([]*process{auditor, bankProc}, miners...) {
		p.stop(t)
	}
	server.stop(t)
}

// eventually polls cond every 50 ms, for at most two minutes: the apps
// run in other processes, so their HTTP answers are the only signal.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(2 * time.Minute)
	for !cond() {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("waited two minutes for %s", what)
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
