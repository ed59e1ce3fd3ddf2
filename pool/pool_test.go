package pool_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/pool"
)

// The chain is what a node hands the pool as its Includer.
var _ pool.Includer = (*blockchain.Chain)(nil)

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

// A fakeChain includes the IDs it holds. Tests only read it once the pool
// has it, so it is safe for concurrent use.
type fakeChain map[uuid.UUID]bool

func (c fakeChain) Includes(id uuid.UUID) bool { return c[id] }

// txID returns the n-th test ID: the same on every run.
func txID(n int) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "eventchain/pool test tx %d", n))
}

// validTx returns the n-th valid test transaction, dated t0.
func validTx(n int) blockchain.Transaction {
	return blockchain.NewTransaction(txID(n), "alice", "bob", int64(100+n), t0)
}

// testPolicy is small enough to fill in a test.
func testPolicy() pool.Policy {
	return pool.Policy{Capacity: 10, MaxTx: 3, MaxWait: 10 * time.Second, MaxClockSkew: time.Minute}
}

// mustNew returns a pool on clock with cfg, failing the test if New fails.
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

// ids returns the IDs of txs, in order.
func ids(txs []blockchain.Transaction) []uuid.UUID {
	out := make([]uuid.UUID, len(txs))
	for i, tx := range txs {
		out[i] = tx.ID()
	}
	return out
}

// txIDs returns txID(n) for each n.
func txIDs(ns ...int) []uuid.UUID {
	out := make([]uuid.UUID, len(ns))
	for i, n := range ns {
		out[i] = txID(n)
	}
	return out
}

// pending returns the IDs of everything pending, oldest first.
func pending(p *pool.Pool) []uuid.UUID { return ids(p.Candidates(p.Len())) }

func TestAddRejectsBrokenRules(t *testing.T) {
	id := txID(1)
	tests := []struct {
		name string
		tx   blockchain.Transaction
		rule string               // the rule that must fail
		code blockchain.ErrorCode // with this code
	}{
		{"zero ID", blockchain.NewTransaction(uuid.Nil, "alice", "bob", 1, t0), "has-id", blockchain.ErrMissingID},
		{"zero amount", blockchain.NewTransaction(id, "alice", "bob", 0, t0), "amount-positive", blockchain.ErrInvalidAmount},
		{"negative amount", blockchain.NewTransaction(id, "alice", "bob", -5, t0), "amount-positive", blockchain.ErrInvalidAmount},
		{"amount above MaxAmount", blockchain.NewTransaction(id, "alice", "bob", blockchain.MaxAmount+1, t0), "amount-positive", blockchain.ErrInvalidAmount},
		{"no sender", blockchain.NewTransaction(id, "", "bob", 1, t0), "has-sender", blockchain.ErrMissingSender},
		{"no receiver", blockchain.NewTransaction(id, "alice", "", 1, t0), "has-receiver", blockchain.ErrMissingReceiver},
		{"to oneself", blockchain.NewTransaction(id, "alice", "alice", 1, t0), "not-to-self", blockchain.ErrSelfTransfer},
		{"account name too long", blockchain.NewTransaction(id, strings.Repeat("a", blockchain.MaxAccountLen+1), "bob", 1, t0), "account-names", blockchain.ErrBadAccount},
		{"control character in name", blockchain.NewTransaction(id, "alice", "bob\n", 1, t0), "account-names", blockchain.ErrBadAccount},
		{"timestamp at the epoch", blockchain.NewTransaction(id, "alice", "bob", 1, time.UnixMilli(0)), "timestamp", blockchain.ErrBadTimestamp},
		{"timestamp beyond MaxClockSkew", blockchain.NewTransaction(id, "alice", "bob", 1, t0.Add(time.Minute+time.Millisecond)), "not-from-future", blockchain.ErrTimeTooFarAhead},
	}

	// Every default rule has a case above, so a rule added to
	// blockchain.TxSanityRules is not admitted untested.
	tested := make(map[string]bool)
	for _, tt := range tests {
		tested[tt.rule] = true
	}
	for _, r := range pool.DefaultRules(nil, time.Minute) {
		assert.True(t, tested[r.Name], "rule %q has no rejecting case in this table", r.Name)
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			p := mustNew(t, clock, pool.Config{})

			err := p.Add(tt.tx)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.code)
			var re *blockchain.RuleError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tt.code, re.Code, "code: have %s, want %s", re.Code, tt.code)
			assert.Contains(t, err.Error(), "rule "+tt.rule+": ")
			assert.Contains(t, err.Error(), tt.tx.ID().String())
			for _, sentinel := range []error{pool.ErrDuplicate, pool.ErrIDConflict, pool.ErrAlreadyIncluded, pool.ErrFull} {
				assert.NotErrorIs(t, err, sentinel)
			}
			assert.Zero(t, p.Len(), "a refused transaction is not pending")
			assert.False(t, p.Has(tt.tx.ID()))
		})
	}
}

