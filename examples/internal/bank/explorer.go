package bank

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/node"
)

//go:embed explorer/index.html
var explorerFiles embed.FS

// explorerBlocks is how many of the newest blocks the explorer shows.
const explorerBlocks = 12

// explorerRejected is how many rejected blocks the bank remembers for it.
const explorerRejected = 10

// observe is told by the bank's node of every block it adds or
// rejects, with the miner that published it, for the explorer page.
// New registers it with the node.
func (b *Bank) observe(e node.Event) {
	if e.Block == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e.Kind {
	case node.BlockAdded:
		b.miners[e.Block.Hash()] = e.MinerID
		b.minerOrder = append(b.minerOrder, e.Block.Hash())
		if len(b.minerOrder) > explorerBlocks*4 {
			delete(b.miners, b.minerOrder[0])
			b.minerOrder = b.minerOrder[1:]
		}
	case node.BlockRejected:
		rule := ""
		var re *blockchain.RuleError
		if errors.As(e.Err, &re) {
			rule = re.Code.String()
		}
		b.rejected = append(b.rejected, ExplorerBlock{Height: e.Block.Height(), Hash: e.Block.Hash(), Transactions: e.Block.Len(),
			Nonce: e.Block.Header().Nonce, Miner: e.MinerID, Rule: rule})
		if len(b.rejected) > explorerRejected {
			b.rejected = b.rejected[1:]
		}
	}
}

// ExplorerBlock is a block as the explorer page draws it.
type ExplorerBlock struct {
	Height       uint64          `json:"height"`
	Hash         blockchain.Hash `json:"hash"`
	Transactions int             `json:"transactions"`
	Nonce        uint64          `json:"nonce"`
	Bits         uint32          `json:"bits"`
	Miner        string          `json:"miner,omitempty"`
	Rule         string          `json:"rule,omitempty"` // the rule a rejected block broke
}

// ExplorerState is what GET /events sends at every change.
type ExplorerState struct {
	Height   uint64          `json:"height"`
	Pending  int             `json:"pending"`
	HashRate float64         `json:"hashRate"` // hashes per second, estimated
	Blocks   []ExplorerBlock `json:"blocks"`   // newest last
	Rejected []ExplorerBlock `json:"rejected"`
}

// explorerState reads the chain, the pool and what Observe recorded.
func (b *Bank) explorerState() ExplorerState {
	chain := b.node.Chain()
	tip := chain.Height()
	st := ExplorerState{Height: tip, Pending: b.node.Pool().Len(), Blocks: []ExplorerBlock{}, Rejected: []ExplorerBlock{}}
	from := tip - min(tip, explorerBlocks-1)
	var work float64
	var first, last time.Time
	for h := from; h <= tip; h++ {
		header, ok := chain.HeaderAt(h)
		if !ok {
			continue
		}
		eb := ExplorerBlock{Height: h, Hash: header.Hash(), Nonce: header.Nonce, Bits: header.Bits}
		if blk, ok := chain.BlockAt(h); ok {
			eb.Transactions = blk.Len()
		}
		if h > 0 {
			if first.IsZero() {
				first = header.Timestamp
			} else {
				work += math.Exp2(float64(header.Bits)) // expected hashes to find this block
			}
			last = header.Timestamp
		}
		st.Blocks = append(st.Blocks, eb)
	}
	// The network's hash rate, estimated as proof of work allows: the
	// work the blocks needed over the time they took.
	if d := last.Sub(first).Seconds(); d > 0 {
		st.HashRate = work / d
	}
	b.mu.Lock()
	for i := range st.Blocks {
		st.Blocks[i].Miner = b.miners[st.Blocks[i].Hash]
	}
	st.Rejected = append(st.Rejected, b.rejected...)
	b.mu.Unlock()
	return st
}

func (b *Bank) explorer(w http.ResponseWriter, _ *http.Request) {
	page, _ := explorerFiles.ReadFile("explorer/index.html")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(page)
}

// events streams the explorer's state as server-sent events: one now,
// then one after every change of the node, at most every 200 ms.
func (b *Bank) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	for {
		changed := b.node.Changed()
		data, err := json.Marshal(b.explorerState())
		if err != nil {
			return
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		}
		pace := time.NewTimer(200 * time.Millisecond) // coalesce bursts of changes
		select {
		case <-r.Context().Done():
			pace.Stop()
			return
		case <-pace.C:
		}
	}
}
