package bankclient_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/internal/clip"
)

// answerWith is an http.RoundTripper that answers every request with the
// same status, media type, Retry-After and body, as a lying bank could.
type answerWith struct {
	status      int
	contentType string
	retryAfter  string
	body        []byte
}

func (a answerWith) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	h := http.Header{}
	h.Set("Content-Type", a.contentType)
	h.Set("Retry-After", a.retryAfter)
	return &http.Response{Status: http.StatusText(a.status), StatusCode: a.status, Header: h,
		Body: io.NopCloser(strings.NewReader(string(a.body))), ContentLength: int64(len(a.body)), Request: req}, nil
}

// FuzzAnswer gives every call of the client one answer a bank made up:
// any status, media type, Retry-After and body. Whatever it is, no call
// panics; an answer outside 2xx is a *bankclient.ProblemError with that
// status, whose message is one line a terminal prints as it is; and a
// call that returns no error returned what was asked for (the status of
// that transaction, the account or proof of that address, at that
// height).
//
//	go test ./examples/internal/bankclient -run '^$' -fuzz FuzzAnswer -fuzztime 1m
func FuzzAnswer(f *testing.F) {
	tx := blockchain.Transfer{ChainID: consensustest.ChainID, To: consensustest.Addr("bob"), Amount: 1}.Sign(consensustest.Key("alice"))
	alice := consensustest.Addr("alice")
	status := `{"id":"` + tx.ID().String() + `","hash":"` + tx.Hash().String() + `","status":"pending"}`
	for _, seed := range []struct {
		status      int
		contentType string
		body        string
	}{
		{202, "application/json", status},
		{200, "application/json", `{"address":"` + alice.String() + `","balance":5,"nonce":1,"nextNonce":2}`},
		{200, "application/json", `{"transactions":[],"next":""}`},
		{200, "application/json", `{"height":3,"hash":"` + blockchain.Hash{}.String() + `","timestamp":"2026-01-01T00:00:00Z","pending":0}`},
		{400, "application/problem+json", `{"title":"bad nonce\u001b[2K","status":400,"detail":"line one\nline two","rule":"bad-nonce","field":"nonce"}`},
		{503, "text/html", "<html>\x1b]0;title\x07 down</html>"},
		{200, "application/json", `{"id":"` + tx.ID().String() + `"} {}`},
		{302, "", ""},
	} {
		f.Add(seed.status, seed.contentType, "1", []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status int, contentType, retryAfter string, body []byte) {
		if status < 100 || status > 999 {
			return // not an HTTP status: net/http never hands one to a client
		}
		ans := answerWith{status: status, contentType: contentType, retryAfter: retryAfter, body: body}
		c, err := bankclient.New("http://bank.invalid", &http.Client{Transport: ans,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }})
		require.NoError(t, err)
		ctx := context.Background()
		height := uint64(3)
		calls := []struct {
			name string
			call func() (ok func() bool, err error)
		}{
			{"Spec", func() (func() bool, error) {
				_, err := c.Spec(ctx)
				return func() bool { return true }, err
			}},
			{"Head", func() (func() bool, error) {
				_, err := c.Head(ctx)
				return func() bool { return true }, err
			}},
			{"Account", func() (func() bool, error) {
				a, err := c.Account(ctx, alice)
				return func() bool { return a.Address == alice }, err
			}},
			{"Submit", func() (func() bool, error) {
				st, err := c.Submit(ctx, tx, "key")
				return func() bool { return st.ID == tx.ID() }, err
			}},
			{"Status", func() (func() bool, error) {
				st, err := c.Status(ctx, tx.ID())
				return func() bool { return st.ID == tx.ID() }, err
			}},
			{"History", func() (func() bool, error) {
				_, err := c.History(ctx, alice, 10, "")
				return func() bool { return true }, err
			}},
			{"TxProof", func() (func() bool, error) {
				p, err := c.TxProof(ctx, tx.ID())
				return func() bool { return p.Transaction.ID() == tx.ID() }, err
			}},
			{"AccountProof", func() (func() bool, error) {
				a, err := c.AccountProof(ctx, alice, &height)
				return func() bool { return a.Proof.Address == alice && a.Proof.Height == height }, err
			}},
		}
		for _, call := range calls {
			ok, err := call.call()
			if status < 200 || status > 299 {
				var pe *bankclient.ProblemError
				if assert.ErrorAs(t, err, &pe, call.name) {
					assert.Equal(t, status, pe.Status, call.name)
					assert.True(t, clip.Graphic(pe.Error()), "%s: %q", call.name, pe.Error())
				}
				continue
			}
			if err != nil {
				assert.ErrorIs(t, err, bankclient.ErrMalformedResponse, call.name)
				continue
			}
			assert.True(t, ok(), "%s took an answer about something else", call.name)
		}
	})
}
