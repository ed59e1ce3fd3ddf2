package keystore_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// testScrypt makes tests fast: 128 KiB and well under a millisecond.
// Never use it for a real key.
var testScrypt = keystore.ScryptParams{N: 1 << 10, R: 1, P: 1}

// passphrase is the test passphrase, the golden files' too.
var passphrase = []byte("correct horse battery staple")

// MustNew returns a Keystore in a new temporary directory, encrypting
// with testScrypt.
func MustNew(tb testing.TB) *keystore.Keystore {
	tb.Helper()
	ks, err := keystore.New(keystore.Config{Dir: filepath.Join(tb.TempDir(), "keys"), Scrypt: testScrypt})
	require.NoError(tb, err)
	return ks
}

// random returns a deterministic random source, a different one for
// every seed.
func random(seed byte) io.Reader { return rand.NewChaCha8([32]byte{seed}) }

// MustKey returns the key made from 32 bytes of random(seed).
func MustKey(tb testing.TB, seed byte) blockchain.PrivateKey {
	tb.Helper()
	key, err := blockchain.GenerateKey(random(seed))
	require.NoError(tb, err)
	return key
}

// skipModes skips a test of permission bits where they mean nothing.
func skipModes(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits: the keystore checks none there")
	}
}

// files returns the names in dir, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestValidateName(t *testing.T) {
	for _, name := range []string{"alice", "a", "7", "bob-2", "carol_x", "0day", "a-", strings.Repeat("z", keystore.MaxNameLen), "console", "com10"} {
		t.Run("good "+name, func(t *testing.T) {
			assert.NoError(t, keystore.ValidateName(name))
		})
	}
	for _, tc := range []struct {
		name, why string
	}{
		{"", "is empty"},
		{strings.Repeat("z", keystore.MaxNameLen+1), "too long: have 33 bytes, want at most 32"},
		{strings.Repeat("z", 100), "too long: have 100 bytes"},
		{"al/ice", "path separator"},
		{"/etc/passwd", "path separator"},
		{`al\ice`, "path separator"},
		{"..", "starts with a dot"},
		{".alice", "starts with a dot"},
		{"alice.key", "offset 5 is not one of"},
		{"Alice", "offset 0 is not one of"},
		{"al ice", "offset 2"},
		{"alice\x00", "offset 5"},
		{"élise", "offset 0"},
		{"-alice", `starts with '-'`},
		{"_alice", `starts with '_'`},
		{"con", "reserved"},
		{"nul", "reserved"},
		{"lpt9", "reserved"},
	} {
		t.Run("bad "+tc.name, func(t *testing.T) {
			err := keystore.ValidateName(tc.name)
			require.ErrorIs(t, err, keystore.ErrBadName)
			var ne *keystore.NameError
			require.ErrorAs(t, err, &ne)
			assert.Contains(t, ne.Reason, tc.why)
			assert.LessOrEqual(t, len(ne.Name), 64+len("…"), "the name is shortened")
		})
	}
}

func TestRoundTrip(t *testing.T) {
	imported := MustKey(t, 42)
	for _, tc := range []struct {
		name      string
		store     func(*keystore.Keystore) (blockchain.Address, error)
		load      []byte // the passphrase to load with
		encrypted bool
		want      blockchain.PrivateKey // or the zero key for a new one
	}{
		{
			name: "Create",
			store: func(ks *keystore.Keystore) (blockchain.Address, error) {
				return ks.Create("alice", passphrase, random(1))
			},
			load:      passphrase,
			encrypted: true,
		},
		{
			name: "CreateUnencrypted",
			store: func(ks *keystore.Keystore) (blockchain.Address, error) {
				return ks.CreateUnencrypted("alice", random(1))
			},
		},
		{
			name: "Import",
			store: func(ks *keystore.Keystore) (blockchain.Address, error) {
				return imported.Address(), ks.Import("alice", imported, passphrase, random(1))
			},
			load:      passphrase,
			encrypted: true,
			want:      imported,
		},
		{
			name: "ImportUnencrypted",
			store: func(ks *keystore.Keystore) (blockchain.Address, error) {
				return imported.Address(), ks.ImportUnencrypted("alice", imported)
			},
			want: imported,
		},
		{
			name: "a one-byte passphrase",
			store: func(ks *keystore.Keystore) (blockchain.Address, error) {
				return ks.Create("alice", []byte{0}, random(1))
			},
			load:      []byte{0},
			encrypted: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := MustNew(t)
			addr, err := tc.store(ks)
			require.NoError(t, err)
			require.False(t, addr.IsZero())

			key, err := ks.Load("alice", tc.load)
			require.NoError(t, err)
			assert.Equal(t, addr, key.Address())
			if tc.want.Public() != (blockchain.PublicKey{}) {
				assert.Equal(t, tc.want.Seed(), key.Seed())
			}
			msg := []byte("pay bob 5")
			sig := key.Sign(msg)
			assert.True(t, key.Public().Verify(msg, sig[:]), "the loaded key signs")

			want := keystore.Entry{Name: "alice", Address: addr, Encrypted: tc.encrypted}
			entry, err := ks.Lookup("alice")
			require.NoError(t, err)
			assert.Equal(t, want, entry)
			entries, err := ks.List()
			require.NoError(t, err)
			assert.Equal(t, []keystore.Entry{want}, entries)
			entry, err = ks.Find(addr)
			require.NoError(t, err)
			assert.Equal(t, want, entry)

			data, err := os.ReadFile(ks.Path("alice"))
			require.NoError(t, err)
			seedHex := []byte(hex.EncodeToString(key.Seed()))
			assert.Equal(t, !tc.encrypted, bytes.Contains(data, seedHex), "the seed is in the file in clear only when unencrypted:\n%s", data)
			assert.Equal(t, []string{"alice.key"}, files(t, ks.Dir()), "no temporary file is left")
		})
	}
}

