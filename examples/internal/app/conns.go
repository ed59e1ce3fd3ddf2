package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// MaxConns is how many connections an app's HTTP server keeps open at
// once (ServeOn). Each costs the process a file descriptor, and the
// process has a few thousand: a client that opens connections and keeps
// them alive, idle, one request a minute, would otherwise take them all,
// and no one else could connect, not even to GET /healthz.
//
// A process may be allowed fewer descriptors than that (its soft
// RLIMIT_NOFILE, which Go raises to the hard limit, ulimit -Hn, when a
// program starts; a hard limit of 1024 is not rare): ServeOn then keeps fewer connections,
// leaving FileReserve descriptors to the rest of the process, but never
// fewer than MinConns. Otherwise a flood of connections would use up the
// process's descriptors: accepting would fail with "too many open files"
// (EMFILE), and so would the app's opening its own files, such as the
// event log.
const MaxConns = 1024

// FileReserve is how many of the process's file descriptors ServeOn
// leaves to the rest of the process when the process's limit caps
// MaxConns: for its event log and the log's index, a connection to
// EventStoreDB or to Graylog, the listener, standard input and output,
// and the descriptors the Go runtime keeps for itself.
const FileReserve = 64

// MinConns is the fewest connections ServeOn keeps open, however low the
// process's file-descriptor limit: enough for a client or two, a health
// check and a metrics scrape. Under a limit this low (FileReserve +
// MinConns descriptors or fewer) the app may itself run out: raise it
// with ulimit -n.
const MinConns = 8

// connLimit returns how many connections a server may keep open:
// configured, but no more than the process's soft RLIMIT_NOFILE,
// softNoFile, less FileReserve, and no fewer than MinConns (or
// configured, if that is fewer). softNoFile is math.MaxUint64 where the
// limit is unknown or there is none (RLIM_INFINITY), which caps nothing.
func connLimit(configured int, softNoFile uint64) int {
	if softNoFile >= FileReserve+uint64(configured) {
		return configured
	}
	room := 0
	if softNoFile > FileReserve {
		room = int(softNoFile - FileReserve) // less than configured: an int
	}
	return max(room, min(configured, MinConns))
}

// SendBuffer is the kernel's send buffer of each connection an app's
// HTTP server accepts, in bytes. Linux grows a socket's buffer to 4 MiB
// by itself; a client of GET /events that stops reading then holds 4 MiB
// of the kernel's memory and minutes of events before a write blocks
// and its deadline can drop it. 256 KiB is ample for a loopback or LAN
// client that reads.
const SendBuffer = 256 << 10

// MaxHeaderBytes bounds the headers of a request an app's HTTP server
// reads (ServeOn), request line included, in bytes. The apps' requests
// need small headers: a path, a Host, a Content-Type and a Content-Length,
// well under 1 KiB. net/http's default, 1 MiB, let each of a thousand
// slow connections make the server hold a megabyte of headers or more,
// gigabytes together. A request whose headers are larger is answered
// 431 Request Header Fields Too Large and its connection closed.
// (net/http reads up to 4 KiB more than this before it refuses.)
const MaxHeaderBytes = 16 << 10

// overloaded is what a connection over MaxConns is told before it is
// closed, when no idle connection can make room for it.
var overloaded = func() []byte {
	const body = "too many connections; try again soon\n"
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
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
// all of a request's body, or not yet taken its answer, during its
// handler's write or after it; if there is none, it is answered 503 and
// closed at once. It learns which connections are idle from the server's
// ConnState hook, and which are still sending a body or taking an answer
// from its handler (watchBodies).
//
// A connection whose handler is at work, with its request's body read to
// the end (or a request without one), and not blocked writing, is never
// closed: a slow answer is the server's doing, not the client's, and GET
// /events streams for hours.
type connLimiter struct {
	net.Listener
	max   int
	grace time.Duration // newGrace, but in tests
	epoch time.Time     // what a connWatch's times count from

	mu   sync.Mutex
	open map[net.Conn]*connWatch // each open connection
}

// A connWatch says since when its connection may be closed to make room:
// idle since then, or new and silent, sending a body or taking an answer
// since newGrace before it. It is kept apart from the limiter's map, so
// that a handler's reads and writes mark it without taking the limiter's
// lock.
type connWatch struct {
	// since is that time, as nanoseconds after the limiter's epoch plus
	// one (so on the monotonic clock), or 0: not to be closed (a handler
	// at work on a request it has whole).
	since atomic.Int64
}

// limitConns returns l limited to max connections, and the hook that the
// server serving it must have as its ConnState.
func limitConns(l net.Listener, max int) (*connLimiter, func(net.Conn, http.ConnState)) {
	c := &connLimiter{Listener: l, max: max, grace: newGrace, epoch: time.Now(), open: make(map[net.Conn]*connWatch)}
	return c, c.connState
}

// now returns the time now in a connWatch's terms: never 0.
func (l *connLimiter) now() int64 { return int64(time.Since(l.epoch)) + 1 }

// afterGrace returns the time newGrace from now in a connWatch's terms.
func (l *connLimiter) afterGrace() int64 { return l.now() + int64(l.grace) }

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
	now := l.now()
	l.mu.Lock()
	var victim net.Conn
	if len(l.open) >= l.max {
		var oldest int64
		for c, w := range l.open {
			if since := w.since.Load(); since != 0 && since <= now && (victim == nil || since < oldest) {
				victim, oldest = c, since
			}
		}
		if victim == nil {
			l.mu.Unlock()
			return false
		}
		delete(l.open, victim)
	}
	w := new(connWatch)
	w.since.Store(now + int64(l.grace))
	l.open[conn] = w
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
	w, ok := l.open[conn]
	if !ok {
		return // closed to make room, or refused
	}
	switch state {
	case http.StateIdle:
		w.since.Store(l.now())
	case http.StateActive:
		// A request's headers are read: its handler is called at once,
		// and watchBodies says from there whether the connection may
		// be closed. Until then, as a body being sent.
		w.since.Store(l.afterGrace())
	case http.StateClosed, http.StateHijacked:
		delete(l.open, conn)
	}
}

