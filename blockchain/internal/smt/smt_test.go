package smt_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/internal/smt"
)

// kv is one leaf of the reference implementation.
type kv struct {
	k smt.Key
	v []byte
}

// bit is bit i of k, most significant bit of byte 0 first, written again
// here so that the reference does not lean on the package.
func bit(k smt.Key, i int) int { return int(k[i/8]>>(7-i%8)) & 1 }

// flip returns k with bit i flipped.
func flip(k smt.Key, i int) smt.Key {
	k[i/8] ^= 0x80 >> (i % 8)
	return k
}

// refHash is the rule of the package documentation, followed literally:
// leaves are the leaves of the subtree at depth depth (their keys share
// their first depth bits).
func refHash(leaves []kv, depth int) smt.Hash {
	switch len(leaves) {
	case 0:
		return smt.Empty
	case 1:
		return smt.LeafHash(leaves[0].k, leaves[0].v)
	}
	var lo, hi []kv
	for _, l := range leaves {
		if bit(l.k, depth) == 0 {
			lo = append(lo, l)
		} else {
			hi = append(hi, l)
		}
	}
	return smt.NodeHash(refHash(lo, depth+1), refHash(hi, depth+1))
}

// refProve is the proof the package documentation describes, built from
// refHash.
func refProve(leaves []kv, k smt.Key) smt.Proof {
	var p smt.Proof
	for depth := 0; len(leaves) >= 2; depth++ {
		var same, other []kv
		for _, l := range leaves {
			if bit(l.k, depth) == bit(k, depth) {
				same = append(same, l)
			} else {
				other = append(other, l)
			}
		}
		p.Siblings = append(p.Siblings, refHash(other, depth+1))
		leaves = same
	}
	switch {
	case len(leaves) == 0:
		p.Kind = smt.KindEmpty
	case leaves[0].k == k:
		p.Kind = smt.KindLeaf
	default:
		p.Kind = smt.KindOther
		p.OtherKey, p.OtherValue = leaves[0].k, leaves[0].v
	}
	return p
}

// account returns the 16-byte value the chain stores: balance and nonce,
// big-endian.
func account(balance int64, nonce uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(balance))
	return binary.BigEndian.AppendUint64(b, nonce)
}

func randKey(r *rand.Rand) smt.Key {
	var k smt.Key
	for i := range k {
		k[i] = byte(r.Uint32())
	}
	return k
}

