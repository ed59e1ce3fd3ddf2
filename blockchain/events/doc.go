// Package events defines the domain events of eventchain and maps them to
// and from the envelopes of package eventlog. It is the one place that
// knows what the streams of the event log hold, so that the bank, the
// miners, the nodes and the auditor all write and read the same bytes.
//
// # Who writes what, where
//
// Ten events, in five streams:
//
//	event                    written by   stream        key of its ID
//	ChainSpecDeclared        first app    chain-spec    spec hash
//	ChainLost                a node       chain-spec    genesis hash
//	TransactionSubmitted     bank         transactions  tx hash, request digest if any
//	TransactionRebroadcast   auditor      transactions  tx hash, attempt
//	BlockMined               a miner      blocks        block hash, root of its transactions
//	TransactionVerified      auditor      audit         tx ID, block hash
//	TransactionDropped       auditor      audit         tx ID, dropped tx's hash if named
//	BlockRejected            a node       audit         block hash, rule
//	SnapshotPart             a node       snapshots     block hash, height, part, parts, SHA-256 of its accounts
//	SnapshotTaken            a node       snapshots     block hash, height
//
// A network starts with its chain spec: the first app to start appends a
// [ChainSpecDeclared] to [StreamChainSpec], once, and every app after it
// reads the spec there and refuses to run with another. A node that sees
// its log lose the chain (a server wiped under it) writes a [ChainLost]
// into the emptied chain-spec stream before it stops, so that no app
// begins the same chain there again. The story of a
// transaction: the bank appends a [TransactionSubmitted]; every miner
// reads it into its pool, and one of them seals it into a block and
// appends a [BlockMined]; every node folds the blocks stream through
// blockchain.Chain.Apply and records a [BlockRejected] for a block that
// breaks a rule. The auditor compares the two streams: it records a
// [TransactionVerified] for each transaction it finds in the chain,
// appends a [TransactionRebroadcast] for one that has waited too long,
// and a [TransactionDropped] when it gives up, or when a block made the
// transaction invalid (its nonce taken, its sender unable to pay).
//
// # Snapshots
//
// The account state is the fold of every block, so a node restoring from
// the blocks stream alone reads the whole chain. Every so many blocks a
// node therefore records a snapshot in [StreamSnapshots]: the state
// after a block, as [SnapshotPart] events of at most
// [MaxSnapshotPartAccounts] accounts each ([SnapshotParts] splits it;
// a state of 100 000 accounts is 3.6 MB packed, more than the 1 MiB an
// event may hold), then the manifest, a [SnapshotTaken], which names the
// block, where the parts start, where the node stood in the blocks and
// transactions streams, the newest headers, the tip block and the
// pending transactions ([FitSnapshotTaken] makes it fit one event). A
// restoring node reads the newest manifest, its parts, and only the
// blocks after it; the state root in the tip's header is what it checks
// the accounts against (package node tells the whole of it).
//
// # Encoding and decoding
//
// [Encode] turns a [Payload] — one of the ten event types, as a value —
// into an eventlog.Event; [Decode] turns an event back into a Payload,
// which callers type-switch on:
//
//	ev, err := events.Encode(events.BlockMined{Block: sealed, MinerID: "miner-1"})
//	…
//	_, err = log.Append(ctx, "blocks", eventlog.Exact(tip), ev)
//
//	p, err := events.Decode(recorded.Event)
//	…
//	switch ev := p.(type) {
//	case events.BlockMined:
//		err = chain.Apply(ev.Block)
//	}
//
// The event's Type is one of the Type… constants; its Data is a JSON
// object whose first field, "v", is the schema version, [SchemaVersion]
// (1), followed by the fields of the type in lower camel case. Hashes are
// 64 lower-case hex digits, UUIDs in their 36-character form, rules by
// their blockchain.ErrorCode name, transactions in the JSON form of
// package blockchain (addresses written out with their checksum, the
// public key, signature and hash in hex) and a chain spec in its JSON
// form, the one a -genesis file holds. A block travels as its canonical
// binary encoding (blockchain.Block.MarshalBinary) in standard base64,
// with its height and hash beside it in plain sight: a node restoring
// 100 000 blocks decodes that about twenty times faster than the JSON
// form, and the readable fields still let a person browsing the log see
// which block an event holds (Decode checks they match it); a chain spec's
// hash stands beside it likewise:
//
//	ChainSpecDeclared       {"v":1,"hash":…,"spec":{"chainId":"eventchain-test","blockReward":50,"alloc":{…},"consensus":{…}}}
//	ChainLost               {"v":1,"genesis":…,"chainId":"eventchain-test","height":3}
//	TransactionSubmitted    {"v":1,"tx":{"id":…,"chainId":"eventchain-test","from":"ec…","to":"ec…","amount":125,"fee":0,"nonce":0,"publicKey":…,"signature":…,"hash":…},"requestDigest":…}
//	TransactionRebroadcast  {"v":1,"tx":{…},"attempt":2}
//	BlockMined              {"v":1,"height":1,"hash":…,"block":"35VGPQVX…","minerId":"miner-1"}
//	TransactionVerified     {"v":1,"txId":…,"blockHash":…,"height":1}
//	TransactionDropped      {"v":1,"txId":…,"txHash":…,"rule":"bad-nonce","reason":"…","attempts":0}
//	BlockRejected           {"v":1,"blockHash":…,"height":1,"rule":"bad-merkle-root","reason":"…"}
//	SnapshotPart            {"v":1,"height":1,"blockHash":…,"part":0,"parts":1,"accounts":"KtgyStdu…"}
//	SnapshotTaken           {"v":1,"height":1,"blockHash":…,"stateRoot":…,"parts":1,"accounts":8,"firstPart":0,
//	                         "blocksRevision":0,"txsRevision":2,"headers":"ryRkhNhi…","tip":"35VGPQVX…","pending":["Ag9ldm…"]}
//
// What a snapshot holds in bulk travels packed in standard base64, as a
// block does: a part's accounts as 36 bytes each (the address, the
// balance as an int64 and the nonce as a uint64, big-endian), a
// manifest's headers as their 152-byte encodings each followed by its
// seal's uint16 length and its seal, its tip as a block's binary
// encoding, and its pending transactions each as its binary encoding in
// a JSON array.
//
// A field shown with "if any" in the table of keys, or as optional in a
// type's documentation (a request digest, a dropped transaction's rule),
// is written only when it is set: its zero value is written by leaving
// the field out, so each payload has exactly one encoding.
//
// Decoding is strict and total: Decode accepts what Encode writes — up to
// white space, the order of fields, and the leeway package blockchain
// allows inside a transaction or a chain spec — refuses everything else
// with an error it documents, and never panics. It checks the encoding
// only, not the rules of the chain: a block that breaks every rule, or a
// transaction with a forged signature, decodes fine, and the node or the
// pool rejects it. The one exception is the chain spec, whose rules are
// part of what a spec is: a ChainSpecDeclared holding a spec that breaks
// them is malformed.
//
// # Deterministic event IDs
//
// A network call can fail after the server did the work: an append that
// timed out may or may not be in the log. The writer retries with the same
// event, so Encode derives the ID from the content: the same content
// always gets the same ID. An append with an exact expected revision (a
// BlockMined) is then guaranteed to be written once: the log compares the
// IDs at that position. With expected revision Any the log only compares
// against a bounded window of recent IDs, so a late retry may be stored
// twice — every reader of these events folds them by ID or by what they
// name, and a duplicate changes nothing. Content IDs also make events
// written by different processes meet: every node that rejects the same
// block for the same rule writes the same BlockRejected ID.
//
// The ID is a version-5 UUID (SHA-1, RFC 9562) in the namespace
// [Namespace], of the event type, a zero byte, and the key in the table
// above, written as: a hash as its 32 bytes, a UUID as its 16 bytes, an
// attempt, a height, a part's number and a number of parts as 8 bytes
// big-endian, a rule as its name in UTF-8, a part's accounts as the
// SHA-256 of their packed bytes:
//
//	ID of a BlockMined   = UUIDv5(Namespace, "BlockMined" ‖ 0x00 ‖ block hash ‖ Merkle root of its transactions)
//	ID of a SnapshotPart = UUIDv5(Namespace, "SnapshotPart" ‖ 0x00 ‖ block hash ‖ height ‖ part ‖ parts ‖ SHA-256(accounts))
//
// The block hash is blockchain.Block.Hash, which covers the whole header
// and its seal (a proof-of-authority signature, say): the same block with
// another seal is another block, and so another event. The Merkle root is
// that of the transactions the event carries, which the block hash covers
// only through the root the header claims.
//
// The key is what makes two events "the same": a rebroadcast's attempt is
// in its key because each attempt is a new event; a dropped transaction's
// rule and reason are not, because a transaction is dropped once. Each type's
// documentation says why it has its key.
//
// Decode recomputes the ID and refuses an event whose ID is not the one
// its content gives. Otherwise a writer could take, with other content,
// the ID of an event yet to come, and that event's append would then be a
// silent no-op.
//
// One content is never written to two streams under one ID: EventStoreDB
// remembers an ID with the stream it was first written to, takes an
// append of it to another stream for a new event, never for a retry, and
// never gives back what remembering the second write cost its cache. A
// writer that must put one content in two streams (a bank reserving an
// Idempotency-Key) writes it to one of them under an ID derived from the
// content's, and reads it back with [DecodeDerived], which checks that
// derived ID as Decode checks the content's.
//
// # Schema versions
//
// Every payload carries its schema version, so that the format can change
// without rewriting the log: events written years ago stay in the streams
// and must still decode. A version belongs to one event type: BlockMined
// can move to version 2 while the others stay at 1. Every type is at
// version 1 today. To add a version 2 of one event type:
//
//  1. keep the version 1 decoder as it is, and add one for version 2,
//     chosen by the "v" the reader finds (reader.version, in codec.go);
//     both give the same Go type, with any new field's zero value, or a
//     documented default, for old events;
//  2. make Encode write version 2 only once every reader is on a release
//     that decodes it — readers upgrade before writers;
//  3. keep the ID's key unchanged, so a version 1 event and its version 2
//     retry are still the same event. A change that needs a new key is a
//     new event type, with a new name.
//
// Adding an event type needs no new version: it is a new Type constant,
// and readers that predate it refuse it with [ErrUnknownType].
//
// # Errors
//
// Every error of Encode and Decode wraps one of four sentinels; test with
// errors.Is:
//
//   - [ErrUnknownType]: the event type, or the Go type given to Encode, is
//     none of the ten;
//   - [ErrSchemaVersion]: "v" is missing or not a version this package reads;
//   - [ErrMalformed]: the data is not a payload Encode would write (see its
//     documentation for the list). A transaction or block inside whose
//     hash does not match its content also wraps the *blockchain.RuleError
//     of package blockchain, so errors.Is(err, blockchain.ErrBadHash) tells
//     a forged hash apart; a chain spec that breaks its rules wraps the
//     *blockchain.SpecError (errors.Is(err, blockchain.ErrInvalidSpec));
//     other faults inside wrap blockchain.ErrMalformed;
//   - [ErrIDMismatch]: the event's ID is not the one its content derives.
//
// A node that reads such an event from a stream skips it, as it skips an
// invalid block, and reports it.
//
// # Concurrency
//
// The payload types are values (a BlockMined holds a pointer to an
// immutable blockchain.Block; a ChainSpecDeclared a spec, and the
// snapshot events slices, that their copies share, which no one must
// change), safe to share between goroutines. Encode, Decode,
// SnapshotParts and FitSnapshotTaken keep no state and are safe for
// concurrent use.
package events
