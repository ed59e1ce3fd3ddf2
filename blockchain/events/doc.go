// Package events defines the domain events of eventchain and maps them to
// and from the envelopes of package eventlog. It is the one place that
// knows what the streams of the event log hold, so that the bank, the
// miners, the nodes and the auditor all write and read the same bytes.
//
// # Who writes what, where
//
// Six events, in three streams:
//
//	event                    written by   stream        key of its ID
//	TransactionSubmitted     bank         transactions  tx hash, request digest if any
//	TransactionRebroadcast   auditor      transactions  tx hash, attempt
//	BlockMined               a miner      blocks        block hash, root of its transactions
//	TransactionVerified      auditor      audit         tx ID, block hash
//	TransactionDropped       auditor      audit         tx ID
//	BlockRejected            a node       audit         block hash, rule
//
// The story of a transaction: the bank appends a [TransactionSubmitted];
// every miner reads it into its pool, and one of them seals it into a
// block and appends a [BlockMined]; every node folds the blocks stream
// through blockchain.Chain.Apply and records a [BlockRejected] for a
// block that breaks a rule. The auditor compares the two streams: it
// records a [TransactionVerified] for each transaction it finds in the
// chain, appends a [TransactionRebroadcast] for one that has waited too
// long, and a [TransactionDropped] when it gives up.
//
// # Encoding and decoding
//
// [Encode] turns a [Payload] — one of the six event types, as a value —
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
// their blockchain.ErrorCode name, and transactions in the JSON form of
// package blockchain, hash included. A block travels as its canonical
// binary encoding (blockchain.Block.MarshalBinary) in standard base64,
// with its height and hash beside it in plain sight: a node restoring
// 100 000 blocks decodes that about twenty times faster than the JSON
// form, and the readable fields still let a person browsing the log see
// which block an event holds (Decode checks they match it):
//
//	TransactionSubmitted    {"v":1,"tx":{"id":…,"from":"alice","to":"bob","amount":125,"timestamp":…,"hash":…},"requestDigest":…}
//	TransactionRebroadcast  {"v":1,"tx":{…},"attempt":2}
//	BlockMined              {"v":1,"height":1,"hash":…,"block":"rI7Igk+MeRp5…","minerId":"miner-1"}
//	TransactionVerified     {"v":1,"txId":…,"blockHash":…,"height":1}
//	TransactionDropped      {"v":1,"txId":…,"reason":"…","attempts":5}
//	BlockRejected           {"v":1,"blockHash":…,"height":1,"rule":"bad-merkle-root","reason":"…"}
//
// Decoding is strict and total: Decode accepts what Encode writes — up to
// white space, the order of fields, and the leeway package blockchain
// allows inside a transaction — refuses everything else with an
// error it documents, and never panics.
// It checks the encoding only, not the rules of the chain; a block that
// breaks every rule decodes fine, and the node rejects it.
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
// attempt as 8 bytes big-endian, a rule as its name in UTF-8:
//
//	ID of a BlockMined = UUIDv5(Namespace, "BlockMined" ‖ 0x00 ‖ block hash ‖ Merkle root of its transactions)
//
// The block hash is blockchain.Block.Hash, which covers the whole header
// and its seal (a proof-of-authority signature, say): the same block with
// another seal is another block, and so another event. The Merkle root is
// that of the transactions the event carries, which the block hash covers
// only through the root the header claims.
//
// The key is what makes two events "the same": a rebroadcast's attempt is
// in its key because each attempt is a new event; a dropped transaction's
// reason is not, because a transaction is dropped once. Each type's
// documentation says why it has its key.
//
// Decode recomputes the ID and refuses an event whose ID is not the one
// its content gives. Otherwise a writer could take, with other content,
// the ID of an event yet to come, and that event's append would then be a
// silent no-op.
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
//     none of the six;
//   - [ErrSchemaVersion]: "v" is missing or not a version this package reads;
//   - [ErrMalformed]: the data is not a payload Encode would write (see its
//     documentation for the list). A transaction or block inside whose
//     hash does not match its content also wraps the *blockchain.RuleError
//     of package blockchain, so errors.Is(err, blockchain.ErrBadHash) tells
//     a forged hash apart; other faults inside wrap blockchain.ErrMalformed;
//   - [ErrIDMismatch]: the event's ID is not the one its content derives.
//
// A node that reads such an event from a stream skips it, as it skips an
// invalid block, and reports it.
//
// # Concurrency
//
// The payload types are values (a BlockMined holds a pointer to an
// immutable blockchain.Block), safe to share between goroutines. Encode
// and Decode keep no state and are safe for concurrent use.
package events
