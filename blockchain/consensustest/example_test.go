package consensustest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// Build a three-block chain without proof of work, and watch a chain
// refuse the block a failing engine rejects.
func ExampleNewFailer() {
	source := consensustest.NewChain(consensustest.NewFaker())
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), source, 3,
		func(i int, g *consensustest.BlockGen) {
			g.AddTransfer("alice", "bob", int64(10*(i+1)))
		})
	if err != nil {
		panic(err)
	}

	chain := consensustest.NewChain(consensustest.NewFailer(3))
	for _, b := range blocks {
		err := chain.Apply(b)
		fmt.Printf("height %d: %d tx, rejected: %v\n", b.Height(), b.Len(), errors.Is(err, blockchain.ErrInvalidSeal))
	}
	fmt.Println("tip:", chain.Height())
	// Output:
	// height 1: 1 tx, rejected: false
	// height 2: 1 tx, rejected: false
	// height 3: 1 tx, rejected: true
	// tip: 2
}

// GenerateChain fills, proposes, seals and applies blocks: here alice
// pays bob in each of three blocks, the nonces counted for her, and the
// miner earns the block reward three times.
func ExampleGenerateChain() {
	chain := consensustest.NewChain(consensustest.NewFaker())
	_, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), chain, 3,
		func(i int, g *consensustest.BlockGen) {
			g.AddTransfer("alice", "bob", 100)
			if i == 2 {
				g.AddTransfer("alice", "carol", 1)
			}
		})
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"alice", "bob", "carol", "miner"} {
		fmt.Printf("%-5s %+v\n", name, chain.Account(consensustest.Addr(name)))
	}
	// Output:
	// alice {Balance:999699 Nonce:4}
	// bob   {Balance:1000300 Nonce:0}
	// carol {Balance:1000001 Nonce:0}
	// miner {Balance:1000150 Nonce:0}
}

// The fixed cases name the rule each bad block breaks.
func ExampleChainCases() {
	for _, c := range consensustest.ChainCases()[:4] {
		fmt.Printf("%-26s %v\n", c.Name, c.Want)
	}
	// Output:
	// extends genesis            unknown
	// empty block                unknown
	// prev hash is not the tip   prev-hash-mismatch
	// prev hash is genesis       prev-hash-mismatch
}
