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

// A client that trusts only the genesis hash follows a proof-of-work chain
// by its headers, refuses a forged one, checks that a payment is in a
// block, and checks the payee's balance against a state root it verified.
func Example() {
	// A full node's chain of three blocks, alice paying bob in each, on a
	// network whose spec declares the engine's proof of work at 8 bits.
	engine, _ := pow.New(pow.Config{Bits: 8, Workers: 1})
	spec := consensustest.SpecOf(engine)
	full := consensustest.NewChain(engine)
	blocks, _ := consensustest.GenerateChain(context.Background(), engine, full, 3,
		func(i int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", int64(100*(i+1))) })

	// The client trusts one hash: the genesis of the network's spec.
	genesis, _ := spec.Genesis()
	client, _ := lightclient.New(lightclient.Config{
		Genesis: genesis.Hash(),
		Engine:  engine,
		Now:     func() time.Time { return time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
	fmt.Println(client.Add(genesis.Header(), blocks[0].Header(), blocks[1].Header()))

	forged := blocks[2].Header()
	forged.Nonce++ // another nonce: the work no longer holds
	for forged.SealHash().LeadingZeroBits() >= 8 {
		forged.Nonce++
	}
	err := client.Add(forged)
	fmt.Println(errors.Is(err, blockchain.ErrInvalidSeal), client.Len())
	fmt.Println(client.Add(blocks[2].Header()), client.Len())

	// A transaction in block 2: its proof climbs to the verified header's
	// Merkle root, and nowhere else.
	payment := blocks[1].Transactions()[0]
	proof, _ := blocks[1].InclusionProof(0)
	fmt.Println(client.VerifyTransaction(payment, 2, proof))
	fmt.Println(errors.Is(client.VerifyTransaction(payment, 3, proof), blockchain.ErrProofMismatch))
	fmt.Println(errors.Is(client.VerifyTransaction(payment, 4, proof), lightclient.ErrNotVerified))

	// Bob's account after block 3: its proof climbs to that header's state
	// root. A proof of block 2's state is no answer to "what now?".
	bob, _ := full.ProveAccount(consensustest.Addr("bob"), 3)
	fmt.Println(client.VerifyAccountAt(3, bob), bob.Account.Balance, bob.Account.Nonce)
	old, _ := full.ProveAccount(consensustest.Addr("bob"), 2)
	fmt.Println(errors.Is(client.VerifyAccountAt(3, old), blockchain.ErrProofHeight))
	// Output:
	// <nil>
	// true 3
	// <nil> 4
	// <nil>
	// true
	// true
	// <nil> 1000600 0
	// true
}

// A bank answers "what does bob hold?" with an account proof. The client
// checks it against the state root of a header whose work it verified
// itself, so a bank that raises a balance, or hides an account, is
// caught; a proof that an address has no account at all checks too.
func ExampleClient_VerifyAccount() {
	engine, _ := pow.New(pow.Config{Bits: 8, Workers: 1})
	bank := consensustest.NewChain(engine) // the bank's full chain: alice pays bob twice
	blocks, _ := consensustest.GenerateChain(context.Background(), engine, bank, 2,
		func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 250) })

	genesis, _ := consensustest.SpecOf(engine).Genesis() // the genesis of the bank's network
	client, _ := lightclient.New(lightclient.Config{
		Genesis: genesis.Hash(),
		Engine:  engine,
		Now:     func() time.Time { return time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
	if err := client.Add(genesis.Header(), blocks[0].Header(), blocks[1].Header()); err != nil {
		panic(err)
	}

	honest, _ := bank.ProveAccount(consensustest.Addr("bob"), 2)
	fmt.Printf("bob %+v: %v\n", honest.Account, client.VerifyAccountAt(2, honest))

	raised := honest
	raised.Account.Balance += 1_000
	fmt.Println("a raised balance refused:", errors.Is(client.VerifyAccountAt(2, raised), blockchain.ErrProofMismatch))

	hidden := honest
	hidden.Account = blockchain.Account{} // "bob has no account"
	fmt.Println("a hidden account refused:", errors.Is(client.VerifyAccountAt(2, hidden), blockchain.ErrProofMismatch))

	zoe, _ := bank.ProveAccount(consensustest.Addr("zoe"), 2) // never paid anything
	fmt.Println("zoe has no account:", zoe.Account.IsZero(), client.VerifyAccountAt(2, zoe))
	// Output:
	// bob {Balance:1000500 Nonce:0}: <nil>
	// a raised balance refused: true
	// a hidden account refused: true
	// zoe has no account: true <nil>
}
