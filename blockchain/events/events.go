package events

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
)

// The event types: what [Encode] writes in eventlog.Event.Type and what
// [Decode] reads there to know which payload the data holds. They are part
// of the stored format, so they never change; a new kind of event gets a
// new name.
const (
	// TypeTransactionSubmitted is the type of a [TransactionSubmitted]
	// (bank → transactions stream).
	TypeTransactionSubmitted = "TransactionSubmitted"
	// TypeTransactionRebroadcast is the type of a [TransactionRebroadcast]
	// (auditor → transactions stream).
	TypeTransactionRebroadcast = "TransactionRebroadcast"
	// TypeBlockMined is the type of a [BlockMined] (miner → blocks stream).
	TypeBlockMined = "BlockMined"
	// TypeTransactionVerified is the type of a [TransactionVerified]
	// (auditor → audit stream).
	TypeTransactionVerified = "TransactionVerified"
	// TypeTransactionDropped is the type of a [TransactionDropped]
	// (auditor → audit stream).
	TypeTransactionDropped = "TransactionDropped"
	// TypeBlockRejected is the type of a [BlockRejected] (node → audit
	// stream).
	TypeBlockRejected = "BlockRejected"
	// TypeChainSpecDeclared is the type of a [ChainSpecDeclared] (the
	// first app of a network → chain-spec stream).
	TypeChainSpecDeclared = "ChainSpecDeclared"
	// TypeChainLost is the type of a [ChainLost] (a node that saw its
	// log lose the chain → the emptied chain-spec stream).
	TypeChainLost = "ChainLost"
)

// StreamChainSpec is the stream that holds a network's [ChainSpecDeclared]:
// one event, appended by whoever starts the network first with
// eventlog.NoStream, so that two apps racing to declare different specs
// cannot both succeed. Its first event is the network's spec; package node
// reads it (node.LoadSpec). The other streams are named in package node,
// which reads and writes them.
const StreamChainSpec = "chain-spec"

// SchemaVersion is the version of the JSON payloads this package writes,
// stored in every payload as its "v" field: 1 for every event type today.
// Decode reads this version only; see the package documentation for how a
// version 2 would be added.
const SchemaVersion = 1

// Namespace is the UUID namespace of every event ID: an event's ID is the
// version-5 UUID (SHA-1) of its type and content key in this namespace,
// as [Encode] computes it. The value is itself the version-5 UUID of the
// URL "https://github.com/eventchain/eventchain/blockchain/events" in the
// URL namespace of RFC 9562, so anyone can recompute it.
//
// It is part of the stored format: changing it would give every event a
// new ID, and Decode would refuse every event already in a log with
// [ErrIDMismatch]. Treat it as a constant (Go has no constant arrays).
var Namespace = uuid.MustParse("0212957d-b97e-515c-92e7-76e046941632")

// A Payload is the content of one eventchain event: one of the ten types
// of this package, always as a value, never a pointer — TransactionSubmitted,
// TransactionRebroadcast, BlockMined, TransactionVerified,
// TransactionDropped, BlockRejected, ChainSpecDeclared, ChainLost,
// SnapshotPart or SnapshotTaken. [Encode] turns a Payload into an
// eventlog.Event; [Decode] turns an event back into a Payload, which a
// caller type-switches on:
//
//	switch ev := p.(type) {
//	case events.BlockMined:
//		err = chain.Apply(ev.Block)
//	case events.TransactionSubmitted:
//		err = pool.Add(ev.Tx)
//	}
//
// The set is closed: the interface has unexported methods, so no other
// package can add a type that Encode would not know. Payloads are values,
// safe for concurrent use.
type Payload interface {
	// EventType returns the event's type, one of the Type… constants.
	EventType() string

	// idKey returns the content key the event ID is derived from.
	idKey() []byte
	// check returns an error wrapping ErrMalformed if the payload breaks a
	// limit of the encoding: a number out of range, an empty required
	// string, a value JSON cannot carry.
	check() error
}

