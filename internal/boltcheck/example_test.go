package boltcheck_test

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/internal/boltcheck"
)

// Check a bbolt file before bbolt opens it: Inspect reads its meta pages,
// CheckPages every page they reach.
func ExampleCheckPages() {
	dir, _ := os.MkdirTemp("", "boltcheck")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "example.db")
	db, _ := bolt.Open(path, 0o600, &bolt.Options{PageSize: 4096})
	_ = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("accounts"))
		if err != nil {
			return err
		}
		return b.Put([]byte("alice"), []byte("100"))
	})
	_ = db.Close()

	f, _ := os.Open(path)
	defer f.Close()
	s := boltcheck.Inspect(f, f.Stat)
	fmt.Println("page size:", s.PageSize)
	fmt.Println("pages:", boltcheck.CheckPages(f, s))

	s.Size = 3 * s.PageSize // as if the file had been cut short
	fmt.Println("cut short:", boltcheck.CheckPages(f, s))
	// Output:
	// page size: 4096
	// pages: <nil>
	// cut short: truncated: 12288 bytes, but the meta page needs 6 pages of 4096 bytes
}
