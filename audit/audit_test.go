package audit_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
	"github.com/eventchain/eventchain/pool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// watchdog bounds every wait: a test that never gets there fails.
const watchdog = 30 * time.Second

// t0 is when every test starts, by its fake clock.
var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// A clock is a fake clock that tests set by hand. The event log, the
// nodes and the auditor all read it, so recorded times and ages agree.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// set moves the clock to t0+d.
func (c *clock) set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t0.Add(d)
}

// env is one event log with a node that follows it and an auditor on
// that node.
type env struct {
	t       *testing.T
	clock   *clock
	log     *memlog.Log
	policy  audit.Policy
	window  int
	node    *node.Node
	auditor *audit.Auditor
	stop    func() // stops the node's Follow
	// chain is the test's own chain of the same spec: it proposes the
	// blocks mine publishes, and so is always where the node will be.
	chain *blockchain.Chain
	// txs are the test's transactions by name, and names their names by
	// ID; nonces counts the transfers tx made up for each sender.
	txs    map[string]blockchain.Transaction
	names  map[uuid.UUID]string
	nonces map[string]uint64
	// seen counts the events of each stream already returned by news.
	seen map[string]int
}

func newEnv(t *testing.T, policy audit.Policy, window int) *env {
	t.Helper()
	c := &clock{now: t0}
	log := memlog.New(memlog.Config{Now: c.Now})
	t.Cleanup(func() { _ = log.Close() })
	e := &env{t: t, clock: c, log: log, policy: policy, window: window, chain: consensustest.NewChain(consensustest.NewFaker()),
		txs: map[string]blockchain.Transaction{}, names: map[uuid.UUID]string{}, nonces: map[string]uint64{}, seen: map[string]int{}}
	e.start()
	return e
}

// newNode returns a node of consensustest.Spec() on log, restored.
func newNode(t *testing.T, log eventlog.Log, window int, now func() time.Time) *node.Node {
	t.Helper()
	n, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), Window: window, Now: now})
	require.NoError(t, err)
	require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
	return n
}

// start restores a new node from the log, follows it until the test ends
// or stop is called, and builds a new auditor on it (not yet restored).
func (e *env) start() {
	e.t.Helper()
	n := newNode(e.t, e.log, e.window, e.clock.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Follow(ctx) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			assert.ErrorIs(e.t, <-done, context.Canceled)
		})
	}
	e.t.Cleanup(e.stop)
	a, err := audit.New(audit.Config{Node: n, Log: e.log, Policy: e.policy, Now: e.clock.Now})
	require.NoError(e.t, err)
	e.node, e.auditor = n, a
}

// restart stops the node and starts a new node and a new auditor on the
// same log, as after a crash.
func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

// define names a transaction of the test's.
func (e *env) define(name string, tx blockchain.Transaction) {
	e.txs[name], e.names[tx.ID()] = tx, name
}

// tx returns the transaction called name: the one defined with that
// name, or else a transfer of 1 to "shop" made up the first time the name
// is used, from each of consensustest.Accounts in turn, with the sender's
// next nonce. A test that mines made-up transactions mines each sender's
// in the order the names were first used.
func (e *env) tx(name string) blockchain.Transaction {
	if tx, ok := e.txs[name]; ok {
		return tx
	}
	from := consensustest.Accounts[len(e.txs)%len(consensustest.Accounts)]
	tx := consensustest.Transfer(from, "shop", 1, e.nonces[from])
	e.nonces[from]++
	e.define(name, tx)
	return tx
}

func (e *env) name(id uuid.UUID) string {
	if n, ok := e.names[id]; ok {
		return n
	}
	return id.String()
}

// submit submits the named transactions through the node, and waits
// until it has read each back: its pool takes a sender's next nonce only
// once it holds the one before.
func (e *env) submit(names ...string) {
	e.t.Helper()
	for _, name := range names {
		tx := e.tx(name)
		require.NoError(e.t, e.node.SubmitTransaction(context.Background(), tx))
		nodetest.WaitFor(e.t, e.node, "the node to read "+name, func() bool { return e.node.Pool().NextNonce(tx.From()) > tx.Nonce() })
	}
}

// append appends TransactionSubmitted for the named transactions to the
// log itself, as a node that checked them against a stale pool would:
// the auditor sees them, whether a pool would take them or not.
func (e *env) append(names ...string) {
	e.t.Helper()
	for _, name := range names {
		ev, err := events.Encode(events.TransactionSubmitted{Tx: e.tx(name)})
		require.NoError(e.t, err)
		_, err = e.log.Append(context.Background(), node.StreamTransactions, eventlog.Any, ev)
		require.NoError(e.t, err)
	}
}

// mine publishes one block on the node's tip holding the named
// transactions, and waits until the node has applied it.
func (e *env) mine(names ...string) *blockchain.Block {
	e.t.Helper()
	b := e.generate(names...)
	require.NoError(e.t, e.node.PublishBlock(context.Background(), b, "test"))
	nodetest.WaitFor(e.t, e.node, "the node to apply the block", func() bool { return e.node.Chain().TipHash() == b.Hash() })
	return b
}

