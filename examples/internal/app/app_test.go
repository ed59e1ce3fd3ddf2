package app_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/examples/internal/app"
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

func TestOpenLog(t *testing.T) {
	log, err := app.Common{EventLog: "memory", StreamPrefix: "demo/"}.OpenLog(context.Background())
	require.NoError(t, err)
	defer log.Close()
	assert.Equal(t, eventlog.MaxStreamNameLen-len("demo/"), eventlog.NameLimit(log), "the prefix is applied")

	_, err = app.Common{EventLog: "postgres://x"}.OpenLog(context.Background())
	assert.True(t, errors.As(err, new(app.UsageError)))
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

func TestLogger(t *testing.T) {
	var out bytes.Buffer
	logger, closeLogs, err := app.Common{LogFormat: "json"}.Logger(&out, "bank")
	require.NoError(t, err)
	logger.Info("hello")
	require.NoError(t, closeLogs())
	assert.Contains(t, out.String(), `"app":"bank"`)

	_, _, err = app.Common{LogFormat: "xml"}.Logger(&out, "bank")
	assert.True(t, errors.As(err, new(app.UsageError)))
	_, _, err = app.Common{LogFormat: "text", GELF: "smtp://x"}.Logger(&out, "bank")
	assert.Error(t, err)
}

func TestMetricsAndServe(t *testing.T) {
	m := app.NewMetrics()
	m.Gauge("eventchain_test_gauge", "A test gauge.", func() float64 { return 42 })
	m.Counter("eventchain_test_total", "A test counter.", func() float64 { return 7 })
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, "127.0.0.1:0", m.Handler(), func(a net.Addr) { addr <- a }) }()
	resp, err := http.Get("http://" + (<-addr).String())
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "eventchain_test_gauge 42")
	assert.Contains(t, string(body), "eventchain_test_total 7")
	assert.True(t, strings.Contains(string(body), "go_goroutines"))
	cancel()
	assert.NoError(t, <-done, "a clean shutdown")
	assert.NoError(t, app.Stopped(ctx, http.ErrServerClosed))
}

func TestConsensusEngine(t *testing.T) {
	seed := strings.Repeat("ab", 32)
	pub := "248acbdbaf9e050196de704bea2d68770e519150d103b587dae2d9cad53dd930" // the public key of seed
	for _, tc := range []struct {
		name    string
		c       app.Consensus
		wantErr bool
	}{
		{"pow", app.Consensus{Kind: "pow", Difficulty: 8}, false},
		{"pow too hard", app.Consensus{Kind: "pow", Difficulty: 300}, true},
		{"poa verifier", app.Consensus{Kind: "poa", PoASigners: pub}, false},
		{"poa signer", app.Consensus{Kind: "poa", PoASigners: pub, PoAKey: seed}, false},
		{"poa without signers", app.Consensus{Kind: "poa"}, true},
		{"poa bad key", app.Consensus{Kind: "poa", PoASigners: pub, PoAKey: "zz"}, true},
		{"poa key of no signer", app.Consensus{Kind: "poa", PoASigners: pub, PoAKey: strings.Repeat("cd", 32)}, true},
		{"unknown", app.Consensus{Kind: "pos"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := tc.c.Engine(1)
			if tc.wantErr {
				assert.True(t, errors.As(err, new(app.UsageError)), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, e)
		})
	}
}
