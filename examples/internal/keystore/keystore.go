package keystore

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/blockchain"
)

// fileSuffix ends the name of every key file.
const fileSuffix = ".key"

// A Keystore is a directory of key files, one per account, each named
// after its account: the key "alice" is the file alice.key. Make one
// with [Open] or [New].
//
// A Keystore is safe for concurrent use, by goroutines and by processes:
// it keeps nothing in memory but its directory and its scrypt
// parameters, a key file appears whole or not at all, and no call ever
// replaces or removes one, so of two Creates of one name exactly one
// succeeds and the other returns [ErrExists].
type Keystore struct {
	dir    string
	scrypt ScryptParams
}

// Config says where a Keystore is and how it encrypts.
type Config struct {
	// Dir is the keystore's directory. Required. New creates it, and
	// its missing parents, with mode 0700.
	Dir string

	// Scrypt is the cost of encrypting the keys the Keystore writes; the
	// zero value means DefaultScrypt(). Lower it only in tests: it is
	// what makes guessing a passphrase slow. It does not limit what the
	// Keystore reads: each key file says its own parameters, and
	// [ScryptParams.Check] bounds them.
	Scrypt ScryptParams
}

// An Entry describes a key without decrypting it.
type Entry struct {
	Name      string             // what the user calls it: "alice"
	Address   blockchain.Address // the account it signs for
	Encrypted bool               // whether Load needs a passphrase
}

// Open returns the Keystore in dir with the default configuration,
// creating dir (mode 0700) if it is missing. It is New(Config{Dir: dir}).
func Open(dir string) (*Keystore, error) { return New(Config{Dir: dir}) }

// New returns the Keystore cfg describes, creating its directory (mode
// 0700) if it is missing. It refuses a Config with no Dir or with scrypt
// parameters [ScryptParams.Check] refuses (so the Keystore never writes a
// file it would not read), a Dir that is not a directory ([ErrFileType]),
// and a directory its group or others can write to ([ErrInsecureMode]):
// they could remove keys or slip in their own.
func New(cfg Config) (*Keystore, error) {
	if cfg.Dir == "" {
		return nil, errors.New("new keystore: config has no dir")
	}
	params := cfg.Scrypt
	if params == (ScryptParams{}) {
		params = DefaultScrypt()
	}
	if err := params.Check(); err != nil {
		return nil, fmt.Errorf("new keystore: %w", err)
	}
	info, err := os.Stat(cfg.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("new keystore: %w", err)
		}
		info, err = os.Stat(cfg.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("new keystore: %w", err)
	}
	if !info.IsDir() {
		return nil, &FileError{Path: cfg.Dir, Dir: true, Err: fmt.Errorf("%w: have %s, want a directory", ErrFileType, describe(info.Mode()))}
	}
	if perm := info.Mode().Perm(); checkModes && perm&0o022 != 0 {
		return nil, &FileError{Path: cfg.Dir, Dir: true, Err: fmt.Errorf("%w: have mode %04o, want no write permission for group or others (chmod 700 it)", ErrInsecureMode, perm)}
	}
	return &Keystore{dir: cfg.Dir, scrypt: params}, nil
}

// Dir returns the keystore's directory.
func (ks *Keystore) Dir() string { return ks.dir }

// Path returns the file that holds, or would hold, the key name. It
// does not check the name: [ValidateName] does.
func (ks *Keystore) Path(name string) string { return filepath.Join(ks.dir, name+fileSuffix) }

// Create makes a new key from random's bytes (crypto/rand's when random
// is nil), stores it under name encrypted with passphrase, and returns
// its address. It reads the key's seed from random, then the file's salt
// and nonce.
//
// It returns a [*NameError] for a bad name, [ErrEmptyPassphrase] for an
// empty passphrase (use [Keystore.CreateUnencrypted] to store a key in
// clear), and a [*FileError] wrapping [ErrExists] if name is taken: a
// key is never overwritten.
func (ks *Keystore) Create(name string, passphrase []byte, random io.Reader) (blockchain.Address, error) {
	return ks.create(name, passphrase, true, random)
}

// CreateUnencrypted is Create without encryption: the key's seed is
// written in clear, in a file marked so, and anyone who can read the
// file can spend from the account. It is for demo accounts, such as the
// ones devnet funds; a real account's key deserves a passphrase.
func (ks *Keystore) CreateUnencrypted(name string, random io.Reader) (blockchain.Address, error) {
	return ks.create(name, nil, false, random)
}

// Import stores an existing key under name, encrypted with passphrase,
// reading the file's salt and nonce from random (crypto/rand's when
// random is nil). Its errors are Create's, and one wrapping
// [blockchain.ErrBadKey] for the zero PrivateKey.
func (ks *Keystore) Import(name string, key blockchain.PrivateKey, passphrase []byte, random io.Reader) error {
	return ks.store(name, key, passphrase, true, random)
}

