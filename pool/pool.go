package pool

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/internal/nilness"
)

// A Ledger is what the pool needs to know of the chain: which chain it is
// and what each account holds after the tip. A [*blockchain.Chain] and a
// [blockchain.ReadOnlyChain] are Ledgers; so is any small fake a test
// writes.
//
// The pool reads the ledger while it holds its own lock, so that a
// transaction's admission never interleaves with [Pool.RemoveBlock]: the
// removal of a block's transactions and the check of its senders' queues
// against the new state are one step, which no Add can split. Ledger
// methods must therefore be quick, safe for concurrent use, and must not
// call back into the pool (that would deadlock).
type Ledger interface {
	// Spec returns the chain's spec. The pool reads it once, in New, for
	// the chain ID: a chain's spec never changes.
	Spec() blockchain.ChainSpec
	// Account returns the balance and nonce of an address after the
	// tip: the zero Account for an address the chain has never seen.
	Account(a blockchain.Address) blockchain.Account
}

// Config configures a [Pool]. The zero Config is a valid one: the default
// policy and rules, the system clock, and no chain to consult (the sanity
// rules only; see Chain).
type Config struct {
	// Policy holds the tunables; the zero Policy means [DefaultPolicy].
	// Any other value is checked field by field, so start from
	// DefaultPolicy() and change what you need.
	Policy Policy

	// Chain is the ledger the pool checks transactions against: their
	// chain ID, their nonces and their senders' funds (see [Pool.Add]).
	// A node passes its chain.
	//
	// Nil turns those checks off and leaves the rules alone: any chain
	// ID, any nonce, any amount is admitted if it keeps the rules. That
	// is for tests and for tools that have no chain, such as one that
	// only checks signatures. Without a chain, [Pool.RemoveBlock] removes
	// the block's transactions and drops nothing, for it cannot tell
	// what the block made invalid.
	Chain Ledger

	// Now is the pool's clock: it dates admissions, for Policy.MaxWait.
	// Nil means time.Now. Tests inject a fake clock. It must be safe for
	// concurrent use.
	Now func() time.Time

	// Rules replaces [DefaultRules] when not nil: Add runs these, in
	// order, instead. Each needs a Name and a Check, and each Check must
	// be safe for concurrent use. To add a rule rather than replace them
	// all, append it to DefaultRules(). An empty, non-nil slice runs no
	// rule at all, not even the signature: for benchmarks and tools that
	// checked the transactions already.
	Rules []blockchain.TxRule

	// SigCache remembers the transactions whose signatures verified, so
	// that each is verified once however often it is checked (see
	// [blockchain.SigCache]); nil means a cache of its own, of twice the
	// capacity ([Policy.SigCacheSize]). The default rules check the signature through it. A node
	// shares one with its pool, to verify a submission before it takes
	// its lock (see [Pool.SigCache]).
	SigCache *blockchain.SigCache
}

// A Pool holds pending transactions — submitted, not yet in a block — as
// one queue per sender, in nonce order, and offers a miner the next
// block's transactions with [Pool.Candidates].
//
// With a chain (Config.Chain), every queue starts at its sender's nonce
// on the chain and has no gaps, and the sender's balance covers the whole
// queue, so that the queue applies on the chain as it stands, in order.
// [Pool.Add] admits only transactions that keep it so, and
// [Pool.RemoveBlock] restores it after each block: it removes what the
// block included and drops what the block made invalid.
//
// [Pool.Ready] and [Pool.Due] apply the block policy: when a cut is due.
//
// A Pool is safe for concurrent use by many goroutines. It starts no
// goroutines and does no I/O: nothing happens unless a method is called.
// Build one with [New]; the zero Pool is not usable: its Add and Check
// return [ErrNotMade], and it reads as empty, with no cut due.
type Pool struct {
	policy  Policy
	rules   []blockchain.TxRule
	sigs    *blockchain.SigCache
	chain   Ledger // nil: no chain checks
	chainID string // chain.Spec().ChainID, read once
	now     func() time.Time

	mu      sync.RWMutex
	seq     uint64                        // admissions so far: the next entry's seq
	byID    map[uuid.UUID]*entry          // every pending transaction, by ID
	senders map[blockchain.Address]*queue // each sender's pending transactions; no empty queue
	heads   headHeap                      // the same queues, by their first transaction, best on top
	order   []*entry                      // every pending transaction, oldest admission first
}

