package pool

import (
	"fmt"
	"math"
	"time"

	"github.com/eventchain/eventchain/blockchain"
)

// A Policy holds the pool's tunables: how many transactions it keeps,
// when a miner should cut a block from them, and in which order it
// offers them. Start from [DefaultPolicy] and change what you need:
//
//	policy := pool.DefaultPolicy()
//	policy.MaxTx = 5
//	policy.Order = pool.HighestFee
//	p, err := pool.New(pool.Config{Policy: policy, Chain: chain})
type Policy struct {
	// Capacity is the most transactions the pool holds; Add returns
	// ErrFull beyond it. A bound keeps a flood of submissions from
	// taking all the memory. At least 1.
	Capacity int

	// MaxPerSender is the most transactions of one sender that Check
	// admits: a node checks each submission with Check before it
	// appends it to the log, and refuses it with ErrSenderFull beyond
	// the bound, so one sender cannot fill the pool and lock every other
	// account out until blocks have taken its transfers. Add, which
	// takes what the log holds, is bounded by Capacity alone (see
	// Pool.Check). 0 means no bound but Capacity. Not negative.
	MaxPerSender int

	// MaxTx is the size of a full block: a cut is due as soon as MaxTx
	// transactions are pending (the original project cut at 20). A miner
	// passes it to Candidates. At least 1, at most Capacity and at most
	// blockchain.MaxBlockTransactions.
	MaxTx int

	// MaxWait is the longest the oldest pending transaction waits for a
	// block: a cut is due once it has been pending this long, however few
	// transactions there are, so a lone transaction is never stranded.
	// It is measured from admission by the pool's clock (a transaction
	// carries no time of its own). 0 makes a cut due as soon as anything
	// is pending. Not negative.
	MaxWait time.Duration

	// Order is how [Pool.Candidates] chooses among the senders: [FIFO]
	// (the zero value, the original project's) or [HighestFee].
	Order Order
}

// DefaultPolicy returns the policy [New] uses when Config.Policy is the
// zero Policy: room for 10 000 transactions, at most 100 of one sender,
// blocks of 20 (the original project's rule), a cut at the latest 10
// seconds after a transaction arrives, first in first out.
func DefaultPolicy() Policy {
	return Policy{
		Capacity:     10_000,
		MaxPerSender: 100,
		MaxTx:        20,
		MaxWait:      10 * time.Second,
		Order:        FIFO,
	}
}

// Validate returns an error naming the first field that makes no sense,
// wrapping [ErrInvalidConfig]: the check [New] makes. An app that fills
// a Policy from its flags calls it before it opens anything, to refuse
// a bad flag while there is nothing to undo.
func (p Policy) Validate() error {
	switch {
	case p.Capacity < 1:
		return configErr("Policy.Capacity: have %d, want ≥ 1", p.Capacity)
	case p.MaxPerSender < 0:
		return configErr("Policy.MaxPerSender: have %d, want ≥ 0", p.MaxPerSender)
	case p.MaxTx < 1:
		return configErr("Policy.MaxTx: have %d, want ≥ 1", p.MaxTx)
	case p.MaxTx > p.Capacity:
		return configErr("Policy.MaxTx: have %d, want ≤ Policy.Capacity (%d)", p.MaxTx, p.Capacity)
	case p.MaxTx > blockchain.MaxBlockTransactions:
		return configErr("Policy.MaxTx: have %d, want ≤ blockchain.MaxBlockTransactions (%d)", p.MaxTx, blockchain.MaxBlockTransactions)
	case p.MaxWait < 0:
		return configErr("Policy.MaxWait: have %v, want ≥ 0", p.MaxWait)
	case !p.Order.known():
		return configErr("Policy.Order: have %d, want %s", int(p.Order), orderChoices)
	}
	return nil
}

// SigCacheSize returns the size of the signature cache ([blockchain.SigCache])
// for a pool of this policy, the one [New] makes when Config.SigCache is
// nil and a node shares with its pool: twice the Capacity, room for the
// pending transactions and as many more the node has verified on their
// way in, or math.MaxInt for a Capacity above half of it (doubled, it
// would wrap round to a negative size, and the cache hold one hash).
func (p Policy) SigCacheSize() int {
	if p.Capacity > math.MaxInt/2 {
		return math.MaxInt
	}
	return 2 * p.Capacity
}

// configErr builds an error wrapping ErrInvalidConfig.
func configErr(format string, args ...any) error {
	return fmt.Errorf("pool: %w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// An Order says which pending transaction [Pool.Candidates] offers next.
// Whatever the order, a sender's transactions come in nonce order: the
// pool only ever chooses among the first pending transaction of each
// sender (its queue's head), so the list it returns applies on the chain
// one after the other.
//
// An Order is written as text — "fifo" or "fee" — by MarshalText and read
// by UnmarshalText, so an app can take it as a flag:
//
//	order := pool.FIFO
//	fs.TextVar(&order, "pool-order", pool.FIFO, "candidate order: fifo or fee")
type Order int

const (
	// FIFO offers the oldest first, by the pool's admission order: the
	// original project's first in, first out, and the fairest order. A
	// transaction still waits for its sender's earlier nonces, however
	// old it is.
	FIFO Order = iota

	// HighestFee offers the highest fee first, as a miner paid by the
	// fees would; equal fees go oldest first. A sender's cheap
	// transaction still goes before its own later, richer ones: a nonce
	// cannot be skipped.
	HighestFee
)

// orderChoices lists the texts UnmarshalText accepts, for error messages.
const orderChoices = `"fifo" or "fee"`

func (o Order) known() bool { return o == FIFO || o == HighestFee }

// String returns "fifo" or "fee", and "Order(n)" for a value that is
// neither.
func (o Order) String() string {
	switch o {
	case FIFO:
		return "fifo"
	case HighestFee:
		return "fee"
	}
	return fmt.Sprintf("Order(%d)", int(o))
}

// MarshalText returns "fifo" or "fee". Any other value has no text and
// gives an error wrapping [ErrInvalidConfig].
func (o Order) MarshalText() ([]byte, error) {
	if !o.known() {
		return nil, configErr("order: have %d, want %s", int(o), orderChoices)
	}
	return []byte(o.String()), nil
}

// UnmarshalText reads "fifo" or "fee", exactly (lower case). Any other
// text is an error wrapping [ErrInvalidConfig] that quotes it; o is then
// unchanged.
func (o *Order) UnmarshalText(text []byte) error {
	switch string(text) {
	case "fifo":
		*o = FIFO
	case "fee":
		*o = HighestFee
	default:
		return configErr("order: have %q, want %s", text, orderChoices)
	}
	return nil
}

// DefaultRules returns the admission rules [New] uses when Config.Rules
// is nil, in the order [Pool.Add] runs them: [blockchain.TxSanityRules],
// the rules that need nothing but the transaction — amount and fee in
// range, a sender and a receiver, not to oneself, a well-formed chain ID,
// a sender that is the key's address, and last, the costliest, the
// signature. The pool reuses them rather than re-implement them. The
// slice is new on every call, so a caller may append its own rules to it:
//
//	rules := append(pool.DefaultRules(), myRule)
//
// What needs the chain's state — the chain ID, the nonce, the funds — is
// not a rule here: Add checks it against Config.Chain.
func DefaultRules() []blockchain.TxRule {
	return blockchain.TxSanityRules()
}
