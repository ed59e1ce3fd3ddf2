package blockchain_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// txVector is one transaction of testdata/tx_vectors.json, which
// testdata/golden_tx.py computes with Python's hashlib and cryptography
// packages from the layout documented on Transaction: the tests check
// the Go code against its documentation, not against itself.
type txVector struct {
	Name          string `json:"name"`
	Seed          string `json:"seed"`
	ChainID       string `json:"chainId"`
	From          string `json:"from"`
	To            string `json:"to"`
	Amount        int64  `json:"amount"`
	Fee           int64  `json:"fee"`
	Nonce         uint64 `json:"nonce"`
	PublicKey     string `json:"publicKey"`
	SignedMessage string `json:"signedMessage"`
	Signature     string `json:"signature"`
	Encoding      string `json:"encoding"`
	Hash          string `json:"hash"`
	ID            string `json:"id"`
	JSON          string `json:"json"`
}

type txVectors struct {
	About        string     `json:"about"`
	Transactions []txVector `json:"transactions"`
	MerkleRoot   string     `json:"merkleRoot"`
}

func loadTxVectors(tb testing.TB) txVectors {
	tb.Helper()
	data, err := os.ReadFile("testdata/tx_vectors.json")
	require.NoError(tb, err)
	var v txVectors
	require.NoError(tb, json.Unmarshal(data, &v))
	require.NotEmpty(tb, v.Transactions)
	return v
}

// sign signs the vector's transfer in Go.
func (v txVector) sign(tb testing.TB) blockchain.Transaction {
	tb.Helper()
	key, err := blockchain.NewPrivateKey(mustHex(tb, v.Seed))
	require.NoError(tb, err)
	to, err := blockchain.ParseAddress(v.To)
	require.NoError(tb, err)
	return blockchain.Transfer{ChainID: v.ChainID, To: to, Amount: v.Amount, Fee: v.Fee, Nonce: v.Nonce}.Sign(key)
}

// goldenTxs returns the transactions of tx_vectors.json, signed in Go.
func goldenTxs(tb testing.TB) []blockchain.Transaction {
	tb.Helper()
	var txs []blockchain.Transaction
	for _, v := range loadTxVectors(tb).Transactions {
		txs = append(txs, v.sign(tb))
	}
	return txs
}

// goldenTx is the first of them: alice pays the zero seed's account 125
// on eventchain-devnet, without a fee.
func goldenTx(tb testing.TB) blockchain.Transaction {
	tb.Helper()
	return goldenTxs(tb)[0]
}

func TestTransactionGolden(t *testing.T) {
	vectors := loadTxVectors(t)
	var txs []blockchain.Transaction
	for _, v := range vectors.Transactions {
		t.Run(v.Name, func(t *testing.T) {
			tx := v.sign(t)
			txs = append(txs, tx)
			enc, err := tx.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, v.Encoding, hex.EncodeToString(enc), "encoding")
			assert.Len(t, enc, 162+len(v.ChainID))
			assert.Equal(t, v.SignedMessage, hex.EncodeToString(tx.Fields().SignedMessage()), "signed message")
			sig := tx.Signature()
			assert.Equal(t, v.Signature, hex.EncodeToString(sig[:]), "signature")
			assert.Equal(t, v.Hash, tx.Hash().String(), "hash")
			assert.Equal(t, blockchain.Hash(sha256.Sum256(enc)), tx.Hash(), "the hash is SHA-256 of the encoding")
			assert.Equal(t, v.ID, tx.ID().String(), "ID")
			data, err := json.Marshal(tx)
			require.NoError(t, err)
			assert.Equal(t, v.JSON, string(data), "JSON")

			assert.Equal(t, v.ChainID, tx.ChainID())
			assert.Equal(t, v.From, tx.From().String())
			assert.Equal(t, v.To, tx.To().String())
			assert.Equal(t, v.Amount, tx.Amount())
			assert.Equal(t, v.Fee, tx.Fee())
			assert.Equal(t, v.Nonce, tx.Nonce())
			assert.Equal(t, v.PublicKey, tx.PublicKey().String())
			assert.Equal(t, tx.PublicKey().Address(), tx.From())
			assert.True(t, tx.VerifySignature())
			assert.NoError(t, blockchain.CheckTransactionSanity(tx))
			assert.Contains(t, tx.String(), v.ID)

			// Decoded from either form, or assembled from its parts, it is
			// the same transaction.
			var fromBin, fromJSON blockchain.Transaction
			require.NoError(t, fromBin.UnmarshalBinary(enc))
			assert.Equal(t, tx, fromBin, "from the encoding")
			require.NoError(t, json.Unmarshal([]byte(v.JSON), &fromJSON))
			assert.Equal(t, tx, fromJSON, "from JSON")
			assert.Equal(t, tx, blockchain.NewTransaction(tx.Fields(), sig[:]), "from its fields and signature")
		})
	}
	assert.Equal(t, vectors.MerkleRoot, blockchain.TxMerkleRoot(txs).String(), "the Merkle root of all of them")
}

