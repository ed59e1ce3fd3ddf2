package smt_test

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/eventchain/eventchain/blockchain/internal/smt"
)

// The benchmarks: what a block's state update, a proof and its check cost,
// on trees of a thousand and of a hundred thousand accounts.
//
//	go test ./blockchain/internal/smt -run '^$' -bench . -benchmem
//
// BenchmarkUpdateBlock also measures, in the same run, raw SHA-256 of 65
// bytes (an inner node's input) as many times as the updates hashed, and
// reports how many times that the update costs ("x-raw-sha256"): the rest
// is sorting, allocating and walking the tree.

var benchAccounts = []int{1000, 100000}

// benchTree returns a tree of n accounts with random addresses and 16-byte
// values, and its keys.
func benchTree(b *testing.B, n int) (smt.Tree, []smt.Key) {
	b.Helper()
	r := rand.New(rand.NewPCG(61, uint64(n)))
	keys := make([]smt.Key, n)
	changes := make([]smt.Change, n)
	for i := range keys {
		keys[i] = randKey(r)
		changes[i] = smt.Change{Key: keys[i], Value: account(int64(r.IntN(1e9)), uint64(r.IntN(100)))}
	}
	tree, err := smt.Tree{}.Update(changes)
	if err != nil {
		b.Fatal(err)
	}
	return tree, keys
}

// benchBlock returns the 41 changes of a block of 20 transfers: 20 senders
// and the beneficiary, who have accounts, and 20 receivers, half of whom
// have one and half new. Every account gets a new balance (and a sender a
// new nonce).
func benchBlock(r *rand.Rand, keys []smt.Key) []smt.Change {
	seen := map[smt.Key]bool{}
	existing := func() smt.Key {
		for {
			if k := keys[r.IntN(len(keys))]; !seen[k] {
				seen[k] = true
				return k
			}
		}
	}
	var changes []smt.Change
	for i := range 20 {
		changes = append(changes, smt.Change{Key: existing(), Value: account(int64(r.IntN(1e9)), uint64(r.IntN(100)))})
		to := randKey(r)
		if i%2 == 0 {
			to = existing()
		}
		changes = append(changes, smt.Change{Key: to, Value: account(int64(r.IntN(1e9)), 0)})
	}
	return append(changes, smt.Change{Key: existing(), Value: account(int64(r.IntN(1e9)), 0)})
}

// BenchmarkUpdateBlock applies one block's 41 changes to a tree of n
// accounts and takes the new root; the tree itself is left as it was, so
// every iteration does the same kind of work (one of 64 blocks in turn).
func BenchmarkUpdateBlock(b *testing.B) {
	for _, n := range benchAccounts {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			base, keys := benchTree(b, n)
			r := rand.New(rand.NewPCG(62, uint64(n)))
			blocks := make([][]smt.Change, 64)
			hashes := 0
			for i := range blocks {
				blocks[i] = benchBlock(r, keys)
				_, h, err := smt.UpdateCounting(base, blocks[i])
				if err != nil {
					b.Fatal(err)
				}
				hashes += h
			}
			hashesPerBlock := float64(hashes) / float64(len(blocks))

			b.ReportAllocs()
			var root smt.Hash
			iters := 0
			for b.Loop() {
				next, err := base.Update(blocks[iters%len(blocks)])
				if err != nil {
					b.Fatal(err)
				}
				root = next.Root()
				iters++
			}
			if root == base.Root() {
				b.Fatal("the root did not change")
			}
			nsPerBlock := float64(b.Elapsed().Nanoseconds()) / float64(iters)

			// The baseline, in the same run: as many raw SHA-256 of 65 bytes
			// as the timed updates computed.
			var buf [65]byte
			raw := int(hashesPerBlock * float64(iters))
			start := time.Now()
			for i := range raw {
				buf[1] = byte(i)
				h := sha256.Sum256(buf[:])
				buf[2] = h[0]
			}
			rawNsPerHash := float64(time.Since(start).Nanoseconds()) / float64(max(raw, 1))

			b.ReportMetric(nsPerBlock, "ns/block")
			b.ReportMetric(hashesPerBlock, "hashes/block")
			b.ReportMetric(nsPerBlock/(rawNsPerHash*hashesPerBlock), "x-raw-sha256")
		})
	}
}

// BenchmarkProve makes the proof of a different present key each time.
func BenchmarkProve(b *testing.B) {
	for _, n := range benchAccounts {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			tree, keys := benchTree(b, n)
			b.ReportAllocs()
			i, siblings := 0, 0
			for b.Loop() {
				siblings += len(tree.Prove(keys[i%len(keys)]).Siblings)
				i++
			}
			b.ReportMetric(float64(siblings)/float64(i), "siblings/proof")
		})
	}
}

// BenchmarkVerify checks the proofs of present keys against the root: one
// leaf hash and one node hash per sibling.
func BenchmarkVerify(b *testing.B) {
	for _, n := range benchAccounts {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			tree, keys := benchTree(b, n)
			root := tree.Root()
			type claim struct {
				k smt.Key
				v []byte
				p smt.Proof
			}
			claims := make([]claim, 1024)
			for i := range claims {
				k := keys[i%len(keys)]
				v, _ := tree.Get(k)
				claims[i] = claim{k, v, tree.Prove(k)}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c := claims[i%len(claims)]
				if err := smt.VerifyProof(root, c.k, c.v, c.p); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
