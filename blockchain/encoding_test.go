package blockchain_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
)

// The golden values below were computed outside Go (Python's hashlib and
// struct, following the layouts in the doc comments), so they check the
// encoding against its documentation, not against itself.
var (
	goldenTime   = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	goldenTx     = blockchain.NewTransaction(uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff"), "alice", "bob", 125, goldenTime)
	goldenTxEnc  = "01" + "00112233445566778899aabbccddeeff" + "000000000000007d" + "0000019b7ca98f2e" + "00000005" + "616c696365" + "00000003" + "626f62"
	goldenTxHash = "81815e40bde21337722f49fa34f91a62641db7d5f6c8990c4ec815378b050695"

	goldenHeader = blockchain.Header{
		Version:    1,
		Height:     7,
		PrevHash:   blockchain.Hash{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31},
		MerkleRoot: goldenTx.Hash(), // any 32 bytes: not the Merkle root of goldenTx
		Timestamp:  goldenTime,
		Bits:       12,
		Nonce:      0x0102030405060708,
	}
	goldenHeaderEnc = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" + // PrevHash
		goldenTxHash + // MerkleRoot
		"00000001" + "0000000000000007" + "0000019b7ca98f2e" + "0000000c" + "0102030405060708"
	goldenHeaderHash = "38e6973031437691d4ab728af4b5d2f0ed9ce1d22e4b1c2705fa923f72d75cdb"

	// From blockchain/testdata/golden_seal.py: genesis holds no
	// transactions, so its MerkleRoot is the RFC 6962 root of none,
	// SHA-256 of nothing.
	goldenGenesis     = "088a9224074fb08aabc4b3689276488783f3df0e63913229035cb45e06df730c"
	goldenGenesisRoot = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

	// A second transaction, and the Merkle roots of goldenTx alone and of
	// both, from blockchain/testdata/golden_seal.py: SHA-256(0x00 ‖
	// encoding) for one leaf, SHA-256(0x01 ‖ left ‖ right) for two.
	goldenZoeTx     = blockchain.NewTransaction(uuid.MustParse("f47ac10b-58cc-4372-a567-0e02b2c3d479"), "Zoë", "渡辺", 1, goldenTime)
	goldenTxRoot    = "544d5617db8b5b9c5788bb160f5e788dcbb9040db6def66ea1b9483e92837dc8"
	goldenTwoTxRoot = "0eaa46e855aed7bc82da7f70798195a5a016d7f1a4d10cbb1bded57c1aee6baa"

	// goldenHeader with a seal, from blockchain/testdata/golden_seal.py
	// (Python's hashlib): the seal hash is goldenHeaderHash, the block
	// hash is SHA-256 of the 96 bytes followed by the seal.
	goldenSeal             = []byte{7, 1, 2, 3}
	goldenSealedHeaderHash = "04bc462988eec03be627a5acf1ecccef872be1925eb1333ca6283cb7c706689b"
)

func TestTransactionGolden(t *testing.T) {
	enc, err := goldenTx.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, goldenTxEnc, hex.EncodeToString(enc), "encoding")
	assert.Equal(t, goldenTxHash, goldenTx.Hash().String(), "hash")
	assert.Equal(t, blockchain.Hash(sha256.Sum256(enc)), goldenTx.Hash(), "hash is SHA-256 of the encoding")

	var back blockchain.Transaction
	require.NoError(t, back.UnmarshalBinary(enc))
	assert.Equal(t, goldenTx, back, "decode gives the same fields")
}

func TestHeaderGolden(t *testing.T) {
	enc, err := goldenHeader.MarshalBinary()
	require.NoError(t, err)
	require.Len(t, enc, blockchain.HeaderSize)
	assert.Equal(t, goldenHeaderEnc, hex.EncodeToString(enc), "encoding")
	assert.Equal(t, goldenHeaderHash, goldenHeader.Hash().String(), "hash")
	assert.Equal(t, goldenHeaderHash, goldenHeader.SealHash().String(), "without a seal, the seal hash is the hash")
	assert.Equal(t, "0102030405060708", hex.EncodeToString(enc[blockchain.HeaderNonceOffset:]), "the nonce is the last 8 bytes")
	assert.GreaterOrEqual(t, blockchain.HeaderNonceOffset, blockchain.HeaderPrefixLen, "the nonce lies after the first 64-byte block")

	var back blockchain.Header
	require.NoError(t, back.UnmarshalBinary(enc))
	assert.Equal(t, goldenHeader, back)
	assert.Equal(t, goldenHeader.Hash(), back.Hash())
}

