package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/app"
)

// TestEarly: an app's port answers from the moment the app has it — 503,
// with Retry-After and why, until the app is ready, then the app's
// handler — and is closed by Stop, or when Wait's context ends.
func TestEarly(t *testing.T) {
	for _, stop := range []string{"Stop", "Wait's context"} {
		t.Run(stop, func(t *testing.T) {
			l, err := app.ListenFlag("-addr", "127.0.0.1:0")
			require.NoError(t, err)
			addrs := make(chan net.Addr, 1)
			e := app.ServeEarly(context.Background(), l, "joining its chain", "/healthz", func(a net.Addr) { addrs <- a })
			base := "http://" + (<-addrs).String()
			url := base + "/readyz"

			// The process is alive while it joins.
			resp, err := http.Get(base + "/healthz")
			require.NoError(t, err)
			alive, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.JSONEq(t, `{"status":"ok"}`, string(alive))
			// A query string that does not parse is a 400, as the bank
			// answers it once ready and its OpenAPI document says.
			resp, bad := getProblem(t, base+"/healthz?a=%zz")
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Equal(t, http.StatusBadRequest, bad.Status)
			assert.Equal(t, "query", bad.Field)
			assert.NotEmpty(t, bad.Title)
			resp, err = http.Post(base+"/healthz", "text/plain", nil)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "only a GET or HEAD of it")

			resp, p := getProblem(t, url)
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			assert.Equal(t, "1", resp.Header.Get("Retry-After"))
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			assert.Equal(t, "joining its chain", p.Detail)
			// A problem detail as the bank's API writes every one: its
			// OpenAPI document requires type, title and status.
			assert.Equal(t, "about:blank", p.Type)
			assert.Equal(t, http.StatusServiceUnavailable, p.Status)
			assert.NotEmpty(t, p.Title)

			e.Ready(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ready") }))
			resp, err = http.Get(url)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "ready", string(body))

			if stop == "Stop" {
				assert.NoError(t, e.Stop())
			} else {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				assert.NoError(t, e.Wait(ctx))
			}
			assert.NoError(t, e.Stop(), "a second Stop")
			assert.NoError(t, e.Wait(context.Background()), "Wait after Stop returns at once")
			_, err = http.Get(url)
			assert.Error(t, err, "the port is closed")
		})
	}
}

// problem is a problem detail as an Early server writes one.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Field  string `json:"field"`
}

// getProblem GETs url and decodes its answer, which must be a problem
// detail.
func getProblem(t *testing.T, url string) (*http.Response, problem) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	var p problem
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
	return resp, p
}

// TestStoppedSaying: an app stopped by a signal says so, in one line;
// one that ends otherwise, or fails, says nothing more.
func TestStoppedSaying(t *testing.T) {
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	failure := errors.New("the log is gone")
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want string
	}{
		{"a signal", stopped, context.Canceled, "bank: stopped\n"},
		{"done by itself", context.Background(), nil, ""},
		{"a failure after a signal", stopped, failure, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			err := app.StoppedSaying(tc.ctx, tc.err, &out, "bank")
			if tc.err == failure {
				assert.ErrorIs(t, err, failure)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, tc.want, out.String())
		})
	}
}
