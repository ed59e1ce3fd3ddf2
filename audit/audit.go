package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/nilness"
	"github.com/eventchain/eventchain/node"
)

// ErrInvalidConfig is wrapped by every error [New] returns: the message
// names the field of [Config] or [Policy] at fault and says what it has and
// what it wants.
var ErrInvalidConfig = errors.New("invalid audit config")

// ErrNotMade is wrapped by the error of Restore, Tick and Run on an
// Auditor that [New] did not make (the zero Auditor, or a nil *Auditor):
// it has no node and no log to audit.
var ErrNotMade = errors.New("the auditor was not made by audit.New")

// usable returns ErrNotMade, wrapped with op, for an Auditor New did not
// make.
func (a *Auditor) usable(op string) error {
	if a == nil || a.node == nil || a.log == nil {
		return fmt.Errorf("audit: %s: %w", op, ErrNotMade)
	}
	return nil
}

// A Policy holds the auditor's tunables: how often it looks, how long a
// transaction may wait for a block, and how often it is rebroadcast before
// the auditor gives up. Start from [DefaultPolicy] and change what you
// need.
//
// With MaxAge A and MaxAttempts n, a transaction that the log recorded at
// time t and that no block includes is rebroadcast at the first tick at
// or after t+A (attempt 1), then at the first tick at least A after the
// log recorded the previous attempt (attempts 2…n), and dropped at the
// first tick at least A after attempt n and (n+1)·A after t: it has had
// about (n+1)·A, rounded up to ticks, to reach a block. Attempts that
// others made count (one per event, whatever number it claims), but the
// auditor gives up only once the whole (n+1)·A has passed, and until
// then goes on rebroadcasting every A.
type Policy struct {
	// Interval is the time between two ticks of [Auditor.Run] when
	// Config.Ticks is nil. More than 0.
	Interval time.Duration

	// MaxAge is how long a transaction may wait for a block before it is
	// rebroadcast, and again after each rebroadcast before the next one
	// (or, after the last, before it is dropped). It is measured by
	// Config.Now from the time the event log recorded the transaction's
	// TransactionSubmitted (or its latest TransactionRebroadcast): the
	// same time for every reader, and after a restart. More than 0.
	MaxAge time.Duration

	// MaxAttempts is how many times a transaction is rebroadcast before
	// the auditor gives up on it and records TransactionDropped. 0 drops a
	// transaction MaxAge after it was submitted, without rebroadcasting
	// it. Not negative, and small enough that MaxAge × (MaxAttempts+1)
	// is at most [MaxGiveUp].
	MaxAttempts int
}

// DefaultPolicy returns the policy [New] uses when Config.Policy is the
// zero Policy: a tick every 10 seconds, a rebroadcast after a minute
// without a block (six times the pool's default MaxWait), and three
// rebroadcasts before a transaction is dropped, four minutes after it was
// submitted.
func DefaultPolicy() Policy {
	return Policy{Interval: 10 * time.Second, MaxAge: time.Minute, MaxAttempts: 3}
}

// Validate returns an error naming the first field that makes no sense,
// wrapping [ErrInvalidConfig]: the check [New] makes. An app that fills
// a Policy from its flags calls it before it opens anything, to refuse
// a bad flag while there is nothing to undo.
func (p Policy) Validate() error {
	switch {
	case p.Interval <= 0:
		return configErr("Policy.Interval: have %v, want > 0", p.Interval)
	case p.MaxAge <= 0:
		return configErr("Policy.MaxAge: have %v, want > 0", p.MaxAge)
	case p.MaxAttempts < 0:
		return configErr("Policy.MaxAttempts: have %d, want ≥ 0", p.MaxAttempts)
	case int64(p.MaxAttempts) >= int64(MaxGiveUp/p.MaxAge): // (MaxAttempts+1)·MaxAge > MaxGiveUp, without overflowing
		return configErr("Policy.MaxAge × (MaxAttempts+1): have %v × %d, want at most %v in all", p.MaxAge, uint64(p.MaxAttempts)+1, MaxGiveUp)
	}
	return nil
}

// MaxGiveUp bounds the whole time a [Policy] gives a transaction before
// the auditor drops it, MaxAge × (MaxAttempts+1): a century, which no
// demo waits for. Beyond it the product would soon overflow a
// time.Duration (292 years), and an auditor that computed a negative
// time would believe a forged drop at once.
const MaxGiveUp = 100 * 365 * 24 * time.Hour

