package blockchain

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/eventchain/eventchain/internal/nilness"
)

// DefaultMaxDrift is how far ahead of the chain's clock a block's timestamp
// may be when Config.MaxDrift is zero.
const DefaultMaxDrift = time.Minute

// DefaultStateHistory is how many of the newest heights' account states a
// chain keeps for proofs when Config.StateHistory is zero.
const DefaultStateHistory = 128

// Config configures a [Chain]. Spec and Engine are required.
type Config struct {
	// Spec defines the network: the genesis block ([ChainSpec.Genesis])
	// and state, the chain ID every transaction must carry, and the block
	// reward. The engine must be the one the spec names, with its
	// parameters; the chain cannot check that for an engine it does not
	// know.
	Spec ChainSpec
	// Engine verifies each block's consensus fields and seal. Required.
	Engine Consensus
	// Window is how many of the newest blocks the chain keeps whole in
	// memory; 0 keeps them all. Older blocks are dropped, but every header
	// stays, so HeaderAt answers for the whole chain. The original
	// project kept 10.
	Window int
	// StateHistory is how many of the newest heights' account states the
	// chain keeps, so that [Chain.ProveAccount] can answer for them; 0
	// means DefaultStateHistory, and at least the tip's is always kept.
	// The states share what they have in common (see [State]): each
	// height costs about what its block changed.
	StateHistory int
	// Now is the chain's clock, used by the time rules; nil means
	// time.Now. Tests inject a fixed or stepping clock.
	Now func() time.Time
	// MaxDrift is how far ahead of Now a block may be dated; 0 means
	// DefaultMaxDrift.
	MaxDrift time.Duration
	// Rules replaces [DefaultRules] when not nil. Block.Validate always
	// runs first and, whatever the rules, a block must link to the tip at
	// the next height ([RuleLinksToTip], [RuleHeightFollowsTip]: the
	// chain's own record of its blocks depends on it) and the state
	// transition must hold, last. Each rule needs a Name and a Check.
	Rules []Rule
	// SigCache, if not nil, is consulted by the default rules' signature
	// check ([RuleSignaturesCached]): a node that shares one between its
	// pool and its chain verifies each transaction once, when it is
	// submitted, not again in its block.
	SigCache *SigCache
}

// A Chain is the sequence of validated blocks from genesis to the tip,
// and the account state they lead to. It grows one block at a time
// through [Chain.Apply], which accepts a block only if it keeps every
// rule; it never forks and never reorganises, because the event log
// already totally orders the blocks every node sees (docs/architecture.md
// says how).
//
// What a chain holds grows with the accounts, the headers and its
// windows, never with the number of transactions: every header (152
// bytes and a hash each), the newest Window blocks, the [State] of every
// account, and the states of the newest StateHistory heights. It keeps
// no index of the transactions it ever included: the sender's nonce is
// what refuses a replay.
//
// A Chain is safe for concurrent use: one goroutine may Apply while others
// read. Only [NewChain] makes a usable Chain: the zero Chain has no
// genesis. Its checking methods, ProveAccount and Resume return
// [ErrChainNotMade]; the others answer as for an empty chain (height 0,
// the zero Header, no block, no account) rather than panic.
type Chain struct {
	spec      ChainSpec // the chain's own copy; s.spec is the same, for the rules
	mu        sync.RWMutex
	s         chainState
	rules     []Rule
	engine    Consensus
	now       func() time.Time
	window    int
	stateKeep int
}

// chainState is the Chain's data without its lock; rules see it, as a
// ChainView, while Apply holds the lock.
type chainState struct {
	spec    ChainSpec
	base    uint64   // the height of headers[0]: 0, or the height a resumed chain starts at
	headers []Header // every header from base on, index = height − base
	hashes  []Hash   // hashes[i] = headers[i].Hash(), seal included
	heights map[Hash]uint64
	blocks  []*Block // the newest len(blocks) blocks, oldest first
	state   *State   // the accounts after the tip
	history []*State // the states after the newest len(history) blocks, oldest first; the last is state
}

var _ ChainView = (*chainState)(nil)

