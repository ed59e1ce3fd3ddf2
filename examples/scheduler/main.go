// Command scheduler signs random transfers between demo accounts and posts
// them to a bank's API at a steady pace, like a client would (package
// scheduler).
//
//	go run ./examples/scheduler -bank http://localhost:8080 -every 1s -count 100
//
// It signs with keys of a keystore (package keystore) that are stored in
// clear: by default every such key of devnet's keystore, where devnet
// writes its demo accounts (alice, bob, carol, …); -keystore names another
// directory, -accounts alice,bob some of its keys. It needs at least two.
// It logs what became of its transfers (accepted, refused, failed,
// skipped) every 30 s while the counts change, and when it stops.
//
// Every flag falls back to an environment variable, EVENTCHAIN_ and the
// flag's name in upper case with dashes as underscores (-bank:
// EVENTCHAIN_BANK), but for -version, which prints the version and exits.
// It exits 0 when stopped (SIGINT, SIGTERM) or after -count transfers,
// 2 for a usage error (a bad flag or variable, a -gelf address it cannot
// use among them), 1 for any other.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/internal/decimalflag"
	"github.com/eventchain/eventchain/examples/internal/keystore"
	"github.com/eventchain/eventchain/examples/internal/logging"
	"github.com/eventchain/eventchain/examples/internal/scheduler"
	"github.com/eventchain/eventchain/examples/internal/version"
	"github.com/eventchain/eventchain/internal/clip"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a bad flag or argument: exit status 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errVersion is run's answer to -version.
var errVersion = errors.New("version requested")

// exitCode prints err, if any, on one line (clip.Line: a newline in a
// path it quotes is written \n), and returns the exit status for it.
func exitCode(err error, stdout, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errVersion):
		fmt.Fprintf(stdout, "scheduler %s\n", version.Read())
		return 0
	case errors.Is(err, flag.ErrHelp): // -h: the usage is printed, as asked
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "scheduler: %s\n", clip.Line(err.Error()))
		return 2
	default:
		fmt.Fprintf(stderr, "scheduler: %s\n", clip.Line(err.Error()))
		return 1
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (err error) {
	flags := flag.NewFlagSet("scheduler", flag.ContinueOnError)
	flags.SetOutput(stderr)
	bank := flags.String("bank", "http://localhost:8080", "the bank's base URL")
	every := flags.Duration("every", time.Second, "pause between transfers")
	count := decimalflag.New(flags, "count", 0, "stop after this many accepted `transfers` (0: never)")
	fee := decimalflag.New(flags, "fee", int64(0), "fee of every transfer, in minor `units`")
	defaultKeys, noDefaultKeys := defaultKeystore(getenv)
	keysDir := flags.String("keystore", defaultKeys, "keystore directory holding the accounts' keys: devnet's, in its data directory ($EVENTCHAIN_DATA_DIR if set)")
	accounts := flags.String("accounts", "", "comma-separated names of the keys to use (default: every key of the keystore stored in clear)")
	logFormat := flags.String("log-format", "text", "log format on stderr: text or json")
	gelf := flags.String("gelf", "", "also send logs to Graylog, e.g. udp://localhost:12201")
	fromEnv, err := parse(flags, args, getenv)
	if err != nil {
		return err
	}
	defer func() { err = setBy(err, fromEnv) }()
	if *keysDir == "" && noDefaultKeys != nil {
		// No $HOME, say: no keystore anywhere unnamed.
		return usagef("-keystore: %v: give the keystore's directory (devnet's is keys/ in its data directory), or set EVENTCHAIN_KEYSTORE or EVENTCHAIN_DATA_DIR", noDefaultKeys)
	}
	if *every <= 0 {
		return usagef("-every: have %v, want > 0", *every)
	}
	if *count < 0 {
		return usagef("-count: have %d, want ≥ 0 (0: never stop)", *count)
	}
	if *fee < 0 || *fee > blockchain.MaxAmount {
		return usagef("-fee: have %d, want 0…%d", *fee, blockchain.MaxAmount)
	}
	if u, err := url.Parse(*bank); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || !portOK(u.Port()) {
		return usagef("-bank: have %q, want the bank's base URL, such as http://localhost:8080", *bank)
	}
	if *gelf != "" {
		if err := logging.CheckGELFURL(*gelf); err != nil {
			return usagef("-gelf: %v", err)
		}
	}
	logger, closeLogs, err := newLogger(stderr, *logFormat, *gelf)
	if err != nil {
		return err
	}
	defer closeLogs()
	keys, err := loadKeys(*keysDir, *accounts, logger)
	if err != nil {
		return err
	}
	var stats scheduler.Stats
	progress, stopProgress := context.WithCancel(ctx)
	ticker := time.NewTicker(progressEvery)
	defer ticker.Stop()
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		logProgress(progress, logger, &stats, ticker.C)
	}()
	err = scheduler.Run(ctx, scheduler.Config{BankURL: *bank, Every: *every, Count: *count, Fee: *fee, Keys: keys, Logger: logger, Stats: &stats})
	stopProgress()
	<-logged
	logger.Info("stopped", "accepted", stats.Accepted.Load(), "refused", stats.Refused.Load(), "failed", stats.Failed.Load(), "skipped", stats.Skipped.Load())
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return nil // stopped by a signal
	}
	return err
}

