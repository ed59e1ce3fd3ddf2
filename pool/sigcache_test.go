package pool_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/pool"
)

// TestPoolSharesItsSigCache: the default rules check signatures through
// the pool's cache, so a node that verifies a submission through it
// first (outside its own lock) leaves the pool nothing to verify; a
// forged copy of a pending transaction (same ID, another signature) is
// still refused by the signature rule, and the very same transaction
// again is a duplicate at once.
func TestPoolSharesItsSigCache(t *testing.T) {
	cache := blockchain.NewSigCache(16)
	p, err := pool.New(pool.Config{Chain: consensustest.NewChain(consensustest.NewFaker()), SigCache: cache})
	require.NoError(t, err)
	require.Same(t, cache, p.SigCache())

	tx := consensustest.Transfer("alice", "bob", 1, 0)
	require.True(t, cache.Verify(tx), "the node's part, before its lock")
	require.NoError(t, p.Check(tx))
	require.NoError(t, p.Add(tx))
	assert.Equal(t, 1, cache.Len(), "verified once, found in the cache twice")
	assert.ErrorIs(t, p.Add(tx), pool.ErrDuplicate)

	sig := tx.Signature()
	sig[5] ^= 1
	forged := blockchain.NewTransaction(tx.Fields(), sig[:])
	require.Equal(t, tx.ID(), forged.ID())
	assert.ErrorIs(t, p.Add(forged), blockchain.ErrBadSignature, "not mistaken for the pending one")

	own, err := pool.New(pool.Config{})
	require.NoError(t, err)
	require.NotNil(t, own.SigCache(), "a pool makes its own cache")
	require.NoError(t, own.Add(tx))
	assert.Equal(t, 1, own.SigCache().Len())
}

// TestHugePoolCapacity: a pool makes its own signature cache of twice
// its capacity. Doubled, a capacity above math.MaxInt/2 wrapped round to
// a negative size, and the cache held a single transaction: every other
// was verified again at each check. The size now stops at math.MaxInt,
// and the cache makes room as it fills (blockchain's
// TestSigCacheOfAHugeSize), not all at once.
func TestHugePoolCapacity(t *testing.T) {
	for _, capacity := range []int{math.MaxInt/2 + 1, math.MaxInt} {
		t.Run(fmt.Sprint(capacity), func(t *testing.T) {
			policy := pool.DefaultPolicy()
			policy.Capacity = capacity
			assert.Equal(t, math.MaxInt, policy.SigCacheSize())
			p, err := pool.New(pool.Config{Policy: policy})
			require.NoError(t, err)
			cache := p.SigCache()
			assert.True(t, cache.Verify(consensustest.Transfer("alice", "bob", 1, 0)))
			assert.True(t, cache.Verify(consensustest.Transfer("alice", "bob", 2, 1)))
			assert.Equal(t, 2, cache.Len(), "the cache holds more than one")
		})
	}
	assert.Equal(t, 20_000, pool.DefaultPolicy().SigCacheSize(), "twice the capacity")
}