// NewChain returns a chain holding only the genesis block of cfg.Spec.
func NewChain(cfg Config) (*Chain, error) {
	if nilness.IsNil(cfg.Engine) {
		return nil, errors.New("blockchain: Config.Engine is required (a nil one, typed or not, is missing)")
	}
	if cfg.Window < 0 {
		return nil, fmt.Errorf("blockchain: Config.Window: have %d, want ≥ 0", cfg.Window)
	}
	if cfg.StateHistory < 0 {
		return nil, fmt.Errorf("blockchain: Config.StateHistory: have %d, want ≥ 0", cfg.StateHistory)
	}
	if cfg.MaxDrift < 0 {
		return nil, fmt.Errorf("blockchain: Config.MaxDrift: have %v, want ≥ 0 (0: DefaultMaxDrift)", cfg.MaxDrift)
	}
	for i, r := range cfg.Rules {
		switch {
		case r.Name == "":
			return nil, fmt.Errorf("blockchain: Config.Rules[%d]: Name is empty", i)
		case r.Check == nil && r.Name == RuleConsensus(nil).Name:
			return nil, fmt.Errorf("blockchain: Config.Rules[%d] (%s): Check is nil: RuleConsensus, and DefaultRules, need a non-nil engine", i, r.Name)
		case r.Check == nil:
			return nil, fmt.Errorf("blockchain: Config.Rules[%d] (%s): Check is nil", i, r.Name)
		}
	}
	g, st, err := cfg.Spec.genesis()
	if err != nil {
		return nil, fmt.Errorf("blockchain: Config.Spec: %w", err)
	}
	if se, ok := cfg.Engine.(SpecEngine); ok {
		runs, err := engineConsensus(se)
		if err != nil {
			return nil, fmt.Errorf("blockchain: Config.Engine: %w", err)
		}
		if d := cfg.Spec.Consensus.diff(runs, diffNames{"the spec's", "the engine's"}); d != "" {
			return nil, fmt.Errorf("blockchain: Config.Engine: %w: %s", ErrEngineNotSpec, d)
		}
	}
	c := &Chain{rules: cfg.Rules, engine: cfg.Engine, now: cfg.Now, window: cfg.Window, stateKeep: cfg.StateHistory}
	if c.now == nil {
		c.now = time.Now
	}
	if c.stateKeep == 0 {
		c.stateKeep = DefaultStateHistory
	}
	if c.rules == nil {
		drift := cfg.MaxDrift
		if drift == 0 {
			drift = DefaultMaxDrift
		}
		c.rules = DefaultRules(cfg.Engine, drift)
		if cfg.SigCache != nil {
			for i, r := range c.rules {
				if r.Name == RuleSignatures().Name {
					c.rules[i] = RuleSignaturesCached(cfg.SigCache)
				}
			}
		}
	}
	c.spec = cfg.Spec.clone() // the caller's slices stay the caller's
	c.s.spec = c.spec
	c.s.heights = make(map[Hash]uint64)
	c.s.append(g, st, c.window, c.stateKeep)
	return c, nil
}

// Apply checks b and, if it keeps every rule, makes it the new tip. First
// [Block.Validate] checks the block in itself, then each rule of the
// chain's Config.Rules (by default [DefaultRules]) runs in order, then,
// whatever those rules, [RuleLinksToTip] and [RuleHeightFollowsTip], and
// last the state transition ([Chain.Propose] says what it is) must hold
// and lead to the header's StateRoot. The first failure stops it. The
// error wraps a [*RuleError], so
//
//	errors.Is(err, blockchain.ErrInsufficientFunds)
//
// tells which rule failed. A rejected block changes nothing.
//
// The rules that read a clock (a block may not be dated too far ahead)
// read the chain's Config.Now; see ApplyAt for a block read from a log.
func (c *Chain) Apply(b *Block) error {
	if err := c.usable(); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return c.ApplyAt(b, c.now())
}

// ErrChainNotMade is the error of a Chain's checking methods (Apply,
// ApplyAt, Check, Trust, Propose, CheckTransaction), and of ProveAccount
// and Resume, called on a Chain
// that [NewChain] did not make: the zero Chain, or a nil *Chain. Such a
// chain has no genesis to build on.
var ErrChainNotMade = errors.New("blockchain: the Chain was not made by NewChain (it has no genesis)")

// usable returns ErrChainNotMade for a Chain NewChain did not make.
func (c *Chain) usable() error {
	if c == nil || c.s.heights == nil {
		return ErrChainNotMade
	}
	return nil
}

