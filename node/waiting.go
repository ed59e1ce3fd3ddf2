package node

import (
	"cmp"
	"slices"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
)

// maxWaitingAtNonce bounds how many transfers of one sender wait at one
// nonce: each is offered to the pool at every retry of its sender, and
// only one of them can be mined.
const maxWaitingAtNonce = 4

// waiting holds the transfers a node read from the transactions stream
// that its pool refused for their sender's state alone: funds short, or
// a nonce past the next. A node reads its blocks stream and its
// transactions stream apart, so it may read a transfer before the block
// that pays its sender, or that used the nonce before it, which the node
// that took the transfer had applied. Each is offered to the pool again
// once something its sender does may let it in (see retry).
//
// What a retry costs is what the pool takes, not what waits: a sender's
// transfers are kept in nonce order, and a retry offers only those at
// the nonce the pool wants next. At most limit wait in all, the oldest
// read forgotten first, so that a writer of the log who fills it with
// transfers no block will ever let in keeps others out only while it
// goes on writing. A waiting set is not safe for concurrent use: the
// node holds n.mu.
type waiting struct {
	limit    int
	bySender map[blockchain.Address][]blockchain.Transaction // each in nonce order, then read order
	seqOf    map[uuid.UUID]uint64                            // the waiting transfers, by the seq of their arrival
	order    []waitRef                                       // arrivals, oldest first from head; some gone since
	head     int
	seq      uint64
}

// A waitRef is one arrival in the waiting set: current while seqOf
// holds its transfer at its seq.
type waitRef struct {
	from  blockchain.Address
	nonce uint64
	id    uuid.UUID
	seq   uint64
}

// newWaiting returns an empty waiting set of at most limit transfers.
func newWaiting(limit int) *waiting {
	return &waiting{limit: max(limit, 1), bySender: make(map[blockchain.Address][]blockchain.Transaction), seqOf: make(map[uuid.UUID]uint64)}
}

// len returns how many transfers wait.
func (w *waiting) len() int { return len(w.seqOf) }

// add keeps tx, forgetting the oldest waiting transfer if the set is
// full. It reports false, keeping nothing, if maxWaitingAtNonce of its
// sender's wait at its nonce already; a transfer that waits already is
// kept as it is.
func (w *waiting) add(tx blockchain.Transaction) bool {
	if _, ok := w.seqOf[tx.ID()]; ok {
		return true // read twice: a rebroadcast
	}
	txs := w.bySender[tx.From()]
	lo, hi := nonceRange(txs, tx.Nonce())
	if hi-lo >= maxWaitingAtNonce {
		return false
	}
	for len(w.seqOf) >= w.limit {
		w.forgetOldest()
	}
	txs = w.bySender[tx.From()] // forgetOldest may have taken one of them
	_, hi = nonceRange(txs, tx.Nonce())
	w.bySender[tx.From()] = slices.Insert(txs, hi, tx)
	w.seq++
	w.seqOf[tx.ID()] = w.seq
	w.order = append(w.order, waitRef{from: tx.From(), nonce: tx.Nonce(), id: tx.ID(), seq: w.seq})
	return true
}

// transfers returns the waiting transfers, oldest read first, in a new
// slice.
func (w *waiting) transfers() []blockchain.Transaction {
	out := make([]blockchain.Transaction, 0, len(w.seqOf))
	for _, ref := range w.order[w.head:] {
		if w.seqOf[ref.id] != ref.seq {
			continue
		}
		txs := w.bySender[ref.from]
		if i := indexOf(txs, ref); i >= 0 {
			out = append(out, txs[i])
		}
	}
	return out
}

// indexOf returns the index in txs, a sender's waiting transfers, of the
// transfer ref points to, or -1.
func indexOf(txs []blockchain.Transaction, ref waitRef) int {
	lo, hi := nonceRange(txs, ref.nonce)
	if i := slices.IndexFunc(txs[lo:hi], func(tx blockchain.Transaction) bool { return tx.ID() == ref.id }); i >= 0 {
		return lo + i
	}
	return -1
}

// nonceRange returns the indexes [lo, hi) of the transfers of txs, in
// nonce order, at nonce.
func nonceRange(txs []blockchain.Transaction, nonce uint64) (lo, hi int) {
	byNonce := func(tx blockchain.Transaction, n uint64) int { return cmp.Compare(tx.Nonce(), n) }
	lo, _ = slices.BinarySearchFunc(txs, nonce, byNonce)
	hi = lo
	for hi < len(txs) && txs[hi].Nonce() == nonce {
		hi++
	}
	return lo, hi
}

// forgetOldest forgets the transfer that has waited longest.
func (w *waiting) forgetOldest() {
	for w.head < len(w.order) {
		ref := w.order[w.head]
		w.order[w.head] = waitRef{}
		w.head++
		if w.seqOf[ref.id] != ref.seq {
			continue // gone since, or read again later
		}
		txs := w.bySender[ref.from]
		if i := indexOf(txs, ref); i >= 0 {
			w.setSender(ref.from, slices.Delete(txs, i, i+1))
		}
		delete(w.seqOf, ref.id)
		break
	}
	w.compact()
}

// compact drops the arrivals that are gone, once they are most of order
// (those before head included), so order holds O(limit) however many
// come and go.
func (w *waiting) compact() {
	if len(w.order) < 64 || len(w.order) <= 2*len(w.seqOf) {
		return
	}
	live := make([]waitRef, 0, 2*len(w.seqOf))
	for _, ref := range w.order[w.head:] {
		if w.seqOf[ref.id] == ref.seq {
			live = append(live, ref)
		}
	}
	w.order, w.head = live, 0
}

// setSender stores txs as from's waiting transfers.
func (w *waiting) setSender(from blockchain.Address, txs []blockchain.Transaction) {
	if len(txs) == 0 {
		delete(w.bySender, from)
		return
	}
	w.bySender[from] = txs
}

// retry offers offer from's waiting transfers at the nonce next returns,
// the pool's next for from, in the order they were read, and again at
// the next nonce each time offer reports one taken. offer reports
// whether the pool took the transfer, or else whether it must still
// wait; one that need not is forgotten, and so are those whose nonce is
// below next. It stops at the first nonce past next, so a retry costs
// what the pool takes, and the few that wait at next.
func (w *waiting) retry(from blockchain.Address, next func() uint64, offer func(blockchain.Transaction) (taken, wait bool)) {
	txs := w.bySender[from]
	if len(txs) == 0 {
		return
	}
	want := next()
	kept := txs[:0] // those that still wait, in order; an alias of txs behind i
	i := 0
	for ; i < len(txs) && txs[i].Nonce() <= want; i++ {
		tx := txs[i]
		if tx.Nonce() == want {
			taken, wait := offer(tx)
			if taken {
				want = next()
			} else if wait {
				kept = append(kept, tx)
				continue
			}
		}
		delete(w.seqOf, tx.ID())
	}
	// One that waited at a nonce since taken by another is gone now too.
	kept = slices.DeleteFunc(kept, func(tx blockchain.Transaction) bool {
		if tx.Nonce() < want {
			delete(w.seqOf, tx.ID())
			return true
		}
		return false
	})
	if len(kept) < i {
		kept = append(kept, txs[i:]...) // copy handles the overlap: kept ends before i
		clear(txs[len(kept):])
		txs = kept
	}
	w.setSender(from, txs)
	w.compact()
}
