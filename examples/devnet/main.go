// Command devnet runs a whole eventchain network in one process: a bank
// serving the HTTP API, miners racing to seal blocks, an auditor
// recording the fate of every transaction, and a scheduler posting
// transactions to the bank like a client. It prints a status line every
// few seconds: the height, the bank's pool, the transfers its scheduler
// has had taken in this run, and the auditor's counts of every transfer
// in the log (included, rebroadcast, dropped), whoever sent it, besides
// the miners' hash rates. It is the separate apps' participants (package
// examples/internal/app) in one process, with the same flags and
// environment fallbacks.
//
// Its chain is kept in a data directory (-data-dir; it says where at
// start): a durable event log, the chain's spec (spec.json) and a
// keystore. The genesis funds the demo accounts alice, bob, carol and
// dave, whose keys are in the keystore unencrypted, so that the wallet
// can spend from them at once; the keystore also holds each miner's
// beneficiary key (miner-1, …) and, under proof of authority, the
// signers' keys. Stopped or killed, devnet goes on with the same chain
// when started again. To start fresh, delete the directory, or run on
// the in-memory log with -eventlog memory. On a log of its own naming
// (-eventlog file:PATH, or EventStoreDB) devnet keeps the chain's rules
// and keys in a data directory all the same — -data-dir, or by default
// one of that log's own below the default directory — so that it can go
// on with that log too. That directory names its log (eventlog.json), and
// devnet begins its chain again on no other log that holds none: two
// chains with one genesis and the same keys, where every transfer of the
// one could be played again on the other.
//
//	go run ./examples/devnet
//	go run ./examples/wallet send alice bob 125
//	curl -s localhost:8080/chain/head
//
// At every start each node restores the chain from the log, by default
// checking every block and signature again (-restore verify), so a start
// takes longer as the chain grows. -restore fast trusts the log's blocks
// and only replays their transfers: use it only on a log that devnet
// alone, or nodes you trust, have written. -restore snapshot has the
// miners and the auditor resume from the newest state snapshot in the
// log (the bank records one every -snapshot-every blocks) and check only
// the blocks after it, as the miner app's -restore does: a snapshot that
// does not check out is logged and an older one tried, and with none
// left they apply every block. The bank verifies every block under
// snapshot all the same: it serves the whole chain, every header from
// the genesis on for the wallet's -verified and every block for the
// explorer, and a node resumed from a snapshot holds only the headers
// from shortly before it.
//
// Beside the bank's API, /metrics serves the separate apps' metrics for
// all of them at once, each node's labelled node="bank", "miner-1", …,
// "auditor", each miner's miner="miner-1", ….
//
// Stop it with Ctrl-C, or give it -duration.
package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/examples/internal/decimalflag"
	"github.com/eventchain/eventchain/examples/internal/scheduler"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

func main() { app.Main("devnet", run) }

