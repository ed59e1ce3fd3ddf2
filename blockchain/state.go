package blockchain

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/eventchain/eventchain/blockchain/internal/smt"
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

// A State is every account's balance and nonce after some block: the
// account model of Ethereum, where the chain remembers who holds what
// instead of which outputs are unspent. It starts from the genesis
// allocations ([NewState]) and each block makes a new one through a
// [StateBatch], all or nothing.
//
// A State never changes once made. Its accounts live in a persistent
// sparse Merkle tree keyed by address (see [State.Root]): a new State
// shares every part of the tree its block did not touch with the State
// before it, so keeping the states of the last hundred heights costs
// about what those blocks changed, not a hundred copies; and a reader
// may hold a State as long as it likes while the chain goes on.
//
// Three laws hold for every State:
//
//   - No balance is ever negative.
//   - The supply, the sum of all balances, never passes math.MaxInt64:
//     NewState and Credit refuse what would pass it. Since each balance
//     is at most the supply, no balance can overflow either.
//   - Coins are conserved: a transfer moves its amount from one account
//     to another and burns its fee; only Credit makes new coins. So
//     Supply after a batch = Supply before − the fees of its transfers +
//     its credits. A block's beneficiary is credited the block reward
//     plus the block's fees, which makes the supply grow by exactly the
//     reward.
//
// The zero State is empty and ready to use. A State does no I/O and is
// safe for concurrent use.
type State struct {
	tree   smt.Tree // address → 16 bytes: Balance int64 ‖ Nonce uint64, big-endian; zero accounts absent
	supply int64    // the sum of the balances, in 0…math.MaxInt64
}

// NewState returns the state at genesis: each allocation's address holds
// its balance, every nonce is 0. An empty or nil alloc gives an empty
// state. It is an error for an allocation to name the zero address, to
// hold a negative balance, or to name an address already allocated; and
// for the balances to add up to more than math.MaxInt64, an error
// wrapping a [*RuleError] with code [ErrBalanceOverflow]. An allocation
// of 0 is allowed and changes nothing.
func NewState(alloc []Allocation) (*State, error) {
	b := (&State{}).Batch()
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
		if err := b.Credit(al.Address, al.Balance); err != nil {
			return nil, fmt.Errorf("blockchain: allocation %d: %w", i, err)
		}
	}
	return b.Apply(), nil
}

// Account returns what the state knows of a: the zero Account if nothing.
func (s *State) Account(a Address) Account {
	v, ok := s.tree.View(smt.Key(a)) // decoded at once: no copy needed
	if !ok {
		return Account{}
	}
	return decodeAccount(v)
}

// accountValueLen is the length of an account's value in the state tree.
const accountValueLen = 16

// appendValue appends the account's value in the state tree: Balance
// int64 ‖ Nonce uint64, big-endian.
func (a Account) appendValue(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(a.Balance))
	return binary.BigEndian.AppendUint64(b, a.Nonce)
}

func decodeAccount(v []byte) Account {
	return Account{Balance: int64(binary.BigEndian.Uint64(v)), Nonce: binary.BigEndian.Uint64(v[8:])}
}

// Len returns the number of accounts that are not zero: that hold a
// balance or have sent a transfer.
func (s *State) Len() int { return s.tree.Len() }

// Supply returns the sum of all balances, in minor units.
func (s *State) Supply() int64 { return s.supply }

// Root returns the state root: the root hash of the sparse Merkle tree
// that holds every account that is not zero, keyed by address. Each
// header's StateRoot is the root of the state after its block, so a
// proof from the tree ([State.Prove]) shows an account's balance and
// nonce at a height, or that it has none, to anyone who trusts only the
// header.
//
// The tree, in short (package doc of blockchain/internal/smt for the
// whole of it): a leaf is SHA-256(0x10 ‖ address ‖ balance ‖ nonce), an
// inner node SHA-256(0x11 ‖ left ‖ right), an empty subtree 32 zero bytes;
// bit i of the address picks the side at depth i, and a subtree holding
// one account is that account's leaf, so the tree is about log₂ n deep,
// not 160. The empty state's root is 32 zero bytes.
func (s *State) Root() Hash { return Hash(s.tree.Root()) }

