package blockchain

import (
	"crypto/sha256"
	"fmt"
)

// The domain-separation prefixes of RFC 6962 §2.1.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// emptyRoot is the root of a tree without leaves: SHA-256 of nothing.
var emptyRoot = Hash(sha256.Sum256(nil))

// LeafHash returns the hash of a Merkle leaf: SHA-256(0x00 ‖ data). It
// allocates nothing for data of up to 255 bytes.
func LeafHash(data []byte) Hash {
	var buf [256]byte
	if len(data) < len(buf) {
		return sha256.Sum256(append(append(buf[:0], leafPrefix), data...))
	}
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(data)
	return Hash(h.Sum(nil))
}

// NodeHash returns the hash of an inner Merkle node: SHA-256(0x01 ‖ left
// ‖ right). It allocates nothing.
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*HashSize]byte
	buf[0] = nodePrefix
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// leafHash returns LeafHash of tx's canonical encoding, without allocating
// for a transaction within the sanity limits.
func (tx Transaction) leafHash() Hash {
	var buf [1 + txMaxLen]byte
	return sha256.Sum256(tx.appendCanonical(append(buf[:0], leafPrefix)))
}

// MerkleRoot returns the root of the Merkle tree whose leaves hold data, in
// order, built as RFC 6962 (Certificate Transparency) builds it: SHA-256("")
// for no leaves, [LeafHash] of the only leaf for one. It does not change
// leaves. A block's header carries the root of its transactions' tree
// ([TxMerkleRoot]).
//
// Two rules make the tree differ from the one Bitcoin uses. First, leaves
// and inner nodes are hashed differently (domain separation):
//
//	leaf hash  = SHA-256(0x00 ‖ data)            LeafHash
//	inner node = SHA-256(0x01 ‖ left ‖ right)    NodeHash
//
// Second, no node is ever duplicated. A tree of n > 1 leaves is split at k,
// the largest power of two smaller than n: the first k leaves make a full
// left subtree, the other n−k the right one, split by the same rule. So a
// level with an odd number of nodes does not pair its last node with
// itself: that node waits, unchanged, for a partner higher up. For five
// transactions t0…t4, with hi = SHA-256(0x00 ‖ encoding of ti) and
// N(l, r) = SHA-256(0x01 ‖ l ‖ r), so that h01 = N(h0, h1):
//
//	                 root = N(h0123, h4)
//	        ┌──────────┴──────────┐
//	      h0123                   │
//	   ┌────┴────┐                │
//	  h01       h23               │   ← h4 has no partner on these
//	┌──┴──┐   ┌──┴──┐             │     levels: it moves up unchanged
//	h0    h1  h2    h3            h4
//	│     │   │     │             │
//	t0    t1  t2    t3            t4
//
// Bitcoin, for comparison, hashes a parent as SHA-256(left ‖ right) (twice,
// in fact, which changes nothing here), a leaf as the transaction's hash,
// with no prefix either way, and pairs the last node of an odd level with
// itself:
//
//	                  root
//	         ┌─────────┴─────────┐
//	       h0123               h4444
//	   ┌─────┴─────┐       ┌─────┴─────┐
//	  h01         h23     h44         h44   ← h44 duplicated (odd level)
//	┌──┴──┐     ┌──┴──┐  ┌──┴──┐
//	h0   h1     h2   h3  h4   h4            ← h4 duplicated (odd level)
//
// This package built that tree until it moved to RFC 6962. Each rule closes
// a known attack on it (merkle_attack_test.go shows both working on
// Bitcoin's tree and failing on this one):
//
//   - CVE-2012-2459, the duplicated last leaf. Since the last node of an
//     odd level is paired with itself, the lists [t0 t1 t2] and
//     [t0 t1 t2 t2] have the same root. An attacker could send a node the
//     second list, invalid, under a valid header; the node marked that
//     header as bad and then refused the real block. Here nothing is
//     duplicated, so the two roots differ. ([Block.Validate] still refuses
//     a transaction listed twice, for a reason of its own: it would be
//     applied twice.)
//   - CVE-2017-12842, the 64-byte transaction. Two child hashes side by
//     side are 64 bytes, and Bitcoin hashes a transaction and a pair of
//     children the same way, so a 64-byte transaction can pass for an
//     inner node (and an inner node for a transaction): a light client can
//     be "proven" a transaction that was never in the block. Here a leaf
//     is hashed after a 0x00 byte and an inner node after a 0x01 byte:
//     whatever its length, data hashed as a leaf can only equal an inner
//     node through a SHA-256 collision.
//
// The leaf data of a block's tree is each transaction's canonical encoding
// ([Transaction.MarshalBinary]), hashed as a leaf, rather than the
// transaction's hash. Domain separation makes either choice safe against
// CVE-2017-12842: even a 64-byte encoding, hashed after 0x00, cannot be an
// inner node. The encoding is what RFC 6962 hashes (the entry itself), and
// with it the tree commits to every byte of every transaction, whatever
// [Transaction.Hash] may come to cover: Bitcoin's transaction IDs leave the
// signatures out, so SegWit had to add a second Merkle tree to commit to
// them. It costs a SHA-256 block or two per leaf more than hashing a
// 32-byte hash would.
//
// Changing, adding, removing or reordering any transaction changes the
// root, so a header commits to its block's exact transaction list in 32
// bytes, and an [InclusionProof] of about log₂ n hashes shows that one
// transaction is in it: the audit path of t2 above is h3, h01, h4.
//
// The code builds the tree from the bottom up: hash neighbours in pairs,
// move the last node of an odd level up unchanged, and repeat until one
// node is left. That is the very tree of the split above, since the full
// left subtrees are exactly what pairing from the left builds;
// blockchain/testdata/golden_merkle.py computes the golden vectors the
// RFC's recursive way, to check it.
func MerkleRoot(leaves [][]byte) Hash {
	level := make([]Hash, len(leaves))
	for i, d := range leaves {
		level[i] = LeafHash(d)
	}
	return rootInPlace(level)
}

