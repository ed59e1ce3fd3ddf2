package poa_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/poa"
)

// keys makes n deterministic signing keys.
func keys(n int) ([]ed25519.PrivateKey, []ed25519.PublicKey) {
	var priv []ed25519.PrivateKey
	var pub []ed25519.PublicKey
	for i := range n {
		seed := make([]byte, ed25519.SeedSize)
		copy(seed, fmt.Sprintf("signer %d", i))
		k := ed25519.NewKeyFromSeed(seed)
		priv = append(priv, k)
		pub = append(pub, k.Public().(ed25519.PublicKey))
	}
	return priv, pub
}

func mustNew(tb testing.TB, signers []ed25519.PublicKey, key ed25519.PrivateKey) *poa.Engine {
	tb.Helper()
	e, err := poa.New(signers, key)
	require.NoError(tb, err)
	return e
}

// poaSpec is the test kit's network (consensustest.Spec: its chain ID,
// accounts and reward) under proof of authority by these signers.
func poaSpec(signers []ed25519.PublicKey) blockchain.ChainSpec {
	spec := consensustest.Spec()
	spec.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{}}
	for _, s := range signers {
		spec.Consensus.PoA.Signers = append(spec.Consensus.PoA.Signers, blockchain.PublicKey(s))
	}
	return spec
}

// newChain returns a chain of spec that verifies with engine, its clock
// fixed long after the blocks the tests make.
func newChain(tb testing.TB, spec blockchain.ChainSpec, engine blockchain.Consensus) *blockchain.Chain {
	tb.Helper()
	chain, err := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: engine, Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }})
	require.NoError(tb, err)
	return chain
}

// TestConformance runs the plugin kit on a one-signer engine, whose turn
// it always is.
func TestConformance(t *testing.T) {
	priv, pub := keys(1)
	consensustest.Run(t, func(tb testing.TB) blockchain.Consensus { return mustNew(tb, pub, priv[0]) })
}

// TestFromSpec: the engine of a spec's signers seals blocks that the
// engine of the same spec, without a key, verifies; a key that is not a
// signer's is refused.
func TestFromSpec(t *testing.T) {
	priv, pub := keys(3)
	spec := poaSpec(pub)
	require.NoError(t, spec.Validate(), "precondition: a valid spec")
	verifier, err := poa.FromSpec(*spec.Consensus.PoA, nil)
	require.NoError(t, err)
	chain := newChain(t, spec, verifier)
	for i := range 3 {
		e, err := poa.FromSpec(*spec.Consensus.PoA, priv[i])
		require.NoError(t, err)
		_, err = consensustest.GenerateChain(context.Background(), e, chain, 1, nil)
		require.NoError(t, err, "signer %d seals height %d", i, i+1)
	}
	assert.Equal(t, uint64(3), chain.Height())

	stranger, _ := keys(4)
	_, err = poa.FromSpec(*spec.Consensus.PoA, stranger[3])
	require.Error(t, err, "a key that is no signer's")
	assert.Contains(t, err.Error(), hex.EncodeToString(stranger[3].Public().(ed25519.PublicKey)),
		"the operator is told which key it is, to compare with the spec's signers")
	_, err = poa.FromSpec(blockchain.PoASpec{}, nil)
	assert.Error(t, err, "no signers")
}

// TestTurns seals ten blocks with three signers in turn and checks every
// rule of the turn.
func TestTurns(t *testing.T) {
	priv, pub := keys(3)
	engines := make([]*poa.Engine, 3)
	for i := range engines {
		engines[i] = mustNew(t, pub, priv[i])
	}
	verifier := mustNew(t, pub, nil)
	chain := newChain(t, poaSpec(pub), verifier)

	for height := uint64(1); height <= 10; height++ {
		turn := verifier.Turn(height)
		assert.Equal(t, int((height-1)%3), turn)
		unsealed, _, err := chain.Propose(blockchain.AddressOf(blockchain.PublicKey(pub[turn])), nil, chain.Tip().Timestamp.Add(time.Second))
		require.NoError(t, err)
		sealed, err := engines[turn].Seal(context.Background(), unsealed)
		require.NoError(t, err)

		// Another signer's key over the same header is refused.
		other := (turn + 1) % 3
		forged := sealed.Header()
		forged.Seal = append([]byte{byte(turn)}, ed25519.Sign(priv[other], sealMessage(sealed))...)
		assert.ErrorIs(t, verifier.Verify(chain, blockchain.NewBlock(forged, nil)), blockchain.ErrInvalidSeal, "height %d, signed by %d", height, other)
		forged.Seal[0] = byte(other)
		assert.ErrorIs(t, verifier.Verify(chain, blockchain.NewBlock(forged, nil)), blockchain.ErrInvalidSeal, "height %d, out of turn", height)
		// The signer whose turn it is cannot seal out of turn either.
		_, err = engines[other].Seal(cancelled(), unsealed)
		assert.ErrorIs(t, err, context.Canceled)

		require.NoError(t, chain.Apply(sealed), "height %d", height)
	}
	assert.Equal(t, uint64(10), chain.Height())
}

