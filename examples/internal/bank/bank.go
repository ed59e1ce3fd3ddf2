package bank

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/clip"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// openAPI is the bank's API as an OpenAPI 3 document, served at
// GET /openapi.yaml. It is unexported so that nothing can change what
// the bank says of itself; read it from that route.
//
//go:embed openapi.yaml
var openAPI []byte

// Config configures a [Bank]. Node and Log are required.
type Config struct {
	// Node is the bank's own node: it checks every block, so the bank
	// answers from a chain it verified itself. The caller restores it and
	// runs its Follow.
	Node *node.Node
	// Log is the event log, read for the audit stream's dropped
	// transactions.
	Log eventlog.Log
	// MaxBodyBytes bounds a request body; 0 means 16 KiB.
	MaxBodyBytes int64
	// MaxEventStreams bounds the explorer's GET /events streams open at
	// once (each holds a connection, and is sent the state on every
	// change). When all are taken, a stream of a client (an IP address,
	// or an IPv6 /64) that holds fewer than another, by two or more,
	// takes the place of that other's oldest stream, which ends;
	// otherwise it is a 503. So one client cannot keep every other out by
	// holding every stream. 0 means 256.
	MaxEventStreams int
	// RetryAfter is what a 503 asks clients to wait; 0 means 5 s.
	RetryAfter time.Duration
	// SubmitTimeout bounds how long a POST /transactions waits for the
	// log to take its transaction before it answers 503; 0 means 5 s. It
	// must stay well inside the HTTP server's write timeout (10 s in the
	// apps): a log that hangs must get the client an answer, not a
	// connection closed without one.
	SubmitTimeout time.Duration
	// ProbeTimeout bounds the read of the log with which GET /readyz
	// checks that the log answers; 0 means 1 s. A bank whose log does
	// not answer in time is not ready: it could take no transaction.
	ProbeTimeout time.Duration
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// IndexPath is the file of the bank's ledger index (a bbolt file,
	// created if missing): where each included transaction is, each
	// account's history, each block's place in the log, and the dropped
	// transactions. "" keeps the index in memory, where it grows with
	// the chain's history (about 200 bytes per transaction): give a
	// file for a long-lived chain. The index is derived from the log:
	// a file that lags behind is brought up to date as the node
	// restores; one of another chain (another genesis) is built again
	// from the log; one of this chain holding blocks the log lost (a
	// log wiped, and the chain begun again in it) stops the bank with
	// ErrLogLostBlocks; a damaged one (ErrIndexCorrupt) is refused. In
	// both cases deleting the file makes the next start rebuild it.
	IndexPath string
}

// idempotencyNamespace derives the names of the request streams that
// reserve Idempotency-Keys (see requestStream).
var idempotencyNamespace = uuid.MustParse("9b1f4c0e-5f7d-5e55-9d8a-3c0e6a1b2d4f")

// defaultSubmitTimeout is Config.SubmitTimeout's default.
const defaultSubmitTimeout = 5 * time.Second

// defaultProbeTimeout is Config.ProbeTimeout's default.
const defaultProbeTimeout = time.Second

// A Bank is the HTTP face of eventchain: clients submit transactions and
// ask what became of them, and read the chain. It answers from its own
// node, which checks every block (the original's "another node for a
// consensus check").
//
// A Bank is safe for concurrent use.
type Bank struct {
	slots         streamSlots   // the GET /events streams open now, by client
	stopping      chan struct{} // closed by CloseStreams
	stopOnce      sync.Once
	streams       sync.Map              // the GET /events streams open: *openStream → struct{}
	damaged       atomic.Pointer[error] // the log's error that said its storage is damaged, once one did
	damagedCh     chan struct{}         // closed when damaged is set
	node          *node.Node
	log           eventlog.Log
	maxBody       int64
	retryAfter    string
	droppedRetry  time.Duration // see putDropped
	submitTimeout atomic.Int64  // Config.SubmitTimeout, a time.Duration; atomic: a test may change it between requests
	probeTimeout  atomic.Int64  // Config.ProbeTimeout, likewise
	logger        *slog.Logger
	ready         atomic.Bool
	auditRead     chan struct{} // closed once Run has read the audit stream as far as it went when Run began: see follow
	auditReadOnce sync.Once
	appendFailed  atomic.Pointer[appendFailure] // the last append of a transaction failed, and none has succeeded since
	now           func() time.Time              // the clock appendFailed is judged by
	mux           *http.ServeMux
	requests      sync.Map // status code → *atomic.Uint64

	// flights runs one request per Idempotency-Key and body at a time;
	// others with the same key and body wait for it and share its answer.
	flights singleflight.Group

	mu sync.Mutex
	// accepted holds the transactions accepted here and not yet
	// included or dropped, so that a status asked right after POST
	// answers "pending" even before the node has read the transaction
	// back. It is bounded: entries go at inclusion or drop, and
	// forgetAccepted trims those the pool no longer holds once it
	// outgrows the pool's capacity.
	accepted map[uuid.UUID]blockchain.Transaction
	// index holds every included transaction and every dropped one; see
	// indexStore. Dropped transactions are kept there, not in memory.
	index ledgerIndex
	file  *boltIndex // the index's file, nil in memory: set by New, for Run to see it break

	// For the explorer page, fed by observe.
	miners     map[blockchain.Hash]string
	minerOrder []blockchain.Hash
	rejected   []ExplorerBlock

	// explorerMem holds the explorer's memory of refused transactions
	// (see refuse) and its ranking of accounts; it has its own lock.
	explorerMem explorerMemory
}

// New returns a bank; it is not ready (GET /readyz answers 503) until
// SetReady(true).
func New(cfg Config) (*Bank, error) {
	if cfg.Node == nil || cfg.Log == nil {
		return nil, errors.New("bank: Config.Node and Config.Log are required")
	}
	b := &Bank{
		node: cfg.Node, log: cfg.Log, maxBody: cfg.MaxBodyBytes, logger: cfg.Logger,
		accepted:  map[uuid.UUID]blockchain.Transaction{},
		miners:    map[blockchain.Hash]string{},
		now:       time.Now,
		stopping:  make(chan struct{}),
		damagedCh: make(chan struct{}),
		auditRead: make(chan struct{}),
	}
	if b.maxBody == 0 {
		b.maxBody = 16 << 10
	}
	retry := cfg.RetryAfter
	if retry == 0 {
		retry = 5 * time.Second
	}
	submitTimeout := cfg.SubmitTimeout
	if submitTimeout <= 0 {
		submitTimeout = defaultSubmitTimeout
	}
	b.submitTimeout.Store(int64(submitTimeout))
	b.slots.max = cfg.MaxEventStreams
	if b.slots.max <= 0 {
		b.slots.max = defaultMaxEventStreams
	}
	probeTimeout := cfg.ProbeTimeout
	if probeTimeout <= 0 {
		probeTimeout = defaultProbeTimeout
	}
	b.probeTimeout.Store(int64(probeTimeout))
	b.retryAfter = strconv.Itoa(int(max(retry.Round(time.Second), time.Second) / time.Second))
	b.droppedRetry = droppedRetry
	if b.logger == nil {
		b.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	genesis, err := cfg.Node.Chain().Spec().Genesis()
	if err != nil { // the node's spec is valid: New checked it
		return nil, fmt.Errorf("bank: the chain's genesis: %w", err)
	}
	var store indexStore = newMemIndex()
	if cfg.IndexPath != "" {
		bolt, err := openBoltIndex(cfg.IndexPath)
		if err != nil {
			return nil, err
		}
		store, b.file = bolt, bolt
	}
	b.index = ledgerIndex{store: store, path: cfg.IndexPath, log: cfg.Log, chain: cfg.Node.Chain(), genesis: genesis.Hash(), logger: b.logger, failed: make(chan struct{})}
	b.mux = http.NewServeMux()
	for _, r := range b.routes() {
		b.mux.HandleFunc(r.pattern, r.handler)
	}
	b.mux.HandleFunc("/", b.noRoute)
	cfg.Node.Observe(b.observe)
	return b, nil
}

// Close closes the bank's ledger index; the bank must not serve after
// it. Close it after its node's Follow and its Run have returned.
func (b *Bank) Close() error {
	return b.index.store.close()
}

// indexFailed answers 500 when the ledger index cannot be read, after
// logging why.
func (b *Bank) indexFailed(w http.ResponseWriter, what string, err error) {
	b.logger.Error("ledger index failed", "step", what, "err", err)
	b.problem(w, Problem{Status: http.StatusInternalServerError, Title: "ledger index unavailable", Detail: what})
}

// indexBehind answers a question about the transaction id that the
// ledger index, behind the chain (its file took no writes for a while),
// cannot answer yet: 503 with Retry-After, as while the bank restores.
func (b *Bank) indexBehind(w http.ResponseWriter, id uuid.UUID) {
	b.problem(w, *b.indexBehindProblem(id))
}

// indexBehindProblem is indexBehind's answer.
func (b *Bank) indexBehindProblem(id uuid.UUID) *Problem {
	return &Problem{Status: http.StatusServiceUnavailable, Title: "ledger index behind",
		Detail: fmt.Sprintf("the bank's ledger index is behind the chain (its file takes no writes now), and a block it has not recorded may include %s: ask again later", id)}
}

// IndexErr returns the ledger index's failure, if it has one: it then
// indexes no more blocks. Run returns it too.
func (b *Bank) IndexErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.index.err
}

// noRoute answers a request that no route matches: 405 with an Allow
// header if the path is one of the API's under another method, 404
// otherwise. http.ServeMux would answer both in plain text; the bank's
// every error is a problem detail.
func (b *Bank) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, rt := range b.routes() {
		method, _, _ := strings.Cut(rt.pattern, " ")
		probe := r.WithContext(r.Context()) // a shallow copy, to ask the mux
		probe.Method = method
		if _, pattern := b.mux.Handler(probe); pattern == rt.pattern {
			allow = append(allow, method)
			if method == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) == 0 {
		b.problem(w, Problem{Status: http.StatusNotFound, Title: "not found", Detail: "no such resource; the API is described at GET /openapi.yaml"})
		return
	}
	slices.Sort(allow)
	allow = slices.Compact(allow)
	w.Header().Set("Allow", strings.Join(allow, ", "))
	b.problem(w, Problem{Status: http.StatusMethodNotAllowed, Title: "method not allowed", Detail: "allowed: " + strings.Join(allow, ", ")})
}

