package audit_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// fakeChain is an audit.Backend without a node: a real chain (pure, in
// memory) that the test extends by hand. Its blocks never pass through
// the log, so the auditor's wait for the node has nothing to wait for.
type fakeChain struct {
	chain *blockchain.Chain

	mu      sync.Mutex
	blocks  eventlog.Revision
	changed chan struct{}
}

var _ audit.Backend = (*fakeChain)(nil)

func (f *fakeChain) Chain() blockchain.ReadOnlyChain { return f.chain.ReadOnly() }

func (f *fakeChain) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *fakeChain) Position() (blocks, txs eventlog.Revision) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocks, 0
}

// mine adds a block holding txs, paying "miner".
func (f *fakeChain) mine(t *testing.T, txs ...blockchain.Transaction) *blockchain.Block {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), f.chain, 1,
		func(_ int, g *consensustest.BlockGen) {
			for _, tx := range txs {
				g.AddTx(tx)
			}
		})
	require.NoError(t, err)
	f.blocks++
	close(f.changed)
	f.changed = make(chan struct{})
	return blocks[0]
}

// TestAuditorOnAFakeBackend runs the auditor on a fake chain and a real
// log: it verifies what the chain includes, drops at once what a block
// made invalid, and rebroadcasts, then drops, what it does not include —
// with no node at all.
func TestAuditorOnAFakeBackend(t *testing.T) {
	c := &clock{now: t0}
	log := memlog.New(memlog.Config{Now: c.Now})
	t.Cleanup(func() { _ = log.Close() })
	fake := &fakeChain{chain: consensustest.NewChain(consensustest.NewFaker()), changed: make(chan struct{})}
	a, err := audit.New(audit.Config{Node: fake, Log: log, Policy: policy(time.Second, 10*time.Second, 1), Now: c.Now})
	require.NoError(t, err)

	paid := consensustest.Transfer("alice", "bob", 350, 0)
	stranded := consensustest.Transfer("bob", "carol", 90, 0)
	outbid := consensustest.Transfer("carol", "dave", 10, 0)
	winner := consensustest.TransferFee("carol", "erin", 10, 5, 0) // carol's nonce 0 again, with a fee
	for _, tx := range []blockchain.Transaction{paid, stranded, outbid} {
		ev, err := events.Encode(events.TransactionSubmitted{Tx: tx})
		require.NoError(t, err)
		_, err = log.Append(context.Background(), node.StreamTransactions, eventlog.Any, ev)
		require.NoError(t, err)
	}
	b := fake.mine(t, paid, winner)

	tick := func(at time.Duration) {
		c.set(at)
		require.NoError(t, a.Tick(context.Background()))
	}
	tick(0)
	assert.Equal(t, audit.Report{Submitted: 3, Included: 2, Pending: 1, Dropped: 1}, a.Report())
	tick(10 * time.Second)
	assert.Equal(t, audit.Report{Submitted: 3, Included: 2, Pending: 1, Rebroadcasts: 1, Dropped: 1}, a.Report())
	tick(20 * time.Second)
	assert.Equal(t, audit.Report{Submitted: 3, Included: 2, Rebroadcasts: 1, Dropped: 2}, a.Report())

	recs, err := log.Read(context.Background(), node.StreamAudit, eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	var got []events.Payload
	for _, r := range recs {
		p, err := events.Decode(r.Event)
		require.NoError(t, err)
		if d, ok := p.(events.TransactionDropped); ok {
			d.Reason = "" // checked by TestFate
			p = d
		}
		got = append(got, p)
	}
	assert.Equal(t, []events.Payload{
		events.TransactionVerified{TxID: paid.ID(), BlockHash: b.Hash(), Height: 1},
		events.TransactionVerified{TxID: winner.ID(), BlockHash: b.Hash(), Height: 1},
		events.TransactionDropped{TxID: outbid.ID(), TxHash: outbid.Hash(), Rule: blockchain.ErrBadNonce},
		events.TransactionDropped{TxID: stranded.ID(), TxHash: stranded.Hash(), Rule: blockchain.ErrUnknown, Attempts: 1},
	}, got)
}

// newRig returns a clock at t0, a memlog dated by it (closed at the
// test's end) and a fake backend without blocks.
func newRig(t *testing.T) (*clock, *memlog.Log, *fakeChain) {
	t.Helper()
	c := &clock{now: t0}
	log := memlog.New(memlog.Config{Now: c.Now})
	t.Cleanup(func() { _ = log.Close() })
	return c, log, &fakeChain{chain: consensustest.NewChain(consensustest.NewFaker()), changed: make(chan struct{})}
}

// submitThree submits three transfers from three senders, alice's,
// bob's and carol's first, and returns them.
func submitThree(t *testing.T, log eventlog.Log) (t1, t2, t3 blockchain.Transaction) {
	t.Helper()
	t1, t2, t3 = consensustest.Transfer("alice", "bob", 5, 0), consensustest.Transfer("bob", "carol", 6, 0), consensustest.Transfer("carol", "dave", 7, 0)
	for _, tx := range []blockchain.Transaction{t1, t2, t3} {
		put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: tx})
	}
	return t1, t2, t3
}

