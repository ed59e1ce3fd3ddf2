package bankclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
)

// newFakeBank serves a fake bank of consensustest.Spec() on loopback and
// returns it with a client of it.
func newFakeBank(t *testing.T) (*bankclienttest.Bank, *bankclient.Client) {
	t.Helper()
	bank, err := bankclienttest.New(consensustest.Spec())
	require.NoError(t, err)
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)
	c, err := bankclient.New(srv.URL, srv.Client())
	require.NoError(t, err)
	return bank, c
}

// serve returns a client of a server that answers every request with h.
func serve(t *testing.T, h http.HandlerFunc) *bankclient.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := bankclient.New(srv.URL, srv.Client())
	require.NoError(t, err)
	return c
}

// answer returns a handler that answers status with body of media type
// contentType, and the extra headers (name, value pairs).
func answer(status int, contentType, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://host", "http://", "http://host/?q=1", "http://host/#x", "http://user:pw@host", "://x"} {
		t.Run(u, func(t *testing.T) {
			c, err := bankclient.New(u, nil)
			assert.Error(t, err)
			assert.Nil(t, c)
		})
	}
	for _, u := range []string{"http://localhost:8080", "https://bank.example", "http://127.0.0.1:1/prefix/"} {
		t.Run(u, func(t *testing.T) {
			c, err := bankclient.New(u, nil)
			require.NoError(t, err)
			assert.Equal(t, u, c.BaseURL())
		})
	}
}

func TestTransferLifecycle(t *testing.T) {
	ctx := context.Background()
	bank, c := newFakeBank(t)
	alice, bob := consensustest.Key("alice"), consensustest.Addr("bob")

	spec, err := c.Spec(ctx)
	require.NoError(t, err)
	assert.Empty(t, spec.Diff(consensustest.Spec()), "the spec read is the bank's")

	head, err := c.Head(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(0), head.Height)
	assert.Equal(t, consensustest.Genesis().Hash(), head.Hash)

	acct, err := c.Account(ctx, alice.Address())
	require.NoError(t, err)
	assert.Equal(t, bankclient.Account{Address: alice.Address(), Balance: 1_000_000}, acct)

	tx := blockchain.Transfer{ChainID: spec.ChainID, To: bob, Amount: 125, Fee: 2, Nonce: acct.NextNonce}.Sign(alice)
	st, err := c.Submit(ctx, tx, tx.Hash().String())
	require.NoError(t, err)
	assert.Equal(t, bankclient.Status{ID: tx.ID(), Hash: tx.Hash(), State: bankclient.Pending}, st)

	again, err := c.Submit(ctx, tx, tx.Hash().String())
	require.NoError(t, err, "posting the same signed transaction again is idempotent")
	assert.Equal(t, st, again)
	assert.Len(t, bank.Submitted(), 1)

	acct, err = c.Account(ctx, alice.Address())
	require.NoError(t, err)
	assert.Equal(t, uint64(0), acct.Nonce)
	assert.Equal(t, uint64(1), acct.NextNonce, "the pending transfer counts")

	head, err = c.Head(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, head.Pending)

	height, n := bank.Mine()
	require.Equal(t, 1, n)
	st, err = c.Status(ctx, tx.ID())
	require.NoError(t, err)
	assert.Equal(t, bankclient.Included, st.State)
	assert.Equal(t, height, st.Height)
	assert.False(t, st.BlockHash.IsZero())

	acct, err = c.Account(ctx, bob)
	require.NoError(t, err)
	assert.Equal(t, int64(1_000_125), acct.Balance)

	want := bankclient.HistoryEntry{ID: tx.ID(), Hash: tx.Hash(), Height: height, BlockHash: st.BlockHash,
		From: alice.Address(), To: bob, Amount: 125, Fee: 2, Nonce: 0}
	for _, tc := range []struct {
		addr blockchain.Address
		dir  bankclient.Direction
	}{{alice.Address(), bankclient.Out}, {bob, bankclient.In}} {
		page, err := c.History(ctx, tc.addr, 10, "")
		require.NoError(t, err)
		w := want
		w.Direction = tc.dir
		assert.Equal(t, bankclient.Page{Transactions: []bankclient.HistoryEntry{w}, Height: height}, page)
	}
	page, err := c.History(ctx, consensustest.Addr("carol"), 0, "")
	require.NoError(t, err)
	assert.Empty(t, page.Transactions)
	assert.Empty(t, page.Next)
}

