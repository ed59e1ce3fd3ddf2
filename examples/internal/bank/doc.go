// Package bank is eventchain's HTTP API: the bank that accepts signed
// transactions from clients, tells them what became of each one, and
// serves the chain, its accounts and the proofs a light client checks.
// The example app examples/bank serves it; this package holds all of its
// logic, so that tests drive it through real HTTP on loopback.
//
// # The API (the OpenAPI document at GET /openapi.yaml is the reference)
//
//	POST /transactions                    a signed transaction → 202 {"id","hash","status":"pending"}
//	GET  /transactions/{id}               pending | included (blockHash, height) | dropped (reason, rule)
//	GET  /transactions/{id}/proof         the header and the transaction's Merkle audit path
//	GET  /accounts/{address}              balance, nonce, and the next nonce counting pending transfers
//	GET  /accounts/{address}/transactions the account's history, newest first, a page at a time
//	GET  /accounts/{address}/proof        the account (or its absence) against a header's state root
//	GET  /blocks?from=&limit=             block summaries, oldest first
//	GET  /blocks/{ref}                    one whole block, by height or hash
//	GET  /headers?from=&limit=            headers with their seals, oldest first, for light clients
//	GET  /chain/head, /chain/spec         the tip; the chain spec
//	GET  /healthz, /readyz                alive; restored, following, log answers
//
// # Custody
//
// The bank holds no keys. Every transaction is signed by its sender's
// ed25519 key over all its fields, the chain ID included, and every node
// checks the signature, so nothing the bank does — or anyone who breaks
// into it — can move money a key did not sign for. A custodial bank,
// which kept its customers' keys and signed for them, would have to
// authenticate every customer before moving anything; this one has
// nothing to protect but availability.
//
// # Submitting
//
// A transaction's ID derives from what it signs, so a client knows it
// before it submits, and posting the very same signed transaction again
// is one transaction: the answer is its status. A new one is checked
// with the pool's rules — signature, chain, nonce, funds counting the
// sender's pending transfers — and appended to the log as
// TransactionSubmitted; only then does the client get 202.
//
// A request with an Idempotency-Key is answered once, whatever happens
// around it, for clients that cannot resend the same bytes:
//
//   - The bank reserves the key in the log: the first request's
//     TransactionSubmitted, with the transaction's hash as its request
//     digest (every field and the signature, not how the JSON was
//     spaced), goes to a stream
//     of its own ("request-<uuid of the key>") with expected revision
//     NoStream, which EventStoreDB makes exclusive and idempotent; then
//     the same payload goes to the transactions stream for the miners.
//     The two are written under different event IDs: the transactions
//     stream's is the payload's own, which miners, auditors and pools
//     know; the reservation's is derived from it and the key
//     (reservationID: SHA-256 of a domain tag, the key's UUID and that
//     ID, made a version-8 UUID), so that a retry of either append is
//     the same event. EventStoreDB remembers an event ID where it was
//     first written: one ID in two streams would make a retry of the
//     second append with expected revision Any a new event, however
//     soon it came, and cost the node's ID cache some 52 bytes for good.
//     A key reserved by an older bank, under the payload's own ID, is
//     read as well.
//   - A retry — also one to another bank, or to this bank after a restart
//     — reads that stream: the same transaction gets the first answer,
//     as pending, included (block and height) or dropped; another
//     transaction gets 422. A retry after a failure between the two
//     appends finishes the second. A retry on a bank whose pool holds
//     another transfer with the same sender and nonce (two banks took
//     one each) gets 503 until a block has used the nonce, then the
//     transaction's fate or the refusal: never a 400 for a transfer a
//     block may yet include.
//   - Requests with the same key and transaction wait for one another in
//     the bank (one in flight) and share the answer; with another
//     transaction, the log decides which request reserved the key.
//
// The bank keeps no table of keys: the log is the memory. It does keep
// an index of every included and dropped transaction (index.go: about
// 200 bytes each in memory, or a bbolt file with an IndexPath), for
// statuses and account histories at any height.
//
// # Errors
//
// Every error answer is an RFC 9457 problem detail
// (application/problem+json, [Problem]) that names the field at fault and,
// for a broken rule, the rule ("bad-signature", "wrong-chain", "bad-nonce",
// "insufficient-funds", …): 400 for malformed or invalid input, 413 for a
// body over the limit, 415 for anything but application/json in UTF-8
// without a Content-Encoding, 422 for a reused Idempotency-Key, 404 for
// what the bank does not know, 410 for a state the node no longer keeps (404 also for a path the API does
// not have), 405 with Allow for a method a path does not take, and 503
// with Retry-After for what may succeed later: the event log cannot be
// reached (nothing is acknowledged that was not appended), the bank is
// still joining its chain or reading the audit stream, the pool is full
// (or holds the most it takes from one sender), the ledger index is
// behind the chain or has yet to index a block, a keyed transaction is
// not yet decided (see above), the bank serves as many event streams as
// it may, or it is stopping. A 503 also says that the event log lost
// events the bank read (and /readyz, that it is damaged): that one lasts
// until an operator restores the log, and the bank stops.
//
// A transaction's body is decoded strictly: one JSON object with the
// fields of a signed transaction, each once and spelled exactly so,
// integers that are integers, checksummed addresses, lower-case hex key
// and signature, and nothing after it. What encoding/json would let
// through and silently change — a repeated field, invalid UTF-8, a name
// in another case, 1e3 — is refused, never repaired.
package bank
