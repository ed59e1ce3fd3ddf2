// Package node ties a Chain and a Pool to an event log: it is where the
// pure domain of package blockchain meets I/O. Banks, miners and auditors
// each run a Node; every Node that reads the same log reaches the same
// chain, because the log gives every node the same blocks in the same
// order and every node applies the same rules.
//
// # The steps
//
//  1. New builds a node holding only the genesis block.
//  2. Restore reads the blocks stream and applies every block
//     (RestoreVerify checks every rule again; RestoreFast trusts what it
//     reads and checks only the links), then reads the transactions
//     stream into the pool, which refuses what the chain already holds:
//     pending = submitted − included. Decoding runs on every core ahead of
//     the applying.
//  3. Follow subscribes to both streams from exactly where Restore
//     stopped. A block that extends the tip and keeps every rule is
//     applied and its transactions leave the pool; any other is skipped,
//     logged with the rule it broke and recorded once in the audit stream
//     as BlockRejected; an event that is not a block at all is skipped
//     and logged. Nothing in the log can stop a node.
//  4. SubmitTransaction checks a transaction with the pool's rules and
//     appends TransactionSubmitted. PublishBlock appends BlockMined with
//     the expected revision of the last block event the node has read:
//     if another block got in first, the append fails and PublishBlock
//     returns ErrStale. The log is the referee of every race.
//
// Observers registered with Node.Observe are told of every event of the
// blocks stream (a block added, rejected or skipped), in Restore — either
// mode — as in Follow; Changed is a channel closed at every change, on
// which a miner waits instead of polling. Node.Chain hands out a
// blockchain.ReadOnlyChain: anyone may read the chain, only the node
// applies blocks. The miner and the auditor depend on small interfaces
// of their own (miner.Backend, audit.Backend), which a Node satisfies.
//
// # Errors
//
// [ErrStale] from PublishBlock; the pool's errors (rule violations as
// *blockchain.RuleError, pool.ErrAlreadyIncluded) from SubmitTransaction;
// the event log's errors, wrapped, from everything that touches the log;
// ctx.Err() when a context ends.
package node