// cancelled returns a context that is already done.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestSealWaitsForItsTurn: a signer asked to seal out of turn waits until
// its context ends.
func TestSealWaitsForItsTurn(t *testing.T) {
	priv, pub := keys(2)
	e := mustNew(t, pub, priv[1]) // signer 1 seals heights 2, 4, …
	h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := e.Seal(ctx, blockchain.NewBlock(h, nil)) // height 1: signer 0's turn
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	verifyOnly := mustNew(t, pub, nil)
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = verifyOnly.Seal(ctx2, blockchain.NewBlock(h, nil))
	assert.ErrorIs(t, err, context.Canceled)
}

// sealMessage is what a signer signs for b, as the package documentation
// lays it out: the tag, a zero byte, the seal hash.
func sealMessage(b *blockchain.Block) []byte {
	sh := b.SealHash()
	return append([]byte("eventchain/poa-seal/v1\x00"), sh[:]...)
}

// TestGoldenSeal seals block 1 of a natural fixture — the test kit's
// network under proof of authority by keys(3), alice paying bob 125, the
// block paid to signer 0, whose turn it is — and checks the header's
// 152-byte encoding, its seal hash, the seal and the block hash against
// testdata/golden_poa.py, which computes them from the documentation with
// Python's hashlib and cryptography packages: it pins the signed message,
// tag included, and the block hash that covers the seal.
func TestGoldenSeal(t *testing.T) {
	const (
		signer0     = "ec7c2244614f04f02b9898090b5b5ff57fd50b37611ab4bcb7c7081bc5451791"
		specHash    = "19ee7e5cb0b3dee86407060e0264ae4fde367e407c6f9daca693f461cab7c7ba"
		genesisHash = "53f433b40bf81d120b0f1b3aef583344df1443368cadd344acadead7d1f40b3f"
		beneficiary = "eccc278667ec196a2dc1fe0f1ec4991b06277d66f9365c025c"
		encoding    = "53f433b40bf81d120b0f1b3aef583344df1443368cadd344acadead7d1f40b3f" + // PrevHash: genesis
			"ebb28a58b05d35053741ea97d92e8f34136c3c275eebba29ba0b6b0428ddd538" + // MerkleRoot: alice pays bob 125
			"86b0bb106587de69ce9b2e1ff3b4196f0b4f324ee6c93e8aaeec1c16d3f985ce" + // StateRoot
			"cc278667ec196a2dc1fe0f1ec4991b06277d66f9" + // Beneficiary: signer 0
			"00000001" + "00000002" + "00000000" + // TxCount, Version, Bits
			"0000000000000001" + "0000016f5e670f10" + "0000000000000000" // Height, Timestamp, Nonce
		sealHash  = "6f4528b28f9efe999d3080be842e88b4ca2482f14e491eba8972f4e82c6f7ff2"
		seal      = "00eae1e42e1873fa53779dab03c874742b1999c48162f183a1805d8342e638b6b38a84b63fbf5d28527922b31ba43f13ca81de6fc6a348a4cb55a97eb8e32c0b02"
		blockHash = "90cdc5cf82742a6b055b66e0205f2649612a40c964c687c6c88c403efb114536"
	)
	priv, pub := keys(3)
	require.Equal(t, signer0, hex.EncodeToString(pub[0]), "precondition: signer 0's key")
	spec := poaSpec(pub)
	require.Equal(t, specHash, spec.Hash().String(), "precondition: the spec")
	genesis, err := spec.Genesis()
	require.NoError(t, err)
	require.Equal(t, genesisHash, genesis.Hash().String(), "precondition: its genesis")
	me := blockchain.AddressOf(blockchain.PublicKey(pub[0]))
	require.Equal(t, beneficiary, me.String(), "precondition: signer 0's address")

	e := mustNew(t, pub, priv[0])
	chain := newChain(t, spec, mustNew(t, pub, nil))
	blocks, err := consensustest.GenerateChain(context.Background(), e, chain, 1, func(_ int, g *consensustest.BlockGen) {
		g.AddTransfer("alice", "bob", 125)
		g.SetBeneficiary(me)
	})
	require.NoError(t, err, "seal block 1 and apply it to the chain")
	sealed := blocks[0]

	h := sealed.Header()
	enc, err := h.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, encoding, hex.EncodeToString(enc), "the 152-byte header encoding")
	assert.Equal(t, sealHash, sealed.SealHash().String(), "the seal hash: SHA-256 of the encoding")
	assert.Equal(t, seal, hex.EncodeToString(h.Seal), "seal: signer index, then the signature of the tagged seal hash")
	assert.Equal(t, blockHash, sealed.Hash().String(), "the block hash covers the seal")
	assert.Equal(t, blockHash, chain.TipHash().String(), "the chain took it")
	assert.NoError(t, e.Verify(blockchain.HeaderList{genesis.Header()}, sealed))
	assert.Equal(t, blockchain.Account{Balance: consensustest.Reward}, chain.Account(me), "signer 0 earned the block reward")

	h.Seal = nil
	assert.Equal(t, sealHash, blockchain.NewBlock(h, sealed.Transactions()).Hash().String(), "unsealed, the block hash is the seal hash")
}