// An entry is one pending transaction and what the pool keeps about it.
type entry struct {
	tx    blockchain.Transaction
	nonce uint64    // tx.Nonce()
	fee   int64     // tx.Fee()
	cost  int64     // amount + fee: what it takes from its sender
	seq   uint64    // admission order: unique, increasing
	added time.Time // when the pool admitted it, by the pool's clock
	gone  bool      // removed or dropped; being cleared out of the indexes
}

// A queue is one sender's pending transactions in nonce order.
type queue struct {
	from  blockchain.Address
	txs   []*entry
	spend int64 // the sum of their costs, saturating at math.MaxInt64
	at    int   // the queue's index in Pool.heads
}

// cost returns what tx takes from its sender's balance, amount + fee,
// with parts outside 0…MaxInt64 counted as 0 or saturated: the rules
// refuse such transactions, but a pool run without them must not
// overflow.
func cost(tx blockchain.Transaction) int64 {
	return satAdd(max(tx.Amount(), 0), max(tx.Fee(), 0))
}

// satAdd adds two non-negative int64s, stopping at math.MaxInt64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// New returns an empty pool configured by cfg, or an error wrapping
// [ErrInvalidConfig] that names the first field that makes no sense: a
// capacity or MaxTx below 1, a MaxTx above the capacity, a negative
// MaxWait, an unknown Order, a rule without a name or a check, a chain
// whose spec has no chain ID.
func New(cfg Config) (*Pool, error) {
	if cfg.Chain != nil && nilness.IsNil(cfg.Chain) {
		// A Chain that NewChain did not make: its error was dropped.
		return nil, fmt.Errorf("%w: Config.Chain is a nil %T (leave Chain nil for no chain)", ErrInvalidConfig, cfg.Chain)
	}
	if ro, ok := cfg.Chain.(blockchain.ReadOnlyChain); ok && ro == (blockchain.ReadOnlyChain{}) {
		return nil, fmt.Errorf("%w: Config.Chain is a zero blockchain.ReadOnlyChain: take one from Chain.ReadOnly", ErrInvalidConfig)
	}
	policy := cfg.Policy
	if policy == (Policy{}) {
		policy = DefaultPolicy()
	}
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	cache := cfg.SigCache
	if cache == nil {
		cache = blockchain.NewSigCache(policy.SigCacheSize())
	}
	rules := slices.Clone(cfg.Rules)
	if rules == nil {
		rules = DefaultRules()
		for i, r := range rules {
			if r.Name == blockchain.RuleSignature().Name {
				rules[i] = blockchain.RuleSignatureCached(cache)
			}
		}
	}
	for i, r := range rules {
		if r.Name == "" {
			return nil, configErr("Rules[%d]: Name is empty", i)
		}
		if r.Check == nil {
			return nil, configErr("Rules[%d] (%s): Check is nil", i, r.Name)
		}
	}
	var chainID string
	if cfg.Chain != nil {
		chainID = cfg.Chain.Spec().ChainID
		if chainID == "" {
			return nil, configErr("Chain: its spec has no chain ID")
		}
	}
	return &Pool{
		policy:  policy,
		rules:   rules,
		sigs:    cache,
		chain:   cfg.Chain,
		chainID: chainID,
		now:     now,
		byID:    make(map[uuid.UUID]*entry),
		senders: make(map[blockchain.Address]*queue),
		heads:   headHeap{fee: policy.Order == HighestFee},
	}, nil
}

