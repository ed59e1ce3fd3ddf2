package miner_test

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// A bank and a miner on one in-memory log: the bank submits a payment, the
// miner puts it in a block, and the bank's node sees it included, and the
// miner's account paid the block reward and the fee.
func Example() {
	log := memlog.New(memlog.Config{})
	defer log.Close()
	newNode := func() *node.Node {
		engine, _ := pow.New(pow.Config{Bits: 12})
		// The test kit's spec (every test account holds 1 000 000; a block
		// earns 50), declaring the engine's proof of work at 12 bits.
		spec := consensustest.SpecOf(engine)
		policy := pool.DefaultPolicy()
		policy.MaxWait = 0 // cut a block as soon as anything is pending
		n, _ := node.New(node.Config{Log: log, Spec: spec, Engine: engine, Policy: policy})
		return n
	}
	bank, mine := newNode(), newNode()
	paid := consensustest.Addr("miner-1's wallet")
	m, _ := miner.New(miner.Config{Node: mine, ID: "miner-1", Beneficiary: paid})

	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	g.Go(func() error { return bank.Follow(ctx) })
	g.Go(func() error { return mine.Follow(ctx) })
	g.Go(func() error { return m.Run(ctx) })

	alice := consensustest.Addr("alice")
	tx := consensustest.TransferFee("alice", "bob", 125, 3, 0) // alice's first transfer: nonce 0
	if err := bank.SubmitTransaction(ctx, tx); err != nil {
		panic(err)
	}
	for {
		changed := bank.Changed()
		if bank.Chain().Account(alice).Nonce > tx.Nonce() {
			b, _ := bank.Chain().BlockAt(bank.Chain().Height())
			fmt.Println("included at height", b.Height(), "with", b.Len(), "transaction")
			break
		}
		<-changed
	}
	cancel()
	_ = g.Wait()
	fmt.Println("blocks won:", m.Stats().BlocksWon)
	fmt.Println("alice:", bank.Chain().Account(alice).Balance)
	fmt.Println("miner-1 earned:", bank.Chain().Account(paid).Balance)
	// Output:
	// included at height 1 with 1 transaction
	// blocks won: 1
	// alice: 999872
	// miner-1 earned: 53
}
