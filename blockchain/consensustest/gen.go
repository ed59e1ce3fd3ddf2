package consensustest

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
)

// BlockInterval is the time between the blocks GenerateChain makes, unless
// a generator function sets another timestamp.
const BlockInterval = 10 * time.Second

// namespace makes the deterministic IDs of TxID.
var namespace = uuid.MustParse("6ba7b811-9dad-11d1-80b4-00c04fd430c8")

// TxID returns a UUID derived from name: the same name gives the same ID on
// every run, so tests and examples print stable output.
func TxID(name string) uuid.UUID { return uuid.NewSHA1(namespace, []byte(name)) }

// Transfer returns a deterministic transaction: its ID is TxID(name), its
// timestamp genesis time plus one second.
func Transfer(name, from, to string, amount int64) blockchain.Transaction {
	return blockchain.NewTransaction(TxID(name), from, to, amount, blockchain.Genesis().Header().Timestamp.Add(time.Second))
}

// A BlockGen is handed to GenerateChain's function for each block, to fill
// it: add transactions, or change the header before it is prepared and
// sealed.
type BlockGen struct {
	i      int
	header blockchain.Header
	txs    []blockchain.Transaction
}

// Index returns which generated block this is: 0 for the first.
func (g *BlockGen) Index() int { return g.i }

// Header returns the header as it stands: NextHeader's fields, before the
// engine's Prepare.
func (g *BlockGen) Header() blockchain.Header { return g.header }

// AddTx appends a transaction to the block.
func (g *BlockGen) AddTx(tx blockchain.Transaction) { g.txs = append(g.txs, tx) }

// AddTransfer appends a deterministic transaction named after the block and
// its position in it, and returns it.
func (g *BlockGen) AddTransfer(from, to string, amount int64) blockchain.Transaction {
	tx := Transfer(fmt.Sprintf("block %d tx %d", g.header.Height, len(g.txs)), from, to, amount)
	g.AddTx(tx)
	return tx
}

// SetTimestamp changes the block's timestamp.
func (g *BlockGen) SetTimestamp(t time.Time) { g.header.Timestamp = t }

// GenerateChain builds n blocks on top of parents, the chain so far (its
// last header is the parent of the first new block), with engine: for
// each block it makes the header with [blockchain.NextHeader] timed
// BlockInterval after its parent, lets gen fill it (gen may be nil),
// recomputes the Merkle root, runs Prepare and Seal. It returns the sealed
// blocks in order.
//
// Start from genesis with blockchain.HeaderList{blockchain.Genesis().Header()}.
// Engines that look back (retargeting) need the older headers in parents.
func GenerateChain(ctx context.Context, engine blockchain.Consensus, parents blockchain.HeaderList, n int, gen func(i int, g *BlockGen)) ([]*blockchain.Block, error) {
	if len(parents) == 0 {
		return nil, fmt.Errorf("consensustest: GenerateChain needs at least the parent header")
	}
	view := append(blockchain.HeaderList(nil), parents...)
	blocks := make([]*blockchain.Block, 0, n)
	for i := range n {
		parent := view.Tip()
		g := &BlockGen{i: i, header: blockchain.NextHeader(parent, nil, parent.Timestamp.Add(BlockInterval))}
		if gen != nil {
			gen(i, g)
		}
		g.header.MerkleRoot = blockchain.TxMerkleRoot(g.txs)
		if err := engine.Prepare(view, &g.header); err != nil {
			return nil, fmt.Errorf("prepare block %d: %w", g.header.Height, err)
		}
		b, err := engine.Seal(ctx, blockchain.NewBlock(g.header, g.txs))
		if err != nil {
			return nil, fmt.Errorf("seal block %d: %w", g.header.Height, err)
		}
		blocks = append(blocks, b)
		view = append(view, b.Header())
	}
	return blocks, nil
}