// A route is one pattern of the API and its handler.
type route struct {
	pattern string
	handler http.HandlerFunc
}

// routes lists the API; the OpenAPI document must list the same.
func (b *Bank) routes() []route {
	return []route{
		{"POST /transactions", b.whenReady(b.only(b.postTransaction))},
		{"GET /transactions/{id}", b.whenReady(b.only(b.getTransaction))},
		{"GET /transactions/{id}/proof", b.whenReady(b.only(b.getTransactionProof))},
		{"GET /blocks", b.whenReady(b.only(b.getBlocks, "from", "limit"))},
		{"GET /blocks/{ref}", b.whenReady(b.only(b.getBlock))},
		{"GET /headers", b.whenReady(b.only(b.getHeaders, "from", "limit"))},
		{"GET /accounts/{address}", b.whenReady(b.only(b.getAccount))},
		{"GET /accounts/{address}/transactions", b.whenReady(b.only(b.getHistory, "limit", "before"))},
		{"GET /accounts/{address}/proof", b.whenReady(b.only(b.getAccountProof, "height"))},
		{"GET /chain/head", b.whenReady(b.only(b.getHead))},
		{"GET /chain/spec", b.only(b.getSpec)},
		{"GET /healthz", b.healthz},
		{"GET /readyz", b.readyz},
		{"GET /openapi.yaml", b.openapi},
		{"GET /{$}", b.explorer},
		{"GET /events", b.events},
	}
}

// Routes returns the API's patterns, as registered ("POST /transactions", …).
func (b *Bank) Routes() []string {
	var out []string
	for _, r := range b.routes() {
		out = append(out, r.pattern)
	}
	return out
}

// SetReady says whether the bank's node has restored and is following:
// GET /readyz answers 200, POST /transactions takes transactions, and
// the chain, the accounts, the blocks and the transactions are answered
// only then (503 with Retry-After before). The chain spec, the explorer
// page and its stream of events, the health check and the OpenAPI
// document are served at once.
//
// Made ready, the bank first checks its ledger index against the chain
// its node restored: an index of another chain (another genesis) is
// built again from the log before the bank answers from it. An index
// of this very chain that holds blocks the log does not (a log wiped,
// or put back from an older copy, and the chain begun again in it)
// fails with ErrLogLostBlocks, as does an index that cannot be read:
// then the bank stays not ready, and Run returns the failure.
func (b *Bank) SetReady(ready bool) {
	if ready {
		b.mu.Lock()
		b.index.reconcile(b.node.Chain())
		failed := b.index.err != nil
		b.mu.Unlock()
		if failed {
			return
		}
	}
	b.ready.Store(ready)
}

// Ready reports whether the bank answers from its chain: whether
// SetReady(true) was called, and not taken back.
func (b *Bank) Ready() bool { return b.ready.Load() }

// only serves h to requests whose query parameters are among params, and
// answers any other with a 400 naming the first it does not know: a
// misspelt parameter ("Height" for "height", "lmit") would otherwise be
// ignored, and the answer be for another question than the client's, a
// proof at the tip for one at a height. POST /transactions takes none:
// a client that adds "?dryRun=true" must not see its transfer made. (The
// explorer, the health checks, the OpenAPI document and the event
// stream, which browsers and probes may call with cache-busting
// parameters, ignore them, as the OpenAPI document says.)
func (b *Bank) only(h http.HandlerFunc, params ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" { // no parameter to check (most requests)
			h(w, r)
			return
		}
		query, _ := url.ParseQuery(r.URL.RawQuery) // ServeHTTP refused a query that does not parse
		names := slices.Sorted(maps.Keys(query))
		for _, name := range names {
			if !slices.Contains(params, name) {
				want := "none"
				if len(params) > 0 {
					want = strings.Join(params, ", ")
				}
				b.problem(w, Problem{Status: http.StatusBadRequest, Title: "unknown query parameter",
					Detail: fmt.Sprintf("%q is not a parameter of this resource (it takes: %s)", truncate(name), want), Field: truncate(name)})
				return
			}
		}
		h(w, r)
	}
}

// whenReady serves h once the bank is ready, and 503 with Retry-After
// until then: before its node has restored, the chain, the accounts and
// the pool the bank would answer from are the genesis's, or a part of
// the log's, and a client would take an old balance or nonce for the
// truth.
func (b *Bank) whenReady(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !b.ready.Load() {
			b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "not ready", Detail: "the bank's node is still restoring the chain"})
			return
		}
		h(w, r)
	}
}

// Requests returns how many requests the bank answered with each status
// code, for metrics.
func (b *Bank) Requests() map[int]uint64 {
	out := map[int]uint64{}
	b.requests.Range(func(k, v any) bool {
		out[k.(int)] = v.(*atomic.Uint64).Load()
		return true
	})
	return out
}

// ServeHTTP serves the API.
func (b *Bank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	// Every answer is JSON, YAML, an event stream or the explorer page, each
	// with its type: a browser must not guess another (HTML) from the bytes.
	rec.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodConnect && r.URL.Path == "" {
		// The bank tunnels nothing; ServeMux would answer a CONNECT
		// in plain text. "CONNECT host:port" names no path of the
		// API, so Allow lists the methods the API takes at all.
		rec.Header().Set("Allow", "GET, HEAD, POST")
		b.problem(rec, Problem{Status: http.StatusMethodNotAllowed, Title: "method not allowed", Detail: "the bank is no proxy: CONNECT is not served"})
	} else if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		// Refused whole, before any parameter is read: url.URL.Query
		// would drop what does not parse, and answer for other
		// parameters than the client's; and no parameter is to blame.
		b.problem(rec, Problem{Status: http.StatusBadRequest, Title: "malformed query string", Detail: "the query string does not parse: " + truncate(err.Error()), Field: "query"})
	} else if !cleanPath(r.URL.Path) {
		// ServeMux would answer a redirect to the cleaned path, in HTML;
		// an API names no resource that way.
		b.problem(rec, Problem{Status: http.StatusNotFound, Title: "not found", Detail: "the path is not in canonical form (an empty, '.' or '..' segment); the API is described at GET /openapi.yaml"})
	} else if r.Method == http.MethodConnect {
		// A CONNECT that names a path ("CONNECT /chain/head") is
		// answered as any other method the path does not take: 405
		// with the path's own Allow, or 404 for a path the API does
		// not have. (ServeMux routes a CONNECT by other rules than
		// other methods; noRoute asks it about the path's methods.)
		b.noRoute(rec, r)
	} else {
		b.mux.ServeHTTP(rec, r)
	}
	v, ok := b.requests.Load(rec.status)
	if !ok { // the first answer with this status
		v, _ = b.requests.LoadOrStore(rec.status, new(atomic.Uint64))
	}
	v.(*atomic.Uint64).Add(1)
}

// cleanPath reports whether p is a path ServeMux serves as it is, without
// redirecting to a cleaned one: no empty, "." or ".." segment.
func cleanPath(p string) bool {
	if p == "" || p == "/" {
		return true
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") {
		c += "/"
	}
	return c == p
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the real writer (to flush a
// stream of events).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Run follows the audit stream, so that GET /transactions/{id} can say
// which transactions were dropped and why, until ctx is done.
//
// It also returns, as soon as it happens, the ledger index's failure
// (the error names the file): one that cannot be written or read, a
// log that cannot be read when the index catches up or is built again,
// or a log that lost blocks of the chain the index holds
// (ErrLogLostBlocks). (An index of another chain is built again from the
// log; see SetReady.)
func (b *Bank) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var storeFailed <-chan struct{} // a file index that broke under a read (nil: never)
	if b.file != nil {
		storeFailed = b.file.failedCh()
	}
	go func() { // ends with Run: cancel is deferred
		select {
		case <-b.index.failed:
			cancel()
		case <-storeFailed:
			cancel()
		case <-b.damagedCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	caughtUp := make(chan struct{})
	go func() { // ends with Run, which waits for it: the index must not be read once closed
		defer close(caughtUp)
		b.catchUpWhileBehind(ctx)
	}()
	err := b.follow(ctx)
	cancel()
	<-caughtUp
	if ierr := b.IndexErr(); ierr != nil {
		return fmt.Errorf("bank: %w", ierr)
	}
	if b.file != nil {
		if serr := b.file.failure(); serr != nil {
			return fmt.Errorf("bank: %w", serr)
		}
	}
	if d := b.damaged.Load(); d != nil {
		return fmt.Errorf("bank: the event log is damaged: %w", *d)
	}
	return err
}

// logDamaged answers a request whose append or read the log refused
// because its storage is damaged (eventlog.ErrCorrupt): no retry mends
// that, so the answer is a 500 that says so, not a 503 that asks to try
// again, and the bank stops (Run returns), so that the app exits and
// its operator learns. nil for any other error.
func (b *Bank) logDamaged(err error) *Problem {
	if !errors.Is(err, eventlog.ErrCorrupt) {
		return nil
	}
	if b.damaged.CompareAndSwap(nil, &err) {
		b.logger.Error("the event log is damaged: the bank stops", "err", err)
		close(b.damagedCh)
	}
	return &Problem{Status: http.StatusInternalServerError, Title: "event log damaged",
		Detail: "the event log's storage is damaged: the bank takes no transaction until it is restored; this one may not have been recorded"}
}

// follow is Run's reading of the audit stream, from its start: the
// drops it tells of are recorded in the ledger index. Until it has read
// the stream as far as it went when follow began (b.auditRead), a
// transaction the bank cannot place may be one the stream says was
// dropped, and GET /transactions/{id} answers 503, not 404: a client
// takes "unknown" for a transfer that was never taken, and signs again.
//
// An audit stream deleted for good (an EventStoreDB tombstone, which
// anyone who can write to the log can set) holds no more drops, nor will
// it: follow logs it, takes the stream as read, and waits for ctx, so
// that the bank goes on serving — a transaction dropped then is
// answered 404, as with no auditor — rather than stop, and be refused
// at every start.
func (b *Bank) follow(ctx context.Context) error {
	sub, err := b.log.Subscribe(ctx, node.StreamAudit, eventlog.Start)
	if err != nil {
		return b.auditFailed(ctx, err)
	}
	defer sub.Close()
	last, err := b.log.Read(ctx, node.StreamAudit, eventlog.End, eventlog.Backwards, 1)
	switch {
	case errors.Is(err, eventlog.ErrStreamNotFound) || (err == nil && len(last) == 0):
		b.markAuditRead() // nothing to read
	case err != nil:
		return b.auditFailed(ctx, err)
	}
	for {
		r, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return b.auditFailed(ctx, err)
		}
		if err := b.foldAudit(ctx, r); err != nil {
			return err
		}
		if len(last) > 0 && r.Revision >= last[0].Revision {
			b.markAuditRead()
		}
	}
}

// auditFailed returns follow's error for err, a failure to read the
// audit stream; or, if the stream is deleted for good, logs that the
// bank learns of no more drops, takes the stream as read, and waits for
// ctx to end.
func (b *Bank) auditFailed(ctx context.Context, err error) error {
	if !errors.Is(err, eventlog.ErrStreamDeleted) {
		return fmt.Errorf("bank: follow audit: %w", err)
	}
	b.logger.Error("the audit stream is deleted: the bank learns of no drops from now on, and answers 404 for a transaction dropped since; it serves on", "stream", node.StreamAudit, "err", err)
	b.markAuditRead()
	<-ctx.Done()
	return ctx.Err()
}

// foldAudit records what the audit event r says, if it says a
// transaction was dropped that the ledger index does not place in a
// block. An event that does not decode is logged and skipped.
func (b *Bank) foldAudit(ctx context.Context, r eventlog.Recorded) error {
	p, err := events.Decode(r.Event)
	if err != nil {
		b.logger.Warn("skipped audit event", "revision", uint64(r.Revision), "type", clip.Text(r.Type, shownType), "err", err)
		return nil
	}
	d, ok := p.(events.TransactionDropped)
	if !ok {
		return nil
	}
	if _, included, _ := b.index.store.tx(d.TxID); included {
		return nil
	}
	if err := b.putDropped(ctx, d); err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.accepted, d.TxID)
	b.mu.Unlock()
	return nil
}

// markAuditRead closes b.auditRead, once.
func (b *Bank) markAuditRead() { b.auditReadOnce.Do(func() { close(b.auditRead) }) }

// AuditRead returns a channel closed once Run has read the audit stream
// as far as it went when Run began. Until then, a transaction the bank
// cannot place may be one the stream says was dropped, and
// GET /transactions/{id} answers 503 for it, not 404 "unknown".
func (b *Bank) AuditRead() <-chan struct{} { return b.auditRead }

// auditUnread answers a question about the transaction id, which the
// bank cannot place, while Run has not yet read the audit stream that
// may say it was dropped: 503 with Retry-After. It reports whether it
// answered.
func (b *Bank) auditUnread(w http.ResponseWriter, id uuid.UUID) bool {
	select {
	case <-b.auditRead:
		return false
	default:
	}
	b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "audit stream not yet read",
		Detail: fmt.Sprintf("the bank is reading the audit stream, which may say that %s was dropped: ask again later", id)})
	return true
}

