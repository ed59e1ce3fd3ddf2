package blockchain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
)

// TestResumeRefusesHeightWrap: a snapshot whose headers wrap from height
// MaxUint64 to 0 ends at a "tip" of height 0, which Resume once neither
// validated nor seal-checked nor compared with the genesis (only
// headers[0] at height 0 was): any state at all was accepted, with no
// work, even under 40-bit proof of work. It is refused.
func TestResumeRefusesHeightWrap(t *testing.T) {
	spec := consensustest.Spec()
	spec.Consensus.PoW = &blockchain.PoWSpec{Bits: 40}
	engine, err := pow.New(pow.SpecConfig(*spec.Consensus.PoW, 1))
	require.NoError(t, err)
	cfg := blockchain.Config{Spec: spec, Engine: engine}

	thief := consensustest.Addr("mallory")
	st, err := blockchain.NewStateFromAccounts([]blockchain.AccountRecord{{Address: thief, Account: blockchain.Account{Balance: 1 << 60}}})
	require.NoError(t, err)

	hmax := blockchain.Header{Version: blockchain.HeaderVersion, Height: ^uint64(0), MerkleRoot: blockchain.TxMerkleRoot(nil), Timestamp: blockchain.GenesisTime}
	h0 := blockchain.Header{Version: blockchain.HeaderVersion, Height: 0, PrevHash: hmax.Hash(),
		MerkleRoot: blockchain.TxMerkleRoot(nil), StateRoot: st.Root(), Timestamp: blockchain.GenesisTime}
	tip := blockchain.NewBlock(h0, nil)

	_, err = blockchain.ResumeChain(cfg, blockchain.Snapshot{
		Headers:  []blockchain.Header{hmax, h0},
		Tip:      tip,
		Accounts: []blockchain.AccountRecord{{Address: thief, Account: blockchain.Account{Balance: 1 << 60}}},
	})
	require.ErrorIs(t, err, blockchain.ErrBadSnapshot, "a forged snapshot whose heights wrap to 0")

	// The same with the height-0 tip alone after a gap-free prefix is not
	// possible without the wrap; a lone height-0 tip must be the genesis.
	_, err = blockchain.ResumeChain(cfg, blockchain.Snapshot{Headers: []blockchain.Header{h0}, Tip: tip,
		Accounts: []blockchain.AccountRecord{{Address: thief, Account: blockchain.Account{Balance: 1 << 60}}}})
	require.ErrorIs(t, err, blockchain.ErrBadSnapshot)
}
