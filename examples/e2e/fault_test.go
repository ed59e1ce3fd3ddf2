package e2e_test

import (
	"context"
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

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
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
	outageRestarts                int // miners the outage caught starting up, started again
	height                        uint64
	blockEvents                   int
	duplicates                    int   // appends the server stored twice
	supply                        int64 // the sum of every balance at the tip
	conserved                     bool  // supply = allocations + rewards, no balance negative
}

func (r faultReport) String() string {
	conservation := "conserved"
	if !r.conserved {
		conservation = "NOT conserved"
	}
	return fmt.Sprintf("ran %v: %d miner kills, %d server outages (%d answers 503 during them, %d miners started again after them); "+
		"%d transactions accepted, %d included exactly once, %d included twice, %d missing, %d dropped; "+
		"%d blocks from %d block events; %d appends stored twice by the server; supply %d, %s",
		r.duration.Round(time.Second), r.minerKills, r.outages, r.outage503s, r.outageRestarts,
		r.accepted, r.includedOnce, r.twice, r.missing, r.dropped, r.height, r.blockEvents, r.duplicates, r.supply, conservation)
}

// TestFaultRun runs an esdbtest server (in this process, so that it can
// be stopped and started again on the same address with its data), and as
// processes a bank that starts the chain from a genesis file, three
// miners and an auditor that wait for it, and a scheduler signing a
// transfer every 20 ms. While they run it SIGKILLs a random miner every
// few seconds and starts it again, stops the server for 5 s, and sends
// transfers signed by keys of its own: each twice with one
// Idempotency-Key, each twice as the same signed body without a key (one
// transaction: its ID derives from what it signs), and two with
// successive nonces (two transactions). Then it checks that nothing
// accepted is lost or mined twice, that every node agrees on the tip,
// that the chain replays in verify mode, and that the money is conserved:
// the balances add up to the allocations plus the block rewards, and
// none is negative.
func TestFaultRun(t *testing.T) {
	if testing.Short() {
		t.Skip("a fault run takes about a minute and a half; skipped with -short")
	}
	faultTime := 45 * time.Second
	if *soak > 0 {
		faultTime = *soak
	}
	bins := build(t, "./examples/bank", "./examples/miner", "./examples/auditor", "./examples/scheduler")
	demo := []string{"alice", "bob", "carol", "dave"}
	// The test's own client sends from keyed, unkeyed, pair and probe.
	chain := newTestChain(t, append(demo, "keyed", "unkeyed", "pair", "probe"), []string{"miner-1", "miner-2", "miner-3", "shop"})
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
	common := []string{"-eventlog", conn}

	bankProc := start(t, "bank", bins["bank"], append(common, "-genesis", chain.genesis, "-addr", "127.0.0.1:0")...)
	bankURL := bankProc.await(t, regexp.MustCompile(`listening on (\S+)`))
	client, err := bankclient.New(bankURL, nil)
	require.NoError(t, err)
	minerArgs := func(i int) []string {
		id := fmt.Sprintf("miner-%d", i+1)
		return append(common, "-id", id, "-beneficiary", chain.addr(t, id).String(), "-workers", "1", "-max-wait", "300ms", "-metrics", "127.0.0.1:0")
	}
	miners := make([]*process, 3)
	startMiner := func(i int) string {
		miners[i] = start(t, fmt.Sprintf("miner-%d", i+1), bins["miner"], minerArgs(i)...)
		addr := miners[i].await(t, regexp.MustCompile(`metrics on (\S+)`))
		miners[i].awaitStderr(t, "msg=joined")
		return addr
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
	scheduler := start(t, "scheduler", bins["scheduler"], "-bank", bankURL, "-every", "20ms",
		"-keystore", chain.keystore, "-accounts", strings.Join(demo, ","))

	ctx := context.Background()
	var r faultReport
	began := time.Now()
	rnd := rand.New(rand.NewPCG(uint64(began.UnixNano()), 7))
	var ours []uuid.UUID // every transaction the test's client got accepted
	nextNonce := func(name string) uint64 {
		acct, err := client.Account(ctx, chain.addr(t, name))
		require.NoError(t, err)
		return acct.NextNonce
	}
	killEvery := time.NewTicker(4 * time.Second)
	defer killEvery.Stop()
	outageAt := time.After(faultTime / 3)
	stopAt := time.After(faultTime)
run:
	for {
		select {
		case <-killEvery.C:
			i := rnd.IntN(len(miners))
			err := miners[i].cmd.Process.Signal(syscall.SIGKILL)
			exit := <-miners[i].done
			require.NoError(t, err, "SIGKILL %s: it had exited by itself (%v); stderr:\n%s", miners[i].name, exit, tail(miners[i].stderr.String(), 3000))
			r.minerKills++
			// A miner restarted during an outage cannot restore: start
			// it again until the server answers.
			metrics[i] = restartUntilUp(t, func() *process {
				return start(t, fmt.Sprintf("miner-%d", i+1), bins["miner"], minerArgs(i)...)
			}, &miners[i])
		case <-outageAt:
			probe := chain.transfer(t, "probe", "shop", 1, nextNonce("probe"))
			server.Stop()
			r.outages++
			// While the log is down the bank answers a valid transfer
			// with 503 and Retry-After …
			_, err := client.Submit(ctx, probe, "")
			var pe *bankclient.ProblemError
			if assert.ErrorAs(t, err, &pe, "a transfer during the outage") && assert.Equal(t, http.StatusServiceUnavailable, pe.Status) {
				r.outage503s++
				assert.Positive(t, pe.RetryAfter, "with Retry-After")
			}
			outage := time.NewTimer(5 * time.Second)
			<-outage.C // the length of the outage, not a synchronisation
			require.NoError(t, server.Start())
			// A miner the outage caught starting up — after it logged
			// "joined", where restartUntilUp takes it for up, and
			// before its node follows the log: restoring, or opening
			// its subscriptions, which take no ErrUnavailable — exited
			// saying the log was unavailable, as one started during
			// the outage does: start it again. (Kills and the outage
			// take turns in this loop, but when both fall due together,
			// as with -soak 25m, 500 s in, the outage comes right after
			// a restart, while the miner restores a long chain.) A
			// miner that exited for anything else fails the test.
			for i := range miners {
				if !exitedForOutage(t, miners[i]) {
					continue
				}
				r.outageRestarts++
				metrics[i] = restartUntilUp(t, func() *process {
					return start(t, fmt.Sprintf("miner-%d", i+1), bins["miner"], minerArgs(i)...)
				}, &miners[i])
			}
			// … and recovers by itself: the same transfer, sent again,
			// is accepted.
			ours = append(ours, mustSubmit(t, client, probe, "").ID)
		case <-stopAt:
			break run
		default:
			amount := 1 + rnd.Int64N(1000)
			// The same Idempotency-Key twice is one transaction.
			key := uuid.NewString()
			keyed := chain.transfer(t, "keyed", "shop", amount, nextNonce("keyed"))
			a, b := mustSubmit(t, client, keyed, key), mustSubmit(t, client, keyed, key)
			assert.Equal(t, a.ID, b.ID, "one key, one transaction")
			assert.Equal(t, keyed.ID(), a.ID)
			// The same signed body twice without a key is one
			// transaction too: its ID derives from what it signs.
			unkeyed := chain.transfer(t, "unkeyed", "shop", amount, nextNonce("unkeyed"))
			c, d := mustSubmit(t, client, unkeyed, ""), mustSubmit(t, client, unkeyed, "")
			assert.Equal(t, c.ID, d.ID, "one signed body, one transaction")
			// The same transfer with successive nonces is two.
			n := nextNonce("pair")
			first, second := chain.transfer(t, "pair", "shop", amount, n), chain.transfer(t, "pair", "shop", amount, n+1)
			e, f := mustSubmit(t, client, first, ""), mustSubmit(t, client, second, "")
			assert.NotEqual(t, e.ID, f.ID, "two nonces, two transactions")
			ours = append(ours, a.ID, c.ID, e.ID, f.ID)
			pause := time.NewTimer(200 * time.Millisecond)
			<-pause.C // the pace of this client, not a synchronisation
		}
	}
	scheduler.stop(t)
	r.duration = time.Since(began)

	// Every accepted transaction, read from the log itself.
	log, err := esdb.Open(ctx, esdb.Config{ConnString: conn})
	require.NoError(t, err)
	defer log.Close()
	accepted := map[uuid.UUID]bool{}
	readAll(t, log, node.StreamTransactions, func(p events.Payload) {
		if s, ok := p.(events.TransactionSubmitted); ok {
			accepted[s.Tx.ID()] = true
		}
	})
	for _, id := range ours {
		assert.True(t, accepted[id], "transaction %s, which the bank accepted from the test's client, is in the log", id)
	}
	r.accepted = len(accepted)

	// Wait until the bank knows the fate of each: included or dropped.
	dropped := map[uuid.UUID]string{}
	waitCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for id := range accepted {
		st, err := client.WaitIncluded(waitCtx, id, nil)
		require.NoError(t, err, "the fate of %s", id)
		if st.State == bankclient.Dropped {
			dropped[id] = st.Reason
		}
	}
	r.dropped = len(dropped)

	// Replay the whole chain in verify mode, count inclusions, and check
	// the money.
	rep := replay(t, ctx, log, chain.spec)
	n := rep.node
	count := inclusions(t, n.Chain(), chain.addr(t, "miner-1"), chain.addr(t, "miner-2"), chain.addr(t, "miner-3"))
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
	r.supply, r.conserved = checkConservation(t, n.Chain())
	r.duplicates = server.Duplicates()
	assert.Positive(t, r.duplicates, "the server stored duplicates")
	assert.Zero(t, r.twice, "no transaction included twice")
	assert.Zero(t, r.missing, "no accepted transaction missing")
	assert.Zero(t, rep.rejected, "every block event in the log is a valid block")

	head, err := client.Head(ctx)
	require.NoError(t, err)
	assert.Equal(t, n.Chain().TipHash(), head.Hash, "the bank's tip is the replayed chain's")
	for i, url := range metrics {
		eventually(t, fmt.Sprintf("miner %d to reach height %d", i+1, head.Height), func() bool { return scrapeHeight(t, url) == head.Height })
	}
	// The auditor counts each transaction once, however often the log
	// holds its events: submitted = accepted, included = included once.
	eventually(t, "the auditor to count every inclusion", func() bool {
		return scrapeGauge(t, auditMetrics, "eventchain_audit_included") == uint64(r.includedOnce)
	})
	// The auditor reads the transactions stream apart from the blocks, and
	// counts a drop once its own append of it has returned, after the
	// bank may have read it: these counts may trail the inclusions.
	eventually(t, "the auditor to count every submission once", func() bool {
		return scrapeGauge(t, auditMetrics, "eventchain_audit_submitted") == uint64(r.accepted)
	})
	eventually(t, "the auditor to count every drop", func() bool {
		return scrapeGauge(t, auditMetrics, "eventchain_audit_dropped") == uint64(r.dropped)
	})
	t.Log(r)

	for _, p := range append([]*process{auditor, bankProc}, miners...) {
		p.stop(t)
	}
}

// restartUntilUp starts a process with launch until it has joined its
// chain, and returns its metrics address; a start that exits first (the
// server is down) is tried again. (A miner prints its metrics address
// at once, before it opens the log: its port answers 503 until it has
// joined, which it logs.)
func restartUntilUp(t *testing.T, launch func() *process, slot **process) string {
	t.Helper()
	re := regexp.MustCompile(`metrics on (\S+)`)
	for attempt := 0; ; attempt++ {
		p := launch()
		*slot = p
		var addr string
		select {
		case addr = <-awaitLine(p, re):
		case <-p.done:
		}
		if addr != "" && joinedOrExited(p) {
			return addr
		}
		require.Less(t, attempt, 100, "%s never came back; stderr:\n%s", p.name, tail(p.stderr.String(), 2000))
		wait := time.NewTimer(500 * time.Millisecond)
		<-wait.C // the server is down; try again shortly
	}
}

// unavailableExit matches the line an app prints as it exits because its
// event log could not be reached: "miner: … event log unavailable: …".
var unavailableExit = regexp.MustCompile(`(?m)^[a-z]+: .*event log unavailable`)

// exitedForOutage reports whether p exited, or is exiting, because its
// event log was unavailable; it waits for such an exit. A process that
// exited for any other reason fails the test.
func exitedForOutage(t *testing.T, p *process) bool {
	t.Helper()
	if unavailableExit.MatchString(p.stderr.String()) {
		select {
		case <-p.done:
			return true
		case <-time.After(awaitTime):
			t.Fatalf("%s said the log was unavailable but did not exit within %v", p.name, awaitTime)
		}
	}
	select {
	case err := <-p.done:
		t.Fatalf("%s exited (%v) during the outage, not for it; stderr:\n%s", p.name, err, tail(p.stderr.String(), 3000))
	default:
	}
	return false
}

// joinedOrExited waits until p logs that it joined its chain (true) or
// exits (false). Its logs are on stderr, which only polling can watch.
func joinedOrExited(p *process) bool {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if strings.Contains(p.stderr.String(), "msg=joined") {
			return true
		}
		select {
		case <-p.done: // it exited (the server is down): not up, whatever it logged
			return false
		case <-tick.C:
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

// mustSubmit posts tx, with an Idempotency-Key if key is not empty, until
// the bank accepts it, and returns its status. An answer that may change
// (503 while the log is down, no answer at all) is retried with the same
// transaction and key, which is safe: the bank takes it at most once.
// Any other refusal fails the test.
func mustSubmit(t *testing.T, client *bankclient.Client, tx blockchain.Transaction, key string) bankclient.Status {
	t.Helper()
	var st bankclient.Status
	eventually(t, "the bank to accept "+tx.ID().String(), func() bool {
		var err error
		st, err = client.Submit(context.Background(), tx, key)
		if err != nil {
			require.True(t, bankclient.IsRetryable(err), "submit %s: %v", tx.ID(), err)
			return false
		}
		return true
	})
	return st
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
