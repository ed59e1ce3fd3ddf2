package node

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// TestWaiting drives a waiting set with a pool of its own: next is the
// pool's next nonce for each sender, and offer takes a transfer at it
// unless the case says it must wait, or is refused for good. It checks
// what was offered, in order, and what still waits.
func TestWaiting(t *testing.T) {
	tx := func(from string, nonce uint64, amount int64) blockchain.Transaction {
		return consensustest.Transfer(from, "carol", amount, nonce)
	}
	far := func(from string, first, count int) []blockchain.Transaction {
		var out []blockchain.Transaction
		for i := range count {
			out = append(out, tx(from, uint64(first+i), 1))
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		limit   int
		add     []blockchain.Transaction
		refused []blockchain.Transaction // add reports false for these
		wait    map[int64]bool           // amounts offer says must wait
		never   map[int64]bool           // amounts offer refuses for good
		retry   string                   // the sender retried
		offered []string                 // "nonce/amount", in order
		left    map[string][]uint64      // the nonces that wait after, by sender
	}{
		{
			name: "in nonce order, whatever the read order", limit: 10,
			add:   []blockchain.Transaction{tx("alice", 2, 1), tx("alice", 0, 1), tx("alice", 1, 1)},
			retry: "alice", offered: []string{"0/1", "1/1", "2/1"},
		},
		{
			// What waits beyond the next nonce is not offered: a retry
			// costs what the pool takes.
			name: "stops at the first nonce past the next", limit: 1000,
			add:   append(far("alice", 100, 500), tx("alice", 0, 1)),
			retry: "alice", offered: []string{"0/1"},
			left: map[string][]uint64{"alice": nonces(100, 500)},
		},
		{
			name: "one that must still wait stays, and stops nothing at its nonce", limit: 10,
			add:   []blockchain.Transaction{tx("alice", 0, 7), tx("alice", 0, 1), tx("alice", 1, 1)},
			wait:  map[int64]bool{7: true},
			retry: "alice", offered: []string{"0/7", "0/1", "1/1"},
		},
		{
			name: "one that waits at a nonce taken by another is gone", limit: 10,
			add:   []blockchain.Transaction{tx("alice", 0, 7), tx("alice", 0, 1)},
			wait:  map[int64]bool{7: true},
			retry: "alice", offered: []string{"0/7", "0/1"},
		},
		{
			name: "one that waits at the next nonce waits on", limit: 10,
			add:   []blockchain.Transaction{tx("alice", 0, 7), tx("alice", 1, 1)},
			wait:  map[int64]bool{7: true},
			retry: "alice", offered: []string{"0/7"},
			left: map[string][]uint64{"alice": {0, 1}},
		},
		{
			name: "one refused for good is forgotten", limit: 10,
			add:   []blockchain.Transaction{tx("alice", 0, 7), tx("alice", 1, 1)},
			never: map[int64]bool{7: true},
			retry: "alice", offered: []string{"0/7"},
			left: map[string][]uint64{"alice": {1}},
		},
		{
			name: "below the next nonce, forgotten unoffered", limit: 10,
			add:   []blockchain.Transaction{tx("bob", 0, 1), tx("alice", 0, 1), tx("alice", 1, 1)},
			retry: "bob", offered: []string{"0/1"},
			left: map[string][]uint64{"alice": {0, 1}},
		},
		{
			name: "read twice, kept once", limit: 10,
			add:   []blockchain.Transaction{tx("alice", 0, 1), tx("alice", 0, 1)},
			retry: "alice", offered: []string{"0/1"},
		},
		{
			name: "a few at one nonce", limit: 10,
			add:     []blockchain.Transaction{tx("alice", 3, 1), tx("alice", 3, 2), tx("alice", 3, 3), tx("alice", 3, 4), tx("alice", 3, 5)},
			refused: []blockchain.Transaction{tx("alice", 3, 5)},
			retry:   "bob",
			left:    map[string][]uint64{"alice": {3, 3, 3, 3}},
		},
		{
			name: "the oldest forgotten when full", limit: 3,
			add:   []blockchain.Transaction{tx("mallory", 10, 1), tx("alice", 1, 1), tx("mallory", 11, 1), tx("alice", 0, 1)},
			retry: "alice", offered: []string{"0/1", "1/1"},
			left: map[string][]uint64{"mallory": {11}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWaiting(tc.limit)
			for _, x := range tc.add {
				want := true
				for _, r := range tc.refused {
					want = want && r.ID() != x.ID()
				}
				require.Equal(t, want, w.add(x), "add %d/%d", x.Nonce(), x.Amount())
			}
			next := map[blockchain.Address]uint64{} // every sender's pool starts at nonce 0
			var offered []string
			from := consensustest.Addr(tc.retry)
			w.retry(from, func() uint64 { return next[from] }, func(x blockchain.Transaction) (bool, bool) {
				offered = append(offered, fmt.Sprintf("%d/%d", x.Nonce(), x.Amount()))
				switch {
				case tc.wait[x.Amount()]:
					return false, true
				case tc.never[x.Amount()]:
					return false, false
				}
				next[from]++
				return true, false
			})
			assert.Equal(t, tc.offered, offered)
			left := map[string][]uint64{}
			total := 0
			for _, name := range []string{"alice", "bob", "mallory"} {
				for _, x := range w.bySender[consensustest.Addr(name)] {
					left[name] = append(left[name], x.Nonce())
					total++
				}
			}
			if tc.left == nil {
				tc.left = map[string][]uint64{}
			}
			assert.Equal(t, tc.left, left)
			assert.Equal(t, total, w.len(), "every waiting transfer is in its sender's list once")
		})
	}
}

// nonces returns count nonces from first on.
func nonces(first, count int) []uint64 {
	out := make([]uint64, count)
	for i := range out {
		out[i] = uint64(first + i)
	}
	return out
}

// TestWaitingStaysBounded: however many transfers come and go, a waiting
// set holds at most its limit, and its record of arrivals O(limit).
func TestWaitingStaysBounded(t *testing.T) {
	const limit = 16
	w := newWaiting(limit)
	for i := range 1000 {
		sender := []string{"alice", "bob", "mallory"}[i%3]
		require.True(t, w.add(consensustest.Transfer(sender, "carol", int64(1+i), uint64(100+i))))
		if i%7 == 0 { // now and then a retry takes what waits at a sender's next nonce
			from := consensustest.Addr(sender)
			w.retry(from, func() uint64 { return uint64(100 + i) }, func(blockchain.Transaction) (bool, bool) { return true, false })
		}
		require.LessOrEqual(t, w.len(), limit)
		require.LessOrEqual(t, len(w.order), 2*limit+64, "after %d", i)
	}
	assert.Positive(t, w.len())
}