// shellQuote returns s as a POSIX shell word: as it is if it holds only
// characters no shell reads specially, else in single quotes, a single
// quote inside ending the quoted part, escaped with a backslash, and
// quoting again. A command line printed for the user to copy then works
// with a path holding spaces or other characters.
func shellQuote(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:,@%=", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// consensusFlags choose the consensus of a new chain; a chain kept in
// the data directory has its own.
type consensusFlags struct {
	kind       string // "pow" or "poa"
	difficulty uint   // pow: leading zero bits
}

// config is what the flags set.
type config struct {
	common       app.Common
	dataDir      string
	defaultDir   string          // the default data directory; "" where the system names none
	noDefaultDir error           // why defaultDir is "", if it is
	explicit     map[string]bool // the flags given on the command line or in the environment
	consensus    consensusFlags
	addr         string
	miners       int
	workers      int
	policy       pool.Policy
	every        time.Duration
	duration     time.Duration
	statusEvery  time.Duration
	audit        audit.Policy

	restore       node.RestoreMode // how the nodes restore the chain at start
	snapshotEvery uint64           // the bank records a state snapshot every so many blocks; 0: never
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("devnet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.common.Register(fs)
	// devnet keeps its chain on disk unless told otherwise.
	ev := fs.Lookup("eventlog")
	ev.Usage += " (devnet: empty means a file in -data-dir)"
	ev.DefValue, c.common.EventLog = "", ""
	c.defaultDir, c.noDefaultDir = defaultDataDir()
	fs.StringVar(&c.dataDir, "data-dir", c.defaultDir, "directory that keeps the chain: its event log, its rules and its signers' keys")
	fs.StringVar(&c.consensus.kind, "consensus", "pow", "consensus engine of a new chain: pow (proof of work) or poa (proof of authority)")
	decimalflag.Var(fs, &c.consensus.difficulty, "difficulty", 18, "pow: leading zero `bits` a block hash needs, for a new chain")
	fs.StringVar(&c.addr, "addr", "localhost:8080", "address the bank's HTTP API listens on")
	decimalflag.Var(fs, &c.miners, "miners", 2, "`number` of miners (proof of authority: signers, taking turns)")
	decimalflag.Var(fs, &c.workers, "workers", 1, "hashing `goroutines` per miner")
	c.policy = pool.DefaultPolicy()
	decimalflag.Var(fs, &c.policy.MaxTx, "max-tx", 20, "most `transactions` in a block, and how many make a block due")
	fs.DurationVar(&c.policy.MaxWait, "max-wait", 3*time.Second, "longest a transaction waits before a block is due anyway")
	fs.DurationVar(&c.every, "every", 200*time.Millisecond, "pause between the scheduler's transactions")
	fs.DurationVar(&c.duration, "duration", 0, "stop after this long (0: run until interrupted)")
	fs.DurationVar(&c.statusEvery, "status-every", 3*time.Second, "pause between status lines")
	fs.TextVar(&c.restore, "restore", node.RestoreVerify, "how the nodes restore the chain at start: verify (every block), fast (trust the log's blocks) or snapshot (the miners and the auditor from the newest state snapshot in the log, then verify; the bank, which serves every block, verifies all)")
	decimalflag.Var(fs, &c.snapshotEvery, "snapshot-every", 1000, "the bank records a state snapshot in the log every this many `blocks`, for -restore snapshot (0: never)")
	c.audit = audit.DefaultPolicy()
	fs.DurationVar(&c.audit.Interval, "audit-interval", c.audit.Interval, "pause between the auditor's checks")
	fs.DurationVar(&c.audit.MaxAge, "audit-max-age", c.audit.MaxAge, "how long a transaction waits for a block before the auditor rebroadcasts it")
	decimalflag.Var(fs, &c.audit.MaxAttempts, "audit-max-attempts", c.audit.MaxAttempts, "`rebroadcasts` before the auditor drops a transaction")
	if err := app.Parse(fs, args, os.Getenv); err != nil {
		return c, err
	}
	c.explicit = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.explicit[f.Name] = true })
	for _, name := range []string{"consensus", "difficulty", "miners"} {
		if os.Getenv(app.EnvPrefix+strings.ToUpper(name)) != "" {
			c.explicit[name] = true
		}
	}
	switch {
	case c.miners < 1 || c.miners > maxMiners:
		return c, app.Usagef("-miners: have %d, want 1…%d", c.miners, maxMiners)
	case c.workers < 1 || c.workers > maxWorkers:
		return c, app.Usagef("-workers: have %d, want 1…%d", c.workers, maxWorkers)
	case c.every <= 0:
		return c, app.Usagef("-every: have %v, want > 0", c.every)
	case c.statusEvery <= 0:
		return c, app.Usagef("-status-every: have %v, want > 0", c.statusEvery)
	case c.dataDir == "" && c.explicit["data-dir"] && c.defaultDir != "":
		return c, app.Usagef("-data-dir: empty: name the directory that keeps the chain (or leave the flag out for %s)", c.defaultDir)
	case c.dataDir == "" && c.explicit["data-dir"]:
		return c, app.Usagef("-data-dir: empty: name the directory that keeps the chain")
	case c.dataDir == "" && c.common.EventLog != "memory":
		// No $HOME, say: the chain and its keys go nowhere unnamed.
		return c, app.Usagef("-data-dir: %v: name the directory that keeps the chain (or set EVENTCHAIN_DATA_DIR, or run with -eventlog memory)", c.noDefaultDir)
	case c.common.EventLog == "" && c.common.StreamPrefix != "":
		// The streams of another chain in the same file, under the data
		// directory's spec and keys: a second chain that looks like the
		// first, and a ledger index built again for it.
		return c, app.Usagef("-stream-prefix is for a log several chains share (-eventlog esdb://… or file:PATH): devnet's data directory keeps one chain; give it another -data-dir instead")
	case c.consensus.kind != "pow" && c.consensus.kind != "poa":
		return c, app.Usagef("-consensus: have %q, want pow or poa", c.consensus.kind)
	case c.consensus.difficulty > 64:
		return c, app.Usagef("-difficulty: have %d, want ≤ 64", c.consensus.difficulty) // before a data directory is made with it
	// The rest the pool and the auditor would refuse too, but only once
	// the chain is made on disk, and naming their fields, not the flags.
	case c.duration < 0:
		return c, app.Usagef("-duration: have %v, want ≥ 0 (0: run until interrupted)", c.duration)
	case c.policy.MaxTx < 1 || c.policy.MaxTx > min(c.policy.Capacity, blockchain.MaxBlockTransactions):
		return c, app.Usagef("-max-tx: have %d, want 1…%d", c.policy.MaxTx, min(c.policy.Capacity, blockchain.MaxBlockTransactions))
	case c.policy.MaxWait < 0:
		return c, app.Usagef("-max-wait: have %v, want ≥ 0", c.policy.MaxWait)
	case c.audit.Interval <= 0:
		return c, app.Usagef("-audit-interval: have %v, want > 0", c.audit.Interval)
	case c.audit.MaxAge <= 0:
		return c, app.Usagef("-audit-max-age: have %v, want > 0", c.audit.MaxAge)
	case c.audit.MaxAttempts < 0:
		return c, app.Usagef("-audit-max-attempts: have %d, want ≥ 0", c.audit.MaxAttempts)
	case int64(c.audit.MaxAttempts) >= int64(audit.MaxGiveUp/c.audit.MaxAge):
		return c, app.Usagef("-audit-max-age × (-audit-max-attempts + 1): have %v × %d, want at most %v in all", c.audit.MaxAge, uint64(c.audit.MaxAttempts)+1, audit.MaxGiveUp)
	}
	// -eventlog, -stream-prefix, -gelf, -log-format; no -eventlog is
	// devnet's own, in its data directory.
	check := c.common
	if check.EventLog == "" {
		check.EventLog = "memory"
	}
	return c, check.Check()
}