// ApplyAt is Apply with the clock's reading given: the rules judge b's
// timestamp against now rather than against the chain's Config.Now. The
// zero time.Time is no reading (every block would be ahead of it): it is
// an error, and the chain is left as it was.
//
// A node that reads its blocks from an event log passes the time the log
// recorded the block, which the log sets and no writer can choose. Then
// whether a block is dated too far ahead does not depend on when a node
// reads it: a node restored next year judges it as the nodes that read it
// at once did, and they all reach the same chain. Judged by each reader's
// own clock, a block dated a minute ahead would be refused by every node
// that reads it at once and taken by every node that starts later: two
// chains.
func (c *Chain) ApplyAt(b *Block, now time.Time) error {
	if err := c.usable(); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if b == nil {
		return errors.New("apply: nil block")
	}
	if now.IsZero() {
		// Not a time to judge by: every block would be "too far ahead".
		return errors.New("apply: now is the zero time.Time: pass the time the log recorded the block, or the clock's reading")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next, err := c.check(b, now)
	if err != nil {
		return fmt.Errorf("apply %s: %w", b, err)
	}
	c.s.append(b, next, c.window, c.stateKeep)
	return nil
}

// Check reports whether Apply would accept b now, without changing the
// chain: the same checks, in the same order, and the same error but for
// its first word. A miner checks its sealed block so, before it
// publishes a block that every node would refuse (say, dated ahead by a
// clock that runs fast).
func (c *Chain) Check(b *Block) error {
	if err := c.usable(); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if b == nil {
		return errors.New("check: nil block")
	}
	now := c.now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if _, err := c.check(b, now); err != nil {
		return fmt.Errorf("check %s: %w", b, err)
	}
	return nil
}

// check runs Apply's checks of b at now and returns the state after b.
// c.mu must be held, for reading at least.
func (c *Chain) check(b *Block, now time.Time) (*State, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	for _, r := range c.rules {
		if err := r.Check(&c.s, b, now); err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
	}
	// The default rules have checked these already; a chain with rules of
	// its own checks them here, as Trust does.
	for _, r := range structuralRules {
		if err := r.Check(&c.s, b, now); err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
	}
	return c.s.transition(b)
}

// structuralRules are the rules every block a chain takes keeps, whatever
// its Config.Rules: its height and hashes index the chain's record of its
// blocks.
var structuralRules = []Rule{RuleLinksToTip(), RuleHeightFollowsTip()}

// Trust makes b the new tip after checking only that it links to the tip
// at the next height and that its state transition holds, StateRoot
// included: none of the rules, not Block.Validate, not the signatures,
// not the consensus seal. It is for restoring a chain from blocks that
// were checked when they were first applied (a node's fast restore); a
// block that was never checked must go through Apply. The error wraps a
// *RuleError as Apply's.
func (c *Chain) Trust(b *Block) error {
	if err := c.usable(); err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	if b == nil {
		return errors.New("trust: nil block")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range structuralRules {
		if err := r.Check(&c.s, b, time.Time{}); err != nil {
			return fmt.Errorf("trust %s: rule %s: %w", b, r.Name, err)
		}
	}
	next, err := c.s.transition(b)
	if err != nil {
		return fmt.Errorf("trust %s: %w", b, err)
	}
	c.s.append(b, next, c.window, c.stateKeep)
	return nil
}

// transition runs b's transactions on the tip's state, in order, pays
// the beneficiary, and checks the result against b's StateRoot. It
// returns the state after b; the tip's state is not changed.
func (s *chainState) transition(b *Block) (*State, error) {
	batch := s.state.Batch()
	if err := pay(batch, b.txs, b.header.Beneficiary, s.spec.BlockReward); err != nil {
		return nil, err
	}
	next := batch.Apply()
	if root := next.Root(); root != b.header.StateRoot {
		return nil, fmt.Errorf("state transition: %w", ruleErr(ErrBadStateRoot, b.header.StateRoot, root))
	}
	return next, nil
}

// pay runs txs on batch, in order, and credits beneficiary the reward
// plus their fees.
func pay(batch *StateBatch, txs []Transaction, beneficiary Address, reward int64) error {
	for i, tx := range txs {
		if err := batch.Transfer(tx.f.From, tx.f.To, tx.f.Amount, tx.f.Fee, tx.f.Nonce); err != nil {
			return fmt.Errorf("state transition: transaction %d (%s): %w", i, tx.ID(), err)
		}
	}
	if err := payReward(batch, txs, beneficiary, reward); err != nil {
		return fmt.Errorf("state transition: reward: %w", err)
	}
	return nil
}

// payReward credits beneficiary the block reward plus the fees of txs,
// which batch has already taken from their senders.
func payReward(batch *StateBatch, txs []Transaction, beneficiary Address, blockReward int64) error {
	fees := int64(0)
	for _, tx := range txs {
		fees += tx.f.Fee // the fees were in balances a moment ago: their sum fits
	}
	earned, ok := add(blockReward, fees)
	if !ok {
		return overflow("reward + fees", blockReward, fees)
	}
	return batch.Credit(beneficiary, earned)
}

// A Rejected transaction is one [Chain.Propose] left out of a block,
// with the rule it broke.
type Rejected struct {
	Tx  Transaction
	Err error // wraps a *RuleError: ErrBadNonce, ErrInsufficientFunds, ErrWrongChain, …
}

// Propose builds the block a miner would seal next: on top of the tip,
// dated now, paying beneficiary, with those of txs that apply, in their
// order. It runs the state transition as Apply will, transaction by
// transaction: one that breaks a rule against the state so far — a
// wrong chain ID, a bad signature, a nonce that is not its sender's
// next, funds that do not cover it — is left out and returned in
// rejected, and the others go on without it. A transaction listed twice
// is taken once, and its second listing is neither kept nor reported.
// A block holds at most MaxBlockTransactions: once it is full, the
// transactions after are neither kept nor reported (they stay where
// they came from, for the next block).
// The header's StateRoot is
// the root after the block, and the engine's Prepare has set its
// consensus fields; what is left is the engine's Seal.
//
// The state transition is what every node runs on every block: each
// transaction, in order, moves its amount from sender to receiver,
// takes its fee from the sender and bumps the sender's nonce
// ([StateBatch.Transfer]); then the beneficiary is credited the spec's
// BlockReward plus the block's fees ([StateBatch.Credit]). So the supply
// grows by exactly the block reward per block, and the header, which
// commits to the beneficiary and to the state root, says who was paid.
//
// The block is dated now, or the tip's time if now is earlier: a block
// may not be dated before its parent (time-not-before-parent), and a
// clock a little behind the tip's must not stop a miner. A zero now is
// an error, not a time: it is the mark of a clock never read.
//
// The error is for what no transaction can cause: a zero beneficiary, a
// zero now, a failing Prepare, a reward that would overflow the supply,
// an engine that broke its contract ([ErrEngineMisbehaved]).
func (c *Chain) Propose(beneficiary Address, txs []Transaction, now time.Time) (b *Block, rejected []Rejected, err error) {
	if err := c.usable(); err != nil {
		return nil, nil, fmt.Errorf("propose: %w", err)
	}
	if now.IsZero() {
		return nil, nil, errors.New("propose: now is the zero time.Time: pass the clock's reading")
	}
	if beneficiary.IsZero() {
		return nil, nil, ruleErr(ErrMissingBeneficiary, "the zero address", "the address paid for the block")
	}
	h, kept, view, rejected, err := c.proposeHeader(beneficiary, txs, now)
	if err != nil {
		return nil, rejected, err
	}
	// Prepare runs without the chain's lock, on the headers as they were
	// when the block was built: an engine that reads the Chain itself
	// rather than its view (against the Consensus contract) would
	// otherwise wait for ever behind an Apply waiting for the lock.
	if err := prepare(c.engine, view, &h); err != nil {
		return nil, rejected, fmt.Errorf("propose: prepare: %w", err)
	}
	return NewBlock(h, kept), rejected, nil
}

// proposeHeader is Propose but for the engine's Prepare: under the
// chain's read lock, it runs the transactions on the tip's state and
// builds the header, and returns a view of the chain's headers as they
// are, for Prepare.
func (c *Chain) proposeHeader(beneficiary Address, txs []Transaction, now time.Time) (h Header, kept []Transaction, view frozenHeaders, rejected []Rejected, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	tip := c.s.Tip()
	batch := c.s.state.Batch()
	kept = make([]Transaction, 0, min(len(txs), MaxBlockTransactions))
	seen := make(map[Hash]struct{}, len(txs))
	for _, tx := range txs {
		if len(kept) == MaxBlockTransactions {
			break
		}
		if _, dup := seen[tx.hash]; dup {
			continue
		}
		seen[tx.hash] = struct{}{} // kept or rejected, once
		if err := c.s.admit(tx); err != nil {
			rejected = append(rejected, Rejected{tx, err})
			continue
		}
		if err := batch.Transfer(tx.f.From, tx.f.To, tx.f.Amount, tx.f.Fee, tx.f.Nonce); err != nil {
			rejected = append(rejected, Rejected{tx, err})
			continue
		}
		kept = append(kept, tx)
	}
	if err := payReward(batch, kept, beneficiary, c.s.spec.BlockReward); err != nil {
		return Header{}, nil, frozenHeaders{}, rejected, err
	}
	h = NextHeader(tip, kept, now)
	h.Beneficiary = beneficiary
	h.StateRoot = batch.Root()
	if h.Timestamp.Before(tip.Timestamp) {
		h.Timestamp = tip.Timestamp // a clock behind the tip's would break time-not-before-parent
	}
	if !timestampInRange(h.Timestamp) {
		// The block would carry a timestamp its own Validate refuses.
		return Header{}, nil, frozenHeaders{}, rejected, fmt.Errorf("propose: now is %s: want a time before the year 10000", now.UTC().Format(time.RFC3339))
	}
	// The chain only ever appends to its headers, so this slice, capped
	// at its length, holds the same headers however the chain grows.
	view = frozenHeaders{c.s.headers[:len(c.s.headers):len(c.s.headers)]}
	return h, kept, view, rejected, nil
}

// frozenHeaders is a ChainReader over a chain's headers as they were at
// one moment, read without the chain's lock. Each header read is a copy,
// its seal too, as the chain's own Tip and HeaderAt give.
type frozenHeaders struct{ l HeaderList }

func (f frozenHeaders) Tip() Header { return f.l.Tip().clone() }

func (f frozenHeaders) HeaderAt(height uint64) (Header, bool) {
	h, ok := f.l.HeaderAt(height)
	return h.clone(), ok
}

// ErrEngineMisbehaved: a [Consensus] engine broke its contract: its
// Prepare panicked, returned a nil *RuleError as its error, or changed a
// field of the header that is not a consensus field (Bits, Nonce, Seal) —
// [Chain.Propose] returns it
// wrapped, naming what the engine did — or its ConsensusSpec panicked,
// which [NewChain] returns wrapped — or its Verify panicked, which
// [RuleConsensus] refuses the block for, with this in the RuleError's
// Err. (Package miner's Run returns it for a Seal that panics, returns
// no block, or returns another block than it was given: [CheckSealed].)
var ErrEngineMisbehaved = errors.New("the consensus engine broke its contract")

// engineConsensus returns the consensus se says it runs. A ConsensusSpec
// that panics (a plugin's nil field, say) is an error wrapping
// ErrEngineMisbehaved, so that NewChain, and a node starting on the
// engine, fail with a reason instead of crashing.
func engineConsensus(se SpecEngine) (runs ConsensusSpec, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: ConsensusSpec panicked: %s", ErrEngineMisbehaved, describePanic(v))
		}
	}()
	return se.ConsensusSpec(), nil
}