// TestTransactionID: the ID is derived from what is signed, as a
// version 8 UUID: the same transfer signed again is the same
// transaction, and the signature plays no part in the ID.
func TestTransactionID(t *testing.T) {
	tx := consensustest.TransferFee("alice", "bob", 125, 1, 0)
	assert.Equal(t, 8, int(tx.ID().Version()), "version 8")
	assert.Equal(t, uuid.RFC4122, tx.ID().Variant(), "the RFC's variant")

	sum := sha256.Sum256(tx.Fields().SignedMessage())
	want := uuid.UUID(sum[:16])
	want[6] = want[6]&0x0f | 0x80
	want[8] = want[8]&0x3f | 0x80
	assert.Equal(t, want, tx.ID(), "the first 16 bytes of SHA-256 of the signed message, marked")

	again := consensustest.TransferFee("alice", "bob", 125, 1, 0)
	assert.Equal(t, tx, again, "ed25519 is deterministic: a retry is the same transaction")

	unsigned := blockchain.NewTransaction(tx.Fields(), nil)
	assert.Equal(t, tx.ID(), unsigned.ID(), "the ID leaves the signature out")
	assert.NotEqual(t, tx.Hash(), unsigned.Hash(), "the hash covers it")

	ids := map[uuid.UUID]string{tx.ID(): "original"}
	for name, other := range map[string]blockchain.Transaction{
		"another nonce":  consensustest.TransferFee("alice", "bob", 125, 1, 1),
		"another fee":    consensustest.TransferFee("alice", "bob", 125, 2, 0),
		"another amount": consensustest.TransferFee("alice", "bob", 126, 1, 0),
		"another sender": consensustest.TransferFee("carol", "bob", 125, 1, 0),
		"another chain":  blockchain.Transfer{ChainID: "eventchain-other", To: consensustest.Addr("bob"), Amount: 125, Fee: 1}.Sign(consensustest.Key("alice")),
	} {
		prev, dup := ids[other.ID()]
		assert.False(t, dup, "%s has the ID of %s", name, prev)
		ids[other.ID()] = name
	}
}

// txEdit returns alice's transfer of 10 to bob, nonce 0, with edit
// applied to its fields and then signed by signer: each rule can be
// broken alone, with a signature that verifies.
func txEdit(edit func(f *blockchain.TxFields), signer string) blockchain.Transaction {
	f := consensustest.Transfer("alice", "bob", 10, 0).Fields()
	if edit != nil {
		edit(&f)
	}
	return signedBy(f, signer)
}

// withSig returns tx with another signature.
func withSig(tx blockchain.Transaction, sig []byte) blockchain.Transaction {
	return blockchain.NewTransaction(tx.Fields(), sig)
}

