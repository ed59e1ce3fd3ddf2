package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Graylog2/go-gelf/gelf"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/apptest"
	"github.com/eventchain/eventchain/examples/internal/logging"
	"github.com/eventchain/eventchain/node"
)

func TestParseFallsBackOnEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		env       map[string]string
		want      string
		wantUsage bool
	}{
		{"default", nil, nil, "memory", false},
		{"flag", []string{"-eventlog", "esdb://a"}, nil, "esdb://a", false},
		{"environment", nil, map[string]string{"EVENTCHAIN_EVENTLOG": "esdb://b"}, "esdb://b", false},
		{"flag beats environment", []string{"-eventlog", "esdb://a"}, map[string]string{"EVENTCHAIN_EVENTLOG": "esdb://b"}, "esdb://a", false},
		{"dashes become underscores", []string{}, map[string]string{"EVENTCHAIN_STREAM_PREFIX": "p/"}, "memory", false},
		{"an empty variable counts as unset", nil, map[string]string{"EVENTCHAIN_EVENTLOG": ""}, "memory", false},
		{"unknown flag", []string{"-nope"}, nil, "", true},
		{"stray argument", []string{"x"}, nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c app.Common
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.Register(fs)
			err := app.Parse(fs, tc.args, func(k string) string { return tc.env[k] })
			if tc.wantUsage {
				assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.EventLog)
			assert.Equal(t, tc.env["EVENTCHAIN_STREAM_PREFIX"], c.StreamPrefix)
		})
	}
	var n int
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.IntVar(&n, "count", 0, "")
	err := app.Parse(fs, nil, func(string) string { return "many" })
	assert.ErrorContains(t, err, "EVENTCHAIN_COUNT")
}

// TestParseSaysABadFlagOnce: a flag the flag package refuses is one
// error, said by Main as one line, not the flag package's line and the
// whole usage besides; the usage is printed when -h asks for it.
func TestParseSaysABadFlagOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		wantErr   string // "" for -h
		wantUsage bool
	}{
		{"bad value", []string{"-every", "abc"}, `invalid value "abc" for flag -every`, false},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined: -nope", false},
		{"stray argument", []string{"x"}, `unexpected arguments ["x"]`, false},
		{"help", []string{"-h"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			fs := flag.NewFlagSet("demo", flag.ContinueOnError)
			fs.SetOutput(&out)
			fs.Duration("every", time.Second, "pause between transfers")
			err := app.Parse(fs, tc.args, func(string) string { return "" })
			if tc.wantUsage {
				assert.ErrorIs(t, err, flag.ErrHelp)
				assert.Contains(t, out.String(), "Usage of demo:")
				assert.Contains(t, out.String(), "pause between transfers")
				return
			}
			assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
			assert.ErrorContains(t, err, tc.wantErr)
			assert.ErrorContains(t, err, "(run 'demo -h' for the flags)")
			assert.NotContains(t, err.Error(), "\n")
			assert.Empty(t, out.String(), "nothing printed but the error Main prints")
		})
	}
}

// TestFromEnvironment: a usage error about a flag the command line did
// not give, but a variable did, says which variable.
func TestFromEnvironment(t *testing.T) {
	env := map[string]string{"EVENTCHAIN_EVENTLOG": "bogus", "EVENTCHAIN_DATA_DIR": "/tmp/d"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name string
		err  error
		args []string
		want string
	}{
		{"from the variable", app.Usagef(`-eventlog: have "bogus"`), nil, " (set by EVENTCHAIN_EVENTLOG)"},
		{"a flag with a value after it", app.Usagef("-data-dir /tmp/d keeps its own chain"), []string{"-every", "1s"}, " (set by EVENTCHAIN_DATA_DIR)"},
		{"given as a flag", app.Usagef(`-eventlog: have "bogus"`), []string{"-eventlog", "bogus"}, ""},
		{"given as -flag=value", app.Usagef(`-eventlog: have "bogus"`), []string{"--eventlog=bogus"}, ""},
		{"after --, an argument", app.Usagef(`-eventlog: have "bogus"`), []string{"--", "-eventlog"}, " (set by EVENTCHAIN_EVENTLOG)"},
		{"no variable", app.Usagef(`-gelf: bad`), nil, ""},
		{"a flag's value that is a flag's name", app.Usagef(`-eventlog: have "bogus"`), []string{"-stream-prefix", "eventlog"}, " (set by EVENTCHAIN_EVENTLOG)"},
		{"no flag named", app.Usagef("unexpected arguments"), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, app.FromEnvironment(tc.err, tc.args, getenv))
		})
	}
}

