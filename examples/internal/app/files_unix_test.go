//go:build linux || darwin

package app

import (
	"io"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeOnUnderAFileLimit: with the process allowed fewer file
// descriptors than MaxConns, a flood of connections took them all, and
// accepting, and the app's opening its own files, failed with EMFILE.
// Under a lowered RLIMIT_NOFILE, ServeOn now keeps that limit less
// FileReserve connections, and answers one more 503.
//
// The test lowers its own process's soft limit, restoring it when done:
// no test of this package runs in parallel with another, and the
// descriptors the test itself opens (each connection's client end too)
// fit in the reserve.
func TestServeOnUnderAFileLimit(t *testing.T) {
	const want = 12 // connections the server is to keep
	soft := uint64(FileReserve + want)
	require.Equal(t, want, connLimit(MaxConns, soft))
	if open, err := os.ReadDir("/dev/fd"); err == nil && len(open)+2*want+8 > int(soft) {
		t.Skipf("the test process has %d files open: too many to lower its limit to %d", len(open), soft)
	}
	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old))
	if old.Cur <= soft {
		t.Skipf("the process's limit, %d files, is already %d or lower", old.Cur, soft)
	}
	lowered := old
	lowered.Cur = soft
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered))
	t.Cleanup(func() { assert.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)) })

	entered, release := make(chan struct{}, want+1), make(chan struct{})
	addr := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			entered <- struct{}{}
			<-release
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(func() { close(release) }) // before serveOn's shutdown, which waits for the handlers

	for i := range want {
		conn, _ := dial(t, addr)
		_, err := io.WriteString(conn, "GET /busy HTTP/1.1\r\nHost: test\r\n\r\n")
		require.NoError(t, err)
		select {
		case <-entered:
		case <-time.After(time.Minute): // a watchdog: the server keeps fewer than want
			t.Fatalf("connection %d of %d never reached its handler", i+1, want)
		}
	}
	c, rc := dial(t, addr)
	require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))
	status, body := get(t, c, rc, "/")
	assert.Equal(t, http.StatusServiceUnavailable, status, "one over the limit the file limit sets")
	assert.Contains(t, body, "too many connections")
}
