package bank_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/lightclient"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const watchdog = 30 * time.Second

// fixedNow is the clock of the fixture's nodes. Blocks are dated from the
// genesis (blockchain.GenesisTime) on, one second apart, long before it,
// so that no block is ever too far ahead of the clock.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// A beacon is a nodetest.Changer a test rings itself: its channel is
// closed and replaced at every ring, so that nodetest.WaitFor can wait
// for a condition that something other than a node's state makes true.
type beacon struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBeacon() *beacon { return &beacon{ch: make(chan struct{})} }

// Changed returns the channel the next ring closes.
func (b *beacon) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

func (b *beacon) ring() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.ch)
	b.ch = make(chan struct{})
}

// flakyLog is the fixture's event log. Its appends fail with
// ErrUnavailable while it is down, and always to its down stream (if
// set): tests set both between requests. It watches the bank's
// subscription to the audit stream, so that a test can wait until the
// bank has read an audit event (see fixture.waitAudit), and lets a test
// act in the middle of a request, after a Read (setOnRead).
type flakyLog struct {
	eventlog.Log
	mu         sync.Mutex
	down       bool
	hang       bool  // appends wait until their context ends
	readHang   bool  // reads wait until their context ends
	wiped      bool  // reads find no stream, as in a log that lost every event
	blocksErr  error // if set, what reads of the blocks stream return
	appendErr  error // if set, what appends return
	downStream string
	auditNext  eventlog.Revision // the next audit event a reader will ask for: it is done with those before
	audit      *beacon           // rung when auditNext moves
	onRead     func(string)      // if set, called with the stream after each Read, before it returns
	onAppend   func(string)      // if set, called with the stream before each Append
}

// setOnRead sets the function called after each Read.
func (f *flakyLog) setOnRead(hook func(stream string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onRead = hook
}

// setWiped makes reads find no stream, as if the log had lost every
// event.
func (f *flakyLog) setWiped(wiped bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wiped = wiped
}

// setAppendErr makes appends return err (nil: append).
func (f *flakyLog) setAppendErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appendErr = err
}

// setBlocksErr makes reads of the blocks stream return err (nil: read).
func (f *flakyLog) setBlocksErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocksErr = err
}

// setReadHang makes reads hang, as to a log server that stopped
// answering: each waits until its context ends.
func (f *flakyLog) setReadHang(hang bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.readHang = hang
}

func (f *flakyLog) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	f.mu.Lock()
	hang, wiped, blocksErr := f.readHang, f.wiped, f.blocksErr
	f.mu.Unlock()
	if blocksErr != nil && stream == node.StreamBlocks {
		return nil, blocksErr
	}
	if hang {
		<-ctx.Done()
		return nil, fmt.Errorf("read: %w: %w", eventlog.ErrUnavailable, ctx.Err())
	}
	if wiped {
		return nil, fmt.Errorf("stream %q: %w", stream, eventlog.ErrStreamNotFound)
	}
	recs, err := f.Log.Read(ctx, stream, from, dir, max)
	f.mu.Lock()
	hook := f.onRead
	f.mu.Unlock()
	if hook != nil {
		hook(stream)
	}
	return recs, err
}

// setDown makes appends fail: all of them if down, and always those to
// stream if it is not "".
func (f *flakyLog) setDown(down bool, stream string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.downStream = down, stream
}

// setHang makes appends hang, as to a log server that stopped answering:
// each waits until its context ends.
func (f *flakyLog) setHang(hang bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hang = hang
}

// setOnAppend sets the function called before each Append.
func (f *flakyLog) setOnAppend(hook func(stream string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onAppend = hook
}

func (f *flakyLog) Append(ctx context.Context, stream string, expected eventlog.Expected, evs ...eventlog.Event) (eventlog.AppendResult, error) {
	f.mu.Lock()
	fail, hang, hook, appendErr := f.down || stream == f.downStream, f.hang, f.onAppend, f.appendErr
	f.mu.Unlock()
	if appendErr != nil {
		return eventlog.AppendResult{}, appendErr
	}
	if hook != nil {
		hook(stream)
	}
	if hang {
		<-ctx.Done()
		return eventlog.AppendResult{}, fmt.Errorf("append: %w: %w", eventlog.ErrUnavailable, ctx.Err())
	}
	if fail {
		return eventlog.AppendResult{}, fmt.Errorf("dial: %w", eventlog.ErrUnavailable)
	}
	return f.Log.Append(ctx, stream, expected, evs...)
}

func (f *flakyLog) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	sub, err := f.Log.Subscribe(ctx, stream, from)
	if err != nil || stream != node.StreamAudit {
		return sub, err
	}
	return &auditSubscription{Subscription: sub, log: f}, nil
}

// auditDone returns how far the bank has read the audit stream: every
// event before the revision returned.
func (f *flakyLog) auditDone() eventlog.Revision {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auditNext
}

// An auditSubscription tells its log when its reader asks for the next
// event: the reader (the bank's Run) is then done with the one before.
type auditSubscription struct {
	eventlog.Subscription
	log  *flakyLog
	last *eventlog.Revision // the revision Next returned last, if any
}

func (s *auditSubscription) Next(ctx context.Context) (eventlog.Recorded, error) {
	if s.last != nil {
		s.log.mu.Lock()
		s.log.auditNext = max(s.log.auditNext, *s.last+1)
		s.log.mu.Unlock()
		s.log.audit.ring()
	}
	r, err := s.Subscription.Next(ctx)
	if err == nil {
		rev := r.Revision
		s.last = &rev
	}
	return r, err
}

// fixture is a bank on an in-memory log behind a real HTTP server on
// loopback, with its node following the log and the bank following the
// audit stream. Blocks come only when a test mines one (mine).
type fixture struct {
	log    *flakyLog
	spec   blockchain.ChainSpec
	engine *consensustest.Fake
	window int
	logger *slog.Logger // the bank's; nil: none
	node   *node.Node
	bank   *bank.Bank
	server *httptest.Server

	heard *beacon // rung when the bank has heard of a block
	mu    sync.Mutex
	added map[blockchain.Hash]bool // the blocks the bank has heard of
}

// fixtureConfig says what a fixture runs on; the zero value is a memlog,
// consensustest.Spec and a node that keeps every block.
type fixtureConfig struct {
	log    eventlog.Log         // nil: a new memlog
	spec   blockchain.ChainSpec // zero: consensustest.Spec()
	window int                  // the node's Window
	logger *slog.Logger         // the bank's; nil: none
}

func newFixture(t *testing.T, window int) *fixture {
	t.Helper()
	return newFixtureWith(t, fixtureConfig{window: window})
}

// newFixtureOn is newFixture on the log mem, which it closes at the end.
func newFixtureOn(t *testing.T, window int, mem eventlog.Log) *fixture {
	t.Helper()
	return newFixtureWith(t, fixtureConfig{log: mem, window: window})
}

func newFixtureWith(t testing.TB, cfg fixtureConfig) *fixture {
	t.Helper()
	if cfg.log == nil {
		cfg.log = memlog.New(memlog.Config{})
	}
	if cfg.spec.ChainID == "" {
		cfg.spec = consensustest.Spec()
	}
	f := &fixture{
		log:    &flakyLog{Log: cfg.log, audit: newBeacon()},
		spec:   cfg.spec,
		engine: consensustest.NewFaker(),
		window: cfg.window,
		logger: cfg.logger,
		heard:  newBeacon(),
		added:  map[blockchain.Hash]bool{},
	}
	// As the app does: the network's first app declares the spec.
	_, err := node.LoadSpec(context.Background(), f.log, &f.spec)
	require.NoError(t, err)
	f.node, f.bank, f.server = f.start(t)
	f.node.Observe(func(e node.Event) { // after the bank's observer: the bank has heard
		if e.Kind == node.BlockAdded {
			f.mu.Lock()
			f.added[e.Block.Hash()] = true
			f.mu.Unlock()
			f.heard.ring()
		}
	})

	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	ran := make(chan struct{})
	g.Go(func() error { defer close(ran); return f.bank.Run(ctx) })
	require.NoError(t, f.node.Restore(ctx, node.RestoreVerify))
	f.bank.SetReady(true)
	g.Go(func() error { return f.node.Follow(ctx) })
	t.Cleanup(func() {
		f.server.Close()
		cancel()
		_ = g.Wait()
		_ = cfg.log.Close()
	})
	awaitAuditRead(t, f.bank, ran)
	return f
}

// awaitAuditRead waits until b has read the audit stream as far as it
// went when Run began, so that an unknown transaction is a 404, not a
// 503; or until Run has returned (ran closed), as it does at once on a
// log that fails.
func awaitAuditRead(t testing.TB, b *bank.Bank, ran <-chan struct{}) {
	t.Helper()
	select {
	case <-b.AuditRead():
	case <-ran:
	case <-time.After(watchdog): // a bound on a hang, not a wait for an event
		t.Fatal("the bank never read the audit stream")
	}
}

// start builds a node and a bank on f's log, as the bank's app does, and
// serves the bank over HTTP; the caller restores and follows the node.
func (f *fixture) start(t testing.TB) (*node.Node, *bank.Bank, *httptest.Server) {
	t.Helper()
	n, err := node.New(node.Config{Log: f.log, Spec: f.spec, Engine: f.engine, Window: f.window, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	// No request waits its timeout out on a loaded machine, unless its
	// test asks for shortTimeouts, to wait out a log that hangs.
	b, err := bank.New(bank.Config{Node: n, Log: f.log, SubmitTimeout: watchdog, ProbeTimeout: watchdog, Logger: f.logger})
	require.NoError(t, err)
	return n, b, httptest.NewServer(b)
}

// restart starts a new node and a new bank on f's log, as after a crash
// of the bank's process, and returns the new bank's server. The new node
// follows the log; the old bank runs on.
func (f *fixture) restart(t *testing.T) *httptest.Server {
	t.Helper()
	n, b, srv := f.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, n.Restore(ctx, node.RestoreVerify))
	b.SetReady(true)
	following := make(chan struct{})
	go func() {
		defer close(following)
		_ = n.Follow(ctx)
	}()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-following
	})
	return srv
}

// do sends a request and returns the status, the headers and the body.
func (f *fixture) do(t *testing.T, method, path, contentType, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	return doOn(t, f.server, method, path, contentType, body, header...)
}

