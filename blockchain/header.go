package blockchain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"time"
)

// HeaderVersion is the only header version this package knows. Version 1
// was the original 96-byte header; version 2 adds StateRoot, Beneficiary
// and TxCount.
const HeaderVersion = 2

// The canonical header encoding: its size and where its parts lie.
const (
	// HeaderSize is the length of a header's canonical encoding.
	HeaderSize = 152
	// HeaderPrefixLen is the length of the part that fills the first two
	// 64-byte SHA-256 blocks: everything but Height, Timestamp and Nonce.
	// A miner hashes it once per candidate block (the "midstate").
	HeaderPrefixLen = 128
	// HeaderNonceOffset is where the 8-byte nonce starts.
	HeaderNonceOffset = 144
)

// A Header is the part of a block that names it: it commits to the
// previous block (PrevHash), to the block's transactions (MerkleRoot and
// TxCount), to every account's balance and nonce after the block
// (StateRoot), to who is paid for the block (Beneficiary), and to the
// consensus engine's proof (Bits and Nonce for proof of work, Seal for
// proof of authority).
//
// Its canonical encoding is exactly HeaderSize (152) bytes, all integers
// big-endian:
//
//	offset  size  field
//	0       32    PrevHash
//	32      32    MerkleRoot
//	                ── end of the first 64-byte SHA-256 block ──
//	64      32    StateRoot
//	96      20    Beneficiary
//	116     4     TxCount     uint32
//	120     4     Version     uint32
//	124     4     Bits        uint32
//	                ── end of the second 64-byte SHA-256 block ──
//	128     8     Height      uint64
//	136     8     Timestamp   int64, Unix milliseconds
//	144     8     Nonce       uint64
//
// SHA-256 works through its input in 64-byte blocks. The first 128 bytes
// fill two blocks exactly and do not change while a miner searches, so
// the miner hashes them once per candidate block and then, per nonce,
// only the last 24 bytes plus SHA-256's padding: one compression per try
// instead of three. (This is the seal hash, below: the one proof of work
// solves.) Because the beneficiary lies inside the hashed bytes, the
// proof of work covers who is paid: change the beneficiary and the work
// is lost.
//
// A Header is a plain value: copy it, change a copy, build a new [Block]
// from it. Timestamp keeps whole milliseconds only; finer parts are dropped
// when the header is encoded.
//
// Seal is the one field outside the 152 bytes: the proof a consensus engine
// attaches that is not a nonce, such as a signer's signature in proof of
// authority (proof of work leaves it empty). A header therefore has two
// hashes, as in go-ethereum:
//
//	SealHash = SHA-256(152-byte encoding)
//	Hash     = SHA-256(152-byte encoding ‖ Seal)
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
// chain accepted. The 152-byte part has a fixed length, so where it ends
// and the seal begins is never in doubt, and no length prefix is needed.
//
// With an empty seal (every proof-of-work block) the two hashes are the
// same: a proof-of-work block's hash shows the leading zero bits its miner
// found.
//
// Blocks encode the seal after their transactions (see
// [Block.MarshalBinary]), and the engine's Verify checks it.
type Header struct {
	Version     uint32    // HeaderVersion
	Height      uint64    // 0 for genesis, parent's height + 1 after
	PrevHash    Hash      // the parent's block hash (Hash, seal included); for genesis, the chain spec's hash
	MerkleRoot  Hash      // TxMerkleRoot of the block's transactions: their RFC 6962 Merkle root
	TxCount     uint32    // how many transactions the block holds: the n of its inclusion proofs
	StateRoot   Hash      // the root of every account's balance and nonce after the block; see [State.Root]
	Beneficiary Address   // who is paid the block reward and the block's fees; zero for genesis only
	Timestamp   time.Time // when the block was made, UTC
	Bits        uint32    // leading zero bits the seal hash must have (proof of work)
	Nonce       uint64    // what a miner varies until the seal hash has Bits zero bits
	Seal        []byte    // an engine's seal: outside SealHash, inside Hash; nil for proof of work
}

