// Command miner follows the event log with a node of its own and mines
// blocks with the consensus engine of the chain spec in the log — proof
// of work, or under proof of authority sealing as one of the spec's
// signers with -poa-key — logging its hash rate every few seconds and
// every block it wins or loses. Each block it seals pays the block reward
// and the block's fees to -beneficiary. /metrics serves its counters.
//
//	go run ./examples/miner -eventlog esdb://localhost:2113?tls=false -id miner-1 -beneficiary ec…
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/decimalflag"
	"github.com/eventchain/eventchain/internal/clip"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

func main() { app.Main("miner", run) }

// Bounds of the flags: more hashing goroutines than this only share the
// same cores, and a miner's name is in every block event it writes,
// which carries at most events.MaxMinerIDLen bytes of it.
const (
	maxWorkers = 1024
	maxID      = events.MaxMinerIDLen
)

// defaultID is the miner's name when -id is not given: miner-HOST, cut
// to the most a block event carries (a Kubernetes pod's name may be 63
// bytes), at a rune boundary, with nothing added.
func defaultID(host string) string {
	id := "miner-" + host
	for len(id) > maxID || !utf8.ValidString(id) {
		id = id[:len(id)-1]
	}
	return id
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	// A signal at any stage, starting up included, is a clean stop, and
	// said so.
	defer func() { err = app.StoppedSaying(ctx, err, stdout, "miner") }()
	var common app.Common
	fs := flag.NewFlagSet("miner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common.Register(fs)
	host, _ := os.Hostname()
	id := fs.String("id", defaultID(host), "the miner's name, in its blocks and logs")
	workers := decimalflag.New(fs, "workers", min(runtime.GOMAXPROCS(0), maxWorkers), "hashing `goroutines`")
	var chain app.ChainFlags
	chain.Register(fs, true)
	var beneficiary blockchain.Address
	// A Func flag: -h shows no default, where TextVar would print the
	// zero address as one.
	fs.Func("beneficiary", "`address` paid the reward and fees of the blocks this miner seals (required)", func(s string) error {
		return beneficiary.UnmarshalText([]byte(s))
	})
	maxTx := decimalflag.New(fs, "max-tx", 20, "most `transactions` in a block, and how many make a block due")
	maxWait := fs.Duration("max-wait", 5*time.Second, "longest a transaction waits before a block is due anyway")
	metricsAddr := fs.String("metrics", "localhost:9101", "address /metrics listens on (empty: none)")
	var mode node.RestoreMode
	fs.TextVar(&mode, "restore", node.RestoreVerify, "restore mode: verify (every block), fast (trust the log's blocks) or snapshot (from the newest state snapshot in the log, then verify)")
	if err := app.Parse(fs, args, os.Getenv); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch {
	case beneficiary.IsZero() && given["beneficiary"]:
		return app.Usagef("-beneficiary: the zero address, which no key spends from: give an address of yours (make one with examples/wallet)")
	case beneficiary.IsZero():
		return app.Usagef("-beneficiary: required: the address this miner's blocks pay (make one with examples/wallet)")
	case *workers < 1 || *workers > maxWorkers:
		return app.Usagef("-workers: have %d, want 1…%d", *workers, maxWorkers)
	case strings.TrimSpace(*id) == "" || len(*id) > maxID || !utf8.ValidString(*id):
		return app.Usagef("-id: have %q, want a name of 1…%d bytes of UTF-8, not blank", clip.Text(*id, 2*maxID), maxID)
	case !clip.Graphic(*id):
		return app.Usagef("-id: have %q, want letters, marks, numbers, punctuation, symbols and spaces only (explorers and logs print it)", clip.Text(*id, 2*maxID))
	}
	policy := pool.DefaultPolicy()
	policy.MaxTx, policy.MaxWait = *maxTx, *maxWait
	switch maxTxs := min(policy.Capacity, blockchain.MaxBlockTransactions); {
	case *maxTx < 1 || *maxTx > maxTxs:
		return app.Usagef("-max-tx: have %d, want 1…%d", *maxTx, maxTxs)
	case *maxWait < 0:
		return app.Usagef("-max-wait: have %v, want ≥ 0 (0: a block is due as soon as a transaction waits)", *maxWait)
	}
	if err := policy.Validate(); err != nil {
		return app.Usagef("%v", err)
	}
	if err := common.Check(); err != nil { // -eventlog, -stream-prefix, -gelf, -log-format
		return err
	}
	genesis, err := chain.Preflight(ctx, *workers, common.EventLog) // -genesis and -poa-key
	if err != nil {
		return err
	}
	if genesis != nil && genesis.Consensus.Engine == blockchain.EnginePoA && chain.PoAKey == "" {
		return app.Usagef("-poa-key: the chain runs %s: a miner seals with one of its signers' keys", app.DescribeConsensus(*genesis))
	}
	// Every flag is checked, and the metrics port had, before the log is
	// opened: a bad flag must not leave a chain spec written behind it;
	// and before the port is taken and said to be served.
	var metricsServer *app.Early // served at once: 503 until the miner has joined its chain
	if *metricsAddr != "" {
		l, err := app.ListenFlag("-metrics", *metricsAddr)
		if err != nil {
			return err
		}
		metricsServer = app.ServeEarly(ctx, l, "the miner is joining its chain", "", func(a net.Addr) {
			fmt.Fprintf(stdout, "miner: metrics on http://%s/metrics\n", a)
		})
		defer metricsServer.Stop()
	}
	logger, closeLogs, err := common.Logger(stderr, "miner")
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

	spec, err := chain.Join(ctx, log, common.SharedLog(), logger)
	if err != nil {
		return err
	}
	if spec.Consensus.Engine == blockchain.EnginePoA && chain.PoAKey == "" {
		// Without a key it could verify, never seal: the chain would
		// wait at its turn for ever, and nothing would say why.
		return app.Usagef("-poa-key: the chain runs %s: a miner seals with one of its signers' keys", app.DescribeConsensus(spec))
	}
	engine, err := chain.Engine(spec, *workers)
	if err != nil {
		return err
	}
	logger.Info("joined", "miner", *id, "chain", spec.ChainID, "consensus", app.DescribeConsensus(spec), "beneficiary", beneficiary.String())
	p, m, err := app.NewMiner(app.NodeConfig{Log: log, Spec: spec, Engine: engine, Policy: policy, Window: 100, Restore: mode, Logger: logger}, *id, beneficiary)
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	if *metricsAddr != "" {
		metrics := app.NewMetrics()
		metrics.Miner(m)
		metrics.Node(p.Node, "miner's")
		metricsServer.Ready(metrics.Handler())
		g.Go(func() error { return metricsServer.Wait(gctx) })
	}
	g.Go(func() error { return p.Run(gctx) })
	g.Go(func() error { return reportHashRate(gctx, m, 5*time.Second, logger.With("miner", *id)) })
	return g.Wait()
}

// reportHashRate logs the hash rate of the last period, every period.
func reportHashRate(ctx context.Context, m *miner.Miner, period time.Duration, logger interface {
	Info(string, ...any)
}) error {
	t := time.NewTicker(period)
	defer t.Stop()
	last, at := m.Stats().Hashes, time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-t.C:
			st := m.Stats()
			logger.Info("hash rate", "hashes_per_second", float64(st.Hashes-last)/now.Sub(at).Seconds(),
				"won", st.BlocksWon, "lost", st.BlocksLost, "refused", st.BlocksRefused, "cancelled", st.SealsCancelled)
			last, at = st.Hashes, now
		}
	}
}