func configErr(format string, args ...any) error {
	return fmt.Errorf("audit: %w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// A Backend is what an auditor needs from a node: the chain it verified,
// a signal when the chain changes, and how far it has read the blocks
// stream. A [*node.Node] is one; a test can give a small fake instead.
type Backend interface {
	// Chain is the chain the auditor checks transactions against. The
	// auditor reads its height, its blocks (BlockAt, or HashAt to find
	// a block in the log that the node no longer holds), its account
	// states (StateAt) and asks it whether a transaction could still go
	// into a block (CheckTransaction).
	Chain() blockchain.ReadOnlyChain
	// Changed returns a channel that is closed at the backend's next
	// change.
	Changed() <-chan struct{}
	// Position returns the next revisions the backend will read in the
	// blocks and the transactions streams; the auditor waits on the first.
	Position() (blocks, txs eventlog.Revision)
}

var _ Backend = (*node.Node)(nil)

// Config configures an [Auditor]. Node and Log are required.
type Config struct {
	// Node is the auditor's view of the chain, usually a *node.Node:
	// which blocks the chain accepted, which transactions they hold, and
	// the accounts they lead to.
	// Restore it before the auditor's first step and run its Follow
	// alongside the auditor's Run, as for a miner.
	Node Backend

	// Log is the event log the node reads: the auditor reads the
	// transactions and audit streams from it and appends to them, and
	// reads the blocks stream for a block the node no longer holds. (A
	// node does not hand out its log, so it is given twice.)
	Log eventlog.Log

	// Policy holds the tunables; the zero Policy means [DefaultPolicy].
	// Any other value is checked field by field.
	Policy Policy

	// Now is the auditor's clock, against which the age of a transaction
	// is measured; nil means time.Now. Tests inject a fake clock, and give
	// the event log the same one so that recorded times agree with it.
	Now func() time.Time

	// Ticks, if not nil, replaces the ticker of Run: Run takes a step on
	// each value received, and Policy.Interval is not used. A closed
	// channel stops the ticks, not Run. Tests usually call [Auditor.Tick]
	// instead.
	Ticks <-chan time.Time

	// Logger receives each rebroadcast, each drop and its rule, each late
	// inclusion, skipped events and failed steps; nil discards them.
	Logger *slog.Logger
}

// A Report counts the transactions the auditor knows by their fate, for
// logs and metrics. Every transaction counted in Submitted is counted in
// exactly one of Included, Pending and Dropped (Included also counts
// transactions that never went through the transactions stream).
type Report struct {
	// Submitted is how many distinct transactions the transactions stream
	// holds (a TransactionSubmitted, or a TransactionRebroadcast of one
	// not seen before) that the chain could still include when the
	// auditor read them, or that lost their nonce to another transfer of
	// a block the auditor folded lately (and are then dropped): any other
	// event read after a block used the transaction's nonce is a copy of
	// a transaction settled already, or one the auditor cannot tell from
	// such a copy, and counts nowhere. It only grows.
	Submitted int
	// Included is how many transactions the chain includes, each recorded
	// once as TransactionVerified in the audit stream. It counts every
	// transaction of every block the chain accepted, also one that never
	// went through the transactions stream. It only grows.
	Included int
	// Pending is how many submitted transactions are neither included nor
	// dropped: still waiting for a block, perhaps rebroadcast.
	Pending int
	// Rebroadcasts is how many rebroadcast attempts the transactions
	// stream holds for transactions the auditor waits on: every attempt
	// of every transaction counts, once, however often the log holds its
	// event. It only grows.
	Rebroadcasts int
	// Dropped is how many transactions were given up on (a
	// TransactionDropped in the audit stream: waited too long, or made
	// invalid by a block) and are not included since. A dropped
	// transaction that a block includes later moves to Included.
	Dropped int
}

// LogValue makes a Report print as a group of its counts in slog output.
func (r Report) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("submitted", r.Submitted),
		slog.Int("included", r.Included),
		slog.Int("pending", r.Pending),
		slog.Int("rebroadcasts", r.Rebroadcasts),
		slog.Int("dropped", r.Dropped),
	)
}

