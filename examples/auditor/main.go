// Command auditor follows the event log with a node of its own and
// records the fate of every transaction: verified, rebroadcast, dropped
// (package audit). It logs its report every 30 seconds in which it
// changed; /metrics serves it.
//
//	go run ./examples/auditor -eventlog esdb://localhost:2113?tls=false -interval 10s -max-age 1m -max-attempts 3
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/decimalflag"
)

func main() { app.Main("auditor", run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	// A signal at any stage, starting up included, is a clean stop, and
	// said so.
	defer func() { err = app.StoppedSaying(ctx, err, stdout, "auditor") }()
	var common app.Common
	fs := flag.NewFlagSet("auditor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common.Register(fs)
	policy := audit.DefaultPolicy()
	fs.DurationVar(&policy.Interval, "interval", policy.Interval, "pause between checks")
	fs.DurationVar(&policy.MaxAge, "max-age", policy.MaxAge, "how long a transaction waits for a block before it is rebroadcast")
	decimalflag.Var(fs, &policy.MaxAttempts, "max-attempts", policy.MaxAttempts, "`rebroadcasts` before a transaction is dropped")
	var chain app.ChainFlags
	chain.Register(fs, false)
	metricsAddr := fs.String("metrics", "localhost:9102", "address /metrics listens on (empty: none)")
	if err := app.Parse(fs, args, os.Getenv); err != nil {
		return err
	}
	switch {
	case policy.Interval <= 0:
		return app.Usagef("-interval: have %v, want > 0", policy.Interval)
	case policy.MaxAge <= 0:
		return app.Usagef("-max-age: have %v, want > 0", policy.MaxAge)
	case policy.MaxAttempts < 0:
		return app.Usagef("-max-attempts: have %d, want ≥ 0 (0: drop at the first check past -max-age)", policy.MaxAttempts)
	case int64(policy.MaxAttempts) >= int64(audit.MaxGiveUp/policy.MaxAge):
		return app.Usagef("-max-age × (-max-attempts + 1): have %v × %d, want at most %v in all", policy.MaxAge, uint64(policy.MaxAttempts)+1, audit.MaxGiveUp)
	}
	if err := policy.Validate(); err != nil {
		return app.Usagef("%v", err)
	}
	if err := common.Check(); err != nil { // -eventlog, -stream-prefix, -gelf, -log-format
		return err
	}
	if _, err := chain.Preflight(ctx, 1, common.EventLog); err != nil { // -genesis
		return err
	}
	// Every flag is checked, and the metrics port had, before the log is
	// opened: a bad flag must not leave a chain spec written behind it.
	var metricsServer *app.Early // served at once: 503 until the auditor has joined its chain, then without the audit counts until it has restored its report
	if *metricsAddr != "" {
		l, err := app.ListenFlag("-metrics", *metricsAddr)
		if err != nil {
			return err
		}
		metricsServer = app.ServeEarly(ctx, l, "the auditor is joining its chain", "", func(a net.Addr) {
			fmt.Fprintf(stdout, "auditor: metrics on http://%s/metrics\n", a)
		})
		defer metricsServer.Stop()
	}
	logger, closeLogs, err := common.Logger(stderr, "auditor")
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
	engine, err := chain.Engine(spec, 1)
	if err != nil {
		return err
	}
	p, a, err := app.NewAuditor(app.NodeConfig{Log: log, Spec: spec, Engine: engine, Logger: logger}, policy)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	if *metricsAddr != "" {
		metrics := app.NewMetrics()
		metrics.Auditor(a)
		metrics.Node(p.Node, "auditor's")
		metricsServer.Ready(metrics.Handler())
		g.Go(func() error { return metricsServer.Wait(gctx) })
	}
	g.Go(func() error { return p.Run(gctx) })
	g.Go(func() error { return logReports(gctx, logger, a, reportEvery) })
	return g.Wait()
}

// reportEvery is how often the auditor logs its report, if it changed.
const reportEvery = 30 * time.Second

// logReports logs a's report after the first interval, then after every
// interval in which it changed, until ctx ends.
func logReports(ctx context.Context, logger *slog.Logger, a interface{ Report() audit.Report }, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	last := audit.Report{Submitted: -1} // none yet
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if r := a.Report(); r != last {
				logger.Info("report", "submitted", r.Submitted, "included", r.Included, "pending", r.Pending, "rebroadcasts", r.Rebroadcasts, "dropped", r.Dropped)
				last = r
			}
		}
	}
}
