package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
)

// An inflightRecord is what a file of the journal holds: a transfer send
// signed and has not yet seen through, and the genesis hash of the chain
// it was signed for — the one -genesis-hash pinned, else the genesis of
// the chain spec the bank served as send signed it. The chain ID inside
// the transfer is not enough to name its chain: a bank can serve a spec
// of its own with the same chain ID and no work to do (Bits 0), mine a
// fork of it for nothing, and prove there whatever it likes; the genesis
// commits to the whole spec, so a fork on another spec has another
// genesis (see nonceUser).
//
// It is written as
//
//	{"genesis":"3f9c…","transaction":{"id":"…","chainId":"…",…}}
//
// Records written before the genesis was kept are the transaction alone,
// {"id":"…","chainId":"…",…}; decodeRecord reads them with a zero
// genesis, and nonceUser believes no proof about such a record unless
// -genesis-hash names the chain (see errRecordWithoutGenesis).
type inflightRecord struct {
	tx      blockchain.Transaction
	genesis blockchain.Hash // zero in a record of the first form
}

// recordJSON is an inflightRecord's JSON.
type recordJSON struct {
	Genesis     blockchain.Hash        `json:"genesis"`
	Transaction blockchain.Transaction `json:"transaction"`
}

// encodeRecord returns r's JSON, in the form with its genesis.
func encodeRecord(r inflightRecord) ([]byte, error) {
	if r.genesis.IsZero() {
		return nil, errors.New("a record needs the genesis of the chain its transfer was signed for")
	}
	return json.Marshal(recordJSON{Genesis: r.genesis, Transaction: r.tx})
}

// decodeRecord reads a record in either form: {"genesis","transaction"},
// or the transaction alone (a record an older wallet wrote, whose genesis
// is then zero). Other members, a member given twice, a missing or zero
// genesis beside a transaction, and a transaction its own UnmarshalJSON refuses are
// errors. The transaction's signature is not checked here (readRecord
// does).
func decodeRecord(data []byte) (inflightRecord, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return inflightRecord{}, fmt.Errorf("not a record: %w", err)
	}
	rawTx, wrapped := members["transaction"]
	if !wrapped {
		var tx blockchain.Transaction
		if err := tx.UnmarshalJSON(data); err != nil {
			return inflightRecord{}, err
		}
		return inflightRecord{tx: tx}, nil
	}
	if err := uniqueMembers(data); err != nil {
		return inflightRecord{}, err
	}
	rawGenesis, ok := members["genesis"]
	if !ok || len(members) != 2 {
		return inflightRecord{}, fmt.Errorf("a record has members genesis and transaction: have %d member(s), genesis present %t", len(members), ok)
	}
	var r inflightRecord
	if err := json.Unmarshal(rawGenesis, &r.genesis); err != nil {
		return inflightRecord{}, fmt.Errorf("the record's genesis: %w", err)
	}
	if r.genesis.IsZero() {
		return inflightRecord{}, errors.New("the record's genesis is missing or the zero hash")
	}
	if err := r.tx.UnmarshalJSON(rawTx); err != nil {
		return inflightRecord{}, err
	}
	return r, nil
}

// uniqueMembers returns an error if the JSON object data names a member
// twice, which json.Unmarshal into a map takes silently, the last one
// winning: a record says each thing once.
func uniqueMembers(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // the object's '{', as json.Unmarshal found
		return fmt.Errorf("not a record: %w", err)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not a record: %w", err)
		}
		name, _ := tok.(string) // in an object, a member's name
		if seen[name] {
			return fmt.Errorf("the record names member %q twice", name)
		}
		seen[name] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return fmt.Errorf("not a record: %w", err)
		}
	}
	return nil
}

// A wrongGenesisError is nonceUser's error when the bank's chain spec,
// against which it proves which transfer used the nonce of a transfer in
// flight, makes another genesis than the chain that transfer was signed
// for: another chain with the same chain ID — one begun again since, or
// a bank's own, where blocks may cost nothing — whose proofs say nothing
// of what became of the transfer on its own chain.
type wrongGenesisError struct {
	ID     uuid.UUID       // the transfer in flight
	Signed blockchain.Hash // the genesis its record names
	Served blockchain.Hash // the genesis the bank's spec makes
}

func (e *wrongGenesisError) Error() string {
	return fmt.Sprintf("the bank's chain spec makes genesis %s, not %s, the genesis of the chain transaction %s was signed for: another chain with the same chain ID (one begun again since, or the bank's own, where blocks may cost nothing), whose proofs say nothing of that transfer", e.Served, e.Signed, e.ID)
}

// errRecordWithoutGenesis is wrapped by nonceUser's error for a transfer
// whose record an older wallet wrote, without the genesis of its chain,
// when -genesis-hash is not given: the chain the bank proves things
// against is then its word alone, and a bank can serve a spec of its own
// with the same chain ID and blocks that cost nothing. With -genesis-hash
// the chain is the pinned one, and the proof is checked against it.
var errRecordWithoutGenesis = errors.New("its record, written by an older wallet, does not say the genesis of the chain it was signed for: give -genesis-hash (the network's genesis, from a source other than the bank) to have the bank's proof checked against that chain")

// checkSignedFor returns an error unless the bank's proofs about the
// transfer of r, checked against headers from the genesis served (the
// one a light client synced), may be believed: served must be r's
// genesis, or, for a record without one, the genesis -genesis-hash pins
// (pinned; zero if not given).
func checkSignedFor(r inflightRecord, served, pinned blockchain.Hash) error {
	switch {
	case r.genesis.IsZero() && pinned.IsZero():
		return fmt.Errorf("transaction %s: %w", r.tx.ID(), errRecordWithoutGenesis)
	case r.genesis.IsZero() && served != pinned:
		// syncHeaders refuses such a spec already; said again here so
		// that this check stands on its own.
		return &wrongGenesisError{ID: r.tx.ID(), Signed: pinned, Served: served}
	case !r.genesis.IsZero() && served != r.genesis:
		return &wrongGenesisError{ID: r.tx.ID(), Signed: r.genesis, Served: served}
	}
	return nil
}
