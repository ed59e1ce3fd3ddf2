package pool

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
)

// An Includer tells whether the chain already includes a transaction.
// A [*blockchain.Chain] is one. The pool asks it so that it never takes a
// transaction that is already mined (a late rebroadcast, say).
//
// The pool calls Includes while it holds its own lock, so that no block
// can be applied and removed between the question and the admission (see
// [Pool.Add]). Includes must therefore be safe for concurrent use, quick,
// and must not call back into the pool.
type Includer interface {
	// Includes reports whether a transaction with this ID is in the chain.
	Includes(id uuid.UUID) bool
}

// Config configures a [Pool]. The zero Config is a valid one: the default
// policy and rules, the system clock, and no chain to consult.
type Config struct {
	// Policy holds the tunables; the zero Policy means [DefaultPolicy].
	// Any other value is checked field by field, so start from
	// DefaultPolicy() and change what you need.
	Policy Policy

	// Chain, if not nil, is asked whether a transaction is already
	// included; Add then refuses it with ErrAlreadyIncluded. Nil skips
	// that check.
	Chain Includer

	// Now is the pool's clock: it dates admissions (for Policy.MaxWait)
	// and feeds RuleNotFromFuture. Nil means time.Now. Tests inject a
	// fake clock. It must be safe for concurrent use.
	Now func() time.Time

	// Rules replaces [DefaultRules] when not nil: Add runs these, in
	// order, instead. Each needs a Name and a Check, and each Check must
	// be safe for concurrent use. To add a rule rather than replace them
	// all, append it to DefaultRules(now, policy.MaxClockSkew).
	Rules []blockchain.TxRule
}

// A Pool holds pending transactions — submitted, not yet in a block — in
// the order it admitted them (first in, first out). A miner takes its
// candidate block from the front with [Pool.Candidates], and once a block
// is in the chain, [Pool.RemoveBlock] drops the transactions it included.
//
// A Pool admits a transaction only if it keeps every admission rule, is
// not already pending or in the chain, and fits in the capacity; see
// [Pool.Add]. [Pool.Ready] and [Pool.Due] apply the block policy: when a
// cut is due.
//
// A Pool is safe for concurrent use by many goroutines. It starts no
// goroutines and does no I/O: nothing happens unless a method is called.
// Build one with [New]; the zero Pool is not usable.
type Pool struct {
	policy Policy
	rules  []blockchain.TxRule
	chain  Includer
	now    func() time.Time

	mu    sync.RWMutex
	order []*entry             // pending transactions, oldest first
	byID  map[uuid.UUID]*entry // the same entries, by transaction ID
}

// An entry is one pending transaction and when the pool admitted it.
type entry struct {
	tx    blockchain.Transaction
	added time.Time // by the pool's clock
}

