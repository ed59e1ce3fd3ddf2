package blockchain

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	voied25519 "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Key sizes, from the standard library's ed25519.
const (
	// PublicKeySize is the length of a [PublicKey].
	PublicKeySize = ed25519.PublicKeySize
	// SeedSize is the length of the seed a [PrivateKey] is made from.
	SeedSize = ed25519.SeedSize
	// SignatureSize is the length of a signature.
	SignatureSize = ed25519.SignatureSize
)

// A PublicKey is an ed25519 public key: what anyone may know, and what
// checks a signature. Its account is [AddressOf] it.
//
// It is a comparable value; it prints and marshals as 64 lower-case hex
// digits.
type PublicKey [PublicKeySize]byte

// String returns the key as 64 lower-case hex digits.
func (k PublicKey) String() string { return hex.EncodeToString(k[:]) }

// Address returns the address of the account the key controls.
func (k PublicKey) Address() Address { return AddressOf(k) }

// Verify reports whether sig is k's signature of msg, by the rules of the
// standard library's ed25519.Verify: the signature's S must be canonical
// (below the group order), and the check is the cofactorless equation
// [S]B = R + [k]A, compared byte for byte.
//
// The check is curve25519-voi's, with its preset for exactly those rules
// (VerifyOptionsStdLib): it does the same arithmetic about 1.45 times
// faster on amd64 than crypto/ed25519, and signature checks are most of
// what a node and a bank spend. TestVerifyAgreesWithStdlib checks the
// inputs known to split ed25519 implementations, and the fuzz target
// FuzzVerifyAgreesWithStdlib compares the two on any input it is run
// on, hostile ones included: a signature that one node accepts and
// another refuses would split the chain.
func (k PublicKey) Verify(msg []byte, sig []byte) bool {
	return len(sig) == SignatureSize && voied25519.VerifyWithOptions(k[:], msg, sig, stdlibRules)
}

// stdlibRules makes curve25519-voi verify as crypto/ed25519 does.
var stdlibRules = &voied25519.Options{Verify: voied25519.VerifyOptionsStdLib}

// MarshalText returns the key in hex; it makes a PublicKey a JSON string.
func (k PublicKey) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, k[:]), nil }

// UnmarshalText decodes 64 lower-case hex digits, as [ParsePublicKey].
func (k *PublicKey) UnmarshalText(text []byte) error {
	parsed, err := ParsePublicKey(string(text))
	if err != nil {
		return err
	}
	*k = parsed
	return nil
}

// ErrBadKey is wrapped by every error about the form of a key or a seed.
var ErrBadKey = errors.New("bad key")

// ParsePublicKey decodes a public key written as 64 lower-case hex digits.
// Any other text is an error wrapping [ErrBadKey]. It does not check that
// the bytes are a point of the curve; verifying a signature does.
func ParsePublicKey(s string) (PublicKey, error) {
	var k PublicKey
	if err := decodeLowerHex(k[:], s); err != nil {
		return PublicKey{}, fmt.Errorf("public key: %w", err)
	}
	return k, nil
}

// decodeLowerHex fills dst from exactly 2·len(dst) lower-case hex digits.
func decodeLowerHex(dst []byte, s string) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("%w: have %d hex digits, want %d", ErrBadKey, len(s), 2*len(dst))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("%w: offset %d is not a lower-case hex digit", ErrBadKey, i)
		}
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

