package bank

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
)

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
//
// The history comes from the bank's ledger index, which records each
// block a moment after the chain takes it, and which falls behind while
// its file takes no writes (a full disk). Height says how far it goes:
// the page holds the account's transactions of blocks up to Height and
// none of later blocks, so a client that sees Height below the chain's
// tip (GET /chain/head) knows the newest are yet to come.
type History struct {
	Transactions []HistoryEntry `json:"transactions"`
	Next         string         `json:"next,omitempty"`
	Height       uint64         `json:"height"` // the newest block the index recorded: the history covers blocks 1…Height
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
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid address", Detail: truncateDetail(err.Error()), Field: "address"})
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
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid limit", Detail: withReason(fmt.Sprintf("want 1…%d", maxHistoryLimit), err), Field: "limit"})
		return
	}
	// The cursor is the sequence number (the place in the chain) of the
	// oldest transaction of the last page: the next page holds older
	// ones. Any number up to the next to be given is a cursor.
	before := uint64(math.MaxUint64)
	v, given, err := queryParam(r, "before")
	if err != nil {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid cursor", Detail: "pass the next cursor of an earlier page", Field: "before"})
		return
	}
	if given {
		n, err := parseDecimal(v, 63)
		next, ierr := b.index.store.nextSeq()
		if err != nil || (ierr == nil && n > next) {
			b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid cursor", Detail: "pass the next cursor of an earlier page", Field: "before"})
			return
		}
		before = n
	}
	// The index's newest block is read first: a block it records while
	// the page is read is left out of the page, which then says exactly
	// which blocks it covers.
	var height uint64
	if ref, ok, err := b.index.store.last(); err != nil {
		b.indexFailed(w, "read history", err)
		return
	} else if ok {
		height = ref.height
	}
	recs, more, err := b.index.store.history(a, before, int(limit))
	if err != nil {
		b.indexFailed(w, "read history", err)
		return
	}
	out := History{Transactions: make([]HistoryEntry, 0, len(recs)), Height: height}
	for _, rec := range recs {
		if rec.height > height {
			continue // recorded after height was read: the next read has it
		}
		// The index holds every block's hash; the chain, after a restore
		// from a snapshot, only those from the snapshot on.
		ref, _, err := b.index.store.block(rec.height)
		if err != nil {
			b.indexFailed(w, "read history", err)
			return
		}
		hash := ref.hash
		dir := "in"
		if rec.from == a {
			dir = "out"
		}
		out.Transactions = append(out.Transactions, HistoryEntry{ID: rec.id, Hash: rec.hash, Height: rec.height, BlockHash: hash,
			From: rec.from, To: rec.to, Amount: rec.amount, Fee: rec.fee, Nonce: rec.nonce, Direction: dir})
	}
	if more && len(recs) > 0 {
		out.Next = strconv.FormatUint(recs[len(recs)-1].seq, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

func (b *Bank) getSpec(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, b.node.Chain().Spec())
}

// included reports where the index saw a transaction included.
func (b *Bank) included(id uuid.UUID) (height uint64, ok bool) {
	rec, ok, err := b.index.store.tx(id)
	if err != nil {
		b.logger.Error("ledger index read failed", "tx", id, "err", err)
		return 0, false
	}
	return rec.height, ok
}