// generate returns the next block of the test's chain, holding the named
// transactions.
func (e *env) generate(names ...string) *blockchain.Block {
	e.t.Helper()
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), e.chain, 1,
		func(_ int, g *consensustest.BlockGen) {
			for _, name := range names {
				g.AddTx(e.tx(name))
			}
		})
	require.NoError(e.t, err)
	return blocks[0]
}

// tick sets the clock to t0+at, ticks, and returns the events the tick
// appended (transactions stream first). It then ticks again at the same
// time, which must append nothing.
func (e *env) tick(at time.Duration) []string {
	e.t.Helper()
	e.clock.set(at)
	require.NoError(e.t, e.auditor.Tick(context.Background()))
	got := e.news()
	require.NoError(e.t, e.auditor.Tick(context.Background()))
	assert.Empty(e.t, e.news(), "a second tick at %v appends nothing", at)
	return got
}

// news returns the events of the transactions and audit streams that
// earlier calls did not return, described by describe. The transactions
// submitted are left out: the tests are about what the auditor writes.
func (e *env) news() []string {
	e.t.Helper()
	var out []string
	for _, stream := range []string{node.StreamTransactions, node.StreamAudit} {
		fresh := e.eventsFrom(stream, eventlog.Revision(e.seen[stream]))
		for _, d := range fresh {
			if !isSubmitted(d) {
				out = append(out, d)
			}
		}
		e.seen[stream] += len(fresh)
	}
	return out
}

func isSubmitted(d string) bool { return strings.HasPrefix(d, "submitted ") }

// events describes every event of stream.
func (e *env) events(stream string) []string {
	e.t.Helper()
	return e.eventsFrom(stream, eventlog.Start)
}

// eventsFrom describes the events of stream from revision from on.
func (e *env) eventsFrom(stream string, from eventlog.Revision) []string {
	e.t.Helper()
	recs, err := e.log.Read(context.Background(), stream, from, eventlog.Forwards, 10_000)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return nil
	}
	require.NoError(e.t, err)
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = e.describe(r)
	}
	return out
}

// describe returns a short description of an event:
//
//	submitted a | rebroadcast a 2 | verified a at 1 | dropped a after 3: reason | dropped a after 0 [rule]: reason
func (e *env) describe(r eventlog.Recorded) string {
	p, err := events.Decode(r.Event)
	if err != nil {
		return "undecodable " + r.Type
	}
	switch ev := p.(type) {
	case events.TransactionSubmitted:
		return "submitted " + e.name(ev.Tx.ID())
	case events.TransactionRebroadcast:
		return fmt.Sprintf("rebroadcast %s %d", e.name(ev.Tx.ID()), ev.Attempt)
	case events.TransactionVerified:
		return fmt.Sprintf("verified %s at %d", e.name(ev.TxID), ev.Height)
	case events.TransactionDropped:
		if ev.Rule != blockchain.ErrUnknown {
			return fmt.Sprintf("dropped %s after %d [%s]: %s", e.name(ev.TxID), ev.Attempts, ev.Rule, ev.Reason)
		}
		return fmt.Sprintf("dropped %s after %d: %s", e.name(ev.TxID), ev.Attempts, ev.Reason)
	}
	return p.EventType()
}

// An action happens at a time by the clock, before the tick at or after it.
type action struct {
	at     time.Duration
	submit []string // transactions submitted through the node
	append []string // transactions appended to the log without a pool's check
	mine   []string // transactions mined in one new block
}

func policy(interval, maxAge time.Duration, attempts int) audit.Policy {
	return audit.Policy{Interval: interval, MaxAge: maxAge, MaxAttempts: attempts}
}

