package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/keystore"
	"github.com/eventchain/eventchain/examples/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal ends ctx, for the run to stop in good order; a
	// second one, should the run be stuck where ctx cannot reach (a write
	// to a stdout piped to a reader that stopped reading, say), ends the
	// process. (A -passphrase-file pipe no one writes heeds ctx: see
	// readPassphraseFile.)
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run runs the wallet with args (without the program's name) and returns
// its exit status: 0, 1 for a failure, 2 for a usage error. Errors go to
// stderr as one line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	w := &wallet{stdout: stdout, stderr: stderr, getenv: getenv}
	return w.run(ctx, args)
}

// A wallet is one run of the command. Its zero fields are the defaults;
// tests set the others.
type wallet struct {
	stdout, stderr io.Writer
	getenv         func(string) string

	// scrypt is the cost of encrypting new keys; zero is the keystore's
	// default. Tests lower it.
	scrypt keystore.ScryptParams
	// http sends the requests to the bank; nil is bankclient's default.
	http *http.Client
	// poll paces the wait for a block, and the retries of a submission.
	poll bankclient.Poll
	// now is the clock the light client judges a header's time by (a
	// header may be dated at most blockchain.DefaultMaxDrift ahead of
	// it); nil is time.Now. Tests set it.
	now func() time.Time
	// withTimeout arms the deadline of send's wait for a block: it
	// returns a copy of ctx that ends once d (-timeout) has passed, its
	// Err then being context.DeadlineExceeded, and the function that
	// releases it. nil is context.WithTimeout. Tests set it, to pass the
	// deadline when they choose rather than wait for real time.
	withTimeout func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)

	g    globals
	opts options
}

// options are the flags of one command.
type options struct {
	insecure bool          // new: -insecure-no-passphrase
	fee      int64         // send: -fee
	wait     bool          // send: -wait
	again    bool          // send: -again
	timeout  time.Duration // send: -timeout
	limit    int64         // history: -limit
	before   string        // history: -before
	verified bool          // balance: -verified
	// genesisHash is -genesis-hash (verify, balance -verified, send): the
	// genesis to trust instead of the bank's spec's.
	genesisHash string
	// confirmations is -confirmations (verify, balance -verified, send):
	// how many blocks, the proof's own included, must carry its claim.
	// Like every number a person gives the wallet, it is read in
	// decimal only (parseDecimal): Go's flag package would read
	// -confirmations 010 as 8, a weaker check than the one asked for.
	confirmations int64
	// maxHeaders is -max-headers (verify, balance -verified): the most
	// block headers the wallet takes from the bank.
	maxHeaders int64
}

// A command is one of the wallet's commands.
type command struct {
	args  string                            // its arguments, for the usage
	help  string                            // one line
	nargs int                               // how many arguments it takes
	flags func(w *wallet, fs *flag.FlagSet) // defines its own flags, into w.opts; nil if none
	run   func(w *wallet, ctx context.Context, args []string) error
}

// commands are the wallet's commands by name; see doc.go.
var commands = map[string]command{
	"new":     {args: "NAME", help: "make a key, store it under NAME, print its address", nargs: 1, flags: (*wallet).newFlags, run: (*wallet).newKey},
	"list":    {help: "list the keys", run: (*wallet).list},
	"address": {args: "NAME", help: "print the address of a key", nargs: 1, run: (*wallet).address},
	"balance": {args: "NAME|ADDRESS", help: "print an account's balance, nonce and next nonce (-verified: checked against the chain's headers)", nargs: 1, flags: (*wallet).balanceFlags, run: (*wallet).balance},
	"send":    {args: "FROM TO AMOUNT", help: "sign and submit a transfer, and wait for a block", nargs: 3, flags: (*wallet).sendFlags, run: (*wallet).send},
	"status":  {args: "TX-ID", help: "print what became of a transaction", nargs: 1, run: (*wallet).status},
	"history": {args: "NAME|ADDRESS", help: "list an account's included transfers, newest first", nargs: 1, flags: (*wallet).historyFlags, run: (*wallet).history},
	"verify":  {args: "TX-ID", help: "check, with the chain's headers, that a block includes a transaction", nargs: 1, flags: (*wallet).verifyFlags, run: (*wallet).verify},
}

