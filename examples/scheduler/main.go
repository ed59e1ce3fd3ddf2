// Command scheduler posts random valid transactions to a bank's API at a
// steady pace, like a client would (package scheduler).
//
//	go run ./examples/scheduler -bank http://localhost:8080 -every 1s -count 100
package main

import (
	"context"
	"flag"
	"io"
	"os"
	"time"

	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/scheduler"
)

func main() { app.Main("scheduler", run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scheduler", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bank := fs.String("bank", "http://localhost:8080", "the bank's base URL")
	every := fs.Duration("every", time.Second, "pause between transactions")
	count := fs.Int("count", 0, "stop after this many accepted transactions (0: never)")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	gelf := fs.String("gelf", "", "also send logs to Graylog, e.g. udp://localhost:12201")
	if err := app.Parse(fs, args, os.Getenv); err != nil {
		return err
	}
	if *every <= 0 || *count < 0 {
		return app.Usagef("-every must be positive and -count not negative")
	}
	logger, closeLogs, err := app.Common{LogFormat: *logFormat, GELF: *gelf}.Logger(stderr, "scheduler")
	if err != nil {
		return err
	}
	defer closeLogs()
	var stats scheduler.Stats
	err = scheduler.Run(ctx, scheduler.Config{BankURL: *bank, Every: *every, Count: *count, Logger: logger, Stats: &stats})
	logger.Info("stopped", "accepted", stats.Accepted.Load(), "refused", stats.Refused.Load(), "failed", stats.Failed.Load())
	return app.Stopped(ctx, err)
}
