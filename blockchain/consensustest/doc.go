// Package consensustest helps test consensus engines and the code built on
// them, the way testing/fstest helps test file systems.
//
//   - [Run] is the conformance suite every [blockchain.Consensus] plugin
//     should pass: sealed blocks verify, and Verify itself refuses one
//     whose header or seal was changed, judging the header only (as a
//     light client asks); Seal stops when its context is cancelled,
//     Prepare is deterministic (the clock moved under it included), and
//     the engine is safe for concurrent use. It checks only what an
//     engine can break: what holds whatever the engine (a block's hash
//     covers its seal; Block.Validate refuses transactions the header
//     does not commit to) is blockchain's to test. Package pow runs it;
//     so should yours.
//   - [NewFaker], [NewFailer] and [NewDelayer] are engines that skip the
//     work, so a test of a chain, a pool or a miner runs in microseconds
//     and can make verification fail, or sealing slow, on purpose.
//   - [Spec] is the kit's network: chain ID "eventchain-test", eight
//     named accounts funded at genesis ([Accounts], [Funds]), a block
//     reward of [Reward] and proof of work at 0 bits. [Key] and [Addr]
//     give each name a fixed key and address, so tests and examples print
//     the same on every run. [Genesis] is its genesis block; [Config] and
//     [NewChain] start a chain of [SpecOf] engine: [Spec] itself for an
//     engine that does not say which consensus it runs (the fakes), Spec
//     with the engine's consensus for a [blockchain.SpecEngine] such as
//     pow's.
//   - [Transfer] and [TransferFee] sign deterministic transactions between
//     named accounts. [GenerateChain] fills, proposes, seals and applies
//     blocks on a chain ([BlockGen] counts each sender's nonces); the
//     blocks it makes apply to every other chain of the same spec.
//   - [ChainCases] is a fixed list of blocks a Chain built from
//     [CaseConfig] must accept or reject, each with the rule it breaks, in
//     the spirit of btcd's fullblocktests: broken links, heights and
//     times, malformed headers and transactions, forged signatures,
//     transactions for another chain, replays, nonce gaps, overdrafts and
//     wrong state roots. Any change to the chain rules must keep them
//     passing; blockchain's tests apply them with and without a Window.
package consensustest
