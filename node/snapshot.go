package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

// The errors of a snapshot that RestoreSnapshot refuses. Restore does
// not return them: it logs each, keeps it in SnapshotStats.Refused, and
// goes on with an older snapshot or with every block. Test for them with
// errors.Is.
var (
	// ErrSnapshotRefused is matched by every *SnapshotError.
	ErrSnapshotRefused = errors.New("node: snapshot refused")

	// ErrSnapshotIncomplete: the snapshots stream does not hold every
	// part the manifest names between its first part and the manifest,
	// or the parts hold another number of accounts than it says.
	ErrSnapshotIncomplete = errors.New("node: snapshot incomplete")

	// ErrSnapshotTip: the blocks stream does not hold the snapshot's tip
	// where the manifest says it does.
	ErrSnapshotTip = errors.New("node: snapshot tip is not the log's block")

	// ErrSnapshotPosition: the manifest names a position in the
	// transactions stream beyond its end.
	ErrSnapshotPosition = errors.New("node: snapshot position beyond the stream")

	// ErrSnapshotHeaders: the manifest holds fewer headers than the
	// consensus engine looks back on (with retargeting proof of work,
	// the epoch's first header), and not every header down to genesis.
	// A chain resumed from it would refuse every block from the next
	// epoch's first on, for want of a header it does not hold.
	ErrSnapshotHeaders = errors.New("node: snapshot holds too few headers")
)

// A SnapshotError says why Restore refused a snapshot: Err wraps
// ErrSnapshotIncomplete, ErrSnapshotTip, ErrSnapshotPosition or
// ErrSnapshotHeaders, or
// blockchain.ErrBadSnapshot (with
// blockchain.ErrBadStateRoot for accounts whose root is not the tip's: a
// balance or a nonce changed; with blockchain.ErrInvalidSeal for a tip
// whose seal the engine refuses).
// errors.Is(err, ErrSnapshotRefused) holds for every one.
type SnapshotError struct {
	Height   uint64            // the height the manifest names
	Revision eventlog.Revision // where the manifest is in the snapshots stream
	Err      error
}

// Error reads like "snapshot at height 1000 (snapshots@52) refused: …".
func (e *SnapshotError) Error() string {
	return fmt.Sprintf("snapshot at height %d (%s@%d) refused: %v", e.Height, StreamSnapshots, e.Revision, e.Err)
}

// Unwrap returns the reason.
func (e *SnapshotError) Unwrap() error { return e.Err }

// Is reports whether target is ErrSnapshotRefused.
func (e *SnapshotError) Is(target error) bool { return target == ErrSnapshotRefused }

// SnapshotStats says what a node did with snapshots: those Follow
// recorded, and the one Restore resumed from.
type SnapshotStats struct {
	Written    int    // snapshots recorded (parts and manifest appended)
	Failed     int    // snapshots that could not be recorded, each logged
	LastHeight uint64 // the height of the last snapshot recorded

	Restored     bool    // whether Restore resumed from a snapshot
	RestoredFrom uint64  // the height of that snapshot
	Refused      []error // the snapshots Restore refused, newest first: each a *SnapshotError
}

// SnapshotStats returns what the node did with snapshots so far. The
// node's Changed channel is closed whenever it changes.
func (n *Node) SnapshotStats() SnapshotStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.snapStats
	s.Refused = append([]error(nil), s.Refused...)
	return s
}

// DefaultSnapshotHeaders is how many of the newest headers a snapshot
// holds when the consensus engine needs no more: enough for any
// look-back of the engines this project has, and for the recent history
// an app shows (a bank's explorer, a light client's headers). Proof of
// work with retargeting needs its RetargetInterval + 1 (the first header
// of the epoch that holds the tip, and the tip's), so a snapshot of such
// a chain holds max(DefaultSnapshotHeaders, RetargetInterval + 1).
const DefaultSnapshotHeaders = 1024

// maxSnapshotTries bounds how many manifests Restore tries, newest
// first, before it gives up on snapshots and applies every block.
const maxSnapshotTries = 3

