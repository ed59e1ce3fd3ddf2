package bankclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/internal/clip"
)

// MaxResponseSize bounds the body of an answer the client reads, in bytes.
// A larger body is refused (ErrMalformedResponse) rather than read whole:
// the bank's answers are a few kilobytes, a chain spec with many
// allocations a few hundred.
const MaxResponseSize = 4 << 20

// DefaultTimeout is the time limit of each request when New is given no
// http.Client.
const DefaultTimeout = 10 * time.Second

// A Client talks to one bank's HTTP API. Make one with New. It is safe for
// concurrent use.
type Client struct {
	raw  string   // the base URL as given
	base *url.URL // the base URL, its path ending in "/"
	hc   *http.Client
	poll Poll
}

// New returns a client of the bank at baseURL, such as
// "http://localhost:8080" (a path, as in "http://host/bank/", is kept as a
// prefix of every request's). It sends its requests with hc; nil means
// NewHTTPClient's. A redirect is then an error, a *ProblemError of its
// status that says where it pointed. A baseURL that
// is not an absolute http or https URL, or that has a query or a
// fragment, is an error.
func New(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("bank URL: have %q, want http://host:port or https://host:port", baseURL)
	}
	if hc == nil {
		hc = NewHTTPClient()
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	return &Client{raw: baseURL, base: u, hc: hc}, nil
}

// NewHTTPClient returns the HTTP client to talk to a bank with: it gives
// up after DefaultTimeout, and follows no redirect, which is the answer:
// a bank answers none, and one that did would have its client send a
// signed transfer, and its Idempotency-Key, or read headers and proofs,
// wherever it said (a service on the user's own network, say).
func NewHTTPClient() *http.Client {
	return &http.Client{Timeout: DefaultTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// BaseURL returns the bank's base URL, as given to New.
func (c *Client) BaseURL() string { return c.raw }

// Spec returns the bank's chain spec: GET /chain/spec. A wallet needs its
// ChainID to sign transfers the bank will accept.
func (c *Client) Spec(ctx context.Context) (blockchain.ChainSpec, error) {
	var spec blockchain.ChainSpec
	err := c.do(ctx, http.MethodGet, c.url("chain", "spec"), nil, "", func(body []byte) error {
		return spec.UnmarshalJSON(body)
	})
	return spec, err
}

// Head returns the tip of the bank's chain: GET /chain/head.
func (c *Client) Head(ctx context.Context) (Head, error) {
	var h Head
	err := c.do(ctx, http.MethodGet, c.url("chain", "head"), nil, "", jsonInto(&h))
	return h, err
}

// Account returns what the bank knows of addr: GET /accounts/{addr}.
// An address that never held anything is the zero Account (with its
// address), not an error. Its NextNonce is the nonce of addr's next
// transfer.
func (c *Client) Account(ctx context.Context, addr blockchain.Address) (Account, error) {
	var a Account
	err := c.do(ctx, http.MethodGet, c.url("accounts", addr.String()), nil, "", jsonInto(&a))
	if err == nil && a.Address != addr {
		return Account{}, fmt.Errorf("%w: GET /accounts/%s: the account of %s", ErrMalformedResponse, addr, a.Address)
	}
	return a, err
}

// Submit posts a signed transaction: POST /transactions, with the
// Idempotency-Key header if idempotencyKey is not empty. It returns the
// transaction's status (pending, unless the very same transaction was
// posted before and has moved on since).
//
// Posting the same signed transaction again is safe: its ID derives from
// its signed content, so the bank answers with the status it has. A key
// derived from the transaction, such as tx.Hash().String(), makes a retry
// of a request that got no answer safe too. The bank refuses a
// transaction that breaks a rule with a *ProblemError of status 400
// naming the rule (errors.Is(err, blockchain.ErrBadNonce)), a key used
// before with another transaction with 422, and answers 503 while it
// cannot take transactions (IsRetryable).
func (c *Client) Submit(ctx context.Context, tx blockchain.Transaction, idempotencyKey string) (Status, error) {
	body, err := json.Marshal(tx)
	if err != nil {
		return Status{}, fmt.Errorf("encode transaction: %w", err)
	}
	var st Status
	err = c.do(ctx, http.MethodPost, c.url("transactions"), body, idempotencyKey, statusInto(&st))
	if err == nil && st.ID != tx.ID() {
		return Status{}, fmt.Errorf("%w: POST /transactions: the status of %s, want %s", ErrMalformedResponse, st.ID, tx.ID())
	}
	return st, err
}

// Status returns what became of the transaction id: GET
// /transactions/{id}. A transaction the bank does not know is a
// *ProblemError of status 404.
func (c *Client) Status(ctx context.Context, id uuid.UUID) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, c.url("transactions", id.String()), nil, "", statusInto(&st))
	if err == nil && st.ID != id {
		return Status{}, fmt.Errorf("%w: GET /transactions/%s: the status of %s", ErrMalformedResponse, id, st.ID)
	}
	return st, err
}

