package miner_test

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// A bank and a miner on one in-memory log: the bank submits a payment, the
// miner puts it in a block, and the bank's node sees it included.
func Example() {
	log := memlog.New(memlog.Config{})
	defer log.Close()
	newNode := func() *node.Node {
		engine, _ := pow.New(pow.Config{Bits: 12})
		policy := pool.DefaultPolicy()
		policy.MaxWait = 0 // cut a block as soon as anything is pending
		n, _ := node.New(node.Config{Log: log, Engine: engine, Policy: policy})
		return n
	}
	bank, mine := newNode(), newNode()
	m, _ := miner.New(miner.Config{Node: mine, ID: "miner-1"})

	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	g.Go(func() error { return bank.Follow(ctx) })
	g.Go(func() error { return mine.Follow(ctx) })
	g.Go(func() error { return m.Run(ctx) })

	tx := blockchain.NewTransaction([16]byte{1}, "alice", "bob", 125, time.Now())
	if err := bank.SubmitTransaction(ctx, tx); err != nil {
		panic(err)
	}
	for {
		changed := bank.Changed()
		if in, ok := bank.Chain().Inclusion(tx.ID()); ok {
			fmt.Println("included at height", in.Height)
			break
		}
		<-changed
	}
	cancel()
	_ = g.Wait()
	fmt.Println("blocks won:", m.Stats().BlocksWon)
	// Output:
	// included at height 1
	// blocks won: 1
}
