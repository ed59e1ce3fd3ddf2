// Package node ties a Chain and a Pool to an event log: it is where the
// pure domain of package blockchain meets I/O. Banks, miners and auditors
// each run a Node; every Node that reads the same log reaches the same
// chain and the same accounts, because the log gives every node the same
// blocks in the same order and every node applies the same rules.
//
// # The steps
//
//  0. LoadSpec reads the network's chain spec from the log's chain-spec
//     stream, or declares it there if the app is the network's first
//     (once: the append expects no stream, so of two apps racing, one
//     wins and the other reads the winner's spec). An app started with
//     another spec than the log's gets a *SpecMismatchError saying what
//     differs, and must stop. An app that brings no spec of its own waits
//     for the first app with WaitSpec. A spec someone hid (a soft delete,
//     or the stream's $tb, $maxCount, $maxAge on EventStoreDB) is
//     ErrSpecHidden where the log shows it has one: blocks or
//     transactions written, or a declaration that does not read back.
//  1. New builds a node holding only the genesis block of that spec.
//  2. Restore reads the blocks stream and applies every block
//     (RestoreVerify checks every rule again; RestoreFast trusts what it
//     reads and only links the blocks and runs their transfers), then reads
//     the transactions stream into the pool, which refuses a transaction
//     whose sender has used its nonce: pending = submitted − included.
//     Decoding, and in verify mode checking the signatures, run on every
//     core ahead of the applying; with Config.AssumeValid the signatures
//     of a trusted block's history are not checked at all. A block whose
//     form is wrong, or whose seal its engine refuses without the chain
//     (blockchain.SealChecker), is refused before its signatures: one
//     appended by someone who did no work costs a hash, not a signature
//     check per transaction.
//     RestoreSnapshot starts instead from the newest snapshot of the
//     snapshots stream: it reads the manifest and its parts, checks that
//     the blocks stream holds the snapshot's tip where the manifest says,
//     that the engine takes the tip's seal, and that the accounts have
//     the state root of the tip's header,
//     resumes the chain there, and applies only the blocks after it;
//     then it puts the snapshot's pending transactions back in the pool
//     and reads the transactions stream from where the snapshot's node
//     stood. A restore then takes time in proportion to the accounts and
//     the recent blocks, not to the whole chain. A snapshot that does not
//     hold is refused and logged, and the node tries an older one, or
//     applies every block.
//  3. Follow subscribes to both streams from exactly where Restore
//     stopped. A block that extends the tip and keeps every rule is
//     applied, its transactions leave the pool, and the pool drops what
//     the block made invalid (a nonce taken, funds spent), which the
//     node's observers are told of; a block the chain holds already (an
//     event some writer stored twice) is a repeat, BlockRepeated, which
//     changes nothing; any other block is skipped, logged
//     with the rule it broke and recorded once in the audit stream as
//     BlockRejected; an event that is not a block at all is skipped and
//     logged. The two streams are read apart, so a node may read a
//     transfer before the block it relies on (the block that pays its
//     sender, or that used the nonce before it): a transfer the pool
//     refuses for its sender's state alone (funds short, a nonce past
//     the next) waits, and is offered to the pool again after each
//     block that touches its sender and after each transfer of that
//     sender the pool takes. At most the pool's capacity wait, the
//     oldest read forgotten first, and at most four of one sender at one
//     nonce. Nothing in the log's events can stop a node; a log that
//     loses events it had served (esdb.ErrWentBack) ends Follow, and so
//     does a blocks stream that skips revisions (ErrBlocksTruncated). A
//     transactions stream that skips revisions, events hidden by its
//     metadata, is logged as an Error and gone past: the chain is still
//     right, only the hidden transfers are lost to the pools. Submit
//     logs one too when the stream shows none of what the node appended
//     (a $tb beyond its end). With
//     Config.SnapshotEvery, every so many blocks the node records a
//     snapshot of its chain in the snapshots stream, from the immutable
//     state of that block, while the fold goes on.
//  4. SubmitTransaction checks a transaction with the pool against the
//     chain — its signature, chain ID, nonce and funds — and appends
//     TransactionSubmitted; the transaction joins the node's pool at once,
//     so the sender's next one can follow. (An append that lands before
//     the events the node read means a retry the log recognised, or a
//     log that lost them: Submit then checks that the log still holds
//     the last one, the very event the node read there, and returns
//     ErrLogWentBack if not, then and for every later submission, which
//     it no longer appends.) Propose builds a miner's next
//     block on the tip; PublishBlock appends it as BlockMined with the
//     expected revision of the last block event the node has read: if
//     another block got in first, the append fails and PublishBlock
//     returns ErrStale. The log is the referee of every race.
//
// # Snapshots and trust
//
// A restore from a snapshot trusts one thing a full restore checks: that
// the snapshot's tip, the block the blocks stream holds where the
// manifest says, was valid when a node first applied it — and so the
// chain up to it — as a fast restore trusts every block of the log. It
// trusts nothing the snapshot says of the accounts: their state root
// must be the one the tip's header commits to, so a forged balance or
// nonce is refused (a forger would have to change the tip's header too,
// and the tip must be the block the log holds). Nor does it take the
// tip's seal on trust: the engine checks it. So whoever can append to
// the log can forge a snapshot only with a tip of their own that has
// its seal — a block's proof of work, or an authority's key — and whose
// state root every full node refuses; Config.AssumeValid closes even
// that, taking only a snapshot on the trusted block's path. The pending transactions are checked as
// any transaction joining a pool is. What a snapshot restore gives up:
// the chain holds the headers from the snapshot's first on only (see
// Node.Chain), and the pending transactions a manifest had no room for
// (events.FitSnapshotTaken keeps the oldest) are not in the pool until
// someone submits or rebroadcasts them.
//
// Observers registered with Node.Observe are told of every event of the
// blocks stream (a block added, rejected or skipped), in Restore — any
// mode; from a snapshot, of the blocks after it — as in Follow, and of every transaction a block made invalid;
// Changed is a channel closed at every change, on which a miner waits
// instead of polling. Node.Chain hands out a blockchain.ReadOnlyChain:
// anyone may read the chain and its accounts, only the node applies
// blocks. The miner and the auditor depend on small interfaces of their
// own (miner.Backend, audit.Backend), which a Node satisfies.
//
// # Errors
//
// ErrNoSpec from LoadSpec; a *SpecMismatchError (ErrSpecMismatch),
// ErrBadSpecEvent, ErrSpecHidden and ErrChainLost from LoadSpec and
// WaitSpec;
// ErrInvalidConfig from New; ErrFollowing from a Follow while another
// runs; ErrStale from PublishBlock; a *SnapshotError
// (ErrSnapshotRefused, with ErrSnapshotIncomplete, ErrSnapshotTip,
// ErrSnapshotPosition, ErrSnapshotHeaders or blockchain.ErrBadSnapshot)
// for each snapshot a restore refused, kept in SnapshotStats rather than
// returned, since the restore goes on without it; from SubmitTransaction
// and Submit the pool's errors: a rule broken, as a *blockchain.RuleError
// (errors.Is(err, blockchain.ErrBadNonce),
// blockchain.ErrInsufficientFunds, blockchain.ErrBadSignature, …), or
// pool.ErrFull or pool.ErrSenderFull; and ErrLogWentBack once a
// submission showed that the log lost events; ErrBlocksTruncated from
// Restore on a blocks stream that lost its first events, and from Follow
// at a gap in it;
// ErrUnknownRestoreMode;
// ErrNotMade from a Node that New did not make; the event log's errors,
// wrapped, from everything that touches the log, and
// eventlog.ErrBrokenLog from Restore on a log whose Read breaks the
// eventlog.Log contract (see eventlog.CheckPage); ctx.Err() when a
// context ends.
package node