func TestAddAcceptsValidTransaction(t *testing.T) {
	tests := []struct {
		name string
		tx   blockchain.Transaction
	}{
		{"plain", validTx(1)},
		{"amount 1", blockchain.NewTransaction(txID(1), "alice", "bob", 1, t0)},
		{"amount MaxAmount", blockchain.NewTransaction(txID(1), "alice", "bob", blockchain.MaxAmount, t0)},
		{"longest account names", blockchain.NewTransaction(txID(1), strings.Repeat("a", blockchain.MaxAccountLen), strings.Repeat("b", blockchain.MaxAccountLen), 1, t0)},
		{"dated in the past", blockchain.NewTransaction(txID(1), "alice", "bob", 1, t0.AddDate(-1, 0, 0))},
		{"dated exactly MaxClockSkew ahead", blockchain.NewTransaction(txID(1), "alice", "bob", 1, t0.Add(time.Minute))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, newClock(), pool.Config{})

			require.NoError(t, p.Add(tt.tx))

			assert.Equal(t, 1, p.Len())
			assert.True(t, p.Has(tt.tx.ID()))
			got, ok := p.Get(tt.tx.ID())
			require.True(t, ok)
			assert.Equal(t, tt.tx.Hash(), got.Hash())
		})
	}
}

func TestNotFromFutureFollowsTheClock(t *testing.T) {
	clock := newClock()
	p := mustNew(t, clock, pool.Config{})
	tx := blockchain.NewTransaction(txID(1), "alice", "bob", 1, t0.Add(2*time.Minute))

	require.ErrorIs(t, p.Add(tx), blockchain.ErrTimeTooFarAhead)
	clock.Advance(time.Minute)
	assert.NoError(t, p.Add(tx), "a minute later the same transaction is no longer from the future")
}

func TestCustomRules(t *testing.T) {
	clock := newClock()
	small := blockchain.TxRule{Name: "at-most-1000", Check: func(tx blockchain.Transaction) error {
		if tx.Amount() > 1000 {
			return &blockchain.RuleError{Code: blockchain.ErrInvalidAmount, Have: fmt.Sprint(tx.Amount()), Want: "at most 1000"}
		}
		return nil
	}}
	p := mustNew(t, clock, pool.Config{Rules: append(pool.DefaultRules(clock.Now, time.Minute), small)})

	err := p.Add(blockchain.NewTransaction(txID(1), "alice", "bob", 1001, t0))
	assert.ErrorIs(t, err, blockchain.ErrInvalidAmount)
	assert.ErrorContains(t, err, "rule at-most-1000: ")
	err = p.Add(blockchain.NewTransaction(txID(2), "alice", "alice", 10, t0))
	assert.ErrorIs(t, err, blockchain.ErrSelfTransfer, "the default rules still run")
	assert.NoError(t, p.Add(blockchain.NewTransaction(txID(3), "alice", "bob", 1000, t0)))
}