// droppedRetry is how long the bank waits before it tries again to record
// a dropped transaction its index's file refused to write for now
// (Bank.droppedRetry, which tests shorten).
const droppedRetry = time.Second

// catchUpWhileBehind tries every b.droppedRetry, until ctx ends, to
// catch the ledger index up from the log while it is behind (its file
// took no writes): the next block would, but on a chain where none
// comes the index would stay behind for ever, and every transaction it
// cannot place be answered 503 (see errIndexBehind).
func (b *Bank) catchUpWhileBehind(ctx context.Context) {
	t := time.NewTicker(b.droppedRetry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b.mu.Lock()
		if height, caughtUp := b.index.retryBehind(); caughtUp {
			b.dropOutbid(height)
		}
		failed := b.index.err != nil
		b.mu.Unlock()
		if failed {
			return
		}
	}
}

// shownType is the most of an event's type a log line or an error shows:
// whoever can append to the log chooses the type, up to the size of an
// append.
const shownType = 64

// putDropped records d in the ledger index. A file that takes no writes
// for now (a full disk: see writeRefused) is tried again every
// b.droppedRetry until it does, or ctx ends: the audit stream waits, and
// nothing it says is skipped.
func (b *Bank) putDropped(ctx context.Context, d events.TransactionDropped) error {
	for warned := false; ; warned = true {
		err := b.index.store.putDropped(d)
		if err == nil || !writeRefused(err) {
			if err != nil {
				return fmt.Errorf("bank: %s: record a dropped transaction: %w", b.index.describe(), err)
			}
			if warned {
				b.logger.Info("ledger index recorded the dropped transaction", "tx", d.TxID)
			}
			return nil
		}
		if !warned {
			b.logger.Warn("ledger index takes no writes now: the dropped transaction waits to be recorded", "tx", d.TxID, "err", err)
		}
		t := time.NewTimer(b.droppedRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Problem is an RFC 9457 problem detail, the body of every error answer.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"` // the request field at fault
	Rule   string `json:"rule,omitempty"`  // the blockchain rule broken
}

func (b *Bank) problem(w http.ResponseWriter, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", b.retryAfter)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// TransactionStatus is the answer of POST /transactions and GET
// /transactions/{id}.
type TransactionStatus struct {
	ID        uuid.UUID        `json:"id"`
	Hash      *blockchain.Hash `json:"hash,omitempty"`
	Status    Status           `json:"status"`
	BlockHash *blockchain.Hash `json:"blockHash,omitempty"`
	Height    *uint64          `json:"height,omitempty"`
	Reason    string           `json:"reason,omitempty"`
	Rule      string           `json:"rule,omitempty"` // for a dropped transaction, the rule that made it invalid, if one did
}

func (b *Bank) postTransaction(w http.ResponseWriter, r *http.Request) {
	if detail := unsupportedMedia(r.Header); detail != "" {
		// Which codings the bank reads (RFC 9110 §15.5.16): none but
		// identity.
		w.Header().Set("Accept-Encoding", "identity")
		b.problem(w, Problem{Status: http.StatusUnsupportedMediaType, Title: "unsupported media type", Detail: detail})
		return
	}
	if len(r.Header.Values("Idempotency-Key")) > 1 {
		// The bank does not guess which of two keys the client meant.
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid Idempotency-Key", Detail: "given more than once: send one", Field: "Idempotency-Key"})
		return
	}
	if r.ContentLength > b.maxBody {
		// Refused before a byte of it is read: a client that sent
		// "Expect: 100-continue" then gets no 100, and so sends no body,
		// and reads the 413. Reading part of it first would make net/http
		// close the connection on the body still arriving, and the
		// client could see a reset instead of the answer.
		b.problem(w, Problem{Status: http.StatusRequestEntityTooLarge, Title: "request too large", Detail: fmt.Sprintf("at most %d bytes", b.maxBody)})
		return
	}
	body, err := readBody(w, r, b.maxBody)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		b.problem(w, Problem{Status: http.StatusRequestEntityTooLarge, Title: "request too large", Detail: fmt.Sprintf("at most %d bytes", tooBig.Limit)})
		return
	case err != nil:
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "unreadable request", Detail: err.Error()})
		return
	}
	tx, field, err := decodeRequest(body)
	if err != nil {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "malformed transaction", Detail: err.Error(), Field: field})
		return
	}

	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		// The transaction's ID derives from what it signs, so a client
		// that posts the same signed transaction again gets the same
		// answer: a retry by content.
		ctx, cancel := context.WithTimeout(r.Context(), time.Duration(b.submitTimeout.Load()))
		defer cancel()
		if p := b.submit(ctx, events.TransactionSubmitted{Tx: tx}); p != nil {
			b.refuse(w, tx, *p)
			return
		}
		b.answerAccepted(w, tx)
		return
	}
	if len(key) > 255 {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid Idempotency-Key", Detail: "at most 255 bytes", Field: "Idempotency-Key"})
		return
	}
	// The request's digest is the transaction's hash, which covers every
	// field and the signature but not how the JSON was spaced: a client
	// that cannot resend the same bytes sends the same transaction.
	digest := tx.Hash()
	// Banks before this one recorded SHA-256 of the body: a retry of a
	// request they reserved is still the same request.
	sameRequest := func(d blockchain.Hash) bool { return d == digest || d == sha256.Sum256(body) }
	id := uuid.NewSHA1(idempotencyNamespace, []byte(key))
	// Requests with the same key and body wait for one flight and share
	// its answer. One with another body flies on its own: the log lets
	// one of them reserve the key, and the other finds the reservation.
	v, _, _ := b.flights.Do(id.String()+digest.String(), func() (any, error) {
		// Detached from the request's context: the requests that wait
		// on this flight share its answer, and one client hanging up
		// must not fail the others.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), time.Duration(b.submitTimeout.Load()))
		defer cancel()
		return b.keyed(ctx, id, digest, sameRequest, tx), nil
	})
	ans := v.(keyedAnswer)
	switch {
	case ans.problem != nil:
		b.refuse(w, tx, *ans.problem)
	case !sameRequest(ans.first.RequestDigest):
		b.problem(w, Problem{Status: http.StatusUnprocessableEntity, Title: "Idempotency-Key reused", Detail: "this key was used with another transaction", Field: "Idempotency-Key"})
	default:
		b.answerAccepted(w, ans.first.Tx)
	}
}

// keyedAnswer is what keyed found or did for an Idempotency-Key: the
// first request the log holds for it, or a problem.
type keyedAnswer struct {
	first   events.TransactionSubmitted
	problem *Problem
}

// requestStream names the stream that reserves the Idempotency-Key
// whose name-based UUID is id. Its first event is the
// TransactionSubmitted of the first request with the key, under the
// event ID reservationID gives it; it is appended with expected revision
// NoStream, which EventStoreDB guarantees is idempotent and exclusive:
// of two banks, or two tries, reserving the same key, one writes and the
// other is told the stream exists.
func requestStream(id uuid.UUID) string { return "request-" + id.String() }

// reservationTag is the domain tag of reservationID's hash: no other hash
// in eventchain begins with it, so no other ID can come out equal.
const reservationTag = "eventchain/bank/reservation\x00"

