package blockchain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"time"
)

// HeaderVersion is the only header version this package knows.
const HeaderVersion = 1

// The canonical header encoding: its size and where its parts lie.
const (
	// HeaderSize is the length of a header's canonical encoding.
	HeaderSize = 96
	// HeaderPrefixLen is the length of the part that fills the first
	// 64-byte SHA-256 block: PrevHash and MerkleRoot. A miner hashes it
	// once per candidate block (the "midstate").
	HeaderPrefixLen = 64
	// HeaderNonceOffset is where the 8-byte nonce starts.
	HeaderNonceOffset = 88
)

// A Header is the part of a block that names it: it commits to the
// previous block (PrevHash), to the block's transactions (MerkleRoot) and
// to the consensus engine's proof (Bits and Nonce for proof of work, Seal
// for proof of authority).
//
// Its canonical encoding is exactly HeaderSize (96) bytes, all integers
// big-endian:
//
//	offset  size  field
//	0       32    PrevHash
//	32      32    MerkleRoot
//	                ── end of the first 64-byte SHA-256 block ──
//	64      4     Version     uint32
//	68      8     Height      uint64
//	76      8     Timestamp   int64, Unix milliseconds
//	84      4     Bits        uint32
//	88      8     Nonce       uint64
//
// SHA-256 works through its input in 64-byte blocks. PrevHash and
// MerkleRoot fill the first block exactly, so a miner, who changes only the
// nonce, hashes that block once per candidate and then, per nonce, only the
// last 32 bytes plus SHA-256's padding: one compression per try instead of
// two. (This is the seal hash, below: the one proof of work solves.)
//
// A Header is a plain value: copy it, change a copy, build a new [Block]
// from it. Timestamp keeps whole milliseconds only; finer parts are dropped
// when the header is encoded.
//
// Seal is the one field outside the 96 bytes: the proof a consensus engine
// attaches that is not a nonce, such as a signer's signature in proof of
// authority (proof of work leaves it empty). A header therefore has two
// hashes, as in go-ethereum:
//
//	SealHash = SHA-256(96-byte encoding)
//	Hash     = SHA-256(96-byte encoding ‖ Seal)
//
// [Header.SealHash] is what the engine works on: proof of work varies the
// nonce until the seal hash has Bits leading zero bits; proof of authority
// signs it. The seal must lie outside what it seals, because it is made
// from it: a signature cannot sign itself, as a signature on a letter is
// not part of the text it signs.
//
// [Header.Hash] is the block hash, the block's identity: PrevHash links,
// events, inclusion proofs and logs name a block by it. It must cover the
// seal, for otherwise two different blocks — the same header with two
// different signatures, one of them forged — would share one name, and a
// PrevHash link or a BlockMined event would not pin which signature the
// chain accepted. The 96-byte part has a fixed length, so where it ends
// and the seal begins is never in doubt, and no length prefix is needed.
//
// With an empty seal (every proof-of-work block) the two hashes are the
// same: a proof-of-work block's hash shows the leading zero bits its miner
// found.
//
// Blocks encode the seal after their transactions (see
// [Block.MarshalBinary]), and the engine's Verify checks it.
type Header struct {
	Version    uint32    // HeaderVersion
	Height     uint64    // 0 for genesis, parent's height + 1 after
	PrevHash   Hash      // the parent's block hash (Hash, seal included); zero for genesis
	MerkleRoot Hash      // TxMerkleRoot of the block's transactions: their RFC 6962 Merkle root
	Timestamp  time.Time // when the block was made, UTC
	Bits       uint32    // leading zero bits the seal hash must have (proof of work)
	Nonce      uint64    // what a miner varies until the seal hash has Bits zero bits
	Seal       []byte    // an engine's seal: outside SealHash, inside Hash; nil for proof of work
}

// MaxSealLen bounds Header.Seal, in bytes.
const MaxSealLen = 256

// AppendBinary appends the 96-byte canonical encoding to b: everything
// but the Seal, which is what [Header.SealHash] hashes.
func (h Header) AppendBinary(b []byte) ([]byte, error) {
	return h.appendCanonical(b), nil
}

