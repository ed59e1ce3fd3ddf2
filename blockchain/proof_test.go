package blockchain_test

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// proofSentinels are the reasons a *ProofError gives.
var proofSentinels = []error{blockchain.ErrProofIndex, blockchain.ErrProofLength, blockchain.ErrProofMismatch}

// assertProofErr checks that err is a *ProofError whose reason is want,
// and no other.
func assertProofErr(t *testing.T, err, want error) {
	t.Helper()
	require.Error(t, err)
	var pe *blockchain.ProofError
	require.ErrorAs(t, err, &pe, "a *ProofError")
	for _, s := range proofSentinels {
		assert.Equal(t, s == want, errors.Is(err, s), "errors.Is(%q, %q)", err, s)
	}
}

// withPath returns p with another path, leaving p's alone.
func withPath(p blockchain.InclusionProof, edit func([]blockchain.Hash) []blockchain.Hash) blockchain.InclusionProof {
	p.Path = edit(slices.Clone(p.Path))
	return p
}

// TestVerifyInclusionRefuses is the table of hostile proofs: each is
// refused, with the reason it names. The tree is the RFC 6962 reference
// tree of seven leaves; the honest proof is that of leaf 2, whose path is
// [h3, h01, h456].
func TestVerifyInclusionRefuses(t *testing.T) {
	leaves := vectorLeaves(t, "rfc6962", 7)
	tree := blockchain.NewMerkleTree(leaves)
	root := tree.Root()
	proof := func(i int) blockchain.InclusionProof {
		p, err := tree.Proof(i)
		require.NoError(t, err)
		return p
	}
	p := proof(2)
	require.Len(t, p.Path, 3, "precondition: leaf 2 of 7 has a path of three hashes")
	leaf := leaves[2]
	leafHash := blockchain.LeafHash(leaf)

	other := blockchain.NewMerkleTree(countedLeaves(7)) // another block
	otherProof, err := other.Proof(2)
	require.NoError(t, err)

	flip := func(i int) func([]blockchain.Hash) []blockchain.Hash {
		return func(path []blockchain.Hash) []blockchain.Hash { path[i][31] ^= 1; return path }
	}
	swap := func(i, j int) func([]blockchain.Hash) []blockchain.Hash {
		return func(path []blockchain.Hash) []blockchain.Hash { path[i], path[j] = path[j], path[i]; return path }
	}
	at := func(index, count uint64) blockchain.InclusionProof { q := p; q.Index, q.Count = index, count; return q }

	tests := []struct {
		name string
		root blockchain.Hash
		leaf []byte
		p    blockchain.InclusionProof
		want error // nil: accepted
	}{
		{"the honest proof", root, leaf, p, nil},

		// Index and count: there must be such a leaf.
		{"index = count", root, leaf, at(7, 7), blockchain.ErrProofIndex},
		{"index past count", root, leaf, at(9, 7), blockchain.ErrProofIndex},
		{"index 2⁶⁴−1", root, leaf, at(math.MaxUint64, 7), blockchain.ErrProofIndex},
		{"count 0", root, leaf, at(0, 0), blockchain.ErrProofIndex},
		{"count 0, no path", root, leaf, blockchain.InclusionProof{}, blockchain.ErrProofIndex},

		// The path's length must be what index and count imply.
		{"one hash short", root, leaf, withPath(p, func(h []blockchain.Hash) []blockchain.Hash { return h[:2] }), blockchain.ErrProofLength},
		{"one hash too many", root, leaf, withPath(p, func(h []blockchain.Hash) []blockchain.Hash { return append(h, root) }), blockchain.ErrProofLength},
		{"no path", root, leaf, withPath(p, func([]blockchain.Hash) []blockchain.Hash { return nil }), blockchain.ErrProofLength},
		{"a wrong count that makes the path too long (3 for 2)", root, leaf, at(2, 4), blockchain.ErrProofLength},
		{"a wrong count that makes the path too short (3 for 4)", root, leaf, at(2, 9), blockchain.ErrProofLength},
		{"a wrong index whose path is shorter (leaf 6)", root, leaf, at(6, 7), blockchain.ErrProofLength},
		{"a path of 65 hashes", root, leaf, blockchain.InclusionProof{Index: 0, Count: math.MaxUint64, Path: make([]blockchain.Hash, 65)}, blockchain.ErrProofLength},

		// Everything else must climb to the root exactly.
		{"a wrong index, same path length (leaf 3)", root, leaf, at(3, 7), blockchain.ErrProofMismatch},
		{"the right leaf with the proof of leaf 3", root, leaf, proof(3), blockchain.ErrProofMismatch},
		{"leaf 3 with the proof of leaf 2", root, leaves[3], p, blockchain.ErrProofMismatch},
		{"first sibling altered", root, leaf, withPath(p, flip(0)), blockchain.ErrProofMismatch},
		{"middle sibling altered", root, leaf, withPath(p, flip(1)), blockchain.ErrProofMismatch},
		{"last sibling altered", root, leaf, withPath(p, flip(2)), blockchain.ErrProofMismatch},
		{"siblings 0 and 1 swapped", root, leaf, withPath(p, swap(0, 1)), blockchain.ErrProofMismatch},
		{"siblings 1 and 2 swapped", root, leaf, withPath(p, swap(1, 2)), blockchain.ErrProofMismatch},
		{"path reversed", root, leaf, withPath(p, func(h []blockchain.Hash) []blockchain.Hash { slices.Reverse(h); return h }), blockchain.ErrProofMismatch},
		{"a leaf of another block, with its own proof", root, countedLeaf(2), otherProof, blockchain.ErrProofMismatch},
		{"this leaf against another block's root", other.Root(), leaf, p, blockchain.ErrProofMismatch},
		{"the leaf altered by one byte", root, []byte{0x20, 0x20}, p, blockchain.ErrProofMismatch},
		{"the leaf's hash given as the leaf", root, leafHash[:], p, blockchain.ErrProofMismatch},
		{"the zero root", blockchain.Hash{}, leaf, p, blockchain.ErrProofMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := blockchain.VerifyInclusion(tc.root, tc.leaf, tc.p)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assertProofErr(t, err, tc.want)
		})
	}
}

