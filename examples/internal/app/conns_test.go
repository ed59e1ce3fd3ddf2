package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitedServer serves h on loopback through a connLimiter of max
// connections, and reports each connection state the server sets on
// states.
func limitedServer(t *testing.T, max int, h http.Handler) (addr string, states <-chan http.ConnState) {
	return limitedServerGrace(t, max, newGrace, h)
}

// limitedServerGrace is limitedServer with grace for newGrace.
func limitedServerGrace(t *testing.T, max int, grace time.Duration, h http.Handler) (addr string, states <-chan http.ConnState) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	limited, hook := limitConns(l, max)
	limited.grace = grace
	ch := make(chan http.ConnState, 64)
	srv := &http.Server{Handler: limited.watchBodies(h), ConnContext: limited.connContext, ConnState: func(c net.Conn, s http.ConnState) {
		hook(c, s)
		ch <- s
	}}
	go func() { _ = srv.Serve(limited) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String(), ch
}

// waitState waits until the server sets a connection to want.
func waitState(t *testing.T, states <-chan http.ConnState, want http.ConnState) {
	t.Helper()
	for s := range states {
		if s == want {
			return
		}
	}
}

// get sends GET path on conn, keeping it alive, and returns the answer's
// status and body.
func get(t *testing.T, conn net.Conn, r *bufio.Reader, path string) (int, string) {
	t.Helper()
	_, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: test\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn, bufio.NewReader(conn)
}

// TestConnLimiterClosesTheLongestIdle: connections kept alive, idle, took
// every file descriptor of an app, and then no one could connect. At the
// limit, a new connection now makes room by closing the one idle
// longest.
func TestConnLimiterClosesTheLongestIdle(t *testing.T) {
	addr, states := limitedServer(t, 2, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	a, ra := dial(t, addr)
	status, _ := get(t, a, ra, "/")
	require.Equal(t, http.StatusOK, status)
	waitState(t, states, http.StateIdle)
	b, rb := dial(t, addr)
	status, _ = get(t, b, rb, "/")
	require.Equal(t, http.StatusOK, status)
	waitState(t, states, http.StateIdle)

	c, rc := dial(t, addr)
	status, body := get(t, c, rc, "/")
	assert.Equal(t, http.StatusOK, status, "a third connection is served")
	assert.Equal(t, "ok", body)
	_, err := ra.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the longest idle was closed to make room")
	status, _ = get(t, b, rb, "/")
	assert.Equal(t, http.StatusOK, status, "the other is kept")
}

// TestConnLimiterRefusesWhenNoneIsIdle: with every connection busy, one
// over the limit is told 503 at once and closed, not left waiting. (No
// grace: a handler at work on a request without a body is never closed
// to make room, however long it takes.)
func TestConnLimiterRefusesWhenNoneIsIdle(t *testing.T) {
	entered, release := make(chan struct{}, 2), make(chan struct{})
	addr, _ := limitedServerGrace(t, 2, 0, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered <- struct{}{}
		<-release
		_, _ = io.WriteString(w, "done")
	}))
	for range 2 {
		conn, _ := dial(t, addr)
		_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
		require.NoError(t, err)
		<-entered
	}
	c, rc := dial(t, addr)
	_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(rc, nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, string(body), "too many connections")
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	close(release)
}

