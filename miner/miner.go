package miner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/clip"
	"github.com/eventchain/eventchain/internal/nilness"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// A Backend is what a miner needs from a node: the chain to build on, the
// pool to take transactions from, a way to turn them into the next block,
// a signal when either changes, and a way to publish. A [*node.Node] is
// one (run its Follow alongside the miner's Run); a test can give a small
// fake instead, and so check the mining loop without an event log.
type Backend interface {
	// Chain is the chain the miner builds on: the miner watches its tip.
	Chain() blockchain.ReadOnlyChain
	// Pool holds the pending transactions; the miner reads its block
	// policy (Ready, Due, Policy), takes its Candidates, and Removes
	// those the chain will not take.
	Pool() *pool.Pool
	// Engine is the backend's consensus engine, used when Config.Engine
	// is nil.
	Engine() blockchain.Consensus
	// Changed returns a channel that is closed at the backend's next
	// change: a block applied, a transaction added.
	Changed() <-chan struct{}
	// Position returns how far the backend has read the blocks and the
	// transactions streams: the next revision of each. The miner needs
	// the first, to tell whether a block came in while it built its
	// candidate and to move on after a publish.
	Position() (blocks, txs eventlog.Revision)
	// Propose builds the next block on the tip, as
	// [blockchain.Chain.Propose] does: dated now, paying beneficiary the
	// block reward and the fees, holding those of txs that apply in
	// order, with its state root and the engine's Prepare done. It
	// returns the transactions it left out, each with the rule it
	// breaks; the error is for what no transaction causes (a zero
	// beneficiary, a failing Prepare).
	Propose(beneficiary blockchain.Address, txs []blockchain.Transaction, now time.Time) (*blockchain.Block, []blockchain.Rejected, error)
	// PublishBlock appends a sealed block, mined by minerID. It returns
	// an error wrapping node.ErrStale when another event got there first
	// (a block, or junk: the miner looks at the chain once Position is
	// past it), with the log's *eventlog.WrongExpectedRevisionError in
	// its chain if it has one: its Actual says how far to read.
	PublishBlock(ctx context.Context, b *blockchain.Block, minerID string) error
}

var _ Backend = (*node.Node)(nil)

// ErrInvalidConfig is wrapped by every error [New] returns: the message
// names the field of [Config] at fault.
var ErrInvalidConfig = errors.New("invalid miner config")

// ErrNoBeneficiary is the error of [New] for a Config without a
// Beneficiary: a block must name who is paid for it. It wraps
// [ErrInvalidConfig].
var ErrNoBeneficiary = fmt.Errorf("%w: Config.Beneficiary is required", ErrInvalidConfig)

// ErrEngineMisbehaved is what Run returns, wrapped, when the consensus
// engine breaks its contract: its Seal panicked, or returned
// context.Canceled although the miner had not cancelled it, or
// context.DeadlineExceeded of a deadline of its own (which errors.Is
// would take for the caller's), or neither a block nor an error
// (ErrNoBlock), or a block other than the one it was given
// (blockchain.CheckSealed); or its Prepare panicked, or changed more than the
// consensus fields (through the node's proposal). It is
// blockchain.ErrEngineMisbehaved, under a second name.
var ErrEngineMisbehaved = blockchain.ErrEngineMisbehaved

// seal runs engine.Seal, turning a panic into an error wrapping
// ErrEngineMisbehaved, its value's text bounded: a plugin's bug stops
// Run, not the whole process.
func seal(ctx context.Context, engine blockchain.Consensus, b *blockchain.Block) (sealed *blockchain.Block, err error) {
	defer func() {
		if v := recover(); v != nil {
			sealed, err = nil, fmt.Errorf("%w: Seal panicked: %s", ErrEngineMisbehaved, clip.Text(fmt.Sprint(v), maxPanicText))
		}
	}()
	return engine.Seal(ctx, b)
}

