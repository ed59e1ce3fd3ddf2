// Package bank is eventchain's HTTP API: the bank that accepts
// transactions from clients and tells them what became of each one. The
// example app examples/bank serves it; this package holds all of its
// logic, so that tests drive it through real HTTP on loopback.
//
// # The API (the OpenAPI document at GET /openapi.yaml is the reference)
//
//	POST /transactions        {"from","to","amount"} → 202 {"id","hash","status":"pending"}
//	GET  /transactions/{id}   pending | included (blockHash, height) | dropped (reason)
//	GET  /blocks?from=&limit= block summaries, oldest first
//	GET  /blocks/{ref}        one whole block, by height or hash
//	GET  /headers?from=&limit= headers with their seals, oldest first, for light clients
//	GET  /chain/head          the tip and the number of pending transactions
//	GET  /healthz, /readyz    alive; restored and following
//
// A submitted transaction gets a UUID, the bank's clock as timestamp, and
// is checked with the pool's rules before it is appended to the log as
// TransactionSubmitted; only then does the client get 202. A request with
// an Idempotency-Key is answered once, whatever happens around it:
//
//   - Its transaction's ID is derived from the key, so no retry can put
//     the transaction in the chain twice.
//   - The bank reserves the key in the log: the first request's
//     TransactionSubmitted, with the SHA-256 of its body, goes to a stream
//     of its own ("request-<id>") with expected revision NoStream, which
//     EventStoreDB makes exclusive and idempotent; then the same event
//     goes to the transactions stream for the miners.
//   - A retry — also one to another bank, or to this bank after a restart
//     — reads that stream: the same body gets the first transaction, as
//     pending, included (block and height) or dropped; another body gets
//     422. A retry after a failure between the two appends finishes the
//     second.
//   - Requests with the same key and body wait for one another in the
//     bank (one in flight) and share the answer; with another body, the
//     log decides which request reserved the key.
//
// The bank keeps no table of keys: the log is the memory.
//
// # Errors
//
// Every error answer is an RFC 9457 problem detail
// (application/problem+json, [Problem]) that names the field at fault and,
// for a broken rule, the rule: 400 for malformed or invalid input, 413 for
// a body over the limit, 415 for anything but application/json in UTF-8
// without a Content-Encoding, 422 for a reused Idempotency-Key, 404 and
// 410 for what the bank does not hold (404 also for a path the API does
// not have), 405 with Allow for a method a path does not take, and 503
// with Retry-After when the event log cannot be reached — nothing is
// acknowledged that was not appended.
//
// A transaction's body is decoded strictly: one JSON object with "from",
// "to" and "amount", each once and spelled exactly so, strings in valid
// UTF-8 and an integer amount, and nothing after it. What encoding/json
// would let through and silently change — a repeated field, invalid UTF-8,
// a name in another case, 1e3 — is refused, never repaired.
package bank
