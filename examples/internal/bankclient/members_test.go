package bankclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
)

func TestDuplicateMembers(t *testing.T) {
	const id = `"id":"7de402c4-d7ab-8ca7-85ce-549b51abc752"`
	for _, tc := range []struct {
		name, body string
		refused    bool
	}{
		{"each member once", `{` + id + `,"status":"included","height":1}`, false},
		{"the same name in two objects", `{` + id + `,"status":"pending","extra":[{"a":1},{"a":2}],"more":{"a":{"a":1}}}`, false},
		{"a name as a value", `{` + id + `,"status":"pending","reason":"status"}`, false},
		{"a member twice", `{` + id + `,"status":"pending","status":"included"}`, true},
		{"a member in another case", `{` + id + `,"status":"pending","STATUS":"included"}`, true},
		{"a member escaped", `{` + id + `,"status":"pending","\u0073tatus":"included"}`, true},
		{"a member with the Kelvin sign", `{` + id + `,"status":"included","blockHash":"00","bloc\u212aHash":"11"}`, true},
		{"an unknown member twice", `{` + id + `,"status":"pending","x":1,"X":2}`, true},
		{"a member twice, nested", `{` + id + `,"status":"pending","extra":[{"a":1,"a":2}]}`, true},
		{"a member twice, after a number out of float64's range", `{` + id + `,"x":1e400,"status":"pending","status":"included"}`, true},
		{"a member twice, after a number", `{` + id + `,"height":18446744073709551615,"status":"pending","status":"included"}`, true},
		{"a number out of float64's range, each member once", `{` + id + `,"x":1e400,"status":"pending"}`, false},
		{"a member twice, after a nested object", `{` + id + `,"extra":{"status":1},"status":"pending","status":"included"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st Status
			err := statusInto(&st)([]byte(tc.body))
			if !tc.refused {
				assert.NoError(t, err)
				return
			}
			if assert.Error(t, err) {
				assert.Contains(t, err.Error(), "twice")
			}
		})
	}
}

func TestDuplicateMembersThroughTheClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"address":"` + r.URL.Path[len("/accounts/"):] + `","balance":1,"nonce":0,"nextNonce":0,"Balance":1000000000}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, nil)
	require.NoError(t, err)
	a, err := c.Account(context.Background(), blockchain.Address{1})
	assert.ErrorIs(t, err, ErrMalformedResponse)
	assert.Zero(t, a.Balance, "no balance read from an answer refused")
}
