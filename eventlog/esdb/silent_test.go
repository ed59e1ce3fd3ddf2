package esdb_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
)

// silencer is a TCP proxy to a server whose connections can be made to go
// silent: every byte sent on them, either way, is dropped, and neither
// end is told, as when a firewall or a NAT forgets a connection. New
// connections pass.
type silencer struct {
	lis    net.Listener
	target string
	mu     sync.Mutex
	conns  []*silentConn
	done   sync.WaitGroup
}

type silentConn struct {
	client, server net.Conn
	silent         atomic.Bool
}

// newSilencer starts a proxy to target, closed when the test ends.
func newSilencer(t *testing.T, target string) *silencer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &silencer{lis: lis, target: target}
	p.done.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *silencer) addr() string { return p.lis.Addr().String() }

func (p *silencer) accept() {
	defer p.done.Done()
	for {
		client, err := p.lis.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		c := &silentConn{client: client, server: server}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		p.done.Add(2)
		go p.copy(c, c.server, c.client)
		go p.copy(c, c.client, c.server)
	}
}

// copy forwards src to dst until either ends, dropping what comes while
// c is silent.
func (p *silencer) copy(c *silentConn, dst, src net.Conn) {
	defer p.done.Done()
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !c.silent.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// silence makes every connection open now go silent.
func (p *silencer) silence() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.silent.Store(true)
	}
}

func (p *silencer) close() {
	_ = p.lis.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.client.Close()
		_ = c.server.Close()
	}
	p.mu.Unlock()
	p.done.Wait()
}

// TestCallCutShortDoesNotPoisonThePool: a call whose context ends before
// its answer comes leaves its connection in a state nobody knows — a
// connection gone silent looks just like that, and may stay so until
// gRPC's keepalive gives up on it, some 20 s later. The log does not
// keep such a connection for the next call: that one connects anew, and
// succeeds at once, whatever it is.
func TestCallCutShortDoesNotPoisonThePool(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(ctx context.Context, log *esdb.Log) error
	}{
		{"Append", func(ctx context.Context, log *esdb.Log) error {
			_, err := log.Append(ctx, "silent", eventlog.Any, events("next", 1)...)
			return err
		}},
		{"Read", func(ctx context.Context, log *esdb.Log) error {
			_, err := log.Read(ctx, "silent", eventlog.Start, eventlog.Forwards, 10)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			proxy, log := silentLog(ctx, t)

			proxy.silence() // the idle connection the append left in the pool
			short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			require.ErrorIs(t, tc.call(short, log), context.DeadlineExceeded, "a call on the silent connection")

			// Far less than the keepalive takes to notice the silence.
			next, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			assert.NoError(t, tc.call(next, log), "the next call, on a new connection")
		})
	}
}

// silentLog returns a log on an esdbtest server reached through a
// silencer, holding one event in the stream "silent", appended through
// the proxy: the append leaves an idle connection in the pool.
func silentLog(ctx context.Context, t *testing.T) (*silencer, *esdb.Log) {
	t.Helper()
	srv := esdbtest.NewServer(t)
	proxy := newSilencer(t, srv.Addr())
	log := newLog(t, esdb.Config{ConnString: "esdb://" + proxy.addr() + "?tls=false" + quick})
	_, err := log.Append(ctx, "silent", eventlog.NoStream, events("first", 1)...)
	require.NoError(t, err, "through the proxy")
	return proxy, log
}

// TestClosedSubscriptionDoesNotPoisonThePool: a subscription closed by
// its reader is a call cut short too: its connection, quiet while the
// stream was, may have gone silent meanwhile, and is not kept for the
// next call.
func TestClosedSubscriptionDoesNotPoisonThePool(t *testing.T) {
	ctx := testContext(t)
	proxy, log := silentLog(ctx, t)
	sub, err := log.Subscribe(ctx, "silent", eventlog.Start)
	require.NoError(t, err)
	_, err = sub.Next(ctx)
	require.NoError(t, err, "the subscription runs")

	proxy.silence() // the subscription's connection, the only one open
	require.NoError(t, sub.Close())

	// Far less than the keepalive takes to notice the silence.
	next, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err = log.Read(next, "silent", eventlog.Start, eventlog.Forwards, 10)
	assert.NoError(t, err, "the next call, on a new connection")
}