func TestHistoryPages(t *testing.T) {
	ctx := context.Background()
	bank, c := newFakeBank(t)
	var ids []uuid.UUID
	for nonce := range uint64(5) {
		tx := consensustest.Transfer("alice", "bob", 10, nonce)
		_, err := c.Submit(ctx, tx, "")
		require.NoError(t, err)
		ids = append(ids, tx.ID())
		bank.Mine()
	}
	var seen []uuid.UUID
	before := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5, "the pages end")
		page, err := c.History(ctx, consensustest.Addr("bob"), 2, before)
		require.NoError(t, err)
		for _, e := range page.Transactions {
			seen = append(seen, e.ID)
		}
		if page.Next == "" {
			break
		}
		before = page.Next
	}
	assert.Equal(t, []uuid.UUID{ids[4], ids[3], ids[2], ids[1], ids[0]}, seen, "newest first, each once")
	for _, r := range bank.Requests() {
		if strings.HasSuffix(r.Path, "/transactions") && r.Method == http.MethodGet {
			assert.Contains(t, r.Query, "limit=2")
		}
	}
	_, err := c.History(ctx, consensustest.Addr("bob"), -1, "")
	assert.Error(t, err)
}

func TestRequests(t *testing.T) {
	ctx := context.Background()
	tx := consensustest.Transfer("alice", "bob", 5, 0)
	var got *http.Request
	var body []byte
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(bankclient.Status{ID: tx.ID(), Hash: tx.Hash(), State: bankclient.Pending})
	})
	_, err := c.Submit(ctx, tx, "key-1")
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "/transactions", got.URL.Path)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, "key-1", got.Header.Get("Idempotency-Key"))
	var decoded blockchain.Transaction
	require.NoError(t, json.Unmarshal(body, &decoded))
	assert.Equal(t, tx.Hash(), decoded.Hash(), "the body is the signed transaction")

	_, err = c.Submit(ctx, tx, "")
	require.NoError(t, err)
	_, set := got.Header["Idempotency-Key"]
	assert.False(t, set, "no key, no header")

	// A base URL with a path prefixes every request's path.
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		answer(http.StatusOK, "application/json", `{"height":3}`)(w, r)
	}))
	t.Cleanup(srv.Close)
	pc, err := bankclient.New(srv.URL+"/bank/", srv.Client())
	require.NoError(t, err)
	head, err := pc.Head(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), head.Height)
	assert.Equal(t, "/bank/chain/head", path)
}

