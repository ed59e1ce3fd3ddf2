// Package apptest holds what the tests of the apps (examples/bank,
// examples/miner, examples/auditor, examples/devnet, examples/wallet,
// examples/scheduler, and those of examples/internal/app and
// examples/e2e) share: genesis files, the check that a flag the app
// cannot work with is refused before the app opens its event log, and an
// environment with no user configuration directory.
package apptest

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/app"
)

// Genesis writes consensustest.Spec() as a genesis file (-genesis) in a
// directory of t's and returns its path.
func Genesis(t testing.TB) string {
	t.Helper()
	return WriteSpec(t, t.TempDir(), "genesis.json", consensustest.Spec())
}

// WriteSpec writes spec in JSON to the file name in dir, a genesis file
// (-genesis), and returns its path.
func WriteSpec(t testing.TB, dir, name string, spec blockchain.ChainSpec) string {
	t.Helper()
	data, err := spec.MarshalJSON()
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// A Refusal is a start an app must refuse: Args, given beside a file log
// that does not exist yet and a -genesis; Want, what its error says (the
// flag it names, say); Usage, whether it is a usage error (exit 2) rather
// than a failure (a port in use: exit 1).
type Refusal struct {
	Name  string
	Args  []string
	Want  string
	Usage bool
}

// An App is an app's run function.
type App func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// RefusedBeforeTheLog runs app with each refusal's arguments, on a file
// log (-eventlog file:…) with -genesis, and checks that the app fails as
// the refusal says, that the log file was never made, and that it printed
// nothing (no "listening on" before the refusal): a bad flag must not
// leave a chain spec declared in a log the app then leaves.
func RefusedBeforeTheLog(t *testing.T, run App, refusals []Refusal) {
	t.Helper()
	genesis := Genesis(t)
	for _, r := range refusals {
		t.Run(r.Name, func(t *testing.T) {
			logFile := filepath.Join(t.TempDir(), "events.db")
			args := append([]string{"-eventlog", "file:" + logFile, "-genesis", genesis}, r.Args...)
			var stdout strings.Builder
			err := run(context.Background(), args, &stdout, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), r.Want)
			assert.Equal(t, r.Usage, errors.As(err, new(app.UsageError)), "a usage error: %v", err)
			assert.NoFileExists(t, logFile)
			assert.Empty(t, stdout.String(), "a refused start says nothing on stdout")
		})
	}
}

// CommonRefusals are the refusals of the flags every app that opens a
// log shares (-eventlog, -stream-prefix, -gelf, -log-format), each given
// with port, the app's flag and an address in use: a bad flag is a
// usage error, said before the app takes its port (it said it listened,
// then exited 2; or, the port in use, gave that error instead).
func CommonRefusals(port ...string) []Refusal {
	with := func(args ...string) []string { return append(append([]string(nil), port...), args...) }
	return []Refusal{
		{Name: "a bad GELF URL", Args: with("-gelf", "bogus://x"), Want: "-gelf", Usage: true},
		{Name: "a bad log format", Args: with("-log-format", "xml"), Want: "-log-format", Usage: true},
		{Name: "a log of no known kind", Args: with("-eventlog", "bogus"), Want: "-eventlog", Usage: true},
		{Name: "a file log without a path", Args: with("-eventlog", "file:"), Want: "-eventlog", Usage: true},
		{Name: "a stream prefix of the system's", Args: with("-stream-prefix", "$x"), Want: "-stream-prefix", Usage: true},
	}
}

// NoConfigDir makes the rest of test t run as where the system names no
// user configuration directory (no $HOME, as under some service
// managers): it empties every variable os.UserConfigDir reads, on any
// platform, and fails t if that directory is still found.
func NoConfigDir(t *testing.T) {
	t.Helper()
	for _, name := range []string{"HOME", "XDG_CONFIG_HOME", "AppData", "home"} {
		t.Setenv(name, "")
	}
	_, err := os.UserConfigDir()
	require.Error(t, err, "precondition: no configuration directory")
}