// History returns a page of the transfers included in the chain that
// addr sent or received, newest first: GET
// /accounts/{addr}/transactions. limit bounds the page (0: the bank's
// default); before is the cursor of a previous Page's Next ("" for the
// newest).
func (c *Client) History(ctx context.Context, addr blockchain.Address, limit int, before string) (Page, error) {
	if limit < 0 {
		return Page{}, fmt.Errorf("history: limit: have %d, want ≥ 0", limit)
	}
	u := c.url("accounts", addr.String(), "transactions")
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if before != "" {
		q.Set("before", before)
	}
	u.RawQuery = q.Encode()
	var p Page
	err := c.do(ctx, http.MethodGet, u, nil, "", jsonInto(&p))
	return p, err
}

// TxProof returns the proof that the transaction id is in a block of the
// chain: GET /transactions/{id}/proof. A transaction no block includes
// (yet) is a *ProblemError of status 404; one whose block the bank no
// longer holds, 410. An answer about another transaction is an error
// wrapping ErrMalformedResponse. The proof is not checked here: see
// TxProof's documentation.
func (c *Client) TxProof(ctx context.Context, id uuid.UUID) (TxProof, error) {
	var p TxProof
	err := c.do(ctx, http.MethodGet, c.url("transactions", id.String(), "proof"), nil, "", jsonInto(&p))
	if err == nil && p.Transaction.ID() != id {
		return TxProof{}, fmt.Errorf("%w: GET /transactions/%s/proof: the proof of %s", ErrMalformedResponse, id, p.Transaction.ID())
	}
	return p, err
}

// AccountProof returns the proof of addr's balance and nonce, or of its
// absence, after the block at *height, or at the bank's tip if height is
// nil: GET /accounts/{addr}/proof?height=H. A height past the tip is a
// *ProblemError of status 404; one whose state the bank no longer keeps
// (it keeps the newest heights' only), 410. An answer about another
// address, or another height than the one asked for, is an error wrapping
// ErrMalformedResponse. The proof is not checked here: see
// AccountProofAnswer's documentation.
func (c *Client) AccountProof(ctx context.Context, addr blockchain.Address, height *uint64) (AccountProofAnswer, error) {
	u := c.url("accounts", addr.String(), "proof")
	if height != nil {
		u.RawQuery = url.Values{"height": {strconv.FormatUint(*height, 10)}}.Encode()
	}
	var a AccountProofAnswer
	err := c.do(ctx, http.MethodGet, u, nil, "", jsonInto(&a))
	switch {
	case err != nil:
		return AccountProofAnswer{}, err
	case a.Proof.Address != addr:
		return AccountProofAnswer{}, fmt.Errorf("%w: GET /accounts/%s/proof: the proof of %s", ErrMalformedResponse, addr, a.Proof.Address)
	case height != nil && a.Proof.Height != *height:
		return AccountProofAnswer{}, fmt.Errorf("%w: GET /accounts/%s/proof: the proof at height %d, want %d", ErrMalformedResponse, addr, a.Proof.Height, *height)
	}
	return a, nil
}

// url returns the base URL with the path segments appended.
func (c *Client) url(segments ...string) *url.URL {
	return c.base.JoinPath(segments...)
}

// do sends one request and hands a 2xx answer's body to decode. Any other
// answer becomes a *ProblemError; a request without an answer an error
// wrapping ErrNoAnswer, or the context's error if ctx ended.
func (c *Client) do(ctx context.Context, method string, u *url.URL, body []byte, idempotencyKey string, decode func([]byte) error) error {
	what := method + " " + u.Path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		return fmt.Errorf("%s: %w: %w", what, ErrNoAnswer, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("%s: %w", what, ctx.Err())
	case err != nil:
		return fmt.Errorf("%s: %w: reading the answer: %w", what, ErrNoAnswer, err)
	case len(data) > MaxResponseSize:
		return fmt.Errorf("%s: %w: the answer is over %d bytes", what, ErrMalformedResponse, MaxResponseSize)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return problemOf(resp, data)
	}
	if err := decode(data); err != nil {
		return fmt.Errorf("%s: %w: %w", what, ErrMalformedResponse, err)
	}
	return nil
}

// jsonInto returns a decoder of one JSON value into v that refuses
// anything after the value. Unknown members are ignored, so a bank that
// says more than this client knows is still understood. An object that
// names a member twice is refused (see uniqueMembers).
func jsonInto(v any) func([]byte) error {
	return func(data []byte) error {
		if err := uniqueMembers(data); err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(v); err != nil {
			return err
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return errors.New("data after the JSON value")
		}
		return nil
	}
}

