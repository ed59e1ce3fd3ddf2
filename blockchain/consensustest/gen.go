package consensustest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eventchain/eventchain/blockchain"
)

// BlockInterval is the time between the blocks GenerateChain makes, unless
// a generator function sets another timestamp.
const BlockInterval = 10 * time.Second

// ChainID is the chain ID of [Spec].
const ChainID = "eventchain-test"

// Funds is what each of [Accounts] holds at genesis in [Spec].
const Funds = 1_000_000

// Reward is the block reward of [Spec].
const Reward = 50

// Accounts names the accounts [Spec] funds at genesis. "miner" is the
// beneficiary of the blocks GenerateChain makes; "mallory" is funded too,
// so that a test of a forgery shows the signature, not the balance,
// stopping it. Any other name has a key ([Key]) and no funds.
var Accounts = []string{"alice", "bob", "carol", "dave", "erin", "frank", "mallory", "miner"}

// Key returns the private key of a named test account: its seed is
// SHA-256("eventchain/consensustest/" ‖ name), the same on every run, so
// tests and examples print stable output. Never use such a key for
// anything but tests: anyone can compute it.
func Key(name string) blockchain.PrivateKey {
	seed := sha256.Sum256([]byte("eventchain/consensustest/" + name))
	k, err := blockchain.NewPrivateKey(seed[:])
	if err != nil { // a 32-byte seed always makes a key
		panic(err)
	}
	return k
}

// Addr returns the address of a named test account: Key(name).Address().
func Addr(name string) blockchain.Address { return Key(name).Address() }

// Spec returns the chain spec of the kit's chains: chain ID [ChainID],
// each of [Accounts] funded with [Funds], a block reward of [Reward], and
// proof of work at 0 bits (every hash wins). A [Fake] does not say which
// consensus it runs (it is no [blockchain.SpecEngine]), so a test may run
// the spec's chain with it; [Config] gives an engine that says, such as
// pow at other bits, a spec of its consensus.
func Spec() blockchain.ChainSpec {
	s := blockchain.ChainSpec{
		ChainID:     ChainID,
		BlockReward: Reward,
		Consensus:   blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{}},
	}
	for _, name := range Accounts {
		s.Alloc = append(s.Alloc, blockchain.Allocation{Address: Addr(name), Balance: Funds})
	}
	s.SortAlloc()
	return s
}

// Genesis returns the genesis block of [Spec].
func Genesis() *blockchain.Block {
	g, err := Spec().Genesis()
	if err != nil { // Spec is valid: a test checks it
		panic(err)
	}
	return g
}

// genesisOf returns the genesis block of [SpecOf] engine.
func genesisOf(engine blockchain.Consensus) *blockchain.Block {
	g, err := SpecOf(engine).Genesis()
	if err != nil { // an engine's consensus that no spec takes: the chain refuses it too
		panic(err)
	}
	return g
}

// Config returns a chain Config of [Spec] with engine: the start of most
// tests' chains. An engine that says which consensus it runs (a
// [blockchain.SpecEngine], as pow's) gets [SpecOf] it instead, which
// blockchain.NewChain takes.
func Config(engine blockchain.Consensus) blockchain.Config {
	return blockchain.Config{Spec: SpecOf(engine), Engine: engine}
}

// SpecOf returns [Spec] with engine's consensus if engine says which it
// runs (a [blockchain.SpecEngine], as pow's), and Spec itself otherwise.
// Its genesis is Spec's but for the consensus the genesis commits to.
func SpecOf(engine blockchain.Consensus) blockchain.ChainSpec {
	s := Spec()
	if se, ok := engine.(blockchain.SpecEngine); ok {
		s.Consensus = se.ConsensusSpec()
	}
	return s
}

// NewChain returns a new chain of [Config] engine ([SpecOf] engine, with
// engine), or panics: for tests and examples, where the Config cannot be
// wrong.
func NewChain(engine blockchain.Consensus) *blockchain.Chain {
	c, err := blockchain.NewChain(Config(engine))
	if err != nil {
		panic(err)
	}
	return c
}

// Transfer returns a transaction of amount from one named account to
// another, with the given nonce and no fee, signed by Key(from) for
// [ChainID].
func Transfer(from, to string, amount int64, nonce uint64) blockchain.Transaction {
	return TransferFee(from, to, amount, 0, nonce)
}

// TransferFee is [Transfer] with a fee.
func TransferFee(from, to string, amount, fee int64, nonce uint64) blockchain.Transaction {
	return blockchain.Transfer{ChainID: ChainID, To: Addr(to), Amount: amount, Fee: fee, Nonce: nonce}.Sign(Key(from))
}

// A BlockGen is handed to GenerateChain's function for each block, to fill
// it: add transactions, set its time or its beneficiary.
type BlockGen struct {
	i           int
	chain       *blockchain.Chain
	height      uint64
	timestamp   time.Time
	beneficiary blockchain.Address
	txs         []blockchain.Transaction
	sent        map[blockchain.Address]uint64 // transfers from each sender in this block so far
	edit        func(*blockchain.Header)
}