// TransactionSubmitted says that the bank accepted a transaction. The bank
// appends it to the transactions stream; every miner reads it and adds the
// transaction to its pool.
//
// Its ID is derived from the transaction's hash, so a bank that retries an
// append after a timeout (was it written or not?) writes nothing new: the
// log sees the same ID again and treats the append as done. The hash, not
// the transaction ID, is the key because it covers every byte, signature
// included: the transaction ID derives from what is signed only, so the
// same transfer signed twice (ed25519 signs deterministically, but another
// wallet may not) has one ID and two hashes, and is two events. The pool,
// which refuses an ID it holds, and the sender's nonce, which the chain
// lets through once, decide what becomes of the second.
//
// A TransactionSubmitted is a value, safe for concurrent use.
type TransactionSubmitted struct {
	Tx blockchain.Transaction // the transaction, as the bank built it

	// RequestDigest, if not zero, is the digest of the client request
	// the bank took Tx from, when the request carried an
	// Idempotency-Key: the bank uses Tx's hash, which covers every field
	// and the signature but not the spacing of the request's JSON.
	// Recording it in the log with the transaction lets any bank, a
	// restarted one too, tell a retry of the request (same digest: answer
	// with Tx) from a reuse of its key for another request (another
	// digest: 422). In the transactions stream, a bank that takes again a
	// transaction that was dropped salts it, so that the event has an ID
	// of its own (the log would take a copy of the first as a retry); no
	// reader there compares it.
	// The event's ID covers it when set.
	RequestDigest blockchain.Hash
}

// TransactionRebroadcast asks the miners again to include a transaction
// that has waited too long: the auditor appends it to the transactions
// stream, where miners read it like a [TransactionSubmitted].
//
// Its ID is derived from the transaction's hash and Attempt, so each
// attempt is one event however often the auditor retries its append, and
// the next attempt is a new event.
//
// A TransactionRebroadcast is a value, safe for concurrent use.
type TransactionRebroadcast struct {
	Tx      blockchain.Transaction // the transaction, unchanged
	Attempt int                    // 1 for the first rebroadcast, then 2, 3, …
}

// BlockMined publishes a sealed block. A miner appends it to the blocks
// stream with an exact expected revision, so only one block per height
// gets in (see package eventlog); every node folds the stream through
// [blockchain.Chain.Apply].
//
// Its ID is derived from the block hash and the Merkle root of the
// transactions the event carries (the same as the header's in a valid
// block), so a miner's retried append is a no-op, and a block whose
// transactions were changed under a real header cannot take the real
// block's ID. Two miners that seal the very same block (same transactions,
// time and nonce, as deterministic test miners can) write one event: the
// second append succeeds without writing, and the chain is the same either
// way. The block hash covers the whole header, seal included (see
// blockchain.Header), so a block with a forged seal (a signature, in proof
// of authority) is another event; it does not cover the transactions, only
// the Merkle root the header claims. A BlockMined whose transactions do not
// match that root decodes fine and is refused by the chain's rules
// (blockchain.ErrBadMerkleRoot), not here.
//
// Compare two BlockMined values by Block.Hash(), not with ==, which
// compares the pointers.
//
// A BlockMined is a value, safe for concurrent use: the Block it points
// to is immutable.
type BlockMined struct {
	Block   *blockchain.Block // the sealed block; never nil
	MinerID string            // who sealed it, e.g. "miner-1"; not empty
}

// TransactionVerified records that a transaction is included in the chain:
// the auditor appends it to the audit stream once it sees the transaction
// in a block the chain accepted, and the bank reports the transaction as
// included.
//
// Its ID is derived from the transaction ID and the block hash, so the
// auditor can record inclusions again after a restart, or after a lost
// answer, without writing them twice.
//
// A TransactionVerified is a value, safe for concurrent use.
type TransactionVerified struct {
	TxID      uuid.UUID       // the transaction's ID; not the zero UUID
	BlockHash blockchain.Hash // the block that includes it; not zero
	Height    uint64          // the block's height
}