// doOn sends a request to srv.
func doOn(t *testing.T, srv *httptest.Server, method, path, contentType, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1]) // Add: a test may send a header twice
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, data
}

func (f *fixture) post(t *testing.T, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	return f.do(t, http.MethodPost, "/transactions", "application/json", body, header...)
}

// get fetches path and decodes its 200 answer.
func get[T any](t *testing.T, f *fixture, path string) T {
	t.Helper()
	status, header, body := f.do(t, http.MethodGet, path, "", "")
	require.Equal(t, http.StatusOK, status, "GET %s: %s", path, body)
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	return decode[T](t, body)
}

// problemAt fetches path and returns its problem detail, which must have
// the status want.
func (f *fixture) problemAt(t *testing.T, path string, want int) bank.Problem {
	t.Helper()
	status, header, body := f.do(t, http.MethodGet, path, "", "")
	require.Equal(t, want, status, "GET %s: %s", path, body)
	assert.Equal(t, "application/problem+json", header.Get("Content-Type"))
	p := decode[bank.Problem](t, body)
	assert.Equal(t, want, p.Status)
	assert.NotEmpty(t, p.Title)
	return p
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(data, &v), "%s", data)
	return v
}

// txJSON is tx in blockchain.Transaction's JSON form: a body for POST
// /transactions.
func txJSON(tb testing.TB, tx blockchain.Transaction) string {
	tb.Helper()
	data, err := json.Marshal(tx)
	require.NoError(tb, err)
	return string(data)
}

// submit posts tx and requires a 202.
func (f *fixture) submit(t *testing.T, tx blockchain.Transaction, header ...string) bank.TransactionStatus {
	t.Helper()
	status, _, body := f.post(t, txJSON(t, tx), header...)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	return decode[bank.TransactionStatus](t, body)
}

// mine publishes a block of every pending transaction, as a miner would,
// and waits until the bank has heard of it.
func (f *fixture) mine(t *testing.T) *blockchain.Block {
	t.Helper()
	return f.mineTxs(t, f.node.Pool().Candidates(blockchain.MaxBlockTransactions)...)
}

// mineTxs publishes a block of txs, each of which must apply, and waits
// until the bank has heard of it.
func (f *fixture) mineTxs(t testing.TB, txs ...blockchain.Transaction) *blockchain.Block {
	t.Helper()
	ctx := context.Background()
	tip := f.node.Chain().Tip()
	proposed, rejected, err := f.node.Propose(consensustest.Addr("miner"), txs, tip.Timestamp.Add(time.Second))
	require.NoError(t, err)
	require.Empty(t, rejected)
	sealed, err := f.engine.Seal(ctx, proposed)
	require.NoError(t, err)
	require.NoError(t, f.node.PublishBlock(ctx, sealed, "test"))
	nodetest.WaitFor(t, f.heard, "the bank to hear of "+sealed.String(), func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.added[sealed.Hash()]
	})
	return sealed
}

// appendAudit appends p to the audit stream, as the auditor does, and
// waits until the bank has read it.
func (f *fixture) appendAudit(t *testing.T, p events.Payload) {
	t.Helper()
	e, err := events.Encode(p)
	require.NoError(t, err)
	res, err := f.log.Append(context.Background(), node.StreamAudit, eventlog.Any, e)
	require.NoError(t, err)
	f.waitAudit(t, res.NextExpected)
}

// waitAudit waits until the bank has read the audit stream up to rev.
func (f *fixture) waitAudit(t *testing.T, rev eventlog.Revision) {
	t.Helper()
	nodetest.WaitFor(t, f.log.audit, fmt.Sprintf("the bank to read audit event %d", rev), func() bool { return f.log.auditDone() > rev })
}

// waitTxsRead waits until the bank's node has read the transactions
// stream to its end, as it stands now. Submit puts a transaction in the
// pool at once, but the node reads its event back later, and then offers
// it to the pool again: a test that changes what the sender can pay must
// first let that happen, or the late read may find the transaction
// valid again and pool it.
func (f *fixture) waitTxsRead(t *testing.T, what string) {
	t.Helper()
	last, err := f.log.Read(context.Background(), node.StreamTransactions, eventlog.End, eventlog.Backwards, 1)
	require.NoError(t, err)
	nodetest.WaitFor(t, f.node, what, func() bool { _, read := f.node.Position(); return read > last[0].Revision })
}

// streamLen returns how many events stream holds.
func (f *fixture) streamLen(t *testing.T, stream string) int {
	t.Helper()
	recs, err := f.log.Read(context.Background(), stream, eventlog.Start, eventlog.Forwards, 100_000)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return 0
	}
	require.NoError(t, err)
	return len(recs)
}

// status reads GET /transactions/{id}.
func (f *fixture) status(t *testing.T, id uuid.UUID) bank.TransactionStatus {
	t.Helper()
	return get[bank.TransactionStatus](t, f, "/transactions/"+id.String())
}

// fundedSpec is consensustest.Spec with each of names funded too, with
// consensustest.Funds.
func fundedSpec(names ...string) blockchain.ChainSpec {
	s := consensustest.Spec()
	for _, name := range names {
		s.Alloc = append(s.Alloc, blockchain.Allocation{Address: consensustest.Addr(name), Balance: consensustest.Funds})
	}
	s.SortAlloc()
	return s
}

// TestTransactionLifecycle follows a signed transaction from POST to a
// block: 202 pending, pending in GET /transactions/{id}, included with
// its block and height once mined. Posting the very same signed
// transaction again, before and after its inclusion, and to a restarted
// bank, gets its current status and appends nothing.
func TestTransactionLifecycle(t *testing.T) {
	f := newFixture(t, 0)
	tx := consensustest.TransferFee("alice", "bob", 125, 2, 0)
	hash := tx.Hash()
	status, header, body := f.post(t, txJSON(t, tx))
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	pending := bank.TransactionStatus{ID: tx.ID(), Hash: &hash, Status: bank.StatusPending}
	assert.Equal(t, pending, decode[bank.TransactionStatus](t, body))
	assert.True(t, f.node.Pool().Has(tx.ID()), "in the bank's pool at once")
	assert.Equal(t, pending, f.status(t, tx.ID()))

	assert.Equal(t, pending, f.submit(t, tx), "the same signed transaction again, pending")
	assert.Equal(t, 1, f.streamLen(t, node.StreamTransactions), "appended once")

	b := f.mine(t)
	require.Equal(t, 1, b.Len())
	blockHash, height := b.Hash(), uint64(1)
	included := bank.TransactionStatus{ID: tx.ID(), Hash: &hash, Status: bank.StatusIncluded, BlockHash: &blockHash, Height: &height}
	assert.Equal(t, included, f.status(t, tx.ID()))
	assert.Equal(t, included, f.submit(t, tx), "the same signed transaction again, included")
	assert.Zero(t, f.node.Pool().Len())

	srv := f.restart(t)
	status, _, body = doOn(t, srv, http.MethodPost, "/transactions", "application/json", txJSON(t, tx))
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	assert.Equal(t, included, decode[bank.TransactionStatus](t, body), "a restarted bank knows it from the chain")
	assert.Equal(t, 1, f.streamLen(t, node.StreamTransactions), "still appended once")
}

// TestSameIDAnotherSignature posts a transaction that has the ID of one
// the bank knows — the same signed content — but not its signature. The
// ID derives from what is signed, not from the signature, so only the
// signature tells them apart: the forgery is refused, with or without an
// Idempotency-Key, whether the genuine one is pending or included.
func TestSameIDAnotherSignature(t *testing.T) {
	for _, mined := range []bool{false, true} {
		for _, key := range []string{"", "forged-1"} {
			t.Run(fmt.Sprintf("mined=%v,key=%q", mined, key), func(t *testing.T) {
				f := newFixture(t, 0)
				genuine := consensustest.Transfer("alice", "bob", 125, 0)
				first := f.submit(t, genuine)
				if mined {
					f.mine(t)
				}
				var zero [blockchain.SignatureSize]byte
				forged := blockchain.NewTransaction(genuine.Fields(), zero[:])
				require.Equal(t, genuine.ID(), forged.ID())
				var header []string
				if key != "" {
					header = []string{"Idempotency-Key", key}
				}
				status, _, body := f.post(t, txJSON(t, forged), header...)
				require.Equal(t, http.StatusBadRequest, status, "%s", body)
				p := decode[bank.Problem](t, body)
				assert.Equal(t, "bad-signature", p.Rule)
				assert.Equal(t, "signature", p.Field)
				st := f.status(t, genuine.ID())
				assert.Equal(t, first.Hash, st.Hash, "the bank still reports the genuine transaction")
				assert.Equal(t, 1, f.streamLen(t, node.StreamTransactions))
			})
		}
	}
}