// randKeys returns n distinct keys, many of them sharing long prefixes:
// some are an earlier key with one bit flipped at depth 100…159 (the last
// bit among them: leaves at depth 160), some keep an earlier key's first
// bits and draw the rest.
func randKeys(r *rand.Rand, n int) []smt.Key {
	keys := make([]smt.Key, 0, n)
	seen := map[smt.Key]bool{}
	for len(keys) < n {
		var k smt.Key
		switch x := r.IntN(10); {
		case len(keys) == 0 || x < 6:
			k = randKey(r)
		case x < 8:
			k = flip(keys[r.IntN(len(keys))], 100+r.IntN(60))
		case x < 9:
			k = flip(keys[r.IntN(len(keys))], smt.KeyBits-1)
		default:
			k = randKey(r)
			keep := r.IntN(smt.KeyBits)
			base := keys[r.IntN(len(keys))]
			for i := range keep {
				if bit(k, i) != bit(base, i) {
					k = flip(k, i)
				}
			}
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// randValue returns 1…MaxValueLen random bytes.
func randValue(r *rand.Rand) []byte {
	v := make([]byte, 1+r.IntN(smt.MaxValueLen))
	for i := range v {
		v[i] = byte(r.Uint32())
	}
	return v
}

// build returns the tree of the keys with random values, and its leaves
// sorted by key for the reference.
func build(t testing.TB, r *rand.Rand, keys []smt.Key) (smt.Tree, []kv) {
	t.Helper()
	leaves := make([]kv, len(keys))
	changes := make([]smt.Change, len(keys))
	for i, k := range keys {
		leaves[i] = kv{k, randValue(r)}
		changes[i] = smt.Change{Key: k, Value: leaves[i].v}
	}
	tree, err := smt.Tree{}.Update(changes)
	require.NoError(t, err)
	slices.SortFunc(leaves, func(a, b kv) int { return bytes.Compare(a.k[:], b.k[:]) })
	return tree, leaves
}

func TestEmptyTree(t *testing.T) {
	var tree smt.Tree
	assert.Equal(t, smt.Empty, tree.Root())
	assert.Equal(t, smt.Hash{}, smt.Empty, "Empty is 32 zero bytes")
	assert.Zero(t, tree.Len())
	_, ok := tree.Get(smt.Key{1})
	assert.False(t, ok)
	for range tree.All {
		t.Fatal("the empty tree yields nothing")
	}
	none, err := tree.Update(nil)
	require.NoError(t, err)
	assert.Equal(t, smt.Empty, none.Root())
	onlyDeletes, err := tree.Update([]smt.Change{{Key: smt.Key{1}}, {Key: smt.Key{2}, Value: []byte{}}})
	require.NoError(t, err)
	assert.Equal(t, smt.Empty, onlyDeletes.Root())
	assert.Zero(t, onlyDeletes.Len())
}

func TestOneLeafIsItsLeafHash(t *testing.T) {
	// Wherever the key's bits point, a lone leaf is the root.
	for _, k := range []smt.Key{{}, {0x80}, {19: 1}, flip(smt.Key{}, 159), {0xff, 0xff, 0xff}} {
		tree, err := smt.Tree{}.Update([]smt.Change{{Key: k, Value: account(100, 1)}})
		require.NoError(t, err)
		assert.Equal(t, smt.LeafHash(k, account(100, 1)), tree.Root(), "key %s", k)
		assert.Equal(t, 1, tree.Len())
	}
}

func TestHashFunctions(t *testing.T) {
	k := smt.Key{0xaa, 19: 0x55}
	v := []byte{1, 2, 3}
	var sha [32]byte
	sha = sha256.Sum256(append(append([]byte{0x10}, k[:]...), v...))
	assert.Equal(t, smt.Hash(sha), smt.LeafHash(k, v))
	l, r := smt.Hash{1}, smt.Hash{31: 2}
	sha = sha256.Sum256(append(append([]byte{0x11}, l[:]...), r[:]...))
	assert.Equal(t, smt.Hash(sha), smt.NodeHash(l, r))
	// LeafHash hashes whatever it is given, also past MaxValueLen.
	long := bytes.Repeat([]byte{7}, 200)
	sha = sha256.Sum256(append(append([]byte{0x10}, k[:]...), long...))
	assert.Equal(t, smt.Hash(sha), smt.LeafHash(k, long))
	assert.Len(t, smt.Empty.String(), 64)
	assert.Equal(t, "aa00000000000000000000000000000000000055", k.String())
}

// TestShapes checks small trees whose shape is known by hand.
func TestShapes(t *testing.T) {
	v := []byte{1}
	a, b := smt.Key{0x00}, smt.Key{0x80} // differ at bit 0
	c := smt.Key{0x40}                   // 01…: a's side, differs from a at bit 1
	la, lb, lc := smt.LeafHash(a, v), smt.LeafHash(b, v), smt.LeafHash(c, v)
	deep := flip(a, smt.KeyBits-1) // differs from a in the last bit only
	ld := smt.LeafHash(deep, v)
	deepRoot := smt.NodeHash(la, ld) // at depth 159
	for range smt.KeyBits - 1 {      // every bit of a above is 0: Empty on the right
		deepRoot = smt.NodeHash(deepRoot, smt.Empty)
	}
	tests := []struct {
		name string
		keys []smt.Key
		want smt.Hash
	}{
		{"split at the root", []smt.Key{a, b}, smt.NodeHash(la, lb)},
		{"split at depth 1 under an Empty-sided root", []smt.Key{a, c}, smt.NodeHash(smt.NodeHash(la, lc), smt.Empty)},
		{"three leaves", []smt.Key{a, b, c}, smt.NodeHash(smt.NodeHash(la, lc), lb)},
		{"keys differing in the last bit: depth 160", []smt.Key{a, deep}, deepRoot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var changes []smt.Change
			for _, k := range tt.keys {
				changes = append(changes, smt.Change{Key: k, Value: v})
			}
			tree, err := smt.Tree{}.Update(changes)
			require.NoError(t, err)
			assert.Equal(t, tt.want, tree.Root())
		})
	}
}

// TestRootMatchesReference builds many random trees, with keys sharing
// long prefixes, in one batch and key by key, and compares their roots
// with the reference.
func TestRootMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 60 {
		n := []int{0, 1, 2, 3, 4, 5, 8, 17, 64, 200}[i%10]
		keys := randKeys(r, n)
		tree, leaves := build(t, r, keys)
		require.Equal(t, refHash(leaves, 0), tree.Root(), "tree %d of %d keys", i, n)
		require.Equal(t, n, tree.Len())
		require.Empty(t, smt.CheckInvariants(tree))

		// The same tree, one key at a time in another order.
		var step smt.Tree
		for _, j := range r.Perm(n) {
			var err error
			step, err = step.Update([]smt.Change{{Key: leaves[j].k, Value: leaves[j].v}})
			require.NoError(t, err)
		}
		require.Equal(t, tree.Root(), step.Root())
		require.Empty(t, smt.CheckInvariants(step))
	}
}

func TestUpdateIsPersistent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	keys := randKeys(r, 300)
	base, leaves := build(t, r, keys)
	root, n := base.Root(), base.Len()
	var before []kv
	for k, v := range base.All {
		before = append(before, kv{k, v})
	}

	// Change half the keys, delete a quarter, add 100.
	var changes []smt.Change
	for i, l := range leaves {
		switch i % 4 {
		case 0, 1:
			changes = append(changes, smt.Change{Key: l.k, Value: randValue(r)})
		case 2:
			changes = append(changes, smt.Change{Key: l.k})
		}
	}
	for range 100 {
		changes = append(changes, smt.Change{Key: randKey(r), Value: randValue(r)})
	}
	next, err := base.Update(changes)
	require.NoError(t, err)
	assert.NotEqual(t, root, next.Root())

	// The old tree is untouched: same root, same size, same contents, and
	// still consistent.
	assert.Equal(t, root, base.Root())
	assert.Equal(t, n, base.Len())
	var after []kv
	for k, v := range base.All {
		after = append(after, kv{k, v})
	}
	assert.Equal(t, before, after)
	assert.Empty(t, smt.CheckInvariants(base))
	assert.Empty(t, smt.CheckInvariants(next))
	for _, l := range leaves {
		got, ok := base.Get(l.k)
		require.True(t, ok)
		require.Equal(t, l.v, got)
	}
}

