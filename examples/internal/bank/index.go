package bank

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/node"
)

// The bank's ledger index: what it remembers of every transaction the
// chain included, so that GET /transactions/{id} can say in which block
// a transaction sits, GET /accounts/{address}/transactions can list an
// account's history, and GET /blocks/{ref} can find any block in the
// log, for any height. The chain itself keeps no such index (nonces
// refuse replays), so this is the bank's own, fed by its node's
// BlockAdded events in chain order, one write per block.
//
// It is kept by an indexStore: in one bbolt file (boltIndex, see
// Config.IndexPath), so that the bank's memory does not grow with the
// number of transactions; or in memory (memIndex) when no file is given,
// for tests and short demos, where it costs about 200 bytes per
// transaction. Either way it is derived data: everything in it can be
// read again from the log, so it may be lost and rebuilt.
type indexStore interface {
	// addBlock records blk, which sits at rev in the blocks stream, and
	// its transactions, in one write.
	addBlock(blk *blockchain.Block, rev eventlog.Revision) error
	// last returns the newest block recorded; ok is false if none is.
	last() (ref blockRef, ok bool, err error)
	// block returns the block recorded at height, if any.
	block(height uint64) (ref blockRef, ok bool, err error)
	// tx returns the included transaction with this ID, if any.
	tx(id uuid.UUID) (rec txRecord, ok bool, err error)
	// history returns up to limit transactions of a, newest first, of
	// sequence numbers below before; and whether there are older ones.
	history(a blockchain.Address, before uint64, limit int) (recs []txRecord, more bool, err error)
	// nextSeq returns the sequence number the next transaction recorded
	// will get: the first is 1.
	nextSeq() (uint64, error)
	// putDropped records that a transaction was dropped; dropped reads it.
	putDropped(d events.TransactionDropped) error
	dropped(id uuid.UUID) (d events.TransactionDropped, ok bool, err error)
	// genesis returns the hash of the genesis block of the chain the
	// store indexes, if it was recorded (setGenesis); reset forgets it.
	genesis() (h blockchain.Hash, ok bool, err error)
	setGenesis(h blockchain.Hash) error
	// reset empties the store, to be built again from the log.
	reset() error
	// close releases the store; the file, if any, stays.
	close() error
}

// A blockRef is where the index found a block: its height and hash, and
// the revision of its BlockMined event in the node's blocks stream.
type blockRef struct {
	height uint64
	hash   blockchain.Hash
	rev    eventlog.Revision
}

// A txRecord is one included transaction as the index keeps it.
type txRecord struct {
	id       uuid.UUID
	hash     blockchain.Hash
	from, to blockchain.Address
	amount   int64
	fee      int64
	nonce    uint64
	height   uint64
	index    uint32 // its place in its block
	seq      uint64 // its place in the chain: 1 for the first transaction ever included
}

// recordOf returns the record of tx, the i-th transaction of the block
// at height, numbered seq.
func recordOf(tx blockchain.Transaction, height uint64, i int, seq uint64) txRecord {
	return txRecord{id: tx.ID(), hash: tx.Hash(), from: tx.From(), to: tx.To(), amount: tx.Amount(), fee: tx.Fee(),
		nonce: tx.Nonce(), height: height, index: uint32(i), seq: seq}
}

// ledgerIndex feeds an indexStore from the node's events: the bank's
// observer calls add with each added block and the revision of its
// BlockMined event. Its fields are guarded by the bank's mu; the store
// is safe for concurrent use on its own, so readers call it without the
// lock.
type ledgerIndex struct {
	store   indexStore
	path    string // the store's file; "" in memory
	log     eventlog.Log
	chain   blockchain.ReadOnlyChain // the node's: the blocks the index must match
	genesis blockchain.Hash          // the hash of chain's genesis block
	logger  *slog.Logger
	err     error         // the first failure: the index stops, and Run returns it
	failed  chan struct{} // closed when err is set
	// behind is set while the file refuses writes for now (see
	// writeRefused): the index holds the blocks up to its last write,
	// and catches up from the log with the first block it can write.
	behind bool
	// named is set once the store is known to record genesis as its
	// chain's.
	named bool
}

