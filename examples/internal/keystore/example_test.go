package keystore_test

import (
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// A wallet's keys: alice's protected by a passphrase, bob's a demo
// account's in clear.
func ExampleKeystore() {
	dir, err := os.MkdirTemp("", "keystore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A wallet calls keystore.Open(dir), which encrypts at the cost of
	// DefaultScrypt; an example lowers it to run fast.
	ks, err := keystore.New(keystore.Config{
		Dir:    filepath.Join(dir, "keys"),
		Scrypt: keystore.ScryptParams{N: 1024, R: 8, P: 1},
	})
	if err != nil {
		log.Fatal(err)
	}
	// A seeded random source makes the same keys on every run, so the
	// output below stays true. For a real key pass nil: crypto/rand.
	random := rand.NewChaCha8([32]byte{'e', 'x', 'a', 'm', 'p', 'l', 'e'})

	alice, err := ks.Create("alice", []byte("correct horse battery staple"), random)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := ks.CreateUnencrypted("bob", random); err != nil {
		log.Fatal(err)
	}
	_, err = ks.Create("alice", []byte("another"), random)
	fmt.Println("alice again:", errors.Is(err, keystore.ErrExists))

	entries, err := ks.List()
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Name, e.Address, e.Encrypted)
	}

	key, err := ks.Load("alice", []byte("correct horse battery staple"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loaded:", key, key.Address() == alice)
	_, err = ks.Load("alice", []byte("tr0ub4dor&3"))
	fmt.Println("wrong passphrase:", errors.Is(err, keystore.ErrWrongPassphrase))
	_, err = ks.Load("alice", nil)
	fmt.Println("no passphrase:", errors.Is(err, keystore.ErrPassphraseRequired))
	// Output:
	// alice again: true
	// alice ec00b77fc53ee56784026471bec7da31dbc6d27500f583fe15 true
	// bob eca2d40e1d9ab095d9c9a35fdec6d2a6fc200870d76c4ce0c3 false
	// loaded: PrivateKey(ec00b77fc53ee56784026471bec7da31dbc6d27500f583fe15) true
	// wrong passphrase: true
	// no passphrase: true
}

// A key file its group or others can read is refused, as ssh refuses
// one.
func ExampleKeystore_Load_permissions() {
	dir, err := os.MkdirTemp("", "keystore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ks, err := keystore.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := ks.CreateUnencrypted("carol", nil); err != nil {
		log.Fatal(err)
	}
	if err := os.Chmod(ks.Path("carol"), 0o644); err != nil {
		log.Fatal(err)
	}

	_, err = ks.Load("carol", nil)
	fmt.Println(errors.Is(err, keystore.ErrInsecureMode))
	var fe *keystore.FileError
	if errors.As(err, &fe) {
		fmt.Println(filepath.Base(fe.Path), "-", fe.Err)
	}
	// Output:
	// true
	// carol.key - permissions are too open: have mode 0644, want 0600 or less: its group or others can read or write it (chmod 600 it)
}

func ExampleValidateName() {
	for _, name := range []string{"alice", "carol-2", "Alice", "../bob", ".hidden", "-f", "con"} {
		fmt.Printf("%q: %v\n", name, keystore.ValidateName(name))
	}
	// Output:
	// "alice": <nil>
	// "carol-2": <nil>
	// "Alice": bad key name "Alice": offset 0 is not one of a-z, 0-9, '-', '_'
	// "../bob": bad key name "../bob": holds a path separator
	// ".hidden": bad key name ".hidden": starts with a dot (a hidden file, or a path)
	// "-f": bad key name "-f": starts with '-': want a letter or a digit
	// "con": bad key name "con": is reserved: Windows keeps it for a device
}