// progressEvery is how often the scheduler logs its counts while it
// runs, if they changed: a scheduler that sends without trouble says
// nothing else until it stops.
const progressEvery = 30 * time.Second

// logProgress logs stats at each tick, if they changed since the last
// line, until ctx ends.
func logProgress(ctx context.Context, logger *slog.Logger, stats *scheduler.Stats, ticks <-chan time.Time) {
	var last [4]uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			now := [4]uint64{stats.Accepted.Load(), stats.Refused.Load(), stats.Failed.Load(), stats.Skipped.Load()}
			if now != last {
				logger.Info("progress", "accepted", now[0], "refused", now[1], "failed", now[2], "skipped", now[3])
				last = now
			}
		}
	}
}

// portOK reports whether port, as url.URL.Port returns it, can be
// dialled: none (the scheme's own), or 1 to 65535. url.Parse takes any
// digits, and a request to port 99999 or 0 could never be answered.
func portOK(port string) bool {
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// parse adds -version to flags and parses args into it. It returns
// errVersion if -version is given; otherwise a flag not given falls back
// to its environment variable, EVENTCHAIN_ and its name in upper case with
// dashes as underscores (-version has none). fromEnv maps the name of
// each flag set so to its variable.
func parse(flags *flag.FlagSet, args []string, getenv func(string) string) (fromEnv map[string]string, err error) {
	showVersion := flags.Bool("version", false, "print the version and the VCS revision, and exit")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "Usage of %s:\n", flags.Name())
		flags.PrintDefaults()
		fmt.Fprintln(flags.Output(), "\nA flag not given is read from the environment, if set there to a value that is not empty: -bank from EVENTCHAIN_BANK, -every from EVENTCHAIN_EVERY, and so on. (An empty variable counts as unset: to empty a flag, give it, as in -gelf \"\".)")
	}
	// The flag package prints a bad flag's error and then the whole
	// usage; the error is said once, as one line, and the usage is
	// printed only when asked for.
	out := flags.Output()
	flags.SetOutput(io.Discard)
	perr := flags.Parse(args)
	flags.SetOutput(out)
	if perr != nil {
		if errors.Is(perr, flag.ErrHelp) {
			flags.Usage()
			return nil, perr
		}
		return nil, usagef("%w (run 'scheduler -h' for the flags)", perr)
	}
	if flags.NArg() > 0 { // before -version: "-version extra" is a mistake too
		return nil, usagef("unexpected arguments %q (run 'scheduler -h' for the flags)", flags.Args())
	}
	if *showVersion {
		return nil, errVersion
	}
	given := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fromEnv = map[string]string{}
	flags.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil || f.Name == "version" {
			return
		}
		env := "EVENTCHAIN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" {
			if e := flags.Set(f.Name, v); e != nil {
				err = usagef("%s=%q: %v", env, v, e)
			}
			fromEnv[f.Name] = env
		}
	})
	return fromEnv, err
}

// usageFlag finds the flag a usage error begins by naming: "-every: …".
var usageFlag = regexp.MustCompile(`^-([a-z0-9][a-z0-9-]*)[ :]`)