// checkEngineSpec refuses an engine that is a [blockchain.SpecEngine]
// and runs another consensus than spec, the chain's: its blocks would be
// sealed for rules the chain does not keep (a pow engine of 12 bits on
// a chain of 18 seals blocks every node refuses, and one of 20 works
// harder than it needs to), or made by turns of other signers. The error
// wraps ErrInvalidConfig and [blockchain.ErrEngineNotSpec] and names the
// first difference with both values, the chain's first:
//
//	miner: invalid miner config: Config.Engine: the engine does not run the spec's consensus: consensus.pow.bits: the chain's 18, the engine's 12
//
// A ConsensusSpec that panics is an error wrapping
// [ErrEngineMisbehaved]. given says whether the engine is Config.Engine
// or the node's own. An engine that is no SpecEngine is not checked.
func checkEngineSpec(engine blockchain.Consensus, spec blockchain.ChainSpec, given bool) (err error) {
	se, ok := engine.(blockchain.SpecEngine)
	if !ok {
		return nil
	}
	field := "Config.Engine"
	if !given {
		field = "Config.Node's engine"
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("miner: %w: %s: %w: ConsensusSpec panicked: %s", ErrInvalidConfig, field, ErrEngineMisbehaved, clip.Text(fmt.Sprint(v), maxPanicText))
		}
	}()
	runs := spec
	runs.Consensus = se.ConsensusSpec()
	if d := spec.DiffNamed(runs, "the chain's", "the engine's"); d != "" {
		return fmt.Errorf("miner: %w: %s: %w: %s", ErrInvalidConfig, field, blockchain.ErrEngineNotSpec, d)
	}
	return nil
}

// maxPanicText bounds the text of a panic's value in Run's error, in
// bytes.
const maxPanicText = 512

// ErrNotMade is the error of Run on a Miner that [New] did not make (the
// zero Miner, or a nil *Miner): it has no node to mine for.
var ErrNotMade = errors.New("the miner was not made by miner.New")

// ErrNoBlock is what Run returns, wrapped with ErrEngineMisbehaved, when
// the consensus engine's Seal returns neither a block nor an error.
var ErrNoBlock = errors.New("the engine returned no block and no error")

// Config configures a [Miner]. Node and Beneficiary are required.
type Config struct {
	// Node is the miner's view of the chain, usually a *node.Node; the
	// miner proposes and publishes through it.
	Node Backend
	// ID names the miner in the blocks it publishes and in logs: UTF-8
	// text of at most events.MaxMinerIDLen bytes, as a BlockMined
	// carries it, of characters a terminal or a page prints as they are
	// (no control character, no right-to-left override). Empty means
	// "miner".
	ID string
	// Beneficiary is the account each of the miner's blocks pays: the
	// chain spec's block reward plus the fees of the block's
	// transactions, credited when the chain applies the block. Required:
	// the zero Address is no one's.
	Beneficiary blockchain.Address
	// Engine seals the blocks; nil means the node's engine. Its number of
	// workers (pow.Config.Workers) is the miner's. The node prepares each
	// block with its own engine (see Backend.Propose), so Engine must
	// agree with it on the consensus fields: the same engine, perhaps
	// with more workers. New refuses an engine that is a
	// blockchain.SpecEngine (pow's, poa's) and runs another consensus
	// than the chain's spec: pow of other Bits, say.
	Engine blockchain.Consensus
	// MaxTx is the most transactions in a block; 0 means the pool
	// policy's MaxTx.
	MaxTx int
	// Now is the miner's clock, for block timestamps and pool deadlines;
	// nil means time.Now.
	Now func() time.Time
	// Logger receives the miner's wins, losses, hash rate and the
	// transactions the chain refused, each line with the attribute
	// miner=ID; nil discards them.
	Logger *slog.Logger
	// StallAfter is how long a seal may wait for another's turn before
	// the miner warns, once per height, naming whom the chain waits for:
	// an engine that seals by turns (examples/poa) says, through a method
	// Waiting(height uint64) string, whose turn it is when it is not its
	// own (a Waiting that panics is said instead, as a SealStalled event
	// whose Err wraps ErrEngineMisbehaved, and the seal goes on). 0 means
	// 30 seconds.
	StallAfter time.Duration
	// RetryWait is the first pause before a sealed block the log failed
	// to take is given to it again (each pause doubles, up to five
	// seconds; a RetryWait longer than that is every pause), and the
	// pause after a sealed block the chain refused; 0 means a second.
	// Tests make it short.
	RetryWait time.Duration
	// OnEvent, if set, is called for every seal the miner starts and
	// ends, and for the transactions a proposal left out, from the
	// miner's goroutine (SealStalled from the goroutine that watches the
	// seal, while the miner's waits in it: never two calls at once). It
	// must return quickly.
	OnEvent func(Event)
}

// An Event is a step in the miner's loop, for observers and tests.
type Event struct {
	Kind     EventKind
	Block    *blockchain.Block     // the candidate (SealStarted, TransactionsRejected) or the sealed block
	Elapsed  time.Duration         // time spent sealing (SealCancelled, BlockWon, BlockLost, BlockRefused)
	Err      error                 // why a block was lost or refused
	Rejected []blockchain.Rejected // the transactions the proposal left out (TransactionsRejected)
}

// EventKind says what the miner did.
type EventKind int

