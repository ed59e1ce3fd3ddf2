package app_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/app"
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
