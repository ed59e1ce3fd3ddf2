package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/crypto/scrypt"

	"github.com/eventchain/eventchain/blockchain"
)

// Version is the version of the key file format: the one this package
// writes, and the only one it reads.
const Version = 1

// MaxFileSize is the size limit of a key file, in bytes. A key file is
// about 400 bytes; anything much larger is not one, and is refused
// before it is read whole.
const MaxFileSize = 4 << 10

// The values of a key file's "encryption" member.
const (
	encryptionScrypt = "scrypt+aes-256-gcm"
	encryptionNone   = "none"
)

// Sizes of the secrets and of what protects them, in bytes.
const (
	saltSize  = 32 // scrypt's salt: new for every file written
	keySize   = 32 // scrypt's output: an AES-256 key
	nonceSize = 12 // AES-GCM's standard nonce
	sealSize  = blockchain.SeedSize + 16
)

// aadTag starts the additional authenticated data of every encrypted
// seed, so that it is never confused with anything else this project
// authenticates (domain separation).
const aadTag = "eventchain/keystore/v1\x00"

// additionalData returns what AES-GCM authenticates beside the seed:
// aadTag ‖ name ‖ 0x00 ‖ the address's written form. Neither a name nor
// an address holds a 0x00, so two pairs never give the same bytes.
func additionalData(name string, addr blockchain.Address) []byte {
	return []byte(aadTag + name + "\x00" + addr.String())
}

// ScryptParams are the cost parameters of scrypt (RFC 7914): N, the
// CPU and memory cost, a power of two; R, the block size; P, the number
// of independent mixes. One unlock takes 128·N·R bytes of memory and
// time in proportion to N·R·P.
//
// A key file records the parameters it was encrypted with, so that a
// Keystore can raise [DefaultScrypt] later and still read its older
// files.
type ScryptParams struct {
	N int
	R int
	P int
}

// DefaultScrypt returns the parameters a Keystore encrypts with unless
// its Config says otherwise: N = 2¹⁶, R = 8, P = 1. They take 64 MiB
// and, on one core of the machine this package was written on, about
// 170 ms per unlock (BenchmarkUnlock measures it): long enough to make
// each guess of a passphrase costly, short enough not to be noticed.
// That is twice the N that the golang.org/x/crypto/scrypt documentation
// recommended for interactive logins in 2017; machines have grown
// faster since.
func DefaultScrypt() ScryptParams { return ScryptParams{N: 1 << 16, R: 8, P: 1} }

// The bounds [ScryptParams.Check] sets on the parameters of a key file,
// whatever the file says.
const (
	// MaxScryptN is the largest N.
	MaxScryptN = 1 << 20
	// MaxScryptR is the largest R.
	MaxScryptR = 32
	// MaxScryptP is the largest P.
	MaxScryptP = 16
	// MaxScryptMemory bounds the memory of one unlock, 128·N·R bytes:
	// 256 MiB, 4 times the default's.
	MaxScryptMemory = 256 << 20
	// MaxScryptWork bounds the time of one unlock, counted as N·R·P:
	// 2²², 8 times the default's (about a second).
	MaxScryptWork = 1 << 22
)

// Memory returns the memory one unlock takes: 128·N·R bytes.
func (p ScryptParams) Memory() int64 { return 128 * int64(p.N) * int64(p.R) }

// Check returns nil if scrypt accepts p and p is within the bounds
// above, and otherwise an error wrapping [ErrScryptParams]. Parameters
// too weak to protect a key are not refused (tests use them): a Keystore
// only writes weak files when its Config asks for it.
func (p ScryptParams) Check() error { return p.check(MaxScryptWork) }

// check is Check with a bound on N·R·P of the caller's choosing, at most
// MaxScryptWork: the fuzz test lowers it to stay fast.
func (p ScryptParams) check(maxWork int64) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrScryptParams, fmt.Sprintf(format, args...))
	}
	switch {
	case p.N < 2 || p.N > MaxScryptN || p.N&(p.N-1) != 0:
		return fail("n: have %d, want a power of two from 2 to %d", p.N, MaxScryptN)
	case p.R < 1 || p.R > MaxScryptR:
		return fail("r: have %d, want 1 to %d", p.R, MaxScryptR)
	case p.P < 1 || p.P > MaxScryptP:
		return fail("p: have %d, want 1 to %d", p.P, MaxScryptP)
	case p.Memory() > MaxScryptMemory:
		return fail("memory 128·n·r: have %d bytes, want at most %d", p.Memory(), MaxScryptMemory)
	}
	if work := int64(p.N) * int64(p.R) * int64(p.P); work > min(maxWork, MaxScryptWork) {
		return fail("work n·r·p: have %d, want at most %d", work, min(maxWork, MaxScryptWork))
	}
	return nil
}