// TestPostRefusals posts signed transactions that break a rule, with and
// without an Idempotency-Key: each is a 400 problem naming the rule and
// the request field, nothing reaches the log or the pool, and a refused
// request does not reserve its key. alice has sent one transfer (nonce 0,
// mined) and has a second pending (nonce 1) that spends all but 990 of
// her balance.
func TestPostRefusals(t *testing.T) {
	f := newFixture(t, 0)
	f.submit(t, consensustest.Transfer("alice", "bob", 10, 0))
	f.mine(t)
	f.submit(t, consensustest.Transfer("alice", "bob", 999_000, 1))
	require.Equal(t, blockchain.Account{Balance: consensustest.Funds - 10, Nonce: 1}, f.node.Chain().Account(consensustest.Addr("alice")))

	alice, bob, carol := consensustest.Key("alice"), consensustest.Addr("bob"), consensustest.Addr("carol")
	var zeroSig [blockchain.SignatureSize]byte
	signFields := func(k blockchain.PrivateKey, fields blockchain.TxFields) blockchain.Transaction {
		sig := k.Sign(fields.SignedMessage())
		return blockchain.NewTransaction(fields, sig[:])
	}
	notKey := consensustest.Transfer("alice", "carol", 5, 0).Fields()
	notKey.From = bob // alice's key, bob's address
	otherSig := consensustest.Transfer("bob", "carol", 6, 0).Signature()
	for i, tc := range []struct {
		name        string
		tx          blockchain.Transaction
		rule, field string
	}{
		{"bad signature", blockchain.NewTransaction(consensustest.Transfer("bob", "carol", 5, 0).Fields(), zeroSig[:]), "bad-signature", "signature"},
		{"another transaction's signature", blockchain.NewTransaction(consensustest.Transfer("bob", "carol", 5, 0).Fields(), otherSig[:]), "bad-signature", "signature"},
		{"wrong chain", blockchain.Transfer{ChainID: "another-chain", To: carol, Amount: 5}.Sign(alice), "wrong-chain", "chainId"},
		{"malformed chain ID", blockchain.Transfer{ChainID: "Eventchain Test", To: carol, Amount: 5}.Sign(alice), "bad-chain-id", "chainId"},
		{"empty chain ID", blockchain.Transfer{To: carol, Amount: 5}.Sign(alice), "bad-chain-id", "chainId"},
		{"replayed nonce", consensustest.Transfer("alice", "bob", 11, 0), "bad-nonce", "nonce"},
		{"a nonce pending already", consensustest.Transfer("alice", "bob", 12, 1), "bad-nonce", "nonce"},
		{"gapped nonce", consensustest.Transfer("alice", "bob", 13, 5), "bad-nonce", "nonce"},
		{"funds, counting the pending spend", consensustest.Transfer("alice", "bob", 991, 2), "insufficient-funds", "amount"},
		{"funds, counting the fee", consensustest.TransferFee("alice", "bob", 990, 1, 2), "insufficient-funds", "amount"},
		{"more than the balance", consensustest.Transfer("carol", "dave", consensustest.Funds+1, 0), "insufficient-funds", "amount"},
		{"a sender without funds", consensustest.Transfer("zed", "bob", 1, 0), "insufficient-funds", "amount"},
		{"sender not the key's", signFields(alice, notKey), "sender-not-key", "from"},
		{"self transfer", consensustest.Transfer("bob", "bob", 5, 0), "self-transfer", "to"},
		{"the zero receiver", blockchain.Transfer{ChainID: consensustest.ChainID, Amount: 5}.Sign(consensustest.Key("bob")), "missing-receiver", "to"},
		{"zero amount", consensustest.Transfer("bob", "carol", 0, 0), "invalid-amount", "amount"},
		{"negative amount", consensustest.Transfer("bob", "carol", -5, 0), "invalid-amount", "amount"},
		{"amount over MaxAmount", consensustest.Transfer("bob", "carol", blockchain.MaxAmount+1, 0), "invalid-amount", "amount"},
		{"negative fee", consensustest.TransferFee("bob", "carol", 5, -1, 0), "invalid-fee", "fee"},
		{"fee over MaxAmount", consensustest.TransferFee("bob", "carol", 5, blockchain.MaxAmount+1, 0), "invalid-fee", "fee"},
	} {
		for _, key := range []string{"", fmt.Sprintf("refused-%d", i)} {
			t.Run(fmt.Sprintf("%s/key=%q", tc.name, key), func(t *testing.T) {
				var header []string
				if key != "" {
					header = []string{"Idempotency-Key", key}
				}
				status, h, body := f.post(t, txJSON(t, tc.tx), header...)
				require.Equal(t, http.StatusBadRequest, status, "%s", body)
				assert.Equal(t, "application/problem+json", h.Get("Content-Type"))
				p := decode[bank.Problem](t, body)
				assert.Equal(t, http.StatusBadRequest, p.Status)
				assert.NotEmpty(t, p.Title)
				assert.Equal(t, tc.rule, p.Rule, "%s", p.Detail)
				assert.Equal(t, tc.field, p.Field, "%s", p.Detail)
				assert.LessOrEqual(t, len(p.Detail), maxDetail)
				assert.Equal(t, 2, f.streamLen(t, node.StreamTransactions), "nothing refused reached the log")
				assert.Equal(t, 1, f.node.Pool().Len(), "nothing refused reached the pool")
			})
		}
	}

	// A refused request reserved nothing: its key takes a valid
	// transaction.
	st := f.submit(t, consensustest.Transfer("alice", "bob", 990, 2), "Idempotency-Key", "refused-0")
	assert.Equal(t, bank.StatusPending, st.Status)
}

// TestDroppedTransaction appends the auditor's TransactionDropped events
// to the audit stream. A transaction the bank's pool still holds reads as
// pending whatever the audit stream says — a drop anyone could have
// written there cannot make a valid transaction look failed — and as
// dropped, with the auditor's reason and rule, once the bank's own node
// has seen the block that made it invalid; posted again, it is still
// dropped. A drop of a transaction the bank never held reads at once. A
// transaction that a block includes reads as included, whatever was said
// of it.
func TestDroppedTransaction(t *testing.T) {
	f := newFixture(t, 0)
	for _, tc := range []struct {
		name     string
		before   []blockchain.Transaction // submitted first
		tx       blockchain.Transaction   // the transaction said to be dropped
		conflict blockchain.Transaction   // mined: the transfer that makes tx invalid
		rule     blockchain.ErrorCode
		reason   string
	}{
		{
			name: "nonce taken", tx: consensustest.Transfer("dave", "bob", 5, 0),
			conflict: consensustest.Transfer("dave", "carol", 7, 0),
			rule:     blockchain.ErrBadNonce, reason: "a block used its nonce",
		},
		{
			name: "funds spent", before: []blockchain.Transaction{consensustest.Transfer("erin", "bob", 5, 0)},
			tx:       consensustest.Transfer("erin", "bob", 5, 1),
			conflict: consensustest.Transfer("erin", "carol", consensustest.Funds-3, 0),
			rule:     blockchain.ErrInsufficientFunds, reason: "its sender can no longer pay",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, tx := range tc.before {
				f.submit(t, tx)
			}
			f.submit(t, tc.tx)
			f.appendAudit(t, events.TransactionDropped{TxID: tc.tx.ID(), Rule: tc.rule, Reason: tc.reason})
			assert.Equal(t, bank.StatusPending, f.status(t, tc.tx.ID()).Status, "the bank's pool holds it: a drop of a valid transaction is not believed")

			f.mineTxs(t, tc.conflict) // the bank's node drops tc.tx from its pool
			got := f.status(t, tc.tx.ID())
			assert.Equal(t, bank.StatusDropped, got.Status)
			assert.Equal(t, tc.reason, got.Reason)
			assert.Equal(t, tc.rule.String(), got.Rule)
			assert.Nil(t, got.BlockHash)

			again := f.submit(t, tc.tx)
			assert.Equal(t, bank.StatusDropped, again.Status, "posted again, it is still dropped")
			assert.Equal(t, tc.rule.String(), again.Rule)
			// Under ever new keys: the answer is its drop, and no key is
			// reserved for it (a request stream per key, else).
			for _, key := range []string{tc.name + "-1", tc.name + "-2"} {
				keyed := f.submit(t, tc.tx, "Idempotency-Key", key)
				assert.Equal(t, bank.StatusDropped, keyed.Status)
				assert.Zero(t, f.streamLen(t, "request-"+uuid.NewSHA1(bank.IdempotencyNamespace, []byte(key)).String()), "key %s reserved nothing", key)
			}
			// A copy with a forged signature is no retry of it, key or not.
			forged := blockchain.NewTransaction(tc.tx.Fields(), make([]byte, blockchain.SignatureSize))
			for _, header := range [][]string{nil, {"Idempotency-Key", tc.name + "-forged"}} {
				status, _, data := f.post(t, txJSON(t, forged), header...)
				assert.Equal(t, http.StatusBadRequest, status, "%v: %s", header, data)
				assert.Equal(t, blockchain.ErrBadSignature.String(), decode[bank.Problem](t, data).Rule)
			}
		})
	}

	t.Run("never seen", func(t *testing.T) {
		for _, rule := range []blockchain.ErrorCode{blockchain.ErrBadNonce, blockchain.ErrUnknown} {
			id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(rule.String()))
			f.appendAudit(t, events.TransactionDropped{TxID: id, Rule: rule, Reason: "a block used its nonce"})
			got := f.status(t, id)
			assert.Equal(t, bank.StatusDropped, got.Status)
			if rule != blockchain.ErrUnknown {
				assert.Equal(t, rule.String(), got.Rule)
			}
			assert.Nil(t, got.Hash, "the bank never had the transaction")
		}
	})

	// A transaction's ID derives from public fields: a forger can drop a
	// transfer before its owner signs it, or append a copy with a forged
	// signature for the auditor to drop. The owner's transfer, valid,
	// still goes to the log and the chain, with a key or without.
	for key, sender := range map[string]string{"": "carol", "order-forged": "mallory"} {
		t.Run("dropped by a forger before it was sent, key "+strconv.Quote(key), func(t *testing.T) {
			tx := consensustest.Transfer(sender, "bob", 5, 0)
			forged := events.TransactionDropped{TxID: tx.ID(), Reason: "gave up (forged)"}
			if key != "" {
				forged.TxHash = tx.Hash() // a hash that leaked (a 400 shown, a request stream): no better
			}
			f.appendAudit(t, forged)
			require.Equal(t, bank.StatusDropped, f.status(t, tx.ID()).Status, "precondition")
			before := f.streamLen(t, node.StreamTransactions)
			var got bank.TransactionStatus
			if key == "" {
				got = f.submit(t, tx)
			} else {
				got = f.submit(t, tx, "Idempotency-Key", key)
			}
			assert.Equal(t, bank.StatusPending, got.Status)
			assert.Equal(t, before+1, f.streamLen(t, node.StreamTransactions), "appended")
			b := f.mineTxs(t, tx)
			assert.Equal(t, bank.StatusIncluded, f.status(t, tx.ID()).Status)
			assert.Equal(t, tx.Hash(), b.Transaction(0).Hash())
		})
	}

	// A transfer truly dropped that applies again (its sender paid
	// again), posted again, the very bytes: the log may hold them from
	// before and would take a plain append as a retry of that event, so
	// the bank appends them under an event ID of their own, and they are
	// mined.
	t.Run("dropped by the auditor, then valid again", func(t *testing.T) {
		f.submit(t, consensustest.Transfer("bob", "dave", 5, 0))
		tx := consensustest.Transfer("bob", "dave", 5, 1)
		f.submit(t, tx)
		// Else the node could read tx's event back only once bob is paid
		// again below, find it valid, and pool it: then the post would
		// be answered as pending with nothing appended.
		f.waitTxsRead(t, "tx's event read back")
		all := f.node.Chain().Account(consensustest.Addr("bob")).Balance
		f.mineTxs(t, consensustest.Transfer("bob", "carol", all-3, 0)) // bob cannot pay tx
		f.appendAudit(t, events.TransactionDropped{TxID: tx.ID(), TxHash: tx.Hash(), Rule: blockchain.ErrInsufficientFunds, Reason: "its sender can no longer pay"})
		require.Equal(t, bank.StatusDropped, f.status(t, tx.ID()).Status)
		f.mineTxs(t, consensustest.Transfer("alice", "bob", 1000, 0)) // bob can pay again
		before := f.streamLen(t, node.StreamTransactions)
		again := f.submit(t, tx)
		assert.Equal(t, bank.StatusPending, again.Status)
		assert.Equal(t, before+1, f.streamLen(t, node.StreamTransactions), "appended, under an event ID of its own")
		b := f.mineTxs(t, tx)
		assert.Equal(t, tx.Hash(), b.Transaction(0).Hash())
		assert.Equal(t, bank.StatusIncluded, f.status(t, tx.ID()).Status)
	})

	t.Run("given up on, then included", func(t *testing.T) {
		tx := consensustest.Transfer("frank", "bob", 5, 0)
		f.submit(t, tx)
		f.appendAudit(t, events.TransactionDropped{TxID: tx.ID(), Reason: "not included after 3 rebroadcasts", Attempts: 3})
		require.Equal(t, bank.StatusPending, f.status(t, tx.ID()).Status, "still in the bank's pool: it may yet be mined")
		b := f.mineTxs(t, tx)
		got := f.status(t, tx.ID())
		assert.Equal(t, bank.StatusIncluded, got.Status, "the chain has the last word")
		assert.Empty(t, got.Reason)
		if assert.NotNil(t, got.BlockHash) {
			assert.Equal(t, b.Hash(), *got.BlockHash)
		}
	})
}

