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

// exampleBlock returns block 1 of a chain made with the fake engine,
// holding one transfer from alice to bob: the same block on every run.
func exampleBlock() *blockchain.Block {
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(),
		blockchain.HeaderList{blockchain.Genesis().Header()}, 1,
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
	// id:   9bb3590d-c753-51a9-bb9f-c9e1d2903eba
	// same id on retry: true
	// data: {"v":1,"height":1,"hash":"d45f7d33a9787e…
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
	// to the pool: tx f00e67ba-fe1b-54ac-9105-bb960ab1d8ed "alice"→"bob" 125
	// to the chain: block 1 d45f7d33a978 (1 txs) by miner-1
	// tx f00e67ba-fe1b-54ac-9105-bb960ab1d8ed included at height 1
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
	// ID mismatch: decode TransactionVerified: event ID does not match its content: have 2f8630cc-3cf5-5543-9432-1f670e0df26b, want fc78bf52-dbfe-5554-a464-2578323b5cfc
}

// A node that rejects a block records which rule it broke. Every node that
// rejects the same block for the same rule encodes the same event ID, so
// the audit stream keeps the rejection once.
func ExampleBlockRejected() {
	chain, err := blockchain.NewChain(blockchain.Config{
		Engine: consensustest.NewFaker(),
		Now:    func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
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
