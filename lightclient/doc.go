// Package lightclient is headers-only sync and proof verification: a
// client that trusts one hash, the genesis block's, and checks everything
// else itself.
//
// A full node downloads every block, runs every transaction and keeps
// every account. A light client — a wallet on a phone, a bank's customer
// who wants to see for herself — cannot afford that, and need not: the
// headers alone, 152 bytes and a seal each, chain back to the genesis and
// carry the proof of work (or the signers' signatures). Checking a header
// costs one SHA-256 for proof of work, so a client checks 100 000 of them
// in a fraction of a second. Each header it accepts gives it two roots it
// can trust: the Merkle root of the block's transactions (with their
// count), and the state root of every account's balance and nonce after
// the block. A short proof against either root then shows one fact
// without the rest of the chain: that a transaction is in a block, or what
// an account held after it. This is Bitcoin's "simplified payment
// verification" (the Bitcoin paper, section 8), with Ethereum's state
// proofs added.
//
// # The trust anchor
//
// The client trusts exactly one value, [Config.Genesis]: the hash of the
// network's genesis block, the block spec.Genesis() returns for its
// [blockchain.ChainSpec] (g, err := spec.Genesis(); then g.Hash()). The
// genesis commits to the whole spec (its
// PrevHash is the spec's hash, so the chain ID, the allocations, the block
// reward and the consensus rules) and to the balances at genesis (its
// StateRoot). Every later header is accepted only because it links back to
// that hash through headers whose work the client checked. Where the hash
// comes from is the caller's decision, and the one place trust enters: a
// spec file the user checked, release notes, or — trust on first use —
// the spec of the very server the client then syncs from.
//
// # The steps
//
//  1. [New] takes the trust anchor and the network's consensus engine
//     (pow or poa, configured as the spec says), a clock and the allowed
//     clock drift.
//  2. [Client.Add] takes headers in height order. The first must be the
//     genesis: its hash must be the anchor. Every later one must keep the
//     header's own rules (those of [blockchain.Block.Validate] that a
//     header alone can break, such as a known version, a beneficiary, a
//     transaction count a block may hold and, for an empty block, the
//     Merkle root of no transactions) and the chain's rules that
//     need no transaction — the same [blockchain.Rule] values a node's
//     chain runs (see [HeaderRules]): it links to the tip by the tip's
//     block hash (which covers the seal), its height is the tip's plus
//     one, its time is not before the tip's nor too far ahead of the
//     clock (for a header read from the log, the time the log recorded
//     its block, as nodes judge it; a client's MaxDrift below the nodes'
//     would refuse what they took), and the engine's Verify accepts its consensus fields and
//     seal. The engine sees the accepted headers through a read-only view
//     and the header as a block without transactions; pow and poa need
//     nothing more (pow reads older headers for retargeting, poa reads
//     only the header). An engine whose Verify looked at transactions
//     could not serve a light client. The work covers the whole header —
//     its roots, its count, its beneficiary — so no one can change any of
//     them without doing the work again.
//  3. Headers come from a source. [Client.FromBank] pages through a
//     bank's GET /headers; [Client.FromLog] reads the BlockMined events of
//     the log's blocks stream, as a node restores, starting from the
//     genesis of the log's chain spec. Neither source is trusted: every
//     header goes through Add. Both stop at the source's end and resume
//     from the client's tip the next time.
//  4. [Client.VerifyTransaction] checks an inclusion proof (a bank's GET
//     /transactions/{id}/proof) against the Merkle root and the
//     transaction count of a header the client accepted, and first the
//     transaction itself: its signature by its sender's key, over every
//     field, as every node checks it ([blockchain.CheckTransactionSanity]).
//     A transaction's ID covers what it signs, not the signature, so
//     without that a forged block could show any transfer, unsigned, as
//     included.
//     [Client.VerifyAccount] and [Client.VerifyAccountAt] check an account
//     proof (a bank's GET /accounts/{address}/proof) against the state
//     root of one: a balance and a nonce, or the absence of an account.
//     Whatever header a server sends along with a proof is ignored; the
//     client uses its own.
//
// # What a light client cannot check
//
// It holds no transaction and no state, so it cannot run the state
// transition: that each transaction of a block was signed by its sender,
// for this chain (it checks the one it is asked about; its chain ID is
// the caller's to compare with the spec), with the sender's next nonce and funds to cover it, and that the
// header's state root is the one they lead to. It relies on the work (or
// the signers) behind the headers for that, as SPV does — and the work
// behind a claim is the work of the blocks that carry it, no more.
//
// A client takes the chain its source gives it, and compares no chains:
// a source that lies can mine a header of its own on the honest chain's
// tip, whose state root says what it likes, at one block's work at the
// chain's difficulty, which Add accepts (a full node's Apply refuses the
// block, as it runs the transactions). A claim in block h is carried by
// the blocks from h to the tip: to forge it the source must mine all of
// them. So ask for depth, as Bitcoin's wallets count confirmations: check
// a transaction only once enough blocks are on it, and an account at
// VerifyAccountAt of a height under the tip (examples/wallet's
// -confirmations does both). Count depth by work, not by blocks, where
// the difficulty retargets: a source that dates its own blocks far apart
// lets the difficulty fall to the spec's floor, and then mines blocks by
// the thousand for next to nothing (the wallet counts a block of Bits b
// on a claim as min(1, 2^(b − the spec's Bits)) blocks). Under proof of
// authority a forged header
// needs a signer's key instead; depth then guards against one signer
// that lies. FromLog says what this means when reading a log.
//
// # Errors
//
// Add refuses a header with a [*blockchain.RuleError] carrying the
// chain's code, tested with errors.Is: ErrPrevHashMismatch, ErrBadHeight,
// ErrTimeBeforeParent, ErrTimeTooFarAhead, ErrInvalidSeal,
// ErrBadConsensusFields, ErrUnknownAncestor, or a header sanity code
// (ErrBadVersion, ErrBadBits, ErrSealTooLong, ErrBadTimestamp,
// ErrMissingBeneficiary, ErrTooManyTransactions, ErrBadMerkleRoot for an
// empty block's); a wrong first header
// with [ErrWrongGenesis], one past Config.MaxHeaders with
// [ErrTooManyHeaders]. A refused header changes nothing.
//
// The proof checks return a [*NotVerifiedError] (errors.Is
// [ErrNotVerified]) for a height the client holds no header for, and
// otherwise a [*blockchain.ProofError] saying why the proof does not
// hold: for a transaction, [ErrProofCount] (a count other than the
// header's), blockchain.ErrProofIndex, ErrProofLength or ErrProofMismatch
// (a changed or swapped sibling, another index, a transaction of another
// block); for an account, blockchain.ErrProofHeight (a proof of another
// height than asked), ErrProofMismatch (a changed balance, nonce, address
// or sibling, an absence claimed for an account that exists) or
// ErrProofMalformed. A source that answers nonsense gives [ErrBadSource].
// No input makes the client panic; the fuzz tests hold it to that, and to
// accepting only proofs of what the chain really holds.
//
// # Concurrency
//
// A Client is safe for concurrent use: one goroutine may sync while others
// check proofs.
package lightclient