func TestAddKnownIDs(t *testing.T) {
	other := blockchain.NewTransaction(txID(1), "carol", "dave", 7, t0) // txID(1), but not validTx(1)
	tests := []struct {
		name    string
		chain   fakeChain                // nil: no chain
		before  []blockchain.Transaction // added first
		remove  []uuid.UUID              // then removed
		add     blockchain.Transaction
		wantErr error // nil: admitted
		want    []uuid.UUID
	}{
		{
			name:    "same transaction pending",
			before:  []blockchain.Transaction{validTx(1), validTx(2)},
			add:     validTx(1),
			wantErr: pool.ErrDuplicate,
			want:    txIDs(1, 2),
		},
		{
			name:    "other transaction with a pending ID",
			before:  []blockchain.Transaction{validTx(1)},
			add:     other,
			wantErr: pool.ErrIDConflict,
			want:    txIDs(1),
		},
		{
			name:    "ID in the chain",
			chain:   fakeChain{txID(1): true},
			add:     validTx(1),
			wantErr: pool.ErrAlreadyIncluded,
		},
		{
			name:    "ID pending and in the chain: pending is checked first",
			chain:   fakeChain{txID(1): true},
			before:  []blockchain.Transaction{validTx(1)},
			add:     validTx(1),
			wantErr: pool.ErrDuplicate,
			want:    txIDs(1),
		},
		{
			name:  "chain holds other IDs",
			chain: fakeChain{txID(2): true},
			add:   validTx(1),
			want:  txIDs(1),
		},
		{
			name:   "removed, no chain: the pool does not remember",
			before: []blockchain.Transaction{validTx(1), validTx(2)},
			remove: txIDs(1),
			add:    validTx(1),
			want:   txIDs(2, 1),
		},
		{
			name:    "removed and in the chain",
			chain:   fakeChain{txID(1): true},
			before:  []blockchain.Transaction{validTx(1)},
			remove:  txIDs(1),
			add:     validTx(1),
			wantErr: pool.ErrAlreadyIncluded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The chain learns its IDs only once "before" is pending, as
			// if it included them after the pool had admitted them.
			chain := fakeChain{}
			p := mustNew(t, newClock(), pool.Config{Chain: chain})
			mustAdd(t, p, tt.before...)
			for id := range tt.chain {
				chain[id] = true
			}
			p.Remove(tt.remove...)

			err := p.Add(tt.add)

			if tt.wantErr == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.ErrorContains(t, err, tt.add.ID().String())
				var re *blockchain.RuleError
				assert.False(t, errors.As(err, &re), "a known ID breaks no rule: have %v", re)
			}
			assert.Equal(t, tt.want, nilIfEmpty(pending(p)))
		})
	}
}

// nilIfEmpty lets a table write "nothing" as a nil slice.
func nilIfEmpty(s []uuid.UUID) []uuid.UUID {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestConflictKeepsTheFirst(t *testing.T) {
	p := mustNew(t, newClock(), pool.Config{})
	first := validTx(1)
	second := blockchain.NewTransaction(txID(1), "carol", "dave", 7, t0)
	mustAdd(t, p, first)

	err := p.Add(second)

	require.ErrorIs(t, err, pool.ErrIDConflict)
	assert.NotErrorIs(t, err, pool.ErrDuplicate)
	got, ok := p.Get(txID(1))
	require.True(t, ok)
	assert.Equal(t, first.Hash(), got.Hash())
}

func TestCapacity(t *testing.T) {
	policy := testPolicy()
	policy.Capacity = 3
	p := mustNew(t, newClock(), pool.Config{Policy: policy})
	mustAdd(t, p, validTx(1), validTx(2), validTx(3))

	err := p.Add(validTx(4))
	require.ErrorIs(t, err, pool.ErrFull)
	assert.ErrorContains(t, err, "have 3 pending, capacity 3")
	assert.ErrorIs(t, p.Add(validTx(1)), pool.ErrDuplicate, "a full pool still says what it knows")
	assert.Equal(t, 3, p.Len())

	require.Equal(t, 1, p.Remove(txID(2)))
	require.NoError(t, p.Add(validTx(4)), "removal makes room")
	assert.Equal(t, txIDs(1, 3, 4), pending(p))
	assert.ErrorIs(t, p.Add(validTx(5)), pool.ErrFull)
}

func TestCandidates(t *testing.T) {
	tests := []struct {
		limit int
		want  []uuid.UUID
	}{
		{-1, nil},
		{0, nil},
		{1, txIDs(1)},
		{3, txIDs(1, 2, 3)},
		{5, txIDs(1, 2, 3, 4, 5)},
		{100, txIDs(1, 2, 3, 4, 5)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("limit %d", tt.limit), func(t *testing.T) {
			p := mustNew(t, newClock(), pool.Config{})
			mustAdd(t, p, validTx(1), validTx(2), validTx(3), validTx(4), validTx(5))

			got := p.Candidates(tt.limit)

			assert.Equal(t, tt.want, nilIfEmpty(ids(got)))
			assert.Equal(t, 5, p.Len(), "Candidates removes nothing")
			assert.Equal(t, ids(p.Candidates(tt.limit)), ids(got), "asking again gives the same answer")
		})
	}
}

func TestCandidatesFIFO(t *testing.T) {
	p := mustNew(t, newClock(), pool.Config{})
	mustAdd(t, p, validTx(5), validTx(2), validTx(9), validTx(1))

	assert.Equal(t, txIDs(5, 2, 9, 1), ids(p.Candidates(10)))

	got := p.Candidates(10)
	got[0] = validTx(7)
	assert.Equal(t, txIDs(5, 2, 9, 1), ids(p.Candidates(10)), "the slice returned is the caller's")
}

func TestRemove(t *testing.T) {
	tests := []struct {
		name   string
		remove []uuid.UUID
		want   int
		rest   []uuid.UUID
	}{
		{"nothing", nil, 0, txIDs(1, 2, 3, 4, 5)},
		{"oldest", txIDs(1), 1, txIDs(2, 3, 4, 5)},
		{"newest", txIDs(5), 1, txIDs(1, 2, 3, 4)},
		{"middle ones, in any order", txIDs(4, 2), 2, txIDs(1, 3, 5)},
		{"unknown IDs are ignored", txIDs(2, 42, 43), 1, txIDs(1, 3, 4, 5)},
		{"an ID twice counts once", txIDs(3, 3), 1, txIDs(1, 2, 4, 5)},
		{"everything", txIDs(5, 4, 3, 2, 1), 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, newClock(), pool.Config{})
			mustAdd(t, p, validTx(1), validTx(2), validTx(3), validTx(4), validTx(5))

			assert.Equal(t, tt.want, p.Remove(tt.remove...))

			assert.Equal(t, tt.rest, nilIfEmpty(pending(p)))
			assert.Equal(t, len(tt.rest), p.Len())
			for _, id := range tt.remove {
				assert.False(t, p.Has(id), "%s still pending", id)
				_, ok := p.Get(id)
				assert.False(t, ok)
			}
		})
	}
}

