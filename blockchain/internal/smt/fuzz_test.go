package smt_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/internal/smt"
)

// The fuzz targets, run one at a time:
//
//	go test ./blockchain/internal/smt -run '^$' -fuzz FuzzProofUnmarshal -fuzztime 30s
//	go test ./blockchain/internal/smt -run '^$' -fuzz FuzzProofJSON -fuzztime 30s
//	go test ./blockchain/internal/smt -run '^$' -fuzz FuzzVerify -fuzztime 30s
//
// Without -fuzz, go test runs them on their seeds and on what they found
// before (testdata/fuzz).

// fuzzScene is the tree FuzzVerify checks proofs against: random keys,
// many of them sharing long prefixes, two at depth 160.
var fuzzScene = sync.OnceValues(func() (smt.Tree, []kv) {
	r := rand.New(rand.NewPCG(51, 52))
	keys := randKeys(r, 120)
	keys = append(keys, flip(smt.Key{0xf0, 0x0f}, smt.KeyBits-1), smt.Key{0xf0, 0x0f})
	leaves := make([]kv, len(keys))
	changes := make([]smt.Change, len(keys))
	for i, k := range keys {
		leaves[i] = kv{k, account(int64(i), uint64(i))}
		changes[i] = smt.Change{Key: k, Value: leaves[i].v}
	}
	tree, err := smt.Tree{}.Update(changes)
	if err != nil {
		panic(err)
	}
	return tree, leaves
})

// fuzzKeys returns keys of each situation in the fuzz tree: present ones,
// and absent ones near present ones and far from them.
func fuzzKeys() []smt.Key {
	_, leaves := fuzzScene()
	var keys []smt.Key
	for i, l := range leaves {
		if i%10 == 0 || i >= len(leaves)-2 {
			keys = append(keys, l.k, flip(l.k, smt.KeyBits-1), flip(l.k, 100), flip(l.k, 3))
		}
	}
	return append(keys, smt.Key{}, smt.Key{0xff}, smt.Key{0x12, 0x34})
}

// looseProof makes a Proof of any shape from bytes, without the checks of
// the decoders: kind, value length, value, other key, then siblings, 32
// bytes each (the last padded with zeros).
func looseProof(b []byte) smt.Proof {
	var p smt.Proof
	take := func(n int) []byte {
		n = min(n, len(b))
		out := b[:n]
		b = b[n:]
		return out
	}
	if kind := take(1); len(kind) == 1 {
		p.Kind = smt.ProofKind(kind[0])
	}
	if n := take(1); len(n) == 1 {
		p.OtherValue = bytes.Clone(take(int(n[0])))
	}
	copy(p.OtherKey[:], take(smt.KeySize))
	for len(b) > 0 {
		var h smt.Hash
		copy(h[:], take(32))
		p.Siblings = append(p.Siblings, h)
	}
	return p
}

// looseBytes is the input from which looseProof makes p.
func looseBytes(p smt.Proof) []byte {
	b := []byte{byte(p.Kind), byte(len(p.OtherValue))}
	b = append(b, p.OtherValue...)
	b = append(b, p.OtherKey[:]...)
	for _, h := range p.Siblings {
		b = append(b, h[:]...)
	}
	return b
}

// FuzzVerify hands VerifyProof the root of a real tree and whatever key,
// value and proof the fuzzer makes, starting from genuine proofs: decoded
// from the binary form (loose false) or built without any check (loose
// true). It must never panic, must answer nil or a *ProofError, and may
// accept only the genuine proof of the key with its genuine value, or of
// its absence. Anything else verifying would be a SHA-256 collision — or a
// bug.
func FuzzVerify(f *testing.F) {
	tree, _ := fuzzScene()
	for _, k := range fuzzKeys() {
		p := tree.Prove(k)
		v, _ := tree.Get(k)
		b, err := p.MarshalBinary()
		require.NoError(f, err)
		f.Add(k[:], v, b, false)
		f.Add(k[:], v, looseBytes(p), true)
	}
	root := tree.Root()
	f.Fuzz(func(t *testing.T, key, value, proof []byte, loose bool) {
		var k smt.Key
		copy(k[:], key)
		var p smt.Proof
		if loose {
			p = looseProof(proof)
		} else if err := p.UnmarshalBinary(proof); err != nil {
			return
		}
		err := smt.VerifyProof(root, k, value, p)
		if err != nil {
			var pe *smt.ProofError
			if !errors.As(err, &pe) || !(errors.Is(err, smt.ErrProofMismatch) || errors.Is(err, smt.ErrProofMalformed)) {
				t.Fatalf("VerifyProof returned %T %v, want a *ProofError", err, err)
			}
			return
		}
		// Accepted: it must be the genuine proof, and the genuine claim.
		got, err := p.MarshalBinary()
		require.NoError(t, err)
		want, err := tree.Prove(k).MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, want, got, "accepted a proof that is not the genuine one")
		v, ok := tree.Get(k)
		if len(value) == 0 {
			require.False(t, ok, "accepted absence of a present key")
		} else {
			require.True(t, ok, "accepted a value for an absent key")
			require.Equal(t, v, value, "accepted a wrong value")
		}
	})
}

// FuzzProofUnmarshal decodes arbitrary bytes as a binary proof. It must
// never panic, must refuse with a *ProofError, and whatever it accepts
// must encode back to exactly the same bytes (one encoding per proof).
func FuzzProofUnmarshal(f *testing.F) {
	tree, _ := fuzzScene()
	for _, k := range fuzzKeys() {
		b, err := tree.Prove(k).MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 23))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p smt.Proof
		if err := p.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, smt.ErrProofMalformed) {
				t.Fatalf("UnmarshalBinary returned %v, want ErrProofMalformed", err)
			}
			return
		}
		out, err := p.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, out, "decode then encode must give the same bytes")
		j, err := p.MarshalJSON()
		require.NoError(t, err)
		var q smt.Proof
		require.NoError(t, q.UnmarshalJSON(j))
		require.Equal(t, p, q)
	})
}

// FuzzProofJSON decodes arbitrary bytes as a JSON proof. It must never
// panic, and whatever it accepts must encode, in JSON and in binary, to
// forms that decode to the same proof.
func FuzzProofJSON(f *testing.F) {
	tree, _ := fuzzScene()
	for _, k := range fuzzKeys()[:12] {
		j, err := tree.Prove(k).MarshalJSON()
		require.NoError(f, err)
		f.Add(j)
	}
	f.Add([]byte(`{"kind":"empty","depth":0,"siblings":[]}`))
	f.Add([]byte(`{"siblings":[],"kind":"other","other":{"value":"01","key":"0000000000000000000000000000000000000000"},"depth":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p smt.Proof
		if err := p.UnmarshalJSON(data); err != nil {
			if !errors.Is(err, smt.ErrProofMalformed) {
				t.Fatalf("UnmarshalJSON returned %v, want ErrProofMalformed", err)
			}
			return
		}
		j, err := p.MarshalJSON()
		require.NoError(t, err)
		var q smt.Proof
		require.NoError(t, q.UnmarshalJSON(j))
		require.Equal(t, p, q)
		b, err := p.MarshalBinary()
		require.NoError(t, err)
		var r smt.Proof
		require.NoError(t, r.UnmarshalBinary(b))
		require.Equal(t, p, r)
	})
}
