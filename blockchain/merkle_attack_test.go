package blockchain_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// Two attacks on Bitcoin's Merkle tree, each shown working on that tree
// and failing on this package's RFC 6962 tree. (See MerkleRoot for both
// trees drawn side by side.)
//
// The Bitcoin-style tree lives here, in the test, and nowhere else: it is
// the tree this package used before, kept only to show what went wrong
// with it. Bitcoin hashes twice (SHA-256d) where this sketch hashes once,
// as the package did; that changes nothing in either attack.

// bitcoinMerkleRoot is the root of the Bitcoin-style tree over leaf
// hashes: each parent is SHA-256(left ‖ right), with no prefix, and a
// level with an odd number of nodes pairs its last node with itself. One
// leaf is its own root; no leaves give the zero hash.
func bitcoinMerkleRoot(leaves []blockchain.Hash) blockchain.Hash {
	if len(leaves) == 0 {
		return blockchain.Hash{}
	}
	level := append([]blockchain.Hash(nil), leaves...)
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1]) // the duplication
		}
		next := make([]blockchain.Hash, len(level)/2)
		for i := range next {
			next[i] = bitcoinNode(level[2*i], level[2*i+1])
		}
		level = next
	}
	return level[0]
}

// bitcoinNode is a Bitcoin-style inner node: SHA-256(left ‖ right). It is
// also what hashing any 64 bytes gives, which is the whole trouble.
func bitcoinNode(left, right blockchain.Hash) blockchain.Hash {
	return sha256.Sum256(append(left[:], right[:]...))
}

// bitcoinVerify is a Bitcoin-style light client's check of a Merkle
// branch (as in an SPV "merkleblock"): climb from leafHash, putting each
// path hash on the left when that bit of index is 1, and compare with the
// root.
func bitcoinVerify(root, leafHash blockchain.Hash, index uint64, path []blockchain.Hash) bool {
	node := leafHash
	for _, p := range path {
		if index%2 == 1 {
			node = bitcoinNode(p, node)
		} else {
			node = bitcoinNode(node, p)
		}
		index /= 2
	}
	return node == root
}

// TestBitcoinMerkleRootGolden pins the sketch to the roots this package
// computed before RFC 6962, which were computed outside Go with Python's
// hashlib, pairing as Bitcoin does: leaf i is SHA-256 of the byte i.
func TestBitcoinMerkleRootGolden(t *testing.T) {
	leaves := make([]blockchain.Hash, 7)
	for i := range leaves {
		leaves[i] = sha256.Sum256([]byte{byte(i)})
	}
	want := []string{
		"0000000000000000000000000000000000000000000000000000000000000000",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"30e1867424e66e8b6d159246db94e3486778136f7e386ff5f001859d6b8484ab",
		"f2dcdd96791b6bac5d554f2d320e594b834f5da1981812c3707e7772234cb0ad",
		"9675e04b4ba9dc81b06e81731e2d21caa2c95557a85dcfa3fff70c9ff0f30b2e",
		"9674600fd139741c0f7dd7a32d984a0e74401cc90e6e8e5d203ed973d27324fe",
		"adccbd2044ec8710e7970bd22e5c68df20fe3848f267086da2013a3377175b5e",
	}
	for n, w := range want {
		assert.Equal(t, w, bitcoinMerkleRoot(leaves[:n]).String(), "%d leaves", n)
	}
}