// TestConnLimiterClosesASilentConnection: connections that never send a
// request (slowloris) could hold every place, turning everyone else away
// with 503 as each was replaced. One silent past its grace is closed to
// make room.
func TestConnLimiterClosesASilentConnection(t *testing.T) {
	addr, states := limitedServerGrace(t, 1, 0, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	_, silent := dial(t, addr)
	waitState(t, states, http.StateNew)
	c, rc := dial(t, addr)
	status, _ := get(t, c, rc, "/")
	assert.Equal(t, http.StatusOK, status)
	_, err := silent.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the silent connection was closed to make room")
}

// TestConnLimiterClosesASlowBody: connections that send a request's
// headers and then its body a byte a second (a slow-body attack) held
// every place for the read timeout, each "active" to the server, and
// everyone else was turned away. One still sending its body past its
// grace is closed to make room, whether its handler waits for the body
// or answered without it (the server then discards the rest, at the
// client's pace); one whose body is read, its handler at work, is not;
// and an early answer to "Expect: 100-continue" still closes the
// connection at once rather than wait for a body that will not come.
func TestConnLimiterClosesASlowBody(t *testing.T) {
	// The handler tells entered it began, then, unless its path is
	// /unread, reads the body and tells read what it read (or "error");
	// /busy then waits for release, /large answers 413 without reading.
	serve := func(entered chan<- struct{}, read chan<- string, release <-chan struct{}) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			switch r.URL.Path {
			case "/unread":
				http.NotFound(w, r)
				return
			case "/large":
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			body, err := io.ReadAll(r.Body)
			if r.URL.Path == "/" {
				_, _ = io.WriteString(w, "ok") // another client's GET, which tells nothing
				return
			}
			if err != nil {
				read <- "error"
				return
			}
			read <- string(body)
			if r.URL.Path == "/busy" {
				<-release
			}
			_, _ = io.WriteString(w, "ok")
		})
	}
	for _, path := range []string{"/slow", "/unread"} {
		t.Run("a slow body makes room: "+path, func(t *testing.T) {
			entered, read := make(chan struct{}, 2), make(chan string, 2)
			addr, _ := limitedServerGrace(t, 1, 0, serve(entered, read, nil))
			slow, rslow := dial(t, addr)
			_, err := io.WriteString(slow, "POST "+path+" HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nx")
			require.NoError(t, err)
			// Its headers read, the handler reads the body; or answers
			// without it, and the server discards the body before it
			// sends the answer.
			<-entered
			c, rc := dial(t, addr)
			status, _ := get(t, c, rc, "/")
			require.Equal(t, http.StatusOK, status, "served: the slow body made room")
			if path == "/slow" {
				assert.Equal(t, "error", <-read, "the slow body's read failed")
			}
			_, err = rslow.ReadByte()
			assert.ErrorIs(t, err, io.EOF, "the slow body's connection was closed")
		})
	}
	t.Run("a handler at work keeps its place", func(t *testing.T) {
		entered, read, release := make(chan struct{}, 2), make(chan string, 2), make(chan struct{})
		addr, _ := limitedServerGrace(t, 1, 0, serve(entered, read, release))
		busy, _ := dial(t, addr)
		_, err := io.WriteString(busy, "POST /busy HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\nok")
		require.NoError(t, err)
		require.Equal(t, "ok", <-read, "its whole body read")
		d, rd := dial(t, addr)
		status, _ := get(t, d, rd, "/")
		close(release)
		assert.Equal(t, http.StatusServiceUnavailable, status, "nothing to close: the handler works on a body it has")
	})
	t.Run("an early answer to Expect: 100-continue closes at once", func(t *testing.T) {
		entered, read := make(chan struct{}, 2), make(chan string, 2)
		addr, _ := limitedServerGrace(t, 1, 0, serve(entered, read, nil))
		conn, r := dial(t, addr)
		// The test server has no read timeout: a server that waited for
		// the body, before its answer or after, would hold the
		// connection until this deadline fails the test.
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(time.Minute)))
		_, err := io.WriteString(conn, "POST /large HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(r, nil)
		require.NoError(t, err)
		_, err = io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		_, err = r.ReadByte()
		assert.ErrorIs(t, err, io.EOF, "closed after the answer, not kept waiting for the body")
	})
}

// TestConnLimiterClosesASlowReader: a client that asked for a large answer
// and stopped reading it held its place while its handler's write was
// blocked, up to the write timeout; a thousand such held them all. One
// whose handler has been blocked writing past its grace is now closed to
// make room, and the handler's write fails. The watched writer keeps what
// http.ResponseController needs (GET /events moves its write deadline and
// flushes).
func TestConnLimiterClosesASlowReader(t *testing.T) {
	wrote, controlled := make(chan error, 1), make(chan [2]error, 1)
	addr, _ := limitedServerGrace(t, 1, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/large":
			// One write, far more than the kernel's buffers hold: it
			// is still blocked when the client has the first bytes.
			_, err := w.Write(make([]byte, 64<<20))
			wrote <- err
		case "/controlled":
			rc := http.NewResponseController(w)
			deadline := rc.SetWriteDeadline(time.Now().Add(time.Minute))
			_, _ = io.WriteString(w, "flushed")
			controlled <- [2]error{deadline, rc.Flush()}
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	t.Run("a blocked write makes room", func(t *testing.T) {
		slow, rslow := dial(t, addr)
		_, err := io.WriteString(slow, "GET /large HTTP/1.1\r\nHost: test\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(rslow, nil) // and read no more
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)

		c, rc := dial(t, addr)
		status, body := get(t, c, rc, "/")
		assert.Equal(t, http.StatusOK, status, "served: the slow reader made room")
		assert.Equal(t, "ok", body)
		select {
		case err := <-wrote:
			assert.Error(t, err, "the blocked write failed when its connection was closed")
		case <-time.After(time.Minute):
			t.Fatal("the blocked write never returned")
		}
	})
	t.Run("the ResponseController reaches the connection", func(t *testing.T) {
		c, rc := dial(t, addr)
		status, body := get(t, c, rc, "/controlled")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "flushed", body)
		errs := <-controlled
		assert.NoError(t, errs[0], "SetWriteDeadline")
		assert.NoError(t, errs[1], "Flush")
	})
}