// SigCache returns the cache through which the pool's default rules
// check signatures: a caller that verifies a transaction through it first
// (cache.Verify(tx)), outside any lock of its own, makes the pool's check
// cheap.
func (p *Pool) SigCache() *blockchain.SigCache { return p.sigs }

// Policy returns the policy the pool runs with: DefaultPolicy() if
// Config.Policy was zero. A miner uses its MaxTx as the size of a block.
func (p *Pool) Policy() Policy { return p.policy }

// Add admits tx to its sender's queue, dated by the pool's clock, or
// returns why not. With a chain tx joins the back of the queue (its nonce
// is the next one); without a chain, which checks no nonce, it takes its
// place in nonce order (after any pending transaction of the same nonce).
// The checks run in this order, and the first failure stops them:
//
//  1. Each admission rule (by default [DefaultRules], the signature
//     last). A broken rule gives an error naming it and wrapping the
//     rule's [*blockchain.RuleError], so errors.Is(err,
//     blockchain.ErrBadSignature) tells which rule failed.
//  2. With a chain: the chain ID must be the chain's, or the error wraps
//     a RuleError with code [blockchain.ErrWrongChain].
//  3. Its ID must not be pending: [ErrDuplicate].
//  4. With a chain: the nonce must follow the sender's: the sender's
//     nonce on the chain plus the number of its pending transactions
//     ([Pool.NextNonce]). A smaller one is a replay, or a second transfer
//     for a nonce that is already pending (the pool keeps the first: it
//     replaces nothing); a larger one leaves a gap no block could fill.
//     Both give a RuleError with code [blockchain.ErrBadNonce], "have"
//     the transaction's nonce and "want" the next one.
//  5. With a chain: the sender's balance on the chain, minus what its
//     pending transactions already spend (their amounts and fees), must
//     cover the amount plus the fee, or the error wraps a RuleError with
//     code [blockchain.ErrInsufficientFunds] that names the balance and
//     the pending spend. Only the chain's balance counts, never what
//     other pending transactions would send the sender: a pending credit
//     may never land (its sender may spend the money elsewhere first, or
//     see its transfer dropped), and a debit that relied on it would
//     then fail in the block.
//  6. The pool must hold fewer than Policy.Capacity transactions:
//     [ErrFull].
//
// Check also bounds the sender ([ErrSenderFull], between checks 5 and
// 6); Add does not: see [Pool.Check].
//
// A refused transaction leaves the pool as it was. Checks 3 to 6 and the
// admission happen under one lock, so two goroutines adding the same
// transaction at once admit it once, and two transfers of one sender are
// never both admitted for the same nonce or against the same funds.
//
// The chain's answers count pending transactions only from the sender's
// nonce on the chain: if the chain has applied a block and RemoveBlock
// has not yet removed its transactions, those already included neither
// raise the nonce Add wants nor spend the funds twice.
func (p *Pool) Add(tx blockchain.Transaction) error {
	return p.admit(tx, true)
}

// Check returns the error [Pool.Add] would return for tx, running the
// same checks in the same order, without admitting it. A node calls it
// before it publishes a submitted transaction, so that the log only
// receives transactions its pool takes (another node's pool, whose
// pending transactions differ, may still refuse one).
//
// Check runs one check more, after the funds: the sender must have
// fewer than Policy.MaxPerSender transactions pending, or the error
// wraps [ErrSenderFull]. The bound is for the door, not for the log: a
// node adds (with Add) what the log holds, whatever its lag. A node
// whose blocks lag behind its transactions still counts transfers a
// block has already taken; were Add bounded too, it would refuse the
// next transfer it reads, never read it again, and refuse every later
// one of that sender as a gap.
func (p *Pool) Check(tx blockchain.Transaction) error {
	return p.admit(tx, false)
}