// TestFate runs scenarios tick by tick, with a tick every Interval from 0
// to until, and checks what each tick appends and the final report.
func TestFate(t *testing.T) {
	s := time.Second
	foreign := blockchain.Transfer{ChainID: "another-chain", To: consensustest.Addr("bob"), Amount: 5}.Sign(consensustest.Key("erin"))
	forged := blockchain.NewTransaction(consensustest.Transfer("carol", "mallory", 5, 0).Fields(),
		make([]byte, blockchain.SignatureSize)) // carol never signed it
	for _, tc := range []struct {
		name    string
		policy  audit.Policy
		txs     map[string]blockchain.Transaction // the scenario's own; others are made up (env.tx)
		actions []action
		until   time.Duration
		want    map[time.Duration][]string // by tick; no entry: nothing
		report  audit.Report
	}{
		{
			name:    "never mined: rebroadcast MaxAttempts times, then dropped once",
			policy:  policy(10*s, 30*s, 3),
			actions: []action{{at: 0, submit: []string{"a"}}},
			until:   300 * s,
			want: map[time.Duration][]string{
				30 * s:  {"rebroadcast a 1"},
				60 * s:  {"rebroadcast a 2"},
				90 * s:  {"rebroadcast a 3"},
				120 * s: {"dropped a after 3: not included after 3 rebroadcasts over 2m0s"},
			},
			report: audit.Report{Submitted: 1, Rebroadcasts: 3, Dropped: 1},
		},
		{
			name:    "MaxAge between ticks: the first tick after it",
			policy:  policy(10*s, 25*s, 1),
			actions: []action{{at: 0, submit: []string{"a"}}},
			until:   200 * s,
			want: map[time.Duration][]string{
				30 * s: {"rebroadcast a 1"},
				60 * s: {"dropped a after 1: not included after 1 rebroadcast over 1m0s"},
			},
			report: audit.Report{Submitted: 1, Rebroadcasts: 1, Dropped: 1},
		},
		{
			name:    "MaxAttempts 0: dropped without a rebroadcast",
			policy:  policy(10*s, 30*s, 0),
			actions: []action{{at: 5 * s, submit: []string{"a"}}},
			until:   100 * s,
			want: map[time.Duration][]string{
				40 * s: {"dropped a after 0: not included after 0 rebroadcasts over 35s"},
			},
			report: audit.Report{Submitted: 1, Dropped: 1},
		},
		{
			name:    "mined before the first tick: verified once, never rebroadcast",
			policy:  policy(10*s, 30*s, 3),
			actions: []action{{at: 0, submit: []string{"a"}, mine: []string{"a"}}},
			until:   300 * s,
			want:    map[time.Duration][]string{0: {"verified a at 1"}},
			report:  audit.Report{Submitted: 1, Included: 1},
		},
		{
			name:   "mined between ticks",
			policy: policy(10*s, 30*s, 3),
			actions: []action{
				{at: 0, submit: []string{"a"}},
				{at: 15 * s, mine: []string{"a"}},
			},
			until:  300 * s,
			want:   map[time.Duration][]string{20 * s: {"verified a at 1"}},
			report: audit.Report{Submitted: 1, Included: 1},
		},
		{
			name:    "in a block without being submitted: verified",
			policy:  policy(10*s, 30*s, 3),
			actions: []action{{at: 0, mine: []string{"x", "y"}}},
			until:   60 * s,
			want:    map[time.Duration][]string{0: {"verified x at 1", "verified y at 1"}},
			report:  audit.Report{Included: 2},
		},
		{
			name:   "included after a rebroadcast: verified, no more rebroadcasts",
			policy: policy(10*s, 30*s, 3),
			actions: []action{
				{at: 0, submit: []string{"a"}},
				{at: 45 * s, mine: []string{"a"}},
			},
			until: 300 * s,
			want: map[time.Duration][]string{
				30 * s: {"rebroadcast a 1"},
				50 * s: {"verified a at 1"},
			},
			report: audit.Report{Submitted: 1, Included: 1, Rebroadcasts: 1},
		},
		{
			name:   "included after it was dropped: verified all the same",
			policy: policy(10*s, 30*s, 1),
			actions: []action{
				{at: 0, submit: []string{"a"}},
				{at: 65 * s, mine: []string{"a"}},
			},
			until: 200 * s,
			want: map[time.Duration][]string{
				30 * s: {"rebroadcast a 1"},
				60 * s: {"dropped a after 1: not included after 1 rebroadcast over 1m0s"},
				70 * s: {"verified a at 1"},
			},
			report: audit.Report{Submitted: 1, Included: 1, Rebroadcasts: 1},
		},
		{
			name:   "a mix: each transaction counted once, by its fate",
			policy: policy(10*s, 30*s, 1),
			actions: []action{
				{at: 0, submit: []string{"a", "b", "c", "d"}},
				{at: 5 * s, mine: []string{"a", "x"}},
				{at: 35 * s, mine: []string{"c"}},
				{at: 36 * s, submit: []string{"e"}},
			},
			until: 200 * s,
			want: map[time.Duration][]string{
				10 * s: {"verified a at 1", "verified x at 1"},
				30 * s: {"rebroadcast b 1", "rebroadcast c 1", "rebroadcast d 1"},
				40 * s: {"verified c at 2"},
				60 * s: {
					"dropped b after 1: not included after 1 rebroadcast over 1m0s",
					"dropped d after 1: not included after 1 rebroadcast over 1m0s",
				},
				70 * s:  {"rebroadcast e 1"},
				100 * s: {"dropped e after 1: not included after 1 rebroadcast over 1m4s"},
			},
			report: audit.Report{Submitted: 5, Included: 3, Rebroadcasts: 4, Dropped: 3},
		},
		{
			name:   "another transfer with the same nonce is included: dropped at once, with the rule",
			policy: policy(10*s, 30*s, 3),
			txs: map[string]blockchain.Transaction{
				"pay bob":   consensustest.Transfer("alice", "bob", 5, 0),
				"pay carol": consensustest.Transfer("alice", "carol", 5, 0), // the same nonce: one of the two, never both
			},
			actions: []action{
				{at: 0, submit: []string{"pay bob"}},
				{at: 5 * s, mine: []string{"pay carol"}},
			},
			until: 200 * s,
			want: map[time.Duration][]string{
				10 * s: {
					"verified pay carol at 1",
					"dropped pay bob after 0 [bad-nonce]: its nonce 0 was used by another transaction: the sender's next is 1",
				},
			},
			report: audit.Report{Submitted: 1, Included: 1, Dropped: 1},
		},
		{
			name:   "the sender spent its funds: dropped at once, with the rule",
			policy: policy(10*s, 30*s, 3),
			txs: map[string]blockchain.Transaction{
				"spend":  consensustest.Transfer("frank", "bob", 600_000, 0),
				"second": consensustest.Transfer("frank", "carol", 600_000, 1),
			},
			actions: []action{
				// A pool would refuse the second (the first leaves too
				// little); a node with a stale pool let it in.
				{at: 0, submit: []string{"spend"}, append: []string{"second"}},
				{at: 25 * s, mine: []string{"spend"}},
			},
			until: 200 * s,
			want: map[time.Duration][]string{
				30 * s: {
					"verified spend at 1",
					"dropped second after 0 [insufficient-funds]: the chain refuses it: insufficient-funds: have 400000, want ≥ 600000 (amount 600000 + fee 0)",
				},
			},
			report: audit.Report{Submitted: 2, Included: 1, Dropped: 1},
		},
		{
			name:   "a nonce ahead of the sender's next: waits, is rebroadcast, then dropped for age",
			policy: policy(10*s, 30*s, 1),
			txs:    map[string]blockchain.Transaction{"later": consensustest.Transfer("dave", "bob", 5, 2)},
			actions: []action{
				{at: 0, append: []string{"later"}},
			},
			until: 200 * s,
			want: map[time.Duration][]string{
				30 * s: {"rebroadcast later 1"},
				60 * s: {"dropped later after 1: not included after 1 rebroadcast over 1m0s"},
			},
			report: audit.Report{Submitted: 1, Rebroadcasts: 1, Dropped: 1},
		},
		{
			name:   "signed for another chain, or not by its sender: dropped at the first tick, with the rule",
			policy: policy(10*s, 30*s, 3),
			txs:    map[string]blockchain.Transaction{"foreign": foreign, "forged": forged},
			actions: []action{
				{at: 0, append: []string{"foreign", "forged"}},
			},
			until: 100 * s,
			want: map[time.Duration][]string{
				0: {
					`dropped foreign after 0 [wrong-chain]: the chain refuses it: wrong-chain: have "another-chain", want "eventchain-test"`,
					"dropped forged after 0 [bad-signature]: the chain refuses it: bad-signature: have 0000000000000000…, want the signature of the sender's key over the transaction",
				},
			},
			report: audit.Report{Submitted: 2, Dropped: 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.policy, 0)
			for name, tx := range tc.txs {
				e.define(name, tx)
			}
			actions := tc.actions
			for at := time.Duration(0); at <= tc.until; at += tc.policy.Interval {
				for len(actions) > 0 && actions[0].at <= at {
					e.clock.set(actions[0].at)
					e.submit(actions[0].submit...)
					e.append(actions[0].append...)
					if actions[0].mine != nil {
						e.mine(actions[0].mine...)
					}
					actions = actions[1:]
				}
				assert.Equal(t, tc.want[at], e.tick(at), "tick at %v", at)
			}
			assert.Equal(t, tc.report, e.auditor.Report())
			r := tc.report
			assert.Equal(t, r.Included+r.Pending+r.Dropped, len(e.names), "every transaction counted once")
		})
	}
}

