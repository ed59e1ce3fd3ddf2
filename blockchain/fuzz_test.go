package blockchain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// The fuzz targets feed decoders arbitrary bytes. Whatever comes in, a
// decoder must return a value or an error it documents, never panic or
// hang; and what it decodes must encode back to what it read (binary:
// byte for byte, since the encoding is canonical) and hash the same.
//
//	go test ./blockchain -run '^$' -fuzz FuzzBlockBinary -fuzztime 1m
//
// Inputs that once found a bug stay in testdata/fuzz/<target>.

func fuzzBlocks() []*blockchain.Block {
	g := blockchain.Genesis()
	txs := []blockchain.Transaction{goldenTx, consensustest.Transfer("fuzz", "Zoë", "渡辺", 1)}
	h := goldenHeader
	h.MerkleRoot = blockchain.TxMerkleRoot(txs)
	return []*blockchain.Block{g, blockchain.NewBlock(h, txs)}
}

// checkDecodeError fails unless err is one a decoder documents.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var re *blockchain.RuleError
	if !errors.Is(err, blockchain.ErrMalformed) && !errors.As(err, &re) {
		t.Fatalf("undocumented decode error %T: %v", err, err)
	}
}

func FuzzTransactionBinary(f *testing.F) {
	enc, _ := goldenTx.MarshalBinary()
	f.Add(enc)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tx blockchain.Transaction
		if err := tx.UnmarshalBinary(data); err != nil {
			checkDecodeError(t, err)
			return
		}
		again, err := tx.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("not canonical: read %x, wrote %x", data, again)
		}
		_ = blockchain.CheckTransactionSanity(tx) // must not panic
	})
}

func FuzzHeaderBinary(f *testing.F) {
	enc, _ := goldenHeader.MarshalBinary()
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		var h blockchain.Header
		if err := h.UnmarshalBinary(data); err != nil {
			checkDecodeError(t, err)
			return
		}
		again, _ := h.MarshalBinary()
		if !bytes.Equal(again, data) {
			t.Fatalf("not canonical: read %x, wrote %x", data, again)
		}
	})
}

func FuzzBlockBinary(f *testing.F) {
	for _, b := range fuzzBlocks() {
		enc, _ := b.MarshalBinary()
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b blockchain.Block
		if err := b.UnmarshalBinary(data); err != nil {
			checkDecodeError(t, err)
			return
		}
		again, err := b.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("not canonical: read %x, wrote %x", data, again)
		}
		_ = b.Validate() // must not panic
	})
}

func FuzzBlockJSON(f *testing.F) {
	for _, b := range fuzzBlocks() {
		enc, _ := json.Marshal(b)
		f.Add(enc)
	}
	f.Add([]byte(`{"header":{},"transactions":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b blockchain.Block
		if err := json.Unmarshal(data, &b); err != nil {
			var se *json.SyntaxError
			if !errors.As(err, &se) { // json.Unmarshal checks syntax before calling the decoder
				checkDecodeError(t, err)
			}
			return
		}
		again, err := json.Marshal(&b)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back blockchain.Block
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("decode own encoding %s: %v", again, err)
		}
		if back.Hash() != b.Hash() || back.Len() != b.Len() {
			t.Fatalf("round trip changed the block: %s", again)
		}
		_ = b.Validate()
	})
}

func FuzzTransactionJSON(f *testing.F) {
	enc, _ := json.Marshal(goldenTx)
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		var tx blockchain.Transaction
		if err := json.Unmarshal(data, &tx); err != nil {
			var se *json.SyntaxError
			if !errors.As(err, &se) {
				checkDecodeError(t, err)
			}
			return
		}
		again, err := json.Marshal(tx)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back blockchain.Transaction
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("decode own encoding %s: %v", again, err)
		}
		if back != tx {
			t.Fatalf("round trip changed the transaction: %v → %v", tx, back)
		}
	})
}
