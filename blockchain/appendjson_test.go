package blockchain_test

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// reflectedTx is the transaction's JSON form as encoding/json writes it
// from struct tags: what Transaction.AppendJSON, which writes it by hand,
// must match byte for byte.
type reflectedTx struct {
	ID        uuid.UUID            `json:"id"`
	ChainID   string               `json:"chainId"`
	From      blockchain.Address   `json:"from"`
	To        blockchain.Address   `json:"to"`
	Amount    int64                `json:"amount"`
	Fee       int64                `json:"fee"`
	Nonce     uint64               `json:"nonce"`
	PublicKey blockchain.PublicKey `json:"publicKey"`
	Signature string               `json:"signature"`
	Hash      blockchain.Hash      `json:"hash"`
}

func reflected(t testing.TB, tx blockchain.Transaction) []byte {
	t.Helper()
	f, sig := tx.Fields(), tx.Signature()
	want, err := json.Marshal(reflectedTx{ID: tx.ID(), ChainID: f.ChainID, From: f.From, To: f.To, Amount: f.Amount, Fee: f.Fee,
		Nonce: f.Nonce, PublicKey: f.PublicKey, Signature: hex.EncodeToString(sig[:]), Hash: tx.Hash()})
	require.NoError(t, err)
	return want
}

// txWithChainID re-signs a transfer from alice for chainID, whatever it
// holds: the encoder must quote it as encoding/json does.
func txWithChainID(chainID string, amount, fee int64, nonce uint64) blockchain.Transaction {
	return blockchain.Transfer{ChainID: chainID, To: consensustest.Addr("bob"), Amount: amount, Fee: fee, Nonce: nonce}.Sign(consensustest.Key("alice"))
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		tx   blockchain.Transaction
	}{
		{"a transfer", consensustest.TransferFee("alice", "bob", 125, 1, 7)},
		{"the zero transaction", blockchain.Transaction{}},
		{"extreme numbers", txWithChainID(consensustest.ChainID, math.MinInt64, math.MaxInt64, math.MaxUint64)},
		{"negative fee", txWithChainID(consensustest.ChainID, 1, -1, 0)},
		{"HTML characters in the chain ID", txWithChainID(`<a href="x">&</a>`, 1, 0, 0)},
		{"control characters and a backslash", txWithChainID("a\x00b\tc\n\\", 1, 0, 0)},
		{"non-ASCII and line separators", txWithChainID("chaîne\u2028\u2029", 1, 0, 0)},
		{"invalid UTF-8", txWithChainID("a\xffb", 1, 0, 0)},
		{"DEL", txWithChainID("a\x7fb", 1, 0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := reflected(t, tc.tx)
			assert.Equal(t, string(want), string(tc.tx.AppendJSON(nil)))
			got, err := json.Marshal(tc.tx)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got), "json.Marshal, through MarshalJSON")
			prefix := []byte("prefix:")
			assert.Equal(t, "prefix:"+string(want), string(tc.tx.AppendJSON(prefix)), "appended after what dst holds")
		})
	}
}

// FuzzAppendJSON checks the hand-written encoder against encoding/json
// for any chain ID and numbers.
//
//	go test ./blockchain -run '^$' -fuzz FuzzAppendJSON -fuzztime 1m
func FuzzAppendJSON(f *testing.F) {
	f.Add(consensustest.ChainID, int64(1), int64(0), uint64(0))
	f.Add("<&>\u2028\xff\"\\", int64(-1), int64(math.MaxInt64), uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, chainID string, amount, fee int64, nonce uint64) {
		tx := blockchain.NewTransaction(blockchain.TxFields{ChainID: chainID, From: consensustest.Addr("alice"),
			To: consensustest.Addr("bob"), Amount: amount, Fee: fee, Nonce: nonce, PublicKey: consensustest.Key("alice").Public()}, make([]byte, blockchain.SignatureSize))
		if want := reflected(t, tx); string(want) != string(tx.AppendJSON(nil)) {
			t.Fatalf("AppendJSON differs from encoding/json:\n got %s\nwant %s", tx.AppendJSON(nil), want)
		}
	})
}

func BenchmarkTransactionJSON(b *testing.B) {
	tx := consensustest.TransferFee("alice", "bob", 125, 1, 7)
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			buf = tx.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = reflected(b, tx)
		}
	})
}
