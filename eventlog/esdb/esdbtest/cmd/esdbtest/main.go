package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "esdbtest:", err)
		os.Exit(1)
	}
}

// errUsage says the command line was wrong; the flag package has said
// how already.
var errUsage = errors.New("usage")

// shutdownLimit bounds how long stopping may take.
const shutdownLimit = 5 * time.Second

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("esdbtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:2113", "`address` to listen on")
	version := fs.String("server-version", esdbtest.DefaultVersion, "server `version` to report to clients, N.N.N")
	verbose := fs.Bool("v", false, "log every call the server refuses")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: esdbtest [-listen addr] [-server-version x.y.z] [-v]")
		fmt.Fprintln(fs.Output(), "An in-memory EventStoreDB for demos and tests: data is lost when it stops.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "esdbtest: unexpected arguments: %q\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	srv := esdbtest.New(esdbtest.Config{
		Addr:    *listen,
		Version: *version,
		Logger:  slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err := srv.Start(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "esdbtest: in-memory EventStoreDB listening on %s; its data lives in memory only and is lost when it stops\n", srv.Addr())
	fmt.Fprintf(stdout, "esdbtest: connect with %s\n", srv.ConnString())

	<-ctx.Done()
	stopped := make(chan struct{})
	go func() {
		srv.Close()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(shutdownLimit):
		return fmt.Errorf("not stopped after %v", shutdownLimit)
	}
	fmt.Fprintln(stdout, "esdbtest: stopped")
	return nil
}