// newAuditorOn returns an auditor of fake on log, dated by c.
func newAuditorOn(t *testing.T, fake *fakeChain, log eventlog.Log, c *clock, p audit.Policy) *audit.Auditor {
	t.Helper()
	a, err := audit.New(audit.Config{Node: fake, Log: log, Policy: p, Now: c.Now})
	require.NoError(t, err)
	return a
}

// put encodes p and appends it to stream.
func put(t *testing.T, log eventlog.Log, stream string, p events.Payload) {
	t.Helper()
	ev, err := events.Encode(p)
	require.NoError(t, err)
	_, err = log.Append(context.Background(), stream, eventlog.Any, ev)
	require.NoError(t, err)
}

// auditFates returns, from the audit stream, the blocks each
// transaction's TransactionVerified events name (one per event), and the
// drops.
func auditFates(t *testing.T, log eventlog.Log) (verified map[uuid.UUID][]blockchain.Hash, dropped []events.TransactionDropped) {
	t.Helper()
	recs, err := log.Read(context.Background(), node.StreamAudit, eventlog.Start, eventlog.Forwards, 1000)
	require.NoError(t, err)
	verified = map[uuid.UUID][]blockchain.Hash{}
	for _, r := range recs {
		p, err := events.Decode(r.Event)
		require.NoError(t, err)
		switch ev := p.(type) {
		case events.TransactionVerified:
			verified[ev.TxID] = append(verified[ev.TxID], ev.BlockHash)
		case events.TransactionDropped:
			dropped = append(dropped, ev)
		}
	}
	return verified, dropped
}

