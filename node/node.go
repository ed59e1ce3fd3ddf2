package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/pool"
)

// The streams a node reads and writes. Prefix them for a shared server
// with eventlog.WithPrefix.
const (
	// StreamTransactions holds TransactionSubmitted and TransactionRebroadcast events.
	StreamTransactions = "transactions"
	// StreamBlocks holds BlockMined events: the order of this stream is the order of the chain.
	StreamBlocks = "blocks"
	// StreamAudit holds TransactionVerified, TransactionDropped and BlockRejected events.
	StreamAudit = "audit"
)

// RestoreMode says how Restore rebuilds the chain from the blocks stream.
type RestoreMode int

const (
	// RestoreVerify replays every block event through Chain.Apply: every
	// rule is checked again, so a node restored this way trusts nothing
	// but the log's order. A poisoned block is skipped as in Follow.
	RestoreVerify RestoreMode = iota
	// RestoreFast trusts the blocks it reads: it checks only that each
	// links to the one before (Chain.Trust), skipping the Merkle roots,
	// transaction rules and proof of work. It still reads every block
	// event, because the chain must know every transaction it holds to
	// refuse one twice; what it saves is the checking. Use it only on a
	// log whose blocks were checked by nodes you trust; on a poisoned log
	// it would accept what RestoreVerify rejects.
	RestoreFast
)

// String returns "verify" or "fast".
func (m RestoreMode) String() string {
	switch m {
	case RestoreVerify:
		return "verify"
	case RestoreFast:
		return "fast"
	}
	return fmt.Sprintf("RestoreMode(%d)", int(m))
}

// ErrUnknownRestoreMode is wrapped by the error UnmarshalText returns for
// a name that is not a mode, and by Restore's for a value that is not one.
var ErrUnknownRestoreMode = errors.New("unknown restore mode")

