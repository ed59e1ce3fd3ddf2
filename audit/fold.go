package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/node"
)

// readPage is how many events a catch-up reads at a time.
const readPage = 512

// A txState is what the auditor knows of one transaction that a block
// may still include, folded from the transactions and audit streams, plus
// the flags of the step in progress.
type txState struct {
	id uuid.UUID
	// tx is the transaction itself: to rebroadcast it, and to check it
	// against the chain.
	tx blockchain.Transaction
	// since is when the log recorded the first event that carried the
	// transaction; last is since, or when it recorded the rebroadcast
	// with the highest attempt.
	since, last time.Time
	attempts    int // the highest rebroadcast attempt read
	// rebroadcasts has bit n-1 set once attempt n was read, so that a
	// rebroadcast the log holds twice is counted once.
	rebroadcasts uint64
	// dropped: the audit stream holds a TransactionDropped for it. The
	// record stays until a block uses its nonce, for a block may still
	// include it.
	dropped bool
	// checked: the chain said it could still be included, and no block
	// folded since sent anything from its sender.
	checked bool
	// recording and dropping: this step appended TransactionVerified or
	// TransactionDropped, which the catch-up at the end of the step
	// reads back.
	recording, dropping bool
	// gone: the record left Auditor.txs; the next sweep takes it out of
	// Auditor.open.
	gone bool
}

// count applies change to the report.
func (a *Auditor) count(change func(r *Report)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	change(&a.report)
}

// forget removes s from the records: its fate is settled.
func (a *Auditor) forget(s *txState) {
	delete(a.txs, s.id)
	s.gone = true
}

// sweep takes the records that left a.txs out of a.open.
func (a *Auditor) sweep() {
	if len(a.open) != len(a.txs) {
		a.open = slices.DeleteFunc(a.open, func(s *txState) bool { return s.gone })
	}
}

// catchUp folds the events appended to the transactions and audit streams
// since the last catch-up, sets where foldBlocks goes on (on the first
// one: the last block verified), and forgets the dropped transactions
// that no block can include any more.
func (a *Auditor) catchUp(ctx context.Context) error {
	settled := a.folded() // nil on the first catch-up: every record is kept until the audit stream is read
	if err := a.readFrom(ctx, node.StreamTransactions, &a.txNext, func(r eventlog.Recorded) { a.foldTx(r, settled) }); err != nil {
		return err
	}
	a.foldAhead()
	if err := a.readFrom(ctx, node.StreamAudit, &a.auditNext, a.foldAudit); err != nil {
		return err
	}
	// The auditor folds blocks in order and verifies each block's
	// transactions before the next block's, so every block below the
	// highest verified one is done. That block may be done in part: fold
	// it again; what it verified is known (a.atMax) and is not recorded
	// twice.
	a.next = max(a.next, a.maxHeight, 1)
	a.prune()
	return nil
}

// folded returns the account state after the last block the auditor has
// folded, or nil before the first catch-up or if the chain no longer
// keeps it.
func (a *Auditor) folded() *blockchain.State {
	if a.next == 0 {
		return nil
	}
	st, ok := a.node.Chain().StateAt(a.next - 1)
	if !ok {
		return nil
	}
	return st
}