// TransactionDropped records that a transaction will never be included,
// and why. The auditor appends it to the audit stream, and the bank
// reports the transaction as dropped. There are two reasons:
//
//   - the auditor gave up on it after Attempts rebroadcasts: Rule is
//     blockchain.ErrUnknown, the zero code, which names no rule;
//   - the chain's state made it invalid: a block took its nonce (another
//     transfer of the sender's with the same nonce was included first:
//     blockchain.ErrBadNonce) or left its sender unable to pay
//     (blockchain.ErrInsufficientFunds). Rule is the code of the
//     *blockchain.RuleError that the pool dropped it with, and the bank
//     can tell its client exactly which rule the transfer now breaks.
//
// Rule is stored by name, as [BlockRejected]'s, and only when it names a
// rule: an event without one decodes with Rule blockchain.ErrUnknown, so
// the events written before the field existed read as they always meant,
// "gave up".
//
// TxHash names the very transaction dropped: its ID derives from the
// signed fields, which anyone can compute for a transfer its owner has
// not yet signed, while its hash covers the signature, which only the
// owner can make. A reader (the bank) believes a drop as the fate of the
// transaction it is asked about only if the hashes match; so no one can
// drop a transfer before it is sent, or by dropping a copy with a forged
// signature. The zero hash (events written before the field existed)
// names no transaction.
//
// Its ID is derived from the transaction ID and, when set, TxHash: a
// transaction is dropped once, whatever the rule, reason or count a
// retried append carries, and a drop naming another hash (a forgery)
// does not take the ID of the auditor's.
//
// A TransactionDropped is a value, safe for concurrent use.
type TransactionDropped struct {
	TxID     uuid.UUID            // the transaction's ID; not the zero UUID
	TxHash   blockchain.Hash      // the hash of the transaction dropped; zero if not said
	Rule     blockchain.ErrorCode // the rule it breaks; blockchain.ErrUnknown when the auditor gave up waiting
	Reason   string               // why, for people, e.g. "not included after 5 rebroadcasts"; not empty
	Attempts int                  // rebroadcasts made before giving up; 0 or more
}

// BlockRejected records that a node refused a block it read in the blocks
// stream, and which rule the block broke. The node appends it to the audit
// stream, once; the block stays in the blocks stream, where every honest
// node skips it.
//
// Its ID is derived from the block hash and the rule, so every node that
// rejects the same block for the same reason writes the same event ID,
// and the log keeps one event however many nodes record it. Nodes that
// disagree on the rule (different software versions, say) write two
// events, which makes the disagreement visible.
//
// Rule is the Code of the [*blockchain.RuleError] that Chain.Apply
// returned. The event stores it by name, such as "bad-merkle-root"
// (ErrorCode.String), not by number: the name reads well in the log and
// stays the same when codes are added and renumbered. Decode maps the
// name back to the code, so a reader can test errors.Is(ev.Rule,
// blockchain.ErrBadMerkleRoot) or compare ev.Rule == blockchain.ErrBadMerkleRoot.
//
// A BlockRejected is a value, safe for concurrent use.
type BlockRejected struct {
	BlockHash blockchain.Hash      // the rejected block; not zero
	Height    uint64               // the height the block claims
	Rule      blockchain.ErrorCode // the rule it broke; one of blockchain.ErrorCodes()
	Reason    string               // the error, for people, e.g. "bad-merkle-root: have …, want …"; not empty
}

// ChainSpecDeclared records a network's chain spec: its chain ID, genesis
// allocations, block reward and consensus engine (see
// blockchain.ChainSpec). The first app of a network appends it to
// [StreamChainSpec] with eventlog.NoStream, so exactly one spec gets in
// however many apps start at once; every app then reads it and refuses to
// run with another one (node.LoadSpec does both).
//
// Its ID is derived from the spec's hash (blockchain.ChainSpec.Hash), so
// an app that retries its declaration after a timeout writes nothing new,
// and two apps declaring the same spec write the same event. Two apps
// declaring different specs write different events, and the expected
// revision lets only the first in.
//
// The data holds the spec in its JSON form, the one a -genesis file
// holds, with its hash beside it for a person browsing the log:
//
//	{"v":1,"hash":"af246484…","spec":{"chainId":"eventchain-test","blockReward":50,"alloc":{…},"consensus":{…}}}
//
// Only a valid spec can be declared: Encode and Decode both refuse one
// that breaks a rule of blockchain.ChainSpec.Validate, as malformed.
//
// A ChainSpecDeclared is a value, safe for concurrent use as long as no one
// changes the spec's Alloc or engine parameters, which a copy shares.
// Compare two by Spec.Hash(), not with == (a ChainSpec holds slices).
type ChainSpecDeclared struct {
	Spec blockchain.ChainSpec // the network's spec; valid
}

// EventType returns [TypeTransactionSubmitted].
func (TransactionSubmitted) EventType() string { return TypeTransactionSubmitted }