const (
	// SealStarted: the miner began sealing a candidate.
	SealStarted EventKind = iota + 1
	// SealCancelled: another block changed the tip while sealing.
	SealCancelled
	// BlockWon: the miner's block was appended to the blocks stream.
	BlockWon
	// BlockLost: the miner sealed a block but another, valid, was
	// appended first (or junk, which costs a seal nothing, beat the same
	// block's append 101 times in a row).
	BlockLost
	// TransactionsRejected: the chain left pending transactions out of
	// the candidate (Event.Rejected says which, and why), and the miner
	// removed them from the pool. Block is the candidate without them,
	// which the miner seals next unless it is empty.
	TransactionsRejected
	// BlockRefused: the miner's own chain refused the sealed block
	// (Event.Err says which rule), so the miner did not publish it and
	// waits a second before it tries again: a miner whose clock runs
	// ahead, or whose engine seals what its Verify refuses, must not
	// flood the log with blocks every node throws away. Or the log
	// refused it as too large for one event (Event.Err wraps
	// eventlog.ErrTooLarge): the miner then takes half as many
	// transactions a block.
	BlockRefused
	// SealStalled: a seal has waited Config.StallAfter for another's
	// turn (the engine says whose, in Event.Err); once per height.
	SealStalled
)

// Stats are the miner's counters: plain values a metrics exporter can
// read at any time.
type Stats struct {
	BlocksWon      uint64        // blocks appended to the log (a block another miner sealed identically counts for both)
	BlocksLost     uint64        // sealed blocks that lost the race to append
	SealsCancelled uint64        // seals abandoned because the tip changed
	TxsRejected    uint64        // pending transactions the chain left out of a candidate, removed from the pool
	BlocksRefused  uint64        // sealed blocks not published: its own chain refused them, or the log as too large
	Hashes         uint64        // hashes tried, if the engine counts them: it has a method Hashes() uint64, the total so far (pow.Engine does)
	SealTime       time.Duration // total time spent sealing, the seal under way included
}

// hashCounter is the optional interface of engines that count hashes
// (pow.Engine does).
type hashCounter interface{ Hashes() uint64 }

// A Miner turns pending transactions into blocks: when the pool's block
// policy says so, it has the node propose a block of the pending
// transactions, paying its beneficiary, seals it, and publishes it; the
// moment another block changes the tip, it abandons the seal and starts
// again on the new tip with what is still pending.
//
// A Miner's Run is meant for one goroutine; Stats may be read from any.
// Only [New] makes a usable Miner: the zero Miner's Run returns
// [ErrNotMade].
type Miner struct {
	node        Backend
	id          string
	beneficiary blockchain.Address
	engine      blockchain.Consensus
	maxTx       int
	now         func() time.Time
	logger      *slog.Logger
	onEvent     func(Event)
	retryWait   time.Duration
	stallAfter  time.Duration

	won, lost, cancelled, rejected, refused atomic.Uint64
	stalledAt                               atomic.Uint64 // the last height warnStalled warned of

	sealMu    sync.Mutex    // guards the two below, read together by Stats
	sealDone  time.Duration // time spent in seals that have ended
	sealStart time.Time     // when the seal under way began; zero between seals
}

// sealStarted notes that a seal begins now.
func (m *Miner) sealStarted() {
	m.sealMu.Lock()
	defer m.sealMu.Unlock()
	m.sealStart = time.Now()
}

// sealEnded notes that the seal under way has ended, and returns how long
// it took.
func (m *Miner) sealEnded() time.Duration {
	m.sealMu.Lock()
	defer m.sealMu.Unlock()
	elapsed := time.Since(m.sealStart)
	m.sealDone += elapsed
	m.sealStart = time.Time{}
	return elapsed
}

// sealTime returns the time spent sealing so far, the seal under way
// included: a seal that outlasts a status period counts in it, where
// it counted only once it ended (a rate over the period then read no
// time sealing at all).
func (m *Miner) sealTime() time.Duration {
	m.sealMu.Lock()
	defer m.sealMu.Unlock()
	if m.sealStart.IsZero() {
		return m.sealDone
	}
	return m.sealDone + time.Since(m.sealStart)
}