func TestUpdateOrderAndLastWins(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	base, leaves := build(t, r, randKeys(r, 100))
	var changes []smt.Change
	want := map[smt.Key][]byte{}
	for _, l := range leaves {
		want[l.k] = l.v
	}
	for range 300 {
		k := leaves[r.IntN(len(leaves))].k
		if r.IntN(3) == 0 {
			k = randKey(r)
		}
		var v []byte
		if r.IntN(4) > 0 {
			v = randValue(r)
		}
		changes = append(changes, smt.Change{Key: k, Value: v})
		if v == nil {
			delete(want, k)
		} else {
			want[k] = v
		}
	}
	var ref []kv
	for k, v := range want {
		ref = append(ref, kv{k, v})
	}
	slices.SortFunc(ref, func(a, b kv) int { return bytes.Compare(a.k[:], b.k[:]) })

	got, err := base.Update(changes)
	require.NoError(t, err)
	assert.Equal(t, refHash(ref, 0), got.Root(), "the last change of each key wins")
	assert.Equal(t, len(ref), got.Len())

	// One change at a time gives the same tree.
	step := base
	for _, c := range changes {
		step, err = step.Update([]smt.Change{c})
		require.NoError(t, err)
	}
	assert.Equal(t, got.Root(), step.Root())

	// Any order of the last change per key gives the same tree.
	last := map[smt.Key]smt.Change{}
	for _, c := range changes {
		last[c.Key] = c
	}
	var shuffled []smt.Change
	for _, c := range last {
		shuffled = append(shuffled, c)
	}
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	other, err := base.Update(shuffled)
	require.NoError(t, err)
	assert.Equal(t, got.Root(), other.Root())
}

func TestDeleteBackToEmpty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	keys := randKeys(r, 150)
	tree, _ := build(t, r, keys)
	// Delete in steps, checking the root against the reference each time.
	remaining := slices.Clone(keys)
	for len(remaining) > 0 {
		cut := min(len(remaining), 1+r.IntN(20))
		var changes []smt.Change
		for _, k := range remaining[:cut] {
			changes = append(changes, smt.Change{Key: k})
		}
		remaining = remaining[cut:]
		next, err := tree.Update(changes)
		require.NoError(t, err)
		var ref []kv
		for k, v := range next.All {
			ref = append(ref, kv{k, v})
		}
		require.Len(t, ref, len(remaining))
		require.Equal(t, refHash(ref, 0), next.Root())
		require.Equal(t, len(remaining), next.Len())
		require.Empty(t, smt.CheckInvariants(next))
		tree = next
	}
	assert.Equal(t, smt.Empty, tree.Root())
	assert.Zero(t, tree.Len())
}

func TestDeleteLiftsTheLastLeaf(t *testing.T) {
	// Two keys differing in the last bit sit at depth 160; deleting one
	// lifts the other to the root.
	a := smt.Key{0x12, 0x34}
	b := flip(a, smt.KeyBits-1)
	tree, err := smt.Tree{}.Update([]smt.Change{{Key: a, Value: []byte{1}}, {Key: b, Value: []byte{2}}})
	require.NoError(t, err)
	require.Len(t, tree.Prove(a).Siblings, smt.KeyBits)
	one, err := tree.Update([]smt.Change{{Key: b}})
	require.NoError(t, err)
	assert.Equal(t, smt.LeafHash(a, []byte{1}), one.Root())
	assert.Empty(t, one.Prove(a).Siblings)
}

func TestUpdateHashesEachNewNodeOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	base, leaves := build(t, r, randKeys(r, 2000))
	for range 20 {
		var changes []smt.Change
		for range 41 {
			switch r.IntN(4) {
			case 0:
				changes = append(changes, smt.Change{Key: randKey(r), Value: randValue(r)})
			case 1:
				changes = append(changes, smt.Change{Key: leaves[r.IntN(len(leaves))].k})
			default:
				changes = append(changes, smt.Change{Key: leaves[r.IntN(len(leaves))].k, Value: randValue(r)})
			}
		}
		next, hashes, err := smt.UpdateCounting(base, changes)
		require.NoError(t, err)
		assert.Equal(t, smt.NewNodes(base, next), hashes, "one hash per new node, no more")
	}

	// Changes that change nothing hash nothing and keep the tree.
	same := []smt.Change{{Key: leaves[0].k, Value: bytes.Clone(leaves[0].v)}, {Key: flip(leaves[1].k, 150)}}
	next, hashes, err := smt.UpdateCounting(base, same)
	require.NoError(t, err)
	assert.Zero(t, hashes)
	assert.Equal(t, base.Root(), next.Root())
	assert.Zero(t, smt.NewNodes(base, next))
}

func TestValueTooLong(t *testing.T) {
	base, err := smt.Tree{}.Update([]smt.Change{{Key: smt.Key{1}, Value: []byte{1}}})
	require.NoError(t, err)
	for _, n := range []int{smt.MaxValueLen + 1, 1000} {
		got, err := base.Update([]smt.Change{{Key: smt.Key{2}, Value: []byte{2}}, {Key: smt.Key{3}, Value: make([]byte, n)}})
		require.ErrorIs(t, err, smt.ErrValueTooLong)
		assert.Contains(t, err.Error(), "change 1")
		assert.Equal(t, base.Root(), got.Root(), "nothing applied")
	}
	ok, err := base.Update([]smt.Change{{Key: smt.Key{3}, Value: make([]byte, smt.MaxValueLen)}})
	require.NoError(t, err)
	assert.Equal(t, 2, ok.Len())
}

func TestGetAndAll(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	tree, leaves := build(t, r, randKeys(r, 500))
	for _, l := range leaves {
		v, ok := tree.Get(l.k)
		require.True(t, ok)
		require.Equal(t, l.v, v)
	}
	for range 200 {
		k := randKey(r)
		_, ok := tree.Get(k)
		_, want := slices.BinarySearchFunc(leaves, k, func(l kv, k smt.Key) int { return bytes.Compare(l.k[:], k[:]) })
		require.Equal(t, want, ok)
	}

	var all []kv
	for k, v := range tree.All {
		all = append(all, kv{k, v})
	}
	assert.Equal(t, leaves, all, "All yields every leaf, in key order")

	n := 0
	for range tree.All {
		n++
		if n == 7 {
			break
		}
	}
	assert.Equal(t, 7, n, "All stops when the loop does")
}

func TestValuesAreCopies(t *testing.T) {
	k := smt.Key{42}
	in := account(10, 0)
	tree, err := smt.Tree{}.Update([]smt.Change{{Key: k, Value: in}})
	require.NoError(t, err)
	root := tree.Root()
	in[0] = 0xff // the caller reuses its buffer
	got, _ := tree.Get(k)
	got[1] = 0xff
	for _, v := range tree.All {
		v[2] = 0xff
	}
	p := tree.Prove(smt.Key{43})
	p.OtherValue[3] = 0xff
	assert.Equal(t, root, tree.Root())
	again, _ := tree.Get(k)
	assert.Equal(t, account(10, 0), again)
	assert.Empty(t, smt.CheckInvariants(tree))
}

// TestConcurrentReaders reads one tree from many goroutines while others
// derive new trees from it: run with -race.
func TestConcurrentReaders(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	tree, leaves := build(t, r, randKeys(r, 300))
	root := tree.Root()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				l := leaves[(g*31+i)%len(leaves)]
				if g%2 == 0 {
					v, ok := tree.Get(l.k)
					assert.True(t, ok)
					assert.Equal(t, l.v, v)
					assert.NoError(t, smt.VerifyProof(root, l.k, l.v, tree.Prove(l.k)))
				} else {
					next, err := tree.Update([]smt.Change{{Key: l.k, Value: account(int64(i), uint64(g))}, {Key: smt.Key{byte(g), byte(i)}, Value: []byte{1}}})
					assert.NoError(t, err)
					assert.NotEqual(t, root, next.Root())
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, root, tree.Root())
}

func TestProofKindString(t *testing.T) {
	for kind, want := range map[smt.ProofKind]string{smt.KindEmpty: "empty", smt.KindOther: "other", smt.KindLeaf: "leaf", 9: "ProofKind(9)"} {
		assert.Equal(t, want, kind.String())
	}
	assert.Equal(t, "ProofKind(3)", fmt.Sprint(smt.ProofKind(3)))
}