// Bounds of -miners and -workers: each miner is a node of its own, with
// the chain's state in memory, and more hashing goroutines than this only
// share the same cores.
const (
	maxMiners  = 32
	maxWorkers = 1024
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger, closeLogs, err := cfg.common.Logger(stderr, "devnet")
	if err != nil {
		return err
	}
	defer closeLogs()
	if cfg.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.duration)
		defer cancel()
	}
	defer func() {
		// -duration, or a signal, may end devnet while it is still
		// opening its log or joining its chain: a stop, not a failure.
		// (Once it runs, app.Stopped says the same.)
		if err != nil && ctx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
			fmt.Fprintf(stdout, "devnet: stopped before it had started (%v)\n", err)
			err = nil
		}
	}()
	if ev := cfg.common.EventLog; ev != "" && ev != "memory" {
		// A log named by -eventlog keeps its spec and keys in a data
		// directory of its own.
		if !cfg.explicit["data-dir"] {
			cfg.dataDir = namedLogDir(cfg.defaultDir, ev, cfg.common.StreamPrefix)
		}
		own := filepath.Join(cfg.dataDir, logFile)
		_, err := os.Stat(own)
		isOwn := samePath(strings.TrimPrefix(ev, "file:"), own)
		if isOwn && cfg.common.StreamPrefix != "" {
			return app.Usagef("-stream-prefix on %s, the log of data directory %s, would begin a second chain in it under the same spec and keys: give it another -data-dir instead", ev, cfg.dataDir)
		}
		if err == nil && !isOwn {
			// That directory's spec and keys are its own log's chain's:
			// on another log they would begin a second chain with the
			// same genesis, chain ID and keys, where every transfer of
			// the first could be played again.
			return app.Usagef("-data-dir %s keeps its own chain, in %s: give a log you name (-eventlog %s) a data directory of its own, or leave -data-dir out (and EVENTCHAIN_DATA_DIR unset)", cfg.dataDir, logFile, chainLogOf(ev, "").EventLog)
		}
	}
	// A data directory whose chain lives on a log named by -eventlog
	// (eventlog.json names it) begins that chain again on no other log
	// that holds none: not on devnet's own, in the directory, nor on
	// another file that is not there or holds no chain — both refused
	// here, before anything is made — nor on another EventStoreDB that
	// holds none, refused once it is open, before any key is made
	// (below).
	var kept chainLog
	keptOn := false
	if cfg.common.EventLog != "memory" {
		if kept, keptOn, err = readChainLog(cfg.dataDir); err != nil {
			return err
		}
	}
	here := chainLogOf(cmp.Or(cfg.common.EventLog, "file:"+filepath.Join(cfg.dataDir, logFile)), cfg.common.StreamPrefix)
	elsewhere := keptOn && !kept.is(here)
	chainElsewhere := func() error {
		credentials := "" // not kept: a URL's user and password
		if !strings.HasPrefix(kept.EventLog, "file:") {
			credentials = " (with the log's user and password, if it needs them)"
		}
		this := here.EventLog // a URL's credentials left out
		if cfg.common.EventLog == "" {
			this = "devnet's own log (" + this + ")"
		}
		return app.Usagef("-data-dir %s keeps the rules and keys of the chain on another log (%s), and %s holds no chain: beginning that chain again there would make a second one with the same genesis, chain ID and keys, where every transfer of the first could be played again; run devnet with %s -data-dir %s%s, or give another -data-dir for a new chain",
			cfg.dataDir, kept.flags(), this, kept.flags(), shellQuote(cfg.dataDir), credentials)
	}
	if path, isFile := strings.CutPrefix(here.EventLog, "file:"); elsewhere && isFile && holdsNoChain(path, here.StreamPrefix) {
		return chainElsewhere()
	}
	// The bank's port next, once every flag is known good: in use, it
	// stops devnet before a chain is made on disk for nothing.
	listener, err := app.Listen(cfg.addr)
	if err != nil {
		return err
	}
	defer listener.Close()
	// The chain: in the data directory, unless -eventlog names a log.
	// There it goes on from where it stopped, under its own rules. On the
	// in-memory log it lives as long as devnet, under the flags', with
	// keys made now. A log that outlives devnet (a file, EventStoreDB)
	// keeps its rules and keys in a data directory of its own (by default
	// one per log, below the default data directory), as devnet's own
	// does: without them no one could spend its funds or seal its blocks
	// again.
	var chain network
	var log eventlog.Log
	var logSpec blockchain.ChainSpec // a named log's spec before this start, if logSpecErr is nil
	var logSpecErr error
	saveSpec := func() error { return nil } // writes a named log's new chain's spec into its data directory
	where := cfg.common.EventLog
	keys := ""        // where the demo accounts' keys are kept, if anywhere
	bankIndex := ""   // the bank's ledger index: beside the log in the data directory, else in memory
	named := false    // the chain is on a log named by -eventlog that outlives devnet
	heldSpec := false // a named log's data directory held a chain's spec before this start
	switch cfg.common.EventLog {
	case "":
		// A ledger index without the log it was built from: the log was
		// lost (deleted, or the directory restored in part). Starting on
		// a new log would begin the same chain again at height 0, and the
		// transfers it held would vanish without a word.
		if _, err := os.Stat(filepath.Join(cfg.dataDir, logFile)); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(filepath.Join(cfg.dataDir, indexFile)); err == nil {
				return fmt.Errorf("data directory %s holds a ledger index (%s) but not the event log it was built from (%s): the chain's blocks are lost; restore %s, or delete the directory to start fresh",
					cfg.dataDir, indexFile, logFile, logFile)
			}
		}
		if _, err := os.Stat(filepath.Join(cfg.dataDir, specFile)); err == nil && !keptOn {
			if _, err := os.Stat(filepath.Join(cfg.dataDir, logFile)); errors.Is(err, fs.ErrNotExist) {
				// A start that stopped between the two, or a directory
				// made for a named log before eventlog.json named it.
				logger.Warn("the data directory holds a chain spec but no event log: that chain begins in it now; if it lives on a log named by -eventlog, stop, and start devnet with that -eventlog", "data_dir", cfg.dataDir)
			}
		}
		var save func() error
		if chain, save, err = openDataDir(cfg.dataDir, &cfg.consensus, &cfg.miners, cfg.explicit, "start fresh by deleting "+cfg.dataDir); err != nil {
			return err
		}
		// Before the log exists: a log without its spec beside it is
		// refused at the next start.
		if err := save(); err != nil {
			return err
		}
		cfg.common.EventLog = "file:" + filepath.Join(cfg.dataDir, logFile)
		where = cfg.dataDir + " (to start fresh: stop devnet and delete it, or run with -eventlog memory)"
		keys = filepath.Join(cfg.dataDir, keysDir)
		bankIndex = filepath.Join(cfg.dataDir, indexFile)
	case "memory":
		if chain, err = newNetwork(cfg.consensus, cfg.miners, func(string) (blockchain.PrivateKey, error) { return blockchain.GenerateKey(nil) }); err != nil {
			return err
		}
	default:
		named = true
		// The log first, before any key is made for it: one in use,
		// unreachable, or another log that holds no chain (refused
		// here, see above) leaves the data directory as it was.
		if log, err = cfg.common.OpenLog(ctx); err != nil {
			return err
		}
		defer log.Close()
		logSpec, logSpecErr = node.LoadSpec(ctx, log, nil)
		switch {
		case elsewhere && errors.Is(logSpecErr, node.ErrNoSpec):
			return chainElsewhere()
		case elsewhere && logSpecErr != nil:
			// Not known to hold the chain or none: nothing is made for
			// it, nor declared in it.
			return logSpecErr
		}
		specPath := filepath.Join(cfg.dataDir, specFile)
		_, statErr := os.Stat(specPath)
		specRestored := false
		if errors.Is(statErr, fs.ErrNotExist) && keptOn && !elsewhere && logSpecErr == nil {
			// The directory names this log as its chain's, and lost its
			// spec: written again from the log's, as for devnet's own
			// log, rather than a new chain made from the flags, which
			// the log would refuse.
			if err := writeSpec(specPath, logSpec); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("data directory: write %s again from the log: %w", specFile, err)
			}
			statErr, specRestored = nil, true
		}
		heldSpec = statErr == nil
		if chain, saveSpec, err = openDataDir(cfg.dataDir, &cfg.consensus, &cfg.miners, cfg.explicit, "start fresh on another log"); err != nil {
			return err
		}
		chain.specRestored = chain.specRestored || specRestored
		where = here.EventLog + ", its rules and keys in " + cfg.dataDir
		keys = filepath.Join(cfg.dataDir, keysDir)
	}
	if chain.specRestored {
		logger.Warn("the data directory had lost its chain spec: written again from the event log's", "spec", filepath.Join(cfg.dataDir, specFile))
	}
	if cfg.consensus.kind == "poa" && cfg.explicit["difficulty"] { // the chain's engine, a new one's or the data directory's
		logger.Warn("-difficulty is proof of work's: a proof-of-authority chain has none, and ignores it")
	}
	for _, path := range chain.made {
		logger.Warn("made a new miner key for a chain that exists already: a miner added since, or one whose key was lost (its rewards stay where no key can spend them)", "key", path)
	}
	if log == nil { // devnet's own log, or one in memory
		if log, err = cfg.common.OpenLog(ctx); err != nil {
			return err
		}
		defer log.Close()
	}
	logHeld := false // the named log held the data directory's chain before this start
	if named && (heldSpec || elsewhere) {
		// The data directory's chain ran on this log before: a log that
		// now holds no chain lost it (an EventStoreDB started again,
		// whose data lives in memory): the chain starts again at 0. It
		// ran on another log: that one keeps it.
		// (Another log that holds none was refused when it was opened.)
		switch {
		case logSpecErr == nil:
			logHeld = logSpec.DiffNamed(chain.spec, "", "") == ""
		case errors.Is(logSpecErr, node.ErrNoSpec):
			logger.Warn("the event log holds no chain: the chain of the data directory starts again on it at height 0 (was the log wiped? the blocks it held are gone)", "log", here.EventLog, "data_dir", cfg.dataDir)
		}
	}
	// The data directory names the log its chain lives on: a new chain's
	// before the spec goes into the log (a crash then leaves the name,
	// not the spec alone, in the log), or a chain's that ran there
	// before this name was kept. Not on a log that lost the chain: the
	// directory's name of it, if any, stays.
	madeRecord := false
	switch {
	case named && !keptOn && (!heldSpec || logHeld):
		// Another devnet, starting on the directory at the same moment,
		// may name a log first, or name one and take it back (its log
		// held another chain): a few tries settle which.
		for range 3 {
			created, err := writeChainLog(cfg.dataDir, here)
			if err != nil {
				return err
			}
			madeRecord = created
			if created {
				break
			}
			if kept, keptOn, err = readChainLog(cfg.dataDir); err != nil {
				return err
			}
			if keptOn && !kept.is(here) {
				return chainElsewhere()
			}
			if keptOn {
				break // named this very log
			}
		}
		if !madeRecord && !keptOn {
			return fmt.Errorf("data directory %s: %s came and went while this devnet started: is another starting on the directory?", cfg.dataDir, chainLogFile)
		}
	case named && elsewhere && logHeld:
		// Two logs hold the directory's chain. The one named, gone or
		// empty (the file moved): the name follows the chain, so that
		// the old name, back empty, is refused. Still there (a copy):
		// each is a fork of the other, where a transfer of the one can
		// be played again on the other; said, and the name stays.
		if oldPath, isFile := strings.CutPrefix(kept.EventLog, "file:"); isFile && holdsNoChain(oldPath, kept.StreamPrefix) {
			if err := replaceChainLog(cfg.dataDir, here); err != nil {
				return err
			}
			logger.Info("the chain's log moved: the data directory names it now", "from", kept.EventLog, "to", here.EventLog, "data_dir", cfg.dataDir)
		} else {
			logger.Warn("two logs hold the data directory's chain (a copy?): each run extends a fork of its own, and a transfer made on one can be played again on the other; the directory names the other", "named", kept.EventLog, "this", here.EventLog, "data_dir", cfg.dataDir)
		}
	}
	// The spec goes into the log, so that apps joining it later (a
	// separate miner, say) read the same rules; a log that holds another
	// chain's spec is refused.
	if _, err := node.LoadSpec(ctx, log, &chain.spec); err != nil {
		if madeRecord && errors.Is(err, node.ErrSpecMismatch) { // not this directory's log after all
			_ = os.Remove(filepath.Join(cfg.dataDir, chainLogFile))
		}
		switch {
		case named && errors.Is(err, node.ErrSpecMismatch) && !heldSpec:
			// The data directory's network was made by this very start:
			// it is not "another chain's". (Its keys stay, unused, for a
			// next start there, as a start that stopped before writing
			// the spec leaves them; removing the directory could remove
			// another devnet's, started on it at the same moment.)
			return fmt.Errorf("%w (the log holds a chain devnet did not start here; its keys are in the data directory it was first started with: give that with -data-dir)", err)
		case named && errors.Is(err, node.ErrSpecMismatch):
			return fmt.Errorf("%w (a chain's keys are in the data directory it was first started with: give it with -data-dir; %s holds another chain's)", err, cfg.dataDir)
		case errors.Is(err, node.ErrSpecMismatch):
			// "yours" is the data directory's spec file, changed or
			// replaced since the log was made from it.
			return fmt.Errorf("%s does not match the chain in %s, which was made from another spec: %w; delete %s, and devnet writes the chain's own again from the log (or delete %s to start fresh)",
				filepath.Join(cfg.dataDir, specFile), filepath.Join(cfg.dataDir, logFile), err, filepath.Join(cfg.dataDir, specFile), cfg.dataDir)
		}
		return err
	}
	if err := saveSpec(); err != nil {
		return err
	}

	// Under proof of authority miner i signs with key i; the bank and
	// the auditor only verify.
	nodeConfig := func(name string, signer int) (app.NodeConfig, error) { // signer < 0: verify only
		var key *blockchain.PrivateKey
		if signer >= 0 && signer < len(chain.signers) {
			key = &chain.signers[signer]
		}
		engine, err := app.EngineFor(chain.spec, cfg.workers, key)
		nc := app.NodeConfig{Log: log, Spec: chain.spec, Engine: engine, Policy: cfg.policy, Window: 100, Restore: cfg.restore, Logger: logger.With("node", name)}
		if signer < 0 && name == "bank" {
			nc.SnapshotEvery = cfg.snapshotEvery // the bank records them; the others may restore from them
			if cfg.restore == node.RestoreSnapshot {
				// The bank serves every header from the genesis on (the
				// wallet's -verified) and every block (the explorer): a
				// node resumed from a snapshot holds neither below it.
				nc.Restore = node.RestoreVerify
			}
		}
		return nc, err
	}

	var participants []app.Participant
	nc, err := nodeConfig("bank", -1)
	if err != nil {
		return err
	}
	nc.BankIndex = bankIndex
	bankPart, b, err := app.NewBank(nc)
	if errors.Is(err, bank.ErrIndexCorrupt) && bankIndex != "" {
		// The index is devnet's own, in its data directory, and derived
		// from the log: a damaged one (it is written without fsync, so a
		// power cut may leave it so) is moved aside and built again,
		// rather than stop every start until someone deletes it.
		aside := fmt.Sprintf("%s.damaged-%d", bankIndex, time.Now().UnixNano())
		if mvErr := os.Rename(bankIndex, aside); mvErr != nil {
			return fmt.Errorf("%w (and moving it aside failed: %v)", err, mvErr)
		}
		logger.Warn("the bank's ledger index was damaged: moved aside, and built again from the event log", "damaged", aside, "err", err)
		bankPart, b, err = app.NewBank(nc)
	}
	if err != nil {
		return err
	}
	defer b.Close()
	participants = append(participants, bankPart)
	var miners []*miner.Miner
	for i := range cfg.miners {
		id := fmt.Sprintf("miner-%d", i+1)
		nc, err := nodeConfig(id, i)
		if err != nil {
			return err
		}
		p, m, err := app.NewMiner(nc, id, chain.payees[i])
		if err != nil {
			return err
		}
		participants, miners = append(participants, p), append(miners, m)
	}
	if nc, err = nodeConfig("auditor", -1); err != nil {
		return err
	}
	auditPart, auditor, err := app.NewAuditor(nc, cfg.audit)
	if err != nil {
		return err
	}
	participants = append(participants, auditPart)

	// /metrics beside the bank's API, as the bank app serves it: the
	// separate apps' metrics, each node's labelled with its name, each
	// miner's with its ID.
	metrics := app.NewMetrics()
	metrics.Bank(b)
	for i, m := range miners {
		metrics.With("miner", fmt.Sprintf("miner-%d", i+1)).Miner(m)
	}
	metrics.Auditor(auditor)
	for i, p := range participants {
		name := "bank"
		switch {
		case i > 0 && i <= len(miners):
			name = fmt.Sprintf("miner-%d", i)
		case i > len(miners):
			name = "auditor"
		}
		metrics.With("node", name).Node(p.Node, "node's")
	}

	g, gctx := errgroup.WithContext(ctx)
	bound := make(chan net.Addr, 1)
	g.Go(func() error {
		return app.ServeOn(gctx, listener, app.WithMetrics(b, metrics.Handler()), func(a net.Addr) { bound <- a })
	})
	// The bank restores first, alone: it is what a user waits for (its
	// /readyz), and the miners and the auditor, each reading the chain
	// again (every block and signature, under -restore verify), would
	// share the cores with it.
	for i, p := range participants {
		g.Go(func() error {
			if i > 0 {
				select {
				case <-bankPart.Restored():
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return p.Run(gctx)
		})
	}
	var sched scheduler.Stats
	g.Go(func() error {
		var addr net.Addr
		select {
		case addr = <-bound:
		case <-gctx.Done():
			return gctx.Err()
		}
		bankURL := "http://" + addr.String()
		howMany := fmt.Sprintf("%d miners", cfg.miners)
		if cfg.miners == 1 {
			howMany = "1 miner"
		}
		fmt.Fprintf(stdout, "devnet: bank on %s (explorer at %s/), %s, %s, chain kept in %s\n",
			bankURL, bankURL, howMany, app.DescribeConsensus(chain.spec), where)
		bankFlag := "" // the wallet's -bank, unless the bank is at its default
		if bankURL != "http://localhost:8080" && bankURL != "http://127.0.0.1:8080" {
			bankFlag = " -bank " + shellQuote(bankURL)
		}
		if keys != "" {
			fmt.Fprintf(stdout, "devnet: demo accounts %s hold %d each at genesis; their keys are in %s: go run ./examples/wallet%s -keystore %s send alice bob 125\n",
				strings.Join(demoAccounts, ", "), demoFunds, keys, bankFlag, shellQuote(keys))
		} else {
			fmt.Fprintf(stdout, "devnet: demo accounts %s hold %d each at genesis; on this in-memory chain their keys are in memory too, used by the scheduler and gone when devnet stops: no keystore holds them\n",
				strings.Join(demoAccounts, ", "), demoFunds)
		}
		if genesis, err := chain.spec.Genesis(); err == nil {
			fmt.Fprintf(stdout, "devnet: genesis %s: pin it in the wallet's verify and balance -verified with -genesis-hash, so that they trust no other chain a bank may serve\n", genesis.Hash())
		}
		g.Go(func() error { return status(gctx, stdout, cfg.statusEvery, bankPart.Node, miners, &sched, auditor) })
		// The scheduler's transfers go to a bank that answers: until it
		// has restored, each would be a 503, and a warning.
		select {
		case <-bankPart.Restored():
		case <-gctx.Done():
			return gctx.Err()
		}
		return scheduler.Run(gctx, scheduler.Config{BankURL: bankURL, Every: cfg.every, Keys: chain.demo, Stats: &sched, Logger: logger.With("component", "scheduler")})
	})
	if err := app.Stopped(ctx, g.Wait()); err != nil {
		return err
	}
	if !b.Ready() {
		// Stopped while the bank's node was still reading the chain: its
		// height is how far it got, not the chain's.
		fmt.Fprintf(stdout, "devnet: stopped while restoring the chain, %d blocks read\n", bankPart.Node.Chain().Height())
		return nil
	}
	fmt.Fprintf(stdout, "devnet: stopped at height %d\n", bankPart.Node.Chain().Height())
	return nil
}

// status prints a line every pause: height, pending, hash rate, last block.
func status(ctx context.Context, w io.Writer, every time.Duration, n *node.Node, miners []*miner.Miner, sched *scheduler.Stats, auditor *audit.Auditor) error {
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	var lastHashes uint64
	var lastSealing time.Duration
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-t.C:
			var hashes uint64
			var sealing time.Duration
			for _, m := range miners {
				st := m.Stats()
				hashes, sealing = hashes+st.Hashes, sealing+st.SealTime
			}
			// Two rates: over the period (the miners wait for transactions
			// most of it), as the miner app's "hash rate" log line says,
			// and while they seal (SealTime counts the seals under way),
			// as a miner's "block won" log line's hash_rate.
			rate := float64(hashes-lastHashes) / now.Sub(last).Seconds()
			sealingRate := 0.0
			if d := sealing - lastSealing; d > 0 {
				sealingRate = float64(hashes-lastHashes) / d.Seconds()
			}
			last, lastHashes, lastSealing = now, hashes, sealing
			tip := n.Chain().TipBlock()
			r := auditor.Report()
			// scheduled counts this run's scheduler, whose transfers the
			// bank took; the auditor's counts are of every transfer in
			// the log, the wallet's and curl's too, since the genesis.
			fmt.Fprintf(w, "height %d  pending %d  scheduled %d  included %d  rebroadcast %d  dropped %d  hashes %.2f MH/s (%.2f MH/s while sealing)  last block %s (%d txs)\n",
				tip.Height(), n.Pool().Len(), sched.Accepted.Load(), r.Included, r.Rebroadcasts, r.Dropped, rate/1e6, sealingRate/1e6, tip.Hash().Short(), tip.Len())
		}
	}
}