// TestOutbidOnAnotherBank: two banks on one log each accept a transfer
// of alice's with the same nonce, as they do when the two posts cross:
// the second bank checks its transfer, then its node reads the first
// bank's while it appends its own, and its pool, holding the first,
// refuses the second. A block takes the first bank's. The second bank's
// transfer can never apply, and no pool holds it to drop it: it reads as
// dropped, for the nonce, not as pending for ever, and its explorer
// lists it as refused.
func TestOutbidOnAnotherBank(t *testing.T) {
	f := newFixture(t, 0)
	// The second bank's node restores now and follows only later, so
	// that it has not read the first bank's transfer when it takes its own.
	n2, b2, srv2 := f.start(t)
	t.Cleanup(srv2.Close)
	require.NoError(t, n2.Restore(context.Background(), node.RestoreVerify))
	b2.SetReady(true)

	first := consensustest.Transfer("alice", "bob", 5, 0)
	second := consensustest.Transfer("alice", "carol", 7, 0) // the same nonce
	f.submit(t, first)
	f.log.setOnAppend(func(stream string) {
		if stream == node.StreamTransactions {
			require.NoError(t, n2.Pool().Add(first), "the second bank's node reads the first transfer")
		}
	})
	status, _, body := doOn(t, srv2, http.MethodPost, "/transactions", "application/json", txJSON(t, second))
	f.log.setOnAppend(nil)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	require.False(t, n2.Pool().Has(second.ID()), "precondition: the pool refused it")

	ctx, cancel := context.WithCancel(context.Background())
	following := make(chan error, 1)
	go func() { following <- n2.Follow(ctx) }()
	t.Cleanup(func() { cancel(); <-following })
	block := f.mineTxs(t, first)
	nodetest.WaitFor(t, n2, "the second bank's node to apply the block", func() bool { return n2.Chain().TipHash() == block.Hash() })
	cancel()
	require.ErrorIs(t, <-following, context.Canceled) // the observers have heard of the block
	following <- nil                                  // for the cleanup

	got := getFrom[bank.TransactionStatus](t, srv2, "/transactions/"+second.ID().String())
	assert.Equal(t, bank.StatusDropped, got.Status)
	assert.Equal(t, blockchain.ErrBadNonce.String(), got.Rule)
	assert.Contains(t, got.Reason, "used nonce 0")
	var detail string
	for _, r := range explorerNow(t, srv2).Refused {
		if r.ID == second.ID() {
			detail = r.Detail
		}
	}
	assert.Contains(t, detail, "used nonce 0", "the explorer lists it as refused, saying why")
	assert.Equal(t, bank.StatusIncluded, f.status(t, first.ID()).Status)
}

// explorerNow returns the explorer's state as GET /events sends it first.
func explorerNow(t *testing.T, srv *httptest.Server) bank.ExplorerState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	for lines := bufio.NewScanner(resp.Body); lines.Scan(); {
		if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
			return decode[bank.ExplorerState](t, []byte(data))
		}
	}
	t.Fatal("the event stream sent no state")
	return bank.ExplorerState{}
}

// TestIdempotencyKey: with a key, the same transaction gets the first
// answer, however its JSON is spaced (a client that cannot resend the
// same bytes sends the same transaction), and another transaction 422.
// Without a key the same signed transaction is still one transaction.
func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t, 0)
	tx := consensustest.Transfer("alice", "bob", 5, 0)
	body := txJSON(t, tx)
	first := f.submit(t, tx, "Idempotency-Key", "order-17")
	assert.Equal(t, tx.ID(), first.ID)
	assert.Equal(t, bank.StatusPending, first.Status)
	assert.Equal(t, first, f.submit(t, tx, "Idempotency-Key", "order-17"), "a retry gets the first answer")

	t.Run("another transaction", func(t *testing.T) {
		status, h, data := f.post(t, txJSON(t, consensustest.Transfer("alice", "bob", 6, 1)), "Idempotency-Key", "order-17")
		assert.Equal(t, http.StatusUnprocessableEntity, status, "%s", data)
		assert.Equal(t, "application/problem+json", h.Get("Content-Type"))
		p := decode[bank.Problem](t, data)
		assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
		assert.Equal(t, "Idempotency-Key", p.Field, "the problem names the header at fault")
		assert.Contains(t, p.Detail, "another transaction")
	})
	t.Run("the same transaction, spelled otherwise", func(t *testing.T) {
		spaced := strings.ReplaceAll(body, `,"`, `, "`)
		require.NotEqual(t, body, spaced, "precondition")
		status, _, data := f.post(t, spaced, "Idempotency-Key", "order-17")
		assert.Equal(t, http.StatusAccepted, status, "%s", data)
		assert.Equal(t, first, decode[bank.TransactionStatus](t, data))
	})

	assert.Equal(t, first, f.submit(t, tx), "without a key, the same signed transaction is the same one")

	assert.Equal(t, 1, f.node.Pool().Len())
	assert.Equal(t, 1, f.streamLen(t, node.StreamTransactions))

	next := f.submit(t, consensustest.Transfer("alice", "bob", 6, 1), "Idempotency-Key", "order-18")
	assert.Equal(t, bank.StatusPending, next.Status, "the next nonce, under its own key")
	assert.Equal(t, 2, f.node.Pool().Len())
	// A key reserved by an older bank, which recorded SHA-256 of the body
	// as the digest: the same body is still the same request.
	t.Run("a key reserved by an older bank", func(t *testing.T) {
		tx := consensustest.Transfer("alice", "bob", 7, 2)
		body := txJSON(t, tx)
		e, err := events.Encode(events.TransactionSubmitted{Tx: tx, RequestDigest: sha256.Sum256([]byte(body))})
		require.NoError(t, err)
		_, err = f.log.Append(context.Background(), "request-"+uuid.NewSHA1(bank.IdempotencyNamespace, []byte("order-old")).String(), eventlog.NoStream, e)
		require.NoError(t, err)
		status, _, data := f.post(t, body, "Idempotency-Key", "order-old")
		require.Equal(t, http.StatusAccepted, status, "%s", data)
		assert.Equal(t, tx.ID(), decode[bank.TransactionStatus](t, data).ID)
		assert.True(t, f.node.Pool().Has(tx.ID()), "and its transaction went to the log")
	})

	// A transaction the bank holds, posted under ever new keys, reserves
	// none of them: otherwise anyone could copy a transaction out of a
	// block and grow the log by a request stream per key.
	t.Run("a transaction held already, under new keys", func(t *testing.T) {
		mined := f.mineTxs(t, consensustest.Transfer("carol", "bob", 5, 0)).Transaction(0)
		pending := consensustest.Transfer("carol", "bob", 6, 1)
		f.submit(t, pending)
		for i, held := range []blockchain.Transaction{mined, pending} {
			for j := range 3 {
				key := fmt.Sprintf("copy-%d-%d", i, j)
				got := f.submit(t, held, "Idempotency-Key", key)
				assert.Equal(t, held.ID(), got.ID)
				assert.Zero(t, f.streamLen(t, "request-"+uuid.NewSHA1(bank.IdempotencyNamespace, []byte(key)).String()), "key %s reserved nothing", key)
			}
		}
	})
	// An empty Idempotency-Key is no key (as the OpenAPI document says):
	// the request is answered as one without the header, and reserves
	// nothing.
	t.Run("an empty key", func(t *testing.T) {
		tx := consensustest.Transfer("dave", "bob", 5, 0)
		got := f.submit(t, tx, "Idempotency-Key", "")
		assert.Equal(t, tx.ID(), got.ID)
		assert.Equal(t, bank.StatusPending, got.Status)
		assert.Zero(t, f.streamLen(t, "request-"+uuid.NewSHA1(bank.IdempotencyNamespace, nil).String()), "the empty key reserved nothing")
	})
}

// shortTimeout is the bank's Config.SubmitTimeout and ProbeTimeout
// while a test waits them out, on a log that hangs: long enough for a
// request to reach the log, short enough to wait out.
const shortTimeout = 300 * time.Millisecond

// shortTimeouts gives f's bank shortTimeout as its SubmitTimeout and
// ProbeTimeout, for a test to wait them out on a log that hangs; the
// returned function gives it back long ones (watchdog), for the requests
// that must succeed once the log answers again, so that none of them
// must end within shortTimeout, however slow the machine.
func (f *fixture) shortTimeouts() (restore func()) {
	bank.SetTimeouts(f.bank, shortTimeout, shortTimeout)
	return func() { bank.SetTimeouts(f.bank, watchdog, watchdog) }
}

