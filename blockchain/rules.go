package blockchain

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// A ChainView is what a chain [Rule] sees: the chain a block would extend,
// with its headers and its index of included transactions.
type ChainView interface {
	ChainReader
	// Inclusion reports in which block a transaction was included.
	Inclusion(id uuid.UUID) (Inclusion, bool)
}

// An Inclusion says where a transaction sits in the chain.
type Inclusion struct {
	BlockHash Hash   // hash of the block that includes it
	Height    uint64 // that block's height
}

// A Rule is one check [Chain.Apply] makes before a block may extend the
// tip. Check returns nil or a [*RuleError]; now comes from the chain's
// clock.
//
// Rules are small values so that they can be read one at a time, listed,
// reordered, and extended: a course can add "no account may send more than
// 1000 per block" as one more Rule without touching the Chain.
type Rule struct {
	Name  string
	Check func(chain ChainView, b *Block, now time.Time) error
}

// DefaultRules returns the chain rules in the order Chain.Apply runs them:
// links to the tip, height is the tip's plus one, timestamp not before the
// parent's and at most maxDrift ahead of now, no transaction already in
// the chain, and finally the engine's Verify (last, because it may be the
// costliest).
func DefaultRules(engine Consensus, maxDrift time.Duration) []Rule {
	return []Rule{
		RuleLinksToTip(),
		RuleHeightFollowsTip(),
		RuleTimeNotBeforeParent(),
		RuleTimeNotTooFarAhead(maxDrift),
		RuleNoTransactionTwice(),
		RuleConsensus(engine),
	}
}

// RuleLinksToTip: the block's PrevHash is the tip's hash. Code
// [ErrPrevHashMismatch].
func RuleLinksToTip() Rule {
	return Rule{"links-to-tip", func(c ChainView, b *Block, _ time.Time) error {
		if tip := c.Tip().Hash(); b.PrevHash() != tip {
			return ruleErr(ErrPrevHashMismatch, b.PrevHash(), tip)
		}
		return nil
	}}
}

// RuleHeightFollowsTip: the block's height is the tip's plus one. Code
// [ErrBadHeight].
func RuleHeightFollowsTip() Rule {
	return Rule{"height-follows-tip", func(c ChainView, b *Block, _ time.Time) error {
		if want := c.Tip().Height + 1; b.Height() != want {
			return ruleErr(ErrBadHeight, b.Height(), want)
		}
		return nil
	}}
}

// RuleTimeNotBeforeParent: the block's timestamp is not before the tip's
// (equal is fine: two blocks may be made in the same millisecond). Code
// [ErrTimeBeforeParent].
func RuleTimeNotBeforeParent() Rule {
	return Rule{"time-not-before-parent", func(c ChainView, b *Block, _ time.Time) error {
		parent, ts := c.Tip().Timestamp, b.Header().Timestamp
		if ts.Before(parent) {
			return ruleErr(ErrTimeBeforeParent, ts.Format(time.RFC3339Nano), "not before "+parent.Format(time.RFC3339Nano))
		}
		return nil
	}}
}

// RuleTimeNotTooFarAhead: the block's timestamp is at most maxDrift after
// now. Without it a miner could date blocks in the future and, with
// retargeting, make mining easier for itself. Code [ErrTimeTooFarAhead].
func RuleTimeNotTooFarAhead(maxDrift time.Duration) Rule {
	return Rule{"time-not-too-far-ahead", func(_ ChainView, b *Block, now time.Time) error {
		ts, limit := b.Header().Timestamp, now.Add(maxDrift)
		if ts.After(limit) {
			return ruleErr(ErrTimeTooFarAhead, ts.Format(time.RFC3339Nano), "at most "+limit.UTC().Format(time.RFC3339Nano))
		}
		return nil
	}}
}

// RuleNoTransactionTwice: no transaction of the block is already in the
// chain. Code [ErrAlreadyIncluded].
func RuleNoTransactionTwice() Rule {
	return Rule{"no-transaction-twice", func(c ChainView, b *Block, _ time.Time) error {
		for _, tx := range b.txs {
			if in, ok := c.Inclusion(tx.ID()); ok {
				return ruleErr(ErrAlreadyIncluded, fmt.Sprintf("%s in block %d %s", tx.ID(), in.Height, in.BlockHash.Short()), "a new transaction")
			}
		}
		return nil
	}}
}

// RuleConsensus: the engine's Verify accepts the block.
func RuleConsensus(engine Consensus) Rule {
	return Rule{"consensus", func(c ChainView, b *Block, _ time.Time) error {
		return engine.Verify(c, b)
	}}
}