// New returns an empty pool configured by cfg, or an error wrapping
// [ErrInvalidConfig] that names the first field that makes no sense: a
// capacity or MaxTx below 1, a MaxTx above the capacity, a negative
// duration, a rule without a name or a check.
func New(cfg Config) (*Pool, error) {
	policy := cfg.Policy
	if policy == (Policy{}) {
		policy = DefaultPolicy()
	}
	if err := policy.validate(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	rules := slices.Clone(cfg.Rules)
	if rules == nil {
		rules = DefaultRules(now, policy.MaxClockSkew)
	}
	for i, r := range rules {
		if r.Name == "" {
			return nil, configErr("Rules[%d]: Name is empty", i)
		}
		if r.Check == nil {
			return nil, configErr("Rules[%d] (%s): Check is nil", i, r.Name)
		}
	}
	return &Pool{
		policy: policy,
		rules:  rules,
		chain:  cfg.Chain,
		now:    now,
		byID:   make(map[uuid.UUID]*entry),
	}, nil
}

// Policy returns the policy the pool runs with: DefaultPolicy() if
// Config.Policy was zero. A miner uses its MaxTx as the size of a block.
func (p *Pool) Policy() Policy { return p.policy }

// Add admits tx at the back of the queue, dated by the pool's clock, or
// returns why not. The checks run in this order, and the first failure
// stops them:
//
//  1. Each admission rule (by default [DefaultRules]). A broken rule gives
//     an error naming it and wrapping the rule's [*blockchain.RuleError],
//     so errors.Is(err, blockchain.ErrInvalidAmount) tells which rule
//     failed.
//  2. Its ID must not be pending: [ErrDuplicate] if the pending
//     transaction is this very one (same hash), [ErrIDConflict] if it is
//     a different one.
//  3. If the pool has a chain, it must not include the ID:
//     [ErrAlreadyIncluded].
//  4. The pool must hold fewer than Policy.Capacity transactions:
//     [ErrFull].
//
// A refused transaction leaves the pool as it was. Checks 2 to 4 and the
// admission happen under one lock, so two goroutines adding the same ID
// at once admit it once; and if the node applies each block to the chain
// before calling RemoveBlock, a transaction is never left pending after
// the block that included it has been removed.
//
// The pool does not remember transactions it has removed: once a block's
// transactions are gone, only Config.Chain keeps them from coming back.
func (p *Pool) Add(tx blockchain.Transaction) error {
	id := tx.ID()
	for _, r := range p.rules {
		if err := r.Check(tx); err != nil {
			return fmt.Errorf("pool: add tx %s: rule %s: %w", id, r.Name, err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.byID[id]; ok {
		if e.tx.Hash() == tx.Hash() {
			return fmt.Errorf("pool: add tx %s: %w", id, ErrDuplicate)
		}
		return fmt.Errorf("pool: add tx %s: %w: hash: have %s, pending %s",
			id, ErrIDConflict, tx.Hash().Short(), e.tx.Hash().Short())
	}
	if p.chain != nil && p.chain.Includes(id) {
		return fmt.Errorf("pool: add tx %s: %w", id, ErrAlreadyIncluded)
	}
	if len(p.order) >= p.policy.Capacity {
		return fmt.Errorf("pool: add tx %s: %w: have %d pending, capacity %d",
			id, ErrFull, len(p.order), p.policy.Capacity)
	}
	e := &entry{tx: tx, added: p.now()}
	p.order = append(p.order, e)
	p.byID[id] = e
	return nil
}

// Check runs the admission checks that do not depend on what is pending —
// the rules, then Config.Chain — and returns the error Add would, without
// admitting tx. A node calls it before it publishes a submitted
// transaction, so that the log only receives transactions every pool will
// take.
func (p *Pool) Check(tx blockchain.Transaction) error {
	id := tx.ID()
	for _, r := range p.rules {
		if err := r.Check(tx); err != nil {
			return fmt.Errorf("pool: check tx %s: rule %s: %w", id, r.Name, err)
		}
	}
	if p.chain != nil && p.chain.Includes(id) {
		return fmt.Errorf("pool: check tx %s: %w", id, ErrAlreadyIncluded)
	}
	return nil
}

// Len returns how many transactions are pending.
func (p *Pool) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.order)
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

// Candidates returns up to limit pending transactions, oldest first: the
// transactions of the next block. It returns fewer if fewer are pending,
// and none if limit ≤ 0. The slice is new; changing it does not change the
// pool.
//
// Candidates does not remove anything. A miner's block may lose the race
// to another miner's, and then its transactions must still be pending;
// they leave the pool only through [Pool.Remove] or [Pool.RemoveBlock],
// once a block that includes them is in the chain.
func (p *Pool) Candidates(limit int) []blockchain.Transaction {
	p.mu.RLock()
	defer p.mu.RUnlock()
	n := min(limit, len(p.order))
	if n <= 0 {
		return nil
	}
	txs := make([]blockchain.Transaction, n)
	for i, e := range p.order[:n] {
		txs[i] = e.tx
	}
	return txs
}

// Remove drops the pending transactions with these IDs and returns how
// many it dropped; IDs that are not pending are ignored. The others keep
// their order.
func (p *Pool) Remove(ids ...uuid.UUID) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	removed := 0
	for _, id := range ids {
		if _, ok := p.byID[id]; ok {
			delete(p.byID, id)
			removed++
		}
	}
	if removed > 0 {
		p.order = slices.DeleteFunc(p.order, func(e *entry) bool {
			return p.byID[e.tx.ID()] != e
		})
	}
	return removed
}

// RemoveBlock drops the pending transactions that b includes, whoever
// mined it, and returns how many it dropped. Call it after the chain has
// accepted b. A nil block removes nothing.
func (p *Pool) RemoveBlock(b *blockchain.Block) int {
	if b == nil {
		return 0
	}
	ids := make([]uuid.UUID, b.Len())
	for i := range ids {
		ids[i] = b.Transaction(i).ID()
	}
	return p.Remove(ids...)
}

// Ready reports whether a block should be cut now, by the block policy:
// at least Policy.MaxTx transactions are pending, or the oldest has been
// pending for Policy.MaxWait or longer by the pool's clock. An empty pool
// is never ready.
func (p *Pool) Ready() bool {
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
// Only Add and Remove (or RemoveBlock) change the answer, so a miner asks
// again after either rather than in a loop.
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
