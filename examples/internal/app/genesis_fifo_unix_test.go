//go:build unix

package app_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/app"
)

// TestGenesisPipeHeedsCtrlC: a -genesis that names a pipe no one writes
// to blocks its open (or its read) for ever. The apps catch Ctrl-C to
// end their context, so unless the wait heeds that context the user's
// Ctrl-C is ignored and the app waits on, until it is killed. With the
// context ended, each way the apps read -genesis stops at once and says
// why.
func TestGenesisPipeHeedsCtrlC(t *testing.T) {
	for _, tc := range []struct {
		name string
		read func(ctx context.Context, path string) error
	}{
		{"ReadSpecFile", func(ctx context.Context, path string) error {
			_, err := app.ReadSpecFile(ctx, path)
			return err
		}},
		{"Preflight", func(ctx context.Context, path string) error {
			chain := app.ChainFlags{Genesis: path}
			_, err := chain.Preflight(ctx, 1, "memory")
			return err
		}},
		{"Join", func(ctx context.Context, path string) error {
			log := memlog.New(memlog.Config{})
			defer log.Close()
			chain := app.ChainFlags{Genesis: path}
			_, err := chain.Join(ctx, log, false, slog.New(slog.DiscardHandler))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "genesis.json")
			require.NoError(t, syscall.Mkfifo(fifo, 0o600))
			t.Cleanup(func() {
				// The reader may be blocked in its open of the pipe, or
				// about to be: open it for reading and writing (on Linux
				// that never blocks, and counts as a writer), which lets
				// a blocked open return; remove the pipe, so that a later
				// open finds nothing; then close, and the reader reads an
				// end of file.
				w, err := os.OpenFile(fifo, os.O_RDWR, 0)
				_ = os.Remove(fifo)
				if err == nil {
					_ = w.Close()
				}
			})
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // Ctrl-C, pressed while the app waits for a writer

			done := make(chan error, 1)
			go func() { done <- tc.read(ctx, fifo) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second): // a bound for a failing test, not a wait for an event
				t.Fatal("still waiting for the -genesis pipe after the context ended")
			}
			require.ErrorIs(t, err, context.Canceled)
			assert.ErrorContains(t, err, fifo+": stopped waiting for it to be written")
		})
	}
}
