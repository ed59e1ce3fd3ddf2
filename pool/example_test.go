package pool_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/pool"
)

// A pool admits a sender's transfers in nonce order while its balance,
// less what its pending transfers spend, covers them, and refuses the
// rest saying which rule they break.
func ExamplePool() {
	chain := consensustest.NewChain(consensustest.NewFaker()) // alice holds 1 000 000
	p, err := pool.New(pool.Config{Chain: chain})
	if err != nil {
		fmt.Println(err)
		return
	}
	alice := consensustest.Key("alice")
	pay := func(amount int64, nonce uint64) blockchain.Transaction {
		return blockchain.Transfer{ChainID: chain.Spec().ChainID, To: consensustest.Addr("bob"), Amount: amount, Fee: 1, Nonce: nonce}.Sign(alice)
	}

	for _, tx := range []blockchain.Transaction{
		pay(600_000, 0),
		pay(600_000, 0), // sent twice
		pay(100, 0),     // another transfer for nonce 0
		pay(100, 2),     // nonce 1 must come first
		pay(500_000, 1), // more than is left
		pay(300_000, 1),
	} {
		err := p.Add(tx)
		var re *blockchain.RuleError
		switch {
		case err == nil:
			fmt.Printf("nonce %d, %d: pending\n", tx.Nonce(), tx.Amount())
		case errors.Is(err, pool.ErrDuplicate):
			fmt.Printf("nonce %d, %d: already pending\n", tx.Nonce(), tx.Amount())
		case errors.As(err, &re):
			fmt.Printf("nonce %d, %d: refused by rule %s\n    %v\n", tx.Nonce(), tx.Amount(), re.Code, re)
		default:
			fmt.Println(err)
		}
	}
	fmt.Println("pending:", p.Len(), "next nonce:", p.NextNonce(alice.Address()))
	// Output:
	// nonce 0, 600000: pending
	// nonce 0, 600000: already pending
	// nonce 0, 100: refused by rule bad-nonce
	//     bad-nonce: have 0, want 1 (nonce 0 is pending)
	// nonce 2, 100: refused by rule bad-nonce
	//     bad-nonce: have 2, want 1 (nonce 0 is pending)
	// nonce 1, 500000: refused by rule insufficient-funds
	//     insufficient-funds: have 399999 (balance 1000000 − pending 600001), want ≥ 500001 (amount 500000 + fee 1)
	// nonce 1, 300000: pending
	// pending: 2 next nonce: 2
}

// With Policy.Order HighestFee, Candidates offers the richest fees first,
// but never a sender's transfer before its earlier nonces: alice's fee
// of 9 waits for her fee of 1. The list applies on the chain as it is.
func ExamplePool_Candidates() {
	chain := consensustest.NewChain(consensustest.NewFaker())
	policy := pool.DefaultPolicy()
	policy.Order = pool.HighestFee
	p, err := pool.New(pool.Config{Policy: policy, Chain: chain})
	if err != nil {
		fmt.Println(err)
		return
	}
	names := map[blockchain.Address]string{}
	for _, name := range consensustest.Accounts {
		names[consensustest.Addr(name)] = name
	}

	for _, tx := range []blockchain.Transaction{
		consensustest.TransferFee("alice", "bob", 10, 1, 0),
		consensustest.TransferFee("alice", "bob", 10, 9, 1),
		consensustest.TransferFee("bob", "carol", 10, 5, 0),
		consensustest.TransferFee("carol", "dave", 10, 2, 0),
	} {
		if err := p.Add(tx); err != nil {
			fmt.Println(err)
		}
	}

	txs := p.Candidates(policy.MaxTx)
	for _, tx := range txs {
		fmt.Printf("%s nonce %d fee %d\n", names[tx.From()], tx.Nonce(), tx.Fee())
	}
	_, rejected, err := chain.Propose(consensustest.Addr("miner"), txs, blockchain.GenesisTime.Add(time.Second))
	fmt.Println("left out of the block:", len(rejected), err)
	// Output:
	// bob nonce 0 fee 5
	// carol nonce 0 fee 2
	// alice nonce 0 fee 1
	// alice nonce 1 fee 9
	// left out of the block: 0 <nil>
}

