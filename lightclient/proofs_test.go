package lightclient_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/poa"
	"github.com/eventchain/eventchain/lightclient"
)

// synced is the height a proofFixture's client has verified: block
// synced+1 exists on the full chain, and the client has not seen it.
const synced = 4

// proofFixture is a full chain, a fork of it, and a light client that
// verified the chain's headers up to height synced.
//
// The chain's blocks: 1 holds five transfers, 2 three, 3 one (alice pays
// zoe, who had no account before), 4 two (zoe spends), 5 one. The fork
// leaves genesis with a block of five other transfers.
type proofFixture struct {
	chain    *blockchain.Chain
	blocks   []*blockchain.Block // blocks[i] is at height i+1
	fork     *blockchain.Chain
	forked   []*blockchain.Block
	verifier blockchain.Consensus
	client   *lightclient.Client
}

// newProofFixture builds the fixture with sealer, which seals every block,
// and verifier, which the chains and the client check with.
func newProofFixture(t testing.TB, sealer, verifier blockchain.Consensus) *proofFixture {
	t.Helper()
	ctx := context.Background()
	f := &proofFixture{chain: consensustest.NewChain(verifier), fork: consensustest.NewChain(verifier), verifier: verifier}
	plan := [][][3]any{
		{{"alice", "bob", 10}, {"bob", "carol", 20}, {"carol", "dave", 30}, {"dave", "erin", 40}, {"erin", "frank", 50}},
		{{"alice", "carol", 1}, {"bob", "dave", 2}, {"frank", "alice", 3}},
		{{"alice", "zoe", 77}},
		{{"zoe", "bob", 7}, {"alice", "bob", 1}},
		{{"carol", "alice", 5}},
	}
	var err error
	f.blocks, err = consensustest.GenerateChain(ctx, sealer, f.chain, len(plan), func(i int, g *consensustest.BlockGen) {
		for _, tr := range plan[i] {
			g.AddTransfer(tr[0].(string), tr[1].(string), int64(tr[2].(int)))
		}
	})
	require.NoError(t, err)
	f.forked, err = consensustest.GenerateChain(ctx, sealer, f.fork, 1, func(_ int, g *consensustest.BlockGen) {
		for _, from := range []string{"frank", "alice", "bob", "carol", "dave"} {
			g.AddTransfer(from, "mallory", 1_000)
		}
	})
	require.NoError(t, err)

	g := engineGenesis(verifier)
	f.client, err = lightclient.New(lightclient.Config{Genesis: g.Hash(), Engine: verifier, Now: clock})
	require.NoError(t, err)
	require.NoError(t, f.client.Add(headersFrom(g, f.blocks[:synced])...))
	return f
}

// txProof returns transaction i of the block at height, and its proof.
func (f *proofFixture) txProof(t testing.TB, blocks []*blockchain.Block, height uint64, i int) (blockchain.Transaction, blockchain.InclusionProof) {
	t.Helper()
	b := blocks[height-1]
	p, err := b.InclusionProof(i)
	require.NoError(t, err)
	return b.Transaction(i), p
}

// accountProof returns the chain's proof of a named account at height.
func accountProof(t testing.TB, chain *blockchain.Chain, name string, height uint64) blockchain.AccountProof {
	t.Helper()
	p, err := chain.ProveAccount(consensustest.Addr(name), height)
	require.NoError(t, err)
	return p
}

// editProof changes p in its JSON form, as a hostile server would before
// sending it, and decodes it again: the result is a well-formed proof
// that says something else.
func editProof(t testing.TB, p blockchain.AccountProof, edit func(m map[string]any)) blockchain.AccountProof {
	t.Helper()
	data, err := json.Marshal(p)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	edit(m)
	data, err = json.Marshal(m)
	require.NoError(t, err)
	var out blockchain.AccountProof
	require.NoError(t, json.Unmarshal(data, &out), "the edited proof is well formed: %s", data)
	return out
}

// flipSibling changes one hex digit of the last sibling that is not
// empty: the path no longer leads to the root.
func flipSibling(m map[string]any) {
	path := m["path"].(map[string]any)
	sibs := path["siblings"].([]any)
	for i := len(sibs) - 1; i >= 0; i-- {
		if s, ok := sibs[i].(string); ok {
			b := []byte(s)
			if b[0] == '0' {
				b[0] = '1'
			} else {
				b[0] = '0'
			}
			sibs[i] = string(b)
			return
		}
	}
	panic("no sibling to flip")
}

