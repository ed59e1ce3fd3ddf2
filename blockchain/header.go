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

// A Header is the part of a block that is hashed: it commits to the
// previous block (PrevHash), to the block's transactions (MerkleRoot) and
// to the proof of work (Bits and Nonce).
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
// SHA-256 works through its input in 64-byte blocks. The two hashes fill the
// first block exactly, so a miner, who changes only the nonce, hashes that
// block once per candidate and then, per nonce, only the last 32 bytes plus
// SHA-256's padding: one compression per try instead of two.
//
// A Header is a plain value: copy it, change a copy, build a new [Block]
// from it. Timestamp keeps whole milliseconds only; finer parts are dropped
// when the header is encoded.
//
// Seal is the one field outside the 96 bytes: the proof a consensus
// engine attaches that is not a nonce, such as a signer's signature in
// proof of authority (proof of work leaves it empty). It cannot be part of
// the hash, because it is made from the hash — a signature signs the
// header, as a signature on a letter is not part of the letter's text. So
// the block hash names what was signed, and the engine's Verify checks the
// seal. Blocks encode it after their transactions (see
// Block.MarshalBinary), and the event that carries a block commits to it.
type Header struct {
	Version    uint32    // HeaderVersion
	Height     uint64    // 0 for genesis, parent's height + 1 after
	PrevHash   Hash      // hash of the parent's header; zero for genesis
	MerkleRoot Hash      // MerkleRoot of the block's transaction hashes
	Timestamp  time.Time // when the block was made, UTC
	Bits       uint32    // leading zero bits the block hash must have
	Nonce      uint64    // what a miner varies until the hash has Bits zero bits
	Seal       []byte    // an engine's seal outside the hash; nil for proof of work
}

// MaxSealLen bounds Header.Seal, in bytes.
const MaxSealLen = 256

// AppendBinary appends the 96-byte canonical encoding to b: everything
// but the Seal.
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

// Hash returns SHA-256 of the canonical encoding: the block hash. The
// Seal is not part of it. It allocates nothing.
func (h Header) Hash() Hash {
	var buf [HeaderSize]byte
	return sha256.Sum256(h.appendCanonical(buf[:0]))
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
