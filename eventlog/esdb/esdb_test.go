package esdb_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
)

// TestMain fails the package if a test leaves a goroutine behind: a
// Log's Close must end everything it started.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// envURL names the environment variable that points the tests at a real
// EventStoreDB too.
const envURL = "EVENTSTORE_URL"

// testPolicy makes reconnecting fast, for tests.
var testPolicy = esdb.Policy{ReconnectMin: time.Millisecond, ReconnectMax: 20 * time.Millisecond}

// newLog returns a Log on conn, closed when t ends.
func newLog(t testing.TB, cfg esdb.Config) *esdb.Log {
	t.Helper()
	if cfg.Policy == (esdb.Policy{}) {
		cfg.Policy = testPolicy
	}
	l, err := esdb.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// TestConformance runs the eventlog conformance suite on an esdbtest
// server: one server for the whole suite, and a Log per case, as the
// suite's streams are named apart.
func TestConformance(t *testing.T) {
	srv := esdbtest.NewServer(t)
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log {
		return newLog(t, esdb.Config{ConnString: srv.ConnString()})
	})
}

// TestConformanceWithStreamPrefix runs it again with Config.StreamPrefix.
func TestConformanceWithStreamPrefix(t *testing.T) {
	srv := esdbtest.NewServer(t)
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log {
		return newLog(t, esdb.Config{ConnString: srv.ConnString(), StreamPrefix: "course-42/"})
	})
}

// TestConformanceWithoutDedupWindow runs it on a server that keeps no
// event IDs: every retry with Any or StreamExists is stored again, as on
// an EventStoreDB whose cache has forgotten the first append.
func TestConformanceWithoutDedupWindow(t *testing.T) {
	srv := esdbtest.New(esdbtest.Config{DedupWindow: esdbtest.NoDedupWindow})
	require.NoError(t, srv.Start())
	t.Cleanup(srv.Close)
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log {
		return newLog(t, esdb.Config{ConnString: srv.ConnString()})
	})
}

// TestConformanceOnEventStoreDB runs the suite on the real EventStoreDB
// that EVENTSTORE_URL names, and skips without it.
func TestConformanceOnEventStoreDB(t *testing.T) {
	url := os.Getenv(envURL)
	if url == "" {
		t.Skip(envURL + " not set: run EventStoreDB and set it, e.g. " + envURL + "=esdb://localhost:2113?tls=false, to run the conformance suite against it")
	}
	ping := newLog(t, esdb.Config{ConnString: url})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, ping.Ping(ctx), "%s=%s", envURL, url)
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log {
		return newLog(t, esdb.Config{ConnString: url})
	})
}