// namedLogDir is the data directory of a chain on a log named by
// -eventlog, with stream prefix prefix, when -data-dir is not given: one
// of its own for each log, below the default data directory base, so that
// chains on different logs never share keys or rules. A file's path is
// made absolute first, so that one file has one directory wherever
// devnet is started from.
func namedLogDir(base, eventLog, prefix string) string {
	if path, ok := strings.CutPrefix(eventLog, "file:"); ok {
		if abs, err := filepath.Abs(path); err == nil {
			eventLog = "file:" + abs
		}
	}
	sum := sha256.Sum256([]byte(eventLog + "\x00" + prefix))
	return filepath.Join(base, "logs", hex.EncodeToString(sum[:6]))
}

// samePath reports whether paths a and b name one file: the same
// existing file, or, where either does not exist yet, the same name in
// the same directory (followed through links).
func samePath(a, b string) bool {
	ia, erra := os.Stat(a)
	ib, errb := os.Stat(b)
	if erra == nil && errb == nil {
		return os.SameFile(ia, ib)
	}
	if filepath.Base(a) != filepath.Base(b) {
		return false
	}
	da, erra := os.Stat(filepath.Dir(a))
	db, errb := os.Stat(filepath.Dir(b))
	return erra == nil && errb == nil && os.SameFile(da, db)
}