// New returns a miner, or an error wrapping [ErrInvalidConfig] that
// names the field at fault: a missing Node (or one with no pool, no
// engine or no chain), a zero Beneficiary ([ErrNoBeneficiary]), an ID no BlockMined
// can carry, a MaxTx out of range, an engine that runs another consensus
// than the chain's spec (wrapping [blockchain.ErrEngineNotSpec]).
func New(cfg Config) (*Miner, error) {
	if nilness.IsNil(cfg.Node) {
		return nil, fmt.Errorf("miner: %w: Config.Node is required (a nil one, typed or not, is missing)", ErrInvalidConfig)
	}
	if nilness.IsNil(cfg.Node.Pool()) {
		return nil, fmt.Errorf("miner: %w: Config.Node has no pool (its Pool method returns nil)", ErrInvalidConfig)
	}
	if cfg.Node.Chain() == (blockchain.ReadOnlyChain{}) {
		// The zero view reads no chain: the first look at the tip, in a
		// goroutine of Run's, would end the program.
		return nil, fmt.Errorf("miner: %w: Config.Node has no chain (its Chain method returns the zero blockchain.ReadOnlyChain)", ErrInvalidConfig)
	}
	if cfg.Engine == nil && nilness.IsNil(cfg.Node.Engine()) {
		return nil, fmt.Errorf("miner: %w: Config.Node has no engine (its Engine method returns nil) and Config.Engine is nil", ErrInvalidConfig)
	}
	if len(cfg.ID) > events.MaxMinerIDLen || !utf8.ValidString(cfg.ID) {
		// Every block would be sealed and then refused by the encoding,
		// which Run takes for a log that is down and retries for ever.
		return nil, fmt.Errorf("miner: %w: Config.ID: have %q, want UTF-8 of at most %d bytes", ErrInvalidConfig, clip.Text(cfg.ID, 64), events.MaxMinerIDLen)
	}
	if !clip.Graphic(cfg.ID) {
		// Explorers and logs print it: a control character, or a
		// right-to-left override, would print as something else.
		return nil, fmt.Errorf("miner: %w: Config.ID: have %q, want letters, marks, numbers, punctuation, symbols and spaces only", ErrInvalidConfig, clip.Text(cfg.ID, 64))
	}
	if cfg.Engine != nil && nilness.IsNil(cfg.Engine) {
		return nil, fmt.Errorf("miner: %w: Config.Engine is a nil %T: leave it nil for the node's engine", ErrInvalidConfig, cfg.Engine)
	}
	if cfg.Beneficiary.IsZero() {
		return nil, fmt.Errorf("miner: %w", ErrNoBeneficiary)
	}
	if cfg.MaxTx < 0 || cfg.MaxTx > blockchain.MaxBlockTransactions {
		return nil, fmt.Errorf("miner: %w: Config.MaxTx: have %d, want 0…%d", ErrInvalidConfig, cfg.MaxTx, blockchain.MaxBlockTransactions)
	}
	if cfg.StallAfter < 0 {
		return nil, fmt.Errorf("miner: %w: Config.StallAfter: have %v, want ≥ 0", ErrInvalidConfig, cfg.StallAfter)
	}
	if cfg.RetryWait < 0 {
		return nil, fmt.Errorf("miner: %w: Config.RetryWait: have %v, want ≥ 0", ErrInvalidConfig, cfg.RetryWait)
	}
	m := &Miner{node: cfg.Node, id: cfg.ID, beneficiary: cfg.Beneficiary, engine: cfg.Engine, maxTx: cfg.MaxTx, now: cfg.Now, logger: cfg.Logger, onEvent: cfg.OnEvent, retryWait: cfg.RetryWait}
	if m.retryWait == 0 {
		m.retryWait = time.Second
	}
	m.stallAfter = cfg.StallAfter
	if m.stallAfter == 0 {
		m.stallAfter = 30 * time.Second
	}
	if m.id == "" {
		m.id = "miner"
	}
	if m.engine == nil {
		m.engine = cfg.Node.Engine()
	}
	if err := checkEngineSpec(m.engine, cfg.Node.Chain().Spec(), cfg.Engine != nil); err != nil {
		return nil, err
	}
	if m.maxTx == 0 {
		m.maxTx = cfg.Node.Pool().Policy().MaxTx
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.logger == nil {
		m.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m.logger = m.logger.With("miner", m.id) // every line names the miner, once
	if m.onEvent == nil {
		m.onEvent = func(Event) {}
	}
	return m, nil
}

// Stats returns the miner's counters. An engine's Hashes that panics
// counts no hashes: Stats is read by status lines and metrics on
// goroutines of their own, where a plugin's panic would end the process.
func (m *Miner) Stats() Stats {
	s := Stats{
		BlocksWon:      m.won.Load(),
		BlocksLost:     m.lost.Load(),
		SealsCancelled: m.cancelled.Load(),
		TxsRejected:    m.rejected.Load(),
		BlocksRefused:  m.refused.Load(),
		SealTime:       m.sealTime(),
	}
	if h, ok := m.engine.(hashCounter); ok {
		s.Hashes = hashesOf(h)
	}
	return s
}

// hashesOf returns h.Hashes(), or 0 if it panics.
func hashesOf(h hashCounter) (n uint64) {
	defer func() {
		if recover() != nil {
			n = 0
		}
	}()
	return h.Hashes()
}

// Run mines until ctx is done, and returns ctx.Err(); or an error from the
// engine or the node that mining cannot go on after — among them a
// publish refused because the log is closed (eventlog.ErrClosed), its
// blocks stream deleted (eventlog.ErrStreamDeleted) or its storage
// damaged (eventlog.ErrCorrupt). A log that fails
// otherwise (unreachable for a while, say) is given the same sealed
// block again, after pauses that grow from a second to five seconds,
// until it takes it or another block makes it stale: the work of a
// seal is not done twice for a log that is down. An engine that breaks
// its contract stops Run too, with an error wrapping ErrEngineMisbehaved
// (its Seal panicked, cancelled itself, returned no block or another
// block than it was given; its Prepare panicked, or changed more than the
// consensus fields): a plugin's bug ends mining,
// not the process, and never has the miner spin. So does a Backend
// whose Propose returns neither a block nor an error.
//
// Each round: wait until the pool is ready (MaxTx pending, or the oldest
// has waited MaxWait); have the node propose a block on the tip of the
// pool's candidates, paying the beneficiary; remove from the pool what the
// proposal left out; Seal under a context that is cancelled when the tip
// changes; publish. A lost race or a cancelled seal just starts the next
// round, once the node has caught up.
func (m *Miner) Run(ctx context.Context) error {
	if m == nil || m.node == nil {
		return fmt.Errorf("miner: run: %w", ErrNotMade)
	}
	for {
		changed := m.node.Changed()
		if !m.node.Pool().Ready() {
			if err := m.waitForWork(ctx, changed); err != nil {
				return err
			}
			continue
		}
		if err := m.round(ctx, changed); err != nil {
			return err
		}
	}
}

// waitForWork waits until the node changes or the pool's next cut is due.
func (m *Miner) waitForWork(ctx context.Context, changed <-chan struct{}) error {
	var due <-chan time.Time
	if at, ok := m.node.Pool().Due(); ok {
		t := time.NewTimer(at.Sub(m.now()))
		defer t.Stop()
		due = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-changed:
	case <-due:
	}
	return nil
}

// waitForChange waits until the node changes: after a proposal that left
// nothing to mine and nothing to remove, when only a new block or
// transaction can make the next round different.
func waitForChange(ctx context.Context, changed <-chan struct{}) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-changed:
		return nil
	}
}

