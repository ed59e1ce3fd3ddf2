package keystore_test

import (
	"bytes"
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/scrypt"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/internal/keystore"
)

var update = flag.Bool("update", false, "write testdata/alice.key and testdata/bob.key again")

// The golden files: how they are made, and what testdata/check_golden.py
// printed when it checked them with Python's own scrypt, AES-GCM, ed25519,
// SHA-256 and CRC-32.
var (
	// goldenScrypt is the cost of testdata/alice.key: cheap, for tests.
	goldenScrypt = keystore.ScryptParams{N: 1024, R: 8, P: 1}

	// alice.key is made by Create with a random source that counts from
	// 0x00: the seed 00…1f, then the salt 20…3f, then the nonce 40…4b.
	aliceRandom  = counting(0x00, 32+32+12)
	aliceFileKey = "ddf56668c01bd3ec709ed30e0a16015d382cbec07e382de0b450616e4a1ebbda"
	aliceSeed    = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	alicePublic  = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
	aliceAddress = "eccce84c33fc257c057135c5a4c7218b85ea1b54797fef5bad"

	// bob.key is made by CreateUnencrypted with a source counting from
	// 0x80: the seed 80…9f.
	bobRandom  = counting(0x80, 32)
	bobSeed    = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	bobPublic  = "cd14b37f956e953194ff7fb73b3d81dcc561d61a7538094b7c3e1a643ee5f3aa"
	bobAddress = "ecb97a684551728d2440541a8a45046977ccb5f9965c7a1dbe"
)

// counting returns n bytes counting up from first.
func counting(first byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

// golden returns the content of the golden file of name.
func golden(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".key"))
	require.NoError(t, err)
	return string(b)
}

// put writes a key file into ks, mode 0600.
func put(t testing.TB, ks *keystore.Keystore, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(ks.Path(name), []byte(content), 0o600))
}

// replace replaces old, which must occur exactly once in s, by new.
func replace(t testing.TB, s, old, new string) string {
	t.Helper()
	require.Equal(t, 1, strings.Count(s, old), "%q in\n%s", old, s)
	return strings.Replace(s, old, new, 1)
}

func TestGolden(t *testing.T) {
	ks, err := keystore.New(keystore.Config{Dir: t.TempDir(), Scrypt: goldenScrypt})
	require.NoError(t, err)
	addr, err := ks.Create("alice", passphrase, bytes.NewReader(aliceRandom))
	require.NoError(t, err)
	assert.Equal(t, aliceAddress, addr.String())
	addr, err = ks.CreateUnencrypted("bob", bytes.NewReader(bobRandom))
	require.NoError(t, err)
	assert.Equal(t, bobAddress, addr.String())

	for _, name := range []string{"alice", "bob"} {
		have, err := os.ReadFile(ks.Path(name))
		require.NoError(t, err)
		if *update {
			require.NoError(t, os.WriteFile(filepath.Join("testdata", name+".key"), have, 0o644))
		}
		assert.Equal(t, golden(t, name), string(have), "testdata/%s.key, byte for byte", name)
	}

	for _, tc := range []struct {
		name, seed, public, address string
		passphrase                  []byte
	}{
		{"alice", aliceSeed, alicePublic, aliceAddress, passphrase},
		{"bob", bobSeed, bobPublic, bobAddress, nil},
	} {
		key, err := ks.Load(tc.name, tc.passphrase)
		require.NoError(t, err)
		assert.Equal(t, tc.seed, hex.EncodeToString(key.Seed()), tc.name)
		assert.Equal(t, tc.public, key.Public().String(), tc.name)
		assert.Equal(t, tc.address, key.Address().String(), tc.name)
	}

	// The steps of the format, done again here from the package
	// documentation rather than through the package.
	salt, nonce := aliceRandom[32:64], aliceRandom[64:]
	fileKey, err := scrypt.Key(passphrase, salt, goldenScrypt.N, goldenScrypt.R, goldenScrypt.P, 32)
	require.NoError(t, err)
	assert.Equal(t, aliceFileKey, hex.EncodeToString(fileKey))
	block, err := aes.NewCipher(fileKey)
	require.NoError(t, err)
	gcm, err := cipher.NewGCM(block)
	require.NoError(t, err)
	sealed := gcm.Seal(nil, nonce, aliceRandom[:32], []byte("eventchain/keystore/v1\x00alice\x00"+aliceAddress))
	assert.Contains(t, golden(t, "alice"), `"ciphertext": "`+hex.EncodeToString(sealed)+`"`)
}

