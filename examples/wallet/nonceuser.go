package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
)

// maxNoncePages bounds the pages of an account's history nonceUser reads
// to find the transfer of a nonce: 10 000 transfers, the account's own
// and those it received, a hundred requests. Past them, send says that
// the bank did not prove which transfer used the nonce, and send -again
// pays anew (and forgets the record).
const maxNoncePages = 100

// nonceUser returns the transfer from tx's sender, with tx's nonce and
// chain ID, that the bank proves included, against headers the wallet
// checked itself (see syncHeaders): the transfer that used tx's nonce,
// which may be tx itself (the same ID). The bank names it in the
// account's history (GET /accounts/{address}/transactions) and proves it
// (GET /transactions/{id}/proof). Included is its status, from the
// verified headers. A transfer other than tx must also be as deep under
// the verified tip as -confirmations asks (see defaultSendConfirmations).
//
// The headers must start from the genesis of the chain tx was signed for,
// as rec names it: the chain ID alone does not name a chain, and a bank
// can serve a spec of its own with tx's chain ID and blocks that cost
// nothing, and prove there, under as many blocks as -confirmations asks,
// a transfer that never was on tx's chain. A spec of another genesis is
// refused with a *wrongGenesisError; a record without a genesis (an older
// wallet's) is believed only with -genesis-hash, and the error wraps
// errRecordWithoutGenesis otherwise (see checkSignedFor).
func (w *wallet) nonceUser(ctx context.Context, c *bankclient.Client, rec inflightRecord) (blockchain.Transaction, bankclient.Status, error) {
	tx := rec.tx
	pinned, err := w.pinnedGenesis()
	if err != nil {
		return blockchain.Transaction{}, bankclient.Status{}, err
	}
	if rec.genesis.IsZero() && pinned.IsZero() {
		// Said before asking the bank anything: no answer of its could
		// be checked against tx's chain.
		return blockchain.Transaction{}, bankclient.Status{}, fmt.Errorf("transaction %s: %w", tx.ID(), errRecordWithoutGenesis)
	}
	from, nonce := tx.From(), tx.Nonce()
	id, err := findNonce(ctx, c, from, nonce)
	if err != nil {
		return blockchain.Transaction{}, bankclient.Status{}, err
	}
	p, err := c.TxProof(ctx, id)
	if err != nil {
		return blockchain.Transaction{}, bankclient.Status{}, fmt.Errorf("fetch the proof of transaction %s: %w", id, err)
	}
	got := p.Transaction
	if got.From() != from || got.Nonce() != nonce || got.ChainID() != tx.ChainID() {
		return blockchain.Transaction{}, bankclient.Status{}, fmt.Errorf("the bank's history names transaction %s for nonce %d, a transfer from %s with nonce %d on chain %q", id, nonce, got.From(), got.Nonce(), bankclient.Printable(got.ChainID()))
	}
	l, err := w.syncHeaders(ctx, c)
	if err != nil {
		return blockchain.Transaction{}, bankclient.Status{}, err
	}
	if err := checkSignedFor(rec, l.genesis, pinned); err != nil {
		return blockchain.Transaction{}, bankclient.Status{}, err
	}
	if l.spec.ChainID != tx.ChainID() {
		return blockchain.Transaction{}, bankclient.Status{}, fmt.Errorf("the bank's chain spec is now of chain %q, not %q", bankclient.Printable(l.spec.ChainID), bankclient.Printable(tx.ChainID()))
	}
	if err := l.client.VerifyTransaction(got, p.Height, p.Proof); err != nil {
		return blockchain.Transaction{}, bankclient.Status{}, l.refused("transaction "+id.String(), err)
	}
	if got.ID() != tx.ID() {
		// send will sign a new transfer in tx's place on the strength of
		// this proof: if it lies, tx may be mined all the same, and the
		// key pays twice. A block that holds got could be one the bank
		// mined alone, on a fork of its own, so the proof must carry the
		// work -confirmations asks for, as verify's does. (Proven to be
		// tx itself, it needs none: nothing is signed then.)
		tip, _ := l.client.Tip()
		if err := w.deep(l, fmt.Sprintf("transaction %s, which the bank says used nonce %d,", id, nonce), p.Height, tip.Height); err != nil {
			return blockchain.Transaction{}, bankclient.Status{}, fmt.Errorf("%w: %w", errShallow, err)
		}
	}
	hash, _ := l.client.HashAt(p.Height)
	return got, bankclient.Status{ID: got.ID(), Hash: got.Hash(), State: bankclient.Included, Height: p.Height, BlockHash: hash}, nil
}

// errShallow is wrapped by nonceUser's error when the bank proves that
// another transfer used the nonce, in a block not yet under the blocks
// -confirmations asks for: proven, but not yet deep enough to sign a new
// transfer in tx's place; more blocks on it may make it so.
var errShallow = errors.New("by another transfer, not yet as deep as -confirmations asks")

// errIndexBehind is wrapped by findNonce's error when the bank's history
// of the account lacks the nonce and covers fewer blocks than its chain
// holds: its ledger index has not yet recorded the newest blocks, and the
// transfer may be in one of them.
var errIndexBehind = errors.New("the bank's ledger index is behind its chain")

// findNonce returns the ID of the transfer from the account from with
// nonce, as the bank's history of the account names it, reading at most
// maxNoncePages pages, newest first. If the history shows none and the
// bank's index is behind its chain (the first page's height below the
// head's), the error wraps errIndexBehind.
func findNonce(ctx context.Context, c *bankclient.Client, from blockchain.Address, nonce uint64) (uuid.UUID, error) {
	before := ""
	var covered uint64 // the newest block the history covers, as its first page says
	none := func() error {
		err := fmt.Errorf("the bank's history of %s shows no transfer of nonce %d", from, nonce)
		if head, herr := c.Head(ctx); herr == nil && covered < head.Height {
			return fmt.Errorf("%w: %w: the history covers blocks up to %d, the chain is at %d", err, errIndexBehind, covered, head.Height)
		}
		return err
	}
	for i := range maxNoncePages {
		page, err := c.History(ctx, from, maxHistoryLimit, before)
		if err != nil {
			return uuid.UUID{}, fmt.Errorf("read the history of %s: %w", from, err)
		}
		if i == 0 {
			covered = page.Height
		}
		for _, e := range page.Transactions {
			if e.From != from {
				continue
			}
			if e.Nonce == nonce {
				return e.ID, nil
			}
			if e.Nonce < nonce {
				// Newest first: the older pages hold lower nonces.
				return uuid.UUID{}, none()
			}
		}
		if page.Next == "" {
			return uuid.UUID{}, none()
		}
		before = page.Next
	}
	return uuid.UUID{}, fmt.Errorf("the newest %d transfers of %s in the bank's history show none of nonce %d", maxNoncePages*maxHistoryLimit, from, nonce)
}
