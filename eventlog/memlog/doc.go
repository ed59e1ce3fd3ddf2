// Package memlog is an in-memory [eventlog.Log]: the event log the
// separate demo apps (bank, miner, auditor) embed by default, and the one
// tests use. (devnet keeps its chain in a file by default: eventlog/boltlog.)
//
// It keeps each stream as a slice of recorded events behind one mutex.
// Appends check the expected revision and EventStoreDB's idempotency rules
// under the lock, then wake the stream's subscribers by closing a channel.
// Like EventStoreDB, it recognises a retry with Exact or NoStream by the
// events at its position, always, and one with Any or StreamExists by a
// bounded window of the latest event IDs (Config.DedupWindow, 100 000 by
// default): a retry that comes after the window forgot its first ID
// stores the events again. NoDedupWindow keeps no IDs at all, so that
// tests can see what their readers make of duplicates.
// A subscription is only a cursor: Next returns the event at the cursor
// if the stream has it, and otherwise waits for that channel. So a slow
// subscriber costs nothing while it is slow, a fast one never polls, and
// closing a log or a subscription leaves no goroutine behind — memlog
// starts none.
//
//	log := memlog.New(memlog.Config{})
//	defer log.Close()
//	res, err := log.Append(ctx, "blocks", eventlog.NoStream, event)
//
// Nothing is kept when the process ends. For a log that survives, in one
// process, use eventlog/boltlog (a file, every append fsynced); for
// several processes or machines, run EventStoreDB and use eventlog/esdb.
// The same code works on all three.
//
// # Errors
//
// The errors of package eventlog, wrapped: [eventlog.ErrWrongExpectedRevision]
// (as a *eventlog.WrongExpectedRevisionError), [eventlog.ErrStreamNotFound],
// [eventlog.ErrStreamDeleted], [eventlog.ErrEmptyAppend],
// [eventlog.ErrInvalid], [eventlog.ErrTooLarge], [eventlog.ErrClosed]; and
// ctx.Err() when a context ends first.
package memlog
