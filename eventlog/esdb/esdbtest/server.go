package esdbtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/eventchain/eventchain/eventlog/internal/idwindow"
)

// DefaultVersion is the server version a Server reports to the client's
// first call, GetSupportedMethods, unless Config.Version says otherwise.
// It is the EventStoreDB release whose behaviour the server follows.
const DefaultVersion = "24.10.0"

// maxMessageSize is the largest gRPC message the server accepts: what the
// Go client accepts (17 MiB). One append is limited to 1 MiB anyway.
const maxMessageSize = 17 << 20

// Config configures a [Server]. The zero Config is ready to use.
type Config struct {
	// Addr is the TCP address to listen on, "host:port". Empty means
	// "127.0.0.1:0": a free port on the loopback interface, chosen at the
	// first Start and kept for later ones.
	Addr string
	// Version is the server version GetSupportedMethods reports; empty
	// means DefaultVersion. The Go client accepts only numbers, "N.N.N":
	// give it anything else and its first call, and every call after it,
	// fails — a way to test that trap.
	Version string
	// NoServerFeatures leaves the ServerFeatures service out, as older
	// servers did: the client then takes the server for one of those and
	// reports version 0.0.0.
	NoServerFeatures bool
	// Now stamps the events the server records; nil means time.Now.
	Now func() time.Time
	// Logger gets a line when the server starts or stops, and, at debug
	// level, one for each call it refuses and each duplicate it stores
	// (see DuplicateAny). Nil means silent.
	Logger *slog.Logger

	// DedupWindow is the size of the server's event-ID cache, with which
	// it recognises a retried append with any or stream_exists: the
	// number of latest event writes, across all streams, whose IDs it
	// remembers, first written first forgotten. 0 means
	// DefaultDedupWindow; NoDedupWindow, or any negative number, keeps
	// none, as a node whose cache has forgotten every earlier append:
	// every such retry is stored again. Stop empties the cache, as a
	// restart empties a real node's. Whatever the size, the cache also
	// stops at a real node's bound, 8 MiB counted as it counts (28 bytes
	// per ID plus 2 per character of the stream's name), so that it never
	// remembers more than a real node would. Retries with no_stream or a
	// revision compare the stored events, and are recognised whatever the
	// window.
	DedupWindow int

	// DuplicateAny is the probability, from 0 to 1, that the server
	// stores an append with any or stream_exists to a user stream a
	// second time, as if its client had retried it after the cache
	// forgot its IDs: the same events, with the same IDs, at later
	// revisions. Half of the duplicates follow their append at once, and
	// the client is told where the second copy ended, as the retry would
	// have been; the others are written after a later append (to any
	// stream), from the next to the 1024th, so that they land far from
	// the original. A duplicate due on a stream deleted since is dropped.
	// 0, the default, never duplicates anything. A real node never does
	// this by itself; it is a fault to test that readers fold duplicates
	// away, whatever the window.
	DuplicateAny float64

	// DuplicateSeed seeds the draws of DuplicateAny: the same seed and
	// the same appends, in the same order, give the same duplicates.
	DuplicateSeed uint64
}

// DefaultDedupWindow is the DedupWindow of a zero Config: 100 000
// writes. A real node bounds its cache by memory only, 8 MiB at 28 bytes
// plus 2 per character of the stream's name for each ID: some 100 000
// IDs for names of 25 characters, 40 000 for names of 100, 200 000 for
// names of 5. With names shorter than 28 characters or so the server
// remembers fewer than a real node; with longer ones, as many.
const DefaultDedupWindow = idwindow.Default

// NoDedupWindow is a DedupWindow that keeps no event IDs: a server like a
// node whose cache has forgotten every earlier append, so that every
// retry with any or stream_exists is stored again.
const NoDedupWindow = idwindow.None

// A Server is an in-memory EventStoreDB for tests and demos: a gRPC
// server that answers the calls of the official Go client
// (EventStore-Client-Go/v4) as an insecure single EventStoreDB node
// does, keeping every event in memory. See the package documentation
// for what it implements.
//
// Like net/http/httptest.Server it listens on the loopback interface and
// gives the address to connect to; unlike it, it can be stopped and
// started again on the same address, keeping its data, to test what
// clients do when their server goes away.
//
// A Server is safe for concurrent use.
type Server struct {
	cfg   Config
	store *store
	log   *slog.Logger

	mu      sync.Mutex
	addr    string // the address listened on, fixed by the first Start
	grpc    *grpc.Server
	serving chan struct{} // closed when the current Serve returns
	closed  bool
}

// New returns a Server that is not listening yet: call Start.
func New(cfg Config) *Server {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, store: newStore(cfg, now, logger), log: logger}
}