// CVE-2012-2459: duplicating the end of an odd level.
//
// Bitcoin's tree pairs the last node of an odd level with itself. So a
// list of transactions and the same list with its last one repeated have
// the same root — and more generally, repeating the last few to fill an
// odd level. The duplicated list is an invalid block (a transaction spent
// twice), yet it has the valid block's header. The attack: send a node the
// invalid list under the valid header. The node finds it invalid and, as
// Bitcoin Core did, remembers the header's hash as a bad block; when the
// real block arrives with that very header, the node refuses it and is
// stuck off the chain.
//
// With RFC 6962 nothing is duplicated: the two lists have different roots,
// so the invalid list does not match the header at all, and a node can
// tell "this body is not the header's" from "this block is bad".
func TestCVE2012_2459DuplicatedLastLeaf(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	txs := make([]blockchain.Transaction, 6)
	for i := range txs {
		txs[i] = consensustest.Transfer(fmt.Sprintf("t%d", i), "bank", 1, 0)
	}
	t0, t1, t2, t3, t4, t5 := txs[0], txs[1], txs[2], txs[3], txs[4], txs[5]
	list := func(txs ...blockchain.Transaction) []blockchain.Transaction { return txs }

	for _, tc := range []struct {
		name           string
		valid, mutated []blockchain.Transaction
	}{
		{"three, the last repeated", list(t0, t1, t2), list(t0, t1, t2, t2)},
		{"five, the last repeated", list(t0, t1, t2, t3, t4), list(t0, t1, t2, t3, t4, t4)},
		{"five, the last repeated three times", list(t0, t1, t2, t3, t4), list(t0, t1, t2, t3, t4, t4, t4, t4)},
		{"six, the last pair repeated", list(t0, t1, t2, t3, t4, t5), list(t0, t1, t2, t3, t4, t5, t4, t5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hashes := func(txs []blockchain.Transaction) []blockchain.Hash {
				out := make([]blockchain.Hash, len(txs))
				for i, tx := range txs {
					out[i] = tx.Hash()
				}
				return out
			}

			// Bitcoin's tree: the attack works. One root, two lists.
			assert.Equal(t, bitcoinMerkleRoot(hashes(tc.valid)), bitcoinMerkleRoot(hashes(tc.mutated)),
				"Bitcoin-style: the mutated list has the valid list's root")

			// RFC 6962: two lists, two roots.
			assert.NotEqual(t, blockchain.TxMerkleRoot(tc.valid), blockchain.TxMerkleRoot(tc.mutated),
				"RFC 6962: the mutated list has a root of its own")

			// So under the valid block's header, the mutated body is not
			// that block: it fails the Merkle root check, whatever else
			// is wrong with it.
			h := blockchain.NextHeader(consensustest.Genesis().Header(), tc.valid, at)
			h.Beneficiary = consensustest.Addr("miner")
			require.NoError(t, blockchain.NewBlock(h, tc.valid).Validate(), "the valid block")
			forged := blockchain.NewBlock(h, tc.mutated)
			assert.Equal(t, h.Hash(), forged.Hash(), "same header, same block hash")
			assert.NotEqual(t, h.MerkleRoot, forged.TxRoot(), "but its body is not the header's")
		})
	}
}