// prepare runs engine.Prepare on h, a header Propose built, and checks
// that it kept to its part: the consensus fields. A Prepare that changed
// PrevHash, say, would have a miner seal, again and again, a block the
// chain can only refuse.
func prepare(engine Consensus, chain ChainReader, h *Header) (err error) {
	before := *h
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: Prepare panicked: %s", ErrEngineMisbehaved, describePanic(v))
		}
	}()
	if err := engine.Prepare(chain, h); err != nil {
		// The typed-nil slip, as RuleConsensus catches it for Verify: an
		// error holding a nil *RuleError is no refusal to read.
		if nilness.IsNil(err) {
			return fmt.Errorf("%w: Prepare returned a nil %T, which is not a nil error", ErrEngineMisbehaved, err)
		}
		if re := (*RuleError)(nil); errors.As(err, &re) && re == nil {
			return fmt.Errorf("%w: Prepare returned a %T wrapping a nil *RuleError", ErrEngineMisbehaved, err)
		}
		return err
	}
	if field := changedOutsideConsensus(before, *h); field != "" {
		return fmt.Errorf("%w: Prepare changed the header's %s, which is not a consensus field (Bits, Nonce, Seal)", ErrEngineMisbehaved, field)
	}
	// Consensus fields no block may carry (Block.Validate): the miner
	// would seal, again and again, a block every node refuses.
	switch {
	case h.Bits > HashSize*8:
		return fmt.Errorf("%w: Prepare set Bits to %d, over the %d any block may have", ErrEngineMisbehaved, h.Bits, HashSize*8)
	case len(h.Seal) > MaxSealLen:
		return fmt.Errorf("%w: Prepare set a Seal of %d bytes, over the %d any block may have", ErrEngineMisbehaved, len(h.Seal), MaxSealLen)
	}
	return nil
}