// TestRestart stops the node and the auditor in the middle of a run and
// starts new ones on the same log: the attempt numbers go on, nothing is
// recorded twice, and the report is the same as before the restart.
func TestRestart(t *testing.T) {
	s := time.Second
	t.Run("continues the attempts and records nothing twice", func(t *testing.T) {
		e := newEnv(t, policy(10*s, 30*s, 3), 0)
		e.submit("a", "b")
		e.mine("b")
		want := map[time.Duration][]string{
			0:      {"verified b at 1"},
			30 * s: {"rebroadcast a 1"},
			60 * s: {"rebroadcast a 2"},
		}
		for at := time.Duration(0); at <= 60*s; at += 10 * s {
			assert.Equal(t, want[at], e.tick(at), "tick at %v", at)
		}
		before := e.auditor.Report()
		assert.Equal(t, audit.Report{Submitted: 2, Included: 1, Pending: 1, Rebroadcasts: 2}, before)

		e.restart()
		assert.Equal(t, audit.Report{}, e.auditor.Report(), "nothing known before the log is read")
		assert.False(t, isClosed(e.auditor.Restored()), "not restored before the log is read")
		require.NoError(t, e.auditor.Restore(context.Background()))
		assert.True(t, isClosed(e.auditor.Restored()), "restored")
		assert.Equal(t, before, e.auditor.Report(), "the same counts, rebuilt from the log")
		require.NoError(t, e.auditor.Restore(context.Background()), "a second Restore catches up again")

		want = map[time.Duration][]string{
			90 * s:  {"rebroadcast a 3"},
			120 * s: {"dropped a after 3: not included after 3 rebroadcasts over 2m0s"},
		}
		for at := 70 * s; at <= 200*s; at += 10 * s {
			assert.Equal(t, want[at], e.tick(at), "tick at %v", at)
		}
		assert.Equal(t, audit.Report{Submitted: 2, Included: 1, Rebroadcasts: 3, Dropped: 1}, e.auditor.Report())
		assert.Equal(t, []string{"verified b at 1", "dropped a after 3: not included after 3 rebroadcasts over 2m0s"},
			e.events(node.StreamAudit), "one event per fate in the audit stream")
	})

	t.Run("a transaction a block made invalid stays dropped", func(t *testing.T) {
		e := newEnv(t, policy(10*s, 30*s, 3), 0)
		e.define("pay bob", consensustest.Transfer("alice", "bob", 5, 0))
		e.define("pay carol", consensustest.Transfer("alice", "carol", 5, 0))
		e.submit("pay bob")
		e.mine("pay carol")
		assert.Equal(t, []string{
			"verified pay carol at 1",
			"dropped pay bob after 0 [bad-nonce]: its nonce 0 was used by another transaction: the sender's next is 1",
		}, e.tick(0))
		before := e.auditor.Report()
		assert.Equal(t, audit.Report{Submitted: 1, Included: 1, Dropped: 1}, before)

		e.restart()
		require.NoError(t, e.auditor.Restore(context.Background()))
		assert.Equal(t, before, e.auditor.Report())
		for at := 10 * s; at <= 100*s; at += 10 * s {
			assert.Empty(t, e.tick(at), "tick at %v", at)
		}
		assert.Equal(t, before, e.auditor.Report())
	})

	t.Run("finishes a block recorded in part", func(t *testing.T) {
		e := newEnv(t, policy(10*s, 30*s, 3), 0)
		e.submit("a")
		e.mine("x")
		b := e.mine("a", "y", "z")
		// The old auditor crashed after recording the first transaction
		// of block 2.
		ev, err := events.Encode(events.TransactionVerified{TxID: e.tx("a").ID(), BlockHash: b.Hash(), Height: 2})
		require.NoError(t, err)
		_, err = e.log.Append(context.Background(), node.StreamAudit, eventlog.Any, ev)
		require.NoError(t, err)
		e.news()

		// No Restore: the first tick catches up by itself.
		assert.False(t, isClosed(e.auditor.Restored()))
		assert.Equal(t, []string{"verified y at 2", "verified z at 2"}, e.tick(0),
			"block 1 is below the highest height recorded, so done; block 2 is listed again")
		assert.True(t, isClosed(e.auditor.Restored()), "the first tick restored the report")
		assert.Equal(t, audit.Report{Submitted: 1, Included: 3}, e.auditor.Report())
	})
}

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestNodeWithWindow: a node that keeps only the newest block lets go of
// a block before the auditor folds it. The auditor reads that block from
// the blocks stream instead: every transaction is verified all the same.
func TestNodeWithWindow(t *testing.T) {
	e := newEnv(t, policy(10*time.Second, 30*time.Second, 3), 1)
	e.submit("a")
	e.mine("a", "x")
	e.mine("y")
	_, held := e.node.Chain().BlockAt(1)
	require.False(t, held, "the node let block 1 go")
	// Junk and a rejected block in the stream, which the search skips.
	junk, err := events.Encode(events.BlockMined{Block: consensustest.Genesis(), MinerID: "nobody"})
	require.NoError(t, err)
	junkAt, err := e.log.Append(context.Background(), node.StreamBlocks, eventlog.Any, junk)
	require.NoError(t, err)
	nodetest.WaitFor(t, e.node, "the node to read the junk", func() bool { b, _ := e.node.Position(); return b > junkAt.NextExpected })
	e.mine("z")
	assert.Equal(t, []string{"BlockRejected"}, e.news(), "the node's record of the junk block")
	assert.Equal(t, []string{"verified a at 1", "verified x at 1", "verified y at 2", "verified z at 3"}, e.tick(0))
	assert.Equal(t, audit.Report{Submitted: 1, Included: 4}, e.auditor.Report())

	e.restart() // the new auditor starts at block 3, which the node still holds
	require.NoError(t, e.auditor.Restore(context.Background()))
	assert.Equal(t, audit.Report{Submitted: 1, Included: 4}, e.auditor.Report())
	e.mine("w")
	assert.Equal(t, []string{"verified w at 4"}, e.tick(10*time.Second))
}