// CVE-2017-12842: a 64-byte transaction.
//
// In Bitcoin's tree a leaf is the hash of a transaction and an inner node
// the hash of its two children's 64 bytes, hashed the same way. So the
// bytes of a 64-byte transaction, read as two halves A ‖ B, are an inner
// node's children — and that transaction's leaf is that inner node. An
// attacker who gets such a transaction into a block, with B the hash of a
// fake transaction (in Bitcoin this costs a brute force of some bits),
// then "proves" the fake one to a light client: its hash is B, its
// sibling is A, their parent is the real transaction's leaf, and from
// there the real transaction's own path leads to the root. The reverse
// works too: the two children of an inner node, as 64 bytes of data,
// "prove" as a single transaction where the node stands.
//
// With RFC 6962 a leaf is hashed after a 0x00 byte and an inner node after
// a 0x01 byte, so no data hashed as a leaf can be taken for an inner node,
// whatever its length. (This package's signed transactions take at least
// 163 bytes, so none is 64 bytes long; the tree does not count on that,
// which a future encoding could change. The demonstration uses raw leaf
// data to keep the bytes in view.)
func TestCVE2017_12842SixtyFourByteTransaction(t *testing.T) {
	t.Run("no transaction is 64 bytes long, but the tree does not count on it", func(t *testing.T) {
		tx := blockchain.Transfer{ChainID: "x", To: consensustest.Addr("bob"), Amount: 1}.Sign(consensustest.Key("alice"))
		enc, err := tx.MarshalBinary()
		require.NoError(t, err)
		assert.Len(t, enc, 163, "the shortest: a chain ID of one byte")
		assert.NoError(t, blockchain.CheckTransactionSanity(tx))
	})

	fake := []byte("fake: the bank pays mallory 1 000 000")
	real0 := []byte("an honest transaction")

	t.Run("Bitcoin-style: a fake transaction is proven", func(t *testing.T) {
		leaf := func(data []byte) blockchain.Hash { return sha256.Sum256(data) } // Bitcoin: a leaf is the data's hash
		var a blockchain.Hash                                                    // any first half
		b := leaf(fake)                                                          // second half: the fake's hash
		planted := append(a[:], b[:]...)                                         // the attacker's 64-byte transaction
		require.Len(t, planted, 64)
		root := bitcoinMerkleRoot([]blockchain.Hash{leaf(real0), leaf(planted)}) // the block: [real0, planted]

		// The light client is shown: "fake" is leaf 3 of a tree of depth
		// two, with the path [A, leaf(real0)].
		assert.True(t, bitcoinVerify(root, leaf(fake), 3, []blockchain.Hash{a, leaf(real0)}),
			"the fake transaction passes, one level below the planted one")

		// And the reverse: an inner node passes for a transaction.
		l, r := leaf(real0), leaf(planted)
		inner := append(l[:], r[:]...)
		assert.True(t, bitcoinVerify(root, leaf(inner), 0, nil), "the root's two children, as data, pass as the block's only transaction")
	})

	t.Run("RFC 6962: the same attempts fail", func(t *testing.T) {
		a := blockchain.LeafHash([]byte("any first half"))
		b := blockchain.LeafHash(fake)
		planted := append(a[:], b[:]...)
		leaves := [][]byte{real0, planted}
		root := blockchain.MerkleRoot(leaves)
		require.Equal(t, blockchain.NodeHash(blockchain.LeafHash(real0), blockchain.LeafHash(planted)), root)

		// The inner node N(A, B) = SHA-256(0x01 ‖ A ‖ B) is not the planted
		// transaction's leaf, SHA-256(0x00 ‖ A ‖ B).
		assert.NotEqual(t, blockchain.NodeHash(a, b), blockchain.LeafHash(planted), "node and leaf differ in their first byte")

		// Every shape of the forged proof is refused.
		forged := blockchain.InclusionProof{Index: 3, Count: 4, Path: []blockchain.Hash{a, blockchain.LeafHash(real0)}}
		assertProofErr(t, blockchain.VerifyInclusion(root, fake, forged), blockchain.ErrProofMismatch)
		for count := uint64(1); count <= 8; count++ {
			for index := range count {
				p := blockchain.InclusionProof{Index: index, Count: count, Path: []blockchain.Hash{a, blockchain.LeafHash(real0)}}
				assert.Error(t, blockchain.VerifyInclusion(root, fake, p), "fake as leaf %d of %d", index, count)
			}
		}

		// The reverse fails too: the root's two children, as data, are
		// not a leaf of this tree.
		l, r := blockchain.LeafHash(real0), blockchain.LeafHash(planted)
		inner := append(l[:], r[:]...)
		assertProofErr(t, blockchain.VerifyInclusion(root, inner, blockchain.InclusionProof{Index: 0, Count: 1}), blockchain.ErrProofMismatch)

		// While the honest proofs pass.
		tree := blockchain.NewMerkleTree(leaves)
		for i, leaf := range leaves {
			p, err := tree.Proof(i)
			require.NoError(t, err)
			assert.NoError(t, blockchain.VerifyInclusion(root, leaf, p))
		}
	})
}