// An Auditor follows the fate of every transaction: it records
// TransactionVerified for each transaction the chain includes, records
// TransactionDropped with the rule for a transaction a block made
// invalid, rebroadcasts a transaction that has waited MaxAge for a block,
// and records TransactionDropped when it gives up. See the package
// documentation for the steps and the decisions behind them.
//
// An Auditor is safe for concurrent use: Restore, Tick and the steps of
// Run take turns, one at a time, and Report may be read at any time. It
// starts no goroutines. Only [New] makes a usable Auditor: the zero
// Auditor's Restore, Tick and Run return an error wrapping [ErrNotMade].
type Auditor struct {
	node   Backend
	log    eventlog.Log
	policy Policy
	now    func() time.Time
	ticks  <-chan time.Time
	logger *slog.Logger

	// step serialises Restore, Tick and Run's steps, and guards every
	// field below up to mu: only a step reads or writes them.
	step sync.Mutex
	// txs holds a record of each transaction of the transactions stream
	// that a block may still include: one the auditor waits on, or one
	// it dropped whose nonce no block has used yet. A record leaves when
	// the transaction is verified, or when it was dropped and a block
	// the auditor has seen used its nonce.
	txs map[uuid.UUID]*txState
	// open holds the records of txs in the order the auditor learned of
	// them, and records that left txs until a step sweeps them out.
	open []*txState
	// touched holds the senders of the transactions of the blocks folded
	// since the last check against the chain: their waiting transactions
	// are checked again.
	touched map[blockchain.Address]struct{}
	// txNext and auditNext are the next revisions to read in the
	// transactions and audit streams; blocksNext is where the search for
	// a block the node no longer holds goes on in the blocks stream.
	txNext, auditNext, blocksNext eventlog.Revision
	// txLast is the ID of the event at txNext-1, the last of the
	// transactions stream the auditor read: before it appends, the
	// auditor checks the log still holds it (see stillHolds).
	txLast uuid.UUID
	// usedBy holds, for the transfers of the blocks the auditor folded
	// last (at most maxUsedNonces, oldest first in usedRing from usedNext
	// on), which transaction used each sender's nonce, and the others
	// with that nonce the auditor recorded since: an unknown transfer
	// whose nonce one of them used is a late copy of it (a rebroadcast
	// appended before its appender saw the block), or of a loser met
	// before, or else one no block can take (see foldTx).
	usedBy   map[senderNonce]*usedNonce
	usedRing []senderNonce
	usedNext int
	// maxHeight is the greatest height of a TransactionVerified read, and
	// atMax the transactions verified at that height.
	maxHeight uint64
	atMax     map[uuid.UUID]struct{}
	// lastIDs is the set of transaction IDs of the last block believe
	// looked into (see idsOf).
	lastIDs struct {
		hash blockchain.Hash
		ids  map[uuid.UUID]bool
	}
	// next is the next height of the chain whose block the auditor has
	// to fold; 0 until the first catch-up sets it.
	next uint64

	mu     sync.Mutex // guards report
	report Report
	// restored is closed by the first catch-up that succeeds: from then
	// on report counts what the log holds, not what was read of it so far.
	restored chan struct{}
}

// New returns an auditor, or an error wrapping [ErrInvalidConfig] that
// names the field at fault: a missing Node or Log, a Node with no chain
// (the zero node.Node), or a Policy field out of range. New does no I/O: the first step reads the log.
func New(cfg Config) (*Auditor, error) {
	if nilness.IsNil(cfg.Node) {
		return nil, configErr("Config.Node is required (a nil one, typed or not, is missing)")
	}
	if cfg.Node.Chain() == (blockchain.ReadOnlyChain{}) {
		// A node New did not make (the zero node.Node) has none: the
		// first step would end in a nil pointer, not in an error.
		return nil, configErr("Config.Node has no chain (its Chain method returns the zero blockchain.ReadOnlyChain)")
	}
	if nilness.IsNil(cfg.Log) {
		return nil, configErr("Config.Log is required (a nil one, typed or not, is missing)")
	}
	policy := cfg.Policy
	if policy == (Policy{}) {
		policy = DefaultPolicy()
	}
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	a := &Auditor{
		node:    cfg.Node,
		log:     cfg.Log,
		policy:  policy,
		now:     cfg.Now,
		ticks:   cfg.Ticks,
		logger:  cfg.Logger,
		txs:     make(map[uuid.UUID]*txState),
		touched: make(map[blockchain.Address]struct{}),
		atMax:   make(map[uuid.UUID]struct{}),

		restored: make(chan struct{}),
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return a, nil
}

// Policy returns the policy the auditor runs with: DefaultPolicy() if
// Config.Policy was zero.
func (a *Auditor) Policy() Policy { return a.policy }

// Report returns the auditor's counts as of its last step. It may be
// called from any goroutine, at any time, also during a step.
func (a *Auditor) Report() Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.report
}