// TestSkipsMalformedEvents: junk in the streams is skipped, and the
// auditor goes on.
func TestSkipsMalformedEvents(t *testing.T) {
	e := newEnv(t, policy(10*time.Second, 30*time.Second, 3), 0)
	e.submit("a")
	for stream, evs := range map[string][]eventlog.Event{
		node.StreamTransactions: {
			{ID: uuid.New(), Type: events.TypeTransactionSubmitted, Data: []byte(`{"garbage":true}`)},
			{ID: uuid.New(), Type: "SomethingElse", Data: []byte(`[]`)},
		},
		node.StreamAudit: {
			{ID: uuid.New(), Type: events.TypeTransactionVerified, Data: []byte(`{"v":1}`)},
		},
	} {
		for _, ev := range evs {
			_, err := e.log.Append(context.Background(), stream, eventlog.Any, ev)
			require.NoError(t, err)
		}
	}
	e.news()
	assert.Empty(t, e.tick(0))
	assert.Equal(t, []string{"rebroadcast a 1"}, e.tick(30*time.Second))
	assert.Equal(t, audit.Report{Submitted: 1, Pending: 1, Rebroadcasts: 1}, e.auditor.Report())
}

// TestRunWithMiner runs the auditor's loop beside a real miner that starts
// late: the transaction is rebroadcast once, then mined, verified as soon
// as the block is applied, and not rebroadcast again; a second one is
// mined and verified at once.
func TestRunWithMiner(t *testing.T) {
	for _, tc := range []struct {
		name       string
		duplicates float64
		lateCopies bool
	}{
		{"plain", 0, false},
		// Every append with Any stored twice, as EventStoreDB may after
		// its window of recent IDs forgot the first: the submissions, the
		// rebroadcast, the verifications; and, long after the first
		// transaction was verified and forgotten, one more copy of its
		// submission, its rebroadcast and its verification. The report
		// counts each once.
		{"every event twice", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) { runWithMiner(t, tc.duplicates, tc.lateCopies) })
	}
}

