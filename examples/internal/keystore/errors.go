package keystore

import (
	"errors"
	"fmt"
)

// What a Keystore refuses. Test for them with errors.Is: a refusal about
// a file comes wrapped in a [*FileError] (which says which file), a
// refusal of a name in a [*NameError], so that the text says more than
// the sentinel alone.
var (
	// ErrBadName: a name breaks the rules of [ValidateName]. It comes
	// inside a [*NameError], which says which rule.
	ErrBadName = errors.New("bad key name")

	// ErrExists: Create or Import was given a name that is already taken.
	// The key file already there is left as it was.
	ErrExists = errors.New("key exists")

	// ErrNotFound: there is no key of that name (Load, Lookup), or of that
	// address (Find).
	ErrNotFound = errors.New("no such key")

	// ErrEmptyPassphrase: Create or Import was asked to encrypt with an
	// empty passphrase. A key is stored in clear only through
	// CreateUnencrypted or ImportUnencrypted, never by forgetting the
	// passphrase.
	ErrEmptyPassphrase = errors.New("passphrase is empty: to store a key in clear use CreateUnencrypted or ImportUnencrypted")

	// ErrPassphraseRequired: Load was given no passphrase for an encrypted
	// key. Nothing was tried: ask the user, and load again.
	ErrPassphraseRequired = errors.New("key is encrypted: a passphrase is required")

	// ErrNotEncrypted: Load was given a passphrase for a key stored in
	// clear. Load it with a nil passphrase; [Entry].Encrypted tells which
	// keys need one.
	ErrNotEncrypted = errors.New("key is stored in clear: load it without a passphrase")

	// ErrWrongPassphrase: the passphrase did not open the key. The
	// authenticated encryption cannot tell a wrong passphrase from a file
	// that was altered (its ciphertext, nonce, salt, scrypt parameters,
	// name or address): this error means one or the other.
	ErrWrongPassphrase = errors.New("wrong passphrase, or the file was altered")

	// ErrFileType: a key file is not a regular file (a symbolic link, a
	// directory, a named pipe, …), or a keystore is not a directory.
	ErrFileType = errors.New("wrong type of file")

	// ErrInsecureMode: a key file can be read or written by its group or
	// by others, or a keystore directory can be written by them. The
	// error gives the mode. Like ssh, the keystore will not use such a
	// file: chmod 600 it (700 for the directory).
	ErrInsecureMode = errors.New("permissions are too open")

	// ErrTooLarge: a key file is larger than [MaxFileSize], or another
	// file [ReadFile] reads than its limit.
	ErrTooLarge = errors.New("too large")

	// ErrFormat: a key file is not a key file of the format the package
	// documentation specifies: not JSON, a member missing, unknown or
	// repeated, a value of the wrong type or length, an unknown
	// encryption.
	ErrFormat = errors.New("malformed key file")

	// ErrVersion: a key file has a version this package does not know.
	ErrVersion = errors.New("unknown key file version")

	// ErrScryptParams: a key file asks for scrypt parameters that scrypt
	// does not accept or that are beyond the bounds [ScryptParams.Check] sets,
	// so that a hostile file cannot make a wallet allocate gigabytes or
	// compute for hours.
	ErrScryptParams = errors.New("scrypt parameters out of bounds")

	// ErrNameMismatch: the name inside a key file is not the name of the
	// file: the file was renamed.
	ErrNameMismatch = errors.New("name does not match the file's")

	// ErrAddressMismatch: the address inside a key file is not the
	// address of its key.
	ErrAddressMismatch = errors.New("address does not match the seed's")
)

// A FileError says which file a Keystore refused, and why: Err wraps one
// of the sentinel errors above (test with errors.Is), with detail.
type FileError struct {
	Path string // the key file, or the keystore's directory
	Dir  bool   // Path is the keystore's directory
	Err  error
}

// Error reads like "key file keys/bob.key: permissions are too open: …",
// or "keystore directory keys: …".
func (e *FileError) Error() string {
	if e.Dir {
		return fmt.Sprintf("keystore directory %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("key file %s: %v", e.Path, e.Err)
}

// Unwrap returns Err.
func (e *FileError) Unwrap() error { return e.Err }

// A NameError says why a name cannot name a key. It wraps [ErrBadName].
type NameError struct {
	Name   string // the name, shortened to its first 64 bytes
	Reason string // which rule it breaks
}

func (e *NameError) Error() string {
	return fmt.Sprintf("%v %q: %s", ErrBadName, e.Name, e.Reason)
}

// Unwrap returns [ErrBadName].
func (e *NameError) Unwrap() error { return ErrBadName }