// Restored is closed once the auditor has read the transactions and
// audit streams to their ends for the first time: once Restore, which
// Run calls first, has succeeded, or the first Tick has caught up. Until
// then Report counts only what the auditor has read so far — 0 at
// first, though the log may hold thousands of transactions — so a
// caller that exports the counts (metrics a scraper takes for counters)
// waits for it rather than report counts that drop at a restart.
func (a *Auditor) Restored() <-chan struct{} { return a.restored }

// Restore reads the transactions and audit streams from where the auditor
// stopped (the start, the first time) to their ends, and rebuilds from
// them what it knows: every transaction submitted that a block may still
// include, when the log recorded it, its rebroadcasts, which
// transactions are already verified or dropped, and the height of the
// last block verified, from which the auditor goes on. Run calls it first;
// every Tick catches up the same way, so calling Restore yourself is
// needed only to read a true Report before the first tick. It reads
// nothing of the chain but the account nonces (to forget what no block
// can include any more): the chain is the node's.
//
// Errors: the log's errors, wrapped; ctx.Err().
func (a *Auditor) Restore(ctx context.Context) error {
	if err := a.usable("restore"); err != nil {
		return err
	}
	a.step.Lock()
	defer a.step.Unlock()
	if err := a.catchUp(ctx); err != nil {
		return fmt.Errorf("audit: restore: %w", err)
	}
	a.logger.Info("restored", "report", a.Report(), "tx_events", uint64(a.txNext), "audit_events", uint64(a.auditNext))
	return nil
}

// Tick takes one full step of the audit, as Run does at every tick:
//
//  1. wait until the node has read the blocks stream as far as it
//     reached when the tick began, so that no transaction mined by then
//     is taken for stranded, and note the chain's height;
//  2. catch up with the transactions and audit streams (see Restore):
//     every transaction in a block up to that height went through the
//     transactions stream before the block, so the auditor knows it;
//  3. fold each block the chain accepted since the last step, up to that
//     height: record TransactionVerified for each of its transactions;
//  4. check against the chain each transaction the auditor waits on that
//     it has not checked yet, or whose sender sent something in those
//     blocks: one that can never be included — its nonce was used by
//     another transfer, its sender cannot pay, it was signed for another
//     chain or badly — is recorded TransactionDropped at once, with the
//     rule it breaks;
//  5. for each transaction still waiting, by Config.Now: if it has
//     waited MaxAge since it was submitted or last rebroadcast, append
//     TransactionRebroadcast with the next attempt number, or, once
//     MaxAttempts rebroadcasts are made and (MaxAttempts+1)·MaxAge has
//     passed since its submission, record TransactionDropped (Rule
//     blockchain.ErrUnknown: the auditor gave up);
//  6. catch up again, so that Report counts what this step wrote.
//
// Tick blocks in step 1 until the node's Follow has caught up: run Follow
// alongside (or call Tick only on a node restored after the last block
// was appended). Calling Tick twice at the same time by the clock writes
// nothing the first call did not.
//
// Errors: the log's errors, wrapped; ctx.Err(); node.ErrLogWentBack if,
// before the step would append a rebroadcast or a drop, the log no
// longer holds the last transaction event the auditor read (a log wiped
// under it): it then appends nothing. A failed append leaves
// the log as it was or with the event written; either way the next step
// goes on correctly, because every event ID is derived from its content
// and the auditor takes in only what the log holds: what it reads, and
// what it appended with success.
func (a *Auditor) Tick(ctx context.Context) error {
	if err := a.usable("tick"); err != nil {
		return err
	}
	a.step.Lock()
	defer a.step.Unlock()
	if err := a.awaitNode(ctx); err != nil {
		return fmt.Errorf("audit: tick: %w", err)
	}
	now := a.now()
	if err := a.foldTo(ctx, a.node.Chain().Height()); err != nil {
		return fmt.Errorf("audit: tick: %w", err)
	}
	if err := a.scan(ctx, now); err != nil {
		return fmt.Errorf("audit: tick: %w", err)
	}
	if err := a.catchUp(ctx); err != nil {
		return fmt.Errorf("audit: tick: %w", err)
	}
	a.logger.Debug("tick", "report", a.Report(), "height", a.next-1, "records", len(a.txs))
	return nil
}