// reservationID returns the event ID under which a bank reserves the
// Idempotency-Key whose name-based UUID is key for the TransactionSubmitted
// whose own event ID is eventID: the first 16 bytes of
//
//	SHA-256(reservationTag ‖ key ‖ eventID)
//
// made a version-8 UUID, as transaction IDs are (blockchain.NewTransaction).
//
// The same event goes on to the transactions stream under eventID, the
// ID the miners, the auditor and the pools know it by. Written to two
// streams under one ID, it would be a repeated write to EventStoreDB,
// whose cache of event IDs remembers where an ID was first written: a
// retry of the second append with Any would not be recognised, however
// soon it came, and each repeated write costs the cache for good (about
// 52 bytes a keyed transfer, until the node restarts). So the
// reservation has an ID of its own, derived from what it reserves:
//
//   - from eventID, which covers the transaction's hash and the request's
//     digest, so that a retry of the reservation is the same event
//     (NoStream recognises it) and another request with the key is not
//     (the transaction's ID alone would not do: another signature of the
//     same transfer has it, and would pass for the first request);
//   - from key, so that one transaction reserving two keys writes two IDs,
//     one per request stream.
//
// A version-8 UUID is never the ID of an event Encode makes (those are
// version 5), so the reservation can take no other event's place. Banks
// before this one reserved keys under eventID itself; readRequest reads
// both. (A bank from before cannot read a reservation made by this one:
// upgrade every bank of a log before any takes keyed requests again.)
func reservationID(key, eventID uuid.UUID) uuid.UUID {
	sum := sha256.Sum256(slices.Concat([]byte(reservationTag), key[:], eventID[:]))
	id := uuid.UUID(sum[:16])
	id[6] = id[6]&0x0f | 0x80 // version 8: "custom", RFC 9562 §5.8
	id[8] = id[8]&0x3f | 0x80 // the RFC's variant
	return id
}

// keyed serves a request with an Idempotency-Key, the one request for its
// key and body in flight. The answer is always what the log holds for the key:
//
//  1. Read the key's request stream. If it holds a request, that is the
//     answer (the caller compares digests); make sure its transaction
//     reached the transactions stream (a bank that stopped between the
//     two appends did not get that far), unless the node already knows
//     its fate. If it no longer applies there (a block took its nonce
//     meanwhile), the answer is the rule it breaks.
//  2. Otherwise check the transaction, and reserve the key by appending
//     its TransactionSubmitted to the request stream with NoStream,
//     under the ID reservationID derives from the event's own. If
//     the stream exists after all (an earlier try whose answer was lost,
//     or another request with the key, which may also be why the check
//     failed: its transaction took this one's nonce), go to 1.
//  3. Append the same TransactionSubmitted, under its own ID, to the
//     transactions stream for the miners.
//
// Every step may be repeated: a retry after any failure finds the log's
// answer in step 1. So a retry after a restart gets the first
// transaction, pending or mined, and another body gets 422.
//
// A transaction refused in step 2's check reserves nothing, and the key
// may carry a corrected one. One refused in step 3 (another transfer
// from its account took its nonce after the check) has reserved the
// key: its retries get that refusal, another body 422, as the OpenAPI
// document says — but a 503 while no block has used the nonce (see
// undecided): a bank cannot tell that refusal from a retry on another
// bank whose pool took another transfer with the nonce, while the key's
// bank took this one. Releasing the key would take an event of its own in
// the request stream, and every reader to honour it.
func (b *Bank) keyed(ctx context.Context, id uuid.UUID, digest blockchain.Hash, sameRequest func(blockchain.Hash) bool, tx blockchain.Transaction) keyedAnswer {
	for range 2 { // a second turn only after another request reserved the key
		first, found, err := b.readRequest(ctx, id)
		if err != nil {
			return b.unavailable("read request", err)
		}
		if found {
			if sameRequest(first.RequestDigest) && !b.settled(first.Tx) {
				// Not pending or included (perhaps dropped, which a
				// forger can bring about: see settled): the log failed
				// between the two appends (503 again if it still
				// does), or the reserved transaction no longer applies
				// (its nonce taken meanwhile, say), which the client
				// is told as it would have been at first.
				if p := b.submit(ctx, first); p != nil {
					return b.refusedAgain(first, p)
				}
			}
			return keyedAnswer{first: first}
		}
		s := events.TransactionSubmitted{Tx: tx, RequestDigest: digest}
		if b.holds(tx) || b.droppedAndRefused(tx) {
			// Pending or included already, these very bytes, or dropped
			// and refused still: the answer is its status, and the key
			// reserves nothing. Reserving it would write a request stream
			// per key for a transaction anyone can copy out of a block: a
			// log grown without end.
			return keyedAnswer{first: s}
		}
		if p := b.check(tx); p != nil {
			// Another request with the key may have reserved it since
			// it was read, its transaction taking this one's nonce: the
			// key's answer is then that request, not this refusal.
			if _, found, err := b.readRequest(ctx, id); err == nil && found {
				continue
			}
			return keyedAnswer{problem: p}
		}
		e, err := events.Encode(s)
		if err != nil {
			return b.unavailable("encode request", err)
		}
		e.ID = reservationID(id, e.ID)
		failed := b.appendFailed.Load()
		_, err = b.log.Append(ctx, requestStream(id), eventlog.NoStream, e)
		if errors.Is(err, eventlog.ErrWrongExpectedRevision) {
			continue // reserved by an earlier try: its request is the answer
		}
		b.noteAppend(failed, err)
		if err != nil {
			return b.unavailable("reserve key", err)
		}
		if p := b.submit(ctx, s); p != nil {
			return keyedAnswer{problem: p}
		}
		return keyedAnswer{first: s}
	}
	return b.unavailable("reserve key", errors.New("the request stream exists but holds no request"))
}

// readRequest returns the first event of id's request stream, if any:
// under its reservation ID (see reservationID), or, reserved by an older
// bank, under its own.
func (b *Bank) readRequest(ctx context.Context, id uuid.UUID) (events.TransactionSubmitted, bool, error) {
	recs, err := b.log.Read(ctx, requestStream(id), eventlog.Start, eventlog.Forwards, 1)
	if errors.Is(err, eventlog.ErrStreamNotFound) || (err == nil && len(recs) == 0) {
		return events.TransactionSubmitted{}, false, nil
	}
	if err != nil {
		return events.TransactionSubmitted{}, false, err
	}
	p, err := events.DecodeDerived(recs[0].Event, func(eventID uuid.UUID) uuid.UUID { return reservationID(id, eventID) })
	if errors.Is(err, events.ErrIDMismatch) {
		p, err = events.Decode(recs[0].Event) // reserved by an older bank
	}
	if err != nil {
		return events.TransactionSubmitted{}, false, err
	}
	s, ok := p.(events.TransactionSubmitted)
	if !ok {
		return events.TransactionSubmitted{}, false, fmt.Errorf("request stream of %s holds %s", id, clip.Text(recs[0].Type, shownType))
	}
	return s, true, nil
}

// holds reports whether tx, these very bytes, is pending in the bank's
// node or included in its chain.
func (b *Bank) holds(tx blockchain.Transaction) bool {
	st := b.status(tx.ID())
	return (st.Status == StatusPending || st.Status == StatusIncluded) && st.Hash != nil && *st.Hash == tx.Hash()
}

// settled reports whether tx's ID has a fate no later submission
// changes: pending or included (the same transfer, or another signature
// of it). A drop is not such a fate. The ID derives from public fields,
// so anyone who can write to the log can drop a transfer before its owner
// signs it (a forged TransactionDropped, or a copy with a forged
// signature for the auditor to drop); and a transfer truly dropped may
// apply again (its sender paid again). So a transaction whose ID was
// dropped goes to the pool as a new one: refused, it is answered with its
// drop (a retry of the dropped transaction); taken, it is appended, and
// mined (see submit).
func (b *Bank) settled(tx blockchain.Transaction) bool {
	st := b.status(tx.ID()).Status
	return st == StatusPending || st == StatusIncluded
}

// droppedAndRefused reports whether tx's ID was dropped and the chain
// refuses tx now for a rule of its state (a nonce used, funds short): a
// retry of a dropped transaction, answered with its drop; nothing to
// append, and no Idempotency-Key to reserve for it. A transaction that
// breaks a rule of its own (a forged signature: a copy, not the dropped
// transaction) or that a full pool cannot take now is not: the answer is
// that refusal.
func (b *Bank) droppedAndRefused(tx blockchain.Transaction) bool {
	if b.status(tx.ID()).Status != StatusDropped || blockchain.CheckTransactionSanity(tx) != nil {
		return false
	}
	var re *blockchain.RuleError
	return errors.As(b.node.Pool().Check(tx), &re)
}

// check returns the problem that refuses tx, or nil if the bank may take
// it: sameTransaction for a settled one, and the pool's checks for the
// rest; one dropped that the pool refuses (a retry of it) gets
// sameTransaction too.
func (b *Bank) check(tx blockchain.Transaction) *Problem {
	if b.settled(tx) {
		return b.sameTransaction(tx)
	}
	if p := b.refusal(b.node.Pool().Check(tx)); p != nil {
		return b.refusedFate(tx, p) // a retry of what was dropped, or a copy, or one a block may hold
	}
	return nil
}

// refusedAgain is keyed's answer when first, the request that reserved
// a key, was submitted again and refused (p). A refusal for a nonce no
// block has used is undecided. One for a used nonce was decided on the
// chain as it was a moment ago: a block may have taken the very
// transaction since, which the client must not hear as refused, so its
// fate is looked up again: pending or included, the key's first answer;
// not known while the ledger index has yet to index the blocks the node
// applied, a 503 (as refusedFate answers); else the refusal.
//
// One lookup decides both. Two (settled, then whether the index is
// behind) would let the index catch up between them: the first would
// not place the transfer, and the second, which asked only whether the
// index was still behind, would drop the inclusion it found and answer
// the refusal.
func (b *Bank) refusedAgain(first events.TransactionSubmitted, p *Problem) keyedAnswer {
	if q := b.undecided(first.Tx, p); q != p {
		return keyedAnswer{problem: q}
	}
	st, err := b.lookup(first.Tx.ID())
	switch {
	case st.Status == StatusPending || st.Status == StatusIncluded: // settled
		return keyedAnswer{first: first}
	case p.Rule == blockchain.ErrBadNonce.String() && errors.Is(err, errIndexBehind):
		return keyedAnswer{problem: b.indexBehindProblem(first.Tx.ID())}
	}
	return keyedAnswer{problem: p}
}