func TestRemoveBlock(t *testing.T) {
	tests := []struct {
		name    string
		block   []blockchain.Transaction
		noBlock bool // pass a nil *Block
		want    int
		rest    []uuid.UUID
	}{
		{name: "nil block", noBlock: true, want: 0, rest: txIDs(1, 2, 3, 4)},
		{name: "empty block", want: 0, rest: txIDs(1, 2, 3, 4)},
		{name: "our candidates", block: []blockchain.Transaction{validTx(1), validTx(2)}, want: 2, rest: txIDs(3, 4)},
		{
			name:  "another miner's block, partly ours",
			block: []blockchain.Transaction{validTx(3), validTx(8), validTx(1), validTx(9)},
			want:  2,
			rest:  txIDs(2, 4),
		},
		{name: "nothing of ours", block: []blockchain.Transaction{validTx(8)}, want: 0, rest: txIDs(1, 2, 3, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, newClock(), pool.Config{})
			mustAdd(t, p, validTx(1), validTx(2), validTx(3), validTx(4))
			var b *blockchain.Block
			if !tt.noBlock {
				b = blockchain.NewBlock(blockchain.NextHeader(blockchain.Genesis().Header(), tt.block, t0), tt.block)
			}

			assert.Equal(t, tt.want, p.RemoveBlock(b))

			assert.Equal(t, tt.rest, pending(p))
		})
	}
}

