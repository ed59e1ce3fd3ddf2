package pow_test

import (
	"context"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
)

// Mine one block on top of genesis, then check it the way every node
// would. The chain proposes the block (links, state root, the engine's
// Prepare sets Bits); the engine seals it; Verify costs one hash.
func ExampleEngine() {
	engine, err := pow.New(pow.Config{Bits: 16, Workers: 1}) // one worker: the same nonce every run
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	// consensustest's spec, declaring this engine's proof of work at 16
	// bits: NewChain refuses an engine that runs another consensus than
	// its spec's.
	cfg := consensustest.Config(engine)
	cfg.Now = func() time.Time { return now }
	chain, err := blockchain.NewChain(cfg)
	if err != nil {
		panic(err)
	}
	block, _, err := chain.Propose(consensustest.Addr("miner"), nil, now)
	if err != nil {
		panic(err)
	}
	sealed, err := engine.Seal(context.Background(), block)
	if err != nil {
		panic(err)
	}
	fmt.Println("bits:", sealed.Header().Bits)
	fmt.Println("nonce:", sealed.Header().Nonce)
	fmt.Println("hash:", sealed.Hash().Short()+"…")
	fmt.Println("hashes tried:", engine.Hashes())
	fmt.Println("verify:", engine.Verify(chain, sealed))
	fmt.Println("apply:", chain.Apply(sealed))
	// Output:
	// bits: 16
	// nonce: 74023
	// hash: 00007251a653…
	// hashes tried: 74024
	// verify: <nil>
	// apply: <nil>
}

// A miner whose block lost the race cancels its Seal; the engine stops at once.
func ExampleEngine_Seal_cancel() {
	engine, _ := pow.New(pow.Config{Bits: 60}) // far too hard to finish
	parent := blockchain.HeaderList{consensustest.Genesis().Header()}
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
	chain := blockchain.HeaderList{consensustest.Genesis().Header()}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for height := uint64(1); height <= 5; height++ {
		// 2.5 s apart instead of 10 s.
		chain = append(chain, blockchain.Header{Version: blockchain.HeaderVersion, Height: height, Bits: 10, Timestamp: start.Add(time.Duration(height) * 2500 * time.Millisecond)})
	}
	bits, _ := engine.BitsAt(chain, 6)
	fmt.Println(bits)
	// Output: 12
}
