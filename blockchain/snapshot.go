package blockchain

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/eventchain/eventchain/internal/nilness"
)

// An AccountRecord is one account of a [Snapshot]: an address and what it
// holds.
type AccountRecord struct {
	Address Address
	Account Account
}

// A Snapshot is what a node needs to go on from a block without replaying
// the chain before it: the block (Tip), the state after it (Accounts),
// and the newest headers up to it (Headers), which the consensus engine
// looks back on (proof of work's retargeting reads the first header of
// the epoch) and from which the chain answers HeaderAt.
//
// A node records snapshots in the event log every so many blocks, and a
// restarting node resumes from the newest ([ResumeChain], or
// [Chain.Resume] for the chain it holds already) and applies only the
// blocks after it: its restore takes time in proportion to the
// state and the recent blocks, not to the whole history.
//
// Resuming checks a snapshot against itself: the headers link, the last
// is the tip's, the consensus engine takes the tip's seal on the headers
// before it (proof of work: the tip's work is done, at the difficulty its
// epoch asks), and the accounts' state root is the tip's StateRoot — a
// snapshot whose balances were changed is refused. What it cannot check
// without the whole chain is that the tip is on the chain, and that the
// tip's block kept the rules a full node checks on its state: a block
// whose seal is good and whose StateRoot gives its miner coins it did not
// earn would be refused by Apply, but a snapshot after it holds accounts
// of that very root. A snapshot is worth the work of its tip's seal, as a
// light client's header is; the node checks that the tip is the block
// the log holds at that place, and with Config.AssumeValid that it is
// the trusted block or one of its ancestors (see package node).
type Snapshot struct {
	Headers  []Header        // consecutive heights, oldest first; the last is Tip's header
	Tip      *Block          // the block the state is after
	Accounts []AccountRecord // every account that is not zero, in increasing order of address bytes
}

// ErrBadSnapshot is wrapped by every error of [ResumeChain] about the
// snapshot itself.
var ErrBadSnapshot = errors.New("bad snapshot")

func badSnapshot(format string, args ...any) error {
	return fmt.Errorf("blockchain: %w: %s", ErrBadSnapshot, fmt.Sprintf(format, args...))
}