// MaxSealLen bounds Header.Seal, in bytes.
const MaxSealLen = 256

// AppendBinary appends the 152-byte canonical encoding to b: everything
// but the Seal, which is what [Header.SealHash] hashes. A Timestamp so far
// from 1970 that an int64 cannot count its milliseconds (292 million
// years) has no encoding: that is an error wrapping [ErrMalformed]. (Any
// time outside 1970…9999 encodes, to be refused by [Block.Validate] with
// code [ErrBadTimestamp].)
func (h Header) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEncodable(h.Timestamp); err != nil {
		return b, err
	}
	return h.appendCanonical(b), nil
}

// MarshalBinary returns the 152-byte canonical encoding: everything but
// the Seal. Its one error is AppendBinary's.
func (h Header) MarshalBinary() ([]byte, error) {
	return h.AppendBinary(make([]byte, 0, HeaderSize))
}

func (h Header) appendCanonical(b []byte) []byte {
	b = append(b, h.PrevHash[:]...)
	b = append(b, h.MerkleRoot[:]...)
	b = append(b, h.StateRoot[:]...)
	b = append(b, h.Beneficiary[:]...)
	b = binary.BigEndian.AppendUint32(b, h.TxCount)
	b = binary.BigEndian.AppendUint32(b, h.Version)
	b = binary.BigEndian.AppendUint32(b, h.Bits)
	b = binary.BigEndian.AppendUint64(b, h.Height)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Timestamp.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, h.Nonce)
	return b
}

// UnmarshalBinary decodes a 152-byte canonical encoding (which holds no
// Seal). Any other length is an error wrapping [ErrMalformed]. It checks
// no rule; see [Block.Validate].
func (h *Header) UnmarshalBinary(data []byte) error {
	if len(data) != HeaderSize {
		return malformed("header", "have %d bytes, want %d", len(data), HeaderSize)
	}
	*h = Header{
		PrevHash:    Hash(data[0:32]),
		MerkleRoot:  Hash(data[32:64]),
		StateRoot:   Hash(data[64:96]),
		Beneficiary: Address(data[96:116]),
		TxCount:     binary.BigEndian.Uint32(data[116:120]),
		Version:     binary.BigEndian.Uint32(data[120:124]),
		Bits:        binary.BigEndian.Uint32(data[124:128]),
		Height:      binary.BigEndian.Uint64(data[128:136]),
		Timestamp:   time.UnixMilli(int64(binary.BigEndian.Uint64(data[136:144]))).UTC(),
		Nonce:       binary.BigEndian.Uint64(data[144:152]),
	}
	return nil
}

// SealHash returns SHA-256 of the 152-byte canonical encoding, Seal left
// out: what a consensus engine solves (proof of work) or signs (proof of
// authority). It is not the block's identity; see [Header.Hash]. It
// allocates nothing.
func (h Header) SealHash() Hash {
	var buf [HeaderSize]byte
	return sha256.Sum256(h.appendCanonical(buf[:0]))
}

// Hash returns the block hash, the block's identity: SHA-256 of the 152-byte
// canonical encoding followed by the Seal's bytes. Without a seal it equals
// [Header.SealHash]. It allocates nothing for a seal of up to MaxSealLen
// bytes.
func (h Header) Hash() Hash {
	var buf [HeaderSize + MaxSealLen]byte
	return sha256.Sum256(append(h.appendCanonical(buf[:0]), h.Seal...))
}

// headerJSON is the JSON form of a Header.
type headerJSON struct {
	Version     uint32    `json:"version"`
	Height      uint64    `json:"height"`
	PrevHash    Hash      `json:"prevHash"`
	MerkleRoot  Hash      `json:"merkleRoot"`
	TxCount     uint32    `json:"txCount"`
	StateRoot   Hash      `json:"stateRoot"`
	Beneficiary Address   `json:"beneficiary"`
	Timestamp   time.Time `json:"timestamp"`
	Bits        uint32    `json:"bits"`
	Nonce       uint64    `json:"nonce"`
	Seal        []byte    `json:"seal,omitempty"`
}

