package poa_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/poa"
)

// Two signers take turns: alice seals odd heights, bob even ones.
func Example() {
	alice := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	bob := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), 1))
	signers := []ed25519.PublicKey{alice.Public().(ed25519.PublicKey), bob.Public().(ed25519.PublicKey)}
	aliceEngine, _ := poa.New(signers, alice)
	verifier, _ := poa.New(signers, nil)

	parent := blockchain.HeaderList{blockchain.Genesis().Header()}
	h := blockchain.NextHeader(parent.Tip(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	_ = aliceEngine.Prepare(parent, &h)
	sealed, err := aliceEngine.Seal(context.Background(), blockchain.NewBlock(h, nil))
	if err != nil {
		panic(err)
	}
	fmt.Println("turn at height 1:", verifier.Turn(1), "at height 2:", verifier.Turn(2))
	fmt.Println("seal:", len(sealed.Header().Seal), "bytes, signer", sealed.Header().Seal[0])
	// Alice signed the seal hash, which leaves the seal out; the block
	// hash, its name, covers the seal.
	fmt.Println("signed the seal hash of the unsealed block:", sealed.SealHash() == blockchain.NewBlock(h, nil).SealHash())
	fmt.Println("block hash is the seal hash:", sealed.Hash() == sealed.SealHash())
	fmt.Println("verify:", verifier.Verify(parent, sealed))
	// Output:
	// turn at height 1: 0 at height 2: 1
	// seal: 65 bytes, signer 0
	// signed the seal hash of the unsealed block: true
	// block hash is the seal hash: false
	// verify: <nil>
}