// Snapshot returns the chain's snapshot at its tip, with its newest
// headers (at most headers of them, at least the tip's). It takes time
// and memory in proportion to the accounts.
func (c *Chain) Snapshot(headers int) Snapshot {
	if c.usable() != nil {
		return Snapshot{}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := min(max(headers, 1), len(c.s.headers))
	snap := Snapshot{
		Headers: make([]Header, 0, n),
		Tip:     c.s.blocks[len(c.s.blocks)-1],
	}
	for _, h := range c.s.headers[len(c.s.headers)-n:] {
		snap.Headers = append(snap.Headers, h.clone()) // a caller's change to a seal stays in its copy
	}
	snap.Accounts = make([]AccountRecord, 0, c.s.state.Len())
	for a, acct := range c.s.state.Each {
		snap.Accounts = append(snap.Accounts, AccountRecord{a, acct})
	}
	return snap
}

// NewStateFromAccounts returns the state holding exactly accounts, which
// must be in strictly increasing order of address bytes, none the zero
// address or the zero Account, no balance negative, and their balances
// adding up to at most math.MaxInt64.
func NewStateFromAccounts(accounts []AccountRecord) (*State, error) {
	b := (&State{}).Batch()
	for i, r := range accounts {
		switch {
		case r.Address.IsZero():
			return nil, fmt.Errorf("blockchain: account %d: the zero address", i)
		case r.Account.IsZero():
			return nil, fmt.Errorf("blockchain: account %d (%s): the zero account, which a state does not hold", i, r.Address.Short())
		case r.Account.Balance < 0:
			return nil, fmt.Errorf("blockchain: account %d (%s): balance %d", i, r.Address.Short(), r.Account.Balance)
		case i > 0 && bytes.Compare(accounts[i-1].Address[:], r.Address[:]) >= 0:
			return nil, fmt.Errorf("blockchain: account %d (%s): not after %s in address order", i, r.Address.Short(), accounts[i-1].Address.Short())
		}
		supply, ok := add(b.supply, r.Account.Balance)
		if !ok {
			return nil, fmt.Errorf("blockchain: account %d: %w", i, overflow("supply", b.supply, r.Account.Balance))
		}
		b.supply = supply
		b.set(r.Address, r.Account)
	}
	return b.Apply(), nil
}

// ResumeChain returns a chain that starts at a snapshot rather than at
// genesis: its tip is snap.Tip, its state the snapshot's accounts, and it
// holds the snapshot's headers (HeaderAt answers from the first of them
// on, Base says which) and no whole block but the tip. It grows by Apply
// as any chain does.
//
// It refuses, with an error wrapping ErrBadSnapshot, headers that are
// not consecutive or do not link, a last header that is not the tip's, a
// tip that is not valid in itself ([Block.Validate]), a tip above height
// 0 whose seal cfg.Engine refuses on the headers before it (also
// wrapping the *RuleError, code [ErrInvalidSeal] or the engine's own) or
// that comes without its parent's header to check it on, accounts out of
// order or beyond the supply bound, and accounts whose state root is not
// the tip's StateRoot (also wrapping a *RuleError with code
// [ErrBadStateRoot]). A snapshot that starts at height 0 must start at
// cfg.Spec's genesis.
func ResumeChain(cfg Config, snap Snapshot) (*Chain, error) {
	c, err := NewChain(cfg) // checks the config and the spec
	if err != nil {
		return nil, err
	}
	if err := c.Resume(snap); err != nil {
		return nil, err
	}
	return c, nil
}

// Resume makes c the chain [ResumeChain] would make from snap with c's
// config, in place: its tip becomes snap.Tip, its state the snapshot's
// accounts, its headers the snapshot's. Whoever holds c, or a
// ReadOnlyChain view of it, sees the resumed chain; a node resumes the
// chain its pool and its readers already hold. It refuses what
// ResumeChain refuses, with the same errors, and a chain that holds a
// block beyond genesis (an error not wrapping ErrBadSnapshot): a chain
// resumes only from the start. A refused snapshot leaves c as it was;
// a resumed chain holds its own copy of the headers (the caller may reuse
// snap afterwards).
func (c *Chain) Resume(snap Snapshot) error {
	if err := c.usable(); err != nil {
		return fmt.Errorf("blockchain: resume: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s.base != 0 || len(c.s.headers) != 1 {
		return fmt.Errorf("blockchain: resume: the chain holds blocks up to height %d; only a chain at genesis resumes", c.s.height())
	}
	if len(snap.Headers) == 0 || snap.Tip == nil {
		return badSnapshot("no headers or no tip")
	}
	for i := 1; i < len(snap.Headers); i++ {
		prev, h := snap.Headers[i-1], snap.Headers[i]
		if prev.Height == math.MaxUint64 || h.Height != prev.Height+1 { // no wrap to height 0
			return badSnapshot("header %d: height %d after %d", i, h.Height, prev.Height)
		}
		if h.PrevHash != prev.Hash() {
			return badSnapshot("header %d (height %d): does not link to the header before it", i, h.Height)
		}
	}
	first, last := snap.Headers[0], snap.Headers[len(snap.Headers)-1]
	if first.Height == 0 && first.Hash() != c.s.hashes[0] {
		return badSnapshot("header 0: height 0 but not this spec's genesis")
	}
	if last.Hash() != snap.Tip.Hash() {
		return badSnapshot("the last header, at height %d, is not the tip's", last.Height)
	}
	// A second guard: with the check on wrapping heights above, a tip at
	// height 0 is the single header that is the genesis already.
	if snap.Tip.Height() == 0 && snap.Tip.Hash() != c.s.hashes[0] {
		return badSnapshot("tip at height 0 but not this spec's genesis")
	}
	if snap.Tip.Height() > 0 {
		if err := snap.Tip.Validate(); err != nil {
			return badSnapshot("tip: %v", err)
		}
		if err := c.checkSnapshotSeal(snap.Headers, snap.Tip); err != nil {
			return err
		}
	}
	st, err := NewStateFromAccounts(snap.Accounts)
	if err != nil {
		return badSnapshot("%v", err)
	}
	if root := st.Root(); root != last.StateRoot {
		return fmt.Errorf("blockchain: %w: %w", ErrBadSnapshot, ruleErr(ErrBadStateRoot, last.StateRoot, root))
	}
	s := chainState{spec: c.s.spec, base: first.Height, heights: make(map[Hash]uint64, len(snap.Headers))}
	for _, h := range snap.Headers {
		// A copy, seal and all, as Apply keeps of a block's header: the
		// caller's slices stay the caller's, and a change to them cannot
		// give a header the chain holds another hash than it recorded.
		h = h.clone()
		s.headers = append(s.headers, h)
		s.hashes = append(s.hashes, h.Hash())
		s.heights[s.hashes[len(s.hashes)-1]] = h.Height
	}
	s.blocks = []*Block{snap.Tip}
	s.state = st
	s.history = []*State{st}
	c.s = s
	return nil
}

// checkSnapshotSeal runs the chain's engine on the tip of a snapshot,
// whose header is the last of headers, as RuleConsensus runs it on a
// block to apply: on the headers before it. Without an engine there is
// nothing to check. Call it with c.mu held.
func (c *Chain) checkSnapshotSeal(headers []Header, tip *Block) error {
	if nilness.IsNil(c.engine) {
		return nil
	}
	if len(headers) < 2 {
		return badSnapshot("tip at height %d: no header of its parent, on which to check its seal", headers[0].Height)
	}
	parents := HeaderList(headers[:len(headers)-1])
	if err := RuleConsensus(c.engine).Check(sealView{parents, c.s.spec}, tip, time.Time{}); err != nil {
		return fmt.Errorf("blockchain: %w: tip: %w", ErrBadSnapshot, err)
	}
	return nil
}

// sealView is the ChainView of a snapshot's headers, for its tip's seal:
// the headers and the spec, and no accounts (an engine sees headers only).
type sealView struct {
	HeaderList
	spec ChainSpec
}

func (v sealView) Spec() ChainSpec         { return v.spec }
func (v sealView) Account(Address) Account { return Account{} }

// Base returns the height of the oldest header the chain holds: 0, or
// for a chain resumed from a snapshot the height of its first header.
func (c *Chain) Base() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.base
}