// ErrLogLostBlocks is wrapped by the ledger index's failure (see
// Bank.Run and Bank.IndexErr) when the index holds blocks of the chain
// the bank serves, of its very genesis, that the event log no longer
// holds: the log was wiped or replaced by an older copy, and the chain
// begun again in it. Serving it, the bank would answer "unknown" for
// every transfer it once took, and transfers signed for the first chain
// would be good again on the second. It stops instead: restore the log;
// or, to go on with the log as it is, delete the index (the next start
// builds it again from the log). (A library's node restored under other
// rules than the index was built by, Chain.Trust against Chain.Apply on
// a log that holds a bad block, finds another chain on the same genesis
// too, and is told so.)
var ErrLogLostBlocks = errors.New("the event log lost blocks the ledger index holds")

// nameGenesis records in the store, once, that it indexes the chain of
// ix.genesis, if the store names it already or holds no block. A store
// holding blocks of another chain, or of a chain it does not name (an
// index of an older bank), is left as it is: the log's blocks tell
// (rebuild; reconcileWith names the genesis once they match).
func (ix *ledgerIndex) nameGenesis() error {
	if ix.named {
		return nil
	}
	g, ok, err := ix.store.genesis()
	if err != nil {
		return fmt.Errorf("%s: %w", ix.describe(), err)
	}
	_, held, err := ix.store.last()
	if err != nil {
		return fmt.Errorf("%s: %w", ix.describe(), err)
	}
	switch {
	case ok && g == ix.genesis:
		ix.named = true
	case !held:
		return ix.setGenesis()
	}
	return nil
}

// setGenesis records ix.genesis as the genesis of the store's chain.
func (ix *ledgerIndex) setGenesis() error {
	if err := ix.store.setGenesis(ix.genesis); err != nil {
		return fmt.Errorf("%s: record the genesis: %w", ix.describe(), err)
	}
	ix.named = true
	return nil
}

// describe names the index in errors.
func (ix *ledgerIndex) describe() string {
	if ix.path == "" {
		return "ledger index (in memory)"
	}
	return fmt.Sprintf("ledger index %q", ix.path)
}

// add records blk, a block just added to the chain, whose BlockMined
// event is at revision rev of the blocks stream. A block the index already holds with the
// same hash is skipped: a restart replays the chain from the start. A
// block of the same height with another hash means the file indexes
// another chain (its log was replaced): the index is emptied and built
// again from the log, up to blk — unless it names this chain's genesis,
// and then the log lost the block it holds (ErrLogLostBlocks; see
// rebuild). If the index is behind (the node
// restored from a snapshot, so that it told no events for the blocks
// before it), add first indexes the missing blocks from the log. If the
// index fails, it stops with an error, which Run returns — unless the
// file only refuses writes for now (a full disk, a quota, a file system
// gone read-only: see writeRefused), and then the index falls behind
// and the bank goes on. It reports whether blk is indexed, with every
// block before it.
func (ix *ledgerIndex) add(blk *blockchain.Block, rev eventlog.Revision) bool {
	if ix.err != nil || ix.store == nil {
		return false
	}
	err := ix.addBlock(blk, rev)
	switch {
	case err == nil:
		if ix.behind {
			ix.behind = false
			ix.logger.Info("ledger index caught up", "height", blk.Height())
		}
		return true
	case writeRefused(err):
		ix.fallBehind(err)
		return false
	}
	ix.err = err
	ix.logger.Error("ledger index stopped", "err", ix.err)
	close(ix.failed)
	return false
}

// fallBehind marks the index behind after err, a write its file refused
// for now, and says so once.
func (ix *ledgerIndex) fallBehind(err error) {
	if !ix.behind {
		ix.logger.Warn("ledger index behind: its file takes no writes now; it catches up from the log with the first block after they are taken again", "err", err)
	}
	ix.behind = true
}

// retryBehind catches the index, behind because its file took no
// writes, up from the log to the chain's tip, as add does with the next
// block, and returns the height it caught up to, and whether it did. A
// file that still takes no writes leaves it behind; any other failure
// stops it, as in add. b.mu is held.
func (ix *ledgerIndex) retryBehind() (uint64, bool) {
	if ix.err != nil || ix.store == nil || !ix.behind {
		return 0, false
	}
	tip := ix.chain.Height()
	err := ix.nameGenesis()
	if err == nil {
		var last blockRef
		var ok bool
		if last, ok, err = ix.store.last(); err == nil {
			if ok {
				err = ix.catchUpTo(last.rev+1, last.hash, last.height+1, tip)
			} else {
				err = ix.catchUpTo(eventlog.Start, blockchain.Hash{}, 1, tip)
			}
		}
	}
	switch {
	case err == nil:
		ix.behind = false
		ix.logger.Info("ledger index caught up", "height", tip)
		return tip, true
	case writeRefused(err):
		return 0, false
	}
	ix.err = err
	ix.logger.Error("ledger index stopped", "err", ix.err)
	close(ix.failed)
	return 0, false
}