// CheckSealed checks that sealed is in sealed, as [Consensus.Seal] must
// return it: the same block but for its consensus fields (Bits, Nonce,
// Seal) and its time, which a seal may move (pow does when its nonces run
// out; the chain's rules judge the time it gives). Another parent,
// height, state root, beneficiary or transactions make another block: the
// error wraps [ErrEngineMisbehaved] and names what changed. The miner
// checks every seal so, and consensustest.Run every engine. A nil block,
// either one, is an error wrapping ErrEngineMisbehaved too: a Seal that
// returns no block and no error has sealed nothing.
func CheckSealed(in, sealed *Block) error {
	switch {
	case in == nil:
		return fmt.Errorf("%w: no block to seal (a nil *Block)", ErrEngineMisbehaved)
	case sealed == nil:
		return fmt.Errorf("%w: Seal returned no block (a nil *Block)", ErrEngineMisbehaved)
	}
	want, got := in.Header(), sealed.Header()
	got.Timestamp = want.Timestamp
	if field := changedOutsideConsensus(want, got); field != "" {
		return fmt.Errorf("%w: Seal returned another block: its %s changed, which is not a consensus field (Bits, Nonce, Seal) or the time", ErrEngineMisbehaved, field)
	}
	if sealed.Len() != in.Len() || sealed.TxRoot() != in.TxRoot() {
		return fmt.Errorf("%w: Seal returned another block: its transactions changed", ErrEngineMisbehaved)
	}
	return nil
}

