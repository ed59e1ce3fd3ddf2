package boltcheck_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/internal/boltcheck"
)

// sample writes a bbolt file of two buckets, one large enough for pages
// of its own and one small enough to live inline in its parent's page,
// and returns its bytes and its keys.
func sample(t testing.TB, noFreelist bool) ([]byte, [][]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: noFreelist})
	require.NoError(t, err)
	var keys [][]byte
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		big, err := tx.CreateBucket([]byte("big"))
		if err != nil {
			return err
		}
		for i := range 200 {
			k := binary.BigEndian.AppendUint64([]byte("key-"), uint64(i))
			keys = append(keys, k)
			if err := big.Put(k, bytes.Repeat([]byte{byte(i)}, 40)); err != nil {
				return err
			}
		}
		small, err := tx.CreateBucket([]byte("small"))
		if err != nil {
			return err
		}
		return small.Put([]byte("only"), []byte("value"))
	}))
	require.NoError(t, db.Close())
	content, err := os.ReadFile(path)
	require.NoError(t, err)
	return content, keys
}

// check runs Inspect and CheckPages on content.
func check(content []byte) (boltcheck.File, error) {
	r := bytes.NewReader(content)
	s := boltcheck.Inspect(r, func() (os.FileInfo, error) { return sizeInfo(len(content)), nil })
	if s.ReadFailed != nil {
		return s, s.ReadFailed
	}
	if s.Newest < 0 {
		return s, errors.Join(s.MetaErrs[:]...)
	}
	return s, boltcheck.CheckPages(r, s)
}

func TestCheckPages(t *testing.T) {
	for _, noFreelist := range []bool{false, true} {
		content, keys := sample(t, noFreelist)
		last := keys[len(keys)-1]
		require.Equal(t, 1, bytes.Count(content, last), "the greatest key, once")
		for _, tc := range []struct {
			name   string
			damage func([]byte) []byte
			want   string // in the fault; "" for none
		}{
			{"intact", func(b []byte) []byte { return b }, ""},
			{"truncated", func(b []byte) []byte {
				s, err := check(b)
				require.NoError(t, err)
				return b[:(s.Metas[s.Newest].Pgid-1)*4096] // the last page in use cut off
			}, "truncated"},
			{"a key out of order", func(b []byte) []byte {
				return bytes.Replace(b, last, []byte("key-\x00\x00\x00\x00\x00\x00\x00\x00"), 1)
			}, "does not come after"},
			{"a page that says it is another", func(b []byte) []byte {
				i := bytes.Index(b, last) / 4096 * 4096 // the start of the leaf page holding it
				binary.NativeEndian.PutUint64(b[i:], 1<<20)
				return b
			}, "says it is page"},
		} {
			t.Run(fmt.Sprintf("%s/freelist=%v", tc.name, !noFreelist), func(t *testing.T) {
				s, err := check(tc.damage(bytes.Clone(content)))
				require.Equal(t, 4096, int(s.PageSize))
				if tc.want == "" {
					assert.NoError(t, err)
					return
				}
				var fault *boltcheck.Fault
				require.ErrorAs(t, err, &fault)
				assert.Contains(t, fault.Reason, tc.want)
			})
		}
	}
}

// TestCheckPagesHugeFile: meta pages that claim more pages than int64
// bytes hold are a file too short, not a table of pages to allocate.
func TestCheckPagesHugeFile(t *testing.T) {
	m := boltcheck.Meta{PageSize: 1 << 24, Pgid: 1 << 39, Root: 3, Freelist: 2, Txid: 2}
	s := boltcheck.File{Size: 1<<24 + 4096, Metas: [2]boltcheck.Meta{m, m}, PageSize: 1 << 24}
	var fault *boltcheck.Fault
	require.ErrorAs(t, boltcheck.CheckPages(bytes.NewReader(nil), s), &fault)
	assert.Contains(t, fault.Reason, "truncated")
}

// FuzzCheckPages damages a small bbolt file, a few bytes at a time, and
// holds CheckPages to its promise: no panic, and a file it passes is one
// bbolt opens (walking every page, as it does at open for a file without
// a free-page list) and reads whole without a panic.
func FuzzCheckPages(f *testing.F) {
	content, _ := sample(f, true)
	f.Add(uint32(0), byte(0), uint32(0), byte(0))
	f.Add(uint32(2*4096+20), byte(0xff), uint32(3*4096+100), byte(1))
	f.Fuzz(func(t *testing.T, off1 uint32, b1 byte, off2 uint32, b2 byte) {
		damaged := bytes.Clone(content)
		damaged[int(off1)%len(damaged)] ^= b1
		damaged[int(off2)%len(damaged)] ^= b2
		s, err := check(damaged)
		if err != nil || s.MetaErrs[0] != nil || s.MetaErrs[1] != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "damaged.db")
		require.NoError(t, os.WriteFile(path, damaged, 0o600))
		db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true})
		if err != nil {
			return
		}
		defer db.Close()
		require.NoError(t, db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
				return b.ForEach(func(k, v []byte) error { return nil })
			})
		}))
	})
}

// sizeInfo is an os.FileInfo that knows a size alone.
type sizeInfo int64

func (s sizeInfo) Size() int64 { return int64(s) }
func (sizeInfo) Name() string  { return "" }
func (sizeInfo) Mode() os.FileMode {
	return 0
}
func (sizeInfo) ModTime() (t time.Time) { return t }
func (sizeInfo) IsDir() bool            { return false }
func (sizeInfo) Sys() any               { return nil }
