package blockchain_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// merkleVectors is testdata/merkle_vectors.json, which
// testdata/golden_merkle.py computes with Python's hashlib from RFC 6962's
// recursive definitions (and checks against Certificate Transparency's
// published roots and paths first).
type merkleVectors struct {
	LeafHashes []struct{ Data, Hash string }
	NodeHashes []struct{ Left, Right, Hash string }
	Roots      []struct {
		Leaves string
		N      int
		Root   string
	}
	Paths []struct {
		Leaves   string
		N, Index int
		Path     []string
	}
	Encodings []struct {
		Leaves       string
		N, Index     int
		Binary, JSON string
	}
}

func loadMerkleVectors(tb testing.TB) merkleVectors {
	tb.Helper()
	data, err := os.ReadFile("testdata/merkle_vectors.json")
	require.NoError(tb, err)
	var v merkleVectors
	require.NoError(tb, json.Unmarshal(data, &v))
	require.NotEmpty(tb, v.Roots)
	require.NotEmpty(tb, v.Paths)
	return v
}

// rfc6962Leaves are the leaves of Certificate Transparency's reference
// tests, as in golden_merkle.py.
var rfc6962Leaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}

// vectorLeaves returns the first n leaves of a set of golden_merkle.py.
func vectorLeaves(tb testing.TB, set string, n int) [][]byte {
	tb.Helper()
	leaves := make([][]byte, n)
	for i := range leaves {
		switch set {
		case "rfc6962":
			require.Less(tb, i, len(rfc6962Leaves))
			leaves[i] = decodeHex(tb, rfc6962Leaves[i])
		case "counted":
			leaves[i] = countedLeaf(i)
		default:
			tb.Fatalf("unknown set of leaves %q", set)
		}
	}
	return leaves
}

// countedLeaf is leaf i of golden_merkle.py's set "counted": "leaf <i>".
func countedLeaf(i int) []byte { return fmt.Appendf(nil, "leaf %d", i) }

// countedLeaves returns the first n counted leaves.
func countedLeaves(n int) [][]byte {
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = countedLeaf(i)
	}
	return leaves
}

// decodeHex decodes hex digits or fails the test.
func decodeHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(tb, err)
	return b
}

// mustHash parses a hash or fails the test.
func mustHash(tb testing.TB, s string) blockchain.Hash {
	tb.Helper()
	h, err := blockchain.ParseHash(s)
	require.NoError(tb, err)
	return h
}

// TestMerkleGoldenHashes checks the two hashes the tree is made of.
func TestMerkleGoldenHashes(t *testing.T) {
	v := loadMerkleVectors(t)
	for _, c := range v.LeafHashes {
		t.Run(fmt.Sprintf("leaf of %d bytes", len(c.Data)/2), func(t *testing.T) {
			assert.Equal(t, c.Hash, blockchain.LeafHash(decodeHex(t, c.Data)).String())
		})
	}
	for _, c := range v.NodeHashes {
		assert.Equal(t, c.Hash, blockchain.NodeHash(mustHash(t, c.Left), mustHash(t, c.Right)).String(), "node")
	}
	require.Len(t, decodeHex(t, v.LeafHashes[len(v.LeafHashes)-1].Data), 300, "the vectors hold a leaf past LeafHash's stack buffer")
	short := make([]byte, 255)
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = blockchain.LeafHash(short) }), "LeafHash of 255 bytes")
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = blockchain.NodeHash(blockchain.Hash{1}, blockchain.Hash{2}) }), "NodeHash")
}