// Another node's block carries a different transfer alice signed for her
// nonce 0, which spends most of her funds: RemoveBlock drops her pending
// transfers, each with the rule it now breaks.
func ExamplePool_RemoveBlock() {
	engine := consensustest.NewFaker()
	chain := consensustest.NewChain(engine)
	p, err := pool.New(pool.Config{Chain: chain})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tx := range []blockchain.Transaction{
		consensustest.Transfer("alice", "bob", 500_000, 0),
		consensustest.Transfer("alice", "bob", 400_000, 1),
		consensustest.Transfer("alice", "bob", 1, 2),
		consensustest.Transfer("carol", "bob", 1, 0),
	} {
		if err := p.Add(tx); err != nil {
			fmt.Println(err)
		}
	}

	blocks, err := consensustest.GenerateChain(context.Background(), engine, chain, 1, func(_ int, g *consensustest.BlockGen) {
		g.AddTx(consensustest.Transfer("alice", "dave", 900_000, 0))
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	removed, dropped := p.RemoveBlock(blocks[0])

	fmt.Println("removed:", removed)
	for _, d := range dropped {
		var re *blockchain.RuleError
		errors.As(d.Err, &re)
		fmt.Printf("dropped nonce %d, %d: %v\n", d.Tx.Nonce(), d.Tx.Amount(), re)
	}
	fmt.Println("still pending:", p.Len())
	// Output:
	// removed: 0
	// dropped nonce 0, 500000: bad-nonce: have 0, want 1
	// dropped nonce 1, 400000: insufficient-funds: have 100000 (balance 100000 − pending 0), want ≥ 400000 (amount 400000 + fee 0)
	// dropped nonce 2, 1: bad-nonce: have 2, want 1
	// still pending: 1
}

// A miner asks Due when the next block should be cut and sets a timer for
// it; Ready says whether that moment has come. A cut is due when the oldest
// pending transaction has waited Policy.MaxWait, or at once when
// Policy.MaxTx are pending, however young they are.
func ExamplePool_Due() {
	now := time.Date(2026, time.January, 2, 3, 4, 5, 0, time.UTC)
	policy := pool.DefaultPolicy()
	policy.MaxTx = 3
	policy.MaxWait = 10 * time.Second
	chain := consensustest.NewChain(consensustest.NewFaker())
	p, err := pool.New(pool.Config{Policy: policy, Chain: chain, Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	add := func(from string) {
		tx := consensustest.Transfer(from, "carol", 1, p.NextNonce(consensustest.Addr(from)))
		if err := p.Add(tx); err != nil {
			fmt.Println(err)
		}
	}
	report := func() {
		due, ok := p.Due()
		if !ok {
			fmt.Printf("%d pending, nothing due, ready: %t\n", p.Len(), p.Ready())
			return
		}
		fmt.Printf("%d pending, due in %v, ready: %t\n", p.Len(), due.Sub(now), p.Ready())
	}

	report()
	add("alice") // a lone transaction: due MaxWait after it arrived
	report()
	now = now.Add(4 * time.Second)
	add("alice") // the oldest still decides
	report()
	now = now.Add(6 * time.Second) // the oldest has waited MaxWait
	report()

	// A miner took those two (Remove here; a node calls RemoveBlock once
	// their block is in the chain). Three of bob's arrive together.
	for _, tx := range p.PendingOf(consensustest.Addr("alice")) {
		p.Remove(tx.ID())
	}
	report()
	add("bob")
	add("bob")
	report()
	add("bob") // MaxTx pending: due at once, though none has waited
	report()
	// Output:
	// 0 pending, nothing due, ready: false
	// 1 pending, due in 10s, ready: false
	// 2 pending, due in 6s, ready: false
	// 2 pending, due in 0s, ready: true
	// 0 pending, nothing due, ready: false
	// 2 pending, due in 10s, ready: false
	// 3 pending, due in 0s, ready: true
}

// An app takes the candidate order as a flag: the Order reads and writes
// "fifo" and "fee".
func ExampleOrder() {
	var order pool.Order
	if err := order.UnmarshalText([]byte("fee")); err != nil {
		fmt.Println(err)
	}
	fmt.Println(order == pool.HighestFee, order)

	err := order.UnmarshalText([]byte("cheapest"))
	fmt.Println(err)
	fmt.Println(errors.Is(err, pool.ErrInvalidConfig), order)
	// Output:
	// true fee
	// pool: invalid pool config: order: have "cheapest", want "fifo" or "fee"
	// true fee
}
