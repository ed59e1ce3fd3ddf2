package pool

import (
	"github.com/eventchain/eventchain/blockchain"
)

// Candidates returns up to limit pending transactions in the order a
// block should hold them: the next block's transactions. It returns fewer
// if fewer are pending, and none if limit ≤ 0. The slice is new; changing
// it does not change the pool.
//
// Each sender's transactions come in nonce order, and the next one is
// chosen among the senders' first still unchosen transactions by
// Policy.Order:
//
//   - [FIFO]: the one the pool admitted first;
//   - [HighestFee]: the one with the highest fee, the one admitted first
//     among equal fees.
//
// So with a chain the list applies on the chain's state in order, one
// transaction after the other: Chain.Propose leaves none out, as long as
// RemoveBlock has run for every block the chain accepted. (Between a
// block's Apply and its RemoveBlock, the list may still hold
// transactions the block included; Propose then leaves those out.)
//
// It takes O(limit·log limit) time, however many transactions and
// senders are pending: the pool keeps the senders' queues in a heap by
// their first transaction, and Candidates walks that heap without
// changing it.
//
// Candidates does not remove anything. A miner's block may lose the race
// to another miner's, and then its transactions must still be pending;
// they leave the pool through RemoveBlock once a block that includes them
// is in the chain, or through Remove.
func (p *Pool) Candidates(limit int) []blockchain.Transaction {
	p.mu.RLock()
	defer p.mu.RUnlock()
	n := min(limit, len(p.byID))
	if n <= 0 {
		return nil
	}
	heads := p.heads.qs
	f := frontier{fee: p.heads.fee, c: make([]cand, 0, 2*n+1)}
	f.push(newCand(heads[0], 0, 0))
	txs := make([]blockchain.Transaction, 0, n)
	for len(txs) < n && len(f.c) > 0 {
		c := f.pop()
		txs = append(txs, c.q.txs[c.i].tx)
		if c.node >= 0 { // a sender's first: its children in the heap are next in line
			for child := 2*c.node + 1; child <= 2*c.node+2 && child < len(heads); child++ {
				f.push(newCand(heads[child], 0, child))
			}
		}
		if next := c.i + 1; next < len(c.q.txs) { // the sender's next one is too
			f.push(newCand(c.q, next, -1))
		}
	}
	return txs
}

// better reports whether a goes before b: the higher fee first if fee,
// then the one admitted first. Every entry's seq is unique, so the order
// is total and Candidates always gives the same answer.
func better(a, b *entry, fee bool) bool {
	return betterKey(a.fee, a.seq, b.fee, b.seq, fee)
}

func betterKey(aFee int64, aSeq uint64, bFee int64, bSeq uint64, fee bool) bool {
	if fee && aFee != bFee {
		return aFee > bFee
	}
	return aSeq < bSeq
}

// A headHeap holds every sender's queue, ordered by its first transaction
// (its head) by [better]: a binary heap, kept up to date as transactions
// come and go, at O(log s) per change for s senders.
//
// Candidates walks it without changing it, the way one finds the k best
// elements of a binary heap: a small second heap, the frontier, starts
// with the root; each time it yields a queue's head it takes in the
// queue's two children in the heap and the queue's next transaction.
// Whatever is best among what has not been chosen is in the frontier: a
// head whose parent was not chosen yet is worse than that parent's head,
// and a sender's next transaction becomes eligible only once the one
// before it is chosen. The frontier grows by at most three per
// transaction chosen, so a block of k costs O(k·log k), whatever s is.
//
// It implements container/heap's Interface; each queue knows its index.
type headHeap struct {
	fee bool // Policy.Order == HighestFee
	qs  []*queue
}

func (h *headHeap) Len() int           { return len(h.qs) }
func (h *headHeap) Less(i, j int) bool { return better(h.qs[i].txs[0], h.qs[j].txs[0], h.fee) }
func (h *headHeap) Swap(i, j int) {
	h.qs[i], h.qs[j] = h.qs[j], h.qs[i]
	h.qs[i].at, h.qs[j].at = i, j
}
func (h *headHeap) Push(x any) {
	q := x.(*queue)
	q.at = len(h.qs)
	h.qs = append(h.qs, q)
}
func (h *headHeap) Pop() any {
	last := h.qs[len(h.qs)-1]
	h.qs[len(h.qs)-1] = nil
	h.qs = h.qs[:len(h.qs)-1]
	last.at = -1
	return last
}

// A cand is a transaction Candidates may choose next: q.txs[i], which is
// also the head of the queue at index node of the headHeap, or -1 if it
// is not the head. It copies the transaction's fee and seq, so that the
// frontier compares without following pointers.
type cand struct {
	fee  int64
	seq  uint64
	q    *queue
	i    int
	node int
}

func newCand(q *queue, i, node int) cand {
	e := q.txs[i]
	return cand{fee: e.fee, seq: e.seq, q: q, i: i, node: node}
}

func (f *frontier) better(i, j int) bool {
	a, b := &f.c[i], &f.c[j]
	return betterKey(a.fee, a.seq, b.fee, b.seq, f.fee)
}

// A frontier is Candidates' own small binary heap of cands, best on top,
// written out rather than through container/heap so that it boxes
// nothing.
type frontier struct {
	fee bool
	c   []cand
}

func (f *frontier) push(c cand) {
	f.c = append(f.c, c)
	for i := len(f.c) - 1; i > 0; {
		parent := (i - 1) / 2
		if !f.better(i, parent) {
			break
		}
		f.c[i], f.c[parent] = f.c[parent], f.c[i]
		i = parent
	}
}

func (f *frontier) pop() cand {
	top := f.c[0]
	last := len(f.c) - 1
	f.c[0] = f.c[last]
	f.c = f.c[:last]
	for i := 0; ; {
		best, l, r := i, 2*i+1, 2*i+2
		if l < last && f.better(l, best) {
			best = l
		}
		if r < last && f.better(r, best) {
			best = r
		}
		if best == i {
			return top
		}
		f.c[i], f.c[best] = f.c[best], f.c[i]
		i = best
	}
}