// foldTo is steps 2 to 4 of a Tick: catch up with the streams, fold the
// blocks up to height tip, and check the waiting transactions against
// the chain. tip must be taken before the catch-up: see Tick.
func (a *Auditor) foldTo(ctx context.Context, tip uint64) error {
	if err := a.catchUp(ctx); err != nil {
		return err
	}
	if err := a.foldBlocks(ctx, tip); err != nil {
		return err
	}
	return a.check(ctx, tip)
}

// Run restores the auditor (see Restore), then audits until ctx is done:
// a full step (see Tick) at every tick of Config.Ticks or, if it is nil,
// every Policy.Interval; and, between ticks, each time the node applies a
// block, steps 2 to 4 of a Tick and a catch-up, so that inclusions, and
// transactions a block made invalid, are recorded as they happen. Run the
// node's Follow alongside.
//
// Run returns ctx.Err() when ctx is done; Restore's error; or an error
// wrapping eventlog.ErrClosed, eventlog.ErrStreamDeleted,
// eventlog.ErrCorrupt (its storage damaged) or eventlog.ErrBrokenLog (its
// Read breaks the contract), after which no step could succeed, or
// node.ErrLogWentBack, when the log no longer
// holds the transactions the auditor read (see Tick). Any other failed step is logged and tried again
// at the next tick or change.
func (a *Auditor) Run(ctx context.Context) error {
	if err := a.Restore(ctx); err != nil {
		return err
	}
	ticks := a.ticks
	if ticks == nil {
		t := time.NewTicker(a.policy.Interval)
		defer t.Stop()
		ticks = t.C
	}
	for {
		changed := a.node.Changed()
		if err := a.failed(ctx, a.recordInclusions(ctx)); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case _, ok := <-ticks:
			if !ok {
				ticks = nil // no more ticks; inclusions are still recorded
				continue
			}
			if err := a.failed(ctx, a.Tick(ctx)); err != nil {
				return err
			}
		}
	}
}

// failed decides what Run does after a step that returned err: go on
// (nil), or stop with the error returned.
func (a *Auditor) failed(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, eventlog.ErrClosed), errors.Is(err, eventlog.ErrStreamDeleted), errors.Is(err, eventlog.ErrCorrupt),
		errors.Is(err, eventlog.ErrBrokenLog), errors.Is(err, node.ErrLogWentBack):
		return err
	}
	a.logger.Warn("audit step failed; trying again", "err", err)
	return nil
}

// recordInclusions is Run's small step between ticks: it folds the blocks
// the node applied since the last step, if any, and checks what they made
// invalid.
func (a *Auditor) recordInclusions(ctx context.Context) error {
	a.step.Lock()
	defer a.step.Unlock()
	tip := a.node.Chain().Height()
	if a.next == 0 || tip < a.next {
		return nil
	}
	if err := a.foldTo(ctx, tip); err != nil {
		return fmt.Errorf("audit: record inclusions: %w", err)
	}
	if err := a.catchUp(ctx); err != nil {
		return fmt.Errorf("audit: record inclusions: %w", err)
	}
	return nil
}

