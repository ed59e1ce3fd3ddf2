package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinary builds the wallet and runs it as a process, without a bank:
// it makes keys, lists them, prints an address, and fails cleanly
// (exit status, one line on stderr) where it should.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wallet binary; skipped with -short")
	}
	// The build has no bound of its own but the test binary's -timeout:
	// from an empty build cache, on a loaded machine, it took over two
	// minutes.
	bin := filepath.Join(t.TempDir(), "wallet")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	passFile := filepath.Join(dir, "pass")
	require.NoError(t, os.WriteFile(passFile, []byte("a passphrase\n"), 0o600))
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EVENTCHAIN_") {
			env = append(env, kv)
		}
	}
	env = append(env, "EVENTCHAIN_KEYSTORE="+keys)

	run := func(t *testing.T, args ...string) (code int, stdout, stderr string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), o.String(), e.String()
		}
		require.NoError(t, err)
		return 0, o.String(), e.String()
	}
	address := regexp.MustCompile(`^ec[0-9a-f]{48}\n$`)

	code, alice, stderr := run(t, "new", "alice", "-insecure-no-passphrase")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, address, alice)
	code, bob, stderr := run(t, "-passphrase-file", passFile, "new", "bob")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, address, bob)
	assert.NotEqual(t, alice, bob)

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a regular expression
		stderr string // a regular expression; "" for nothing
	}{
		{"list", []string{"list"}, 0, `^alice\s+` + strings.TrimSpace(alice) + `\s+in clear\nbob\s+` + strings.TrimSpace(bob) + `\s+encrypted\n$`, ""},
		{"address", []string{"address", "alice"}, 0, `^` + alice + `$`, ""},
		{"another keystore", []string{"-keystore", filepath.Join(dir, "none"), "list"}, 1, `^$`, `^wallet: no keystore at \S+none: .*\n$`},
		{"no such key", []string{"address", "carol"}, 1, `^$`, `^wallet: no key named "carol" in .*\n$`},
		{"name taken", []string{"new", "alice", "-insecure-no-passphrase"}, 1, `^$`, `^wallet: a key named "alice" exists already in .*\n$`},
		{"bank down", []string{"balance", "alice", "-bank", "http://127.0.0.1:1"}, 1, `^$`, `^wallet: .*no answer from the bank.*\n$`},
		{"bad address", []string{"balance", "ec" + strings.Repeat("1", 48)}, 2, `^$`, `^wallet: bad address: .*\nrun 'wallet help' for usage\n$`},
		{"version", []string{"-version"}, 0, `^wallet (v\S+|\(devel\)) revision ([0-9a-f]{40}|unknown)( \(modified\))? go\S+\n$`, ""},
		{"unknown command", []string{"mint", "1000"}, 2, `^$`, `unknown command "mint"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			assert.Equal(t, tc.code, code, "stderr: %s", stderr)
			assert.Regexp(t, tc.stdout, stdout)
			if tc.stderr == "" {
				assert.Empty(t, stderr)
			} else {
				assert.Regexp(t, tc.stderr, stderr)
			}
		})
	}
}
