package blockchain_test

import (
	"bufio"
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// goldenSmallOrderKeys reads the fourteen strings that decode to a point
// of small order, as testdata/golden_small_order.py computes them from
// the curve's equation, outside Go.
func goldenSmallOrderKeys(t testing.TB) []blockchain.PublicKey {
	t.Helper()
	f, err := os.Open("testdata/small_order_keys.txt")
	require.NoError(t, err)
	defer f.Close()
	var keys []blockchain.PublicKey
	for s := bufio.NewScanner(f); s.Scan(); {
		b, err := hex.DecodeString(s.Text())
		require.NoError(t, err)
		var k blockchain.PublicKey
		require.Len(t, b, len(k))
		copy(k[:], b)
		keys = append(keys, k)
	}
	require.Len(t, keys, 14)
	return keys
}

func TestSmallOrderKeys(t *testing.T) {
	for _, k := range goldenSmallOrderKeys(t) {
		t.Run(k.String(), func(t *testing.T) {
			assert.True(t, k.IsSmallOrder())
			assert.True(t, blockchain.DecodesToSmallOrder(k), "curve25519-voi decodes it to a point of small order")
			flipped := k
			flipped[5] ^= 0x10
			assert.False(t, flipped.IsSmallOrder(), "one bit changed")
		})
	}
	for _, name := range consensustest.Accounts {
		assert.False(t, consensustest.Key(name).Public().IsSmallOrder(), name)
	}
}

// TestWeakKeyIsRefused: the identity point signs every message with
// R = the identity and S = 0, and the standard library's Verify says
// yes. The chain refuses the transaction by its own rule, so nobody can
// spend what was sent to the identity's address.
func TestWeakKeyIsRefused(t *testing.T) {
	var identity blockchain.PublicKey
	identity[0] = 1
	sig := make([]byte, blockchain.SignatureSize)
	sig[0] = 1 // R = the identity; S = 0
	tx := blockchain.NewTransaction(blockchain.TxFields{ChainID: consensustest.ChainID, From: identity.Address(),
		To: consensustest.Addr("bob"), Amount: 400, PublicKey: identity}, sig)
	require.True(t, ed25519.Verify(identity[:], tx.Fields().SignedMessage(), sig), "a signature nobody made verifies")
	require.True(t, identity.Verify(tx.Fields().SignedMessage(), sig), "PublicKey.Verify keeps to the standard library's rules")

	assert.False(t, tx.VerifySignature())
	err := blockchain.CheckTransactionSanity(tx)
	assert.ErrorIs(t, err, blockchain.ErrWeakKey)
	assert.Equal(t, "weak-key", blockchain.ErrWeakKey.String())
	blk := blockchain.NewBlock(blockchain.Header{}, []blockchain.Transaction{tx})
	assert.ErrorIs(t, blk.VerifySignatures(), blockchain.ErrWeakKey)
}

// FuzzIsSmallOrder compares the table lookup with a decompression, on
// the golden strings, their neighbours and whatever the fuzzer finds.
//
//	go test ./blockchain -run '^$' -fuzz FuzzIsSmallOrder -fuzztime 1m
func FuzzIsSmallOrder(f *testing.F) {
	for _, k := range goldenSmallOrderKeys(f) {
		f.Add(k[:])
		k[0] ^= 1
		f.Add(k[:])
		k[31] ^= 0x80
		f.Add(k[:])
	}
	alice := consensustest.Key("alice").Public()
	f.Add(alice[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		var k blockchain.PublicKey
		if len(b) != len(k) {
			return
		}
		copy(k[:], b)
		if got, want := k.IsSmallOrder(), blockchain.DecodesToSmallOrder(k); got != want {
			t.Fatalf("IsSmallOrder(%s) = %v, decompression says %v", k, got, want)
		}
	})
}