// admit runs Add's checks and, if add is true and they pass, admits tx.
func (p *Pool) admit(tx blockchain.Transaction, add bool) error {
	verb := "check"
	if add {
		verb = "add"
	}
	if p == nil || p.byID == nil {
		return fmt.Errorf("pool: %s tx %s: %w", verb, tx.ID(), ErrNotMade)
	}
	id := tx.ID()
	// The very same transaction pending already is a duplicate, whatever
	// the rules say: skip them (and the signature's cost).
	p.mu.RLock()
	e, pending := p.byID[id]
	p.mu.RUnlock()
	if pending && e.tx == tx {
		return fmt.Errorf("pool: %s tx %s: %w", verb, id, ErrDuplicate)
	}
	for _, r := range p.rules {
		if err := r.Check(tx); err != nil {
			return fmt.Errorf("pool: %s tx %s: rule %s: %w", verb, id, r.Name, err)
		}
	}
	if p.chain != nil && tx.ChainID() != p.chainID {
		return fmt.Errorf("pool: %s tx %s: %w", verb, id, &blockchain.RuleError{
			Code: blockchain.ErrWrongChain,
			Have: fmt.Sprintf("%q", tx.ChainID()),
			Want: fmt.Sprintf("%q", p.chainID),
		})
	}
	if add {
		p.mu.Lock()
		defer p.mu.Unlock()
	} else {
		p.mu.RLock()
		defer p.mu.RUnlock()
	}
	if _, ok := p.byID[id]; ok {
		return fmt.Errorf("pool: %s tx %s: %w", verb, id, ErrDuplicate)
	}
	from := tx.From()
	q := p.senders[from]
	if p.chain != nil {
		acct := p.chain.Account(from)
		if next, ok := q.next(acct.Nonce); !ok || tx.Nonce() != next {
			want := fmt.Sprint(next)
			switch {
			case !ok:
				want = "none: the account has used up its nonces"
			case next == acct.Nonce+1:
				// What the chain's nonce alone would not explain.
				want += fmt.Sprintf(" (nonce %d is pending)", acct.Nonce)
			case next > acct.Nonce:
				want += fmt.Sprintf(" (nonces %d…%d are pending)", acct.Nonce, next-1)
			}
			return fmt.Errorf("pool: %s tx %s: %w", verb, id, &blockchain.RuleError{
				Code: blockchain.ErrBadNonce,
				Have: fmt.Sprint(tx.Nonce()),
				Want: want,
			})
		}
		spend := q.spendFrom(acct.Nonce)
		if c, avail := cost(tx), acct.Balance-spend; avail < c {
			return fmt.Errorf("pool: %s tx %s: %w", verb, id, &blockchain.RuleError{
				Code: blockchain.ErrInsufficientFunds,
				Have: fmt.Sprintf("%d (balance %d − pending %d)", avail, acct.Balance, spend),
				Want: fmt.Sprintf("≥ %d (amount %d + fee %d)", c, tx.Amount(), tx.Fee()),
			})
		}
	}
	if limit := p.policy.MaxPerSender; !add && limit > 0 && q != nil && len(q.txs) >= limit {
		return fmt.Errorf("pool: %s tx %s: %w: %s has %d pending, the most one sender may have",
			verb, id, ErrSenderFull, from.Short(), len(q.txs))
	}
	if n := len(p.byID); n >= p.policy.Capacity {
		return fmt.Errorf("pool: %s tx %s: %w: have %d pending, capacity %d",
			verb, id, ErrFull, n, p.policy.Capacity)
	}
	if !add {
		return nil
	}
	e = &entry{tx: tx, nonce: tx.Nonce(), fee: tx.Fee(), cost: cost(tx), seq: p.seq, added: p.now()}
	p.seq++
	if q == nil {
		q = &queue{from: from}
		p.senders[from] = q
		q.insert(e)
		heap.Push(&p.heads, q)
	} else if q.insert(e) == 0 { // a new head (only without a chain)
		heap.Fix(&p.heads, q.at)
	}
	p.byID[id] = e
	p.order = append(p.order, e)
	return nil
}