// fileJSON is a key file as JSON: the members, in the order written,
// that the package documentation specifies.
type fileJSON struct {
	Version    int         `json:"version"`
	Name       string      `json:"name"`
	Address    string      `json:"address"`
	Encryption string      `json:"encryption"`
	Scrypt     *scryptJSON `json:"scrypt,omitzero"`
	Nonce      *string     `json:"nonce,omitzero"`
	Ciphertext *string     `json:"ciphertext,omitzero"`
	Seed       *string     `json:"seed,omitzero"`
}

// versionJSON is the one member of a key file read before its version
// is known.
type versionJSON struct {
	Version *int `json:"version"`
}

// scryptJSON is the "scrypt" member of an encrypted key file.
type scryptJSON struct {
	N    int    `json:"n"`
	R    int    `json:"r"`
	P    int    `json:"p"`
	Salt string `json:"salt"`
}

// A keyFile is a key file, parsed and checked as far as it can be
// without the passphrase.
type keyFile struct {
	name       string
	address    blockchain.Address
	encrypted  bool
	scrypt     ScryptParams // when encrypted
	salt       []byte       // when encrypted
	nonce      []byte       // when encrypted
	ciphertext []byte       // when encrypted: the sealed seed and its tag
	seed       []byte       // when not
}

// marshal writes a key file's document: two-space indents, the members
// in the order of fileJSON, a final newline.
func marshal(doc *fileJSON) []byte {
	out, err := json.Marshal(doc, jsontext.WithIndent("  "))
	if err != nil {
		panic("keystore: marshal key file: " + err.Error()) // strings and ints always marshal
	}
	return append(out, '\n')
}

// encodeClear returns the key file holding key's seed in clear.
func encodeClear(name string, key blockchain.PrivateKey) []byte {
	seed := hex.EncodeToString(key.Seed())
	return marshal(&fileJSON{
		Version:    Version,
		Name:       name,
		Address:    key.Address().String(),
		Encryption: encryptionNone,
		Seed:       &seed,
	})
}

// encodeSealed returns the key file holding key's seed encrypted under
// passphrase, with scrypt parameters params and a salt and a nonce read
// from random, in that order (crypto/rand's when random is nil).
func encodeSealed(name string, key blockchain.PrivateKey, passphrase []byte, params ScryptParams, random io.Reader) ([]byte, error) {
	if random == nil {
		random = rand.Reader
	}
	fresh := make([]byte, saltSize+nonceSize)
	if _, err := io.ReadFull(random, fresh); err != nil {
		return nil, fmt.Errorf("read salt and nonce: %w", err)
	}
	salt, nonce := fresh[:saltSize], fresh[saltSize:]
	aead, err := newAEAD(passphrase, salt, params)
	if err != nil {
		return nil, err
	}
	sealed := aead.Seal(nil, nonce, key.Seed(), additionalData(name, key.Address()))
	nonceHex, sealedHex := hex.EncodeToString(nonce), hex.EncodeToString(sealed)
	return marshal(&fileJSON{
		Version:    Version,
		Name:       name,
		Address:    key.Address().String(),
		Encryption: encryptionScrypt,
		Scrypt:     &scryptJSON{N: params.N, R: params.R, P: params.P, Salt: hex.EncodeToString(salt)},
		Nonce:      &nonceHex,
		Ciphertext: &sealedHex,
	}), nil
}

// newAEAD derives the file key from passphrase and salt with scrypt and
// returns AES-256-GCM under it.
func newAEAD(passphrase, salt []byte, params ScryptParams) (cipher.AEAD, error) {
	fileKey, err := scrypt.Key(passphrase, salt, params.N, params.R, params.P, keySize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScryptParams, err)
	}
	block, err := aes.NewCipher(fileKey)
	if err != nil {
		return nil, err // unreachable: the key is 32 bytes
	}
	return cipher.NewGCM(block)
}

