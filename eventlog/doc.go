// Package eventlog defines the event log eventchain runs on: the [Log]
// interface, its envelope types and its errors. It knows nothing about
// blocks or transactions; package blockchain/events maps those to events.
//
// The log is the system's ordering service. Every stream — transactions,
// blocks, audit — is a totally ordered sequence of events, numbered by
// revision from 0. Every node reads the same streams in the same order and
// folds them through the same rules, so every node reaches the same chain.
// A miner publishes a block with Append and an [Exact] expected revision:
// if another block got there first, the append fails with a
// [*WrongExpectedRevisionError] and the miner knows it lost the race.
//
// # Implementations
//
//   - eventlog/memlog: in memory; the default of the standalone demo
//     apps, and what tests use.
//   - eventlog/boltlog: one bbolt file, every append on disk before it is
//     acknowledged; devnet's default, for one process.
//   - eventlog/esdb: EventStoreDB, through its official Go client, for
//     several processes and machines.
//
// All three pass eventlog/eventlogtest, the conformance suite; a log of your
// own should too. [WithPrefix] puts a prefix on every stream name of any
// Log, so many demos can share one server.
//
// # The contract in short
//
//  1. Append writes a batch atomically, if the stream is in the [Expected]
//     state: [Any], [NoStream], [StreamExists] or Exact(revision).
//  2. Retrying an append whose answer was lost, with the same event IDs,
//     is a no-op that returns the first result when it expects Exact or
//     NoStream: the log compares the IDs at that position. With Any or
//     StreamExists it is best effort: the log checks the IDs against a
//     bounded window of recent writes, as EventStoreDB does, and a retry
//     that comes after the window forgot them stores the events again.
//     Readers must therefore fold duplicates away, by event ID; every
//     fold in eventchain does.
//  3. Read returns events forwards or backwards from a revision.
//  4. Subscribe returns a catch-up subscription: history first, then live
//     events, in order, no gap, no duplicate. Its reader pulls events with
//     Next, so a slow reader loses nothing and costs no memory.
//
// # Errors
//
// [ErrWrongExpectedRevision] (as a [*WrongExpectedRevisionError] with both
// states), [ErrStreamNotFound], [ErrStreamDeleted], [ErrEmptyAppend],
// [ErrInvalid], [ErrTooLarge], [ErrClosed], [ErrUnavailable] and
// [ErrCorrupt]: every implementation wraps these, so errors.Is works
// whatever the log. (Only storage that can be damaged under the process,
// boltlog's file, returns ErrCorrupt.) [ErrWentBack] says that the log
// lost events a reader had read from it (a server wiped, or started
// again with its data gone); of the three, only esdb's subscriptions
// return it.
//
// No log returns [ErrBrokenLog]: its readers do, on finding that a log
// broke this contract. Code that reads a stream a page at a time, as
// every reader in eventchain does, trusts each page to start where it
// asked and to be in order; a log whose Read ignores from would have it
// read one page for ever. So such code checks each page with
// [CheckPage], and stops with ErrBrokenLog instead.
package eventlog