// TestSealIsDomainSeparated: a signature by the right signer over the
// right seal hash is still refused if it was not made as a seal — without
// the tag. A signature the key made for any other purpose can never pass
// for a seal.
func TestSealIsDomainSeparated(t *testing.T) {
	priv, pub := keys(1)
	e := mustNew(t, pub, priv[0])
	view := blockchain.HeaderList{consensustest.Genesis().Header()}
	h := blockchain.NextHeader(view.Tip(), nil, view.Tip().Timestamp.Add(time.Second))
	h.Beneficiary = consensustest.Addr("miner")
	require.NoError(t, e.Prepare(view, &h))
	b := blockchain.NewBlock(h, nil)
	sh := b.SealHash()

	for _, tc := range []struct {
		name    string
		message []byte
		want    error
	}{
		{"the tagged seal hash", sealMessage(b), nil},
		{"the bare seal hash", sh[:], blockchain.ErrInvalidSeal},
		{"another tag", append([]byte("eventchain/tx/v2\x00"), sh[:]...), blockchain.ErrInvalidSeal},
		{"the tag without its zero byte", append([]byte("eventchain/poa-seal/v1"), sh[:]...), blockchain.ErrInvalidSeal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signed := h
			signed.Seal = append([]byte{0}, ed25519.Sign(priv[0], tc.message)...)
			err := e.Verify(view, blockchain.NewBlock(signed, nil))
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestNewRejects(t *testing.T) {
	priv, pub := keys(2)
	stranger, _ := keys(3)
	for _, tc := range []struct {
		name    string
		signers []ed25519.PublicKey
		key     ed25519.PrivateKey
	}{
		{"no signers", nil, nil},
		{"too many signers", make([]ed25519.PublicKey, 257), nil},
		{"a short key", []ed25519.PublicKey{pub[0][:10]}, nil},
		{"a key that is no signer's", pub, stranger[2]},
		{"a signer of small order, whose turns anyone could seal", []ed25519.PublicKey{pub[0], make(ed25519.PublicKey, ed25519.PublicKeySize)}, nil},
		{"a signer listed twice, whose miner would stall the chain at its first turn", []ed25519.PublicKey{pub[0], pub[1], pub[0]}, nil},
		{"a signer listed twice, with its key", []ed25519.PublicKey{pub[0], pub[1], pub[0]}, priv[0]},
		{"a short key, which would panic", pub, priv[0][:10]},
		{"a key of 96 bytes, whose seals would panic", pub, append(append(ed25519.PrivateKey(nil), priv[0]...), make([]byte, 32)...)},
		{"a key whose public half is a signer's but whose seed is not", pub, append(append(ed25519.PrivateKey(nil), stranger[2].Seed()...), pub[0]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.NotPanics(t, func() {
				_, err := poa.New(tc.signers, tc.key)
				assert.Error(t, err)
			})
		})
	}
	_, err := poa.New(pub, priv[0])
	assert.NoError(t, err)
}

// TestWaiting: an engine says whose turn a height waits for when it is
// not its own, for the miner's warning when a signer is down.
func TestWaiting(t *testing.T) {
	priv, pub := keys(3)
	e := mustNew(t, pub, priv[1]) // index 1 seals heights 2, 5, …
	for _, tc := range []struct {
		height uint64
		want   string // in the answer; "" for its own turn
	}{
		// Counted from 1, as devnet numbers its signers' key files and
		// miners, and by index in the spec's list, from 0, as the seal.
		{1, "signer 1 of 3 (index 0, key " + hex.EncodeToString(pub[0][:8]) + "…), whose turn it is; this miner is signer 2 of 3 (index 1)"},
		{2, ""},
		{3, "signer 3 of 3 (index 2, key " + hex.EncodeToString(pub[2][:8]) + "…)"},
	} {
		if tc.want == "" {
			assert.Empty(t, e.Waiting(tc.height), "height %d", tc.height)
			continue
		}
		assert.Contains(t, e.Waiting(tc.height), tc.want, "height %d", tc.height)
	}
}

// TestNewKeepsItsOwnSigners: an engine does not share the caller's slice
// of signers, nor its keys: a caller that reuses them afterwards — puts a
// key of small order in a signer's place, say — changes nothing, and
// anyone's seal of that signer's turn is still refused.
func TestNewKeepsItsOwnSigners(t *testing.T) {
	_, pub := keys(2)
	signers := []ed25519.PublicKey{slices.Clone(pub[0]), slices.Clone(pub[1])}
	e := mustNew(t, signers, nil)
	identity := make(ed25519.PublicKey, ed25519.PublicKeySize)
	identity[0] = 1 // y = 1: the identity, a key of small order
	signers[0] = identity
	copy(signers[1], identity)

	// R = the identity, S = 0: a signature of every message by the identity.
	forged := append([]byte{0, 1}, make([]byte, ed25519.SignatureSize-1)...)
	for height := uint64(1); height <= 2; height++ {
		h := blockchain.NextHeader(blockchain.Header{Height: height - 1}, nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		forged[0] = byte(e.Turn(height))
		h.Seal = forged
		assert.ErrorIs(t, e.Verify(nil, blockchain.NewBlock(h, nil)), blockchain.ErrInvalidSeal, "height %d", height)
	}
}

// TestNewChainRefusesAnEngineOfOtherSigners: the engine says which
// signers it verifies (ConsensusSpec), so a chain whose spec lists others
// — or the same in another order, or proof of work — refuses it: nodes
// agreeing on a spec, and so on its genesis, would otherwise take blocks
// of signers the spec never named.
func TestNewChainRefusesAnEngineOfOtherSigners(t *testing.T) {
	priv, pub := keys(4)
	spec := poaSpec(pub[:2])
	e, err := poa.FromSpec(*spec.Consensus.PoA, nil)
	require.NoError(t, err)
	se, ok := blockchain.Consensus(e).(blockchain.SpecEngine)
	require.True(t, ok, "the engine says which consensus it runs")
	assert.Equal(t, spec.Consensus, se.ConsensusSpec(), "the engine gives back the spec it was made from")
	_, err = blockchain.NewChain(blockchain.Config{Spec: spec, Engine: e})
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		spec   blockchain.ChainSpec
		engine *poa.Engine
	}{
		{"other signers", spec, mustNew(t, pub[2:], nil)},
		{"the spec's signers and one more", spec, mustNew(t, pub[:3], nil)},
		{"the spec's signers in another order", spec, mustNew(t, []ed25519.PublicKey{pub[1], pub[0]}, nil)},
		{"a signer of the others, with its key", spec, mustNew(t, pub[2:], priv[2])},
		{"proof of authority on a proof-of-work spec", consensustest.Spec(), e},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain, err := blockchain.NewChain(blockchain.Config{Spec: tc.spec, Engine: tc.engine})
			assert.ErrorIs(t, err, blockchain.ErrEngineNotSpec)
			assert.Nil(t, chain)
		})
	}
}

// TestPrintingLeaksNoKey: an engine printed by mistake, in a log line or
// a test failure, shows no part of its signing key, whatever the verb —
// and neither does a struct that holds it, as a miner's would.
func TestPrintingLeaksNoKey(t *testing.T) {
	priv, pub := keys(2)
	e := mustNew(t, pub, priv[1])
	seed := priv[1].Seed()
	// The seed and the whole private key, in every form fmt could write
	// them: hex, and the decimal, octal and binary of each byte.
	var secrets []string
	for _, b := range [][]byte{seed, priv[1]} {
		secrets = append(secrets, hex.EncodeToString(b), fmt.Sprint(b), fmt.Sprintf("%o", b), fmt.Sprintf("%b", b), fmt.Sprintf("%d", b[:8]))
	}
	holder := struct{ engine *poa.Engine }{e}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%o", "%b", "%x", "%X", "%q"} {
		for _, v := range []any{e, *e, holder} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				assert.NotContains(t, out, s, "%s of a %T", verb, v)
			}
		}
	}
}