// snapshotPage is how many events of the snapshots stream Restore reads
// at a time: parts are up to some 770 KB each.
const snapshotPage = 8

// snapshotHeaders returns how many headers a snapshot of a chain of spec
// holds (want) and the fewest it may hold (least), the engine's
// look-back: the tip's header and its parent's, on which Resume checks
// the tip's seal, and with retargeting proof of work back to the epoch's
// first.
func snapshotHeaders(spec blockchain.ChainSpec) (want, least int) {
	least = 1
	if pow := spec.Consensus.PoW; pow != nil && pow.RetargetInterval > 0 {
		least = int(min(pow.RetargetInterval, 1<<30)) + 1
	}
	least = max(least, 2) // the tip's parent, on which Resume checks the tip's seal
	return max(DefaultSnapshotHeaders, least), least
}

// A snapshotJob is what Follow hands the snapshot writer: everything it
// needs, taken under the node's lock at the moment the block was
// applied. The state is immutable, so the writer reads it at leisure
// while the chain goes on.
type snapshotJob struct {
	state     *blockchain.State
	tip       *blockchain.Block
	headers   []blockchain.Header
	blocksRev eventlog.Revision
	txsRev    eventlog.Revision
	pending   []blockchain.Transaction
}

// captureLocked takes the snapshot of the chain at its tip, b, read from
// revision rev of the blocks stream. Call it with n.mu held, right after
// b was applied: the chain, the pool and the positions agree.
func (n *Node) captureLocked(b *blockchain.Block, rev eventlog.Revision) snapshotJob {
	h := b.Height()
	first := h - min(uint64(n.snapshotHeaders-1), h-n.chain.Base())
	headers := make([]blockchain.Header, 0, h-first+1)
	for height := first; height <= h; height++ {
		header, _ := n.chain.HeaderAt(height) // from the base on, every header is held
		headers = append(headers, header)
	}
	return snapshotJob{
		state:     n.chain.State(),
		tip:       b,
		headers:   headers,
		blocksRev: rev,
		txsRev:    n.txNext,
		pending:   append(n.pool.Candidates(n.pool.Len()), n.waiting.transfers()...),
	}
}

// writeSnapshots records every job it receives until jobs is closed or
// ctx ends. A failure is logged and counted, never fatal: the next
// snapshot may succeed, and a node that restores finds an older one.
func (n *Node) writeSnapshots(ctx context.Context, jobs <-chan snapshotJob) {
	for job := range jobs {
		err := n.writeSnapshot(ctx, job)
		if ctx.Err() != nil {
			continue // Follow is stopping: drain what is left, record nothing
		}
		n.mu.Lock()
		if err != nil {
			n.snapStats.Failed++
		} else {
			n.snapStats.Written++
			n.snapStats.LastHeight = job.tip.Height()
		}
		n.signal()
		n.mu.Unlock()
		if err != nil {
			n.logger.Warn("could not record snapshot", "height", job.tip.Height(), "err", err)
		} else {
			n.logger.Info("recorded snapshot", "height", job.tip.Height(), "hash", job.tip.Hash().Short(), "accounts", job.state.Len())
		}
	}
}

