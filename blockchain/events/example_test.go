package events_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

// exampleBlock returns block 1 of a chain of consensustest's spec, made
// with the fake engine, holding one signed transfer from alice to bob: the
// same block on every run.
func exampleBlock() *blockchain.Block {
	engine := consensustest.NewFaker()
	blocks, err := consensustest.GenerateChain(context.Background(), engine, consensustest.NewChain(engine), 1,
		func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 125) })
	if err != nil {
		panic(err)
	}
	return blocks[0]
}

// A miner encodes the block it sealed. The event's ID comes from the block
// hash, so encoding it again — for a retried append — gives the same ID.
func Example() {
	block := exampleBlock()

	ev, err := events.Encode(events.BlockMined{Block: block, MinerID: "miner-1"})
	if err != nil {
		panic(err)
	}
	again, _ := events.Encode(events.BlockMined{Block: block, MinerID: "miner-1"})

	fmt.Println("type:", ev.Type)
	fmt.Println("id:  ", ev.ID)
	fmt.Println("same id on retry:", again.ID == ev.ID)
	fmt.Printf("data: %.40s…\n", ev.Data)
	// Output:
	// type: BlockMined
	// id:   d475f426-724a-5302-b4c5-5634e6f8584c
	// same id on retry: true
	// data: {"v":1,"height":1,"hash":"eef4ee95913077…
}

// A node decodes what it reads from the log and type-switches on the
// payload. Recorded events are decoded through their envelope, r.Event.
func ExampleDecode() {
	block := exampleBlock()
	tx := block.Transaction(0)
	var log []eventlog.Recorded // what a subscription would deliver
	for i, p := range []events.Payload{
		events.TransactionSubmitted{Tx: tx},
		events.BlockMined{Block: block, MinerID: "miner-1"},
		events.TransactionVerified{TxID: tx.ID(), BlockHash: block.Hash(), Height: block.Height()},
	} {
		ev, err := events.Encode(p)
		if err != nil {
			panic(err)
		}
		log = append(log, eventlog.Recorded{Event: ev, Revision: eventlog.Revision(i)})
	}

	for _, r := range log {
		p, err := events.Decode(r.Event)
		if err != nil {
			fmt.Println("skip:", err)
			continue
		}
		switch ev := p.(type) {
		case events.TransactionSubmitted:
			fmt.Println("to the pool:", ev.Tx)
		case events.BlockMined:
			fmt.Println("to the chain:", ev.Block, "by", ev.MinerID)
		case events.TransactionVerified:
			fmt.Printf("tx %s included at height %d\n", ev.TxID, ev.Height)
		}
	}
	// Output:
	// to the pool: tx 4c0fbd6e-b72c-80b6-b95e-9194d5beee69 ec3e13bbbe→ec6d1f61a2 125 fee 0 nonce 0
	// to the chain: block 1 eef4ee959130 (1 txs) by miner-1
	// tx 4c0fbd6e-b72c-80b6-b95e-9194d5beee69 included at height 1
}

// Decode refuses an event it did not write, and says why; test the reason
// with errors.Is.
func ExampleDecode_errors() {
	block := exampleBlock()
	ev, _ := events.Encode(events.TransactionVerified{TxID: block.Transaction(0).ID(), BlockHash: block.Hash(), Height: 1})

	for _, bad := range []eventlog.Event{
		{ID: ev.ID, Type: "TransactionAudited", Data: ev.Data},
		{ID: ev.ID, Type: ev.Type, Data: []byte(`{"v":2}`)},
		{ID: ev.ID, Type: ev.Type, Data: []byte(`{"v":1,"height":1}`)},
		{ID: uuid.NewSHA1(events.Namespace, []byte("another event")), Type: ev.Type, Data: ev.Data},
	} {
		_, err := events.Decode(bad)
		switch {
		case errors.Is(err, events.ErrUnknownType):
			fmt.Println("unknown type:", err)
		case errors.Is(err, events.ErrSchemaVersion):
			fmt.Println("schema version:", err)
		case errors.Is(err, events.ErrMalformed):
			fmt.Println("malformed:", err)
		case errors.Is(err, events.ErrIDMismatch):
			fmt.Println("ID mismatch:", err)
		}
	}
	// Output:
	// unknown type: decode "TransactionAudited": unknown event type
	// schema version: decode TransactionVerified: unsupported schema version: have 2, want 1
	// malformed: decode TransactionVerified: malformed event: no "txId" field
	// ID mismatch: decode TransactionVerified: event ID does not match its content: have 2f8630cc-3cf5-5543-9432-1f670e0df26b, want 30eb73d2-fa38-5847-a2d2-1cfb81333ee7
}

// A node that rejects a block records which rule it broke. Every node that
// rejects the same block for the same rule encodes the same event ID, so
// the audit stream keeps the rejection once.
func ExampleBlockRejected() {
	cfg := consensustest.Config(consensustest.NewFaker())
	cfg.Now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	chain, err := blockchain.NewChain(cfg)
	if err != nil {
		panic(err)
	}
	block := exampleBlock()
	h := block.Header()
	h.MerkleRoot = blockchain.Hash{} // commits to no transactions, but it holds one
	forged := blockchain.NewBlock(h, block.Transactions())

	err = chain.Apply(forged)
	var re *blockchain.RuleError
	if !errors.As(err, &re) {
		panic(err)
	}
	rejected := events.BlockRejected{BlockHash: forged.Hash(), Height: forged.Height(), Rule: re.Code, Reason: err.Error()}
	fromNode1, _ := events.Encode(rejected)
	rejected.Reason = "node 2 words it differently"
	fromNode2, _ := events.Encode(rejected)

	fmt.Println("rule:", rejected.Rule)
	fmt.Println("one event:", fromNode1.ID == fromNode2.ID)

	p, _ := events.Decode(fromNode1)
	fmt.Println("the rule back:", errors.Is(p.(events.BlockRejected).Rule, blockchain.ErrBadMerkleRoot))
	// Output:
	// rule: bad-merkle-root
	// one event: true
	// the rule back: true
}