// TestHeaderHashes checks the two hashes of a header against
// blockchain/testdata/golden_seal.py: the seal hash covers the 96-byte
// encoding only, the block hash covers the encoding and then the seal.
func TestHeaderHashes(t *testing.T) {
	sealed := goldenHeader
	sealed.Seal = goldenSeal
	tests := []struct {
		name           string
		h              blockchain.Header
		sealHash, hash string
	}{
		{"no seal: the two hashes are one", goldenHeader, goldenHeaderHash, goldenHeaderHash},
		{"a seal: the block hash covers it", sealed, goldenHeaderHash, goldenSealedHeaderHash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := tc.h.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, goldenHeaderEnc, hex.EncodeToString(enc), "the 96 bytes leave the seal out")
			assert.Equal(t, tc.sealHash, tc.h.SealHash().String(), "seal hash")
			assert.Equal(t, tc.hash, tc.h.Hash().String(), "hash")
			assert.Equal(t, blockchain.Hash(sha256.Sum256(enc)), tc.h.SealHash(), "seal hash is SHA-256 of the encoding")
			assert.Equal(t, blockchain.Hash(sha256.Sum256(append(enc, tc.h.Seal...))), tc.h.Hash(), "hash is SHA-256 of the encoding and the seal")

			b := blockchain.NewBlock(tc.h, nil)
			assert.Equal(t, tc.hash, b.Hash().String(), "Block.Hash")
			assert.Equal(t, tc.sealHash, b.SealHash().String(), "Block.SealHash")
		})
	}

	// Hash and SealHash allocate nothing, with a seal of up to MaxSealLen.
	long := goldenHeader
	long.Seal = make([]byte, blockchain.MaxSealLen)
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = long.Hash() }), "Hash with a seal of MaxSealLen bytes")
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = long.SealHash() }), "SealHash")
}

func TestGenesisIsFixed(t *testing.T) {
	g := blockchain.Genesis()
	assert.Equal(t, goldenGenesis, g.Hash().String())
	assert.Equal(t, goldenGenesisRoot, g.Header().MerkleRoot.String(), "the root of no transactions")
	assert.Equal(t, goldenGenesisRoot, g.TxRoot().String())
	assert.Equal(t, g.Hash(), g.SealHash(), "genesis has no seal")
	assert.Same(t, g, blockchain.Genesis(), "one shared immutable genesis")
	assert.Equal(t, uint64(0), g.Height())
	assert.True(t, g.PrevHash().IsZero())
	assert.NoError(t, g.Validate())
}

func TestTimestampsKeepMilliseconds(t *testing.T) {
	local := time.FixedZone("UTC+2", 2*60*60)
	in := time.Date(2026, 1, 2, 5, 4, 5, 678_999_999, local) // 03:04:05.678999999Z
	tx := blockchain.NewTransaction(goldenTx.ID(), "alice", "bob", 125, in)
	assert.Equal(t, goldenTime, tx.Timestamp(), "UTC, truncated to the millisecond")
	assert.Equal(t, goldenTx.Hash(), tx.Hash())
}