// TestLogUnavailable: while the log refuses appends, or hangs, a post is a
// 503 with Retry-After (after at most Config.SubmitTimeout), with or
// without a key, and nothing is pending; the bank recovers by itself.
func TestLogUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  string
		hang bool
	}{
		{"refusing", "", false},
		{"refusing, with a key", "order-3", false},
		{"hanging", "", true},
		{"hanging, with a key", "order-3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			var header []string
			if tc.key != "" {
				header = []string{"Idempotency-Key", tc.key}
			}
			tx := consensustest.Transfer("alice", "bob", 5, 0)
			longTimeouts := f.shortTimeouts() // a hanging log is waited out
			f.log.setDown(!tc.hang, "")
			f.log.setHang(tc.hang)
			status, h, body := f.post(t, txJSON(t, tx), header...)
			assert.Equal(t, http.StatusServiceUnavailable, status)
			assert.Equal(t, "5", h.Get("Retry-After"))
			assert.Equal(t, "application/problem+json", h.Get("Content-Type"))
			p := decode[bank.Problem](t, body)
			assert.Equal(t, http.StatusServiceUnavailable, p.Status)
			assert.False(t, f.node.Pool().Has(tx.ID()), "nothing acknowledged, nothing pending")
			// The log took nothing (it refused, or a hanging one is
			// never answered): the 404 that follows is for good, unless
			// the client posts again. The 503 must not promise that a
			// 404 means the bank is only behind.
			assert.Contains(t, p.Detail, "a 404 may mean only that the bank has not read it back")
			notFound := f.problemAt(t, "/transactions/"+tx.ID().String(), http.StatusNotFound)
			assert.Contains(t, notFound.Detail, "never posted")

			f.log.setDown(false, "")
			f.log.setHang(false)
			longTimeouts()
			st := f.submit(t, tx, header...)
			assert.Equal(t, bank.StatusPending, st.Status, "the bank recovers by itself")
		})
	}
}

// TestReadyzWhileAppendsFail: a log that reads but does not write — a
// full disk, a file system gone read-only — passed the readiness probe,
// which reads, and /readyz answered 200 while every transaction got a
// 503. A failed append now makes the bank not ready until one succeeds,
// or for ten seconds: then it is ready again if the log answers its
// probe, so that a load balancer sends clients back and their appends
// tell.
func TestReadyzWhileAppendsFail(t *testing.T) {
	var logs lockedBuffer
	f := newFixtureWith(t, fixtureConfig{logger: slog.New(slog.NewTextHandler(&logs, nil))})
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	bank.SetClock(f.bank, func() time.Time { clock.Lock(); defer clock.Unlock(); return now })
	advance := func(d time.Duration) { clock.Lock(); defer clock.Unlock(); now = now.Add(d) }
	ready := func() int {
		status, _, _ := f.do(t, http.MethodGet, "/readyz", "", "")
		return status
	}
	require.Equal(t, http.StatusOK, ready())

	f.log.setDown(true, node.StreamTransactions)
	status, _, _ := f.post(t, txJSON(t, consensustest.Transfer("alice", "bob", 5, 0)))
	require.Equal(t, http.StatusServiceUnavailable, status)
	p := f.problemAt(t, "/readyz", http.StatusServiceUnavailable)
	assert.Contains(t, p.Detail, "the event log refused the bank's last append")
	assert.NotContains(t, p.Detail, "dial", "the log's own error, which may name its file or server, stays in the bank's log")
	f.problemAt(t, "/readyz", http.StatusServiceUnavailable)
	assert.Equal(t, 1, strings.Count(logs.String(), "readiness: the event log refused the last append"), "said once a failure, not at every poll")
	advance(9 * time.Second)
	assert.Equal(t, http.StatusServiceUnavailable, ready(), "within the hold")
	advance(2 * time.Second)
	assert.Equal(t, http.StatusOK, ready(), "after the hold, ready again: the probe reads")

	status, _, _ = f.post(t, txJSON(t, consensustest.Transfer("alice", "bob", 5, 0)))
	require.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, http.StatusServiceUnavailable, ready(), "a new failure, a new hold")
	f.log.setDown(false, "")
	st := f.submit(t, consensustest.Transfer("alice", "bob", 5, 0))
	require.Equal(t, bank.StatusPending, st.Status)
	assert.Equal(t, http.StatusOK, ready(), "an append that succeeds ends it at once")

	// With an Idempotency-Key, as the bank's client and the wallet always
	// send one, the first append is the key's reservation.
	f.log.setDown(true, "")
	tx := consensustest.Transfer("alice", "bob", 5, 1)
	status, _, _ = f.post(t, txJSON(t, tx), "Idempotency-Key", "order-7")
	require.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, http.StatusServiceUnavailable, ready(), "a keyed post's failed reservation counts")
	f.log.setDown(false, "")
	st = f.submit(t, tx, "Idempotency-Key", "order-7")
	require.Equal(t, bank.StatusPending, st.Status)
	assert.Equal(t, http.StatusOK, ready())
}

// TestDamagedLogStopsTheBank: a log whose storage is damaged (a file cut
// short under the running process) refuses every append for good; the
// bank answered each 503, "post it again later", its /readyz said the
// log did not answer, and it ran on for ever. It now answers 500, saying
// the log is damaged, is not ready, and stops: Run returns the error.
func TestDamagedLogStopsTheBank(t *testing.T) {
	for _, key := range []string{"", "order-9"} {
		t.Run(fmt.Sprintf("key=%q", key), func(t *testing.T) {
			f := newFixture(t, 0)
			n, b, srv := f.start(t)
			t.Cleanup(srv.Close)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			require.NoError(t, n.Restore(ctx, node.RestoreVerify))
			b.SetReady(true)
			ran := make(chan error, 1)
			go func() { ran <- b.Run(ctx) }()

			f.log.setAppendErr(fmt.Errorf("boltlog: commit: %w", eventlog.ErrCorrupt))
			var header []string
			if key != "" {
				header = []string{"Idempotency-Key", key}
			}
			status, _, body := doOn(t, srv, http.MethodPost, "/transactions", "application/json", txJSON(t, consensustest.Transfer("alice", "bob", 5, 0)), header...)
			assert.Equal(t, http.StatusInternalServerError, status)
			assert.Equal(t, "event log damaged", decode[bank.Problem](t, body).Title)
			status, _, body = doOn(t, srv, http.MethodGet, "/readyz", "", "")
			assert.Equal(t, http.StatusServiceUnavailable, status)
			assert.Contains(t, decode[bank.Problem](t, body).Detail, "damaged")
			assert.ErrorIs(t, <-ran, eventlog.ErrCorrupt, "Run stops, with the log's error")
			f.log.setAppendErr(nil)
		})
	}
}

// TestDamageSeenByTheProbeStopsTheBank: a bank that takes no
// transaction learned of a damaged log only from its readiness probe,
// which said so, warned at every probe, and ran on; stopped, it exited
// 0. The probe's finding is final too: Run returns the error.
func TestDamageSeenByTheProbeStopsTheBank(t *testing.T) {
	f := newFixture(t, 0)
	n, b, srv := f.start(t)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, n.Restore(ctx, node.RestoreVerify))
	b.SetReady(true)
	ran := make(chan error, 1)
	go func() { ran <- b.Run(ctx) }()
	f.log.setBlocksErr(fmt.Errorf(`stream "blocks": %w`, eventlog.ErrCorrupt))
	defer f.log.setBlocksErr(nil)
	status, _, body := doOn(t, srv, http.MethodGet, "/readyz", "", "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, decode[bank.Problem](t, body).Detail, "damaged")
	assert.ErrorIs(t, <-ran, eventlog.ErrCorrupt)
}

func TestGetTransactionProblems(t *testing.T) {
	f := newFixture(t, 0)
	assert.Equal(t, "id", f.problemAt(t, "/transactions/not-a-uuid", http.StatusBadRequest).Field)
	// A 404 is no refusal: a transfer posted to another bank, or whose
	// append's answer was lost, is unknown here until this bank reads it
	// back from the log; the detail says so.
	p := f.problemAt(t, "/transactions/"+consensustest.Transfer("alice", "bob", 1, 0).ID().String(), http.StatusNotFound)
	assert.Contains(t, p.Detail, "not read it back from the log yet")
}

// TestBlockReadFailures: a block read from the log (one out of the node's
// window) that fails is a 503 while the log is down, and a 500, logged as
// an error, when the log's storage is damaged: trying again reads the
// same damage, where the bank said "try again later". The damage is
// final: the bank stops.
func TestBlockReadFailures(t *testing.T) {
	f := newFixture(t, 1)
	for i := range 2 {
		f.submit(t, consensustest.Transfer("alice", "bob", 1, uint64(i)))
		f.mine(t)
	}
	for _, tc := range []struct {
		name   string
		err    error
		status int
		title  string
	}{
		{"the log down", fmt.Errorf("read: %w", eventlog.ErrUnavailable), http.StatusServiceUnavailable, "event log unavailable"},
		{"the log damaged", fmt.Errorf(`stream "blocks": revision 0: bad record: %w`, eventlog.ErrCorrupt), http.StatusInternalServerError, "event log damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.log.setBlocksErr(tc.err)
			defer f.log.setBlocksErr(nil)
			assert.Equal(t, tc.title, f.problemAt(t, "/blocks/1", tc.status).Title)
		})
	}
	assert.Contains(t, f.problemAt(t, "/readyz", http.StatusServiceUnavailable).Detail, "damaged", "a damaged log is final: the bank is not ready, and its Run stops")
	status, _, _ := f.do(t, http.MethodGet, "/blocks/1", "", "")
	assert.Equal(t, http.StatusOK, status, "read again once the log is mended")
}

