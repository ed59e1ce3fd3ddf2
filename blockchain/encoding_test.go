package blockchain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// The golden values below were computed outside Go by
// testdata/golden_seal.py (Python's hashlib and struct, following the
// layouts in the doc comments), so they check the encoding against its
// documentation, not against itself.
var (
	goldenTime = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)

	// goldenHeaderEnc is goldenHeader's 152 bytes, field by field.
	goldenHeaderEnc = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" + // PrevHash
		"c03a99e10da040f623ec0bfd7b6628e334d522f127a19183d1e944837f88e19e" + // MerkleRoot: the root of tx_vectors.json's transactions
		"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f" + // StateRoot
		"74b25808772b36251791ebb177f8fe85c49c2aaf" + // Beneficiary: the address of seed SHA-256("alice")
		"00000004" + "00000002" + "0000000c" + // TxCount, Version, Bits
		"0000000000000007" + "0000019b7ca98f2e" + "0102030405060708" // Height, Timestamp, Nonce
	goldenHeaderHash = "79bb7623fed925e84dfb68ed2f77b57c0d86fae72b357e94191673c17808dbea"

	// goldenHeader with a seal: the seal hash is goldenHeaderHash, the
	// block hash is SHA-256 of the 152 bytes followed by the seal.
	goldenSeal             = []byte{7, 1, 2, 3}
	goldenSealedHeaderHash = "2e3202156c5f74fc924311fa33ecd5e501ec46a8361da339ff90c16215999ada"

	// The root of no transactions, SHA-256 of nothing: every genesis
	// block's MerkleRoot.
	goldenEmptyRoot = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// goldenHeader is the header of the golden vectors; its MerkleRoot is
// the root of goldenTxs, as in a block that holds them.
func goldenHeader() blockchain.Header {
	return blockchain.Header{
		Version:     2,
		Height:      7,
		PrevHash:    blockchain.Hash{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31},
		MerkleRoot:  mustParseHash("c03a99e10da040f623ec0bfd7b6628e334d522f127a19183d1e944837f88e19e"),
		TxCount:     4,
		StateRoot:   blockchain.Hash{32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63},
		Beneficiary: specAddrAlice,
		Timestamp:   goldenTime,
		Bits:        12,
		Nonce:       0x0102030405060708,
	}
}

// goldenBlock is goldenHeader over goldenTxs: a block valid in itself.
func goldenBlock(tb testing.TB) *blockchain.Block {
	tb.Helper()
	return blockchain.NewBlock(goldenHeader(), goldenTxs(tb))
}

func mustParseHash(s string) blockchain.Hash {
	h, err := blockchain.ParseHash(s)
	if err != nil {
		panic(err)
	}
	return h
}

func TestHeaderGolden(t *testing.T) {
	h := goldenHeader()
	enc, err := h.MarshalBinary()
	require.NoError(t, err)
	require.Len(t, enc, blockchain.HeaderSize)
	assert.Equal(t, goldenHeaderEnc, hex.EncodeToString(enc), "encoding")
	appended, err := h.AppendBinary([]byte{9})
	require.NoError(t, err)
	assert.Equal(t, append([]byte{9}, enc...), appended, "AppendBinary appends the same bytes")
	assert.Equal(t, goldenHeaderHash, h.Hash().String(), "hash")
	assert.Equal(t, goldenHeaderHash, h.SealHash().String(), "without a seal, the seal hash is the hash")
	assert.Equal(t, "0102030405060708", hex.EncodeToString(enc[blockchain.HeaderNonceOffset:]), "the nonce is the last 8 bytes")
	assert.Equal(t, blockchain.HeaderSize-8, blockchain.HeaderNonceOffset)
	assert.Equal(t, 128, blockchain.HeaderPrefixLen, "two 64-byte SHA-256 blocks")
	assert.Equal(t, "0000000000000007", hex.EncodeToString(enc[blockchain.HeaderPrefixLen:blockchain.HeaderPrefixLen+8]),
		"after the prefix: Height, Timestamp and Nonce, what changes between blocks and tries")
	assert.Equal(t, goldenHeaderEnc[:2*blockchain.HeaderPrefixLen], hex.EncodeToString(enc[:blockchain.HeaderPrefixLen]))

	var back blockchain.Header
	require.NoError(t, back.UnmarshalBinary(enc))
	assert.Equal(t, h, back)
	assert.Equal(t, h.Hash(), back.Hash())
	assert.NoError(t, goldenBlock(t).Validate(), "the golden header fits its transactions")
}

