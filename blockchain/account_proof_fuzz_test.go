package blockchain_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// FuzzAccountProof feeds the account proof decoders arbitrary bytes (JSON
// for data that starts with '{', the binary form otherwise), starting
// from the genuine proofs of a short chain, present accounts and absent
// ones. A refusal wraps ErrMalformed. A decoded proof encodes back to the
// very bytes it was read from (binary) and survives a trip through the
// other form unchanged. Checked against the header of its height,
// VerifyAccount answers nil or a *ProofError, and accepts only the truth:
// the state at that height holds exactly that account; and the same path
// with the claim changed (balance, nonce, address or height) is accepted
// only if that claim is true as well (an absence proof that ends at an
// empty subtree shows every address under it absent).
func FuzzAccountProof(f *testing.F) {
	chain := consensustest.NewChain(consensustest.NewFaker())
	_, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), chain, 3, func(i int, g *consensustest.BlockGen) {
		g.AddTransfer("alice", "bob", int64(10+i))
		g.AddTransfer("carol", "zoe", 1)
	})
	require.NoError(f, err)
	for height := range chain.Height() + 1 {
		for _, name := range []string{"alice", "bob", "zoe", "nobody"} {
			p, err := chain.ProveAccount(consensustest.Addr(name), height)
			require.NoError(f, err)
			bin, err := p.MarshalBinary()
			require.NoError(f, err)
			f.Add(bin)
			js, err := json.Marshal(p)
			require.NoError(f, err)
			f.Add(js)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p blockchain.AccountProof
		isJSON := len(data) > 0 && data[0] == '{'
		decode := p.UnmarshalBinary
		if isJSON {
			decode = p.UnmarshalJSON
		}
		if err := decode(data); err != nil {
			require.ErrorIs(t, err, blockchain.ErrMalformed)
			require.Zero(t, p, "on error the proof is unchanged")
			return
		}
		bin, err := p.MarshalBinary()
		require.NoError(t, err)
		if !isJSON {
			require.Equal(t, data, bin, "not canonical")
		}
		js, err := json.Marshal(p)
		require.NoError(t, err)
		var fromJSON, fromBinary blockchain.AccountProof
		require.NoError(t, json.Unmarshal(js, &fromJSON), "%s", js)
		require.NoError(t, fromBinary.UnmarshalBinary(bin))
		require.Equal(t, p, fromJSON, "changed by a trip through JSON")
		require.Equal(t, p, fromBinary, "changed by a trip through the binary form")

		header, ok := chain.HeaderAt(p.Height)
		if !ok {
			header, _ = chain.HeaderAt(chain.Height()) // the height is refused
		}
		err = blockchain.VerifyAccount(header, p)
		if err != nil {
			var pe *blockchain.ProofError
			require.True(t, errors.As(err, &pe), "%T %v, want a *ProofError", err, err)
			return
		}
		st, ok := chain.StateAt(p.Height)
		require.True(t, ok)
		require.Equal(t, st.Account(p.Address), p.Account, "accepted an account the state does not hold")
		for name, changed := range map[string]func(blockchain.AccountProof) blockchain.AccountProof{
			"balance": func(q blockchain.AccountProof) blockchain.AccountProof { q.Account.Balance ^= 1; return q },
			"nonce":   func(q blockchain.AccountProof) blockchain.AccountProof { q.Account.Nonce ^= 1; return q },
			"address": func(q blockchain.AccountProof) blockchain.AccountProof { q.Address[len(q.Address)-1] ^= 1; return q },
			"height":  func(q blockchain.AccountProof) blockchain.AccountProof { q.Height++; return q },
		} {
			q := changed(p)
			if blockchain.VerifyAccount(header, q) == nil { // true too, if it is an absence the same path shows
				assert.Equal(t, header.Height, q.Height, "accepted with the %s changed", name)
				assert.Equal(t, st.Account(q.Address), q.Account, "accepted with the %s changed", name)
			}
		}
	})
}
