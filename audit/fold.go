package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/clip"
	"github.com/eventchain/eventchain/node"
)

// shownType is the most of an event's type a log line or an error shows:
// whoever can append to the log chooses the type, up to the size of an
// append, and every auditor that reads the event says it skipped it.
const shownType = 64

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
	// transaction; last is since, or when the last attempt counted was
	// made: as the log recorded another's, by the auditor's clock for its
	// own.
	since, last time.Time
	// ownLast is when this auditor made its own last rebroadcast, by its
	// clock; zero if it made none.
	ownLast  time.Time
	attempts int // the rebroadcasts counted (see foldTx)
	// dropped: the audit stream holds a TransactionDropped for it, with
	// dropRule (ErrUnknown: the auditor gave up waiting). The record
	// stays until a block uses its nonce, for a block may still include
	// it.
	dropped  bool
	dropRule blockchain.ErrorCode
	// checked: the chain said it could still be included, and no block
	// folded since sent anything from its sender.
	checked bool
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

// A senderNonce names one nonce of one sender: the transfer a block
// included with it is the only one that ever will be.
type senderNonce struct {
	from  blockchain.Address
	nonce uint64
}

// A usedNonce is what the auditor remembers of one sender's nonce that a
// block it folded used: the transfer that used it, and the others with
// that nonce it recorded since (losers, to be dropped once, whatever
// copies of them come later).
type usedNonce struct {
	by     uuid.UUID
	losers []uuid.UUID
}

// maxUsedNonces is how many of the last folded transfers the auditor
// remembers (see Auditor.usedBy): about 4 MB of memory at most, and 1 600
// blocks of the demos' 20 transfers.
const maxUsedNonces = 1 << 15

