//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// openPTY opens a new pseudo-terminal and returns its master side, which
// plays the user's keyboard, and the path of its terminal side, which the
// wallet is given as its passphrase file, as a user gives /dev/stdin.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { _ = master.Close() }) // the terminal side then reads an error, and its reader ends
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Skipf("unlock the pseudo-terminal: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Skipf("name the pseudo-terminal: %v", errno)
	}
	return master, fmt.Sprintf("/dev/pts/%d", n)
}

// TestPassphraseTypedAtATerminal: -passphrase-file /dev/stdin on a
// terminal is the passphrase typed in, and Enter ends it. Read to its end
// of file, as a file is, the terminal gives none until Ctrl-D, and the
// wallet would sit waiting after the user pressed Enter. Only the line
// typed is the passphrase, without its newline.
func TestPassphraseTypedAtATerminal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		typed  string
		args   []string
		stdout string
		check  func(t *testing.T, f *fixture)
	}{
		{
			name: "send", typed: davePass + "\n",
			args: []string{"send", "dave", "bob", "5"}, stdout: `^sent 5 from dave to bob`,
		},
		{
			name: "new", typed: "s3cret\n",
			args: []string{"new", "erin"}, stdout: `^ec[0-9a-f]+\n$`,
			check: func(t *testing.T, f *fixture) {
				ks, err := keystore.Open(f.keys)
				require.NoError(t, err)
				_, err = ks.Load("erin", []byte("s3cret"))
				assert.NoError(t, err, "the passphrase is the line typed, without its newline")
			},
		},
		{
			name: "only the first line", typed: davePass + "\nnot the passphrase\n",
			args: []string{"send", "dave", "bob", "5"}, stdout: `^sent 5 from dave to bob`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			master, tty := openPTY(t)
			_, err := master.WriteString(tc.typed)
			require.NoError(t, err)
			// A watchdog: the wallet reads the line typed at once, or not
			// at all, waiting for an end of file no one types.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code, stdout, stderr := f.runCtx(ctx, t, nil, append(tc.args, "-passphrase-file", tty)...)
			require.Equal(t, 0, code, stderr)
			assert.Regexp(t, tc.stdout, stdout)
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

// echoing reports whether the terminal at tty shows what is typed.
func echoing(t *testing.T, tty *os.File) bool {
	t.Helper()
	termios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	require.NoError(t, err)
	return termios.Lflag&unix.ECHO != 0
}

// waitForEcho waits until the terminal at tty shows what is typed, or
// not, as on says: the wallet changes it as it begins to read. It looks
// again and again, yielding between looks, until ctx ends.
func waitForEcho(ctx context.Context, t *testing.T, tty *os.File, on bool) {
	t.Helper()
	for echoing(t, tty) != on {
		require.NoError(t, ctx.Err(), "the terminal's echo never turned %v", on)
		runtime.Gosched()
	}
}

// TestPassphraseTypedIsNotShown: a passphrase typed at a terminal is not
// shown as it is typed (nor left in the terminal's scrollback), and the
// terminal shows what is typed again afterwards — also when the user
// gives up with Ctrl-C while the wallet waits for the line.
func TestPassphraseTypedIsNotShown(t *testing.T) {
	for _, tc := range []struct {
		name   string
		giveUp bool // Ctrl-C (the context ends) instead of typing the line
	}{
		{"typed", false},
		{"Ctrl-C while it waits", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			master, path := openPTY(t)
			tty, err := os.OpenFile(path, os.O_RDWR, 0) // the test's own look at the terminal's settings
			require.NoError(t, err)
			t.Cleanup(func() { _ = tty.Close() })
			require.True(t, echoing(t, tty), "a terminal shows what is typed, at first")

			watchdog, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			run, cancel := context.WithCancel(watchdog)
			defer cancel()
			type result struct {
				code           int
				stdout, stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, stdout, stderr := f.runCtx(run, t, nil, "send", "dave", "bob", "5", "-wait=false", "-passphrase-file", path)
				done <- result{code, stdout, stderr}
			}()
			waitForEcho(watchdog, t, tty, false)
			if tc.giveUp {
				cancel()
			} else {
				_, err := master.WriteString(davePass + "\n")
				require.NoError(t, err)
			}
			r := <-done
			if tc.giveUp {
				assert.NotZero(t, r.code)
				assert.Contains(t, r.stderr, "stopped waiting")
			} else {
				require.Equal(t, 0, r.code, r.stderr)
				assert.Contains(t, r.stdout, "sent 5 from dave to bob")
				// Echo back on, or the read below would wait for ever for
				// the "x" to be shown, and hang the test rather than fail it.
				require.True(t, echoing(t, tty), "the terminal shows what is typed again")
				// What the terminal showed of the typing: the master side
				// reads it back. Nothing, but the newline of Enter.
				_, err := master.WriteString("x") // typed now, with echo back on: the one thing shown
				require.NoError(t, err)
				shown := make([]byte, 64)
				n, err := master.Read(shown)
				require.NoError(t, err)
				assert.NotContains(t, string(shown[:n]), davePass, "the passphrase was not shown")
			}
			assert.True(t, echoing(t, tty), "the terminal shows what is typed again")
		})
	}
}

// TestPassphraseFromADeviceIsReadWhole: only a terminal gives its
// passphrase a line at a time. Another device is read as a file is, to
// its end or the size limit: -passphrase-file /dev/urandom, a slip, is
// refused as too large, not taken for a passphrase made of whatever
// bytes came before its first newline, which would encrypt a new key
// under a passphrase no one knows.
func TestPassphraseFromADeviceIsReadWhole(t *testing.T) {
	for _, device := range []string{"/dev/urandom", "/dev/zero"} {
		t.Run(device, func(t *testing.T) {
			if _, err := os.Stat(device); err != nil {
				t.Skipf("no %s here: %v", device, err)
			}
			f := newFixture(t)
			code, stdout, stderr := f.run(t, nil, "new", "erin", "-passphrase-file", device)
			assert.Equal(t, 1, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "over 4096 bytes: is it the right file?")
			assert.NoFileExists(t, filepath.Join(f.keys, "erin.key"), "no key is made")
		})
	}
}