// TestGoldenPython runs testdata/check_golden.py, which checks the
// golden files with Python's libraries, and compares what it prints
// with the literals above.
func TestGoldenPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the golden files are checked in Go only")
	}
	if err := exec.Command(python, "-c", "import cryptography").Run(); err != nil {
		t.Skip("python3 has no cryptography package: the golden files are checked in Go only")
	}
	cmd := exec.Command(python, "check_golden.py", "alice.key", "bob.key")
	cmd.Dir = "testdata"
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, strings.Join([]string{
		"alice.key: file key " + aliceFileKey,
		"alice.key: seed " + aliceSeed,
		"alice.key: public key " + alicePublic,
		"alice.key: address " + aliceAddress,
		"bob.key: seed " + bobSeed,
		"bob.key: public key " + bobPublic,
		"bob.key: address " + bobAddress,
		"ok",
		"",
	}, "\n"), string(out))
}

// A refusal of Load: the keystore holds alice.key and bob.key, the
// golden files, changed by setup.
type refusal struct {
	name       string
	setup      func(t *testing.T, ks *keystore.Keystore, alice, bob string)
	load       string // the key to load: alice unless said
	passphrase []byte // passphrase unless said
	want       error
	text       string // in the error's text, if not ""
}

// mutate returns a setup that writes f(the golden file of name) as the
// key file of name.
func mutate(name string, f func(t *testing.T, golden string) string) func(*testing.T, *keystore.Keystore, string, string) {
	return func(t *testing.T, ks *keystore.Keystore, alice, bob string) {
		g := map[string]string{"alice": alice, "bob": bob}[name]
		put(t, ks, name, f(t, g))
	}
}

// change returns a setup that replaces old by new in the golden file of
// name.
func change(name, old, new string) func(*testing.T, *keystore.Keystore, string, string) {
	return mutate(name, func(t *testing.T, g string) string { return replace(t, g, old, new) })
}

// clear marks a refusal of a clear key: load bob without passphrase.
func clear(r refusal) refusal {
	r.load, r.passphrase = "bob", []byte{}
	return r
}

