package smt_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/internal/smt"
)

// requireProofError checks that err is a *ProofError wrapping want.
func requireProofError(t *testing.T, err, want error) {
	t.Helper()
	require.Error(t, err)
	var pe *smt.ProofError
	require.ErrorAs(t, err, &pe)
	require.ErrorIs(t, err, want, "%v", err)
	require.NotEmpty(t, pe.Reason)
	other := smt.ErrProofMalformed
	if want == smt.ErrProofMalformed {
		other = smt.ErrProofMismatch
	}
	require.NotErrorIs(t, err, other)
}

// TestProveVerifyRoundTrip proves every key of many random trees, and many
// absent keys of both kinds, checks each proof against the reference and
// verifies it, and checks that the proof shows nothing else: not another
// value, not the opposite claim, not under another root.
func TestProveVerifyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	kinds := map[smt.ProofKind]int{}
	for i := range 40 {
		n := []int{0, 1, 2, 3, 7, 40, 300}[i%7]
		tree, leaves := build(t, r, randKeys(r, n))
		root := tree.Root()
		otherRoot := smt.LeafHash(smt.Key{}, []byte{byte(i)})
		// The reference rebuilds every sibling from scratch: in large trees,
		// compare with it for some keys only.
		check := func(j int) bool { return n <= 40 || j%40 == 0 }
		for j, l := range leaves {
			p := tree.Prove(l.k)
			if check(j) {
				require.Equal(t, refProve(leaves, l.k), p)
			}
			require.Equal(t, smt.KindLeaf, p.Kind)
			require.NoError(t, smt.VerifyProof(root, l.k, l.v, p))
			requireProofError(t, smt.VerifyProof(root, l.k, nil, p), smt.ErrProofMismatch)
			wrong := slices.Clone(l.v)
			wrong[len(wrong)-1] ^= 1
			requireProofError(t, smt.VerifyProof(root, l.k, wrong, p), smt.ErrProofMismatch)
			requireProofError(t, smt.VerifyProof(otherRoot, l.k, l.v, p), smt.ErrProofMismatch)
			kinds[p.Kind]++
		}
		// Absent keys: random ones, and near misses of present keys (which
		// end deep down, at an Empty subtree or at the near key's leaf).
		var absent []smt.Key
		for range 30 {
			absent = append(absent, randKey(r))
		}
		for _, l := range leaves[:min(len(leaves), 30)] {
			absent = append(absent, flip(l.k, smt.KeyBits-1-r.IntN(40)))
		}
		for j, k := range absent {
			if _, ok := tree.Get(k); ok {
				continue
			}
			p := tree.Prove(k)
			if check(j) {
				require.Equal(t, refProve(leaves, k), p)
			}
			require.NotEqual(t, smt.KindLeaf, p.Kind)
			require.NoError(t, smt.VerifyProof(root, k, nil, p))
			require.NoError(t, smt.VerifyProof(root, k, []byte{}, p), "an empty value claims absence too")
			requireProofError(t, smt.VerifyProof(root, k, []byte{1}, p), smt.ErrProofMismatch)
			if n > 0 {
				requireProofError(t, smt.VerifyProof(otherRoot, k, nil, p), smt.ErrProofMismatch)
			}
			kinds[p.Kind]++
		}
	}
	assert.Greater(t, kinds[smt.KindLeaf], 1000)
	assert.Greater(t, kinds[smt.KindEmpty], 300)
	assert.Greater(t, kinds[smt.KindOther], 300)
}

func TestZeroProofProvesAbsenceInTheEmptyTree(t *testing.T) {
	require.NoError(t, smt.VerifyProof(smt.Empty, smt.Key{9}, nil, smt.Proof{}))
	assert.Equal(t, smt.Proof{}, smt.Tree{}.Prove(smt.Key{9}))
	requireProofError(t, smt.VerifyProof(smt.Empty, smt.Key{9}, []byte{1}, smt.Proof{}), smt.ErrProofMismatch)
}

// scene is a tree with one key of each situation, for the hostile tests.
type scene struct {
	tree    smt.Tree
	leaves  []kv
	present kv      // depth ≥ 3, with its first two and its last two siblings not Empty
	empty   smt.Key // absent, proof of KindEmpty, depth ≥ 2
	other   smt.Key // absent, proof of KindOther, depth ≥ 2
	deep    kv      // present at depth 160
}