// TestProofErrorText: the reason, then have and want, in a fixed order.
func TestProofErrorText(t *testing.T) {
	tree := blockchain.NewMerkleTree(countedLeaves(5))
	p, err := tree.Proof(2)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"index", blockchain.VerifyInclusion(tree.Root(), countedLeaf(2), blockchain.InclusionProof{Index: 5, Count: 5}),
			"inclusion proof: no such leaf: have leaf 5 of 5, want a leaf 0…4"},
		{"count 0", blockchain.InclusionProof{}.Validate(),
			"inclusion proof: no such leaf: have leaf 0 of 0, want a tree with at least one leaf"},
		{"length", blockchain.VerifyInclusion(tree.Root(), countedLeaf(2), withPath(p, func(h []blockchain.Hash) []blockchain.Hash { return h[:1] })),
			"inclusion proof: wrong path length: have 1 hashes, want 3 for leaf 2 of 5"},
		{"mismatch", blockchain.VerifyInclusion(blockchain.Hash{}, countedLeaf(2), p),
			"inclusion proof: root mismatch: have root " + tree.Root().String() + ", want root " + strings.Repeat("0", 64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			assert.Equal(t, tc.want, tc.err.Error())
		})
	}
}

// The root commits to the leaves, and so to which leaf is which, but not
// to how many there are. An honest proof says "leaf 2 of 7"; its path
// climbs the very same way for a tree of 5, 6 or 8 leaves, since leaf 2
// lies in the full left subtree of four leaves in each, and the path's last
// hash stands for whatever lies right of it. So the same proof with Count
// 5, 6 or 8 verifies too. Worse, with index and count both changed, the
// proof of leaf 4 of 5 (which moves up twice without a partner) climbs as
// the proof of leaf 1 of 2 does.
//
// What a verifier learns is therefore: this leaf is in the tree (the hash
// chain is exact), and it is leaf Index if the tree has Count leaves. A
// header does not commit to its transactions' count, so a light client
// must take Count from a source it trusts as much as the header, or
// Index means nothing. This test pins that behaviour, so that a change to
// it — committing the count in the header, say — is a decision, not an
// accident.
func TestProofCountIsNotInTheRoot(t *testing.T) {
	leaves := vectorLeaves(t, "rfc6962", 7)
	tree := blockchain.NewMerkleTree(leaves)
	p, err := tree.Proof(2)
	require.NoError(t, err)
	for count := uint64(3); count <= 9; count++ {
		q := p
		q.Count = count
		err := blockchain.VerifyInclusion(tree.Root(), leaves[2], q)
		switch count {
		case 5, 6, 7, 8:
			assert.NoError(t, err, "leaf 2 of %d: the same climb as leaf 2 of 7", count)
		default:
			assertProofErr(t, err, blockchain.ErrProofLength)
		}
	}

	five := blockchain.NewMerkleTree(leaves[:5])
	p, err = five.Proof(4)
	require.NoError(t, err)
	require.Len(t, p.Path, 1, "leaf 4 of 5: one hash, the root of the first four")
	p.Index, p.Count = 1, 2
	assert.NoError(t, blockchain.VerifyInclusion(five.Root(), leaves[4], p), "leaf 4 of 5 passes for leaf 1 of 2")
	p.Index = 0
	assertProofErr(t, blockchain.VerifyInclusion(five.Root(), leaves[4], p), blockchain.ErrProofMismatch)
}

