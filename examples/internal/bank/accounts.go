package bank

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
)

// The bank's ledger index: what it remembers of every transaction the
// chain included, so that GET /transactions/{id} can say in which block a
// transaction sits, and GET /accounts/{address}/transactions can list an
// account's history, for any height. The chain itself keeps no such
// index (nonces refuse replays), so this is the bank's own, fed by its
// node's BlockAdded events in chain order.
//
// Its cost, in memory: one txRecord (about 110 bytes) and one map entry
// (about 40) per transaction, plus one int32 (4 bytes) in the history of
// each of its two accounts: about 160 bytes per transaction, growing
// with history. A bank serving a long-lived chain would keep it on disk
// instead (the durable log's own file, or a second bbolt file).
type ledgerIndex struct {
	records []txRecord                     // every included transaction, in chain order
	byID    map[uuid.UUID]int32            // record index by transaction ID
	byAddr  map[blockchain.Address][]int32 // record indexes by account, oldest first
}

// A txRecord is one included transaction as the index keeps it.
type txRecord struct {
	id       uuid.UUID
	hash     blockchain.Hash
	from, to blockchain.Address
	amount   int64
	fee      int64
	nonce    uint64
	height   uint64
}

// add records the transactions of b, a block just added to the chain.
func (ix *ledgerIndex) add(b *blockchain.Block) {
	if ix.byID == nil {
		ix.byID = make(map[uuid.UUID]int32)
		ix.byAddr = make(map[blockchain.Address][]int32)
	}
	for i := range b.Len() {
		tx := b.Transaction(i)
		if _, dup := ix.byID[tx.ID()]; dup { // impossible on a valid chain: the nonce refuses a replay
			continue
		}
		n := int32(len(ix.records))
		ix.records = append(ix.records, txRecord{id: tx.ID(), hash: tx.Hash(), from: tx.From(), to: tx.To(),
			amount: tx.Amount(), fee: tx.Fee(), nonce: tx.Nonce(), height: b.Height()})
		ix.byID[tx.ID()] = n
		ix.byAddr[tx.From()] = append(ix.byAddr[tx.From()], n)
		ix.byAddr[tx.To()] = append(ix.byAddr[tx.To()], n)
	}
}

// AccountState is the answer of GET /accounts/{address}.
type AccountState struct {
	Address blockchain.Address `json:"address"`
	Balance int64              `json:"balance"`   // minor units, after the tip
	Nonce   uint64             `json:"nonce"`     // transfers the account sent, in the chain
	Next    uint64             `json:"nextNonce"` // the nonce of its next transfer, counting the bank's pending ones
	Height  uint64             `json:"height"`    // the tip the balance is read at
}

// HistoryEntry is one transaction of GET /accounts/{address}/transactions.
type HistoryEntry struct {
	ID        uuid.UUID          `json:"id"`
	Hash      blockchain.Hash    `json:"hash"`
	Height    uint64             `json:"height"`
	BlockHash blockchain.Hash    `json:"blockHash"`
	From      blockchain.Address `json:"from"`
	To        blockchain.Address `json:"to"`
	Amount    int64              `json:"amount"`
	Fee       int64              `json:"fee"`
	Nonce     uint64             `json:"nonce"`
	Direction string             `json:"direction"` // "out" if the account sent it, "in" if it received it
}

// History is the answer of GET /accounts/{address}/transactions: a page
// of an account's transactions, newest first. Next, if set, is the
// cursor of the next (older) page: pass it as ?before=.
type History struct {
	Transactions []HistoryEntry `json:"transactions"`
	Next         string         `json:"next,omitempty"`
}

// Bounds of GET /accounts/{address}/transactions' limit parameter.
const (
	defaultHistoryLimit = 20
	maxHistoryLimit     = 100
)

// pathAddress reads the {address} of the path, or answers 400.
func (b *Bank) pathAddress(w http.ResponseWriter, r *http.Request) (blockchain.Address, bool) {
	a, err := blockchain.ParseAddress(r.PathValue("address"))
	if err != nil {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid address", Detail: truncate(err.Error()), Field: "address"})
		return blockchain.Address{}, false
	}
	return a, true
}

func (b *Bank) getAccount(w http.ResponseWriter, r *http.Request) {
	a, ok := b.pathAddress(w, r)
	if !ok {
		return
	}
	chain := b.node.Chain()
	// The balance and the height must be of one block, though a block may
	// come in between: read the height, then the state after it, which
	// the chain keeps (blockchain.Config.StateHistory).
	height := chain.Height()
	st, ok := chain.StateAt(height)
	if !ok { // the chain keeps its tip's state and more: not reached
		st, height = chain.State(), chain.Height()
	}
	acct := st.Account(a)
	next := b.node.Pool().NextNonce(a)
	writeJSON(w, http.StatusOK, AccountState{Address: a, Balance: acct.Balance, Nonce: acct.Nonce, Next: max(next, acct.Nonce), Height: height})
}

func (b *Bank) getHistory(w http.ResponseWriter, r *http.Request) {
	a, ok := b.pathAddress(w, r)
	if !ok {
		return
	}
	limit, err := queryUint(r, "limit", defaultHistoryLimit)
	if err != nil || limit < 1 || limit > maxHistoryLimit {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid limit", Detail: fmt.Sprintf("want 1…%d", maxHistoryLimit), Field: "limit"})
		return
	}
	chain := b.node.Chain()
	b.mu.Lock()
	refs := b.index.byAddr[a]
	end := len(refs) // the page ends before refs[end]
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseUint(v, 10, 31)
		if err != nil || n > uint64(len(refs)) {
			b.mu.Unlock()
			b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid cursor", Detail: "pass the next cursor of an earlier page", Field: "before"})
			return
		}
		end = int(n)
	}
	start := max(0, end-int(limit))
	page := slices.Clone(refs[start:end])
	recs := make([]txRecord, len(page))
	for i, n := range page {
		recs[i] = b.index.records[n]
	}
	b.mu.Unlock()

	out := History{Transactions: make([]HistoryEntry, 0, len(recs))}
	for i := len(recs) - 1; i >= 0; i-- {
		rec := recs[i]
		hash, _ := chain.HashAt(rec.height)
		dir := "in"
		if rec.from == a {
			dir = "out"
		}
		out.Transactions = append(out.Transactions, HistoryEntry{ID: rec.id, Hash: rec.hash, Height: rec.height, BlockHash: hash,
			From: rec.from, To: rec.to, Amount: rec.amount, Fee: rec.fee, Nonce: rec.nonce, Direction: dir})
	}
	if start > 0 {
		out.Next = strconv.Itoa(start)
	}
	writeJSON(w, http.StatusOK, out)
}

func (b *Bank) getSpec(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, b.node.Chain().Spec())
}

// included reports where the index saw a transaction included.
func (b *Bank) included(id uuid.UUID) (height uint64, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.index.byID[id]
	if !ok {
		return 0, false
	}
	return b.index.records[n].height, true
}