// parse reads a key file and checks everything that can be checked
// without the passphrase, scrypt's parameters against maxWork among
// them. Every error wraps one of ErrTooLarge, ErrFormat, ErrVersion,
// ErrBadName or ErrScryptParams.
func parse(data []byte, maxWork int64) (*keyFile, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: have %d bytes or more, want at most %d", ErrTooLarge, len(data), MaxFileSize)
	}
	// The version first, so that a file of a later version is refused
	// as such, not for the members this version does not know.
	var head versionJSON
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if head.Version == nil {
		return nil, fmt.Errorf("%w: no version", ErrFormat)
	}
	if *head.Version != Version {
		return nil, fmt.Errorf("%w: have %d, want %d", ErrVersion, *head.Version, Version)
	}
	// Strictly: names match exactly, an unknown or repeated member is an
	// error (the package's default is to refuse repeated ones), and so
	// is invalid UTF-8.
	var doc fileJSON
	if err := json.Unmarshal(data, &doc, json.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if err := ValidateName(doc.Name); err != nil {
		return nil, fmt.Errorf("%w: name: %w", ErrFormat, err)
	}
	addr, err := blockchain.ParseAddress(doc.Address)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	kf := &keyFile{name: doc.Name, address: addr}
	switch doc.Encryption {
	case encryptionNone:
		if doc.Scrypt != nil || doc.Nonce != nil || doc.Ciphertext != nil || doc.Seed == nil {
			return nil, fmt.Errorf("%w: encryption %q: want a seed, and no scrypt, nonce or ciphertext", ErrFormat, doc.Encryption)
		}
		if kf.seed, err = lowerHex("seed", *doc.Seed, blockchain.SeedSize); err != nil {
			return nil, err
		}
	case encryptionScrypt:
		if doc.Scrypt == nil || doc.Nonce == nil || doc.Ciphertext == nil || doc.Seed != nil {
			return nil, fmt.Errorf("%w: encryption %q: want scrypt, nonce and ciphertext, and no seed", ErrFormat, doc.Encryption)
		}
		kf.encrypted = true
		kf.scrypt = ScryptParams{N: doc.Scrypt.N, R: doc.Scrypt.R, P: doc.Scrypt.P}
		if err := kf.scrypt.check(maxWork); err != nil {
			return nil, err
		}
		if kf.salt, err = lowerHex("scrypt salt", doc.Scrypt.Salt, saltSize); err != nil {
			return nil, err
		}
		if kf.nonce, err = lowerHex("nonce", *doc.Nonce, nonceSize); err != nil {
			return nil, err
		}
		if kf.ciphertext, err = lowerHex("ciphertext", *doc.Ciphertext, sealSize); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: encryption: have %q, want %q or %q", ErrFormat, shorten(doc.Encryption), encryptionScrypt, encryptionNone)
	}
	return kf, nil
}

// unlock returns the key of kf, decrypting it with passphrase if it is
// encrypted. Its errors wrap ErrPassphraseRequired, ErrNotEncrypted,
// ErrWrongPassphrase or ErrAddressMismatch.
func (kf *keyFile) unlock(passphrase []byte) (blockchain.PrivateKey, error) {
	seed := kf.seed
	if kf.encrypted {
		if len(passphrase) == 0 {
			return blockchain.PrivateKey{}, ErrPassphraseRequired
		}
		aead, err := newAEAD(passphrase, kf.salt, kf.scrypt)
		if err != nil {
			return blockchain.PrivateKey{}, err
		}
		// AES-GCM's Open fails in one way only: the tag does not match.
		seed, err = aead.Open(nil, kf.nonce, kf.ciphertext, additionalData(kf.name, kf.address))
		if err != nil {
			return blockchain.PrivateKey{}, ErrWrongPassphrase
		}
	} else if len(passphrase) != 0 {
		return blockchain.PrivateKey{}, ErrNotEncrypted
	}
	key, err := blockchain.NewPrivateKey(seed)
	if err != nil {
		return blockchain.PrivateKey{}, err // unreachable: parse and Open checked the length
	}
	if have := key.Address(); have != kf.address {
		return blockchain.PrivateKey{}, fmt.Errorf("%w: have %s, want %s", ErrAddressMismatch, kf.address, have)
	}
	return key, nil
}

// lowerHex decodes a member that must be exactly size bytes written as
// lower-case hex digits.
func lowerHex(member, s string, size int) ([]byte, error) {
	if len(s) != 2*size {
		return nil, fmt.Errorf("%w: %s: have %d hex digits, want %d", ErrFormat, member, len(s), 2*size)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, fmt.Errorf("%w: %s: offset %d is not a lower-case hex digit", ErrFormat, member, i)
		}
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.Join(ErrFormat, err) // unreachable: checked above
	}
	return b, nil
}

// shorten cuts a hostile string to a length fit for an error message.
func shorten(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