// TxMerkleRoot returns the MerkleRoot of the transactions' canonical
// encodings, in order: the value a block's header must carry.
func TxMerkleRoot(txs []Transaction) Hash {
	return rootInPlace(txLeafHashes(txs, len(txs)))
}

// txLeafHashes returns the transactions' leaf hashes in a slice with room
// for size hashes.
func txLeafHashes(txs []Transaction, size int) []Hash {
	level := make([]Hash, len(txs), size)
	for i, tx := range txs {
		level[i] = tx.leafHash()
	}
	return level
}

// rootInPlace returns the root of the tree whose leaf hashes are level,
// overwriting level as it climbs.
func rootInPlace(level []Hash) Hash {
	if len(level) == 0 {
		return emptyRoot
	}
	for len(level) > 1 {
		level = nextLevel(level, level)
	}
	return level[0]
}

// nextLevel writes the level above level into out and returns it: the
// neighbours' NodeHash, and an odd last node unchanged. out may be level
// itself, since node i/2 is written only after nodes i and i+1 are read.
func nextLevel(level, out []Hash) []Hash {
	n := len(level)
	out = out[:(n+1)/2]
	for i := 0; i+1 < n; i += 2 {
		out[i/2] = NodeHash(level[i], level[i+1])
	}
	if n%2 == 1 {
		out[n/2] = level[n-1] // no partner: moves up as it is
	}
	return out
}

// A MerkleTree keeps every node of an RFC 6962 tree, so that it can give
// the [InclusionProof] of any leaf in O(log n) hashes copied, without
// hashing anything again. Building it costs what computing the root does.
//
// A MerkleTree is immutable and safe for concurrent use.
type MerkleTree struct {
	// levels[0] holds the leaf hashes; each next level the level above,
	// as nextLevel builds it; the last level holds the root alone. A tree
	// without leaves has no levels. A node that moves up unchanged is kept
	// on each level it passes through.
	levels [][]Hash
}

// NewMerkleTree builds the tree whose leaves hold data, in order. Its Root
// is MerkleRoot(leaves).
func NewMerkleTree(leaves [][]byte) *MerkleTree {
	hashes := make([]Hash, len(leaves), treeNodes(len(leaves)))
	for i, d := range leaves {
		hashes[i] = LeafHash(d)
	}
	return buildTree(hashes)
}

// newTxTree builds the tree of the transactions' canonical encodings.
func newTxTree(txs []Transaction) *MerkleTree {
	return buildTree(txLeafHashes(txs, treeNodes(len(txs))))
}

// treeNodes returns how many hashes the levels of a tree of n leaves
// hold: fewer than 2n+64.
func treeNodes(n int) int {
	total := n
	for n > 1 {
		n = (n + 1) / 2
		total += n
	}
	return total
}

// buildTree builds the levels above leaves, which must have room for
// treeNodes(len(leaves)) hashes: every level lives in that one array.
func buildTree(leaves []Hash) *MerkleTree {
	t := &MerkleTree{}
	if len(leaves) == 0 {
		return t
	}
	all := leaves[:cap(leaves)]
	level, used := all[:len(leaves)], len(leaves)
	t.levels = append(t.levels, level)
	for len(level) > 1 {
		level = nextLevel(level, all[used:])
		used += len(level)
		t.levels = append(t.levels, level)
	}
	return t
}

// Root returns the tree's root: SHA-256("") for a tree without leaves.
func (t *MerkleTree) Root() Hash {
	if len(t.levels) == 0 {
		return emptyRoot
	}
	return t.levels[len(t.levels)-1][0]
}

// Len returns the number of leaves.
func (t *MerkleTree) Len() int {
	if len(t.levels) == 0 {
		return 0
	}
	return len(t.levels[0])
}

// Proof returns the inclusion proof of leaf i: its index, the number of
// leaves, and the audit path of RFC 6962 §2.1.1 — the sibling of each node
// on the way from the leaf up to the root, nearest the leaf first, skipping
// the levels where the node moves up without a partner. An i outside
// 0…Len()−1 gives a [*ProofError] wrapping [ErrProofIndex].
func (t *MerkleTree) Proof(i int) (InclusionProof, error) {
	n := t.Len()
	if i < 0 || i >= n {
		return InclusionProof{}, indexError(fmt.Sprintf("leaf %d of %d", i, n), uint64(n))
	}
	path := make([]Hash, 0, len(t.levels)-1)
	j := i
	for _, level := range t.levels[:len(t.levels)-1] {
		if s := j ^ 1; s < len(level) { // the sibling: j−1 for odd j, j+1 for even j if there is one
			path = append(path, level[s])
		}
		j /= 2
	}
	return InclusionProof{Index: uint64(i), Count: uint64(n), Path: path}, nil
}
