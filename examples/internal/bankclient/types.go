package bankclient

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
)

// Head is the tip of the bank's chain: GET /chain/head.
type Head struct {
	Height    uint64          `json:"height"`    // the tip's height; 0 with genesis only
	Hash      blockchain.Hash `json:"hash"`      // the tip's block hash
	Timestamp time.Time       `json:"timestamp"` // the tip's timestamp
	Pending   int             `json:"pending"`   // transactions waiting in the bank's pool
}

// Account is what the bank knows of an address: GET /accounts/{address}.
// An address that never held anything has balance 0 and nonce 0.
type Account struct {
	Address blockchain.Address `json:"address"`
	// Balance is in minor units, after the tip.
	Balance int64 `json:"balance"`
	// Nonce is the number of the address's transfers in the chain.
	Nonce uint64 `json:"nonce"`
	// NextNonce is Nonce plus the address's transfers pending in the
	// bank's pool: the nonce to sign the next transfer with.
	NextNonce uint64 `json:"nextNonce"`
}

// State is where a submitted transaction stands.
type State string

// The states of a transaction. Included is final. Dropped ends a wait
// (Final), and is final when the transfer's nonce was used by another:
// one dropped for want of funds, or after the auditor gave up on it,
// stays a valid signed transfer while its nonce is unused, and anyone
// may submit it again and have it mined (docs/guarantees.md §6).
const (
	// Pending: accepted, waiting in the pool for a block.
	Pending State = "pending"
	// Included: in a block of the chain (Status.Height, Status.BlockHash).
	Included State = "included"
	// Dropped: taken out of the pool without being included; Status.Reason
	// and Status.Rule say why (its nonce was used by another transfer,
	// the funds ran out, it waited too long).
	Dropped State = "dropped"
)

// Final reports whether a wait for a transaction in state s is over:
// whether it is included, or dropped (see the states for when a dropped
// transfer may still be mined).
func (s State) Final() bool { return s == Included || s == Dropped }

// UnmarshalText accepts the three states and refuses anything else, so a
// Status never holds a state its reader does not know.
func (s *State) UnmarshalText(text []byte) error {
	switch st := State(text); st {
	case Pending, Included, Dropped:
		*s = st
		return nil
	}
	return fmt.Errorf("status: have %q, want pending, included or dropped", text)
}

// Status is what became of a submitted transaction: the answer to POST
// /transactions and GET /transactions/{id}.
type Status struct {
	ID     uuid.UUID       `json:"id"`              // the transaction's ID (blockchain.Transaction.ID)
	Hash   blockchain.Hash `json:"hash"`            // the transaction's hash; zero if the bank holds it no longer (dropped, and forgotten)
	State  State           `json:"status"`          // pending, included or dropped
	Height uint64          `json:"height,omitzero"` // included: the block's height
	// BlockHash is, once included, the hash of the block that holds it.
	BlockHash blockchain.Hash `json:"blockHash,omitzero"`
	// Reason says, once dropped, why, for a person.
	Reason string `json:"reason,omitempty"`
	// Rule names, once dropped, the blockchain rule the transaction came
	// to break ("bad-nonce", "insufficient-funds"); empty if it waited
	// too long.
	Rule string `json:"rule,omitempty"`
}

// Direction says whether a transfer in an account's history left it or
// reached it.
type Direction string

// The two directions of a transfer, seen from the account.
const (
	In  Direction = "in"  // the account received the amount
	Out Direction = "out" // the account sent the amount and paid the fee
)

// HistoryEntry is one included transfer in an account's history.
type HistoryEntry struct {
	ID        uuid.UUID          `json:"id"`
	Hash      blockchain.Hash    `json:"hash"`
	Height    uint64             `json:"height"`    // the block that includes it
	BlockHash blockchain.Hash    `json:"blockHash"` // the block that includes it
	From      blockchain.Address `json:"from"`
	To        blockchain.Address `json:"to"`
	Amount    int64              `json:"amount"`
	Fee       int64              `json:"fee"`
	Nonce     uint64             `json:"nonce"`
	Direction Direction          `json:"direction"`
}

// Page is one page of an account's history, newest first.
type Page struct {
	Transactions []HistoryEntry `json:"transactions"`
	// Next is the cursor of the following (older) page, to pass as
	// History's before; empty on the last page.
	Next string `json:"next,omitempty"`
	// Height is the newest block the bank's index had recorded when it
	// made the page: the page holds no transfer of a later block. Below
	// the chain's tip (Head), the newest transfers are yet to come.
	Height uint64 `json:"height"`
}

// TxProof is the answer of GET /transactions/{id}/proof: a transaction
// included in the chain, the height and header of the block that holds
// it, and its inclusion proof in that block's Merkle tree.
//
// The header is the bank's word, sent for convenience. A client that does
// not trust the bank checks the proof against a header it verified
// itself, at Height (lightclient.Client.VerifyTransaction), never against
// this one: a bank that forged the proof could forge the header too.
type TxProof struct {
	Transaction blockchain.Transaction    `json:"transaction"`
	Height      uint64                    `json:"height"`
	Header      blockchain.Header         `json:"header"`
	Proof       blockchain.InclusionProof `json:"proof"`
}

// AccountProofAnswer is the answer of GET /accounts/{address}/proof: the
// header of the block at the height asked for (the tip by default), and
// the proof of the account's balance and nonce — or that it has none —
// after that block, against the header's StateRoot.
//
// As with TxProof, the header is the bank's word: check the proof against
// a header you verified (lightclient.Client.VerifyAccountAt).
type AccountProofAnswer struct {
	Header blockchain.Header       `json:"header"`
	Proof  blockchain.AccountProof `json:"proof"`
}
