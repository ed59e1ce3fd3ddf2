package bank_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/bank"
)

// maxMessage bounds the error decodeRequest returns: it names the problem
// without echoing a hostile body back whole.
const maxMessage = 256

// FuzzDecodeRequest checks that the POST /transactions decoder is total:
// for any body it returns, without panicking, either an error that names
// the problem (and a field of at most a short name), or a request that
// re-encodes and decodes to the same values — and that encoding/json,
// which clients are likely to use, reads the same way.
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range []string{
		validBody,
		`{"amount":-0,"to":"b\u00e9","from":"\ud83d\ude00"}`,
		`{"from":"a","to":"b","amount":9223372036854775807}`,
		` {"from":"","to":"","amount":0} `,
	} {
		f.Add([]byte(seed))
	}
	for _, m := range malformedRequests {
		if m.body != "" && len(m.body) < 1<<10 {
			f.Add([]byte(m.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, field, err := bank.DecodeRequest(body)
		if err != nil {
			require.Zero(t, req, "no request beside an error")
			msg := err.Error()
			require.NotEmpty(t, msg)
			require.LessOrEqual(t, len(msg), maxMessage, "%s", msg)
			require.True(t, utf8.ValidString(msg), "%q", msg)
			require.True(t, utf8.ValidString(field), "%q", field)
			require.LessOrEqual(t, len(field), 70, "%q", field)
			if field != "" && !slices.Contains([]string{"from", "to", "amount"}, field) {
				require.True(t, strings.HasPrefix(msg, "unknown field"), "the field %q is unknown: %s", field, msg)
			}
			return
		}
		require.Empty(t, field)

		again, err := json.Marshal(req)
		require.NoError(t, err)
		req2, field, err := bank.DecodeRequest(again)
		require.NoError(t, err, "%s", again)
		require.Empty(t, field)
		require.Equal(t, req, req2, "decode, encode, decode")

		var std bank.TransactionRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&std), "encoding/json refuses what the bank accepts")
		require.Equal(t, req, std, "encoding/json reads it otherwise")
	})
}