// malleate returns the signature with S replaced by S + ℓ, the order of
// the curve's group: it satisfies the verification equation too, but is
// not canonical, and ed25519 as RFC 8032 specifies it refuses it. Were it
// accepted, anyone could give a transaction another hash without its key.
func malleate(sig [blockchain.SignatureSize]byte) []byte {
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	le := func(b []byte) []byte { // little-endian ↔ big-endian
		out := bytes.Clone(b)
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	s := new(big.Int).SetBytes(le(sig[32:]))
	s.Add(s, l)
	out := bytes.Clone(sig[:])
	copy(out[32:], le(s.FillBytes(make([]byte, 32))))
	return out
}

func TestTransactionSanity(t *testing.T) {
	amountRange := fmt.Sprintf("1…%d", blockchain.MaxAmount)
	feeRange := fmt.Sprintf("0…%d", blockchain.MaxAmount)
	valid := consensustest.Transfer("alice", "bob", 10, 0)
	for _, tc := range []struct {
		name       string
		tx         blockchain.Transaction
		want       blockchain.ErrorCode // ErrUnknown: valid
		have, rule string               // the RuleError's Have, if not empty; the rule that fails
	}{
		{name: "valid", tx: valid},
		{name: "MaxAmount and a fee of MaxAmount", tx: txEdit(func(f *blockchain.TxFields) { f.Amount, f.Fee = blockchain.MaxAmount, blockchain.MaxAmount }, "alice")},
		{name: "the last nonce", tx: txEdit(func(f *blockchain.TxFields) { f.Nonce = math.MaxUint64 }, "alice")},
		{name: "a chain ID of 32 bytes", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = "a" + strings.Repeat("-0", 15) + "z" }, "alice")},
		{name: "a chain ID of one letter", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = "x" }, "alice")},

		{name: "zero amount", tx: txEdit(func(f *blockchain.TxFields) { f.Amount = 0 }, "alice"), want: blockchain.ErrInvalidAmount, have: "0", rule: "amount-positive"},
		{name: "negative amount", tx: txEdit(func(f *blockchain.TxFields) { f.Amount = -1 }, "alice"), want: blockchain.ErrInvalidAmount, have: "-1", rule: "amount-positive"},
		{name: "amount MinInt64", tx: txEdit(func(f *blockchain.TxFields) { f.Amount = math.MinInt64 }, "alice"), want: blockchain.ErrInvalidAmount, rule: "amount-positive"},
		{name: "amount over MaxAmount", tx: txEdit(func(f *blockchain.TxFields) { f.Amount = blockchain.MaxAmount + 1 }, "alice"), want: blockchain.ErrInvalidAmount, have: "9007199254740992", rule: "amount-positive"},
		{name: "negative fee", tx: txEdit(func(f *blockchain.TxFields) { f.Fee = -1 }, "alice"), want: blockchain.ErrInvalidFee, have: "-1", rule: "fee-in-range"},
		{name: "fee over MaxAmount", tx: txEdit(func(f *blockchain.TxFields) { f.Fee = blockchain.MaxAmount + 1 }, "alice"), want: blockchain.ErrInvalidFee, rule: "fee-in-range"},
		{name: "fee MaxInt64", tx: txEdit(func(f *blockchain.TxFields) { f.Fee = math.MaxInt64 }, "alice"), want: blockchain.ErrInvalidFee, rule: "fee-in-range"},
		{name: "from the zero address", tx: txEdit(func(f *blockchain.TxFields) { f.From = blockchain.Address{} }, "alice"), want: blockchain.ErrMissingSender, rule: "has-sender"},
		{name: "to the zero address", tx: txEdit(func(f *blockchain.TxFields) { f.To = blockchain.Address{} }, "alice"), want: blockchain.ErrMissingReceiver, rule: "has-receiver"},
		{name: "to itself", tx: txEdit(func(f *blockchain.TxFields) { f.To = f.From }, "alice"), want: blockchain.ErrSelfTransfer, rule: "not-to-self"},
		{name: "no chain ID", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = "" }, "alice"), want: blockchain.ErrBadChainID, rule: "chain-id-form"},
		{name: "a chain ID of 33 bytes", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = strings.Repeat("a", 33) }, "alice"), want: blockchain.ErrBadChainID, rule: "chain-id-form"},
		{name: "a chain ID of 300 bytes", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = strings.Repeat("a", 300) }, "alice"), want: blockchain.ErrBadChainID, rule: "chain-id-form"},
		{name: "a chain ID in capitals", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = "Eventchain" }, "alice"), want: blockchain.ErrBadChainID, have: `"Eventchain"`, rule: "chain-id-form"},
		{name: "a chain ID starting with a digit", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = "1chain" }, "alice"), want: blockchain.ErrBadChainID, rule: "chain-id-form"},
		{name: "a chain ID starting with '-'", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = "-chain" }, "alice"), want: blockchain.ErrBadChainID, rule: "chain-id-form"},
		{name: "a chain ID with '_'", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = "chain_1" }, "alice"), want: blockchain.ErrBadChainID, rule: "chain-id-form"},
		{name: "a chain ID not ASCII", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID = "chäin" }, "alice"), want: blockchain.ErrBadChainID, rule: "chain-id-form"},
		{name: "another's account as the sender", tx: txEdit(func(f *blockchain.TxFields) { f.From = consensustest.Addr("carol") }, "alice"),
			want: blockchain.ErrSenderNotKey, have: consensustest.Addr("carol").String(), rule: "sender-is-key"},
		{name: "mallory's key for alice's account", tx: txEdit(func(f *blockchain.TxFields) { f.PublicKey = consensustest.Key("mallory").Public() }, "mallory"),
			want: blockchain.ErrSenderNotKey, have: consensustest.Addr("alice").String(), rule: "sender-is-key"},
		{name: "no signature", tx: withSig(valid, nil), want: blockchain.ErrBadSignature, rule: "signature"},
		{name: "another key's signature", tx: txEdit(nil, "bob"), want: blockchain.ErrBadSignature, rule: "signature"},
		{name: "a signature of the body without the tag", tx: func() blockchain.Transaction {
			msg := valid.Fields().SignedMessage()
			sig := consensustest.Key("alice").Sign(msg[len("eventchain/tx/v2\x00"):])
			return withSig(valid, sig[:])
		}(), want: blockchain.ErrBadSignature, rule: "signature"},
		{name: "a signature of the encoding", tx: func() blockchain.Transaction {
			enc, _ := valid.MarshalBinary()
			sig := consensustest.Key("alice").Sign(enc)
			return withSig(valid, sig[:])
		}(), want: blockchain.ErrBadSignature, rule: "signature"},
		{name: "a malleated signature (S + ℓ)", tx: withSig(valid, malleate(valid.Signature())), want: blockchain.ErrBadSignature, rule: "signature"},
		{name: "the zero Transaction", tx: blockchain.Transaction{}, want: blockchain.ErrInvalidAmount, rule: "amount-positive"},

		// The order of the rules: each case breaks two, and the earlier is reported.
		{name: "amount before fee", tx: txEdit(func(f *blockchain.TxFields) { f.Amount, f.Fee = 0, -1 }, "alice"), want: blockchain.ErrInvalidAmount, rule: "amount-positive"},
		{name: "fee before sender", tx: txEdit(func(f *blockchain.TxFields) { f.Fee, f.From = -1, blockchain.Address{} }, "alice"), want: blockchain.ErrInvalidFee, rule: "fee-in-range"},
		{name: "self-transfer before chain ID", tx: txEdit(func(f *blockchain.TxFields) { f.To, f.ChainID = f.From, "" }, "alice"), want: blockchain.ErrSelfTransfer, rule: "not-to-self"},
		{name: "chain ID before sender-is-key", tx: txEdit(func(f *blockchain.TxFields) { f.ChainID, f.From = "", consensustest.Addr("carol") }, "alice"), want: blockchain.ErrBadChainID, rule: "chain-id-form"},
		{name: "sender-is-key before signature", tx: withSig(txEdit(func(f *blockchain.TxFields) { f.From = consensustest.Addr("carol") }, "alice"), nil), want: blockchain.ErrSenderNotKey, rule: "sender-is-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := blockchain.CheckTransactionSanity(tc.tx)
			// Run the rules one by one: the first that fails is the one named.
			failed := ""
			for _, r := range blockchain.TxSanityRules() {
				if r.Check(tc.tx) != nil {
					failed = r.Name
					break
				}
			}
			if tc.want == blockchain.ErrUnknown {
				assert.NoError(t, err)
				assert.Empty(t, failed)
				return
			}
			var re *blockchain.RuleError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.want, re.Code, "%v", err)
			assert.NotEmpty(t, re.Want)
			switch tc.want {
			case blockchain.ErrInvalidAmount:
				assert.Equal(t, amountRange, re.Want)
			case blockchain.ErrInvalidFee:
				assert.Equal(t, feeRange, re.Want)
			}
			if tc.have != "" {
				assert.Equal(t, tc.have, re.Have)
			}
			assert.Equal(t, tc.rule, failed)
			if tc.want == blockchain.ErrBadSignature {
				assert.False(t, tc.tx.VerifySignature())
			}
		})
	}
}

