// Package bankclienttest is a fake bank for the tests of the bank's
// clients (package bankclient, the wallet, the scheduler): an
// http.Handler that speaks the bank's HTTP API — the chain spec and head,
// accounts with balances and nonces, signed transactions posted, followed
// and listed, the chain's headers, and proofs of transactions and of
// accounts — over a real blockchain.Chain it holds, with no event log, no
// node and no miner running. Serve it with net/http/httptest:
//
//	bank, _ := bankclienttest.New(consensustest.Spec())
//	srv := httptest.NewServer(bank)
//	defer srv.Close()
//
// A posted transaction is checked as the bank's pool checks it (form,
// signature, chain ID, the sender's next nonce counting its pending
// transfers, funds net of its pending spends) and waits, pending, until
// the test calls Mine, which has the chain propose a block of every
// pending transfer that still applies (dropping the others with their
// rule), seals it with the spec's engine — proof of work at the spec's
// bits, so a light client's checks are real — and applies it. GET
// /headers, GET /transactions/{id}/proof and GET
// /accounts/{address}/proof answer from that chain as the bank does, so a
// light client (package lightclient) can check what the fake says. Errors
// are RFC 9457 problem details with "field" and "rule", as the real bank
// sends them.
//
// The test controls the rest: FailNext answers the next requests with an
// error status (503 with Retry-After, say), Intercept answers any request
// its own way (a stale account, malformed JSON, a forged proof or header:
// Chain gives what to forge from), Drop drops a pending transaction, and
// Requests says what the clients asked.
//
// A Bank is safe for concurrent use.
package bankclienttest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
)

// MaxBodySize bounds the body of a posted transaction, as the bank does.
const MaxBodySize = 64 << 10

// Limits of GET /accounts/{address}/transactions.
const (
	DefaultHistoryLimit = 20
	MaxHistoryLimit     = 100
)

// Limits of GET /headers, as the bank's.
const (
	DefaultHeadersLimit = 100
	MaxHeadersLimit     = 1000
)

// BlockInterval is the time between the blocks Mine makes: each is dated
// this long after its parent, whatever the clock says, so that every run
// makes the same blocks.
const BlockInterval = 10 * time.Second

// sealTimeout bounds the sealing of one block: an engine that cannot seal
// (a proof-of-authority signer out of turn) fails Mine rather than hang
// the test.
const sealTimeout = 30 * time.Second

// Beneficiary returns the address Mine pays each block's reward and fees
// to: the account of the ed25519 key whose seed is
// SHA-256("eventchain/bankclienttest/miner"), which no test account is.
func Beneficiary() blockchain.Address {
	seed := sha256.Sum256([]byte("eventchain/bankclienttest/miner"))
	k, err := blockchain.NewPrivateKey(seed[:])
	if err != nil { // a 32-byte seed always makes a key
		panic(err)
	}
	return k.Address()
}

// A Request is what a client asked the fake bank.
type Request struct {
	Method         string // the request's method, as in "POST"
	Path           string // the URL's path, as in "/accounts/ec…"
	Query          string // the raw query, without '?'
	IdempotencyKey string // the Idempotency-Key header, if any
}

// A Bank is a fake bank. Make one with New.
type Bank struct {
	mu        sync.Mutex
	spec      blockchain.ChainSpec
	specJSON  []byte
	engine    blockchain.Consensus
	chain     *blockchain.Chain
	pending   []blockchain.Transaction
	txs       map[uuid.UUID]*bankclient.Status
	keys      map[string]blockchain.Hash // Idempotency-Key → the hash of the transaction posted with it
	included  []bankclient.HistoryEntry  // in the order of inclusion; From's view, Direction unset
	submitted []blockchain.Transaction
	failures  []int
	intercept func(w http.ResponseWriter, r *http.Request) bool
	requests  []Request
	mux       *http.ServeMux
}

var _ http.Handler = (*Bank)(nil)

// An Option changes what New makes.
type Option func(*options)

type options struct {
	engine blockchain.Consensus
}

// WithEngine makes the bank seal and verify its blocks with engine rather
// than with the engine the spec names. It is required for a
// proof-of-authority spec: engine must then be able to seal every height
// (a single signer, holding its key). It is the test's business that
// engine keeps the spec's rules.
func WithEngine(engine blockchain.Consensus) Option {
	return func(o *options) { o.engine = engine }
}