func newScene(t *testing.T) scene {
	t.Helper()
	r := rand.New(rand.NewPCG(31, 32))
	keys := randKeys(r, 1000)
	deep := flip(keys[0], smt.KeyBits-1)
	if !slices.Contains(keys, deep) {
		keys = append(keys, deep)
	}
	var s scene
	s.tree, s.leaves = build(t, r, keys)
	for _, l := range s.leaves {
		p := s.tree.Prove(l.k)
		d := len(p.Siblings)
		if d >= 3 && d < 40 && p.Siblings[0] != smt.Empty && p.Siblings[1] != smt.Empty && p.Siblings[0] != p.Siblings[1] && p.Siblings[d-2] != smt.Empty {
			s.present = l
			break
		}
	}
	for _, l := range s.leaves {
		if len(s.tree.Prove(l.k).Siblings) == smt.KeyBits {
			s.deep = l
			break
		}
	}
	for s.empty == (smt.Key{}) || s.other == (smt.Key{}) {
		k := randKey(r)
		if p := s.tree.Prove(k); len(p.Siblings) >= 2 && p.Siblings[0] != smt.Empty {
			switch p.Kind {
			case smt.KindEmpty:
				s.empty = k
			case smt.KindOther:
				s.other = k
			}
		}
	}
	require.NotNil(t, s.present.v)
	require.NotNil(t, s.deep.v)
	return s
}

