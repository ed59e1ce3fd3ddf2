package e2e_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
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
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
)

// soak makes the fault run longer: go test ./examples/e2e -run FaultRun -args -soak 10m
var soak = flag.Duration("soak", 0, "how long TestFaultRun injects faults (default 45s)")

// faultReport is what a fault run measured; TestFaultRun logs it.
type faultReport struct {
	duration                      time.Duration
	accepted, includedOnce, twice int
	missing, dropped              int
	minerKills, outages           int
	outage503s                    int
	height                        uint64
	blockEvents                   int
	duplicates                    int // appends the server stored twice
}

func (r faultReport) String() string {
	return fmt.Sprintf("ran %v: %d miner kills, %d server outages (%d answers 503 during them); "+
		"%d transactions accepted, %d included exactly once, %d included twice, %d missing, %d dropped; "+
		"%d blocks from %d block events; %d appends stored twice by the server",
		r.duration.Round(time.Second), r.minerKills, r.outages, r.outage503s,
		r.accepted, r.includedOnce, r.twice, r.missing, r.dropped, r.height, r.blockEvents, r.duplicates)
}

// TestFaultRun runs an esdbtest server (in this process, so that it can
// be stopped and started again on the same address with its data), and as
// processes a bank, three miners, an auditor and a scheduler posting
// every 20 ms. While they run it SIGKILLs a random miner every few
// seconds and starts it again, stops the server for 5 s, and resubmits
// transactions with the same Idempotency-Key and identical bodies
// without one. Then it checks that nothing accepted is lost or mined
// twice, that every node agrees on the tip, and that the chain replays in
// verify mode.
func TestFaultRun(t *testing.T) {
	if testing.Short() {
		t.Skip("a fault run takes about a minute and a half; skipped with -short")
	}
	faultTime := 45 * time.Second
	if *soak > 0 {
		faultTime = *soak
	}
	bins := build(t, "./examples/bank", "./examples/miner", "./examples/auditor", "./examples/scheduler")
	// The server stores 5 % of the appends with expected revision Any a
	// second time, near or far from the first, as EventStoreDB does when
	// a client's retry comes after its window of recent event IDs forgot
	// the first: every fold must take that in its stride.
	seed := uint64(time.Now().UnixNano())
	t.Logf("duplicate seed %d", seed)
	server := esdbtest.New(esdbtest.Config{Addr: "127.0.0.1:0", DuplicateAny: 0.05, DuplicateSeed: seed})
	require.NoError(t, server.Start())
	t.Cleanup(server.Close)
	conn := server.ConnString()
	common := []string{"-eventlog", conn, "-difficulty", difficulty}

	bankProc := start(t, "bank", bins["bank"], append(common, "-addr", "127.0.0.1:0")...)
	bankURL := bankProc.await(t, regexp.MustCompile(`listening on (\S+)`))
	minerArgs := func(i int) []string {
		return append(common, "-id", fmt.Sprintf("miner-%d", i+1), "-workers", "1", "-max-wait", "300ms", "-metrics", "127.0.0.1:0")
	}
	miners := make([]*process, 3)
	startMiner := func(i int) string {
		miners[i] = start(t, fmt.Sprintf("miner-%d", i+1), bins["miner"], minerArgs(i)...)
		return miners[i].await(t, regexp.MustCompile(`metrics on (\S+)`))
	}
	metrics := make([]string, len(miners))
	for i := range miners {
		metrics[i] = startMiner(i)
	}
	auditor := start(t, "auditor", bins["auditor"], append(common, "-interval", "1s", "-max-age", "10s", "-max-attempts", "5", "-metrics", "127.0.0.1:0")...)
	auditMetrics := auditor.await(t, regexp.MustCompile(`metrics on (\S+)`))
	eventually(t, "the bank to be ready", func() bool {
		return getJSON(t, bankURL+"/readyz", new(map[string]string)) == http.StatusOK
	})
	scheduler := start(t, "scheduler", bins["scheduler"], "-bank", bankURL, "-every", "20ms")

	var r faultReport
	began := time.Now()
	rnd := rand.New(rand.NewPCG(uint64(began.UnixNano()), 7))
	keyed := map[string]uuid.UUID{} // Idempotency-Key → the ID the bank gave
	var unkeyed []uuid.UUID
	killEvery := time.NewTicker(4 * time.Second)
	defer killEvery.Stop()
	outageAt := time.After(faultTime / 3)
	stopAt := time.After(faultTime)
run:
	for {
		select {
		case <-killEvery.C:
			i := rnd.IntN(len(miners))
			require.NoError(t, miners[i].cmd.Process.Signal(syscall.SIGKILL))
			<-miners[i].done
			r.minerKills++
			// A miner restarted during an outage cannot restore: start
			// it again until the server answers.
			metrics[i] = restartUntilUp(t, func() *process {
				return start(t, fmt.Sprintf("miner-%d", i+1), bins["miner"], minerArgs(i)...)
			}, &miners[i])
		case <-outageAt:
			server.Stop()
			r.outages++
			// While the log is down the bank answers 503 with Retry-After.
			status, header := post(t, bankURL, `{"from":"outage","to":"bank","amount":1}`, "")
			if assert.Equal(t, http.StatusServiceUnavailable, status) {
				r.outage503s++
				assert.NotEmpty(t, header.Get("Retry-After"))
			}
			outage := time.NewTimer(5 * time.Second)
			<-outage.C // the length of the outage, not a synchronisation
			require.NoError(t, server.Start())
			// … and recovers by itself.
			eventually(t, "the bank to accept again", func() bool {
				s, _ := post(t, bankURL, `{"from":"after-outage","to":"bank","amount":1}`, "")
				return s == http.StatusAccepted
			})
		case <-stopAt:
			break run
		default:
			// Resubmissions: the same Idempotency-Key twice is one
			// transaction; the same body twice without a key is two.
			key := uuid.NewString()
			body := fmt.Sprintf(`{"from":"retry","to":"shop","amount":%d}`, 1+rnd.IntN(1000))
			var ids [2]uuid.UUID
			for j := range ids {
				ids[j] = mustAccept(t, bankURL, body, key)
			}
			if ids[0] != uuid.Nil && ids[1] != uuid.Nil {
				assert.Equal(t, ids[0], ids[1], "one key, one transaction")
				keyed[key] = ids[0]
			}
			a, b := mustAccept(t, bankURL, body, ""), mustAccept(t, bankURL, body, "")
			if a != uuid.Nil && b != uuid.Nil {
				assert.NotEqual(t, a, b, "no key: two transactions")
				unkeyed = append(unkeyed, a, b)
			}
			pause := time.NewTimer(200 * time.Millisecond)
			<-pause.C // the pace of this client, not a synchronisation
		}
	}
	scheduler.stop(t)
	r.duration = time.Since(began)

	// Every accepted transaction, read from the log itself.
	ctx := context.Background()
	log, err := esdb.Open(ctx, esdb.Config{ConnString: conn})
	require.NoError(t, err)
	defer log.Close()
	accepted := map[uuid.UUID]bool{}
	readAll(t, log, node.StreamTransactions, func(p events.Payload) {
		if s, ok := p.(events.TransactionSubmitted); ok {
			accepted[s.Tx.ID()] = true
		}
	})
	for _, id := range keyed {
		assert.True(t, accepted[id], "a keyed transaction the bank accepted is in the log")
	}
	for _, id := range unkeyed {
		assert.True(t, accepted[id])
	}
	r.accepted = len(accepted)

	// Wait until the bank knows the fate of each: included or dropped.
	dropped := map[uuid.UUID]string{}
	for id := range accepted {
		eventually(t, "the fate of "+id.String(), func() bool {
			var st bank.TransactionStatus
			if getJSON(t, bankURL+"/transactions/"+id.String(), &st) != http.StatusOK {
				return false
			}
			if st.Status == bank.StatusDropped {
				dropped[id] = st.Reason
			}
			return st.Status == bank.StatusIncluded || st.Status == bank.StatusDropped
		})
	}
	r.dropped = len(dropped)

	// Replay the whole chain in verify mode, and count inclusions.
	engine, err := pow.New(pow.Config{Bits: 12})
	require.NoError(t, err)
	rejected := 0
	n, err := node.New(node.Config{Log: log, Engine: engine})
	require.NoError(t, err)
	n.Observe(func(e node.Event) {
		if e.Kind != node.BlockAdded {
			rejected++
		}
	})
	require.NoError(t, n.Restore(ctx, node.RestoreVerify))
	count := map[uuid.UUID]int{}
	for h := uint64(1); h <= n.Chain().Height(); h++ {
		b, ok := n.Chain().BlockAt(h)
		require.True(t, ok)
		for _, tx := range b.Transactions() {
			count[tx.ID()]++
		}
	}
	blocks, _ := n.Position()
	r.height, r.blockEvents = n.Chain().Height(), int(blocks)
	for id := range accepted {
		switch c := count[id]; {
		case c == 1:
			r.includedOnce++
		case c > 1:
			r.twice++
		case dropped[id] == "":
			r.missing++
		}
	}
	r.duplicates = server.Duplicates()
	assert.Positive(t, r.duplicates, "the server stored duplicates")
	assert.Zero(t, r.twice, "no transaction included twice")
	assert.Zero(t, r.missing, "no accepted transaction missing")
	assert.Zero(t, rejected, "every block event in the log is a valid block")

	var head bank.Head
	require.Equal(t, http.StatusOK, getJSON(t, bankURL+"/chain/head", &head))
	assert.Equal(t, n.Chain().TipHash(), head.Hash, "the bank's tip is the replayed chain's")
	for i, url := range metrics {
		eventually(t, fmt.Sprintf("miner %d to reach height %d", i+1, head.Height), func() bool { return scrapeHeight(t, url) == head.Height })
	}
	// The auditor counts each transaction once, however often the log
	// holds its events: submitted = accepted, included = included once.
	eventually(t, "the auditor to count every inclusion", func() bool {
		return scrapeGauge(t, auditMetrics, "eventchain_audit_included") == uint64(r.includedOnce)
	})
	assert.Equal(t, uint64(r.accepted), scrapeGauge(t, auditMetrics, "eventchain_audit_submitted"), "the auditor counts each submission once")
	assert.Equal(t, uint64(r.dropped), scrapeGauge(t, auditMetrics, "eventchain_audit_dropped"))
	t.Log(r)

	for _, p := range append([]*process{auditor, bankProc}, miners...) {
		p.stop(t)
	}
}