// TestNewNamesSignersAsWaitingDoes: New's errors name a signer of the
// list as every other message does, counted from 1 with its index from
// 0, so that "signer 2" means one signer wherever the user reads it.
func TestNewNamesSignersAsWaitingDoes(t *testing.T) {
	_, pub := keys(2)
	for _, tc := range []struct {
		name    string
		signers []ed25519.PublicKey
		want    string
	}{
		{"a short key", []ed25519.PublicKey{pub[0], pub[1][:10]}, "poa: signer 2 of 2 (index 1): have 10 bytes"},
		{"listed twice", []ed25519.PublicKey{pub[0], pub[1], pub[0]}, "poa: signer 3 of 3 (index 2): " + hex.EncodeToString(pub[0]) + " is signer 1 of 3 (index 0) as well"},
		{"small order", []ed25519.PublicKey{make(ed25519.PublicKey, ed25519.PublicKeySize)}, "poa: signer 1 of 1 (index 0): "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := poa.New(tc.signers, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestNilArguments: a nil header or block is an error naming the method,
// not a nil-pointer panic, for every method that takes one.
func TestNilArguments(t *testing.T) {
	priv, pub := keys(1)
	e := mustNew(t, pub, priv[0])
	chain := newChain(t, poaSpec(pub), e)
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"Prepare", func() error { return e.Prepare(chain, nil) }, "poa: prepare: nil header"},
		{"Seal", func() error {
			out, err := e.Seal(context.Background(), nil)
			assert.Nil(t, out)
			return err
		}, "poa: seal: nil block"},
		{"Verify", func() error { return e.Verify(chain, nil) }, "poa: verify: nil block"},
		{"CheckSeal", func() error { return e.CheckSeal(nil) }, "poa: check seal: nil block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, callRecovered(tc.call), tc.want)
		})
	}
}

// callRecovered runs call, a panic turned into an error.
func callRecovered(call func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panicked: %v", v)
		}
	}()
	return call()
}