func TestOpenLog(t *testing.T) {
	log, err := app.Common{EventLog: "memory", StreamPrefix: "demo/"}.OpenLog(context.Background())
	require.NoError(t, err)
	defer log.Close()
	assert.Equal(t, eventlog.MaxStreamNameLen-len("demo/"), eventlog.NameLimit(log), "the prefix is applied")

	_, err = app.Common{EventLog: "postgres://x"}.OpenLog(context.Background())
	assert.True(t, errors.As(err, new(app.UsageError)))
	// A prefix is the start of a stream name, with room left after it.
	for _, prefix := range []string{"$system/", strings.Repeat("p", 101), "bad\xff/"} {
		_, err = app.Common{EventLog: "memory", StreamPrefix: prefix}.OpenLog(context.Background())
		assert.True(t, errors.As(err, new(app.UsageError)), "prefix %q: %v", prefix, err)
		assert.ErrorContains(t, err, "-stream-prefix")
	}
	_, err = app.Common{EventLog: "file:"}.OpenLog(context.Background())
	assert.True(t, errors.As(err, new(app.UsageError)), "file: needs a path")

	// A durable file, which keeps what it is given across a reopen.
	path := filepath.Join(t.TempDir(), "chain.db")
	file, err := app.Common{EventLog: "file:" + path}.OpenLog(context.Background())
	require.NoError(t, err)
	_, err = file.Append(context.Background(), "s", eventlog.NoStream, eventlog.Event{ID: uuid.New(), Type: "T", Data: []byte("{}")})
	require.NoError(t, err)
	require.NoError(t, file.Close())
	file, err = app.Common{EventLog: "file:" + path}.OpenLog(context.Background())
	require.NoError(t, err)
	defer file.Close()
	recs, err := file.Read(context.Background(), "s", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.Len(t, recs, 1, "the event survived the reopen")
}

// TestOpenLogWithoutTLS: a connection string without tls=false makes the
// official client speak TLS, which a server in insecure mode (esdbtest,
// or KurrentDB with KURRENTDB_INSECURE=true) does not; the error says
// what to add, not only that a handshake failed.
func TestOpenLogWithoutTLS(t *testing.T) {
	srv := esdbtest.NewServer(t)
	for _, tc := range []struct {
		name, eventLog string
		want           string // "" for no error
	}{
		{"tls=false", srv.ConnString(), ""},
		{"no tls setting", "esdb://" + srv.Addr(), "add tls=false to the connection string, as in esdb://" + srv.Addr() + "?tls=false"},
		{"tls=true", "esdb://" + srv.Addr() + "?tls=true", "add tls=false to the connection string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, err := app.Common{EventLog: tc.eventLog}.OpenLog(context.Background())
			if tc.want == "" {
				require.NoError(t, err)
				require.NoError(t, log.Close())
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, eventlog.ErrUnavailable)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// TestOpenLogHidesPassword: whatever is wrong with -eventlog, the error
// names the log without its password, nor any part of it.
func TestOpenLogHidesPassword(t *testing.T) {
	for _, tc := range []struct {
		name, eventLog string
		secret         string // the password
		want           string // what the error says instead
	}{
		{"a bad port", "esdb://admin:SECRETPW@127.0.0.1:abc?tls=false", "SECRETPW", `connection string esdb://127.0.0.1:abc?tls=false (its credentials left out): invalid port ":abc" after host`},
		{"a bad escape", "esdb://admin:SECRET%zzPW@127.0.0.1:2113?tls=false", "SECRET%zzPW", "connection string esdb://127.0.0.1:2113?tls=false (its credentials left out): not a connection string"},
		{"another kind of log", "kurrentdb://admin:SECRETPW@127.0.0.1:2113", "SECRETPW", `-eventlog: have "kurrentdb://127.0.0.1:2113" (its credentials left out), want memory`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := app.Common{EventLog: tc.eventLog}.OpenLog(context.Background())
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
			for i := 0; i+3 <= len(tc.secret); i++ {
				assert.NotContains(t, err.Error(), tc.secret[i:i+3], "no part of the password")
			}
		})
	}
}

// TestCheck: the common flags are checked without opening anything, so
// that an app refuses them before it takes its port.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    app.Common
		want string // "" for none
	}{
		{"memory", app.Common{EventLog: "memory", LogFormat: "text"}, ""},
		{"a file, JSON logs, GELF", app.Common{EventLog: "file:chain.db", LogFormat: "json", GELF: "udp://127.0.0.1:12201"}, ""},
		{"EventStoreDB, not dialled", app.Common{EventLog: "esdb://127.0.0.1:1?tls=false", LogFormat: "text", StreamPrefix: "demo/"}, ""},
		{"no kind of log", app.Common{EventLog: "postgres://x", LogFormat: "text"}, "-eventlog"},
		{"a file without a path", app.Common{EventLog: "file:", LogFormat: "text"}, "-eventlog"},
		{"a system prefix", app.Common{EventLog: "memory", LogFormat: "text", StreamPrefix: "$all"}, "-stream-prefix"},
		{"XML logs", app.Common{EventLog: "memory", LogFormat: "xml"}, "-log-format"},
		{"mail for GELF", app.Common{EventLog: "memory", LogFormat: "text", GELF: "smtp://x"}, "-gelf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Check()
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestLogger(t *testing.T) {
	var out bytes.Buffer
	logger, closeLogs, err := app.Common{LogFormat: "json"}.Logger(&out, "bank")
	require.NoError(t, err)
	logger.Info("hello")
	require.NoError(t, closeLogs())
	assert.Contains(t, out.String(), `"app":"bank"`)

	// A long value, such as an error quoting an event type a stranger
	// appended, is cut on stderr too, in either format.
	for _, format := range []string{"text", "json"} {
		var line bytes.Buffer
		logger, _, err := app.Common{LogFormat: format}.Logger(&line, "bank")
		require.NoError(t, err)
		logger.Warn("skipped", "err", fmt.Errorf("event type %q: unknown", strings.Repeat("x", 300_000)))
		assert.Less(t, line.Len(), logging.MaxValueBytes+200, format)
		assert.Contains(t, line.String(), " bytes cut]", format)
	}

	_, _, err = app.Common{LogFormat: "xml"}.Logger(&out, "bank")
	assert.True(t, errors.As(err, new(app.UsageError)))
	_, _, err = app.Common{LogFormat: "text", GELF: "smtp://x"}.Logger(&out, "bank")
	assert.Error(t, err)
}

// TestLoggerGELF: the app's messages reach a real GELF input on UDP,
// with the app's name as their facility.
func TestLoggerGELF(t *testing.T) {
	r, err := gelf.NewReader("127.0.0.1:0")
	require.NoError(t, err)
	logger, closeLogs, err := app.Common{LogFormat: "text", GELF: "udp://" + r.Addr()}.Logger(io.Discard, "miner")
	require.NoError(t, err)
	defer func() { require.NoError(t, closeLogs()) }()

	logger.Info("sealed")
	m, err := r.ReadMessage() // the datagram is on the socket already: UDP sends do not wait
	require.NoError(t, err)
	assert.Equal(t, "sealed", m.Short)
	assert.Equal(t, "miner", m.Facility)
	assert.Equal(t, "miner", m.Extra["_app"])
}

func TestMetricsAndServe(t *testing.T) {
	m := app.NewMetrics()
	m.Gauge("eventchain_test_gauge", "A test gauge.", func() float64 { return 42 })
	m.Counter("eventchain_test_total", "A test counter.", func() float64 { return 7 })
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, "127.0.0.1:0", m.Handler(), func(a net.Addr) { addr <- a }) }()
	base := "http://" + (<-addr).String()
	for _, path := range []string{"/", "/metrics/", "/debug/pprof/"} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s: metrics are at /metrics alone", path)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
	}
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), "a browser must not guess HTML from the text")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "eventchain_test_gauge 42")
	assert.Contains(t, string(body), "eventchain_test_total 7")
	assert.True(t, strings.Contains(string(body), "go_goroutines"))
	cancel()
	assert.NoError(t, <-done, "a clean shutdown")
	assert.NoError(t, app.Stopped(ctx, http.ErrServerClosed))
}

