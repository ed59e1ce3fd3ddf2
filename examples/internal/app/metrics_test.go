package app_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/node"
)

// TestWithMetrics: /metrics goes to the metrics, every other path to the
// bank as it came, unclean ones included, which the bank answers itself
// (with a 404 problem), not with a redirect.
func TestWithMetrics(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, name+" "+r.URL.Path)
		})
	}
	srv := httptest.NewServer(app.WithMetrics(named("bank"), named("metrics")))
	defer srv.Close()
	for _, tc := range []struct{ path, want string }{
		{"/metrics", "metrics /metrics"},
		{"/chain/head", "bank /chain/head"},
		{"//chain/head", "bank //chain/head"},
		{"/blocks/../chain/head", "bank /blocks/../chain/head"},
		{"/./transactions", "bank /./transactions"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			// Over a raw connection, so that the path goes as it is, as
			// with curl --path-as-is.
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(time.Minute)))
			_, err = io.WriteString(conn, "GET "+tc.path+" HTTP/1.1\r\nHost: bank\r\nConnection: close\r\n\r\n")
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tc.want, string(body))
		})
	}
}

// TestMetricsWith: metrics registered through With carry its label, so
// two participants of one process (devnet's miners) register the same
// name, each series told apart; labels add up along With.
func TestMetricsWith(t *testing.T) {
	m := app.NewMetrics()
	m.With("miner", "miner-1").Counter("eventchain_test_total", "A test counter.", func() float64 { return 1 })
	m.With("miner", "miner-2").Counter("eventchain_test_total", "A test counter.", func() float64 { return 2 })
	m.With("node", "bank").With("role", "bank").Gauge("eventchain_test_gauge", "A test gauge.", func() float64 { return 3 })
	families, err := m.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			key := f.GetName()
			for _, l := range s.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case s.GetCounter() != nil:
				got[key] = s.GetCounter().GetValue()
			case s.GetGauge() != nil:
				got[key] = s.GetGauge().GetValue()
			}
		}
	}
	assert.Equal(t, 1.0, got["eventchain_test_total miner=miner-1"])
	assert.Equal(t, 2.0, got["eventchain_test_total miner=miner-2"])
	assert.Equal(t, 3.0, got["eventchain_test_gauge node=bank role=bank"])
}

// heldLog holds the first read of one stream until release is closed;
// held is closed when that read comes.
type heldLog struct {
	eventlog.Log
	stream  string
	once    sync.Once
	held    chan struct{}
	release chan struct{}
}

func (l *heldLog) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if stream == l.stream {
		first := false
		l.once.Do(func() { first = true; close(l.held) })
		if first {
			select {
			case <-l.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return l.Log.Read(ctx, stream, from, dir, max)
}

// TestAuditMetricsWaitForRestore: while the auditor restores its report
// from the log, /metrics leaves the audit counts out (the node's height
// is there already) rather than count what it has read so far, which
// would drop to 0 at every restart; once restored, they are the log's.
func TestAuditMetricsWaitForRestore(t *testing.T) {
	mem := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = mem.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A transaction submitted before the auditor starts: its report
	// counts it once restored.
	submitter, err := node.New(node.Config{Log: mem, Spec: consensustest.Spec(), Engine: consensustest.NewFaker()})
	require.NoError(t, err)
	require.NoError(t, submitter.Restore(ctx, node.RestoreVerify))
	require.NoError(t, submitter.SubmitTransaction(ctx, consensustest.TransferFee("alice", "bob", 1, 2, 0)))

	log := &heldLog{Log: mem, stream: node.StreamAudit, held: make(chan struct{}), release: make(chan struct{})}
	p, a, err := app.NewAuditor(app.NodeConfig{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker()},
		audit.Policy{Interval: time.Hour, MaxAge: time.Hour, MaxAttempts: 1})
	require.NoError(t, err)
	metrics := app.NewMetrics()
	metrics.Auditor(a)
	metrics.Node(p.Node, "auditor's")
	scrape := func() string {
		t.Helper()
		w := httptest.NewRecorder()
		metrics.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		require.Equal(t, http.StatusOK, w.Code)
		return w.Body.String()
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
	})

	select {
	case <-log.held: // the node is restored; the auditor restores its report
	case err := <-done:
		require.FailNow(t, "Run returned before the auditor restored", "%v", err)
	}
	restoring := scrape()
	assert.Contains(t, restoring, "eventchain_height ", "the node's metrics are served meanwhile")
	var audits []string
	for _, line := range strings.Split(restoring, "\n") {
		if strings.HasPrefix(line, "eventchain_audit_") {
			audits = append(audits, line)
		}
	}
	assert.Empty(t, audits, "no audit count before the report is restored")

	close(log.release)
	select {
	case <-a.Restored():
	case err := <-done:
		require.FailNow(t, "Run returned before the auditor restored", "%v", err)
	}
	restored := scrape()
	// The help says what is counted: rebroadcasts counts attempts, so
	// it can exceed the transactions submitted.
	for _, want := range []string{
		"# HELP eventchain_audit_submitted Transactions submitted, each counted once, as the auditor counts them.\n",
		"# HELP eventchain_audit_rebroadcasts Rebroadcast attempts of the transactions the auditor waits on (a transaction rebroadcast twice counts 2).\n",
	} {
		assert.True(t, strings.Contains(restored, want), "have %q in:\n%s", want, restored)
	}
	for _, want := range []string{"eventchain_audit_submitted 1\n", "eventchain_audit_pending 1\n", "eventchain_audit_included 0\n",
		"eventchain_audit_rebroadcasts 0\n", "eventchain_audit_dropped 0\n"} {
		assert.True(t, strings.Contains(restored, want), "have %q in:\n%s", want, restored)
	}
}
