package blockchain

import (
	"encoding/hex"
	"fmt"
	"math/bits"
)

// HashSize is the length in bytes of a [Hash]: a SHA-256 digest.
const HashSize = 32

// A Hash is a SHA-256 digest: of a transaction's canonical encoding, of a
// header's canonical encoding (its seal hash) or of that encoding and the
// seal (the block hash), or of a leaf or an inner node of a Merkle tree
// (see [LeafHash] and [NodeHash]).
//
// A Hash is a value: copying it copies the 32 bytes. Its zero value is the
// all-zero hash, which no block has; it stands for "none" (the genesis
// block's PrevHash is not zero but its spec's hash, [ChainSpec.Hash]). It
// prints and marshals as 64 lower-case hexadecimal digits.
type Hash [HashSize]byte

// String returns h as 64 lower-case hexadecimal digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short returns the first 12 hexadecimal digits of h, enough to tell blocks
// apart in a log line or on a slide.
func (h Hash) Short() string { return hex.EncodeToString(h[:6]) }

// IsZero reports whether h is the all-zero hash.
func (h Hash) IsZero() bool { return h == Hash{} }

// LeadingZeroBits returns how many bits at the start of h are zero, reading
// the bytes in order and each byte from its most significant bit: 0 for
// 0x80…, 8 for 0x00ff…, 256 for the zero hash. Proof of work asks for a seal
// hash with at least Header.Bits leading zero bits; a proof-of-work block has
// no seal, so its block hash is the same and shows them too.
func (h Hash) LeadingZeroBits() int {
	for i, b := range h {
		if b != 0 {
			return i*8 + bits.LeadingZeros8(b)
		}
	}
	return HashSize * 8
}

// MarshalText encodes h as hexadecimal; it makes a Hash a JSON string.
func (h Hash) MarshalText() ([]byte, error) {
	out := make([]byte, hex.EncodedLen(HashSize))
	hex.Encode(out, h[:])
	return out, nil
}

// UnmarshalText decodes 64 lower-case hexadecimal digits into h, the one
// form MarshalText writes, so that a hash has one written form. Anything
// else (upper case included) is an error and leaves h unchanged.
func (h *Hash) UnmarshalText(text []byte) error {
	if len(text) != hex.EncodedLen(HashSize) {
		return fmt.Errorf("hash: have %d hex digits, want %d", len(text), hex.EncodedLen(HashSize))
	}
	for i, c := range text {
		if 'A' <= c && c <= 'F' {
			return fmt.Errorf("hash: offset %d: %q is upper case; a hash is written in lower-case hex", i, c)
		}
	}
	var out Hash
	if _, err := hex.Decode(out[:], text); err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	*h = out
	return nil
}

// ParseHash decodes 64 lower-case hexadecimal digits, as printed by
// [Hash.String].
func ParseHash(s string) (Hash, error) {
	var h Hash
	err := h.UnmarshalText([]byte(s))
	return h, err
}