// undecided returns p, the refusal of tx, the transaction a key's
// request stream reserved — unless p refuses tx for a nonce no block of
// the chain has used: another transfer of its sender with that nonce is
// pending in this bank's pool (one another bank took, while the key's
// bank took tx), or this bank has not yet read the transfers before it.
// Which transfer a block takes is not decided then, and tx, which the
// key's first answer may have accepted, can be the one: a 400 would
// tell the client that its transfer is refused, and it would sign
// another and pay twice. The answer is a 503 instead, which asks it to
// post again once a block has decided: then it gets tx's fate, or the
// refusal, the nonce used by another. Meanwhile this bank's status of tx
// may well be 404 (its pool holds the other transaction, and refused tx
// as it read it from the log): the detail says so, rather than send the
// client to a lookup that reads as "never taken". It names no rule, so that a
// client does not take it for a refused nonce (bankclient's errors.Is
// with blockchain.ErrBadNonce) and sign again.
func (b *Bank) undecided(tx blockchain.Transaction, p *Problem) *Problem {
	if p.Rule != blockchain.ErrBadNonce.String() || b.node.Chain().Account(tx.From()).Nonce > tx.Nonce() {
		return p
	}
	return &Problem{Status: http.StatusServiceUnavailable, Title: "transaction undecided", Field: "nonce",
		Detail: fmt.Sprintf("the transaction this Idempotency-Key reserved is not yet decided: no block has used nonce %d of %s, and another transaction pending here has it, or ones before it are not yet read here; post again later with the same key (GET /transactions/%s may answer 404 here meanwhile, for this bank's pool holds the other: that is not a refusal)", tx.Nonce(), tx.From(), tx.ID())}
}

// refusedFate returns the answer to tx, which the pool refused with p:
// p itself for a full pool, which is no rule of tx's. For a rule, tx's
// fate is looked up: a transaction whose ID the bank knows (pending,
// included or dropped: a retry of it, or a copy) is answered as that one
// (sameTransaction). A transaction refused for a nonce its sender used,
// while the ledger index is too far behind the chain to say whether a
// block includes tx itself (see errIndexBehind), gets a 503: a client
// retrying a transfer the bank took, and a block included, would take
// "bad-nonce" for a transfer never recorded, and sign it again with the
// next nonce. Otherwise the answer is p.
//
// One lookup decides all three. Two (whether the fate is known, then
// whether the index is behind) would let the index catch up between
// them: the first would not place tx, and the second would drop the
// inclusion it found and answer bad-nonce.
func (b *Bank) refusedFate(tx blockchain.Transaction, p *Problem) *Problem {
	if p.Rule == "" {
		return p
	}
	st, err := b.lookup(tx.ID())
	switch {
	case st.Status != StatusUnknown:
		return b.sameTransaction(tx)
	case p.Rule == blockchain.ErrBadNonce.String() && errors.Is(err, errIndexBehind) &&
		b.node.Chain().Account(tx.From()).Nonce > tx.Nonce():
		return b.indexBehindProblem(tx.ID())
	}
	return p
}

// sameTransaction returns nil if tx, whose ID the bank knows (pending,
// included or dropped), is that transaction: the very same bytes, or the
// same transfer signed anew, which keeps the sanity rules. Otherwise it
// returns the rule tx breaks. A transaction's ID derives from what is
// signed, not from the signature, so a forged signature on a known
// transfer has its ID: without this check it would be answered as the
// genuine one.
func (b *Bank) sameTransaction(tx blockchain.Transaction) *Problem {
	if st := b.status(tx.ID()); st.Hash != nil && *st.Hash == tx.Hash() {
		return nil
	}
	return b.refusal(blockchain.CheckTransactionSanity(tx))
}

// unavailable is the answer when the log failed, after logging why.
func (b *Bank) unavailable(what string, err error) keyedAnswer {
	if p := b.logDamaged(err); p != nil {
		return keyedAnswer{problem: p}
	}
	b.logger.Warn("keyed submit failed", "step", what, "err", err)
	return keyedAnswer{problem: &Problem{Status: http.StatusServiceUnavailable, Title: "event log unavailable", Detail: "the event log did not confirm the request: it may or may not be recorded; post it again later with the same Idempotency-Key (it stays one request), or ask GET /transactions/{id}, where a 404 may mean only that the bank has not read it back from the log yet"}}
}

// refusal turns a refusal of the rules or the pool into a problem; nil
// for nil and for errors that are not refusals (the log's, say).
func (b *Bank) refusal(err error) *Problem {
	var re *blockchain.RuleError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return &Problem{Status: http.StatusBadRequest, Title: "invalid transaction", Detail: truncateDetail(re.Error()), Field: fieldOf(re.Code), Rule: re.Code.String()}
	case errors.Is(err, pool.ErrFull):
		return &Problem{Status: http.StatusServiceUnavailable, Title: "too many pending transactions", Detail: "the pool is full; try again later"}
	case errors.Is(err, pool.ErrSenderFull):
		return &Problem{Status: http.StatusServiceUnavailable, Title: "too many pending transactions", Field: "from",
			Detail: fmt.Sprintf("the sender has %d transactions pending, the most the pool holds for one sender; post again once a block has included some", b.node.Pool().Policy().MaxPerSender)}
	}
	return nil
}

// submit hands s to the node, which checks s.Tx against its pool and
// appends s to the transactions stream, and returns the problem to
// answer if either fails; nil once it is accepted. A transaction the
// bank holds (pending or included) is accepted again without a second
// append, if it is the same (sameTransaction): posting the same signed
// transaction twice is one transaction. One dropped goes to the node as
// any new one (see settled): if the pool refuses it, a retry of the dropped
// transaction is answered with its drop; if the pool takes it, it is
// appended, and mined as any other.
func (b *Bank) submit(ctx context.Context, s events.TransactionSubmitted) *Problem {
	switch b.status(s.Tx.ID()).Status { // once: it reads the ledger index, on every post
	case StatusPending, StatusIncluded: // settled
		return b.sameTransaction(s.Tx)
	case StatusDropped:
		// The log may hold these very bytes from before their drop, and
		// would take a plain append as a retry of that event and keep
		// nothing: the miners, which dropped the transaction, would never
		// see it again. Appended under an event ID of its own — its
		// digest salted with the tip it was taken at, so two banks at one
		// tip still write one event — it reaches them.
		salt := b.node.Chain().TipHash()
		s.RequestDigest = blockchain.Hash(sha256.Sum256(saltedDigest(s, salt)))
	}
	failed := b.appendFailed.Load()
	err := b.node.Submit(ctx, s)
	if errors.Is(err, pool.ErrDuplicate) {
		return b.sameTransaction(s.Tx) // pending already: the same transaction submitted again, unless forged
	}
	if p := b.refusal(err); p != nil {
		return b.refusedFate(s.Tx, p) // included or dropped while we checked; a full pool is a 503 still
	}
	if errors.Is(err, node.ErrLogWentBack) {
		b.logger.Error("the event log lost events the bank had read: it no longer holds this chain", "err", err)
		return &Problem{Status: http.StatusServiceUnavailable, Title: "event log lost events", Detail: "the event log no longer holds the events the bank read (wiped, or restored from an older backup): the bank appends nothing more to it (the transaction that found this out may be written there, where a chain begun again could include it), answers for no transaction on it, and stops once its node notices"}
	}
	b.noteAppend(failed, err)
	if p := b.logDamaged(err); p != nil {
		return p
	}
	if err != nil {
		b.logger.Warn("submit failed", "err", err)
		return &Problem{Status: http.StatusServiceUnavailable, Title: "event log unavailable", Detail: "the event log did not confirm the transaction: it may or may not be recorded; post the same signed transaction again later (it stays one transaction), or ask GET /transactions/{id}, where a 404 may mean only that the bank has not read it back from the log yet"}
	}
	// Under b.mu, with which observe indexes each block and takes its
	// transactions out of accepted: a block that includes the transaction
	// between the check and the add would leave it accepted for ever.
	b.mu.Lock()
	if _, included := b.included(s.Tx.ID()); !included {
		b.accepted[s.Tx.ID()] = s.Tx
		b.forgetAccepted()
	}
	b.mu.Unlock()
	return nil
}

// forgetAccepted bounds accepted, whose entries normally go when their
// transaction is included or dropped: one the pool let go of without a
// drop in the audit stream (no auditor running, say) would otherwise
// stay forever. Once accepted outgrows the larger of the pool's capacity
// and 1 000, it keeps only what the pool still holds. Call it with b.mu
// held.
func (b *Bank) forgetAccepted() {
	limit := max(b.node.Pool().Policy().Capacity, 1000)
	if len(b.accepted) <= limit {
		return
	}
	p := b.node.Pool()
	for id := range b.accepted {
		if !p.Has(id) {
			delete(b.accepted, id)
		}
	}
}

// unsupportedMedia says why a request body's media type or coding is not
// one the bank reads, or returns "" if it is: JSON in UTF-8 (the charset
// parameter may say so, or be left out), not compressed.
func unsupportedMedia(h http.Header) string {
	if len(h.Values("Content-Type")) > 1 {
		return "send one Content-Type, application/json"
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case err != nil && strings.Contains(err.Error(), "duplicate parameter"):
		return "send one charset parameter, utf-8, or none"
	case err != nil || mt != "application/json":
		return "send the transaction as application/json"
	case params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8"):
		return "send the transaction in UTF-8"
	}
	for _, field := range h.Values("Content-Encoding") {
		for coding := range strings.SplitSeq(field, ",") {
			// Empty list elements do not count (RFC 9110 §5.6.1).
			if c := strings.TrimSpace(coding); c != "" && !strings.EqualFold(c, "identity") {
				return "send the transaction without a Content-Encoding"
			}
		}
	}
	return ""
}

// answerAccepted answers 202 with the status of tx. The hash is that of
// the transaction the bank recorded with tx's ID: the same transfer
// signed anew (ed25519 lets a key make many signatures of one message)
// has the same ID and another hash, and the client is told which one
// the chain holds or will.
func (b *Bank) answerAccepted(w http.ResponseWriter, tx blockchain.Transaction) {
	st, err := b.lookup(tx.ID())
	if st.Status == StatusDropped && errors.Is(err, errIndexBehind) {
		// Dropped as far as the index has read, and not taken again (its
		// nonce is used): a block the index is behind may include it.
		b.indexBehind(w, tx.ID())
		return
	}
	if st.Status == StatusUnknown {
		st.Status = StatusPending
	}
	if st.Hash == nil {
		h := tx.Hash()
		st.Hash = &h
	}
	st.ID = tx.ID()
	writeJSON(w, http.StatusAccepted, st)
}