// round mines one candidate. changed was taken before the pool was found
// ready, so any change since then is seen.
func (m *Miner) round(ctx context.Context, changed <-chan struct{}) error {
	seen, _ := m.node.Position()
	txs := m.node.Pool().Candidates(m.maxTx)
	candidate, rejected, err := m.node.Propose(m.beneficiary, txs, m.now())
	if err != nil {
		return fmt.Errorf("miner %s: propose: %w", m.id, err)
	}
	if candidate == nil {
		// A backend's bug (a fake's Propose left unfinished, say): there
		// is nothing to seal, and proposing again would give the same.
		return fmt.Errorf("miner %s: propose: the node returned no block and no error", m.id)
	}
	if blocks, _ := m.node.Position(); blocks != seen {
		// A block came in between the pool's answer and the proposal:
		// the two may disagree (a transaction the block included is
		// still a candidate), so nothing the proposal left out tells
		// anything. Start again on the new tip.
		return nil
	}
	if len(rejected) > 0 {
		removed := m.reject(candidate, rejected)
		if candidate.Len() == 0 {
			// Nothing left to mine: the next round looks at the pool
			// again, or, if nothing could be removed, waits for news
			// rather than propose the same again.
			if removed > 0 {
				return nil
			}
			return waitForChange(ctx, changed)
		}
	}
	if candidate.Len() == 0 {
		return waitForChange(ctx, changed) // nothing pending applies: never mine an empty block
	}
	h := candidate.Header()

	// Seal until done, or until another block changes the tip.
	sealCtx, cancel := context.WithCancel(ctx)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		if m.waitForTipChange(sealCtx, h.PrevHash, changed, func() { m.warnStalled(h.Height) }) {
			cancel()
		}
	}()
	m.sealStarted() // first: Stats counts the seal from SealStarted on
	m.onEvent(Event{Kind: SealStarted, Block: candidate})
	sealed, err := seal(sealCtx, m.engine, candidate)
	elapsed := m.sealEnded()
	stopped := sealCtx.Err() != nil // before cancel: did anyone stop the seal?
	cancel()
	<-watching
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.Canceled) && !stopped:
		// The engine's own cancellation, not the miner's: trying again
		// at once would spin, thousands of rounds a second.
		return fmt.Errorf("miner %s: seal: %w: Seal returned %v, but its context was not cancelled", m.id, ErrEngineMisbehaved, err)
	case errors.Is(err, context.DeadlineExceeded):
		// An engine's own timeout, the miner's context live: returned
		// as it was, errors.Is(err, context.DeadlineExceeded) on Run's
		// error would say the caller's deadline had passed.
		return fmt.Errorf("miner %s: seal: %w: Seal returned %v, but its context had no deadline that passed", m.id, ErrEngineMisbehaved, err)
	case errors.Is(err, context.Canceled):
		m.cancelled.Add(1)
		m.logger.Debug("seal cancelled: the tip changed", "height", h.Height, "after", elapsed)
		m.onEvent(Event{Kind: SealCancelled, Block: candidate, Elapsed: elapsed})
		return nil
	case err != nil:
		return fmt.Errorf("miner %s: seal: %w", m.id, err)
	case sealed == nil:
		return fmt.Errorf("miner %s: seal: %w: %w", m.id, ErrEngineMisbehaved, ErrNoBlock)
	}
	if err := blockchain.CheckSealed(candidate, sealed); err != nil {
		// Its own chain would refuse it, or take a block with another
		// payee than the miner's: either way a seal of another block,
		// and sealing again would only repeat it.
		return fmt.Errorf("miner %s: seal: %w", m.id, err)
	}

	// Publish only what the chain takes: every node would refuse the rest.
	// (Nodes judge a block's time at the moment the log records it, this
	// check at the miner's clock: a clock far from the log's is the one
	// thing it cannot see.)
	if err := m.node.Chain().Check(sealed); err != nil {
		if m.node.Chain().TipHash() != h.PrevHash {
			return nil // another block came in: start again on it
		}
		m.refused.Add(1)
		m.logger.Warn("sealed block refused by the chain: not published", "height", sealed.Height(), "hash", sealed.Hash().Short(), "err", err)
		m.onEvent(Event{Kind: BlockRefused, Block: sealed, Elapsed: elapsed, Err: err})
		return sleep(ctx, m.retryWait)
	}
	past, err := m.publishSealed(ctx, sealed, h.PrevHash, seen)
	switch {
	case errors.Is(err, eventlog.ErrTooLarge):
		// More transactions than one event of the log can carry (a
		// transfer takes about 250 bytes of a block event, the log
		// eventlog.MaxAppendSize): fewer a block from now on, rather
		// than seal this block again and again.
		m.refused.Add(1)
		m.maxTx = max(1, sealed.Len()/2)
		m.logger.Warn("sealed block too large for one event of the log: fewer transactions a block from now on", "height", sealed.Height(), "txs", sealed.Len(), "max_tx", m.maxTx, "err", err)
		m.onEvent(Event{Kind: BlockRefused, Block: sealed, Elapsed: elapsed, Err: err})
		return nil
	case errors.Is(err, node.ErrStale):
		m.lost.Add(1)
		m.logger.Info("block lost", "height", h.Height, "hash", sealed.Hash().Short(), "reason", err)
		m.onEvent(Event{Kind: BlockLost, Block: sealed, Elapsed: elapsed, Err: err})
	case err != nil:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The log closed, or its blocks stream deleted: no block will
		// ever be published here, and sealing on would spend the work
		// for nothing, for ever. (publish tried again for what may pass.)
		return fmt.Errorf("miner %s: publish: %w", m.id, err)
	default:
		m.won.Add(1)
		st := m.Stats()
		rate := 0.0
		if st.SealTime > 0 {
			rate = float64(st.Hashes) / st.SealTime.Seconds()
		}
		m.logger.Info("block won", "height", sealed.Height(), "hash", sealed.Hash().Short(),
			"txs", sealed.Len(), "seal_time", elapsed, "hash_rate", rate)
		m.onEvent(Event{Kind: BlockWon, Block: sealed, Elapsed: elapsed})
	}
	// Won or lost, a new block event is in the stream. Wait until the node
	// has processed it, rather than seal the same transactions again on a
	// tip that is already gone.
	return m.waitForBlockPast(ctx, h.PrevHash, past)
}