// EventType returns [TypeTransactionRebroadcast].
func (TransactionRebroadcast) EventType() string { return TypeTransactionRebroadcast }

// EventType returns [TypeBlockMined].
func (BlockMined) EventType() string { return TypeBlockMined }

// EventType returns [TypeTransactionVerified].
func (TransactionVerified) EventType() string { return TypeTransactionVerified }

// EventType returns [TypeTransactionDropped].
func (TransactionDropped) EventType() string { return TypeTransactionDropped }

// EventType returns [TypeBlockRejected].
func (BlockRejected) EventType() string { return TypeBlockRejected }

// ChainLost records that an event log lost a chain: a node that had read
// the chain found the log holding fewer events than it had read (an
// EventStoreDB that kept its data in memory and was started again, a
// server wiped or put back from an older copy), and wrote this into the
// log's chain-spec stream, if that was empty, before it stopped.
//
// It is a tombstone. Without it, the first app started again with
// -genesis would declare the same spec in the empty log, and the same
// chain would begin again, where every transfer signed for the old one
// is good once more. With it, node.LoadSpec refuses the log
// (node.ErrChainLost), and no app declares anything there: the log must
// be put back, or a new chain begun, from a spec with a chain ID of its
// own, on another log (or on this one emptied again: an in-memory server
// started again with every app stopped). The same spec on an empty log
// is the old chain begun again.
//
// Its ID is derived from the genesis alone: two nodes that saw the same
// loss write one event (and the NoStream append lets one in anyway).
//
// A ChainLost is a value, safe for concurrent use.
type ChainLost struct {
	Genesis blockchain.Hash // the lost chain's genesis block hash; not zero
	ChainID string          // its chain ID, as its spec names it; not empty
	Height  uint64          // the height of the writer's tip when it saw the loss
}

// EventType returns [TypeChainLost].
func (ChainLost) EventType() string { return TypeChainLost }

// EventType returns [TypeChainSpecDeclared].
func (ChainSpecDeclared) EventType() string { return TypeChainSpecDeclared }

// The content keys of the event IDs, as the package documentation lays
// them out. Every key of one type has a fixed length or comes last, so two
// different contents never give the same key.

func (p TransactionSubmitted) idKey() []byte {
	h := p.Tx.Hash()
	if p.RequestDigest.IsZero() {
		return h[:] // as before the digest existed: the same IDs
	}
	return append(h[:], p.RequestDigest[:]...)
}

func (p TransactionRebroadcast) idKey() []byte {
	h := p.Tx.Hash()
	return binary.BigEndian.AppendUint64(h[:], uint64(p.Attempt))
}

func (p BlockMined) idKey() []byte {
	// The block hash commits to the header, seal included, but to the
	// transactions only through the Merkle root the header claims. The
	// root of the transactions the event actually carries makes a block
	// whose body was changed under a real header a different event, so it
	// cannot take the real block's ID.
	h, root := p.Block.Hash(), p.Block.TxRoot()
	return append(h[:], root[:]...)
}

func (p TransactionVerified) idKey() []byte {
	return append(p.TxID[:], p.BlockHash[:]...)
}

func (p TransactionDropped) idKey() []byte {
	if p.TxHash.IsZero() {
		return p.TxID[:] // as before TxHash existed
	}
	return append(p.TxID[:], p.TxHash[:]...)
}

func (p BlockRejected) idKey() []byte {
	return append(p.BlockHash[:], p.Rule.String()...)
}

func (p ChainLost) idKey() []byte { return p.Genesis[:] }

func (p ChainSpecDeclared) idKey() []byte {
	h := p.Spec.Hash()
	return h[:]
}

// eventID returns the ID of p: the version-5 UUID, in Namespace, of the
// type name, a zero byte, and the content key.
func eventID(p Payload) uuid.UUID {
	name := append([]byte(p.EventType()), 0)
	return uuid.NewSHA1(Namespace, append(name, p.idKey()...))
}

// MaxMinerIDLen bounds a BlockMined's miner ID, in bytes, so that an event
// cannot smuggle a megabyte of name past the node that applies its block.
const MaxMinerIDLen = 64

// The limits of the encoding, checked by Encode before it writes and by
// Decode after it reads.

func (p TransactionSubmitted) check() error {
	return checkTx("tx", p.Tx)
}

