package blockchain_test

import (
	"bytes"
	"crypto/sha256"
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

func fuzzBlocks(tb testing.TB) []*blockchain.Block {
	sealed := goldenHeader()
	sealed.Seal = goldenSeal
	return []*blockchain.Block{consensustest.Genesis(), goldenBlock(tb), blockchain.NewBlock(sealed, goldenTxs(tb))}
}

// fuzzTxs are the fuzz targets' seed transactions: the golden ones, one
// that breaks a rule, and the zero Transaction.
func fuzzTxs(tb testing.TB) []blockchain.Transaction {
	return append(goldenTxs(tb), consensustest.TransferFee("alice", "alice", 0, -1, 3), blockchain.Transaction{})
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
	for _, tx := range fuzzTxs(f) {
		enc, _ := tx.MarshalBinary()
		f.Add(enc)
	}
	f.Add([]byte{2})
	f.Add([]byte{2, 255})
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
		checkTxIdentity(t, tx)
		_ = blockchain.CheckTransactionSanity(tx) // must not panic
	})
}

// checkTxIdentity checks that a decoded transaction is the one its parts
// make, with the hash of its encoding.
func checkTxIdentity(t *testing.T, tx blockchain.Transaction) {
	t.Helper()
	sig := tx.Signature()
	if again := blockchain.NewTransaction(tx.Fields(), sig[:]); again != tx {
		t.Fatalf("the decoded transaction is not the one its fields and signature make: %v, %v", tx, again)
	}
	if enc, err := tx.MarshalBinary(); err == nil && blockchain.Hash(sha256.Sum256(enc)) != tx.Hash() {
		t.Fatalf("hash %s is not SHA-256 of the encoding %x", tx.Hash(), enc)
	}
}

func FuzzHeaderBinary(f *testing.F) {
	enc, _ := goldenHeader().MarshalBinary()
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
	for _, b := range fuzzBlocks(f) {
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
	for _, b := range fuzzBlocks(f) {
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
	for _, tx := range fuzzTxs(f) {
		enc, _ := json.Marshal(tx)
		f.Add(enc)
	}
	f.Add([]byte(`{"chainId":"a","from":"","to":"","amount":0,"fee":0,"nonce":0,"publicKey":"","signature":""}`))
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
		checkTxIdentity(t, tx)
		if enc, err := tx.MarshalBinary(); err == nil { // a chain ID of up to 255 bytes
			var fromBin blockchain.Transaction
			if err := fromBin.UnmarshalBinary(enc); err != nil {
				t.Fatalf("decode own binary encoding %x: %v", enc, err)
			}
			if fromBin != tx {
				t.Fatalf("JSON and binary disagree: %v → %v", tx, fromBin)
			}
		}
		_ = blockchain.CheckTransactionSanity(tx) // must not panic
	})
}
