package lightclient_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/lightclient"
)

// FuzzDecodeHeaders feeds a page of GET /headers anything: DecodeHeaders
// never panics, refuses with ErrBadSource, never returns more than asked,
// and what it accepts re-encodes to headers with the same hashes. The
// decoded headers then go through Add, which must not panic either.
func FuzzDecodeHeaders(f *testing.F) {
	blocks, _ := powChain(f, 3)
	page, err := json.Marshal(headersOf(blocks))
	require.NoError(f, err)
	for _, seed := range []string{
		string(page), "[]", "null", "{}", "[null]", `[{"version":2}]`, "[{", `[]x`,
		`[{"version":2,"height":0,"prevHash":"0000000000000000000000000000000000000000000000000000000000000000","merkleRoot":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","txCount":0,"stateRoot":"0000000000000000000000000000000000000000000000000000000000000000","beneficiary":"ec00000000000000000000000000000000000000002144df1c","timestamp":"2020-01-01T00:00:00Z","bits":0,"nonce":0,"seal":"AQ=="}]`,
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

// FuzzVerifyTransaction feeds the client a transaction, a height and an
// inclusion proof, each from arbitrary bytes. It must never panic, must
// refuse with a typed error (the *blockchain.RuleError of the rule broken,
// for a transaction no node would include), and must accept only the
// truth: if it accepts, the block at that height holds that very
// transaction at that index.
func FuzzVerifyTransaction(f *testing.F) {
	fx := newProofFixture(f, powEngine(f), powEngine(f))
	for height := uint64(1); height <= synced+1; height++ {
		b := fx.blocks[height-1]
		for i := range b.Len() {
			tx, err := b.Transaction(i).MarshalBinary()
			require.NoError(f, err)
			p, err := b.InclusionProof(i)
			require.NoError(f, err)
			enc, err := p.MarshalBinary()
			require.NoError(f, err)
			f.Add(tx, height, enc)
			f.Add(tx, height-1, enc)
		}
	}
	f.Fuzz(func(t *testing.T, txData []byte, height uint64, proofData []byte) {
		var tx blockchain.Transaction
		if tx.UnmarshalBinary(txData) != nil {
			return
		}
		var p blockchain.InclusionProof
		if p.UnmarshalBinary(proofData) != nil {
			return
		}
		err := fx.client.VerifyTransaction(tx, height, p)
		if insane := blockchain.CheckTransactionSanity(tx); insane != nil {
			var re *blockchain.RuleError
			require.ErrorAs(t, insane, &re)
			require.ErrorIs(t, err, re.Code, "a transaction no node would include")
			return
		}
		if err != nil {
			var pe *blockchain.ProofError
			var nv *lightclient.NotVerifiedError
			require.True(t, errors.As(err, &pe) || errors.As(err, &nv), "a typed error: %v", err)
			return
		}
		require.LessOrEqual(t, height, uint64(synced))
		require.Positive(t, height, "genesis holds no transaction")
		b := fx.blocks[height-1]
		require.Equal(t, uint64(b.Len()), p.Count)
		assert.Equal(t, b.Transaction(int(p.Index)).Hash(), tx.Hash(), "accepted: the block holds it at that index")
	})
}

// FuzzVerifyAccount feeds the client account proofs in JSON (data that
// starts with '{') or in the binary form (anything else). It must never
// panic, must refuse with a typed error, and must accept only the truth:
// if it accepts, the full chain's state at the proof's height holds
// exactly that account.
func FuzzVerifyAccount(f *testing.F) {
	fx := newProofFixture(f, powEngine(f), powEngine(f))
	for height := uint64(0); height <= synced+1; height++ {
		for _, name := range []string{"alice", "bob", "zoe", "nobody", "frank"} {
			p := accountProof(f, fx.chain, name, height)
			data, err := json.Marshal(p)
			require.NoError(f, err)
			f.Add(data)
			bin, err := p.MarshalBinary()
			require.NoError(f, err)
			f.Add(bin)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p blockchain.AccountProof
		decode := p.UnmarshalBinary
		if len(data) > 0 && data[0] == '{' {
			decode = p.UnmarshalJSON
		}
		if err := decode(data); err != nil {
			require.ErrorIs(t, err, blockchain.ErrMalformed)
			return
		}
		err := fx.client.VerifyAccount(p)
		if err != nil {
			var pe *blockchain.ProofError
			var nv *lightclient.NotVerifiedError
			require.True(t, errors.As(err, &pe) || errors.As(err, &nv), "a typed error: %v", err)
			return
		}
		require.LessOrEqual(t, p.Height, uint64(synced))
		st, ok := fx.chain.StateAt(p.Height)
		require.True(t, ok)
		assert.Equal(t, st.Account(p.Address), p.Account, "accepted: the state holds exactly that")
	})
}