// uniqueMembers returns an error if an object anywhere in data names a
// member twice, as encoding/json matches names: "balance" twice, or
// "balance" and "Balance" (it matches a field's name without regard to
// case, the Kelvin sign K as a k). encoding/json takes the last of them
// and says nothing, so an answer could read one way to this client and
// another to a program that takes the first (a proxy, an auditor, a
// person reading it); no honest bank sends such an object. What is not
// JSON it leaves to the decoder to refuse.
func uniqueMembers(data []byte) error {
	type container struct {
		names   map[string]bool // nil for an array
		wantKey bool            // in an object, the next token is a member's name
	}
	var open []*container
	dec := json.NewDecoder(bytes.NewReader(data))
	// Numbers as their text: as a float64, a number out of its range
	// (1e400, valid JSON) is an error of Token, which would end the
	// check before the members after it, where a name twice would pass.
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or not JSON: the decoder says which
		}
		var top *container
		if len(open) > 0 {
			top = open[len(open)-1]
		}
		switch tok {
		case json.Delim('{'):
			open = append(open, &container{names: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			open = append(open, &container{})
			continue
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
		default:
			if name, ok := tok.(string); ok && top != nil && top.names != nil && top.wantKey {
				folded := foldName(name)
				if top.names[folded] {
					return fmt.Errorf("an object names the member %q twice (names are matched without regard to case)", clip.Text(name, maxDetail))
				}
				top.names[folded] = true
				top.wantKey = false
				continue
			}
		}
		// A value ended: the object it is in wants a name next.
		if len(open) > 0 && open[len(open)-1].names != nil {
			open[len(open)-1].wantKey = true
		}
	}
}

// foldName returns name with each character replaced by the smallest of
// those encoding/json takes for it (unicode.SimpleFold's orbit: A for a,
// K for k and the Kelvin sign), so that two names it would match have
// the same foldName.
func foldName(name string) string {
	return strings.Map(func(r rune) rune {
		for {
			next := unicode.SimpleFold(r)
			if next <= r {
				return next
			}
			r = next
		}
	}, name)
}

// maxDetail is how much of a body that is not a problem detail a
// ProblemError keeps as its Detail, and how much of each short text of a
// problem detail (its type, title, field and rule) it keeps.
const maxDetail = 200

// maxProblemDetail is how much of a problem detail's Detail a
// ProblemError keeps: the bank's advice is in it, and the bank's longest
// (a keyed retry undecided, naming a nonce, an address and a transaction
// ID: "post again later with the same key") runs past maxDetail; a
// lying bank's is still cut short of megabytes.
const maxProblemDetail = 1024

// maxReason is how much of a dropped transaction's Reason a Status
// keeps: as much as a node writes (node's maxReasonLen), no more, so
// that a lying bank's reason cannot be megabytes long.
const maxReason = 1024

// statusInto is jsonInto for a Status, which then keeps at most maxReason
// bytes of its Reason and maxDetail of its Rule: the bank's words.
func statusInto(st *Status) func([]byte) error {
	return func(data []byte) error {
		if err := jsonInto(st)(data); err != nil {
			return err
		}
		st.Reason, st.Rule = clip.Text(st.Reason, maxReason), clip.Text(st.Rule, maxDetail)
		return nil
	}
}

// problemOf turns a non-2xx answer into a *ProblemError.
func problemOf(resp *http.Response, data []byte) *ProblemError {
	pe := &ProblemError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	redirect := resp.StatusCode >= 300 && resp.StatusCode <= 399
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	// A redirect says where it points, whatever its body says: the bank
	// answers none, so its body is not the bank's problem detail.
	if !redirect && (media == "application/problem+json" || media == "application/json") && jsonInto(&pe.Problem)(data) == nil {
		if pe.Problem.Status == 0 {
			pe.Problem.Status = resp.StatusCode
		}
		// The bank's words, as long as it likes (up to MaxResponseSize):
		// kept to maxDetail bytes each, as a body that is no problem
		// detail is, so that a lying bank cannot fill the user's terminal
		// with one error. A true rule name or field is far shorter; a
		// true detail may not be, and keeps maxProblemDetail.
		p := &pe.Problem
		for _, s := range []*string{&p.Type, &p.Title, &p.Field, &p.Rule} {
			*s = clip.Text(*s, maxDetail)
		}
		p.Detail = clip.Text(p.Detail, maxProblemDetail)
		return pe
	}
	pe.Problem = Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	text := strings.ToValidUTF8(strings.TrimSpace(string(data)), "?")
	if redirect {
		text = "a redirect, not followed, to " + strconv.QuoteToASCII(resp.Header.Get("Location"))
	}
	if len(text) > maxDetail {
		text = strings.ToValidUTF8(text[:maxDetail], "") + "…"
	}
	pe.Problem.Detail = text
	return pe
}

// retryAfter reads a Retry-After header given in seconds; an HTTP date,
// or anything else, gives 0.
func retryAfter(v string) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || s < 0 || s > 24*60*60 {
		return 0
	}
	return time.Duration(s) * time.Second
}
