package blockchain_test

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// The Merkle benchmarks: what a proof costs to make and to check, for a
// small block and a large one, beside the raw SHA-256 they are made of.
//
//	go test ./blockchain -run '^$' -bench 'SHA256|Merkle|Inclusion' -benchmem
//
// Making a proof copies about log₂ n hashes out of the tree the block
// built when it was made, and hashes nothing: its cost grows with log n,
// not n. Checking one hashes the leaf and then one node per path hash.

var benchSizes = []int{20, 4096}

// benchBlock returns a block of n transfers.
func benchBlock(b *testing.B, n int) *blockchain.Block {
	b.Helper()
	txs := make([]blockchain.Transaction, n)
	for i := range txs {
		txs[i] = consensustest.Transfer("alice", "bob", int64(i+1), uint64(i))
	}
	genesis := consensustest.Genesis().Header()
	return blockchain.NewBlock(blockchain.NextHeader(genesis, txs, genesis.Timestamp), txs)
}

// BenchmarkSHA256 is the baseline: one SHA-256 of an inner node's 65
// bytes (prefix and two hashes), and of a transaction's encoding with its
// leaf prefix.
func BenchmarkSHA256(b *testing.B) {
	var node [65]byte
	b.Run("65B", func(b *testing.B) {
		b.SetBytes(int64(len(node)))
		for b.Loop() {
			_ = sha256.Sum256(node[:])
		}
	})
	enc, _ := consensustest.Transfer("alice", "bob", 1, 0).MarshalBinary()
	leaf := append([]byte{0}, enc...)
	b.Run(fmt.Sprintf("%dB", len(leaf)), func(b *testing.B) {
		b.SetBytes(int64(len(leaf)))
		for b.Loop() {
			_ = sha256.Sum256(leaf)
		}
	})
}

// BenchmarkInclusionProof: one proof, of a different transaction each
// time, from a block already built.
func BenchmarkInclusionProof(b *testing.B) {
	for _, n := range benchSizes {
		block := benchBlock(b, n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := block.InclusionProof(i); err != nil {
					b.Fatal(err)
				}
				i = (i + 1) % n
			}
		})
	}
}

// BenchmarkVerifyTxInclusion: checking one transaction's proof against
// the header's root.
func BenchmarkVerifyTxInclusion(b *testing.B) {
	for _, n := range benchSizes {
		block := benchBlock(b, n)
		root := block.Header().MerkleRoot
		proofs := make([]blockchain.InclusionProof, n)
		for i := range proofs {
			proofs[i], _ = block.InclusionProof(i)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := blockchain.VerifyTxInclusion(root, block.Transaction(i), proofs[i]); err != nil {
					b.Fatal(err)
				}
				i = (i + 1) % n
			}
		})
	}
}

// BenchmarkTxMerkleRoot: the whole tree's root, what building a block
// costs on top of copying its transactions: n leaf hashes and n−1 nodes.
func BenchmarkTxMerkleRoot(b *testing.B) {
	for _, n := range benchSizes {
		txs := benchBlock(b, n).Transactions()
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = blockchain.TxMerkleRoot(txs)
			}
		})
	}
}

// BenchmarkNewBlock: building a block, its tree included, so the cost of
// the first proof of a block that was not built yet is this plus one
// InclusionProof.
func BenchmarkNewBlock(b *testing.B) {
	for _, n := range benchSizes {
		block := benchBlock(b, n)
		h, txs := block.Header(), block.Transactions()
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = blockchain.NewBlock(h, txs)
			}
		})
	}
}