// The first app of a network declares its chain spec, once: the append
// expects no stream, so of two apps racing to declare, one wins. The
// event's ID comes from the spec's hash, so a retried declaration, or
// another app's of the same spec, is the same event.
func ExampleChainSpecDeclared() {
	spec := consensustest.Spec()
	ev, err := events.Encode(events.ChainSpecDeclared{Spec: spec})
	if err != nil {
		panic(err)
	}
	fmt.Println("stream:", events.StreamChainSpec)
	fmt.Println("type:  ", ev.Type)
	fmt.Println("id:    ", ev.ID)
	fmt.Printf("data:   %.60s…\n", ev.Data)

	// What every other app does: read it, and compare with its own.
	p, err := events.Decode(ev)
	if err != nil {
		panic(err)
	}
	logged := p.(events.ChainSpecDeclared).Spec
	mine := consensustest.Spec()
	mine.BlockReward = 100
	fmt.Println("same spec:", logged.Hash() == spec.Hash())
	fmt.Println("mine differs:", mine.Diff(logged))
	// Output:
	// stream: chain-spec
	// type:   ChainSpecDeclared
	// id:     8a06dd5d-86c2-5af8-9a87-397b11f7fab4
	// data:   {"v":1,"hash":"af246484d862e39fc6d2b0dfb47490dc833cce9bd8870…
	// same spec: true
	// mine differs: blockReward: have 100, want 50
}

// A block can make a pending transaction invalid: here alice's second
// transfer with nonce 0 lost to her first, which a block included. The
// auditor records the drop with the rule, by name, for the bank to tell
// its client why.
func ExampleTransactionDropped() {
	first := consensustest.Transfer("alice", "bob", 125, 0)
	second := consensustest.Transfer("alice", "carol", 10, 0) // the same nonce
	engine := consensustest.NewFaker()
	chain := consensustest.NewChain(engine)
	if _, err := consensustest.GenerateChain(context.Background(), engine, chain, 1,
		func(_ int, g *consensustest.BlockGen) { g.AddTx(first) }); err != nil {
		panic(err)
	}
	err := chain.CheckTransaction(second)
	var re *blockchain.RuleError
	if !errors.As(err, &re) {
		panic(err)
	}
	ev, err := events.Encode(events.TransactionDropped{TxID: second.ID(), Rule: re.Code, Reason: err.Error()})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", ev.Data)

	gaveUp, _ := events.Encode(events.TransactionDropped{TxID: second.ID(), Reason: "not included after 5 rebroadcasts", Attempts: 5})
	p, _ := events.Decode(gaveUp)
	fmt.Println("gave up, no rule:", p.(events.TransactionDropped).Rule == blockchain.ErrUnknown)
	fmt.Println("one drop, one ID:", gaveUp.ID == ev.ID)
	// Output:
	// {"v":1,"txId":"a1b0ef07-d370-8edb-89fd-8b624da32be0","rule":"bad-nonce","reason":"bad-nonce: have 0, want 1","attempts":0}
	// gave up, no rule: true
	// one drop, one ID: true
}

// A node records a snapshot of its chain: the accounts after the tip in
// parts, then the manifest naming them. Here the parts hold at most
// three accounts, so the eight accounts of the test network take three;
// a node's parts hold up to events.MaxSnapshotPartAccounts. Every node
// that records the same snapshot writes the same event IDs.
func ExampleSnapshotParts() {
	block := exampleBlock()
	engine := consensustest.NewFaker()
	chain := consensustest.NewChain(engine)
	if err := chain.Apply(block); err != nil {
		panic(err)
	}
	snap := chain.Snapshot(1024)

	parts := events.SnapshotParts(block.Height(), block.Hash(), snap.Accounts, 3)
	for _, p := range parts {
		ev, err := events.Encode(p)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %d of %d: %d accounts, %d bytes\n", ev.Type, p.Part, p.Parts, len(p.Accounts), len(ev.Data))
	}
	manifest, err := events.FitSnapshotTaken(events.SnapshotTaken{
		Height: block.Height(), BlockHash: block.Hash(), StateRoot: block.Header().StateRoot,
		Parts: len(parts), Accounts: len(snap.Accounts),
		FirstPart: 0, BlocksRevision: 0, TxsRevision: 1,
		Headers: snap.Headers, Tip: block,
	}, 1)
	if err != nil {
		panic(err)
	}
	ev, _ := events.Encode(manifest)
	again, _ := events.Encode(manifest)
	fmt.Println("stream:", events.StreamSnapshots)
	fmt.Println(ev.Type, ev.ID, "headers:", len(manifest.Headers))
	fmt.Println("same id on retry:", again.ID == ev.ID)
	// Output:
	// SnapshotPart 0 of 3: 3 accounts, 274 bytes
	// SnapshotPart 1 of 3: 3 accounts, 274 bytes
	// SnapshotPart 2 of 3: 2 accounts, 226 bytes
	// stream: snapshots
	// SnapshotTaken c265a0b8-72a7-545c-a499-e307270f23fd headers: 2
	// same id on retry: true
}