// TestForgedAuditEvents: anyone may append to the audit and transactions
// streams, and what a forger appends neither stops the auditor nor
// settles a transaction early. Each case appends forged events before
// the auditor's first tick; alice's payment is mined. The auditor must
// still record it verified, and drop nothing.
func TestForgedAuditEvents(t *testing.T) {
	paid := consensustest.Transfer("alice", "bob", 350, 0)
	other := consensustest.Transfer("bob", "carol", 5, 0) // in no block
	for _, tc := range []struct {
		name   string
		stream string
		forged func(real *blockchain.Block) []events.Payload
	}{
		{"verified at the greatest height", node.StreamAudit, func(*blockchain.Block) []events.Payload {
			return []events.Payload{events.TransactionVerified{TxID: other.ID(), BlockHash: blockchain.Hash{1}, Height: math.MaxUint64}}
		}},
		{"three rebroadcasts appended at once", node.StreamTransactions, func(*blockchain.Block) []events.Payload {
			return []events.Payload{events.TransactionRebroadcast{Tx: other, Attempt: 1}, events.TransactionRebroadcast{Tx: other, Attempt: 2},
				events.TransactionRebroadcast{Tx: other, Attempt: 3}}
		}},
		{"verified at a height not reached yet", node.StreamAudit, func(*blockchain.Block) []events.Payload {
			return []events.Payload{events.TransactionVerified{TxID: other.ID(), BlockHash: blockchain.Hash{1}, Height: 1000}}
		}},
		{"verified in a block the chain does not hold", node.StreamAudit, func(*blockchain.Block) []events.Payload {
			return []events.Payload{events.TransactionVerified{TxID: paid.ID(), BlockHash: blockchain.Hash{1}, Height: 1}}
		}},
		{"verified in the real block, which does not hold it", node.StreamAudit, func(real *blockchain.Block) []events.Payload {
			return []events.Payload{events.TransactionVerified{TxID: other.ID(), BlockHash: real.Hash(), Height: 1}}
		}},
		{"a rebroadcast attempt far past any policy", node.StreamTransactions, func(*blockchain.Block) []events.Payload {
			return []events.Payload{events.TransactionRebroadcast{Tx: other, Attempt: math.MaxInt}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, log, fake := newRig(t)
			a := newAuditorOn(t, fake, log, c, policy(time.Second, 10*time.Second, 3))
			put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: paid})
			put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: other})
			b := fake.mine(t, paid)
			for _, p := range tc.forged(b) {
				put(t, log, tc.stream, p)
			}

			c.set(0)
			require.NoError(t, a.Tick(context.Background()))
			c.set(10 * time.Second) // one MaxAge: a rebroadcast, not a drop, with three attempts allowed
			require.NoError(t, a.Tick(context.Background()))

			verified, dropped := auditFates(t, log)
			assert.Equal(t, []blockchain.Hash{b.Hash()}, slices.DeleteFunc(verified[paid.ID()], func(h blockchain.Hash) bool { return h == blockchain.Hash{1} }),
				"the mined payment is verified once, in its block (besides a forged event naming another block)")
			assert.Empty(t, dropped, "nothing is dropped after one MaxAge of three")
			rep := a.Report()
			assert.Equal(t, 1, rep.Included, "the forged event is not counted")
			assert.Equal(t, 1, rep.Pending, "the unmined transfer still waits")
		})
	}
}

// TestLateLoserIsDropped: with two banks on one log, each may take one of
// two transfers of a sender with the same nonce; a block includes one,
// and the other's TransactionSubmitted may reach the log after the
// auditor folded that block. No block can include it: the auditor drops
// it for its nonce at once (the bank that did not take it knows it by
// that alone). A late copy of the transfer the block included (a
// rebroadcast appended before its appender saw the block) is no news.
func TestLateLoserIsDropped(t *testing.T) {
	c, log, fake := newRig(t)
	a := newAuditorOn(t, fake, log, c, policy(time.Second, time.Hour, 3))
	winner, loser := consensustest.Transfer("alice", "bob", 5, 0), consensustest.Transfer("alice", "carol", 6, 0)
	put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: winner})
	fake.mine(t, winner)
	require.NoError(t, a.Tick(context.Background()))
	require.Equal(t, audit.Report{Submitted: 1, Included: 1}, a.Report())

	put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: loser})
	put(t, log, node.StreamTransactions, events.TransactionRebroadcast{Tx: winner, Attempt: 1})
	require.NoError(t, a.Tick(context.Background()))

	_, dropped := auditFates(t, log)
	require.Len(t, dropped, 1, "the loser, long before MaxAge; not the winner")
	assert.Equal(t, loser.ID(), dropped[0].TxID)
	assert.Equal(t, blockchain.ErrBadNonce, dropped[0].Rule)
	assert.Equal(t, audit.Report{Submitted: 2, Included: 1, Dropped: 1}, a.Report())

	// A late copy of the loser (another auditor's rebroadcast, say)
	// is no second loser.
	put(t, log, node.StreamTransactions, events.TransactionRebroadcast{Tx: loser, Attempt: 1})
	require.NoError(t, a.Tick(context.Background()))
	require.NoError(t, a.Tick(context.Background()))
	assert.Equal(t, audit.Report{Submitted: 2, Included: 1, Dropped: 1}, a.Report(), "each transaction counted once")

	// An auditor started once a later block was verified folds only that
	// one: it cannot tell a late copy of the winner, or of the loser,
	// from a loser, and calls neither dropped.
	fake.mine(t, consensustest.Transfer("bob", "carol", 1, 0))
	require.NoError(t, a.Tick(context.Background()))
	b := newAuditorOn(t, fake, log, c, policy(time.Second, time.Hour, 3))
	require.NoError(t, b.Tick(context.Background()))
	put(t, log, node.StreamTransactions, events.TransactionRebroadcast{Tx: winner, Attempt: 2})
	put(t, log, node.StreamTransactions, events.TransactionRebroadcast{Tx: loser, Attempt: 2})
	require.NoError(t, b.Tick(context.Background()))
	_, dropped = auditFates(t, log)
	assert.Len(t, dropped, 1, "still the loser's drop alone")
	assert.Equal(t, audit.Report{Submitted: 2, Included: 2, Rebroadcasts: 2, Dropped: 1}, b.Report(),
		"the loser dropped once; bob's transfer never went through the transactions stream")
}

