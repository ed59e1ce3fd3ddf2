package blockchain_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// snapshotChain makes a chain of n blocks with transfers and fees, and
// returns it with its blocks.
func snapshotChain(t testing.TB, n int) (*blockchain.Chain, []*blockchain.Block) {
	t.Helper()
	chain := consensustest.NewChain(consensustest.NewFaker())
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), chain, n, func(i int, g *consensustest.BlockGen) {
		g.AddTransfer("alice", "bob", int64(10+i))
		g.AddTransfer("carol", "erin", 1)
		if i%3 == 0 {
			g.AddTransfer("bob", "dave", 5)
		}
	})
	require.NoError(t, err)
	return chain, blocks
}

// TestResumeChain: a chain resumed from a snapshot at height 6 has the
// same tip, state and headers from its base on, and goes on with the
// blocks after it to the same state as the chain that never stopped.
func TestResumeChain(t *testing.T) {
	source, blocks := snapshotChain(t, 10)
	at := consensustest.NewChain(consensustest.NewFaker())
	for _, b := range blocks[:6] {
		require.NoError(t, at.Apply(b))
	}
	snap := at.Snapshot(4)
	require.Len(t, snap.Headers, 4)
	assert.Equal(t, uint64(6), snap.Tip.Height())

	resumed, err := blockchain.ResumeChain(consensustest.Config(consensustest.NewFaker()), snap)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), resumed.Base())
	assert.Equal(t, at.TipHash(), resumed.TipHash())
	assert.Equal(t, at.State().Root(), resumed.State().Root())
	assert.Equal(t, at.State().Supply(), resumed.State().Supply())
	_, ok := resumed.HeaderAt(2)
	assert.False(t, ok, "below the base")
	h, ok := resumed.HeaderAt(3)
	require.True(t, ok)
	assert.Equal(t, blocks[2].Hash(), h.Hash())

	for _, b := range blocks[6:] {
		require.NoError(t, resumed.Apply(b), "block %d", b.Height())
	}
	assert.Equal(t, source.TipHash(), resumed.TipHash())
	assert.Equal(t, source.State().Root(), resumed.State().Root())
	for _, name := range consensustest.Accounts {
		assert.Equal(t, source.Account(consensustest.Addr(name)), resumed.Account(consensustest.Addr(name)), name)
	}

	// A snapshot of the whole chain, from genesis, resumes too.
	whole, err := blockchain.ResumeChain(consensustest.Config(consensustest.NewFaker()), source.Snapshot(100))
	require.NoError(t, err)
	assert.Equal(t, uint64(0), whole.Base())
	assert.Equal(t, source.TipHash(), whole.TipHash())
}

// TestResumeChainRefusesBadSnapshots: a snapshot that does not hold
// together is refused, each with ErrBadSnapshot; changed balances also
// with ErrBadStateRoot.
func TestResumeChainRefusesBadSnapshots(t *testing.T) {
	source, blocks := snapshotChain(t, 6)
	good := source.Snapshot(3)
	other := consensustest.Spec()
	other.BlockReward++
	for _, tc := range []struct {
		name   string
		change func(s *blockchain.Snapshot)
		cfg    func(*blockchain.Config)
		code   blockchain.ErrorCode
	}{
		{name: "a balance raised", change: func(s *blockchain.Snapshot) { s.Accounts[0].Account.Balance += 1000 }, code: blockchain.ErrBadStateRoot},
		{name: "a nonce lowered", change: func(s *blockchain.Snapshot) {
			for i := range s.Accounts {
				if s.Accounts[i].Account.Nonce > 0 {
					s.Accounts[i].Account.Nonce--
					return
				}
			}
		}, code: blockchain.ErrBadStateRoot},
		{name: "an account left out", change: func(s *blockchain.Snapshot) { s.Accounts = s.Accounts[1:] }, code: blockchain.ErrBadStateRoot},
		{name: "an account added", change: func(s *blockchain.Snapshot) {
			s.Accounts = append(s.Accounts, blockchain.AccountRecord{Address: blockchain.Address{0xff, 0xff}, Account: blockchain.Account{Balance: 1}})
		}, code: blockchain.ErrBadStateRoot},
		{name: "accounts out of order", change: func(s *blockchain.Snapshot) { slices.Reverse(s.Accounts) }},
		{name: "a zero account", change: func(s *blockchain.Snapshot) { s.Accounts[0].Account = blockchain.Account{} }},
		{name: "no headers", change: func(s *blockchain.Snapshot) { s.Headers = nil }},
		{name: "no tip", change: func(s *blockchain.Snapshot) { s.Tip = nil }},
		{name: "a header missing in the middle", change: func(s *blockchain.Snapshot) { s.Headers = append(s.Headers[:1:1], s.Headers[2:]...) }},
		{name: "headers that do not link", change: func(s *blockchain.Snapshot) { s.Headers[0].Nonce++ }},
		{name: "a tip that is not the last header's block", change: func(s *blockchain.Snapshot) { s.Tip = blocks[2] }},
		{name: "a tip that is not valid in itself", change: func(s *blockchain.Snapshot) {
			h := s.Tip.Header()
			h.TxCount++
			s.Tip = blockchain.NewBlock(h, s.Tip.Transactions())
			s.Headers[len(s.Headers)-1] = h
		}},
		{name: "a tip whose seal the engine refuses", change: func(*blockchain.Snapshot) {},
			cfg: func(c *blockchain.Config) { c.Engine = consensustest.NewFailer(good.Tip.Height()) }, code: blockchain.ErrInvalidSeal},
		{name: "a tip without its parent's header", change: func(s *blockchain.Snapshot) { s.Headers = s.Headers[len(s.Headers)-1:] }},
		{name: "from height 0 but another spec's genesis", change: func(s *blockchain.Snapshot) { *s = source.Snapshot(100) },
			cfg: func(c *blockchain.Config) { c.Spec = other }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := blockchain.Snapshot{Headers: slices.Clone(good.Headers), Tip: good.Tip, Accounts: slices.Clone(good.Accounts)}
			tc.change(&snap)
			cfg := consensustest.Config(consensustest.NewFaker())
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			_, err := blockchain.ResumeChain(cfg, snap)
			require.ErrorIs(t, err, blockchain.ErrBadSnapshot)
			if tc.code != blockchain.ErrUnknown {
				assert.ErrorIs(t, err, tc.code)
			}
		})
	}
}

