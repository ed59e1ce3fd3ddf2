package pool_test

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/pool"
)

// BenchmarkAdd admits b.N transfers from the funded test accounts, in
// turns, on a chain of consensustest.Spec(). With the default rules the
// signature check dominates: the "add/verify" metric is the time of one
// Add over the time of one bare ed25519.Verify, measured in the same run,
// so it reads the same on any machine (a little over 1 means the pool's
// own work is small beside the signature). The Verify time is the average
// of one measure before the Adds and one after, to blunt a machine whose
// load changes meanwhile. Without rules, the benchmark
// shows the pool's own work: the ID, the chain's account, the queue.
func BenchmarkAdd(b *testing.B) {
	var senders []blockchain.PrivateKey
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin", "frank", "mallory"} {
		senders = append(senders, consensustest.Key(name))
	}
	miner := consensustest.Addr("miner")
	for _, bc := range []struct {
		name  string
		rules []blockchain.TxRule
	}{
		{"default-rules", nil},
		{"no-rules", []blockchain.TxRule{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			txs := make([]blockchain.Transaction, b.N)
			for i := range txs {
				from, nonce := senders[i%len(senders)], uint64(i/len(senders))
				if bc.rules == nil {
					txs[i] = blockchain.Transfer{ChainID: consensustest.ChainID, To: miner, Amount: 1, Nonce: nonce}.Sign(from)
				} else { // nothing checks the signature: spare the setup signing a million
					f := blockchain.TxFields{ChainID: consensustest.ChainID, From: from.Address(), To: miner, Amount: 1, Nonce: nonce, PublicKey: from.Public()}
					txs[i] = blockchain.NewTransaction(f, nil)
				}
			}
			policy := pool.Policy{Capacity: max(b.N, 1), MaxTx: 1, MaxWait: time.Second}
			p, err := pool.New(pool.Config{Policy: policy, Chain: consensustest.NewChain(consensustest.NewFaker()), Rules: bc.rules})
			if err != nil {
				b.Fatal(err)
			}
			k := min(b.N, 500)
			verifyBefore := verifyTime(b, k)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := p.Add(txs[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			addNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			verifyNs := (verifyBefore + verifyTime(b, k)) / 2
			b.ReportMetric(verifyNs, "verify-ns")
			b.ReportMetric(addNs/verifyNs, "add/verify")
		})
	}
}

// verifyTime returns how long one bare ed25519.Verify of a transaction's
// signature takes, in nanoseconds: the average over n transactions.
func verifyTime(b *testing.B, n int) float64 {
	b.Helper()
	txs := make([]blockchain.Transaction, n)
	msgs := make([][]byte, n)
	for i := range txs {
		txs[i] = tx("alice", "bob", int64(i+1), 0, 0)
		msgs[i] = txs[i].Fields().SignedMessage()
	}
	start := time.Now()
	for i, tx := range txs {
		pub, sig := tx.PublicKey(), tx.Signature()
		if !ed25519.Verify(pub[:], msgs[i], sig[:]) {
			b.Fatalf("signature of %s does not verify", tx)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// The pool of BenchmarkCandidates: 10 000 pending transfers from 1 000
// senders, 10 each, admitted in rounds (every sender's nonce 0, then
// every sender's nonce 1, …) with fees all over 0…99. Built once, since
// signing them takes a while; Candidates only reads it.
var (
	benchPoolsOnce sync.Once
	benchPools     map[pool.Order]*pool.Pool
	benchPoolsErr  error
)

const (
	benchSenders   = 1_000
	benchPerSender = 10
)

func candidatePools() (map[pool.Order]*pool.Pool, error) {
	benchPoolsOnce.Do(func() {
		keys := make([]blockchain.PrivateKey, benchSenders)
		spec := consensustest.Spec()
		for i := range keys {
			keys[i] = consensustest.Key(fmt.Sprintf("bench-sender-%d", i))
			spec.Alloc = append(spec.Alloc, blockchain.Allocation{Address: keys[i].Address(), Balance: consensustest.Funds})
		}
		spec.SortAlloc()
		chain, err := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: consensustest.NewFaker()})
		if err != nil {
			benchPoolsErr = err
			return
		}
		var txs []blockchain.Transaction
		miner := consensustest.Addr("miner")
		for nonce := range uint64(benchPerSender) {
			for i, key := range keys {
				fee := int64((i*7919 + int(nonce)*104729) % 100)
				txs = append(txs, blockchain.Transfer{ChainID: spec.ChainID, To: miner, Amount: 1, Fee: fee, Nonce: nonce}.Sign(key))
			}
		}
		benchPools = make(map[pool.Order]*pool.Pool)
		for _, order := range []pool.Order{pool.FIFO, pool.HighestFee} {
			policy := pool.DefaultPolicy()
			policy.Capacity = len(txs)
			policy.Order = order
			// The signatures are good: skip checking them 20 000 times.
			p, err := pool.New(pool.Config{Policy: policy, Chain: chain, Rules: []blockchain.TxRule{}})
			if err != nil {
				benchPoolsErr = err
				return
			}
			for _, tx := range txs {
				if err := p.Add(tx); err != nil {
					benchPoolsErr = err
					return
				}
			}
			benchPools[order] = p
		}
	})
	return benchPools, benchPoolsErr
}

// BenchmarkCandidates asks for a block's worth of candidates, and for
// all 10 000, from 10 000 pending transfers of 1 000 senders. A heap of
// the senders' heads keeps it at O(senders + limit·log senders).
func BenchmarkCandidates(b *testing.B) {
	pools, err := candidatePools()
	if err != nil {
		b.Fatal(err)
	}
	for _, order := range []pool.Order{pool.FIFO, pool.HighestFee} {
		for _, limit := range []int{20, 1_000, benchSenders * benchPerSender} {
			b.Run(fmt.Sprintf("%s/limit-%d", order, limit), func(b *testing.B) {
				p := pools[order]
				b.ReportAllocs()
				for b.Loop() {
					if txs := p.Candidates(limit); len(txs) != limit {
						b.Fatalf("have %d candidates, want %d", len(txs), limit)
					}
				}
			})
		}
	}
}