func runWithMiner(t *testing.T, duplicates float64, lateCopies bool) {
	c := &clock{now: t0}
	mem := memlog.New(memlog.Config{Now: c.Now, DedupWindow: memlog.NoDedupWindow})
	t.Cleanup(func() { _ = mem.Close() })
	log := eventlogtest.Duplicating(mem, duplicates, 11)
	engine := func() *pow.Engine {
		e, err := pow.New(pow.Config{Bits: 8, Workers: 1})
		require.NoError(t, err)
		return e
	}
	// The nodes and the miner date blocks by the real clock; only the
	// log and the auditor use the fake one.
	p := pool.DefaultPolicy()
	p.MaxWait = 0
	newNode := func() *node.Node {
		e := engine()
		n, err := node.New(node.Config{Log: log, Spec: consensustest.SpecOf(e), Engine: e, Policy: p})
		require.NoError(t, err)
		require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
		return n
	}
	first, second := consensustest.Transfer("alice", "bob", 1, 0), consensustest.Transfer("alice", "bob", 2, 1)
	auditNode := newNode()
	ticks := make(chan time.Time)
	a, err := audit.New(audit.Config{Node: auditNode, Log: log, Now: c.Now, Ticks: ticks, Policy: policy(10*time.Second, 30*time.Second, 3)})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return auditNode.Follow(gctx) })
	g.Go(func() error { return a.Run(gctx) })
	verified := func(tx blockchain.Transaction, height uint64) func(events.Payload) bool {
		return func(p events.Payload) bool {
			v, ok := p.(events.TransactionVerified)
			return ok && v.TxID == tx.ID() && v.Height == height
		}
	}

	require.NoError(t, auditNode.SubmitTransaction(ctx, first))
	c.set(30 * time.Second)
	ticks <- c.Now()
	waitForEvent(t, a, log, node.StreamTransactions, "rebroadcast 1", func(p events.Payload) bool {
		r, ok := p.(events.TransactionRebroadcast)
		return ok && r.Attempt == 1
	})

	minerNode := newNode()
	m, err := miner.New(miner.Config{Node: minerNode, ID: "late", Beneficiary: consensustest.Addr("late")})
	require.NoError(t, err)
	g.Go(func() error { return minerNode.Follow(gctx) })
	g.Go(func() error { return m.Run(gctx) })
	waitForEvent(t, a, log, node.StreamAudit, "the first verified", verified(first, 1))

	require.NoError(t, auditNode.SubmitTransaction(ctx, second))
	waitForEvent(t, a, log, node.StreamAudit, "the second verified", verified(second, 2))
	if lateCopies {
		for _, stream := range []string{node.StreamTransactions, node.StreamAudit} {
			recs, err := mem.Read(ctx, stream, eventlog.Start, eventlog.Forwards, 100)
			require.NoError(t, err)
			copied := map[uuid.UUID]bool{}
			for _, r := range recs {
				p, err := events.Decode(r.Event)
				require.NoError(t, err)
				switch ev := p.(type) {
				case events.TransactionSubmitted:
					if ev.Tx.ID() != first.ID() {
						continue
					}
				case events.TransactionRebroadcast:
				case events.TransactionVerified:
					if ev.TxID != first.ID() {
						continue
					}
				default:
					continue
				}
				if !copied[r.ID] {
					copied[r.ID] = true
					_, err := mem.Append(ctx, stream, eventlog.Any, r.Event)
					require.NoError(t, err)
				}
			}
			require.NotEmpty(t, copied)
		}
	}

	require.NoError(t, log.Flush(ctx), "the duplicates still held back land too")
	c.set(60 * time.Second)
	ticks <- c.Now()
	ticks <- c.Now() // received only once the first tick at 60s is done
	cancel()
	assert.ErrorIs(t, g.Wait(), context.Canceled)

	recs, err := log.Read(context.Background(), node.StreamTransactions, eventlog.Start, eventlog.Forwards, 100)
	require.NoError(t, err)
	ids := map[uuid.UUID]bool{}
	for _, r := range recs {
		ids[r.ID] = true
	}
	assert.Len(t, ids, 3, "two submitted, the first rebroadcast once, and no more")
	if duplicates > 0 {
		assert.Greater(t, len(recs), len(ids), "the log holds duplicates")
	}
	assert.Equal(t, audit.Report{Submitted: 2, Included: 2, Rebroadcasts: 1}, a.Report())
}

