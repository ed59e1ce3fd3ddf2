package blockchain_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// FuzzResumeChain hands ResumeChain snapshots read from arbitrary JSON,
// starting from the genuine snapshots of a short chain (a node reads its
// snapshots from the log, which anyone may append to). ResumeChain never
// panics, refuses only with ErrBadSnapshot, and a chain it returns is the
// snapshot's: its base, tip, height and state root are the snapshot's,
// and its own snapshot holds the same headers and accounts.
func FuzzResumeChain(f *testing.F) {
	source, _ := snapshotChain(f, 5)
	for _, n := range []int{1, 2, 3, 100} {
		data, err := json.Marshal(source.Snapshot(n))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`{"Headers":null,"Tip":null,"Accounts":null}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		var snap blockchain.Snapshot
		if json.Unmarshal(data, &snap) != nil {
			return
		}
		c, err := blockchain.ResumeChain(consensustest.Config(consensustest.NewFaker()), snap)
		if err != nil {
			require.ErrorIs(t, err, blockchain.ErrBadSnapshot)
			return
		}
		first, last := snap.Headers[0], snap.Headers[len(snap.Headers)-1]
		require.Equal(t, first.Height, c.Base())
		require.Equal(t, snap.Tip.Hash(), c.TipHash())
		require.Equal(t, last.Height, c.Height())
		require.Equal(t, last.StateRoot, c.State().Root())
		again := c.Snapshot(len(snap.Headers))
		require.Len(t, again.Headers, len(snap.Headers))
		for i := range snap.Headers {
			require.Equal(t, snap.Headers[i].Hash(), again.Headers[i].Hash(), "header %d", i)
		}
		require.Equal(t, len(snap.Accounts), len(again.Accounts))
		for i := range snap.Accounts {
			require.Equal(t, snap.Accounts[i], again.Accounts[i], "account %d", i)
		}
	})
}