// TestVerifyRefusesHostileProofs takes genuine proofs and changes one thing
// at a time; each change must be refused with the right reason.
func TestVerifyRefusesHostileProofs(t *testing.T) {
	s := newScene(t)
	root := s.tree.Root()
	pk, pv := s.present.k, s.present.v
	// onPath is a present key that shares the other-kind proof's prefix
	// but is not its leaf; offPath is a key that leaves the path at once.
	otherProof := s.tree.Prove(s.other)
	offPath := flip(s.other, 0)
	another := s.leaves[0]
	if another.k == pk {
		another = s.leaves[1]
	}

	tests := []struct {
		name   string
		key    smt.Key
		value  []byte
		mutate func(p *smt.Proof)
		want   error
	}{
		// Inclusion proofs.
		{"genuine inclusion", pk, pv, func(*smt.Proof) {}, nil},
		{"flipped sibling bit", pk, pv, func(p *smt.Proof) { p.Siblings[1][7] ^= 0x10 }, smt.ErrProofMismatch},
		{"flipped bit in the last sibling", pk, pv, func(p *smt.Proof) { p.Siblings[len(p.Siblings)-1][31] ^= 1 }, smt.ErrProofMismatch},
		{"swapped siblings", pk, pv, func(p *smt.Proof) { p.Siblings[0], p.Siblings[1] = p.Siblings[1], p.Siblings[0] }, smt.ErrProofMismatch},
		{"truncated path", pk, pv, func(p *smt.Proof) { p.Siblings = p.Siblings[:len(p.Siblings)-1] }, smt.ErrProofMismatch},
		{"path cut to nothing", pk, pv, func(p *smt.Proof) { p.Siblings = nil }, smt.ErrProofMismatch},
		{"extended path", pk, pv, func(p *smt.Proof) { p.Siblings = append(p.Siblings, smt.Hash{1}) }, smt.ErrProofMismatch},
		{"lifted leaf: extended with Empty", pk, pv, func(p *smt.Proof) { p.Siblings = append(p.Siblings, smt.Empty) }, smt.ErrProofMalformed},
		{"lifted leaf: last sibling Empty", pk, pv, func(p *smt.Proof) { p.Siblings[len(p.Siblings)-1] = smt.Empty }, smt.ErrProofMalformed},
		{"wrong value", pk, account(1, 2), func(*smt.Proof) {}, smt.ErrProofMismatch},
		{"value too long", pk, make([]byte, smt.MaxValueLen+1), func(*smt.Proof) {}, smt.ErrProofMalformed},
		{"absence claimed for a present key", pk, nil, func(*smt.Proof) {}, smt.ErrProofMismatch},
		{"absence claimed, kind changed to empty", pk, nil, func(p *smt.Proof) { p.Kind = smt.KindEmpty }, smt.ErrProofMismatch},
		{"absence claimed, own leaf passed off as another's", pk, nil, func(p *smt.Proof) {
			p.Kind, p.OtherKey, p.OtherValue = smt.KindOther, pk, pv
		}, smt.ErrProofMalformed},
		{"inclusion proof of another key", another.k, another.v, func(p *smt.Proof) { *p = s.tree.Prove(pk) }, smt.ErrProofMismatch},
		{"too deep", pk, pv, func(p *smt.Proof) {
			p.Siblings = make([]smt.Hash, smt.KeyBits+1)
			p.Siblings[smt.KeyBits] = smt.Hash{1}
		}, smt.ErrProofMalformed},
		{"unknown kind", pk, pv, func(p *smt.Proof) { p.Kind = 3 }, smt.ErrProofMalformed},
		{"leaf kind carrying another key", pk, pv, func(p *smt.Proof) { p.OtherKey = smt.Key{1} }, smt.ErrProofMalformed},
		{"leaf kind carrying another value", pk, pv, func(p *smt.Proof) { p.OtherValue = []byte{1} }, smt.ErrProofMalformed},

		// A leaf at depth 160, beside 159 Empty siblings and its twin.
		{"genuine at depth 160", s.deep.k, s.deep.v, func(*smt.Proof) {}, nil},
		{"depth 160 extended", s.deep.k, s.deep.v, func(p *smt.Proof) { p.Siblings = append(p.Siblings, smt.Hash{1}) }, smt.ErrProofMalformed},
		{"depth 160 without its twin: lifted", s.deep.k, s.deep.v, func(p *smt.Proof) { p.Siblings = p.Siblings[:smt.KeyBits-1] }, smt.ErrProofMalformed},

		// Absence proofs ending at an Empty subtree.
		{"genuine absence, empty", s.empty, nil, func(*smt.Proof) {}, nil},
		{"inclusion claimed for an absent key", s.empty, pv, func(*smt.Proof) {}, smt.ErrProofMismatch},
		{"inclusion claimed, kind changed to leaf", s.empty, pv, func(p *smt.Proof) { p.Kind = smt.KindLeaf }, smt.ErrProofMismatch},
		{"empty: flipped sibling bit", s.empty, nil, func(p *smt.Proof) { p.Siblings[0][0] ^= 0x80 }, smt.ErrProofMismatch},
		{"empty: truncated path", s.empty, nil, func(p *smt.Proof) { p.Siblings = p.Siblings[:1] }, smt.ErrProofMismatch},
		{"empty: extended with Empty", s.empty, nil, func(p *smt.Proof) { p.Siblings = append(p.Siblings, smt.Empty) }, smt.ErrProofMalformed},
		{"empty: other leaf off the path", s.empty, nil, func(p *smt.Proof) {
			p.Kind, p.OtherKey, p.OtherValue = smt.KindOther, flip(s.empty, 0), []byte{1}
		}, smt.ErrProofMalformed},

		// Absence proofs ending at another key's leaf.
		{"genuine absence, other", s.other, nil, func(*smt.Proof) {}, nil},
		{"other: inclusion claimed", s.other, pv, func(*smt.Proof) {}, smt.ErrProofMismatch},
		{"other leaf with the same key", s.other, nil, func(p *smt.Proof) { p.OtherKey = s.other }, smt.ErrProofMalformed},
		{"other leaf off the path", s.other, nil, func(p *smt.Proof) { p.OtherKey = offPath }, smt.ErrProofMalformed},
		{"other leaf leaving the path at the last step", s.other, nil, func(p *smt.Proof) {
			p.OtherKey = flip(s.other, len(p.Siblings)-1)
		}, smt.ErrProofMalformed},
		{"other leaf on the path, but not the one there", s.other, nil, func(p *smt.Proof) {
			p.OtherKey = flip(otherProof.OtherKey, smt.KeyBits-1)
		}, smt.ErrProofMismatch},
		{"other leaf's value changed", s.other, nil, func(p *smt.Proof) { p.OtherValue[0] ^= 1 }, smt.ErrProofMismatch},
		{"other leaf's value empty", s.other, nil, func(p *smt.Proof) { p.OtherValue = nil }, smt.ErrProofMalformed},
		{"other leaf's value too long", s.other, nil, func(p *smt.Proof) { p.OtherValue = make([]byte, smt.MaxValueLen+1) }, smt.ErrProofMalformed},
		{"other: kind changed to empty", s.other, nil, func(p *smt.Proof) { p.Kind = smt.KindEmpty }, smt.ErrProofMalformed},
		{"other: kind changed to empty, leaf dropped", s.other, nil, func(p *smt.Proof) {
			p.Kind, p.OtherKey, p.OtherValue = smt.KindEmpty, smt.Key{}, nil
		}, smt.ErrProofMismatch},
		{"other: extended with Empty", s.other, nil, func(p *smt.Proof) { p.Siblings = append(p.Siblings, smt.Empty) }, smt.ErrProofMalformed},
		{"other: swapped siblings", s.other, nil, func(p *smt.Proof) {
			slices.Reverse(p.Siblings)
			if p.Siblings[len(p.Siblings)-1] == smt.Empty { // keep it canonical
				p.Siblings[len(p.Siblings)-1] = smt.Hash{2}
			}
		}, smt.ErrProofMismatch},
		{"other leaf at depth 160", s.other, nil, func(p *smt.Proof) {
			p.Siblings = slices.Repeat([]smt.Hash{{1}}, smt.KeyBits)
		}, smt.ErrProofMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := s.tree.Prove(tt.key)
			tt.mutate(&p)
			err := smt.VerifyProof(root, tt.key, tt.value, p)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			requireProofError(t, err, tt.want)
		})
	}
	require.NotEqual(t, s.other, otherProof.OtherKey)
}

