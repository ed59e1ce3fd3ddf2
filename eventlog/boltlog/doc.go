// Package boltlog is a durable [eventlog.Log] in one file, kept by
// go.etcd.io/bbolt, the embedded B+tree store etcd runs on: a log that
// survives restarts and crashes without a server. It passes the same
// conformance suite, eventlog/eventlogtest, as eventlog/memlog and
// eventlog/esdb, so code written against one runs on all three.
//
//	log, err := boltlog.Open(ctx, boltlog.Config{Path: "chain.db"})
//	if err != nil {
//		return fmt.Errorf("open event log: %w", err)
//	}
//	defer log.Close()
//
// # The file
//
// bbolt keeps sorted keys and their values in buckets, in one file, with
// transactions: one writer at a time, many readers, each reader seeing the
// file as the last commit before it began left it. boltlog lays its
// buckets out so that the contract's questions are lookups:
//
//	boltlog     "format" → "eventchain boltlog 1"
//	streams     stream name → the stream's bucket:
//	                revision, 8 bytes big-endian → event record
//	tombstones  stream name → when it was deleted
//
// Keys sort bytewise, and big-endian numbers sort bytewise as they do as
// numbers, so a cursor walks a stream in revision order, either way, and a
// stream's last revision is simply its bucket's last key; it is not stored
// again. An event record holds the event's ID, recorded time, type, data
// and metadata, and a CRC-32C over all of it and the stream's name and
// revision. Delete drops the stream's bucket and writes its tombstone in
// one transaction: the name refuses everything for ever, as the contract
// asks.
//
// # An append, step by step
//
//  1. Append checks its arguments as every log does (eventlog.CheckAppend)
//     and encodes the events' records, in the caller's goroutine.
//  2. It queues the request for the committer, a goroutine the Log owns.
//  3. The committer takes every request queued (up to 1000, or 4 MiB of
//     events) and runs them in order in one write transaction (now and
//     then it first tops up the room written past the file's pages: see
//     Durability, below): for each, the stream's tombstone, its last
//     revision, the expectation and the idempotency rules, then the new
//     records under the next revisions, stamped with Config.Now and
//     checksummed.
//  4. It commits, and bbolt writes the pages and fsyncs, then writes the
//     meta page that makes them the file's state and fsyncs again. Then
//     it checks that the path still names the file it wrote (one stat:
//     see Errors). Only then does each request get its answer, so an
//     acknowledged event is on disk, in the file a restart opens.
//     Requests that arrived during the commit wait for the next one:
//     concurrent appends share one commit and its fsyncs (group commit),
//     and a lone append waits for no timer.
//  5. The committer wakes the subscribers of every stream the commit
//     changed, by closing the stream's channel.
//
// A retry with Exact or NoStream is recognised by position: the
// committer reads the IDs stored where the expectation points. That
// reads the file, so it works across restarts. A retry with Any or
// StreamExists is recognised, as in EventStoreDB and memlog, by a bounded
// window of recent event IDs (Config.DedupWindow); the window lives in
// memory and starts empty when the file is opened, which the contract
// allows (best effort): a retry with Any after a restart stores its
// events again, and folds must shrug duplicates off anyway.
//
// # Reading and subscribing
//
// Read runs one read transaction. A subscription is a cursor: its Next
// reads a page of events (at most 64) in a short read transaction when
// it has delivered the last page, and, at the end of the stream, waits
// for the committer's wake-up, or for its context or Close, or for the
// log to break (see below), when it returns the log's error. No one polls,
// and a slow reader holds no transaction open, so it never keeps bbolt
// from reusing pages.
//
// # Opening a file, and a file that is wrong
//
// Open creates a missing file whole: it builds it under a temporary name
// (".events.db.new-" and a number, for "events.db"), then links it into
// place, so a crash never leaves a half-made log. A crash between the
// link and the removal of the temporary name leaves that name as a second
// link to the log's file: the next Open removes such names, when they
// are the log's file, and leaves every other file alone (a temporary
// file that is another one may be a create in progress). On Windows,
// which removes no name of a file that is open, such a name stays: delete
// it with the app stopped. It opens an
// existing file only after checking all of it: bbolt's two meta
// pages (both must be intact, or bbolt would silently fall back on the
// older and lose the last commit), the file's length against them, every
// page the tree reaches and every free page (each in the file, used once,
// of the right kind; none left over), then boltlog's buckets, every
// record's checksum, and revisions 0, 1, 2, … with no gap in every
// stream. bbolt trusts its file, and reading a damaged one can make it
// panic or fault; the checks read bbolt's format themselves, with plain
// reads (package internal/boltcheck), holding bbolt's shared lock,
// before bbolt opens the file to write and walks anything; what panics
// bbolt still raises while opening are recovered into an error. (Such a
// panic would leave bbolt's memory map of the file, and so its lock,
// until the process ends: checked first, a damaged file is let go whole.)
// So a truncated, damaged or
// foreign file gives a *CorruptError, never a panic. The check reads the
// whole file, which is the price of that promise: a few milliseconds per
// megabyte.
//
// bbolt locks the file while a process has it open. Another process's
// Open waits Config.LockTimeout (a second by default) and then gives up
// with ErrLocked, saying that the file is in use by another process.
//
// # Durability, and what it costs
//
// bbolt's NoSync stays false: every commit is two fdatasyncs. Under many
// concurrent writers the commits are few (see the package's benchmarks:
// BenchmarkAppendConcurrent reports fsyncs per append, and throughput
// against memlog's).
//
// The committer keeps the file written with zeros a little past bbolt's
// pages (a quarter of them, from 512 KiB to 4 MiB), and fsyncs them,
// before bbolt needs the room. bbolt would grow the file with a hole, and
// every commit that writes a page past the last one, which is nearly
// every append, would then make the file system allocate blocks and
// commit its journal within the commit's fdatasync; in blocks the file
// already has, the fdatasync flushes the pages alone. One commit in many
// carries the zeros, and the file is that much larger than its pages
// (see fill.go). A crash test kills a child process appending as
// fast as it can, again and again, and checks that every acknowledged
// event is there, intact, at its revision, with no gap.
//
// A Log is safe for concurrent use; its goroutine ends when Close
// returns.
//
// # Backups
//
// Copy the file only while no process has it open: stop the app (or
// Close the Log) first, then cp it. bbolt's lock binds only other bbolt
// opens, not cp, and a copy made while the log commits can be torn: the
// meta page of one commit with pages of another. Open's checks may
// refuse a torn copy with a *CorruptError, but cannot promise to catch
// every one, and a copy that opens may lack acknowledged events.
// The package offers no hot backup (bbolt's Tx.WriteTo, which copies a
// consistent state from a read transaction, is not exposed). Restore the
// same way, with the app stopped: a file replaced under a running log
// makes its appends fail (see Errors).
//
// # Errors
//
// The errors of package eventlog, wrapped:
// [eventlog.ErrWrongExpectedRevision] (as a
// *eventlog.WrongExpectedRevisionError), [eventlog.ErrStreamNotFound],
// [eventlog.ErrStreamDeleted], [eventlog.ErrEmptyAppend],
// [eventlog.ErrInvalid], [eventlog.ErrTooLarge], [eventlog.ErrClosed];
// ctx.Err() when a context ends first; an error wrapping bbolt's when a
// commit fails (the disk is full, say), and then nothing was written.
// Open also returns [ErrLocked], and [ErrCorrupt] as a [*CorruptError]
// that says what is wrong with the file, and the file system's errors,
// wrapped, naming the path (and the directory, when Open cannot make the
// file in it): errors.Is(err, fs.ErrNotExist) for a missing directory. Any call returns a
// *CorruptError too for a file damaged under the running process: a
// record whose bytes changed, or, when a read faults on a file cut short
// or bbolt panics on a damaged page, every call from then on, since
// bbolt may hold its locks still (Close then releases the file if bbolt
// lets it within a few seconds, else bbolt keeps it, and its lock, until
// the process ends).
//
// A file removed, renamed away or replaced (another renamed over it)
// while the log has it open stays open: bbolt would go on committing to
// it, and a restart would open whatever the path names then, without
// those events. So after each commit the committer checks that the path
// still names the log's file (os.Stat of the path against the open
// file, os.SameFile: a few microseconds against a commit's two
// fdatasyncs). If it does not, the appends of that commit, and every call
// from then on, get a *CorruptError saying that the file at the path is
// no longer the log's file. The commit itself went to the log's file,
// where a restart will not find it: its callers are not told it
// succeeded. Reads are answered from the open file until the first
// commit finds out.
package boltlog
