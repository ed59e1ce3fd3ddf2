package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/node"
)

// readPage is how many events a catch-up reads at a time.
const readPage = 512

// A txState is what the auditor knows of one transaction, folded from the
// transactions and audit streams, plus one flag of the step in progress.
type txState struct {
	id uuid.UUID
	// known: the transactions stream holds the transaction. hash, since
	// and last are set with it.
	known bool
	hash  blockchain.Hash
	// tx is the transaction itself, kept only while it may have to be
	// rebroadcast: known, neither verified nor dropped.
	tx blockchain.Transaction
	// since is when the log recorded the first event that carried the
	// transaction; last is since, or when it recorded the rebroadcast
	// with the highest attempt.
	since, last time.Time
	attempts    int // the highest rebroadcast attempt read
	// rebroadcasts has bit n-1 set once attempt n was read, so that a
	// rebroadcast the log holds twice is counted once.
	rebroadcasts uint64
	verified     bool
	dropped      bool
	// recording: this step appended TransactionVerified, which the
	// catch-up at the end of the step reads back.
	recording bool
	inOpen    bool // in Auditor.open
}

// A fate is where a transaction counts in a Report.
type fate int

const (
	fateNone fate = iota // not submitted, not in the chain: counted nowhere
	fatePending
	fateIncluded
	fateDropped
)

func (s *txState) fate() fate {
	switch {
	case s.verified:
		return fateIncluded
	case s.dropped:
		return fateDropped
	case s.known:
		return fatePending
	}
	return fateNone
}

// state returns the state of the transaction with this ID, new if the
// auditor has not heard of it.
func (a *Auditor) state(id uuid.UUID) *txState {
	s := a.txs[id]
	if s == nil {
		s = &txState{id: id}
		a.txs[id] = s
	}
	return s
}

// change applies edit to s and moves s between the counts of the report,
// and into the open list if a tick must now look at it.
func (a *Auditor) change(s *txState, edit func()) {
	before, wasKnown := s.fate(), s.known
	edit()
	after := s.fate()
	if !s.verified && (s.known || s.dropped) && !s.inOpen {
		s.inOpen = true
		a.open = append(a.open, s)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !wasKnown && s.known {
		a.report.Submitted++
	}
	if before != after {
		a.report.count(before, -1)
		a.report.count(after, +1)
	}
}

func (r *Report) count(f fate, delta int) {
	switch f {
	case fatePending:
		r.Pending += delta
	case fateIncluded:
		r.Included += delta
	case fateDropped:
		r.Dropped += delta
	}
}

// catchUp folds the events appended to the transactions and audit streams
// since the last catch-up, and on the first one sets where listBlocks
// starts.
func (a *Auditor) catchUp(ctx context.Context) error {
	if err := a.readFrom(ctx, node.StreamTransactions, &a.txNext, a.foldTx); err != nil {
		return err
	}
	if err := a.readFrom(ctx, node.StreamAudit, &a.auditNext, a.foldAudit); err != nil {
		return err
	}
	if a.next == 0 {
		// The auditor lists blocks in order and verifies each block's
		// transactions before the next block's (scan verifies only below
		// a.next), so every block below the highest verified one is done.
		// That block may be done in part: list it again; what it verified
		// is known and is not recorded twice.
		a.next = max(a.maxHeight, 1)
	}
	return nil
}

// readFrom reads stream from *next to its end, page by page, folding each
// event and moving *next past it.
func (a *Auditor) readFrom(ctx context.Context, stream string, next *eventlog.Revision, fold func(eventlog.Recorded)) error {
	for {
		page, err := a.log.Read(ctx, stream, *next, eventlog.Forwards, readPage)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		for _, r := range page {
			fold(r)
			*next = r.Revision + 1
		}
		if len(page) < readPage {
			return nil
		}
	}
}

// foldTx folds one event of the transactions stream.
func (a *Auditor) foldTx(r eventlog.Recorded) {
	p, err := events.Decode(r.Event)
	var (
		tx      blockchain.Transaction
		attempt int // 0 for TransactionSubmitted
	)
	if err == nil {
		switch ev := p.(type) {
		case events.TransactionSubmitted:
			tx = ev.Tx
		case events.TransactionRebroadcast:
			tx, attempt = ev.Tx, ev.Attempt
		default:
			err = fmt.Errorf("%s event in the transactions stream", r.Type)
		}
	}
	if err != nil {
		a.logger.Warn("skipped transaction event", "revision", uint64(r.Revision), "type", r.Type, "err", err)
		return
	}
	s := a.state(tx.ID())
	if s.known && s.hash != tx.Hash() {
		// The pools keep the first transaction with an ID and refuse the
		// others; so does the auditor.
		a.logger.Warn("skipped transaction event: another transaction has its ID", "revision", uint64(r.Revision),
			"type", r.Type, "tx", tx.ID(), "hash", tx.Hash().Short(), "known", s.hash.Short())
		return
	}
	at := r.Time
	if at.IsZero() {
		at = tx.Timestamp() // a log that records no time: the sender's time is all there is
	}
	newAttempt := attempt > 0 && !s.sawAttempt(attempt)
	a.change(s, func() {
		if !s.known {
			s.known, s.hash, s.since, s.last = true, tx.Hash(), at, at
			if !s.verified && !s.dropped {
				s.tx = tx
			}
		}
		if attempt > s.attempts {
			s.attempts, s.last = attempt, at
		}
	})
	if newAttempt {
		a.mu.Lock()
		a.report.Rebroadcasts++
		a.mu.Unlock()
	}
}

// sawAttempt reports whether rebroadcast attempt n of s was read before,
// and marks it read. The log may hold an event twice (an append with
// expected revision Any is de-duplicated only within EventStoreDB's window
// of recent IDs), and each attempt counts once. Attempts past 64 — far
// beyond any policy — count when they are higher than any before.
func (s *txState) sawAttempt(n int) bool {
	if n > 64 {
		return n <= s.attempts
	}
	bit := uint64(1) << (n - 1)
	seen := s.rebroadcasts&bit != 0
	s.rebroadcasts |= bit
	return seen
}

// foldAudit folds one event of the audit stream.
func (a *Auditor) foldAudit(r eventlog.Recorded) {
	p, err := events.Decode(r.Event)
	if err != nil {
		a.logger.Warn("skipped audit event", "revision", uint64(r.Revision), "type", r.Type, "err", err)
		return
	}
	switch ev := p.(type) {
	case events.TransactionVerified:
		a.maxHeight = max(a.maxHeight, ev.Height)
		if s := a.state(ev.TxID); !s.verified {
			a.change(s, func() { s.verified, s.recording, s.tx = true, false, blockchain.Transaction{} })
		}
	case events.TransactionDropped:
		if s := a.state(ev.TxID); !s.dropped {
			a.change(s, func() { s.dropped, s.tx = true, blockchain.Transaction{} })
		}
	}
	// BlockRejected is the nodes' record; nothing for the auditor.
}