// writeSnapshot appends the snapshot of job to the snapshots stream: its
// parts, one append each, then its manifest. Every append expects Any:
// another node may have recorded the same snapshot, with the same IDs,
// and the log folds a retry away (or stores it again, which readers
// fold).
func (n *Node) writeSnapshot(ctx context.Context, job snapshotJob) error {
	accounts := make([]blockchain.AccountRecord, 0, job.state.Len())
	for a, acct := range job.state.Each {
		accounts = append(accounts, blockchain.AccountRecord{Address: a, Account: acct})
	}
	height, hash := job.tip.Height(), job.tip.Hash()
	parts := events.SnapshotParts(height, hash, accounts, n.partSize)
	var firstPart eventlog.Revision
	for _, p := range parts {
		ev, err := events.Encode(p)
		if err != nil {
			return fmt.Errorf("part %d of %d: %w", p.Part, p.Parts, err)
		}
		res, err := n.log.Append(ctx, StreamSnapshots, eventlog.Any, ev)
		if err != nil {
			return fmt.Errorf("part %d of %d: %w", p.Part, p.Parts, err)
		}
		if p.Part == 0 {
			firstPart = res.NextExpected // the revision of the one event appended
		}
	}
	manifest, err := events.FitSnapshotTaken(events.SnapshotTaken{
		Height:         height,
		BlockHash:      hash,
		StateRoot:      job.tip.Header().StateRoot,
		Parts:          len(parts),
		Accounts:       len(accounts),
		FirstPart:      firstPart,
		BlocksRevision: job.blocksRev,
		TxsRevision:    job.txsRev,
		Headers:        job.headers,
		Tip:            job.tip,
		Pending:        job.pending,
	}, n.minHeaders)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if left := len(job.pending) - len(manifest.Pending); left > 0 {
		n.logger.Info("snapshot leaves out the newest pending transactions", "height", height, "left_out", left, "kept", len(manifest.Pending))
	}
	ev, err := events.Encode(manifest)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if _, err := n.log.Append(ctx, StreamSnapshots, eventlog.Any, ev); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

// restoreSnapshot resumes the node's chain from the newest snapshot of
// the log that checks out, trying at most maxSnapshotTries manifests,
// newest first. A refused snapshot is logged and kept in the stats; if
// none is usable, or the log holds none (no snapshots stream, or one
// deleted for good), the chain stays at genesis and Restore applies
// every block. It does nothing on a node that has read
// blocks already (a Restore that was cancelled goes on where it
// stopped). Only the log's failures and ctx's end are errors.
func (n *Node) restoreSnapshot(ctx context.Context, assumed map[blockchain.Hash]struct{}) error {
	n.mu.Lock()
	started := n.blocksNext > 0 || n.snapStats.Restored
	n.mu.Unlock()
	if started {
		return nil
	}
	tried := make(map[uuid.UUID]bool)
	skipped := make(map[uuid.UUID]bool) // off the assume-valid path
	from := eventlog.End
	for len(tried) < maxSnapshotTries {
		recs, err := n.log.Read(ctx, StreamSnapshots, from, eventlog.Backwards, snapshotPage)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			break
		}
		if errors.Is(err, eventlog.ErrStreamDeleted) {
			// Anyone who can write to the log can delete the stream for
			// good (an EventStoreDB tombstone): no snapshot, then, as in
			// a log that holds none. The blocks are all still there.
			n.logger.Warn("no snapshot to restore from: the snapshots stream is deleted; applying every block", "stream", StreamSnapshots, "err", err)
			break
		}
		if err == nil {
			err = eventlog.CheckPage(StreamSnapshots, from, eventlog.Backwards, snapshotPage, recs)
		}
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.Type != events.TypeSnapshotTaken || tried[r.ID] {
				continue // a part, read from its manifest; or a duplicate, folded
			}
			p, err := events.Decode(r.Event)
			if err != nil {
				n.logger.Warn("skipped snapshot manifest", "revision", uint64(r.Revision), "err", err)
				continue
			}
			m := p.(events.SnapshotTaken) // Decode gives the type the event's Type names
			if _, ok := assumed[m.BlockHash]; assumed != nil && !ok {
				// Past the trusted block, or off its path: not a
				// snapshot this node may take, nor a forgery to report
				// (a trusted hash from the last release is older than
				// the newest snapshots). It does not count as a try.
				if !skipped[r.ID] {
					skipped[r.ID] = true
					n.logger.Debug("passed over a snapshot off the assume-valid path", "height", m.Height, "revision", uint64(r.Revision))
				}
				continue
			}
			tried[r.ID] = true
			err = n.resume(ctx, r.Revision, m)
			if err == nil {
				return nil
			}
			var refused *SnapshotError
			if !errors.As(err, &refused) {
				return err // the log failed, or ctx ended
			}
			n.logger.Warn("refused snapshot", "height", m.Height, "revision", uint64(r.Revision), "err", err)
			n.mu.Lock()
			n.snapStats.Refused = append(n.snapStats.Refused, err)
			n.mu.Unlock()
			if len(tried) == maxSnapshotTries {
				break
			}
		}
		if len(recs) < snapshotPage || recs[len(recs)-1].Revision == 0 {
			break
		}
		from = recs[len(recs)-1].Revision - 1
	}
	n.logger.Info("no usable snapshot: restoring every block", "tried", len(tried))
	return nil
}