// New returns a fake bank of the network spec, at genesis: each
// allocation's address holds its balance, no transaction is pending.
// Under proof of work it seals with the spec's parameters and one worker
// (deterministic: the same blocks on every run); keep the spec's bits low
// (a dozen at most) so that Mine stays fast. A spec that breaks its rules,
// or of proof of authority without WithEngine, is an error.
func New(spec blockchain.ChainSpec, opts ...Option) (*Bank, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	specJSON, err := spec.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if o.engine == nil {
		if spec.Consensus.PoW == nil {
			return nil, fmt.Errorf("bankclienttest: a %s spec needs WithEngine", spec.Consensus.Engine)
		}
		if o.engine, err = pow.New(pow.SpecConfig(*spec.Consensus.PoW, 1)); err != nil {
			return nil, err
		}
	}
	chain, err := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: o.engine})
	if err != nil {
		return nil, err
	}
	b := &Bank{
		spec: spec, specJSON: specJSON, engine: o.engine, chain: chain,
		txs: map[uuid.UUID]*bankclient.Status{}, keys: map[string]blockchain.Hash{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /chain/spec", b.getSpec)
	mux.HandleFunc("GET /chain/head", b.getHead)
	mux.HandleFunc("GET /headers", b.getHeaders)
	mux.HandleFunc("POST /transactions", b.postTransaction)
	mux.HandleFunc("GET /transactions/{id}", b.getTransaction)
	mux.HandleFunc("GET /transactions/{id}/proof", b.getTransactionProof)
	mux.HandleFunc("GET /accounts/{address}", b.getAccount)
	mux.HandleFunc("GET /accounts/{address}/transactions", b.getHistory)
	mux.HandleFunc("GET /accounts/{address}/proof", b.getAccountProof)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "no such resource: "+r.Method+" "+r.URL.Path, "", "")
	})
	b.mux = mux
	return b, nil
}

// Spec returns a valid proof-of-work spec (0 bits, no block reward) of
// chain chainID that gives each address its balance: a short way to make
// the network a test needs. It panics if the spec breaks a rule (a balance
// of 0, say), which is the test's mistake.
func Spec(chainID string, balances map[blockchain.Address]int64) blockchain.ChainSpec {
	spec := blockchain.ChainSpec{ChainID: chainID, Consensus: blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{}}}
	for a, bal := range balances {
		spec.Alloc = append(spec.Alloc, blockchain.Allocation{Address: a, Balance: bal})
	}
	spec.SortAlloc()
	if err := spec.Validate(); err != nil {
		panic(fmt.Sprintf("bankclienttest.Spec: %v", err))
	}
	return spec
}

// ServeHTTP answers one request of the bank's API.
func (b *Bank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.requests = append(b.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, IdempotencyKey: r.Header.Get("Idempotency-Key")})
	intercept := b.intercept
	var fail int
	if len(b.failures) > 0 {
		fail, b.failures = b.failures[0], b.failures[1:]
	}
	b.mu.Unlock()
	if intercept != nil && intercept(w, r) {
		return
	}
	if fail != 0 {
		if fail == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		writeProblem(w, fail, "the fake bank was told to fail this request", "", "")
		return
	}
	b.mux.ServeHTTP(w, r)
}

// FailNext makes the next n requests, whatever they ask, fail with a
// problem of the given status; a 503 comes with Retry-After: 1. Calls add
// up: FailNext(1, 503) then FailNext(1, 500) fails the next two.
func (b *Bank) FailNext(n, status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range n {
		b.failures = append(b.failures, status)
	}
}

// Intercept makes f see every request first (after it is logged, before
// FailNext's failures): if f answers it and returns true, the bank does
// nothing more. nil removes the interceptor. f runs without the bank's
// lock, so it may call the bank's methods.
func (b *Bank) Intercept(f func(w http.ResponseWriter, r *http.Request) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.intercept = f
}

// Requests returns every request the bank got, in order.
func (b *Bank) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.requests...)
}

// Submitted returns every transaction the bank accepted, in order; a
// transaction posted again is listed once.
func (b *Bank) Submitted() []blockchain.Transaction {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]blockchain.Transaction(nil), b.submitted...)
}

// Account returns an address's account in the chain, pending transfers
// not counted.
func (b *Bank) Account(a blockchain.Address) blockchain.Account {
	return b.chain.Account(a)
}

// Height returns the height of the chain's tip.
func (b *Bank) Height() uint64 {
	return b.chain.Height()
}

