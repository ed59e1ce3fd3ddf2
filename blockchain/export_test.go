package blockchain

// DecodesToSmallOrder exports decodesToSmallOrder, IsSmallOrder done the
// slow way, for the tests that check the table against it.
var DecodesToSmallOrder = decodesToSmallOrder

// ChangedOutsideConsensus names the first field other than Bits, Nonce
// and Seal in which after differs from before.
func ChangedOutsideConsensus(before, after Header) string {
	return changedOutsideConsensus(before, after)
}
