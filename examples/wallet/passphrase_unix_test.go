//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPassphraseFileHeedsCtrlC: a passphrase file that is a named pipe no
// one writes to (or a terminal no one types into) blocks its open or its
// read for ever. The wallet catches Ctrl-C to end its context, so unless
// the wait heeds that context the user's first Ctrl-C is ignored, and the
// wallet waits on. With the context ended, each command that needs the
// passphrase stops at once and says why.
func TestPassphraseFileHeedsCtrlC(t *testing.T) {
	for _, args := range [][]string{
		{"send", "dave", "bob", "5"}, // dave's key is encrypted
		{"new", "erin"},
	} {
		t.Run(args[0], func(t *testing.T) {
			f := newFixture(t)
			fifo := filepath.Join(t.TempDir(), "passphrase")
			require.NoError(t, syscall.Mkfifo(fifo, 0o600))
			t.Cleanup(func() {
				// The wallet's reader may be blocked in its open of the
				// pipe, or about to be: open the pipe for reading and
				// writing (on Linux that never blocks, and it counts as
				// a writer), which lets a blocked open return; remove
				// the pipe, so that a later open finds nothing; then
				// close, and the reader reads an end of file.
				w, err := os.OpenFile(fifo, os.O_RDWR, 0)
				_ = os.Remove(fifo)
				if err == nil {
					_ = w.Close()
				}
			})
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // Ctrl-C, pressed while the wallet waits for a writer

			type result struct {
				code           int
				stdout, stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, stdout, stderr := f.runCtx(ctx, t, nil, append(args, "-passphrase-file", fifo)...)
				done <- result{code, stdout, stderr}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second): // a bound for a failing test, not a wait for an event
				t.Fatal("the wallet still waits for the passphrase pipe after its context ended")
			}
			assert.Equal(t, 1, r.code, r.stderr)
			assert.Empty(t, r.stdout)
			assert.Regexp(t, `(?m)^wallet: interrupted: passphrase file .*: stopped waiting for it to be written: context canceled\n`, r.stderr)
			assert.Empty(t, f.bank.Submitted(), "nothing is sent")
		})
	}
}