func TestTxSanityRules(t *testing.T) {
	// One message per broken rule: what was found, then what the rule wants.
	err := blockchain.CheckTransactionSanity(txEdit(func(f *blockchain.TxFields) { f.ChainID = "Eventchain" }, "alice"))
	assert.EqualError(t, err, `bad-chain-id: have "Eventchain", want 1…32 bytes of lower-case letters, digits and '-', starting with a letter`)
	err = blockchain.CheckTransactionSanity(txEdit(func(f *blockchain.TxFields) { f.ChainID = strings.Repeat("a", 300) }, "alice"))
	assert.ErrorContains(t, err, `have "`+strings.Repeat("a", 64)+`…", want`, "a long chain ID is cut short")

	var names []string
	for _, r := range blockchain.TxSanityRules() {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{"amount-positive", "fee-in-range", "has-sender", "has-receiver", "not-to-self", "chain-id-form", "sender-is-key", "signature"}, names,
		"the signature last: it is the costliest")

	rules := blockchain.TxSanityRules()
	rules[0] = blockchain.TxRule{Name: "mine", Check: func(blockchain.Transaction) error { return nil }}
	assert.Equal(t, "amount-positive", blockchain.TxSanityRules()[0].Name, "each call returns a new slice")
	assert.ErrorIs(t, blockchain.CheckTransactionSanity(blockchain.Transaction{}), blockchain.ErrInvalidAmount, "the package's rules are not the caller's copy")
}

