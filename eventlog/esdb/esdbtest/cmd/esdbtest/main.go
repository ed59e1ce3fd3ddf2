package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
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
	verbose := fs.Bool("v", false, "log every call the server refuses, and every duplicate it stores")
	window := fs.Int("dedup-window", esdbtest.DefaultDedupWindow, "how many of the latest event writes the server remembers the IDs of, to recognise a retried append with any or stream_exists; 0 keeps none")
	duplicate := fs.Float64("duplicate-any", 0, "the `probability`, 0 to 1, that the server stores an append with any or stream_exists a second time, as a retry its cache forgot would be")
	seed := fs.Uint64("duplicate-seed", 0, "`seed` of the draws of -duplicate-any")
	printVersion := fs.Bool("version", false, "print the version and the VCS revision this binary was built from, and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: esdbtest [-listen addr] [-server-version x.y.z] [-dedup-window n] [-duplicate-any p [-duplicate-seed n]] [-v] [-version]")
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
	if *printVersion {
		fmt.Fprintln(stdout, "esdbtest", buildVersion())
		return nil
	}
	if *window < 0 {
		fmt.Fprintf(stderr, "esdbtest: -dedup-window %d, want 0 or more\n", *window)
		return errUsage
	}
	if !validVersion(*version) {
		// The official client refuses to talk to a server whose version
		// it cannot parse, with an error that does not say so plainly.
		fmt.Fprintf(stderr, "esdbtest: -server-version %q, want N.N.N, as 24.10.0\n", *version)
		return errUsage
	}
	if math.IsNaN(*duplicate) || *duplicate < 0 || *duplicate > 1 {
		fmt.Fprintf(stderr, "esdbtest: -duplicate-any %v, want 0 to 1\n", *duplicate)
		return errUsage
	}
	if *window == 0 {
		*window = esdbtest.NoDedupWindow
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	srv := esdbtest.New(esdbtest.Config{
		Addr:          *listen,
		Version:       *version,
		Logger:        logger,
		DedupWindow:   *window,
		DuplicateAny:  *duplicate,
		DuplicateSeed: *seed,
	})
	if err := srv.Start(); err != nil {
		return err
	}
	if *duplicate > 0 {
		logger.Warn("esdbtest: storing appends with any or stream_exists twice, on purpose", "probability", *duplicate, "seed", *seed)
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

// Set by a release build, which has no VCS checkout to read (the
// Dockerfile's VERSION and REVISION build arguments, through
// -ldflags "-X main.stampedVersion=… -X main.stampedRevision=…").
var stampedVersion, stampedRevision string

// buildVersion says what this binary knows of how it was built: the
// module version and the VCS revision from runtime/debug.ReadBuildInfo,
// or what a release build stamped.
func buildVersion() string {
	version, revision, goVersion := "(devel)", "unknown", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				revision = s.Value
			}
		}
	}
	if stampedVersion != "" {
		version = stampedVersion
	}
	if stampedRevision != "" {
		revision = stampedRevision
	}
	return fmt.Sprintf("%s revision %s %s", version, revision, goVersion)
}

// validVersion reports whether v is three dot-separated numbers, the
// form of the version the official client reads from a server.
func validVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil || p == "" {
			return false
		}
	}
	return true
}
