package blockchain

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// DefaultMaxDrift is how far ahead of the chain's clock a block's timestamp
// may be when Config.MaxDrift is zero.
const DefaultMaxDrift = time.Minute

// Config configures a [Chain]. Only Engine is required.
type Config struct {
	// Engine verifies each block's consensus fields and seal. Required.
	Engine Consensus
	// Genesis is the first block; nil means [Genesis]. It is trusted, not
	// verified.
	Genesis *Block
	// Window is how many of the newest blocks the chain keeps whole in
	// memory; 0 keeps them all. Older blocks are dropped, but their headers
	// and the index of their transactions stay, so Inclusion and HeaderAt
	// still answer for the whole chain. The original project kept 10.
	Window int
	// Now is the chain's clock, used by the time rules; nil means
	// time.Now. Tests inject a fixed or stepping clock.
	Now func() time.Time
	// MaxDrift is how far ahead of Now a block may be dated; 0 means
	// DefaultMaxDrift.
	MaxDrift time.Duration
	// Rules replaces [DefaultRules] when not nil. Block.Validate always
	// runs first, whatever the rules.
	Rules []Rule
}

// A Chain is the sequence of validated blocks from genesis to the tip. It
// grows one block at a time through [Chain.Apply], which accepts a block
// only if it keeps every rule; it never forks and never reorganises,
// because the event log already totally orders the blocks every node sees
// (see the project's DESIGN.md).
//
// A Chain is safe for concurrent use: one goroutine may Apply while others
// read.
type Chain struct {
	mu     sync.RWMutex
	s      chainState
	rules  []Rule
	now    func() time.Time
	window int
}

// chainState is the Chain's data without its lock; rules see it, as a
// ChainView, while Apply holds the lock.
type chainState struct {
	headers  []Header // every header, index = height
	hashes   []Hash   // hashes[i] = headers[i].Hash(), seal included
	heights  map[Hash]uint64
	blocks   []*Block // the newest len(blocks) blocks, oldest first
	included map[uuid.UUID]Inclusion
}

var _ ChainView = (*chainState)(nil)

// NewChain returns a chain holding only the genesis block.
func NewChain(cfg Config) (*Chain, error) {
	if cfg.Engine == nil {
		return nil, errors.New("blockchain: Config.Engine is required")
	}
	if cfg.Window < 0 {
		return nil, fmt.Errorf("blockchain: Config.Window: have %d, want ≥ 0", cfg.Window)
	}
	g := cfg.Genesis
	if g == nil {
		g = Genesis()
	}
	if g.Height() != 0 {
		return nil, fmt.Errorf("blockchain: genesis height: have %d, want 0", g.Height())
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("blockchain: genesis: %w", err)
	}
	c := &Chain{rules: cfg.Rules, now: cfg.Now, window: cfg.Window}
	if c.now == nil {
		c.now = time.Now
	}
	if c.rules == nil {
		drift := cfg.MaxDrift
		if drift == 0 {
			drift = DefaultMaxDrift
		}
		c.rules = DefaultRules(cfg.Engine, drift)
	}
	c.s.included = make(map[uuid.UUID]Inclusion)
	c.s.heights = make(map[Hash]uint64)
	c.s.append(g, c.window)
	return c, nil
}