// changedOutsideConsensus names the first field other than Bits, Nonce and
// Seal in which after differs from before, or returns "".
func changedOutsideConsensus(before, after Header) string {
	switch {
	case after.Version != before.Version:
		return "Version"
	case after.Height != before.Height:
		return "Height"
	case after.PrevHash != before.PrevHash:
		return "PrevHash"
	case after.MerkleRoot != before.MerkleRoot:
		return "MerkleRoot"
	case after.TxCount != before.TxCount:
		return "TxCount"
	case after.StateRoot != before.StateRoot:
		return "StateRoot"
	case after.Beneficiary != before.Beneficiary:
		return "Beneficiary"
	case !after.Timestamp.Equal(before.Timestamp):
		return "Timestamp"
	}
	return ""
}

// admit checks what a transaction must satisfy in itself and of this
// chain, before the state: sanity, signature included, and chain ID.
func (s *chainState) admit(tx Transaction) error {
	if err := CheckTransactionSanity(tx); err != nil {
		return err
	}
	if tx.f.ChainID != s.spec.ChainID {
		return ruleErr(ErrWrongChain, fmt.Sprintf("%q", tx.f.ChainID), fmt.Sprintf("%q", s.spec.ChainID))
	}
	return nil
}

// CheckTransaction reports whether tx could go into the next block on its
// own: it keeps the sanity rules (signature included), names this chain,
// carries its sender's next nonce, and the sender can pay amount + fee.
// A pool checks more (the sender's other pending transactions); this is
// the chain's part. The error is a [*RuleError].
func (c *Chain) CheckTransaction(tx Transaction) error {
	if err := c.usable(); err != nil {
		return err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.s.admit(tx); err != nil {
		return err
	}
	return c.s.state.Batch().Transfer(tx.f.From, tx.f.To, tx.f.Amount, tx.f.Fee, tx.f.Nonce)
}

// append adds b as the new tip, with st the state after it, trimming the
// windows of whole blocks and of states.
func (s *chainState) append(b *Block, st *State, window, stateKeep int) {
	s.headers = append(s.headers, b.Header())
	s.hashes = append(s.hashes, b.Hash())
	s.heights[b.Hash()] = b.Height()
	s.blocks = trim(append(s.blocks, b), window)
	s.state = st
	s.history = trim(append(s.history, st), stateKeep)
}

// trim keeps the newest keep elements of xs (all if keep is 0), copying
// down rather than reslicing so that dropped elements can be freed.
func trim[T any](xs []*T, keep int) []*T {
	if keep <= 0 || len(xs) <= keep {
		return xs
	}
	n := copy(xs, xs[len(xs)-keep:])
	clear(xs[n:])
	return xs[:n]
}

// Tip and HeaderAt copy the header's seal: the chain's own stays as the
// block hash covers it, whatever the caller does with the copy.
func (s *chainState) Tip() Header {
	if len(s.headers) == 0 { // a Chain NewChain did not make
		return Header{}
	}
	return s.headers[len(s.headers)-1].clone()
}

// height returns the tip's height.
func (s *chainState) height() uint64 {
	if len(s.headers) == 0 { // a Chain NewChain did not make: no genesis
		return 0
	}
	return s.base + uint64(len(s.headers)) - 1
}

func (s *chainState) HeaderAt(height uint64) (Header, bool) {
	if height < s.base || height-s.base >= uint64(len(s.headers)) {
		return Header{}, false
	}
	return s.headers[height-s.base].clone(), true
}

// Spec is the rules' view of the spec: not a copy, as rules run on every
// block and only read it (see ChainView.Spec).
func (s *chainState) Spec() ChainSpec { return s.spec }

func (s *chainState) Account(a Address) Account {
	if s.state == nil { // a Chain NewChain did not make
		return Account{}
	}
	return s.state.Account(a)
}

func (s *chainState) blockAt(height uint64) (*Block, bool) {
	if len(s.blocks) == 0 { // a Chain NewChain did not make
		return nil, false
	}
	oldest := s.blocks[0].Height()
	if height < oldest || height-oldest >= uint64(len(s.blocks)) {
		return nil, false
	}
	return s.blocks[height-oldest], true
}

// stateAt returns the state after the block at height, if the chain still
// keeps it.
func (s *chainState) stateAt(height uint64) (*State, bool) {
	tip := s.height()
	back := tip - height
	if height > tip || back >= uint64(len(s.history)) {
		return nil, false
	}
	return s.history[uint64(len(s.history)-1)-back], true
}

// Spec returns the chain spec the chain was made with: a copy, which the
// caller may change.
func (c *Chain) Spec() ChainSpec { return c.spec.clone() } // never changes: no lock

// Tip returns the header of the newest block.
func (c *Chain) Tip() Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Tip()
}