// resume checks the snapshot m, the manifest at revision rev, and, if it
// holds, resumes the chain from it and sets where the node goes on. The
// error is a *SnapshotError for a snapshot that does not hold, the log's
// or ctx's otherwise.
func (n *Node) resume(ctx context.Context, rev eventlog.Revision, m events.SnapshotTaken) error {
	refuse := func(err error) error { return &SnapshotError{Height: m.Height, Revision: rev, Err: err} }
	// A writer keeps at least minHeaders headers, or all of them down to
	// genesis (FitSnapshotTaken, captureLocked): fewer would leave the
	// resumed chain without the header the engine needs at the next
	// epoch's start, and it would stop there for good.
	if want := min(uint64(n.minHeaders), m.Height+1); uint64(len(m.Headers)) < want {
		return refuse(fmt.Errorf("%w: have %d, want at least %d", ErrSnapshotHeaders, len(m.Headers), want))
	}
	accounts, err := n.readParts(ctx, rev, m)
	if errors.Is(err, ErrSnapshotIncomplete) {
		return refuse(err)
	} else if err != nil {
		return err
	}
	tip, err := n.readTip(ctx, m)
	if errors.Is(err, ErrSnapshotTip) {
		return refuse(err)
	} else if err != nil {
		return err
	}
	if err := n.checkTxsRevision(ctx, m.TxsRevision); errors.Is(err, ErrSnapshotPosition) {
		return refuse(err)
	} else if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	// Resume checks the headers, the tip, its seal and, above all, that
	// the accounts have the state root of the tip's header.
	if err := n.chain.Resume(blockchain.Snapshot{Headers: m.Headers, Tip: tip, Accounts: accounts}); err != nil {
		return refuse(err)
	}
	n.blocksNext, n.txNext, n.txLast = m.BlocksRevision+1, m.TxsRevision, uuid.UUID{}
	n.restorePending = m.Pending
	n.snapStats.Restored, n.snapStats.RestoredFrom = true, m.Height
	n.signal()
	n.logger.Info("resumed from snapshot", "height", m.Height, "hash", m.BlockHash.Short(), "accounts", m.Accounts,
		"base", n.chain.Base(), "pending", len(m.Pending), "blocks_revision", uint64(m.BlocksRevision))
	return nil
}

// readParts reads the parts of the snapshot m, the manifest at revision
// rev, from m.FirstPart up to rev, and returns their accounts in order.
// Parts of other snapshots are passed over, a duplicate (by event ID) is
// folded, and of two parts with the same number the first wins; a part
// that does not decode is skipped. If a part is missing, or the parts
// hold another number of accounts than m says, the error wraps
// ErrSnapshotIncomplete.
func (n *Node) readParts(ctx context.Context, rev eventlog.Revision, m events.SnapshotTaken) ([]blockchain.AccountRecord, error) {
	parts := make(map[int][]blockchain.AccountRecord)
	seen := make(map[uuid.UUID]bool)
	for from := m.FirstPart; from < rev && len(parts) < m.Parts; {
		size := int(min(snapshotPage, rev-from))
		recs, err := n.log.Read(ctx, StreamSnapshots, from, eventlog.Forwards, size)
		if err == nil {
			err = eventlog.CheckPage(StreamSnapshots, from, eventlog.Forwards, size, recs)
		}
		if err != nil {
			return nil, err // not a *SnapshotError: the log failed, not the snapshot
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Revision >= rev || len(parts) == m.Parts {
				break
			}
			if r.Type != events.TypeSnapshotPart || seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			p, err := events.Decode(r.Event)
			if err != nil {
				n.logger.Warn("skipped snapshot part", "revision", uint64(r.Revision), "err", err)
				continue
			}
			part := p.(events.SnapshotPart)
			if part.Height != m.Height || part.BlockHash != m.BlockHash || part.Parts != m.Parts {
				continue // another snapshot's
			}
			if _, ok := parts[part.Part]; !ok {
				parts[part.Part] = part.Accounts
			}
		}
		from = recs[len(recs)-1].Revision + 1
	}
	total := 0
	for i := range m.Parts {
		part, ok := parts[i]
		if !ok {
			return nil, fmt.Errorf("%w: part %d of %d is not between %s@%d and the manifest", ErrSnapshotIncomplete, i, m.Parts, StreamSnapshots, m.FirstPart)
		}
		total += len(part)
	}
	accounts := make([]blockchain.AccountRecord, 0, total)
	for i := range m.Parts {
		accounts = append(accounts, parts[i]...)
	}
	if len(accounts) != m.Accounts {
		return nil, fmt.Errorf("%w: the parts hold %d accounts, the manifest says %d", ErrSnapshotIncomplete, len(accounts), m.Accounts)
	}
	return accounts, nil
}