// requestFields are the fields of a POST /transactions body: a signed
// transaction in blockchain.Transaction's JSON form. The first eight are
// required, in the order a missing one is reported; "id" and "hash" may
// be sent, and must then be the transaction's own.
var requestFields = [...]string{"chainId", "from", "to", "amount", "fee", "nonce", "publicKey", "signature", "id", "hash"}

// requiredFields is how many of requestFields a request must hold.
const requiredFields = 8

// decodeRequest decodes a POST /transactions body strictly and totally: it
// returns a transaction, or an error that says what is wrong and, where a
// field is at fault, its name — never a repaired guess. The body must be
// one JSON object holding exactly the fields of a signed transaction
// (requestFields), each once, with nothing after it but white space.
//
// The reading is done token by token by jsontext (as in package events),
// because encoding/json would accept, and silently change, what a client
// could not have meant:
//
//   - a repeated field: encoding/json keeps the last one;
//   - invalid UTF-8, or an escaped lone surrogate ("\ud800"): encoding/json
//     replaces it with U+FFFD;
//   - a field name that differs only in case ("From"): encoding/json
//     matches it anyway;
//   - null: encoding/json leaves the zero value.
//
// Amount, fee and nonce must be JSON integers within their range: not a
// string, a fraction, an exponent (1e3) or null. Addresses must be
// checksummed ("ec…"), the key and signature lower-case hex. An "id" or
// "hash" that is not the transaction's is refused (a client that
// computed it wrongly would otherwise track another transaction). Whether
// the values make a valid transaction (a positive amount, a good
// signature, the next nonce) is for the rules, not for the decoder.
func decodeRequest(body []byte) (blockchain.Transaction, string, error) {
	r := requestReaders.Get().(*requestReader)
	defer r.release()
	// A bytes.Buffer is parsed where it lies, not copied into the
	// decoder's own buffer first.
	r.body = *bytes.NewBuffer(body)
	dec := &r.dec
	dec.Reset(&r.body)
	tok, err := dec.ReadToken()
	if err != nil {
		field, err := syntaxError(err)
		return blockchain.Transaction{}, field, err
	}
	if tok.Kind() != '{' {
		return blockchain.Transaction{}, "", fmt.Errorf("have %s, want a JSON object", kindName(tok.Kind()))
	}
	var f blockchain.TxFields
	var sig [blockchain.SignatureSize]byte
	var id *uuid.UUID
	var hash *blockchain.Hash
	var seen [len(requestFields)]bool
	lastNumber := "" // the field just read, if its value was a number
	for dec.PeekKind() != '}' {
		// jsontext refuses a repeated name here, at the second one.
		tok, err := dec.ReadToken()
		if err != nil {
			var se *jsontext.SyntacticError
			if errors.As(err, &se) && lastNumber != "" && leadingZeroAt(body, se.ByteOffset) {
				// "amount":0125 reads as 0, then a digit where a comma
				// should be: the number's leading zero.
				return blockchain.Transaction{}, lastNumber, fmt.Errorf("%s: a number with a leading zero: want its digits alone", lastNumber)
			}
			field, err := syntaxError(err)
			return blockchain.Transaction{}, field, err
		}
		i := slices.Index(requestFields[:], tok.String())
		if i < 0 {
			name := truncate(tok.String()) // a string of its own, not the decoder's bytes
			return blockchain.Transaction{}, name, fmt.Errorf("unknown field %q: want a signed transaction's chainId, from, to, amount, fee, nonce, publicKey and signature", name)
		}
		// The name is one of requestFields: take it from there, so that the
		// decoder's bytes need not be copied into a string of their own.
		name := requestFields[i]
		value, err := dec.ReadValue()
		if err != nil {
			cutShort := errors.Is(err, io.ErrUnexpectedEOF)
			field, err := syntaxError(err)
			if field == "" && !cutShort {
				// A malformed value ("amount":-, "to":tru) is the field's.
				field, err = name, fmt.Errorf("%s: %w", name, err)
			}
			return blockchain.Transaction{}, field, err
		}
		lastNumber = ""
		if value.Kind() == '0' {
			lastNumber = name
		}
		var text string
		if name != "amount" && name != "fee" && name != "nonce" {
			if text, err = stringField(name, value); err != nil {
				return blockchain.Transaction{}, name, err
			}
		}
		switch name {
		case "chainId":
			f.ChainID = text
		case "from":
			f.From, err = blockchain.ParseAddress(text)
		case "to":
			f.To, err = blockchain.ParseAddress(text)
		case "amount":
			f.Amount, err = intField(name, value)
		case "fee":
			f.Fee, err = intField(name, value)
		case "nonce":
			var n uint64
			n, err = uintField(name, value)
			f.Nonce = n
		case "publicKey":
			f.PublicKey, err = blockchain.ParsePublicKey(text)
		case "signature":
			err = decodeHex(sig[:], text)
		case "id":
			var v uuid.UUID
			v, err = uuid.Parse(text)
			if err == nil && v.String() != text {
				// uuid.Parse also reads urn:uuid:…, {…}, upper case and
				// no dashes; the API writes one form.
				err = fmt.Errorf("have %q, want the form the API writes: 8-4-4-4-12 lower-case hex digits", truncate(text))
			}
			id = &v
		case "hash":
			var v blockchain.Hash
			v, err = blockchain.ParseHash(text)
			if err == nil && v.String() != text {
				err = fmt.Errorf("have %q, want 64 lower-case hex digits", truncate(text))
			}
			hash = &v
		}
		if err != nil {
			return blockchain.Transaction{}, name, fmt.Errorf("%s: %s", name, truncateDetail(strings.TrimPrefix(err.Error(), name+": ")))
		}
		seen[i] = true
	}
	if _, err := dec.ReadToken(); err != nil { // the closing brace
		field, err := syntaxError(err)
		return blockchain.Transaction{}, field, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return blockchain.Transaction{}, "", errors.New("data after the JSON object")
	}
	for i, name := range requestFields[:requiredFields] {
		if !seen[i] {
			return blockchain.Transaction{}, name, fmt.Errorf("%s: missing", name)
		}
	}
	tx := blockchain.NewTransaction(f, sig[:])
	if id != nil && *id != tx.ID() {
		return blockchain.Transaction{}, "id", fmt.Errorf("id: have %s, the transaction's is %s", id, tx.ID())
	}
	if hash != nil && *hash != tx.Hash() {
		return blockchain.Transaction{}, "hash", fmt.Errorf("hash: have %s, the transaction's is %s", hash, tx.Hash())
	}
	return tx, "", nil
}

// A requestReader is what decodeRequest reads a body with. A decoder
// keeps, between uses, the memory it checks repeated names with; reusing
// one (requestReaders) saves allocating it anew for every request.
type requestReader struct {
	body bytes.Buffer
	dec  jsontext.Decoder
}

// requestReaders holds the requestReaders not in use.
var requestReaders = sync.Pool{New: func() any { return new(requestReader) }}

// release returns r to requestReaders. The decoder reads a bytes.Buffer
// where it lies, so r would otherwise hold the body it last read
// (Config.MaxBodyBytes at most) for as long as the pool keeps it:
// emptied first, it keeps only the decoder's own memory.
func (r *requestReader) release() {
	r.body = bytes.Buffer{}
	r.dec.Reset(&r.body) // drops the decoder's hold on the old body
	requestReaders.Put(r)
}

// leadingZeroAt reports whether the syntax error at offset in body is a
// digit right after a number's digit, as in 0125, which JSON reads as 0
// and then a digit where a comma should be. A digit after white space
// (12 3) or after a comma (5,7) is another error.
func leadingZeroAt(body []byte, offset int64) bool {
	isDigit := func(i int64) bool { return 0 <= i && i < int64(len(body)) && '0' <= body[i] && body[i] <= '9' }
	return isDigit(offset) && isDigit(offset-1)
}

// decodeHex fills dst from exactly 2·len(dst) lower-case hex digits.
func decodeHex(dst []byte, s string) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("have %d hex digits, want %d", len(s), 2*len(dst))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("character %d is not a lower-case hex digit", i)
		}
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

// stringField returns the text of a JSON string value.
func stringField(name string, value jsontext.Value) (string, error) {
	if value.Kind() != '"' {
		return "", fmt.Errorf("%s: have %s, want a string", name, kindName(value.Kind()))
	}
	if bytes.IndexByte(value, '\\') < 0 {
		// Without an escape, the string is its quoted text: the decoder
		// has checked that it is valid UTF-8 and holds no control
		// character.
		return string(value[1 : len(value)-1]), nil
	}
	// The decoder has checked the string, so unquoting cannot fail.
	s, err := jsontext.AppendUnquote(nil, value)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return string(s), nil
}

// intField returns the value of a JSON integer within int64: digits
// with an optional minus sign, no fraction and no exponent.
func intField(name string, value jsontext.Value) (int64, error) {
	if err := integerValue(name, value); err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: have %s, want an integer within int64", name, truncate(string(value)))
	}
	return n, nil
}

// uintField returns the value of a JSON integer within uint64.
func uintField(name string, value jsontext.Value) (uint64, error) {
	if err := integerValue(name, value); err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: have %s, want an integer in 0…%d", name, truncate(string(value)), uint64(math.MaxUint64))
	}
	return n, nil
}

// integerValue checks that value is a JSON number without fraction or
// exponent. jsontext has checked the number grammar, so what is left to
// refuse is a fraction or an exponent.
func integerValue(name string, value jsontext.Value) error {
	want := "want an integer"
	if value.Kind() != '0' {
		return fmt.Errorf("%s: have %s, %s", name, kindName(value.Kind()), want)
	}
	if bytes.ContainsAny(value, ".eE") {
		return fmt.Errorf("%s: have %s, %s", name, truncate(string(value)), want)
	}
	if string(value) == "-0" {
		return fmt.Errorf("%s: have -0, %s (0 has no sign)", name, want)
	}
	return nil
}

// syntaxError describes an error of jsontext's decoder and names the field
// it lies within, if any.
func syntaxError(err error) (string, error) {
	var se *jsontext.SyntacticError
	switch {
	case err == io.EOF:
		return "", errors.New("empty body: want a JSON object")
	case !errors.As(err, &se):
		return "", err
	}
	var field string
	for tok := range se.JSONPointer.Tokens() {
		field = truncate(tok) // the first token: the field of the request
		break
	}
	switch {
	case se.Err == jsontext.ErrDuplicateName:
		return field, fmt.Errorf("%s: repeated field", field)
	case errors.Is(se.Err, io.ErrUnexpectedEOF): // a body cut short, not a field at fault
		return "", fmt.Errorf("the JSON ends early, at byte %d", se.ByteOffset)
	case field != "":
		return field, fmt.Errorf("%s: invalid JSON at byte %d: %s", field, se.ByteOffset, truncate(se.Err.Error()))
	}
	return "", fmt.Errorf("invalid JSON at byte %d: %s", se.ByteOffset, truncate(se.Err.Error()))
}