// TestAuditorBehindAnother: two auditors on one log, B's node a block
// behind A's. B reads A's TransactionVerified for a block its node does
// not have yet, and cannot believe it; it folds that block itself once
// its node has it, and records it (the log holds the same event once),
// rather than skip it when A's later events move the highest verified
// height past it. Nothing is dropped, and B counts both transfers
// included.
func TestAuditorBehindAnother(t *testing.T) {
	c, log, fakeA := newRig(t)
	fakeB := &fakeChain{chain: consensustest.NewChain(consensustest.NewFaker()), changed: make(chan struct{})}
	a := newAuditorOn(t, fakeA, log, c, policy(time.Second, 10*time.Second, 1))
	b := newAuditorOn(t, fakeB, log, c, policy(time.Second, 10*time.Second, 1))
	tx1, tx2 := consensustest.Transfer("alice", "bob", 5, 0), consensustest.Transfer("bob", "carol", 7, 0)
	put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: tx1})
	put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: tx2})
	tick := func(x *audit.Auditor) { require.NoError(t, x.Tick(context.Background())) }

	block1 := fakeA.mine(t, tx1)
	tick(a) // records V(1, tx1)
	tick(b) // its node is at 0: V(1, tx1) cannot be checked yet
	block2 := fakeA.mine(t, tx2)
	for _, blk := range []*blockchain.Block{block1, block2} {
		// B's node catches up; the log holds the blocks, for an auditor
		// whose node no longer keeps one in memory.
		require.NoError(t, fakeB.chain.Apply(blk))
		put(t, log, node.StreamBlocks, events.BlockMined{Block: blk, MinerID: "miner-1"})
	}
	fakeB.mu.Lock()
	fakeB.blocks = 2 // B's node has read both block events, A's too (mine counts them)
	fakeB.mu.Unlock()
	tick(a) // records V(2, tx2)
	for _, at := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second} {
		c.set(at)
		tick(b)
		tick(a)
	}

	verified, dropped := auditFates(t, log)
	assert.Empty(t, dropped)
	assert.Equal(t, []blockchain.Hash{block1.Hash()}, verified[tx1.ID()], "A's event; B's own, once its node had the block, is the same event, which the log holds once")
	assert.Equal(t, []blockchain.Hash{block2.Hash()}, verified[tx2.ID()], "B believed A's: no copy")
	for name, x := range map[string]*audit.Auditor{"A": a, "B": b} {
		assert.Equal(t, audit.Report{Submitted: 2, Included: 2}, x.Report(), name)
	}
}

// TestForgedDrops: a TransactionDropped appended by anyone is believed
// only if the chain or the policy bears it out. A forged "gave up" right
// after submission, or a forged drop for a rule the transfer keeps, does
// not stop the auditor: it rebroadcasts the transfer at MaxAge, as for
// any other.
func TestForgedDrops(t *testing.T) {
	waiting := consensustest.Transfer("bob", "carol", 5, 0) // in no block, and valid
	next := consensustest.Transfer("bob", "carol", 6, 1)    // bob's next: the chain refuses it until waiting is in a block
	for _, tc := range []struct {
		name string
		drop events.TransactionDropped
	}{
		{"gave up, before any attempt", events.TransactionDropped{TxID: waiting.ID(), Reason: "not included after 3 rebroadcasts over 1h0m0s", Attempts: 3}},
		{"for a rule it keeps", events.TransactionDropped{TxID: waiting.ID(), Rule: blockchain.ErrBadNonce, Reason: "its nonce 0 was used by another transaction"}},
		{"for a gap, behind a transfer still pending", events.TransactionDropped{TxID: next.ID(), Rule: blockchain.ErrBadNonce, Reason: "its nonce 1 was used by another transaction"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, log, fake := newRig(t)
			a := newAuditorOn(t, fake, log, c, policy(time.Second, 10*time.Second, 3))
			put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: waiting})
			put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: next})
			put(t, log, node.StreamAudit, tc.drop)

			c.set(0)
			require.NoError(t, a.Tick(context.Background()))
			assert.Equal(t, audit.Report{Submitted: 2, Pending: 2}, a.Report(), "the forged drop is not believed")
			c.set(10 * time.Second)
			require.NoError(t, a.Tick(context.Background()))
			assert.Equal(t, audit.Report{Submitted: 2, Pending: 2, Rebroadcasts: 2}, a.Report(), "rebroadcast at MaxAge, as any other")
		})
	}
}