// A PrivateKey signs for one account. It is made from a 32-byte seed
// (ed25519's private key is derived from it), which is all a wallet must
// keep secret. It never prints its seed: String, and every fmt verb
// (Format), show the address only, and the secret is out of reach of
// printers that look inside values (a struct holding a key, a test's
// failed assertion), so a key logged by mistake leaks nothing.
//
// The zero PrivateKey holds no key: Sign and Seed panic on it, saying so,
// and its Address is the zero Address, which no transfer may name. Make one
// with [GenerateKey] or [NewPrivateKey]; IsZero tells a key from none. A PrivateKey is safe for
// concurrent use.
//
// Two PrivateKeys cannot be compared with ==, nor with reflect.DeepEqual
// (so not with testify's assert.Equal either, which would call even a
// copy of a key different): compare their Public keys, as in
// k.Public() == other.Public(), which are equal exactly when the seeds
// are.
type PrivateKey struct {
	// secret returns the ed25519 private key (seed and public half). It
	// is a function, holding the key in its closure, so that nothing that
	// prints values by reflection can reach the bytes: not fmt, which
	// prints the fields of a struct held in an unexported field without
	// asking them how (and follows a pointer there for %s or %x), nor the
	// dumpers tests use (testify's diffs). A function prints as an
	// address. It also makes a PrivateKey not comparable: compare Public().
	// nil for the zero PrivateKey. The key is never changed once made.
	secret func() ed25519.PrivateKey
	pub    PublicKey
}

// GenerateKey makes a new private key from rand's bytes (crypto/rand's
// Reader when rand is nil).
func GenerateKey(rand io.Reader) (PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("generate key: %w", err)
	}
	return NewPrivateKey(priv.Seed())
}

// NewPrivateKey returns the private key made from seed, which must be
// SeedSize bytes; anything else is an error wrapping [ErrBadKey]. The
// same seed always makes the same key, on every machine.
func NewPrivateKey(seed []byte) (PrivateKey, error) {
	if len(seed) != SeedSize {
		return PrivateKey{}, fmt.Errorf("seed: %w: have %d bytes, want %d", ErrBadKey, len(seed), SeedSize)
	}
	key := ed25519.NewKeyFromSeed(seed)
	return PrivateKey{secret: func() ed25519.PrivateKey { return key }, pub: PublicKey(key.Public().(ed25519.PublicKey))}, nil
}

// Public returns the key's public key.
func (k PrivateKey) Public() PublicKey { return k.pub }

// Address returns the address of the key's account; for the zero
// PrivateKey, the zero Address. (The all-zero public key has an address,
// but it is a key of small order, whose account nobody can spend from:
// coins sent there would be lost. See [PublicKey.IsSmallOrder].)
func (k PrivateKey) Address() Address {
	if k.IsZero() {
		return Address{}
	}
	return AddressOf(k.pub)
}

// IsZero reports whether k is the zero PrivateKey, which holds no key.
func (k PrivateKey) IsZero() bool { return k.secret == nil }

// errZeroKey is the panic of Sign and Seed on the zero PrivateKey: a
// program's mistake, like a nil map's, not bad input.
const errZeroKey = "blockchain: the zero PrivateKey holds no key; make one with GenerateKey or NewPrivateKey"

// Seed returns a copy of the 32-byte seed: the secret to keep.
func (k PrivateKey) Seed() []byte {
	if k.IsZero() {
		panic(errZeroKey)
	}
	return k.secret().Seed()
}

// Sign returns the ed25519 signature of msg. ed25519 is deterministic:
// the same key and message always give the same signature.
func (k PrivateKey) Sign(msg []byte) [SignatureSize]byte {
	if k.IsZero() {
		panic(errZeroKey)
	}
	return [SignatureSize]byte(ed25519.Sign(k.secret(), msg))
}

// String shows the key's address, never its secret.
func (k PrivateKey) String() string { return "PrivateKey(" + k.Address().String() + ")" }

// GoString is String, so that %#v leaks nothing either.
func (k PrivateKey) GoString() string { return k.String() }

// Format makes every fmt verb print what String prints, the key's
// address; %q quotes it and %x and %X write it in hex, as for a string,
// with the width and flags given. Without it the verbs that are not for
// strings (%d, %o, %b, …) would print the struct's fields in their
// own way — the seed among them, in decimal, say — since fmt uses String
// only for %v, %s, %q, %x and %X.
func (k PrivateKey) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q', 'x', 'X':
	default:
		verb = 's'
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), k.String())
}