// rememberUsed remembers that tx, in a block the auditor folded, used
// its sender's nonce, forgetting the oldest so remembered past
// maxUsedNonces.
func (a *Auditor) rememberUsed(tx blockchain.Transaction) {
	k := senderNonce{tx.From(), tx.Nonce()}
	if _, ok := a.usedBy[k]; ok {
		return // a block folded again: the same transfer
	}
	if a.usedBy == nil {
		a.usedBy = make(map[senderNonce]*usedNonce)
	}
	if len(a.usedRing) < maxUsedNonces {
		a.usedRing = append(a.usedRing, k)
	} else {
		delete(a.usedBy, a.usedRing[a.usedNext])
		a.usedRing[a.usedNext] = k
		a.usedNext = (a.usedNext + 1) % maxUsedNonces
	}
	a.usedBy[k] = &usedNonce{by: tx.ID()}
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
	// What follows txNext is worth reading only if the log still holds
	// what came before it: a log wiped and written again would hand the
	// next chain's events on from there, and the auditor would take them
	// as this chain's, and append its verdicts on them.
	if err := a.stillHolds(ctx); err != nil {
		return err
	}
	settled := a.settled() // nil on the first catch-up: every record is kept until the audit stream is read
	if err := a.readFrom(ctx, node.StreamTransactions, &a.txNext, func(r eventlog.Recorded) {
		a.foldTx(r, settled)
		a.txLast = r.Event.ID
	}); err != nil {
		return err
	}
	// The audit stream is read against the chain as it stands now: an
	// event for a block above it is not believed (see believe).
	chain := a.node.Chain()
	tip := chain.Height()
	if err := a.readFrom(ctx, node.StreamAudit, &a.auditNext, func(r eventlog.Recorded) { a.foldAudit(r, chain, tip) }); err != nil {
		return err
	}
	// On the first catch-up, after a restart, the auditor goes on from
	// the highest block verified, as far as what it waits on allows (see
	// resumeHeight). Later catch-ups move nothing: the auditor folds
	// every block itself, and verify skips what another auditor recorded,
	// so that a block whose events it did not believe (they were above
	// its node's height when it read them) is never skipped.
	first := a.next == 0
	if first {
		a.next = a.resumeHeight()
	}
	a.prune()
	if first {
		close(a.restored) // the report now counts the whole log: see Restored
	}
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

// resumeHeight is where a restarted auditor goes on folding blocks. It
// is the highest block verified: auditors fold blocks in order and
// verify each block's transactions before the next block's, so every
// block below it is done, and that block may be done in part (fold it
// again; what it verified is known, a.atMax, and is not recorded twice).
//
// But the audit stream may hold a true event out of that order: one
// appended by hand, or by an auditor that skipped blocks. So the
// transactions the auditor still waits on, or gave up on (a block may
// include one late), are checked against the state at that height: one
// whose nonce is used there is in a block below it, or lost its nonce to
// another, and no event says which. Folding starts then at the first
// block after which its sender's nonce was used, found by bisection over
// the states the chain keeps (the newest StateHistory), so that the
// block is folded and the transaction verified, never dropped for the
// nonce it used itself. If the chain keeps no state old enough to tell,
// folding starts at the oldest state kept: a restart stays bounded by
// StateHistory blocks, however long the chain (a transfer included
// before that, and never verified, is then dropped by its nonce: the
// one case left, which needs an out-of-order event and a long outage).
func (a *Auditor) resumeHeight() uint64 {
	if a.maxHeight == 0 {
		return 1
	}
	chain := a.node.Chain()
	kept := func(h uint64) bool { _, ok := chain.StateAt(h); return ok }
	if !kept(a.maxHeight) {
		return a.maxHeight // the chain moved far past it already: nothing kept to tell by
	}
	// The states kept are the newest ones: the lowest kept height, by
	// bisection over [1, maxHeight]. The node may apply blocks meanwhile,
	// and states below may then go: a state asked for below and gone
	// ends the search at lowest.
	lowest := uint64(sort.Search(int(a.maxHeight), func(i int) bool { return kept(uint64(i) + 1) })) + 1
	from := a.maxHeight
	for _, s := range a.open {
		if s.gone || s.dropped && s.dropRule != blockchain.ErrUnknown {
			continue // settled, or dropped because another transfer took its nonce
		}
		gone := false
		used := func(h uint64) bool {
			st, ok := chain.StateAt(h)
			if !ok {
				gone = true
				return true
			}
			return st.Account(s.tx.From()).Nonce > s.tx.Nonce()
		}
		if !used(a.maxHeight) {
			continue
		}
		if used(lowest) {
			// Used at or before the oldest state kept: no telling where.
			// Folding from there, not from block 1, keeps a restart
			// bounded however long the chain: such a transfer (one given
			// up, whose sender used its nonce again, say) is in no block
			// the auditor folds, and is settled by its nonce.
			from = min(from, lowest)
			continue
		}
		// The first height in (lowest, maxHeight] whose state has it used.
		first := lowest + 1 + uint64(sort.Search(int(a.maxHeight-lowest), func(i int) bool { return used(lowest + 1 + uint64(i)) }))
		if gone {
			first = lowest
		}
		from = min(from, first)
	}
	return max(from, 1)
}

// settled returns the state after the highest block the auditor knows
// to be done: the last it folded, or the highest another auditor's
// believed events verified, whichever is higher (nil before the first
// catch-up). A transaction whose nonce that state has used is settled,
// and a late copy of it read from the transactions stream makes no new
// record: one would be counted again, or, if its block is done by
// another auditor's events, never verified and then dropped.
func (a *Auditor) settled() *blockchain.State {
	if a.next == 0 {
		return nil
	}
	if a.maxHeight >= a.next {
		if st, ok := a.node.Chain().StateAt(a.maxHeight); ok {
			return st
		}
	}
	return a.folded()
}

// prune forgets the dropped transactions whose nonce a block the auditor
// has folded used: that block did not include them (it would have
// verified them, and the catch-up read it back), and no later block can.
func (a *Auditor) prune() {
	if st := a.folded(); st != nil {
		for _, s := range a.open {
			if !s.gone && s.dropped && s.tx.Nonce() < st.Account(s.tx.From()).Nonce {
				a.forget(s)
			}
		}
	}
	a.sweep()
}

// readFrom reads stream from *next to its end, page by page, folding each
// event and moving *next past it. A page that breaks the Log contract
// (see eventlog.CheckPage) is an error: the loop would read it for ever.
func (a *Auditor) readFrom(ctx context.Context, stream string, next *eventlog.Revision, fold func(eventlog.Recorded)) error {
	for {
		page, err := a.log.Read(ctx, stream, *next, eventlog.Forwards, readPage)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			return nil
		}
		if err == nil {
			err = eventlog.CheckPage(stream, *next, eventlog.Forwards, readPage, page)
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
// after the highest block the auditor knows done (see Auditor.settled):
// a transaction it has no record of whose nonce that state has used is
// skipped — it is settled (verified, or dropped and forgotten), the event
// a late copy — unless a block the auditor folded lately (Auditor.usedBy)
// gave that nonce to another transfer: then no block can include it, and
// it is recorded for the next check to drop. nil settles nothing.
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
			err = fmt.Errorf("%s event in the transactions stream", clip.Text(r.Type, shownType))
		}
	}
	if err != nil {
		a.logger.Warn("skipped transaction event", "revision", uint64(r.Revision), "type", clip.Text(r.Type, shownType), "err", err)
		return
	}
	s := a.txs[tx.ID()]
	if s == nil {
		if settled != nil && tx.Nonce() < settled.Account(tx.From()).Nonce {
			// A block used its nonce. If the auditor folded that block
			// lately and another transfer used it, this one is the
			// loser of two with one nonce (taken by two banks, say) that
			// reached the log after the block: recorded, the next check
			// drops it. Else it is settled, a late copy, or the auditor
			// cannot tell which (the block is older than it remembers):
			// skipped, rather than called dropped when it may be in a
			// block.
			used, ok := a.usedBy[senderNonce{tx.From(), tx.Nonce()}]
			if !ok || used.by == tx.ID() || slices.Contains(used.losers, tx.ID()) {
				a.logger.Debug("skipped transaction event: a block the auditor has seen used its nonce", "revision", uint64(r.Revision),
					"type", r.Type, "tx", tx.ID())
				return
			}
			used.losers = append(used.losers, tx.ID())
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
	if attempt > s.attempts {
		a.countAttempt(s, attempt, r.Time)
	}
}

// countAttempt counts a rebroadcast of s, recorded by the log at time at,
// that claims attempt n, above the attempts counted so far. Anyone may
// append to the transactions stream, so the claim is not taken as it
// stands: an event raises the count by one at most (a forged attempt of
// 1 << 40 counts as the next). Attempts alone never make the auditor
// give up early: it drops a transaction only once the whole time the
// policy gives it has passed (giveUpAfter). A copy of an attempt already
// counted (the log may hold an event twice, two auditors may rebroadcast
// the same attempt, and an auditor's own attempts are counted when it
// makes them) is not above the count and counts nothing.
func (a *Auditor) countAttempt(s *txState, n int, at time.Time) {
	if at.IsZero() {
		at = a.now() // a log that records no time
	}
	if n > s.attempts+1 {
		a.logger.Warn("rebroadcast attempt above the next: counted as the next", "tx", s.id, "attempt", n, "next", s.attempts+1)
	}
	s.attempts, s.last = s.attempts+1, at
	a.count(func(r *Report) { r.Rebroadcasts++ })
}

// foldAudit folds one event of the audit stream, read when the node's
// chain stood at height tip.
func (a *Auditor) foldAudit(r eventlog.Recorded, chain blockchain.ReadOnlyChain, tip uint64) {
	p, err := events.Decode(r.Event)
	if err != nil {
		a.logger.Warn("skipped audit event", "revision", uint64(r.Revision), "type", clip.Text(r.Type, shownType), "err", err)
		return
	}
	switch ev := p.(type) {
	case events.TransactionVerified:
		a.foldVerified(ev, chain, tip)
	case events.TransactionDropped:
		if s := a.txs[ev.TxID]; s != nil && !s.dropped && a.believeDrop(ev, r.Time, s, chain) {
			a.settleDropped(s, ev.Rule)
		}
	}
	// BlockRejected is the nodes' record; nothing for the auditor.
}

// believe reports whether the auditor believes a TransactionVerified,
// read when its node's chain stood at height tip. The audit stream is
// written by auditors, but any writer may append to it, and a forged
// event must neither stop the auditor nor settle a transaction no block
// holds. So:
//
//   - An event for a block above tip is not believed: it cannot be
//     checked yet. The auditor folds that block itself when its node
//     has it, and records the block's transactions again (a copy of
//     another auditor's events, harmless). A forged event at a height no
//     chain reaches therefore changes nothing.
//   - The event must name the block the chain holds at its height (below
//     the chain's base, after a restore from a snapshot, no hash is kept
//     to compare).
//   - If the node still holds that block, the block must hold the
//     transaction. If not, and the auditor waits on the transaction, its
//     sender's nonce must be used at tip: a block that held the
//     transaction used it. (Block hashes are public, so naming an old
//     block proves nothing by itself.)
func (a *Auditor) believe(ev events.TransactionVerified, chain blockchain.ReadOnlyChain, tip uint64) bool {
	if ev.Height > tip {
		a.logger.Debug("TransactionVerified above the node's height: the auditor folds that block itself", "tx", ev.TxID,
			"height", ev.Height, "node_height", tip)
		return false
	}
	if ev.Height >= chain.Base() {
		if hash, ok := chain.HashAt(ev.Height); !ok || hash != ev.BlockHash {
			a.logger.Warn("skipped TransactionVerified: the chain holds another block at its height", "tx", ev.TxID,
				"height", ev.Height, "block", ev.BlockHash.Short())
			return false
		}
	}
	if b, ok := chain.BlockAt(ev.Height); ok {
		if a.idsOf(b)[ev.TxID] {
			return true
		}
		a.logger.Warn("skipped TransactionVerified: its block does not hold the transaction", "tx", ev.TxID,
			"height", ev.Height, "block", ev.BlockHash.Short())
		return false
	}
	if s := a.txs[ev.TxID]; s != nil {
		acct := chain.Account(s.tx.From()) // at the newest block, if the state at tip is gone already
		if st, ok := chain.StateAt(tip); ok {
			acct = st.Account(s.tx.From())
		}
		if acct.Nonce <= s.tx.Nonce() {
			a.logger.Warn("skipped TransactionVerified: the transaction's nonce is not used, so no block holds it", "tx", ev.TxID,
				"height", ev.Height)
			return false
		}
	}
	return true
}

// idsOf returns the set of b's transaction IDs. The events of one block
// come together in the audit stream, so the set of the last block asked
// about is kept: believing a block's events costs one pass over it, not
// one per event.
func (a *Auditor) idsOf(b *blockchain.Block) map[uuid.UUID]bool {
	if a.lastIDs.hash != b.Hash() || a.lastIDs.ids == nil {
		ids := make(map[uuid.UUID]bool, b.Len())
		for i := range b.Len() {
			ids[b.Transaction(i).ID()] = true
		}
		a.lastIDs.hash, a.lastIDs.ids = b.Hash(), ids
	}
	return a.lastIDs.ids
}

// believeDrop reports whether the auditor believes a TransactionDropped
// of s, the transaction it waits on, that another auditor (or anyone)
// appended. A drop that names another hash is of another transaction
// with the ID (a copy signed otherwise). A drop for a rule must be borne out by the chain: it refuses
// the transaction now, for good, as judge decides for the auditor's own
// drops (a nonce ahead of the sender's next only waits for the ones
// before it, and a drop of it is not believed). A drop that gave up
// waiting (no rule) must come after as many attempts as this auditor's
// policy makes, and once the whole time it gives a transaction has
// passed since the submission (both times as the log recorded them,
// give or take a tenth): a forged one, appended at once, would
// otherwise make it stop rebroadcasting a valid transfer. An auditor
// that does not believe a drop goes on by its own policy, and drops the
// transaction itself when it is due.
func (a *Auditor) believeDrop(ev events.TransactionDropped, at time.Time, s *txState, chain blockchain.ReadOnlyChain) bool {
	if !ev.TxHash.IsZero() && ev.TxHash != s.tx.Hash() {
		return false // a drop of another transaction with this ID: a copy signed otherwise
	}
	if ev.Rule == blockchain.ErrUnknown {
		if at.IsZero() {
			at = a.now() // a log that records no time
		}
		waited := at.Sub(s.since)
		if s.attempts < a.policy.MaxAttempts || waited < a.giveUpAfter()-a.giveUpAfter()/10 {
			a.logger.Warn("skipped TransactionDropped: it gave up before the attempts and the time the policy gives", "tx", s.id,
				"attempts", s.attempts, "max_attempts", a.policy.MaxAttempts, "waited", waited, "give_up_after", a.giveUpAfter())
			return false
		}
		return true
	}
	st, ok := chain.StateAt(chain.Height())
	if !ok {
		return true // no state to judge by: the tip's is always kept, so this does not happen
	}
	if _, _, final := judge(s.tx, chain.CheckTransaction(s.tx), st); final {
		return true
	}
	if ev.Rule == blockchain.ErrInsufficientFunds && a.unpayableSince(s.tx, chain) {
		// Its sender could not pay it after the blocks verified before
		// the drop, and every pool dropped it then: a credit since (which
		// the auditor that dropped it did not wait for) does not undo
		// the drop, as it does not for an auditor that never stopped.
		return true
	}
	a.logger.Warn("skipped TransactionDropped: the chain does not refuse the transaction for good", "tx", s.id, "rule", ev.Rule)
	return false
}

// unpayableSince reports whether a state the chain keeps, after the
// highest block verified before the drop being read (a.maxHeight) or
// any later one up to the tip, refuses tx for its funds alone: tx
// carries its sender's next nonce there and the balance does not cover
// it. Then the drop for ErrInsufficientFunds was true when it was
// written. Only the chain's newest StateHistory states can tell: beyond
// them, the drop is judged by the tip alone.
func (a *Auditor) unpayableSince(tx blockchain.Transaction, chain blockchain.ReadOnlyChain) bool {
	for h := chain.Height(); h >= a.maxHeight; h-- {
		st, ok := chain.StateAt(h)
		if !ok {
			return false
		}
		err := st.Batch().Transfer(tx.From(), tx.To(), tx.Amount(), tx.Fee(), tx.Nonce())
		if errors.Is(err, blockchain.ErrInsufficientFunds) {
			return true
		}
		if h == 0 {
			break
		}
	}
	return false
}

// settleDropped records that s was dropped. Its record stays until a
// block uses its nonce: a block may still include it.
func (a *Auditor) settleDropped(s *txState, rule blockchain.ErrorCode) {
	s.dropped, s.dropRule = true, rule
	a.count(func(r *Report) { r.Pending--; r.Dropped++ })
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
func (a *Auditor) foldVerified(ev events.TransactionVerified, chain blockchain.ReadOnlyChain, tip uint64) {
	if a.believe(ev, chain, tip) {
		a.settleVerified(ev)
	}
}

// settleVerified takes in a TransactionVerified that is true: the
// transaction is included, its record, if any, is forgotten, and
// Included counts it if it is the first of the transaction (see
// foldVerified).
func (a *Auditor) settleVerified(ev events.TransactionVerified) {
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
		// The auditor was waiting on it: this is the first event of the
		// transaction it takes in, whatever the height says (it may have
		// believed another auditor's later block first; see believe).
		first = true
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
