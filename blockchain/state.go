package blockchain

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"slices"
)

// An Account is what the chain knows of an address: how many minor units
// it holds and how many transactions it has sent. An address the chain
// has never seen has the zero Account.
type Account struct {
	// Balance is in minor units. It is never negative.
	Balance int64
	// Nonce counts the transfers the account has sent. The next one must
	// carry exactly this nonce; so a transfer cannot be played twice (a
	// replay carries a used nonce) and cannot skip ahead (a gap).
	Nonce uint64
}

// IsZero reports whether a is the zero Account: no balance, nothing sent.
func (a Account) IsZero() bool { return a == Account{} }

// An Allocation gives an address its balance at genesis; see [NewState].
type Allocation struct {
	Address Address // the account; never the zero address
	Balance int64   // what it holds at genesis, in minor units, ≥ 0
}

// A State is every account's balance and nonce: the account model of
// Ethereum, where the chain remembers who holds what instead of which
// outputs are unspent. It starts from the genesis allocations
// ([NewState]) and changes only through a [StateBatch], which holds the
// changes of one block until [StateBatch.Commit] applies them all at
// once.
//
// Three laws hold for every State, whatever is done to it:
//
//   - No balance is ever negative.
//   - The supply, the sum of all balances, never passes math.MaxInt64:
//     NewState and Credit refuse what would pass it. Since each balance
//     is at most the supply, no balance can overflow either.
//   - Coins are conserved: a transfer moves its amount from one account
//     to another and burns its fee; only Credit makes new coins. So once
//     a batch is committed, Supply = Supply before − the fees of its
//     transfers + its credits. A block's beneficiary is credited the
//     block reward plus the block's fees, which makes the supply grow by
//     exactly the reward.
//
// The zero State is empty and ready to use. A State does no I/O.
//
// A State is not safe for concurrent use: reads (Account, Len, Supply,
// Each, and the reads of its batches) may run together, but Commit must
// run alone. The [Chain] that holds a State will guard it with its lock.
type State struct {
	accounts map[Address]Account // only accounts that are not zero
	supply   int64               // the sum of the balances, in 0…math.MaxInt64
	commits  uint64              // how many batches were committed; see StateBatch.Commit
}

// NewState returns the state at genesis: each allocation's address holds
// its balance, every nonce is 0. An empty or nil alloc gives an empty
// state. It is an error for an allocation to name the zero address, to
// hold a negative balance, or to name an address already allocated; and
// for the balances to add up to more than math.MaxInt64, an error
// wrapping a [*RuleError] with code [ErrBalanceOverflow]. An allocation
// of 0 is allowed and changes nothing.
func NewState(alloc []Allocation) (*State, error) {
	s := &State{accounts: make(map[Address]Account, len(alloc))}
	seen := make(map[Address]int, len(alloc))
	for i, al := range alloc {
		if al.Address.IsZero() {
			return nil, fmt.Errorf("blockchain: allocation %d: address: have the zero address, want an account's", i)
		}
		if j, dup := seen[al.Address]; dup {
			return nil, fmt.Errorf("blockchain: allocation %d: %s is already allocation %d", i, al.Address, j)
		}
		seen[al.Address] = i
		if al.Balance < 0 {
			return nil, fmt.Errorf("blockchain: allocation %d: balance: have %d, want ≥ 0", i, al.Balance)
		}
		supply, ok := add(s.supply, al.Balance)
		if !ok {
			return nil, fmt.Errorf("blockchain: allocation %d: %w", i, overflow("supply", s.supply, al.Balance))
		}
		s.supply = supply
		if al.Balance > 0 {
			s.accounts[al.Address] = Account{Balance: al.Balance}
		}
	}
	return s, nil
}

// Account returns what the state knows of a: the zero Account if nothing.
func (s *State) Account(a Address) Account { return s.accounts[a] }

// Len returns the number of accounts that are not zero: that hold a
// balance or have sent a transfer.
func (s *State) Len() int { return len(s.accounts) }

// Supply returns the sum of all balances, in minor units.
func (s *State) Supply() int64 { return s.supply }