// TestForgedDropUnderTheLongestPolicy: the time a policy gives a
// transaction is judged without overflowing, even for the longest policy
// Validate allows, whose nine tenths would overflow a time.Duration if
// multiplied first: a forged "gave up" right after submission is not
// believed.
func TestForgedDropUnderTheLongestPolicy(t *testing.T) {
	waiting := consensustest.Transfer("bob", "carol", 5, 0)
	for _, p := range []audit.Policy{
		policy(time.Second, audit.MaxGiveUp, 0),
		policy(time.Second, audit.MaxGiveUp/2, 1),
	} {
		t.Run(fmt.Sprintf("MaxAge=%v,MaxAttempts=%d", p.MaxAge, p.MaxAttempts), func(t *testing.T) {
			require.NoError(t, p.Validate())
			c, log, fake := newRig(t)
			a := newAuditorOn(t, fake, log, c, p)
			put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: waiting})
			for attempt := range p.MaxAttempts {
				put(t, log, node.StreamTransactions, events.TransactionRebroadcast{Tx: waiting, Attempt: attempt + 1})
			}
			put(t, log, node.StreamAudit, events.TransactionDropped{TxID: waiting.ID(), Reason: "gave up", Attempts: p.MaxAttempts})

			c.set(time.Minute)
			require.NoError(t, a.Tick(context.Background()))
			assert.Equal(t, audit.Report{Submitted: 1, Pending: 1, Rebroadcasts: p.MaxAttempts}, a.Report(), "the forged drop is not believed")
		})
	}
}

