package bank_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

// The OpenAPI document is a contract: a client author writes a client
// from it, and never reads the bank's code. These tests hold the bank to
// it with kin-openapi, which knows OpenAPI 3 — which status codes an
// operation lists, what each answer's schema requires, what a header's
// type is — so that nothing is checked by a hand-written copy of the
// document that could drift from it as the document does from the code.

// contract loads the OpenAPI document the bank serves, checks that it is
// a valid OpenAPI 3 document, and returns a router that finds the
// operation a request is for.
func contract(t *testing.T, f *fixture) routers.Router {
	t.Helper()
	status, _, body := f.do(t, http.MethodGet, "/openapi.yaml", "", "")
	require.Equal(t, http.StatusOK, status)
	// A transaction's ID is a UUID of version 8 (RFC 9562), which
	// kin-openapi's "uuid" format knows once it is told to.
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
	doc, err := openapi3.NewLoader().LoadFromData(body)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "the document is not valid OpenAPI 3")
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return router
}

// TestOpenAPIHasNoNull checks that no value of the document is null. It
// has none on purpose, so a null is a slip of YAML: in a flow mapping
// ({type: string, description: …}) a comma ends the value, so
// "description: the sender's address, the address of publicKey" is a
// description cut at the comma and a key "the address of publicKey"
// with no value. kin-openapi refuses such a key in a schema, but not
// everywhere (in a parameter, say): quote every text with a comma.
func TestOpenAPIHasNoNull(t *testing.T) {
	f := newFixture(t, 0)
	contract(t, f) // and it is valid OpenAPI 3
	_, _, body := f.do(t, http.MethodGet, "/openapi.yaml", "", "")
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(body, &root))
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			for _, c := range n.Content {
				walk(c, path)
			}
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			assert.NotEqual(t, "!!null", value.Tag, "line %d, %s: %q has no value (a comma in a flow mapping?)", key.Line, path, key.Value)
			walk(value, path+"/"+key.Value)
		}
	}
	walk(&root, "")
}

// An exchange is a request and the status the bank must answer it with.
type exchange struct {
	name   string
	method string
	path   string
	header []string // name, value pairs; a POST's Content-Type is application/json unless one is given
	body   string
	status int
}

// checkExchange sends x to the bank and checks the answer against the
// document: its status must be one the operation lists, and its headers
// and body what the document says of that status. A path the document
// does not list gets a problem detail, 404; a method the document does
// not list for the path, 405 with an Allow header naming the methods it
// does list (and HEAD with GET), as the document's introduction says.
func checkExchange(t *testing.T, f *fixture, router routers.Router, x exchange) {
	t.Helper()
	if x.method == http.MethodPost && !hasHeader(x.header, "Content-Type") {
		x.header = append(x.header, "Content-Type", "application/json")
	}
	status, header, body := f.do(t, x.method, x.path, "", x.body, x.header...)
	require.Equal(t, x.status, status, "%s %s: %s", x.method, x.path, body)

	if status >= 400 {
		// Every error is a problem detail, whose status is the answer's.
		assert.Equal(t, "application/problem+json", header.Get("Content-Type"))
		if x.method != http.MethodHead {
			assert.Equal(t, status, decode[struct{ Status int }](t, body).Status)
		}
	}
	if status == http.StatusServiceUnavailable {
		assert.NotEmpty(t, header.Get("Retry-After"), "a 503 says when to come back")
	}

	// The request as the document reads it. HEAD is GET without the body:
	// the document lists the GET.
	req, err := http.NewRequest(x.method, "http://bank"+x.path, strings.NewReader(x.body))
	require.NoError(t, err)
	for i := 0; i+1 < len(x.header); i += 2 {
		req.Header.Add(x.header[i], x.header[i+1])
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true, // a status the operation does not list is an error
		MultiError:            true,
	}
	if x.method == http.MethodHead {
		req.Method = http.MethodGet
		opts.ExcludeResponseBody = true
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		allow := documentedMethods(t, router, req)
		if len(allow) == 0 {
			assert.Equal(t, http.StatusNotFound, status, "the document has no path %s", x.path)
			return
		}
		assert.Equal(t, http.StatusMethodNotAllowed, status, "the document lists %s %s for another method", x.method, x.path)
		assert.Equal(t, strings.Join(allow, ", "), header.Get("Allow"), "Allow names the methods the document lists for %s", x.path)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Options:                opts,
	}
	in.SetBodyBytes(body)
	assert.NoError(t, openapi3filter.ValidateResponse(context.Background(), in), "%s %s answered %d: %s", x.method, x.path, status, body)
}