// awaitNode waits until the node has read every event the blocks stream
// holds now.
func (a *Auditor) awaitNode(ctx context.Context) error {
	last, err := a.log.Read(ctx, node.StreamBlocks, eventlog.End, eventlog.Backwards, 1)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", node.StreamBlocks, err)
	}
	want := last[0].Revision + 1
	for {
		changed := a.node.Changed()
		if blocks, _ := a.node.Position(); blocks >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// foldBlocks records TransactionVerified for every transaction of the
// chain's blocks from height a.next to tip, notes their senders in
// a.touched, and moves a.next past tip. A block the node no longer holds
// (a node with a Window) is read from the blocks stream instead.
func (a *Auditor) foldBlocks(ctx context.Context, tip uint64) error {
	chain := a.node.Chain()
	for ; a.next <= tip; a.next++ {
		b, err := a.block(ctx, chain, a.next)
		if err != nil {
			return err
		}
		if b == nil {
			a.logger.Warn("block found neither in the node's memory nor in the blocks stream: its transactions are not verified",
				"height", a.next)
			continue
		}
		for i := range b.Len() {
			tx := b.Transaction(i)
			a.touched[tx.From()] = struct{}{}
			a.rememberUsed(tx)
			if err := a.verify(ctx, tx.ID(), b); err != nil {
				return err
			}
		}
	}
	return nil
}

// block returns the chain's block at height, from the node's memory or,
// if the node let it go, from the blocks stream: the BlockMined event
// whose block has the hash the chain holds at that height. It returns nil
// if neither has it.
func (a *Auditor) block(ctx context.Context, chain blockchain.ReadOnlyChain, height uint64) (*blockchain.Block, error) {
	if b, ok := chain.BlockAt(height); ok {
		return b, nil
	}
	want, ok := chain.HashAt(height)
	if !ok {
		return nil, nil
	}
	// The accepted blocks are in the stream in height order, so the
	// search for the next height goes on after this one.
	for from := a.blocksNext; ; {
		page, err := a.log.Read(ctx, node.StreamBlocks, from, eventlog.Forwards, readPage)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			return nil, nil
		}
		if err == nil {
			err = eventlog.CheckPage(node.StreamBlocks, from, eventlog.Forwards, readPage, page)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", node.StreamBlocks, err)
		}
		for _, r := range page {
			if p, err := events.Decode(r.Event); err == nil {
				if mined, ok := p.(events.BlockMined); ok && mined.Block.Hash() == want {
					a.blocksNext = r.Revision + 1
					return mined.Block, nil
				}
			}
			from = r.Revision + 1
		}
		if len(page) < readPage {
			return nil, nil
		}
	}
}

// verify appends TransactionVerified for the transaction id of block b,
// unless it is verified at that height already or being verified in this
// step.
func (a *Auditor) verify(ctx context.Context, id uuid.UUID, b *blockchain.Block) error {
	if _, done := a.atMax[id]; done && b.Height() == a.maxHeight {
		return nil
	}
	s := a.txs[id]
	// Recorded even if another auditor may have recorded it: the event's
	// ID derives from its content, so the log takes a copy of one it
	// holds as a retry and stores nothing. (Skipping the transactions it
	// has no record of below the highest verified block would trust that
	// auditors record blocks in order, which anyone can break.)
	ev := events.TransactionVerified{TxID: id, BlockHash: b.Hash(), Height: b.Height()}
	if err := a.append(ctx, node.StreamAudit, ev); err != nil {
		return err
	}
	switch {
	case s == nil:
	case s.dropped:
		a.logger.Warn("transaction included after it was dropped", "tx", id, "height", b.Height(), "block", b.Hash().Short())
	default:
		a.logger.Debug("transaction verified", "tx", id, "height", b.Height(), "block", b.Hash().Short())
	}
	// The event is in the log: take it in now rather than when the
	// catch-up reads it back. It may never be read back: its ID derives
	// from its content, so if another auditor recorded the same event
	// (one this auditor read before its node had the block, and did not
	// believe), the log took this append as a retry of that one.
	a.settleVerified(ev)
	return nil
}

// check asks the chain, whose blocks the auditor has folded up to height
// tip, about every transaction it waits on that it has not checked yet or
// whose sender is in a.touched, and records TransactionDropped, with the
// rule, for each that no block can ever include (see judge).
func (a *Auditor) check(ctx context.Context, tip uint64) error {
	chain := a.node.Chain()
	folded, ok := chain.StateAt(tip)
	if !ok {
		// The node is so far ahead that the chain no longer keeps the
		// state the auditor has folded to: a later step checks.
		return nil
	}
	a.sweep()
	for _, s := range a.open {
		if s.dropped {
			continue
		}
		if _, sent := a.touched[s.tx.From()]; s.checked && !sent {
			continue
		}
		err := chain.CheckTransaction(s.tx)
		rule, reason, final := judge(s.tx, err, folded)
		if !final {
			s.checked = err == nil || rule != blockchain.ErrBadNonce || s.tx.Nonce() > chain.Account(s.tx.From()).Nonce
			continue
		}
		if err := a.drop(ctx, s, rule, reason); err != nil {
			return err
		}
	}
	clear(a.touched)
	return nil
}