// TestMerkleGoldenRoots checks MerkleRoot and MerkleTree against the roots
// of golden_merkle.py: n = 0…8 over the RFC 6962 reference leaves, and
// larger trees of every shape up to 4096 leaves.
func TestMerkleGoldenRoots(t *testing.T) {
	for _, c := range loadMerkleVectors(t).Roots {
		t.Run(fmt.Sprintf("%s/%d", c.Leaves, c.N), func(t *testing.T) {
			leaves := vectorLeaves(t, c.Leaves, c.N)
			before := make([][]byte, len(leaves))
			copy(before, leaves)
			assert.Equal(t, c.Root, blockchain.MerkleRoot(leaves).String(), "MerkleRoot")
			assert.Equal(t, before, leaves, "MerkleRoot must not change its input")
			tree := blockchain.NewMerkleTree(leaves)
			assert.Equal(t, c.Root, tree.Root().String(), "MerkleTree.Root")
			assert.Equal(t, c.N, tree.Len())
		})
	}
}

// TestMerkleGoldenPaths checks every audit path of golden_merkle.py (all
// leaves of trees of 1, 7, 8 and 20), computed by RFC 6962 §2.1.1's
// recursive PATH, and that each one verifies.
func TestMerkleGoldenPaths(t *testing.T) {
	for _, c := range loadMerkleVectors(t).Paths {
		t.Run(fmt.Sprintf("%s/%d/leaf %d", c.Leaves, c.N, c.Index), func(t *testing.T) {
			leaves := vectorLeaves(t, c.Leaves, c.N)
			tree := blockchain.NewMerkleTree(leaves)
			p, err := tree.Proof(c.Index)
			require.NoError(t, err)
			assert.Equal(t, uint64(c.Index), p.Index)
			assert.Equal(t, uint64(c.N), p.Count)
			want := make([]blockchain.Hash, len(c.Path))
			for i, h := range c.Path {
				want[i] = mustHash(t, h)
			}
			assert.Equal(t, want, p.Path, "audit path")
			assert.NoError(t, blockchain.VerifyInclusion(tree.Root(), leaves[c.Index], p))
		})
	}
}

// TestMerkleTreeEverySize proves every leaf of every tree up to 70 leaves
// (and a few larger) and checks each proof: it verifies, it is no longer
// than the tree is deep, and the same leaf is refused at every other
// index of the same tree. With a count it can trust, a verifier learns
// exactly where the leaf is.
func TestMerkleTreeEverySize(t *testing.T) {
	sizes := []int{}
	for n := 1; n <= 70; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 127, 128, 129, 1000)
	for _, n := range sizes {
		leaves := countedLeaves(n)
		tree := blockchain.NewMerkleTree(leaves)
		root := tree.Root()
		require.Equal(t, blockchain.MerkleRoot(leaves), root, "n=%d", n)
		depth := bits.Len(uint(n - 1)) // ⌈log₂ n⌉
		for i := range n {
			p, err := tree.Proof(i)
			require.NoError(t, err)
			require.LessOrEqual(t, len(p.Path), depth, "leaf %d of %d", i, n)
			require.NoError(t, blockchain.VerifyInclusion(root, leaves[i], p), "leaf %d of %d", i, n)
			if n > 70 {
				continue // the exhaustive part is quadratic
			}
			for j := range n {
				if j == i {
					continue
				}
				moved := p
				moved.Index = uint64(j)
				err := blockchain.VerifyInclusion(root, leaves[i], moved)
				require.Error(t, err, "leaf %d of %d accepted at index %d", i, n, j)
				require.True(t, errors.Is(err, blockchain.ErrProofMismatch) || errors.Is(err, blockchain.ErrProofLength), "%v", err)
			}
		}
	}
}