// ImportUnencrypted stores an existing key under name in clear, as
// CreateUnencrypted does.
func (ks *Keystore) ImportUnencrypted(name string, key blockchain.PrivateKey) error {
	return ks.store(name, key, nil, false, nil)
}

// Load reads the key name and, if it is encrypted, decrypts it with
// passphrase; a key stored in clear is loaded with a nil (or empty)
// passphrase. Errors:
//
//   - a [*NameError] for a bad name;
//   - [ErrPassphraseRequired] for no passphrase, [ErrNotEncrypted] for a
//     passphrase given for a clear key;
//   - a [*FileError] wrapping [ErrNotFound] if there is no such key,
//     [ErrWrongPassphrase] if the passphrase does not open it (or the
//     file was altered), and [ErrFileType], [ErrInsecureMode],
//     [ErrTooLarge], [ErrFormat], [ErrVersion], [ErrScryptParams],
//     [ErrNameMismatch] or [ErrAddressMismatch] if the file is refused.
func (ks *Keystore) Load(name string, passphrase []byte) (blockchain.PrivateKey, error) {
	kf, err := ks.read(name)
	if err != nil {
		return blockchain.PrivateKey{}, err
	}
	key, err := kf.unlock(passphrase)
	switch {
	case errors.Is(err, ErrPassphraseRequired), errors.Is(err, ErrNotEncrypted):
		return blockchain.PrivateKey{}, err
	case err != nil:
		return blockchain.PrivateKey{}, &FileError{Path: ks.Path(name), Err: err}
	}
	return key, nil
}

// Lookup describes the key name without decrypting it. Its errors are
// Load's, but for those about the passphrase.
func (ks *Keystore) Lookup(name string) (Entry, error) {
	kf, err := ks.read(name)
	if err != nil {
		return Entry{}, err
	}
	return kf.entry(), nil
}

// List describes every key, sorted by name, without decrypting any. It
// reads every file whose name ends in ".key" and does not start with a
// dot, and refuses a file as Lookup does. If it refuses some, it still
// returns the others, and an error joining a [*FileError] for each file
// refused.
func (ks *Keystore) List() ([]Entry, error) {
	dirents, err := os.ReadDir(ks.dir)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	var (
		entries []Entry
		errs    []error
	)
	for _, d := range dirents {
		file := d.Name()
		if strings.HasPrefix(file, ".") || !strings.HasSuffix(file, fileSuffix) {
			continue
		}
		name := strings.TrimSuffix(file, fileSuffix)
		if err := ValidateName(name); err != nil {
			errs = append(errs, &FileError{Path: ks.Path(name), Err: err})
			continue
		}
		kf, err := ks.read(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		entries = append(entries, kf.entry())
	}
	slices.SortFunc(entries, func(a, b Entry) int { return cmp.Compare(a.Name, b.Name) })
	return entries, errors.Join(errs...)
}

// Find describes the key of the account addr: the first in List's order,
// should two names hold one key. If there is none, the error wraps
// [ErrNotFound], joined with List's error if List refused a file (which
// may have been the one).
func (ks *Keystore) Find(addr blockchain.Address) (Entry, error) {
	entries, listErr := ks.List()
	for _, e := range entries {
		if e.Address == addr {
			return e, nil
		}
	}
	return Entry{}, errors.Join(fmt.Errorf("%w: address %s", ErrNotFound, addr), listErr)
}

// create makes a key from random and stores it.
func (ks *Keystore) create(name string, passphrase []byte, encrypt bool, random io.Reader) (blockchain.Address, error) {
	if err := ks.vacant(name, passphrase, encrypt); err != nil {
		return blockchain.Address{}, err
	}
	key, err := blockchain.GenerateKey(random)
	if err != nil {
		return blockchain.Address{}, err
	}
	if err := ks.store(name, key, passphrase, encrypt, random); err != nil {
		return blockchain.Address{}, err
	}
	return key.Address(), nil
}

// store writes key under name, encrypted or in clear.
func (ks *Keystore) store(name string, key blockchain.PrivateKey, passphrase []byte, encrypt bool, random io.Reader) error {
	if err := ks.vacant(name, passphrase, encrypt); err != nil {
		return err
	}
	if key.Public() == (blockchain.PublicKey{}) {
		return fmt.Errorf("store key %s: %w: the zero PrivateKey holds no key", name, blockchain.ErrBadKey)
	}
	data := encodeClear(name, key)
	if encrypt {
		var err error
		if data, err = encodeSealed(name, key, passphrase, ks.scrypt, random); err != nil {
			return fmt.Errorf("store key %s: %w", name, err)
		}
	}
	return ks.write(name, data)
}

// vacant checks, before any costly work, that a key can be stored under
// name with passphrase: the name is good, the passphrase is not empty
// if it is to encrypt, and the name is not taken. write checks the last
// again, atomically.
func (ks *Keystore) vacant(name string, passphrase []byte, encrypt bool) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if encrypt && len(passphrase) == 0 {
		return ErrEmptyPassphrase
	}
	path := ks.Path(name)
	switch _, err := os.Lstat(path); {
	case err == nil:
		return &FileError{Path: path, Err: ErrExists}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store key %s: %w", name, err)
	}
	return nil
}

