package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/node"
)

// ErrInvalidConfig is wrapped by every error [New] returns: the message
// names the field of [Config] or [Policy] at fault and says what it has and
// what it wants.
var ErrInvalidConfig = errors.New("invalid audit config")

// A Policy holds the auditor's tunables: how often it looks, how long a
// transaction may wait for a block, and how often it is rebroadcast before
// the auditor gives up. Start from [DefaultPolicy] and change what you
// need.
//
// With MaxAge A and MaxAttempts n, a transaction that the log recorded at
// time t and that no block includes is rebroadcast at the first tick at
// or after t+A (attempt 1), then at the first tick at least A after the
// log recorded the previous attempt (attempts 2…n), and dropped at the
// first tick at least A after the log recorded attempt n: it has had
// about (n+1)·A, rounded up to ticks, to reach a block.
type Policy struct {
	// Interval is the time between two ticks of [Auditor.Run] when
	// Config.Ticks is nil. More than 0.
	Interval time.Duration

	// MaxAge is how long a transaction may wait for a block before it is
	// rebroadcast, and again after each rebroadcast before the next one
	// (or, after the last, before it is dropped). It is measured by
	// Config.Now from the time the event log recorded the transaction's
	// TransactionSubmitted (or its latest TransactionRebroadcast) — not
	// from the transaction's own timestamp, which is the sender's claim.
	// More than 0.
	MaxAge time.Duration

	// MaxAttempts is how many times a transaction is rebroadcast before
	// the auditor gives up on it and records TransactionDropped. 0 drops a
	// transaction MaxAge after it was submitted, without rebroadcasting
	// it. Not negative.
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

// validate returns an error naming the first field that makes no sense.
func (p Policy) validate() error {
	switch {
	case p.Interval <= 0:
		return configErr("Policy.Interval: have %v, want > 0", p.Interval)
	case p.MaxAge <= 0:
		return configErr("Policy.MaxAge: have %v, want > 0", p.MaxAge)
	case p.MaxAttempts < 0:
		return configErr("Policy.MaxAttempts: have %d, want ≥ 0", p.MaxAttempts)
	}
	return nil
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("audit: %w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// A Backend is what an auditor needs from a node: the chain it verified,
// a signal when the chain changes, and how far it has read the blocks
// stream. A [*node.Node] is one; a test can give a small fake instead.
type Backend interface {
	// Chain is the chain the auditor checks transactions against.
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
	// which blocks the chain accepted, and which transactions they hold.
	// Restore it before the auditor's first step and run its Follow
	// alongside the auditor's Run, as for a miner.
	Node Backend

	// Log is the event log the node reads: the auditor reads the
	// transactions and audit streams from it and appends to them. (A node
	// does not hand out its log, so it is given twice.)
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

	// Logger receives each rebroadcast, each drop, each late inclusion,
	// skipped events and failed steps; nil discards them.
	Logger *slog.Logger
}

// A Report counts the transactions the auditor knows by their fate, for
// logs and metrics. Every transaction read in the transactions stream is
// counted in exactly one of Included, Pending and Dropped.
type Report struct {
	// Submitted is how many distinct transactions the transactions stream
	// holds (a TransactionSubmitted, or a TransactionRebroadcast of one
	// not seen before). It only grows.
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
	// stream holds: every attempt of every transaction counts, once,
	// however often the log holds its event. It only grows.
	Rebroadcasts int
	// Dropped is how many transactions were given up on (a
	// TransactionDropped in the audit stream) and are not included since.
	// A dropped transaction that a block includes later moves to Included.
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
// TransactionVerified for each transaction the chain includes, rebroadcasts
// a transaction that has waited MaxAge for a block, and records
// TransactionDropped when it gives up. See the package documentation for
// the steps and the decisions behind them.
//
// An Auditor is safe for concurrent use: Restore, Tick and the steps of
// Run take turns, one at a time, and Report may be read at any time. It
// starts no goroutines.
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
	txs  map[uuid.UUID]*txState
	// open holds the transactions a tick must look at, in the order the
	// auditor first learned of them: submitted or dropped, not included.
	open []*txState
	// txNext and auditNext are the next revisions to read in the
	// transactions and audit streams.
	txNext, auditNext eventlog.Revision
	// maxHeight is the greatest height of a TransactionVerified read.
	maxHeight uint64
	// next is the next height of the chain whose block the auditor has
	// to list; 0 until the first catch-up sets it.
	next uint64

	mu     sync.Mutex // guards report
	report Report
}

// New returns an auditor, or an error wrapping [ErrInvalidConfig] that
// names the field at fault: a missing Node or Log, or a Policy field out
// of range. New does no I/O: the first step reads the log.
func New(cfg Config) (*Auditor, error) {
	if cfg.Node == nil {
		return nil, configErr("Config.Node is required")
	}
	if cfg.Log == nil {
		return nil, configErr("Config.Log is required")
	}
	policy := cfg.Policy
	if policy == (Policy{}) {
		policy = DefaultPolicy()
	}
	if err := policy.validate(); err != nil {
		return nil, err
	}
	a := &Auditor{
		node:   cfg.Node,
		log:    cfg.Log,
		policy: policy,
		now:    cfg.Now,
		ticks:  cfg.Ticks,
		logger: cfg.Logger,
		txs:    make(map[uuid.UUID]*txState),
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

// Restore reads the transactions and audit streams from where the auditor
// stopped (the start, the first time) to their ends, and rebuilds from
// them what it knows: every transaction submitted, when the log recorded
// it, its rebroadcasts, and which transactions are already verified or
// dropped. Run calls it first; every Tick catches up the same way, so
// calling Restore yourself is needed only to read a true Report before
// the first tick. It reads nothing of the chain: that is the node's.
//
// Errors: the log's errors, wrapped; ctx.Err().
func (a *Auditor) Restore(ctx context.Context) error {
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
//     is taken for stranded;
//  2. catch up with the transactions and audit streams (see Restore);
//  3. record TransactionVerified for each transaction of each block the
//     chain accepted since the last step;
//  4. for each transaction submitted and still in no block, by
//     Config.Now: if it has waited MaxAge since it was submitted or last
//     rebroadcast, append TransactionRebroadcast with the next attempt
//     number, or, once MaxAttempts rebroadcasts are made, record
//     TransactionDropped;
//  5. catch up again, so that Report counts what this step wrote.
//
// Tick blocks in step 1 until the node's Follow has caught up: run Follow
// alongside (or call Tick only on a node restored after the last block
// was appended). Calling Tick twice at the same time by the clock writes
// nothing the first call did not.
//
// Errors: the log's errors, wrapped; ctx.Err(). A failed append leaves
// the log as it was or with the event written; either way the next step
// goes on correctly, because every event ID is derived from its content
// and the auditor counts only what it reads back from the log.
func (a *Auditor) Tick(ctx context.Context) error {
	a.step.Lock()
	defer a.step.Unlock()
	if err := a.awaitNode(ctx); err != nil {
		return fmt.Errorf("audit: tick: %w", err)
	}
	now := a.now()
	if err := a.catchUp(ctx); err != nil {
		return fmt.Errorf("audit: tick: %w", err)
	}
	if err := a.listBlocks(ctx); err != nil {
		return fmt.Errorf("audit: tick: %w", err)
	}
	if err := a.scan(ctx, now); err != nil {
		return fmt.Errorf("audit: tick: %w", err)
	}
	if err := a.catchUp(ctx); err != nil {
		return fmt.Errorf("audit: tick: %w", err)
	}
	a.logger.Debug("tick", "report", a.Report(), "height", a.next-1)
	return nil
}

// Run restores the auditor (see Restore), then audits until ctx is done:
// a full step (see Tick) at every tick of Config.Ticks or, if it is nil,
// every Policy.Interval; and, between ticks, each time the node changes,
// TransactionVerified for the transactions of the blocks it has applied,
// so inclusions are recorded as they happen. Run the node's Follow
// alongside.
//
// Run returns ctx.Err() when ctx is done; Restore's error; or an error
// wrapping eventlog.ErrClosed or eventlog.ErrStreamDeleted, after which
// no step could succeed. Any other failed step is logged and tried again
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
	case errors.Is(err, eventlog.ErrClosed), errors.Is(err, eventlog.ErrStreamDeleted):
		return err
	}
	a.logger.Warn("audit step failed; trying again", "err", err)
	return nil
}

// recordInclusions is Run's small step between ticks: it lists the blocks
// the node applied since the last step, if any.
func (a *Auditor) recordInclusions(ctx context.Context) error {
	a.step.Lock()
	defer a.step.Unlock()
	if a.next == 0 || a.node.Chain().Height() < a.next {
		return nil
	}
	if err := a.listBlocks(ctx); err != nil {
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

// listBlocks records TransactionVerified for every transaction of the
// chain's blocks from height a.next to the tip, and moves a.next past
// the tip. A block the node no longer holds (a node with a Window) is
// skipped with a warning; scan still verifies its transactions that went
// through the transactions stream, through Chain.Inclusion.
func (a *Auditor) listBlocks(ctx context.Context) error {
	chain := a.node.Chain()
	tip := chain.Height()
	for ; a.next <= tip; a.next++ {
		b, ok := chain.BlockAt(a.next)
		if !ok {
			a.logger.Warn("block no longer in the node's memory: only its transactions from the transactions stream are verified",
				"height", a.next)
			continue
		}
		in := blockchain.Inclusion{BlockHash: b.Hash(), Height: b.Height()}
		for i := range b.Len() {
			if err := a.verify(ctx, a.state(b.Transaction(i).ID()), in); err != nil {
				return err
			}
		}
	}
	return nil
}

// scan looks at every open transaction, at time now: it verifies those
// the chain includes and rebroadcasts or drops those that waited too
// long.
func (a *Auditor) scan(ctx context.Context, now time.Time) error {
	a.open = slices.DeleteFunc(a.open, func(s *txState) bool {
		if s.verified {
			s.inOpen = false
		}
		return s.verified
	})
	chain := a.node.Chain()
	for _, s := range a.open {
		if s.recording {
			continue
		}
		if in, ok := chain.Inclusion(s.id); ok {
			// A block listBlocks has not reached (applied since it ran)
			// is listed, whole, by the next step.
			if in.Height < a.next {
				if err := a.verify(ctx, s, in); err != nil {
					return err
				}
			}
			continue
		}
		if s.dropped || !s.known || now.Before(s.last.Add(a.policy.MaxAge)) {
			continue
		}
		var err error
		if s.attempts < a.policy.MaxAttempts {
			err = a.rebroadcast(ctx, s, now)
		} else {
			err = a.drop(ctx, s, now)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// verify appends TransactionVerified for s at in, unless s is verified
// already or being verified in this step.
func (a *Auditor) verify(ctx context.Context, s *txState, in blockchain.Inclusion) error {
	if s.verified || s.recording {
		return nil
	}
	ev := events.TransactionVerified{TxID: s.id, BlockHash: in.BlockHash, Height: in.Height}
	if err := a.append(ctx, node.StreamAudit, ev); err != nil {
		return err
	}
	s.recording = true
	if s.dropped {
		a.logger.Warn("transaction included after it was dropped", "tx", s.id, "height", in.Height, "block", in.BlockHash.Short())
	} else {
		a.logger.Debug("transaction verified", "tx", s.id, "height", in.Height, "block", in.BlockHash.Short())
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
	return nil
}

// drop appends TransactionDropped for s.
func (a *Auditor) drop(ctx context.Context, s *txState, now time.Time) error {
	reason := dropReason(s.attempts, now.Sub(s.since))
	ev := events.TransactionDropped{TxID: s.id, Reason: reason, Attempts: s.attempts}
	if err := a.append(ctx, node.StreamAudit, ev); err != nil {
		return err
	}
	a.logger.Info("transaction dropped", "tx", s.id, "reason", reason)
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
