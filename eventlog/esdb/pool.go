package esdb

import (
	"context"
	"fmt"
	"sync"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/eventchain/eventchain/eventlog"
)

// A pool hands out official clients (each one gRPC connection), one call
// at a time per client.
//
// Why not one client for everything, as the client's documentation
// suggests? Because of how client v4.2.0 reconnects. After a call fails
// with Unavailable, the client's next call looks for the server again
// ("discovery"). If that succeeds, the client replaces its old
// connection without closing it, leaking its goroutines; if it fails,
// the client closes itself for good, and a call that was waiting to
// start on it at that moment waits for ever — and panics if the client
// is then closed. So here a client that saw its server go away is
// closed, never used again; a client serves one call at a time, so that
// no call waits on another's discovery; and a new client finds its
// server before it serves a call, in a goroutine the pool owns, so that
// the caller's context bounds the wait (discovery takes no context).
type pool struct {
	cfg     esclient.Configuration
	maxIdle int
	wg      *sync.WaitGroup // the Log's: Close waits for dialers too

	mu     sync.Mutex
	idle   []*esclient.Client
	closed bool
}

// get returns a client for one call, which the caller gives back with
// put: an idle one (reused true), unless fresh is set or there is none,
// and else a new one that has found its server. It must be called while
// the caller holds a count in p.wg.
func (p *pool) get(ctx context.Context, fresh bool) (c *esclient.Client, reused bool, err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, false, eventlog.ErrClosed
	}
	if n := len(p.idle); n > 0 && !fresh {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, true, nil
	}
	p.mu.Unlock()
	c, err = p.dialCtx(ctx)
	return c, false, err
}

// dialCtx is dial, bounded by ctx. The client's discovery takes no
// context, so dial runs in a goroutine of its own; if ctx ends first, the
// goroutine lives on until the discovery ends, and then gives its client
// to the pool (or closes it).
func (p *pool) dialCtx(ctx context.Context) (*esclient.Client, error) {
	d := &dialing{done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		c, err := p.dial()
		d.mu.Lock()
		d.c, d.err = c, err
		abandoned := d.abandoned
		d.mu.Unlock()
		close(d.done)
		if abandoned && c != nil {
			p.put(c, false) // its caller gave up: keep it for the next
		}
	}()
	select {
	case <-d.done:
		return d.c, d.err
	case <-ctx.Done():
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.c != nil || d.err != nil { // finished after all
			return d.c, d.err
		}
		d.abandoned = true
		return nil, ctx.Err()
	}
}

// dialing is a new client finding its server, and the call waiting for
// it, which may give up.
type dialing struct {
	done      chan struct{}
	mu        sync.Mutex
	c         *esclient.Client
	err       error
	abandoned bool
}

// dial returns a new client that has found its server, or an error
// wrapping eventlog.ErrUnavailable and the client's error.
func (p *pool) dial() (*esclient.Client, error) {
	cfg := p.cfg
	c, err := esclient.NewClient(&cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", eventlog.ErrUnavailable, err)
	}
	// The client connects on its first call; this one does nothing else.
	if _, err := c.GetServerVersion(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("%w: %w", eventlog.ErrUnavailable, err)
	}
	return c, nil
}

// put gives back a client after a call. A broken client — one whose
// call showed that its server went away — is closed, and so is one the
// pool has no room for, or gets after it closed.
func (p *pool) put(c *esclient.Client, broken bool) {
	p.mu.Lock()
	if !broken && !p.closed && len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	_ = c.Close()
}

// flush closes the idle clients: after one of them found its server
// gone, the others most likely did too.
func (p *pool) flush() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		_ = c.Close()
	}
}

// close closes the idle clients; clients given back later are closed
// then.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		_ = c.Close()
	}
}