// writeRefused reports whether err is a file system refusing a write
// for now: a full disk, a quota reached, a file system gone read-only.
// The write is lost, not the file: a bbolt transaction whose commit
// fails leaves the file as the commit before it left it, and every block
// it did not take is in the log, to be read again.
//
// EPERM is a file made immutable or append-only (chattr +i, +a). bbolt
// words the errors of growing its file ("file resize error: …", "file
// sync error: …") with %s, not %w: their errno is found in their words.
func writeRefused(err error) bool {
	for _, errno := range refusedErrnos {
		if errors.Is(err, errno) {
			return true
		}
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		msg := e.Error()
		if !strings.HasPrefix(msg, "file resize error: ") && !strings.HasPrefix(msg, "file sync error: ") {
			continue
		}
		for _, errno := range refusedErrnos {
			if strings.HasSuffix(msg, ": "+errno.Error()) {
				return true
			}
		}
	}
	return false
}

// refusedErrnos are the errors of a file system that takes no writes
// for now: see writeRefused.
var refusedErrnos = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EPERM}

func (ix *ledgerIndex) addBlock(blk *blockchain.Block, rev eventlog.Revision) error {
	if err := ix.nameGenesis(); err != nil {
		return err
	}
	last, ok, err := ix.store.last()
	if err != nil {
		return fmt.Errorf("%s: %w", ix.describe(), err)
	}
	h := blk.Height()
	if ok && h <= last.height {
		ref, found, err := ix.store.block(h)
		switch {
		case err != nil:
			return fmt.Errorf("%s: %w", ix.describe(), err)
		case found && ref.hash == blk.Hash():
			return nil // indexed before a restart
		case found:
			if _, err := ix.rebuild(h, fmt.Sprintf("block %d is %s there, %s in the log", h, ref.hash.Short(), blk.Hash().Short()), true); err != nil {
				return err
			}
			if err := ix.store.addBlock(blk, rev); err != nil {
				return fmt.Errorf("%s: add block %d: %w", ix.describe(), h, err)
			}
			return nil
		}
		return fmt.Errorf("%s: block %d is missing below its newest, %d", ix.describe(), h, last.height)
	}
	wantHeight, from, prev := uint64(1), eventlog.Start, blockchain.Hash{}
	if ok {
		wantHeight, from, prev = last.height+1, last.rev+1, last.hash
	}
	if h > wantHeight {
		if prev, err = ix.catchUp(from, prev, wantHeight, h); err != nil {
			return err
		}
	}
	// Block 1 extends the genesis, the chain's whatever the index holds.
	if h > 1 && blk.Header().PrevHash != prev {
		// The blocks the index holds are not blk's ancestors: they are of
		// another chain, below the base of a node restored from a snapshot.
		why := fmt.Sprintf("block %d is %s there, block %d's parent in the log is %s", h-1, prev.Short(), h, blk.Header().PrevHash.Short())
		// (Not taken for a lost block: below a snapshot's base, catching
		// up took the first block that links, which may be one the node
		// refused.)
		if prev, err = ix.rebuild(h, why, false); err != nil {
			return err
		}
		if blk.Header().PrevHash != prev {
			return fmt.Errorf("%s: block %d's parent %s is not the log's block %d", ix.describe(), h, blk.Header().PrevHash.Short(), h-1)
		}
	}
	if err := ix.store.addBlock(blk, rev); err != nil {
		return fmt.Errorf("%s: add block %d: %w", ix.describe(), h, err)
	}
	return nil
}

