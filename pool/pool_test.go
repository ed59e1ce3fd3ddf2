package pool_test

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/pool"
)

// What a node hands the pool as its Ledger.
var (
	_ pool.Ledger = (*blockchain.Chain)(nil)
	_ pool.Ledger = blockchain.ReadOnlyChain{}
)

// t0 is when every test starts, by its fake clock.
var t0 = time.Date(2026, time.January, 2, 3, 4, 5, 0, time.UTC)

// A fakeClock is a clock a test moves by hand. It is safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// A fakeLedger is a Ledger whose accounts a test sets by hand, even
// against the rules of a chain (a nonce that goes back). It is safe for
// concurrent use.
type fakeLedger struct {
	mu       sync.Mutex
	spec     blockchain.ChainSpec
	accounts map[blockchain.Address]blockchain.Account
}

func newFakeLedger() *fakeLedger {
	return &fakeLedger{spec: consensustest.Spec(), accounts: make(map[blockchain.Address]blockchain.Account)}
}

func (l *fakeLedger) Spec() blockchain.ChainSpec { return l.spec }

func (l *fakeLedger) Account(a blockchain.Address) blockchain.Account {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.accounts[a]
}

func (l *fakeLedger) Set(a blockchain.Address, acct blockchain.Account) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.accounts[a] = acct
}

// A testChain is a real chain of consensustest.Spec() and its engine.
type testChain struct {
	*blockchain.Chain
	engine *consensustest.Fake
}

func newChain() testChain {
	engine := consensustest.NewFaker()
	return testChain{consensustest.NewChain(engine), engine}
}

// mine generates one block on c, filled by gen, and returns it.
func (c testChain) mine(tb testing.TB, gen func(g *consensustest.BlockGen)) *blockchain.Block {
	tb.Helper()
	blocks, err := consensustest.GenerateChain(context.Background(), c.engine, c.Chain, 1, func(_ int, g *consensustest.BlockGen) {
		if gen != nil {
			gen(g)
		}
	})
	require.NoError(tb, err)
	return blocks[0]
}

// mineTxs generates one block on c holding txs.
func (c testChain) mineTxs(tb testing.TB, txs ...blockchain.Transaction) *blockchain.Block {
	tb.Helper()
	return c.mine(tb, func(g *consensustest.BlockGen) {
		for _, tx := range txs {
			g.AddTx(tx)
		}
	})
}

// tx is consensustest.TransferFee: a transfer between named test accounts.
func tx(from, to string, amount, fee int64, nonce uint64) blockchain.Transaction {
	return consensustest.TransferFee(from, to, amount, fee, nonce)
}

// testPolicy is small enough to fill in a test.
func testPolicy() pool.Policy {
	return pool.Policy{Capacity: 10, MaxTx: 3, MaxWait: 10 * time.Second}
}

// mustNew returns a pool with cfg, on clock if cfg has no clock and with
// testPolicy if cfg has no policy, failing the test if New fails.
func mustNew(tb testing.TB, clock *fakeClock, cfg pool.Config) *pool.Pool {
	tb.Helper()
	if cfg.Policy == (pool.Policy{}) {
		cfg.Policy = testPolicy()
	}
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	p, err := pool.New(cfg)
	require.NoError(tb, err)
	return p
}

// mustAdd adds txs, failing the test on the first error.
func mustAdd(tb testing.TB, p *pool.Pool, txs ...blockchain.Transaction) {
	tb.Helper()
	for _, tx := range txs {
		require.NoError(tb, p.Add(tx), "add %s", tx)
	}
}

// ids returns the IDs of txs, in order, and nil for none.
func ids(txs ...blockchain.Transaction) []uuid.UUID {
	if len(txs) == 0 {
		return nil
	}
	out := make([]uuid.UUID, len(txs))
	for i, tx := range txs {
		out[i] = tx.ID()
	}
	return out
}

// all returns every pending transaction, by the pool's order.
func all(p *pool.Pool) []blockchain.Transaction { return p.Candidates(p.Len()) }

// signWith signs f with key, whatever f says the sender is.
func signWith(key blockchain.PrivateKey, f blockchain.TxFields) blockchain.Transaction {
	sig := key.Sign(f.SignedMessage())
	return blockchain.NewTransaction(f, sig[:])
}

func TestAddRefusesBrokenRules(t *testing.T) {
	alice := consensustest.Key("alice")
	valid := tx("alice", "bob", 100, 1, 0).Fields()
	with := func(change func(*blockchain.TxFields)) blockchain.Transaction {
		f := valid
		change(&f)
		return signWith(alice, f)
	}
	forged := tx("alice", "bob", 100, 1, 0)
	sig := forged.Signature()
	sig[0] ^= 1
	tests := []struct {
		name string
		tx   blockchain.Transaction
		rule string               // the rule that must fail
		code blockchain.ErrorCode // with this code
	}{
		{"zero amount", with(func(f *blockchain.TxFields) { f.Amount = 0 }), "amount-positive", blockchain.ErrInvalidAmount},
		{"amount above MaxAmount", with(func(f *blockchain.TxFields) { f.Amount = blockchain.MaxAmount + 1 }), "amount-positive", blockchain.ErrInvalidAmount},
		{"negative fee", with(func(f *blockchain.TxFields) { f.Fee = -1 }), "fee-in-range", blockchain.ErrInvalidFee},
		{"no sender", with(func(f *blockchain.TxFields) { f.From = blockchain.Address{} }), "has-sender", blockchain.ErrMissingSender},
		{"no receiver", with(func(f *blockchain.TxFields) { f.To = blockchain.Address{} }), "has-receiver", blockchain.ErrMissingReceiver},
		{"to oneself", with(func(f *blockchain.TxFields) { f.To = alice.Address() }), "not-to-self", blockchain.ErrSelfTransfer},
		{"chain ID of the wrong form", with(func(f *blockchain.TxFields) { f.ChainID = "Not_A_Chain" }), "chain-id-form", blockchain.ErrBadChainID},
		{"sender is not the key", with(func(f *blockchain.TxFields) { f.From = consensustest.Addr("carol") }), "sender-is-key", blockchain.ErrSenderNotKey},
		{"bad signature", blockchain.NewTransaction(forged.Fields(), sig[:]), "signature", blockchain.ErrBadSignature},
	}

	// Every default rule has a case above, so a rule added to
	// blockchain.TxSanityRules is not admitted untested.
	tested := make(map[string]bool)
	for _, tt := range tests {
		tested[tt.rule] = true
	}
	for _, r := range pool.DefaultRules() {
		assert.True(t, tested[r.Name], "rule %q has no refusing case in this table", r.Name)
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, newClock(), pool.Config{Chain: newChain()})

			checkErr := p.Check(tt.tx)
			err := p.Add(tt.tx)

			for _, err := range []error{checkErr, err} {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.code)
				var re *blockchain.RuleError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tt.code, re.Code, "code: have %s, want %s", re.Code, tt.code)
				assert.Contains(t, err.Error(), "rule "+tt.rule+": ")
				assert.Contains(t, err.Error(), tt.tx.ID().String())
				assert.NotErrorIs(t, err, pool.ErrDuplicate)
				assert.NotErrorIs(t, err, pool.ErrFull)
			}
			assert.Zero(t, p.Len(), "a refused transaction is not pending")
			assert.False(t, p.Has(tt.tx.ID()))
		})
	}
}

