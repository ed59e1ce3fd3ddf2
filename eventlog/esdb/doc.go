// Package esdb is an [eventlog.Log] on EventStoreDB (and KurrentDB, its
// successor), through the official Go client,
// github.com/EventStore/EventStore-Client-Go/v4. Apps use it to keep
// their streams in a server that outlives them; the same code runs on
// eventlog/memlog, and both pass eventlog/eventlogtest.
//
//	log, err := esdb.Open(ctx, esdb.Config{ConnString: "esdb://localhost:2113?tls=false"})
//	if err != nil {
//		return fmt.Errorf("open event log: %w", err)
//	}
//	defer log.Close()
//
// The connection string is the official client's: one node or a
// cluster, TLS or not, credentials, node preference (see Config). For
// tests and demos without a server, eventlog/esdb/esdbtest runs an
// in-memory one in the same process.
//
// # What a call does
//
//  1. It checks its arguments exactly as eventlog/memlog does
//     (eventlog.CheckAppend, eventlog.CheckRead), so that invalid input
//     fails the same way on both, and puts Config.StreamPrefix before
//     the stream name.
//  2. It takes a connection from a small pool (connecting first if none
//     is idle) and makes the client call: Any, NoStream, StreamExists and
//     Exact(n) become the client's Any{}, NoStream{}, StreamExists{} and
//     Revision(n); events are sent as JSON, with Metadata as the client's
//     user metadata.
//  3. It maps the answer back: events to eventlog.Recorded (Time from
//     the event's created time, in UTC; empty metadata as nil), and the
//     client's errors to the contract's (see Errors).
//
// # Where EventStoreDB and the contract differ
//
// The adapter presents the contract, not the server:
//
//   - Subscribe(from) delivers revisions ≥ from; EventStoreDB's
//     subscriptions start after the revision they name, so from r > 0
//     becomes the client's Revision(r−1), and 0 its Start. From End, the
//     adapter reads the stream's last revision first, so that it has a
//     definite place to resume from.
//   - A forwards read from End returns no events; EventStoreDB refuses
//     that read.
//   - Delete is EventStoreDB's tombstone (a hard delete), as the
//     contract's Deleter demands; its soft delete is not used.
//   - Subscriptions survive a dropped connection: the subscription's
//     goroutine resubscribes from the last revision it received, waiting
//     between attempts (Policy.ReconnectMin doubling up to ReconnectMax),
//     so the reader sees no gap and no duplicate. It buffers at most
//     Policy.SubscriptionBuffer events ahead of its reader. Before it
//     resubscribes it checks that the server still holds what it read
//     (a subscription from revision n counts the n events before as read,
//     as far as the server held them when it subscribed: a reader that
//     read them first builds on them), and that the event at the last of
//     them is still the one it was:
//     a server that lost events (wiped, restored from an older backup,
//     an esdbtest started again) ends the subscription with ErrWentBack,
//     rather than leave the reader waiting for revisions that may never
//     come, or that will hold other events.
//   - A wrong expected revision gives Actual, the stream's current
//     revision: for an append from the client's error text (v4.2.0
//     offers it in no other form), for a delete from the server's
//     message (the client does not decode it); if either lacks it, from a
//     read of the stream's last event — which may by then be later.
//
// # Connections
//
// Each call uses a connection (an official client) of its own, and each
// subscription one for its life. The client's documentation suggests one
// client for everything, but client v4.2.0 reconnects unsafely: after a
// call fails because the server went away, its next call looks for the
// server again, leaking the old connection if it finds it; if it does
// not, the client closes itself for good, and calls waiting on it at
// that moment wait for ever, or panic. A client used by one call at a
// time, and closed once it has seen its server go away, never gets
// there. Idle connections are kept for reuse (Policy.MaxIdleConns); one
// found dead on reuse is replaced, and a read or append retried once on
// a new one. That is safe for an append with Exact or NoStream, which
// the server recognises by position. One with Any or StreamExists it
// recognises by its cache of recent event IDs, which still remembers the
// first attempt unless some 100 000 events were written in between; if
// not, the events are stored twice, which readers must fold away anyway
// (see eventlog.Log's Append).
//
// A connection whose call ran out of time (its context's deadline, or
// the client's, passed) is closed, not kept: it may have gone silent, as
// one a firewall forgot does, which gRPC's keepalive notices only some
// 20 s later, and every call that took it meanwhile would wait out its
// deadline. The price is paid by a caller whose deadlines are shorter
// than its server's answers: the next call connects anew. A call its
// caller cancelled (a bank's client that hung up) keeps its connection,
// which that says nothing of: else anyone who can start requests and
// abandon them could make the log's connections churn. A subscription's
// connection is closed when the subscription ends, whatever ends it:
// quiet for as long as its stream was, it is the likeliest to have gone
// silent.
//
// # Testing against a real server
//
// The package's tests run eventlogtest.Run on esdbtest, and, when
// EVENTSTORE_URL is set (esdb://localhost:2113?tls=false, say), on that
// EventStoreDB too; the esdbtest package's protocol tests do the same.
//
// # Errors
//
// Errors wrap the contract's sentinels, and the client's error too, so
// that both errors.Is(err, eventlog.ErrStreamDeleted) and errors.As(err,
// &clientErr) (a *esdb.Error of the official client) work:
//
//   - *eventlog.WrongExpectedRevisionError (eventlog.ErrWrongExpectedRevision);
//   - eventlog.ErrStreamNotFound: the client's ErrorCodeResourceNotFound;
//   - eventlog.ErrStreamDeleted: its ErrorCodeStreamDeleted;
//   - eventlog.ErrUnavailable: the server cannot be reached, is not the
//     leader, or did not answer in time (ErrorUnavailable,
//     ErrorCodeConnectionClosed, ErrorCodeNotLeader,
//     ErrorCodeDeadlineExceeded, ErrorAborted);
//   - eventlog.ErrInvalid, eventlog.ErrEmptyAppend, eventlog.ErrTooLarge:
//     refused before anything is sent;
//   - eventlog.ErrClosed after Close; ctx.Err() when the caller's
//     context ends first.
package esdb