// setBy adds " (set by EVENTCHAIN_EVERY)" to a usage error that begins by
// naming a flag whose value came from the environment (fromEnv, from
// parse): the user may not know the variable is set.
func setBy(err error, fromEnv map[string]string) error {
	if !errors.As(err, new(usageError)) {
		return err
	}
	if m := usageFlag.FindStringSubmatch(err.Error()); m != nil && fromEnv[m[1]] != "" {
		return usageError{fmt.Errorf("%w (set by %s)", err, fromEnv[m[1]])}
	}
	return err
}

// defaultKeystore is devnet's keystore: the keys directory of its data
// directory, which is $EVENTCHAIN_DATA_DIR if set (devnet's -data-dir
// falls back to it), else eventchain/devnet in the user's configuration
// directory. Where the system names no configuration directory (on
// Linux: neither $XDG_CONFIG_HOME nor $HOME is set) there is no default,
// and the error says why.
func defaultKeystore(getenv func(string) string) (string, error) {
	if dir := getenv("EVENTCHAIN_DATA_DIR"); dir != "" {
		return filepath.Join(dir, "keys"), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no default keystore: %w", err)
	}
	return filepath.Join(dir, "eventchain", "devnet", "keys"), nil
}

// loadKeys loads the keys named in names (comma-separated) from the
// keystore in dir, or every key stored in clear if names is empty.
func loadKeys(dir, names string, logger *slog.Logger) ([]blockchain.PrivateKey, error) {
	// A path through a file (alice.key/keys) does not exist either: Unix
	// says ENOTDIR for it, where Windows says it is not found.
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, usagef("-keystore: %s does not exist: run devnet once to make its demo accounts, or name a keystore", dir)
	}
	ks, err := keystore.Open(dir)
	if errors.Is(err, keystore.ErrFileType) { // a file named where a directory should be: the flag is wrong
		return nil, usagef("-keystore: %v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open keystore: %w", err)
	}
	var chosen []string
	if names == "" {
		entries, err := ks.List()
		if err != nil {
			return nil, fmt.Errorf("list keystore %s: %w", dir, err)
		}
		for _, e := range entries {
			if e.Encrypted {
				logger.Info("skipping an encrypted key", "name", e.Name)
				continue
			}
			chosen = append(chosen, e.Name)
		}
	} else {
		for _, n := range strings.Split(names, ",") {
			n = strings.TrimSpace(n)
			switch {
			case n == "":
				return nil, usagef("-accounts: an empty name in %q", names)
			case slices.Contains(chosen, n):
				// One account twice would sign two transfers with one
				// nonce, and one of them would always be refused.
				return nil, usagef("-accounts: %s is named twice", n)
			}
			chosen = append(chosen, n)
		}
	}
	var keys []blockchain.PrivateKey
	for _, name := range chosen {
		key, err := ks.Load(name, nil)
		switch {
		case errors.Is(err, keystore.ErrPassphraseRequired):
			return nil, usagef("-accounts: key %s is encrypted: the scheduler signs with keys stored in clear, such as devnet's demo accounts", name)
		case err != nil:
			return nil, usagef("key %s: %v", name, err)
		}
		keys = append(keys, key)
	}
	switch {
	case len(keys) < 2 && names != "":
		return nil, usagef("-accounts: names %d key, want at least 2: the scheduler moves money between accounts", len(keys))
	case len(keys) < 2:
		return nil, usagef("the scheduler needs at least 2 keys stored in clear, have %d in %s", len(keys), dir)
	}
	return keys, nil
}

// newLogger returns the logger: text or JSON on stderr, and GELF too if
// gelf names a Graylog input. close flushes and closes the GELF
// connection.
func newLogger(stderr io.Writer, format, gelf string) (logger *slog.Logger, close func() error, err error) {
	var h slog.Handler
	opts := &slog.HandlerOptions{ReplaceAttr: logging.CutLongValues} // as app.Common.Logger
	switch format {
	case "text":
		h = slog.NewTextHandler(stderr, opts)
	case "json":
		h = slog.NewJSONHandler(stderr, opts)
	default:
		return nil, nil, usagef("-log-format: have %q, want text or json", format)
	}
	close = func() error { return nil }
	if gelf != "" {
		g, closeGELF, err := logging.OpenGELF(gelf, &logging.GELFOptions{Facility: "scheduler"})
		if err != nil {
			return nil, nil, fmt.Errorf("-gelf: %w", err)
		}
		h, close = slog.NewMultiHandler(h, g), closeGELF
	}
	return slog.New(h).With("app", "scheduler"), close, nil
}