// TestHeaderFieldsAreHashed: every field of the 152 bytes changes both
// hashes; the seal changes the block hash only.
func TestHeaderFieldsAreHashed(t *testing.T) {
	base := goldenHeader()
	for name, edit := range map[string]func(h *blockchain.Header){
		"version":     func(h *blockchain.Header) { h.Version++ },
		"height":      func(h *blockchain.Header) { h.Height++ },
		"prev hash":   func(h *blockchain.Header) { h.PrevHash[31] ^= 1 },
		"merkle root": func(h *blockchain.Header) { h.MerkleRoot[0] ^= 1 },
		"tx count":    func(h *blockchain.Header) { h.TxCount++ },
		"state root":  func(h *blockchain.Header) { h.StateRoot[15] ^= 1 },
		"beneficiary": func(h *blockchain.Header) { h.Beneficiary[19] ^= 1 },
		"timestamp":   func(h *blockchain.Header) { h.Timestamp = h.Timestamp.Add(time.Millisecond) },
		"bits":        func(h *blockchain.Header) { h.Bits++ },
		"nonce":       func(h *blockchain.Header) { h.Nonce++ },
	} {
		h := base
		edit(&h)
		assert.NotEqual(t, base.SealHash(), h.SealHash(), name)
		assert.NotEqual(t, base.Hash(), h.Hash(), name)
	}
	h := base
	h.Timestamp = h.Timestamp.Add(time.Microsecond)
	assert.Equal(t, base.Hash(), h.Hash(), "below the millisecond is not encoded")
	h = base
	h.Seal = []byte{1}
	assert.Equal(t, base.SealHash(), h.SealHash(), "the seal is outside the seal hash")
	assert.NotEqual(t, base.Hash(), h.Hash(), "and inside the block hash")
}

// TestHeaderHashes checks the two hashes of a header against
// testdata/golden_seal.py: the seal hash covers the 152-byte encoding
// only, the block hash covers the encoding and then the seal.
func TestHeaderHashes(t *testing.T) {
	plain := goldenHeader()
	sealed := goldenHeader()
	sealed.Seal = goldenSeal
	tests := []struct {
		name           string
		h              blockchain.Header
		sealHash, hash string
	}{
		{"no seal: the two hashes are one", plain, goldenHeaderHash, goldenHeaderHash},
		{"a seal: the block hash covers it", sealed, goldenHeaderHash, goldenSealedHeaderHash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := tc.h.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, goldenHeaderEnc, hex.EncodeToString(enc), "the 152 bytes leave the seal out")
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
	long := goldenHeader()
	long.Seal = make([]byte, blockchain.MaxSealLen)
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = long.Hash() }), "Hash with a seal of MaxSealLen bytes")
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = long.SealHash() }), "SealHash")
}

// The genesis blocks of three specs, from testdata/golden_seal.py: the
// spec hash (golden_spec.py), the state root of the allocations in the
// sparse Merkle tree, and the 152-byte header of version 2 at height 0.
var goldenGenesis = []struct {
	name      string
	spec      func() blockchain.ChainSpec
	stateRoot string
	hash      string
}{
	{"golden_spec.py pow", specGoldenPoW,
		"653435857189e10f77c2e92363b2b31812909d44dc21809498d46b7eaa8541eb",
		"b7b8943f531e48fec13b4dcc6023ddcd51e3727ba1024a97d30a2919af6587a4"},
	{"golden_spec.py poa", specGoldenPoA,
		"eefcaf660bb1b68ea6b8b78e4543201f7c024be3dcdc6c6e9aacd38504dccc71",
		"f9699d5af24b908e63edbccf0f0de31860a85ec27bf29955207e50d57872277a"},
	{"consensustest", consensustest.Spec,
		"55ff0456df09b5727c9556efb42e54290f11b98d2059c9562d25a1ec3dff3655",
		"df95463d0557bb384c5222a714f8f9c05f1e528fc509c0e1fd1e76e632ce2bbf"},
}