// prune forgets the dropped transactions whose nonce a block the auditor
// has folded used: that block did not include them (it would have
// verified them, and the catch-up read it back), and no later block can.
func (a *Auditor) prune() {
	if st := a.folded(); st != nil {
		for _, s := range a.open {
			if !s.gone && s.dropped && !s.recording && s.tx.Nonce() < st.Account(s.tx.From()).Nonce {
				a.forget(s)
			}
		}
	}
	a.sweep()
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

// foldTx folds one event of the transactions stream. settled is the state
// after the last block the auditor has folded: a transaction it has no
// record of whose nonce that state has used is settled — verified or
// dropped and forgotten, the event a late copy — or can never be
// included; it is skipped. nil settles nothing.
func (a *Auditor) foldTx(r eventlog.Recorded, settled *blockchain.State) {
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
	s := a.txs[tx.ID()]
	if s == nil {
		if settled != nil && tx.Nonce() < settled.Account(tx.From()).Nonce {
			a.logger.Debug("skipped transaction event: a block the auditor has seen used its nonce", "revision", uint64(r.Revision),
				"type", r.Type, "tx", tx.ID())
			return
		}
		at := r.Time
		if at.IsZero() {
			at = a.now() // a log that records no time: when the auditor read it is all there is
		}
		s = &txState{id: tx.ID(), tx: tx, since: at, last: at}
		a.txs[s.id] = s
		a.open = append(a.open, s)
		a.count(func(r *Report) { r.Submitted++; r.Pending++ })
	}
	if attempt > 0 && !s.sawAttempt(attempt) {
		a.count(func(r *Report) { r.Rebroadcasts++ })
	}
	// Each rebroadcast event raises the count by one at most: honest
	// auditors record attempt n+1 only after attempt n, and a forged
	// attempt of 1 << 40 must not make the auditor give up at once.
	if attempt > s.attempts {
		if attempt > s.attempts+1 {
			a.logger.Warn("rebroadcast attempt above the next: counted as the next", "tx", s.id, "attempt", attempt, "next", s.attempts+1)
		}
		s.attempts, s.last = s.attempts+1, r.Time
		if s.last.IsZero() {
			s.last = a.now()
		}
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
		a.foldVerified(ev)
	case events.TransactionDropped:
		if s := a.txs[ev.TxID]; s != nil && !s.dropped {
			s.dropped, s.dropping = true, false
			a.count(func(r *Report) { r.Pending--; r.Dropped++ })
		}
	}
	// BlockRejected is the nodes' record; nothing for the auditor.
}

// maxAhead bounds how many TransactionVerified events of heights the
// node has not reached yet the auditor holds (see foldVerified).
const maxAhead = 10_000

// foldAhead folds again the TransactionVerified events held because the
// node had not reached their height, now that it may have.
func (a *Auditor) foldAhead() {
	if len(a.ahead) == 0 {
		return
	}
	held := a.ahead
	a.ahead = nil
	for _, ev := range held {
		a.foldVerified(ev)
	}
}

// believe reports whether the auditor believes a TransactionVerified: the
// audit stream is written by auditors, but any writer may append to it,
// and a forged event must neither stop the auditor nor settle a
// transaction no block holds. The event must name the block the chain
// holds at its height and, if the node still holds that block, one of
// its transactions. An event for a height the node has not reached is
// held, and folded at a later catch-up; one below the chain's base (a
// node restored from a snapshot keeps no hash below it) is believed, as
// nothing here can check it.
func (a *Auditor) believe(ev events.TransactionVerified) bool {
	chain := a.node.Chain()
	if ev.Height > chain.Height() {
		if len(a.ahead) < maxAhead {
			a.ahead = append(a.ahead, ev)
		} else {
			a.logger.Warn("skipped TransactionVerified: too many above the chain's height", "tx", ev.TxID, "height", ev.Height)
		}
		return false
	}
	if ev.Height < chain.Base() {
		return true
	}
	if hash, ok := chain.HashAt(ev.Height); !ok || hash != ev.BlockHash {
		a.logger.Warn("skipped TransactionVerified: the chain holds another block at its height", "tx", ev.TxID,
			"height", ev.Height, "block", ev.BlockHash.Short())
		return false
	}
	if b, ok := chain.BlockAt(ev.Height); ok {
		for i := range b.Len() {
			if b.Transaction(i).ID() == ev.TxID {
				return true
			}
		}
		a.logger.Warn("skipped TransactionVerified: its block does not hold the transaction", "tx", ev.TxID,
			"height", ev.Height, "block", ev.BlockHash.Short())
		return false
	}
	return true
}

// foldVerified folds a TransactionVerified the auditor believes (see
// believe): the transaction is included, and its record, if any, is
// forgotten.
//
// Included counts it if it is the first TransactionVerified of the
// transaction, which the auditor tells without remembering every one:
// auditors record the transactions block after block, each block
// complete before the next, so the first event of each transaction comes
// in the log after those of every lower height. One below the highest
// height read is a copy; one at that height is a copy if a.atMax holds
// it.
func (a *Auditor) foldVerified(ev events.TransactionVerified) {
	if !a.believe(ev) {
		return
	}
	first := false
	switch {
	case ev.Height > a.maxHeight:
		a.maxHeight = ev.Height
		clear(a.atMax)
		a.atMax[ev.TxID] = struct{}{}
		first = true
	case ev.Height == a.maxHeight:
		_, seen := a.atMax[ev.TxID]
		a.atMax[ev.TxID] = struct{}{}
		first = !seen
	}
	s := a.txs[ev.TxID]
	if s != nil {
		a.forget(s)
	}
	a.count(func(r *Report) {
		if first {
			r.Included++
		}
		switch {
		case s == nil:
		case s.dropped:
			r.Dropped--
		default:
			r.Pending--
		}
	})
}