// reconcile checks the index against chain, the chain the node restored
// from the log: the newest block the index holds must be the chain's
// block at its height. An index of another chain is emptied and built
// again from the log, up to chain's tip: it would answer with blocks and
// transactions the log does not hold. One that names this chain's
// genesis and is longer, or holds another block, fails with
// ErrLogLostBlocks (see rebuild), as does a log that does not hold the
// index's newest block where the index found it; a log that does not
// answer fails it with the log's error. An index behind the chain's tip
// (the node restored from a snapshot, and told no events for the blocks
// below it) catches up from the log. A failure stops the index, as in
// add.
func (ix *ledgerIndex) reconcile(chain blockchain.ReadOnlyChain) {
	if ix.err != nil || ix.store == nil {
		return
	}
	err := ix.reconcileWith(chain)
	if err != nil && writeRefused(err) {
		// A bank started on a full disk serves what it can: the next
		// block, once the file takes writes again, catches the index up.
		ix.fallBehind(err)
		return
	}
	ix.err = err
	if ix.err != nil {
		ix.logger.Error("ledger index stopped", "err", ix.err)
		close(ix.failed)
	}
}

func (ix *ledgerIndex) reconcileWith(chain blockchain.ReadOnlyChain) error {
	if err := ix.nameGenesis(); err != nil {
		return err
	}
	last, ok, err := ix.store.last()
	if err != nil {
		return err
	}
	tip := chain.Height()
	if !ok {
		return ix.catchUpTo(eventlog.Start, blockchain.Hash{}, 1, tip)
	}
	if last.height > tip {
		_, err := ix.rebuild(tip+1, fmt.Sprintf("it holds block %d, the chain in the log ends at %d", last.height, tip), true)
		return err
	}
	if hash, held := chain.HashAt(last.height); held {
		if hash != last.hash {
			_, err := ix.rebuild(tip+1, fmt.Sprintf("block %d is %s there, %s in the log", last.height, last.hash.Short(), hash.Short()), true)
			return err
		}
	} else if why, err := ix.heldAt(last); err != nil {
		return err // a log that did not answer: nothing is known lost
	} else if why != "" {
		// Below the base of a node restored from a snapshot the chain
		// keeps no header: the log must hold the index's newest block
		// where the index says it does.
		_, err := ix.rebuild(tip+1, why, true)
		return err
	}
	// The index's newest block is the chain's, which hashes back to the
	// genesis: an index of an older bank names it now.
	if !ix.named {
		if err := ix.setGenesis(); err != nil {
			return err
		}
	}
	return ix.catchUpTo(last.rev+1, last.hash, last.height+1, tip)
}

// catchUpTo indexes the blocks from wantHeight up to the chain's tip
// from the log, as add does with the next block: a node restored from a
// snapshot tells no events for the blocks below it, and on a chain where
// no block comes after, the index would hold none of them, and the bank
// could say nothing of a transaction (see errIndexBehind) for ever.
func (ix *ledgerIndex) catchUpTo(from eventlog.Revision, prev blockchain.Hash, wantHeight, tip uint64) error {
	if wantHeight > tip {
		return nil
	}
	_, err := ix.catchUp(from, prev, wantHeight, tip+1)
	return err
}

// heldAt returns "" if the log's blocks stream holds the block ref at
// ref.rev, and else what it holds there; an error if the log did not
// answer, which says nothing of what it holds.
func (ix *ledgerIndex) heldAt(ref blockRef) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), catchUpReadTimeout)
	defer cancel()
	recs, err := ix.log.Read(ctx, node.StreamBlocks, ref.rev, eventlog.Forwards, 1)
	switch {
	case errors.Is(err, eventlog.ErrStreamNotFound) || err == nil && len(recs) == 0:
		return fmt.Sprintf("block %d is at revision %d there, which the log does not hold", ref.height, ref.rev), nil
	case err != nil:
		return "", fmt.Errorf("%s: read block %d at revision %d of the blocks stream: %w", ix.describe(), ref.height, ref.rev, err)
	}
	h, err := events.BlockMinedHeader(recs[0].Event)
	if err != nil || h.Hash() != ref.hash {
		return fmt.Sprintf("block %d is %s at revision %d there, not in the log", ref.height, ref.hash.Short(), ref.rev), nil
	}
	return "", nil
}

// catchUpReadTimeout bounds each read of the log while the index
// catches up: a log that does not answer fails the index rather than
// hang the bank.
const catchUpReadTimeout = time.Minute

// catchUpPage is how many events of the blocks stream each of those
// reads takes.
const catchUpPage = 100

