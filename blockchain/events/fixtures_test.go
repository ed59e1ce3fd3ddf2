package events_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

// Deterministic fixtures: the same transactions, blocks and events on
// every run, so IDs and JSON can be pinned.
var (
	txAlice = consensustest.Transfer("alice pays bob", "alice", "bob", 125)
	txBob   = consensustest.Transfer("bob pays carol", "bob", "carol", 50)
)

// mineBlocks returns two sealed blocks on top of genesis, made with the
// fake engine: block 1 holds txAlice, block 2 holds txBob.
func mineBlocks(tb testing.TB) (b1, b2 *blockchain.Block) {
	tb.Helper()
	txs := []blockchain.Transaction{txAlice, txBob}
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(),
		blockchain.HeaderList{blockchain.Genesis().Header()}, len(txs),
		func(i int, g *consensustest.BlockGen) { g.AddTx(txs[i]) })
	require.NoError(tb, err)
	return blocks[0], blocks[1]
}

// A sample is one valid payload of each type, named for t.Run.
type sample struct {
	name    string
	payload events.Payload
}

// samples returns one valid payload of each type, in the order of the
// package documentation's table.
func samples(tb testing.TB) []sample {
	tb.Helper()
	b1, _ := mineBlocks(tb)
	return []sample{
		{"TransactionSubmitted", events.TransactionSubmitted{Tx: txAlice}},
		{"TransactionRebroadcast", events.TransactionRebroadcast{Tx: txAlice, Attempt: 2}},
		{"BlockMined", events.BlockMined{Block: b1, MinerID: "miner-1"}},
		{"TransactionVerified", events.TransactionVerified{TxID: txAlice.ID(), BlockHash: b1.Hash(), Height: b1.Height()}},
		{"TransactionDropped", events.TransactionDropped{TxID: txBob.ID(), Reason: "not included after 5 rebroadcasts", Attempts: 5}},
		{"BlockRejected", events.BlockRejected{BlockHash: b1.Hash(), Height: b1.Height(), Rule: blockchain.ErrBadMerkleRoot, Reason: "bad-merkle-root: have 00…, want 11…"}},
	}
}

// mustEncode encodes p or fails the test.
func mustEncode(tb testing.TB, p events.Payload) eventlog.Event {
	tb.Helper()
	ev, err := events.Encode(p)
	require.NoError(tb, err, "encode %T", p)
	return ev
}
