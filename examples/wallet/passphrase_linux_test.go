//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// TestPassphraseTerminalEnds: a terminal that gives no line ends the
// wait for one — Ctrl-D on an empty line, or the terminal hung up (its
// master side closed, as when a terminal window closes) — and the wallet
// says so, rather than reading on for ever.
func TestPassphraseTerminalEnds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		end    func(t *testing.T, master *os.File)
		stderr string
	}{
		{"Ctrl-D on an empty line", func(t *testing.T, master *os.File) {
			_, err := master.Write([]byte{4}) // VEOF, ^D
			require.NoError(t, err)
		}, "is empty"},
		// Its node is gone with its master side: the open fails. A
		// terminal that hangs up while the wallet reads it is
		// TestReadLineEndsWhenTheTerminalHangsUp's.
		{"hung up before it is opened", func(t *testing.T, master *os.File) {
			require.NoError(t, master.Close())
		}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			master, tty := openPTY(t)
			tc.end(t, master)
			// A watchdog: a wallet that reads on is stopped, and then
			// says it stopped waiting.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code, _, stderr := f.runCtx(ctx, t, nil, "send", "dave", "bob", "5", "-passphrase-file", tty)
			assert.NotZero(t, code)
			assert.Contains(t, stderr, tc.stderr)
			assert.NotContains(t, stderr, "stopped waiting")
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

// TestReadLineEndsWhenTheTerminalHangsUp: a terminal the wallet has open
// and reads a line from, whose master side then closes (the terminal
// window closed), ends the read as an end of file, with nothing read (a
// line half typed is not a passphrase), which the wallet refuses as an
// empty passphrase, rather than a read that goes on for ever, as x/term's
// ReadPassword's did. The wallet cannot be
// made to open the terminal first and then see it hang up without a
// sleep between, so this reads with readLine, as the wallet does.
func TestReadLineEndsWhenTheTerminalHangsUp(t *testing.T) {
	for _, typed := range []string{"", "half a passphr"} {
		t.Run(fmt.Sprintf("%q typed", typed), func(t *testing.T) {
			master, path := openPTY(t)
			tty, err := os.OpenFile(path, os.O_RDWR, 0)
			require.NoError(t, err)
			t.Cleanup(func() { _ = tty.Close() })
			_, err = master.WriteString(typed)
			require.NoError(t, err)
			require.NoError(t, master.Close())

			type result struct {
				line []byte
				err  error
			}
			done := make(chan result, 1)
			go func() {
				line, err := readLine(io.LimitReader(tty, maxPassphraseFile+1))
				done <- result{line, err}
			}()
			watchdog := time.NewTimer(10 * time.Second) // a read that goes on fails the test, not hangs it
			defer watchdog.Stop()
			select {
			case r := <-done:
				assert.NoError(t, r.err)
				assert.Empty(t, r.line, "a hung-up terminal gives no passphrase")
			case <-watchdog.C:
				t.Fatal("readLine still reads a terminal that hung up")
			}
		})
	}
}
