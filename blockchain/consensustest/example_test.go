package consensustest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// Build a three-block chain without proof of work, and watch a chain
// refuse the block a failing engine rejects.
func ExampleNewFailer() {
	genesis := blockchain.HeaderList{blockchain.Genesis().Header()}
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), genesis, 3,
		func(i int, g *consensustest.BlockGen) {
			g.AddTransfer("alice", "bob", int64(10*(i+1)))
		})
	if err != nil {
		panic(err)
	}

	chain, _ := blockchain.NewChain(blockchain.Config{
		Engine: consensustest.NewFailer(3),
		Now:    func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
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
