// Package keystore keeps a wallet's private keys in a directory, one
// small file per account, each encrypted with a passphrase unless it is
// explicitly asked not to be.
//
// The wallet reads its keys from a Keystore, and devnet writes the keys
// of its demo accounts (alice, bob, carol, …) into one for the wallet to
// read. A key is a [blockchain.PrivateKey], which is all in its 32-byte
// seed: the seed is the secret a key file keeps.
//
//	ks, err := keystore.Open(dir)
//	addr, err := ks.Create("alice", passphrase, nil) // a new key
//	entries, err := ks.List()                       // names and addresses, nothing decrypted
//	key, err := ks.Load("alice", passphrase)
//
// # The directory
//
// A Keystore is a directory, created with mode 0700 if it is missing and
// refused if its group or others can write to it. The key named "alice"
// is the file alice.key, of mode 0600. A name is 1 to 32 lower-case ASCII
// letters, digits, '-' and '_', starting with a letter or a digit
// ([ValidateName]): it cannot hold a path, cannot be hidden, and means
// one file even where file names ignore case.
//
// Like ssh, a Keystore refuses a key file that its group or others can
// read or write, saying so and giving the mode; it refuses a symbolic
// link and anything else that is not a regular file. (On Windows, where
// Go makes the permission bits up, it checks none.)
//
// A key file is never overwritten, nor removed. Create and Import write
// the file under a hidden temporary name in the same directory, flush it
// to disk, then link it to its real name — a link fails if the name
// exists, where a rename would replace the file — remove the temporary
// name and flush the directory. So a key file appears whole or not at
// all, even across a crash, and of two processes that create one name
// at the same moment exactly one succeeds: the other gets [ErrExists]. A
// Keystore is safe for concurrent use by goroutines and by processes.
// (A crash before the removal can leave a hidden ".alice.key.tmp-…"
// file, mode 0600, behind; List ignores it, and it may be deleted.)
//
// # The key file, version 1
//
// A key file is a JSON document of at most [MaxFileSize] bytes. This is
// an encrypted one, byte for byte as this package writes it (the golden
// file testdata/alice.key, encrypted with test parameters):
//
//	{
//	  "version": 1,
//	  "name": "alice",
//	  "address": "eccce84c33fc257c057135c5a4c7218b85ea1b54797fef5bad",
//	  "encryption": "scrypt+aes-256-gcm",
//	  "scrypt": {
//	    "n": 1024,
//	    "r": 8,
//	    "p": 1,
//	    "salt": "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
//	  },
//	  "nonce": "404142434445464748494a4b",
//	  "ciphertext": "2ee7ac580943f0de834ad02cf24dceaa47fbcbfde0551740113bf38dadb7a7a9f9988194bb16743bb1c51da66704b3ba"
//	}
//
// and this one holds its seed in clear (testdata/bob.key):
//
//	{
//	  "version": 1,
//	  "name": "bob",
//	  "address": "ecb97a684551728d2440541a8a45046977ccb5f9965c7a1dbe",
//	  "encryption": "none",
//	  "seed": "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
//	}
//
// The members, in the order written:
//
//   - "version": the number 1. A reader refuses any other ([ErrVersion]),
//     before it looks at the other members.
//   - "name": the key's name, which is also the name of its file.
//   - "address": the written form of the key's account address
//     ([blockchain.Address.String]), so a person can read which account
//     the file is for without the passphrase.
//   - "encryption": "scrypt+aes-256-gcm", or "none" for a seed in clear.
//   - "scrypt" (encrypted only): an object of scrypt's parameters "n",
//     "r" and "p" (integers) and its "salt" (32 bytes).
//   - "nonce" (encrypted only): AES-GCM's nonce (12 bytes).
//   - "ciphertext" (encrypted only): the seed encrypted with AES-256-GCM,
//     followed by the 16-byte tag (48 bytes).
//   - "seed" (clear only): the seed itself (32 bytes).
//
// Bytes are written as lower-case hexadecimal digits, two per byte. The
// writer indents with two spaces, puts ": " after a member's name,
// writes the members in the order above and ends the file with a
// newline. A reader accepts any JSON whitespace and any order of the
// members, but nothing else: a member missing, unknown, of the wrong type
// or written twice, hex digits in upper case or of the wrong length,
// invalid UTF-8 or anything after the document is [ErrFormat]. (A member
// written as null counts as missing: "seed": null in an encrypted file is
// no seed, as it should be. A scrypt parameter n, r or p missing reads as
// 0, which [ErrScryptParams] refuses, naming it.)
//
// # Encryption
//
// To encrypt a seed under a passphrase, Create and Import
//
//  1. read a new 32-byte salt and a new 12-byte nonce from the random
//     source, for every file written;
//  2. derive the 32-byte file key = scrypt(passphrase, salt, n, r, p)
//     (RFC 7914), the passphrase used byte for byte: no trimming, no
//     Unicode normalisation;
//  3. encrypt the seed with AES-256-GCM under the file key and the
//     nonce, authenticating with it the additional data
//     "eventchain/keystore/v1" ‖ 0x00 ‖ name ‖ 0x00 ‖ address (the
//     written form) — so a file whose name or address was changed, to
//     pass alice's key off as bob's, no longer decrypts.
//
// scrypt (from golang.org/x/crypto) rather than argon2id: both are
// memory-hard, so guessing passphrases costs memory as well as time and
// does not get cheap on graphics cards; argon2id is the newer choice
// (RFC 9106), but scrypt is what wallet keystores already use (the
// Ethereum keystore format is scrypt's best-known use), and it is in
// Python's standard library, so testdata/check_golden.py checks the
// golden file outside Go, with libraries that share no code with this
// one. AES-256-GCM (Go's standard library) rather than
// XChaCha20-Poly1305, for the same reason: Python's cryptography package
// has AES-GCM and no XChaCha20. GCM's one weakness, a random 12-byte
// nonce that must never repeat under one key, does not arise: each file
// key, from its own new salt, encrypts exactly one seed.
//
// The file records scrypt's parameters, so they can be raised without
// breaking older files. [DefaultScrypt] is n = 2¹⁶, r = 8, p = 1: 64 MiB
// of memory and about 170 ms on one core of the machine it was measured
// on (BenchmarkUnlock reports it). A hostile file cannot ask for much
// more: [ScryptParams.Check] bounds n, r and p, the memory 128·n·r
// (256 MiB) and the work n·r·p (8 times the default's).
//
// # Loading
//
// Load takes these steps, in order, and stops at the first refusal:
//
//  1. The name must be valid ([*NameError]) and its file exist
//     ([ErrNotFound]).
//  2. The file must be a regular file ([ErrFileType]) that neither its
//     group nor others may read or write ([ErrInsecureMode]), of at most
//     [MaxFileSize] bytes ([ErrTooLarge]).
//  3. Its version must be 1 ([ErrVersion]), and the document must follow
//     the format above ([ErrFormat]), its scrypt parameters within bounds
//     ([ErrScryptParams]) and its name the file's ([ErrNameMismatch]).
//  4. An encrypted key needs a passphrase ([ErrPassphraseRequired]), a
//     clear one none ([ErrNotEncrypted]).
//  5. The ciphertext must decrypt and authenticate ([ErrWrongPassphrase]:
//     a wrong passphrase, or an altered file).
//  6. The address the seed makes must be the file's ([ErrAddressMismatch]).
//
// Lookup and List take steps 1 to 3 only, and so never need a
// passphrase; for a key in clear, step 6 too, which needs none: a clear
// file whose address is not its seed's is damaged. (Whoever may write
// the keystore may replace any file in it: the keystore guards keys
// against readers, not against writers.)
//
// # Errors
//
// Every refusal is one of the sentinel errors of this package; test for
// it with errors.Is. One about a file comes inside a [*FileError], whose
// Path says which file; a bad name is a [*NameError]. An error about the
// address of a file also wraps blockchain's [*blockchain.AddressError].
// Other errors are the operating system's, wrapped with what was being
// done.
package keystore