// maxRepublish is how many times a sealed block is published again after
// events that are no block of the chain beat its append (see
// publishSealed): each time something new was appended to the blocks
// stream, so only a stream flooded faster than the miner can append
// exhausts it.
const maxRepublish = 100

// publishSealed publishes sealed, built on parent (see publish), and
// settles a stale append. Any event appended to the blocks stream since
// the node last read it makes the append stale: another miner's block,
// this very block written by an append that failed to answer, or junk
// that every node skips (an event no block decodes from, a block that
// breaks a rule). So once the node has read every event the stream held
// when the append failed (past seen, the position the round started
// from, at least), its chain says which: the block at sealed's height is
// sealed (won: nil); the tip moved (a valid block took the height first:
// the error, wrapping node.ErrStale); or the tip is still parent, and
// the same sealed block is published again, at the stream's new end —
// at most maxRepublish times, then it is counted lost too. A block is
// never appended twice: it is published again only while the chain does
// not hold it, and its event ID, from the block, makes the log take a
// repeat as a retry.
//
// past is where the race was decided: once the node has read past it (or
// its tip is no longer parent), it has read the block event that won.
// After an append that succeeded that is the node's position as the
// append returned: the block went at the revision the node was to read
// next when it published, and the node may have read on since, so the
// event is at past or before it.
func (m *Miner) publishSealed(ctx context.Context, sealed *blockchain.Block, parent blockchain.Hash, seen eventlog.Revision) (past eventlog.Revision, err error) {
	for tries := 1; ; tries++ {
		err := m.publish(ctx, sealed, parent)
		if err == nil {
			past, _ = m.node.Position()
			return past, nil
		}
		if !errors.Is(err, node.ErrStale) {
			return seen, err
		}
		past = seen
		var wrong *eventlog.WrongExpectedRevisionError
		if errors.As(err, &wrong) {
			if last, ok := wrong.Actual.Revision(); ok {
				past = max(past, last)
			}
		}
		if err := m.waitForBlocksPast(ctx, past); err != nil {
			return past, err
		}
		chain := m.node.Chain()
		if at, ok := chain.HeightOf(sealed.Hash()); ok && at == sealed.Height() {
			return past, nil
		}
		if chain.TipHash() != parent {
			return past, err
		}
		if tries > maxRepublish {
			return past, fmt.Errorf("%w: published %d times, each beaten by events that are no block of the chain", err, tries)
		}
		m.logger.Debug("the blocks stream moved, the tip did not: the sealed block is published again",
			"height", sealed.Height(), "hash", sealed.Hash().Short(), "attempt", tries+1, "err", err)
	}
}