// TestVerifyNeverPanics hands VerifyProof proofs no encoder would write.
func TestVerifyNeverPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	tree, leaves := build(t, r, randKeys(r, 50))
	for range 2000 {
		p := smt.Proof{Kind: smt.ProofKind(r.IntN(5)), OtherKey: leaves[r.IntN(len(leaves))].k}
		if r.IntN(2) == 0 {
			p.OtherValue = make([]byte, r.IntN(100))
		}
		p.Siblings = make([]smt.Hash, r.IntN(200))
		for i := range p.Siblings {
			if r.IntN(3) > 0 {
				p.Siblings[i] = smt.Hash{byte(r.Uint32())}
			}
		}
		value := []byte(nil)
		if r.IntN(2) == 0 {
			value = make([]byte, r.IntN(100))
		}
		k := leaves[r.IntN(len(leaves))].k
		require.NotPanics(t, func() {
			err := smt.VerifyProof(tree.Root(), k, value, p)
			require.Error(t, err)
			var pe *smt.ProofError
			require.ErrorAs(t, err, &pe)
		})
	}
}

func TestProofErrorText(t *testing.T) {
	err := smt.VerifyProof(smt.Empty, smt.Key{}, nil, smt.Proof{Siblings: make([]smt.Hash, 161)})
	assert.EqualError(t, err, "smt: malformed proof: depth 161 is over 160")
	err = smt.VerifyProof(smt.Hash{1}, smt.Key{}, nil, smt.Proof{})
	assert.EqualError(t, err, "smt: proof does not match the root: the proof leads to root "+smt.Empty.String()+", want "+smt.Hash{1}.String())
	var pe *smt.ProofError
	require.True(t, errors.As(err, &pe))
	assert.Same(t, smt.ErrProofMismatch, pe.Err)
}

// encodingScene returns genuine proofs of all three kinds, deep and shallow.
func encodingScene(t *testing.T) map[string]smt.Proof {
	s := newScene(t)
	return map[string]smt.Proof{
		"leaf":       s.tree.Prove(s.present.k),
		"deep leaf":  s.tree.Prove(s.deep.k),
		"empty":      s.tree.Prove(s.empty),
		"other":      s.tree.Prove(s.other),
		"empty tree": {},
		"lone leaf":  {Kind: smt.KindLeaf},
		"lone other": {Kind: smt.KindOther, OtherKey: smt.Key{5}, OtherValue: bytes.Repeat([]byte{9}, smt.MaxValueLen)},
	}
}

