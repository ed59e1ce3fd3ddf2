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

// Two miners propose and seal a block on the same tip; the log lets the
// first append in and tells the second it lost.
func ExampleNode_PublishBlock() {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	engine := consensustest.NewFaker()
	cfg := node.Config{Log: log, Spec: consensustest.Spec(), Engine: engine}
	alice, _ := node.New(cfg)
	bob, _ := node.New(cfg)

	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	proposeAndSeal := func(n *node.Node, beneficiary string, at time.Time) *blockchain.Block {
		b, _, err := n.Propose(consensustest.Addr(beneficiary), nil, at)
		if err != nil {
			panic(err)
		}
		sealed, err := engine.Seal(ctx, b)
		if err != nil {
			panic(err)
		}
		return sealed
	}
	blockA := proposeAndSeal(alice, "alice", at)
	blockB := proposeAndSeal(bob, "bob", at.Add(time.Second))

	fmt.Println("alice:", alice.PublishBlock(ctx, blockA, "alice"))
	err := bob.PublishBlock(ctx, blockB, "bob")
	fmt.Println("bob lost:", errors.Is(err, node.ErrStale))

	// Bob catches up, and sees alice's block at the tip, and her reward.
	if err := bob.Restore(ctx, node.RestoreVerify); err != nil {
		panic(err)
	}
	fmt.Println("bob's tip is alice's block:", bob.Chain().TipHash() == blockA.Hash())
	fmt.Println("alice's balance:", bob.Chain().Account(consensustest.Addr("alice")).Balance)
	// Output:
	// alice: <nil>
	// bob lost: true
	// bob's tip is alice's block: true
	// alice's balance: 1000050
}

// Restore rebuilds the pool as submitted − included. The writer submits
// three transfers of alice's one after the other, with nonces 0, 1 and 2:
// each passes the pool's nonce check because the one before joined the
// writer's pool as it was submitted. A block then includes the first, so
// a node restored from the log holds the other two pending.
func ExampleNode_Restore() {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	engine := consensustest.NewFaker()
	cfg := node.Config{Log: log, Spec: consensustest.Spec(), Engine: engine}
	writer, _ := node.New(cfg)
	var sent []blockchain.Transaction
	for nonce := range uint64(3) {
		tx := consensustest.Transfer("alice", "bob", 10, nonce)
		if err := writer.SubmitTransaction(ctx, tx); err != nil {
			panic(err)
		}
		sent = append(sent, tx)
	}
	err := writer.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 10, 7))
	fmt.Println("a nonce gap:", errors.Is(err, blockchain.ErrBadNonce))

	block, _, _ := writer.Propose(consensustest.Addr("miner"), sent[:1], time.Now())
	sealed, _ := engine.Seal(ctx, block)
	if err := writer.PublishBlock(ctx, sealed, "miner-1"); err != nil {
		panic(err)
	}

	restored, _ := node.New(cfg)
	if err := restored.Restore(ctx, node.RestoreVerify); err != nil {
		panic(err)
	}
	blocks, txs := restored.Position()
	fmt.Println("pending:", restored.Pool().Len(), "read:", blocks, "block events,", txs, "transaction events")
	fmt.Println("included:", restored.Chain().Account(consensustest.Addr("alice")).Nonce,
		"alice's next nonce:", restored.Pool().NextNonce(consensustest.Addr("alice")))
	// Output:
	// a nonce gap: true
	// pending: 2 read: 1 block events, 3 transaction events
	// included: 1 alice's next nonce: 3
}

// The first app of a network declares its spec in the log; every app
// after it reads that spec, and one started with another spec is told
// what differs.
func ExampleLoadSpec() {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()

	_, err := node.LoadSpec(ctx, log, nil)
	fmt.Println("no spec yet:", errors.Is(err, node.ErrNoSpec))

	mine := consensustest.Spec()
	spec, err := node.LoadSpec(ctx, log, &mine) // declares it
	fmt.Println("declared:", spec.ChainID, err)

	spec, err = node.LoadSpec(ctx, log, nil) // reads it
	fmt.Println("read:", spec.ChainID, err)

	theirs := consensustest.Spec()
	theirs.BlockReward = 100
	_, err = node.LoadSpec(ctx, log, &theirs)
	fmt.Println(err)
	fmt.Println("mismatch:", errors.Is(err, node.ErrSpecMismatch))
	// Output:
	// no spec yet: true
	// declared: eventchain-test <nil>
	// read: eventchain-test <nil>
	// the log's chain spec differs from yours: blockReward: yours 100, the log's 50
	// mismatch: true
}

// A node that follows the log records a snapshot of its chain every so
// many blocks (Config.SnapshotEvery); a node restoring with
// RestoreSnapshot starts from the newest and applies only the blocks
// after it.
func ExampleNode_Restore_snapshot() {
	log := memlog.New(memlog.Config{})
	defer log.Close()
	engine := consensustest.NewFaker()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := node.Config{Log: log, Spec: consensustest.Spec(), Engine: engine, Now: func() time.Time { return at.Add(time.Hour) }}
	waitFor := func(n *node.Node, cond func() bool) {
		for {
			changed := n.Changed()
			if cond() {
				return
			}
			<-changed
		}
	}

	cfg.SnapshotEvery = 2
	writer, _ := node.New(cfg)
	ctx, stop := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- writer.Follow(ctx) }()
	for i := range 3 { // blocks 1, 2 and 3: a snapshot at 2
		tx := consensustest.Transfer("alice", "bob", 10, uint64(i))
		b, _, err := writer.Propose(consensustest.Addr("carol"), []blockchain.Transaction{tx}, at.Add(time.Duration(i+1)*time.Second))
		if err != nil {
			panic(err)
		}
		sealed, _ := engine.Seal(ctx, b)
		if err := writer.PublishBlock(ctx, sealed, "writer"); err != nil {
			panic(err)
		}
		waitFor(writer, func() bool { return writer.Chain().TipHash() == sealed.Hash() })
	}
	waitFor(writer, func() bool { return writer.SnapshotStats().Written == 1 })
	stop()
	<-followed

	cfg.SnapshotEvery = 0
	restored, _ := node.New(cfg)
	if err := restored.Restore(context.Background(), node.RestoreSnapshot); err != nil {
		panic(err)
	}
	stats := restored.SnapshotStats()
	fmt.Println("resumed from height:", stats.RestoredFrom)
	fmt.Println("height:", restored.Chain().Height(), "same tip:", restored.Chain().TipHash() == writer.Chain().TipHash())
	fmt.Println("alice:", restored.Chain().Account(consensustest.Addr("alice")))
	// Output:
	// resumed from height: 2
	// height: 3 same tip: true
	// alice: {999970 3}
}