func TestProblemAnswers(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		problem    bankclient.Problem
		code       blockchain.ErrorCode
		retryable  bool
		retryAfter time.Duration
		text       string
	}{
		{
			name:    "broken rule",
			handler: answer(400, "application/problem+json", `{"type":"about:blank","title":"Bad Request","status":400,"detail":"nonce: have 0, want 3","field":"nonce","rule":"bad-nonce"}`),
			problem: bankclient.Problem{Type: "about:blank", Title: "Bad Request", Status: 400, Detail: "nonce: have 0, want 3", Field: "nonce", Rule: "bad-nonce"},
			code:    blockchain.ErrBadNonce,
			text:    "bank answered 400 Bad Request: nonce: have 0, want 3 (rule bad-nonce, field nonce)",
		},
		{
			name:    "unknown rule",
			handler: answer(400, "application/problem+json", `{"status":400,"title":"Bad Request","rule":"rule-of-tomorrow"}`),
			problem: bankclient.Problem{Title: "Bad Request", Status: 400, Rule: "rule-of-tomorrow"},
			code:    blockchain.ErrUnknown,
			text:    "bank answered 400 Bad Request (rule rule-of-tomorrow)",
		},
		{
			name:    "not found",
			handler: answer(404, "application/problem+json", `{"status":404,"title":"Not Found","detail":"no transaction","field":"id"}`),
			problem: bankclient.Problem{Title: "Not Found", Status: 404, Detail: "no transaction", Field: "id"},
			text:    "bank answered 404 Not Found: no transaction (field id)",
		},
		{
			name:    "idempotency key reused",
			handler: answer(422, "application/problem+json", `{"status":422,"title":"Unprocessable Entity","detail":"key reused"}`),
			problem: bankclient.Problem{Title: "Unprocessable Entity", Status: 422, Detail: "key reused"},
			text:    "bank answered 422 Unprocessable Entity: key reused",
		},
		{
			name:       "not ready",
			handler:    answer(503, "application/problem+json", `{"status":503,"title":"Service Unavailable","detail":"restoring"}`, "Retry-After", "2"),
			problem:    bankclient.Problem{Title: "Service Unavailable", Status: 503, Detail: "restoring"},
			retryable:  true,
			retryAfter: 2 * time.Second,
			text:       "bank answered 503 Service Unavailable: restoring",
		},
		{
			name:      "proxy page",
			handler:   answer(502, "text/html", "<html>bad gateway</html>\n", "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
			problem:   bankclient.Problem{Title: "Bad Gateway", Status: 502, Detail: "<html>bad gateway</html>"},
			retryable: true,
			text:      "bank answered 502 Bad Gateway: <html>bad gateway</html>",
		},
		{
			name:    "problem that is not JSON",
			handler: answer(500, "application/problem+json", `{"status":`),
			problem: bankclient.Problem{Title: "Internal Server Error", Status: 500, Detail: `{"status":`},
			text:    `bank answered 500 Internal Server Error: {"status":`,
		},
		{
			name:    "problem without status",
			handler: answer(409, "application/problem+json", `{"title":"Conflict"}`),
			problem: bankclient.Problem{Title: "Conflict", Status: 409},
			text:    "bank answered 409 Conflict",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, tc.handler)
			_, err := c.Head(context.Background())
			require.Error(t, err)
			var pe *bankclient.ProblemError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.problem, pe.Problem)
			assert.Equal(t, tc.problem.Status, pe.Status)
			assert.Equal(t, tc.code, pe.Code())
			assert.Equal(t, tc.retryable, bankclient.IsRetryable(err))
			assert.Equal(t, tc.retryAfter, pe.RetryAfter)
			assert.Equal(t, tc.text, pe.Error())
			if tc.code != blockchain.ErrUnknown {
				assert.ErrorIs(t, err, tc.code)
			}
			assert.NotErrorIs(t, err, blockchain.ErrInsufficientFunds)
		})
	}
}