func TestEngineFor(t *testing.T) {
	seed := make([]byte, blockchain.SeedSize)
	for i := range seed {
		seed[i] = 0xab
	}
	signer, err := blockchain.NewPrivateKey(seed)
	require.NoError(t, err)
	stranger := consensustest.Key("stranger")
	poaSpec := func(signers ...blockchain.PublicKey) blockchain.ChainSpec {
		s := consensustest.Spec()
		s.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{Signers: signers}}
		return s
	}
	powSpec := func(bits uint32) blockchain.ChainSpec {
		s := consensustest.Spec()
		s.Consensus.PoW = &blockchain.PoWSpec{Bits: bits}
		return s
	}
	for _, tc := range []struct {
		name    string
		spec    blockchain.ChainSpec
		key     *blockchain.PrivateKey
		wantErr bool
	}{
		{"pow", powSpec(8), nil, false},
		{"pow without parameters", blockchain.ChainSpec{Consensus: blockchain.ConsensusSpec{Engine: blockchain.EnginePoW}}, nil, true},
		{"poa verifier", poaSpec(signer.Public()), nil, false},
		{"poa signer", poaSpec(signer.Public()), &signer, false},
		{"poa without signers", blockchain.ChainSpec{Consensus: blockchain.ConsensusSpec{Engine: blockchain.EnginePoA}}, nil, true},
		{"poa key of no signer", poaSpec(signer.Public()), &stranger, true},
		{"unknown", blockchain.ChainSpec{Consensus: blockchain.ConsensusSpec{Engine: "pos"}}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := app.EngineFor(tc.spec, 1, tc.key)
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, e)
		})
	}
}