// next returns the nonce the sender's next transaction must carry, given
// its nonce on the chain: the one after its last pending transaction, or
// the chain's if none is pending or all pending ones are already below it
// (a block included them and RemoveBlock has not run yet). q may be nil.
// ok is false when that nonce is MaxUint64, which no transfer may use
// (blockchain.StateBatch.Transfer: the account has used up its nonces);
// next is then MaxUint64.
func (q *queue) next(chainNonce uint64) (next uint64, ok bool) {
	next = chainNonce
	if q != nil && len(q.txs) > 0 {
		last := q.txs[len(q.txs)-1].nonce
		if last == math.MaxUint64 { // a pool without a chain takes any nonce
			return last, false
		}
		next = max(chainNonce, last+1)
	}
	return next, next != math.MaxUint64
}

// spendFrom returns what the pending transactions with a nonce of at
// least chainNonce spend: those below it are in the chain already (or
// never will be), and the balance has paid for them.
func (q *queue) spendFrom(chainNonce uint64) int64 {
	if q == nil || len(q.txs) == 0 {
		return 0
	}
	if q.txs[0].nonce >= chainNonce {
		return q.spend
	}
	var s int64
	for _, e := range q.txs {
		if e.nonce >= chainNonce {
			s = satAdd(s, e.cost)
		}
	}
	return s
}

// insert puts e in nonce order, after any pending transaction with the
// same nonce (only a pool without a chain has such twins), and returns
// where. With a chain every transaction goes at the back.
func (q *queue) insert(e *entry) int {
	i := len(q.txs)
	if i > 0 && q.txs[i-1].nonce > e.nonce {
		i = sort.Search(len(q.txs), func(j int) bool { return q.txs[j].nonce > e.nonce })
	}
	q.txs = slices.Insert(q.txs, i, e)
	q.spend = satAdd(q.spend, e.cost)
	return i
}

// settle takes the gone entries out of q and recomputes its spend, then
// puts q in its new place among the heads, or deletes it if it is empty.
func (p *Pool) settle(q *queue) {
	q.txs = slices.DeleteFunc(q.txs, func(e *entry) bool { return e.gone })
	if len(q.txs) == 0 {
		heap.Remove(&p.heads, q.at)
		delete(p.senders, q.from)
		return
	}
	q.spend = 0
	for _, e := range q.txs {
		q.spend = satAdd(q.spend, e.cost)
	}
	heap.Fix(&p.heads, q.at)
}

// Len returns how many transactions are pending.
func (p *Pool) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.byID)
}

// Has reports whether a transaction with this ID is pending.
func (p *Pool) Has(id uuid.UUID) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.byID[id]
	return ok
}

// Get returns the pending transaction with this ID, if there is one.
func (p *Pool) Get(id uuid.UUID) (blockchain.Transaction, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e, ok := p.byID[id]
	if !ok {
		return blockchain.Transaction{}, false
	}
	return e.tx, true
}

// NextNonce returns the nonce the next transaction from a must carry for
// Add to take it: its nonce on the chain plus the number of its pending
// transactions. A wallet asks it before it signs, so that it can send
// several transfers without waiting for a block.
//
// Without a chain it is the nonce after the sender's last pending
// transaction, or 0 if none is pending; Add then checks no nonce (see
// Config.Chain), so it is a suggestion. An account that has used up its
// nonces (the next would be MaxUint64, which no transfer may use) gets
// MaxUint64, which Add, with a chain, refuses.
func (p *Pool) NextNonce(a blockchain.Address) uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var chainNonce uint64
	if p.chain != nil {
		chainNonce = p.chain.Account(a).Nonce
	}
	next, _ := p.senders[a].next(chainNonce)
	return next
}

// PendingOf returns a's pending transactions in nonce order, or nil if
// none is. The slice is new; changing it does not change the pool.
func (p *Pool) PendingOf(a blockchain.Address) []blockchain.Transaction {
	p.mu.RLock()
	defer p.mu.RUnlock()
	q := p.senders[a]
	if q == nil {
		return nil
	}
	txs := make([]blockchain.Transaction, len(q.txs))
	for i, e := range q.txs {
		txs[i] = e.tx
	}
	return txs
}