// connKey is the context key under which connContext keeps a request's
// connWatch.
type connKey struct{}

// connContext is the server's ConnContext: it keeps each connection's
// connWatch in its requests' context, for watchBodies. (A connection
// closed to make room between its Accept and this has none.)
func (l *connLimiter) connContext(ctx context.Context, c net.Conn) context.Context {
	l.mu.Lock()
	w := l.open[c]
	l.mu.Unlock()
	if w == nil {
		return ctx
	}
	return context.WithValue(ctx, connKey{}, w)
}

// watchBodies returns h, with each request's connection made one that may
// be closed to make room (from newGrace after its headers) until h has
// read its body to the end, from newGrace after each of h's writes began
// until it returns, and again from newGrace after h returns, until the
// server is done with it. A client sends a body at once and takes its
// answer at once: one that sends a byte a second (a slow-body attack), or
// reads its answer as slowly, or not at all, would otherwise hold its
// place for the read or write timeout, and a thousand such would hold
// them all. A request without a body is watched only as h writes and
// after h returns.
//
// h gets a ResponseWriter whose writes are watched (watchedWriter), and a
// copy of the request, whose Body is watched: the server's own
// request keeps net/http's body, whose type tells the server whether the
// handler read it. That is how it closes the connection, rather than wait
// for a body the client will never send, when a handler answers an
// "Expect: 100-continue" request (a 413, say) without reading its body;
// and how, when a handler left a body unread, it discards the rest, at
// the client's pace: after h returns, so watched.
func (l *connLimiter) watchBodies(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw, ok := r.Context().Value(connKey{}).(*connWatch)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		defer func() { cw.since.Store(l.afterGrace()) }()
		w = &watchedWriter{ResponseWriter: w, l: l, cw: cw}
		if r.Body == nil || r.Body == http.NoBody {
			cw.since.Store(0)
			h.ServeHTTP(w, r)
			return
		}
		r = r.WithContext(r.Context()) // a shallow copy: see above
		r.Body = &watchedBody{ReadCloser: r.Body, end: func() { cw.since.Store(0) }}
		h.ServeHTTP(w, r)
	})
}

// A watchedWriter makes its connection one that may be closed to make
// room from newGrace after each write (or flush) to it began, until the
// write returns, unless it was already. A write that the client takes
// returns at once; one to a client that stopped reading blocks until the
// server's write timeout, holding a place until then if not for this.
// When its connection is closed, the write fails, and the handler sees
// its client gone.
//
// It keeps what http.ResponseController needs: Flush is watched as
// FlushError, and Unwrap gives the server's own ResponseWriter, for the
// write deadline GET /events moves.
type watchedWriter struct {
	http.ResponseWriter
	l  *connLimiter
	cw *connWatch
}

// begin marks the connection closable from newGrace on, if it was not,
// and returns what end needs to undo it.
func (w *watchedWriter) begin() int64 {
	since := w.l.afterGrace()
	if !w.cw.since.CompareAndSwap(0, since) {
		return 0 // closable already: its body is not all sent
	}
	return since
}

// end undoes begin, unless the mark has changed since (it has not, but
// for a body read alongside).
func (w *watchedWriter) end(since int64) {
	if since != 0 {
		w.cw.since.CompareAndSwap(since, 0)
	}
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	since := w.begin()
	n, err := w.ResponseWriter.Write(p)
	w.end(since)
	return n, err
}

// WriteHeader is watched too: an informational (1xx) answer is written
// at once.
func (w *watchedWriter) WriteHeader(code int) {
	since := w.begin()
	w.ResponseWriter.WriteHeader(code)
	w.end(since)
}

// FlushError flushes what the handler wrote to the connection, as
// http.ResponseController.Flush does.
func (w *watchedWriter) FlushError() error {
	since := w.begin()
	err := http.NewResponseController(w.ResponseWriter).Flush()
	w.end(since)
	return err
}

// Flush is FlushError for handlers that ask for an http.Flusher.
func (w *watchedWriter) Flush() { _ = w.FlushError() }

// Unwrap returns the server's ResponseWriter, for
// http.ResponseController.
func (w *watchedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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