// judge decides, from err, what CheckTransaction said of tx, whether no
// block can ever include tx, and if so with which rule and why. folded is
// the state after the last block the auditor folded.
//
//   - ErrBadNonce with a nonce that a block the auditor folded used: the
//     sender's transfer with that nonce is another one, and a nonce is
//     used once. A nonce ahead of the sender's next (a gap) may still be
//     filled: the transaction waits. A nonce used only by a block the
//     auditor has not folded yet is decided when it has.
//   - ErrInsufficientFunds: the sender cannot pay; every pool drops it.
//   - ErrBalanceOverflow: the receiver's balance would overflow, which a
//     later block may change: the transaction waits.
//   - any other rule (ErrWrongChain, ErrBadSignature, a sanity rule):
//     the transaction itself is at fault, for ever.
func judge(tx blockchain.Transaction, err error, folded *blockchain.State) (rule blockchain.ErrorCode, reason string, final bool) {
	var re *blockchain.RuleError
	if err == nil || !errors.As(err, &re) {
		return blockchain.ErrUnknown, "", false
	}
	switch re.Code {
	case blockchain.ErrBadNonce:
		next := folded.Account(tx.From()).Nonce
		if tx.Nonce() >= next {
			return re.Code, "", false
		}
		return re.Code, fmt.Sprintf("its nonce %d was used by another transaction: the sender's next is %d", tx.Nonce(), next), true
	case blockchain.ErrBalanceOverflow:
		return re.Code, "", false
	}
	return re.Code, "the chain refuses it: " + err.Error(), true
}