// TipHash returns the block hash of the newest block ([Block.Hash], which
// covers its seal): the PrevHash the next block must have.
func (c *Chain) TipHash() Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.s.hashes) == 0 { // a Chain NewChain did not make
		return Hash{}
	}
	return c.s.hashes[len(c.s.hashes)-1]
}

// TipBlock returns the newest block.
func (c *Chain) TipBlock() *Block {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.s.blocks) == 0 { // a Chain NewChain did not make
		return nil
	}
	return c.s.blocks[len(c.s.blocks)-1]
}

// Height returns the tip's height; a chain with only genesis has height 0.
func (c *Chain) Height() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.height()
}

// HeaderAt returns the header at height, for any height up to the tip
// (from Base on, for a resumed chain).
func (c *Chain) HeaderAt(height uint64) (Header, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.HeaderAt(height)
}

// HashAt returns the hash of the block at height, for any height up to
// the tip (from Base on, for a resumed chain).
func (c *Chain) HashAt(height uint64) (Hash, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if height < c.s.base || height-c.s.base >= uint64(len(c.s.hashes)) {
		return Hash{}, false
	}
	return c.s.hashes[height-c.s.base], true
}

// HeightOf returns the height of the block with this hash, if it is in
// the chain.
func (c *Chain) HeightOf(hash Hash) (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h, ok := c.s.heights[hash]
	return h, ok
}

// BlockAt returns the whole block at height if the chain still holds it:
// with a Window, only the newest Window blocks are kept.
func (c *Chain) BlockAt(height uint64) (*Block, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.blockAt(height)
}

// Account returns what the chain knows of an address after the tip: its
// balance and nonce, the zero Account if it never held anything.
func (c *Chain) Account(a Address) Account {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Account(a)
}

// State returns the account state after the tip. A State never changes
// once made (a block makes a new one), so the caller may read it at
// leisure while the chain goes on.
func (c *Chain) State() *State {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.state
}

// StateAt returns the account state after the block at height, if the
// chain still keeps it: the newest Config.StateHistory heights.
func (c *Chain) StateAt(height uint64) (*State, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.stateAt(height)
}

var _ ChainView = (*Chain)(nil)
