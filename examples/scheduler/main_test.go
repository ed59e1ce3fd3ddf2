package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/apptest"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
	"github.com/eventchain/eventchain/examples/internal/keystore"
	"github.com/eventchain/eventchain/examples/internal/logging"
	"github.com/eventchain/eventchain/examples/internal/scheduler"
)

// demoKeystore makes a keystore like devnet's: the demo accounts in
// clear, and one key encrypted with a passphrase.
func demoKeystore(t *testing.T, names ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	ks, err := keystore.New(keystore.Config{Dir: dir, Scrypt: keystore.ScryptParams{N: 1024, R: 8, P: 1}})
	require.NoError(t, err)
	for _, n := range names {
		require.NoError(t, ks.ImportUnencrypted(n, consensustest.Key(n)))
	}
	require.NoError(t, ks.Import("secret", consensustest.Key("mallory"), []byte("pass"), nil))
	return dir
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestRunPostsTransfersSignedWithTheKeystoresKeys(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		senders []string // who may send
		count   int
	}{
		{name: "every key in clear", args: []string{"-count", "6"}, senders: []string{"alice", "bob", "carol"}, count: 6},
		{name: "named keys", args: []string{"-count", "4", "-accounts", "alice, bob"}, senders: []string{"alice", "bob"}, count: 4},
		{name: "from the environment", env: map[string]string{"EVENTCHAIN_COUNT": "3", "EVENTCHAIN_ACCOUNTS": "bob,carol"}, senders: []string{"bob", "carol"}, count: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bank, err := bankclienttest.New(consensustest.Spec())
			require.NoError(t, err)
			srv := httptest.NewServer(bank)
			t.Cleanup(srv.Close)
			vars := map[string]string{"EVENTCHAIN_BANK": srv.URL, "EVENTCHAIN_KEYSTORE": demoKeystore(t, "alice", "bob", "carol")}
			for k, v := range tc.env {
				vars[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			err = run(ctx, append([]string{"-every", "1ms", "-fee", "2"}, tc.args...), &stdout, &stderr, env(vars))
			require.NoError(t, err, "stderr:\n%s", stderr.String())
			may := map[string]bool{}
			for _, n := range tc.senders {
				may[consensustest.Addr(n).String()] = true
			}
			txs := bank.Submitted()
			require.Len(t, txs, tc.count)
			for _, tx := range txs {
				assert.True(t, may[tx.From().String()], "sender %s is one of %v", tx.From(), tc.senders)
				assert.True(t, may[tx.To().String()], "receiver %s is one of %v", tx.To(), tc.senders)
				assert.Equal(t, int64(2), tx.Fee())
			}
			assert.Contains(t, stderr.String(), fmt.Sprintf("accepted=%d refused=0 failed=0", tc.count))
		})
	}
}

func TestRunRefusesBadUse(t *testing.T) {
	keys := demoKeystore(t, "alice", "bob")
	lonely := demoKeystore(t, "alice")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		text string
	}{
		{"unknown flag", []string{"-colour"}, nil, 2, "colour"},
		{"argument", []string{"alice"}, nil, 2, "unexpected arguments"},
		{"no pause", []string{"-every", "0s"}, nil, 2, "-every: have 0s, want > 0"},
		{"a negative count", []string{"-count", "-1"}, nil, 2, "-count: have -1, want ≥ 0"},
		{"negative fee", []string{"-fee", "-1"}, nil, 2, "-fee"},
		// Go's flag package would read it as octal 8, and pay that.
		{"a fee in octal", []string{"-fee", "010"}, nil, 2, `invalid value "010" for flag -fee: want a whole number in decimal digits`},
		{"a count in hex", []string{"-count", "0x10"}, nil, 2, `invalid value "0x10" for flag -count`},
		{"bad variable", nil, map[string]string{"EVENTCHAIN_EVERY": "often"}, 2, "EVENTCHAIN_EVERY"},
		{"a variable's value refused", nil, map[string]string{"EVENTCHAIN_EVERY": "-1s"}, 2, "-every: have -1s, want > 0 (set by EVENTCHAIN_EVERY)\n"},
		{"a variable's value refused later", []string{"-keystore", keys}, map[string]string{"EVENTCHAIN_LOG_FORMAT": "xml"}, 2, "-log-format: have \"xml\", want text or json (set by EVENTCHAIN_LOG_FORMAT)\n"},
		{"a flag beats its variable", []string{"-every", "0s"}, map[string]string{"EVENTCHAIN_EVERY": "2s"}, 2, "-every: have 0s, want > 0\n"},
		{"bad log format", []string{"-log-format", "xml"}, nil, 2, "-log-format"},
		{"no keystore", []string{"-keystore", filepath.Join(t.TempDir(), "none")}, nil, 2, "does not exist"},
		{"a file for a keystore", []string{"-keystore", filepath.Join(keys, "alice.key")}, nil, 2, "-keystore: keystore directory " + filepath.Join(keys, "alice.key") + ": wrong type of file"},
		{"a keystore path through a file", []string{"-keystore", filepath.Join(keys, "alice.key", "keys")}, nil, 2, "-keystore: " + filepath.Join(keys, "alice.key", "keys") + " does not exist"},
		// The reason is one line, whatever the path holds.
		{"a keystore path with a newline", []string{"-keystore", "/no\nscheduler: forged"}, nil, 2, "scheduler: -keystore: /no\\nscheduler: forged does not exist"},
		{"unknown account", []string{"-keystore", keys, "-accounts", "alice,zoe"}, nil, 2, "zoe"},
		{"bad account name", []string{"-keystore", keys, "-accounts", "alice,../bob"}, nil, 2, "bad key name"},
		{"encrypted account", []string{"-keystore", keys, "-accounts", "alice,secret"}, nil, 2, "secret is encrypted"},
		{"one account", []string{"-keystore", lonely}, nil, 2, "at least 2"},
		{"bad bank URL", []string{"-keystore", keys, "-bank", "localhost"}, nil, 2, "-bank: have \"localhost\""},
		{"a bank URL of another scheme", []string{"-keystore", keys, "-bank", "ftp://x"}, nil, 2, "-bank"},
		{"not a URL", []string{"-keystore", keys, "-bank", "notaurl"}, nil, 2, "-bank"},
		{"a bank URL with a password", []string{"-keystore", keys, "-bank", "http://u:p@localhost:8080"}, nil, 2, "-bank: have"},
		// The port is checked with the flags, before the keystore: a
		// request could never reach it, and the scheduler would try
		// again for ever.
		{"a bank port out of range", []string{"-keystore", filepath.Join(t.TempDir(), "none"), "-bank", "http://127.0.0.1:99999"}, nil, 2, "-bank: have \"http://127.0.0.1:99999\""},
		{"a bank port of 0", []string{"-keystore", filepath.Join(t.TempDir(), "none"), "-bank", "http://127.0.0.1:0"}, nil, 2, "-bank: have"},
		{"a bank URL with a query", []string{"-keystore", keys, "-bank", "http://localhost:8080/?x=1"}, nil, 2, "-bank: have"},
		{"a GELF URL of another scheme", []string{"-keystore", keys, "-gelf", "ftp://x"}, nil, 2, "-gelf: invalid GELF URL \"ftp://x\""},
		{"a GELF URL with no host", []string{"-keystore", keys, "-gelf", "udp://:12201"}, nil, 2, "-gelf: invalid GELF URL"},
		{"a GELF URL from the environment", []string{"-keystore", keys}, map[string]string{"EVENTCHAIN_GELF": "udp://x:0"}, 2, "(set by EVENTCHAIN_GELF)\n"},
		{"one account twice", []string{"-keystore", keys, "-accounts", "alice,alice"}, nil, 2, "alice is named twice"},
		// The keystore holds more: the flag is what is short.
		{"one account named", []string{"-keystore", keys, "-accounts", "alice"}, nil, 2, "-accounts: names 1 key, want at least 2"},
		{"an empty account name", []string{"-keystore", keys, "-accounts", "alice,,bob"}, nil, 2, "an empty name"},
		{"help", []string{"-h"}, nil, 0, "-accounts"},
		// As every app's -h says: the scheduler reads its environment
		// so too.
		{"help on empty variables", []string{"-h"}, nil, 0, "(An empty variable counts as unset: to empty a flag, give it, as in -gelf \"\".)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr, env(tc.env))
			require.Error(t, err)
			assert.Equal(t, tc.code, exitCode(err, &stdout, &stderr))
			assert.Contains(t, stderr.String(), tc.text)
		})
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-version"}, &stdout, &stderr, env(map[string]string{"EVENTCHAIN_EVERY": "bogus"}))
	assert.Equal(t, 0, exitCode(err, &stdout, &stderr))
	assert.Regexp(t, `^scheduler (v\S+|\(devel\)) revision ([0-9a-f]{40}|unknown)( \(modified\))? \S+\n$`, stdout.String())
	assert.Empty(t, stderr.String())

	err = run(context.Background(), nil, &stdout, &stderr, env(map[string]string{"EVENTCHAIN_VERSION": "true", "EVENTCHAIN_EVERY": "0s"}))
	assert.ErrorContains(t, err, "-every", "EVENTCHAIN_VERSION is no -version")
}