func TestProofBinaryRoundTrip(t *testing.T) {
	for name, p := range encodingScene(t) {
		t.Run(name, func(t *testing.T) {
			b, err := p.MarshalBinary()
			require.NoError(t, err)
			nonEmpty := 0
			for _, s := range p.Siblings {
				if s != smt.Empty {
					nonEmpty++
				}
			}
			want := 23 + 32*nonEmpty
			if p.Kind == smt.KindOther {
				want += 21 + len(p.OtherValue)
			}
			assert.Len(t, b, want)
			var q smt.Proof
			require.NoError(t, q.UnmarshalBinary(b))
			assert.Equal(t, p, q)
		})
	}
}

func TestProofBinaryStrict(t *testing.T) {
	proofs := encodingScene(t)
	enc := func(name string) []byte {
		b, err := proofs[name].MarshalBinary()
		require.NoError(t, err)
		return b
	}
	leaf, other, deep := enc("leaf"), enc("other"), enc("deep leaf")
	edit := func(b []byte, f func(b []byte) []byte) []byte { return f(slices.Clone(b)) }
	d := int(leaf[2])
	n := len(proofs["other"].OtherValue)
	vlen := len(other) - n - 1 // where the other value's length is
	require.Greater(t, n, 1)
	require.Less(t, n, smt.MaxValueLen)
	tests := []struct {
		name string
		data []byte
	}{
		{"nothing", nil},
		{"too short for the header", leaf[:22]},
		{"version 0", edit(leaf, func(b []byte) []byte { b[0] = 0; return b })},
		{"version 2", edit(leaf, func(b []byte) []byte { b[0] = 2; return b })},
		{"unknown kind", edit(leaf, func(b []byte) []byte { b[1] = 3; return b })},
		{"depth 161", edit(deep, func(b []byte) []byte { b[2] = 161; return b })},
		{"depth 255", edit(leaf, func(b []byte) []byte { b[2] = 255; return b })},
		{"bitmap bit past the depth", edit(leaf, func(b []byte) []byte { b[3+d/8] |= 0x80 >> (d % 8); return b })},
		{"bitmap's last bit set", edit(leaf, func(b []byte) []byte { b[22] |= 1; return b })},
		{"truncated sibling", leaf[:len(leaf)-1]},
		{"trailing byte", append(slices.Clone(leaf), 0)},
		{"depth one less, same bytes", edit(leaf, func(b []byte) []byte { b[2]--; return b })},
		{"listed sibling all zero", edit(leaf, func(b []byte) []byte { clear(b[23:55]); return b })},
		{"last sibling not listed: non-canonical", edit(leaf, func(b []byte) []byte {
			b[3+(d-1)/8] &^= 0x80 >> ((d - 1) % 8)
			return b[:len(b)-32]
		})},
		{"leaf kind with another leaf after it", append(slices.Clone(leaf), other[len(other)-21-n:]...)},
		{"other kind cut in the key", other[:len(other)-n-1-5]},
		{"other kind without its value", other[:len(other)-n]},
		{"other value length 0", edit(other, func(b []byte) []byte { b[vlen] = 0; return b[:vlen+1] })},
		{"other value length 65", edit(other, func(b []byte) []byte {
			b[vlen] = 65
			return append(b, make([]byte, 65-n)...)
		})},
		{"other value longer than the data", edit(other, func(b []byte) []byte { b[vlen]++; return b })},
		{"other value shorter than the data", edit(other, func(b []byte) []byte { b[vlen]--; return b })},
		{"other kind at depth 160", edit(deep, func(b []byte) []byte {
			b[1] = byte(smt.KindOther)
			return append(b, append(make([]byte, 20), 1, 1)...)
		})},
		{"empty kind carrying another leaf", edit(other, func(b []byte) []byte { b[1] = byte(smt.KindEmpty); return b })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := smt.Proof{Kind: smt.KindLeaf, Siblings: []smt.Hash{{7}}}
			before := p
			requireProofError(t, p.UnmarshalBinary(tt.data), smt.ErrProofMalformed)
			assert.Equal(t, before, p, "unchanged on error")
		})
	}
}

func TestProofMarshalRefusesInvalid(t *testing.T) {
	for _, p := range []smt.Proof{
		{Siblings: []smt.Hash{{1}, {}}},
		{Kind: 7},
		{Kind: smt.KindOther},
		{Siblings: make([]smt.Hash, 161)},
	} {
		_, err := p.MarshalBinary()
		requireProofError(t, err, smt.ErrProofMalformed)
		_, err = p.MarshalJSON()
		requireProofError(t, err, smt.ErrProofMalformed)
	}
}