var refusals = []refusal{
	// The passphrase.
	{name: "a wrong passphrase", passphrase: []byte("correct horse battery stapler"), want: keystore.ErrWrongPassphrase, text: "wrong passphrase, or the file was altered"},
	{name: "no passphrase", passphrase: []byte{}, want: keystore.ErrPassphraseRequired},
	{name: "a passphrase for a clear key", load: "bob", want: keystore.ErrNotEncrypted},

	// What the encryption authenticates.
	{name: "the ciphertext altered", setup: change("alice", `"ciphertext": "2ee7`, `"ciphertext": "3ee7`), want: keystore.ErrWrongPassphrase},
	{name: "the tag altered", setup: change("alice", `b3ba"`, `b3bb"`), want: keystore.ErrWrongPassphrase},
	{name: "the nonce altered", setup: change("alice", `"nonce": "40`, `"nonce": "41`), want: keystore.ErrWrongPassphrase},
	{name: "the salt altered", setup: change("alice", `"salt": "20`, `"salt": "21`), want: keystore.ErrWrongPassphrase},
	{name: "scrypt's n altered", setup: change("alice", `"n": 1024`, `"n": 2048`), want: keystore.ErrWrongPassphrase},
	{name: "scrypt's r altered", setup: change("alice", `"r": 8`, `"r": 4`), want: keystore.ErrWrongPassphrase},
	{name: "scrypt's p altered", setup: change("alice", `"p": 1`, `"p": 2`), want: keystore.ErrWrongPassphrase},
	{name: "alice's key relabelled carol", setup: func(t *testing.T, ks *keystore.Keystore, alice, _ string) {
		put(t, ks, "carol", replace(t, alice, `"name": "alice"`, `"name": "carol"`))
	}, load: "carol", want: keystore.ErrWrongPassphrase},
	{name: "alice's key given bob's address", setup: change("alice", aliceAddress, bobAddress), want: keystore.ErrWrongPassphrase},

	// Names and addresses.
	{name: "no such key", load: "carol", want: keystore.ErrNotFound, text: "no such key"},
	{name: "a bad name", load: "../alice", want: keystore.ErrBadName},
	{name: "a file renamed", setup: func(t *testing.T, ks *keystore.Keystore, alice, _ string) {
		put(t, ks, "carol", alice)
	}, load: "carol", want: keystore.ErrNameMismatch, text: `have "alice", want "carol"`},
	clear(refusal{name: "a clear seed that is not the address's", setup: change("bob", bobAddress, aliceAddress), want: keystore.ErrAddressMismatch, text: "have " + aliceAddress + ", want " + bobAddress}),
	clear(refusal{name: "a clear seed altered", setup: change("bob", `9f"`, `9e"`), want: keystore.ErrAddressMismatch}),
	{name: "a bad name in the file", setup: change("alice", `"name": "alice"`, `"name": "Alice"`), want: keystore.ErrBadName, text: "offset 0"},
	{name: "an address with a bad checksum", setup: change("alice", aliceAddress, aliceAddress[:49]+"c"), want: new(blockchain.AddressError), text: "checksum"},
	{name: "an address in upper case", setup: change("alice", aliceAddress, strings.ToUpper(aliceAddress)), want: blockchain.ErrAddressPrefix},

	// Versions.
	{name: "version 2", setup: change("alice", `"version": 1`, `"version": 2`), want: keystore.ErrVersion, text: "have 2, want 1"},
	{name: "version 2 with members unknown to version 1", setup: change("alice", `"version": 1,`, `"version": 2, "argon2id": {},`), want: keystore.ErrVersion},
	{name: "version 0", setup: change("alice", `"version": 1`, `"version": 0`), want: keystore.ErrVersion},
	{name: "no version", setup: change("alice", "\"version\": 1,\n", ""), want: keystore.ErrFormat, text: "no version"},
	{name: "the version a string", setup: change("alice", `"version": 1`, `"version": "1"`), want: keystore.ErrFormat},
	{name: "the version a fraction", setup: change("alice", `"version": 1`, `"version": 1.5`), want: keystore.ErrFormat},

	// scrypt's parameters.
	{name: "n too large", setup: change("alice", `"n": 1024`, `"n": 2097152`), want: keystore.ErrScryptParams, text: "n: have 2097152"},
	{name: "n not a power of two", setup: change("alice", `"n": 1024`, `"n": 1000`), want: keystore.ErrScryptParams},
	{name: "n negative", setup: change("alice", `"n": 1024`, `"n": -1024`), want: keystore.ErrScryptParams},
	{name: "n beyond an int", setup: change("alice", `"n": 1024`, `"n": 100000000000000000000`), want: keystore.ErrFormat},
	{name: "r too large", setup: change("alice", `"r": 8`, `"r": 64`), want: keystore.ErrScryptParams},
	{name: "p too large", setup: change("alice", `"p": 1`, `"p": 17`), want: keystore.ErrScryptParams},
	{name: "1 GiB of memory", setup: change("alice", `"n": 1024`, `"n": 1048576`), want: keystore.ErrScryptParams, text: "memory"},
	{name: "hours of work", setup: mutate("alice", func(t *testing.T, g string) string {
		return replace(t, replace(t, g, `"n": 1024`, `"n": 131072`), `"p": 1`, `"p": 16`)
	}), want: keystore.ErrScryptParams, text: "work"},

	// The file.
	{name: "group may read", setup: chmod("alice", 0o640), want: keystore.ErrInsecureMode, text: "have mode 0640"},
	{name: "group may write", setup: chmod("alice", 0o620), want: keystore.ErrInsecureMode, text: "have mode 0620"},
	{name: "others may read", setup: chmod("alice", 0o604), want: keystore.ErrInsecureMode, text: "chmod 600"},
	{name: "a symbolic link", setup: func(t *testing.T, ks *keystore.Keystore, alice, _ string) {
		target := filepath.Join(t.TempDir(), "alice.key")
		require.NoError(t, os.WriteFile(target, []byte(alice), 0o600))
		require.NoError(t, os.Remove(ks.Path("alice")))
		require.NoError(t, os.Symlink(target, ks.Path("alice")))
	}, want: keystore.ErrFileType, text: "have a symbolic link, want a regular file"},
	{name: "a directory", setup: func(t *testing.T, ks *keystore.Keystore, _, _ string) {
		require.NoError(t, os.Mkdir(ks.Path("carol"), 0o700))
	}, load: "carol", want: keystore.ErrFileType, text: "have a directory"},
	{name: "too large", setup: mutate("alice", func(t *testing.T, g string) string {
		return g + strings.Repeat(" ", keystore.MaxFileSize)
	}), want: keystore.ErrTooLarge, text: "want at most 4096"},

	// The document.
	{name: "not JSON", setup: mutate("alice", func(_ *testing.T, g string) string { return "[" + g[1:] }), want: keystore.ErrFormat},
	{name: "empty", setup: mutate("alice", func(*testing.T, string) string { return "" }), want: keystore.ErrFormat},
	{name: "null", setup: mutate("alice", func(*testing.T, string) string { return "null" }), want: keystore.ErrFormat},
	{name: "an array", setup: mutate("alice", func(*testing.T, string) string { return "[1]" }), want: keystore.ErrFormat},
	{name: "more after the document", setup: mutate("alice", func(_ *testing.T, g string) string { return g + "{}" }), want: keystore.ErrFormat},
	{name: "an unknown member", setup: change("alice", `"version": 1,`, `"version": 1, "comment": "mine",`), want: keystore.ErrFormat, text: "comment"},
	{name: "an unknown member in scrypt", setup: change("alice", `"n": 1024,`, `"n": 1024, "dklen": 64,`), want: keystore.ErrFormat},
	{name: "a member written twice", setup: change("alice", `"name": "alice",`, `"name": "alice", "name": "alice",`), want: keystore.ErrFormat, text: "duplicate"},
	{name: "a member in other case", setup: change("alice", `"name"`, `"Name"`), want: keystore.ErrFormat},
	{name: "invalid UTF-8", setup: change("alice", `"encryption": "scrypt`, "\"encryption\": \"\xffscrypt"), want: keystore.ErrFormat},
	{name: "an unknown encryption", setup: change("alice", `"scrypt+aes-256-gcm"`, `"pbkdf2+aes-128-ctr"`), want: keystore.ErrFormat, text: `have "pbkdf2+aes-128-ctr"`},
	{name: "a long unknown encryption", setup: change("alice", `"scrypt+aes-256-gcm"`, `"`+strings.Repeat("x", 1000)+`"`), want: keystore.ErrFormat, text: `have "` + strings.Repeat("x", 32) + `…", want`},
	{name: "no ciphertext", setup: mutate("alice", func(t *testing.T, g string) string {
		g = replace(t, g, `"nonce": "404142434445464748494a4b",`, `"nonce": "404142434445464748494a4b"`)
		return g[:strings.Index(g, "\n  \"ciphertext\"")] + "\n}\n"
	}), want: keystore.ErrFormat, text: "want scrypt, nonce and ciphertext"},
	{name: "scrypt null", setup: mutate("alice", func(t *testing.T, g string) string {
		i, j := strings.Index(g, `"scrypt": {`), strings.Index(g, "},\n")
		require.True(t, 0 < i && i < j)
		return g[:i] + `"scrypt": null,` + g[j+2:]
	}), want: keystore.ErrFormat, text: "want scrypt, nonce and ciphertext"},
	{name: "no salt", setup: change("alice", ",\n    \"salt\": \"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\"", ""), want: keystore.ErrFormat, text: "scrypt salt: have 0 hex digits"},
	{name: "a seed beside the ciphertext", setup: change("alice", `"nonce"`, `"seed": "`+aliceSeed+`", "nonce"`), want: keystore.ErrFormat, text: "no seed"},
	{name: "a short salt", setup: change("alice", `"salt": "2021`, `"salt": "`), want: keystore.ErrFormat, text: "scrypt salt: have 60 hex digits, want 64"},
	{name: "a long nonce", setup: change("alice", `"nonce": "40`, `"nonce": "4040`), want: keystore.ErrFormat, text: "nonce: have 26 hex digits, want 24"},
	{name: "a short ciphertext", setup: change("alice", `b3ba"`, `"`), want: keystore.ErrFormat, text: "ciphertext: have 92 hex digits, want 96"},
	{name: "hex in upper case", setup: change("alice", `"nonce": "404142434445464748494a4b"`, `"nonce": "404142434445464748494A4B"`), want: keystore.ErrFormat, text: "nonce: offset 21 is not a lower-case hex digit"},
	{name: "a number for a hex string", setup: change("alice", `"nonce": "404142434445464748494a4b"`, `"nonce": 404142434445464748494`), want: keystore.ErrFormat},
	clear(refusal{name: "scrypt in a clear file", setup: change("bob", `"seed"`, `"scrypt": {"n": 2, "r": 1, "p": 1, "salt": ""}, "seed"`), want: keystore.ErrFormat, text: "want a seed, and no scrypt"}),
	clear(refusal{name: "no seed in a clear file", setup: change("bob", `"seed"`, `"nonce"`), want: keystore.ErrFormat}),
	clear(refusal{name: "a short seed", setup: change("bob", `9f"`, `"`), want: keystore.ErrFormat, text: "seed: have 62 hex digits, want 64"}),
}

