// Package miner turns pending transactions into blocks.
//
// A [Miner] runs rounds on top of a [Backend] — what it needs from a node:
// the chain, the pool, a change signal and a way to publish. A
// *node.Node is one; a test can give a small fake and check the loop
// without an event log.
//
//  1. Wait until the pool's block policy says a block is due: MaxTx
//     transactions pending, or the oldest has waited MaxWait. The miner
//     waits on the node's change signal and a timer, never polling.
//  2. Build a candidate on the tip from the oldest pending transactions
//     and let the engine Prepare it (proof of work: set the difficulty).
//  3. Seal it under a context that is cancelled the moment another block
//     changes the tip: proof of work stops within a fraction of a
//     millisecond (BenchmarkCancelOnNewTip), and the round starts again
//     on the new tip with what is still pending.
//  4. Publish it through the backend; a node appends with an exact expected
//     revision: if another block got in first, the block is lost
//     (node.ErrStale) — the log decided the race.
//
// Wins, losses and the hash rate are logged; Stats holds plain counters
// for a metrics exporter; Config.OnEvent reports each step to an observer.
//
// # Errors
//
// Run returns ctx.Err() when its context ends, or the error of an engine
// that cannot Prepare or Seal. A failed append does not stop the miner: it
// waits a moment and mines again.
package miner