func TestAdd(t *testing.T) {
	tests := []struct {
		name    string
		mined   []blockchain.Transaction // first in a block on the chain
		before  []blockchain.Transaction // then admitted
		add     blockchain.Transaction
		wantErr error  // nil: admitted; else a sentinel or a blockchain.ErrorCode
		text    string // the error says this too
	}{
		{
			name: "first transfer of a sender",
			add:  tx("alice", "bob", 100, 1, 0),
		},
		{
			name:   "nonce follows the pending ones",
			before: []blockchain.Transaction{tx("alice", "bob", 100, 1, 0), tx("alice", "carol", 100, 1, 1)},
			add:    tx("alice", "bob", 100, 1, 2),
		},
		{
			name:  "nonce follows the chain",
			mined: []blockchain.Transaction{tx("alice", "bob", 100, 1, 0), tx("alice", "bob", 100, 1, 1)},
			add:   tx("alice", "bob", 100, 1, 2),
		},
		{
			name:   "nonce follows the chain, then the pending ones",
			mined:  []blockchain.Transaction{tx("alice", "bob", 100, 1, 0)},
			before: []blockchain.Transaction{tx("alice", "bob", 100, 1, 1)},
			add:    tx("alice", "bob", 100, 1, 2),
		},
		{
			name:    "replay of a mined transfer",
			mined:   []blockchain.Transaction{tx("alice", "bob", 100, 1, 0)},
			add:     tx("alice", "bob", 100, 1, 0),
			wantErr: blockchain.ErrBadNonce,
			text:    "bad-nonce: have 0, want 1",
		},
		{
			name:    "gap with nothing pending",
			add:     tx("alice", "bob", 100, 1, 1),
			wantErr: blockchain.ErrBadNonce,
			text:    "bad-nonce: have 1, want 0",
		},
		{
			name:    "gap after the pending ones",
			before:  []blockchain.Transaction{tx("alice", "bob", 100, 1, 0)},
			add:     tx("alice", "bob", 100, 1, 2),
			wantErr: blockchain.ErrBadNonce,
			text:    "bad-nonce: have 2, want 1 (nonce 0 is pending)",
		},
		{
			name:    "another transfer for a pending nonce: the first stays",
			before:  []blockchain.Transaction{tx("alice", "bob", 100, 1, 0)},
			add:     tx("alice", "carol", 5, 50, 0),
			wantErr: blockchain.ErrBadNonce,
			text:    "bad-nonce: have 0, want 1 (nonce 0 is pending)",
		},
		{
			name:    "another transfer for a nonce among the pending ones",
			before:  []blockchain.Transaction{tx("alice", "bob", 100, 1, 0), tx("alice", "bob", 100, 1, 1), tx("alice", "bob", 100, 1, 2)},
			add:     tx("alice", "carol", 5, 50, 1),
			wantErr: blockchain.ErrBadNonce,
			text:    "bad-nonce: have 1, want 3 (nonces 0…2 are pending)",
		},
		{
			name:    "same transaction pending",
			before:  []blockchain.Transaction{tx("alice", "bob", 100, 1, 0)},
			add:     tx("alice", "bob", 100, 1, 0),
			wantErr: pool.ErrDuplicate,
		},
		{
			name: "the whole balance",
			add:  tx("alice", "bob", consensustest.Funds-10, 10, 0),
		},
		{
			name:    "one more than the balance",
			add:     tx("alice", "bob", consensustest.Funds-10, 11, 0),
			wantErr: blockchain.ErrInsufficientFunds,
			text:    "have 1000000 (balance 1000000 − pending 0), want ≥ 1000001 (amount 999990 + fee 11)",
		},
		{
			name:    "the pending spend counts",
			before:  []blockchain.Transaction{tx("alice", "bob", 600_000, 0, 0)},
			add:     tx("alice", "bob", 400_001, 0, 1),
			wantErr: blockchain.ErrInsufficientFunds,
			text:    "have 400000 (balance 1000000 − pending 600000), want ≥ 400001",
		},
		{
			name:   "the pending spend leaves just enough",
			before: []blockchain.Transaction{tx("alice", "bob", 600_000, 0, 0)},
			add:    tx("alice", "bob", 400_000, 0, 1),
		},
		{
			name:    "pending fees count",
			before:  []blockchain.Transaction{tx("alice", "bob", 600_000, 100, 0)},
			add:     tx("alice", "bob", 399_900, 1, 1),
			wantErr: blockchain.ErrInsufficientFunds,
			text:    "balance 1000000 − pending 600100",
		},
		{
			name:    "pending credits do not count",
			before:  []blockchain.Transaction{tx("alice", "bob", 500_000, 0, 0)},
			add:     tx("bob", "carol", consensustest.Funds+1, 0, 0),
			wantErr: blockchain.ErrInsufficientFunds,
			text:    "balance 1000000 − pending 0",
		},
		{
			name:    "the chain's balance counts, after its blocks",
			mined:   []blockchain.Transaction{tx("alice", "bob", 900_000, 0, 0)},
			add:     tx("alice", "bob", 100_001, 0, 1),
			wantErr: blockchain.ErrInsufficientFunds,
			text:    "balance 100000 − pending 0",
		},
		{
			name:    "an account without funds",
			add:     tx("nobody", "bob", 1, 0, 0),
			wantErr: blockchain.ErrInsufficientFunds,
			text:    "have 0 (balance 0 − pending 0)",
		},
		{
			name:    "signed for another chain",
			add:     blockchain.Transfer{ChainID: "another-chain", To: consensustest.Addr("bob"), Amount: 1}.Sign(consensustest.Key("alice")),
			wantErr: blockchain.ErrWrongChain,
			text:    `wrong-chain: have "another-chain", want "eventchain-test"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := newChain()
			if tt.mined != nil {
				chain.mineTxs(t, tt.mined...)
			}
			p := mustNew(t, newClock(), pool.Config{Chain: chain})
			mustAdd(t, p, tt.before...)

			checkErr := p.Check(tt.add)
			err := p.Add(tt.add)

			if tt.wantErr == nil {
				assert.NoError(t, checkErr, "Check")
				require.NoError(t, err, "Add")
				assert.True(t, p.Has(tt.add.ID()))
				got, ok := p.Get(tt.add.ID())
				require.True(t, ok)
				assert.Equal(t, tt.add.Hash(), got.Hash())
				assert.Equal(t, len(tt.before)+1, p.Len())
				return
			}
			for what, err := range map[string]error{"Check": checkErr, "Add": err} {
				require.ErrorIs(t, err, tt.wantErr, what)
				assert.ErrorContains(t, err, tt.add.ID().String(), what)
				assert.ErrorContains(t, err, tt.text, what)
				var re *blockchain.RuleError
				if code, isCode := tt.wantErr.(blockchain.ErrorCode); isCode {
					require.ErrorAs(t, err, &re, what)
					assert.Equal(t, code, re.Code, what)
				} else {
					assert.False(t, errors.As(err, &re), "%s: a pool error breaks no rule: have %v", what, re)
				}
			}
			assert.ErrorContains(t, checkErr, "pool: check tx ")
			assert.ErrorContains(t, err, "pool: add tx ")
			assert.Equal(t, ids(tt.before...), ids(all(p)...), "a refused transaction changes nothing")
		})
	}
}

func TestNextNonceAndPendingOf(t *testing.T) {
	chain := newChain()
	chain.mineTxs(t, tx("alice", "bob", 1, 0, 0))
	p := mustNew(t, newClock(), pool.Config{Chain: chain})
	alice := consensustest.Addr("alice")

	assert.Equal(t, uint64(1), p.NextNonce(alice), "the chain's nonce")
	assert.Nil(t, p.PendingOf(alice))
	a1, a2 := tx("alice", "bob", 1, 0, 1), tx("alice", "carol", 1, 0, 2)
	b0 := tx("bob", "alice", 1, 0, 0)
	mustAdd(t, p, a1, b0, a2)

	assert.Equal(t, uint64(3), p.NextNonce(alice), "the chain's nonce + 2 pending")
	assert.Equal(t, uint64(1), p.NextNonce(consensustest.Addr("bob")))
	assert.Equal(t, uint64(0), p.NextNonce(consensustest.Addr("nobody")))
	assert.Equal(t, ids(a1, a2), ids(p.PendingOf(alice)...))
	assert.Nil(t, p.PendingOf(consensustest.Addr("nobody")))

	got := p.PendingOf(alice)
	got[0] = b0
	assert.Equal(t, ids(a1, a2), ids(p.PendingOf(alice)...), "the slice returned is the caller's")
}

// Between the chain's Apply of a block and the pool's RemoveBlock, the
// block's transactions are still pending but the chain has them too: Add
// must count them neither as pending nonces nor as pending spend.
func TestAddBetweenApplyAndRemoveBlock(t *testing.T) {
	chain := newChain()
	p := mustNew(t, newClock(), pool.Config{Chain: chain})
	alice := consensustest.Addr("alice")
	a0, a1 := tx("alice", "bob", 400_000, 0, 0), tx("alice", "bob", 400_000, 0, 1)
	mustAdd(t, p, a0, a1)

	b := chain.mineTxs(t, p.Candidates(10)...) // applied; RemoveBlock not yet called
	require.Equal(t, uint64(2), chain.Account(alice).Nonce)

	assert.Equal(t, uint64(2), p.NextNonce(alice))
	a2 := tx("alice", "bob", 200_000, 0, 2) // what is left: 1 000 000 − 800 000
	require.NoError(t, p.Add(a2))
	assert.ErrorIs(t, p.Add(tx("alice", "bob", 1, 0, 3)), blockchain.ErrInsufficientFunds)

	removed, dropped := p.RemoveBlock(b)
	assert.Equal(t, 2, removed)
	assert.Empty(t, dropped)
	assert.Equal(t, ids(a2), ids(p.PendingOf(alice)...))
}

func TestNoChain(t *testing.T) {
	p := mustNew(t, newClock(), pool.Config{})
	alice := consensustest.Addr("alice")
	other := blockchain.Transfer{ChainID: "another-chain", To: consensustest.Addr("bob"), Amount: 1, Nonce: 7}.Sign(consensustest.Key("alice"))
	a5 := tx("alice", "bob", 1, 0, 5)
	a2 := tx("alice", "bob", 2, 0, 2)
	twin := tx("alice", "carol", 3, 0, 5)
	poor := tx("nobody", "bob", blockchain.MaxAmount, blockchain.MaxAmount, 0)

	require.NoError(t, p.Add(other), "any chain ID of a valid form")
	require.NoError(t, p.Add(a5), "any nonce")
	require.NoError(t, p.Add(a2), "an earlier nonce")
	require.NoError(t, p.Add(twin), "a second transfer for a nonce")
	require.NoError(t, p.Add(poor), "any amount")
	assert.ErrorIs(t, p.Add(a5), pool.ErrDuplicate)
	assert.ErrorIs(t, p.Add(tx("alice", "alice", 1, 0, 0)), blockchain.ErrSelfTransfer, "the rules still run")

	assert.Equal(t, ids(a2, a5, twin, other), ids(p.PendingOf(alice)...), "nonce order, twins in admission order")
	assert.Equal(t, uint64(8), p.NextNonce(alice), "after the last pending nonce")
	assert.Equal(t, uint64(0), p.NextNonce(consensustest.Addr("bob")))
	assert.Equal(t, ids(a2, a5, twin, other, poor), ids(all(p)...), "each sender in nonce order")

	b := blockchain.NewBlock(blockchain.NextHeader(consensustest.Genesis().Header(), []blockchain.Transaction{a2}, t0), []blockchain.Transaction{a2})
	removed, dropped := p.RemoveBlock(b)
	assert.Equal(t, 1, removed)
	assert.Nil(t, dropped, "without a chain nothing is dropped")
	assert.Equal(t, ids(a5, twin, other, poor), ids(all(p)...))
}

func TestCapacity(t *testing.T) {
	policy := testPolicy()
	policy.Capacity = 3
	p := mustNew(t, newClock(), pool.Config{Policy: policy, Chain: newChain()})
	a0, b0, c0 := tx("alice", "bob", 1, 0, 0), tx("bob", "carol", 1, 0, 0), tx("carol", "dave", 1, 0, 0)
	mustAdd(t, p, a0, b0, c0)

	err := p.Add(tx("dave", "erin", 1, 0, 0))
	require.ErrorIs(t, err, pool.ErrFull)
	assert.ErrorContains(t, err, "have 3 pending, capacity 3")
	assert.ErrorIs(t, p.Check(tx("dave", "erin", 1, 0, 0)), pool.ErrFull)
	assert.ErrorIs(t, p.Add(b0), pool.ErrDuplicate, "a full pool still says what it knows")
	assert.ErrorIs(t, p.Add(tx("alice", "bob", 1, 0, 5)), blockchain.ErrBadNonce, "and what is wrong")
	assert.Equal(t, 3, p.Len())

	require.Equal(t, 1, p.Remove(b0.ID()))
	d0 := tx("dave", "erin", 1, 0, 0)
	require.NoError(t, p.Add(d0), "removal makes room")
	assert.Equal(t, ids(a0, c0, d0), ids(all(p)...))
	assert.ErrorIs(t, p.Add(tx("erin", "frank", 1, 0, 0)), pool.ErrFull)
}

// The transactions of TestCandidates, admitted in this order.
var (
	candA0 = tx("alice", "bob", 10, 1, 0)
	candB0 = tx("bob", "carol", 10, 5, 0)
	candA1 = tx("alice", "bob", 10, 10, 1)
	candC0 = tx("carol", "dave", 10, 5, 0)
	candB1 = tx("bob", "carol", 10, 0, 1)
)

func TestCandidates(t *testing.T) {
	tests := []struct {
		order pool.Order
		limit int
		want  []blockchain.Transaction
	}{
		{pool.FIFO, -1, nil},
		{pool.FIFO, 0, nil},
		{pool.FIFO, 2, []blockchain.Transaction{candA0, candB0}},
		{pool.FIFO, 100, []blockchain.Transaction{candA0, candB0, candA1, candC0, candB1}},
		// The highest fee first among the senders' heads: alice's fee of
		// 10 waits for her own fee of 1, and ties go oldest first.
		{pool.HighestFee, 0, nil},
		{pool.HighestFee, 1, []blockchain.Transaction{candB0}},
		{pool.HighestFee, 3, []blockchain.Transaction{candB0, candC0, candA0}},
		{pool.HighestFee, 100, []blockchain.Transaction{candB0, candC0, candA0, candA1, candB1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s limit %d", tt.order, tt.limit), func(t *testing.T) {
			policy := testPolicy()
			policy.Order = tt.order
			p := mustNew(t, newClock(), pool.Config{Policy: policy, Chain: newChain()})
			mustAdd(t, p, candA0, candB0, candA1, candC0, candB1)

			got := p.Candidates(tt.limit)

			assert.Equal(t, ids(tt.want...), ids(got...))
			assert.Equal(t, 5, p.Len(), "Candidates removes nothing")
			assert.Equal(t, ids(got...), ids(p.Candidates(tt.limit)...), "asking again gives the same answer")
			if len(got) > 0 {
				got[0] = candB1
				assert.Equal(t, tt.want[0].ID(), p.Candidates(tt.limit)[0].ID(), "the slice returned is the caller's")
			}
		})
	}
}

// Whatever the order, Candidates always lists transactions that apply on
// the chain in order: the chain's Propose leaves none out, block after
// block, until the pool is empty.
func TestCandidatesApplyInOrder(t *testing.T) {
	senders := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
	for _, order := range []pool.Order{pool.FIFO, pool.HighestFee} {
		t.Run(order.String(), func(t *testing.T) {
			chain := newChain()
			policy := pool.DefaultPolicy()
			policy.MaxTx = 7
			policy.Order = order
			p := mustNew(t, newClock(), pool.Config{Policy: policy, Chain: chain})
			rng := rand.New(rand.NewPCG(1, 2))
			admitted := 0
			for range 60 { // senders in random turns, random fees and receivers
				from := senders[rng.IntN(len(senders))]
				to := senders[rng.IntN(len(senders))]
				if to == from {
					continue
				}
				mustAdd(t, p, tx(from, to, 1+rng.Int64N(10_000), rng.Int64N(20), p.NextNonce(consensustest.Addr(from))))
				admitted++
			}

			mined := 0
			for p.Len() > 0 {
				txs := p.Candidates(policy.MaxTx)
				require.NotEmpty(t, txs)
				last := make(map[blockchain.Address]uint64)
				for _, tx := range txs {
					if n, ok := last[tx.From()]; ok {
						assert.Equal(t, n+1, tx.Nonce(), "a sender's transactions in nonce order")
					}
					last[tx.From()] = tx.Nonce()
				}
				b, rejected, err := chain.Propose(consensustest.Addr("miner"), txs, chain.Tip().Timestamp.Add(time.Second))
				require.NoError(t, err)
				require.Empty(t, rejected, "Propose left candidates out")
				sealed, err := chain.engine.Seal(context.Background(), b)
				require.NoError(t, err)
				require.NoError(t, chain.Apply(sealed))

				removed, dropped := p.RemoveBlock(sealed)

				assert.Equal(t, len(txs), removed)
				assert.Empty(t, dropped)
				mined += removed
			}
			assert.Equal(t, admitted, mined)
		})
	}
}

// A Dropped as a test expects it.
type drop struct {
	tx   blockchain.Transaction
	code blockchain.ErrorCode
	text string
}

func TestRemoveBlock(t *testing.T) {
	// Alice's pending transfers, and others: a conflicting transfer is
	// one of hers for the same nonce, included by someone else.
	a0, a1, a2 := tx("alice", "bob", 100, 1, 0), tx("alice", "bob", 200, 1, 1), tx("alice", "bob", 300, 1, 2)
	b0 := tx("bob", "carol", 100, 0, 0)
	tests := []struct {
		name    string
		pending []blockchain.Transaction
		block   []blockchain.Transaction // mined in one block, then removed
		removed int
		dropped []drop
		rest    []blockchain.Transaction // by FIFO
	}{
		{
			name:    "empty block",
			pending: []blockchain.Transaction{a0, a1, b0},
			rest:    []blockchain.Transaction{a0, a1, b0},
		},
		{
			name:    "our transactions",
			pending: []blockchain.Transaction{a0, a1, b0},
			block:   []blockchain.Transaction{a0, b0},
			removed: 2,
			rest:    []blockchain.Transaction{a1},
		},
		{
			name:    "the front of a sender's queue",
			pending: []blockchain.Transaction{a0, a1, a2},
			block:   []blockchain.Transaction{a0},
			removed: 1,
			rest:    []blockchain.Transaction{a1, a2},
		},
		{
			name:    "another sender's block",
			pending: []blockchain.Transaction{a0, a1},
			block:   []blockchain.Transaction{tx("carol", "alice", 999_999, 1, 0)},
			rest:    []blockchain.Transaction{a0, a1},
		},
		{
			name:    "another transfer took the nonce",
			pending: []blockchain.Transaction{a0, a1, a2},
			block:   []blockchain.Transaction{tx("alice", "carol", 7, 0, 0)},
			dropped: []drop{{a0, blockchain.ErrBadNonce, "bad-nonce: have 0, want 1"}},
			rest:    []blockchain.Transaction{a1, a2},
		},
		{
			name:    "another transfer took the nonce, ours took the next",
			pending: []blockchain.Transaction{a0, a1, a2},
			block:   []blockchain.Transaction{tx("alice", "carol", 7, 0, 0), a1},
			removed: 1,
			dropped: []drop{{a0, blockchain.ErrBadNonce, "bad-nonce: have 0, want 2"}},
			rest:    []blockchain.Transaction{a2},
		},
		{
			name: "the block spent the funds",
			pending: []blockchain.Transaction{
				tx("alice", "bob", 600_000, 0, 0), tx("alice", "bob", 300_000, 0, 1), tx("alice", "bob", 1, 0, 2), b0,
			},
			block: []blockchain.Transaction{tx("alice", "carol", 900_000, 0, 0)},
			dropped: []drop{
				{tx("alice", "bob", 600_000, 0, 0), blockchain.ErrBadNonce, "bad-nonce: have 0, want 1"},
				{tx("alice", "bob", 300_000, 0, 1), blockchain.ErrInsufficientFunds, "insufficient-funds: have 100000 (balance 100000 − pending 0), want ≥ 300000 (amount 300000 + fee 0)"},
				{tx("alice", "bob", 1, 0, 2), blockchain.ErrBadNonce, "bad-nonce: have 2, want 1"},
			},
			rest: []blockchain.Transaction{b0},
		},
		{
			name: "the block spent the funds of a later transfer",
			pending: []blockchain.Transaction{
				tx("alice", "bob", 600_000, 0, 0), tx("alice", "bob", 60_000, 0, 1), tx("alice", "bob", 50_000, 0, 2),
			},
			block: []blockchain.Transaction{tx("alice", "carol", 900_000, 0, 0)},
			dropped: []drop{
				{tx("alice", "bob", 600_000, 0, 0), blockchain.ErrBadNonce, "bad-nonce: have 0, want 1"},
				{tx("alice", "bob", 50_000, 0, 2), blockchain.ErrInsufficientFunds, "have 40000 (balance 100000 − pending 60000), want ≥ 50000"},
			},
			rest: []blockchain.Transaction{tx("alice", "bob", 60_000, 0, 1)},
		},
		{
			name:    "several senders, in the order the block names them",
			pending: []blockchain.Transaction{a0, b0},
			block:   []blockchain.Transaction{tx("bob", "dave", 1, 0, 0), tx("alice", "dave", 1, 0, 0)},
			dropped: []drop{
				{b0, blockchain.ErrBadNonce, "bad-nonce: have 0, want 1"},
				{a0, blockchain.ErrBadNonce, "bad-nonce: have 0, want 1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := newChain()
			p := mustNew(t, newClock(), pool.Config{Chain: chain})
			mustAdd(t, p, tt.pending...)
			b := chain.mineTxs(t, tt.block...)

			removed, dropped := p.RemoveBlock(b)

			assert.Equal(t, tt.removed, removed, "removed")
			require.Len(t, dropped, len(tt.dropped), "dropped: %v", dropped)
			for i, want := range tt.dropped {
				d := dropped[i]
				assert.Equal(t, want.tx.ID(), d.Tx.ID(), "dropped[%d]", i)
				var re *blockchain.RuleError
				require.ErrorAs(t, d.Err, &re, "dropped[%d]", i)
				assert.Equal(t, want.code, re.Code, "dropped[%d]: %v", i, d.Err)
				assert.ErrorContains(t, d.Err, want.text, "dropped[%d]", i)
				assert.ErrorContains(t, d.Err, d.Tx.ID().String(), "dropped[%d]", i)
				assert.False(t, p.Has(d.Tx.ID()), "dropped[%d] still pending", i)
			}
			assert.Equal(t, ids(tt.rest...), ids(all(p)...), "pending after")
			assert.Equal(t, len(tt.rest), p.Len())
			rest := p.Candidates(p.Len())
			if len(rest) > 0 { // what is left applies on the new state
				_, rejected, err := chain.Propose(consensustest.Addr("miner"), rest, chain.Tip().Timestamp.Add(time.Second))
				require.NoError(t, err)
				assert.Empty(t, rejected)
			}
		})
	}
}

func TestRemoveNilBlock(t *testing.T) {
	p := mustNew(t, newClock(), pool.Config{Chain: newChain()})
	mustAdd(t, p, candA0)

	removed, dropped := p.RemoveBlock(nil)

	assert.Zero(t, removed)
	assert.Nil(t, dropped)
	assert.Equal(t, 1, p.Len())
}

// A ledger whose nonce goes back (a chain restored from an older state,
// say) leaves a gap in front of a queue: RemoveBlock drops the whole
// queue rather than offer transactions that cannot apply.
func TestRemoveBlockDropsAfterAGap(t *testing.T) {
	ledger := newFakeLedger()
	alice := consensustest.Addr("alice")
	ledger.Set(alice, blockchain.Account{Balance: 1000, Nonce: 4})
	p := mustNew(t, newClock(), pool.Config{Chain: ledger})
	a4, a5 := tx("alice", "bob", 1, 0, 4), tx("alice", "bob", 1, 0, 5)
	mustAdd(t, p, a4, a5)
	ledger.Set(alice, blockchain.Account{Balance: 1000, Nonce: 2})
	b := blockchain.NewBlock(blockchain.Header{}, []blockchain.Transaction{tx("alice", "carol", 1, 0, 1)})

	removed, dropped := p.RemoveBlock(b)

	assert.Zero(t, removed)
	require.Len(t, dropped, 2)
	for i, want := range []blockchain.Transaction{a4, a5} {
		assert.Equal(t, want.ID(), dropped[i].Tx.ID())
		assert.ErrorIs(t, dropped[i].Err, blockchain.ErrBadNonce)
		assert.ErrorContains(t, dropped[i].Err, fmt.Sprintf("have %d, want 2", want.Nonce()))
	}
	assert.Zero(t, p.Len())
	assert.Equal(t, uint64(2), p.NextNonce(alice))
}

func TestRemove(t *testing.T) {
	a0, a1, a2 := tx("alice", "bob", 1, 0, 0), tx("alice", "bob", 1, 0, 1), tx("alice", "bob", 1, 0, 2)
	b0 := tx("bob", "alice", 1, 0, 0)
	tests := []struct {
		name   string
		remove []blockchain.Transaction
		want   int
		rest   []blockchain.Transaction
	}{
		{"nothing", nil, 0, []blockchain.Transaction{a0, b0, a1, a2}},
		{"a sender's last", []blockchain.Transaction{a2}, 1, []blockchain.Transaction{a0, b0, a1}},
		{"a sender's middle: the later ones go too", []blockchain.Transaction{a1}, 2, []blockchain.Transaction{a0, b0}},
		{"a sender's first: the whole queue", []blockchain.Transaction{a0}, 3, []blockchain.Transaction{b0}},
		{"a later one named too counts once", []blockchain.Transaction{a1, a2}, 2, []blockchain.Transaction{a0, b0}},
		{"a later one named first", []blockchain.Transaction{a2, a1}, 2, []blockchain.Transaction{a0, b0}},
		{"unknown IDs are ignored", []blockchain.Transaction{b0, tx("carol", "bob", 1, 0, 0)}, 1, []blockchain.Transaction{a0, a1, a2}},
		{"an ID twice counts once", []blockchain.Transaction{b0, b0}, 1, []blockchain.Transaction{a0, a1, a2}},
		{"everything", []blockchain.Transaction{b0, a0}, 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, newClock(), pool.Config{Chain: newChain()})
			mustAdd(t, p, a0, b0, a1, a2)

			assert.Equal(t, tt.want, p.Remove(ids(tt.remove...)...))

			assert.Equal(t, ids(tt.rest...), ids(all(p)...))
			assert.Equal(t, len(tt.rest), p.Len())
			for _, tx := range tt.remove {
				assert.False(t, p.Has(tx.ID()), "%s still pending", tx)
				_, ok := p.Get(tx.ID())
				assert.False(t, ok)
			}
			// The queue is whole again: the sender's next nonce is
			// accepted, and nothing else.
			alice := consensustest.Addr("alice")
			next := p.NextNonce(alice)
			assert.Equal(t, uint64(len(p.PendingOf(alice))), next)
			assert.NoError(t, p.Add(tx("alice", "carol", 5, 0, next)))
		})
	}
}

func TestReadyAndDue(t *testing.T) {
	// Policy: MaxTx 3, MaxWait 10s. Each transaction comes from another
	// sender, so removing one removes only it.
	tests := []struct {
		name      string
		maxWait   time.Duration   // Policy.MaxWait; 0 here means 10s
		adds      []time.Duration // admit one transaction at each t0+d
		remove    int             // then remove this many of the oldest
		at        time.Duration   // ask at t0+at
		wantReady bool
		wantDue   time.Duration // t0+wantDue; ignored if !wantDueOK
		wantDueOK bool
	}{
		{name: "empty pool", at: time.Hour},
		{name: "one, before MaxWait", adds: ds(0), at: 10*time.Second - time.Millisecond, wantDue: 10 * time.Second, wantDueOK: true},
		{name: "one, at MaxWait", adds: ds(0), at: 10 * time.Second, wantReady: true, wantDue: 10 * time.Second, wantDueOK: true},
		{name: "one, long after MaxWait", adds: ds(0), at: time.Hour, wantReady: true, wantDue: 10 * time.Second, wantDueOK: true},
		{name: "MaxWait counts from the oldest", adds: ds(0, 5*time.Second), at: 10 * time.Second, wantReady: true, wantDue: 10 * time.Second, wantDueOK: true},
		{name: "below MaxTx", adds: ds(0, time.Second), at: 2 * time.Second, wantDue: 10 * time.Second, wantDueOK: true},
		{name: "at MaxTx", adds: ds(0, time.Second, 2*time.Second), at: 2 * time.Second, wantReady: true, wantDue: 2 * time.Second, wantDueOK: true},
		{name: "above MaxTx", adds: ds(0, time.Second, 2*time.Second, 3*time.Second), at: 3 * time.Second, wantReady: true, wantDue: 2 * time.Second, wantDueOK: true},
		{name: "oldest removed: the next oldest counts", adds: ds(0, 4*time.Second), remove: 1, at: 10 * time.Second, wantDue: 14 * time.Second, wantDueOK: true},
		{name: "back below MaxTx after a block", adds: ds(0, 1*time.Second, 2*time.Second), remove: 2, at: 3 * time.Second, wantDue: 12 * time.Second, wantDueOK: true},
		{name: "all removed", adds: ds(0, time.Second), remove: 2, at: time.Hour},
		{name: "MaxWait 1ns: due almost at once", maxWait: time.Nanosecond, adds: ds(0), at: time.Nanosecond, wantReady: true, wantDue: time.Nanosecond, wantDueOK: true},
	}
	senders := []string{"alice", "bob", "carol", "dave"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			policy := testPolicy()
			if tt.maxWait != 0 {
				policy.MaxWait = tt.maxWait
			}
			p := mustNew(t, clock, pool.Config{Policy: policy, Chain: newChain()})
			var added []blockchain.Transaction
			for i, d := range tt.adds {
				clock.Set(t0.Add(d))
				next := tx(senders[i], "erin", 1, 0, 0)
				mustAdd(t, p, next)
				added = append(added, next)
			}
			require.Equal(t, tt.remove, p.Remove(ids(added[:tt.remove]...)...))
			clock.Set(t0.Add(tt.at))

			due, ok := p.Due()

			assert.Equal(t, tt.wantReady, p.Ready(), "Ready")
			require.Equal(t, tt.wantDueOK, ok, "Due ok")
			if ok {
				assert.Equal(t, t0.Add(tt.wantDue), due, "Due: have t0+%v, want t0+%v", due.Sub(t0), tt.wantDue)
				assert.Equal(t, p.Ready(), !due.After(clock.Now()), "Ready agrees with Due")
			} else {
				assert.True(t, due.IsZero())
			}
		})
	}
}

// ds lists durations.
func ds(d ...time.Duration) []time.Duration { return d }

func TestDueAfterRemoveBlock(t *testing.T) {
	clock := newClock()
	chain := newChain()
	p := mustNew(t, clock, pool.Config{Chain: chain})
	a0 := tx("alice", "bob", 1, 0, 0)
	mustAdd(t, p, a0)
	clock.Advance(4 * time.Second)
	b0 := tx("bob", "alice", 1, 0, 0)
	mustAdd(t, p, b0)

	p.RemoveBlock(chain.mineTxs(t, a0))

	due, ok := p.Due()
	require.True(t, ok)
	assert.Equal(t, t0.Add(14*time.Second), due, "the oldest left decides")
}

func TestMaxWaitZero(t *testing.T) {
	clock := newClock()
	policy := testPolicy()
	policy.MaxWait = 0
	p := mustNew(t, clock, pool.Config{Policy: policy})
	require.False(t, p.Ready())

	mustAdd(t, p, candA0)

	assert.True(t, p.Ready(), "with MaxWait 0 one pending transaction is enough")
	due, ok := p.Due()
	require.True(t, ok)
	assert.Equal(t, t0, due)
}

// Senders add their transfers, a miner mines blocks from the candidates
// and removes them, readers ask everything, all at once: no candidate is
// ever refused by the chain, nothing is dropped, and every admitted
// transfer ends up in the chain exactly once.
func TestConcurrentUse(t *testing.T) {
	const perSender = 60
	senders := []string{"alice", "bob", "carol", "dave"}
	chain := newChain()
	clock := newClock()
	policy := testPolicy()
	policy.Capacity = 25 // the senders fill it and wait for blocks
	policy.MaxTx = 8
	policy.Order = pool.HighestFee
	p := mustNew(t, clock, pool.Config{Policy: policy, Chain: chain})

	admitted := make([]int, len(senders))
	minerStopped := make(chan struct{})
	var senderWG, othersWG sync.WaitGroup
	for i, name := range senders {
		senderWG.Go(func() {
			addr := consensustest.Addr(name)
			for n := 0; admitted[i] < perSender; n++ {
				err := p.Add(tx(name, "erin", 1, int64(n%5), p.NextNonce(addr)))
				switch {
				case err == nil:
					admitted[i]++
				case errors.Is(err, pool.ErrFull):
					select { // wait for the miner to make room
					case <-minerStopped:
						assert.Fail(t, "the miner stopped", "%s", name)
						return
					default:
						runtime.Gosched()
					}
				default:
					assert.NoError(t, err, "%s", name)
					return
				}
			}
		})
	}
	sendersDone := make(chan struct{})
	go func() {
		senderWG.Wait()
		close(sendersDone)
	}()

	othersWG.Go(func() { // the miner
		defer close(minerStopped)
		for {
			txs := p.Candidates(policy.MaxTx)
			if len(txs) == 0 {
				select {
				case <-sendersDone:
					if p.Len() == 0 {
						return
					}
				default:
					runtime.Gosched()
				}
				continue
			}
			b, rejected, err := chain.Propose(consensustest.Addr("miner"), txs, chain.Tip().Timestamp.Add(time.Second))
			if !assert.NoError(t, err) || !assert.Empty(t, rejected, "Propose left candidates out") {
				return
			}
			sealed, err := chain.engine.Seal(context.Background(), b)
			if !assert.NoError(t, err) || !assert.NoError(t, chain.Apply(sealed)) {
				return
			}
			removed, dropped := p.RemoveBlock(sealed)
			assert.Equal(t, len(txs), removed)
			assert.Empty(t, dropped)
		}
	})
	othersWG.Go(func() { // readers and the clock
		for {
			select {
			case <-sendersDone:
				return
			default:
			}
			clock.Advance(time.Second)
			p.Len()
			p.Ready()
			p.Due()
			for _, tx := range p.PendingOf(consensustest.Addr("alice")) {
				p.Has(tx.ID())
				p.Get(tx.ID())
				// Pending, or mined since PendingOf answered.
				err := p.Check(tx)
				assert.True(t, errors.Is(err, pool.ErrDuplicate) || errors.Is(err, blockchain.ErrBadNonce), "Check: %v", err)
			}
		}
	})
	othersWG.Wait()

	for i, name := range senders {
		assert.Equal(t, perSender, admitted[i], "%s admitted", name)
		assert.Equal(t, uint64(perSender), chain.Account(consensustest.Addr(name)).Nonce, "%s's transfers in the chain", name)
	}
	assert.Equal(t, int64(consensustest.Funds+len(senders)*perSender), chain.Account(consensustest.Addr("erin")).Balance)
	assert.Zero(t, p.Len())
}

func TestNewRejectsBadConfig(t *testing.T) {
	with := func(change func(*pool.Policy)) pool.Policy {
		p := pool.DefaultPolicy()
		change(&p)
		return p
	}
	check := func(blockchain.Transaction) error { return nil }
	noID := newFakeLedger()
	noID.spec = blockchain.ChainSpec{}
	tests := []struct {
		name  string
		cfg   pool.Config
		field string // named in the error
	}{
		{"negative capacity", pool.Config{Policy: with(func(p *pool.Policy) { p.Capacity = -1 })}, "Policy.Capacity"},
		{"zero capacity", pool.Config{Policy: with(func(p *pool.Policy) { p.Capacity = 0 })}, "Policy.Capacity"},
		{"zero MaxTx", pool.Config{Policy: with(func(p *pool.Policy) { p.MaxTx = 0 })}, "Policy.MaxTx"},
		{"negative MaxTx", pool.Config{Policy: with(func(p *pool.Policy) { p.MaxTx = -3 })}, "Policy.MaxTx"},
		{"MaxTx above capacity", pool.Config{Policy: with(func(p *pool.Policy) { p.Capacity, p.MaxTx = 10, 11 })}, "Policy.MaxTx"},
		{"MaxTx above the block limit", pool.Config{Policy: with(func(p *pool.Policy) {
			p.Capacity, p.MaxTx = 2*blockchain.MaxBlockTransactions, blockchain.MaxBlockTransactions+1
		})}, "Policy.MaxTx"},
		{"negative MaxWait", pool.Config{Policy: with(func(p *pool.Policy) { p.MaxWait = -time.Second })}, "Policy.MaxWait"},
		{"unknown order", pool.Config{Policy: with(func(p *pool.Policy) { p.Order = 7 })}, "Policy.Order: have 7"},
		{"partial policy", pool.Config{Policy: pool.Policy{Order: pool.HighestFee}}, "Policy.Capacity"},
		{"rule without a name", pool.Config{Rules: []blockchain.TxRule{{Name: "ok", Check: check}, {Check: check}}}, "Rules[1]"},
		{"rule without a check", pool.Config{Rules: []blockchain.TxRule{{Name: "lazy"}}}, "Rules[0] (lazy)"},
		{"chain without a chain ID", pool.Config{Chain: noID}, "Chain"},
		{"a nil *Chain, NewChain's error dropped", pool.Config{Chain: (*blockchain.Chain)(nil)}, "Config.Chain is a nil"},
		{"a zero ReadOnlyChain", pool.Config{Chain: blockchain.ReadOnlyChain{}}, "Config.Chain is a zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := pool.New(tt.cfg)

			assert.Nil(t, p)
			require.ErrorIs(t, err, pool.ErrInvalidConfig)
			assert.ErrorContains(t, err, tt.field)
		})
	}
}

func TestNewAcceptsGoodConfig(t *testing.T) {
	fee := pool.DefaultPolicy()
	fee.Order = pool.HighestFee
	tests := []struct {
		name string
		cfg  pool.Config
		want pool.Policy
	}{
		{"zero config: the defaults", pool.Config{}, pool.DefaultPolicy()},
		{"MaxTx equal to capacity", pool.Config{Policy: pool.Policy{Capacity: 5, MaxTx: 5}}, pool.Policy{Capacity: 5, MaxTx: 5}},
		{"custom policy", pool.Config{Policy: testPolicy()}, testPolicy()},
		{"highest fee first", pool.Config{Policy: fee}, fee},
		{"no rules at all", pool.Config{Rules: []blockchain.TxRule{}}, pool.DefaultPolicy()},
		{"a chain", pool.Config{Chain: newChain()}, pool.DefaultPolicy()},
		{"a read-only chain", pool.Config{Chain: newChain().ReadOnly()}, pool.DefaultPolicy()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := pool.New(tt.cfg)

			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Policy())
			assert.Zero(t, p.Len())
		})
	}
}

func TestCustomRules(t *testing.T) {
	small := blockchain.TxRule{Name: "at-most-1000", Check: func(tx blockchain.Transaction) error {
		if tx.Amount() > 1000 {
			return &blockchain.RuleError{Code: blockchain.ErrInvalidAmount, Have: fmt.Sprint(tx.Amount()), Want: "at most 1000"}
		}
		return nil
	}}
	p := mustNew(t, newClock(), pool.Config{Chain: newChain(), Rules: append(pool.DefaultRules(), small)})

	err := p.Add(tx("alice", "bob", 1001, 0, 0))
	assert.ErrorIs(t, err, blockchain.ErrInvalidAmount)
	assert.ErrorContains(t, err, "rule at-most-1000: ")
	assert.ErrorIs(t, p.Add(tx("alice", "alice", 10, 0, 0)), blockchain.ErrSelfTransfer, "the default rules still run")
	assert.NoError(t, p.Add(tx("alice", "bob", 1000, 0, 0)))
}

func TestDefaultPolicy(t *testing.T) {
	p := pool.DefaultPolicy()

	assert.Equal(t, 20, p.MaxTx, "the original project's block size")
	assert.Positive(t, p.MaxWait, "a lone transaction must not be stranded")
	assert.GreaterOrEqual(t, p.Capacity, p.MaxTx)
	assert.Equal(t, pool.FIFO, p.Order, "the original project's order")
}

func TestDefaultRulesAreTheSanityRules(t *testing.T) {
	var want []string
	for _, r := range blockchain.TxSanityRules() {
		want = append(want, r.Name)
	}

	rules := pool.DefaultRules()

	var have []string
	for _, r := range rules {
		have = append(have, r.Name)
	}
	assert.Equal(t, want, have)
	rules[0] = blockchain.TxRule{Name: "changed"}
	assert.Equal(t, want[0], pool.DefaultRules()[0].Name, "the slice is new on every call")
}

func TestOrderText(t *testing.T) {
	tests := []struct {
		order pool.Order
		text  string
	}{
		{pool.FIFO, "fifo"},
		{pool.HighestFee, "fee"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			text, err := tt.order.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, tt.text, string(text))
			assert.Equal(t, tt.text, tt.order.String())

			var o pool.Order = 42
			require.NoError(t, o.UnmarshalText([]byte(tt.text)))
			assert.Equal(t, tt.order, o)
		})
	}

	for _, text := range []string{"", "FIFO", "Fee", "fees", " fee", "highest-fee", "1"} {
		t.Run(fmt.Sprintf("refuses %q", text), func(t *testing.T) {
			o := pool.HighestFee
			err := o.UnmarshalText([]byte(text))
			require.ErrorIs(t, err, pool.ErrInvalidConfig)
			assert.ErrorContains(t, err, fmt.Sprintf("have %q", text))
			assert.Equal(t, pool.HighestFee, o, "unchanged")
		})
	}

	_, err := pool.Order(5).MarshalText()
	assert.ErrorIs(t, err, pool.ErrInvalidConfig)
	assert.Equal(t, "Order(5)", pool.Order(5).String())
}

func TestOrderFlag(t *testing.T) {
	tests := []struct {
		args []string
		want pool.Order
		fail bool
	}{
		{args: nil, want: pool.FIFO},
		{args: []string{"-pool-order", "fee"}, want: pool.HighestFee},
		{args: []string{"-pool-order=fifo"}, want: pool.FIFO},
		{args: []string{"-pool-order", "cheapest"}, fail: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.args), func(t *testing.T) {
			fs := flag.NewFlagSet("app", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var order pool.Order
			fs.TextVar(&order, "pool-order", pool.FIFO, "candidate order: fifo or fee")

			err := fs.Parse(tt.args)

			if tt.fail {
				assert.ErrorContains(t, err, `have "cheapest", want "fifo" or "fee"`)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, order)
		})
	}
}

// Candidates walks a heap kept up to date through admissions and
// removals; a naive model that looks at every sender's first transaction
// each time must give the same answer, whatever happens to the pool.
// Without a chain, nonces arrive in any order, so a new transaction may
// become its sender's first.
func TestCandidatesMatchesNaiveModel(t *testing.T) {
	type admitted struct {
		tx  blockchain.Transaction
		seq int
	}
	// naive returns what Candidates(limit) must: the model's queues in
	// (nonce, admission) order, the best first transaction each time.
	naive := func(model []admitted, order pool.Order, limit int) []uuid.UUID {
		queues := make(map[blockchain.Address][]admitted)
		for _, a := range model {
			queues[a.tx.From()] = append(queues[a.tx.From()], a)
		}
		for from, q := range queues {
			slices.SortStableFunc(q, func(a, b admitted) int { return cmp.Compare(a.tx.Nonce(), b.tx.Nonce()) })
			queues[from] = q
		}
		var out []uuid.UUID
		for len(out) < limit {
			var best *admitted
			var bestFrom blockchain.Address
			for from, q := range queues {
				if len(q) == 0 {
					continue
				}
				h := &q[0]
				if best == nil ||
					(order == pool.HighestFee && h.tx.Fee() != best.tx.Fee() && h.tx.Fee() > best.tx.Fee()) ||
					((order == pool.FIFO || h.tx.Fee() == best.tx.Fee()) && h.seq < best.seq) {
					best, bestFrom = h, from
				}
			}
			if best == nil {
				break
			}
			out = append(out, best.tx.ID())
			queues[bestFrom] = queues[bestFrom][1:]
		}
		return out
	}
	// remove is Remove in the model: the transaction and its sender's
	// later ones, in (nonce, admission) order.
	remove := func(model []admitted, id uuid.UUID) []admitted {
		i := slices.IndexFunc(model, func(a admitted) bool { return a.tx.ID() == id })
		if i < 0 {
			return model
		}
		gone := model[i]
		return slices.DeleteFunc(model, func(a admitted) bool {
			return a.tx.From() == gone.tx.From() &&
				(a.tx.Nonce() > gone.tx.Nonce() || a.tx.Nonce() == gone.tx.Nonce() && a.seq >= gone.seq)
		})
	}

	senders := []string{"alice", "bob", "carol", "dave", "erin", "frank", "mallory"}
	for _, order := range []pool.Order{pool.FIFO, pool.HighestFee} {
		t.Run(order.String(), func(t *testing.T) {
			policy := pool.DefaultPolicy()
			policy.Order = order
			p := mustNew(t, newClock(), pool.Config{Policy: policy, Rules: []blockchain.TxRule{}})
			rng := rand.New(rand.NewPCG(3, 4))
			var model []admitted
			for step := range 2_000 {
				switch r := rng.IntN(10); {
				case r < 7 || len(model) == 0: // admit, unsigned: no rule checks it
					key := consensustest.Key(senders[rng.IntN(len(senders))])
					f := blockchain.TxFields{
						ChainID: consensustest.ChainID, From: key.Address(), To: consensustest.Addr("miner"),
						Amount: int64(step + 1), Fee: rng.Int64N(4), Nonce: rng.Uint64N(6), PublicKey: key.Public(),
					}
					tx := blockchain.NewTransaction(f, nil)
					require.NoError(t, p.Add(tx))
					model = append(model, admitted{tx, step})
				case r < 9: // remove one and its sender's later ones
					id := model[rng.IntN(len(model))].tx.ID()
					before := len(model)
					model = remove(model, id)
					require.Equal(t, before-len(model), p.Remove(id), "step %d: Remove", step)
				default: // a block with some of them
					var txs []blockchain.Transaction
					for range 1 + rng.IntN(3) {
						txs = append(txs, model[rng.IntN(len(model))].tx)
					}
					txs = slices.CompactFunc(txs, func(a, b blockchain.Transaction) bool { return a.ID() == b.ID() })
					removed, dropped := p.RemoveBlock(blockchain.NewBlock(blockchain.Header{}, txs))
					require.Empty(t, dropped)
					n := 0
					for _, tx := range txs {
						if i := slices.IndexFunc(model, func(a admitted) bool { return a.tx.ID() == tx.ID() }); i >= 0 {
							model = slices.Delete(model, i, i+1)
							n++
						}
					}
					require.Equal(t, n, removed, "step %d: RemoveBlock", step)
				}
				require.Equal(t, len(model), p.Len(), "step %d", step)
				for _, limit := range []int{1, 5, len(model)} {
					require.Equal(t, naive(model, order, limit), ids(p.Candidates(limit)...), "step %d: Candidates(%d)", step, limit)
				}
			}
		})
	}
}

// TestNoNonceFollowsTheLast: an account's nonces end below MaxUint64,
// which no transfer may use (the chain refuses it, see
// blockchain.StateBatch.Transfer): the pool refuses it, and whatever
// would follow.
func TestNoNonceFollowsTheLast(t *testing.T) {
	ledger := newFakeLedger()
	alice := consensustest.Addr("alice")
	ledger.Set(alice, blockchain.Account{Balance: 1000, Nonce: math.MaxUint64 - 2})
	p := mustNew(t, newClock(), pool.Config{Chain: ledger})
	mustAdd(t, p, tx("alice", "bob", 1, 0, math.MaxUint64-2))
	mustAdd(t, p, tx("alice", "bob", 1, 0, math.MaxUint64-1))
	for _, tc := range []struct {
		name string
		tx   blockchain.Transaction
	}{
		// No block could take it: the chain refuses nonce MaxUint64.
		{"the last nonce", tx("alice", "bob", 2, 0, math.MaxUint64)},
		{"one to someone else", tx("alice", "carol", 3, 0, math.MaxUint64)},
		{"a nonce that wrapped", tx("alice", "bob", 1, 0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Add(tc.tx)
			assert.ErrorIs(t, err, blockchain.ErrBadNonce)
			assert.ErrorContains(t, err, "the account has used up its nonces")
		})
	}
	assert.Len(t, p.PendingOf(alice), 2)
	assert.Equal(t, uint64(math.MaxUint64), p.NextNonce(alice))

	// An account whose chain nonce is the last has none to use at all.
	ledger.Set(consensustest.Addr("carol"), blockchain.Account{Balance: 1000, Nonce: math.MaxUint64})
	assert.ErrorIs(t, p.Add(tx("carol", "bob", 1, 0, math.MaxUint64)), blockchain.ErrBadNonce)
}

// TestMaxPerSender: one sender cannot fill the pool. At its bound, Check
// refuses its next transfer with ErrSenderFull while other senders'
// pass; once a block has taken some of its transfers, it may send
// again. Add, which takes what the log holds, is not bounded.
func TestMaxPerSender(t *testing.T) {
	c := newChain()
	policy := testPolicy()
	policy.MaxPerSender = 2
	p := mustNew(t, newClock(), pool.Config{Policy: policy, Chain: c})
	a0, a1, a2 := tx("alice", "bob", 1, 0, 0), tx("alice", "bob", 1, 0, 1), tx("alice", "bob", 1, 0, 2)
	mustAdd(t, p, a0, a1)
	for _, tc := range []struct {
		name string
		tx   blockchain.Transaction
		want error // nil: admitted
	}{
		{"alice's third", a2, pool.ErrSenderFull},
		{"bob's first", tx("bob", "alice", 1, 0, 0), nil},
		{"carol's first", tx("carol", "alice", 1, 0, 0), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, p.Check(tc.tx), tc.want)
		})
	}
	b := c.mineTxs(t, a0)
	p.RemoveBlock(b)
	assert.NoError(t, p.Check(a2), "a block took one of alice's: room for another")
	a3 := tx("alice", "bob", 1, 0, 3)
	mustAdd(t, p, a2)
	require.ErrorIs(t, p.Check(a3), pool.ErrSenderFull)
	assert.NoError(t, p.Add(a3), "Add takes what the log holds, past the bound")

	policy.MaxPerSender = -1
	_, err := pool.New(pool.Config{Policy: policy})
	assert.ErrorIs(t, err, pool.ErrInvalidConfig)
	assert.Equal(t, 100, pool.DefaultPolicy().MaxPerSender)
}

// TestZeroPool: a Pool New did not make refuses to admit anything, and
// says why, rather than calling itself full; it reads as empty.
func TestZeroPool(t *testing.T) {
	a0 := tx("alice", "bob", 1, 0, 0)
	for _, p := range []*pool.Pool{new(pool.Pool), nil} {
		assert.ErrorIs(t, p.Add(a0), pool.ErrNotMade)
		assert.ErrorIs(t, p.Check(a0), pool.ErrNotMade)
	}
	p := new(pool.Pool)
	assert.Zero(t, p.Len())
	assert.False(t, p.Ready(), "no cut is due")
	_, due := p.Due()
	assert.False(t, due)
	assert.Empty(t, p.Candidates(10))
}
