// Package blockchain is the pure domain of eventchain: accounts and signed
// transactions, blocks, the chain of blocks, the rules that decide which
// blocks are valid, the account state they lead to, and the [Consensus]
// interface that proof of work (package pow) and other engines plug into.
// It does no I/O and starts no goroutines, so every idea in it can be
// tried in a unit test or a Go playground.
//
// # Accounts and keys
//
// An account is an ed25519 key pair. Its [Address] is the first 20 bytes
// of a tagged SHA-256 of the [PublicKey], written "ec…" with a checksum
// that catches every mistyped character ([ParseAddress]). Only the holder
// of the [PrivateKey] can spend from the account. The chain remembers
// each account's [Account]: its balance, in minor units, and its nonce,
// the number of transfers it has sent.
//
// # From a transfer to a chain
//
//  1. A network is defined by its [ChainSpec]: a chain ID, the balances at
//     genesis, the block reward and the consensus engine with its
//     parameters. [ChainSpec.Genesis] makes its genesis block, which
//     commits to the whole spec (PrevHash is [ChainSpec.Hash]) and to the
//     state of the allocations (StateRoot): another spec, another chain.
//  2. A sender signs a [Transfer] — chain ID, receiver, amount, fee and its
//     next nonce — into a [Transaction] ([Transfer.Sign]). The signature
//     covers every field, the chain ID included, so a transaction cannot
//     be changed, nor played on another network. Its ID comes from what
//     is signed, so a retry is the same transaction. [CheckTransactionSanity]
//     runs the rules that need nothing but the transaction
//     ([TxSanityRules]): amount and fee in range, a sender and a receiver
//     that differ, a well-formed chain ID, a sender that is the key's
//     account, and the signature.
//  3. A miner asks the chain to propose the next block ([Chain.Propose]):
//     the transactions that apply, in order, under a [Header]. The header
//     commits to the previous block (PrevHash), to the transactions
//     (MerkleRoot and TxCount), to every account after the block
//     (StateRoot) and to who is paid for it (Beneficiary). The Merkle
//     tree of the transactions is RFC 6962's: leaves and inner nodes are
//     hashed with different prefixes and no node is ever duplicated,
//     which closes two attacks known from Bitcoin ([MerkleRoot] draws the
//     tree and tells them).
//  4. A [Consensus] engine fills the header's consensus fields (Prepare,
//     which Propose runs), does the work (Seal) and checks it (Verify).
//     A header has two hashes: the seal hash ([Header.SealHash]), of its
//     152-byte encoding, is what the engine solves or signs; the block
//     hash ([Header.Hash]), of those 152 bytes followed by the engine's
//     Seal, is the block's identity, which PrevHash links point to.
//     Without a seal (proof of work) the two are equal.
//  5. A [Chain] starts at its spec's genesis and grows by [Chain.Apply].
//     First [Block.Validate] checks the block in itself: version, bits,
//     seal length and time within their limits, a beneficiary, the most
//     transactions a block may hold, the transaction count, each
//     transaction's form and no transaction twice (transaction by
//     transaction), and the Merkle root. Then the chain rules ([DefaultRules]):
//     the block links to the tip, its height is the tip's plus one, its
//     time is sane, every transaction names this chain, the engine
//     accepts it, and every signature verifies ([Block.VerifySignatures],
//     which a block remembers, so a node may verify many blocks on all its
//     cores before it applies them one by one). Last the state transition
//     must hold and lead to the header's StateRoot.
//  6. Someone who holds only a header can still be shown that a
//     transaction is in its block: [Block.InclusionProof] gives the
//     transaction's audit path, about log₂ n hashes, and
//     [VerifyTxInclusion] climbs from the transaction to the header's
//     MerkleRoot and accepts only an exact match.
//
// # The state transition and the state root
//
// A [State] holds every account's balance and nonce after a block. Each
// block runs its transactions in order: a transfer must carry its
// sender's next nonce (a used one is a replay, a larger one a gap) and
// the sender must hold amount + fee; the amount moves to the receiver,
// the fee is taken from the sender, and the nonce goes up by one. Then
// the block's Beneficiary is credited the spec's BlockReward plus the
// block's fees. So the supply grows by exactly the reward per block; no
// balance is ever negative, and the supply never passes math.MaxInt64.
// A [StateBatch] makes the changes of one block, all or nothing, and
// [StateBatch.Apply] returns the new State; the old one never changes.
//
// The accounts live in a sparse Merkle tree keyed by address, and
// [State.Root] is its root hash: a leaf is SHA-256(0x10 ‖ address ‖
// balance ‖ nonce), an inner node SHA-256(0x11 ‖ left ‖ right), an empty
// subtree 32 zero bytes. Every node computes the root after each block
// and compares it with the header's, so a header pins every balance. The
// tree is persistent: each State shares what its block did not touch
// with the one before, so the chain keeps the states of its newest
// heights ([Chain.StateAt], Config.StateHistory) for little more than
// what those blocks changed.
//
// What a chain holds grows with the accounts and the headers, not with
// the transactions: it keeps every header, the newest Window blocks, and
// the states. It keeps no index of the transactions it included — the
// nonce is what refuses a replay. [Chain.CheckTransaction] says whether a
// transaction could go into the next block, against the tip's state.
//
// In code, with the test kit of package consensustest for the spec, the
// engine and the keys (spec := consensustest.Spec(), engine :=
// consensustest.NewFaker(), alice := consensustest.Key("alice"), bob and
// miner consensustest.Addr("bob") and Addr("miner"); ctx a context):
//
//	chain, _ := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: engine})
//	tx := blockchain.Transfer{ChainID: spec.ChainID, To: bob, Amount: 125, Fee: 1, Nonce: 0}.Sign(alice)
//	block, rejected, _ := chain.Propose(miner, []blockchain.Transaction{tx}, time.Now())
//	sealed, _ := engine.Seal(ctx, block)
//	err := chain.Apply(sealed)
//	fmt.Println(rejected, err, chain.Account(bob))
//
// # Encodings
//
// Hashes are taken over explicit, versioned byte encodings, never over JSON
// or fmt output: [Transaction.MarshalBinary], [Header.MarshalBinary] and
// [ChainSpec.MarshalBinary] say byte by byte what is hashed (a block hash
// adds the header's Seal after the 152 bytes; a Merkle leaf is a
// transaction's encoding after a 0x00 byte). Every kind of thing hashed
// or signed has its own tag or prefix, so one can never pass for
// another: a transaction's signed message starts "eventchain/tx/v2", a
// spec's hash "eventchain/chainspec/v1", an address
// "eventchain/address/v1". Golden vectors computed in Python
// (testdata/*.py) pin every encoding to its documentation. Blocks,
// transactions and specs also have a JSON form for events and HTTP;
// decoding it is strict (unknown fields and trailing data are refused)
// and never believes a hash or ID it is given: one the contents do not
// have is an [ErrBadHash]. An [InclusionProof] has a binary and a JSON
// form too, both strict, both holding only proofs of a valid shape.
//
// # Errors
//
// Every broken rule is reported as a [*RuleError] whose Code, an
// [ErrorCode], names the rule; Have and Want say what was found and what
// was expected. Test for a rule with errors.Is(err, ErrBadNonce), or
// get the details with errors.As. [ErrorCodes] lists every code.
// [Chain.Propose] returns each transaction it left out as a [Rejected],
// with its rule. Bytes or JSON that do not describe a transaction,
// header, block, inclusion proof or chain spec at all give an error
// wrapping [ErrMalformed]; a written address that is not one gives an
// [*AddressError], a key or seed of the wrong form an error wrapping
// [ErrBadKey], a chain spec that breaks its rules a [*SpecError], and an
// inclusion proof that does not prove its leaf a [*ProofError] wrapping
// [ErrProofIndex], [ErrProofLength] or [ErrProofMismatch]. A consensus
// engine that breaks its contract (a Prepare, Verify or ConsensusSpec
// that panics, a Prepare that changes more than the consensus fields)
// gives an error wrapping [ErrEngineMisbehaved].
//
// # Concurrency
//
// Keys, transactions, headers, blocks, Merkle trees and States are
// immutable values, safe to share. A Chain is safe for concurrent use:
// one goroutine applies while others read; [Chain.ReadOnly] hands out a
// view that cannot apply. Engines must be safe for concurrent use. A
// StateBatch belongs to one goroutine.
package blockchain