// rebuild empties the index, which does not match the log for the reason
// why, and indexes the chain's blocks below the height stop again, from
// the log. It returns the hash of the last block it indexed (zero if
// none). If lost is set, why shows the log no longer holds a block the
// index holds, and an index that names this chain's genesis is not built
// again: that fails with ErrLogLostBlocks.
func (ix *ledgerIndex) rebuild(stop uint64, why string, lost bool) (blockchain.Hash, error) {
	g, ok, err := ix.store.genesis()
	if err != nil {
		return blockchain.Hash{}, fmt.Errorf("%s: %w", ix.describe(), err)
	}
	if lost && ok && g == ix.genesis {
		// The same genesis, and blocks the log does not hold where the
		// index found them: the log lost them, and its chain began again.
		remedy := "restore the event log"
		if ix.path != "" {
			remedy += fmt.Sprintf("; or, to go on with the log as it is (the transfers it lost are gone), delete %s: the next start builds it again from the log", ix.path)
		}
		return blockchain.Hash{}, fmt.Errorf("%s: %w (%s): the log of this chain (genesis %s) was wiped, or put back from an older copy; %s",
			ix.describe(), ErrLogLostBlocks, why, g.Short(), remedy)
	}
	switch {
	case ok && g != ix.genesis:
		why = fmt.Sprintf("it indexes the chain of genesis %s, the log holds that of %s", g.Short(), ix.genesis.Short())
	case !ok:
		why += " (an index that names no genesis, of an older bank)"
	}
	ix.logger.Warn("the ledger index is not of the chain in the log: building it again from the log", "index", ix.describe(), "why", why)
	if err := ix.store.reset(); err != nil {
		if writeRefused(err) {
			// Not behind: the store still holds the blocks of another
			// chain, and would answer for them. It stops, as any other
			// failure (%v: not taken for a write refused for now).
			return blockchain.Hash{}, fmt.Errorf("%s: empty it, as it indexes another chain: %v", ix.describe(), err)
		}
		return blockchain.Hash{}, fmt.Errorf("%s: empty it: %w", ix.describe(), err)
	}
	if err := ix.setGenesis(); err != nil {
		return blockchain.Hash{}, err
	}
	if stop <= 1 {
		return blockchain.Hash{}, nil
	}
	return ix.catchUp(eventlog.Start, blockchain.Hash{}, 1, stop)
}

// catchUp indexes the blocks of heights from wantHeight up to, not
// including, stop, reading the blocks stream from the revision from: at
// each height, the block the node's chain holds there, or, below the
// base of a node restored from a snapshot, the first block that extends
// prev (the genesis for block 1), and so on. Blocks the node rejected
// are in the stream too; they are passed over. It returns the hash of
// the last block it indexed (prev, if none).
func (ix *ledgerIndex) catchUp(from eventlog.Revision, prev blockchain.Hash, wantHeight, stop uint64) (blockchain.Hash, error) {
	if ix.log == nil {
		return prev, fmt.Errorf("%s misses blocks %d…%d and has no log to read them from", ix.describe(), wantHeight, stop-1)
	}
	if wantHeight == 1 {
		genesis, err := ix.chain.Spec().Genesis()
		if err != nil {
			return prev, fmt.Errorf("%s: catch up: %w", ix.describe(), err)
		}
		prev = genesis.Hash()
	}
	for wantHeight < stop {
		ctx, cancel := context.WithTimeout(context.Background(), catchUpReadTimeout)
		recs, err := ix.log.Read(ctx, node.StreamBlocks, from, eventlog.Forwards, catchUpPage)
		cancel()
		if err == nil {
			// A page out of order, or not from where it was asked for,
			// would have the loop read it again for ever, the bank's
			// lock held: each read has its own timeout, the loop none.
			err = eventlog.CheckPage(node.StreamBlocks, from, eventlog.Forwards, catchUpPage, recs)
		}
		if err != nil {
			return prev, fmt.Errorf("%s: catch up from revision %d: %w", ix.describe(), from, err)
		}
		if len(recs) == 0 {
			return prev, fmt.Errorf("%s: catch up: block %d is not in the blocks stream", ix.describe(), wantHeight)
		}
		for _, r := range recs {
			from = r.Revision + 1
			blk, err := decodeBlockMined(r)
			if err != nil || blk.Height() != wantHeight || blk.Header().PrevHash != prev {
				continue
			}
			if hash, held := ix.chain.HashAt(wantHeight); held && blk.Hash() != hash {
				continue // a block that links, but that the node refused
			}
			if err := ix.store.addBlock(blk, r.Revision); err != nil {
				return prev, fmt.Errorf("%s: add block %d: %w", ix.describe(), wantHeight, err)
			}
			prev, wantHeight = blk.Hash(), wantHeight+1
			if wantHeight == stop {
				return prev, nil
			}
		}
	}
	return prev, nil
}

