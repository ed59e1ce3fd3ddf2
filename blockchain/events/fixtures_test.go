package events_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

// Deterministic fixtures: the same transactions, blocks and events on
// every run, so IDs and JSON can be pinned. The keys are consensustest's,
// and block 1 is the one blockchain/testdata/golden_seal.py computes.
var (
	txAlice = consensustest.Transfer("alice", "bob", 125, 0)
	txBob   = consensustest.Transfer("bob", "carol", 50, 0)
)

// mineBlocks returns two sealed blocks on consensustest.Spec()'s genesis,
// made with the fake engine on a scratch chain: block 1 holds txAlice,
// block 2 holds txBob.
func mineBlocks(tb testing.TB) (b1, b2 *blockchain.Block) {
	tb.Helper()
	txs := []blockchain.Transaction{txAlice, txBob}
	engine := consensustest.NewFaker()
	blocks, err := consensustest.GenerateChain(context.Background(), engine, consensustest.NewChain(engine), len(txs),
		func(i int, g *consensustest.BlockGen) { g.AddTx(txs[i]) })
	require.NoError(tb, err)
	return blocks[0], blocks[1]
}

// snapshotAt1 returns the snapshot events of the state after block 1 of
// mineBlocks: its one part, and the manifest with both headers (genesis
// and block 1), block 1 as the tip and txBob pending, as if the node
// had read two transaction events.
func snapshotAt1(tb testing.TB) (events.SnapshotPart, events.SnapshotTaken) {
	tb.Helper()
	b1, _ := mineBlocks(tb)
	chain := consensustest.NewChain(consensustest.NewFaker())
	require.NoError(tb, chain.Apply(b1))
	snap := chain.Snapshot(10)
	parts := events.SnapshotParts(1, b1.Hash(), snap.Accounts, 0)
	require.Len(tb, parts, 1)
	return parts[0], events.SnapshotTaken{
		Height: 1, BlockHash: b1.Hash(), StateRoot: b1.Header().StateRoot,
		Parts: 1, Accounts: len(snap.Accounts),
		FirstPart: 0, BlocksRevision: 0, TxsRevision: 2,
		Headers: snap.Headers, Tip: b1, Pending: []blockchain.Transaction{txBob},
	}
}

// A sample is one valid payload of each type, named for t.Run.
type sample struct {
	name    string
	payload events.Payload
}

// samples returns one valid payload of each type, in the order of the
// package documentation's table but for the chain spec, which comes
// after the others but the snapshot events.
func samples(tb testing.TB) []sample {
	tb.Helper()
	b1, _ := mineBlocks(tb)
	part, manifest := snapshotAt1(tb)
	return []sample{
		{"TransactionSubmitted", events.TransactionSubmitted{Tx: txAlice}},
		{"TransactionRebroadcast", events.TransactionRebroadcast{Tx: txAlice, Attempt: 2}},
		{"BlockMined", events.BlockMined{Block: b1, MinerID: "miner-1"}},
		{"TransactionVerified", events.TransactionVerified{TxID: txAlice.ID(), BlockHash: b1.Hash(), Height: b1.Height()}},
		{"TransactionDropped", events.TransactionDropped{TxID: txBob.ID(), Reason: "not included after 5 rebroadcasts", Attempts: 5}},
		{"BlockRejected", events.BlockRejected{BlockHash: b1.Hash(), Height: b1.Height(), Rule: blockchain.ErrBadMerkleRoot, Reason: "bad-merkle-root: have 00…, want 11…"}},
		{"ChainSpecDeclared", events.ChainSpecDeclared{Spec: consensustest.Spec()}},
		{"ChainLost", events.ChainLost{Genesis: consensustest.Genesis().Hash(), ChainID: consensustest.ChainID, Height: 1}},
		{"SnapshotPart", part},
		{"SnapshotTaken", manifest},
	}
}

// mustEncode encodes p or fails the test.
func mustEncode(tb testing.TB, p events.Payload) eventlog.Event {
	tb.Helper()
	ev, err := events.Encode(p)
	require.NoError(tb, err, "encode %T", p)
	return ev
}

// assertPayload checks that got holds the content of want. Blocks are
// compared by hash, header, transactions and miner, not with
// reflect.DeepEqual: a block remembers whether its signatures were
// verified, which is no part of its content. Chain specs are compared by
// hash and Diff, and nil and empty slices alike.
func assertPayload(tb testing.TB, want, got events.Payload) {
	tb.Helper()
	switch w := want.(type) {
	case events.BlockMined:
		g, ok := got.(events.BlockMined)
		if assert.True(tb, ok, "have %T, want BlockMined", got) {
			assert.Equal(tb, w.MinerID, g.MinerID, "miner")
			assert.Equal(tb, w.Block.Hash(), g.Block.Hash(), "hash")
			assert.Equal(tb, w.Block.Header(), g.Block.Header(), "header")
			assert.Equal(tb, w.Block.Transactions(), g.Block.Transactions(), "transactions")
		}
	case events.ChainSpecDeclared:
		g, ok := got.(events.ChainSpecDeclared)
		if assert.True(tb, ok, "have %T, want ChainSpecDeclared", got) {
			assert.Equal(tb, w.Spec.Hash(), g.Spec.Hash(), "hash")
			assert.Empty(tb, w.Spec.Diff(g.Spec), "diff")
		}
	case events.SnapshotTaken:
		g, ok := got.(events.SnapshotTaken)
		if assert.True(tb, ok, "have %T, want SnapshotTaken", got) {
			assert.Equal(tb, w.Tip.Hash(), g.Tip.Hash(), "tip hash")
			assert.Equal(tb, w.Tip.Header(), g.Tip.Header(), "tip header")
			assert.Equal(tb, w.Tip.Transactions(), g.Tip.Transactions(), "tip transactions")
			w.Tip, g.Tip = nil, nil
			if len(w.Pending) == 0 {
				w.Pending = nil // an empty list decodes as nil
			}
			assert.Equal(tb, w, g)
		}
	case events.SnapshotPart:
		g, ok := got.(events.SnapshotPart)
		if assert.True(tb, ok, "have %T, want SnapshotPart", got) {
			if len(w.Accounts) == 0 {
				w.Accounts = nil // no accounts decode as nil
			}
			assert.Equal(tb, w, g)
		}
	default:
		assert.Equal(tb, want, got)
	}
}