func TestBlocks(t *testing.T) {
	f := newFixture(t, 2) // the node keeps the two newest blocks whole
	var blocks []*blockchain.Block
	for i := range 3 {
		f.submit(t, consensustest.Transfer("alice", "bob", int64(i+1), uint64(i)))
		blocks = append(blocks, f.mine(t))
	}

	list := get[[]bank.BlockSummary](t, f, "/blocks?from=1&limit=10")
	require.Len(t, list, 3)
	for i, s := range list {
		assert.Equal(t, uint64(i+1), s.Height)
		assert.Equal(t, blocks[i].Hash(), s.Hash)
		assert.Equal(t, blocks[i].PrevHash(), s.PrevHash)
	}
	for i, s := range list {
		require.NotNil(t, s.Transactions, "block %d: counted by its header, in the window or not", i+1)
		assert.Equal(t, 1, *s.Transactions)
	}

	newest := get[[]bank.BlockSummary](t, f, "/blocks?limit=2")
	require.Len(t, newest, 2)
	assert.Equal(t, uint64(2), newest[0].Height, "by default, the newest blocks")

	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"by height", "/blocks/3", 200},
		{"by hash", "/blocks/" + blocks[2].Hash().String(), 200},
		{"genesis left the window: rebuilt from the spec", "/blocks/0", 200},
		{"block 1 left the window: read from the log", "/blocks/1", 200},
		{"block 1 by hash, from the log", "/blocks/" + blocks[0].Hash().String(), 200},
		{"beyond the tip", "/blocks/4", 404},
		{"unknown hash", "/blocks/" + strings.Repeat("ab", 32), 404},
		{"not a reference", "/blocks/tip", 400},
		{"limit zero", "/blocks?limit=0", 400},
		{"limit too high", "/blocks?limit=101", 400},
		{"from not a number", "/blocks?from=x", 400},
		{"from empty", "/blocks?from=", 400},
		{"from given twice", "/blocks?from=1&from=2", 400},
		{"from with a leading zero", "/blocks?from=01", 400},
		{"a height with a leading zero", "/blocks/01", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := f.do(t, http.MethodGet, tc.path, "", "")
			assert.Equal(t, tc.status, status, "%s", body)
		})
	}
	for _, want := range blocks { // blocks 1 from the log, 2 and 3 from the window
		got := get[*blockchain.Block](t, f, fmt.Sprintf("/blocks/%d", want.Height()))
		assert.Equal(t, want.Hash(), got.Hash())
		assert.Equal(t, want.Transactions(), got.Transactions())
	}
	genesis := get[*blockchain.Block](t, f, "/blocks/0")
	wantGenesis, _ := f.node.Chain().HashAt(0)
	assert.Equal(t, wantGenesis, genesis.Hash())

	head := get[bank.Head](t, f, "/chain/head")
	assert.Equal(t, uint64(3), head.Height)
	assert.Equal(t, blocks[2].Hash(), head.Hash)
	assert.Zero(t, head.Pending)
}

// TestHeaders reads GET /headers through a real HTTP server: whole
// headers, seal included, by height, and problems naming the parameter.
func TestHeaders(t *testing.T) {
	f := newFixture(t, 1) // headers outlive the window of whole blocks
	genesis, err := f.spec.Genesis()
	require.NoError(t, err)
	want := []blockchain.Header{genesis.Header()}
	for i := range 3 {
		f.submit(t, consensustest.Transfer("alice", "bob", 1, uint64(i)))
		want = append(want, f.mine(t).Header())
	}

	all := get[[]blockchain.Header](t, f, "/headers")
	require.Len(t, all, 4, "by default from genesis, up to 100")
	for i, h := range all {
		assert.Equal(t, want[i], h, "header %d", i)
	}

	for _, tc := range []struct {
		name, query string
		heights     []uint64
	}{
		{"a page", "?from=1&limit=2", []uint64{1, 2}},
		{"shorter at the tip", "?from=2&limit=1000", []uint64{2, 3}},
		{"the tip alone", "?from=3", []uint64{3}},
		{"empty past the tip", "?from=4", nil},
		{"empty far past the tip", "?from=18446744073709551615&limit=1000", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := f.do(t, http.MethodGet, "/headers"+tc.query, "", "")
			require.Equal(t, http.StatusOK, status, "%s", body)
			assert.True(t, strings.HasPrefix(string(body), "["), "a list, never null: %s", body)
			var heights []uint64
			for _, h := range decode[[]blockchain.Header](t, body) {
				assert.Equal(t, want[h.Height].Hash(), h.Hash())
				heights = append(heights, h.Height)
			}
			assert.Equal(t, tc.heights, heights)
		})
	}

	for _, tc := range []struct {
		name, query, field string
	}{
		{"limit zero", "?limit=0", "limit"},
		{"limit too high", "?limit=1001", "limit"},
		{"limit negative", "?limit=-1", "limit"},
		{"limit not a number", "?limit=ten", "limit"},
		{"from not a number", "?from=x", "from"},
		{"from negative", "?from=-1", "from"},
		{"from beyond uint64", "?from=18446744073709551616", "from"},
		{"from with a plus sign", "?from=%2B1", "from"},
		{"limit given twice", "?limit=5&limit=6", "limit"},
		{"limit empty", "?limit=", "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.field, f.problemAt(t, "/headers"+tc.query, http.StatusBadRequest).Field)
		})
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, 0)
	f.bank.SetReady(false)
	status, _, _ := f.do(t, http.MethodGet, "/healthz", "", "")
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = f.do(t, http.MethodGet, "/readyz", "", "")
	assert.Equal(t, http.StatusServiceUnavailable, status, "not ready before SetReady")
	status, header, _ := f.post(t, validBody)
	assert.Equal(t, http.StatusServiceUnavailable, status, "no transaction taken before the node is restored")
	assert.NotEmpty(t, header.Get("Retry-After"))
	// Nothing that the restore changes is answered before it ends: a
	// client would take the genesis's balances and nonces for the truth.
	// What it does not change is.
	alice := consensustest.Addr("alice").String()
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/chain/head", http.StatusServiceUnavailable},
		{"/accounts/" + alice, http.StatusServiceUnavailable},
		{"/accounts/" + alice + "/transactions", http.StatusServiceUnavailable},
		{"/accounts/" + alice + "/proof", http.StatusServiceUnavailable},
		{"/blocks", http.StatusServiceUnavailable},
		{"/blocks/0", http.StatusServiceUnavailable},
		{"/headers", http.StatusServiceUnavailable},
		{"/transactions/4c0fbd6e-b72c-80b6-b95e-9194d5beee69", http.StatusServiceUnavailable},
		{"/transactions/4c0fbd6e-b72c-80b6-b95e-9194d5beee69/proof", http.StatusServiceUnavailable},
		{"/chain/spec", http.StatusOK},
		{"/openapi.yaml", http.StatusOK},
		{"/", http.StatusOK},
	} {
		status, header, _ := f.do(t, http.MethodGet, tc.path, "", "")
		assert.Equal(t, tc.want, status, "GET %s before ready", tc.path)
		if tc.want == http.StatusServiceUnavailable {
			assert.NotEmpty(t, header.Get("Retry-After"), "GET %s", tc.path)
		}
	}
	f.bank.SetReady(true)
	status, _, _ = f.do(t, http.MethodGet, "/chain/head", "", "")
	assert.Equal(t, http.StatusOK, status, "GET /chain/head once ready")
	status, _, _ = f.do(t, http.MethodGet, "/readyz", "", "")
	assert.Equal(t, http.StatusOK, status)
	// A log that stops answering makes the bank not ready: it could take
	// no transaction. It is ready again once the log answers.
	longTimeouts := f.shortTimeouts() // the probe waits the hanging log out
	f.log.setReadHang(true)
	assert.Equal(t, "not ready", f.problemAt(t, "/readyz", http.StatusServiceUnavailable).Title, "the log does not answer")
	f.log.setReadHang(false)
	longTimeouts()
	status, _, _ = f.do(t, http.MethodGet, "/readyz", "", "")
	assert.Equal(t, http.StatusOK, status, "the log answers again")
	// A log that lost the blocks the node read (wiped, or restored from
	// an older backup) makes the bank not ready either.
	f.mine(t)
	status, _, _ = f.do(t, http.MethodGet, "/readyz", "", "")
	require.Equal(t, http.StatusOK, status, "a block read and still in the log")
	f.log.setWiped(true)
	assert.Contains(t, f.problemAt(t, "/readyz", http.StatusServiceUnavailable).Detail, "lost events")
	f.log.setWiped(false)
	assert.Positive(t, f.bank.Requests()[http.StatusOK])
	assert.Positive(t, f.bank.Requests()[http.StatusServiceUnavailable])
}

// TestOpenAPIListsEveryRoute checks that the served OpenAPI document and
// the routes the bank registers are the same set.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	f := newFixture(t, 0)
	status, header, body := f.do(t, http.MethodGet, "/openapi.yaml", "", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "application/yaml", header.Get("Content-Type"))
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(body, &doc))
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3."))
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var registered []string
	for _, r := range f.bank.Routes() {
		registered = append(registered, strings.TrimSuffix(r, "{$}")) // ServeMux's exact-match marker
	}
	slices.Sort(documented)
	slices.Sort(registered)
	assert.Equal(t, registered, documented)
}

func TestExplorer(t *testing.T) {
	f := newFixture(t, 0)
	status, header, body := f.do(t, http.MethodGet, "/", "", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "text/html; charset=utf-8", header.Get("Content-Type"))
	assert.Contains(t, string(body), "eventchain explorer")
	assert.Contains(t, string(body), `new EventSource("/events")`)
	assert.NotContains(t, string(body), "https://", "no external assets")

	req, err := http.NewRequest(http.MethodGet, f.server.URL+"/events", nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	resp, err := f.server.Client().Do(req.WithContext(ctx))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	lines := bufio.NewScanner(resp.Body)
	next := func() bank.ExplorerState {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				return decode[bank.ExplorerState](t, []byte(data))
			}
		}
		t.Fatalf("the event stream ended: %v", lines.Err())
		return bank.ExplorerState{}
	}
	first := next()
	assert.Equal(t, uint64(0), first.Height)
	require.Len(t, first.Blocks, 1, "genesis")

	id := f.submit(t, consensustest.Transfer("alice", "bob", 5, 0)).ID
	nodetest.WaitFor(t, f.node, "the transaction", func() bool { return f.node.Pool().Has(id) })
	mined := f.mine(t)
	var st bank.ExplorerState
	for st.Height < 1 {
		st = next()
	}
	require.Len(t, st.Blocks, 2)
	last := st.Blocks[1]
	assert.Equal(t, mined.Hash(), last.Hash)
	assert.Equal(t, 1, last.Transactions)
	assert.Equal(t, "test", last.Miner, "the miner named in the block's event")
}

