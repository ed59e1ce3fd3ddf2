// Package consensustest helps test consensus engines and the code built on
// them, the way testing/fstest helps test file systems.
//
//   - [Run] is the conformance suite every [blockchain.Consensus] plugin
//     should pass: sealed blocks verify, tampered ones do not (a changed
//     seal included, which must also change the block's hash), Seal stops
//     when its context is cancelled, Prepare is deterministic, and the
//     engine is safe for concurrent use. Package pow runs it; so should
//     yours.
//   - [NewFaker], [NewFailer] and [NewDelayer] are engines that skip the
//     work, so a test of a chain, a pool or a miner runs in microseconds
//     and can make verification fail, or sealing slow, on purpose.
//   - [GenerateChain] builds a chain of sealed blocks with deterministic
//     contents; [Transfer] and [TxID] make deterministic transactions.
//   - [ChainCases] is a fixed list of blocks a Chain must accept or reject,
//     each with the rule it breaks, in the spirit of btcd's fullblocktests.
//     Any change to the chain rules must keep them passing.
package consensustest
