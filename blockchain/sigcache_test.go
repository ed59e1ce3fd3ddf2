package blockchain_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// TestSigCache: a verified transaction is remembered by hash, a forged
// one never is, the oldest is forgotten first, and the cached rule gives
// the plain rule's answers.
func TestSigCache(t *testing.T) {
	cache := blockchain.NewSigCache(2)
	a, b, c := consensustest.Transfer("alice", "bob", 1, 0), consensustest.Transfer("alice", "bob", 2, 1), consensustest.Transfer("alice", "bob", 3, 2)
	sig := a.Signature()
	sig[0] ^= 1
	forged := blockchain.NewTransaction(a.Fields(), sig[:])
	require.Equal(t, a.ID(), forged.ID(), "same fields, same ID: only the hash tells them apart")

	assert.True(t, cache.Verify(a))
	assert.False(t, cache.Verify(forged), "a forged signature is verified afresh, not taken from the cache")
	assert.Equal(t, 1, cache.Len(), "failures are not cached")
	assert.True(t, cache.Verify(b))
	assert.True(t, cache.Verify(c))
	assert.Equal(t, 2, cache.Len(), "at most its size")

	rule := blockchain.RuleSignatureCached(cache)
	assert.Equal(t, blockchain.RuleSignature().Name, rule.Name)
	for _, tx := range []blockchain.Transaction{a, b, c, forged} {
		assert.Equal(t, blockchain.RuleSignature().Check(tx) == nil, rule.Check(tx) == nil, "%s", tx)
	}
	assert.ErrorIs(t, rule.Check(forged), blockchain.ErrBadSignature)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { assert.True(t, cache.Verify(consensustest.Transfer("bob", "carol", int64(i+1), 0))) })
	}
	wg.Wait()
	assert.Equal(t, 2, cache.Len())
}

// TestNoSigCache: a nil or zero cache caches nothing, and the rules
// through it still check every signature.
func TestNoSigCache(t *testing.T) {
	a := consensustest.Transfer("alice", "bob", 1, 0)
	sig := a.Signature()
	sig[0] ^= 1
	forged := blockchain.NewTransaction(a.Fields(), sig[:])
	for _, tc := range []struct {
		name  string
		cache *blockchain.SigCache
	}{{"nil", nil}, {"zero", new(blockchain.SigCache)}} {
		t.Run(tc.name, func(t *testing.T) {
			assert.True(t, tc.cache.Verify(a))
			assert.False(t, tc.cache.Verify(forged))
			assert.Zero(t, tc.cache.Len(), "nothing remembered")
			rule := blockchain.RuleSignatureCached(tc.cache)
			assert.NoError(t, rule.Check(a))
			assert.ErrorIs(t, rule.Check(forged), blockchain.ErrBadSignature)
		})
	}
}

// BenchmarkSigCache compares a cached check with raw verification.
func BenchmarkSigCache(b *testing.B) {
	tx := consensustest.Transfer("alice", "bob", 1, 0)
	cache := blockchain.NewSigCache(16)
	require.True(b, cache.Verify(tx))
	b.ReportAllocs()
	for b.Loop() {
		cache.Verify(tx)
	}
}

// TestChainSigCache: a chain whose Config.SigCache is set verifies
// through it — what the cache holds is not verified again, what it
// verifies it remembers — and still refuses a forged signature.
func TestChainSigCache(t *testing.T) {
	cache := blockchain.NewSigCache(64)
	cfg := consensustest.Config(consensustest.NewFaker())
	cfg.SigCache = cache
	chain, err := blockchain.NewChain(cfg)
	require.NoError(t, err)

	tx := consensustest.Transfer("alice", "bob", 5, 0)
	b, rejected, err := chain.Propose(consensustest.Addr("miner"), []blockchain.Transaction{tx}, blockchain.GenesisTime.Add(time.Minute))
	require.NoError(t, err)
	require.Empty(t, rejected)
	require.NoError(t, chain.Apply(b))
	assert.Equal(t, 1, cache.Len(), "the block's signature, remembered")

	next := consensustest.Transfer("alice", "bob", 5, 1)
	sig := next.Signature()
	sig[0] ^= 1
	forged := blockchain.NewTransaction(next.Fields(), sig[:])
	h := blockchain.NextHeader(chain.Tip(), []blockchain.Transaction{forged}, blockchain.GenesisTime.Add(2*time.Minute))
	h.Beneficiary, h.StateRoot = consensustest.Addr("miner"), chain.Tip().StateRoot
	assert.ErrorIs(t, chain.Apply(blockchain.NewBlock(h, []blockchain.Transaction{forged})), blockchain.ErrBadSignature)
	assert.Equal(t, 1, cache.Len(), "a failure is not remembered")
}

// TestSigCacheOfAHugeSize: NewSigCache made room for its whole size at
// once, so a size no node fills (a pool's capacity doubled, say) took
// gigabytes before the first transaction, and math.MaxInt panicked
// ("makeslice: cap out of range"). It now makes room for at most
// SigCachePrealloc hashes and grows as it fills, up to its size and no
// further.
func TestSigCacheOfAHugeSize(t *testing.T) {
	const bound = 8 << 20 // bytes: the room made at once is about 1.3 MB
	for _, size := range []int{1 << 22, math.MaxInt} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cache, err := newSigCacheRecovered(size)
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(bound), "bytes allocated by NewSigCache(%d)", size)
			a, b := consensustest.Transfer("alice", "bob", 1, 0), consensustest.Transfer("alice", "bob", 2, 1)
			assert.True(t, cache.Verify(a))
			assert.True(t, cache.Verify(b))
			assert.Equal(t, 2, cache.Len())
		})
	}
	// Past the room made at once, up to the size, then the oldest goes.
	size := blockchain.SigCachePrealloc + 100
	cache := blockchain.NewSigCache(size)
	hashOf := func(i int) blockchain.Hash {
		var h blockchain.Hash
		binary.BigEndian.PutUint64(h[:], uint64(i))
		return h
	}
	for i := range size {
		blockchain.SigCacheAdd(cache, hashOf(i))
	}
	assert.Equal(t, size, cache.Len(), "filled to its size")
	blockchain.SigCacheAdd(cache, hashOf(size))
	assert.Equal(t, size, cache.Len(), "and no further")
}

// newSigCacheRecovered calls NewSigCache, a panic turned into an error.
func newSigCacheRecovered(size int) (cache *blockchain.SigCache, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("NewSigCache(%d) panicked: %v", size, v)
		}
	}()
	return blockchain.NewSigCache(size), nil
}
