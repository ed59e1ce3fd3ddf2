// Package scheduler is a client of the bank: it signs random valid
// transfers between a few accounts whose keys it holds and posts them to
// the bank's HTTP API at a steady pace, the way the original project's
// scheduler was meant to ("produces transactions every X seconds"). The
// examples/scheduler and examples/devnet apps run it.
//
// # One transfer
//
// Run works through package bankclient. Once, it reads the chain spec
// (GET /chain/spec) for the chain ID every transfer must carry. For each
// key it reads the account (GET /accounts/{address}) and keeps two
// numbers of its own: the next nonce (the account's NextNonce, which
// counts the bank's pending transfers) and what the account can still
// spend (its balance, less what it sent since). Then, every Config.Every:
//
//  1. it picks a sender at random among the accounts that can pay — one
//     whose spendable balance, less the fee, is at least 100 — and a
//     receiver among the others;
//  2. it picks an amount from 1 to 1% of what the sender can spend, so
//     that no account runs dry soon;
//  3. it signs blockchain.Transfer{ChainID, To, Amount, Fee, Nonce} with
//     the sender's key and submits it with an Idempotency-Key derived from
//     the transaction's hash;
//  4. accepted, the sender's next nonce goes up by one and its spendable
//     balance down by amount and fee.
//
// A transfer that got no answer, or a 5xx (the bank restarting, its event
// log down), is sent again, the very same signed transaction with the
// same key, at the next tick: the bank accepts it at most once. A refused
// one (4xx) is given up; if it was refused for its nonce (rule
// "bad-nonce": another client spent from the account, or the bank dropped
// an earlier transfer) or its funds ("insufficient-funds"), the sender's
// account is read again before it sends more; if it was refused for its
// chain ("wrong-chain": the bank runs another chain now), the chain spec
// and every account are read again. When no account can pay,
// Run reads them all again (they may have received transfers since) and,
// if still none can, lets the tick pass.
//
// # Errors
//
// Run returns ctx.Err() when its context ends, nil after Config.Count
// accepted transfers, or an error for a configuration it cannot use
// (checked before anything is sent). Failed and refused requests are
// logged and counted in Stats, never fatal: the bank may be restarting,
// or may not have started yet.
//
// # Concurrency
//
// Run works in the calling goroutine and starts none. A Stats may be read
// while Run updates it.
package scheduler