// TestConnLimiterKeepsAStreamBetweenWrites: a handler that streams (GET
// /events), its writes and flushes taken by its client, keeps its place
// between them: a write marks its connection closable only while it is
// blocked, and its end undoes the mark. No test failed when the end was
// left out, which made every stream closable after its first write.
func TestConnLimiterKeepsAStreamBetweenWrites(t *testing.T) {
	flushed, release := make(chan error, 1), make(chan struct{})
	addr, _ := limitedServerGrace(t, 1, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/events" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		_, _ = io.WriteString(w, "data: one\n\n")
		flushed <- http.NewResponseController(w).Flush()
		<-release
	}))
	stream, rstream := dial(t, addr)
	_, err := io.WriteString(stream, "GET /events HTTP/1.1\r\nHost: test\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(rstream, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, <-flushed)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "data: one\n", line)

	c, rc := dial(t, addr)
	status, body := get(t, c, rc, "/")
	close(release)
	assert.Equal(t, http.StatusServiceUnavailable, status, "nothing to close: the stream's client took what it was sent")
	assert.Contains(t, body, "too many connections")
}

// serveOn runs ServeOn with h on a loopback port until the test ends, and
// returns the port's address.
func serveOn(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeOn(ctx, l, h, nil) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "a clean shutdown")
	})
	return l.Addr().String()
}

// TestServeBoundsHeaders: the apps' servers read up to net/http's default
// of 1 MiB of a request's headers, and a thousand slow connections each
// sending almost that much made an app hold gigabytes. Headers over
// MaxHeaderBytes (and the 4 KiB net/http allows beyond it) are now
// refused with 431; a request of ordinary headers is served as before.
func TestServeBoundsHeaders(t *testing.T) {
	addr := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	for _, tc := range []struct {
		name   string
		header int // bytes of an extra header's value
		want   int
	}{
		{"ordinary headers", 0, http.StatusOK},
		{"headers just under MaxHeaderBytes", MaxHeaderBytes - 1<<10, http.StatusOK},
		{"headers of 24 KiB", 24 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, r := dial(t, addr)
			require.NoError(t, conn.SetDeadline(time.Now().Add(time.Minute)))
			req := "GET / HTTP/1.1\r\nHost: test\r\n"
			if tc.header > 0 {
				req += "X-Padding: " + strings.Repeat("a", tc.header) + "\r\n"
			}
			_, err := io.WriteString(conn, req+"\r\n")
			require.NoError(t, err)
			resp, err := http.ReadResponse(r, nil)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.want, resp.StatusCode, "have body %.100q", body)
		})
	}
}

// TestOpenAPINamesTheHeaderLimit: the bank's OpenAPI document said the
// server refuses headers over net/http's 1 MiB after the apps' servers
// had come to refuse them over MaxHeaderBytes. It names MaxHeaderBytes.
func TestOpenAPINamesTheHeaderLimit(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "bank", "openapi.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(doc), fmt.Sprintf("headers over %d KiB in all", MaxHeaderBytes>>10))
}

// TestConnLimit: MaxConns could exceed the descriptors the process may
// open, and a flood of connections then left it none: accepting failed
// with EMFILE, and so did opening the app's own files. The limit is now
// capped by the process's soft RLIMIT_NOFILE, less FileReserve, but not
// below MinConns.
func TestConnLimit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		configured int
		softNoFile uint64
		want       int
	}{
		{"no limit known", 1024, math.MaxUint64, 1024},
		{"a limit far above", 1024, 1 << 20, 1024},
		{"a limit just enough", 1024, 1024 + FileReserve, 1024},
		{"a limit one short", 1024, 1024 + FileReserve - 1, 1023},
		{"the usual ulimit -n", 1024, 1024, 1024 - FileReserve},
		{"a small limit", 1024, 256, 256 - FileReserve},
		{"a limit that leaves MinConns", 1024, FileReserve + MinConns, MinConns},
		{"a limit below the reserve", 1024, FileReserve / 2, MinConns},
		{"no descriptors at all", 1024, 0, MinConns},
		{"a configured limit under MinConns", 2, 10, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, connLimit(tc.configured, tc.softNoFile), "connLimit(%d, %d)", tc.configured, tc.softNoFile)
		})
	}
}
