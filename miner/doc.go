// Package miner turns pending transactions into blocks, and pays its
// beneficiary for them.
//
// A [Miner] runs rounds on top of a [Backend] — what it needs from a node:
// the chain, the pool, a way to propose the next block, a change signal
// and a way to publish. A *node.Node is one; a test can give a small fake
// and check the loop without an event log.
//
//  1. Wait until the pool's block policy says a block is due: MaxTx
//     transactions pending, or the oldest has waited MaxWait. The miner
//     waits on the node's change signal and a timer, never polling.
//  2. Take the pool's candidates (each sender's transfers in nonce order)
//     and have the node propose a block of them on the tip
//     (Backend.Propose, which is [blockchain.Chain.Propose]): it runs the
//     state transition, leaves out every transaction that does not apply
//     (a nonce already used, funds that do not cover amount and fee, a
//     signature for another chain), sets the state root, names the
//     miner's Config.Beneficiary, and lets the engine Prepare the header
//     (proof of work: set the difficulty).
//  3. A transaction the proposal left out is removed from the pool (with
//     its sender's later ones, which could never apply without it) and
//     logged with its rule, so the next round does not propose it again.
//     A proposal left with no transaction is not mined: the miner never
//     seals an empty block. If a block came in while the candidate was
//     built, the round starts again on the new tip instead, for then a
//     transaction may have been left out only because that block
//     included it.
//  4. Seal the candidate under a context that is cancelled the moment
//     another block changes the tip: proof of work stops within a
//     fraction of a millisecond (BenchmarkCancelOnNewTip), and the round
//     starts again on the new tip with what is still pending.
//  5. Publish it through the backend; a node appends with an exact expected
//     revision, so any event appended first makes the append stale
//     (node.ErrStale). The miner waits until its node has read that
//     event: if a valid block took the height, the block is lost — the
//     log decided the race; if the tip has not moved (junk that every
//     node skips, an event anyone may append for free), it publishes the
//     same sealed block again at the stream's new end, up to 100 times.
//
// When the chain applies the block, the beneficiary is credited the chain
// spec's block reward plus the fees of the block's transactions: the
// header commits to the beneficiary and to the state root that holds the
// credit, so the proof of work covers who is paid.
//
// Wins, losses, rejected transactions and the hash rate are logged; Stats
// holds plain counters for a metrics exporter; Config.OnEvent reports each
// step to an observer.
//
// # Errors
//
// [New] returns errors wrapping [ErrInvalidConfig], naming the field at
// fault; a zero Beneficiary is [ErrNoBeneficiary]; an engine that runs
// another consensus than the chain's spec (pow of other bits, say) also
// wraps [blockchain.ErrEngineNotSpec]. Run returns ctx.Err()
// when its context ends — at once, as long as the engine's Seal stops
// when its context is cancelled, as the Consensus contract asks (pow
// stops within microseconds; a Seal that ignores its context holds Run
// until it returns) — or the error of a proposal (an engine that
// cannot Prepare, or a Backend whose Propose returns no block) or of an engine that cannot Seal, or of a log that
// is closed or lost the blocks stream; an engine that breaks its
// contract (a Prepare or Seal that panics, say, or a Seal that returns
// no block, [ErrNoBlock], or another block than it was given) gives an
// error wrapping [ErrEngineMisbehaved]. A block its own chain refuses does not stop the
// miner: it waits Config.RetryWait and starts a new round. Nor does a
// failed append: the miner sends the same sealed block again, after
// pauses that double from Config.RetryWait to 5 s (cut short by a new
// block event), until the log takes it or another block makes it stale.
// A seal's work is never done twice.
package miner
