package blockchain

import (
	"errors"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/internal/nilness"
)

// A ChainView is what a chain [Rule] sees: the chain a block would extend,
// with its headers, its spec and its accounts after the tip.
type ChainView interface {
	ChainReader
	// Spec returns the chain spec. The view Chain.Apply gives its rules
	// shares the spec's slices with the chain, to spare a copy per
	// block: a rule reads them and never changes them.
	Spec() ChainSpec
	// Account returns an account as it stands after the tip.
	Account(a Address) Account
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
// parent's and at most maxDrift ahead of now, every transaction signed for
// this chain, the engine's Verify, and last every signature (the
// costliest, and remembered per block). After the rules, Apply always
// runs the state transition, which checks nonces, funds and the state
// root.
func DefaultRules(engine Consensus, maxDrift time.Duration) []Rule {
	return []Rule{
		RuleLinksToTip(),
		RuleHeightFollowsTip(),
		RuleTimeNotBeforeParent(),
		RuleTimeNotTooFarAhead(maxDrift),
		RuleTransactionsForThisChain(),
		RuleConsensus(engine),
		RuleSignatures(),
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

// RuleTransactionsForThisChain: every transaction carries the chain
// spec's chain ID. A transaction signed for a test network cannot be
// played on another: the signature covers the chain ID. Code
// [ErrWrongChain].
func RuleTransactionsForThisChain() Rule {
	return Rule{"transactions-for-this-chain", func(c ChainView, b *Block, _ time.Time) error {
		id := c.Spec().ChainID
		for i, tx := range b.txs {
			if tx.f.ChainID != id {
				return fmt.Errorf("transaction %d (%s): %w", i, tx.ID(), ruleErr(ErrWrongChain, fmt.Sprintf("%q", tx.f.ChainID), fmt.Sprintf("%q", id)))
			}
		}
		return nil
	}}
}

// RuleSignatures: every transaction's signature verifies
// ([Block.VerifySignatures], which remembers its answer). Code
// [ErrBadSignature], or [ErrWeakKey] for a key of small order.
func RuleSignatures() Rule { return RuleSignaturesCached(nil) }

// RuleSignaturesCached is [RuleSignatures] through a [SigCache] (nil:
// none): the same rule, with the same name and errors, that verifies a
// transaction the cache remembers no more. A chain uses it when
// Config.SigCache is set.
func RuleSignaturesCached(cache *SigCache) Rule {
	return Rule{"signatures", func(_ ChainView, b *Block, _ time.Time) error {
		return b.VerifySignaturesCached(cache)
	}}
}

// RuleConsensus: the engine's Verify accepts the block. Its error is the
// engine's *RuleError; an error that carries none (a plain error, or a
// nil *RuleError in a non-nil error, the classic typed-nil slip) is
// refused with code [ErrInvalidSeal] saying so, so that every refusal
// carries a code and a node never meets a nil *RuleError. For a nil
// engine the rule has no Check, and [NewChain] refuses it.
func RuleConsensus(engine Consensus) Rule {
	if nilness.IsNil(engine) {
		return Rule{Name: "consensus"}
	}
	return Rule{"consensus", func(c ChainView, b *Block, _ time.Time) error {
		return engineRefusal(engine.Verify(c, b))
	}}
}

// engineRefusal returns err if it wraps a *RuleError, nil if it is nil,
// and otherwise a *RuleError of code ErrInvalidSeal wrapping it.
func engineRefusal(err error) error {
	if err == nil {
		return nil
	}
	if nilness.IsNil(err) {
		return &RuleError{Code: ErrInvalidSeal, Have: fmt.Sprintf("the engine's Verify returned a nil %T, which is not a nil error", err)}
	}
	if re := (*RuleError)(nil); errors.As(err, &re) {
		if re != nil {
			return err
		}
		// It wraps a nil *RuleError, whose Error would panic.
		return &RuleError{Code: ErrInvalidSeal, Have: fmt.Sprintf("the engine's Verify returned a %T wrapping a nil *RuleError", err)}
	}
	return &RuleError{Code: ErrInvalidSeal, Have: "the engine refused the block: " + err.Error(), Err: err}
}
