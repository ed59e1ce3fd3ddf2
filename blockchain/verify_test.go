package blockchain_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// verifyCase is a public key, a message and a signature, hostile or not.
type verifyCase struct {
	name          string
	pub, msg, sig []byte
}

// verifyCases are the inputs on which ed25519 implementations are known
// to disagree (after "Taming the many EdDSAs", Chalkias et al., 2020):
// small-order keys and R points, encodings of y at or above p, a sign
// bit on x = 0, an S at or above the group order. Each is built here
// from its bytes; which of them verify is for the standard library to
// say.
func verifyCases(t testing.TB) []verifyCase {
	t.Helper()
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		require.NoError(t, err)
		return b
	}
	const (
		identity    = "0100000000000000000000000000000000000000000000000000000000000000" // y = 1: the neutral point, order 1
		identityNeg = "0100000000000000000000000000000000000000000000000000000000000080" // y = 1 with the sign of x set: x = 0 has no negative
		yIsP1       = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" // y = p + 1: a non-canonical 1
		order2      = "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" // y = −1: the point of order 2
		order4      = "0000000000000000000000000000000000000000000000000000000000000000" // y = 0: a point of order 4
		zeroS       = "0000000000000000000000000000000000000000000000000000000000000000"
	)
	key := consensustest.Key("alice")
	msg := []byte("pay bob 125")
	signed := key.Sign(msg)
	good := signed[:]
	// S + L, the same scalar spelled at or above the group order L.
	sPlusL := append([]byte(nil), good...)
	l := unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	carry := 0
	for i := range 32 {
		v := int(sPlusL[32+i]) + int(l[i]) + carry
		sPlusL[32+i], carry = byte(v), v>>8
	}
	pub := key.Public()
	flipped := append([]byte(nil), good...)
	flipped[10] ^= 1
	return []verifyCase{
		{"a good signature", pub[:], msg, good},
		{"a bit flipped in R", pub[:], msg, flipped},
		{"another message", pub[:], []byte("pay bob 126"), good},
		{"S plus the group order", pub[:], msg, sPlusL},
		{"neutral key, neutral R, S zero", unhex(identity), msg, unhex(identity + zeroS)},
		{"neutral key, order-2 R, S zero", unhex(identity), msg, unhex(order2 + zeroS)},
		{"order-2 key, neutral R, S zero", unhex(order2), msg, unhex(identity + zeroS)},
		{"order-4 key, neutral R, S zero", unhex(order4), msg, unhex(identity + zeroS)},
		{"non-canonical neutral key", unhex(yIsP1), msg, unhex(identity + zeroS)},
		{"non-canonical neutral R", unhex(identity), msg, unhex(yIsP1 + zeroS)},
		{"neutral key with the sign of x set", unhex(identityNeg), msg, unhex(identity + zeroS)},
		{"neutral R with the sign of x set", unhex(identity), msg, unhex(identityNeg + zeroS)},
		{"a real key, neutral R, S zero", pub[:], msg, unhex(identity + zeroS)},
	}
}

// stdlibVerify is the standard library's answer for a 32-byte key.
func stdlibVerify(pub, msg, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, msg, sig)
}

// TestVerifyAgreesWithStdlib: PublicKey.Verify gives crypto/ed25519's
// answer on each input known to split implementations, and the good
// signature, and only it, verifies.
func TestVerifyAgreesWithStdlib(t *testing.T) {
	for _, c := range verifyCases(t) {
		t.Run(c.name, func(t *testing.T) {
			require.Len(t, c.pub, blockchain.PublicKeySize)
			var k blockchain.PublicKey
			copy(k[:], c.pub)
			assert.Equal(t, stdlibVerify(c.pub, c.msg, c.sig), k.Verify(c.msg, c.sig))
		})
	}
	cases := verifyCases(t)
	var k blockchain.PublicKey
	copy(k[:], cases[0].pub)
	assert.True(t, k.Verify(cases[0].msg, cases[0].sig), "the good signature")
	assert.False(t, k.Verify(cases[3].msg, cases[3].sig), "S at or above the group order")
}

// FuzzVerifyAgreesWithStdlib holds PublicKey.Verify to crypto/ed25519's
// answer on any key, message and signature: a signature that one
// verifier accepts and the other refuses would let two nodes disagree
// about a block.
//
//	go test ./blockchain -run '^$' -fuzz FuzzVerifyAgreesWithStdlib -fuzztime 60s
func FuzzVerifyAgreesWithStdlib(f *testing.F) {
	for _, c := range verifyCases(f) {
		f.Add(c.pub, c.msg, c.sig)
	}
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		var k blockchain.PublicKey
		if len(pub) != len(k) {
			return // a PublicKey is 32 bytes by its type
		}
		copy(k[:], pub)
		if got, want := k.Verify(msg, sig), stdlibVerify(pub, msg, sig); got != want {
			t.Fatalf("Verify(%x, %x, %x) = %v, crypto/ed25519 says %v", pub, msg, sig, got, want)
		}
	})
}
