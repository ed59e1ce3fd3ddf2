// Package pow is proof of work as a [blockchain.Consensus] engine: a block
// is sealed when its seal hash, the SHA-256 of the header's 152-byte
// encoding ([blockchain.Header.SealHash]), starts with at least Header.Bits
// zero bits. Finding such a header takes about 2^Bits tries of the nonce;
// checking one takes a single hash. That asymmetry lets any node check,
// cheaply, that a miner spent real work on a block.
//
// The nonce, inside the 152 bytes, is the whole proof: a proof-of-work
// header has no Seal. So its block hash ([blockchain.Header.Hash], which
// would cover a seal) is the very same hash, and shows the zero bits too.
// A seal added to a mined block would leave the work valid but make another
// block; Verify refuses it.
//
// # The steps
//
//  1. Prepare sets Bits: a fixed difficulty ([Config].Bits), or, with
//     retargeting, one that rises or falls at the start of each epoch of
//     RetargetInterval blocks so that blocks come about every
//     TargetBlockTime ([Engine.BitsAt] explains the rule).
//  2. Seal splits the nonces over Workers goroutines, each running a
//     [Searcher]: hash, compare, next nonce. The first nonce found, or the
//     cancellation of Seal's context, stops them all. If every nonce fails,
//     the timestamp moves on by a millisecond and the search starts again.
//  3. Verify recomputes the Bits the rules require, checks that the Seal
//     is empty, and hashes the header once.
//
// # Speed
//
// A header is 152 bytes: SHA-256 works through them in 64-byte blocks,
// two full ones and a last one of 24 bytes plus SHA-256's padding. The
// first 128 bytes — the parent's hash, the Merkle root, the state root,
// the beneficiary, the transaction count, the version and Bits — do not
// change while the nonce does, so a [Searcher] compresses them once per
// candidate block (the midstate) and then, per nonce, only the last
// block: Height, Timestamp and Nonce with the padding. One compression
// per try instead of three. It allocates nothing per hash. Because the
// beneficiary and the state root lie inside the hashed bytes, the work
// covers them: a miner who takes another's block and names itself as
// the beneficiary has no proof of work left (TestWorkCoversTheWholeHeader).
//
// The benchmarks compare it with the machine's raw SHA-256 rate in the same
// run:
//
//	go test ./blockchain/pow -run '^$' -bench . -benchtime 2s
//
// # Cancellation
//
// A Searcher looks at its context every 1024 nonces (about 60 µs), so a
// miner whose block has lost the race stops within a fraction of a
// millisecond; BenchmarkSealCancel measures it.
//
// # Errors
//
// Verify and Prepare return a [*blockchain.RuleError]:
// [blockchain.ErrBadConsensusFields] when Bits are not what the rules
// require or the header carries a Seal, [blockchain.ErrInvalidSeal] when
// the seal hash has too few zero bits, [blockchain.ErrUnknownAncestor]
// when retargeting needs a header the chain view lacks. Seal returns
// ctx.Err() when cancelled, and refuses a block with a Seal as Verify
// would. Seal, and a [Searcher]'s Search, refuse a header of more than
// 256 Bits (no hash has more zero bits) with a RuleError of code
// [blockchain.ErrBadBits], and one dated where no encoding reaches with
// an error wrapping [blockchain.ErrMalformed]. [New] returns an error
// naming the first Config field that makes no sense.
package pow