// decodeBlockMined returns the block of a BlockMined event.
func decodeBlockMined(r eventlog.Recorded) (*blockchain.Block, error) {
	p, err := events.Decode(r.Event)
	if err != nil {
		return nil, err
	}
	mined, ok := p.(events.BlockMined)
	if !ok {
		return nil, fmt.Errorf("%s event at revision %d of the blocks stream", r.Type, r.Revision)
	}
	return mined.Block, nil
}

// memIndex is an indexStore in memory: the index of a bank given no
// file (Config.IndexPath ""), whose memory grows with the chain's
// history — about 200 bytes per transaction. It is safe for concurrent
// use.
type memIndex struct {
	mu      sync.RWMutex
	gen     *blockchain.Hash // the genesis recorded, if any
	records []txRecord       // every included transaction, in chain order: records[seq-1]
	byID    map[uuid.UUID]uint64
	byAddr  map[blockchain.Address][]uint64 // sequence numbers by account, oldest first
	blocks  []blockRef                      // blocks[height-1]
	drops   map[uuid.UUID]events.TransactionDropped
}

var _ indexStore = (*memIndex)(nil)

func newMemIndex() *memIndex {
	return &memIndex{byID: map[uuid.UUID]uint64{}, byAddr: map[blockchain.Address][]uint64{}, drops: map[uuid.UUID]events.TransactionDropped{}}
}

func (m *memIndex) addBlock(blk *blockchain.Block, rev eventlog.Revision) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if want := uint64(len(m.blocks)) + 1; blk.Height() != want {
		return fmt.Errorf("block %d out of order: want %d", blk.Height(), want)
	}
	m.blocks = append(m.blocks, blockRef{height: blk.Height(), hash: blk.Hash(), rev: rev})
	for i := range blk.Len() {
		tx := blk.Transaction(i)
		if _, dup := m.byID[tx.ID()]; dup { // impossible on a valid chain: the nonce refuses a replay
			continue
		}
		seq := uint64(len(m.records)) + 1
		m.records = append(m.records, recordOf(tx, blk.Height(), i, seq))
		m.byID[tx.ID()] = seq
		m.byAddr[tx.From()] = append(m.byAddr[tx.From()], seq)
		if tx.To() != tx.From() {
			m.byAddr[tx.To()] = append(m.byAddr[tx.To()], seq)
		}
	}
	return nil
}

func (m *memIndex) reset() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fresh := newMemIndex()
	m.records, m.byID, m.byAddr, m.blocks, m.drops, m.gen = nil, fresh.byID, fresh.byAddr, nil, fresh.drops, nil
	return nil
}

func (m *memIndex) genesis() (blockchain.Hash, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.gen == nil {
		return blockchain.Hash{}, false, nil
	}
	return *m.gen, true, nil
}

func (m *memIndex) setGenesis(h blockchain.Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen = &h
	return nil
}

func (m *memIndex) last() (blockRef, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(m.blocks) == 0 {
		return blockRef{}, false, nil
	}
	return m.blocks[len(m.blocks)-1], true, nil
}

func (m *memIndex) block(height uint64) (blockRef, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if height == 0 || height > uint64(len(m.blocks)) {
		return blockRef{}, false, nil
	}
	return m.blocks[height-1], true, nil
}

func (m *memIndex) tx(id uuid.UUID) (txRecord, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	seq, ok := m.byID[id]
	if !ok {
		return txRecord{}, false, nil
	}
	return m.records[seq-1], true, nil
}

func (m *memIndex) history(a blockchain.Address, before uint64, limit int) ([]txRecord, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	seqs := m.byAddr[a]
	end := len(seqs) // the page ends before seqs[end]
	for end > 0 && seqs[end-1] >= before {
		end--
	}
	start := max(0, end-limit)
	out := make([]txRecord, 0, end-start)
	for i := end - 1; i >= start; i-- {
		out = append(out, m.records[seqs[i]-1])
	}
	return out, start > 0, nil
}