// TestGivingUpNeverStalls: a transfer no block includes is dropped once
// the time its policy gives it has passed, whatever else is in the log:
// a forged early rebroadcast (which the log would take the auditor's own
// identical one as a retry of), another auditor with a shorter MaxAge
// rebroadcasting and giving up first, or rebroadcasts appended every
// half MaxAge, which would put off for ever a drop due MaxAge after the
// last attempt.
func TestGivingUpNeverStalls(t *testing.T) {
	stranded := consensustest.Transfer("bob", "carol", 5, 0)
	for _, tc := range []struct {
		name   string
		forged []events.Payload // appended to the transactions stream at t0
		other  *audit.Policy    // a second auditor on the log, ticking as the first
		pester bool             // a new rebroadcast appended every half MaxAge, for ever
	}{
		{name: "a forged early rebroadcast", forged: []events.Payload{events.TransactionRebroadcast{Tx: stranded, Attempt: 1}}},
		{name: "another auditor with a shorter MaxAge", other: ptr(policy(time.Second, 5*time.Second, 3))},
		{name: "rebroadcasts appended every few seconds", pester: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, log, fake := newRig(t)
			auditors := []*audit.Auditor{newAuditorOn(t, fake, log, c, policy(time.Second, 10*time.Second, 3))}
			if tc.other != nil {
				auditors = append(auditors, newAuditorOn(t, fake, log, c, *tc.other))
			}
			for _, p := range append([]events.Payload{events.TransactionSubmitted{Tx: stranded}}, tc.forged...) {
				put(t, log, node.StreamTransactions, p)
			}
			for at := time.Duration(0); at <= 60*time.Second; at += time.Second {
				c.set(at)
				if tc.pester && at%(5*time.Second) == 0 {
					put(t, log, node.StreamTransactions, events.TransactionRebroadcast{Tx: stranded, Attempt: 1000 + int(at/time.Second)})
				}
				for _, a := range auditors {
					require.NoError(t, a.Tick(context.Background()))
				}
			}
			for i, a := range auditors {
				rep := a.Report()
				assert.Equal(t, 1, rep.Dropped, "auditor %d gave up: %+v", i, rep)
				assert.Zero(t, rep.Pending, "auditor %d", i)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestRestartAfterAnEventOutOfOrder: while the auditors are down, blocks
// 2 and 3 are mined, and someone appends a true TransactionVerified for
// block 3 alone. A restarted auditor must not take block 2 as done: it
// folds it, verifies its transfer, and drops nothing (the transfer's
// nonce is used — by itself).
func TestRestartAfterAnEventOutOfOrder(t *testing.T) {
	c, log, fake := newRig(t)
	p := policy(time.Second, 10*time.Second, 3)
	t1, t2, t3 := submitThree(t, log)
	fake.mine(t, t1)
	require.NoError(t, newAuditorOn(t, fake, log, c, p).Tick(context.Background())) // records block 1, then stops
	b2 := fake.mine(t, t2)
	b3 := fake.mine(t, t3)
	put(t, log, node.StreamAudit, events.TransactionVerified{TxID: t3.ID(), BlockHash: b3.Hash(), Height: 3}) // true, out of order

	a := newAuditorOn(t, fake, log, c, p)
	require.NoError(t, a.Restore(context.Background()))
	require.NoError(t, a.Tick(context.Background()))

	verified, dropped := auditFates(t, log)
	assert.Empty(t, dropped)
	assert.Equal(t, []blockchain.Hash{b2.Hash()}, verified[t2.ID()], "block 2's transfer is verified")
	assert.Equal(t, audit.Report{Submitted: 3, Included: 3}, a.Report())
}

// TestOutOfOrderEventWhileRunning: a running auditor believes a true
// TransactionVerified for block 3 before it has read block 2's transfer
// from the transactions stream (its submission lands between the two
// reads of a catch-up). It must still verify block 2's transfer, though
// the state at the highest verified block has its nonce used.
func TestOutOfOrderEventWhileRunning(t *testing.T) {
	ctx := context.Background()
	c, log, fake := newRig(t)
	a := newAuditorOn(t, fake, log, c, policy(time.Second, 10*time.Second, 3))
	t1, t2, t3 := consensustest.Transfer("alice", "bob", 5, 0), consensustest.Transfer("bob", "carol", 6, 0), consensustest.Transfer("carol", "dave", 7, 0)
	put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: t1})
	fake.mine(t, t1)
	require.NoError(t, a.Tick(ctx)) // folded block 1, next = 2
	b2 := fake.mine(t, t2)
	b3 := fake.mine(t, t3)
	put(t, log, node.StreamAudit, events.TransactionVerified{TxID: t3.ID(), BlockHash: b3.Hash(), Height: 3})
	require.NoError(t, a.Restore(ctx)) // a catch-up, as recordInclusions' would be
	put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: t2})
	put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: t3})
	for _, at := range []time.Duration{0, 10 * time.Second, 60 * time.Second} {
		c.set(at)
		require.NoError(t, a.Tick(ctx))
	}
	verified, dropped := auditFates(t, log)
	assert.Empty(t, dropped)
	assert.Equal(t, []blockchain.Hash{b2.Hash()}, verified[t2.ID()], "t2 in block 2 must be verified")
	assert.Zero(t, a.Report().Dropped)
}