func TestGenesisGolden(t *testing.T) {
	for _, g := range goldenGenesis {
		t.Run(g.name, func(t *testing.T) {
			spec := g.spec()
			b, err := spec.Genesis()
			require.NoError(t, err)
			assert.Equal(t, g.hash, b.Hash().String(), "hash")
			h := b.Header()
			assert.Equal(t, g.stateRoot, h.StateRoot.String(), "state root")
			st, err := blockchain.NewState(spec.Alloc)
			require.NoError(t, err)
			assert.Equal(t, g.stateRoot, st.Root().String(), "the state root is NewState's")
			assert.Equal(t, blockchain.Header{
				Version:    blockchain.HeaderVersion,
				PrevHash:   spec.Hash(),
				MerkleRoot: mustParseHash(goldenEmptyRoot),
				StateRoot:  h.StateRoot,
				Timestamp:  blockchain.GenesisTime,
			}, h, "height, TxCount, Beneficiary, Bits, Nonce and Seal are zero")
			assert.Equal(t, goldenEmptyRoot, b.TxRoot().String(), "the root of no transactions")
			assert.Equal(t, b.Hash(), b.SealHash(), "genesis has no seal")
			assert.Zero(t, b.Len())
			assert.NoError(t, b.Validate(), "genesis keeps the block sanity rules")

			again, err := spec.Genesis()
			require.NoError(t, err)
			assert.Equal(t, b.Hash(), again.Hash(), "the same on every call")

			other := g.spec()
			other.BlockReward++
			og, err := other.Genesis()
			require.NoError(t, err)
			assert.NotEqual(t, b.Hash(), og.Hash(), "another spec, another genesis, even with the same allocations")
			assert.Equal(t, b.Header().StateRoot, og.Header().StateRoot)
		})
	}
	assert.Equal(t, goldenGenesis[2].hash, consensustest.Genesis().Hash().String(), "consensustest.Genesis")
	assert.Equal(t, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), blockchain.GenesisTime)

	_, err := blockchain.ChainSpec{}.Genesis()
	var se *blockchain.SpecError
	assert.ErrorAs(t, err, &se, "an invalid spec has no genesis")
	assert.Equal(t, blockchain.Hash{}, new(blockchain.State).Root(), "the empty state's root is 32 zero bytes")
}

func TestTimestampsKeepMilliseconds(t *testing.T) {
	local := time.FixedZone("UTC+2", 2*60*60)
	h := goldenHeader()
	h.Timestamp = time.Date(2026, 1, 2, 5, 4, 5, 678_999_999, local) // 03:04:05.678999999Z
	b := blockchain.NewBlock(h, nil)
	assert.Equal(t, goldenTime, b.Header().Timestamp, "UTC, truncated to the millisecond")
	assert.Equal(t, goldenHeader().Hash(), b.Hash())
	next := blockchain.NextHeader(goldenHeader(), nil, h.Timestamp)
	assert.Equal(t, goldenTime, next.Timestamp, "NextHeader too")
}