// TestVerifyTxInclusionAcrossBlocks: a transaction of one block never
// verifies against another block's root, with its own proof or with the
// proof of any transaction of that block.
func TestVerifyTxInclusionAcrossBlocks(t *testing.T) {
	blocks := mustGenerate(t, 2, func(i int, g *consensustest.BlockGen) {
		for range 5 {
			g.AddTransfer("alice", "bob", int64(i+1))
		}
	})
	a, b := blocks[0], blocks[1]
	for i := range a.Len() {
		own, err := a.InclusionProof(i)
		require.NoError(t, err)
		require.NoError(t, blockchain.VerifyTxInclusion(a.Header().MerkleRoot, a.Transaction(i), own))
		assertProofErr(t, blockchain.VerifyTxInclusion(b.Header().MerkleRoot, a.Transaction(i), own), blockchain.ErrProofMismatch)
		for j := range b.Len() {
			theirs, err := b.InclusionProof(j)
			require.NoError(t, err)
			assertProofErr(t, blockchain.VerifyTxInclusion(b.Header().MerkleRoot, a.Transaction(i), theirs), blockchain.ErrProofMismatch)
		}
	}
}

// TestInclusionProofGoldenEncodings checks both encodings against
// golden_merkle.py, which lays them out from the documentation.
func TestInclusionProofGoldenEncodings(t *testing.T) {
	encodings := loadMerkleVectors(t).Encodings
	require.NotEmpty(t, encodings)
	for _, c := range encodings {
		t.Run(fmt.Sprintf("%s/%d/leaf %d", c.Leaves, c.N, c.Index), func(t *testing.T) {
			p, err := blockchain.NewMerkleTree(vectorLeaves(t, c.Leaves, c.N)).Proof(c.Index)
			require.NoError(t, err)

			bin, err := p.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, c.Binary, hex.EncodeToString(bin), "binary")
			var fromBin blockchain.InclusionProof
			require.NoError(t, fromBin.UnmarshalBinary(decodeHex(t, c.Binary)))
			assert.Equal(t, p, fromBin)

			js, err := json.Marshal(p)
			require.NoError(t, err)
			assert.Equal(t, c.JSON, string(js), "JSON")
			var fromJSON blockchain.InclusionProof
			require.NoError(t, json.Unmarshal([]byte(c.JSON), &fromJSON))
			assert.Equal(t, p, fromJSON)
		})
	}
}

