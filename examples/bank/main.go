// Command bank serves eventchain's HTTP API (package bank) on an event
// log, with /metrics in Prometheus's format beside it.
//
//	go run ./examples/bank -eventlog esdb://localhost:2113?tls=false -genesis spec.json
//	curl -s localhost:8080/chain/head
//
// Transactions are signed by their senders (see examples/wallet); the
// bank holds no keys. The chain spec is in the event log: the first app
// started with -genesis writes it, the others read it (on EventStoreDB, a
// bank started before any spec is written waits for one; on its own
// memory or file log, it needs -genesis).
//
// Every flag falls back to an environment variable: -addr to
// EVENTCHAIN_ADDR, and so on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/examples/internal/decimalflag"
	"github.com/eventchain/eventchain/node"
)

func main() { app.Main("bank", run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	// A signal at any stage, starting up included, is a clean stop, and
	// said so.
	defer func() { err = app.StoppedSaying(ctx, err, stdout, "bank") }()
	var common app.Common
	fs := flag.NewFlagSet("bank", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common.Register(fs)
	addr := fs.String("addr", "localhost:8080", "address the API and /metrics listen on")
	snapshotEvery := decimalflag.New(fs, "snapshot-every", uint64(1000), "record a state snapshot in the log every this many `blocks`, for nodes restoring with -restore snapshot (0: never)")
	index := fs.String("index", "", "the bank's ledger index file (bbolt; created if missing): transaction statuses, account histories, where each block is in the log; empty keeps it in memory, where it grows with every transaction: give a file for a long-lived chain")
	var chain app.ChainFlags
	chain.Register(fs, false)
	if err := app.Parse(fs, args, os.Getenv); err != nil {
		return err
	}
	if logPath, ok := strings.CutPrefix(common.EventLog, "file:"); ok && *index != "" && sameFile(logPath, *index) {
		return app.Usagef("-index %s is the event log's file: the ledger index needs a file of its own", *index)
	}
	if err := common.Check(); err != nil { // -eventlog, -stream-prefix, -gelf, -log-format
		return err
	}
	want, err := chain.Preflight(ctx, 1, common.EventLog) // -genesis
	if err != nil {
		return err
	}
	if *index != "" {
		if info, err := os.Stat(filepath.Dir(*index)); err != nil || !info.IsDir() {
			return app.Usagef("-index %s: its directory %s is not a directory that exists", *index, filepath.Dir(*index))
		}
		if err := bank.CheckIndexFile(*index); err != nil {
			return fmt.Errorf("-index: %w", err)
		}
	}
	// Every flag is checked, and the port had, before the log is opened: a
	// bad flag must not leave a chain spec written behind it.
	listener, err := app.ListenFlag("-addr", *addr)
	if err != nil {
		return err
	}
	// Served at once: 503 while the bank joins its chain, which may wait
	// for the first app to declare it.
	server := app.ServeEarly(ctx, listener, "the bank is joining its chain: opening the event log and reading its chain spec", "/healthz", func(a net.Addr) {
		fmt.Fprintf(stdout, "bank: listening on http://%s\n", a)
	})
	defer server.Stop()
	logger, closeLogs, err := common.Logger(stderr, "bank")
	if err != nil {
		return err
	}
	defer closeLogs()
	opened := app.WaitingForLog(logger)
	log, err := common.OpenLog(ctx)
	opened()
	if err != nil {
		return err
	}
	defer log.Close()

	if err := refuseALostLog(ctx, log, *index, want); err != nil {
		return err
	}
	spec, err := chain.Join(ctx, log, common.SharedLog(), logger)
	if err != nil {
		return err
	}
	engine, err := chain.Engine(spec, 1)
	if err != nil {
		return err
	}
	logger.Info("joined", "chain", spec.ChainID, "consensus", app.DescribeConsensus(spec))
	if *index == "" {
		logger.Info("ledger index in memory: it grows with every transaction, and nothing remembers the chain once the bank stops (a log that loses its events is then begun again from -genesis); give -index FILE for a long-lived chain")
	}
	p, b, err := app.NewBank(app.NodeConfig{Log: log, Spec: spec, Engine: engine, Window: 1000, SnapshotEvery: *snapshotEvery, BankIndex: *index, Logger: logger})
	if err != nil {
		return err
	}
	defer b.Close()
	metrics := app.NewMetrics()
	metrics.Node(p.Node, "bank's")
	metrics.Bank(b)
	mux := app.WithMetrics(b, metrics.Handler())

	server.Ready(mux)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return server.Wait(gctx) })
	g.Go(func() error { return p.Run(gctx) })
	return g.Wait()
}

// refuseALostLog refuses, before the bank joins log, a log that holds no
// chain spec when the ledger index (-index) holds blocks of the very
// chain -genesis names (want): the log lost its events (an EventStoreDB
// wiped, a file deleted), and declaring the spec in it would begin the
// chain again, where every transfer signed for it could be played again.
// The index refuses such a log too, but only after Join has written the
// spec, which the miners and the auditor would then join.
func refuseALostLog(ctx context.Context, log eventlog.Log, index string, want *blockchain.ChainSpec) error {
	if index == "" || want == nil {
		return nil
	}
	genesis, height, ok, err := bank.IndexedChain(index)
	if err != nil {
		return fmt.Errorf("-index: %w", err)
	}
	g, err := want.Genesis()
	if err != nil || !ok || genesis != g.Hash() {
		return nil // nothing indexed, or another chain's index, which the bank builds again (or a spec Join refuses)
	}
	if _, err := node.LoadSpec(ctx, log, nil); !errors.Is(err, node.ErrNoSpec) {
		return nil // a log with a spec: Join and the index judge it
	}
	return fmt.Errorf("-index %s: %w: it holds blocks 1 to %d of this chain (genesis %s), and the event log holds nothing of it, not even its chain spec: the log was wiped, or put back from an older copy; the bank declares nothing in it, which would begin the chain again; restore the event log, or begin a new chain there from a genesis file with a chainId of its own (deleting %s and starting again from the same -genesis would begin this very chain again)",
		index, bank.ErrLogLostBlocks, height, genesis.Short(), index)
}

// sameFile reports whether the paths a and b name one file: the same
// path once cleaned and made absolute, or, if both exist, the same file
// by os.SameFile (a link, another spelling).
func sameFile(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA == nil && errB == nil && absA == absB {
		return true
	}
	infoA, errA := os.Stat(a)
	infoB, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(infoA, infoB)
}