// readTip returns the block of the BlockMined event at m.BlocksRevision
// of the blocks stream, if it is the snapshot's tip; otherwise the error
// wraps ErrSnapshotTip.
func (n *Node) readTip(ctx context.Context, m events.SnapshotTaken) (*blockchain.Block, error) {
	recs, err := n.log.Read(ctx, StreamBlocks, m.BlocksRevision, eventlog.Forwards, 1)
	if err != nil && !errors.Is(err, eventlog.ErrStreamNotFound) {
		return nil, err
	}
	if len(recs) == 0 || recs[0].Revision != m.BlocksRevision {
		return nil, fmt.Errorf("%w: no event at %s@%d", ErrSnapshotTip, StreamBlocks, m.BlocksRevision)
	}
	b, _, err := decodeBlock(recs[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %s@%d: %w", ErrSnapshotTip, StreamBlocks, m.BlocksRevision, err)
	}
	if b.Hash() != m.BlockHash {
		return nil, fmt.Errorf("%w: %s@%d holds %s, have %s", ErrSnapshotTip, StreamBlocks, m.BlocksRevision, b, m.BlockHash.Short())
	}
	return b, nil
}

// checkTxsRevision refuses, with an error wrapping ErrSnapshotPosition,
// a position in the transactions stream beyond its end: the node would
// skip the transactions appended until the stream reached it.
func (n *Node) checkTxsRevision(ctx context.Context, next eventlog.Revision) error {
	if next == 0 {
		return nil
	}
	last, err := n.log.Read(ctx, StreamTransactions, eventlog.End, eventlog.Backwards, 1)
	if err != nil && !errors.Is(err, eventlog.ErrStreamNotFound) {
		return err
	}
	if len(last) == 0 || last[0].Revision+1 < next {
		return fmt.Errorf("%w: %s@%d, past its end", ErrSnapshotPosition, StreamTransactions, next)
	}
	return nil
}

// addRestoredPending puts the pending and waiting transactions of the
// snapshot Restore resumed from back in the pool, after the blocks that
// follow it: one refused for its sender's state alone waits, as one of
// the transactions stream does (see waiting), and those that no longer
// apply otherwise (a block included them, or took their nonce) are left
// out quietly, as Restore leaves out such transactions of the
// transactions stream.
func (n *Node) addRestoredPending() {
	n.mu.Lock()
	defer n.mu.Unlock()
	added := 0
	for _, tx := range n.restorePending {
		err := n.pool.Add(tx)
		switch {
		case err == nil:
			added++
			n.retryWaitingLocked([]blockchain.Address{tx.From()}, 0)
		case n.waitsForBlock(tx, err) && n.waiting.add(tx):
		default:
			n.logger.Debug("snapshot's pending transaction needs no pool", "tx", tx.ID(), "err", err)
		}
	}
	if len(n.restorePending) > 0 {
		n.logger.Debug("pending transactions of the snapshot back in the pool", "added", added, "of", len(n.restorePending))
		n.signal()
	}
	n.restorePending = nil
}
