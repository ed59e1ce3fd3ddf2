package app

import (
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
const overloaded = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 36\r\n\r\ntoo many connections; try again soon\n"

// A connLimiter is a listener that keeps at most max connections open.
// One accepted over the limit makes room by closing the connection that
// has been idle longest (kept alive between requests, which a client
// must be ready to see closed at any time); if none is idle, it is
// answered 503 and closed at once. It learns which connections are idle
// from the server's ConnState hook.
type connLimiter struct {
	net.Listener
	max int

	mu   sync.Mutex
	open map[net.Conn]time.Time // each open connection → when it went idle; zero while not idle
}

// limitConns returns l limited to max connections, and the hook that the
// server serving it must have as its ConnState.
func limitConns(l net.Listener, max int) (*connLimiter, func(net.Conn, http.ConnState)) {
	c := &connLimiter{Listener: l, max: max, open: make(map[net.Conn]time.Time)}
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
		_, _ = conn.Write([]byte(overloaded)) // a new socket's buffer takes it whole
		_ = conn.Close()
	}
}

// admit counts conn in, closing the longest idle connection to make room
// if the limit is reached, and reports whether it could.
func (l *connLimiter) admit(conn net.Conn) bool {
	l.mu.Lock()
	var victim net.Conn
	if len(l.open) >= l.max {
		var since time.Time
		for c, idle := range l.open {
			if !idle.IsZero() && (victim == nil || idle.Before(since)) {
				victim, since = c, idle
			}
		}
		if victim == nil {
			l.mu.Unlock()
			return false
		}
		delete(l.open, victim)
	}
	l.open[conn] = time.Time{}
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
		l.open[conn] = time.Now()
	case http.StateActive:
		l.open[conn] = time.Time{}
	case http.StateClosed, http.StateHijacked:
		delete(l.open, conn)
	}
}