// TestLogProgress: at each tick the scheduler logs its counts, unless
// they are as at the last line; it stops when its context ends.
func TestLogProgress(t *testing.T) {
	var out strings.Builder // written by logProgress alone, read once it has returned
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	var stats scheduler.Stats
	ticks := make(chan time.Time) // unbuffered: a send returns once logProgress took the tick
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		logProgress(ctx, logger, &stats, ticks)
	}()
	stats.Accepted.Add(3)
	stats.Refused.Add(1)
	ticks <- time.Time{}
	ticks <- time.Time{} // nothing changed: no line
	stats.Accepted.Add(1)
	ticks <- time.Time{}
	ticks <- time.Time{} // the third tick is logged once this one is taken
	cancel()
	<-done
	assert.Equal(t, "level=INFO msg=progress accepted=3 refused=1 failed=0 skipped=0\n"+
		"level=INFO msg=progress accepted=4 refused=1 failed=0 skipped=0\n", out.String())
}

// TestNewLoggerCutsLongValues: the scheduler's stderr logs cut a long
// value, in either format, as the other apps' do.
func TestNewLoggerCutsLongValues(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var line strings.Builder
		logger, _, err := newLogger(&line, format, "")
		require.NoError(t, err)
		logger.Warn("refused", "err", errors.New(strings.Repeat("x", 300_000)))
		assert.Less(t, line.Len(), logging.MaxValueBytes+200, format)
		assert.Contains(t, line.String(), " bytes cut]", format)
	}
}

// TestNoConfigDirectory: where the system names no configuration
// directory (no $HOME, as under some service managers), there is no
// default keystore, and the scheduler says so, naming the ways to give
// one. It used to look in devnet-data/keys below whatever directory it
// was started in.
func TestNoConfigDirectory(t *testing.T) {
	apptest.NoConfigDir(t)
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), nil, &stdout, &stderr, env(nil))
	require.Error(t, err)
	assert.Equal(t, 2, exitCode(err, &stdout, &stderr))
	assert.Regexp(t, `^scheduler: -keystore: no default keystore: .*: give the keystore's directory .*EVENTCHAIN_KEYSTORE or EVENTCHAIN_DATA_DIR\n$`, stderr.String())
}
