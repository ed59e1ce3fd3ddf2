// Command esdbtest runs an in-memory EventStoreDB: a gRPC server that
// speaks the part of EventStoreDB's protocol the official Go client uses
// (see package eventlog/esdb/esdbtest), for local demos without Docker.
//
//	go run ./eventlog/esdb/esdbtest/cmd/esdbtest -listen 127.0.0.1:2113
//
// Then point any app at esdb://127.0.0.1:2113?tls=false. Everything is
// kept in memory and lost when the command ends, which it does cleanly
// on SIGINT (Ctrl-C) or SIGTERM.
//
// Flags:
//
//	-listen addr            address to listen on (default 127.0.0.1:2113)
//	-server-version x.y.z   version to report to clients (default 24.10.0)
//	-v                      log every call the server refuses
//
// It exits with status 2 on a usage error, 1 if it cannot listen.
package main