// MarshalBinary returns the 96-byte canonical encoding: everything but
// the Seal.
func (h Header) MarshalBinary() ([]byte, error) {
	return h.appendCanonical(make([]byte, 0, HeaderSize)), nil
}

func (h Header) appendCanonical(b []byte) []byte {
	b = append(b, h.PrevHash[:]...)
	b = append(b, h.MerkleRoot[:]...)
	b = binary.BigEndian.AppendUint32(b, h.Version)
	b = binary.BigEndian.AppendUint64(b, h.Height)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Timestamp.UnixMilli()))
	b = binary.BigEndian.AppendUint32(b, h.Bits)
	b = binary.BigEndian.AppendUint64(b, h.Nonce)
	return b
}

// UnmarshalBinary decodes a 96-byte canonical encoding (which holds no
// Seal). Any other length is an error wrapping [ErrMalformed]. It checks
// no rule; see [Block.Validate].
func (h *Header) UnmarshalBinary(data []byte) error {
	if len(data) != HeaderSize {
		return malformed("header", "have %d bytes, want %d", len(data), HeaderSize)
	}
	*h = Header{
		PrevHash:   Hash(data[0:32]),
		MerkleRoot: Hash(data[32:64]),
		Version:    binary.BigEndian.Uint32(data[64:68]),
		Height:     binary.BigEndian.Uint64(data[68:76]),
		Timestamp:  time.UnixMilli(int64(binary.BigEndian.Uint64(data[76:84]))).UTC(),
		Bits:       binary.BigEndian.Uint32(data[84:88]),
		Nonce:      binary.BigEndian.Uint64(data[88:96]),
	}
	return nil
}

// SealHash returns SHA-256 of the 96-byte canonical encoding, Seal left
// out: what a consensus engine solves (proof of work) or signs (proof of
// authority). It is not the block's identity; see [Header.Hash]. It
// allocates nothing.
func (h Header) SealHash() Hash {
	var buf [HeaderSize]byte
	return sha256.Sum256(h.appendCanonical(buf[:0]))
}

// Hash returns the block hash, the block's identity: SHA-256 of the 96-byte
// canonical encoding followed by the Seal's bytes. Without a seal it equals
// [Header.SealHash]. It allocates nothing for a seal of up to MaxSealLen
// bytes.
func (h Header) Hash() Hash {
	var buf [HeaderSize + MaxSealLen]byte
	return sha256.Sum256(append(h.appendCanonical(buf[:0]), h.Seal...))
}

// headerJSON is the JSON form of a Header.
type headerJSON struct {
	Version    uint32    `json:"version"`
	Height     uint64    `json:"height"`
	PrevHash   Hash      `json:"prevHash"`
	MerkleRoot Hash      `json:"merkleRoot"`
	Timestamp  time.Time `json:"timestamp"`
	Bits       uint32    `json:"bits"`
	Nonce      uint64    `json:"nonce"`
	Seal       []byte    `json:"seal,omitempty"`
}

// MarshalJSON encodes h with lower-camel-case field names, hashes in hex and
// the timestamp in RFC 3339 with milliseconds.
func (h Header) MarshalJSON() ([]byte, error) {
	h.Timestamp = normalizeTime(h.Timestamp)
	return json.Marshal(headerJSON(h))
}

// UnmarshalJSON decodes the form MarshalJSON writes; unknown fields and
// trailing data are errors wrapping [ErrMalformed].
func (h *Header) UnmarshalJSON(data []byte) error {
	var w headerJSON
	if err := strictJSON(data, &w); err != nil {
		return malformed("header", "%v", err)
	}
	if err := checkJSONTime(w.Timestamp); err != nil {
		return malformed("header", "%v", err)
	}
	w.Timestamp = normalizeTime(w.Timestamp)
	if len(w.Seal) == 0 {
		w.Seal = nil
	}
	*h = Header(w)
	return nil
}
