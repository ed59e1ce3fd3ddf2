package poa_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
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

// TestConformance runs the plugin kit on a one-signer engine, whose turn
// it always is.
func TestConformance(t *testing.T) {
	priv, pub := keys(1)
	consensustest.Run(t, func(tb testing.TB) blockchain.Consensus { return mustNew(tb, pub, priv[0]) })
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
	chain, err := blockchain.NewChain(blockchain.Config{Engine: verifier, Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }})
	require.NoError(t, err)

	for height := uint64(1); height <= 10; height++ {
		turn := verifier.Turn(height)
		assert.Equal(t, int((height-1)%3), turn)
		h := blockchain.NextHeader(chain.Tip(), nil, chain.Tip().Timestamp.Add(time.Second))
		require.NoError(t, engines[turn].Prepare(chain, &h))
		sealed, err := engines[turn].Seal(context.Background(), blockchain.NewBlock(h, nil))
		require.NoError(t, err)

		// Another signer's key over the same header is refused.
		other := (turn + 1) % 3
		forged := sealed.Header()
		forged.Seal = append([]byte{byte(turn)}, ed25519.Sign(priv[other], sealMessage(sealed))...)
		assert.ErrorIs(t, verifier.Verify(chain, blockchain.NewBlock(forged, nil)), blockchain.ErrInvalidSeal, "height %d, signed by %d", height, other)
		forged.Seal[0] = byte(other)
		assert.ErrorIs(t, verifier.Verify(chain, blockchain.NewBlock(forged, nil)), blockchain.ErrInvalidSeal, "height %d, out of turn", height)

		require.NoError(t, chain.Apply(sealed), "height %d", height)
	}
	assert.Equal(t, uint64(10), chain.Height())
}

// TestSealWaitsForItsTurn: a signer asked to seal out of turn waits until
// its context ends.
func TestSealWaitsForItsTurn(t *testing.T) {
	priv, pub := keys(2)
	e := mustNew(t, pub, priv[1]) // signer 1 seals heights 2, 4, …
	h := blockchain.NextHeader(blockchain.Genesis().Header(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
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

// TestGoldenSeal seals block 1 of blockchain/events' fixtures with signer
// 0's key and checks the seal and the hashes against
// blockchain/testdata/golden_seal.py, which signs with Python's
// cryptography package: it pins the signed message, tag included, and the
// block hash that covers the seal.
func TestGoldenSeal(t *testing.T) {
	const (
		publicKey = "ec7c2244614f04f02b9898090b5b5ff57fd50b37611ab4bcb7c7081bc5451791"
		sealHash  = "515c2408cddf112f75b2ce9cd63ed52d584b049b2c536c3cc1e9cadd4511585b"
		seal      = "004374a7c5cc1ad7178deaed6ac607156537e9cf402f205c7fa2d759622360fd65543dd34697f972fed41e290eeb77d1c2ac1ee44ab83d71bdaad42c9129934704"
		blockHash = "f1a5a5620d09b1c941d150c619530cfe2f263fd9c2caa82a223ba49a48cf7c19"
	)
	priv, pub := keys(1)
	require.Equal(t, publicKey, hex.EncodeToString(pub[0]), "precondition: signer 0's key")
	e := mustNew(t, pub, priv[0])

	view := blockchain.HeaderList{blockchain.Genesis().Header()}
	txs := []blockchain.Transaction{consensustest.Transfer("alice pays bob", "alice", "bob", 125)}
	h := blockchain.NextHeader(view.Tip(), txs, view.Tip().Timestamp.Add(consensustest.BlockInterval))
	require.NoError(t, e.Prepare(view, &h))
	unsealed := blockchain.NewBlock(h, txs)
	require.Equal(t, sealHash, unsealed.SealHash().String(), "precondition: block 1 of the events fixtures")

	sealed, err := e.Seal(context.Background(), unsealed)
	require.NoError(t, err)
	assert.Equal(t, seal, hex.EncodeToString(sealed.Header().Seal), "seal: signer index, then the signature of the tagged seal hash")
	assert.Equal(t, sealHash, sealed.SealHash().String(), "sealing leaves the seal hash alone")
	assert.Equal(t, blockHash, sealed.Hash().String(), "the block hash covers the seal")
	assert.NoError(t, e.Verify(view, sealed))
}

// TestSealIsDomainSeparated: a signature by the right signer over the
// right seal hash is still refused if it was not made as a seal — without
// the tag. A signature the key made for any other purpose can never pass
// for a seal.
func TestSealIsDomainSeparated(t *testing.T) {
	priv, pub := keys(1)
	e := mustNew(t, pub, priv[0])
	view := blockchain.HeaderList{blockchain.Genesis().Header()}
	h := blockchain.NextHeader(view.Tip(), nil, view.Tip().Timestamp.Add(time.Second))
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
		{"another tag", append([]byte("eventchain/tx/v1\x00"), sh[:]...), blockchain.ErrInvalidSeal},
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := poa.New(tc.signers, tc.key)
			assert.Error(t, err)
		})
	}
	_, err := poa.New(pub, priv[0])
	assert.NoError(t, err)
}