// documentedMethods returns the methods the document lists for req's
// path, and HEAD with GET, sorted as the bank writes them in Allow; none
// for a path the document does not list.
func documentedMethods(t *testing.T, router routers.Router, req *http.Request) []string {
	t.Helper()
	var allow []string
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace} {
		probe := req.Clone(context.Background())
		probe.Method = method
		if _, _, err := router.FindRoute(probe); err == nil {
			allow = append(allow, method)
			if method == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	slices.Sort(allow)
	return allow
}

func hasHeader(header []string, name string) bool {
	for i := 0; i < len(header); i += 2 {
		if strings.EqualFold(header[i], name) {
			return true
		}
	}
	return false
}

// TestOpenAPIAnswers sends the bank a table of requests, good and bad,
// to every operation, before the bank is ready, once it is, and while its
// log fails, and checks every answer against the document.
func TestOpenAPIAnswers(t *testing.T) {
	// Window 1: the node keeps its newest block whole, and the bank reads
	// older ones back from the log, so that a failing log reaches GET
	// /blocks/{ref}.
	f := newFixture(t, 1)
	router := contract(t, f)
	alice := consensustest.Addr("alice").String()
	stranger := consensustest.Addr("nobody").String() // no funds, no history
	unknown := uuid.New().String()

	// A chain to answer from: a transfer included in block 1, another
	// in block 2, one pending, and one the audit stream says was dropped.
	included := f.submit(t, consensustest.Transfer("alice", "bob", 10, 0))
	f.mine(t)
	f.submit(t, consensustest.Transfer("alice", "bob", 11, 1))
	f.mine(t)
	pending := consensustest.Transfer("alice", "bob", 12, 2)
	dropped := consensustest.Transfer("carol", "bob", 5, 0)
	f.appendAudit(t, events.TransactionDropped{TxID: dropped.ID(), Rule: blockchain.ErrBadNonce, Reason: "a block used its nonce"})
	history := get[struct{ Next string }](t, f, "/accounts/"+alice+"/transactions?limit=1")
	require.NotEmpty(t, history.Next, "alice has two transfers: a second page")
	tip := get[struct{ Hash string }](t, f, "/chain/head")

	bigBody := `{"chainId":"` + strings.Repeat("a", 20<<10) + `"}`
	later := consensustest.Transfer("alice", "bob", 13, 3) // for Idempotency-Key
	key := uuid.NewString()

	t.Run("before ready", func(t *testing.T) {
		f.bank.SetReady(false)
		defer f.bank.SetReady(true)
		for _, x := range []exchange{
			{name: "post", method: "POST", path: "/transactions", body: txJSON(t, pending), status: 503},
			{name: "status", method: "GET", path: "/transactions/" + unknown, status: 503},
			{name: "tx proof", method: "GET", path: "/transactions/" + unknown + "/proof", status: 503},
			{name: "account", method: "GET", path: "/accounts/" + alice, status: 503},
			{name: "history", method: "GET", path: "/accounts/" + alice + "/transactions", status: 503},
			{name: "account proof", method: "GET", path: "/accounts/" + alice + "/proof", status: 503},
			{name: "blocks", method: "GET", path: "/blocks", status: 503},
			{name: "block", method: "GET", path: "/blocks/0", status: 503},
			{name: "headers", method: "GET", path: "/headers", status: 503},
			{name: "head", method: "GET", path: "/chain/head", status: 503},
			{name: "readyz", method: "GET", path: "/readyz", status: 503},
			{name: "spec, served at once", method: "GET", path: "/chain/spec", status: 200},
			{name: "healthz", method: "GET", path: "/healthz", status: 200},
		} {
			t.Run(x.name, func(t *testing.T) { checkExchange(t, f, router, x) })
		}
	})

	for _, x := range []exchange{
		// POST /transactions
		{name: "post", method: "POST", path: "/transactions", body: txJSON(t, pending), status: 202},
		{name: "post again", method: "POST", path: "/transactions", body: txJSON(t, pending), status: 202},
		{name: "post included", method: "POST", path: "/transactions", body: txJSON(t, consensustest.Transfer("alice", "bob", 10, 0)), status: 202},
		{name: "post dropped", method: "POST", path: "/transactions", body: txJSON(t, dropped), status: 202},
		{name: "post with a key", method: "POST", path: "/transactions", body: txJSON(t, later), header: []string{"Idempotency-Key", key}, status: 202},
		{name: "key replayed", method: "POST", path: "/transactions", body: txJSON(t, later), header: []string{"Idempotency-Key", key}, status: 202},
		{name: "key with another body", method: "POST", path: "/transactions", body: txJSON(t, consensustest.Transfer("alice", "bob", 14, 4)), header: []string{"Idempotency-Key", key}, status: 422},
		{name: "key too long", method: "POST", path: "/transactions", body: txJSON(t, later), header: []string{"Idempotency-Key", strings.Repeat("k", 256)}, status: 400},
		{name: "two keys", method: "POST", path: "/transactions", body: txJSON(t, later), header: []string{"Idempotency-Key", "a", "Idempotency-Key", "b"}, status: 400},
		{name: "bad nonce", method: "POST", path: "/transactions", body: txJSON(t, consensustest.Transfer("alice", "bob", 1, 99)), status: 400},
		{name: "no funds", method: "POST", path: "/transactions", body: txJSON(t, consensustest.Transfer("nobody", "bob", 1, 0)), status: 400},
		{name: "empty body", method: "POST", path: "/transactions", status: 400},
		{name: "cut short", method: "POST", path: "/transactions", body: txJSON(t, later)[:40], status: 400},
		{name: "unknown field", method: "POST", path: "/transactions", body: `{"x":1}`, status: 400},
		{name: "a parameter", method: "POST", path: "/transactions?dryRun=true", body: txJSON(t, later), status: 400},
		{name: "too large", method: "POST", path: "/transactions", body: bigBody, status: 413},
		{name: "text/plain", method: "POST", path: "/transactions", body: txJSON(t, later), header: []string{"Content-Type", "text/plain"}, status: 415},
		{name: "gzip", method: "POST", path: "/transactions", body: txJSON(t, later), header: []string{"Content-Encoding", "gzip"}, status: 415},
		// GET /transactions/{id} and its proof
		{name: "status pending", method: "GET", path: "/transactions/" + pending.ID().String(), status: 200},
		{name: "status included", method: "GET", path: "/transactions/" + included.ID.String(), status: 200},
		{name: "status dropped", method: "GET", path: "/transactions/" + dropped.ID().String(), status: 200},
		{name: "status HEAD", method: "HEAD", path: "/transactions/" + included.ID.String(), status: 200},
		{name: "status unknown", method: "GET", path: "/transactions/" + unknown, status: 404},
		{name: "status bad id", method: "GET", path: "/transactions/xyz", status: 400},
		{name: "status upper-case id", method: "GET", path: "/transactions/" + strings.ToUpper(unknown), status: 400},
		{name: "proof", method: "GET", path: "/transactions/" + included.ID.String() + "/proof", status: 200},
		{name: "proof pending", method: "GET", path: "/transactions/" + pending.ID().String() + "/proof", status: 404},
		{name: "proof bad id", method: "GET", path: "/transactions/xyz/proof", status: 400},
		// accounts
		{name: "account", method: "GET", path: "/accounts/" + alice, status: 200},
		{name: "account never seen", method: "GET", path: "/accounts/" + stranger, status: 200},
		{name: "account bad address", method: "GET", path: "/accounts/ec00", status: 400},
		{name: "account a parameter", method: "GET", path: "/accounts/" + alice + "?height=1", status: 400},
		{name: "history", method: "GET", path: "/accounts/" + alice + "/transactions?limit=1", status: 200},
		{name: "history next page", method: "GET", path: "/accounts/" + alice + "/transactions?limit=1&before=" + history.Next, status: 200},
		{name: "history empty", method: "GET", path: "/accounts/" + stranger + "/transactions", status: 200},
		{name: "history limit 0", method: "GET", path: "/accounts/" + alice + "/transactions?limit=0", status: 400},
		{name: "history bad cursor", method: "GET", path: "/accounts/" + alice + "/transactions?before=x", status: 400},
		{name: "account proof", method: "GET", path: "/accounts/" + alice + "/proof", status: 200},
		{name: "absence proof", method: "GET", path: "/accounts/" + stranger + "/proof?height=0", status: 200},
		{name: "proof past the tip", method: "GET", path: "/accounts/" + alice + "/proof?height=99", status: 404},
		{name: "proof bad height", method: "GET", path: "/accounts/" + alice + "/proof?height=-1", status: 400},
		// blocks and headers
		{name: "blocks", method: "GET", path: "/blocks", status: 200},
		{name: "blocks from 0", method: "GET", path: "/blocks?from=0&limit=2", status: 200},
		{name: "blocks past the tip", method: "GET", path: "/blocks?from=99", status: 200},
		{name: "blocks limit 101", method: "GET", path: "/blocks?limit=101", status: 400},
		{name: "blocks limit twice", method: "GET", path: "/blocks?limit=1&limit=2", status: 400},
		{name: "blocks misspelt", method: "GET", path: "/blocks?Limit=2", status: 400},
		{name: "block by height", method: "GET", path: "/blocks/1", status: 200},
		{name: "block by hash", method: "GET", path: "/blocks/" + tip.Hash, status: 200},
		{name: "block unknown", method: "GET", path: "/blocks/99", status: 404},
		{name: "block bad ref", method: "GET", path: "/blocks/01", status: 400},
		{name: "headers", method: "GET", path: "/headers", status: 200},
		{name: "headers past the tip", method: "GET", path: "/headers?from=99", status: 200},
		{name: "headers limit 1001", method: "GET", path: "/headers?limit=1001", status: 400},
		// the chain, the probes, the page and this document
		{name: "head", method: "GET", path: "/chain/head", status: 200},
		{name: "head HEAD", method: "HEAD", path: "/chain/head", status: 200},
		{name: "head a parameter", method: "GET", path: "/chain/head?pretty=1", status: 400},
		{name: "spec", method: "GET", path: "/chain/spec", status: 200},
		{name: "spec a parameter", method: "GET", path: "/chain/spec?x=1", status: 400},
		{name: "healthz", method: "GET", path: "/healthz", status: 200},
		{name: "healthz cache-busting", method: "GET", path: "/healthz?_=1", status: 200},
		{name: "healthz bad query", method: "GET", path: "/healthz?a=%zz", status: 400},
		{name: "readyz", method: "GET", path: "/readyz", status: 200},
		{name: "readyz bad query", method: "GET", path: "/readyz?%", status: 400},
		{name: "explorer", method: "GET", path: "/", status: 200},
		{name: "explorer bad query", method: "GET", path: "/?%", status: 400},
		{name: "events HEAD", method: "HEAD", path: "/events", status: 200},
		{name: "events bad query", method: "GET", path: "/events?%", status: 400},
		{name: "document", method: "GET", path: "/openapi.yaml", status: 200},
		{name: "document bad query", method: "GET", path: "/openapi.yaml?a;b", status: 400},
		// paths and methods the document does not list
		{name: "no such path", method: "GET", path: "/nope", status: 404},
		{name: "trailing slash", method: "GET", path: "/chain/head/", status: 404},
		{name: "wrong method", method: "DELETE", path: "/chain/head", status: 405},
		{name: "GET of POST only", method: "GET", path: "/transactions", status: 405},
		{name: "HEAD of POST only", method: "HEAD", path: "/transactions", status: 405},
		{name: "POST of GET only", method: "POST", path: "/accounts/" + alice, body: "{}", status: 405},
		{name: "CONNECT to a GET path", method: "CONNECT", path: "/chain/head", status: 405},
		{name: "CONNECT to POST only", method: "CONNECT", path: "/transactions", status: 405},
		{name: "CONNECT to no such path", method: "CONNECT", path: "/nope", status: 404},
	} {
		t.Run(x.name, func(t *testing.T) { checkExchange(t, f, router, x) })
	}

	// The log failing: a 503 while it is down, and a 500 once it says its
	// storage is damaged (which stops the bank, so it comes last).
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"log down", fmt.Errorf("read: %w", eventlog.ErrUnavailable), http.StatusServiceUnavailable},
		{"log damaged", fmt.Errorf("bad record: %w", eventlog.ErrCorrupt), http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.log.setAppendErr(tc.err)
			f.log.setBlocksErr(tc.err)
			defer f.log.setAppendErr(nil)
			defer f.log.setBlocksErr(nil)
			for _, x := range []exchange{
				{method: "POST", path: "/transactions", body: txJSON(t, consensustest.Transfer("dave", "bob", 1, 0)), status: tc.want},
				{method: "POST", path: "/transactions", body: txJSON(t, consensustest.Transfer("dave", "bob", 2, 0)), header: []string{"Idempotency-Key", uuid.NewString()}, status: tc.want},
				{method: "GET", path: "/blocks/1", status: tc.want}, // out of the node's window: read from the log
				{method: "GET", path: "/transactions/" + included.ID.String() + "/proof", status: tc.want},
			} {
				checkExchange(t, f, router, x)
			}
		})
	}
}