func TestProofJSONRoundTrip(t *testing.T) {
	for name, p := range encodingScene(t) {
		t.Run(name, func(t *testing.T) {
			j, err := p.MarshalJSON()
			require.NoError(t, err)
			var q smt.Proof
			require.NoError(t, q.UnmarshalJSON(j))
			assert.Equal(t, p, q)
			// White space and member order do not matter.
			var spaced bytes.Buffer
			for _, c := range j {
				spaced.WriteByte(c)
				if c == ',' || c == ':' || c == '{' {
					spaced.WriteString("\n\t ")
				}
			}
			require.NoError(t, q.UnmarshalJSON(spaced.Bytes()))
			assert.Equal(t, p, q)
		})
	}
	j, err := smt.Proof{Kind: smt.KindOther, Siblings: []smt.Hash{{}, {0xab}}, OtherKey: smt.Key{1}, OtherValue: []byte{2, 3}}.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"kind":"other","depth":2,"siblings":[null,"ab00000000000000000000000000000000000000000000000000000000000000"],`+
		`"other":{"key":"0100000000000000000000000000000000000000","value":"0203"}}`, string(j))
	var q smt.Proof
	require.NoError(t, q.UnmarshalJSON([]byte(`{"other":{"value":"0203","key":"0100000000000000000000000000000000000000"},`+
		`"siblings":[null,"ab00000000000000000000000000000000000000000000000000000000000000"],"depth":2,"kind":"other"}`)))
	assert.Equal(t, smt.KindOther, q.Kind)
	assert.Equal(t, []byte{2, 3}, q.OtherValue)
}

func TestProofJSONStrict(t *testing.T) {
	h := `"ab00000000000000000000000000000000000000000000000000000000000000"`
	key := `"0100000000000000000000000000000000000000"`
	tests := []struct {
		name, json string
	}{
		{"nothing", ``},
		{"null", `null`},
		{"an array", `[]`},
		{"a string", `"leaf"`},
		{"empty object", `{}`},
		{"missing kind", `{"depth":1,"siblings":[` + h + `]}`},
		{"missing depth", `{"kind":"leaf","siblings":[` + h + `]}`},
		{"missing siblings", `{"kind":"leaf","depth":0}`},
		{"unknown member", `{"kind":"leaf","depth":0,"siblings":[],"root":"00"}`},
		{"repeated kind", `{"kind":"leaf","kind":"leaf","depth":0,"siblings":[]}`},
		{"repeated depth", `{"kind":"leaf","depth":0,"depth":0,"siblings":[]}`},
		{"repeated siblings", `{"kind":"leaf","depth":0,"siblings":[],"siblings":[]}`},
		{"name in another case", `{"Kind":"leaf","depth":0,"siblings":[]}`},
		{"kind in another case", `{"kind":"Leaf","depth":0,"siblings":[]}`},
		{"kind as a number", `{"kind":2,"depth":0,"siblings":[]}`},
		{"unknown kind", `{"kind":"present","depth":0,"siblings":[]}`},
		{"depth as a string", `{"kind":"leaf","depth":"1","siblings":[` + h + `]}`},
		{"depth with a fraction", `{"kind":"leaf","depth":1.0,"siblings":[` + h + `]}`},
		{"depth with an exponent", `{"kind":"leaf","depth":1e0,"siblings":[` + h + `]}`},
		{"negative depth", `{"kind":"leaf","depth":-0,"siblings":[]}`},
		{"depth 161", `{"kind":"leaf","depth":161,"siblings":[]}`},
		{"depth 300", `{"kind":"leaf","depth":300,"siblings":[]}`},
		{"depth disagrees with the siblings", `{"kind":"leaf","depth":2,"siblings":[` + h + `]}`},
		{"siblings not an array", `{"kind":"leaf","depth":0,"siblings":{}}`},
		{"siblings null", `{"kind":"leaf","depth":0,"siblings":null}`},
		{"upper-case hex", `{"kind":"leaf","depth":1,"siblings":["AB00000000000000000000000000000000000000000000000000000000000000"]}`},
		{"short hash", `{"kind":"leaf","depth":1,"siblings":["ab"]}`},
		{"long hash", `{"kind":"leaf","depth":1,"siblings":["ab000000000000000000000000000000000000000000000000000000000000000000"]}`},
		{"hash as a number", `{"kind":"leaf","depth":1,"siblings":[1]}`},
		{"Empty written as zeros", `{"kind":"leaf","depth":2,"siblings":["0000000000000000000000000000000000000000000000000000000000000000",` + h + `]}`},
		{"non-canonical: last sibling null", `{"kind":"leaf","depth":2,"siblings":[` + h + `,null]}`},
		{"161 siblings", `{"kind":"leaf","depth":161,"siblings":[` + strings161(h) + `]}`},
		{"other with kind leaf", `{"kind":"leaf","depth":0,"siblings":[],"other":{"key":` + key + `,"value":"01"}}`},
		{"other with kind empty", `{"kind":"empty","depth":0,"siblings":[],"other":{"key":` + key + `,"value":"01"}}`},
		{"kind other without other", `{"kind":"other","depth":0,"siblings":[]}`},
		{"other null", `{"kind":"other","depth":0,"siblings":[],"other":null}`},
		{"other without value", `{"kind":"other","depth":0,"siblings":[],"other":{"key":` + key + `}}`},
		{"other without key", `{"kind":"other","depth":0,"siblings":[],"other":{"value":"01"}}`},
		{"other with an unknown member", `{"kind":"other","depth":0,"siblings":[],"other":{"key":` + key + `,"value":"01","hash":"00"}}`},
		{"other with a repeated key", `{"kind":"other","depth":0,"siblings":[],"other":{"key":` + key + `,"key":` + key + `,"value":"01"}}`},
		{"repeated other", `{"kind":"other","depth":0,"siblings":[],"other":{"key":` + key + `,"value":"01"},"other":{"key":` + key + `,"value":"01"}}`},
		{"other key too short", `{"kind":"other","depth":0,"siblings":[],"other":{"key":"01","value":"01"}}`},
		{"other key upper case", `{"kind":"other","depth":0,"siblings":[],"other":{"key":"0A00000000000000000000000000000000000000","value":"01"}}`},
		{"other value empty", `{"kind":"other","depth":0,"siblings":[],"other":{"key":` + key + `,"value":""}}`},
		{"other value odd", `{"kind":"other","depth":0,"siblings":[],"other":{"key":` + key + `,"value":"012"}}`},
		{"other value too long", `{"kind":"other","depth":0,"siblings":[],"other":{"key":` + key + `,"value":"` + strings.Repeat("00", 65) + `"}}`},
		{"trailing data", `{"kind":"leaf","depth":0,"siblings":[]} x`},
		{"a second object", `{"kind":"leaf","depth":0,"siblings":[]}{}`},
		{"trailing comma", `{"kind":"leaf","depth":0,"siblings":[],}`},
		{"cut short", `{"kind":"leaf","depth":0,"siblings":[`},
		{"invalid UTF-8", "{\"kind\":\"leaf\",\"depth\":0,\"siblings\":[],\"\xff\":1}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := smt.Proof{Kind: smt.KindLeaf, Siblings: []smt.Hash{{7}}}
			before := p
			requireProofError(t, p.UnmarshalJSON([]byte(tt.json)), smt.ErrProofMalformed)
			assert.Equal(t, before, p, "unchanged on error")
		})
	}
}

// TestUnmarshalJSONErrorsArePrintable: what a stranger wrote in a proof
// comes back in the error escaped, never as a control character that a
// terminal printing the error would obey.
func TestUnmarshalJSONErrorsArePrintable(t *testing.T) {
	key := `"0100000000000000000000000000000000000000"`
	for _, name := range []string{`\u001b[2K\rok`, `a\nb`} {
		for _, data := range []string{
			`{"kind":"leaf","depth":0,"siblings":[],"` + name + `":1}`,
			`{"kind":"other","depth":0,"siblings":[],"other":{"key":` + key + `,"value":"01","` + name + `":1}}`,
			`{"kind":"` + name + `","depth":0,"siblings":[]}`,
		} {
			var p smt.Proof
			err := p.UnmarshalJSON([]byte(data))
			requireProofError(t, err, smt.ErrProofMalformed)
			assert.NotContains(t, err.Error(), "\x1b", data)
			assert.NotContains(t, err.Error(), "\n", data)
		}
	}
}

func strings161(h string) string {
	return strings.Repeat(h+",", 160) + h
}
