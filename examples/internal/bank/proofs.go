package bank

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/eventchain/eventchain/blockchain"
)

// TransactionProof is the answer of GET /transactions/{id}/proof: the
// transaction, the header of the block that includes it, and its audit
// path in that block's Merkle tree. A client checks it against a header
// it verified itself, not the one sent here, which is included for
// convenience: proof.Count must be header.TxCount (an audit path climbs
// to the same root for trees of several sizes, so only the count the
// header commits to fixes the index), and
// blockchain.VerifyTxInclusion(header.MerkleRoot, transaction, proof)
// must hold. lightclient.Client.VerifyTransaction does both.
type TransactionProof struct {
	Transaction blockchain.Transaction    `json:"transaction"`
	Height      uint64                    `json:"height"`
	Header      blockchain.Header         `json:"header"`
	Proof       blockchain.InclusionProof `json:"proof"`
}

// AccountProofAnswer is the answer of GET /accounts/{address}/proof: the
// header at the height asked for and the account proof against its
// StateRoot, which blockchain.VerifyAccount checks.
type AccountProofAnswer struct {
	Header blockchain.Header       `json:"header"`
	Proof  blockchain.AccountProof `json:"proof"`
}

func (b *Bank) getTransactionProof(w http.ResponseWriter, r *http.Request) {
	id, err := parsePathID(r.PathValue("id"))
	if err != nil {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid transaction ID", Detail: truncateDetail(err.Error()), Field: "id"})
		return
	}
	height, ok := b.included(id)
	if !ok {
		// A block the node applied and the bank has not indexed yet, as
		// GET /transactions/{id} finds it.
		st, found, complete := b.inNewBlock(id)
		if found {
			height, ok = *st.Height, true
		} else if !complete {
			b.indexBehind(w, id)
			return
		}
	}
	if !ok {
		b.problem(w, Problem{Status: http.StatusNotFound, Title: "not included", Detail: fmt.Sprintf("no block of the chain includes %s (yet)", id), Field: "id"})
		return
	}
	blk, err := b.blockAt(r.Context(), height)
	if err != nil {
		b.blockFailed(w, height, err)
		return
	}
	for i := range blk.Len() {
		if tx := blk.Transaction(i); tx.ID() == id {
			proof, err := blk.InclusionProof(i)
			if err != nil { // i is in range: cannot fail
				b.problem(w, Problem{Status: http.StatusInternalServerError, Title: "no proof", Detail: err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, TransactionProof{Transaction: tx, Height: height, Header: blk.Header(), Proof: proof})
			return
		}
	}
	b.problem(w, Problem{Status: http.StatusInternalServerError, Title: "index out of step", Detail: fmt.Sprintf("block %d does not hold %s", height, id)})
}

func (b *Bank) getAccountProof(w http.ResponseWriter, r *http.Request) {
	a, ok := b.pathAddress(w, r)
	if !ok {
		return
	}
	chain := b.node.Chain()
	tip := chain.Height()
	height, err := queryUint(r, "height", tip)
	if err != nil {
		b.problem(w, Problem{Status: http.StatusBadRequest, Title: "invalid height", Detail: withReason("want a block height", err), Field: "height"})
		return
	}
	if height > tip {
		b.problem(w, Problem{Status: http.StatusNotFound, Title: "no such height", Detail: fmt.Sprintf("the tip is at height %d", tip), Field: "height"})
		return
	}
	proof, err := chain.ProveAccount(a, height)
	if errors.Is(err, blockchain.ErrStateNotKept) {
		b.problem(w, Problem{Status: http.StatusGone, Title: "state no longer held", Detail: fmt.Sprintf("the state at height %d left this node's window of recent states", height), Field: "height"})
		return
	}
	if err != nil {
		b.problem(w, Problem{Status: http.StatusInternalServerError, Title: "no proof", Detail: err.Error()})
		return
	}
	header, _ := chain.HeaderAt(height)
	writeJSON(w, http.StatusOK, AccountProofAnswer{Header: header, Proof: proof})
}