// Index returns which generated block this is: 0 for the first.
func (g *BlockGen) Index() int { return g.i }

// Height returns the height the block will have.
func (g *BlockGen) Height() uint64 { return g.height }

// AddTx appends a transaction to the block.
func (g *BlockGen) AddTx(tx blockchain.Transaction) {
	g.txs = append(g.txs, tx)
	if g.sent == nil {
		g.sent = make(map[blockchain.Address]uint64)
	}
	g.sent[tx.From()]++
}

// AddTransfer appends a transfer of amount between two named accounts,
// with the sender's next nonce counting the block's earlier transfers, and
// returns it.
func (g *BlockGen) AddTransfer(from, to string, amount int64) blockchain.Transaction {
	nonce := g.chain.Account(Addr(from)).Nonce + g.sent[Addr(from)]
	tx := Transfer(from, to, amount, nonce)
	g.AddTx(tx)
	return tx
}

// SetTimestamp changes the block's timestamp.
func (g *BlockGen) SetTimestamp(t time.Time) { g.timestamp = t }

// SetBeneficiary changes who the block pays; by default Addr("miner").
func (g *BlockGen) SetBeneficiary(a blockchain.Address) { g.beneficiary = a }

// EditHeader registers a change to the header, made after the chain
// proposed it and before the engine seals it: for a block that must break
// a rule.
func (g *BlockGen) EditHeader(edit func(*blockchain.Header)) { g.edit = edit }

// GenerateChain builds n blocks on top of chain's tip and applies each
// to chain, with engine, which must be the chain's engine: for each block
// it lets gen fill a [BlockGen] (gen may be nil), dated BlockInterval
// after its parent and paying Addr("miner"), then has the chain propose
// it ([blockchain.Chain.Propose]: the state root, the engine's Prepare),
// seals it and applies it. A transaction the chain would leave out is an
// error, as is a block the chain refuses. It returns the sealed blocks in
// order; the same blocks apply to every other chain of the same spec.
//
// On an error it returns the blocks made before it, which chain holds.
// A block the chain refuses (one EditHeader made to break a rule, say)
// comes in a *RefusedError, so that a test can apply it elsewhere:
//
//	_, err := consensustest.GenerateChain(ctx, engine, chain, 1, breakIt)
//	var refused *consensustest.RefusedError
//	if errors.As(err, &refused) {
//		err = other.Apply(refused.Block) // refused there too, for the same rule
//	}
func GenerateChain(ctx context.Context, engine blockchain.Consensus, chain *blockchain.Chain, n int, gen func(i int, g *BlockGen)) ([]*blockchain.Block, error) {
	if n < 0 {
		return nil, fmt.Errorf("generate chain: n: have %d blocks, want ≥ 0", n)
	}
	if chain == nil || engine == nil {
		return nil, errors.New("generate chain: the chain and the engine are required")
	}
	blocks := make([]*blockchain.Block, 0, n)
	for i := range n {
		parent := chain.Tip()
		g := &BlockGen{i: i, chain: chain, height: parent.Height + 1, timestamp: parent.Timestamp.Add(BlockInterval), beneficiary: Addr("miner")}
		if gen != nil {
			gen(i, g)
		}
		b, rejected, err := chain.Propose(g.beneficiary, g.txs, g.timestamp)
		if err != nil {
			return blocks, fmt.Errorf("propose block %d: %w", g.height, err)
		}
		if len(rejected) > 0 {
			return blocks, fmt.Errorf("propose block %d: %s: %w", g.height, rejected[0].Tx, rejected[0].Err)
		}
		if g.edit != nil {
			h := b.Header()
			g.edit(&h)
			b = blockchain.NewBlock(h, b.Transactions())
		}
		sealed, err := engine.Seal(ctx, b)
		if err != nil {
			return blocks, fmt.Errorf("seal block %d: %w", g.height, err)
		}
		if err := chain.Apply(sealed); err != nil {
			return blocks, &RefusedError{Block: sealed, Err: err}
		}
		blocks = append(blocks, sealed)
	}
	return blocks, nil
}

// A RefusedError is GenerateChain's error for a block the chain refused:
// the sealed block, and the chain's error (a *blockchain.RuleError, with
// errors.As; errors.Is matches its code).
type RefusedError struct {
	Block *blockchain.Block
	Err   error
}

// Error reads as the chain's error, which names the block already, as
// in "apply block 3 9898b20bfd47 (2 txs): state transition:
// bad-state-root: have …"; for a RefusedError without its Block, or
// with an error that does not name it, "apply block: " or "apply block
// 3: " comes first.
func (e *RefusedError) Error() string {
	switch {
	case e.Block == nil:
		return fmt.Sprintf("apply block: %v", e.Err)
	case e.Err != nil && strings.Contains(e.Err.Error(), e.Block.String()):
		return e.Err.Error()
	}
	return fmt.Sprintf("apply block %d: %v", e.Block.Height(), e.Err)
}

// Unwrap returns the chain's error.
func (e *RefusedError) Unwrap() error { return e.Err }