// TestTxMerkleRoot pins the root of transactions against
// testdata/tx_vectors.json, which golden_tx.py computes in Python: the
// leaves are the transactions' canonical encodings.
func TestTxMerkleRoot(t *testing.T) {
	vectors := loadTxVectors(t)
	txs := goldenTxs(t)
	var encs [][]byte
	for _, v := range vectors.Transactions {
		encs = append(encs, decodeHex(t, v.Encoding))
	}
	for _, tc := range []struct {
		name string
		txs  []blockchain.Transaction
		data [][]byte
		want string
	}{
		{"no transactions", nil, nil, goldenEmptyRoot},
		{"one", txs[:1], encs[:1], blockchain.LeafHash(encs[0]).String()},
		{"all", txs, encs, vectors.MerkleRoot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, blockchain.TxMerkleRoot(tc.txs).String())
			assert.Equal(t, tc.want, blockchain.MerkleRoot(tc.data).String(), "the leaves are the encodings")
			h := goldenHeader()
			h.MerkleRoot = blockchain.TxMerkleRoot(tc.txs)
			assert.Equal(t, tc.want, blockchain.NewBlock(h, tc.txs).TxRoot().String(), "Block.TxRoot")
		})
	}
	assert.Equal(t, blockchain.LeafHash(encs[0]), blockchain.TxMerkleRoot(txs[:1]), "one leaf: its leaf hash")
	assert.NotEqual(t, txs[0].Hash(), blockchain.TxMerkleRoot(txs[:1]), "not the transaction's hash")
	assert.Equal(t, vectors.MerkleRoot, goldenHeader().MerkleRoot.String(), "goldenHeader commits to them")
}

// TestBlockInclusionProof proves every transaction of blocks of several
// sizes against the header's MerkleRoot, through both encodings, and
// refuses the indexes a block does not have.
func TestBlockInclusionProof(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 8, 13} {
		t.Run(fmt.Sprintf("%d txs", n), func(t *testing.T) {
			blocks := mustGenerate(t, 1, func(_ int, g *consensustest.BlockGen) {
				for range n {
					g.AddTransfer("alice", "bob", 1)
				}
			})
			b := blocks[0]
			require.NoError(t, b.Validate())
			root := b.Header().MerkleRoot
			for i := range n {
				p, err := b.InclusionProof(i)
				require.NoError(t, err)
				assert.NoError(t, blockchain.VerifyTxInclusion(root, b.Transaction(i), p), "tx %d", i)
				enc, _ := b.Transaction(i).MarshalBinary()
				assert.NoError(t, blockchain.VerifyInclusion(root, enc, p), "tx %d as its encoding", i)

				var fromBin, fromJSON blockchain.InclusionProof
				bin, err := p.MarshalBinary()
				require.NoError(t, err)
				require.NoError(t, fromBin.UnmarshalBinary(bin))
				js, err := json.Marshal(p)
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(js, &fromJSON))
				assert.NoError(t, blockchain.VerifyTxInclusion(root, b.Transaction(i), fromBin), "after binary")
				assert.NoError(t, blockchain.VerifyTxInclusion(root, b.Transaction(i), fromJSON), "after JSON")
			}
			for _, i := range []int{-1, n, n + 1} {
				_, err := b.InclusionProof(i)
				assertProofErr(t, err, blockchain.ErrProofIndex)
			}
		})
	}

	_, err := consensustest.Genesis().InclusionProof(0)
	assertProofErr(t, err, blockchain.ErrProofIndex)
	assert.Contains(t, err.Error(), "want a tree with at least one leaf")
	_, err = new(blockchain.Block).InclusionProof(0)
	assertProofErr(t, err, blockchain.ErrProofIndex)

	// The tree travels with the block: a decoded block and one with a new
	// header prove the same.
	blocks := mustGenerate(t, 1, func(_ int, g *consensustest.BlockGen) {
		g.AddTransfer("alice", "bob", 1)
		g.AddTransfer("bob", "carol", 1)
		g.AddTransfer("carol", "dave", 1)
	})
	b := blocks[0]
	want, err := b.InclusionProof(2)
	require.NoError(t, err)
	bin, _ := b.MarshalBinary()
	var decoded blockchain.Block
	require.NoError(t, decoded.UnmarshalBinary(bin))
	got, err := decoded.InclusionProof(2)
	require.NoError(t, err)
	assert.Equal(t, want, got, "decoded block")
	h := b.Header()
	h.Nonce++
	got, err = b.WithHeader(h).InclusionProof(2)
	require.NoError(t, err)
	assert.Equal(t, want, got, "WithHeader")
}