// restartUntilUp starts a process with launch until it prints its
// metrics address; a start that exits first (the server is down) is
// tried again.
func restartUntilUp(t *testing.T, launch func() *process, slot **process) string {
	t.Helper()
	re := regexp.MustCompile(`metrics on (\S+)`)
	for attempt := 0; ; attempt++ {
		p := launch()
		*slot = p
		select {
		case line := <-awaitLine(p, re):
			return line
		case <-p.done:
			require.Less(t, attempt, 100, "%s never came back; stderr:\n%s", p.name, tail(p.stderr.String(), 2000))
			wait := time.NewTimer(500 * time.Millisecond)
			<-wait.C // the server is down; try again shortly
		}
	}
}

// awaitLine delivers the first submatch of re in p's output.
func awaitLine(p *process, re *regexp.Regexp) <-chan string {
	out := make(chan string, 1)
	go func() {
		for line := range p.lines {
			if m := re.FindStringSubmatch(line); m != nil {
				out <- m[1]
				return
			}
		}
	}()
	return out
}

// newPost builds a POST /transactions request, with an Idempotency-Key
// if key is not empty.
func newPost(t *testing.T, url, body, key string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/transactions", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return req
}

// post sends a transaction and returns the status and headers.
func post(t *testing.T, url, body, key string) (int, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(newPost(t, url, body, key))
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// mustAccept posts a transaction and returns its ID, or uuid.Nil if the
// bank answered 503 (an outage); anything else fails the test.
func mustAccept(t *testing.T, url, body, key string) uuid.UUID {
	t.Helper()
	resp, err := http.DefaultClient.Do(newPost(t, url, body, key))
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable {
		return uuid.Nil
	}
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	var st bank.TransactionStatus
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st.ID
}

// readAll decodes every event of stream.
func readAll(t *testing.T, log eventlog.Log, stream string, f func(events.Payload)) {
	t.Helper()
	for from := eventlog.Revision(0); ; {
		recs, err := log.Read(context.Background(), stream, from, eventlog.Forwards, 500)
		require.NoError(t, err)
		for _, r := range recs {
			p, err := events.Decode(r.Event)
			require.NoError(t, err, "event %s", r)
			f(p)
		}
		if len(recs) < 500 {
			return
		}
		from = recs[len(recs)-1].Revision + 1
	}
}