func TestCreateIsRandom(t *testing.T) {
	ks := MustNew(t)
	a, err := ks.Create("alice", passphrase, nil)
	require.NoError(t, err)
	b, err := ks.Create("bob", passphrase, nil)
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "crypto/rand makes the keys when random is nil")

	// The same random source makes the same key, but never the same
	// salt and nonce as another file would need to.
	c, err := ks.Create("carol", passphrase, random(7))
	require.NoError(t, err)
	d, err := ks.Create("dave", passphrase, random(7))
	require.NoError(t, err)
	assert.Equal(t, c, d)
}

func TestList(t *testing.T) {
	ks := MustNew(t)
	entries, err := ks.List()
	require.NoError(t, err)
	assert.Empty(t, entries, "an empty keystore")

	want := map[string]keystore.Entry{}
	// Sorted by name, not by file name: "a-b.key" sorts before "a.key".
	for i, name := range []string{"b", "ab", "a_b", "a", "a-b"} {
		var addr blockchain.Address
		var err error
		encrypted := i%2 == 0
		if encrypted {
			addr, err = ks.Create(name, passphrase, random(byte(i)))
		} else {
			addr, err = ks.CreateUnencrypted(name, random(byte(i)))
		}
		require.NoError(t, err)
		want[name] = keystore.Entry{Name: name, Address: addr, Encrypted: encrypted}
	}
	// What List ignores: hidden files (a crash's temporary file among
	// them) and files that are not .key files.
	for _, f := range []string{".hidden.key", ".a.key.tmp-123", "README", "a.key.bak"} {
		require.NoError(t, os.WriteFile(filepath.Join(ks.Dir(), f), []byte("not a key"), 0o600))
	}
	require.NoError(t, os.Mkdir(filepath.Join(ks.Dir(), "sub"), 0o700))

	entries, err = ks.List()
	require.NoError(t, err)
	assert.Equal(t, []keystore.Entry{want["a"], want["a-b"], want["a_b"], want["ab"], want["b"]}, entries)
}