// MarshalText returns the mode's name, "verify" or "fast", or an error
// wrapping ErrUnknownRestoreMode.
func (m RestoreMode) MarshalText() ([]byte, error) {
	if m != RestoreVerify && m != RestoreFast {
		return nil, fmt.Errorf("node: %w: %d", ErrUnknownRestoreMode, int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText sets m from its name, "verify" or "fast", so that a
// RestoreMode can be a flag (flag.TextVar) or a JSON or YAML field. Any
// other text is an error wrapping ErrUnknownRestoreMode that names it.
func (m *RestoreMode) UnmarshalText(text []byte) error {
	switch string(text) {
	case "verify":
		*m = RestoreVerify
	case "fast":
		*m = RestoreFast
	default:
		return fmt.Errorf("node: %w: have %q, want verify or fast", ErrUnknownRestoreMode, text)
	}
	return nil
}

// Config configures a [Node]. Log and Engine are required.
type Config struct {
	// Log is the event log the node reads and writes.
	Log eventlog.Log
	// Engine checks every block's consensus fields and seal.
	Engine blockchain.Consensus
	// Window is how many of the newest blocks the chain keeps whole in
	// memory; 0 keeps all. See blockchain.Config.Window.
	Window int
	// Policy is the pool's policy; the zero Policy means pool.DefaultPolicy().
	Policy pool.Policy
	// Now is the node's clock, for the chain's time rules and the pool;
	// nil means time.Now.
	Now func() time.Time
	// Logger receives what the node does; nil discards it.
	Logger *slog.Logger
}

// An Event is what a node tells its observers (see [Node.Observe]): one
// event of the blocks stream, processed.
type Event struct {
	Kind     EventKind
	Block    *blockchain.Block // the block added or rejected; nil for a malformed event
	MinerID  string            // who published the block, as its event says
	Revision eventlog.Revision // where in the blocks stream
	Err      error             // why it was rejected
}

// EventKind says what happened.
type EventKind int

const (
	// BlockAdded: a block extended the tip.
	BlockAdded EventKind = iota + 1
	// BlockRejected: a block broke a rule and was skipped; Err wraps the *blockchain.RuleError.
	BlockRejected
	// EventSkipped: an event of the blocks stream was not a block at all (malformed, unknown type).
	EventSkipped
)

// ErrStale is returned by PublishBlock when another block was appended to
// the blocks stream since the node last caught up: the candidate lost the
// race. Catch up and build a new one.
var ErrStale = errors.New("stale block: another block was appended first")

// A Node is one participant's view of the chain: a Chain and a Pool kept
// up to date from the event log, and the way to add to it — submitting
// transactions and publishing blocks. Banks, miners and auditors each run
// one. Restore rebuilds the state from the log, Follow keeps it current.
//
// A Node is safe for concurrent use.
type Node struct {
	log    eventlog.Log
	engine blockchain.Consensus
	chain  *blockchain.Chain
	pool   *pool.Pool
	logger *slog.Logger

	// observers is copied on every registration and never changed in
	// place, so notify reads it without a lock or an allocation.
	observersMu sync.Mutex // serialises registrations
	observers   atomic.Pointer[[]observer]

	mu sync.Mutex
	// blocksNext and txNext are the next revisions to read in each stream:
	// Restore leaves them where it stopped and Follow goes on from there.
	blocksNext eventlog.Revision
	txNext     eventlog.Revision
	changed    chan struct{} // closed and replaced on every change
}

// New returns a node holding only the genesis block and an empty pool.
// Call Restore, then Follow.
func New(cfg Config) (*Node, error) {
	if cfg.Log == nil {
		return nil, errors.New("node: Config.Log is required")
	}
	if cfg.Engine == nil {
		return nil, errors.New("node: Config.Engine is required")
	}
	chain, err := blockchain.NewChain(blockchain.Config{Engine: cfg.Engine, Window: cfg.Window, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	p, err := pool.New(pool.Config{Policy: cfg.Policy, Chain: chain, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Node{log: cfg.Log, engine: cfg.Engine, chain: chain, pool: p, logger: logger, changed: make(chan struct{})}, nil
}

// observer is one registration of Observe.
type observer struct {
	f   func(Event)
	key *int // unique per registration, so stop removes only its own
}

// Chain returns a read-only view of the node's chain. Read it freely:
// only the node applies blocks, as it reads them from the log.
func (n *Node) Chain() blockchain.ReadOnlyChain { return n.chain.ReadOnly() }

// Observe registers f to be told of every event of the blocks stream the
// node processes from now on — a block added, a block rejected, an event
// skipped — in Restore (either mode) as in Follow, and returns a function
// that unregisters it. f is called from the goroutine that processes the
// blocks stream, after the node's state has changed, in stream order; it
// must return quickly (apps use it to log, count and draw). Register
// before Restore to hear the whole story.
func (n *Node) Observe(f func(Event)) (stop func()) {
	key := new(int)
	n.updateObservers(func(obs []observer) []observer { return append(obs, observer{f, key}) })
	return func() {
		n.updateObservers(func(obs []observer) []observer {
			return slices.DeleteFunc(obs, func(o observer) bool { return o.key == key })
		})
	}
}

// updateObservers replaces the observer list with change(a copy of it).
func (n *Node) updateObservers(change func([]observer) []observer) {
	n.observersMu.Lock()
	defer n.observersMu.Unlock()
	var obs []observer
	if p := n.observers.Load(); p != nil {
		obs = slices.Clone(*p)
	}
	obs = change(obs)
	n.observers.Store(&obs)
}

// notify tells every observer of e.
func (n *Node) notify(e Event) {
	if p := n.observers.Load(); p != nil {
		for _, o := range *p {
			o.f(e)
		}
	}
}

// Pool returns the node's pool of pending transactions.
func (n *Node) Pool() *pool.Pool { return n.pool }

// Engine returns the consensus engine the node verifies with.
func (n *Node) Engine() blockchain.Consensus { return n.engine }

// Changed returns a channel that is closed the next time the node's state
// changes: a block event or a transaction event processed. Take the
// channel, then look at the state, then wait on it: no change is missed.
func (n *Node) Changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.changed
}

func (n *Node) signal() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// Position returns the next revisions the node will read in the blocks
// and transactions streams: how far it has caught up.
func (n *Node) Position() (blocks, txs eventlog.Revision) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.blocksNext, n.txNext
}

// restorePage is how many events Restore reads at a time. Events are at
// most eventlog.MaxAppendSize, so a page holds at most 128 MiB even in a
// hostile log, and at most three pages are in memory at once (read,
// decoding, applying); decoding needs no more to keep every core busy.
const restorePage = 128

// Restore rebuilds the chain and the pool from the log: the blocks stream
// first (in the given mode), then the transactions stream, whose
// transactions go to the pool unless the chain includes them — so the
// pool holds exactly what was submitted and not yet mined. Call it once,
// before Follow, which resumes exactly where Restore stopped.
func (n *Node) Restore(ctx context.Context, mode RestoreMode) error {
	start := time.Now()
	if mode != RestoreVerify && mode != RestoreFast {
		return fmt.Errorf("node: restore: %w: %v", ErrUnknownRestoreMode, mode)
	}
	if err := n.restoreBlocks(ctx, mode); err != nil {
		return fmt.Errorf("node: restore blocks: %w", err)
	}
	if err := n.readAll(ctx, StreamTransactions, n.addTransaction); err != nil {
		return fmt.Errorf("node: restore transactions: %w", err)
	}
	blocks, txs := n.Position()
	n.logger.Info("restored", "mode", mode, "height", n.chain.Height(), "tip", n.chain.TipHash().Short(),
		"block_events", uint64(blocks), "tx_events", uint64(txs), "pending", n.pool.Len(), "took", time.Since(start))
	return nil
}

// restoreBlocks reads the blocks stream to its end and applies (or, in
// fast mode, trusts) every block. Decoding an event needs nothing but the
// event, so it runs ahead on every core while the blocks are applied in
// order, one page behind.
func (n *Node) restoreBlocks(ctx context.Context, mode RestoreMode) error {
	type page struct {
		events  []eventlog.Recorded
		decoded []decoded
	}
	pages := make(chan page, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(pages)
		from := n.next(StreamBlocks)
		for {
			recs, err := n.log.Read(gctx, StreamBlocks, from, eventlog.Forwards, restorePage)
			if errors.Is(err, eventlog.ErrStreamNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			p := page{events: recs, decoded: decodeBlocks(recs)}
			select {
			case pages <- p:
			case <-gctx.Done():
				return gctx.Err()
			}
			if len(recs) < restorePage {
				return nil
			}
			from = recs[len(recs)-1].Revision + 1
		}
	})
	g.Go(func() error {
		for p := range pages {
			for i, r := range p.events {
				n.applyBlock(gctx, r, p.decoded[i], mode)
			}
		}
		return nil
	})
	return g.Wait()
}

// decoded is a block event decoded: the block, or why there is none.
type decoded struct {
	block *blockchain.Block
	miner string
	err   error
}

// decodeBlocks decodes recs on every core.
func decodeBlocks(recs []eventlog.Recorded) []decoded {
	out := make([]decoded, len(recs))
	workers := min(runtime.GOMAXPROCS(0), len(recs))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(recs); i += workers {
				out[i].block, out[i].miner, out[i].err = decodeBlock(recs[i])
			}
		})
	}
	wg.Wait()
	return out
}

// readAll reads stream from where the node stopped to its end, page by
// page, handing each event to handle.
func (n *Node) readAll(ctx context.Context, stream string, handle func(eventlog.Recorded)) error {
	for {
		from := n.next(stream)
		page, err := n.log.Read(ctx, stream, from, eventlog.Forwards, restorePage)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, r := range page {
			handle(r)
		}
		if len(page) < restorePage {
			return nil
		}
	}
}

func (n *Node) next(stream string) eventlog.Revision {
	n.mu.Lock()
	defer n.mu.Unlock()
	if stream == StreamBlocks {
		return n.blocksNext
	}
	return n.txNext
}

// Follow keeps the node current: it subscribes to the blocks and the
// transactions streams from where Restore (or an earlier Follow) stopped
// and processes every event, until ctx is done or the log fails. It
// returns ctx.Err() or the log's error.
func (n *Node) Follow(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	blocks, txs := n.Position()
	g.Go(func() error {
		return n.follow(ctx, StreamBlocks, blocks, func(r eventlog.Recorded) {
			b, miner, err := decodeBlock(r)
			n.applyBlock(ctx, r, decoded{b, miner, err}, RestoreVerify)
		})
	})
	g.Go(func() error { return n.follow(ctx, StreamTransactions, txs, n.addTransaction) })
	return g.Wait()
}

func (n *Node) follow(ctx context.Context, stream string, from eventlog.Revision, handle func(eventlog.Recorded)) error {
	sub, err := n.log.Subscribe(ctx, stream, from)
	if err != nil {
		return fmt.Errorf("node: follow %s: %w", stream, err)
	}
	defer sub.Close()
	for {
		r, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("node: follow %s: %w", stream, err)
		}
		handle(r)
	}
}

// applyBlock processes one event of the blocks stream: a valid block
// extends the chain and leaves the pool; anything else is skipped and
// logged. In RestoreVerify mode (Follow's too) the chain runs every rule
// (Chain.Apply) and a block that broke one is recorded once as
// BlockRejected; in RestoreFast mode the chain only checks the link
// (Chain.Trust), and a block that does not link is not recorded, since
// fast mode did not run the rule a verifying node would name. Either
// way the observers and the Changed waiters hear of every event alike.
func (n *Node) applyBlock(ctx context.Context, r eventlog.Recorded, d decoded, mode RestoreMode) {
	b, err := d.block, d.err
	ev := Event{Kind: BlockAdded, Block: b, MinerID: d.miner, Revision: r.Revision}
	// The chain, the pool and the position in the stream change together,
	// under n.mu, so PublishBlock always sees a tip and the revision it
	// came from.
	n.mu.Lock()
	if err == nil {
		if mode == RestoreFast {
			err = n.chain.Trust(b)
		} else {
			err = n.chain.Apply(b)
		}
		if err == nil {
			n.pool.RemoveBlock(b)
		}
	}
	n.blocksNext = r.Revision + 1
	n.signal()
	n.mu.Unlock()

	switch {
	case d.err != nil:
		n.logger.Warn("skipped block event", "revision", uint64(r.Revision), "type", r.Type, "err", err)
		ev = Event{Kind: EventSkipped, Revision: r.Revision, Err: err}
	case err != nil:
		n.logger.Warn("rejected block", "revision", uint64(r.Revision), "height", b.Height(), "hash", b.Hash().Short(), "err", err)
		if mode == RestoreVerify {
			n.recordRejection(ctx, b, err)
		}
		ev = Event{Kind: BlockRejected, Block: b, MinerID: d.miner, Revision: r.Revision, Err: err}
	default:
		n.logger.Debug("added block", "height", b.Height(), "hash", b.Hash().Short(), "txs", b.Len())
	}
	n.notify(ev)
}

// decodeBlock returns the block a BlockMined event carries, and its miner.
func decodeBlock(r eventlog.Recorded) (*blockchain.Block, string, error) {
	p, err := events.Decode(r.Event)
	if err != nil {
		return nil, "", err
	}
	mined, ok := p.(events.BlockMined)
	if !ok {
		return nil, "", fmt.Errorf("%s event in the blocks stream", r.Type)
	}
	return mined.Block, mined.MinerID, nil
}

// recordRejection appends one BlockRejected to the audit stream; its ID
// comes from the block and the rule, so every node that rejects the block
// for that rule writes the same event, and the log keeps one.
func (n *Node) recordRejection(ctx context.Context, b *blockchain.Block, err error) {
	var re *blockchain.RuleError
	if !errors.As(err, &re) {
		return
	}
	e, encErr := events.Encode(events.BlockRejected{BlockHash: b.Hash(), Height: b.Height(), Rule: re.Code, Reason: err.Error()})
	if encErr == nil {
		_, encErr = n.log.Append(ctx, StreamAudit, eventlog.Any, e)
	}
	if encErr != nil && ctx.Err() == nil {
		n.logger.Warn("could not record rejected block", "hash", b.Hash().Short(), "err", encErr)
	}
}

// addTransaction processes one event of the transactions stream: a valid
// transaction not yet mined joins the pool.
func (n *Node) addTransaction(r eventlog.Recorded) {
	p, err := events.Decode(r.Event)
	var tx blockchain.Transaction
	if err == nil {
		switch ev := p.(type) {
		case events.TransactionSubmitted:
			tx = ev.Tx
		case events.TransactionRebroadcast:
			tx = ev.Tx
		default:
			err = fmt.Errorf("%s event in the transactions stream", r.Type)
		}
	}
	if err == nil {
		err = n.pool.Add(tx)
		if errors.Is(err, pool.ErrDuplicate) || errors.Is(err, pool.ErrAlreadyIncluded) {
			err = nil // a rebroadcast, or a transaction mined before we saw it
		}
	}
	if err != nil {
		n.logger.Warn("skipped transaction event", "revision", uint64(r.Revision), "type", r.Type, "err", err)
	}
	n.mu.Lock()
	n.txNext = r.Revision + 1
	n.signal()
	n.mu.Unlock()
}

// SubmitTransaction checks tx with the pool's rules and appends it to the
// transactions stream as TransactionSubmitted. The event ID comes from
// the transaction, so submitting the same transaction again is a no-op
// for the log when it remembers the ID (see eventlog.Any), and for every
// pool when it does not: a pool refuses an ID it holds. The transaction
// reaches this node's pool, and every other node's, through Follow.
//
// Errors: the pool's rule or "already included" error if tx is refused;
// the log's error (wrapped) if the append fails.
func (n *Node) SubmitTransaction(ctx context.Context, tx blockchain.Transaction) error {
	return n.Submit(ctx, events.TransactionSubmitted{Tx: tx})
}

// Submit is SubmitTransaction for a submitter that records more than the
// transaction in its event, such as the digest of the request it came
// from (the bank's Idempotency-Key). It checks s.Tx with the pool's rules
// and appends s; errors as for SubmitTransaction.
func (n *Node) Submit(ctx context.Context, s events.TransactionSubmitted) error {
	if err := n.pool.Check(s.Tx); err != nil {
		return err
	}
	e, err := events.Encode(s)
	if err != nil {
		return fmt.Errorf("node: submit: %w", err)
	}
	if _, err := n.log.Append(ctx, StreamTransactions, eventlog.Any, e); err != nil {
		return fmt.Errorf("node: submit %s: %w", s.Tx.ID(), err)
	}
	return nil
}

// PublishBlock appends b, mined by minerID, to the blocks stream — if the
// stream has not moved since the node last caught up and b extends the
// node's tip. Otherwise it returns an error wrapping ErrStale: another
// block got there first. Publishing does not apply b; Follow does, as for
// everyone's blocks.
func (n *Node) PublishBlock(ctx context.Context, b *blockchain.Block, minerID string) error {
	n.mu.Lock()
	next, tip := n.blocksNext, n.chain.TipHash()
	n.mu.Unlock()
	if b.PrevHash() != tip {
		return fmt.Errorf("node: publish %s: %w: it extends %s, the tip is %s", b, ErrStale, b.PrevHash().Short(), tip.Short())
	}
	expected := eventlog.NoStream
	if next > 0 {
		expected = eventlog.Exact(next - 1)
	}
	e, err := events.Encode(events.BlockMined{Block: b, MinerID: minerID})
	if err != nil {
		return fmt.Errorf("node: publish %s: %w", b, err)
	}
	_, err = n.log.Append(ctx, StreamBlocks, expected, e)
	if errors.Is(err, eventlog.ErrWrongExpectedRevision) {
		return fmt.Errorf("node: publish %s: %w: %w", b, ErrStale, err)
	}
	if err != nil {
		return fmt.Errorf("node: publish %s: %w", b, err)
	}
	return nil
}
