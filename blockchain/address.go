package blockchain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// AddressSize is the length in bytes of an [Address].
const AddressSize = 20

// AddressPrefix starts the written form of every address.
const AddressPrefix = "ec"

// AddressLen is the length of an address's written form: the prefix, 40
// hexadecimal digits of the address and 8 of its checksum.
const AddressLen = len(AddressPrefix) + 2*AddressSize + 8

// addressTag separates the hash that makes an address from every other
// hash of a public key this project could compute (domain separation).
const addressTag = "eventchain/address/v1\x00"

// An Address names an account: the first 20 bytes of
// SHA-256("eventchain/address/v1" ‖ 0x00 ‖ public key). Whoever holds the
// private key of that public key, and only they, can sign for it; the
// address itself gives nothing away but an anonymous name. The zero
// Address is no one's (no key hashes to it, in practice) and is never
// valid as a sender or receiver.
//
// Written out (String, MarshalText) an address is 50 characters:
//
//	ec 1f4a…(40 hex digits: the 20 bytes)… 9c0e21a7 (8 hex digits: CRC-32)
//
// all lower case. The last 8 digits are the CRC-32 (IEEE) of the 20
// bytes, big-endian. CRC-32 detects every error that changes at most 32
// consecutive bits, and changing one character of the written form
// changes at most 4 consecutive bits (one hex digit): so a mistyped
// character is always caught, never sent to a stranger's account
// (TestAddressCatchesEverySubstitution checks every one). A checksum is
// not a signature: it guards against mistakes, not against an attacker,
// who could compute it.
//
// An Address is a comparable value, usable as a map key.
type Address [AddressSize]byte

// AddressOf returns the address of the account that pub's private key
// controls.
func AddressOf(pub PublicKey) Address {
	var buf [len(addressTag) + PublicKeySize]byte
	sum := sha256.Sum256(append(append(buf[:0], addressTag...), pub[:]...))
	return Address(sum[:AddressSize])
}

// IsZero reports whether a is the zero address.
func (a Address) IsZero() bool { return a == Address{} }

// String returns the written form: "ec", the address in hex, its checksum.
func (a Address) String() string {
	b, _ := a.MarshalText()
	return string(b)
}

// Short returns the prefix and the first 8 hex digits, for logs and
// explorers: "ec1f4a2b3c".
func (a Address) Short() string { return AddressPrefix + hex.EncodeToString(a[:4]) }

// checksum returns the CRC-32 of a's bytes.
func (a Address) checksum() uint32 { return crc32.ChecksumIEEE(a[:]) }

// MarshalText returns the written form; it makes an Address a JSON string.
func (a Address) MarshalText() ([]byte, error) {
	return a.appendText(make([]byte, 0, AddressLen)), nil
}

// appendText appends the written form of a to dst.
func (a Address) appendText(dst []byte) []byte {
	dst = append(dst, AddressPrefix...)
	dst = hex.AppendEncode(dst, a[:])
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], a.checksum())
	return hex.AppendEncode(dst, sum[:])
}

// UnmarshalText parses the written form, as [ParseAddress] does. On error
// a is unchanged.
func (a *Address) UnmarshalText(text []byte) error {
	parsed, err := ParseAddress(string(text))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

// What is wrong with a written address; an [*AddressError] wraps one.
var (
	// ErrAddressPrefix: the text does not start with "ec".
	ErrAddressPrefix = errors.New("address does not start with " + AddressPrefix)
	// ErrAddressLength: the text is not AddressLen characters long.
	ErrAddressLength = errors.New("address has the wrong length")
	// ErrAddressCharacter: a character is not a lower-case hex digit.
	ErrAddressCharacter = errors.New("address holds a character that is not a lower-case hex digit")
	// ErrAddressChecksum: the checksum does not match: a character was
	// mistyped, or the text was never an address.
	ErrAddressChecksum = errors.New("address checksum does not match")
)

// An AddressError says why a text is not an address, and where: Err is
// one of the ErrAddress… sentinels (test with errors.Is), Pos the byte
// offset at fault or -1 when no single position is.
type AddressError struct {
	Input string // the text, shortened to its first 64 bytes
	Pos   int
	Err   error
}

// Error says what is wrong and where, as in: parse address "ec…":
// address checksum does not match.
func (e *AddressError) Error() string {
	if e.Pos >= 0 {
		return fmt.Sprintf("parse address %q: %v at offset %d", e.Input, e.Err, e.Pos)
	}
	return fmt.Sprintf("parse address %q: %v", e.Input, e.Err)
}

// Unwrap returns the kind of fault, one of the ErrAddress… sentinels, so
// that errors.Is(err, ErrAddressChecksum) works through it.
func (e *AddressError) Unwrap() error { return e.Err }

// ParseAddress parses an address's written form. It accepts exactly what
// String writes — lower case only, so that two texts never name one
// address — and returns an [*AddressError] for anything else: a wrong
// prefix, a wrong length, a character that is not a lower-case hex digit
// (with its offset), or a checksum that does not match.
func ParseAddress(s string) (Address, error) {
	fail := func(pos int, err error) (Address, error) {
		in := s
		if len(in) > 64 {
			in = in[:64] + "…"
		}
		return Address{}, &AddressError{Input: in, Pos: pos, Err: err}
	}
	if !strings.HasPrefix(s, AddressPrefix) {
		if strings.HasPrefix(strings.ToLower(s), AddressPrefix) {
			return fail(-1, fmt.Errorf("%w: addresses are written in lower case", ErrAddressPrefix))
		}
		return fail(-1, ErrAddressPrefix)
	}
	if len(s) != AddressLen {
		return fail(-1, fmt.Errorf("%w: have %d characters, want %d", ErrAddressLength, len(s), AddressLen))
	}
	for i := len(AddressPrefix); i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fail(i, ErrAddressCharacter)
		}
	}
	var a Address
	digits := s[len(AddressPrefix):]
	_, _ = hex.Decode(a[:], []byte(digits[:2*AddressSize])) // checked above
	var sum [4]byte
	_, _ = hex.Decode(sum[:], []byte(digits[2*AddressSize:]))
	if binary.BigEndian.Uint32(sum[:]) != a.checksum() {
		return fail(-1, ErrAddressChecksum)
	}
	return a, nil
}
