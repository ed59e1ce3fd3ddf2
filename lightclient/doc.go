// Package lightclient is headers-only sync and proof verification: a
// client that trusts only the genesis.
//
// A full node downloads every block and checks every rule. A light client
// — a wallet on a phone, a bank's customer who wants to see for herself —
// cannot afford that, and need not: the headers alone, 96 bytes and a seal
// each, chain back to the genesis and carry the proof of work (or the
// signers' signatures). Checking a header costs one SHA-256 for proof of
// work, so a client checks 100 000 of them in well under a second, and
// then holds, for every block, a Merkle root it can trust. With it, the
// client checks that a transaction is in a block from a short inclusion
// proof, without the block's other transactions. This is Bitcoin's
// "simplified payment verification" (the Bitcoin paper, section 8).
//
// # The steps
//
//  1. [New] takes the trust anchor, the genesis block's hash, and the
//     network's consensus engine (pow or poa, configured as the nodes'),
//     a clock and the allowed clock drift.
//  2. [Client.Add] takes headers in height order. The first must be the
//     genesis: its hash must be the anchor. Every later one must keep the
//     chain's own rules — the same [blockchain.Rule] values a node's
//     chain runs (see [HeaderRules]): it links to the tip by the tip's
//     block hash (which covers the seal), its height is the tip's plus
//     one, its time is not before the tip's nor too far ahead of the
//     clock, and the engine's Verify accepts its consensus fields and
//     seal. The engine sees the accepted headers through a read-only view
//     and the header as a block without transactions; pow and poa need
//     nothing more (pow reads older headers for retargeting, poa reads
//     only the header). An engine whose Verify looked at transactions
//     could not serve a light client.
//  3. Headers come from a source. [Client.FromBank] pages through a
//     bank's GET /headers; [Client.FromLog] reads the BlockMined events of
//     the log's blocks stream, as a node restores. Neither source is
//     trusted: every header goes through Add. Both stop at the source's
//     end and resume from the client's tip the next time.
//  4. [Client.VerifyTransaction] checks an inclusion proof against the
//     Merkle root of a header the client accepted.
//
// What a light client cannot check is what needs the transactions of the
// whole chain: that no transaction is included twice
// (blockchain.ErrAlreadyIncluded), and, later, account balances. It
// relies on the work (or the signers) behind the headers for those, as
// SPV does; see FromLog for what that means when reading a log.
//
// # Errors
//
// Add refuses a header with a [*blockchain.RuleError] carrying the
// chain's code, tested with errors.Is: ErrPrevHashMismatch, ErrBadHeight,
// ErrTimeBeforeParent, ErrTimeTooFarAhead, ErrInvalidSeal,
// ErrBadConsensusFields, ErrUnknownAncestor, or a header sanity code
// (ErrBadVersion, ErrBadBits, ErrSealTooLong, ErrBadTimestamp); a wrong
// first header with [ErrWrongGenesis]. A refused header changes nothing.
// VerifyTransaction returns [ErrNotVerified] for a height the client holds
// no header for, and otherwise a [*blockchain.ProofError]. A source that
// answers nonsense gives [ErrBadSource]. No input makes the client panic.
package lightclient