// TestHostileProofs offers a client that verified the chain up to height
// synced the proofs a hostile or mistaken server could send — of
// transactions and of accounts — and checks that each is refused with its
// typed error, and that the genuine ones pass.
func TestHostileProofs(t *testing.T) {
	powF := newProofFixture(t, powEngine(t), powEngine(t))
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	sealer, err := poa.New([]ed25519.PublicKey{key.Public().(ed25519.PublicKey)}, key)
	require.NoError(t, err)
	verifier, err := poa.New([]ed25519.PublicKey{key.Public().(ed25519.PublicKey)}, nil)
	require.NoError(t, err)
	poaF := newProofFixture(t, sealer, verifier)
	otherKey := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), 1))

	var (
		proofErr    *blockchain.ProofError
		notVerified *lightclient.NotVerifiedError
		ruleErr     *blockchain.RuleError
	)
	type proofCheck func(t *testing.T, f *proofFixture) error
	verifyTx := func(height uint64, edit func(tx *blockchain.Transaction, p *blockchain.InclusionProof, f *proofFixture, t *testing.T)) proofCheck {
		return func(t *testing.T, f *proofFixture) error {
			tx, p := f.txProof(t, f.blocks, 1, 0)
			if edit != nil {
				edit(&tx, &p, f, t)
			}
			return f.client.VerifyTransaction(tx, height, p)
		}
	}
	for _, tc := range []struct {
		name string
		poa  bool
		// header, if set, is block synced+1's header as the server sends
		// it; the client must refuse it with headerErr before the proof
		// is checked.
		header    func(h blockchain.Header) blockchain.Header
		headerErr error
		check     proofCheck
		want      error // nil: the proof is genuine and accepted
		as        any   // the typed error errors.As must find
	}{
		// Transactions.
		{name: "a transaction's genuine proof", check: verifyTx(1, nil)},
		{name: "the last transaction of a block of five", check: func(t *testing.T, f *proofFixture) error {
			tx, p := f.txProof(t, f.blocks, 1, 4)
			return f.client.VerifyTransaction(tx, 1, p)
		}},
		{name: "wrong index: another leaf's", check: verifyTx(1, func(_ *blockchain.Transaction, p *blockchain.InclusionProof, _ *proofFixture, _ *testing.T) {
			p.Index = 1
		}), want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "wrong index: past the last leaf", check: verifyTx(1, func(_ *blockchain.Transaction, p *blockchain.InclusionProof, _ *proofFixture, _ *testing.T) {
			p.Index = 5
		}), want: blockchain.ErrProofIndex, as: &proofErr},
		{name: "wrong count: fewer than the header's", check: verifyTx(1, func(_ *blockchain.Transaction, p *blockchain.InclusionProof, _ *proofFixture, _ *testing.T) {
			p.Count = 4 // leaf 0 of 4 climbs with the same three hashes…
		}), want: lightclient.ErrProofCount, as: &proofErr},
		{name: "wrong count: more than the header's", check: verifyTx(1, func(_ *blockchain.Transaction, p *blockchain.InclusionProof, _ *proofFixture, _ *testing.T) {
			p.Count = 7 // …and so does leaf 0 of 7
		}), want: lightclient.ErrProofCount, as: &proofErr},
		{name: "path too short", check: verifyTx(1, func(_ *blockchain.Transaction, p *blockchain.InclusionProof, _ *proofFixture, _ *testing.T) {
			p.Path = p.Path[:len(p.Path)-1]
		}), want: blockchain.ErrProofLength, as: &proofErr},
		{name: "path too long", check: verifyTx(1, func(_ *blockchain.Transaction, p *blockchain.InclusionProof, _ *proofFixture, _ *testing.T) {
			p.Path = append(p.Path, p.Path[0])
		}), want: blockchain.ErrProofLength, as: &proofErr},
		{name: "swapped siblings", check: verifyTx(1, func(_ *blockchain.Transaction, p *blockchain.InclusionProof, _ *proofFixture, _ *testing.T) {
			p.Path = append([]blockchain.Hash(nil), p.Path...)
			p.Path[0], p.Path[1] = p.Path[1], p.Path[0]
		}), want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "a sibling changed", check: verifyTx(1, func(_ *blockchain.Transaction, p *blockchain.InclusionProof, _ *proofFixture, _ *testing.T) {
			p.Path = append([]blockchain.Hash(nil), p.Path...)
			p.Path[2][31] ^= 1
		}), want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "a leaf from another block", check: verifyTx(1, func(tx *blockchain.Transaction, _ *blockchain.InclusionProof, f *proofFixture, t *testing.T) {
			*tx, _ = f.txProof(t, f.blocks, 2, 0)
		}), want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "a transaction whose signature is gone: no node would include it, whatever block shows it", check: verifyTx(1, func(tx *blockchain.Transaction, _ *blockchain.InclusionProof, _ *proofFixture, _ *testing.T) {
			*tx = blockchain.NewTransaction(tx.Fields(), make([]byte, blockchain.SignatureSize)) // the same ID
		}), want: blockchain.ErrBadSignature, as: &ruleErr},
		{name: "a transaction's own proof, at a height whose block has another count", check: func(t *testing.T, f *proofFixture) error {
			tx, p := f.txProof(t, f.blocks, 2, 0)
			return f.client.VerifyTransaction(tx, 1, p)
		}, want: lightclient.ErrProofCount, as: &proofErr},
		{name: "a header not on the verified chain: a fork's block at a verified height", check: func(t *testing.T, f *proofFixture) error {
			tx, p := f.txProof(t, f.forked, 1, 0)
			return f.client.VerifyTransaction(tx, 1, p)
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "a header not on the verified chain: beyond the tip", check: func(t *testing.T, f *proofFixture) error {
			tx, p := f.txProof(t, f.blocks, synced+1, 0)
			return f.client.VerifyTransaction(tx, synced+1, p)
		}, want: lightclient.ErrNotVerified, as: &notVerified},
		{
			name: "a header with too little work, then its transaction's proof",
			header: func(h blockchain.Header) blockchain.Header {
				for h.Nonce = 0; h.SealHash().LeadingZeroBits() >= int(h.Bits); h.Nonce++ {
				}
				return h
			},
			headerErr: blockchain.ErrInvalidSeal,
			check: func(t *testing.T, f *proofFixture) error {
				tx, p := f.txProof(t, f.blocks, synced+1, 0)
				return f.client.VerifyTransaction(tx, synced+1, p)
			},
			want: lightclient.ErrNotVerified, as: &notVerified,
		},
		{
			name: "a header with a forged seal, then its transaction's proof", poa: true,
			header: func(h blockchain.Header) blockchain.Header {
				sh := h.SealHash()
				h.Seal = append([]byte{0}, ed25519.Sign(otherKey, append([]byte("eventchain/poa-seal/v1\x00"), sh[:]...))...)
				return h
			},
			headerErr: blockchain.ErrInvalidSeal,
			check: func(t *testing.T, f *proofFixture) error {
				tx, p := f.txProof(t, f.blocks, synced+1, 0)
				return f.client.VerifyTransaction(tx, synced+1, p)
			},
			want: lightclient.ErrNotVerified, as: &notVerified,
		},
		{name: "a proof-of-authority chain's genuine proof", poa: true, check: verifyTx(1, nil)},

		// Accounts.
		{name: "an account's genuine proof at the tip", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccountAt(synced, accountProof(t, f.chain, "bob", synced))
		}},
		{name: "a genuine proof that an address has no account", check: func(t *testing.T, f *proofFixture) error {
			p := accountProof(t, f.chain, "nobody", synced)
			require.True(t, p.Account.IsZero(), "precondition: nobody has no account")
			return f.client.VerifyAccount(p)
		}},
		{name: "a genuine proof of an older state, at its own height", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccount(accountProof(t, f.chain, "zoe", 2))
		}},
		{name: "a state proof for another height than asked", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccountAt(synced, accountProof(t, f.chain, "bob", synced-1))
		}, want: blockchain.ErrProofHeight, as: &proofErr},
		{name: "a state proof relabelled with another height", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccount(editProof(t, accountProof(t, f.chain, "bob", synced-1), func(m map[string]any) { m["height"] = synced }))
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "a balance raised", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccount(editProof(t, accountProof(t, f.chain, "bob", synced), func(m map[string]any) { m["balance"] = m["balance"].(float64) + 1 }))
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "a nonce lowered", check: func(t *testing.T, f *proofFixture) error {
			p := accountProof(t, f.chain, "alice", synced)
			require.NotZero(t, p.Account.Nonce, "precondition: alice has sent")
			return f.client.VerifyAccount(editProof(t, p, func(m map[string]any) { m["nonce"] = m["nonce"].(float64) - 1 }))
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "a sibling changed on an account's path", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccount(editProof(t, accountProof(t, f.chain, "bob", synced), flipSibling))
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "another address's proof", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccount(editProof(t, accountProof(t, f.chain, "bob", synced), func(m map[string]any) { m["address"] = consensustest.Addr("carol").String() }))
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "an absence proof for an address that exists", check: func(t *testing.T, f *proofFixture) error {
			absent := accountProof(t, f.chain, "zoe", 2) // before alice paid zoe
			require.True(t, absent.Account.IsZero(), "precondition: zoe had no account at height 2")
			return f.client.VerifyAccount(editProof(t, absent, func(m map[string]any) { m["height"] = 3 }))
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "an absence claimed with the path of an account that exists", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccount(editProof(t, accountProof(t, f.chain, "zoe", 3), func(m map[string]any) { m["balance"], m["nonce"] = 0, 0 }))
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "an account proven where the address has none", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccount(editProof(t, accountProof(t, f.chain, "zoe", 3), func(m map[string]any) { m["height"] = 2 }))
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "an account of a fork's state at a verified height", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccount(accountProof(t, f.fork, "mallory", 1))
		}, want: blockchain.ErrProofMismatch, as: &proofErr},
		{name: "an account beyond the verified tip", check: func(t *testing.T, f *proofFixture) error {
			return f.client.VerifyAccount(accountProof(t, f.chain, "bob", synced+1))
		}, want: lightclient.ErrNotVerified, as: &notVerified},
		{
			name: "a header with too little work, then an account's proof under it",
			header: func(h blockchain.Header) blockchain.Header {
				for h.Nonce = 0; h.SealHash().LeadingZeroBits() >= int(h.Bits); h.Nonce++ {
				}
				return h
			},
			headerErr: blockchain.ErrInvalidSeal,
			check: func(t *testing.T, f *proofFixture) error {
				return f.client.VerifyAccountAt(synced+1, accountProof(t, f.chain, "alice", synced+1))
			},
			want: lightclient.ErrNotVerified, as: &notVerified,
		},
		{
			name: "a header with a forged state root, then an account's proof under it", poa: true,
			header: func(h blockchain.Header) blockchain.Header {
				h.StateRoot[0] ^= 1 // the seal signed the true root
				return h
			},
			headerErr: blockchain.ErrInvalidSeal,
			check: func(t *testing.T, f *proofFixture) error {
				return f.client.VerifyAccount(accountProof(t, f.chain, "alice", synced+1))
			},
			want: lightclient.ErrNotVerified, as: &notVerified,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := powF
			if tc.poa {
				f = poaF
			}
			if tc.header != nil {
				err := f.client.Add(tc.header(f.blocks[synced].Header()))
				require.ErrorIs(t, err, tc.headerErr, "the hostile header is refused")
				require.ErrorAs(t, err, &ruleErr)
				require.Equal(t, synced+1, f.client.Len(), "and changes nothing")
			}
			err := tc.check(t, f)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.ErrorAs(t, err, tc.as, "a typed error")
			assert.Equal(t, synced+1, f.client.Len(), "a refused proof changes nothing")
		})
	}
}

