package lightclient_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/lightclient"
)

// FuzzDecodeHeaders feeds a page of GET /headers anything: DecodeHeaders
// never panics, refuses with ErrBadSource, never returns more than asked,
// and what it accepts re-encodes to headers with the same hashes. The
// decoded headers then go through Add, which must not panic either.
func FuzzDecodeHeaders(f *testing.F) {
	page, err := json.Marshal(headersOf(powChain(f, 3)))
	require.NoError(f, err)
	for _, seed := range []string{
		string(page), "[]", "null", "{}", "[null]", `[{"version":1}]`, "[{", `[]x`,
		`[{"version":1,"height":0,"prevHash":"0000000000000000000000000000000000000000000000000000000000000000","merkleRoot":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","timestamp":"2020-01-01T00:00:00Z","bits":0,"nonce":0,"seal":"AQ=="}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 4
		headers, err := lightclient.DecodeHeaders(data, max)
		if err != nil {
			require.ErrorIs(t, err, lightclient.ErrBadSource)
			return
		}
		require.LessOrEqual(t, len(headers), max)
		again, err := json.Marshal(headers)
		require.NoError(t, err)
		back, err := lightclient.DecodeHeaders(again, max)
		require.NoError(t, err)
		require.Len(t, back, len(headers))
		for i := range headers {
			require.Equal(t, headers[i].Hash(), back[i].Hash())
		}
		c := newClient(t, powEngine(t))
		if err := c.Add(headers...); err != nil {
			var re *blockchain.RuleError
			require.True(t, errors.As(err, &re) || errors.Is(err, lightclient.ErrWrongGenesis), "%v", err)
		}
	})
}