// TestChainFlagsEngine: -poa-key is a hex seed; anything else is a usage
// error.
func TestChainFlagsEngine(t *testing.T) {
	signer := consensustest.Key("signer")
	spec := consensustest.Spec()
	spec.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{Signers: []blockchain.PublicKey{signer.Public()}}}
	for _, tc := range []struct {
		name, key string
		wantErr   bool
	}{
		{"verify only", "", false},
		{"the signer's seed", hex.EncodeToString(signer.Seed()), false},
		{"not hex", "zz", true},
		{"too short", "abcd", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := app.ChainFlags{PoAKey: tc.key}.Engine(spec, 1)
			if tc.wantErr {
				assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
				return
			}
			assert.NoError(t, err)
		})
	}
	t.Run("a key on a proof-of-work chain", func(t *testing.T) {
		_, err := app.ChainFlags{PoAKey: hex.EncodeToString(signer.Seed())}.Engine(consensustest.Spec(), 1)
		assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
		assert.ErrorContains(t, err, "not proof of authority")
	})
}

// TestJoin: the first app with -genesis writes the spec into an empty
// log; another with the same file joins; one with another spec is refused
// naming the difference; one without -genesis reads the log's.
func TestJoin(t *testing.T) {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	dir := t.TempDir()
	write := func(name string, spec blockchain.ChainSpec) string { return apptest.WriteSpec(t, dir, name, spec) }
	spec := consensustest.Spec()
	other := spec
	other.BlockReward++
	logger := slog.New(slog.DiscardHandler)

	got, err := app.ChainFlags{Genesis: write("spec.json", spec)}.Join(ctx, log, false, logger)
	require.NoError(t, err)
	assert.Equal(t, spec.Hash(), got.Hash(), "the first app writes its spec")
	got, err = app.ChainFlags{}.Join(ctx, log, false, logger)
	require.NoError(t, err)
	assert.Equal(t, spec.Hash(), got.Hash(), "an app without -genesis reads the log's")
	_, err = app.ChainFlags{Genesis: write("other.json", other)}.Join(ctx, log, false, logger)
	require.ErrorIs(t, err, node.ErrSpecMismatch)
	assert.ErrorContains(t, err, "blockReward")
	assert.True(t, errors.As(err, new(app.UsageError)))

	_, err = app.ChainFlags{Genesis: filepath.Join(dir, "missing.json")}.Join(ctx, log, false, logger)
	assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"chainId":"Bad"}`), 0o600))
	_, err = app.ChainFlags{Genesis: bad}.Join(ctx, log, false, logger)
	var se *blockchain.SpecError
	assert.ErrorAs(t, err, &se, "a spec that is not one names what is wrong")
}

// stalledLog is a log whose reads wait until open is closed, as those of
// an EventStoreDB stopped with SIGSTOP do.
type stalledLog struct {
	eventlog.Log
	open chan struct{}
}

func (l stalledLog) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	select {
	case <-l.open:
		return l.Log.Read(ctx, stream, from, dir, max)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// warnings is a slog.Handler that hands on the message of every record
// at level Warn or above.
type warnings chan string

func (w warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w warnings) Handle(_ context.Context, r slog.Record) error {
	w <- r.Message
	return nil
}
func (w warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w warnings) WithGroup(string) slog.Handler      { return w }

// TestJoinSaysItWaitsForTheLog: an app whose event log does not answer
// while it joins its chain says once that it waits for it
// (WaitingForLog), rather than nothing, and goes on once the log
// answers.
func TestJoinSaysItWaitsForTheLog(t *testing.T) {
	defer app.SetSlowLogAfter(time.Millisecond)()
	mem := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = mem.Close() })
	spec := consensustest.Spec()
	_, err := node.LoadSpec(context.Background(), mem, &spec)
	require.NoError(t, err)
	log := stalledLog{Log: mem, open: make(chan struct{})}
	said := make(warnings, 1)
	done := make(chan error, 1)
	go func() {
		_, err := app.ChainFlags{}.Join(context.Background(), log, true, slog.New(said))
		done <- err
	}()
	assert.Contains(t, <-said, "the event log has not answered yet: still waiting for it")
	close(log.open)
	assert.NoError(t, <-done)
}

// TestJoinWithoutSpecOrGenesis: on a log no other process can write (the
// app's own memory, a file it holds locked), a log without a spec and no
// -genesis is a usage error at once; on a shared log the app waits for
// another app to write the spec, until its context ends.
func TestJoinWithoutSpecOrGenesis(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	empty := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = empty.Close() })

	_, err := app.ChainFlags{}.Join(context.Background(), empty, false, logger)
	assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
	assert.ErrorContains(t, err, "-genesis is required")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = app.ChainFlags{}.Join(ctx, empty, true, logger)
	assert.ErrorIs(t, err, context.Canceled, "a shared log is waited on")

	// The wait names the stream it waits on, prefix and all: a mistyped
	// -stream-prefix is seen at once.
	waiting, stop := context.WithCancel(context.Background())
	out := &cancelOnWrite{cancel: stop}
	_, err = app.ChainFlags{}.Join(waiting, eventlog.WithPrefix(empty, "typo/"), true, slog.New(slog.NewTextHandler(out, nil)))
	assert.ErrorIs(t, err, context.Canceled, "it waited, until the context ended")
	assert.Contains(t, out.String(), "stream=typo/"+events.StreamChainSpec)

	for _, tc := range []struct {
		eventlog string
		shared   bool
	}{
		{"memory", false},
		{"file:/tmp/x.db", false},
		{"esdb://localhost:2113?tls=false", true},
		{"esdb+discover://cluster:2113", true},
	} {
		assert.Equal(t, tc.shared, app.Common{EventLog: tc.eventlog}.SharedLog(), tc.eventlog)
	}
}

// cancelOnWrite keeps what is written to it and ends a context then: a
// logger on it stops a wait once the wait has said so.
type cancelOnWrite struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	defer w.cancel()
	return w.Buffer.Write(p)
}

// TestSaid: the bank app said "bank: bank: …" of its package's errors.
func TestSaid(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"bank", errors.New(`bank: "index.db": file is not an intact ledger index`), `bank: "index.db": file is not an intact ledger index`},
		{"bank", errors.New("open the log: no such file"), "bank: open the log: no such file"},
		{"miner", errors.New("bank: refused"), "miner: bank: refused"},
		{"bank", errors.New("banker: x"), "bank: banker: x"},
		{"devnet", fmt.Errorf("audit: record inclusions: %w", eventlog.ErrCorrupt),
			"devnet: audit: record inclusions: event log damaged (the event log is damaged, or the file is not one: check the path; keep the file, and restore the log from a backup or start a new one at another path)"},
		// One line, whatever a path in it holds: -genesis "x<newline>y".
		{"auditor", errors.New("-genesis: open x\nauditor: forged: no such file or directory"), `auditor: -genesis: open x\nauditor: forged: no such file or directory`},
		{"bank", errors.New("open \x1b[2Kindex.db: denied"), `bank: open \x1b[2Kindex.db: denied`},
	} {
		assert.Equal(t, tc.want, app.Said(tc.name, tc.err))
	}
}
