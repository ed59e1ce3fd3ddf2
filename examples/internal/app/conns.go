package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// MaxConns is how many connections an app's HTTP server keeps open at
// once (ServeOn). Each costs the process a file descriptor, and the
// process has a few thousand: a client that opens connections and keeps
// them alive, idle, one request a minute, would otherwise take them all,
// and no one else could connect, not even to GET /healthz.
const MaxConns = 1024

// SendBuffer is the kernel's send buffer of each connection an app's
// HTTP server accepts, in bytes. Linux grows a socket's buffer to 4 MiB
// by itself; a client of GET /events that stops reading then holds 4 MiB
// of the kernel's memory and minutes of events before a write blocks
// and its deadline can drop it. 256 KiB is ample for a loopback or LAN
// client that reads.
const SendBuffer = 256 << 10

// overloaded is what a connection over MaxConns is told before it is
// closed, when no idle connection can make room for it.
var overloaded = func() []byte {
	const body = "too many connections; try again soon\n"
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}()

// newGrace is how long a connection may stay new (accepted, its first
// request's headers not yet all read: net/http calls a connection active
// only then) before it may be closed to make room: a client sends its
// request at once, and one that has not after a second is likely one of
// many holding connections open without a word, or a byte at a time
// (slowloris).
const newGrace = time.Second

// A connLimiter is a listener that keeps at most max connections open.
// One accepted over the limit makes room by closing the connection that
// has been idle longest (kept alive between requests, which a client
// must be ready to see closed at any time), or one that has dawdled
// newGrace and more: said nothing since it was accepted, or not yet sent
// all of a request's body, or not yet taken its answer; if there is none,
// it is answered 503 and closed at once. It learns which connections are
// idle from the server's ConnState hook, and which are still sending a
// body or taking an answer from its handler (watchBodies).
//
// A connection whose handler is at work, with its request's body read to
// the end (or a request without one), is never closed: a slow answer is
// the server's doing, not the client's, and GET /events streams for
// hours.
type connLimiter struct {
	net.Listener
	max   int
	grace time.Duration // newGrace, but in tests

	mu   sync.Mutex
	open map[net.Conn]connSince // each open connection, and since when it could be closed to make room
}

// connSince is when a connection became one that may be closed to make
// room: idle since then, or new and silent, sending a body or taking an
// answer since newGrace before it. The zero value: not to be closed (a
// handler at work on a request it has whole).
type connSince time.Time

// limitConns returns l limited to max connections, and the hook that the
// server serving it must have as its ConnState.
func limitConns(l net.Listener, max int) (*connLimiter, func(net.Conn, http.ConnState)) {
	c := &connLimiter{Listener: l, max: max, grace: newGrace, open: make(map[net.Conn]connSince)}
	return c, c.connState
}

// Accept returns the next connection within the limit, its send buffer
// set to SendBuffer. Connections refused on the way are answered and
// closed here.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetWriteBuffer(SendBuffer) // a hint: the kernel may round it
		}
		if l.admit(conn) {
			return conn, nil
		}
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = conn.Write(overloaded) // a new socket's buffer takes it whole
		_ = conn.Close()
	}
}

// admit counts conn in, closing the connection idle longest (or new and
// silent longest) to make room if the limit is reached, and reports
// whether it could.
func (l *connLimiter) admit(conn net.Conn) bool {
	now := time.Now()
	l.mu.Lock()
	var victim net.Conn
	if len(l.open) >= l.max {
		var oldest time.Time
		for c, s := range l.open {
			since := time.Time(s)
			if !since.IsZero() && !since.After(now) && (victim == nil || since.Before(oldest)) {
				victim, oldest = c, since
			}
		}
		if victim == nil {
			l.mu.Unlock()
			return false
		}
		delete(l.open, victim)
	}
	l.open[conn] = connSince(now.Add(l.grace))
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Close() // the server's read on it fails, and it lets it go
	}
	return true
}

// connState follows each connection's state: idle ones may be closed to
// make room, closed ones no longer count.
func (l *connLimiter) connState(conn net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.open[conn]; !ok {
		return // closed to make room, or refused
	}
	switch state {
	case http.StateIdle:
		l.open[conn] = connSince(time.Now())
	case http.StateActive:
		// A request's headers are read: its handler is called at once,
		// and watchBodies says from there whether the connection may
		// be closed. Until then, as a body being sent.
		l.open[conn] = connSince(time.Now().Add(l.grace))
	case http.StateClosed, http.StateHijacked:
		delete(l.open, conn)
	}
}

// mark sets when conn may be closed to make room, if it is still open.
func (l *connLimiter) mark(conn net.Conn, since connSince) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.open[conn]; ok {
		l.open[conn] = since
	}
}

// connKey is the context key under which connContext keeps a request's
// connection.
type connKey struct{}

// connContext is the server's ConnContext: it keeps each connection in
// its requests' context, for watchBodies.
func (l *connLimiter) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// watchBodies returns h, with each request's connection made one that may
// be closed to make room (from newGrace after its headers) until h has
// read its body to the end, and again from newGrace after h returns,
// until the server is done with it. A client sends a body at once and
// takes its answer at once: one that sends a byte a second (a slow-body
// attack), or reads its answer as slowly, would otherwise hold its place
// for the read or write timeout, and a thousand such would hold them all.
// A request without a body is watched only after h returns.
//
// h gets a copy of the request, whose Body is watched: the server's own
// request keeps net/http's body, whose type tells the server whether the
// handler read it. That is how it closes the connection, rather than wait
// for a body the client will never send, when a handler answers an
// "Expect: 100-continue" request (a 413, say) without reading its body;
// and how, when a handler left a body unread, it discards the rest, at
// the client's pace: after h returns, so watched.
func (l *connLimiter) watchBodies(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, ok := r.Context().Value(connKey{}).(net.Conn)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		defer func() { l.mark(conn, connSince(time.Now().Add(l.grace))) }()
		if r.Body == nil || r.Body == http.NoBody {
			l.mark(conn, connSince{})
			h.ServeHTTP(w, r)
			return
		}
		r = r.WithContext(r.Context()) // a shallow copy: see above
		r.Body = &watchedBody{ReadCloser: r.Body, end: func() { l.mark(conn, connSince{}) }}
		h.ServeHTTP(w, r)
	})
}

// watchedBody calls end when its body has been read to the end. Not
// before: a handler that stops early, or closes the body, leaves the
// rest to the server, which discards it at the client's pace.
type watchedBody struct {
	io.ReadCloser
	end func()
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && b.end != nil {
		b.end()
		b.end = nil
	}
	return n, err
}
