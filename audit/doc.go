// Package audit answers the question the original project left open: what
// becomes of a transaction that never reaches a block? An [Auditor]
// compares what was submitted with what the chain includes, and writes the
// fate of every transaction into the event log:
//
//   - TransactionVerified in the audit stream, once for each transaction
//     of each block the chain accepts (the original's "persist
//     transactions verified (from auditor)");
//   - TransactionDropped in the audit stream, at once, with the rule, for
//     a transaction a block made invalid: another transfer of its sender
//     with the same nonce was included (blockchain.ErrBadNonce), its
//     sender can no longer pay (blockchain.ErrInsufficientFunds) — the
//     pools drop it at the same moment — or it was never valid for this
//     chain (blockchain.ErrWrongChain, blockchain.ErrBadSignature);
//   - TransactionRebroadcast in the transactions stream for a transaction
//     that has waited Policy.MaxAge for a block, attempt 1, 2, … up to
//     Policy.MaxAttempts — every miner reads it like a submission, so a
//     miner that restarted, or never saw the transaction, gets it again;
//   - TransactionDropped in the audit stream, once, when the auditor gives
//     up on a transaction, with the reason ("not included after 3
//     rebroadcasts over 4m0s"), the number of attempts and Rule
//     blockchain.ErrUnknown: no rule is broken, no block took it.
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
//     what the auditor knows of each transaction a block may still
//     include: when the log recorded its submission, its rebroadcasts (so
//     the attempt numbers go on where they stopped), whether it is
//     dropped already (so nothing is recorded twice), and the height of
//     the last block verified, where the auditor goes on. [Auditor.Run]
//     calls it first. [Auditor.Restored] is closed once it has (or the
//     first Tick has caught up): before, [Auditor.Report] counts only
//     what was read so far.
//  3. At every tick ([Auditor.Tick]) the auditor waits until the node has
//     read every block appended so far, notes the chain's height, reads
//     the events appended to the two streams since its last step, and
//     folds the blocks the chain accepted since then, up to that height,
//     recording TransactionVerified for each of their transactions.
//  4. It asks the chain (Chain().CheckTransaction) about each transaction
//     it waits on that it has not asked about yet, or whose sender sent
//     something in those blocks. One that can never be included is
//     dropped at once, with the rule. One whose nonce is ahead of its
//     sender's next (a gap an earlier transfer may fill) waits.
//  5. It then looks at each transaction still waiting. One that has
//     waited MaxAge — since the log recorded its submission, or its
//     latest rebroadcast — is rebroadcast with the next attempt number;
//     after MaxAttempts rebroadcasts, and MaxAge more, it is dropped
//     instead.
//  6. Between ticks, Run also folds each new block as soon as the node
//     applies it, and checks what it made invalid, so inclusions and
//     drops are recorded when they happen.
//
// # Decisions
//
// The age of a transaction is measured by the auditor's clock (Config.Now)
// against the time the event log recorded the event (eventlog.Recorded's
// Time): the same for every reader, and it survives a restart.
// (Transactions carry no time of their own.) A log that records no time
// falls back on the auditor's clock when it reads the event. Give an
// in-memory log the auditor's clock in tests (memlog.Config.Now), so both
// agree.
//
// The auditor's state is a fold of the log: what it reads there, and
// what it appended there itself (taken in once the append succeeded: an
// event's ID derives from its content, so the log may take an append as
// a retry of an identical event and never hand it back). Each step reads
// the streams before it decides anything and again after it wrote, so a
// restarted
// auditor — a new node restored from the same log, and a new Auditor —
// knows exactly what the old one did: it goes on with the next attempt
// number and records nothing again. Event IDs are derived from content,
// so an append repeated after a failure, or by a second auditor on the
// same log, writes nothing new either.
//
// The chain keeps no index of the transactions it included (a sender's
// nonce refuses a replay), so the auditor cannot ask it "is this one
// in?". It folds the blocks itself instead, in height order, and matches
// their transactions against the ones it waits on. It notes the chain's
// height before it reads the streams and folds the blocks up to that
// height only: a transaction went through the transactions stream before
// a miner put it in a block, so the auditor has read it by the time it
// folds the block. Which transfer of a sender used a nonce is known only
// from the block that used it: a transaction waited on whose nonce a
// folded block used, and that the block did not include, was beaten by
// another transfer.
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
// transaction whose nonce is used, and the next step verifies it. The
// auditor decides "its nonce was used by another transfer" only from the
// state after the blocks it has folded, never from a newer tip, so a
// block the node applied during the step cannot make it drop a
// transaction that block included.
//
// The audit and transactions streams are written by auditors and banks,
// but any writer may append to them, so the auditor believes what it
// reads only as far as the chain bears it out. A TransactionVerified
// counts only if it names the block the chain holds at its height and,
// while the node keeps that block, one of its transactions (for an older
// block, whose hash anyone can name, a transaction the auditor waits on
// must have its nonce used). One for a block above the node's height is
// not believed at all: the auditor folds that block itself when its node
// has it. A restarted auditor goes on from the highest block verified,
// unless a transaction it still waits on has its nonce used below it
// (a true event appended out of order): then from the block that used
// it. After its first catch-up it folds every block itself, and skips
// only the transactions it has no record of in blocks below the highest
// verified one: no event, forged or early, makes it skip a transaction
// it waits on. A TransactionRebroadcast raises a
// transaction's attempts by one at most, whatever attempt it claims, and
// the auditor gives up on a transaction only once the whole time its
// policy gives one has passed, (MaxAttempts+1)·MaxAge from the
// submission: forged rebroadcasts cannot make it give up early.
// A TransactionDropped is believed only if the chain refuses the
// transaction now, for good (a drop for a rule), or, for
// blockchain.ErrInsufficientFunds, refused it for its funds after the
// blocks verified before the drop (a credit since does not undo a drop
// the pools made; the chain's newest StateHistory states tell), or it came after as
// many attempts and as much time as the auditor's policy gives (a drop
// that gave up): a forged one
// cannot make it stop rebroadcasting a valid transfer. An auditor that
// believes no drop goes on by its own policy, and drops the transaction
// itself when that is due. The auditor takes in the events it appends at
// once, without waiting to read them back: an event's ID derives from
// its content, and the log takes an append identical to another
// auditor's as a retry of it, which is never handed back.
//
// # What grows
//
// The auditor keeps a record (the transaction, its times, its attempts)
// only of the transactions a block may still include: those it waits on,
// and those it dropped whose nonce no block has used yet (a block may
// still include one of them, and then it is verified after all). A record
// leaves when its transaction is verified, or when a block it folded used
// the nonce of a dropped one. So what it holds grows with the
// transactions pending, not with the history; besides, the transactions
// of the last block verified (to finish that block after a restart
// without recording any twice), the senders of the blocks folded since
// the last check, and, of a bounded number of the transfers it folded
// last (32 768), which transfer used each sender's nonce.
//
// Forgetting is safe because of nonces. An event of the transactions
// stream about a transaction the auditor has no record of, whose nonce a
// block it has folded used, is a late copy of a transaction already
// verified or dropped — EventStoreDB may store a retried append twice,
// far from the first — or a transfer no block can include. If a block
// the auditor folded lately gave that nonce to another transfer, it is
// the latter, the loser of two transfers with one nonce that reached the
// log after the block (two banks each took one): it is recorded, and
// dropped for its nonce at the next check, so that every bank can say
// so (a copy of a loser it recorded already is skipped). Otherwise it is
// skipped and counted nowhere: the auditor does not
// call dropped what may be in a block. A late copy of a TransactionVerified is known by
// its height: auditors record blocks in order, so the first event of a
// transaction never comes after those of a higher block, and only copies
// do.
//
// Restore reads both streams from their start: for a moment it holds a
// record of every transaction the transactions stream names, until the
// audit stream says which are settled. A block the node no longer holds
// (a node with a Window, and an auditor that fell behind it) is read from
// the blocks stream instead: the BlockMined event whose block has the hash
// the chain holds at that height.
//
// # Errors
//
// [New] returns errors wrapping [ErrInvalidConfig], naming the field at
// fault. Restore and Tick return the event log's errors, wrapped (test
// them with errors.Is: eventlog.ErrUnavailable, eventlog.ErrClosed, …),
// eventlog.ErrBrokenLog for a page of a read that breaks the
// eventlog.Log contract (every page is checked with eventlog.CheckPage:
// the auditor reads its streams a page at a time, and would read such a
// page for ever), and ctx.Err() when the context ends first. Events of
// the streams that do not decode are skipped and logged, never returned:
// nothing in the log can stop an auditor. Run logs a failed step and
// tries again at the next tick; it returns ctx.Err(), Restore's error,
// or an error wrapping eventlog.ErrClosed, eventlog.ErrStreamDeleted,
// eventlog.ErrCorrupt, eventlog.ErrBrokenLog or node.ErrLogWentBack (the
// log no longer holds what the auditor read), after which no step can
// succeed. A TransactionDropped carries the rule as a
// blockchain.ErrorCode (events.TransactionDropped.Rule): test it with
// errors.Is(ev.Rule, blockchain.ErrBadNonce) or compare the codes.
//
// # Concurrency
//
// An Auditor is safe for concurrent use: its steps (Restore, Tick, and
// Run's) take turns, and [Auditor.Report] may be read from any goroutine
// at any time. It starts no goroutines.
package audit
