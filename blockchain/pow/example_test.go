package pow_test

import (
	"context"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/pow"
)

// Mine one block on top of genesis, then check it the way every node would.
func ExampleEngine() {
	engine, err := pow.New(pow.Config{Bits: 16, Workers: 1}) // one worker: the same nonce every run
	if err != nil {
		panic(err)
	}
	parent := blockchain.HeaderList{blockchain.Genesis().Header()}
	h := blockchain.NextHeader(parent.Tip(), nil, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if err := engine.Prepare(parent, &h); err != nil {
		panic(err)
	}
	sealed, err := engine.Seal(context.Background(), blockchain.NewBlock(h, nil))
	if err != nil {
		panic(err)
	}
	fmt.Println("bits:", sealed.Header().Bits)
	fmt.Println("nonce:", sealed.Header().Nonce)
	fmt.Println("hash:", sealed.Hash().Short()+"…")
	fmt.Println("hashes tried:", engine.Hashes())
	fmt.Println("verify:", engine.Verify(parent, sealed))
	// Output:
	// bits: 16
	// nonce: 6770
	// hash: 000074716237…
	// hashes tried: 6771
	// verify: <nil>
}

// A miner whose block lost the race cancels its Seal; the engine stops at once.
func ExampleEngine_Seal_cancel() {
	engine, _ := pow.New(pow.Config{Bits: 60}) // far too hard to finish
	parent := blockchain.HeaderList{blockchain.Genesis().Header()}
	h := blockchain.NextHeader(parent.Tip(), nil, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	_ = engine.Prepare(parent, &h)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := engine.Seal(ctx, blockchain.NewBlock(h, nil))
	fmt.Println(err)
	// Output: context deadline exceeded
}

// Retargeting: blocks came four times faster than the target, so the next
// epoch needs two more zero bits.
func ExampleEngine_BitsAt() {
	engine, _ := pow.New(pow.Config{Bits: 10, RetargetInterval: 5, TargetBlockTime: 10 * time.Second})
	chain := blockchain.HeaderList{blockchain.Genesis().Header()}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for height := uint64(1); height <= 5; height++ {
		// 2.5 s apart instead of 10 s.
		chain = append(chain, blockchain.Header{Version: 1, Height: height, Bits: 10, Timestamp: start.Add(time.Duration(height) * 2500 * time.Millisecond)})
	}
	bits, _ := engine.BitsAt(chain, 6)
	fmt.Println(bits)
	// Output: 12
}