// TestSignatureCoversEveryField changes each field of a signed
// transaction, the signature kept: the signature no longer verifies, or
// the field's own rule refuses it first. Then it flips every bit of the
// encoding: no flipped transaction passes the sanity rules.
func TestSignatureCoversEveryField(t *testing.T) {
	tx := consensustest.TransferFee("alice", "bob", 125, 2, 3)
	sig := tx.Signature()
	require.NoError(t, blockchain.CheckTransactionSanity(tx))
	for _, tc := range []struct {
		name string
		edit func(f *blockchain.TxFields)
		want blockchain.ErrorCode
	}{
		{"chain ID", func(f *blockchain.TxFields) { f.ChainID = "eventchain-tesu" }, blockchain.ErrBadSignature},
		{"from", func(f *blockchain.TxFields) { f.From = consensustest.Addr("carol") }, blockchain.ErrSenderNotKey},
		{"to", func(f *blockchain.TxFields) { f.To = consensustest.Addr("mallory") }, blockchain.ErrBadSignature},
		{"amount", func(f *blockchain.TxFields) { f.Amount++ }, blockchain.ErrBadSignature},
		{"fee", func(f *blockchain.TxFields) { f.Fee-- }, blockchain.ErrBadSignature},
		{"fee to zero", func(f *blockchain.TxFields) { f.Fee = 0 }, blockchain.ErrBadSignature},
		{"nonce", func(f *blockchain.TxFields) { f.Nonce++ }, blockchain.ErrBadSignature},
		{"public key", func(f *blockchain.TxFields) { f.PublicKey = consensustest.Key("mallory").Public() }, blockchain.ErrSenderNotKey},
		{"public key and from", func(f *blockchain.TxFields) {
			f.PublicKey, f.From = consensustest.Key("mallory").Public(), consensustest.Addr("mallory")
		}, blockchain.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tx.Fields()
			tc.edit(&f)
			changed := blockchain.NewTransaction(f, sig[:])
			var re *blockchain.RuleError
			require.ErrorAs(t, blockchain.CheckTransactionSanity(changed), &re)
			assert.Equal(t, tc.want, re.Code)
			assert.False(t, changed.VerifySignature(), "the signature covers the field")
			assert.NotEqual(t, tx.ID(), changed.ID())
			assert.NotEqual(t, tx.Hash(), changed.Hash())
		})
	}

	enc, err := tx.MarshalBinary()
	require.NoError(t, err)
	body := len(enc) - blockchain.SignatureSize
	var decoded, refused int
	for i := range enc {
		for bit := range 8 {
			flipped := bytes.Clone(enc)
			flipped[i] ^= 1 << bit
			var back blockchain.Transaction
			if err := back.UnmarshalBinary(flipped); err != nil {
				require.ErrorIs(t, err, blockchain.ErrMalformed, "byte %d bit %d", i, bit)
				require.Less(t, i, 2, "only the version and chain ID length bytes can make it undecodable")
				refused++
				continue
			}
			decoded++
			require.Error(t, blockchain.CheckTransactionSanity(back), "byte %d bit %d: a flipped transaction passes", i, bit)
			require.NotEqual(t, tx.Hash(), back.Hash(), "byte %d bit %d", i, bit)
			if i < body {
				require.NotEqual(t, tx.ID(), back.ID(), "byte %d bit %d: the ID covers the body", i, bit)
			} else {
				require.Equal(t, tx.ID(), back.ID(), "byte %d bit %d: the ID leaves the signature out", i, bit)
			}
		}
	}
	t.Logf("%d flips decoded and refused by the rules, %d refused by the decoder", decoded, refused)
	assert.Equal(t, 8*len(enc), decoded+refused)
}

// TestNewTransactionSignatureLength checks that a signature of other than
// SignatureSize bytes never verifies, whatever bytes it holds: a valid
// one with bytes after it, and a valid one cut short by its last byte —
// a zero, as it is in one S of sixteen, which zero padding alone put
// back. Both the chain's verifier and the standard library's refuse it.
func TestNewTransactionSignatureLength(t *testing.T) {
	key := consensustest.Key("alice")
	// A transfer whose signature ends in a zero byte: its nonce found
	// by counting up, as ed25519 signs deterministically.
	var tx blockchain.Transaction
	for nonce := uint64(0); ; nonce++ {
		require.Less(t, nonce, uint64(1000), "a signature ends in zero about one time in sixteen")
		tx = blockchain.Transfer{ChainID: consensustest.ChainID, To: consensustest.Addr("bob"), Amount: 5, Nonce: nonce}.Sign(key)
		if sig := tx.Signature(); sig[blockchain.SignatureSize-1] == 0 {
			break
		}
	}
	sig, pub := tx.Signature(), key.Public()
	require.True(t, blockchain.NewTransaction(tx.Fields(), sig[:]).VerifySignature(), "the signature, as it was made")
	for _, tc := range []struct {
		name string
		sig  []byte
	}{
		{"four bytes after a valid one", append(sig[:], 0xde, 0xad, 0xbe, 0xef)},
		{"one byte after a valid one", append(sig[:], 0)},
		{"a valid one without its last byte, a zero", sig[:blockchain.SignatureSize-1]},
		{"none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := blockchain.NewTransaction(tx.Fields(), tc.sig)
			assert.False(t, got.VerifySignature())
			assert.ErrorIs(t, blockchain.CheckTransactionSanity(got), blockchain.ErrBadSignature)
			kept := got.Signature()
			assert.False(t, ed25519.Verify(pub[:], tx.Fields().SignedMessage(), kept[:]), "the standard library refuses it too")
			assert.NotEqual(t, tx.Hash(), got.Hash(), "a transaction of other signature bytes is another transaction")
			assert.Equal(t, tx.ID(), got.ID(), "the ID is the signed message's, signature or not")
		})
	}
}