// TestForgedAttemptsDoNotSilenceRebroadcasts: forged rebroadcasts
// appended at once use up every attempt; the auditor still rebroadcasts
// at each MaxAge until the whole time has passed.
func TestForgedAttemptsDoNotSilenceRebroadcasts(t *testing.T) {
	ctx := context.Background()
	c, log, fake := newRig(t)
	a := newAuditorOn(t, fake, log, c, policy(time.Second, 10*time.Second, 3))
	tx := consensustest.Transfer("bob", "carol", 5, 0)
	put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: tx})
	for i := 1; i <= 3; i++ {
		put(t, log, node.StreamTransactions, events.TransactionRebroadcast{Tx: tx, Attempt: i})
	}
	for at := time.Duration(0); at <= 39*time.Second; at += time.Second {
		c.set(at)
		require.NoError(t, a.Tick(ctx))
	}
	recs, err := log.Read(ctx, node.StreamTransactions, eventlog.Start, eventlog.Forwards, 100)
	require.NoError(t, err)
	assert.Greater(t, len(recs), 4, "the auditor rebroadcasts on its own within 39 s (MaxAge 10 s)")
	assert.Zero(t, a.Report().Dropped, "and gives up only after (3+1)·10 s")
}

// TestRestartGivenUpIncludedOutOfOrder: a transfer given up on, then
// included in block 2 while the auditors were down, with a true
// TransactionVerified for block 3 out of order: the restarted auditor
// folds block 2 and verifies it.
func TestRestartGivenUpIncludedOutOfOrder(t *testing.T) {
	ctx := context.Background()
	c, log, fake := newRig(t)
	p := policy(time.Second, 10*time.Second, 0)
	t1, t2, t3 := submitThree(t, log)
	fake.mine(t, t1)
	first := newAuditorOn(t, fake, log, c, p)
	c.set(0)
	require.NoError(t, first.Tick(ctx))
	c.set(10 * time.Second)
	require.NoError(t, first.Tick(ctx)) // gives up t2 and t3
	b2 := fake.mine(t, t2)
	b3 := fake.mine(t, t3)
	put(t, log, node.StreamAudit, events.TransactionVerified{TxID: t3.ID(), BlockHash: b3.Hash(), Height: 3})
	a := newAuditorOn(t, fake, log, c, p)
	require.NoError(t, a.Restore(ctx))
	require.NoError(t, a.Tick(ctx))
	verified, _ := auditFates(t, log)
	assert.Equal(t, []blockchain.Hash{b2.Hash()}, verified[t2.ID()], "t2, included late in block 2, is verified")
	assert.Equal(t, audit.Report{Submitted: 3, Included: 3}, a.Report())
}

// TestOwnRebroadcastGetsItsMaxAge: after an outage that ends past the
// time the policy gives a transfer, the auditor rebroadcasts it, and
// then still waits a whole MaxAge before it gives up: a drop one tick
// after its own rebroadcast would give the transfer no chance.
func TestOwnRebroadcastGetsItsMaxAge(t *testing.T) {
	c, log, fake := newRig(t)
	a := newAuditorOn(t, fake, log, c, policy(time.Second, 10*time.Second, 3))
	stranded := consensustest.Transfer("bob", "carol", 5, 0)
	put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: stranded})
	ticks := []time.Duration{0, time.Second}
	for at := 35 * time.Second; at <= 90*time.Second; at += time.Second { // nothing from 1 s to 35 s
		ticks = append(ticks, at)
	}
	var droppedAt, lastRebroadcast time.Duration
	for _, at := range ticks {
		c.set(at)
		before := a.Report()
		require.NoError(t, a.Tick(context.Background()))
		after := a.Report()
		if after.Rebroadcasts > before.Rebroadcasts {
			lastRebroadcast = at
		}
		if after.Dropped > before.Dropped && droppedAt == 0 {
			droppedAt = at
		}
	}
	require.NotZero(t, droppedAt, "given up in the end")
	assert.GreaterOrEqual(t, droppedAt-lastRebroadcast, 10*time.Second, "a whole MaxAge after its own last rebroadcast (at %v), dropped at %v", lastRebroadcast, droppedAt)
}