// maxPublishWait is the longest pause between two attempts to publish
// a sealed block while the log fails. It is also how long, at worst, the
// chain stands still once the log is back: a pause ends early when a
// block event is read, but while the log fails every miner is pausing,
// and none writes one. An append every few seconds costs a log that is
// down nothing.
const maxPublishWait = 5 * time.Second

// publish appends sealed to the blocks stream. While the log fails for
// what may pass (unreachable, say), it tries the same block again,
// Config.RetryWait later and then twice as long each time up to
// maxPublishWait (or RetryWait, if that is longer), as
// long as the tip is still the block's parent: a sealed block is work
// done, and sealing another would do it again, at full speed, for as
// long as the log is down. (Appending the same block again is safe: its
// event ID comes from the block, and a log that took the first append
// takes the second as its retry.) Once another block has come in, the
// sealed one is stale: the error then wraps node.ErrStale (the block
// that came in may be this one, which an append that failed to answer
// wrote: round looks). The pause ends early when the node reads a block
// event (the log is back, and the block may be stale). It returns nil,
// or an error that no retry mends: node.ErrStale; the log closed, its
// stream deleted, its storage damaged (eventlog.ErrCorrupt), or the
// event refused as too large or invalid; or ctx's.
func (m *Miner) publish(ctx context.Context, sealed *blockchain.Block, parent blockchain.Hash) error {
	wait := m.retryWait
	for {
		blocks, _ := m.node.Position()
		err := m.node.PublishBlock(ctx, sealed, m.id)
		stale := errors.Is(err, node.ErrStale) || (err != nil && m.node.Chain().TipHash() != parent)
		switch {
		case err == nil, ctx.Err() != nil, errors.Is(err, node.ErrStale),
			errors.Is(err, eventlog.ErrClosed), errors.Is(err, eventlog.ErrStreamDeleted), errors.Is(err, eventlog.ErrCorrupt),
			errors.Is(err, eventlog.ErrTooLarge), errors.Is(err, eventlog.ErrInvalid):
			return err
		case stale:
			return fmt.Errorf("%w: another block came in while the log failed: %v", node.ErrStale, err)
		}
		m.logger.Warn("publish failed: the sealed block is tried again", "height", sealed.Height(), "hash", sealed.Hash().Short(), "in", wait, "err", err)
		if err := m.pause(ctx, wait, blocks); err != nil {
			return err
		}
		wait = max(min(2*wait, maxPublishWait), m.retryWait)
	}
}