// scan looks at every transaction the auditor waits on, at time now, and
// rebroadcasts or drops those that waited too long.
func (a *Auditor) scan(ctx context.Context, now time.Time) error {
	a.sweep()
	checked := false // whether the log still holds what the auditor read, checked once a scan
	for _, s := range a.open {
		if s.dropped {
			continue
		}
		// Give up once the attempts are made, the whole time has passed,
		// and MaxAge since the last attempt — but, for attempts others
		// made, no later than MaxAge after the whole time, however recent
		// the last: rebroadcasts anyone appends must not put it off for
		// ever. After its own rebroadcast the auditor always waits MaxAge.
		// Until then rebroadcast every MaxAge, even past MaxAttempts
		// when attempts were made by others (or forged, appended at
		// once): the transaction gets its whole time, and its
		// rebroadcasts.
		deadline := s.since.Add(a.giveUpAfter())
		lastDue := s.last.Add(a.policy.MaxAge)
		if latest := deadline.Add(a.policy.MaxAge); lastDue.After(latest) {
			lastDue = latest
		}
		if ownDue := s.ownLast.Add(a.policy.MaxAge); !s.ownLast.IsZero() && ownDue.After(lastDue) {
			lastDue = ownDue
		}
		giveUp := s.attempts >= a.policy.MaxAttempts && !now.Before(deadline) && !now.Before(lastDue)
		if !giveUp && now.Before(s.last.Add(a.policy.MaxAge)) {
			continue
		}
		if !checked {
			if err := a.stillHolds(ctx); err != nil {
				return err
			}
			checked = true
		}
		var err error
		if giveUp {
			err = a.drop(ctx, s, blockchain.ErrUnknown, dropReason(s.attempts, now.Sub(s.since)))
		} else {
			err = a.rebroadcast(ctx, s, now)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stillHolds returns an error wrapping node.ErrLogWentBack unless the
// transactions stream still holds the last event the auditor read. A log
// wiped under the auditor (an EventStoreDB started again empty) would
// otherwise take its rebroadcasts of the old chain's transactions, and
// its drops, into what a new chain then starts from. Each catch-up
// checks it before it reads on, and each scan before it appends.
//
// A stream that no longer shows that event but holds later ones was
// truncated, not wiped: on EventStoreDB anyone who can write to the log
// can set a stream's $maxCount, $maxAge or $tb, which hide its older
// events from readers (a read from the hidden revision returns the first
// event left), while the stream goes on. A wiped log holds fewer events,
// or others at the same revisions. The auditor goes on then, rather than
// stop at every tick, however often it is started again.
func (a *Auditor) stillHolds(ctx context.Context) error {
	if a.txNext == 0 {
		return nil // nothing read, nothing to rebroadcast
	}
	recs, err := a.log.Read(ctx, node.StreamTransactions, a.txNext-1, eventlog.Forwards, 1)
	switch {
	case errors.Is(err, eventlog.ErrStreamNotFound), err == nil && len(recs) == 0:
		return fmt.Errorf("%w: it holds no event %d of %q", node.ErrLogWentBack, a.txNext-1, node.StreamTransactions)
	case err != nil:
		return fmt.Errorf("check the log still holds what the auditor read: %w", err)
	case recs[0].Revision > a.txNext-1:
		return nil // truncated: the stream went on past what the auditor read
	case recs[0].Event.ID != a.txLast:
		return fmt.Errorf("%w: event %d of %q is %s, not the %s the auditor read", node.ErrLogWentBack, a.txNext-1, node.StreamTransactions, recs[0].Event.ID, a.txLast)
	}
	return nil
}

// rebroadcast appends the next TransactionRebroadcast of s.
func (a *Auditor) rebroadcast(ctx context.Context, s *txState, now time.Time) error {
	attempt := s.attempts + 1
	if err := a.append(ctx, node.StreamTransactions, events.TransactionRebroadcast{Tx: s.tx, Attempt: attempt}); err != nil {
		return err
	}
	a.logger.Info("transaction rebroadcast", "tx", s.id, "attempt", attempt, "of", a.policy.MaxAttempts, "waited", now.Sub(s.last))
	// Counted at once, as verify and drop take in their events: the log
	// may take the append as a retry of an identical event (another
	// auditor's attempt, or anyone's copy) and never hand it back; read
	// back, it is not above the count and counts nothing.
	s.attempts, s.last, s.ownLast = attempt, now, now
	a.count(func(r *Report) { r.Rebroadcasts++ })
	return nil
}

// giveUpAfter is how long the policy gives a transaction, from its
// submission, before the auditor gives up on it: a MaxAge before the
// first rebroadcast, and one after each of MaxAttempts. Counting attempts
// alone is not enough: anyone may append rebroadcasts.
func (a *Auditor) giveUpAfter() time.Duration {
	return time.Duration(a.policy.MaxAttempts+1) * a.policy.MaxAge
}

// drop appends TransactionDropped for s, with the rule it breaks
// (blockchain.ErrUnknown: it waited too long) and the reason.
func (a *Auditor) drop(ctx context.Context, s *txState, rule blockchain.ErrorCode, reason string) error {
	ev := events.TransactionDropped{TxID: s.id, TxHash: s.tx.Hash(), Rule: rule, Reason: reason, Attempts: s.attempts}
	if err := a.append(ctx, node.StreamAudit, ev); err != nil {
		return err
	}
	// Taken in at once, as verify does: the log may take the append as a
	// retry of another auditor's identical event and never hand it back.
	a.settleDropped(s, rule)
	if rule == blockchain.ErrUnknown {
		a.logger.Info("transaction dropped", "tx", s.id, "reason", reason)
	} else {
		a.logger.Info("transaction dropped: a block made it invalid", "tx", s.id, "rule", rule, "reason", reason)
	}
	return nil
}

// dropReason says why a transaction is dropped, for people:
// "not included after 3 rebroadcasts over 2m0s".
func dropReason(attempts int, waited time.Duration) string {
	noun := "rebroadcasts"
	if attempts == 1 {
		noun = "rebroadcast"
	}
	return fmt.Sprintf("not included after %d %s over %v", attempts, noun, waited)
}

// append encodes p and appends it to stream, whatever the stream's state.
// The event's ID comes from its content, so the log takes a prompt retry
// for the first append; a late one may be stored twice, and the folds
// (this auditor's, the bank's) count every event by what it names, once.
func (a *Auditor) append(ctx context.Context, stream string, p events.Payload) error {
	e, err := events.Encode(p)
	if err != nil {
		return fmt.Errorf("append %s: %w", p.EventType(), err)
	}
	if _, err := a.log.Append(ctx, stream, eventlog.Any, e); err != nil {
		return fmt.Errorf("append %s to %s: %w", p.EventType(), stream, err)
	}
	return nil
}
