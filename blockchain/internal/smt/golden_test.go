package smt_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/internal/smt"
)

// The golden vectors of testdata/smt_vectors.json come from
// testdata/golden_smt.py, which follows the package documentation in
// Python (see that file for how to regenerate them): the roots of a few
// trees, and proofs of present and absent keys in every form.
type goldenVectors struct {
	LeafHash struct{ Key, Value, Hash string }
	NodeHash struct{ Left, Right, Hash string }
	Trees    []struct {
		Name   string
		Leaves []struct{ Key, Value string }
		Root   string
		Proofs []struct {
			Key        string
			Value      *string
			Kind       string
			Depth      int
			Siblings   []*string
			Binary     string
			JSON       string
			OtherKey   string
			OtherValue string
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestGoldenVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/smt_vectors.json")
	require.NoError(t, err)
	var g goldenVectors
	require.NoError(t, json.Unmarshal(data, &g))
	require.Len(t, g.Trees, 5)

	assert.Equal(t, g.LeafHash.Hash, smt.LeafHash(smt.Key(unhex(t, g.LeafHash.Key)), unhex(t, g.LeafHash.Value)).String())
	assert.Equal(t, g.NodeHash.Hash, smt.NodeHash(smt.Hash(unhex(t, g.NodeHash.Left)), smt.Hash(unhex(t, g.NodeHash.Right))).String())

	kinds := map[string]int{}
	maxDepth := 0
	for _, tree := range g.Trees {
		t.Run(tree.Name, func(t *testing.T) {
			var changes []smt.Change
			for _, l := range tree.Leaves {
				changes = append(changes, smt.Change{Key: smt.Key(unhex(t, l.Key)), Value: unhex(t, l.Value)})
			}
			tr, err := smt.Tree{}.Update(changes)
			require.NoError(t, err)
			assert.Equal(t, tree.Root, tr.Root().String())
			assert.Equal(t, len(tree.Leaves), tr.Len())

			for _, gp := range tree.Proofs {
				k := smt.Key(unhex(t, gp.Key))
				p := tr.Prove(k)
				assert.Equal(t, gp.Kind, p.Kind.String(), "key %s", gp.Key)
				require.Len(t, p.Siblings, gp.Depth, "key %s", gp.Key)
				require.Len(t, gp.Siblings, gp.Depth)
				for i, s := range p.Siblings {
					if gp.Siblings[i] == nil {
						assert.Equal(t, smt.Empty, s, "key %s sibling %d", gp.Key, i)
					} else {
						assert.Equal(t, *gp.Siblings[i], s.String(), "key %s sibling %d", gp.Key, i)
					}
				}
				if gp.Kind == "other" {
					assert.Equal(t, gp.OtherKey, p.OtherKey.String())
					assert.Equal(t, gp.OtherValue, hex.EncodeToString(p.OtherValue))
				}

				// Both encodings, byte for byte, and back.
				b, err := p.MarshalBinary()
				require.NoError(t, err)
				assert.Equal(t, gp.Binary, hex.EncodeToString(b), "key %s", gp.Key)
				j, err := p.MarshalJSON()
				require.NoError(t, err)
				assert.Equal(t, gp.JSON, string(j), "key %s", gp.Key)
				var fromBinary, fromJSON smt.Proof
				require.NoError(t, fromBinary.UnmarshalBinary(unhex(t, gp.Binary)))
				require.NoError(t, fromJSON.UnmarshalJSON([]byte(gp.JSON)))
				assert.Equal(t, p, fromBinary)
				assert.Equal(t, p, fromJSON)

				var value []byte
				if gp.Value != nil {
					value = unhex(t, *gp.Value)
				}
				assert.NoError(t, smt.VerifyProof(smt.Hash(unhex(t, tree.Root)), k, value, fromBinary))
				kinds[gp.Kind]++
				maxDepth = max(maxDepth, gp.Depth)
			}
		})
	}
	assert.Positive(t, kinds["leaf"])
	assert.Positive(t, kinds["empty"])
	assert.Positive(t, kinds["other"])
	assert.Equal(t, smt.KeyBits, maxDepth, "the vectors reach depth 160")
}
