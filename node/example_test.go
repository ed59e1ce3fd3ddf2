package node_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// Two miners seal a block on the same tip; the log lets the first append
// in and tells the second it lost.
func ExampleNode_PublishBlock() {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	alice, _ := node.New(node.Config{Log: log, Engine: consensustest.NewFaker()})
	bob, _ := node.New(node.Config{Log: log, Engine: consensustest.NewFaker()})

	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	blockA := blockchain.NewBlock(blockchain.NextHeader(blockchain.Genesis().Header(), nil, at), nil)
	blockB := blockchain.NewBlock(blockchain.NextHeader(blockchain.Genesis().Header(), nil, at.Add(time.Second)), nil)

	fmt.Println("alice:", alice.PublishBlock(ctx, blockA, "alice"))
	err := bob.PublishBlock(ctx, blockB, "bob")
	fmt.Println("bob lost:", errors.Is(err, node.ErrStale))

	// Bob catches up, and sees alice's block at the tip.
	if err := bob.Restore(ctx, node.RestoreVerify); err != nil {
		panic(err)
	}
	fmt.Println("bob's tip is alice's block:", bob.Chain().TipHash() == blockA.Hash())
	// Output:
	// alice: <nil>
	// bob lost: true
	// bob's tip is alice's block: true
}

// Restore rebuilds the pool as submitted − included.
func ExampleNode_Restore() {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	writer, _ := node.New(node.Config{Log: log, Engine: consensustest.NewFaker()})
	for i := range 3 {
		_ = writer.SubmitTransaction(ctx, consensustest.Transfer(fmt.Sprint("tx ", i), "alice", "bob", 10))
	}

	restored, _ := node.New(node.Config{Log: log, Engine: consensustest.NewFaker()})
	if err := restored.Restore(ctx, node.RestoreVerify); err != nil {
		panic(err)
	}
	blocks, txs := restored.Position()
	fmt.Println("pending:", restored.Pool().Len(), "read:", blocks, "block events,", txs, "transaction events")
	// Output: pending: 3 read: 0 block events, 3 transaction events
}