// Each calls yield for every account that is not zero, in increasing
// order of address bytes, until yield returns false. The order never
// depends on the machine, so snapshots taken from it are the same on
// every node. Each is an iterator, so a loop can also range over it:
//
//	for addr, acct := range state.Each { … }
func (s *State) Each(yield func(Address, Account) bool) {
	for k, v := range s.tree.All {
		if !yield(Address(k), decodeAccount(v)) {
			return
		}
	}
}

// Batch returns an empty batch of changes to s. Nothing it does reaches s,
// which never changes: [StateBatch.Apply] returns the new State.
func (s *State) Batch() *StateBatch {
	return &StateBatch{state: s, supply: s.supply}
}

// A StateBatch holds the changes a block makes to a [State]: an overlay of
// the accounts it touched, in front of the state, which it reads but does
// not change. Its Transfer and Credit check their rules against the state
// as the batch sees it and change the batch only when every rule holds, so
// a failed call leaves the batch as it was and still usable. Apply makes
// the new State from all the changes at once: a block is applied all or
// nothing.
//
// A batch costs what it touches: its work and memory grow with the number
// of accounts it changes, never with the size of the state
// (BenchmarkBatch measures it).
//
// A StateBatch belongs to one goroutine. Make one with [State.Batch]; the
// zero StateBatch is not usable.
type StateBatch struct {
	state   *State
	touched map[Address]Account // the accounts this batch changed, as they now are
	supply  int64               // the state's supply as the batch sees it
	next    *State              // the state after the batch, once Root or Apply made it; nil after a change
}

// Account returns what the batch knows of a: its change, if it made one,
// else the state's account.
func (b *StateBatch) Account(a Address) Account {
	if acct, ok := b.touched[a]; ok {
		return acct
	}
	return b.state.Account(a)
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
//  3. nonce is the sender's nonce ([ErrBadNonce]: "have 5, want 3"),
//     and the sender's nonce is not MaxUint64, which no nonce could
//     follow (the account has used up its nonces);
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
	if src.Nonce == math.MaxUint64 {
		// No nonce follows it: taken, it would wrap to 0 and let every
		// transfer the account ever sent be replayed.
		return ruleErr(ErrBadNonce, nonce, "none: the account has used up its nonces")
	}
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
	src.Nonce++         // < MaxUint64: checked above
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

// Root returns the state root the batch leads to: [State.Root] of what
// Apply would return. It costs about 17 hashes per touched account with
// 100 000 accounts (BenchmarkBlockStateRoot measures it), and Apply
// reuses its work.
func (b *StateBatch) Root() Hash { return b.Apply().Root() }

// Apply returns the state after the batch's changes: a new State, sharing
// with the batch's state all it did not touch. The batch's state is not
// changed, and the batch stays usable: more changes and another Apply
// give a state with those too. It takes time in proportion to the
// accounts the batch touched.
func (b *StateBatch) Apply() *State {
	if b.next != nil {
		return b.next
	}
	if len(b.touched) == 0 {
		return b.state
	}
	changes := make([]smt.Change, 0, len(b.touched))
	for a, acct := range b.touched {
		var v []byte
		if !acct.IsZero() { // a zero account is no account: it leaves the tree
			v = acct.appendValue(make([]byte, 0, accountValueLen))
		}
		changes = append(changes, smt.Change{Key: smt.Key(a), Value: v})
	}
	tree, err := b.state.tree.Update(changes)
	if err != nil { // every value is accountValueLen bytes, well under smt.MaxValueLen
		panic("blockchain: state tree: " + err.Error())
	}
	b.next = &State{tree: tree, supply: b.supply}
	return b.next
}

// set records the batch's change to a's account.
func (b *StateBatch) set(a Address, acct Account) {
	if b.touched == nil {
		// Room for 8 transfers between different accounts before the
		// map first grows; an empty block allocates nothing.
		b.touched = make(map[Address]Account, 16)
	}
	b.touched[a] = acct
	b.next = nil
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
