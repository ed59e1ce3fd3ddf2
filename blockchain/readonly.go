package blockchain

import "github.com/google/uuid"

// A ReadOnlyChain is a [Chain] seen through a window: it has every method
// of Chain that looks, and none that changes it — no Apply, no Trust. A
// node hands one out so that whoever reads its chain (a miner, a bank, an
// auditor) cannot add a block behind the node's back: "only the node
// applies blocks" is then a property of the types, not a promise in a
// comment.
//
// It is a view, not a copy: it sees every block the chain accepts after
// it was made. Like Chain, it is safe for concurrent use. It implements
// [ChainView], so an engine's Prepare and Verify can read it. Get one
// from [Chain.ReadOnly]; the zero ReadOnlyChain views no chain and must
// not be used.
type ReadOnlyChain struct{ c *Chain }

// ReadOnly returns a read-only view of c.
func (c *Chain) ReadOnly() ReadOnlyChain { return ReadOnlyChain{c} }

// Tip returns the header of the newest block.
func (r ReadOnlyChain) Tip() Header { return r.c.Tip() }

// TipHash returns the hash of the newest block.
func (r ReadOnlyChain) TipHash() Hash { return r.c.TipHash() }

// TipBlock returns the newest block.
func (r ReadOnlyChain) TipBlock() *Block { return r.c.TipBlock() }

// Height returns the tip's height; a chain with only genesis has height 0.
func (r ReadOnlyChain) Height() uint64 { return r.c.Height() }

// HeaderAt returns the header at height, for any height up to the tip.
func (r ReadOnlyChain) HeaderAt(height uint64) (Header, bool) { return r.c.HeaderAt(height) }

// HashAt returns the hash of the block at height, for any height up to the tip.
func (r ReadOnlyChain) HashAt(height uint64) (Hash, bool) { return r.c.HashAt(height) }

// HeightOf returns the height of the block with this hash, if it is in
// the chain.
func (r ReadOnlyChain) HeightOf(hash Hash) (uint64, bool) { return r.c.HeightOf(hash) }

// BlockAt returns the whole block at height if the chain still holds it
// (see Config.Window).
func (r ReadOnlyChain) BlockAt(height uint64) (*Block, bool) { return r.c.BlockAt(height) }

// Inclusion reports whether the transaction with this ID is in the chain,
// and in which block.
func (r ReadOnlyChain) Inclusion(id uuid.UUID) (Inclusion, bool) { return r.c.Inclusion(id) }

// Includes reports whether the transaction with this ID is in the chain.
func (r ReadOnlyChain) Includes(id uuid.UUID) bool { return r.c.Includes(id) }

var _ ChainView = ReadOnlyChain{}