// Chain returns a read-only view of the bank's chain: the blocks, headers,
// states and proofs it serves, for a test to check an answer against or
// to forge one from.
func (b *Bank) Chain() blockchain.ReadOnlyChain {
	return b.chain.ReadOnly()
}

// Mine makes a block of the pending transactions, in the order they
// came, and returns the new height and how many it included. The chain
// proposes it (blockchain.Chain.Propose), dated BlockInterval after its
// parent and paying Beneficiary; the bank's engine seals it and the chain
// applies it, checking every rule. Since the bank checked each transfer
// against the chain and the transfers pending before it, all apply, but
// one that did not would be dropped with the rule it breaks. With nothing
// pending Mine makes an empty block. A block the bank cannot make or seal
// is the test's mistake (an engine out of turn, say): Mine panics, saying
// why.
func (b *Bank) Mine() (height uint64, included int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	parent := b.chain.Tip()
	block, rejected, err := b.chain.Propose(Beneficiary(), b.pending, parent.Timestamp.Add(BlockInterval))
	if err != nil {
		panic(fmt.Sprintf("bankclienttest: propose block %d: %v", parent.Height+1, err))
	}
	for _, r := range rejected {
		b.drop(r.Tx.ID(), r.Err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sealTimeout)
	defer cancel()
	sealed, err := b.engine.Seal(ctx, block)
	if err != nil {
		panic(fmt.Sprintf("bankclienttest: seal block %d: %v", block.Height(), err))
	}
	if err := b.chain.Apply(sealed); err != nil {
		panic(fmt.Sprintf("bankclienttest: apply block %d: %v", block.Height(), err))
	}
	b.pending = nil
	height, blockHash := sealed.Height(), sealed.Hash()
	for _, tx := range sealed.Transactions() {
		st := b.txs[tx.ID()]
		st.State, st.Height, st.BlockHash = bankclient.Included, height, blockHash
		b.included = append(b.included, bankclient.HistoryEntry{
			ID: tx.ID(), Hash: tx.Hash(), Height: height, BlockHash: blockHash,
			From: tx.From(), To: tx.To(), Amount: tx.Amount(), Fee: tx.Fee(), Nonce: tx.Nonce(),
		})
	}
	return height, sealed.Len()
}

// Drop takes the pending transaction id out of the pool as the bank would
// when it can no longer apply: its status becomes dropped with the
// reason err's text and, if err wraps a *blockchain.RuleError or an
// ErrorCode, its rule. It reports whether id was pending.
func (b *Bank) Drop(id uuid.UUID, err error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.txs[id]
	if !ok || st.State != bankclient.Pending {
		return false
	}
	b.drop(id, err)
	for i, tx := range b.pending {
		if tx.ID() == id {
			b.pending = append(b.pending[:i:i], b.pending[i+1:]...)
			break
		}
	}
	return true
}

// drop marks id dropped for err; the caller holds the lock.
func (b *Bank) drop(id uuid.UUID, err error) {
	st := b.txs[id]
	st.State, st.Reason, st.Rule = bankclient.Dropped, err.Error(), ruleOf(err)
}

// ruleOf returns the name of the rule err breaks, or "".
func ruleOf(err error) string {
	for _, c := range blockchain.ErrorCodes() {
		if errors.Is(err, c) {
			return c.String()
		}
	}
	return ""
}

func (b *Bank) getSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.specJSON)
}

func (b *Bank) getHead(w http.ResponseWriter, _ *http.Request) {
	b.mu.Lock()
	tip := b.chain.Tip()
	head := bankclient.Head{Height: tip.Height, Hash: tip.Hash(), Timestamp: tip.Timestamp, Pending: len(b.pending)}
	b.mu.Unlock()
	writeJSON(w, http.StatusOK, head)
}

// getHeaders serves GET /headers?from=H&limit=N as the bank does: the
// headers of heights from…from+limit−1, oldest first, fewer past the tip,
// none beyond it.
func (b *Bank) getHeaders(w http.ResponseWriter, r *http.Request) {
	limit, err := queryUint(r, "limit", DefaultHeadersLimit)
	if err != nil || limit < 1 || limit > MaxHeadersLimit {
		writeProblem(w, http.StatusBadRequest, fmt.Sprintf("limit: want 1…%d", MaxHeadersLimit), "limit", "")
		return
	}
	from, err := queryUint(r, "from", 0)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "from: want a block height", "from", "")
		return
	}
	out := []blockchain.Header{}
	for h := from; uint64(len(out)) < limit; h++ {
		header, ok := b.chain.HeaderAt(h)
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

// queryUint reads the query parameter name as a uint64, def if absent.
func queryUint(r *http.Request, name string, def uint64) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	return strconv.ParseUint(v, 10, 64)
}

