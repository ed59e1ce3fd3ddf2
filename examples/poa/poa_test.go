package poa_test

import (
	"context"
	"crypto/ed25519"
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
		hash := sealed.Hash()
		forged := sealed.Header()
		forged.Seal = append([]byte{byte(turn)}, ed25519.Sign(priv[other], hash[:])...)
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