// kindName names a JSON kind, as jsontext.Kind gives it, for an error.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "no JSON value"
}

// maxEcho is the most of a client's text an error message repeats.
const maxEcho = 64

// maxDetail bounds a whole error message in a problem's detail: the
// messages of package blockchain repeat at most maxEcho bytes of what
// they were given, so this cuts nothing but a runaway, and never the
// reason at the end.
const maxDetail = 1024

// truncate shortens s, a piece of a request, to at most maxEcho bytes for
// an error message, cutting at a rune boundary: a request may hold a name,
// or a number, as long as the body.
func truncate(s string) string { return cutAt(s, maxEcho) }

// truncateDetail shortens a whole error message to at most maxDetail
// bytes.
func truncateDetail(s string) string { return cutAt(s, maxDetail) }

// cutAt shortens s to at most n bytes and an ellipsis, cutting at a rune
// boundary.
func cutAt(s string, n int) string { return clip.Text(s, n) }

// fieldOf names the request field a broken rule is about, "" if none.
func fieldOf(code blockchain.ErrorCode) string {
	switch code {
	case blockchain.ErrInvalidAmount, blockchain.ErrInsufficientFunds:
		return "amount"
	case blockchain.ErrInvalidFee:
		return "fee"
	case blockchain.ErrMissingSender, blockchain.ErrSenderNotKey:
		return "from"
	case blockchain.ErrMissingReceiver, blockchain.ErrSelfTransfer:
		return "to"
	case blockchain.ErrBadChainID, blockchain.ErrWrongChain:
		return "chainId"
	case blockchain.ErrBadNonce:
		return "nonce"
	case blockchain.ErrBadSignature:
		return "signature"
	case blockchain.ErrWeakKey:
		return "publicKey"
	}
	return ""
}

// status says what became of the transaction with this ID; Status is
// StatusUnknown if the bank knows nothing of it. Hash is the hash of the
// transaction the bank holds with that ID — the chain's if a block
// included it, whichever signature the bank took first; else its pool's,
// else the one it accepted — and nil if it holds none (one dropped and
// forgotten).
//
// The chain has the last word: an included transaction reads as
// included. Next comes the bank's own pool: a transaction it holds reads
// as pending whatever the audit stream says, since the bank's node checks
// every block itself and drops from its pool what a block makes invalid.
// So a TransactionDropped written into the log by anyone who can write
// there cannot make a valid transaction look failed (a client told
// "dropped" would send again, and pay twice when the first is mined); a
// real one shows as soon as the bank's node sees the block that made the
// transaction invalid, or the pool lets it go.
func (b *Bank) status(id uuid.UUID) TransactionStatus {
	st, _ := b.lookup(id)
	return st
}

// lookup is status, and the first error reading the ledger index, if
// any: then a StatusUnknown is no answer (an included or dropped
// transaction may be one the index could not read), and the API says
// the index failed rather than 404.
func (b *Bank) lookup(id uuid.UUID) (TransactionStatus, error) {
	st := TransactionStatus{ID: id}
	rec, included, indexErr := b.index.store.tx(id)
	if indexErr != nil {
		b.logger.Error("ledger index read failed", "tx", id, "err", indexErr)
	}
	if included {
		// The index holds every block's hash; the chain, after a restore
		// from a snapshot, only those from the snapshot on.
		if ref, ok, err := b.index.store.block(rec.height); err == nil && ok {
			blockHash, height, txHash := ref.hash, rec.height, rec.hash
			st.Status, st.BlockHash, st.Height, st.Hash = StatusIncluded, &blockHash, &height, &txHash
			return st, nil
		} else if err != nil && indexErr == nil {
			indexErr = err
		}
	}
	d, dropped, err := b.index.store.dropped(id)
	if err != nil {
		b.logger.Error("ledger index read failed", "tx", id, "err", err)
		if indexErr == nil {
			indexErr = err
		}
	}
	b.mu.Lock()
	acceptedTx, accepted := b.accepted[id]
	b.mu.Unlock()
	if accepted {
		h := acceptedTx.Hash()
		st.Hash = &h
	}
	pooled, pending := b.node.Pool().Get(id)
	if pending {
		h := pooled.Hash()
		st.Hash = &h
	}
	switch {
	case pending:
		st.Status = StatusPending
	case accepted:
		// Taken after any drop the bank read: a drop deletes the entry,
		// and a transaction dropped and then taken again is pending.
		st.Status = StatusPending
	case dropped:
		// A block the index holds not yet (it is behind: a full disk)
		// may have included it: the chain has the last word.
		included, found, complete := b.inNewBlock(id)
		if found {
			return included, nil
		}
		st.Status, st.Reason = StatusDropped, d.Reason
		if d.Rule != blockchain.ErrUnknown {
			st.Rule = d.Rule.String()
		}
		if !complete && indexErr == nil {
			indexErr = errIndexBehind
		}
	default:
		included, found, complete := b.inNewBlock(id)
		if found {
			return included, nil
		}
		if !complete && indexErr == nil {
			indexErr = errIndexBehind
		}
	}
	return st, indexErr
}

// errIndexBehind is lookup's error for a transaction that is unknown,
// or dropped, as far as the ledger index and the blocks inNewBlock looks
// through say, while the chain holds blocks past those that it did not
// look through (the index is behind by more than maxUnindexed blocks:
// its file took no writes for a while). One of them may include it:
// "unknown" or "dropped" would be a guess, which a client takes for a
// transfer that will never be mined, and signs again.
var errIndexBehind = errors.New("the ledger index is behind the chain: a block it has not recorded may include the transaction")

// maxUnindexed bounds how many blocks past the ledger index inNewBlock
// looks through.
const maxUnindexed = 64

// inNewBlock finds the transaction id in a block the chain holds and the
// ledger index does not yet: the node applies a block, and takes its
// transactions out of the pool, before the bank indexes it (and lets go
// of the ones it accepted), so that for a moment a transaction being
// included was in neither, and answered 404 — which a client waiting for
// it, the wallet say, takes as lost, and sends again. The chain is read
// after the index's newest height, so a block indexed meanwhile is found
// by the index's second look.
//
// It also reports whether it looked through every block the chain holds
// past the index (complete): if not, the index is further behind than
// maxUnindexed blocks, or the chain no longer holds a block past it, and
// a transaction not found may still be in one of those.
func (b *Bank) inNewBlock(id uuid.UUID) (st TransactionStatus, found, complete bool) {
	from := uint64(1)
	if ref, ok, err := b.index.store.last(); err == nil && ok {
		from = ref.height + 1
	}
	chain := b.node.Chain()
	tip := chain.Height()
	complete = tip < from+maxUnindexed
	for h := from; h <= tip && h < from+maxUnindexed; h++ {
		blk, ok := chain.BlockAt(h)
		if !ok {
			complete = false
			continue
		}
		for i := range blk.Len() {
			if tx := blk.Transaction(i); tx.ID() == id {
				blockHash, height, txHash := blk.Hash(), h, tx.Hash()
				return TransactionStatus{ID: id, Status: StatusIncluded, BlockHash: &blockHash, Height: &height, Hash: &txHash}, true, true
			}
		}
	}
	rec, ok, err := b.index.store.tx(id)
	if err != nil || !ok {
		return TransactionStatus{}, false, complete
	}
	ref, ok, err := b.index.store.block(rec.height)
	if err != nil || !ok {
		return TransactionStatus{}, false, complete
	}
	blockHash, height, txHash := ref.hash, rec.height, rec.hash
	return TransactionStatus{ID: id, Status: StatusIncluded, BlockHash: &blockHash, Height: &height, Hash: &txHash}, true, true
}

// parsePathID reads a transaction ID in a path in the one form the API
// writes it, lower-case hex with hyphens, as a POST body's id must be:
// uuid.Parse alone takes a URN, braces, no hyphens and upper case too,
// so one transaction would have five URLs.
func parsePathID(text string) (uuid.UUID, error) {
	id, err := uuid.Parse(text)
	if err != nil {
		return uuid.UUID{}, err
	}
	if id.String() != text {
		return uuid.UUID{}, fmt.Errorf("have %q, want the form the API writes: %s", truncate(text), id)
	}
	return id, nil
}