func TestReadyAndDue(t *testing.T) {
	// Policy: MaxTx 3, MaxWait 10s. Every transaction is dated an hour
	// before t0: MaxWait counts from admission, not from the timestamp.
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			policy := testPolicy()
			if tt.maxWait != 0 {
				policy.MaxWait = tt.maxWait
			}
			p := mustNew(t, clock, pool.Config{Policy: policy})
			for i, d := range tt.adds {
				clock.Set(t0.Add(d))
				mustAdd(t, p, blockchain.NewTransaction(txID(i), "alice", "bob", 1, t0.Add(-time.Hour)))
			}
			p.Remove(pending(p)[:tt.remove]...)
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

func TestMaxWaitZero(t *testing.T) {
	clock := newClock()
	policy := testPolicy()
	policy.MaxWait = 0
	p := mustNew(t, clock, pool.Config{Policy: policy})
	require.False(t, p.Ready())

	mustAdd(t, p, validTx(1))

	assert.True(t, p.Ready(), "with MaxWait 0 one pending transaction is enough")
	due, ok := p.Due()
	require.True(t, ok)
	assert.Equal(t, t0, due)
}

func TestConcurrentUse(t *testing.T) {
	const (
		adders   = 8
		perAdder = 200
		idSpace  = 300 // adders share IDs, so many adds are duplicates
		capacity = 100 // and the pool fills up
	)
	clock := newClock()
	chain := fakeChain{}
	for n := 0; n < idSpace; n += 10 {
		chain[txID(n)] = true
	}
	policy := testPolicy()
	policy.Capacity = capacity
	policy.MaxTx = 20
	p := mustNew(t, clock, pool.Config{Policy: policy, Chain: chain})

	var admitted, removed atomic.Int64
	var unexpected sync.Map // error text → struct{}, for anything but the expected refusals
	var wg sync.WaitGroup
	for a := range adders {
		wg.Go(func() {
			for i := range perAdder {
				err := p.Add(validTx((a*37 + i) % idSpace))
				switch {
				case err == nil:
					admitted.Add(1)
				case errors.Is(err, pool.ErrDuplicate), errors.Is(err, pool.ErrFull), errors.Is(err, pool.ErrAlreadyIncluded):
				default:
					unexpected.Store(err.Error(), struct{}{})
				}
			}
		})
	}
	for range 4 { // miners: take a block, "mine" it, remove it
		wg.Go(func() {
			for range 50 {
				if !p.Ready() {
					p.Due()
					continue
				}
				b := p.Candidates(p.Policy().MaxTx)
				removed.Add(int64(p.Remove(ids(b)...)))
			}
		})
	}
	wg.Go(func() { // readers and the clock
		for i := range 500 {
			clock.Advance(time.Second)
			p.Len()
			p.Has(txID(i % idSpace))
			p.Get(txID(i % idSpace))
		}
	})
	wg.Go(func() { // single removals from the middle
		for i := range idSpace {
			removed.Add(int64(p.Remove(txID(i))))
		}
	})
	wg.Wait()

	unexpected.Range(func(k, _ any) bool {
		t.Errorf("unexpected error from Add: %s", k)
		return true
	})
	t.Logf("admitted %d removed %d pending %d", admitted.Load(), removed.Load(), p.Len())
	all := p.Candidates(capacity + 1)
	assert.Len(t, all, p.Len())
	assert.LessOrEqual(t, p.Len(), capacity)
	assert.Equal(t, admitted.Load()-removed.Load(), int64(p.Len()), "admitted − removed = pending")
	seen := make(map[uuid.UUID]bool)
	for _, tx := range all {
		assert.False(t, seen[tx.ID()], "%s pending twice", tx.ID())
		seen[tx.ID()] = true
		assert.False(t, chain[tx.ID()], "%s pending but in the chain", tx.ID())
		assert.True(t, p.Has(tx.ID()))
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	with := func(change func(*pool.Policy)) pool.Policy {
		p := pool.DefaultPolicy()
		change(&p)
		return p
	}
	check := func(blockchain.Transaction) error { return nil }
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
		{"negative MaxClockSkew", pool.Config{Policy: with(func(p *pool.Policy) { p.MaxClockSkew = -time.Second })}, "Policy.MaxClockSkew"},
		{"partial policy", pool.Config{Policy: pool.Policy{MaxTx: 5}}, "Policy.Capacity"},
		{"rule without a name", pool.Config{Rules: []blockchain.TxRule{{Name: "ok", Check: check}, {Check: check}}}, "Rules[1]"},
		{"rule without a check", pool.Config{Rules: []blockchain.TxRule{{Name: "lazy"}}}, "Rules[0] (lazy)"},
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
	tests := []struct {
		name string
		cfg  pool.Config
		want pool.Policy
	}{
		{"zero config: the defaults", pool.Config{}, pool.DefaultPolicy()},
		{"MaxTx equal to capacity", pool.Config{Policy: pool.Policy{Capacity: 5, MaxTx: 5}}, pool.Policy{Capacity: 5, MaxTx: 5}},
		{"custom policy", pool.Config{Policy: testPolicy()}, testPolicy()},
		{"no rules at all", pool.Config{Rules: []blockchain.TxRule{}}, pool.DefaultPolicy()},
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

func TestDefaultPolicy(t *testing.T) {
	p := pool.DefaultPolicy()

	assert.Equal(t, 20, p.MaxTx, "the original project's block size")
	assert.Positive(t, p.MaxWait, "a lone transaction must not be stranded")
	assert.GreaterOrEqual(t, p.Capacity, p.MaxTx)
}

func TestDefaultRulesReuseSanityRules(t *testing.T) {
	var names []string
	for _, r := range blockchain.TxSanityRules() {
		names = append(names, r.Name)
	}

	rules := pool.DefaultRules(nil, time.Minute)

	require.Len(t, rules, len(names)+1)
	for i, name := range names {
		assert.Equal(t, name, rules[i].Name, "rule %d", i)
	}
	assert.Equal(t, "not-from-future", rules[len(names)].Name)
}