// TestVerifyAccountFollowsTheTip: a client that syncs one more header can
// check proofs at the new tip, and every older proof still holds at its
// own height.
func TestVerifyAccountFollowsTheTip(t *testing.T) {
	f := newProofFixture(t, powEngine(t), powEngine(t))
	p := accountProof(t, f.chain, "carol", synced+1)
	var nv *lightclient.NotVerifiedError
	require.ErrorAs(t, f.client.VerifyAccount(p), &nv)
	assert.Equal(t, lightclient.NotVerifiedError{Height: synced + 1, Len: synced + 1}, *nv)
	assert.Equal(t, fmt.Sprintf("lightclient: no verified header at this height: have height %d, want at most %d", synced+1, synced), nv.Error())

	require.NoError(t, f.client.Add(f.blocks[synced].Header()))
	assert.NoError(t, f.client.VerifyAccountAt(synced+1, p))
	for h := uint64(0); h <= synced+1; h++ {
		assert.NoError(t, f.client.VerifyAccount(accountProof(t, f.chain, "carol", h)), "height %d", h)
	}
	assert.Equal(t, f.chain.Account(consensustest.Addr("carol")), p.Account, "the proof carries what the full node holds")

	empty := newClient(t, powEngine(t))
	require.ErrorAs(t, empty.VerifyAccount(p), &nv)
	assert.Zero(t, nv.Len)
	assert.Contains(t, nv.Error(), "which is empty")
}