// TestInclusionProofRoundTrips encodes and decodes every proof of trees
// of 1 to 40 leaves, both ways.
func TestInclusionProofRoundTrips(t *testing.T) {
	for n := 1; n <= 40; n++ {
		tree := blockchain.NewMerkleTree(countedLeaves(n))
		for i := range n {
			p, err := tree.Proof(i)
			require.NoError(t, err)
			bin, err := p.MarshalBinary()
			require.NoError(t, err)
			require.Len(t, bin, 18+32*len(p.Path))
			var fromBin blockchain.InclusionProof
			require.NoError(t, fromBin.UnmarshalBinary(bin))
			require.Equal(t, p, fromBin, "binary, leaf %d of %d", i, n)

			js, err := p.MarshalJSON()
			require.NoError(t, err)
			var fromJSON blockchain.InclusionProof
			require.NoError(t, fromJSON.UnmarshalJSON(js))
			require.Equal(t, p, fromJSON, "JSON, leaf %d of %d", i, n)
		}
	}
	// The largest shape there is: 64 hashes.
	big := blockchain.InclusionProof{Index: 0, Count: math.MaxUint64, Path: make([]blockchain.Hash, blockchain.MaxProofPathLen)}
	require.NoError(t, big.Validate())
	bin, err := big.MarshalBinary()
	require.NoError(t, err)
	var back blockchain.InclusionProof
	require.NoError(t, back.UnmarshalBinary(bin))
	assert.Equal(t, big, back)
	js, err := big.MarshalJSON()
	require.NoError(t, err)
	require.NoError(t, back.UnmarshalJSON(js))
	assert.Equal(t, big, back)
}

// TestInclusionProofEncodeRefusesBadShapes: a proof of an invalid shape
// has no encoding, so whatever is encoded decodes.
func TestInclusionProofEncodeRefusesBadShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    blockchain.InclusionProof
		want error
	}{
		{"zero proof", blockchain.InclusionProof{}, blockchain.ErrProofIndex},
		{"index = count", blockchain.InclusionProof{Index: 3, Count: 3, Path: make([]blockchain.Hash, 2)}, blockchain.ErrProofIndex},
		{"path too long", blockchain.InclusionProof{Index: 0, Count: 1, Path: make([]blockchain.Hash, 1)}, blockchain.ErrProofLength},
		{"path of 300 hashes", blockchain.InclusionProof{Index: 0, Count: 2, Path: make([]blockchain.Hash, 300)}, blockchain.ErrProofLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.MarshalBinary()
			assertProofErr(t, err, tc.want)
			_, err = tc.p.MarshalJSON()
			assertProofErr(t, err, tc.want)
			_, err = json.Marshal(tc.p)
			assert.ErrorIs(t, err, tc.want, "through encoding/json")
		})
	}
}

// binaryProof lays out a binary proof by hand, as documented on
// InclusionProof.
func binaryProof(version byte, index, count uint64, pathLen byte, hashes int) []byte {
	b := []byte{version}
	b = binary.BigEndian.AppendUint64(b, index)
	b = binary.BigEndian.AppendUint64(b, count)
	b = append(b, pathLen)
	for i := range hashes {
		b = append(b, make([]byte, 31)...)
		b = append(b, byte(i+1))
	}
	return b
}

// TestInclusionProofBinaryRefuses is the table of hostile binary proofs.
func TestInclusionProofBinaryRefuses(t *testing.T) {
	good := binaryProof(1, 2, 7, 3, 3)
	require.NoError(t, new(blockchain.InclusionProof).UnmarshalBinary(good), "precondition: the base case decodes")
	tests := []struct {
		name  string
		data  []byte
		shape error // the proof reason also wrapped, if any
	}{
		{"empty", nil, nil},
		{"one byte", []byte{1}, nil},
		{"no path length", good[:17], nil},
		{"version 0", binaryProof(0, 2, 7, 3, 3), nil},
		{"version 2", binaryProof(2, 2, 7, 3, 3), nil},
		{"path length 65", binaryProof(1, 0, math.MaxUint64, 65, 65), nil},
		{"path length 255, no hashes", binaryProof(1, 0, math.MaxUint64, 255, 0), nil},
		{"path length says 3, 2 hashes follow", binaryProof(1, 2, 7, 3, 2), nil},
		{"path length says 3, 4 hashes follow", binaryProof(1, 2, 7, 3, 4), nil},
		{"a hash cut short", good[:len(good)-1], nil},
		{"a trailing byte", append(slices.Clone(good), 0), nil},
		{"count 0", binaryProof(1, 0, 0, 0, 0), blockchain.ErrProofIndex},
		{"index = count", binaryProof(1, 7, 7, 2, 2), blockchain.ErrProofIndex},
		{"index 2⁶⁴−1", binaryProof(1, math.MaxUint64, 7, 3, 3), blockchain.ErrProofIndex},
		{"a path one hash short for its index and count", binaryProof(1, 2, 7, 2, 2), blockchain.ErrProofLength},
		{"a path one hash too long for its index and count", binaryProof(1, 2, 7, 4, 4), blockchain.ErrProofLength},
		{"count 2⁶⁴−1 with a short path", binaryProof(1, 0, math.MaxUint64, 3, 3), blockchain.ErrProofLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := blockchain.InclusionProof{Index: 42, Count: 43}
			before := p
			err := p.UnmarshalBinary(tc.data)
			require.Error(t, err)
			assert.ErrorIs(t, err, blockchain.ErrMalformed)
			for _, s := range proofSentinels {
				assert.Equal(t, s == tc.shape, errors.Is(err, s), "errors.Is(%q, %q)", err, s)
			}
			assert.Equal(t, before, p, "p unchanged")
		})
	}

	// A hostile count allocates nothing for itself: decoding a proof of
	// 2⁶⁴−1 leaves allocates its 64 hashes, no more.
	big := binaryProof(1, 0, math.MaxUint64, 64, 64)
	var p blockchain.InclusionProof
	require.NoError(t, p.UnmarshalBinary(big))
	assert.LessOrEqual(t, testing.AllocsPerRun(10, func() { _ = p.UnmarshalBinary(big) }), 1.0)
}