func (m *memIndex) nextSeq() (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return uint64(len(m.records)) + 1, nil
}

func (m *memIndex) putDropped(d events.TransactionDropped) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.drops[d.TxID] = d
	return nil
}

func (m *memIndex) dropped(id uuid.UUID) (events.TransactionDropped, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	d, ok := m.drops[id]
	return d, ok, nil
}

func (m *memIndex) close() error { return nil }

// errNotIndexed: the index does not (yet) know where a block is in the
// log. It answers 503: the index catches up as its node follows.
var errNotIndexed = errors.New("block not indexed yet")

// A blockMismatchError says that the log held, where the index points,
// a block other than the chain's at that height: the index or the log
// is damaged. It answers 500.
type blockMismatchError struct {
	height    uint64
	rev       eventlog.Revision
	have      blockchain.Hash
	want      blockchain.Hash
	decodeErr error
}

func (e *blockMismatchError) Error() string {
	if e.decodeErr != nil {
		return fmt.Sprintf("block %d: revision %d of the blocks stream: %v", e.height, e.rev, e.decodeErr)
	}
	return fmt.Sprintf("block %d: revision %d of the blocks stream holds %s, want %s", e.height, e.rev, e.have, e.want)
}

// blockAt returns the chain's block at height, which must be at most the
// tip: from the node's window if it still holds the block, else read
// from the log at the revision the index recorded, and checked against
// the chain's hash for the height before it is served. The genesis
// block, which is in no stream, is rebuilt from the spec.
func (b *Bank) blockAt(ctx context.Context, height uint64) (*blockchain.Block, error) {
	chain := b.node.Chain()
	if blk, ok := chain.BlockAt(height); ok {
		return blk, nil
	}
	want, ok := chain.HashAt(height)
	if !ok {
		return nil, fmt.Errorf("block %d: no such height", height)
	}
	if height == 0 {
		g, err := chain.Spec().Genesis()
		if err != nil {
			return nil, err
		}
		if g.Hash() != want {
			return nil, &blockMismatchError{height: 0, have: g.Hash(), want: want}
		}
		return g, nil
	}
	ref, ok, err := b.index.store.block(height)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("block %d: %w", height, errNotIndexed)
	}
	recs, err := b.log.Read(ctx, node.StreamBlocks, ref.rev, eventlog.Forwards, 1)
	if err != nil {
		return nil, fmt.Errorf("block %d: read the log: %w", height, err)
	}
	if len(recs) == 0 || recs[0].Revision != ref.rev {
		return nil, &blockMismatchError{height: height, rev: ref.rev, want: want, decodeErr: errors.New("no event there")}
	}
	blk, err := decodeBlockMined(recs[0])
	if err != nil {
		return nil, &blockMismatchError{height: height, rev: ref.rev, want: want, decodeErr: err}
	}
	if blk.Hash() != want || blk.Height() != height {
		return nil, &blockMismatchError{height: height, rev: ref.rev, have: blk.Hash(), want: want}
	}
	return blk, nil
}

// blockFailed answers a request whose block blockAt could not give.
func (b *Bank) blockFailed(w http.ResponseWriter, height uint64, err error) {
	var mismatch *blockMismatchError
	switch {
	case errors.As(err, &mismatch):
		b.logger.Error("block read from the log is not the chain's", "height", height, "err", err)
		b.problem(w, Problem{Status: http.StatusInternalServerError, Title: "block out of step", Detail: fmt.Sprintf("the log's block %d is not the chain's", height)})
	case errors.Is(err, errNotIndexed):
		b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "block not indexed yet", Detail: fmt.Sprintf("block %d is not indexed yet; try again", height)})
	case errors.Is(err, eventlog.ErrCorrupt):
		// Not an outage: trying again reads the same damage. A log
		// checked whole when it was opened, damaged since, is damaged
		// under the running bank: it stops (logDamaged).
		p := b.logDamaged(err)
		p.Detail = fmt.Sprintf("block %d cannot be read back from the event log: its storage is damaged; the bank stops until it is restored", height)
		b.problem(w, *p)
	default:
		b.logger.Warn("block read failed", "height", height, "err", err)
		b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "event log unavailable", Detail: fmt.Sprintf("block %d could not be read; try again later", height)})
	}
}
