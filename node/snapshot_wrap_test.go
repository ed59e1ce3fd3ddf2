package node_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/node"
)

// TestRestoreSnapshotRefusesHeightWrap: anyone who can append to the log
// once made a node restored in snapshot mode adopt any state, with no
// proof of work, by a snapshot whose headers wrap from height MaxUint64
// to a "tip" at height 0. The node refuses it and restores every block.
func TestRestoreSnapshotRefusesHeightWrap(t *testing.T) {
	log, honest := honestLog(t, nil, nil)
	mallory := consensustest.Addr("mallory")
	rich := []blockchain.AccountRecord{{Address: mallory, Account: blockchain.Account{Balance: 1_000_000_000_000}}}
	forgedState, err := blockchain.NewStateFromAccounts(rich)
	require.NoError(t, err)

	hmax := blockchain.Header{Version: blockchain.HeaderVersion, Height: ^uint64(0), MerkleRoot: blockchain.TxMerkleRoot(nil), Timestamp: blockchain.GenesisTime}
	h0 := blockchain.Header{Version: blockchain.HeaderVersion, Height: 0, PrevHash: hmax.Hash(),
		MerkleRoot: blockchain.TxMerkleRoot(nil), StateRoot: forgedState.Root(), Timestamp: blockchain.GenesisTime}
	forged := blockchain.NewBlock(h0, nil)

	res, err := log.Append(context.Background(), node.StreamBlocks, eventlog.Any, mined(t, forged))
	require.NoError(t, err)
	parts := events.SnapshotParts(0, forged.Hash(), rich, 0)
	pr, err := log.Append(context.Background(), node.StreamSnapshots, eventlog.Any, mustEncodeEvent(t, parts[0]))
	require.NoError(t, err)
	appendRaw(t, log, node.StreamSnapshots, mustEncodeEvent(t, events.SnapshotTaken{
		Height: 0, BlockHash: forged.Hash(), StateRoot: forgedState.Root(), Parts: 1, Accounts: 1,
		FirstPart: pr.NextExpected, BlocksRevision: res.NextExpected,
		Headers: []blockchain.Header{hmax, h0}, Tip: forged,
	}))

	n := restoreSnapshotTrusting(t, log, blockchain.Hash{})
	full := newNode(t, log, nil)
	require.NoError(t, full.Restore(context.Background(), node.RestoreVerify))
	t.Logf("snapshot node: restored=%v tip %s height %d mallory %d; verify node: tip %s height %d mallory %d",
		n.SnapshotStats().Restored, n.Chain().TipHash().Short(), n.Chain().Height(), n.Chain().Account(mallory).Balance,
		full.Chain().TipHash().Short(), full.Chain().Height(), full.Chain().Account(mallory).Balance)
	assert.False(t, n.SnapshotStats().Restored, "the forged snapshot was taken")
	assert.Equal(t, honest.Hash(), n.Chain().TipHash())
	assert.Equal(t, full.Chain().Account(mallory), n.Chain().Account(mallory))
	require.Len(t, n.SnapshotStats().Refused, 1)
	assert.ErrorIs(t, n.SnapshotStats().Refused[0], blockchain.ErrBadSnapshot)
}