func TestBlockDecodeRejects(t *testing.T) {
	block := goldenBlock(t)
	blockBin, err := block.MarshalBinary()
	require.NoError(t, err)
	blockJSON, err := json.Marshal(block)
	require.NoError(t, err)
	forgedBlockHash := strings.Replace(string(blockJSON), `"hash":"`+block.Hash().String(), `"hash":"`+strings.Repeat("0", 64), 1)
	require.NotEqual(t, string(blockJSON), forgedBlockHash, "precondition")
	firstTx := block.Transaction(0)
	forgedTxHash := strings.Replace(string(blockJSON), `"hash":"`+firstTx.Hash().String(), `"hash":"`+strings.Repeat("1", 64), 1)
	require.NotEqual(t, string(blockJSON), forgedTxHash, "precondition")
	forgedTxID := strings.Replace(string(blockJSON), `"id":"`+firstTx.ID().String(), `"id":"`+uuid.Nil.String(), 1)
	require.NotEqual(t, string(blockJSON), forgedTxID, "precondition")
	edit := func(edit func(b []byte)) []byte {
		b := bytes.Clone(blockBin)
		edit(b)
		return b
	}

	for _, tc := range []struct {
		name   string
		decode func() error
		want   error
	}{
		{"header binary: short", func() error { return new(blockchain.Header).UnmarshalBinary(make([]byte, blockchain.HeaderSize-1)) }, blockchain.ErrMalformed},
		{"header binary: long", func() error { return new(blockchain.Header).UnmarshalBinary(make([]byte, blockchain.HeaderSize+1)) }, blockchain.ErrMalformed},
		{"header binary: the 96 bytes of version 1", func() error { return new(blockchain.Header).UnmarshalBinary(make([]byte, 96)) }, blockchain.ErrMalformed},
		{"header json: unknown field", func() error {
			return json.Unmarshal([]byte(`{"version":2,"extra":true}`), new(blockchain.Header))
		}, blockchain.ErrMalformed},
		{"header json: bad beneficiary", func() error {
			return json.Unmarshal([]byte(`{"version":2,"beneficiary":"ec00"}`), new(blockchain.Header))
		}, blockchain.ErrMalformed},
		{"header json: year 10000 in UTC", func() error {
			return json.Unmarshal([]byte(`{"timestamp":"9999-12-31T23:59:59.999-01:00"}`), new(blockchain.Header))
		}, blockchain.ErrMalformed},
		{"block binary: short", func() error { return new(blockchain.Block).UnmarshalBinary(blockBin[:50]) }, blockchain.ErrMalformed},
		{"block binary: header only", func() error { return new(blockchain.Block).UnmarshalBinary(blockBin[:blockchain.HeaderSize]) }, blockchain.ErrMalformed},
		{"block binary: count says one more", func() error {
			return new(blockchain.Block).UnmarshalBinary(edit(func(b []byte) { b[blockchain.HeaderSize+3]++ }))
		}, blockchain.ErrMalformed},
		{"block binary: count says a billion", func() error {
			return new(blockchain.Block).UnmarshalBinary(edit(func(b []byte) { copy(b[blockchain.HeaderSize:], []byte{0x3b, 0x9a, 0xca, 0x00}) }))
		}, blockchain.ErrMalformed},
		{"block binary: trailing byte", func() error { return new(blockchain.Block).UnmarshalBinary(append(bytes.Clone(blockBin), 1)) }, blockchain.ErrMalformed},
		{"block binary: a transaction's length past the end", func() error {
			return new(blockchain.Block).UnmarshalBinary(edit(func(b []byte) { b[blockchain.HeaderSize+4] = 0xff }))
		}, blockchain.ErrMalformed},
		{"block binary: a transaction of version 1", func() error {
			return new(blockchain.Block).UnmarshalBinary(edit(func(b []byte) { b[blockchain.HeaderSize+8] = 1 }))
		}, blockchain.ErrMalformed},
		{"block json: no header", func() error { return json.Unmarshal([]byte(`{"transactions":[]}`), new(blockchain.Block)) }, blockchain.ErrMalformed},
		{"block json: null transactions", func() error {
			header, err := json.Marshal(block.Header())
			require.NoError(t, err)
			return json.Unmarshal([]byte(`{"header":`+string(header)+`,"transactions":null}`), new(blockchain.Block))
		}, blockchain.ErrMalformed},
		{"block json: a member in another case", func() error {
			return json.Unmarshal([]byte(strings.Replace(string(blockJSON), `{`, `{"Header":{},`, 1)), new(blockchain.Block))
		}, blockchain.ErrMalformed},
		{"block json: forged block hash", func() error { return json.Unmarshal([]byte(forgedBlockHash), new(blockchain.Block)) }, blockchain.ErrBadHash},
		{"block json: forged transaction hash", func() error { return json.Unmarshal([]byte(forgedTxHash), new(blockchain.Block)) }, blockchain.ErrBadHash},
		{"block json: forged transaction ID", func() error { return json.Unmarshal([]byte(forgedTxID), new(blockchain.Block)) }, blockchain.ErrBadHash},
		{"block json: a transaction without its signature", func() error {
			sig := firstTx.Signature()
			s := strings.Replace(string(blockJSON), `"signature":"`+hex.EncodeToString(sig[:])+`",`, "", 1)
			return json.Unmarshal([]byte(s), new(blockchain.Block))
		}, blockchain.ErrMalformed},
		{"block json: not an object", func() error { return json.Unmarshal([]byte(`[1,2]`), new(blockchain.Block)) }, blockchain.ErrMalformed},
		{"block json: trailing data", func() error { return new(blockchain.Block).UnmarshalJSON(append(bytes.Clone(blockJSON), '1')) }, blockchain.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.decode()
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestBlockEncodingsRoundTrip(t *testing.T) {
	sealed := goldenHeader()
	sealed.Seal = goldenSeal
	generated := mustGenerate(t, 2, func(i int, g *consensustest.BlockGen) {
		for range 3 * i {
			g.AddTransfer("alice", "bob", 1)
		}
	})
	// Decoding shares one chain ID string among a block's transactions
	// while they agree: a block whose transactions change chain and come
	// back must keep each one's own.
	var chains []blockchain.Transaction
	for _, id := range []string{"chain-a", "chain-b", "chain-b", "chain-a", "chain-ab"} {
		chains = append(chains, blockchain.Transfer{ChainID: id, To: consensustest.Addr("bob"), Amount: 1}.Sign(consensustest.Key("alice")))
	}
	for name, b := range map[string]*blockchain.Block{
		"txs of several chains":  blockchain.NewBlock(goldenHeader(), chains),
		"genesis":                consensustest.Genesis(),
		"golden":                 goldenBlock(t),
		"golden, sealed":         blockchain.NewBlock(sealed, goldenTxs(t)),
		"generated, empty":       generated[0],
		"generated, three txs":   generated[1],
		"the header only, wrong": blockchain.NewBlock(goldenHeader(), nil),
	} {
		t.Run(name, func(t *testing.T) {
			bin, err := b.MarshalBinary()
			require.NoError(t, err)
			var fromBin blockchain.Block
			require.NoError(t, fromBin.UnmarshalBinary(bin))
			assert.Equal(t, b.Hash(), fromBin.Hash())
			assert.Equal(t, b.Header(), fromBin.Header())
			assert.Equal(t, b.Transactions(), fromBin.Transactions())
			assert.Equal(t, b.TxRoot(), fromBin.TxRoot())
			again, err := fromBin.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, bin, again, "one encoding per block")

			js, err := json.Marshal(b)
			require.NoError(t, err)
			var fromJSON blockchain.Block
			require.NoError(t, json.Unmarshal(js, &fromJSON))
			assert.Equal(t, b.Hash(), fromJSON.Hash())
			assert.Equal(t, b.Header(), fromJSON.Header())
			assert.Equal(t, b.Len(), fromJSON.Len())
			assert.Equal(t, b.Transactions(), fromJSON.Transactions())
		})
	}
}

// TestHeaderJSON: the header's JSON form names every field, addresses
// and hashes as text, the timestamp in RFC 3339 with milliseconds.
func TestHeaderJSON(t *testing.T) {
	h := goldenHeader()
	h.Seal = goldenSeal
	js, err := json.Marshal(h)
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":2,"height":7,
		"prevHash":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"merkleRoot":"c03a99e10da040f623ec0bfd7b6628e334d522f127a19183d1e944837f88e19e","txCount":4,
		"stateRoot":"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
		"beneficiary":"`+specAddrAlice.String()+`",
		"timestamp":"2026-01-02T03:04:05.678Z","bits":12,"nonce":72623859790382856,"seal":"BwECAw=="}`, string(js))
	var back blockchain.Header
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, h, back)
}

// TestHeaderJSONRefusesWhatWasNotSent: a header read from a stranger is
// made of the values it sent, never of zero values filled in for what
// it left out or sent as null.
func TestHeaderJSONRefusesWhatWasNotSent(t *testing.T) {
	js, err := json.Marshal(goldenHeader())
	require.NoError(t, err)
	edited := func(edit func(m map[string]any)) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal(js, &m))
		edit(m)
		out, err := json.Marshal(m)
		require.NoError(t, err)
		return string(out)
	}
	for _, tc := range []struct {
		name, data string
	}{
		{"null", `null`},
		{"an empty object", `{}`},
		{"an array", `[]`},
		{"no state root", edited(func(m map[string]any) { delete(m, "stateRoot") })},
		{"no nonce", edited(func(m map[string]any) { delete(m, "nonce") })},
		{"a null prev hash", edited(func(m map[string]any) { m["prevHash"] = nil })},
		{"a null timestamp", edited(func(m map[string]any) { m["timestamp"] = nil })},
		{"a null seal", edited(func(m map[string]any) { m["seal"] = nil })},
		// encoding/json alone matches names in any case and keeps the
		// last of two members of one name.
		{"a member in another case", strings.Replace(string(js), `{`, `{"HEIGHT":7,`, 1)},
		{"a member twice", strings.Replace(string(js), `{`, `{"height":9,`, 1)},
		// The header carries milliseconds: finer would be cut off unsaid.
		{"a timestamp finer than a millisecond", strings.Replace(string(js), `05.678Z"`, `05.6785Z"`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h blockchain.Header
			assert.ErrorIs(t, h.UnmarshalJSON([]byte(tc.data)), blockchain.ErrMalformed)
		})
	}
	var h blockchain.Header
	require.NoError(t, h.UnmarshalJSON(js), "without a seal, which is left out when empty")
	assert.Equal(t, goldenHeader(), h)
	var offset blockchain.Header
	require.NoError(t, offset.UnmarshalJSON([]byte(strings.Replace(string(js), `03:04:05.678Z"`, `05:04:05.678000+02:00"`, 1))), "the same instant at another offset")
	assert.Equal(t, goldenHeader(), offset)
}

func TestHashText(t *testing.T) {
	h, err := blockchain.ParseHash(goldenHeaderHash)
	require.NoError(t, err)
	assert.Equal(t, goldenHeader().Hash(), h)
	assert.Equal(t, goldenHeaderHash[:12], h.Short())

	for _, bad := range []string{"", "00", strings.Repeat("0", 63), strings.Repeat("g", 64), strings.Repeat("0", 65), strings.ToUpper(goldenHeaderHash)} {
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
	txs := goldenTxs(t)
	h := goldenHeader()
	plain := blockchain.NewBlock(h, txs)
	h.Seal = []byte{7, 1, 2, 3}
	sealed := blockchain.NewBlock(h, txs)

	assert.Equal(t, plain.SealHash(), sealed.SealHash(), "the seal is outside the seal hash")
	assert.NotEqual(t, plain.Hash(), sealed.Hash(), "the seal is inside the block hash")
	h.Seal = []byte{7, 1, 2, 4}
	assert.NotEqual(t, sealed.Hash(), blockchain.NewBlock(h, txs).Hash(), "another seal, another block")
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
	assert.ErrorIs(t, blockchain.NewBlock(h, txs).Validate(), blockchain.ErrSealTooLong)
}

// TestBlockOneGolden checks a whole state transition against
// testdata/golden_seal.py: block 1 on consensustest's genesis, alice
// paying bob 125, as GenerateChain makes it. Python computed the
// transaction, the accounts after it, their state root and the block,
// from the documentation alone.
func TestBlockOneGolden(t *testing.T) {
	const (
		txID      = "4c0fbd6e-b72c-80b6-b95e-9194d5beee69"
		txHash    = "8f99e7a1cf28d8d969c22ffc581ba718d8510a6b577b12ab132a527655ac5938"
		txRoot    = "ebb28a58b05d35053741ea97d92e8f34136c3c275eebba29ba0b6b0428ddd538"
		stateRoot = "467701662bccdd7bcd50001246985b40047d23e4219241c79d5038a15fd1014f"
		hash      = "eef4ee959130779ddbfd951444eaf4ccf744f15c2c2bb128536b7c922e25fdb2"
		block     = "35VGPQVXuzhMUiKnFPj5wF8eUo/FCcDh/R525jLOK7/rsopYsF01BTdB6pfZLo80E2w8J17ruim6C2sEKN3VOEZ3AWYrzN17zVAAEkaYW0AEfSPkIZJBx51QOKFf0QFPKtgyStdulkfULR430j0oXYVuw14AAAABAAAAAgAAAAAAAAAAAAAAAQAAAW9eZw8QAAAAAAAAAAAAAAABAAAAsQIPZXZlbnRjaGFpbi10ZXN0PhO7vjI0efrbfs8fzpOF4/GGefptH2Gic+NuiqjECAjdIy2OPi2dngAAAAAAAAB9AAAAAAAAAAAAAAAAAAAAAMDy6E4qx2hMXQLukz4/wXvGJ/+7fMFkbc1z/QsBWl7z9Muu43bYdNHMElUw88ojOEjBBVusoDU00HJOaSzyD9twks939jCWIufsKsHjbotXgu6rRW8t2zWC35yjtGMkAQ=="
	)
	tx := consensustest.Transfer("alice", "bob", 125, 0)
	blocks := mustGenerate(t, 1, func(_ int, g *consensustest.BlockGen) { g.AddTx(tx) })
	b := blocks[0]
	assert.Equal(t, txID, tx.ID().String())
	assert.Equal(t, txHash, tx.Hash().String())
	assert.Equal(t, txRoot, b.Header().MerkleRoot.String())
	assert.Equal(t, stateRoot, b.Header().StateRoot.String(), "the state root after the transfer and the reward")
	assert.Equal(t, hash, b.Hash().String())
	bin, err := b.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, block, base64.StdEncoding.EncodeToString(bin))
}
