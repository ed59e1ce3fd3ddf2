// Package audit answers the question the original project left open: what
// becomes of a transaction that never reaches a block? An [Auditor]
// compares what was submitted with what the chain includes, and writes the
// fate of every transaction into the event log:
//
//   - TransactionVerified in the audit stream, once for each transaction
//     of each block the chain accepts (the original's "persist
//     transactions verified (from auditor)");
//   - TransactionRebroadcast in the transactions stream for a transaction
//     that has waited Policy.MaxAge for a block, attempt 1, 2, … up to
//     Policy.MaxAttempts — every miner reads it like a submission, so a
//     miner that restarted, or never saw the transaction, gets it again;
//   - TransactionDropped in the audit stream, once, when the auditor gives
//     up on a transaction, with the reason ("not included after 3
//     rebroadcasts over 4m0s") and the number of attempts.
//
// A bank answers "what became of my transaction?" from these events, and
// [Auditor.Report] counts them for logs and metrics.
//
// # The steps
//
//  1. [New] takes a [Backend] — the auditor's view of the chain, usually
//     a *node.Node restored and followed by the caller, as for a miner;
//     a test may give a small fake — the event log, a
//     [Policy] ([DefaultPolicy] if zero), and a clock.
//  2. [Auditor.Restore] reads the transactions and audit streams into
//     what the auditor knows of each transaction: when the log recorded
//     its submission, its rebroadcasts (so the attempt numbers go on where
//     they stopped), and whether it is verified or dropped already (so
//     nothing is recorded twice). [Auditor.Run] calls it first.
//  3. At every tick ([Auditor.Tick]) the auditor waits until the node has
//     read every block appended so far, reads the events appended to the
//     two streams since its last step, and lists the blocks the chain
//     accepted since then, recording TransactionVerified for each of their
//     transactions.
//  4. It then looks at each transaction that is submitted and in no block.
//     One that has waited MaxAge — since the log recorded its submission,
//     or its latest rebroadcast — is rebroadcast with the next attempt
//     number; after MaxAttempts rebroadcasts, and MaxAge more, it is
//     dropped instead.
//  5. Between ticks, Run also lists each new block as soon as the node
//     applies it, so inclusions are recorded when they happen.
//
// # Decisions
//
// The age of a transaction is measured by the auditor's clock (Config.Now)
// against the time the event log recorded the event (eventlog.Recorded's
// Time), not against the transaction's own timestamp: that is the
// sender's claim, and may be skewed. The recorded time is the same for
// every reader and survives a restart. A log that records no time falls
// back on the transaction's timestamp. Give an in-memory log the
// auditor's clock in tests (memlog.Config.Now), so both agree.
//
// The auditor's state is a fold of the log: it counts only what it reads
// there, never what it believes it wrote. Each step reads the streams
// before it decides anything and again after it wrote, so a restarted
// auditor — a new node restored from the same log, and a new Auditor —
// knows exactly what the old one did: it goes on with the next attempt
// number and records nothing again. Event IDs are derived from content,
// so an append repeated after a failure, or by a second auditor on the
// same log, writes nothing new either.
//
// The chain is the truth. A transaction a block includes after it was
// dropped (a slow miner, a log that lagged) is recorded as verified all
// the same, with a warning in the log; the TransactionDropped stays in
// the audit stream, and the Report moves the transaction from Dropped to
// Included. Readers of the audit stream should let a TransactionVerified
// win over a TransactionDropped, whichever comes first.
//
// A tick waits for the node because a node that lags behind the blocks
// stream would make a mined transaction look stranded. A block appended
// during the tick can still make the auditor rebroadcast a transaction
// that was mined a moment before: harmless, since every pool refuses a
// transaction the chain includes, and the next step verifies it.
//
// # What grows
//
// The auditor keeps a small record (ID, hash, times, counts, flags) of
// every transaction it has seen in either stream or in a block, for as
// long as it runs: a few hundred bytes per transaction. It keeps the
// transaction itself only while it may have to be rebroadcast. Each tick
// looks at the transactions that are pending or dropped; verified ones
// leave that list. A node with a Window keeps only the newest blocks: a
// block the auditor has not listed before the node let it go is skipped
// with a warning, and only its transactions that went through the
// transactions stream are verified (Chain.Inclusion still knows them).
//
// # Errors
//
// [New] returns errors wrapping [ErrInvalidConfig], naming the field at
// fault. Restore and Tick return the event log's errors, wrapped (test
// them with errors.Is: eventlog.ErrUnavailable, eventlog.ErrClosed, …),
// and ctx.Err() when the context ends first. Events of the streams that
// do not decode are skipped and logged, never returned: nothing in the
// log can stop an auditor. Run logs a failed step and tries again at the
// next tick; it returns ctx.Err(), Restore's error, or an error wrapping
// eventlog.ErrClosed or eventlog.ErrStreamDeleted, after which no step
// can succeed.
//
// # Concurrency
//
// An Auditor is safe for concurrent use: its steps (Restore, Tick, and
// Run's) take turns, and [Auditor.Report] may be read from any goroutine
// at any time. It starts no goroutines.
package audit