// order is the order of the commands in the usage.
var order = []string{"new", "list", "address", "balance", "send", "status", "history", "verify"}

func (w *wallet) run(ctx context.Context, args []string) int {
	err := w.dispatch(ctx, args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp): // -h: the usage is printed, as asked
		return 0
	case errors.Is(err, errNoCommand): // the usage is printed
		return 2
	case errors.As(err, new(usageError)):
		fmt.Fprintf(w.stderr, "wallet: %s\n", printable(err.Error()))
		fmt.Fprintf(w.stderr, "run 'wallet help' for usage\n")
		return 2
	default:
		// An error may quote what a stranger sent (a bank's JSON, say):
		// whatever each decoder does, no control character of it reaches
		// the terminal, to erase the line and print a "verified" there.
		msg := w.describe(err)
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			// Ctrl-C or SIGTERM: "context canceled" at the end of a
			// request's error would read as a failure of the bank.
			msg = "interrupted: " + msg
		}
		fmt.Fprintf(w.stderr, "wallet: %s\n", printable(msg))
		return 1
	}
}

// printable makes an error's text one line the terminal shows as it is:
// the reasons errors.Join puts on lines of their own are joined with
// "; ", and any other control character is escaped (bankclient.Printable).
func printable(msg string) string {
	return bankclient.Printable(strings.ReplaceAll(msg, "\n", "; "))
}

// errNoCommand is dispatch's answer to a command line that names no
// command, once it has printed the usage: a usage error.
var errNoCommand = errors.New("no command")

// dispatch parses the global flags and the command, and runs it.
func (w *wallet) dispatch(ctx context.Context, args []string) error {
	keystore, noKeystore := defaultKeystore(w.getenv)
	w.g = globals{bank: "http://localhost:8080", keystore: keystore, noKeystore: noKeystore, given: map[string]bool{}}
	top := newFlagSet("wallet", w.stderr)
	top.Usage = func() { w.usage(w.stderr) }
	w.g.register(top)
	showVersion := top.Bool("version", false, "print the version and the VCS revision, and exit")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if *showVersion {
		if top.NArg() > 0 { // "-version list" is a mistake: say so, as the apps do
			return usagef("-version takes no command; have %q (run 'wallet help' for the commands)", top.Args())
		}
		fmt.Fprintf(w.stdout, "wallet %s\n", version.Read())
		return nil
	}
	top.Visit(func(f *flag.Flag) { w.g.given[f.Name] = true })
	if top.NArg() == 0 {
		w.usage(w.stderr)
		return errNoCommand
	}
	name := top.Arg(0)
	if name == "help" {
		// Global flags may come after it, as after any command.
		fs := w.commandFlags(name, command{})
		pos, err := parseInterspersed(fs, top.Args()[1:], w.g.given)
		switch {
		case len(pos) == 0 && (err == nil || errors.Is(err, flag.ErrHelp)):
			w.usage(w.stdout)
			return nil
		case errors.Is(err, flag.ErrHelp):
			pos = pos[:1] // "help send -h": send's usage
		case err != nil:
			return err
		case len(pos) > 1:
			return usagef("help takes at most one argument, a command; have %d", len(pos))
		}
		if pos[0] == "help" { // help is a command too: its usage is the wallet's
			w.usage(w.stdout)
			return nil
		}
		cmd, ok := commands[pos[0]] // help COMMAND: what COMMAND -h prints
		if !ok {
			return usagef("help: unknown command %q", pos[0])
		}
		w.commandUsage(w.stdout, pos[0], cmd, w.commandFlags(pos[0], cmd))
		return nil
	}
	cmd, ok := commands[name]
	if !ok {
		return usagef("unknown command %q", name)
	}
	// The flag package prints a bad flag's error and then the usage; the
	// wallet's errors are one line each, so it prints nothing while
	// parsing, and the usage only when -h asks for it.
	fs := w.commandFlags(name, cmd)
	pos, err := parseInterspersed(fs, top.Args()[1:], w.g.given)
	if errors.Is(err, flag.ErrHelp) {
		w.commandUsage(w.stderr, name, cmd, fs)
		return err
	}
	if err != nil {
		return err
	}
	if len(pos) != cmd.nargs {
		if cmd.args == "" {
			return usagef("%s takes no arguments; have %d", name, len(pos))
		}
		return usagef("%s takes %d argument(s), %s; have %d", name, cmd.nargs, cmd.args, len(pos))
	}
	if err := w.g.applyEnv(w.getenv); err != nil {
		return err
	}
	noDefault := w.g.keystore == "" && !w.g.given["keystore"] && w.g.noKeystore != nil
	// No $HOME, say, and no keystore named: what needs none (an
	// address's balance, verify) runs, and openKeystore says why there
	// is none to what needs one.
	if !noDefault && strings.TrimSpace(w.g.keystore) == "" {
		return usagef("-keystore: empty: give the keystore's directory (devnet's is keys/ in its data directory)")
	}
	if w.g.given["confirmations"] && w.opts.confirmations < 1 {
		return usagef("-confirmations %d: the proof's own block is the first confirmation: want 1 or more", w.opts.confirmations)
	}
	if w.g.given["max-headers"] && w.opts.maxHeaders < 2 {
		return usagef("-max-headers %d: the genesis and one block are two: want 2 or more", w.opts.maxHeaders)
	}
	return cmd.run(w, ctx, pos)
}