// pause waits d, or until the node has read past blocks in the blocks
// stream, or ctx ends (its error). Transaction events, which come and
// go while a block waits to be published, do not end it.
func (m *Miner) pause(ctx context.Context, d time.Duration, blocks eventlog.Revision) error {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		changed := m.node.Changed()
		if now, _ := m.node.Position(); now != blocks {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		case <-changed:
		}
	}
}

// reject removes from the pool the transactions the proposal of candidate
// left out, logs each with its rule, and returns how many transactions
// left the pool: with each rejected one go its sender's later ones, which
// could never apply without it (see pool.Pool.Remove). Without this the
// miner would propose them again at every round.
func (m *Miner) reject(candidate *blockchain.Block, rejected []blockchain.Rejected) int {
	ids := make([]uuid.UUID, len(rejected))
	for i, r := range rejected {
		ids[i] = r.Tx.ID()
		m.logger.Warn("transaction left out of the block and removed from the pool",
			"tx", r.Tx.ID(), "from", r.Tx.From(), "nonce", r.Tx.Nonce(), "err", r.Err)
	}
	removed := m.node.Pool().Remove(ids...)
	m.rejected.Add(uint64(len(rejected)))
	m.onEvent(Event{Kind: TransactionsRejected, Block: candidate, Rejected: rejected})
	return removed
}

// waitForTipChange waits until the chain's tip is no longer tip, watching
// the node's change signal from changed on, and reports whether it did
// (false: ctx ended first).
func (m *Miner) waitForTipChange(ctx context.Context, tip blockchain.Hash, changed <-chan struct{}, stalled func()) bool {
	stall := time.NewTimer(m.stallAfter)
	defer stall.Stop()
	for m.node.Chain().TipHash() == tip {
		select {
		case <-ctx.Done():
			return false
		case <-changed:
			changed = m.node.Changed()
		case <-stall.C:
			stalled()
		}
	}
	return true
}

// warnStalled warns, once per height, that the seal of the block at
// height waits for another's turn, if the engine says whose (see
// Config.StallAfter): a proof-of-authority chain whose signer is down
// stops at that signer's turn, and nothing else would say why.
func (m *Miner) warnStalled(height uint64) {
	w, ok := m.engine.(interface{ Waiting(height uint64) string })
	if !ok || m.stalledAt.Swap(height) == height {
		return
	}
	who, err := waiting(w, height)
	if err != nil {
		m.logger.Error("no block yet, and the engine cannot say whose turn it is", "height", height, "after", m.stallAfter, "err", err)
		m.onEvent(Event{Kind: SealStalled, Err: fmt.Errorf("height %d: %w", height, err)})
		return
	}
	if who != "" {
		m.logger.Warn("no block yet: the chain waits for another's turn", "height", height, "after", m.stallAfter, "waiting_for", who)
		m.onEvent(Event{Kind: SealStalled, Err: fmt.Errorf("height %d waits for %s", height, who)})
	}
}

// waiting asks w whose turn it is at height. It runs on the goroutine
// that watches the seal, where a panic would end the whole process: a
// Waiting that panics is an error wrapping ErrEngineMisbehaved instead,
// and the seal goes on.
func waiting(w interface{ Waiting(height uint64) string }, height uint64) (who string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: Waiting panicked: %s", ErrEngineMisbehaved, clip.Text(fmt.Sprint(v), maxPanicText))
		}
	}()
	return w.Waiting(height), nil
}

// waitForBlocksPast waits until the node has read the blocks stream past
// revision seen.
func (m *Miner) waitForBlocksPast(ctx context.Context, seen eventlog.Revision) error {
	for {
		changed := m.node.Changed()
		if next, _ := m.node.Position(); next > seen {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// waitForBlockPast waits until the node's tip is no longer parent, or it
// has read the blocks stream past revision past, or ctx ends (its
// error): after a race for the block on parent, decided at past or
// before, until the node has read the block that won (or, if its chain
// refused that block, read past it).
func (m *Miner) waitForBlockPast(ctx context.Context, parent blockchain.Hash, past eventlog.Revision) error {
	for {
		changed := m.node.Changed()
		if next, _ := m.node.Position(); next > past || m.node.Chain().TipHash() != parent {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