// txFields names the request field each transaction rule is about.
var txFields = map[blockchain.ErrorCode]string{
	blockchain.ErrInvalidAmount:     "amount",
	blockchain.ErrInvalidFee:        "fee",
	blockchain.ErrMissingSender:     "from",
	blockchain.ErrMissingReceiver:   "to",
	blockchain.ErrSelfTransfer:      "to",
	blockchain.ErrBadChainID:        "chainId",
	blockchain.ErrSenderNotKey:      "from",
	blockchain.ErrBadSignature:      "signature",
	blockchain.ErrWeakKey:           "publicKey",
	blockchain.ErrWrongChain:        "chainId",
	blockchain.ErrBadNonce:          "nonce",
	blockchain.ErrInsufficientFunds: "amount",
	blockchain.ErrBadHash:           "hash",
}

func (b *Bank) postTransaction(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		writeProblem(w, http.StatusRequestEntityTooLarge, err.Error(), "", "")
		return
	}
	var tx blockchain.Transaction
	if err := tx.UnmarshalJSON(body); err != nil {
		var re *blockchain.RuleError
		if errors.As(err, &re) {
			writeProblem(w, http.StatusBadRequest, err.Error(), txFields[re.Code], re.Code.String())
			return
		}
		writeProblem(w, http.StatusBadRequest, err.Error(), "", "")
		return
	}
	if err := blockchain.CheckTransactionSanity(tx); err != nil {
		var re *blockchain.RuleError
		errors.As(err, &re)
		writeProblem(w, http.StatusBadRequest, err.Error(), txFields[re.Code], re.Code.String())
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	if h, used := b.keys[key]; key != "" && used && h != tx.Hash() {
		writeProblem(w, http.StatusUnprocessableEntity, "Idempotency-Key "+key+" was used with another transaction", "Idempotency-Key", "")
		return
	}
	if st, known := b.txs[tx.ID()]; known {
		writeJSON(w, http.StatusAccepted, st)
		return
	}
	if tx.ChainID() != b.spec.ChainID {
		writeProblem(w, http.StatusBadRequest, fmt.Sprintf("chain ID: have %q, want %q", tx.ChainID(), b.spec.ChainID), "chainId", blockchain.ErrWrongChain.String())
		return
	}
	acct := b.chain.Account(tx.From())
	next, spent := acct.Nonce, int64(0)
	for _, p := range b.pending {
		if p.From() == tx.From() {
			next++
			spent += p.Amount() + p.Fee()
		}
	}
	if tx.Nonce() != next {
		writeProblem(w, http.StatusBadRequest, fmt.Sprintf("nonce: have %d, want %d", tx.Nonce(), next), "nonce", blockchain.ErrBadNonce.String())
		return
	}
	if cost := tx.Amount() + tx.Fee(); acct.Balance-spent < cost {
		writeProblem(w, http.StatusBadRequest, fmt.Sprintf("funds: have %d, want ≥ %d", acct.Balance-spent, cost), "amount", blockchain.ErrInsufficientFunds.String())
		return
	}
	if key != "" {
		b.keys[key] = tx.Hash()
	}
	st := &bankclient.Status{ID: tx.ID(), Hash: tx.Hash(), State: bankclient.Pending}
	b.txs[tx.ID()] = st
	b.pending = append(b.pending, tx)
	b.submitted = append(b.submitted, tx)
	writeJSON(w, http.StatusAccepted, st)
}

func (b *Bank) getTransaction(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "id: "+err.Error(), "id", "")
		return
	}
	b.mu.Lock()
	st, ok := b.txs[id]
	var cp bankclient.Status
	if ok {
		cp = *st
	}
	b.mu.Unlock()
	if !ok {
		writeProblem(w, http.StatusNotFound, "no transaction "+id.String(), "id", "")
		return
	}
	writeJSON(w, http.StatusOK, cp)
}