// TestNewStateFromAccounts: the state of a snapshot's accounts is the
// state they came from.
func TestNewStateFromAccounts(t *testing.T) {
	source, _ := snapshotChain(t, 5)
	st, err := blockchain.NewStateFromAccounts(source.Snapshot(1).Accounts)
	require.NoError(t, err)
	assert.Equal(t, source.State().Root(), st.Root())
	assert.Equal(t, source.State().Supply(), st.Supply())
	assert.Equal(t, source.State().Len(), st.Len())

	_, err = blockchain.NewStateFromAccounts([]blockchain.AccountRecord{{Address: blockchain.Address{1}, Account: blockchain.Account{Balance: -1}}})
	assert.Error(t, err)
	_, err = blockchain.NewStateFromAccounts([]blockchain.AccountRecord{
		{Address: blockchain.Address{1}, Account: blockchain.Account{Balance: blockchain.MaxAmount}},
		{Address: blockchain.Address{2}, Account: blockchain.Account{Balance: 1<<63 - 1}},
	})
	assert.ErrorIs(t, err, blockchain.ErrBalanceOverflow)
}

// TestChainResume: Resume turns a chain at genesis into the resumed
// chain in place, so a view taken before sees it; it refuses a chain
// that holds blocks already, and a refused snapshot changes nothing.
func TestChainResume(t *testing.T) {
	source, blocks := snapshotChain(t, 5)
	snap := source.Snapshot(3)

	c := consensustest.NewChain(consensustest.NewFaker())
	view := c.ReadOnly()
	forged := blockchain.Snapshot{Headers: snap.Headers, Tip: snap.Tip, Accounts: slices.Clone(snap.Accounts)}
	forged.Accounts[0].Account.Balance++
	err := c.Resume(forged)
	require.ErrorIs(t, err, blockchain.ErrBadSnapshot)
	assert.ErrorIs(t, err, blockchain.ErrBadStateRoot)
	assert.Equal(t, uint64(0), c.Height(), "a refused snapshot changes nothing")

	require.NoError(t, c.Resume(snap))
	assert.Equal(t, source.TipHash(), view.TipHash(), "the view sees the resumed chain")
	assert.Equal(t, uint64(3), view.Base())
	assert.Equal(t, source.State().Root(), view.State().Root())

	err = c.Resume(snap)
	require.Error(t, err, "a chain resumes only from genesis")
	assert.NotErrorIs(t, err, blockchain.ErrBadSnapshot)

	grown := consensustest.NewChain(consensustest.NewFaker())
	require.NoError(t, grown.Apply(blocks[0]))
	assert.Error(t, grown.Resume(snap))
	assert.Equal(t, blocks[0].Hash(), grown.TipHash())
}

// TestResumeCopiesSeals: a resumed chain keeps its own copy of the
// snapshot's headers, seals included, as Apply keeps its own copy of a
// block's; a caller that reuses the snapshot's seal bytes afterwards does
// not change a header the chain holds (whose hash it has already
// recorded).
func TestResumeCopiesSeals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sealed int // the index of the header given a seal; the tip's is 2
	}{
		{name: "the tip's header", sealed: 2},
		{name: "the header before the tip", sealed: 1},
		{name: "the oldest header", sealed: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			source, _ := snapshotChain(t, 5)
			snap := source.Snapshot(3)
			// Give one header a seal, and link the headers after it, and
			// the tip, to it again.
			snap.Headers[tc.sealed].Seal = []byte{1, 2, 3}
			for i := tc.sealed + 1; i < len(snap.Headers); i++ {
				snap.Headers[i].PrevHash = snap.Headers[i-1].Hash()
			}
			last := len(snap.Headers) - 1
			snap.Tip = blockchain.NewBlock(snap.Headers[last], snap.Tip.Transactions())

			c, err := blockchain.ResumeChain(consensustest.Config(consensustest.NewFaker()), snap)
			require.NoError(t, err)
			height := snap.Headers[tc.sealed].Height
			want := snap.Headers[tc.sealed].Hash()

			snap.Headers[tc.sealed].Seal[0] = 9 // the caller reuses its bytes

			h, ok := c.HeaderAt(height)
			require.True(t, ok)
			assert.Equal(t, []byte{1, 2, 3}, h.Seal, "the chain's header changed with the caller's bytes")
			assert.Equal(t, want, h.Hash())
			hash, ok := c.HashAt(height)
			require.True(t, ok)
			assert.Equal(t, hash, h.Hash(), "the header and the hash the chain holds for it disagree")
		})
	}
}
