package bankclient_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
)

// submitAndMine submits transfers between named accounts and mines them
// into one block; it returns the transactions.
func submitAndMine(t *testing.T, bank *bankclienttest.Bank, c *bankclient.Client, transfers ...[3]any) []blockchain.Transaction {
	t.Helper()
	ctx := context.Background()
	var txs []blockchain.Transaction
	for _, tr := range transfers {
		from, to, amount := tr[0].(string), tr[1].(string), tr[2].(int)
		acct, err := c.Account(ctx, consensustest.Addr(from))
		require.NoError(t, err)
		tx := consensustest.Transfer(from, to, int64(amount), acct.NextNonce)
		_, err = c.Submit(ctx, tx, "")
		require.NoError(t, err)
		txs = append(txs, tx)
	}
	_, n := bank.Mine()
	require.Equal(t, len(transfers), n)
	return txs
}

func TestTxProof(t *testing.T) {
	ctx := context.Background()
	bank, c := newFakeBank(t)
	submitAndMine(t, bank, c, [3]any{"alice", "bob", 1})
	txs := submitAndMine(t, bank, c, [3]any{"alice", "bob", 2}, [3]any{"bob", "carol", 3}, [3]any{"carol", "dave", 4})

	for i, tx := range txs {
		p, err := c.TxProof(ctx, tx.ID())
		require.NoError(t, err)
		assert.Equal(t, tx.Hash(), p.Transaction.Hash())
		assert.Equal(t, uint64(2), p.Height)
		want, _ := bank.Chain().HeaderAt(2)
		assert.Equal(t, want.Hash(), p.Header.Hash())
		assert.Equal(t, blockchain.InclusionProof{Index: uint64(i), Count: 3, Path: p.Proof.Path}, p.Proof)
		assert.NoError(t, blockchain.VerifyTxInclusion(want.MerkleRoot, tx, p.Proof), "the proof climbs to the block's Merkle root")
	}

	pending := consensustest.Transfer("dave", "erin", 5, 0)
	_, err := c.Submit(ctx, pending, "")
	require.NoError(t, err)
	for name, id := range map[string]uuid.UUID{"pending": pending.ID(), "unknown": uuid.New()} {
		_, err := c.TxProof(ctx, id)
		var pe *bankclient.ProblemError
		require.ErrorAs(t, err, &pe, name)
		assert.Equal(t, http.StatusNotFound, pe.Status, name)
	}
}

func TestAccountProof(t *testing.T) {
	ctx := context.Background()
	bank, c := newFakeBank(t)
	zoe := consensustest.Addr("zoe")
	submitAndMine(t, bank, c, [3]any{"alice", "bob", 10})
	submitAndMine(t, bank, c, [3]any{"alice", "zoe", 77})
	at := func(h uint64) *uint64 { return &h }

	for _, tc := range []struct {
		name   string
		addr   blockchain.Address
		height *uint64
		want   blockchain.Account
		at     uint64
	}{
		{"at the tip", consensustest.Addr("alice"), nil, blockchain.Account{Balance: 1_000_000 - 87, Nonce: 2}, 2},
		{"at an older height", consensustest.Addr("alice"), at(1), blockchain.Account{Balance: 1_000_000 - 10, Nonce: 1}, 1},
		{"at genesis", consensustest.Addr("bob"), at(0), blockchain.Account{Balance: 1_000_000}, 0},
		{"an account that exists", zoe, nil, blockchain.Account{Balance: 77}, 2},
		{"no account yet", zoe, at(1), blockchain.Account{}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := c.AccountProof(ctx, tc.addr, tc.height)
			require.NoError(t, err)
			assert.Equal(t, tc.addr, a.Proof.Address)
			assert.Equal(t, tc.at, a.Proof.Height)
			assert.Equal(t, tc.want, a.Proof.Account)
			h, _ := bank.Chain().HeaderAt(tc.at)
			assert.Equal(t, h.Hash(), a.Header.Hash())
			assert.NoError(t, blockchain.VerifyAccount(h, a.Proof), "the proof climbs to the block's state root")
		})
	}

	_, err := c.AccountProof(ctx, zoe, at(3))
	var pe *bankclient.ProblemError
	require.ErrorAs(t, err, &pe, "past the tip")
	assert.Equal(t, http.StatusNotFound, pe.Status)
	assert.Equal(t, "height", pe.Problem.Field)
}

// TestProofAnswersThatContradictTheRequest: an answer about another
// transaction, address or height than asked, or one that does not
// decode, is a malformed response; a 410 is a ProblemError.
func TestProofAnswersThatContradictTheRequest(t *testing.T) {
	ctx := context.Background()
	bank, c := newFakeBank(t)
	txs := submitAndMine(t, bank, c, [3]any{"alice", "bob", 1}, [3]any{"bob", "carol", 2})
	alice, bob := consensustest.Addr("alice"), consensustest.Addr("bob")
	one := uint64(1)
	answer := func(path string, status int, v any) {
		bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != path {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			if status >= 400 {
				w.Header().Set("Content-Type", "application/problem+json")
			}
			w.WriteHeader(status)
			require.NoError(t, json.NewEncoder(w).Encode(v))
			return true
		})
	}
	chain := bank.Chain()
	header, _ := chain.HeaderAt(1)
	blk, _ := chain.BlockAt(1)
	otherProof, err := blk.InclusionProof(1)
	require.NoError(t, err)
	bobsProof, err := chain.ProveAccount(bob, 1)
	require.NoError(t, err)
	genesisProof, err := chain.ProveAccount(alice, 0)
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		path   string
		status int
		body   any
		call   func() error
		want   error
	}{
		{"another transaction's proof", "/transactions/" + txs[0].ID().String() + "/proof", 200,
			bankclient.TxProof{Transaction: txs[1], Height: 1, Header: header, Proof: otherProof},
			func() error { _, err := c.TxProof(ctx, txs[0].ID()); return err }, bankclient.ErrMalformedResponse},
		{"a transaction proof that does not decode", "/transactions/" + txs[0].ID().String() + "/proof", 200,
			map[string]any{"transaction": "x"},
			func() error { _, err := c.TxProof(ctx, txs[0].ID()); return err }, bankclient.ErrMalformedResponse},
		{"another address's proof", "/accounts/" + alice.String() + "/proof", 200,
			bankclient.AccountProofAnswer{Header: header, Proof: bobsProof},
			func() error { _, err := c.AccountProof(ctx, alice, nil); return err }, bankclient.ErrMalformedResponse},
		{"a proof at another height than asked", "/accounts/" + alice.String() + "/proof", 200,
			bankclient.AccountProofAnswer{Header: header, Proof: genesisProof},
			func() error { _, err := c.AccountProof(ctx, alice, &one); return err }, bankclient.ErrMalformedResponse},
		{"an account proof that does not decode", "/accounts/" + alice.String() + "/proof", 200,
			map[string]any{"proof": map[string]any{"height": 1}},
			func() error { _, err := c.AccountProof(ctx, alice, nil); return err }, bankclient.ErrMalformedResponse},
		{"a state the bank no longer keeps", "/accounts/" + alice.String() + "/proof", http.StatusGone,
			bankclient.Problem{Status: http.StatusGone, Title: "state no longer held", Field: "height"},
			func() error { _, err := c.AccountProof(ctx, alice, &one); return err }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer(tc.path, tc.status, tc.body)
			t.Cleanup(func() { bank.Intercept(nil) })
			err := tc.call()
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				return
			}
			var pe *bankclient.ProblemError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.status, pe.Status)
			assert.False(t, bankclient.IsRetryable(err), "a state gone stays gone")
		})
	}
}
