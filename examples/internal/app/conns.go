package app

import (
	"fmt"
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
// must be ready to see closed at any time), or one that has said nothing
// since it was accepted, newGrace and more ago; if there is none, it is
// answered 503 and closed at once. It learns which connections are idle
// from the server's ConnState hook.
type connLimiter struct {
	net.Listener
	max   int
	grace time.Duration // newGrace, but in tests

	mu   sync.Mutex
	open map[net.Conn]connSince // each open connection, and since when it could be closed to make room
}

// connSince is when a connection became one that may be closed to make
// room: idle since then, or new and silent since newGrace before it. The
// zero value: not to be closed (a request in progress).
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
		l.open[conn] = connSince{}
	case http.StateClosed, http.StateHijacked:
		delete(l.open, conn)
	}
}