func TestTransactionBinaryRejects(t *testing.T) {
	tx := goldenTx(t)
	enc, err := tx.MarshalBinary()
	require.NoError(t, err)
	c := int(enc[1])
	with := func(edit func(b []byte) []byte) []byte { return edit(bytes.Clone(enc)) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "have 0 bytes"},
		{"one byte", []byte{2}, "have 1 bytes"},
		{"version 1, the unsigned transfer", with(func(b []byte) []byte { b[0] = 1; return b }), "encoding version: have 1, want 2"},
		{"version 3", with(func(b []byte) []byte { b[0] = 3; return b }), "encoding version: have 3, want 2"},
		{"version 0", with(func(b []byte) []byte { b[0] = 0; return b }), "encoding version"},
		{"a trailing byte", append(bytes.Clone(enc), 0), "1 trailing bytes"},
		{"a second transaction after it", append(bytes.Clone(enc), enc...), "trailing bytes"},
		{"chain ID length one more", with(func(b []byte) []byte { b[1]++; return b }), "for a chain ID of"},
		{"chain ID length one less", with(func(b []byte) []byte { b[1]--; return b }), "1 trailing bytes"},
		{"chain ID length 255", with(func(b []byte) []byte { b[1] = 255; return b }), "for a chain ID of 255"},
	}
	for n := 2; n < len(enc); n += 7 {
		cases = append(cases, struct {
			name string
			data []byte
			want string
		}{fmt.Sprintf("cut to %d bytes", n), enc[:n], fmt.Sprintf("have %d bytes, want %d", n, 162+c)})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			back := tx
			err := back.UnmarshalBinary(tc.data)
			require.Error(t, err)
			assert.ErrorIs(t, err, blockchain.ErrMalformed)
			assert.ErrorContains(t, err, tc.want)
			assert.Equal(t, tx, back, "on error the transaction is unchanged")
		})
	}
}

// A chain ID of up to 255 bytes encodes (its length takes one byte),
// though no rule allows more than 32; one longer does not.
func TestTransactionChainIDLengthLimit(t *testing.T) {
	long := txEdit(func(f *blockchain.TxFields) { f.ChainID = strings.Repeat("a", 255) }, "alice")
	enc, err := long.MarshalBinary()
	require.NoError(t, err)
	var back blockchain.Transaction
	require.NoError(t, back.UnmarshalBinary(enc))
	assert.Equal(t, long, back)

	tooLong := txEdit(func(f *blockchain.TxFields) { f.ChainID = strings.Repeat("a", 256) }, "alice")
	_, err = tooLong.MarshalBinary()
	assert.ErrorContains(t, err, "chain ID too long")
	assert.ErrorIs(t, blockchain.CheckTransactionSanity(tooLong), blockchain.ErrBadChainID)
}