func (p TransactionRebroadcast) check() error {
	if p.Attempt < 1 {
		return malformed("attempt: have %d, want at least 1", p.Attempt)
	}
	return checkTx("tx", p.Tx)
}

func (p BlockMined) check() error {
	if p.Block == nil {
		return malformed("block: have nil, want a block")
	}
	if err := checkBlock(p.Block); err != nil {
		return err
	}
	if len(p.MinerID) > MaxMinerIDLen {
		return malformed("minerId: %d bytes, want at most %d", len(p.MinerID), MaxMinerIDLen)
	}
	return checkText("minerId", p.MinerID)
}

func (p TransactionVerified) check() error {
	if p.TxID == uuid.Nil {
		return malformed("txId: have the zero UUID, want a transaction's ID")
	}
	if p.BlockHash.IsZero() {
		return malformed("blockHash: have the zero hash, want a block's hash")
	}
	return nil
}

func (p TransactionDropped) check() error {
	if p.TxID == uuid.Nil {
		return malformed("txId: have the zero UUID, want a transaction's ID")
	}
	if p.Rule != blockchain.ErrUnknown && !knownRule(p.Rule) {
		return malformed("rule: have %s, want blockchain.ErrUnknown or one of blockchain.ErrorCodes()", p.Rule)
	}
	if p.Attempts < 0 {
		return malformed("attempts: have %d, want at least 0", p.Attempts)
	}
	return checkText("reason", p.Reason)
}

func (p BlockRejected) check() error {
	if p.BlockHash.IsZero() {
		return malformed("blockHash: have the zero hash, want a block's hash")
	}
	if !knownRule(p.Rule) {
		return malformed("rule: have %s, want one of blockchain.ErrorCodes()", p.Rule)
	}
	return checkText("reason", p.Reason)
}

func (p ChainLost) check() error {
	if p.Genesis.IsZero() {
		return malformed("genesis: have the zero hash, want the lost chain's genesis block hash")
	}
	return checkText("chainId", p.ChainID)
}

func (p ChainSpecDeclared) check() error {
	if err := p.Spec.Validate(); err != nil {
		return fmt.Errorf("%w: spec: %w", ErrMalformed, err)
	}
	return nil
}

// checkText refuses an empty string, and one that is not UTF-8, which JSON
// cannot carry: encoding/json would write U+FFFD in place of the bad
// bytes, and the event would decode to a different payload.
func checkText(field, s string) error {
	switch {
	case s == "":
		return malformed("%s: have \"\", want a non-empty string", field)
	case !utf8.ValidString(s):
		return malformed("%s: have %q, want UTF-8", field, s)
	}
	return nil
}

// checkTx refuses a transaction whose JSON would not decode to it: the
// zero Transaction, whose ID and hash were never computed (decoding
// computes them), and a chain ID that is not UTF-8, which JSON cannot
// carry. Whether the transaction keeps the rules — its signature, its
// chain ID's form — is not asked: that is
// blockchain.CheckTransactionSanity's question, and the pool's.
func checkTx(field string, tx blockchain.Transaction) error {
	if tx == (blockchain.Transaction{}) {
		return malformed("%s: the zero Transaction; build one with blockchain.Transfer.Sign or blockchain.NewTransaction", field)
	}
	if !utf8.ValidString(tx.ChainID()) {
		return malformed("%s: chain ID %q, want UTF-8", field, truncate(tx.ChainID()))
	}
	return nil
}

// checkBlock refuses a block whose encoding would not decode to it: one
// not built with blockchain.NewBlock (its cached hash is not its
// header's), or holding the zero Transaction, which decodes to a
// transaction with an ID and a hash. A block travels in its binary
// encoding, which carries any chain ID, so that is not asked. It checks
// no rule of the chain.
func checkBlock(b *blockchain.Block) error {
	if b.Hash() != b.Header().Hash() {
		return malformed("block: hash %s is not its header's; build blocks with blockchain.NewBlock", b.Hash().Short())
	}
	for i := range b.Len() {
		if b.Transaction(i) == (blockchain.Transaction{}) {
			return malformed("block: transaction %d: the zero Transaction", i)
		}
	}
	return nil
}

// knownRule reports whether c is one of blockchain.ErrorCodes().
func knownRule(c blockchain.ErrorCode) bool {
	_, ok := blockchain.ParseErrorCode(c.String())
	return ok
}