// TestInclusionProofJSONAccepts: members in any order, any JSON white
// space, escaped names.
func TestInclusionProofJSONAccepts(t *testing.T) {
	tree := blockchain.NewMerkleTree(countedLeaves(3))
	p, err := tree.Proof(2)
	require.NoError(t, err)
	h := p.Path[0].String()
	for _, data := range []string{
		`{"index":2,"count":3,"path":["` + h + `"]}`,
		`{"path":["` + h + `"],"count":3,"index":2}`,
		" \n\t{ \"index\" : 2 ,\r\n \"count\" : 3 , \"path\" : [ \"" + h + "\" ] } \n",
		`{"\u0069ndex":2,"count":3,"path":["` + h + `"]}`,
	} {
		var got blockchain.InclusionProof
		require.NoError(t, got.UnmarshalJSON([]byte(data)), data)
		assert.Equal(t, p, got, data)
	}
}

// TestInclusionProofJSONRefuses is the table of hostile JSON proofs.
func TestInclusionProofJSONRefuses(t *testing.T) {
	tree := blockchain.NewMerkleTree(countedLeaves(3))
	p, err := tree.Proof(2)
	require.NoError(t, err)
	h := p.Path[0].String()
	good := `{"index":2,"count":3,"path":["` + h + `"]}`
	require.NoError(t, new(blockchain.InclusionProof).UnmarshalJSON([]byte(good)), "precondition")
	edit := func(old, new string) string {
		require.Contains(t, good, old, "precondition of edit")
		return strings.Replace(good, old, new, 1)
	}
	hashes := func(n int) string { return strings.TrimSuffix(strings.Repeat(`"`+h+`",`, n), ",") }

	tests := []struct {
		name  string
		data  string
		shape error // the proof reason also wrapped, if any
	}{
		{"empty", "", nil},
		{"white space only", "  ", nil},
		{"null", "null", nil},
		{"an array", "[" + good + "]", nil},
		{"a string", `"proof"`, nil},
		{"a number", `2`, nil},
		{"cut short", good[:len(good)-1], nil},
		{"a second object after", good + " {}", nil},
		{"garbage after", good + "x", nil},
		{"non-JSON space after", good + "\u00a0", nil},
		{"unknown member", edit(`"index":2`, `"index":2,"leaf":"00"`), nil},
		{"name in another case", edit(`"index"`, `"Index"`), nil},
		{"member twice", edit(`"index":2`, `"index":2,"index":2`), nil},
		{"no index", edit(`"index":2,`, ``), nil},
		{"no count", edit(`"count":3,`, ``), nil},
		{"no path", edit(`,"path":["`+h+`"]`, ``), nil},
		{"index null", edit(`"index":2`, `"index":null`), nil},
		{"index a string", edit(`"index":2`, `"index":"2"`), nil},
		{"index negative", edit(`"index":2`, `"index":-2`), nil},
		{"index -0", edit(`"index":2`, `"index":-0`), nil},
		{"index with a fraction", edit(`"index":2`, `"index":2.0`), nil},
		{"index with an exponent", edit(`"index":2`, `"index":2e0`), nil},
		{"index with a leading zero", edit(`"index":2`, `"index":02`), nil},
		{"count past uint64", edit(`"count":3`, `"count":18446744073709551616`), nil},
		{"count true", edit(`"count":3`, `"count":true`), nil},
		{"path null", edit(`["`+h+`"]`, `null`), nil},
		{"path an object", edit(`["`+h+`"]`, `{"0":"`+h+`"}`), nil},
		{"path a string", edit(`["`+h+`"]`, `"`+h+`"`), nil},
		{"a hash in upper case", edit(h, strings.ToUpper(h)), nil},
		{"a hash of 63 digits", edit(h, h[:63]), nil},
		{"a hash of 65 digits", edit(h, h+"0"), nil},
		{"a hash with 0x", edit(h, "0x"+h[2:]), nil},
		{"a hash not hex", edit(h, "zz"+h[2:]), nil},
		{"a hash as a number", edit(`"`+h+`"`, `1`), nil},
		{"a hash null", edit(`"`+h+`"`, `null`), nil},
		{"a path of 65 hashes", edit(`"`+h+`"`, hashes(65)), nil},
		{"a path of 100000 hashes", edit(`"`+h+`"`, hashes(100000)), nil},
		{"invalid UTF-8 in a name", edit(`"index"`, "\"ind\xffex\""), nil},
		{"a trailing comma", edit(`"]}`, `"],}`), nil},
		{"count 0", edit(`"count":3`, `"count":0`), blockchain.ErrProofIndex},
		{"index = count", edit(`"index":2`, `"index":3`), blockchain.ErrProofIndex},
		{"a path too short", edit(`["`+h+`"]`, `[]`), blockchain.ErrProofLength},
		{"a path too long", edit(`"`+h+`"`, hashes(2)), blockchain.ErrProofLength},
		{"a path of 64 hashes for 3 leaves", edit(`"`+h+`"`, hashes(64)), blockchain.ErrProofLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := blockchain.InclusionProof{Index: 42, Count: 43}
			before := q
			err := q.UnmarshalJSON([]byte(tc.data))
			require.Error(t, err)
			assert.ErrorIs(t, err, blockchain.ErrMalformed)
			for _, s := range proofSentinels {
				assert.Equal(t, s == tc.shape, errors.Is(err, s), "errors.Is(%q, %q)", err, s)
			}
			assert.Equal(t, before, q, "q unchanged")
		})
	}
}

