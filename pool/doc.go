// Package pool keeps the transactions that have been submitted but are not
// yet in a block — the pending transactions, or "mempool" in Bitcoin's
// words — and decides when a miner should cut a block from them.
//
// Every miner has its own [Pool]. It fills it from the transactions it
// reads in the event log, takes the front of the queue as its next block,
// and empties it of whatever the chain's newest block included, whichever
// miner mined it. Like package blockchain, package pool does no I/O and
// starts no goroutines: package node feeds it, package miner reads it.
//
// # From a submitted transaction to a block
//
//  1. [New] builds a pool from a [Config]: a [Policy] (capacity and block
//     policy; [DefaultPolicy] if zero), a clock, the admission rules, and
//     optionally the chain, seen through the one-method [Includer]
//     interface so the pool never needs a whole [blockchain.Chain].
//  2. [Pool.Add] runs the admission rules, in order. They are
//     [blockchain.TxRule] values: first the transaction sanity rules of
//     package blockchain ([blockchain.TxSanityRules] — amount positive,
//     sender, receiver, not to oneself, the original project's four, and
//     the limits on IDs, account names and timestamps), reused, not
//     re-implemented; then the pool's own [RuleNotFromFuture], which
//     refuses a transaction dated more than Policy.MaxClockSkew ahead of
//     the pool's clock. [DefaultRules] lists them all.
//  3. Add then refuses an ID that is already pending, an ID the chain
//     already includes, and any transaction once Policy.Capacity are
//     pending. What passes joins the back of the queue, dated by the
//     pool's clock.
//  4. The block policy says when to cut: [Pool.Ready] is true once
//     Policy.MaxTx transactions are pending (the original cut at 20), or
//     once the oldest has waited Policy.MaxWait, so a lone transaction is
//     never stranded. [Pool.Due] says when that moment comes, so a miner
//     can set a timer instead of polling.
//  5. [Pool.Candidates] returns the oldest transactions, first in first
//     out, without removing them: the miner's block may lose the race to
//     another miner's, and then they must still be pending.
//  6. Once the chain has accepted a block, [Pool.RemoveBlock] (or
//     [Pool.Remove] with IDs) drops the transactions it included; the
//     rest keep their order.
//
// In code, with a chain and a consensus engine as in package blockchain:
//
//	p, err := pool.New(pool.Config{Chain: chain})
//	…
//	err = p.Add(tx) // for each transaction read from the log
//	if p.Ready() {
//		txs := p.Candidates(p.Policy().MaxTx)
//		h := blockchain.NextHeader(chain.Tip(), txs, time.Now())
//		…prepare, seal, append; then, for every block the chain accepts:
//		p.RemoveBlock(block)
//	}
//
// # Errors
//
// Add returns one of two kinds of error, both wrapped with the
// transaction's ID (use errors.Is and errors.As, never the text):
//
//   - The transaction broke an admission rule: the error names the rule
//     and wraps its [*blockchain.RuleError], whose Code says which rule
//     failed — errors.Is(err, blockchain.ErrInvalidAmount),
//     blockchain.ErrMissingSender, blockchain.ErrSelfTransfer, …, and
//     blockchain.ErrTimeTooFarAhead for RuleNotFromFuture. The
//     transaction is invalid; resubmitting it unchanged will not help
//     (except after RuleNotFromFuture, whose answer moves with the clock).
//   - The transaction may be fine, but the pool will not take it. Either
//     the pool knows it already — [ErrDuplicate] (this very transaction
//     is pending) or [ErrAlreadyIncluded] (the chain has it), so nothing
//     needs doing — or it cannot take it: [ErrIDConflict] (a different
//     transaction with the same ID is pending) or [ErrFull] (retry once a
//     block has made room).
//
// New returns errors wrapping [ErrInvalidConfig], naming the field at
// fault.
//
// # Concurrency
//
// A Pool is safe for concurrent use: the event-log reader may Add while
// the miner asks Ready and Candidates. The injected clock, the Includer and
// the rules must be safe for concurrent use too.
package pool
