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
//	-dedup-window n         how many of the latest event writes the server
//	                        remembers the IDs of, to recognise a retried
//	                        append with any or stream_exists (default 100000,
//	                        about what a real node's 8 MiB cache holds);
//	                        0 keeps none, so every such retry is stored again
//	-duplicate-any p        probability, 0 to 1, that the server stores an
//	                        append with any or stream_exists a second time,
//	                        at once or after a later append, as a retry its
//	                        cache forgot would be (default 0: never)
//	-duplicate-seed n       seed of those draws (default 0)
//	-v                      log every call the server refuses, and every
//	                        duplicate it stores
//	-version                print the version and the VCS revision this
//	                        binary was built from, and exit
//
// -duplicate-any is a fault to inject, for tests of the readers of the
// log: a real EventStoreDB stores a duplicate only when a client retries
// an append with any after the cache forgot it. See esdbtest.Config.
//
// It exits with status 2 on a usage error, 1 if it cannot listen.
package main