// write puts data in the key file of name, which must not exist, so that
// the file appears whole or not at all: it writes a hidden temporary
// file in the same directory (mode 0600), flushes it to disk, links it
// to its name — which fails, replacing nothing, if the name exists —
// removes the temporary name and flushes the directory.
func (ks *Keystore) write(name string, data []byte) error {
	path := ks.Path(name)
	tmp, err := os.CreateTemp(ks.dir, "."+name+fileSuffix+".tmp-*")
	if err != nil {
		return fmt.Errorf("store key %s: %w", name, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	if rerr := os.Remove(tmp.Name()); err == nil {
		err = rerr
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		return &FileError{Path: path, Err: ErrExists}
	case err != nil:
		return fmt.Errorf("store key %s: %w", name, err)
	}
	if err := SyncDir(ks.dir); err != nil {
		return fmt.Errorf("store key %s: %w", name, err)
	}
	return nil
}

// read reads and parses the key file of name, refusing it as Load says.
func (ks *Keystore) read(name string) (*keyFile, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	path := ks.Path(name)
	data, err := readKeyFile(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	kf, err := parse(data, MaxScryptWork)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	if kf.name != name {
		return nil, &FileError{Path: path, Err: fmt.Errorf("%w: have %q, want %q", ErrNameMismatch, kf.name, name)}
	}
	if !kf.encrypted {
		// The seed is right there: the address it makes is the file's,
		// or the file is damaged (step 6, which needs no passphrase
		// here). This protects from no one who may write the keystore:
		// they could as well replace a whole file, or the address of an
		// encrypted one, which Lookup cannot check.
		if _, err := kf.unlock(nil); err != nil {
			return nil, &FileError{Path: path, Err: err}
		}
	}
	return kf, nil
}

// entry describes kf.
func (kf *keyFile) entry() Entry {
	return Entry{Name: kf.name, Address: kf.address, Encrypted: kf.encrypted}
}

// checkModes says whether permission bits mean anything here: on
// Windows, Go reports made-up ones.
const checkModes = runtime.GOOS != "windows"

// readKeyFile returns the bytes of the key file at path, if it is a
// regular file (not a link to one), no larger than MaxFileSize, that
// neither its group nor others can read or write.
func readKeyFile(path string) ([]byte, error) {
	data, info, err := readFile(path, MaxFileSize)
	if err != nil {
		return nil, err
	}
	if perm := info.Mode().Perm(); checkModes && perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: have mode %04o, want 0600 or less: its group or others can read or write it (chmod 600 it)", ErrInsecureMode, perm)
	}
	return data, nil
}

// ReadFile returns the bytes of the file at path if it is a regular file
// (not a link, a named pipe whose opening would wait for a writer, or a
// device such as /dev/zero) of at most limit bytes; otherwise its error
// wraps ErrFileType, ErrTooLarge, or, if there is no such file,
// ErrNotFound. It reads the key files, and the wallet the other files it
// keeps beside them, as files anyone with the directory may have put
// there.
func ReadFile(path string, limit int64) ([]byte, error) {
	data, _, err := readFile(path, limit)
	return data, err
}

// readFile is ReadFile, and returns the file's information too.
func readFile(path string, limit int64) ([]byte, fs.FileInfo, error) {
	linfo, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	if !linfo.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%w: have %s, want a regular file", ErrFileType, describe(linfo.Mode()))
	}
	f, err := openNoWait(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !os.SameFile(linfo, info) {
		return nil, nil, fmt.Errorf("%w: the file was replaced while being opened", ErrFileType)
	}
	if info.Size() > limit {
		return nil, nil, fmt.Errorf("%w: have %d bytes, want at most %d", ErrTooLarge, info.Size(), limit)
	}
	// The file may grow while being read: read one byte more than the
	// limit, never the whole of it.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > limit {
		return nil, nil, fmt.Errorf("%w: have more than %d bytes", ErrTooLarge, limit)
	}
	return data, info, nil
}

// describe names the type of file mode says, for an error.
func describe(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return "a regular file"
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "a file of type " + mode.Type().String()
}

// SyncDir flushes the directory dir to disk, so that a file linked or
// renamed into it survives a crash, as the key files stored in it do.
// Windows cannot, and needs not.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
