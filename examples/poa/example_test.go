package poa_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/poa"
)

// Two signers take turns: alice seals odd heights, bob even ones. The
// chain spec names them; every node makes its engine from the spec.
func Example() {
	alice := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	bob := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), 1))
	spec := blockchain.ChainSpec{
		ChainID: "eventchain-poa",
		Consensus: blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{Signers: []blockchain.PublicKey{
			blockchain.PublicKey(alice.Public().(ed25519.PublicKey)),
			blockchain.PublicKey(bob.Public().(ed25519.PublicKey)),
		}}},
	}
	aliceEngine, _ := poa.FromSpec(*spec.Consensus.PoA, alice)
	verifier, _ := poa.FromSpec(*spec.Consensus.PoA, nil)
	chain, err := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: verifier})
	if err != nil {
		panic(err)
	}

	// The chain proposes block 1, paying alice; alice seals it.
	payee := blockchain.AddressOf(spec.Consensus.PoA.Signers[0])
	unsealed, _, _ := chain.Propose(payee, nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	sealed, err := aliceEngine.Seal(context.Background(), unsealed)
	if err != nil {
		panic(err)
	}
	fmt.Println("turn at height 1:", verifier.Turn(1), "at height 2:", verifier.Turn(2))
	fmt.Println("seal:", len(sealed.Header().Seal), "bytes, signer", sealed.Header().Seal[0])
	// Alice signed the seal hash, which leaves the seal out; the block
	// hash, its name, covers the seal.
	fmt.Println("signed the seal hash of the unsealed block:", sealed.SealHash() == unsealed.SealHash())
	fmt.Println("block hash is the seal hash:", sealed.Hash() == sealed.SealHash())
	fmt.Println("apply:", chain.Apply(sealed))
	// Output:
	// turn at height 1: 0 at height 2: 1
	// seal: 65 bytes, signer 0
	// signed the seal hash of the unsealed block: true
	// block hash is the seal hash: false
	// apply: <nil>
}
