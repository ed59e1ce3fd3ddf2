package blockchain

import "sync"

// A SigCache remembers transactions whose signatures verified, so that a
// transaction checked on its way in is not checked again: a node checks
// a submission before it appends it to the log, its pool checks it when
// it admits it, and every node checks it once more in the block that
// includes it. Verifying an ed25519 signature takes about 50 µs; a look
// in the cache well under one. Bitcoin Core keeps such a cache for the
// same reason.
//
// It is keyed by the transaction's Hash, which covers the signature, so
// only the very same bytes hit: a transaction whose signature was changed
// has another hash and is verified afresh. Only successes are cached. It
// holds at most its size's hashes, forgetting the oldest first.
//
// A SigCache is safe for concurrent use. Make one with [NewSigCache]; a
// nil *SigCache, or a zero SigCache, caches nothing: its Verify verifies
// every time.
type SigCache struct {
	mu   sync.Mutex
	seen map[Hash]struct{}
	ring []Hash // the cached hashes, oldest at next once full
	size int    // the most hashes it holds: ring's length once full
	next int
}

// sigCachePrealloc bounds the room NewSigCache makes at once, in hashes
// (about 1.3 MB): a cache grows from there as it fills, so a size far
// larger than a node ever fills, or than memory holds, costs nothing
// until it is used.
const sigCachePrealloc = 1 << 14

// NewSigCache returns an empty cache of at most size hashes (at least 1):
// 32 bytes and a map entry each, about 80 bytes in all. It makes room
// for at most 16 384 of them at once, and grows as it fills: any size is
// safe to ask for, math.MaxInt included.
func NewSigCache(size int) *SigCache {
	size = max(size, 1)
	room := min(size, sigCachePrealloc)
	return &SigCache{seen: make(map[Hash]struct{}, room), ring: make([]Hash, 0, room), size: size}
}

// Verify reports whether tx's signature verifies ([Transaction.VerifySignature]),
// from the cache if it holds tx's hash, and caches a success. Verifying
// runs outside the cache's lock, so several goroutines verify in
// parallel.
func (c *SigCache) Verify(tx Transaction) bool {
	if c == nil || c.seen == nil { // no cache
		return tx.VerifySignature()
	}
	c.mu.Lock()
	_, ok := c.seen[tx.hash]
	c.mu.Unlock()
	if ok {
		return true
	}
	if !tx.VerifySignature() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(tx.hash)
	return true
}

// addLocked caches hash, forgetting the oldest once the cache holds its
// size. Call it with c.mu held.
func (c *SigCache) addLocked(hash Hash) {
	if _, ok := c.seen[hash]; ok {
		return
	}
	if len(c.ring) < c.size {
		c.ring = append(c.ring, hash)
	} else {
		delete(c.seen, c.ring[c.next])
		c.ring[c.next] = hash
		c.next = (c.next + 1) % len(c.ring)
	}
	c.seen[hash] = struct{}{}
}

// Len returns how many hashes the cache holds.
func (c *SigCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// RuleSignatureCached returns the rule "signature" of [RuleSignature],
// answered through cache: the same rule, the same error, checked once per
// transaction while the cache remembers it. A nil cache is none: every
// transaction is checked.
func RuleSignatureCached(cache *SigCache) TxRule {
	plain := RuleSignature()
	return TxRule{plain.Name, func(tx Transaction) error {
		if cache.Verify(tx) {
			return nil
		}
		return plain.Check(tx)
	}}
}
