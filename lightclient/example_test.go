package lightclient_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/lightclient"
)

// A client that trusts only the genesis follows a proof-of-work chain by
// its headers, refuses a forged one, and checks that a payment is in a
// block.
func Example() {
	engine, _ := pow.New(pow.Config{Bits: 8, Workers: 1})
	blocks, _ := consensustest.GenerateChain(context.Background(), engine, blockchain.HeaderList{blockchain.Genesis().Header()}, 3,
		func(i int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", int64(100*(i+1))) })

	client, _ := lightclient.New(lightclient.Config{
		Genesis: blockchain.Genesis().Hash(), // the trust anchor
		Engine:  engine,
		Now:     func() time.Time { return time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
	fmt.Println(client.Add(blockchain.Genesis().Header(), blocks[0].Header(), blocks[1].Header()))

	forged := blocks[2].Header()
	forged.Nonce++ // another nonce: the work no longer holds
	for forged.SealHash().LeadingZeroBits() >= 8 {
		forged.Nonce++
	}
	err := client.Add(forged)
	fmt.Println(errors.Is(err, blockchain.ErrInvalidSeal), client.Len())
	fmt.Println(client.Add(blocks[2].Header()), client.Len())

	payment := blocks[1].Transactions()[0]
	proof, _ := blocks[1].InclusionProof(0)
	fmt.Println(client.VerifyTransaction(payment, 2, proof))
	fmt.Println(errors.Is(client.VerifyTransaction(payment, 3, proof), blockchain.ErrProofMismatch))
	fmt.Println(errors.Is(client.VerifyTransaction(payment, 4, proof), lightclient.ErrNotVerified))
	// Output:
	// <nil>
	// true 3
	// <nil> 4
	// <nil>
	// true
	// true
}