// waitForEvent waits until stream holds an event for which match is
// true, reading the auditor's report meanwhile (for the race detector).
func waitForEvent(t *testing.T, a *audit.Auditor, log eventlog.Log, stream, what string, match func(events.Payload) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	sub, err := log.Subscribe(ctx, stream, eventlog.Start)
	require.NoError(t, err)
	defer sub.Close()
	for {
		r, err := sub.Next(ctx)
		require.NoError(t, err, "waiting for %s in %s", what, stream)
		_ = a.Report()
		if p, err := events.Decode(r.Event); err == nil && match(p) {
			return
		}
	}
}

// TestRunDropsAtOnce: between ticks, Run folds each block as the node
// applies it, and drops at once, with the rule, a transaction the block
// made invalid — no tick needed.
func TestRunDropsAtOnce(t *testing.T) {
	e := newEnv(t, policy(10*time.Second, 30*time.Second, 3), 0)
	e.define("pay bob", consensustest.Transfer("alice", "bob", 5, 0))
	e.define("pay carol", consensustest.Transfer("alice", "carol", 5, 0))
	e.submit("pay bob")
	a, err := audit.New(audit.Config{Node: e.node, Log: e.log, Now: e.clock.Now, Ticks: make(chan time.Time)})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	e.mine("pay carol")
	waitForEvent(t, a, e.log, node.StreamAudit, "dropped", func(p events.Payload) bool {
		d, ok := p.(events.TransactionDropped)
		return ok && d.TxID == e.tx("pay bob").ID() && d.Rule == blockchain.ErrBadNonce
	})
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Equal(t, []string{
		"verified pay carol at 1",
		"dropped pay bob after 0 [bad-nonce]: its nonce 0 was used by another transaction: the sender's next is 1",
	}, e.news())
	// Run may have stopped before it read its events back; a catch-up
	// does.
	require.NoError(t, a.Restore(context.Background()))
	assert.Equal(t, audit.Report{Submitted: 1, Included: 1, Dropped: 1}, a.Report())
}

// TestRunOwnTicker: without Config.Ticks, Run ticks every Interval.
func TestRunOwnTicker(t *testing.T) {
	e := newEnv(t, policy(time.Millisecond, 30*time.Second, 3), 0)
	e.submit("a")
	e.clock.set(30 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.auditor.Run(ctx) }()
	waitForEvent(t, e.auditor, e.log, node.StreamTransactions, "rebroadcast 1", func(p events.Payload) bool {
		_, ok := p.(events.TransactionRebroadcast)
		return ok
	})
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

// TestRunStopsOnClosedLog: once the log is closed no step can succeed,
// and Run says so.
func TestRunStopsOnClosedLog(t *testing.T) {
	e := newEnv(t, policy(10*time.Second, 30*time.Second, 3), 0)
	ticks := make(chan time.Time)
	a, err := audit.New(audit.Config{Node: e.node, Log: e.log, Now: e.clock.Now, Ticks: ticks})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	ticks <- e.clock.Now() // Run has restored and waits for ticks
	e.stop()
	require.NoError(t, e.log.Close())
	// Run may notice the closed log on its own, before the tick.
	select {
	case ticks <- e.clock.Now():
		err = <-done
	case err = <-done:
	}
	assert.ErrorIs(t, err, eventlog.ErrClosed)
}

// damagedLog is a log whose storage the test damages: from then on every
// Read and Append fails with eventlog.ErrCorrupt.
type damagedLog struct {
	eventlog.Log
	damaged atomic.Bool
}

func (l *damagedLog) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if l.damaged.Load() {
		return nil, fmt.Errorf("read %s: %w", stream, eventlog.ErrCorrupt)
	}
	return l.Log.Read(ctx, stream, from, dir, max)
}

func (l *damagedLog) Append(ctx context.Context, stream string, expected eventlog.Expected, evs ...eventlog.Event) (eventlog.AppendResult, error) {
	if l.damaged.Load() {
		return eventlog.AppendResult{}, fmt.Errorf("append %s: %w", stream, eventlog.ErrCorrupt)
	}
	return l.Log.Append(ctx, stream, expected, evs...)
}

// TestRunStopsOnDamagedLog: a log whose storage is damaged (a file cut
// short under the running process) fails every step for good; the
// auditor warned and tried again, every tick, for ever. Run now stops
// with the log's error.
func TestRunStopsOnDamagedLog(t *testing.T) {
	e := newEnv(t, policy(10*time.Second, 30*time.Second, 3), 0)
	log := &damagedLog{Log: e.log}
	ticks := make(chan time.Time)
	a, err := audit.New(audit.Config{Node: e.node, Log: log, Now: e.clock.Now, Ticks: ticks})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	ticks <- e.clock.Now() // Run has restored and waits for ticks
	log.damaged.Store(true)
	select {
	case ticks <- e.clock.Now():
		err = <-done
	case err = <-done:
	}
	assert.ErrorIs(t, err, eventlog.ErrCorrupt)
}

