package blockchain

import (
	"fmt"
	"time"
)

// GenesisTime is every genesis block's timestamp: 2020-01-01T00:00:00Z.
// A genesis block depends on its chain spec only, never on when or where
// it was made.
var GenesisTime = time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)

// Genesis returns the genesis block of the network s defines, the same on
// every machine and every run. It commits to the whole spec through its
// PrevHash, which no block before it can claim:
//
//	Version    HeaderVersion
//	Height     0
//	PrevHash   s.Hash(): another spec, another genesis, another chain
//	MerkleRoot the root of no transactions, SHA-256 of nothing (e3b0c442…b855)
//	TxCount    0
//	StateRoot  the root of the allocations ([NewState] of s.Alloc)
//	Timestamp  GenesisTime
//	Beneficiary, Bits, Nonce and Seal zero: no one mines genesis
//
// It is where every [Chain] starts, and it is trusted, not verified: no
// engine seals it. A spec that breaks its rules gives the error of
// [ChainSpec.Validate].
func (s ChainSpec) Genesis() (*Block, error) {
	b, _, err := s.genesis()
	return b, err
}

// genesis returns the genesis block and the state it commits to.
func (s ChainSpec) genesis() (*Block, *State, error) {
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	st, err := NewState(s.Alloc)
	if err != nil { // Validate already checked every allocation
		return nil, nil, fmt.Errorf("blockchain: genesis state: %w", err)
	}
	h := Header{
		Version:    HeaderVersion,
		PrevHash:   s.Hash(),
		MerkleRoot: TxMerkleRoot(nil),
		StateRoot:  st.Root(),
		Timestamp:  GenesisTime,
	}
	return NewBlock(h, nil), st, nil
}