// commandFlags returns the flag set of the command name: the global
// flags and the command's own, printing nothing as it parses.
func (w *wallet) commandFlags(name string, cmd command) *flag.FlagSet {
	fs := newFlagSet("wallet "+name, io.Discard)
	fs.Usage = func() {}
	w.g.register(fs)
	if cmd.flags != nil {
		cmd.flags(w, fs)
	}
	return fs
}

// commandUsage writes the usage of the command name, whose flag set
// (from commandFlags) is fs, to out: what "wallet help NAME" and
// "wallet NAME -h" print.
func (w *wallet) commandUsage(out io.Writer, name string, cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(out, "usage: wallet %s [flags]\n\n%s.\n\nflags:\n", strings.TrimSpace(name+" "+cmd.args), cmd.help)
	fs.SetOutput(out)
	fs.PrintDefaults()
}

// usage writes the wallet's usage to out.
func (w *wallet) usage(out io.Writer) {
	fmt.Fprintf(out, "usage: wallet [-bank URL] [-keystore DIR] COMMAND [ARGUMENTS] [FLAGS]\n\ncommands:\n")
	for _, name := range order {
		c := commands[name]
		fmt.Fprintf(out, "  %-30s %s\n", strings.TrimSpace(name+" "+c.args), c.help)
	}
	fmt.Fprintf(out, "  %-30s %s\n", "help [COMMAND]", "print this text, or a command's usage and flags")
	fmt.Fprintf(out, "\nglobal flags (before or after the command):\n")
	fs := newFlagSet("wallet", out)
	keystore, _ := defaultKeystore(w.getenv) // none: the flag shows no default
	g := globals{bank: "http://localhost:8080", keystore: keystore}
	g.register(fs)
	fs.PrintDefaults()
	fmt.Fprintf(out, "\n-version (before the command) prints the version and the VCS revision, and exits.\n")
	fmt.Fprintf(out, "\n-bank, -keystore and -passphrase-file fall back to EVENTCHAIN_BANK, EVENTCHAIN_KEYSTORE\nand EVENTCHAIN_PASSPHRASE_FILE; EVENTCHAIN_PASSPHRASE holds a passphrase itself.\n")
}

// describe turns an error into the line the user reads, with a hint
// where one helps.
func (w *wallet) describe(err error) string {
	switch {
	case errors.Is(err, bankclient.ErrNoAnswer):
		return fmt.Sprintf("%v (is the bank running at %s? -bank or EVENTCHAIN_BANK names it)", err, w.g.bank)
	case errors.Is(err, keystore.ErrWrongPassphrase):
		return err.Error() + " (check -passphrase-file or EVENTCHAIN_PASSPHRASE)"
	}
	return err.Error()
}