// A Dropped is a pending transaction that a block made invalid, and why:
// Err wraps the [*blockchain.RuleError] the transaction now breaks,
// [blockchain.ErrBadNonce] or [blockchain.ErrInsufficientFunds], so
//
//	var re *blockchain.RuleError
//	errors.As(d.Err, &re) // re.Code says which rule
//
// A node reports each one (an event, a log line), so that whoever
// submitted it learns that it will never be mined.
type Dropped struct {
	Tx  blockchain.Transaction // the transaction, no longer pending
	Err error                  // why: wraps a *blockchain.RuleError
}

// RemoveBlock brings the pool up to date with a block the chain has just
// accepted, whoever mined it. Call it after the chain's Apply, for every
// block, in order. It
//
//  1. removes the pending transactions the block includes (by ID), and
//     returns how many in removed;
//  2. with a chain, checks the queue of every sender of the block again,
//     against the chain's new state, and returns what it drops in
//     dropped, each with the rule it now breaks. First go the
//     transactions whose nonce is now below the sender's nonce: the block
//     used their nonce for another transfer (the sender signed two for
//     one nonce, say, and another node's pool offered the other), so
//     they are [blockchain.ErrBadNonce], "want" the sender's nonce.
//  3. Then it walks the rest of the queue from the sender's nonce,
//     spending the sender's balance. The first transaction that does not
//     carry the next nonce (a gap, [blockchain.ErrBadNonce]), or whose
//     amount and fee what is left does not cover (the block spent the
//     funds, [blockchain.ErrInsufficientFunds]), is dropped, and so is
//     every later transaction of the sender, as [blockchain.ErrBadNonce]:
//     none can apply without it.
//
// Only the block's senders can lose anything: a block takes funds and
// nonces from its senders alone, and only credits everyone else. Dropped
// lists the senders in the order the block names them first, each one's
// transactions in nonce order; it is nil if nothing was dropped. A nil
// block changes nothing.
//
// Without a chain, RemoveBlock removes the block's transactions and
// drops nothing.
func (p *Pool) RemoveBlock(b *blockchain.Block) (removed int, dropped []Dropped) {
	if b == nil {
		return 0, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var senders []blockchain.Address // in the order the block names them
	seen := make(map[blockchain.Address]bool)
	touched := make(map[*queue]bool)
	for i := range b.Len() {
		tx := b.Transaction(i)
		if from := tx.From(); !seen[from] {
			seen[from] = true
			senders = append(senders, from)
		}
		if e, ok := p.byID[tx.ID()]; ok && !e.gone {
			p.forget(e)
			touched[p.senders[e.tx.From()]] = true
			removed++
		}
	}
	for q := range touched {
		p.settle(q)
	}
	if p.chain != nil {
		for _, from := range senders {
			dropped = append(dropped, p.recheck(from)...)
		}
	}
	p.compact()
	return removed, dropped
}

// recheck drops what no longer applies from from's queue, against the
// chain's state, as RemoveBlock says, and returns it.
func (p *Pool) recheck(from blockchain.Address) []Dropped {
	q := p.senders[from]
	if q == nil || len(q.txs) == 0 {
		return nil
	}
	acct := p.chain.Account(from)
	var out []Dropped
	drop := func(e *entry, re *blockchain.RuleError) {
		p.forget(e)
		out = append(out, Dropped{Tx: e.tx, Err: fmt.Errorf("pool: drop tx %s: %w", e.tx.ID(), re)})
	}
	next, balance := acct.Nonce, acct.Balance
	i := 0
	for ; i < len(q.txs) && q.txs[i].nonce < next; i++ {
		drop(q.txs[i], &blockchain.RuleError{
			Code: blockchain.ErrBadNonce, Have: fmt.Sprint(q.txs[i].nonce), Want: fmt.Sprint(next),
		})
	}
	for ; i < len(q.txs); i++ {
		e := q.txs[i]
		if e.nonce != next {
			break
		}
		if balance < e.cost {
			drop(e, &blockchain.RuleError{
				Code: blockchain.ErrInsufficientFunds,
				Have: fmt.Sprintf("%d (balance %d − pending %d)", balance, acct.Balance, acct.Balance-balance),
				Want: fmt.Sprintf("≥ %d (amount %d + fee %d)", e.cost, e.tx.Amount(), e.tx.Fee()),
			})
			i++
			break
		}
		balance -= e.cost
		next++
	}
	for ; i < len(q.txs); i++ { // after a gap or a transaction that cannot pay
		drop(q.txs[i], &blockchain.RuleError{
			Code: blockchain.ErrBadNonce, Have: fmt.Sprint(q.txs[i].nonce), Want: fmt.Sprint(next),
		})
	}
	if out != nil {
		p.settle(q)
	}
	return out
}

// Remove takes the pending transactions with these IDs out of the pool,
// each with every later transaction of its sender, and returns how many
// it took out in all; IDs that are not pending are ignored. The later
// transactions go too because they could never be mined without the one
// removed: their nonce would leave a gap, and the pool keeps every
// sender's queue applicable in order. To learn which went, ask
// [Pool.PendingOf] for the sender first. The remaining transactions keep
// their order.
//
// A node calls it to give up on transactions (ones that waited too long,
// say); for a block, it calls RemoveBlock, which also drops what the
// block made invalid.
func (p *Pool) Remove(ids ...uuid.UUID) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	removed := 0
	for _, id := range ids {
		e, ok := p.byID[id]
		if !ok {
			continue
		}
		q := p.senders[e.tx.From()]
		for _, later := range q.txs[slices.Index(q.txs, e):] {
			p.forget(later)
			removed++
		}
		p.settle(q)
	}
	p.compact()
	return removed
}