// TestProblemDetailIsBounded: a bank's problem detail is its own words,
// as long as it likes: a lying bank's must not fill the user's terminal
// with one error. But a true one keeps its advice: the bank's longest
// details (a keyed retry undecided, say, whose advice, "post again later
// with the same key", comes last) run past 200 bytes.
func TestProblemDetailIsBounded(t *testing.T) {
	long := strings.Repeat("é", 1<<18) // 512 KiB: five of them fit in MaxResponseSize
	undecided := "the transaction this Idempotency-Key reserved is not yet decided: no block has used nonce 0 of " +
		consensustest.Addr("alice").String() + ", and another transaction pending here has it, or ones before it are not yet read here; " +
		"post again later with the same key (GET /transactions/" + consensustest.Transfer("alice", "bob", 5, 0).ID().String() +
		" may answer 404 here meanwhile, for this bank's pool holds the other: that is not a refusal)"
	for _, tc := range []struct {
		name, contentType, body string
		maxDetail               int    // the most bytes of Detail kept, before "…"
		wantDetail              string // if not empty, the Detail kept whole
	}{
		{name: "plain text", contentType: "text/plain", body: strings.Repeat("é", 1000), maxDetail: 200},
		{name: "problem detail", contentType: "application/problem+json", maxDetail: 1024,
			body: `{"title":"` + long + `","detail":"` + long + `","rule":"` + long + `","field":"` + long + `","type":"` + long + `"}`},
		{name: "the bank's own detail", contentType: "application/problem+json", maxDetail: 1024, wantDetail: undecided,
			body: `{"title":"transaction undecided","status":503,"detail":"` + undecided + `","field":"nonce"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, answer(500, tc.contentType, tc.body))
			_, err := c.Head(context.Background())
			var pe *bankclient.ProblemError
			require.ErrorAs(t, err, &pe)
			assert.LessOrEqual(t, len(pe.Problem.Detail), tc.maxDetail+len("…"))
			for _, text := range []string{pe.Problem.Detail, pe.Problem.Title, pe.Problem.Rule, pe.Problem.Field, pe.Problem.Type} {
				assert.NotContains(t, text, "\uFFFD", "cut on a character boundary")
			}
			for _, text := range []string{pe.Problem.Title, pe.Problem.Rule, pe.Problem.Field, pe.Problem.Type} {
				assert.LessOrEqual(t, len(text), 200+len("…"))
			}
			assert.Less(t, len(err.Error()), 2000, "the error message")
			if tc.wantDetail != "" {
				assert.Greater(t, len(tc.wantDetail), 200, "a detail longer than a short text's bound")
				assert.Equal(t, tc.wantDetail, pe.Problem.Detail)
				assert.Contains(t, err.Error(), "post again later with the same key")
				return
			}
			assert.True(t, strings.HasSuffix(pe.Problem.Detail, "…"))
		})
	}
}

// TestStatusReasonIsBounded: a dropped transaction's reason is the
// bank's words; a lying bank's cannot be megabytes long.
func TestStatusReasonIsBounded(t *testing.T) {
	tx := consensustest.Transfer("alice", "bob", 5, 0)
	long := strings.Repeat("é", 1<<19) // 1 MiB: two of them fit in MaxResponseSize
	body := `{"id":"` + tx.ID().String() + `","hash":"` + tx.Hash().String() + `","status":"dropped","reason":"` + long + `","rule":"` + long + `"}`
	c := serve(t, answer(200, "application/json", body))
	for _, call := range []struct {
		name string
		do   func() (bankclient.Status, error)
	}{
		{"GET /transactions/{id}", func() (bankclient.Status, error) { return c.Status(context.Background(), tx.ID()) }},
		{"POST /transactions", func() (bankclient.Status, error) { return c.Submit(context.Background(), tx, "") }},
	} {
		t.Run(call.name, func(t *testing.T) {
			st, err := call.do()
			require.NoError(t, err)
			assert.LessOrEqual(t, len(st.Reason), 1024+len("…"))
			assert.LessOrEqual(t, len(st.Rule), 200+len("…"))
			assert.True(t, strings.HasSuffix(st.Reason, "…"))
		})
	}
}

func TestMalformedAnswers(t *testing.T) {
	tx := consensustest.Transfer("alice", "bob", 5, 0)
	other := consensustest.Transfer("alice", "bob", 6, 0)
	alice := consensustest.Addr("alice")
	calls := map[string]func(c *bankclient.Client) error{
		"spec":    func(c *bankclient.Client) error { _, err := c.Spec(context.Background()); return err },
		"head":    func(c *bankclient.Client) error { _, err := c.Head(context.Background()); return err },
		"account": func(c *bankclient.Client) error { _, err := c.Account(context.Background(), alice); return err },
		"submit":  func(c *bankclient.Client) error { _, err := c.Submit(context.Background(), tx, ""); return err },
		"status":  func(c *bankclient.Client) error { _, err := c.Status(context.Background(), tx.ID()); return err },
		"history": func(c *bankclient.Client) error { _, err := c.History(context.Background(), alice, 0, ""); return err },
	}
	tests := []struct {
		name, call, body string
	}{
		{"spec not JSON", "spec", "<html>"},
		{"spec invalid", "spec", `{"chainId":"Bad Id","blockReward":0,"alloc":{},"consensus":{"engine":"pow","pow":{"bits":0}}}`},
		{"head truncated", "head", `{"height":`},
		{"head empty", "head", ``},
		{"head wrong type", "head", `{"height":"three"}`},
		{"head negative height", "head", `{"height":-1}`},
		{"head trailing data", "head", `{"height":1} {"height":2}`},
		{"head bad hash", "head", `{"height":1,"hash":"xyz"}`},
		{"account bad address", "account", `{"address":"ec00","balance":1}`},
		{"account of another address", "account", `{"address":"` + consensustest.Addr("bob").String() + `","balance":1}`},
		{"account null", "account", `null`},
		{"submit of another transaction", "submit", `{"id":"` + other.ID().String() + `","status":"pending"}`},
		{"submit unknown state", "submit", `{"id":"` + tx.ID().String() + `","status":"lost"}`},
		{"submit bad id", "submit", `{"id":"nope","status":"pending"}`},
		{"status of another transaction", "status", `{"id":"` + other.ID().String() + `","status":"included"}`},
		{"status array", "status", `[]`},
		{"history not a list", "history", `{"transactions":{}}`},
		{"history bad entry", "history", `{"transactions":[{"from":"alice"}]}`},
		{"too large", "head", `{"height":1,"pad":"` + strings.Repeat("x", bankclient.MaxResponseSize) + `"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status := http.StatusOK
			if tc.call == "submit" {
				status = http.StatusAccepted
			}
			c := serve(t, answer(status, "application/json", tc.body))
			err := calls[tc.call](c)
			require.Error(t, err)
			assert.ErrorIs(t, err, bankclient.ErrMalformedResponse)
			assert.False(t, bankclient.IsRetryable(err))
		})
	}
}

func TestNoAnswer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := bankclient.New(url, nil)
	require.NoError(t, err)
	_, err = c.Head(context.Background())
	assert.ErrorIs(t, err, bankclient.ErrNoAnswer)
	assert.True(t, bankclient.IsRetryable(err))

	hung := make(chan struct{})
	defer close(hung)
	c = serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hung:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Head(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, bankclient.ErrNoAnswer)
	assert.False(t, bankclient.IsRetryable(err))

	assert.False(t, bankclient.IsRetryable(nil))
	assert.False(t, bankclient.IsRetryable(errors.New("other")))
}