// TestVerifyOnlySealRefuses: an engine made without a key has no turn of
// its own. Its Seal waited for its context to end, for ever under
// context.Background (a miner built on it stood still, saying nothing);
// it now returns ErrVerifyOnly at once, at every height. A cancelled
// context is still ctx.Err(), as the conformance kit asks of every engine.
func TestVerifyOnlySealRefuses(t *testing.T) {
	_, pub := keys(3)
	verifyOnly := mustNew(t, pub, nil)
	parent := consensustest.Genesis().Header()
	for height := uint64(1); height <= 3; height++ {
		h := blockchain.NextHeader(parent, nil, time.Date(2026, 1, 1, 0, 0, int(height), 0, time.UTC))
		h.Height = height
		// The deadline only bounds a Seal that waits for its context.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		out, err := verifyOnly.Seal(ctx, blockchain.NewBlock(h, nil))
		cancel()
		assert.ErrorIs(t, err, poa.ErrVerifyOnly, "height %d", height)
		assert.Nil(t, out, "height %d", height)
	}
	_, err := verifyOnly.Seal(cancelled(), blockchain.NewBlock(blockchain.NextHeader(parent, nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), nil))
	assert.ErrorIs(t, err, context.Canceled)
}

// TestZeroEngine: the zero Engine has no signers. Whose turn a height is
// was a remainder by their number, and Verify, CheckSeal, Turn and
// Waiting divided by zero; Prepare took every header and Seal blamed the
// missing key. Each method that can now says ErrNotMade, Turn names no
// signer (-1), and Waiting says why.
func TestZeroEngine(t *testing.T) {
	var e poa.Engine
	h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := blockchain.NewBlock(h, nil)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Prepare", func() error { return e.Prepare(nil, &h) }},
		{"Seal", func() error {
			out, err := e.Seal(context.Background(), b)
			assert.Nil(t, out)
			return err
		}},
		{"Verify", func() error { return e.Verify(nil, b) }},
		{"CheckSeal", func() error { return e.CheckSeal(b) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, callRecovered(tc.call), poa.ErrNotMade)
		})
	}
	t.Run("Turn", func(t *testing.T) {
		var turn int
		require.NotPanics(t, func() { turn = e.Turn(1) })
		assert.Equal(t, -1, turn)
	})
	t.Run("Waiting", func(t *testing.T) {
		var waiting string
		require.NotPanics(t, func() { waiting = e.Waiting(1) })
		assert.Equal(t, poa.ErrNotMade.Error(), waiting)
	})
}
