package miner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// A Backend is what a miner needs from a node: the chain to build on, the
// pool to take transactions from, a signal when either changes, and a
// way to publish. A [*node.Node] is one (run its Follow alongside the
// miner's Run); a test can give a small fake instead, and so check the
// mining loop without an event log.
type Backend interface {
	// Chain is the chain the miner builds on; engines Prepare against it.
	Chain() blockchain.ReadOnlyChain
	// Pool holds the pending transactions; the miner reads its block
	// policy (Ready, Due, Policy) and takes its Candidates.
	Pool() *pool.Pool
	// Engine is the backend's consensus engine, used when Config.Engine
	// is nil.
	Engine() blockchain.Consensus
	// Changed returns a channel that is closed at the backend's next
	// change: a block applied, a transaction added.
	Changed() <-chan struct{}
	// Position returns how far the backend has read the blocks and the
	// transactions streams: the next revision of each. The miner only
	// needs the first to move on after a publish.
	Position() (blocks, txs eventlog.Revision)
	// PublishBlock appends a sealed block, mined by minerID. It returns
	// an error wrapping node.ErrStale when another block got there first.
	PublishBlock(ctx context.Context, b *blockchain.Block, minerID string) error
}

var _ Backend = (*node.Node)(nil)

// Config configures a [Miner]. Node is required.
type Config struct {
	// Node is the miner's view of the chain, usually a *node.Node; the
	// miner publishes through it.
	Node Backend
	// ID names the miner in the blocks it publishes and in logs.
	ID string
	// Engine seals the blocks; nil means the node's engine. Its number of
	// workers (pow.Config.Workers) is the miner's.
	Engine blockchain.Consensus
	// MaxTx is the most transactions in a block; 0 means the pool
	// policy's MaxTx.
	MaxTx int
	// Now is the miner's clock, for block timestamps and pool deadlines;
	// nil means time.Now.
	Now func() time.Time
	// Logger receives the miner's wins, losses and hash rate; nil
	// discards them.
	Logger *slog.Logger
	// OnEvent, if set, is called for every seal the miner starts and
	// ends, from the miner's goroutine. It must return quickly.
	OnEvent func(Event)
}

// An Event is a step in the miner's loop, for observers and tests.
type Event struct {
	Kind    EventKind
	Block   *blockchain.Block // the candidate (SealStarted) or the sealed block
	Elapsed time.Duration     // time spent sealing (all but SealStarted)
	Err     error             // why a block was lost
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
	// BlockLost: the miner sealed a block but another was appended first.
	BlockLost
)

// Stats are the miner's counters: plain values a metrics exporter can
// read at any time.
type Stats struct {
	BlocksWon      uint64        // blocks appended to the log (a block another miner sealed identically counts for both)
	BlocksLost     uint64        // sealed blocks that lost the race to append
	SealsCancelled uint64        // seals abandoned because the tip changed
	Hashes         uint64        // hashes tried, if the engine counts them
	SealTime       time.Duration // total time spent sealing
}

// hashCounter is the optional interface of engines that count hashes
// (pow.Engine does).
type hashCounter interface{ Hashes() uint64 }

// A Miner turns pending transactions into blocks: when the pool's block
// policy says so, it takes a candidate, seals it, and publishes it; the
// moment another block changes the tip, it abandons the seal and starts
// again on the new tip with what is still pending.
//
// A Miner's Run is meant for one goroutine; Stats may be read from any.
type Miner struct {
	node    Backend
	id      string
	engine  blockchain.Consensus
	maxTx   int
	now     func() time.Time
	logger  *slog.Logger
	onEvent func(Event)

	won, lost, cancelled atomic.Uint64
	sealNanos            atomic.Int64
}

