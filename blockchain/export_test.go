package blockchain

// DecodesToSmallOrder exports decodesToSmallOrder, IsSmallOrder done the
// slow way, for the tests that check the table against it.
var DecodesToSmallOrder = decodesToSmallOrder

// ChangedOutsideConsensus names the first field other than Bits, Nonce
// and Seal in which after differs from before.
func ChangedOutsideConsensus(before, after Header) string {
	return changedOutsideConsensus(before, after)
}

// SigCacheAdd caches hash in c as a verified signature would, without
// the 50 µs a signature takes to make and verify: a test fills a cache
// of tens of thousands with it.
func SigCacheAdd(c *SigCache, hash Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(hash)
}

// SigCachePrealloc is how many hashes NewSigCache makes room for at once,
// at most.
const SigCachePrealloc = sigCachePrealloc