// Apply checks b and, if it keeps every rule, makes it the new tip. First
// [Block.Validate] checks the block in itself, then each rule of the
// chain's Config.Rules (by default [DefaultRules]) runs in order; the first
// failure stops it. The error wraps a [*RuleError], so
//
//	errors.Is(err, blockchain.ErrPrevHashMismatch)
//
// tells which rule failed. A rejected block changes nothing.
func (c *Chain) Apply(b *Block) error {
	if b == nil {
		return errors.New("apply: nil block")
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := b.Validate(); err != nil {
		return fmt.Errorf("apply %s: %w", b, err)
	}
	for _, r := range c.rules {
		if err := r.Check(&c.s, b, now); err != nil {
			return fmt.Errorf("apply %s: rule %s: %w", b, r.Name, err)
		}
	}
	c.s.append(b, c.window)
	return nil
}

// Trust makes b the new tip after checking only that it links to the tip
// at the next height: none of the rules, not even Block.Validate. It is
// for restoring a chain from blocks that were checked when they were
// first applied (a node's fast restore); a block that was never checked
// must go through Apply. The error is a *RuleError as Apply's.
func (c *Chain) Trust(b *Block) error {
	if b == nil {
		return errors.New("trust: nil block")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range []Rule{RuleLinksToTip(), RuleHeightFollowsTip()} {
		if err := r.Check(&c.s, b, time.Time{}); err != nil {
			return fmt.Errorf("trust %s: rule %s: %w", b, r.Name, err)
		}
	}
	c.s.append(b, c.window)
	return nil
}

// append adds b as the new tip, trimming the window of whole blocks.
func (s *chainState) append(b *Block, window int) {
	s.headers = append(s.headers, b.Header())
	s.hashes = append(s.hashes, b.Hash())
	s.heights[b.Hash()] = b.Height()
	for _, tx := range b.txs {
		s.included[tx.ID()] = Inclusion{BlockHash: b.Hash(), Height: b.Height()}
	}
	s.blocks = append(s.blocks, b)
	if window > 0 && len(s.blocks) > window {
		// Copy down rather than reslice, so dropped blocks can be freed.
		n := copy(s.blocks, s.blocks[len(s.blocks)-window:])
		clear(s.blocks[n:])
		s.blocks = s.blocks[:n]
	}
}

func (s *chainState) Tip() Header { return s.headers[len(s.headers)-1] }

func (s *chainState) HeaderAt(height uint64) (Header, bool) {
	if height >= uint64(len(s.headers)) {
		return Header{}, false
	}
	return s.headers[height], true
}

func (s *chainState) Inclusion(id uuid.UUID) (Inclusion, bool) {
	in, ok := s.included[id]
	return in, ok
}

func (s *chainState) blockAt(height uint64) (*Block, bool) {
	oldest := s.blocks[0].Height()
	if height < oldest || height-oldest >= uint64(len(s.blocks)) {
		return nil, false
	}
	return s.blocks[height-oldest], true
}

// Tip returns the header of the newest block.
func (c *Chain) Tip() Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Tip()
}

// TipHash returns the block hash of the newest block ([Block.Hash], which
// covers its seal): the PrevHash the next block must have.
func (c *Chain) TipHash() Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.hashes[len(c.s.hashes)-1]
}

// TipBlock returns the newest block.
func (c *Chain) TipBlock() *Block {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.blocks[len(c.s.blocks)-1]
}

// Height returns the tip's height; a chain with only genesis has height 0.
func (c *Chain) Height() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return uint64(len(c.s.headers) - 1)
}

// HeaderAt returns the header at height, for any height up to the tip.
func (c *Chain) HeaderAt(height uint64) (Header, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.HeaderAt(height)
}

// HashAt returns the hash of the block at height, for any height up to the tip.
func (c *Chain) HashAt(height uint64) (Hash, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if height >= uint64(len(c.s.hashes)) {
		return Hash{}, false
	}
	return c.s.hashes[height], true
}

// HeightOf returns the height of the block with this hash, if it is in
// the chain.
func (c *Chain) HeightOf(hash Hash) (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h, ok := c.s.heights[hash]
	return h, ok
}

// BlockAt returns the whole block at height if the chain still holds it:
// with a Window, only the newest Window blocks are kept.
func (c *Chain) BlockAt(height uint64) (*Block, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.blockAt(height)
}

// Inclusion reports whether the transaction with this ID is in the chain,
// and in which block. It answers for the whole chain, Window or not.
func (c *Chain) Inclusion(id uuid.UUID) (Inclusion, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Inclusion(id)
}

// Includes reports whether the transaction with this ID is in the chain.
// A pool uses it to refuse transactions that are already mined.
func (c *Chain) Includes(id uuid.UUID) bool {
	_, ok := c.Inclusion(id)
	return ok
}

var _ ChainView = (*Chain)(nil)