// Each calls yield for every account that is not zero, in increasing
// order of address bytes, until yield returns false. The order never
// depends on the map, so snapshots and, later, state roots computed from
// it are the same on every node. Each is an iterator, so a loop can also
// range over it:
//
//	for addr, acct := range state.Each { … }
//
// Each sorts the addresses: it takes O(n log n) time and O(n) space.
// yield must not commit a batch of s.
func (s *State) Each(yield func(Address, Account) bool) {
	addrs := slices.SortedFunc(maps.Keys(s.accounts), func(a, b Address) int {
		return bytes.Compare(a[:], b[:])
	})
	for _, a := range addrs {
		if !yield(a, s.accounts[a]) {
			return
		}
	}
}

// Batch returns an empty batch of changes to s. Nothing it does reaches s
// until [StateBatch.Commit]; to throw the changes away, drop the batch.
func (s *State) Batch() *StateBatch {
	return &StateBatch{state: s, commits: s.commits, supply: s.supply}
}

// A StateBatch holds the changes a block makes to a [State]: an overlay of
// the accounts it touched, in front of the state, which it reads but does
// not change. Its Transfer and Credit check their rules against the state
// as the batch sees it and change the batch only when every rule holds, so
// a failed call leaves the batch as it was and still usable. Commit
// applies every change at once: a block is applied all or nothing.
//
// A batch costs what it touches: its work and memory grow with the number
// of accounts it changes, never with the size of the state
// (BenchmarkBatch measures it).
//
// A StateBatch belongs to one goroutine. While it is in use it reads its
// State, so it counts as a reader of that State. Make one with
// [State.Batch]; the zero StateBatch is not usable.
type StateBatch struct {
	state   *State
	commits uint64              // state.commits when the batch started
	touched map[Address]Account // the accounts this batch changed, as they now are
	supply  int64               // the state's supply as the batch sees it
}

// Account returns what the batch knows of a: its change, if it made one,
// else the state's account.
func (b *StateBatch) Account(a Address) Account {
	if acct, ok := b.touched[a]; ok {
		return acct
	}
	return b.state.accounts[a]
}

// Supply returns the sum of all balances as the batch sees them: the
// state's supply, less the fees of the batch's transfers, plus its
// credits.
func (b *StateBatch) Supply() int64 { return b.supply }

// Transfer moves amount minor units from one account to another and burns
// fee more from the sender; the sender's nonce goes up by one. The fee is
// not credited to anyone here: the block's beneficiary gets the fees of
// the whole block through one [StateBatch.Credit].
//
// The rules are checked in this order, and the first that fails is
// returned as a [*RuleError], leaving the batch unchanged:
//
//  1. amount is in 1…MaxAmount ([ErrInvalidAmount]), and fee in
//     0…MaxAmount ([ErrInvalidFee]);
//  2. neither address is the zero address ([ErrMissingSender],
//     [ErrMissingReceiver]), and they differ ([ErrSelfTransfer]);
//  3. nonce is the sender's nonce ([ErrBadNonce]: "have 5, want 3");
//  4. the sender's balance covers amount + fee ([ErrInsufficientFunds]);
//  5. the receiver's balance + amount fits in an int64
//     ([ErrBalanceOverflow]). The supply law makes this impossible; it is
//     checked all the same.
func (b *StateBatch) Transfer(from, to Address, amount, fee int64, nonce uint64) error {
	if amount < 1 || amount > MaxAmount {
		return ruleErr(ErrInvalidAmount, amount, fmt.Sprintf("1…%d", MaxAmount))
	}
	if fee < 0 || fee > MaxAmount {
		return ruleErr(ErrInvalidFee, fee, fmt.Sprintf("0…%d", MaxAmount))
	}
	if from.IsZero() {
		return ruleErr(ErrMissingSender, "the zero address", "a sender")
	}
	if to.IsZero() {
		return ruleErr(ErrMissingReceiver, "the zero address", "a receiver")
	}
	if from == to {
		return ruleErr(ErrSelfTransfer, "from and to "+from.String(), "two different accounts")
	}
	src, dst := b.Account(from), b.Account(to)
	if nonce != src.Nonce {
		return ruleErr(ErrBadNonce, nonce, src.Nonce)
	}
	cost, ok := add(amount, fee) // at most 2·MaxAmount: cannot fail
	if !ok {
		return overflow("amount + fee", amount, fee)
	}
	if src.Balance < cost {
		return ruleErr(ErrInsufficientFunds, src.Balance, fmt.Sprintf("≥ %d (amount %d + fee %d)", cost, amount, fee))
	}
	received, ok := add(dst.Balance, amount)
	if !ok {
		return overflow("balance", dst.Balance, amount)
	}
	// Every rule holds: change the batch.
	src.Balance -= cost // ≥ 0: checked above
	src.Nonce++         // would wrap only after 2⁶⁴ transfers from one account
	dst.Balance = received
	b.set(from, src)
	b.set(to, dst)
	b.supply -= fee // ≥ 0: the fee came out of a balance
	return nil
}

