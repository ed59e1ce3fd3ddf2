package blockchain

import (
	"errors"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/internal/clip"
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
// tip. Check returns nil or a [*RuleError]; now is the instant the block
// is judged at: the chain's clock (Config.Now) for Apply and Check, the
// time given for [Chain.ApplyAt] (a node passes the time the log recorded
// the block).
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
// nil *RuleError in a non-nil error, the classic typed-nil slip), or one
// whose code names no rule, is refused with code [ErrInvalidSeal] saying
// so, so that every refusal carries a code and a node never meets a nil
// *RuleError. So is a block whose Verify panicked, with
// [ErrEngineMisbehaved] in its Err: a block an engine cannot judge is
// refused, never a node stopped by one, every time the block is read
// again. A panic is a bug to mend at once: a Verify that panics on one
// node and not on another (a race, a lazy setup) parts that node from
// its network, as a Verify that is not deterministic does. For a nil
// engine the rule has no Check, and [NewChain] refuses it.
//
// Verify sees only the chain's headers ([ChainReader]), as its signature
// says: the view the rule is given, with the chain's spec and accounts,
// is not passed on.
func RuleConsensus(engine Consensus) Rule {
	if nilness.IsNil(engine) {
		return Rule{Name: "consensus"}
	}
	return Rule{"consensus", func(c ChainView, b *Block, _ time.Time) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = &RuleError{Code: ErrInvalidSeal, Have: "the engine's Verify panicked: " + describePanic(v), Err: ErrEngineMisbehaved}
			}
		}()
		return engineRefusal(engine.Verify(headersOnly{c}, b))
	}}
}

// headersOnly shows an engine the headers of a chain and nothing else,
// however the chain it wraps is made: a type assertion on it finds no
// Spec to change and no Apply to call.
type headersOnly struct{ r ChainReader }

func (h headersOnly) Tip() Header                           { return h.r.Tip() }
func (h headersOnly) HeaderAt(height uint64) (Header, bool) { return h.r.HeaderAt(height) }

// describePanic writes a recovered panic's value in at most a few hundred
// bytes: fmt survives a value whose Error or String method panics in
// turn.
func describePanic(v any) string { return clip.Text(fmt.Sprint(v), maxReasonLen) }

// maxReasonLen bounds the text of an engine's own words kept in a
// RuleError, in bytes: a block's refusal is written into the log.
const maxReasonLen = 512

// engineRefusal returns err if it wraps a *RuleError with a code that
// names a rule, nil if it is nil, and otherwise a *RuleError of code
// ErrInvalidSeal wrapping it.
func engineRefusal(err error) error {
	if err == nil {
		return nil
	}
	if nilness.IsNil(err) {
		return &RuleError{Code: ErrInvalidSeal, Have: fmt.Sprintf("the engine's Verify returned a nil %T, which is not a nil error", err)}
	}
	if re := (*RuleError)(nil); errors.As(err, &re) {
		switch {
		case re == nil: // it wraps a nil *RuleError, whose Error would panic
			return &RuleError{Code: ErrInvalidSeal, Have: fmt.Sprintf("the engine's Verify returned a %T wrapping a nil *RuleError", err)}
		case re.Code <= ErrUnknown || re.Code >= numErrorCodes:
			return &RuleError{Code: ErrInvalidSeal, Have: fmt.Sprintf("the engine refused the block with %s, which names no rule", re.Code), Err: err}
		}
		return err
	}
	return &RuleError{Code: ErrInvalidSeal, Have: "the engine refused the block", Err: err}
}