// chmod returns a setup that sets the mode of the key file of name.
func chmod(name string, mode os.FileMode) func(*testing.T, *keystore.Keystore, string, string) {
	return func(t *testing.T, ks *keystore.Keystore, _, _ string) {
		skipModes(t)
		require.NoError(t, os.Chmod(ks.Path(name), mode))
	}
}

func TestLoadRefuses(t *testing.T) {
	alice, bob := golden(t, "alice"), golden(t, "bob")
	var seen []error
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			ks := MustNew(t)
			put(t, ks, "alice", alice)
			put(t, ks, "bob", bob)
			if tc.setup != nil {
				tc.setup(t, ks, alice, bob)
			}
			load := cmp.Or(tc.load, "alice")
			pass := passphrase
			if tc.passphrase != nil {
				pass = tc.passphrase
			}
			key, err := ks.Load(load, pass)
			require.Error(t, err)
			t.Log(err)
			if target, ok := tc.want.(*blockchain.AddressError); ok {
				require.ErrorAs(t, err, &target)
				require.ErrorIs(t, err, keystore.ErrFormat)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
			assert.Zero(t, key, "no key beside an error")
			assert.Contains(t, err.Error(), tc.text)
			seen = append(seen, tc.want)

			// Every refusal of a file says which file.
			aboutFile := !slices.Contains([]error{keystore.ErrBadName, keystore.ErrPassphraseRequired, keystore.ErrNotEncrypted}, tc.want) ||
				load == "alice" && tc.want == keystore.ErrBadName
			var fe *keystore.FileError
			if assert.Equal(t, aboutFile, errors.As(err, &fe), "a *FileError: %v", err) && aboutFile {
				assert.Equal(t, ks.Path(load), fe.Path)
				assert.Contains(t, err.Error(), ks.Path(load))
			}

			// Lookup refuses what Load refuses before it needs the
			// passphrase, and describes the others. (A clear seed that
			// is not the file's address needs none: Lookup refuses it.)
			_, lookupErr := ks.Lookup(load)
			switch tc.want {
			case keystore.ErrPassphraseRequired, keystore.ErrNotEncrypted, keystore.ErrWrongPassphrase:
				assert.NoError(t, lookupErr)
			default:
				assert.Equal(t, err.Error(), lookupErr.Error())
			}
		})
	}
	requireCovered(t, seen,
		keystore.ErrBadName, keystore.ErrNotFound, keystore.ErrPassphraseRequired, keystore.ErrNotEncrypted,
		keystore.ErrWrongPassphrase, keystore.ErrFileType, keystore.ErrInsecureMode, keystore.ErrTooLarge,
		keystore.ErrFormat, keystore.ErrVersion, keystore.ErrScryptParams, keystore.ErrNameMismatch,
		keystore.ErrAddressMismatch)
}