// TestAccountProofJSONIsStrict: names are case-sensitive, each appears
// once, and none is missing or null, so two readers of one proof read the
// same proof.
func TestAccountProofJSONIsStrict(t *testing.T) {
	chain := mustChain(t, testConfig())
	proof, err := chain.ProveAccount(consensustest.Addr("alice"), 0)
	require.NoError(t, err)
	js, err := json.Marshal(proof)
	require.NoError(t, err)
	var back blockchain.AccountProof
	require.NoError(t, json.Unmarshal(js, &back))
	require.Equal(t, proof, back)

	for _, tc := range []struct{ name, data, text string }{
		{"a member in another case", strings.Replace(string(js), `{`, `{"BALANCE":1,`, 1), `unknown field "BALANCE"`},
		{"a member twice", strings.Replace(string(js), `{`, `{"balance":999,`, 1), "duplicate"},
		{"a null member", strings.Replace(string(js), `"nonce":0`, `"nonce":null`, 1), "nonce: null"},
		{"null", `null`, "have null"},
		{"trailing data", string(js) + `{}`, "after the JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NotEqual(t, string(js), tc.data, "precondition: the case changes the proof")
			got := back
			err := got.UnmarshalJSON([]byte(tc.data))
			assert.ErrorIs(t, err, blockchain.ErrMalformed)
			assert.ErrorContains(t, err, tc.text)
			assert.Equal(t, back, got, "on error the proof is unchanged")
		})
	}
}
