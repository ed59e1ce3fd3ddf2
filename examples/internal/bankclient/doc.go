// Package bankclient is a typed client of the bank's HTTP API: what the
// wallet, the scheduler and the tests use to send signed transfers and
// follow them, so that none of them builds URLs or reads JSON by hand.
//
// # Sending a transfer
//
// A client signs its transfers itself, and the bank only checks them. In
// order:
//
//  1. Spec (GET /chain/spec) returns the chain spec; its ChainID goes
//     into every transfer, so a transfer signed for one network is
//     refused on every other.
//  2. Account (GET /accounts/{address}) returns the sender's balance and
//     NextNonce: its nonce in the chain plus its transfers still pending
//     in the bank. The next transfer must carry exactly that nonce.
//  3. blockchain.Transfer{…}.Sign(key) makes the transaction; its ID and
//     hash are known before it is sent.
//  4. Submit (POST /transactions) posts it with an Idempotency-Key. Derive
//     the key from the transaction (tx.Hash().String()): a retry of a
//     request that got no answer then sends the same key with the same
//     body, and the bank accepts the transaction at most once. Posting the
//     very same signed transaction again is safe anyway, since its ID
//     derives from its signed content.
//  5. WaitIncluded (GET /transactions/{id}, again and again, with an
//     exponential backoff) returns once the transaction is included in a
//     block or dropped. Client.WithPoll sets the backoff and the clock it
//     waits on, which a test replaces to decide what each poll sees.
//
// In code:
//
//	c, err := bankclient.New("http://localhost:8080", nil)
//	spec, err := c.Spec(ctx)
//	acct, err := c.Account(ctx, key.Address())
//	tx := blockchain.Transfer{ChainID: spec.ChainID, To: bob, Amount: 125, Fee: 1, Nonce: acct.NextNonce}.Sign(key)
//	st, err := c.Submit(ctx, tx, tx.Hash().String())
//	st, err = c.WaitIncluded(ctx, tx.ID(), nil)
//
// Head (GET /chain/head) and History (GET /accounts/{address}/transactions,
// newest first, a page at a time) complete the API.
//
// # Proofs
//
// TxProof (GET /transactions/{id}/proof) and AccountProof (GET
// /accounts/{address}/proof) fetch what a light client needs to check the
// bank rather than believe it: a transaction's inclusion proof, and an
// account's state proof. This package only fetches them; it checks
// nothing but that the answer is about what was asked. The headers to
// check them against come from package lightclient, which syncs and
// verifies the chain's headers from the bank's GET /headers itself
// (lightclient.Client.FromBank) and then verifies the proofs
// (VerifyTransaction, VerifyAccountAt). The header a proof answer carries
// is the bank's word and is not to be used for that.
//
// # Errors
//
// Every answer outside 2xx is a *ProblemError holding the RFC 9457
// problem detail the bank sent: its Field names the request field at fault
// and its Rule the blockchain rule broken. The error wraps that rule's
// blockchain.ErrorCode, so
//
//	errors.Is(err, blockchain.ErrBadNonce)
//
// tells a refused nonce: fetch the account again and sign with its
// NextNonce. A request that got no answer wraps ErrNoAnswer (and the
// transport's *url.Error); one whose context ended returns the context's
// error. IsRetryable says whether the same request may succeed later: no
// answer, or 503 (the bank is starting, its event log is down, its pool
// is full, or a block has yet to decide the transaction's nonce), 502,
// 504, 429. An answer that is not what the API promises — JSON that does
// not parse, an object that names a member twice ("balance" and
// "Balance" included: encoding/json matches names without regard to
// case and would take the last), a body over MaxResponseSize, the status
// of another transaction — wraps ErrMalformedResponse; the client never panics on
// what a server sends.
//
// # Concurrency
//
// A Client is safe for concurrent use. WaitIncluded calls its progress
// function in the calling goroutine and starts none.
package bankclient
