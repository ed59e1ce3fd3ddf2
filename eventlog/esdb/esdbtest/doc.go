// Package esdbtest is an in-memory EventStoreDB for tests and local
// demos: a gRPC server, in the test's own process, that answers the
// official Go client (github.com/EventStore/EventStore-Client-Go/v4) the
// way an insecure single EventStoreDB node does, for the calls
// eventlog/esdb makes and a few more. It plays the part
// net/http/httptest plays for HTTP.
//
// # Using it
//
// In a test, NewServer starts one on a free loopback port and closes it
// when the test ends:
//
//	srv := esdbtest.NewServer(t)
//	log, err := esdb.New(esdb.Config{ConnString: srv.ConnString()}) // esdb://127.0.0.1:PORT?tls=false
//
// Outside tests, New and Start do the same, and Close ends it. Stop and
// Start again keep the data and the address: that is how the adapter's
// tests check that subscriptions survive a server restart. The command
// in cmd/esdbtest serves one for demos:
//
//	go run ./eventlog/esdb/esdbtest/cmd/esdbtest -listen 127.0.0.1:2113
//
// # How it works
//
// The server keeps one log of records — what EventStoreDB calls $all —
// and, per stream, the index of its records by revision. One mutex
// guards it all. A call goes through these steps:
//
//  1. gRPC decodes the request with the message types generated in the
//     client module (protos/streams, protos/serverfeatures,
//     protos/gossip); the services embed the generated Unimplemented
//     types, so every call not listed below answers Unimplemented.
//  2. An append reads its whole request stream first, then checks it
//     (size, required metadata) and decides it under the lock, as
//     EventStoreDB's CheckCommit does: tombstone, expected revision,
//     idempotency (by position for explicit expectations, by the event-ID
//     cache for any and stream_exists), then writes every event at the
//     next log position and wakes every subscription.
//  3. A read takes what it needs under the lock and sends it after.
//  4. A subscription is a cursor: it takes its start point under the
//     lock, sends its confirmation, then batches of history, then
//     caught_up, then each new event when a write wakes it. Nothing is
//     queued for a subscriber, so a slow one never holds up an append and
//     never misses an event.
//
// # What it implements
//
//   - Streams.Append: expected revisions any, no_stream, stream_exists
//     and a revision, each succeeding or failing with the
//     wrong-expected-version answer the client decodes (with the current
//     revision, in the new and the legacy fields); idempotent re-appends,
//     by position for no_stream and a revision, by a bounded first-in
//     first-out cache of recent event IDs for any and stream_exists, as
//     on a real node (Config.DedupWindow; NoDedupWindow keeps none, so
//     that every such retry is stored again); the 1 MiB append limit,
//     counted as a real node does (data, metadata, twice the type);
//     event IDs structured or as strings a real node parses, never the
//     empty GUID, which a real node refuses (Unknown); empty
//     appends.
//   - Streams.Read on a stream: forwards and backwards, from the start,
//     the end (backwards only, as on a real node) or a revision, with a
//     count (not 0: a real node fails such a read); stream_not_found for a missing or soft-deleted stream; the
//     stream metadata $tb, $maxCount and $maxAge (read as strictly as
//     a real node reads them: one malformed system key voids them all),
//     and the implicit
//     $maxCount of 1 of metadata streams ("$$name"), so
//     SetStreamMetadata and GetStreamMetadata work; links ("$>" events)
//     resolved on request; IDs as structured or string UUIDs.
//   - Streams.Read on $all: forwards (from a position, inclusive) and
//     backwards (exclusive), with positions that only grow, commit equal
//     to prepare, a batch's events together; system events ($metadata,
//     $streamDeleted) included; filters on stream name or event type, by
//     prefix or regular expression.
//   - Catch-up subscriptions to a stream and to $all, from the start,
//     from a revision or position (exclusive, as on a real node) or from
//     the end: confirmation, history, caught_up, then live events, none
//     skipped or repeated; checkpoints for filtered $all subscriptions.
//   - Streams.Delete (soft delete: reads say not found, a later append
//     continues the numbering) and Streams.Tombstone (reads, appends,
//     subscriptions and deletes say deleted, for ever).
//   - ServerFeatures.GetSupportedMethods, which the client calls first on
//     every connection (see Config.Version and Config.NoServerFeatures),
//     and Gossip.Read, which it calls for cluster connection strings:
//     the server is a cluster of one, its leader.
//
// Anything else answers gRPC Unimplemented, never a silently wrong
// answer: BatchAppend, persistent subscriptions, projections, users,
// operations, monitoring, and reads in compatibility mode
// (control_option.compatibility > 0).
//
// # Faults it can inject
//
// Config.DuplicateAny (the command's -duplicate-any) makes the server
// store some appends with any or stream_exists a second time, at once or
// after a later append, as a real node does when a client retries such
// an append after the cache forgot it: a way to check that the readers of
// a log fold duplicates away. Stop and Start make it go away and come
// back, as a crashed node would.
//
// # Traps it avoids
//
// The client v4.2.0 has expectations a server must meet exactly:
//
//   - every recorded event carries "created" metadata (100 ns ticks
//     since the Unix epoch): without it the client calls log.Fatalf;
//   - count reads send only events and stream_not_found (with its stream
//     identifier): anything else makes the client panic;
//   - a deleted stream is FailedPrecondition with the trailers
//     exception=stream-deleted and stream-name: without the name the
//     client panics;
//   - Delete and Tombstone always answer with a position;
//   - an append reads its whole request before it answers, even a
//     refusal: answering early makes the client report a broken stream
//     (EOF) instead of the answer;
//   - keepalive pings every 10 s, with or without calls, are allowed:
//     grpc-go's default policy would end every connection, and its
//     subscriptions, after about 30 s;
//   - the version reported is numeric, "N.N.N": anything else closes the
//     client for good.
//
// # Differences from a real node
//
// No TLS, no users, no access control (an insecure node checks none
// either); no system streams at startup, so a fresh server's $all holds
// only what tests wrote; the event-ID cache of idempotent appends holds a
// number of writes (Config.DedupWindow), where a real node's holds 8 MiB
// (both forget everything when they restart: Stop empties it); positions
// are made up (they grow, as real ones do); regular
// expressions of filters are Go's, not .NET's; a subscription whose
// stream is tombstoned while it catches up just fails (a live one gets
// the tombstone event first, as on a real node); nothing is ever
// scavenged. A real node may answer a too-large append before it has
// read all of it; this server never does.
//
// # Errors
//
// The server answers with the gRPC status codes and trailers of a real
// node (see the list above); its own methods fail only when Start cannot
// listen, or is called on a running or closed server.
package esdbtest