// TestNothingAppendedToAWipedLog: an auditor whose log was wiped under
// it (and perhaps written again: another chain's first transaction)
// appended its rebroadcasts and drops of the old chain's transactions
// into it, where a new chain then started. It checks first that the log
// still holds the last transaction event it read, and stops with
// node.ErrLogWentBack, having appended nothing.
func TestNothingAppendedToAWipedLog(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func(t *testing.T, fresh eventlog.Log) // what the fresh log holds
	}{
		{"empty", func(*testing.T, eventlog.Log) {}},
		{"another chain's transaction", func(t *testing.T, fresh eventlog.Log) {
			put(t, fresh, node.StreamTransactions, events.TransactionSubmitted{Tx: consensustest.Transfer("dave", "erin", 1, 0)})
		}},
		// More events than the auditor read: the catch-up would read on
		// from the third and take it for this chain's, and its check of
		// the chain drop the unfunded sender's.
		{"more of another chain's transactions than were read", func(t *testing.T, fresh eventlog.Log) {
			put(t, fresh, node.StreamTransactions, events.TransactionSubmitted{Tx: consensustest.Transfer("dave", "erin", 1, 0)})
			put(t, fresh, node.StreamTransactions, events.TransactionSubmitted{Tx: consensustest.Transfer("nobody", "erin", 1, 0)})
			put(t, fresh, node.StreamTransactions, events.TransactionSubmitted{Tx: consensustest.Transfer("erin", "dave", 1, 0)})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mem, fake := newRig(t)
			log := eventlogtest.NewSwappable(mem)
			a := newAuditorOn(t, fake, log, c, policy(time.Second, 10*time.Second, 3))
			put(t, log, node.StreamTransactions, events.TransactionSubmitted{Tx: consensustest.Transfer("bob", "carol", 5, 0)})
			require.NoError(t, a.Tick(context.Background()))
			require.Equal(t, 1, a.Report().Pending)

			fresh := memlog.New(memlog.Config{Now: c.Now})
			t.Cleanup(func() { _ = fresh.Close() })
			tc.after(t, fresh)
			log.Swap(fresh)
			for _, at := range []time.Duration{0, 11 * time.Second, time.Hour} { // nothing due, a rebroadcast due, then a drop
				c.set(at)
				err := a.Tick(context.Background())
				assert.ErrorIs(t, err, node.ErrLogWentBack, "at %v", at)
			}
			recs, err := fresh.Read(context.Background(), node.StreamTransactions, eventlog.Start, eventlog.Forwards, 10)
			if err == nil {
				for _, r := range recs {
					assert.Equal(t, events.TypeTransactionSubmitted, r.Type, "nothing of the auditor's")
				}
			}
			_, err = fresh.Read(context.Background(), node.StreamAudit, eventlog.Start, eventlog.Forwards, 10)
			assert.ErrorIs(t, err, eventlog.ErrStreamNotFound, "no drop")
			assert.Zero(t, a.Report().Rebroadcasts)
		})
	}
}

// longestLine is a slog.Handler that keeps the length of the longest
// record it is given, message and attributes (with their keys) together.
type longestLine struct {
	mu      sync.Mutex
	longest int
	count   int
}

func (h *longestLine) Enabled(context.Context, slog.Level) bool { return true }

func (h *longestLine) Handle(_ context.Context, r slog.Record) error {
	n := len(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		n += len(a.Key) + len(a.Value.String())
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.longest, h.count = max(h.longest, n), h.count+1
	return nil
}

func (h *longestLine) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *longestLine) WithGroup(string) slog.Handler      { return h }

// TestLongEventTypesAreCut: whoever can append to the log chooses an
// event's type, as long as an append allows. An auditor restoring past
// such events, in the transactions and in the audit stream, says it
// skipped each in a line of its usual length: the type is cut, in the
// line and in the error it holds.
func TestLongEventTypesAreCut(t *testing.T) {
	c, log, fake := newRig(t)
	long := strings.Repeat("TransactionSubmitted", 15_000) // 300 000 bytes
	for _, stream := range []string{node.StreamTransactions, node.StreamAudit} {
		_, err := log.Append(context.Background(), stream, eventlog.Any, eventlog.Event{ID: uuid.New(), Type: long, Data: []byte(`{}`)})
		require.NoError(t, err)
	}
	lines := &longestLine{}
	a, err := audit.New(audit.Config{Node: fake, Log: log, Now: c.Now, Logger: slog.New(lines)})
	require.NoError(t, err)
	require.NoError(t, a.Restore(context.Background()))

	assert.GreaterOrEqual(t, lines.count, 2, "the auditor said what it skipped")
	assert.Less(t, lines.longest, 1000, "no line holds the type whole")
}
