package blockchain_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// The signature benchmarks: what checking a transaction's signature
// costs next to a bare ed25519.Verify of a message as long as its signed
// message, measured in the same run (x-raw-ed25519: 1 means no overhead
// at all), and what a block of 20 costs, first time and remembered.
//
//	go test -run '^$' -bench 'VerifySignature' ./blockchain/

// rawVerify is a bare ed25519.Verify of tx's signed message: the
// baseline. The benchmarks time it beside each op, with the benchmark's
// timer stopped, so that both see the same machine at the same moment.
func rawVerify(tx blockchain.Transaction) func() {
	pub, sig, msg := tx.PublicKey(), tx.Signature(), tx.Fields().SignedMessage()
	return func() {
		if !ed25519.Verify(pub[:], msg, sig[:]) {
			panic("the raw signature does not verify")
		}
	}
}

// BenchmarkVerifySignature: one transaction's signature, one op.
func BenchmarkVerifySignature(b *testing.B) {
	tx := consensustest.TransferFee("alice", "bob", 125, 1, 0)
	raw := rawVerify(tx)
	var rawTime time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		start := time.Now()
		raw()
		rawTime += time.Since(start)
		b.StartTimer()
		if !tx.VerifySignature() {
			b.Fatal("does not verify")
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(rawTime), "x-raw-ed25519")
}

// BenchmarkBlockVerifySignatures: every signature of a block of 20
// transactions. "first" is a block never asked before, one op per block
// (x-raw-ed25519 against 20 bare verifications); "remembered" asks a
// block that already knows its answer, as Apply does after a node
// verified the block in parallel.
func BenchmarkBlockVerifySignatures(b *testing.B) {
	const n = 20
	blk := sigBlock(n, -1)
	b.Run(fmt.Sprintf("txs=%d/first", n), func(b *testing.B) {
		h, txs := blk.Header(), blk.Transactions()
		raws := make([]func(), n)
		for i, tx := range txs {
			raws[i] = rawVerify(tx)
		}
		var rawTime time.Duration
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			start := time.Now()
			for _, raw := range raws {
				raw()
			}
			rawTime += time.Since(start)
			fresh := blockchain.NewBlock(h, txs) // nothing remembered yet
			b.StartTimer()
			if err := fresh.VerifySignatures(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed())/float64(rawTime), "x-raw-ed25519")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/tx")
	})
	b.Run(fmt.Sprintf("txs=%d/remembered", n), func(b *testing.B) {
		if err := blk.VerifySignatures(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := blk.VerifySignatures(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
