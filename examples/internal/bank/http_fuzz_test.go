package bank_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bank"
)

// fuzzMethods are the methods FuzzHandler sends, picked by index: the
// ones the API serves, ones it does not, and one in lower case.
var fuzzMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodDelete, http.MethodPatch, http.MethodOptions,
	http.MethodConnect, http.MethodTrace, "get",
}

// FuzzHandler sends the whole API arbitrary requests — any method, path,
// query, content type and body — on a bank whose chain holds two blocks,
// and holds every answer to the bank's promise: no panic, no answer it
// did not mean (a 5xx: its log works), and every refusal an RFC 9457
// problem whose status is the answer's. GET /events, a stream that ends
// only with the client, is left to its own tests.
func FuzzHandler(f *testing.F) {
	fx := newFixtureWith(f, fixtureConfig{})
	tx := consensustest.Transfer("alice", "bob", 10, 0)
	b1 := fx.mineTxs(f, tx)
	fx.mineTxs(f)
	alice := "/accounts/" + consensustest.Addr("alice").String()
	id := tx.ID().String()
	get := uint8(0)
	for _, target := range []string{
		"/", "/transactions/" + id, "/transactions/" + id + "/proof", "/transactions/" + tx.Hash().String(),
		"/blocks", "/blocks?from=1&limit=1", "/blocks/1", "/blocks/" + b1.Hash().String(),
		"/headers?from=0&limit=2", alice, alice + "/transactions?limit=1", alice + "/transactions?limit=1&before=1",
		alice + "/proof?height=1", "/chain/head", "/chain/spec", "/healthz", "/readyz", "/openapi.yaml",
		"/nowhere", "/blocks/1?full=true", "/headers?from=0;&limit=1",
	} {
		f.Add(get, target, "", []byte(nil))
	}
	f.Add(uint8(1), "/blocks/1", "", []byte(nil))
	f.Add(uint8(2), "/transactions", "application/json", []byte(validBody))
	f.Add(uint8(2), "/transactions", "application/json; charset=utf-8", []byte(txJSON(f, consensustest.Transfer("bob", "carol", 1, 0))))
	for _, m := range malformedRequests {
		if len(m.body) < 2<<10 {
			f.Add(uint8(2), "/transactions", m.contentType, []byte(m.body))
		}
	}

	f.Fuzz(func(t *testing.T, method uint8, target, contentType string, body []byte) {
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		ctx, cancel := context.WithTimeout(context.Background(), watchdog)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, m, "http://bank.test"+target, bytes.NewReader(body))
		if err != nil || req.URL.Path == "/events" {
			return // not a request a client can send, or the stream
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		fx.bank.ServeHTTP(rec, req)
		require.NoError(t, ctx.Err(), "%s %q took the watchdog's time", m, target)

		res := rec.Result()
		if res.StatusCode < 400 {
			return
		}
		require.Less(t, res.StatusCode, 500, "%s %q: %s", m, target, rec.Body)
		mediaType, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
		require.NoError(t, err, "%s %q", m, target)
		require.Equal(t, "application/problem+json", mediaType, "%s %q: %s", m, target, rec.Body)
		if m == http.MethodHead {
			return
		}
		var p bank.Problem
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), "%s %q: %s", m, target, rec.Body)
		require.Equal(t, res.StatusCode, p.Status, "%s %q: %s", m, target, rec.Body)
		require.NotEmpty(t, p.Title, "%s %q: %s", m, target, rec.Body)
	})
}
