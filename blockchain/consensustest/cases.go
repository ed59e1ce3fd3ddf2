package consensustest

import (
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
)

// A BlockCase is one fixed block offered to a chain, in the spirit of btcd's
// fullblocktests: a short name, the block, and the rule it must break
// (Want), or blockchain.ErrUnknown if the chain must accept it.
type BlockCase struct {
	Name  string
	Block *blockchain.Block
	Want  blockchain.ErrorCode
}

// Accepted reports whether the chain must accept the case's block.
func (c BlockCase) Accepted() bool { return c.Want == blockchain.ErrUnknown }

// CaseNow is the chain's clock while it applies [ChainCases].
var CaseNow = blockchain.Genesis().Header().Timestamp.Add(time.Hour)

// CaseFailHeight is where the engine of [CaseConfig] rejects every block.
const CaseFailHeight = 5

// CaseConfig returns the Config a Chain must be built with to apply
// [ChainCases]: the Failer engine at CaseFailHeight and a clock stopped at
// CaseNow. Set Window on it to test the cases with a window.
func CaseConfig() blockchain.Config {
	return blockchain.Config{
		Engine:   NewFailer(CaseFailHeight),
		Now:      func() time.Time { return CaseNow },
		MaxDrift: time.Minute,
	}
}

// ChainCases returns the cases in the order they must be applied to a new
// chain built from [CaseConfig]: every accepted block extends the tip, and
// every rejected one is built against the tip of its moment and must leave
// the chain unchanged. Any change to Chain or its rules must keep them all
// passing; see blockchain's tests for the loop that applies them.
func ChainCases() []BlockCase {
	var cases []BlockCase
	tip := blockchain.Genesis()
	genesisTime := tip.Header().Timestamp
	accepted := map[string]blockchain.Transaction{}

	// next returns a header extending the current tip, a minute later.
	next := func(txs []blockchain.Transaction) blockchain.Header {
		return blockchain.NextHeader(tip.Header(), txs, tip.Header().Timestamp.Add(time.Minute))
	}
	accept := func(name string, b *blockchain.Block) {
		cases = append(cases, BlockCase{Name: name, Block: b})
		for _, tx := range b.Transactions() {
			accepted[tx.ID().String()] = tx
		}
		tip = b
	}
	reject := func(name string, b *blockchain.Block, want blockchain.ErrorCode) {
		cases = append(cases, BlockCase{Name: name, Block: b, Want: want})
	}
	build := func(txs ...blockchain.Transaction) *blockchain.Block {
		return blockchain.NewBlock(next(txs), txs)
	}
	edit := func(txs []blockchain.Transaction, change func(h *blockchain.Header)) *blockchain.Block {
		h := next(txs)
		change(&h)
		return blockchain.NewBlock(h, txs)
	}
	tx := func(name string) blockchain.Transaction { return Transfer(name, "alice", "bob", 100) }

	// Height 1.
	first := tx("first")
	accept("extends genesis", build(first, tx("second")))
	// Height 2.
	accept("empty block", build())

	// Broken links and heights.
	reject("prev hash is not the tip", edit(nil, func(h *blockchain.Header) { h.PrevHash = blockchain.Hash{1} }), blockchain.ErrPrevHashMismatch)
	reject("prev hash is genesis", edit(nil, func(h *blockchain.Header) { h.PrevHash = blockchain.Genesis().Hash() }), blockchain.ErrPrevHashMismatch)
	reject("height skips one", edit(nil, func(h *blockchain.Header) { h.Height++ }), blockchain.ErrBadHeight)
	reject("height repeats the tip's", edit(nil, func(h *blockchain.Header) { h.Height-- }), blockchain.ErrBadHeight)

	// Time.
	reject("timestamp before parent", edit(nil, func(h *blockchain.Header) { h.Timestamp = tip.Header().Timestamp.Add(-time.Millisecond) }), blockchain.ErrTimeBeforeParent)
	reject("timestamp before genesis", edit(nil, func(h *blockchain.Header) { h.Timestamp = genesisTime.Add(-time.Hour) }), blockchain.ErrTimeBeforeParent)
	reject("timestamp too far ahead", edit(nil, func(h *blockchain.Header) { h.Timestamp = CaseNow.Add(time.Minute + time.Millisecond) }), blockchain.ErrTimeTooFarAhead)
	reject("timestamp before 1970", edit(nil, func(h *blockchain.Header) { h.Timestamp = time.Unix(-1, 0) }), blockchain.ErrBadTimestamp)

	// Transactions.
	reject("transaction already in the chain", build(tx("fresh"), first), blockchain.ErrAlreadyIncluded)
	reject("same transaction twice", build(tx("twice"), tx("twice")), blockchain.ErrDuplicateTransaction)
	{
		// CVE-2012-2459: [a b c] and [a b c c] share a Merkle root.
		a, b, c := tx("merkle a"), tx("merkle b"), tx("merkle c")
		h := next([]blockchain.Transaction{a, b, c})
		reject("last transaction duplicated under the same Merkle root", blockchain.NewBlock(h, []blockchain.Transaction{a, b, c, c}), blockchain.ErrDuplicateTransaction)
	}
	reject("Merkle root of other transactions", blockchain.NewBlock(next([]blockchain.Transaction{tx("x")}), []blockchain.Transaction{tx("y")}), blockchain.ErrBadMerkleRoot)
	reject("Merkle root of reordered transactions", blockchain.NewBlock(next([]blockchain.Transaction{tx("p"), tx("q")}), []blockchain.Transaction{tx("q"), tx("p")}), blockchain.ErrBadMerkleRoot)
	reject("zero amount", build(Transfer("zero", "alice", "bob", 0)), blockchain.ErrInvalidAmount)
	reject("negative amount", build(Transfer("negative", "alice", "bob", -5)), blockchain.ErrInvalidAmount)
	reject("no sender", build(Transfer("no sender", "", "bob", 5)), blockchain.ErrMissingSender)
	reject("no receiver", build(Transfer("no receiver", "alice", "", 5)), blockchain.ErrMissingReceiver)
	reject("pays itself", build(Transfer("self", "alice", "alice", 5)), blockchain.ErrSelfTransfer)
	reject("over-long account", build(Transfer("long", "alice", string(make([]byte, blockchain.MaxAccountLen+1)), 5)), blockchain.ErrBadAccount)
	{
		many := make([]blockchain.Transaction, blockchain.MaxBlockTransactions+1)
		for i := range many {
			many[i] = tx(fmt.Sprintf("many %d", i))
		}
		reject("too many transactions", build(many...), blockchain.ErrTooManyTransactions)
	}

	// Header fields.
	reject("unknown version", edit(nil, func(h *blockchain.Header) { h.Version = 2 }), blockchain.ErrBadVersion)
	reject("bits over 256", edit(nil, func(h *blockchain.Header) { h.Bits = 257 }), blockchain.ErrBadBits)

	// Height 3 and 4: edge cases that are fine.
	accept("timestamp equal to parent's", edit(nil, func(h *blockchain.Header) { h.Timestamp = tip.Header().Timestamp }))
	odd := make([]blockchain.Transaction, 7)
	for i := range odd {
		odd[i] = Transfer(fmt.Sprintf("odd %d", i), fmt.Sprintf("account %d", i), "bank", int64(i+1))
	}
	accept("seven transactions (odd Merkle levels)", build(odd...))

	// Height 5: the engine has the last word.
	reject("consensus rejects", build(tx("at fail height")), blockchain.ErrInvalidSeal)
	return cases
}