func (b *Bank) getAccount(w http.ResponseWriter, r *http.Request) {
	a, err := blockchain.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error(), "address", "")
		return
	}
	b.mu.Lock()
	acct := b.chain.Account(a)
	next := acct.Nonce
	for _, p := range b.pending {
		if p.From() == a {
			next++
		}
	}
	b.mu.Unlock()
	writeJSON(w, http.StatusOK, bankclient.Account{Address: a, Balance: acct.Balance, Nonce: acct.Nonce, NextNonce: next})
}

// getTransactionProof serves GET /transactions/{id}/proof as the bank
// does: the transaction, its block's height and header, and its
// inclusion proof; 404 if no block includes it.
func (b *Bank) getTransactionProof(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "id: "+err.Error(), "id", "")
		return
	}
	b.mu.Lock()
	st, ok := b.txs[id]
	included := ok && st.State == bankclient.Included
	var height uint64
	if included {
		height = st.Height
	}
	b.mu.Unlock()
	if !included {
		writeProblem(w, http.StatusNotFound, fmt.Sprintf("no block of the chain includes %s (yet)", id), "id", "")
		return
	}
	blk, ok := b.chain.BlockAt(height)
	if !ok { // the chain keeps every block
		writeProblem(w, http.StatusGone, fmt.Sprintf("block %d is no longer held", height), "", "")
		return
	}
	for i := range blk.Len() {
		if tx := blk.Transaction(i); tx.ID() == id {
			proof, err := blk.InclusionProof(i)
			if err != nil { // i is in range: cannot fail
				writeProblem(w, http.StatusInternalServerError, err.Error(), "", "")
				return
			}
			writeJSON(w, http.StatusOK, bankclient.TxProof{Transaction: tx, Height: height, Header: blk.Header(), Proof: proof})
			return
		}
	}
	writeProblem(w, http.StatusInternalServerError, fmt.Sprintf("block %d does not hold %s", height, id), "", "")
}

// getAccountProof serves GET /accounts/{address}/proof?height=H as the
// bank does: the header at H (the tip if absent) and the account's proof
// against its state root; 404 past the tip, 410 for a state the chain no
// longer keeps.
func (b *Bank) getAccountProof(w http.ResponseWriter, r *http.Request) {
	a, err := blockchain.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error(), "address", "")
		return
	}
	b.mu.Lock() // no block between reading the tip and proving
	defer b.mu.Unlock()
	tip := b.chain.Height()
	height, err := queryUint(r, "height", tip)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "height: want a block height", "height", "")
		return
	}
	if height > tip {
		writeProblem(w, http.StatusNotFound, fmt.Sprintf("height: have %d, the tip is at %d", height, tip), "height", "")
		return
	}
	proof, err := b.chain.ProveAccount(a, height)
	if errors.Is(err, blockchain.ErrStateNotKept) {
		writeProblem(w, http.StatusGone, fmt.Sprintf("the state at height %d is no longer held", height), "height", "")
		return
	}
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, err.Error(), "", "")
		return
	}
	header, _ := b.chain.HeaderAt(height)
	writeJSON(w, http.StatusOK, bankclient.AccountProofAnswer{Header: header, Proof: proof})
}

func (b *Bank) getHistory(w http.ResponseWriter, r *http.Request) {
	a, err := blockchain.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error(), "address", "")
		return
	}
	limit := DefaultHistoryLimit
	if s := r.URL.Query().Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > MaxHistoryLimit {
			writeProblem(w, http.StatusBadRequest, fmt.Sprintf("limit: have %q, want 1…%d", s, MaxHistoryLimit), "limit", "")
			return
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	before := len(b.included)
	if s := r.URL.Query().Get("before"); s != "" {
		if before, err = strconv.Atoi(s); err != nil || before < 0 || before > len(b.included) {
			writeProblem(w, http.StatusBadRequest, fmt.Sprintf("before: have %q, want a cursor from a previous page", s), "before", "")
			return
		}
	}
	page := bankclient.Page{Transactions: []bankclient.HistoryEntry{}, Height: b.chain.Height()} // it indexes each block as it mines it
	for i := before - 1; i >= 0; i-- {
		e := b.included[i]
		switch a {
		case e.From:
			e.Direction = bankclient.Out
		case e.To:
			e.Direction = bankclient.In
		default:
			continue
		}
		if len(page.Transactions) == limit {
			page.Next = strconv.Itoa(i + 1)
			break
		}
		page.Transactions = append(page.Transactions, e)
	}
	writeJSON(w, http.StatusOK, page)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, detail, field, rule string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(bankclient.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Field: field, Rule: rule})
}
