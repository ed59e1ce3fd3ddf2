package app

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/eventchain/eventchain/internal/clip"
)

// An Early server serves an app's port from the moment the app has it,
// before the app has joined its chain: until Ready hands it the app's
// handler it answers every request 503, with Retry-After, saying why.
// An app listens before it opens its log (a port in use must stop it
// before it writes anything), and joining may wait a long time for the
// first app to declare the chain spec: without an Early server the
// connections of that wait would sit unanswered in the listen queue.
type Early struct {
	handler atomic.Pointer[http.Handler]
	detail  string
	alive   string // the liveness check's path, answered 200 before Ready; "" for none
	cancel  context.CancelFunc
	stopped chan struct{} // closed when the server has stopped; err is then set
	err     error
}

// ServeEarly serves l with an Early server until ctx ends or Stop is
// called; ready, if not nil, is told the address first. detail says
// what the app is doing meanwhile ("the bank is joining its chain").
// alive, if not "", is the path of the app's liveness check (the bank's
// /healthz): a GET or HEAD of it is answered 200 {"status":"ok"} from the
// start (400 if its query string does not parse), as the app's handler
// answers it once ready, since the process
// is alive while it joins (a liveness probe that read 503 would kill a
// bank restoring a long chain). ServeEarly closes l.
func ServeEarly(ctx context.Context, l net.Listener, detail, alive string, ready func(net.Addr)) *Early {
	ctx, cancel := context.WithCancel(ctx)
	e := &Early{detail: detail, alive: alive, cancel: cancel, stopped: make(chan struct{})}
	go func() {
		e.err = ServeOn(ctx, l, e, ready)
		close(e.stopped)
	}()
	return e
}

// Ready makes the server answer with h from now on.
func (e *Early) Ready(h http.Handler) { e.handler.Store(&h) }

// ServeHTTP answers with the handler Ready gave, or, before, 503.
func (e *Early) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := e.handler.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	if e.alive != "" && r.URL.Path == e.alive && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
			// As the bank answers it once ready: its OpenAPI document
			// promises a 400 for a query string that does not parse.
			writeProblem(w, http.StatusBadRequest, map[string]any{"title": "malformed query string",
				"detail": "the query string does not parse: " + clip.Text(err.Error(), 64), "field": "query"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
		return
	}
	w.Header().Set("Retry-After", "1")
	writeProblem(w, http.StatusServiceUnavailable, map[string]any{"title": "starting", "detail": e.detail})
}

// writeProblem answers status with a problem detail of members and the
// others the bank's OpenAPI document requires of every one: type and
// status.
func writeProblem(w http.ResponseWriter, status int, members map[string]any) {
	members["type"], members["status"] = "about:blank", status
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(members)
}

// Wait waits until the server stops by itself (it failed: its error) or
// ctx ends (then it stops the server and returns nil), for an app's
// errgroup. Once the server has stopped it returns at once.
func (e *Early) Wait(ctx context.Context) error {
	select {
	case <-e.stopped:
		return e.err
	case <-ctx.Done():
		_ = e.Stop()
		return nil
	}
}

// Stop shuts the server down, gracefully, and waits until it has; it
// returns the server's error. It may be called any number of times, in
// any order with Wait, from any goroutine.
func (e *Early) Stop() error {
	e.cancel()
	<-e.stopped
	return e.err
}
