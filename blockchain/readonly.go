package blockchain

// A ReadOnlyChain is a [Chain] seen through a window: it has every method
// of Chain that looks, and none that changes it — no Apply, no Trust. A
// node hands one out so that whoever reads its chain (a miner, a bank, an
// auditor) cannot add a block behind the node's back: "only the node
// applies blocks" is then a property of the types, not a promise in a
// comment.
//
// It is a view, not a copy: it sees every block the chain accepts after
// it was made. Like Chain, it is safe for concurrent use. It is for code
// outside the chain: an engine's Verify, which the chain runs while it
// holds its lock, must read only the view it is given, as a ReadOnlyChain
// would wait for that lock for ever; so must Prepare (see [Consensus]),
// which Propose runs on a view of the headers as they were. Get one from
// [Chain.ReadOnly]; the zero ReadOnlyChain views no chain and must not be
// used.
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

// Spec returns the chain spec.
func (r ReadOnlyChain) Spec() ChainSpec { return r.c.Spec() }

// Account returns an account as it stands after the tip.
func (r ReadOnlyChain) Account(a Address) Account { return r.c.Account(a) }

// State returns the account state after the tip; see [Chain.State].
func (r ReadOnlyChain) State() *State { return r.c.State() }

// StateAt returns the account state after the block at height, if the
// chain still keeps it; see [Chain.StateAt].
func (r ReadOnlyChain) StateAt(height uint64) (*State, bool) { return r.c.StateAt(height) }

// ProveAccount returns the proof of an account after the block at
// height; see [Chain.ProveAccount].
func (r ReadOnlyChain) ProveAccount(a Address, height uint64) (AccountProof, error) {
	return r.c.ProveAccount(a, height)
}

// Base returns the height of the oldest header the chain holds; see
// [Chain.Base].
func (r ReadOnlyChain) Base() uint64 { return r.c.Base() }

// Check reports whether the chain would accept b as its next block now,
// without changing it; see [Chain.Check].
func (r ReadOnlyChain) Check(b *Block) error { return r.c.Check(b) }

// CheckTransaction reports whether tx could go into the next block on its
// own; see [Chain.CheckTransaction].
func (r ReadOnlyChain) CheckTransaction(tx Transaction) error { return r.c.CheckTransaction(tx) }

var _ ChainView = ReadOnlyChain{}