// New returns a miner, or an error if cfg lacks the node.
func New(cfg Config) (*Miner, error) {
	if cfg.Node == nil {
		return nil, errors.New("miner: Config.Node is required")
	}
	if cfg.MaxTx < 0 || cfg.MaxTx > blockchain.MaxBlockTransactions {
		return nil, fmt.Errorf("miner: MaxTx: have %d, want 0…%d", cfg.MaxTx, blockchain.MaxBlockTransactions)
	}
	m := &Miner{node: cfg.Node, id: cfg.ID, engine: cfg.Engine, maxTx: cfg.MaxTx, now: cfg.Now, logger: cfg.Logger, onEvent: cfg.OnEvent}
	if m.id == "" {
		m.id = "miner"
	}
	if m.engine == nil {
		m.engine = cfg.Node.Engine()
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
	if m.onEvent == nil {
		m.onEvent = func(Event) {}
	}
	return m, nil
}

// Stats returns the miner's counters.
func (m *Miner) Stats() Stats {
	s := Stats{
		BlocksWon:      m.won.Load(),
		BlocksLost:     m.lost.Load(),
		SealsCancelled: m.cancelled.Load(),
		SealTime:       time.Duration(m.sealNanos.Load()),
	}
	if h, ok := m.engine.(hashCounter); ok {
		s.Hashes = h.Hashes()
	}
	return s
}

// Run mines until ctx is done, and returns ctx.Err(); or an error from the
// engine or the log that mining cannot go on after.
//
// Each round: wait until the pool is ready (MaxTx pending, or the oldest
// has waited MaxWait); build a candidate on the tip from the oldest
// pending transactions; Prepare; Seal under a context that is cancelled
// when the tip changes; publish. A lost race or a cancelled seal just
// starts the next round, once the node has caught up.
func (m *Miner) Run(ctx context.Context) error {
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

// round mines one candidate. changed was taken before the pool was found
// ready, so any change since then is seen.
func (m *Miner) round(ctx context.Context, changed <-chan struct{}) error {
	chain := m.node.Chain()
	seen, _ := m.node.Position()
	parent := chain.Tip()
	txs := m.node.Pool().Candidates(m.maxTx)
	h := blockchain.NextHeader(parent, txs, m.now())
	if h.Timestamp.Before(parent.Timestamp) {
		h.Timestamp = parent.Timestamp // a clock behind the tip's must not make the block invalid
	}
	if err := m.engine.Prepare(chain, &h); err != nil {
		return fmt.Errorf("miner %s: prepare: %w", m.id, err)
	}
	candidate := blockchain.NewBlock(h, txs)

	// Seal until done, or until another block changes the tip.
	sealCtx, cancel := context.WithCancel(ctx)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		if m.waitForTipChange(sealCtx, h.PrevHash, changed) {
			cancel()
		}
	}()
	m.onEvent(Event{Kind: SealStarted, Block: candidate})
	start := time.Now()
	sealed, err := m.engine.Seal(sealCtx, candidate)
	elapsed := time.Since(start)
	cancel()
	<-watching
	m.sealNanos.Add(int64(elapsed))
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.Canceled):
		m.cancelled.Add(1)
		m.logger.Debug("seal cancelled: the tip changed", "miner", m.id, "height", h.Height, "after", elapsed)
		m.onEvent(Event{Kind: SealCancelled, Block: candidate, Elapsed: elapsed})
		return nil
	case err != nil:
		return fmt.Errorf("miner %s: seal: %w", m.id, err)
	}

	err = m.node.PublishBlock(ctx, sealed, m.id)
	switch {
	case errors.Is(err, node.ErrStale):
		m.lost.Add(1)
		m.logger.Info("block lost", "miner", m.id, "height", h.Height, "hash", sealed.Hash().Short(), "reason", err)
		m.onEvent(Event{Kind: BlockLost, Block: sealed, Elapsed: elapsed, Err: err})
	case err != nil:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The log may be unreachable for a moment: wait a little, then
		// the next round tries again with whatever is pending then.
		m.logger.Warn("publish failed", "miner", m.id, "err", err)
		return sleep(ctx, time.Second)
	default:
		m.won.Add(1)
		st := m.Stats()
		rate := 0.0
		if st.SealTime > 0 {
			rate = float64(st.Hashes) / st.SealTime.Seconds()
		}
		m.logger.Info("block won", "miner", m.id, "height", sealed.Height(), "hash", sealed.Hash().Short(),
			"txs", sealed.Len(), "seal_time", elapsed, "hash_rate", rate)
		m.onEvent(Event{Kind: BlockWon, Block: sealed, Elapsed: elapsed})
	}
	// Won or lost, a new block event is in the stream. Wait until the node
	// has processed it, rather than seal the same transactions again on a
	// tip that is already gone.
	return m.waitForBlocksPast(ctx, seen)
}

// waitForTipChange waits until the chain's tip is no longer tip, watching
// the node's change signal from changed on, and reports whether it did
// (false: ctx ended first).
func (m *Miner) waitForTipChange(ctx context.Context, tip blockchain.Hash, changed <-chan struct{}) bool {
	for m.node.Chain().TipHash() == tip {
		select {
		case <-ctx.Done():
			return false
		case <-changed:
			changed = m.node.Changed()
		}
	}
	return true
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
