package blockchain

import "crypto/sha256"

// MerkleRoot returns the root of a binary Merkle tree over leaves, built the
// way Bitcoin builds it. Each parent is SHA-256 of its two children's bytes
// side by side; a level with an odd number of nodes pairs its last node with
// itself. For five transactions t0…t4 with hashes h0…h4:
//
//	                  root
//	         ┌─────────┴─────────┐
//	       h0123               h4444
//	   ┌─────┴─────┐       ┌─────┴─────┐
//	  h01         h23     h44         h44   ← h44 duplicated (odd level)
//	┌──┴──┐     ┌──┴──┐  ┌──┴──┐
//	h0   h1     h2   h3  h4   h4            ← h4 duplicated (odd level)
//
// where h01 = SHA-256(h0 ‖ h1) and so on. One leaf is its own root; no
// leaves give the zero hash.
//
// Changing, adding, removing or reordering any transaction changes the
// root, so a header commits to its block's exact transaction list in 32
// bytes. One trap, known from Bitcoin (CVE-2012-2459): the lists
// [t0 t1 t2] and [t0 t1 t2 t2] have the same root, because duplicating the
// last node is exactly what the tree does anyway. [Block.Validate] closes
// it by rejecting a block that lists a transaction twice.
func MerkleRoot(leaves []Hash) Hash {
	if len(leaves) < 2 {
		return merkleInPlace(leaves)
	}
	level := make([]Hash, len(leaves), len(leaves)+1)
	copy(level, leaves)
	return merkleInPlace(level)
}

// merkleInPlace computes the root of level, overwriting it; level needs
// room for one more hash than it holds, for an odd count.
func merkleInPlace(level []Hash) Hash {
	switch len(level) {
	case 0:
		return Hash{}
	case 1:
		return level[0]
	}
	var pair [2 * HashSize]byte
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		for i := 0; i < len(level); i += 2 {
			copy(pair[:HashSize], level[i][:])
			copy(pair[HashSize:], level[i+1][:])
			level[i/2] = sha256.Sum256(pair[:])
		}
		level = level[:len(level)/2]
	}
	return level[0]
}

// TxMerkleRoot returns the MerkleRoot of the transactions' hashes, in order:
// the value a block's header must carry.
func TxMerkleRoot(txs []Transaction) Hash {
	level := make([]Hash, len(txs), len(txs)+1)
	for i, tx := range txs {
		level[i] = tx.Hash()
	}
	return merkleInPlace(level)
}