// TestIdempotencyKeyAfterRestart: a bank restarted from the log has no
// memory of the keys, but a retried key gets the transaction the log
// holds for it — pending or already mined — and the key with another
// body is still refused.
func TestIdempotencyKeyAfterRestart(t *testing.T) {
	for _, mined := range []bool{false, true} {
		t.Run(fmt.Sprintf("mined=%v", mined), func(t *testing.T) {
			f := newFixture(t, 0)
			tx := consensustest.Transfer("alice", "bob", 7, 0)
			body := txJSON(t, tx)
			first := f.submit(t, tx, "Idempotency-Key", "order-99")
			var block *blockchain.Block
			if mined {
				block = f.mine(t)
			}

			srv := f.restart(t)
			status, _, data := doOn(t, srv, http.MethodPost, "/transactions", "application/json", body, "Idempotency-Key", "order-99")
			require.Equal(t, http.StatusAccepted, status, "%s", data)
			again := decode[bank.TransactionStatus](t, data)
			assert.Equal(t, first.ID, again.ID)
			assert.Equal(t, first.Hash, again.Hash)
			if mined {
				assert.Equal(t, bank.StatusIncluded, again.Status)
				if assert.NotNil(t, again.BlockHash) && assert.NotNil(t, again.Height) {
					assert.Equal(t, block.Hash(), *again.BlockHash)
					assert.Equal(t, block.Height(), *again.Height)
				}
			} else {
				assert.Equal(t, bank.StatusPending, again.Status)
			}

			other := txJSON(t, consensustest.Transfer("alice", "bob", 8, 1))
			status, _, data = doOn(t, srv, http.MethodPost, "/transactions", "application/json", other, "Idempotency-Key", "order-99")
			assert.Equal(t, http.StatusUnprocessableEntity, status, "another body under the key, after a restart: %s", data)
			assert.Equal(t, 1, f.streamLen(t, node.StreamTransactions), "one transaction in the log")
		})
	}
}

// TestIdempotencyKeyConcurrent sends 40 pairs of requests at once, each
// pair with one key and its own sender: the two answers of a pair never
// split. With the same body both get the same transaction; with another
// body (another amount, the same nonce), one gets its transaction and the
// other 422. Each key makes one transaction.
//
// The 80 requests share the machine: on a loaded one a flight may take
// longer than a short submit timeout would allow, and its request be
// told 503. So the fixture's bank has the watchdog's.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	const pairs = 40
	var senders []string
	for i := range pairs {
		senders = append(senders, fmt.Sprintf("pair-%d", i))
	}
	f := newFixtureWith(t, fixtureConfig{spec: fundedSpec(senders...)})
	type answer struct {
		status int
		st     bank.TransactionStatus
	}
	answers := make([][2]answer, pairs)
	var wg sync.WaitGroup
	for i := range pairs {
		for j := range 2 {
			amount := int64(1)
			if i%2 == 1 && j == 1 {
				amount = 2 // odd pairs: the second request has another body
			}
			body := txJSON(t, consensustest.Transfer(senders[i], "bob", amount, 0))
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodPost, f.server.URL+"/transactions", strings.NewReader(body))
				if !assert.NoError(t, err) {
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("pair-%d", i))
				resp, err := f.server.Client().Do(req)
				if !assert.NoError(t, err) {
					return
				}
				defer resp.Body.Close()
				answers[i][j].status = resp.StatusCode
				if resp.StatusCode == http.StatusAccepted {
					assert.NoError(t, json.NewDecoder(resp.Body).Decode(&answers[i][j].st))
				}
			})
		}
	}
	wg.Wait()
	for i, a := range answers {
		if i%2 == 0 {
			require.Equal(t, http.StatusAccepted, a[0].status, "pair %d", i)
			require.Equal(t, http.StatusAccepted, a[1].status, "pair %d", i)
			assert.Equal(t, a[0].st, a[1].st, "pair %d split", i)
			continue
		}
		assert.ElementsMatch(t, []int{http.StatusAccepted, http.StatusUnprocessableEntity}, []int{a[0].status, a[1].status}, "pair %d", i)
	}
	assert.Equal(t, pairs, f.node.Pool().Len(), "one transaction per key")
	assert.Equal(t, pairs, f.streamLen(t, node.StreamTransactions))
}

// TestIdempotencyKeyAfterAFailedSubmit: the key is reserved, but the
// transaction does not reach the transactions stream (the log fails in
// between), and the client is told 503. Its retry finds the reservation,
// submits the reserved transaction and answers with it; if a transfer of
// the same nonce got into the chain meanwhile, the retry is told the rule
// the reserved transaction now breaks.
func TestIdempotencyKeyAfterAFailedSubmit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		nonceTaken bool
	}{
		{"retried", false},
		{"retried after its nonce was taken", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			tx := consensustest.Transfer("alice", "bob", 3, 0)
			body := txJSON(t, tx)
			f.log.setDown(false, node.StreamTransactions)
			status, _, data := f.post(t, body, "Idempotency-Key", "order-5")
			require.Equal(t, http.StatusServiceUnavailable, status, "%s", data)
			f.log.setDown(false, "")
			require.False(t, f.node.Pool().Has(tx.ID()))

			if tc.nonceTaken {
				f.submit(t, consensustest.Transfer("alice", "carol", 4, 0))
				f.mine(t)
				status, _, data = f.post(t, body, "Idempotency-Key", "order-5")
				require.Equal(t, http.StatusBadRequest, status, "%s", data)
				p := decode[bank.Problem](t, data)
				assert.Equal(t, "bad-nonce", p.Rule)
				assert.Equal(t, "nonce", p.Field)
				f.problemAt(t, "/transactions/"+tx.ID().String(), http.StatusNotFound)
				return
			}
			status, _, data = f.post(t, body, "Idempotency-Key", "order-5")
			require.Equal(t, http.StatusAccepted, status, "%s", data)
			st := decode[bank.TransactionStatus](t, data)
			assert.Equal(t, tx.ID(), st.ID)
			assert.Equal(t, bank.StatusPending, st.Status)
			assert.True(t, f.node.Pool().Has(tx.ID()), "the reserved transaction pending")
			assert.Equal(t, 1, f.streamLen(t, node.StreamTransactions))
		})
	}
}

// TestIdempotencyKeyLostRace: a request finds its key free, but before it
// checks its transaction, another request with the key and another body
// reserves the key, and its transaction takes the nonce. The first is
// told 422, the key's answer, not the bad nonce its own check found.
func TestIdempotencyKeyLostRace(t *testing.T) {
	f := newFixture(t, 0)
	winner := consensustest.Transfer("alice", "bob", 1, 0)
	loser := consensustest.Transfer("alice", "bob", 2, 0)
	type answer struct {
		status int
		body   []byte
		err    error
	}
	won := make(chan answer, 1)
	winnerBody := txJSON(t, winner)
	var raced atomic.Bool
	f.log.setOnRead(func(stream string) {
		if !strings.HasPrefix(stream, "request-") || !raced.CompareAndSwap(false, true) {
			return
		}
		// In the loser's read of the key, which found it free: the
		// winner's whole request.
		req, err := http.NewRequest(http.MethodPost, f.server.URL+"/transactions", strings.NewReader(winnerBody))
		if err != nil {
			won <- answer{err: err}
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "race")
		resp, err := f.server.Client().Do(req)
		if err != nil {
			won <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		won <- answer{resp.StatusCode, data, err}
	})
	status, _, body := f.post(t, txJSON(t, loser), "Idempotency-Key", "race")
	f.log.setOnRead(nil)
	require.True(t, raced.Load())
	w := <-won
	require.NoError(t, w.err)
	require.Equal(t, http.StatusAccepted, w.status, "%s", w.body)
	assert.Equal(t, winner.ID(), decode[bank.TransactionStatus](t, w.body).ID)
	assert.Equal(t, http.StatusUnprocessableEntity, status, "%s", body)
	assert.Equal(t, []blockchain.Transaction{winner}, f.node.Pool().PendingOf(winner.From()))
	assert.Equal(t, 1, f.streamLen(t, node.StreamTransactions))
}

// TestStatusText checks the JSON text of each status, and that no other
// text or value passes.
func TestStatusText(t *testing.T) {
	for _, tc := range []struct {
		status bank.Status
		json   string
	}{
		{bank.StatusPending, `"pending"`},
		{bank.StatusIncluded, `"included"`},
		{bank.StatusDropped, `"dropped"`},
	} {
		t.Run(tc.status.String(), func(t *testing.T) {
			got, err := json.Marshal(tc.status)
			require.NoError(t, err)
			assert.JSONEq(t, tc.json, string(got))
			var back bank.Status
			require.NoError(t, json.Unmarshal(got, &back))
			assert.Equal(t, tc.status, back)
		})
	}
	for _, text := range []string{`"unknown"`, `"Pending"`, `""`, `"mined"`} {
		t.Run("refuses "+text, func(t *testing.T) {
			var s bank.Status
			err := json.Unmarshal([]byte(text), &s)
			assert.ErrorIs(t, err, bank.ErrUnknownStatus)
		})
	}
	for _, s := range []bank.Status{bank.StatusUnknown, bank.Status(-1), bank.Status(9)} {
		t.Run("never sends "+s.String(), func(t *testing.T) {
			_, err := json.Marshal(s)
			assert.ErrorIs(t, err, bank.ErrUnknownStatus)
		})
	}
}

// TestOnALogWithDuplicates runs the bank on a log that stores every
// append with expected revision Any twice, near or far from the first, as
// EventStoreDB may after its window of recent IDs forgot the first. Each
// transaction is pending once in the bank's node, a retried key still
// gets its first transaction, a dropped transaction reads as dropped,
// and once mined, no duplicate read after the block makes anything
// pending again.
func TestOnALogWithDuplicates(t *testing.T) {
	dup := eventlogtest.Duplicating(memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow}), 1, 5)
	f := newFixtureOn(t, 0, dup)
	var keyed, plain []blockchain.Transaction
	for i := range 10 {
		tx := consensustest.Transfer("alice", "bob", int64(i+1), uint64(i))
		f.submit(t, tx, "Idempotency-Key", fmt.Sprintf("dup-%d", i))
		keyed = append(keyed, tx)
		tx = consensustest.Transfer("carol", "dave", int64(i+1), uint64(i))
		f.submit(t, tx)
		plain = append(plain, tx)
	}
	dropped := uuid.MustParse("3d1e6f0a-7b2c-4d5e-8f90-a1b2c3d4e5f6")
	f.appendAudit(t, events.TransactionDropped{TxID: dropped, Rule: blockchain.ErrBadNonce, Reason: "a block used its nonce"})
	require.NoError(t, dup.Flush(context.Background()))
	require.Positive(t, dup.Duplicates())

	require.Greater(t, f.streamLen(t, node.StreamTransactions), 20, "the transactions stream holds duplicates")
	f.waitTxsRead(t, "every transaction event read")
	assert.Equal(t, 20, f.node.Pool().Len(), "each transaction pending once")
	for i, tx := range keyed {
		st := f.submit(t, tx, "Idempotency-Key", fmt.Sprintf("dup-%d", i))
		assert.Equal(t, tx.ID(), st.ID)
		assert.Equal(t, bank.StatusPending, st.Status)
	}
	got := f.status(t, dropped)
	assert.Equal(t, bank.StatusDropped, got.Status)
	assert.Equal(t, "bad-nonce", got.Rule)

	b := f.mine(t)
	assert.Equal(t, 20, b.Len())
	for _, tx := range append(keyed, plain...) {
		st := f.status(t, tx.ID())
		assert.Equal(t, bank.StatusIncluded, st.Status, "%s", tx)
	}
	// Duplicates held back land after the block; the pool refuses them
	// (their nonces are used), and the bank reports them included still.
	require.NoError(t, dup.Flush(context.Background()))
	f.waitTxsRead(t, "the late duplicates read")
	assert.Zero(t, f.node.Pool().Len(), "no duplicate pending again")
	assert.Equal(t, bank.StatusIncluded, f.status(t, plain[0].ID()).Status)
}