func TestNew(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	n := newNode(t, log, 0, nil)
	for _, tc := range []struct {
		name string
		cfg  audit.Config
		want string // in the error; "" for none
	}{
		{"zero policy: the default", audit.Config{Node: n, Log: log}, ""},
		{"no node", audit.Config{Log: log}, "Config.Node"},
		{"no log", audit.Config{Node: n}, "Config.Log"},
		{"a typed nil node", audit.Config{Node: (*node.Node)(nil), Log: log}, "Config.Node"},
		{"a typed nil log", audit.Config{Node: n, Log: (*memlog.Log)(nil)}, "Config.Log"},
		{"a node New did not make", audit.Config{Node: new(node.Node), Log: log}, "Config.Node has no chain"},
		{"a backend with no chain", audit.Config{Node: noChain{n}, Log: log}, "Config.Node has no chain"},
		{"no interval", audit.Config{Node: n, Log: log, Policy: policy(0, time.Minute, 3)}, "Policy.Interval: have 0s, want > 0"},
		{"negative MaxAge", audit.Config{Node: n, Log: log, Policy: policy(time.Second, -time.Minute, 3)}, "Policy.MaxAge: have -1m0s, want > 0"},
		{"negative MaxAttempts", audit.Config{Node: n, Log: log, Policy: policy(time.Second, time.Minute, -1)}, "Policy.MaxAttempts: have -1, want ≥ 0"},
		{"no attempts: fine", audit.Config{Node: n, Log: log, Policy: policy(time.Second, time.Minute, 0)}, ""},
		{"a century in all: fine", audit.Config{Node: n, Log: log, Policy: policy(time.Second, audit.MaxGiveUp/4, 3)}, ""},
		{"more than a century in all", audit.Config{Node: n, Log: log, Policy: policy(time.Second, audit.MaxGiveUp/4+1, 3)}, "want at most 876000h0m0s in all"},
		{"a MaxAge that would overflow", audit.Config{Node: n, Log: log, Policy: policy(time.Second, 750_000_000_000_000_000, 12)}, "Policy.MaxAge × (MaxAttempts+1)"},
		{"MaxAttempts that would overflow", audit.Config{Node: n, Log: log, Policy: policy(time.Second, 1<<33, math.MaxInt)}, "Policy.MaxAge × (MaxAttempts+1)"}, // 2^33 ns × 2^31 overflows even where an int has 32 bits
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := audit.New(tc.cfg)
			if tc.want == "" {
				require.NoError(t, err)
				if tc.cfg.Policy == (audit.Policy{}) {
					assert.Equal(t, audit.DefaultPolicy(), a.Policy())
				} else {
					assert.Equal(t, tc.cfg.Policy, a.Policy())
				}
				return
			}
			assert.ErrorIs(t, err, audit.ErrInvalidConfig)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// noChain is a backend whose Chain is the zero view, which reads no
// chain: New refuses it rather than panic at the first step.
type noChain struct{ audit.Backend }

func (noChain) Chain() blockchain.ReadOnlyChain { return blockchain.ReadOnlyChain{} }

// TestReportConcurrently reads the report while ticks run, for the race
// detector.
func TestReportConcurrently(t *testing.T) {
	e := newEnv(t, policy(10*time.Second, 30*time.Second, 3), 0)
	names := make([]string, 50)
	for i := range names {
		names[i] = fmt.Sprint("tx ", i)
	}
	e.submit(names...)
	e.mine(names[:25]...)
	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	g.Go(func() error {
		for ctx.Err() == nil {
			r := e.auditor.Report()
			if r.Included+r.Pending+r.Dropped > len(names) {
				return fmt.Errorf("counted twice: %+v", r)
			}
		}
		return nil
	})
	for at := time.Duration(0); at <= 200*time.Second; at += 10 * time.Second {
		e.tick(at)
	}
	cancel()
	require.NoError(t, g.Wait())
	assert.Equal(t, audit.Report{Submitted: 50, Included: 25, Rebroadcasts: 75, Dropped: 25}, e.auditor.Report())
	assert.Equal(t, 25, countPrefix(e.events(node.StreamAudit), "verified "))
}

func countPrefix(ds []string, prefix string) int {
	n := 0
	for _, d := range ds {
		if strings.HasPrefix(d, prefix) {
			n++
		}
	}
	return n
}

// TestTickWaitsForTheNode: a block appended just before a tick is seen by
// the tick, however far behind the node is; a node that never catches up
// holds the tick until its context ends.
func TestTickWaitsForTheNode(t *testing.T) {
	e := newEnv(t, policy(10*time.Second, 30*time.Second, 3), 0)
	e.submit("a")
	publish := func(names ...string) {
		t.Helper()
		other := newNode(t, e.log, 0, e.clock.Now)
		require.NoError(t, other.PublishBlock(context.Background(), e.generate(names...), "other"))
	}

	publish("a") // through another node: nothing waits for e's node here
	assert.Equal(t, []string{"verified a at 1"}, e.tick(0))

	e.stop() // e's node stops following
	publish("b")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, e.auditor.Tick(ctx), context.DeadlineExceeded, "the node never reads block 2")
	assert.Empty(t, e.news())
}