// Credit adds amount minor units to a's balance: new coins, such as the
// block reward plus the block's fees, paid to the block's beneficiary. It
// does not touch a's nonce. It returns a [*RuleError] and leaves the batch
// unchanged if amount is negative ([ErrInvalidAmount]), a is the zero
// address ([ErrMissingReceiver]), or the supply would pass math.MaxInt64
// ([ErrBalanceOverflow]). Crediting 0 changes nothing.
func (b *StateBatch) Credit(a Address, amount int64) error {
	if amount < 0 {
		return ruleErr(ErrInvalidAmount, amount, "≥ 0")
	}
	if a.IsZero() {
		return ruleErr(ErrMissingReceiver, "the zero address", "a receiver")
	}
	supply, ok := add(b.supply, amount)
	if !ok {
		return overflow("supply", b.supply, amount)
	}
	acct := b.Account(a)
	balance, ok := add(acct.Balance, amount) // a balance is at most the supply: cannot fail
	if !ok {
		return overflow("balance", acct.Balance, amount)
	}
	if amount == 0 {
		return nil
	}
	acct.Balance = balance
	b.set(a, acct)
	b.supply = supply
	return nil
}

// Commit applies the batch's changes to its state, all at once, and
// empties the batch: it may go on to hold the next block's changes. It
// takes time in proportion to the accounts the batch touched.
//
// Commit panics if another batch of the same state was committed after
// this one was made (or last committed): this batch checked its rules
// against balances and nonces that are no longer the state's, and
// applying it would break the laws of [State]. Make a new batch instead.
func (b *StateBatch) Commit() {
	s := b.state
	if b.commits != s.commits {
		panic("blockchain: StateBatch.Commit: another batch of the state was committed after this one was made")
	}
	if s.accounts == nil {
		s.accounts = make(map[Address]Account, len(b.touched))
	}
	for a, acct := range b.touched {
		if acct.IsZero() { // never yet: a touched account gained a nonce or a balance
			delete(s.accounts, a)
		} else {
			s.accounts[a] = acct
		}
	}
	s.supply = b.supply
	s.commits++
	b.commits = s.commits
	clear(b.touched)
}

// set records the batch's change to a's account.
func (b *StateBatch) set(a Address, acct Account) {
	if b.touched == nil {
		// Room for 8 transfers between different accounts before the
		// map first grows; an empty block allocates nothing.
		b.touched = make(map[Address]Account, 16)
	}
	b.touched[a] = acct
}

// add returns x + y and whether the sum fits in an int64. It compares
// with the bounds before adding, so it never overflows itself.
func add(x, y int64) (int64, bool) {
	if y > 0 && x > math.MaxInt64-y || y < 0 && x < math.MinInt64-y {
		return 0, false
	}
	return x + y, true
}

// overflow reports that x + y, the name of what was being added, would
// pass the largest int64.
func overflow(what string, x, y int64) *RuleError {
	return ruleErr(ErrBalanceOverflow, fmt.Sprintf("%s %d + %d", what, x, y), fmt.Sprintf("≤ %d", int64(math.MaxInt64)))
}