// NewServer starts a Server for a test on a free loopback port and closes
// it when the test ends. It fails the test if the server cannot start.
//
//	srv := esdbtest.NewServer(t)
//	log, err := esdb.New(esdb.Config{ConnString: srv.ConnString()})
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := New(Config{})
	if err := s.Start(); err != nil {
		tb.Fatalf("esdbtest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts listening and serving: the first time on Config.Addr,
// later on the address the first Start listened on, so clients connected
// before a Stop find the server again. The data survives Stop and Start.
// It fails if the server is running or closed, or the address is taken.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errors.New("start: server closed")
	case s.grpc != nil:
		return errors.New("start: server already running")
	case math.IsNaN(s.cfg.DuplicateAny) || s.cfg.DuplicateAny < 0 || s.cfg.DuplicateAny > 1:
		return fmt.Errorf("start: DuplicateAny %v, want 0 to 1", s.cfg.DuplicateAny)
	}
	addr := s.addr
	if addr == "" {
		addr = s.cfg.Addr
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	s.addr = lis.Addr().String()

	gs := grpc.NewServer(
		// The client pings every 10 s, streams or not. grpc-go's default
		// policy (5 min, no pings without streams) answers those with
		// GOAWAY "too_many_pings" and drops every subscription after
		// about 30 s; a real node allows them.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(maxMessageSize),
		grpc.WaitForHandlers(true), // so that Stop returns with every call ended
	)
	api.RegisterStreamsServer(gs, &streamsService{store: s.store, log: s.log})
	gossip.RegisterGossipServer(gs, &gossipService{addr: s.addr, instance: uuid.New()})
	if !s.cfg.NoServerFeatures {
		serverfeatures.RegisterServerFeaturesServer(gs, &featuresService{version: s.cfg.Version})
	}
	serving := make(chan struct{})
	go func() {
		defer close(serving)
		_ = gs.Serve(lis) // returns when Stop closes the listener
	}()
	s.grpc, s.serving = gs, serving
	s.log.Info("esdbtest: in-memory EventStoreDB protocol server listening", "addr", s.addr)
	return nil
}

// Stop stops serving, as if the server crashed: it closes the listener
// and every connection, and ends every call (clients see Unavailable).
// It keeps the data, and the address, for Start; like a restarted node,
// it forgets the event-ID cache (see Config.DedupWindow), so that a
// retry with any or stream_exists of an append made before the Stop is
// stored again. It returns when every
// call has ended; stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.grpc == nil {
		return
	}
	s.grpc.Stop()
	<-s.serving
	s.grpc, s.serving = nil, nil
	// A node keeps its event-ID cache in memory, and fills it only as it
	// writes: after a restart it remembers no earlier append.
	s.store.forgetIDs()
	s.log.Info("esdbtest: stopped", "addr", s.addr)
}

// Close stops the server for good; later Starts fail. Close is
// idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	s.closed = true
}

// Duplicates returns how many duplicates the server has stored (see
// Config.DuplicateAny).
func (s *Server) Duplicates() int { return s.store.duplicates() }

// Addr returns the address the server listens on, "127.0.0.1:PORT"; empty
// before the first Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ConnString returns the connection string the official client, and
// eventlog/esdb, connect with: "esdb://127.0.0.1:PORT?tls=false".
func (s *Server) ConnString() string { return "esdb://" + s.Addr() + "?tls=false" }

// featuresService answers GetSupportedMethods, the client's first call
// on every new connection.
type featuresService struct {
	serverfeatures.UnimplementedServerFeaturesServer
	version string
}

// GetSupportedMethods lists the calls the server implements, and its
// version. The Go client uses the list only to learn whether BatchAppend
// and persistent subscriptions exist: they do not here.
func (f *featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const streams, features, gossipName = "event_store.client.streams.streams",
		"event_store.client.server_features.serverfeatures", "event_store.client.gossip.gossip"
	methods := []*serverfeatures.SupportedMethod{
		{ServiceName: streams, MethodName: "read"},
		{ServiceName: streams, MethodName: "append"},
		{ServiceName: streams, MethodName: "delete"},
		{ServiceName: streams, MethodName: "tombstone"},
		{ServiceName: features, MethodName: "getsupportedmethods"},
		{ServiceName: gossipName, MethodName: "read"},
	}
	return &serverfeatures.SupportedMethods{Methods: methods, EventStoreServerVersion: f.version}, nil
}

// gossipService answers gossip reads, which the client makes when its
// connection string names gossip seeds (several hosts, or
// esdb+discover://): the server says it is a cluster of one, the leader.
type gossipService struct {
	gossip.UnimplementedGossipServer
	addr     string
	instance uuid.UUID
}

// Read describes the cluster: this one node, alive and leading, at the
// address it listens on (127.0.0.1 if it listens on every interface).
func (g *gossipService) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	host, portText, err := net.SplitHostPort(g.addr)
	if err != nil {
		return nil, errUnknown("gossip: address %q: %v", g.addr, err)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	port, _ := strconv.Atoi(portText)
	return &gossip.ClusterInfo{Members: []*gossip.MemberInfo{{
		InstanceId:   toUUID(g.instance, false),
		TimeStamp:    time.Now().UnixNano() / 100,
		State:        gossip.MemberInfo_Leader,
		IsAlive:      true,
		HttpEndPoint: &gossip.EndPoint{Address: host, Port: uint32(port)},
	}}}, nil
}