// TestHeadersSyncALightClient serves a proof-of-work chain from a bank
// over real HTTP to a light client that trusts only the genesis: it pages
// through GET /headers, checks every header, and can then check the
// bank's transaction and account proofs against headers it verified.
func TestHeadersSyncALightClient(t *testing.T) {
	spec := consensustest.Spec()
	spec.Consensus.PoW = &blockchain.PoWSpec{Bits: 8}
	engine, err := pow.New(pow.SpecConfig(*spec.Consensus.PoW, 1))
	require.NoError(t, err)
	chain, err := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: engine})
	require.NoError(t, err)
	blocks, err := consensustest.GenerateChain(context.Background(), engine, chain, 1200,
		func(i int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", int64(i+1)) })
	require.NoError(t, err)
	log := memlog.New(memlog.Config{})
	for _, blk := range blocks {
		e, err := events.Encode(events.BlockMined{Block: blk, MinerID: "miner-1"})
		require.NoError(t, err)
		_, err = log.Append(context.Background(), node.StreamBlocks, eventlog.Any, e)
		require.NoError(t, err)
	}
	n, err := node.New(node.Config{Log: log, Spec: spec, Engine: engine, Window: 10})
	require.NoError(t, err)
	b, err := bank.New(bank.Config{Node: n, Log: log})
	require.NoError(t, err)
	require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
	b.SetReady(true)
	srv := httptest.NewServer(b)
	t.Cleanup(func() {
		srv.Close()
		_ = log.Close()
	})

	genesis, err := spec.Genesis()
	require.NoError(t, err)
	client, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: engine})
	require.NoError(t, err)
	st, err := client.FromBank(context.Background(), srv.URL, srv.Client())
	require.NoError(t, err)
	assert.Equal(t, 1201, st.Accepted, "genesis and 1200 blocks, in two pages")
	tip, ok := client.Tip()
	require.True(t, ok)
	assert.Equal(t, n.Chain().TipHash(), tip.Hash())

	old := blocks[41]
	proof, err := old.InclusionProof(0)
	require.NoError(t, err)
	assert.NoError(t, client.VerifyTransaction(old.Transaction(0), old.Height(), proof))
	assert.ErrorIs(t, client.VerifyTransaction(old.Transaction(0), old.Height()+1, proof), blockchain.ErrProofMismatch)

	recent := blocks[len(blocks)-3].Transaction(0)
	answer := getFrom[bank.TransactionProof](t, srv, "/transactions/"+recent.ID().String()+"/proof")
	assert.NoError(t, client.VerifyTransaction(answer.Transaction, answer.Height, answer.Proof), "the bank's proof, checked against the client's header")

	for _, name := range []string{"alice", "bob", "zed"} {
		ap := getFrom[bank.AccountProofAnswer](t, srv, "/accounts/"+consensustest.Addr(name).String()+"/proof")
		assert.NoError(t, client.VerifyAccountAt(tip.Height, ap.Proof), name)
		assert.Equal(t, chain.Account(consensustest.Addr(name)), ap.Proof.Account, name)
	}
}

// getFrom fetches path from srv and decodes its 200 answer.
func getFrom[T any](t *testing.T, srv *httptest.Server, path string) T {
	t.Helper()
	status, _, body := doOn(t, srv, http.MethodGet, path, "", "")
	require.Equal(t, http.StatusOK, status, "GET %s: %s", path, body)
	return decode[T](t, body)
}

// lockedBuffer is a bytes.Buffer a logger may write from any goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestIdempotencyKeyRefusedAsABlockTakesIt: a keyed retry whose reserved
// transfer, submitted again, is refused for its nonce, has that refusal
// decided on the chain as it was; a block that takes the very transfer
// in the moment before the bank answers (here: before refusedAgain
// looks) made the bank answer 400 bad-nonce for a transfer in a block,
// and the client sign again. The transfer's fate is looked up again:
// included, the key's first answer; another transfer mined with the
// nonce, the refusal.
func TestIdempotencyKeyRefusedAsABlockTakesIt(t *testing.T) {
	badNonce := bank.Problem{Status: http.StatusBadRequest, Title: "invalid transaction", Field: "nonce", Rule: blockchain.ErrBadNonce.String(), Detail: "nonce 0 is pending"}
	for _, tc := range []struct {
		name      string
		lagIndex  bool // the bank has yet to index the block
		keyedWins bool
		want      int // 0: the key's first answer
	}{
		{"the reserved transfer is mined", false, true, 0},
		{"mined, not yet indexed", true, true, 0},
		{"another transfer is mined", false, false, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			if tc.lagIndex {
				bank.LagIndex(f.bank)
			}
			keyed := consensustest.Transfer("alice", "bob", 5, 0)
			other := consensustest.Transfer("alice", "carol", 7, 0) // the same nonce
			mined := other
			if tc.keyedWins {
				mined = keyed
			}
			f.mineTxs(t, mined)
			p := bank.RefusedAgain(f.bank, keyed, badNonce)
			if tc.want == 0 {
				assert.Nil(t, p, "a transfer in a block is not refused")
				return
			}
			require.NotNil(t, p)
			assert.Equal(t, tc.want, p.Status)
			assert.Equal(t, blockchain.ErrBadNonce.String(), p.Rule)
		})
	}
}

// TestIdempotencyKeyRetriedOnAnotherBank: a request with a key that one
// bank accepted, retried on a second bank whose pool holds another
// transfer of the same sender with the same nonce, is undecided until a
// block takes one of them. The second bank answers 503 meanwhile, never
// a 400 bad-nonce, which would tell the client that its transfer was
// refused while a block may yet include it; once a block has decided,
// the retry gets the keyed transfer's fate, or the refusal.
func TestIdempotencyKeyRetriedOnAnotherBank(t *testing.T) {
	for _, tc := range []struct {
		name      string
		keyedWins bool
		want      int // the retry's status once a block has decided
	}{
		{"the keyed transfer is mined", true, http.StatusAccepted},
		{"the other transfer is mined", false, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			// The second bank's node restores now and follows only
			// later, so that it has not read the keyed transfer when it
			// takes the other one.
			n2, b2, srv2 := f.start(t)
			t.Cleanup(srv2.Close)
			require.NoError(t, n2.Restore(context.Background(), node.RestoreVerify))
			b2.SetReady(true)
			running, stop := context.WithCancel(context.Background())
			ran := make(chan struct{})
			go func() { defer close(ran); _ = b2.Run(running) }()
			t.Cleanup(func() { stop(); <-ran })
			awaitAuditRead(t, b2, ran) // so that an unknown transaction is a 404

			keyed := consensustest.Transfer("alice", "bob", 5, 0)
			other := consensustest.Transfer("alice", "carol", 7, 0) // the same nonce
			f.submit(t, keyed, "Idempotency-Key", "order-9")
			status, _, body := doOn(t, srv2, http.MethodPost, "/transactions", "application/json", txJSON(t, other))
			require.Equal(t, http.StatusAccepted, status, "%s", body)

			status, header, body := doOn(t, srv2, http.MethodPost, "/transactions", "application/json", txJSON(t, keyed), "Idempotency-Key", "order-9")
			require.Equal(t, http.StatusServiceUnavailable, status, "undecided: %s", body)
			assert.NotEmpty(t, header.Get("Retry-After"))
			p := decode[bank.Problem](t, body)
			assert.Empty(t, p.Rule, "no rule: the nonce is not refused")
			assert.Contains(t, p.Detail, "not yet decided")
			// Nor does the second bank know the keyed transfer meanwhile:
			// its pool holds the other. The detail says that its 404 is no
			// refusal, rather than send the client to a lookup that reads
			// as "never taken".
			status, _, body = doOn(t, srv2, http.MethodGet, "/transactions/"+keyed.ID().String(), "", "")
			assert.Equal(t, http.StatusNotFound, status, "%s", body)
			assert.Contains(t, p.Detail, "may answer 404 here meanwhile")
			assert.NotContains(t, p.Detail, "or ask GET /transactions/")

			ctx, cancel := context.WithCancel(context.Background())
			following := make(chan error, 1)
			go func() { following <- n2.Follow(ctx) }()
			t.Cleanup(func() { cancel(); <-following })
			winner := other
			if tc.keyedWins {
				winner = keyed
			}
			block := f.mineTxs(t, winner)
			nodetest.WaitFor(t, n2, "the second bank's node to apply the block", func() bool { return n2.Chain().TipHash() == block.Hash() })

			status, _, body = doOn(t, srv2, http.MethodPost, "/transactions", "application/json", txJSON(t, keyed), "Idempotency-Key", "order-9")
			require.Equal(t, tc.want, status, "decided: %s", body)
			if tc.keyedWins {
				got := decode[bank.TransactionStatus](t, body)
				assert.Equal(t, keyed.ID(), got.ID)
				assert.Equal(t, bank.StatusIncluded, got.Status)
				return
			}
			assert.Equal(t, blockchain.ErrBadNonce.String(), decode[bank.Problem](t, body).Rule)
		})
	}
}