func TestListReportsRefusedFiles(t *testing.T) {
	skipModes(t)
	ks := MustNew(t)
	addr, err := ks.Create("alice", passphrase, random(1))
	require.NoError(t, err)
	bobAddr, err := ks.CreateUnencrypted("bob", random(2))
	require.NoError(t, err)
	require.NoError(t, os.Chmod(ks.Path("bob"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(ks.Dir(), "Carol.key"), []byte("{}"), 0o600))
	require.NoError(t, os.WriteFile(ks.Path("dave"), []byte("{}"), 0o600))

	entries, err := ks.List()
	assert.Equal(t, []keystore.Entry{{Name: "alice", Address: addr, Encrypted: true}}, entries, "the good keys are still listed")
	require.Error(t, err)
	assert.ErrorIs(t, err, keystore.ErrInsecureMode)
	assert.ErrorIs(t, err, keystore.ErrBadName)
	assert.ErrorIs(t, err, keystore.ErrFormat)
	var fe *keystore.FileError
	require.ErrorAs(t, err, &fe)
	for _, f := range []string{"bob.key", "Carol.key", "dave.key"} {
		assert.Contains(t, err.Error(), filepath.Join(ks.Dir(), f))
	}

	// Find still finds a key in a keystore with bad files, and when it
	// finds none it says which files it could not read.
	e, err := ks.Find(addr)
	require.NoError(t, err)
	assert.Equal(t, "alice", e.Name)
	_, err = ks.Find(bobAddr)
	assert.ErrorIs(t, err, keystore.ErrNotFound)
	assert.ErrorIs(t, err, keystore.ErrInsecureMode, "bob's file is why")
}

func TestFindNone(t *testing.T) {
	ks := MustNew(t)
	_, err := ks.Create("alice", passphrase, random(1))
	require.NoError(t, err)
	_, err = ks.Find(MustKey(t, 9).Address())
	require.ErrorIs(t, err, keystore.ErrNotFound)
	assert.Contains(t, err.Error(), MustKey(t, 9).Address().String())
}

func TestNeverOverwrites(t *testing.T) {
	ks := MustNew(t)
	addr, err := ks.Create("alice", passphrase, random(1))
	require.NoError(t, err)
	before, err := os.ReadFile(ks.Path("alice"))
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		store func() error
	}{
		{"Create", func() error { _, err := ks.Create("alice", []byte("other"), random(2)); return err }},
		{"CreateUnencrypted", func() error { _, err := ks.CreateUnencrypted("alice", random(2)); return err }},
		{"Import", func() error { return ks.Import("alice", MustKey(t, 2), []byte("other"), random(2)) }},
		{"ImportUnencrypted", func() error { return ks.ImportUnencrypted("alice", MustKey(t, 2)) }},
		// The last step alone: the link that refuses to replace, for
		// when another process made the file after the first check.
		{"the link", func() error { return ks.WriteFile("alice", []byte("{}")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.store()
			require.ErrorIs(t, err, keystore.ErrExists)
			var fe *keystore.FileError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, ks.Path("alice"), fe.Path)

			after, err := os.ReadFile(ks.Path("alice"))
			require.NoError(t, err)
			assert.Equal(t, before, after)
			assert.Equal(t, []string{"alice.key"}, files(t, ks.Dir()), "no temporary file is left")
		})
	}
	key, err := ks.Load("alice", passphrase)
	require.NoError(t, err)
	assert.Equal(t, addr, key.Address())
}

// Two processes creating one name at the same moment: exactly one wins,
// whichever it is, and the key stored is the winner's. The link that
// never replaces is the file system's guarantee, so goroutines show it
// as well as processes would.
func TestConcurrentCreateOneWins(t *testing.T) {
	ks := MustNew(t)
	const n = 16
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		addrs [n]blockchain.Address
		errs  [n]error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			if i%2 == 0 {
				addrs[i], errs[i] = ks.Create("alice", passphrase, random(byte(i)))
			} else {
				addrs[i], errs[i] = ks.CreateUnencrypted("alice", random(byte(i)))
			}
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "creates %d and %d both succeeded", winner, i)
			winner = i
			continue
		}
		require.ErrorIs(t, err, keystore.ErrExists, "create %d", i)
	}
	require.NotEqual(t, -1, winner, "no create succeeded")

	load := passphrase
	if winner%2 == 1 {
		load = nil
	}
	key, err := ks.Load("alice", load)
	require.NoError(t, err)
	assert.Equal(t, addrs[winner], key.Address())
	assert.Equal(t, []string{"alice.key"}, files(t, ks.Dir()), "no temporary file is left")
}

func TestStoreRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(*keystore.Keystore) error
		want  error
	}{
		{"Create with a nil passphrase", func(ks *keystore.Keystore) error {
			_, err := ks.Create("alice", nil, random(1))
			return err
		}, keystore.ErrEmptyPassphrase},
		{"Create with an empty passphrase", func(ks *keystore.Keystore) error {
			_, err := ks.Create("alice", []byte{}, random(1))
			return err
		}, keystore.ErrEmptyPassphrase},
		{"Import with an empty passphrase", func(ks *keystore.Keystore) error {
			return ks.Import("alice", MustKey(t, 1), nil, random(1))
		}, keystore.ErrEmptyPassphrase},
		{"Create with a bad name", func(ks *keystore.Keystore) error {
			_, err := ks.Create("../alice", passphrase, random(1))
			return err
		}, keystore.ErrBadName},
		{"CreateUnencrypted with a bad name", func(ks *keystore.Keystore) error {
			_, err := ks.CreateUnencrypted("", random(1))
			return err
		}, keystore.ErrBadName},
		{"Import of the zero key", func(ks *keystore.Keystore) error {
			return ks.Import("alice", blockchain.PrivateKey{}, passphrase, random(1))
		}, blockchain.ErrBadKey},
		{"ImportUnencrypted of the zero key", func(ks *keystore.Keystore) error {
			return ks.ImportUnencrypted("alice", blockchain.PrivateKey{})
		}, blockchain.ErrBadKey},
		{"Create with a failing random source", func(ks *keystore.Keystore) error {
			_, err := ks.Create("alice", passphrase, iotest.ErrReader(errBroken))
			return err
		}, errBroken},
		{"Create with random bytes for the seed only", func(ks *keystore.Keystore) error {
			_, err := ks.Create("alice", passphrase, bytes.NewReader(make([]byte, blockchain.SeedSize)))
			return err
		}, io.EOF},
		{"Import with random bytes for the salt only", func(ks *keystore.Keystore) error {
			return ks.Import("alice", MustKey(t, 1), passphrase, bytes.NewReader(make([]byte, 32)))
		}, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := MustNew(t)
			err := tc.store(ks)
			require.ErrorIs(t, err, tc.want)
			assert.Empty(t, files(t, ks.Dir()), "nothing is written")
		})
	}
}

// errBroken is the error of a broken random source.
var errBroken = errors.New("entropy source broken")

func TestNew(t *testing.T) {
	t.Run("makes the directory and its parents, mode 0700", func(t *testing.T) {
		skipModes(t)
		dir := filepath.Join(t.TempDir(), "a", "b", "keys")
		ks, err := keystore.Open(dir)
		require.NoError(t, err)
		assert.Equal(t, dir, ks.Dir())
		info, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm())
	})
	t.Run("key files are mode 0600", func(t *testing.T) {
		skipModes(t)
		ks := MustNew(t)
		_, err := ks.Create("alice", passphrase, random(1))
		require.NoError(t, err)
		_, err = ks.CreateUnencrypted("bob", random(2))
		require.NoError(t, err)
		for _, name := range []string{"alice", "bob"} {
			info, err := os.Stat(ks.Path(name))
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), name)
		}
	})
	t.Run("opens an existing directory others can read", func(t *testing.T) {
		skipModes(t)
		dir := t.TempDir()
		require.NoError(t, os.Chmod(dir, 0o755))
		_, err := keystore.Open(dir)
		require.NoError(t, err)
	})

	for _, tc := range []struct {
		name  string
		cfg   func(t *testing.T) keystore.Config
		want  error
		text  string
		modes bool // a test of permission bits
	}{
		{"no dir", func(t *testing.T) keystore.Config { return keystore.Config{} }, nil, "config has no dir", false},
		{"scrypt's n not a power of two", func(t *testing.T) keystore.Config {
			return keystore.Config{Dir: t.TempDir(), Scrypt: keystore.ScryptParams{N: 1000, R: 8, P: 1}}
		}, keystore.ErrScryptParams, "n: have 1000", false},
		{"scrypt's work too high", func(t *testing.T) keystore.Config {
			return keystore.Config{Dir: t.TempDir(), Scrypt: keystore.ScryptParams{N: 1 << 17, R: 8, P: 16}}
		}, keystore.ErrScryptParams, "work", false},
		{"a file, not a directory", func(t *testing.T) keystore.Config {
			f := filepath.Join(t.TempDir(), "f")
			require.NoError(t, os.WriteFile(f, nil, 0o600))
			return keystore.Config{Dir: f}
		}, keystore.ErrFileType, "have a regular file, want a directory", false},
		{"a directory in a file", func(t *testing.T) keystore.Config {
			f := filepath.Join(t.TempDir(), "f")
			require.NoError(t, os.WriteFile(f, nil, 0o600))
			return keystore.Config{Dir: filepath.Join(f, "keys")}
		}, nil, "new keystore", false},
		{"group may write", func(t *testing.T) keystore.Config {
			dir := t.TempDir()
			require.NoError(t, os.Chmod(dir, 0o770))
			return keystore.Config{Dir: dir}
		}, keystore.ErrInsecureMode, "have mode 0770", true},
		{"others may write", func(t *testing.T) keystore.Config {
			dir := t.TempDir()
			require.NoError(t, os.Chmod(dir, 0o1777))
			return keystore.Config{Dir: dir}
		}, keystore.ErrInsecureMode, "have mode 0777", true},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			if tc.modes {
				skipModes(t)
			}
			ks, err := keystore.New(tc.cfg(t))
			require.Error(t, err)
			assert.Nil(t, ks)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
			assert.Contains(t, err.Error(), tc.text)
		})
	}
}

func TestScryptParamsCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    keystore.ScryptParams
		bad  string // what the error says, or "" for none
	}{
		{"the default", keystore.DefaultScrypt(), ""},
		{"the smallest", keystore.ScryptParams{N: 2, R: 1, P: 1}, ""},
		{"the largest n", keystore.ScryptParams{N: keystore.MaxScryptN, R: 2, P: 2}, ""},
		{"the largest r", keystore.ScryptParams{N: 1 << 16, R: keystore.MaxScryptR, P: 2}, ""},
		{"the largest p", keystore.ScryptParams{N: 1 << 15, R: 8, P: keystore.MaxScryptP}, ""},
		{"the most memory", keystore.ScryptParams{N: 1 << 18, R: 8, P: 1}, ""},
		{"the most work", keystore.ScryptParams{N: 1 << 17, R: 8, P: 4}, ""},
		{"the zero value", keystore.ScryptParams{}, "n: have 0"},
		{"n = 1", keystore.ScryptParams{N: 1, R: 8, P: 1}, "n: have 1"},
		{"n not a power of two", keystore.ScryptParams{N: 3 << 10, R: 8, P: 1}, "n: have 3072"},
		{"n negative", keystore.ScryptParams{N: -1 << 10, R: 8, P: 1}, "n: have -1024"},
		{"n too large", keystore.ScryptParams{N: 2 * keystore.MaxScryptN, R: 1, P: 1}, "n: have 2097152"},
		{"r = 0", keystore.ScryptParams{N: 1 << 10, R: 0, P: 1}, "r: have 0"},
		{"r too large", keystore.ScryptParams{N: 1 << 10, R: keystore.MaxScryptR + 1, P: 1}, "r: have 33"},
		{"p = 0", keystore.ScryptParams{N: 1 << 10, R: 8, P: 0}, "p: have 0"},
		{"p too large", keystore.ScryptParams{N: 1 << 10, R: 8, P: 1 << 30}, "p: have 1073741824"},
		{"too much memory", keystore.ScryptParams{N: 1 << 19, R: 8, P: 1}, "memory 128·n·r: have 536870912 bytes, want at most 268435456"},
		{"too much work", keystore.ScryptParams{N: 1 << 17, R: 8, P: 5}, "work n·r·p: have 5242880, want at most 4194304"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Check()
			if tc.bad == "" {
				require.NoError(t, err)
				assert.LessOrEqual(t, tc.p.Memory(), int64(keystore.MaxScryptMemory))
				return
			}
			require.ErrorIs(t, err, keystore.ErrScryptParams)
			assert.Contains(t, err.Error(), tc.bad)
		})
	}
	assert.Equal(t, int64(64<<20), keystore.DefaultScrypt().Memory())
}

// Every error this package exports is distinct, lower case, and speaks
// for itself.
func TestSentinels(t *testing.T) {
	sentinels := allSentinels()
	for i, err := range sentinels {
		msg := err.Error()
		require.NotEmpty(t, msg)
		assert.Equal(t, strings.ToLower(msg[:1]), msg[:1], "%q starts in lower case", msg)
		for _, other := range sentinels[:i] {
			assert.NotErrorIs(t, err, other, "%q is not %q", msg, other)
			assert.NotEqual(t, msg, other.Error())
		}
	}
}

// allSentinels lists the sentinel errors of the package.
func allSentinels() []error {
	return []error{
		keystore.ErrBadName, keystore.ErrExists, keystore.ErrNotFound,
		keystore.ErrEmptyPassphrase, keystore.ErrPassphraseRequired, keystore.ErrNotEncrypted,
		keystore.ErrWrongPassphrase, keystore.ErrFileType, keystore.ErrInsecureMode,
		keystore.ErrTooLarge, keystore.ErrFormat, keystore.ErrVersion,
		keystore.ErrScryptParams, keystore.ErrNameMismatch, keystore.ErrAddressMismatch,
	}
}

// The sentinel errors a test of refusals must cover, and the check
// that it did.
func requireCovered(t *testing.T, seen []error, want ...error) {
	t.Helper()
	for _, w := range want {
		assert.True(t, slices.Contains(seen, w), "no case is refused with %q", w)
	}
}
