// Command devnet runs a whole eventchain network in one process, on the
// in-memory event log: a bank serving the HTTP API, miners racing to seal
// blocks, an auditor recording the fate of every transaction, and a
// scheduler posting transactions to the bank like a client.
// It prints a status line every few seconds.
//
//	go run ./examples/devnet
//	curl -s localhost:8080/chain/head
//	curl -s -H 'Content-Type: application/json' -d '{"from":"alice","to":"bob","amount":125}' localhost:8080/transactions
//
// Stop it with Ctrl-C, or give it -duration.
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/examples/internal/scheduler"
	"github.com/eventchain/eventchain/examples/poa"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		var usage usageError
		if errors.As(err, &usage) {
			fmt.Fprintln(os.Stderr, "devnet:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "devnet:", err)
		os.Exit(1)
	}
}

// usageError is a bad flag or argument: exit status 2.
type usageError struct{ error }

// config is what the flags set.
type config struct {
	addr        string
	miners      int
	difficulty  uint
	workers     int
	maxTx       int
	maxWait     time.Duration
	every       time.Duration
	duration    time.Duration
	statusEvery time.Duration
	logFormat   string
	consensus   string
	audit       audit.Policy
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("devnet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "localhost:8080", "address the bank's HTTP API listens on")
	fs.IntVar(&c.miners, "miners", 2, "number of miners")
	fs.UintVar(&c.difficulty, "difficulty", 18, "leading zero bits a block hash needs")
	fs.IntVar(&c.workers, "workers", 1, "hashing goroutines per miner")
	fs.IntVar(&c.maxTx, "max-tx", 20, "most transactions in a block, and how many make a block due")
	fs.DurationVar(&c.maxWait, "max-wait", 3*time.Second, "longest a transaction waits before a block is due anyway")
	fs.DurationVar(&c.every, "every", 200*time.Millisecond, "pause between the scheduler's transactions")
	fs.DurationVar(&c.duration, "duration", 0, "stop after this long (0: run until interrupted)")
	fs.DurationVar(&c.statusEvery, "status-every", 3*time.Second, "pause between status lines")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.consensus, "consensus", "pow", "consensus engine: pow (proof of work) or poa (proof of authority: the miners take turns signing, with keys made at start)")
	c.audit = audit.DefaultPolicy()
	fs.DurationVar(&c.audit.Interval, "audit-interval", c.audit.Interval, "pause between the auditor's checks")
	fs.DurationVar(&c.audit.MaxAge, "audit-max-age", c.audit.MaxAge, "how long a transaction waits for a block before the auditor rebroadcasts it")
	fs.IntVar(&c.audit.MaxAttempts, "audit-max-attempts", c.audit.MaxAttempts, "rebroadcasts before the auditor drops a transaction")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	case c.miners < 1:
		return c, usageError{fmt.Errorf("-miners: have %d, want ≥ 1", c.miners)}
	case c.difficulty > 64:
		return c, usageError{fmt.Errorf("-difficulty: have %d, want ≤ 64", c.difficulty)}
	case c.workers < 1:
		return c, usageError{fmt.Errorf("-workers: have %d, want ≥ 1", c.workers)}
	case c.every <= 0 || c.statusEvery <= 0:
		return c, usageError{errors.New("-every and -status-every must be positive")}
	case c.consensus != "pow" && c.consensus != "poa":
		return c, usageError{fmt.Errorf("-consensus: have %q, want pow or poa", c.consensus)}
	case c.logFormat != "text" && c.logFormat != "json":
		return c, usageError{fmt.Errorf("-log-format: have %q, want text or json", c.logFormat)}
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	if cfg.logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	}
	logger := slog.New(handler)
	if cfg.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.duration)
		defer cancel()
	}

	log := memlog.New(memlog.Config{})
	defer log.Close()
	policy := pool.DefaultPolicy()
	policy.MaxTx, policy.MaxWait = cfg.maxTx, cfg.maxWait
	// engineFor makes the engine of one participant: proof of work at
	// -difficulty, or proof of authority where miner i signs with key i.
	var signers []ed25519.PublicKey
	var keys []ed25519.PrivateKey
	if cfg.consensus == "poa" {
		for range cfg.miners {
			pub, priv, err := ed25519.GenerateKey(nil)
			if err != nil {
				return err
			}
			signers, keys = append(signers, pub), append(keys, priv)
		}
	}
	engineFor := func(miner int) (blockchain.Consensus, error) { // miner < 0: verify only
		if cfg.consensus == "pow" {
			return pow.New(pow.Config{Bits: uint32(cfg.difficulty), Workers: cfg.workers})
		}
		var key ed25519.PrivateKey
		if miner >= 0 {
			key = keys[miner]
		}
		return poa.New(signers, key)
	}
	newNode := func(name string, miner int, onEvent func(node.Event)) (*node.Node, blockchain.Consensus, error) {
		engine, err := engineFor(miner)
		if err != nil {
			return nil, nil, err
		}
		n, err := node.New(node.Config{Log: log, Engine: engine, Policy: policy, Window: 100, Logger: logger.With("node", name), OnEvent: onEvent})
		if err != nil {
			return nil, nil, err
		}
		return n, engine, n.Restore(ctx, node.RestoreVerify)
	}

	var b *bank.Bank // set before the bank's node follows the log
	bankNode, _, err := newNode("bank", -1, func(e node.Event) {
		if b != nil { // nil while the node restores, before the bank exists
			b.Observe(e)
		}
	})
	if err != nil {
		return fmt.Errorf("bank node: %w", err)
	}
	b, err = bank.New(bank.Config{Node: bankNode, Log: log, Logger: logger.With("app", "bank")})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return bankNode.Follow(gctx) })
	g.Go(func() error { return b.Run(gctx) })
	g.Go(func() error {
		if err := srv.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	})
	b.SetReady(true)

	var miners []*miner.Miner
	for i := range cfg.miners {
		id := fmt.Sprintf("miner-%d", i+1)
		n, engine, err := newNode(id, i, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		m, err := miner.New(miner.Config{Node: n, ID: id, Engine: engine, Logger: logger.With("app", id)})
		if err != nil {
			return err
		}
		miners = append(miners, m)
		g.Go(func() error { return n.Follow(gctx) })
		g.Go(func() error { return m.Run(gctx) })
	}

	auditNode, _, err := newNode("auditor", -1, nil)
	if err != nil {
		return fmt.Errorf("auditor node: %w", err)
	}
	auditor, err := audit.New(audit.Config{Node: auditNode, Log: log, Policy: cfg.audit, Logger: logger.With("app", "auditor")})
	if err != nil {
		return err
	}
	g.Go(func() error { return auditNode.Follow(gctx) })
	g.Go(func() error { return auditor.Run(gctx) })

	bankURL := "http://" + listener.Addr().String()
	var sched scheduler.Stats
	g.Go(func() error {
		return scheduler.Run(gctx, scheduler.Config{BankURL: bankURL, Every: cfg.every, Stats: &sched, Logger: logger.With("app", "scheduler")})
	})
	engineName := fmt.Sprintf("proof of work at %d bits", cfg.difficulty)
	if cfg.consensus == "poa" {
		engineName = "proof of authority, taking turns"
	}
	fmt.Fprintf(stdout, "devnet: bank on %s (explorer at %s/), %d miners, %s, in-memory event log\n", bankURL, bankURL, cfg.miners, engineName)
	g.Go(func() error { return status(gctx, stdout, cfg.statusEvery, bankNode, miners, &sched, auditor) })

	err = g.Wait()
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		h := bankNode.Chain().Height()
		fmt.Fprintf(stdout, "devnet: stopped at height %d\n", h)
		return nil
	}
	return err
}

// status prints a line every pause: height, pending, hash rate, last block.
func status(ctx context.Context, w io.Writer, every time.Duration, n *node.Node, miners []*miner.Miner, sched *scheduler.Stats, auditor *audit.Auditor) error {
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	var lastHashes uint64
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-t.C:
			var hashes, won uint64
			for _, m := range miners {
				st := m.Stats()
				hashes += st.Hashes
				won += st.BlocksWon
			}
			rate := float64(hashes-lastHashes) / now.Sub(last).Seconds()
			last, lastHashes = now, hashes
			tip := n.Chain().TipBlock()
			r := auditor.Report()
			fmt.Fprintf(w, "height %d  pending %d  accepted %d  verified %d  rebroadcast %d  dropped %d  hash rate %.2f MH/s  last block %s (%d txs)\n",
				tip.Height(), n.Pool().Len(), sched.Accepted.Load(), r.Included, r.Rebroadcasts, r.Dropped, rate/1e6, tip.Hash().Short(), tip.Len())
		}
	}
}