func (b *Bank) getTransaction(w http.ResponseWriter, r *http.Request) {
	id, err := parsePathID(r.PathValue("id"))
	if err != nil {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid transaction ID", Detail: truncateDetail(err.Error()), Field: "id"})
		return
	}
	st, err := b.lookup(id)
	if errors.Is(err, errIndexBehind) {
		b.indexBehind(w, id)
		return
	}
	if st.Status == StatusUnknown && err != nil {
		b.indexFailed(w, "read the status of "+id.String(), err)
		return
	}
	if st.Status == StatusUnknown {
		if b.auditUnread(w, id) {
			return
		}
		b.problem(w, Problem{Status: http.StatusNotFound, Title: "unknown transaction", Detail: id.String() + ": not in this bank's pool, chain or ledger index: never posted, or posted to a bank that has not read it back from the log yet", Field: "id"})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// BlockSummary is a block as GET /blocks lists it.
type BlockSummary struct {
	Height       uint64          `json:"height"`
	Hash         blockchain.Hash `json:"hash"`
	PrevHash     blockchain.Hash `json:"prevHash"`
	Timestamp    time.Time       `json:"timestamp"`
	Bits         uint32          `json:"bits"`
	Nonce        uint64          `json:"nonce"`
	Transactions *int            `json:"transactions,omitempty"` // as the header counts them
}

const maxBlocksLimit = 100

func (b *Bank) getBlocks(w http.ResponseWriter, r *http.Request) {
	chain := b.node.Chain()
	tip := chain.Height()
	limit, err := queryUint(r, "limit", 20)
	if err != nil || limit < 1 || limit > maxBlocksLimit {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid limit", Detail: withReason(fmt.Sprintf("want 1…%d", maxBlocksLimit), err), Field: "limit"})
		return
	}
	from, err := queryUint(r, "from", tip-min(tip, limit-1))
	if err != nil {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid from", Detail: withReason("want a block height", err), Field: "from"})
		return
	}
	out := []BlockSummary{}
	for h := from; h <= tip && uint64(len(out)) < limit; h++ {
		header, ok := chain.HeaderAt(h)
		if !ok {
			break
		}
		s := BlockSummary{Height: h, Hash: header.Hash(), PrevHash: header.PrevHash, Timestamp: header.Timestamp, Bits: header.Bits, Nonce: header.Nonce}
		n := int(header.TxCount)
		s.Transactions = &n
		out = append(out, s)
	}
	writeJSON(w, http.StatusOK, out)
}

// Bounds of GET /headers' limit parameter.
const (
	defaultHeadersLimit = 100
	maxHeadersLimit     = 1000
)

// getHeaders serves GET /headers?from=H&limit=N: the headers of heights
// from…from+limit−1, oldest first, each in package blockchain's JSON form
// with its seal, so that a light client can check every link and seal
// without downloading a transaction. from defaults to 0 (genesis), limit
// to 100 (at most 1000). Past the tip the list is shorter, and empty when
// from is beyond the tip: a client that has caught up asks for the next
// height and learns that there is nothing yet, which is no error. A bad
// parameter is a 400 problem naming it.
func (b *Bank) getHeaders(w http.ResponseWriter, r *http.Request) {
	limit, err := queryUint(r, "limit", defaultHeadersLimit)
	if err != nil || limit < 1 || limit > maxHeadersLimit {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid limit", Detail: withReason(fmt.Sprintf("want 1…%d", maxHeadersLimit), err), Field: "limit"})
		return
	}
	from, err := queryUint(r, "from", 0)
	if err != nil {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid from", Detail: withReason("want a block height", err), Field: "from"})
		return
	}
	chain := b.node.Chain()
	out := []blockchain.Header{}
	for h := from; uint64(len(out)) < limit; h++ {
		header, ok := chain.HeaderAt(h)
		if !ok {
			break
		}
		out = append(out, header)
		if h == math.MaxUint64 {
			break
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// withReason is detail, and err's message after it if there is one.
func withReason(detail string, err error) string {
	if err == nil {
		return detail
	}
	return detail + ": " + truncateDetail(err.Error())
}

// queryUint reads the query parameter name, a whole number written in
// decimal as the API writes it (no sign, no leading zero), or def if the
// request has none. Given twice, or empty, it is refused: the bank does
// not guess which of two values a client meant.
func queryUint(r *http.Request, name string, def uint64) (uint64, error) {
	v, ok, err := queryParam(r, name)
	if err != nil || !ok {
		return def, err
	}
	return parseDecimal(v, 64)
}

// queryParam returns the query parameter name, if the request has it: once,
// and not empty.
func queryParam(r *http.Request, name string) (string, bool, error) {
	// url.URL.Query drops what does not parse ("height=1;" or "1%"),
	// and the answer would then be for other parameters than the
	// client's: a query that does not parse is refused whole.
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", false, fmt.Errorf("the query string does not parse: %s", truncate(err.Error()))
	}
	values, ok := query[name]
	switch {
	case !ok:
		return "", false, nil
	case len(values) > 1:
		return "", false, fmt.Errorf("%s given %d times", name, len(values))
	case values[0] == "":
		return "", false, fmt.Errorf("%s given empty", name)
	}
	return values[0], true, nil
}

// parseDecimal reads an unsigned whole number of at most bits bits in its
// one canonical decimal spelling.
func parseDecimal(v string, bits int) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, bits)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q is too large", truncate(v)) // the caller says what it wants
	case err != nil:
		return 0, fmt.Errorf("%q is not a whole number in decimal digits", truncate(v))
	}
	if len(v) > 1 && v[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero", truncate(v))
	}
	return n, nil
}

func (b *Bank) getBlock(w http.ResponseWriter, r *http.Request) {
	chain := b.node.Chain()
	ref := r.PathValue("ref")
	var height uint64
	var found bool
	if h, err := parseDecimal(ref, 64); err == nil {
		height, found = h, h <= chain.Height()
	} else if hash, err := blockchain.ParseHash(ref); err == nil {
		height, found = chain.HeightOf(hash)
	} else {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid block reference", Detail: "want a height or a hash in 64 lower-case hex digits", Field: "ref"})
		return
	}
	if !found {
		b.problem(w, Problem{Status: http.StatusNotFound, Title: "unknown block", Detail: ref, Field: "ref"})
		return
	}
	blk, err := b.blockAt(r.Context(), height)
	if err != nil {
		b.blockFailed(w, height, err)
		return
	}
	writeJSON(w, http.StatusOK, blk)
}

// Head is the answer of GET /chain/head.
type Head struct {
	Height    uint64          `json:"height"`
	Hash      blockchain.Hash `json:"hash"`
	Timestamp time.Time       `json:"timestamp"`
	Pending   int             `json:"pending"`
}

func (b *Bank) getHead(w http.ResponseWriter, _ *http.Request) {
	chain := b.node.Chain()
	tip := chain.Tip()
	writeJSON(w, http.StatusOK, Head{Height: tip.Height, Hash: tip.Hash(), Timestamp: tip.Timestamp, Pending: b.node.Pool().Len()})
}

func (b *Bank) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 once the node has restored the chain, and while the
// log answers: a bank that cannot reach its log could take no
// transaction, and a load balancer should send its clients elsewhere.
// So does a bank whose log refused its last append, for
// appendFailureHold or until an append succeeds: a full disk, or a file
// system gone read-only, still answers reads.
func (b *Bank) readyz(w http.ResponseWriter, r *http.Request) {
	if !b.ready.Load() {
		b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "not ready", Detail: "the bank's node is still restoring the chain"})
		return
	}
	if d := b.damaged.Load(); d != nil {
		b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "not ready", Detail: "the event log is damaged: it must be restored"})
		return
	}
	if f := b.appendFailed.Load(); f != nil && b.now().Sub(f.at) < appendFailureHold {
		// A log that reads but does not write (a full disk, a file
		// system gone read-only) passes the probe, and takes no
		// transaction.
		if !f.said.Swap(true) { // once a failure, not at every poll of a load balancer
			b.logger.Warn("readiness: the event log refused the last append", "err", f.err)
		}
		// The error stays in the bank's own log: it may name the log's
		// file or server, which is no business of an anonymous caller.
		b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "not ready", Detail: "the event log refused the bank's last append, or did not confirm it; the bank's own log says why"})
		return
	}
	if err := b.probeLog(r.Context()); err != nil {
		detail := "the event log does not answer"
		if errors.Is(err, eventlog.ErrCorrupt) {
			b.logDamaged(err) // final: the bank stops, as when an append meets it
			detail = "the event log is damaged: it must be restored"
		}
		if errors.Is(err, errLogWentBack) {
			detail = "the event log holds fewer blocks than the bank's node read: it lost events"
		}
		b.logger.Warn("readiness: "+detail, "err", err)
		b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "not ready", Detail: detail})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// An appendFailure is an append of a transaction that the log refused or
// did not confirm, and when.
type appendFailure struct {
	err  error
	at   time.Time
	said atomic.Bool // /readyz has logged it
}

// noteAppend records how an append of the bank's own went, for GET
// /readyz: err, a failure of the log (not a client that went away), is
// remembered; a success forgets failed, the failure remembered before the
// append began, unless another has been remembered since.
func (b *Bank) noteAppend(failed *appendFailure, err error) {
	switch {
	case err == nil:
		if failed != nil {
			b.appendFailed.CompareAndSwap(failed, nil)
		}
	case !errors.Is(err, context.Canceled):
		b.appendFailed.Store(&appendFailure{err: err, at: b.now()})
	}
}

// appendFailureHold is how long after an append failed GET /readyz
// answers 503, unless one succeeds meanwhile. After it the bank is ready
// again if the log answers its probe: a load balancer then sends clients
// back, and their first append says whether the log writes again (a
// bank out of rotation gets no append to learn it from).
const appendFailureHold = 10 * time.Second

// probeKey is probeLog's key in b.flights, which no Idempotency-Key
// flight can have (theirs are a UUID and a hex digest).
const probeKey = "probe the log"

// errLogWentBack is probeLog's error for a log that holds fewer block
// events than the node read.
var errLogWentBack = errors.New("the log holds fewer block events than the node read")

// probeLog reads the newest block event, or learns that there is none,
// within b.probeTimeout: the log answers, and holds at least the block
// events the node read (a log wiped, or restored from an older backup,
// does not). Concurrent probes share one read, so that a flood of GET
// /readyz costs the log one read at a time.
func (b *Bank) probeLog(ctx context.Context) error {
	_, err, _ := b.flights.Do(probeKey, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(b.probeTimeout.Load()))
		defer cancel()
		read, _ := b.node.Position() // before the read: the log holds at least these
		recs, err := b.log.Read(ctx, node.StreamBlocks, eventlog.End, eventlog.Backwards, 1)
		var held eventlog.Revision
		switch {
		case errors.Is(err, eventlog.ErrStreamNotFound):
			held = 0
		case err != nil:
			return nil, err
		case len(recs) > 0:
			held = recs[0].Revision + 1
		}
		if held < read {
			return nil, fmt.Errorf("%w: %d, the node read %d", errLogWentBack, held, read)
		}
		return nil, nil
	})
	return err
}

func (b *Bank) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPI)
}

// saltedDigest is what submit hashes into the digest of a transaction
// posted again after a drop: the request's digest, the transaction's
// hash and the tip's.
func saltedDigest(s events.TransactionSubmitted, tip blockchain.Hash) []byte {
	h := s.Tx.Hash()
	return slices.Concat(s.RequestDigest[:], h[:], tip[:])
}

// exactBodyLimit is the largest body readBody reads into a slice of the
// declared size before a byte of it has come: a client that declares a
// large body and sends nothing holds no more.
const exactBodyLimit = 16 << 10

// readBody reads r's body, of at most limit bytes. A body whose length
// the request declares (up to exactBodyLimit) is read into a slice of
// that size, in one piece; any other grows as it comes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength < 0 || r.ContentLength > min(limit, exactBodyLimit) {
		return io.ReadAll(body)
	}
	// net/http ends the body at ContentLength bytes: ReadFull fails only
	// on a body cut short, as ReadAll would.
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