// TestPrintable: what a bank sends is printed with its control characters
// escaped, so a hostile bank can neither break an error over lines nor
// send escape sequences to the terminal; text without any is unchanged.
func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nonce: have 0, want 3", "nonce: have 0, want 3"},
		{"chaîne « citée » 链", "chaîne « citée » 链"},
		{"line one\nwallet: included in block 1", `line one\nwallet: included in block 1`},
		{"\x1b[2J\x1b[31mRED", `\x1b[2J\x1b[31mRED`},
		{"a\u2028b\tc", `a\u2028b\tc`},
		{"bad \xff byte", `bad \xff byte`},
		{"", ""},
	} {
		assert.Equal(t, tc.want, bankclient.Printable(tc.in), "%q", tc.in)
	}
	pe := &bankclient.ProblemError{Status: 400, Problem: bankclient.Problem{Detail: "line one\nwallet: included \x1b[31m", Rule: "bad-nonce\nfake", Field: "from\r"}}
	assert.Equal(t, `bank answered 400 Bad Request: line one\nwallet: included \x1b[31m (rule bad-nonce\nfake, field from\r)`, pe.Error())
	assert.NotContains(t, pe.Error(), "\n")
}

// TestRedirectNotFollowed: a client New makes (hc nil) follows no
// redirect. A bank that points a transfer elsewhere gets an error that
// says where, and the signed transfer and its Idempotency-Key never reach
// the other host.
func TestRedirectNotFollowed(t *testing.T) {
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	t.Cleanup(other.Close)
	tx := consensustest.Transfer("alice", "bob", 1, 0)
	for i, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var h http.Handler = http.RedirectHandler(other.URL+"/transactions", status)
			if i%2 == 1 {
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					// A body that reads as a problem detail must not hide
					// the redirect.
					w.Header().Set("Content-Type", "application/problem+json")
					w.Header().Set("Location", other.URL+"/transactions")
					w.WriteHeader(status)
					_, _ = w.Write([]byte(`{"status":400,"title":"elsewhere","detail":"nothing to see"}`))
				})
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			c, err := bankclient.New(srv.URL, nil)
			require.NoError(t, err)

			_, err = c.Submit(context.Background(), tx, "key-1")
			var pe *bankclient.ProblemError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, status, pe.Status)
			assert.Contains(t, err.Error(), `a redirect, not followed, to "`+other.URL+`/transactions"`)
			assert.Zero(t, reached.Load(), "the other host was sent the transfer")
		})
	}
}
