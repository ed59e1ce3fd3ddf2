// Package eventlogtest is the conformance suite of the [eventlog.Log]
// contract, in the manner of testing/slogtest and x/net/nettest: every
// implementation runs it, and passes it, before anything is built on it.
//
// # Running it
//
// Call [Run] from a test of your package with a function that returns a
// new log:
//
//	func TestConformance(t *testing.T) {
//		eventlogtest.Run(t, func(t *testing.T) eventlog.Log {
//			return mylog.New()
//		})
//	}
//
// Run makes one subtest per rule, named for the rule, and calls newLog
// for each, so every rule starts from a fresh log; table-driven rules
// make one subtest (and one log) per row. Run closes each log when its
// subtest ends; newLog may also close it (Close is idempotent), may
// register clean-ups of its own, and may skip: a log of a server that is
// not there should skip with the reason, e.g. "EVENTSTORE_URL not set".
//
// A log may be a view of shared state, such as one EventStoreDB server
// for many runs: every case names its streams "eventlogtest-<case>-<uuid>"
// and looks at no others, so runs neither see nor disturb each other.
// Run with -run to pick rules, e.g. -run 'Conformance/ReadWindows'.
//
// # What it checks
//
//   - Appending: revisions 0, 1, 2, … in append order across single
//     events and batches; each expectation (Any, NoStream, StreamExists,
//     Exact) when it holds and when it does not, the latter with a
//     [*eventlog.WrongExpectedRevisionError] giving the stream, both
//     states, and nothing written; AppendResult.NextExpected.
//   - Idempotency, expectation by expectation, no more than the contract
//     promises: the same event IDs appended again with Exact or NoStream
//     are a no-op that returns the first result, right away or after
//     hundreds of later events, and a batch that starts the same but
//     differs is refused; with Any or StreamExists the retry is either
//     such a no-op (the log remembers the IDs) or stores the whole batch
//     again after the stream's last event and returns where it ends (the
//     log forgot them), nothing in between, and a batch that differs is
//     either refused or stored whole as a new append, never ignored; the
//     same IDs appended to another stream are a new append there.
//   - Arguments: bad stream names, bad events, empty appends and bad read
//     counts or directions give [eventlog.ErrInvalid] or
//     [eventlog.ErrEmptyAppend], whichever event of a batch is bad; an
//     append of exactly [eventlog.MaxAppendSize] (a 1 MiB event) is
//     stored whole and one byte more gives [eventlog.ErrTooLarge]; refused
//     appends write nothing, not even part of a batch.
//   - Reading: forwards and backwards, from Start, End, a revision in the
//     middle or past the end, with max below and above what is left;
//     every field of [eventlog.Recorded] (Time set and UTC, empty
//     metadata as nil); [eventlog.ErrStreamNotFound]; streams kept apart;
//     the log copying what it is given and what it hands out. Every page
//     the suite reads must pass [eventlog.CheckPage].
//   - Names: Unicode names, compared byte for byte; the longest name; a
//     prefix added by [eventlog.WithPrefix] is invisible to its callers.
//   - Subscribing: from Start, a revision (inclusive), the last revision,
//     End and past the end, on streams that exist and that do not yet,
//     while another goroutine appends: every event once, in order; from
//     End while appends race with Subscribe; a reader that falls hundreds
//     of events behind; a subscription outliving Subscribe's context; a
//     subscription to a stream that holds no event does not make it.
//   - Concurrency: writers racing with Exact get one winner per revision
//     and the losers a WrongExpectedRevisionError with a later Actual;
//     writers appending batches with Any get atomic batches in their own
//     order, and every subscriber sees the order Read does.
//   - Contexts and closing: Next returns ctx.Err() and the next Next
//     resumes without loss, even when cancellation races with an append;
//     a call with a done context does all of its work or none;
//     Subscription.Close and Log.Close end a waiting Next with
//     [eventlog.ErrClosed], every later call gets ErrClosed, and Close is
//     idempotent.
//   - Deleting, if the log is an [eventlog.Deleter] (skipped otherwise):
//     Delete checks its expectation like Append; a deleted stream refuses
//     appends, retries, reads, subscriptions and deletes with
//     [eventlog.ErrStreamDeleted]; its subscriptions end with it.
//
// # Duplicates
//
// [Duplicating] wraps a log so that it stores some appends with Any or
// StreamExists twice, as EventStoreDB does when a client retries after
// its cache forgot the IDs: the tool to check that a fold shrugs off
// duplicates. Wrap a log that keeps no IDs (memlog's NoDedupWindow), or
// the duplicates are recognised as retries and not stored.
//
// # A stream that lags
//
// [Holding] wraps a log so that its subscriptions to one stream hand out
// nothing until the test releases them: a reader whose one stream lags
// the others, or that has not yet read a stream's past, made to happen
// when the test wants it rather than when the scheduler does.
//
// # A stream whose first events are hidden
//
// [Hiding] wraps a log so that a stream's events below a revision the
// test chooses ([HidingLog.Hide]) are hidden from its readers, as
// EventStoreDB hides them from everyone when anyone who can write to the
// log soft-deletes the stream or sets its $tb, $maxCount or $maxAge: a
// read from a hidden revision starts at the first event left. The tool
// to check that a reader tells a stream cut short from a log that lost
// its events, or refuses to rebuild a chain from what is left.
//
// # A log that reads wrong
//
// [BreakingReads] wraps a log so that its reads of one stream break the
// contract in a way a log of your own might ([IgnoringFrom], [Reversing]):
// the tool to check that code which pages through a stream fails at once
// with [eventlog.ErrBrokenLog] instead of reading the same page for ever.
//
// # A log wiped
//
// [Swappable] holds a log a test replaces while the code under test
// holds it, as an EventStoreDB wiped under its clients, or restored from
// an older backup: the tool to check that the code notices the log no
// longer holds what it read, and writes nothing into the new one.
//
// # The watchdog
//
// Every call the suite makes to a log runs under a watchdog: it gets a
// context that expires after 30 seconds, and a call still running 5
// seconds after its context ended is abandoned. Either way the call
// fails with an error naming the case and the method, so a log that
// deadlocks, or ignores its contexts, fails the case instead of stalling
// the test binary until go test's timeout. An abandoned call's goroutine
// is left behind; every other goroutine the suite starts is joined before
// its case ends, so a leak checker such as goleak in the implementation's
// TestMain sees only the log's own goroutines.
//
// No case waits by sleeping: goroutines meet on channels, contexts and
// errgroups, and the racing cases assert only what must hold however the
// race goes, so the suite gives the same verdict on every run.
package eventlogtest