func TestTransactionJSON(t *testing.T) {
	tx := goldenTx(t)
	data, err := json.Marshal(tx)
	require.NoError(t, err)
	var members map[string]any
	require.NoError(t, json.Unmarshal(data, &members))
	// edit returns data with some members' JSON replaced, or dropped
	// where the new JSON is "".
	edit := func(members map[string]string) string {
		m := map[string]json.RawMessage{}
		require.NoError(t, json.Unmarshal(data, &m))
		for name, value := range members {
			if value == "" {
				delete(m, name)
			} else {
				m[name] = json.RawMessage(value)
			}
		}
		out, err := json.Marshal(m)
		require.NoError(t, err)
		return string(out)
	}
	replace := func(name, value string) string { return edit(map[string]string{name: value}) }

	t.Run("accepts", func(t *testing.T) {
		for name, in := range map[string]string{
			"as written":            string(data),
			"without id":            replace("id", ""),
			"without hash":          replace("hash", ""),
			"without id and hash":   edit(map[string]string{"id": "", "hash": ""}),
			"members in any order":  replace("amount", "125"), // json.Marshal of a map sorts the names
			"white space around it": " \n\t" + string(data) + "\r\n ",
		} {
			var back blockchain.Transaction
			require.NoError(t, json.Unmarshal([]byte(in), &back), name)
			assert.Equal(t, tx, back, name)
		}
	})

	sig := tx.Signature()
	flipped := bytes.Clone(sig[:])
	flipped[0] ^= 1
	for _, tc := range []struct {
		name string
		in   string
		want error // ErrMalformed or ErrBadHash
		text string
	}{
		{"id of another transaction", replace("id", `"`+consensustest.Transfer("alice", "bob", 1, 0).ID().String()+`"`), blockchain.ErrBadHash, "id "},
		{"hash of another transaction", replace("hash", `"`+strings.Repeat("0", 64)+`"`), blockchain.ErrBadHash, "bad-hash"},
		{"amount changed under the id and hash", replace("amount", "126"), blockchain.ErrBadHash, "bad-hash"},
		{"signature changed under the hash", replace("signature", `"`+hex.EncodeToString(flipped)+`"`), blockchain.ErrBadHash, "bad-hash"},
		{"unknown member", replace("timestamp", `"2026-01-01T00:00:00Z"`), blockchain.ErrMalformed, "unknown field"},
		{"trailing data", string(data) + ` {}`, blockchain.ErrMalformed, "after the JSON object"},
		{"trailing non-JSON space", string(data) + "\u00a0", blockchain.ErrMalformed, "after the JSON object"},
		// encoding/json alone would read "Amount" as "amount", and keep the
		// last of two: two readers of one event would see two transfers.
		{"a member in another case", strings.Replace(string(data), `{`, `{"Amount":999,`, 1), blockchain.ErrMalformed, `unknown field "Amount"`},
		{"a member twice", strings.Replace(string(data), `{`, `{"amount":999,`, 1), blockchain.ErrMalformed, `duplicate`},
		{"a null member", replace("fee", "null"), blockchain.ErrMalformed, "fee: null"},
		{"float amount", replace("amount", "125.0"), blockchain.ErrMalformed, "amount"},
		{"amount as a string", replace("amount", `"125"`), blockchain.ErrMalformed, "amount"},
		{"negative nonce", replace("nonce", "-1"), blockchain.ErrMalformed, "nonce"},
		{"nonce past uint64", replace("nonce", "18446744073709551616"), blockchain.ErrMalformed, "nonce"},
		{"address with a bad checksum", replace("to", `"`+mistype(tx.To().String())+`"`), blockchain.ErrMalformed, "checksum"},
		{"address in capitals", replace("from", `"`+strings.ToUpper(tx.From().String())+`"`), blockchain.ErrMalformed, "parse address"},
		{"public key too short", replace("publicKey", `"abcd"`), blockchain.ErrMalformed, "hex digits"},
		{"signature in capitals", replace("signature", `"`+strings.ToUpper(hex.EncodeToString(sig[:]))+`"`), blockchain.ErrMalformed, "signature"},
		{"signature of 63 bytes", replace("signature", `"`+hex.EncodeToString(sig[:63])+`"`), blockchain.ErrMalformed, "signature"},
		{"id not a UUID", replace("id", `"not-a-uuid"`), blockchain.ErrMalformed, "UUID"},
		// One ID, one spelling: the form MarshalJSON writes.
		{"id in capitals", replace("id", `"`+strings.ToUpper(tx.ID().String())+`"`), blockchain.ErrMalformed, "want the form " + tx.ID().String()},
		{"id in braces", replace("id", `"{`+tx.ID().String()+`}"`), blockchain.ErrMalformed, "want the form"},
		{"id as a URN", replace("id", `"urn:uuid:`+tx.ID().String()+`"`), blockchain.ErrMalformed, "want the form"},
		{"id without hyphens", replace("id", `"`+strings.ReplaceAll(tx.ID().String(), "-", "")+`"`), blockchain.ErrMalformed, "want the form"},
		{"id a number", replace("id", `7`), blockchain.ErrMalformed, "id"},
		{"an array", `[1,2]`, blockchain.ErrMalformed, "transaction"},
		{"null", `null`, blockchain.ErrMalformed, "have null, want an object"},
		{"empty object", `{}`, blockchain.ErrMalformed, "chainId: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			back := tx
			err := back.UnmarshalJSON([]byte(tc.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorContains(t, err, tc.text)
			assert.Equal(t, tx, back, "on error the transaction is unchanged")
			if tc.want == blockchain.ErrBadHash {
				var re *blockchain.RuleError
				assert.ErrorAs(t, err, &re, "a forged hash is a rule error")
			}
		})
	}
	for name := range members {
		if name == "id" || name == "hash" {
			continue
		}
		t.Run("without "+name, func(t *testing.T) {
			err := new(blockchain.Transaction).UnmarshalJSON([]byte(replace(name, "")))
			assert.ErrorIs(t, err, blockchain.ErrMalformed)
			assert.ErrorContains(t, err, name+": missing")
		})
	}

	// Without id and hash nothing vouches for the fields: a changed
	// amount decodes, and the signature refuses it.
	in := edit(map[string]string{"id": "", "hash": "", "amount": "126"})
	var changed blockchain.Transaction
	require.NoError(t, json.Unmarshal([]byte(in), &changed))
	assert.Equal(t, int64(126), changed.Amount())
	assert.ErrorIs(t, blockchain.CheckTransactionSanity(changed), blockchain.ErrBadSignature)
}

// sigBlock returns a block of n transfers between the kit's accounts,
// the one at bad (if 0 ≤ bad < n) with a forged signature.
func sigBlock(n, bad int) *blockchain.Block {
	txs := make([]blockchain.Transaction, n)
	for i := range txs {
		from := consensustest.Accounts[i%len(consensustest.Accounts)]
		to := consensustest.Accounts[(i+1)%len(consensustest.Accounts)]
		txs[i] = consensustest.Transfer(from, to, int64(i+1), uint64(i/len(consensustest.Accounts)))
		if i == bad {
			txs[i] = signedBy(txs[i].Fields(), "mallory")
		}
	}
	h := blockchain.NextHeader(consensustest.Genesis().Header(), txs, blockchain.GenesisTime.Add(time.Minute))
	h.Beneficiary = consensustest.Addr("miner")
	return blockchain.NewBlock(h, txs)
}

// TestVerifySignaturesMemoizes: a block's signatures are checked once,
// whoever asks first and however many ask at once; a block WithHeader
// makes shares the answer, a block built anew computes its own.
func TestVerifySignaturesMemoizes(t *testing.T) {
	const goroutines = 16
	// askAll asks from many goroutines at once, half of them through
	// blocks WithHeader made, and returns every answer.
	askAll := func(b *blockchain.Block) []error {
		h := b.Header()
		h.Nonce = 7
		resealed := b.WithHeader(h)
		errs := make([]error, goroutines)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range goroutines {
			wg.Go(func() {
				<-start
				if i%2 == 0 {
					errs[i] = b.VerifySignatures()
				} else {
					errs[i] = resealed.VerifySignatures()
				}
			})
		}
		close(start)
		wg.Wait()
		return errs
	}

	t.Run("valid", func(t *testing.T) {
		for i, err := range askAll(sigBlock(20, -1)) {
			assert.NoError(t, err, "goroutine %d", i)
		}
	})
	t.Run("one forged", func(t *testing.T) {
		b := sigBlock(20, 7)
		errs := askAll(b)
		first := errs[0]
		require.ErrorIs(t, first, blockchain.ErrBadSignature)
		assert.ErrorContains(t, first, "transaction 7 ("+b.Transaction(7).ID().String()+")")
		for i, err := range errs {
			// The very same error value: computed once, remembered.
			assert.True(t, err == first, "goroutine %d got an answer of its own: %v", i, err)
		}
		assert.True(t, b.VerifySignatures() == first, "asked again later")

		anew := blockchain.NewBlock(b.Header(), b.Transactions())
		again := anew.VerifySignatures()
		assert.Equal(t, first.Error(), again.Error(), "the same transactions, the same answer")
		assert.False(t, again == first, "a block built anew checks for itself")

		bin, err := b.MarshalBinary()
		require.NoError(t, err)
		var decoded blockchain.Block
		require.NoError(t, decoded.UnmarshalBinary(bin))
		assert.ErrorIs(t, decoded.VerifySignatures(), blockchain.ErrBadSignature, "a decoded block")
	})
	t.Run("the first forged of several", func(t *testing.T) {
		b := sigBlock(20, 3)
		txs := b.Transactions()
		txs[12] = withSig(txs[12], nil)
		err := blockchain.NewBlock(b.Header(), txs).VerifySignatures()
		assert.ErrorContains(t, err, "transaction 3 (")
	})
	t.Run("no transactions", func(t *testing.T) {
		assert.NoError(t, consensustest.Genesis().VerifySignatures())
		assert.NoError(t, new(blockchain.Block).VerifySignatures(), "the zero Block")
	})
}

// TestApplyUsesTheRememberedSignatures: signatures verified before Apply
// (in parallel, say) are not verified again: a block whose answer was a
// failure is refused with that very error value.
func TestApplyUsesTheRememberedSignatures(t *testing.T) {
	chain := mustChain(t, testConfig())
	forged := signedBy(consensustest.Transfer("alice", "mallory", 500, 0).Fields(), "mallory")
	b := handBlock(t, chain, []blockchain.Transaction{forged}, testNow)
	remembered := b.VerifySignatures()
	require.ErrorIs(t, remembered, blockchain.ErrBadSignature)
	err := chain.Apply(b)
	assert.ErrorIs(t, err, remembered, "errors.Is compares error values: the one remembered")
	assert.ErrorContains(t, err, "rule signatures: "+remembered.Error())
}

// mistype changes the last character of s to another hex digit.
func mistype(s string) string {
	last := byte('0')
	if s[len(s)-1] == last {
		last = '1'
	}
	return s[:len(s)-1] + string(last)
}