// forget marks e gone and takes it out of the ID index. Its queue and
// the admission order still hold it until settle and compact run.
func (p *Pool) forget(e *entry) {
	e.gone = true
	delete(p.byID, e.tx.ID())
}

// compact takes the gone entries out of the admission order, after a
// removal.
func (p *Pool) compact() {
	if len(p.order) != len(p.byID) {
		p.order = slices.DeleteFunc(p.order, func(e *entry) bool { return e.gone })
	}
}

// Ready reports whether a block should be cut now, by the block policy:
// at least Policy.MaxTx transactions are pending, or the oldest has been
// pending for Policy.MaxWait or longer by the pool's clock. An empty pool
// is never ready.
func (p *Pool) Ready() bool {
	if p.now == nil {
		return false // the zero Pool: empty, and no cut is due
	}
	now := p.now()
	p.mu.RLock()
	defer p.mu.RUnlock()
	if len(p.order) >= p.policy.MaxTx {
		return true
	}
	due, ok := p.due()
	return ok && !now.Before(due)
}

// Due returns when the next cut is due, so that a miner can set a timer
// for that moment instead of asking Ready again and again:
//
//	if due, ok := p.Due(); ok {
//		timer.Reset(time.Until(due)) // fires at once if due is past
//	}
//
// The time is the earlier of the moment the oldest pending transaction
// will have waited Policy.MaxWait, and, if Policy.MaxTx transactions are
// pending, the moment the MaxTx-th oldest was admitted (a past time: the
// cut is due already). A time that is not after now means Ready is true.
// An empty pool has nothing due and returns false.
//
// Only Add, Remove and RemoveBlock change the answer, so a miner asks
// again after any of them rather than in a loop.
func (p *Pool) Due() (time.Time, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.due()
}

// due is Due with p.mu held.
func (p *Pool) due() (time.Time, bool) {
	if len(p.order) == 0 {
		return time.Time{}, false
	}
	due := p.order[0].added.Add(p.policy.MaxWait)
	if n := p.policy.MaxTx; len(p.order) >= n {
		if full := p.order[n-1].added; full.Before(due) {
			due = full
		}
	}
	return due, true
}
