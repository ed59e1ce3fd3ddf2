// Package blockchain is the pure domain of eventchain: transactions, blocks,
// the chain of blocks, the rules that decide which blocks are valid, and the
// [Consensus] interface that proof of work (package pow) and other engines
// plug into. It does no I/O and starts no goroutines, so every idea in it can
// be tried in a unit test or a Go playground.
//
// # From a transaction to a chain
//
//  1. A [Transaction] moves an amount of minor units between two accounts.
//     Its [Hash] is SHA-256 of a canonical byte encoding, so everyone agrees
//     on it. [CheckTransactionSanity] runs the rules that need nothing but
//     the transaction ([TxSanityRules]).
//  2. A [Block] bundles transactions under a [Header]. The header commits
//     to the transactions through their Merkle root ([TxMerkleRoot]), to
//     the previous block through PrevHash, and to the work done through
//     Bits and Nonce. The Merkle tree is RFC 6962's: leaves and inner nodes
//     are hashed with different prefixes and no node is ever duplicated,
//     which closes two attacks known from Bitcoin ([MerkleRoot] draws the
//     tree and tells them). It has
//     two hashes: the seal hash ([Header.SealHash]), of its 96-byte
//     encoding, is what a consensus engine solves or signs; the block hash
//     ([Header.Hash]), of those 96 bytes followed by the engine's Seal, is
//     the block's identity, which PrevHash links point to. Without a seal
//     (proof of work) the two are equal.
//  3. [Block.Validate] checks a block in itself: version, limits, each
//     transaction, no transaction twice, the Merkle root.
//  4. A [Consensus] engine fills the header's consensus fields (Prepare),
//     does the work (Seal) and checks it (Verify).
//  5. A [Chain] starts at [Genesis] and grows by [Chain.Apply], which runs
//     Validate and then the chain rules ([DefaultRules]): the block links
//     to the tip, its height is the tip's plus one, its time is sane, none
//     of its transactions is already in the chain, and the engine accepts
//     it. The chain can keep just a window of recent blocks in memory and
//     still answer where any transaction was included ([Chain.Inclusion]).
//  6. Someone who holds only a header can still be shown that a
//     transaction is in its block: [Block.InclusionProof] gives the
//     transaction's audit path, about log₂ n hashes, and
//     [VerifyTxInclusion] climbs from the transaction to the header's
//     MerkleRoot and accepts only an exact match.
//
// # Accounts (being built)
//
// The chain is moving to the account model: each [Address] — derived
// from an ed25519 [PublicKey], written with a checksum that catches every
// mistyped character — has a balance and a nonce ([Account]). A [State]
// holds them all and changes only through a [StateBatch], all or nothing,
// whose Transfer checks the nonce (no replay, no gap), the funds and
// every int64 edge. A [ChainSpec] names a network: its chain ID, the
// genesis allocations, the block reward and the consensus engine with its
// parameters, with a canonical encoding and a [ChainSpec.Hash]. Signed
// transactions and the chain's use of the state and the spec come next;
// today's [Transaction] still names accounts by label and is not signed.
//
// In code, with the test engine of package consensustest:
//
//	chain, _ := blockchain.NewChain(blockchain.Config{Engine: engine})
//	tx := blockchain.NewTransaction(uuid.New(), "alice", "bob", 125, time.Now())
//	h := blockchain.NextHeader(chain.Tip(), []blockchain.Transaction{tx}, time.Now())
//	_ = engine.Prepare(chain, &h)
//	sealed, _ := engine.Seal(ctx, blockchain.NewBlock(h, []blockchain.Transaction{tx}))
//	err := chain.Apply(sealed)
//
// # Encodings
//
// Hashes are taken over explicit, versioned byte encodings, never over JSON
// or fmt output: [Transaction.MarshalBinary] and [Header.MarshalBinary] say
// byte by byte what is hashed (a block hash adds the header's Seal after
// the 96 bytes; a Merkle leaf is a transaction's encoding after a 0x00
// byte). Blocks and transactions also have a JSON form for events and
// HTTP; decoding it is strict (unknown fields and trailing data are
// refused) and never believes a hash it is given: a hash the contents do
// not have is an [ErrBadHash]. An [InclusionProof] has a binary and a JSON
// form too, both strict, both holding only proofs of a valid shape.
//
// # Errors
//
// Every broken rule is reported as a [*RuleError] whose Code, an
// [ErrorCode], names the rule; Have and Want say what was found and what
// was expected. Test for a rule with errors.Is(err, ErrBadMerkleRoot), or
// get the details with errors.As. [ErrorCodes] lists every code. Bytes or
// JSON that do not describe a transaction, header, block, inclusion proof
// or chain spec at all give an error wrapping [ErrMalformed]; a written
// address that is not one gives an [*AddressError], a chain spec that
// breaks its rules a [*SpecError], and an inclusion proof that does not
// prove its leaf a [*ProofError] wrapping [ErrProofIndex], [ErrProofLength]
// or [ErrProofMismatch].
//
// # Concurrency
//
// Transactions, headers, blocks and Merkle trees are immutable values, safe
// to share. A Chain is safe for concurrent use. Engines must be safe for
// concurrent use. A State may be read from several goroutines while no
// batch commits; a StateBatch belongs to one goroutine.
package blockchain