func TestTransactionJSON(t *testing.T) {
	data, err := json.Marshal(goldenTx)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"00112233-4455-6677-8899-aabbccddeeff","from":"alice","to":"bob","amount":125,
		"timestamp":"2026-01-02T03:04:05.678Z","hash":"`+goldenTxHash+`"}`, string(data))

	var back blockchain.Transaction
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, goldenTx, back)

	withoutHash := `{"id":"00112233-4455-6677-8899-aabbccddeeff","from":"alice","to":"bob","amount":125,"timestamp":"2026-01-02T03:04:05.678Z"}`
	require.NoError(t, json.Unmarshal([]byte(withoutHash), &back))
	assert.Equal(t, goldenTx, back, "the hash is optional: it is computed")
}

func TestDecodeRejects(t *testing.T) {
	txJSON := func(edit func(string) string) string {
		data, _ := json.Marshal(goldenTx)
		return edit(string(data))
	}
	txBin, _ := goldenTx.MarshalBinary()
	block := blockchain.NewBlock(goldenHeader, []blockchain.Transaction{goldenTx})
	blockBin, _ := block.MarshalBinary()
	blockJSON, _ := json.Marshal(block)
	forgedBlockHash := strings.Replace(string(blockJSON), `"hash":"`+block.Hash().String(), `"hash":"`+strings.Repeat("0", 64), 1)

	for _, tc := range []struct {
		name   string
		decode func() error
		want   error
	}{
		{"tx json: forged hash", func() error {
			return json.Unmarshal([]byte(txJSON(func(s string) string { return strings.Replace(s, `"amount":125`, `"amount":126`, 1) })), new(blockchain.Transaction))
		}, blockchain.ErrBadHash},
		{"tx json: unknown field", func() error {
			return json.Unmarshal([]byte(txJSON(func(s string) string { return strings.Replace(s, `{`, `{"fee":1,`, 1) })), new(blockchain.Transaction))
		}, blockchain.ErrMalformed},
		{"tx json: trailing data", func() error {
			return new(blockchain.Transaction).UnmarshalJSON([]byte(txJSON(func(s string) string { return s + ` {}` })))
		}, blockchain.ErrMalformed},
		{"tx json: trailing non-JSON space", func() error {
			return new(blockchain.Transaction).UnmarshalJSON([]byte(txJSON(func(s string) string { return s + "\u00a0" })))
		}, blockchain.ErrMalformed},
		{"tx json: float amount", func() error {
			return json.Unmarshal([]byte(txJSON(func(s string) string { return strings.Replace(s, `125`, `1.5`, 1) })), new(blockchain.Transaction))
		}, blockchain.ErrMalformed},
		{"tx json: bad id", func() error {
			return json.Unmarshal([]byte(txJSON(func(s string) string { return strings.Replace(s, `00112233-`, `zz112233-`, 1) })), new(blockchain.Transaction))
		}, blockchain.ErrMalformed},
		{"tx binary: empty", func() error { return new(blockchain.Transaction).UnmarshalBinary(nil) }, blockchain.ErrMalformed},
		{"tx binary: wrong version", func() error {
			b := append([]byte{2}, txBin[1:]...)
			return new(blockchain.Transaction).UnmarshalBinary(b)
		}, blockchain.ErrMalformed},
		{"tx binary: truncated", func() error { return new(blockchain.Transaction).UnmarshalBinary(txBin[:len(txBin)-1]) }, blockchain.ErrMalformed},
		{"tx binary: trailing byte", func() error { return new(blockchain.Transaction).UnmarshalBinary(append(txBin, 0)) }, blockchain.ErrMalformed},
		{"tx binary: length past the end", func() error {
			b := append([]byte(nil), txBin...)
			b[33] = 0xff // high byte of len(From)
			return new(blockchain.Transaction).UnmarshalBinary(b)
		}, blockchain.ErrMalformed},
		{"header binary: short", func() error { return new(blockchain.Header).UnmarshalBinary(make([]byte, 95)) }, blockchain.ErrMalformed},
		{"header binary: long", func() error { return new(blockchain.Header).UnmarshalBinary(make([]byte, 97)) }, blockchain.ErrMalformed},
		{"header json: unknown field", func() error {
			return json.Unmarshal([]byte(`{"version":1,"extra":true}`), new(blockchain.Header))
		}, blockchain.ErrMalformed},
		{"block binary: short", func() error { return new(blockchain.Block).UnmarshalBinary(blockBin[:50]) }, blockchain.ErrMalformed},
		{"block binary: count says two", func() error {
			b := append([]byte(nil), blockBin...)
			b[blockchain.HeaderSize+3] = 2
			return new(blockchain.Block).UnmarshalBinary(b)
		}, blockchain.ErrMalformed},
		{"block binary: count says a billion", func() error {
			b := append([]byte(nil), blockBin...)
			copy(b[blockchain.HeaderSize:], []byte{0x3b, 0x9a, 0xca, 0x00})
			return new(blockchain.Block).UnmarshalBinary(b)
		}, blockchain.ErrMalformed},
		{"block binary: trailing byte", func() error { return new(blockchain.Block).UnmarshalBinary(append(blockBin, 1)) }, blockchain.ErrMalformed},
		{"block binary: bad transaction", func() error {
			b := append([]byte(nil), blockBin...)
			b[blockchain.HeaderSize+8] = 9 // the transaction's version byte
			return new(blockchain.Block).UnmarshalBinary(b)
		}, blockchain.ErrMalformed},
		{"block json: forged block hash", func() error { return json.Unmarshal([]byte(forgedBlockHash), new(blockchain.Block)) }, blockchain.ErrBadHash},
		{"block json: forged transaction hash", func() error {
			s := strings.Replace(string(blockJSON), `"hash":"`+goldenTxHash, `"hash":"`+strings.Repeat("1", 64), 1)
			return json.Unmarshal([]byte(s), new(blockchain.Block))
		}, blockchain.ErrBadHash},
		{"block json: not an object", func() error { return json.Unmarshal([]byte(`[1,2]`), new(blockchain.Block)) }, blockchain.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.decode()
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestBlockEncodingsRoundTrip(t *testing.T) {
	txs := []blockchain.Transaction{goldenTx, goldenZoeTx}
	h := goldenHeader
	h.MerkleRoot = blockchain.TxMerkleRoot(txs)
	for _, b := range []*blockchain.Block{
		blockchain.Genesis(),
		blockchain.NewBlock(h, txs),
	} {
		bin, err := b.MarshalBinary()
		require.NoError(t, err)
		var fromBin blockchain.Block
		require.NoError(t, fromBin.UnmarshalBinary(bin))
		assert.Equal(t, b.Hash(), fromBin.Hash())
		assert.Equal(t, b.Header(), fromBin.Header())
		assert.Equal(t, b.Transactions(), fromBin.Transactions())

		js, err := json.Marshal(b)
		require.NoError(t, err)
		var fromJSON blockchain.Block
		require.NoError(t, json.Unmarshal(js, &fromJSON))
		assert.Equal(t, b.Hash(), fromJSON.Hash())
		assert.Equal(t, b.Header(), fromJSON.Header())
		assert.Equal(t, b.Len(), fromJSON.Len())
		assert.Equal(t, b.Transactions(), fromJSON.Transactions())
	}
}

func TestHashText(t *testing.T) {
	h, err := blockchain.ParseHash(goldenHeaderHash)
	require.NoError(t, err)
	assert.Equal(t, goldenHeader.Hash(), h)
	assert.Equal(t, goldenHeaderHash[:12], h.Short())

	for _, bad := range []string{"", "00", strings.Repeat("0", 63), strings.Repeat("g", 64), strings.Repeat("0", 65)} {
		_, err := blockchain.ParseHash(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestLeadingZeroBits(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    blockchain.Hash
		want int
	}{
		{"top bit set", blockchain.Hash{0x80}, 0},
		{"0x40", blockchain.Hash{0x40}, 1},
		{"0x01", blockchain.Hash{0x01}, 7},
		{"one zero byte then 0xff", blockchain.Hash{0x00, 0xff}, 8},
		{"two zero bytes then 0x0f", blockchain.Hash{0, 0, 0x0f}, 20},
		{"last bit only", blockchain.Hash{31: 1}, 255},
		{"zero hash", blockchain.Hash{}, 256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.h.LeadingZeroBits())
		})
	}
}

func TestSeal(t *testing.T) {
	h := goldenHeader
	h.MerkleRoot = blockchain.TxMerkleRoot([]blockchain.Transaction{goldenTx})
	plain := blockchain.NewBlock(h, []blockchain.Transaction{goldenTx})
	h.Seal = []byte{7, 1, 2, 3}
	sealed := blockchain.NewBlock(h, []blockchain.Transaction{goldenTx})

	assert.Equal(t, plain.SealHash(), sealed.SealHash(), "the seal is outside the seal hash")
	assert.NotEqual(t, plain.Hash(), sealed.Hash(), "the seal is inside the block hash")
	h.Seal = []byte{7, 1, 2, 4}
	assert.NotEqual(t, sealed.Hash(), blockchain.NewBlock(h, []blockchain.Transaction{goldenTx}).Hash(), "another seal, another block")
	got := sealed.Header()
	got.Seal[0] = 99
	assert.Equal(t, []byte{7, 1, 2, 3}, sealed.Header().Seal, "Header returns a copy of the seal")
	assert.Nil(t, plain.Header().Seal)

	plainBin, err := plain.MarshalBinary()
	require.NoError(t, err)
	bin, err := sealed.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, append(append(plainBin, 0, 4), 7, 1, 2, 3), bin, "the seal follows the transactions, after its uint16 length")
	var back blockchain.Block
	require.NoError(t, back.UnmarshalBinary(bin))
	assert.Equal(t, []byte{7, 1, 2, 3}, back.Header().Seal)
	assert.Equal(t, sealed.Hash(), back.Hash(), "decoding keeps the seal in the hash")

	js, err := json.Marshal(sealed)
	require.NoError(t, err)
	var fromJSON blockchain.Block
	require.NoError(t, json.Unmarshal(js, &fromJSON))
	assert.Equal(t, []byte{7, 1, 2, 3}, fromJSON.Header().Seal)
	assert.Equal(t, sealed.Hash(), fromJSON.Hash(), "decoding keeps the seal in the hash")
	forged := strings.Replace(string(js), `"seal":"BwECAw=="`, `"seal":"BwECBA=="`, 1)
	require.NotEqual(t, string(js), forged, "precondition: the JSON holds the seal in base64")
	assert.ErrorIs(t, json.Unmarshal([]byte(forged), new(blockchain.Block)), blockchain.ErrBadHash, "a seal changed under the block's hash")

	for name, data := range map[string][]byte{
		"a zero-length seal":   append(append([]byte(nil), plainBin...), 0, 0),
		"a seal cut short":     append(append([]byte(nil), plainBin...), 0, 9, 1),
		"one byte after txs":   append(append([]byte(nil), plainBin...), 1),
		"bytes after the seal": append(append([]byte(nil), bin...), 0),
	} {
		assert.ErrorIs(t, new(blockchain.Block).UnmarshalBinary(data), blockchain.ErrMalformed, name)
	}

	h.Seal = make([]byte, blockchain.MaxSealLen+1)
	assert.ErrorIs(t, blockchain.NewBlock(h, []blockchain.Transaction{goldenTx}).Validate(), blockchain.ErrSealTooLong)
}
