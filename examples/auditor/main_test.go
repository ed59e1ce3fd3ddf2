package main

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/examples/internal/apptest"
)

// reports hands out the reports the test sends, for logReports; the zero
// report once the channel is closed.
type reports struct{ ch chan audit.Report }

func (r reports) Report() audit.Report { return <-r.ch }

// records is a slog handler that passes each record on.
type records chan slog.Record

func (records) Enabled(context.Context, slog.Level) bool          { return true }
func (r records) Handle(_ context.Context, rec slog.Record) error { r <- rec; return nil }
func (r records) WithAttrs([]slog.Attr) slog.Handler              { return r }
func (r records) WithGroup(string) slog.Handler                   { return r }

// TestLogReports: the auditor app logs its report at the first tick, and
// then only when it changed (its doc said it logged every interval; it
// logged nothing at the default level).
func TestLogReports(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src := reports{ch: make(chan audit.Report)}
	logged := make(records, 10)
	done := make(chan error, 1)
	go func() { done <- logReports(ctx, slog.New(logged), src, time.Millisecond) }()

	count := func(rec slog.Record) int64 {
		var n int64
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "included" {
				n = a.Value.Int64()
			}
			return true
		})
		return n
	}
	src.ch <- audit.Report{} // the first: logged, zero as it is
	rec := <-logged
	assert.Equal(t, "report", rec.Message)
	assert.Equal(t, int64(0), count(rec))
	src.ch <- audit.Report{}            // unchanged: not logged
	src.ch <- audit.Report{Included: 3} // changed: logged
	assert.Equal(t, int64(3), count(<-logged))
	require.Empty(t, logged, "one line per change")
	cancel()
	close(src.ch) // a tick before the cancel is seen gets the zero report
	assert.NoError(t, <-done)
}

// TestFlagsRefusedBeforeTheLog: a flag the auditor cannot work with, or
// a -metrics port in use, is refused before it opens its log, naming
// the flag: the chain spec of -genesis is not written to a log the
// auditor then leaves (the file log is not even made).
func TestFlagsRefusedBeforeTheLog(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	apptest.RefusedBeforeTheLog(t, run, []apptest.Refusal{
		{Name: "no interval", Args: []string{"-interval", "0s"}, Want: "-interval", Usage: true},
		{Name: "no age", Args: []string{"-max-age", "0s"}, Want: "-max-age", Usage: true},
		{Name: "negative attempts", Args: []string{"-max-attempts", "-1"}, Want: "-max-attempts", Usage: true},
		{Name: "a policy of more than a century", Args: []string{"-max-age", "876001h", "-max-attempts", "0"}, Want: "-max-age × (-max-attempts + 1): have 876001h0m0s × 1", Usage: true},
		{Name: "a bad port", Args: []string{"-metrics", "127.0.0.1:99999"}, Want: "-metrics", Usage: true},
		{Name: "a port in use", Args: []string{"-metrics", busy.Addr().String()}, Want: "-metrics"},
		{Name: "a genesis that is not there", Args: []string{"-metrics", "", "-genesis", "/no/such/genesis.json"}, Want: "-genesis", Usage: true},
		{Name: "no genesis for a new file log", Args: []string{"-metrics", "", "-genesis", ""}, Want: "-genesis is required", Usage: true},
	})
	apptest.RefusedBeforeTheLog(t, run, apptest.CommonRefusals("-metrics", busy.Addr().String()))
}
