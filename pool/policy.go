package pool

import (
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
)

// A Policy holds the pool's tunables: how many transactions it keeps, and
// when a miner should cut a block from them. Start from [DefaultPolicy] and
// change what you need:
//
//	policy := pool.DefaultPolicy()
//	policy.MaxTx = 5
//	p, err := pool.New(pool.Config{Policy: policy})
type Policy struct {
	// Capacity is the most transactions the pool holds; Add returns
	// ErrFull beyond it. A bound keeps a flood of submissions from
	// taking all the memory. At least 1.
	Capacity int

	// MaxTx is the size of a full block: a cut is due as soon as MaxTx
	// transactions are pending (the original project cut at 20). A miner
	// passes it to Candidates. At least 1, at most Capacity and at most
	// blockchain.MaxBlockTransactions.
	MaxTx int

	// MaxWait is the longest the oldest pending transaction waits for a
	// block: a cut is due once it has been pending this long, however few
	// transactions there are, so a lone transaction is never stranded.
	// It is measured from admission by the pool's clock, not from the
	// transaction's own timestamp, which is the sender's claim and may be
	// old (a rebroadcast) or skewed. 0 makes a cut due as soon as anything
	// is pending. Not negative.
	MaxWait time.Duration

	// MaxClockSkew is how far ahead of the pool's clock a transaction's
	// timestamp may be; see [RuleNotFromFuture]. Clocks of different
	// machines never agree exactly, so a little skew must be allowed.
	// Not negative.
	MaxClockSkew time.Duration
}

// DefaultPolicy returns the policy [New] uses when Config.Policy is the
// zero Policy: room for 10 000 transactions, blocks of 20 (the original
// project's rule), a cut at the latest 10 seconds after a transaction
// arrives, and timestamps at most a minute ahead of the clock (as far as
// blockchain.DefaultMaxDrift lets a block be).
func DefaultPolicy() Policy {
	return Policy{
		Capacity:     10_000,
		MaxTx:        20,
		MaxWait:      10 * time.Second,
		MaxClockSkew: time.Minute,
	}
}

// validate returns an error naming the first field that makes no sense.
func (p Policy) validate() error {
	switch {
	case p.Capacity < 1:
		return configErr("Policy.Capacity: have %d, want ≥ 1", p.Capacity)
	case p.MaxTx < 1:
		return configErr("Policy.MaxTx: have %d, want ≥ 1", p.MaxTx)
	case p.MaxTx > p.Capacity:
		return configErr("Policy.MaxTx: have %d, want ≤ Policy.Capacity (%d)", p.MaxTx, p.Capacity)
	case p.MaxTx > blockchain.MaxBlockTransactions:
		return configErr("Policy.MaxTx: have %d, want ≤ blockchain.MaxBlockTransactions (%d)", p.MaxTx, blockchain.MaxBlockTransactions)
	case p.MaxWait < 0:
		return configErr("Policy.MaxWait: have %v, want ≥ 0", p.MaxWait)
	case p.MaxClockSkew < 0:
		return configErr("Policy.MaxClockSkew: have %v, want ≥ 0", p.MaxClockSkew)
	}
	return nil
}

// configErr builds an error wrapping ErrInvalidConfig.
func configErr(format string, args ...any) error {
	return fmt.Errorf("pool: %w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// RuleNotFromFuture returns the pool's own admission rule "not-from-future":
// a transaction may be timestamped at most skew after now(). Without it a
// sender could date transactions years ahead. A nil now means time.Now.
//
// The rule fails with a [*blockchain.RuleError] of code
// blockchain.ErrTimeTooFarAhead, the code the chain uses for a block dated
// too far ahead.
//
// It is a context-free [blockchain.TxRule] like the sanity rules, except
// that its answer depends on the clock: a transaction refused now may be
// accepted a minute later.
func RuleNotFromFuture(now func() time.Time, skew time.Duration) blockchain.TxRule {
	if now == nil {
		now = time.Now
	}
	return blockchain.TxRule{
		Name: "not-from-future",
		Check: func(tx blockchain.Transaction) error {
			limit := now().Add(skew)
			if ts := tx.Timestamp(); ts.After(limit) {
				return &blockchain.RuleError{
					Code: blockchain.ErrTimeTooFarAhead,
					Have: ts.Format(time.RFC3339Nano),
					Want: "at most " + limit.UTC().Format(time.RFC3339Nano),
				}
			}
			return nil
		},
	}
}

// DefaultRules returns the admission rules [New] uses when Config.Rules is
// nil, in the order [Pool.Add] runs them: every rule of
// [blockchain.TxSanityRules] (the original project's four — amount
// positive, sender, receiver, not to oneself — and the limits on IDs,
// account names and timestamps), then [RuleNotFromFuture] with now and
// skew. The slice is new on every call, so a caller may append its own
// rules to it:
//
//	rules := append(pool.DefaultRules(now, time.Minute), myRule)
func DefaultRules(now func() time.Time, skew time.Duration) []blockchain.TxRule {
	return append(blockchain.TxSanityRules(), RuleNotFromFuture(now, skew))
}