// MarshalJSON encodes h with lower-camel-case field names, hashes in hex and
// the timestamp in RFC 3339 with milliseconds.
func (h Header) MarshalJSON() ([]byte, error) {
	h.Timestamp = normalizeTime(h.Timestamp)
	return json.Marshal(headerJSON(h))
}

// headerJSONFields are the fields of a header's JSON form that must be
// present, in the order a missing one is reported: every one but the
// seal, which MarshalJSON leaves out when it is empty.
var headerJSONFields = [...]string{"version", "height", "prevHash", "merkleRoot", "txCount", "stateRoot", "beneficiary", "timestamp", "bits", "nonce"}

// UnmarshalJSON decodes the form MarshalJSON writes (a timestamp may
// name its instant with another offset, in whole milliseconds). A value
// that is not an object (null among them), a missing field (any but
// "seal"), a field that is null, an unknown field (names are
// case-sensitive), a repeated one, a timestamp finer than a millisecond
// and trailing data are errors wrapping
// [ErrMalformed]: a header read from a stranger is never made up of
// zero values it did not send.
func (h *Header) UnmarshalJSON(data []byte) error {
	present, err := jsonMembers(data, append(headerJSONFields[:], "seal"), headerJSONFields[:])
	if err != nil {
		return malformed("header", "%v", err)
	}
	if v, ok := present["seal"]; ok && v.Kind() == 'n' {
		return malformed("header", "seal: null: leave it out for no seal")
	}
	var w headerJSON
	if err := strictJSON(data, &w); err != nil {
		return malformed("header", "%v", err)
	}
	if err := checkJSONTime(w.Timestamp); err != nil {
		return malformed("header", "%v", err)
	}
	if w.Timestamp.Nanosecond()%int(time.Millisecond) != 0 {
		// The header carries whole milliseconds: more would be cut off
		// silently, and the header read would not be the one sent.
		return malformed("header", "timestamp: %s: want whole milliseconds", w.Timestamp.Format(time.RFC3339Nano))
	}
	w.Timestamp = normalizeTime(w.Timestamp)
	if len(w.Seal) == 0 {
		w.Seal = nil
	}
	*h = Header(w)
	return nil
}

// normalizeTime returns t in UTC, truncated to whole milliseconds. It
// truncates in the time package's own arithmetic, not through Unix
// milliseconds, which an int64 holds only for ±292 million years: a
// time beyond them stays what it is, for Validate to refuse as it
// is, not wrapped round into another year.
func normalizeTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}

// maxTimestampMilli is 10000-01-01T00:00:00Z in Unix milliseconds.
const maxTimestampMilli = 253402300800000

// Timestamps a valid header carries (Block.Validate): from the Unix epoch
// (1970) to the end of year 9999, in whole milliseconds. The encoding
// holds more (see firstEncodable), for Validate to refuse.
var (
	minTimestamp = time.UnixMilli(0).UTC()
	maxTimestamp = time.UnixMilli(maxTimestampMilli).UTC() // the first time past the range
)

// timestampInRange reports whether t lies in the range a valid header
// carries.
// It compares times, so a time far outside cannot overflow into it.
func timestampInRange(t time.Time) bool {
	return !t.Before(minTimestamp) && t.Before(maxTimestamp)
}

// The times whose Unix milliseconds an int64 holds: about 292 million
// years either side of 1970. Only these have an encoding.
var (
	firstEncodable = time.UnixMilli(math.MinInt64).UTC()
	lastEncodable  = time.UnixMilli(math.MaxInt64).UTC()
)

// checkEncodable returns an error wrapping ErrMalformed if t is outside
// the times a header's 8 bytes of Unix milliseconds can hold.
func checkEncodable(t time.Time) error {
	if t.Before(firstEncodable) || t.After(lastEncodable) {
		return malformed("header", "timestamp %s: more than 292 million years from 1970, no encoding", t.Format(time.RFC3339Nano))
	}
	return nil
}
