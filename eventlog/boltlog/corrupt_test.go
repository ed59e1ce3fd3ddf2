package boltlog_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
)

// A goodFile is a log's file, closed, with what it holds.
type goodFile struct {
	bytes []byte
	want  map[string][]eventlog.Event // stream → its events

	// From the meta page bbolt uses (this test reads bbolt's format only
	// to aim its damage).
	pageSize, hwm, root, freelist int
}

// marker is in the data of the first event of stream "small", so that a
// test can find its bytes in the file.
const marker = "find-me-in-the-file"

// makeGoodFile writes a log with a stream of 1500 events (many leaf pages
// under a branch page), one event of 200 KiB (overflow pages), a stream
// of three (an inline bucket) and a deleted stream (free pages and a
// tombstone).
func makeGoodFile(t *testing.T) goodFile {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "good.db")
	log, err := boltlog.Open(ctx, boltlog.Config{Path: path})
	require.NoError(t, err)
	g := goodFile{want: map[string][]eventlog.Event{}}
	add := func(stream string, events ...eventlog.Event) {
		_, err := log.Append(ctx, stream, eventlog.Any, events...)
		require.NoError(t, err)
		g.want[stream] = append(g.want[stream], events...)
	}
	big := numbered("big", 1500)
	for i := 0; i < len(big); i += 50 {
		add("big", big[i:i+50]...)
	}
	huge := event("huge")
	huge.Data = []byte(`"` + strings.Repeat("h", 200<<10) + `"`)
	add("huge", huge)
	small := numbered("small", 3)
	small[0].Data = []byte(`{"marker":"` + marker + `"}`)
	small[1].Metadata = []byte(`{"by":"test"}`)
	add("small", small...)
	add("gone", numbered("gone", 200)...)
	require.NoError(t, log.Delete(ctx, "gone", eventlog.Any))
	delete(g.want, "gone")
	require.NoError(t, log.Close())

	g.bytes, err = os.ReadFile(path)
	require.NoError(t, err)
	ps := int(binary.NativeEndian.Uint32(g.bytes[16+8:]))
	meta := g.bytes[16:]
	if binary.NativeEndian.Uint64(g.bytes[ps+16+48:]) > binary.NativeEndian.Uint64(meta[48:]) {
		meta = g.bytes[ps+16:]
	}
	g.pageSize = ps
	g.root = int(binary.NativeEndian.Uint64(meta[16:]))
	g.freelist = int(binary.NativeEndian.Uint64(meta[32:]))
	g.hwm = int(binary.NativeEndian.Uint64(meta[40:]))
	return g
}

// withMetas returns the good file with its meta pages (0, 1 or both)
// changed by change, which gets the meta (after the page header), and
// their checksums made right again: damage only a careful reader sees.
func withMetas(g goodFile, pages []int, change func(meta []byte)) []byte {
	b := bytes.Clone(g.bytes)
	for _, p := range pages {
		at := p * g.pageSize
		meta := b[at+16 : at+16+64]
		change(meta)
		h := fnv.New64a()
		h.Write(meta[:56])
		binary.NativeEndian.PutUint64(meta[56:], h.Sum64())
	}
	return b
}

// write writes b to a new file of t's and returns its path.
func write(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.db")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

// damaged returns a copy of b with n bytes at off changed, each to
// another value, drawn from rng.
func damaged(b []byte, off, n int, rng *rand.Rand) []byte {
	out := bytes.Clone(b)
	for i := off; i < off+n && i < len(out); i++ {
		out[i] ^= byte(1 + rng.IntN(255))
	}
	return out
}

// withBolt returns the good file changed by fn, in a bbolt transaction:
// a file bbolt finds sound and boltlog must not.
func withBolt(t *testing.T, g goodFile, fn func(tx *bolt.Tx) error) []byte {
	t.Helper()
	path := write(t, g.bytes)
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(fn))
	require.NoError(t, db.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestOpenRefusesBadFiles: each file is wrong in its own way, and Open
// says so with a *CorruptError whose reason names the fault: never a
// panic, never a hang, never a log that opened.
func TestOpenRefusesBadFiles(t *testing.T) {
	g := makeGoodFile(t)
	rng := rand.New(rand.NewPCG(7, 7))
	ps, used := g.pageSize, g.hwm*g.pageSize
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	markerAt := bytes.Index(g.bytes, []byte(marker))
	require.Positive(t, markerAt, "the marker is in the file")
	be := binary.BigEndian.AppendUint64

	for _, tc := range []struct {
		name   string
		file   []byte
		reason string // what the CorruptError's reason must say
	}{
		{"ZeroLength", nil, "empty file"},
		{"Text", bytes.Repeat([]byte("this is not a database, just text\n"), 2000), "not a bbolt database"},
		{"RandomBytes", random, "not a bbolt database"},
		{"TruncatedTo100Bytes", g.bytes[:100], "truncated"},
		{"TruncatedToOnePage", g.bytes[:ps], "truncated"},
		{"TruncatedToTwoPages", g.bytes[:2*ps], "truncated"},
		{"TruncatedToThreePages", g.bytes[:3*ps], "truncated"},
		{"TruncatedToHalf", g.bytes[:used/2], "truncated"},
		{"TruncatedByOnePage", g.bytes[:used-ps], "truncated"},
		{"TruncatedByOneByte", g.bytes[:used-1], "truncated"},
		{"MetaPage0Damaged", damaged(g.bytes, 16+8, 8, rng), "meta page 0"},
		{"MetaPage1Damaged", damaged(g.bytes, ps+16+40, 8, rng), "meta page 1"},
		{"MetaPage0MagicDamaged", damaged(g.bytes, 16, 4, rng), "meta page 0"},
		{"BothMetaPagesDamaged", damaged(damaged(g.bytes, 16+48, 4, rng), ps+16+48, 4, rng), "meta page 0"},
		{"BothMagicsDamaged", damaged(damaged(g.bytes, 16, 4, rng), ps+16, 4, rng), "not a bbolt database"},
		{"RootPageHeaderDamaged", damaged(g.bytes, g.root*ps, 8, rng), "says it is page"},
		{"RootPageFlagsDamaged", damaged(g.bytes, g.root*ps+8, 2, rng), "flags"},
		{"FreelistDamaged", damaged(g.bytes, g.freelist*ps+8, 2, rng), "free-page list"},
		{"PageCopiedOverAnother", func() []byte {
			b := bytes.Clone(g.bytes)
			copy(b[g.freelist*ps:(g.freelist+1)*ps], b[g.root*ps:(g.root+1)*ps])
			return b
		}(), fmt.Sprintf("page %d says it is page %d", g.freelist, g.root)},
		{"EventDataChanged", damaged(g.bytes, markerAt+3, 1, rng), "checksum"},
		// bbolt itself panics on this one as it opens the file: it reads
		// the free-page list first thing.
		{"FreelistPointsAtTheRoot", withMetas(g, []int{0, 1}, func(meta []byte) {
			binary.NativeEndian.PutUint64(meta[32:], uint64(g.root))
		}), fmt.Sprintf("page %d is used twice", g.root)},
		{"NoFreelist", withMetas(g, []int{0, 1}, func(meta []byte) {
			binary.NativeEndian.PutUint64(meta[32:], ^uint64(0))
		}), "no free-page list"},
		// pgid × page size overflows int64: read as a product, the file
		// seemed long enough, and the check then asked for a 512 GiB
		// table of pages, ending the process out of memory.
		{"PagesPastInt64", func() []byte {
			const pageSize = 1 << 24
			b := withMetas(g, []int{0, 1}, func(meta []byte) {
				binary.NativeEndian.PutUint32(meta[8:], pageSize)
				binary.NativeEndian.PutUint64(meta[40:], 1<<39)
			})
			file := make([]byte, pageSize+ps)
			copy(file, b[:ps])
			copy(file[pageSize:], b[ps:2*ps])
			return file
		}(), "truncated"},
		{"MetaPagesNotConsecutive", withMetas(g, []int{0}, func(meta []byte) {
			binary.NativeEndian.PutUint64(meta[48:], binary.NativeEndian.Uint64(meta[48:])+2)
		}), "not consecutive"},
		{"MetaPagesDisagreeOnPageSize", withMetas(g, []int{1}, func(meta []byte) {
			binary.NativeEndian.PutUint32(meta[8:], uint32(ps/2))
		}), "disagree on the page size"},
		{"ForeignBboltFile", withBolt(t, g, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("boltlog")) }), "not a boltlog event log"},
		{"OtherFormat", withBolt(t, g, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("boltlog")).Put([]byte("format"), []byte("eventchain boltlog 2"))
		}), "format"},
		{"UnknownBucket", withBolt(t, g, func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("extra"))
			return err
		}), "unknown top-level key"},
		{"RevisionMissing", withBolt(t, g, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("streams")).Bucket([]byte("big")).Delete(be(nil, 700))
		}), "revision 701 follows 700 events"},
		{"LastEventsMissing", withBolt(t, g, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("streams")).Bucket([]byte("big")).Delete(be(nil, 1499))
		}), "1499 events, but the count says 1500"},
		{"EventMoved", withBolt(t, g, func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("streams")).Bucket([]byte("big"))
			if err := b.Put(be(nil, 1500), bytes.Clone(b.Get(be(nil, 3)))); err != nil {
				return err
			}
			return b.SetSequence(1501)
		}), "revision 1500: bad record: checksum"},
		{"StreamMissing", withBolt(t, g, func(tx *bolt.Tx) error { return tx.Bucket([]byte("streams")).DeleteBucket([]byte("small")) }), "2 streams, but the count says 3"},
		{"TombstoneMissing", withBolt(t, g, func(tx *bolt.Tx) error { return tx.Bucket([]byte("tombstones")).Delete([]byte("gone")) }), "0 tombstones, but the count says 1"},
		{"TombstoneAndEvents", withBolt(t, g, func(tx *bolt.Tx) error {
			tombs := tx.Bucket([]byte("tombstones"))
			if err := tombs.Put([]byte("small"), boltlog.EncodeTombstone("small", time.Now())); err != nil {
				return err
			}
			return tombs.SetSequence(2)
		}), "has events and a tombstone"},
		{"TombstoneOfAnotherStream", withBolt(t, g, func(tx *bolt.Tx) error {
			tombs := tx.Bucket([]byte("tombstones"))
			if err := tombs.Put([]byte("other"), bytes.Clone(tombs.Get([]byte("gone")))); err != nil {
				return err
			}
			return tombs.SetSequence(2)
		}), `tombstone of stream "other": bad record: checksum`},
		{"InvalidStreamName", withBolt(t, g, func(tx *bolt.Tx) error {
			_, err := tx.Bucket([]byte("streams")).CreateBucket([]byte("$system"))
			return err
		}), "invalid name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := boltlog.Open(context.Background(), boltlog.Config{Path: write(t, tc.file)})
			var bad *boltlog.CorruptError
			require.ErrorAs(t, err, &bad)
			assert.ErrorIs(t, err, boltlog.ErrCorrupt)
			assert.Contains(t, bad.Reason, tc.reason, "the reason")
			assert.Contains(t, err.Error(), "file is not an intact event log")
		})
	}
}

// TestOpenLeavesADamagedFileFree: bbolt panics opening a file whose
// free-page list is damaged, and its memory map of the file, holding the
// file's lock, then stayed until the process ended: every later Open,
// here or in another process, said the file was in use, even once an
// intact file was put back. Open checks the pages first, under a shared
// lock it releases.
func TestOpenLeavesADamagedFileFree(t *testing.T) {
	g := makeGoodFile(t)
	path := write(t, withMetas(g, []int{0, 1}, func(meta []byte) {
		binary.NativeEndian.PutUint64(meta[32:], uint64(g.root))
	}))
	ctx := context.Background()
	_, err := boltlog.Open(ctx, boltlog.Config{Path: path})
	require.ErrorIs(t, err, boltlog.ErrCorrupt)

	require.NoError(t, os.WriteFile(path, g.bytes, 0o600)) // the same file, intact again
	log, err := boltlog.Open(ctx, boltlog.Config{Path: path, LockTimeout: 200 * time.Millisecond})
	require.NoError(t, err, "the damaged file's open left nothing holding it")
	defer log.Close()
	recs, err := log.Read(ctx, "small", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.Len(t, recs, len(g.want["small"]))
}

// TestOpenSurvivesRandomDamage: bytes changed at random places of a good
// file make Open refuse it with a *CorruptError, or, where they changed
// nothing the log uses (a free page, the unused end of a page), open it
// with every event as it was. Never a panic, a hang, or a wrong event.
func TestOpenSurvivesRandomDamage(t *testing.T) {
	const cases = 100
	t.Parallel()
	g := makeGoodFile(t)
	used := g.bytes[:g.hwm*g.pageSize] // bbolt's file goes on, unused, to a power of two
	rng := rand.New(rand.NewPCG(20260701, 1))
	refused := 0
	for i := range cases {
		off, n := 2*g.pageSize+rng.IntN((g.hwm-2)*g.pageSize), 1+rng.IntN(16)
		path := write(t, damaged(used, off, n, rng))
		log, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
		if err != nil {
			require.ErrorIs(t, err, boltlog.ErrCorrupt, "case %d: %d bytes at %d (page %d)", i, n, off, off/g.pageSize)
			refused++
			continue
		}
		for stream, want := range g.want {
			recs, err := log.Read(context.Background(), stream, eventlog.Start, eventlog.Forwards, 10_000)
			require.NoError(t, err, "case %d: %d bytes at %d (page %d) went unnoticed, but %s cannot be read", i, n, off, off/g.pageSize, stream)
			require.Equal(t, eventIDs(want), ids(recs), "case %d: %d bytes at %d (page %d) went unnoticed, but changed %s", i, n, off, off/g.pageSize, stream)
			for j, r := range recs {
				require.Equal(t, string(want[j].Data), string(r.Data), "case %d: %s@%d", i, stream, j)
			}
		}
		require.NoError(t, log.Close())
	}
	t.Logf("%d of %d damaged files refused; the rest had the damage where the log keeps nothing (%d pages in use or free)", refused, cases, g.hwm)
	assert.Greater(t, refused, cases/2, "most damage lands where the log keeps something")
}

// TestCorruptErrorText: the error names the file, the fault and bbolt's
// error behind it, and unwraps to it.
func TestCorruptErrorText(t *testing.T) {
	cause := errors.New("invalid database")
	err := fmt.Errorf("open event log: %w", &boltlog.CorruptError{Path: "/data/chain.db", Reason: "meta page 1 is damaged", Err: cause})
	assert.Equal(t, `open event log: boltlog: "/data/chain.db": file is not an intact event log: meta page 1 is damaged: invalid database`, err.Error())
	assert.ErrorIs(t, err, boltlog.ErrCorrupt)
	assert.ErrorIs(t, err, cause)
	assert.NotErrorIs(t, err, boltlog.ErrLocked)
}

// TestDamageWhileOpen: a file changed under a running log. A record
// whose bytes changed was read back as a plain error, which the bank took
// for an outage; a file cut short made the next read of its lost pages
// fault, and the process died of SIGBUS. Both are now a *CorruptError
// naming the file, and the process goes on.
func TestDamageWhileOpen(t *testing.T) {
	t.Run("a record changed", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "events.db")
		log := open(t, boltlog.Config{Path: path})
		e := event("damaged")
		e.Data = []byte(`{"note":"` + marker + `"}`)
		_, err := log.Append(context.Background(), "small", eventlog.NoStream, e)
		require.NoError(t, err)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		at := bytes.Index(data, []byte(marker))
		require.Positive(t, at, "the record is in the file")
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.WriteAt([]byte{data[at] ^ 0xff}, int64(at))
		require.NoError(t, err)
		require.NoError(t, f.Close())

		_, err = log.Read(context.Background(), "small", eventlog.Start, eventlog.Forwards, 10)
		var bad *boltlog.CorruptError
		require.ErrorAs(t, err, &bad)
		assert.ErrorIs(t, err, eventlog.ErrCorrupt, "what a user of any log tests")
		assert.Equal(t, path, bad.Path)
		assert.Contains(t, err.Error(), "a record damaged since the log was opened")
	})
	t.Run("the file cut short", func(t *testing.T) {
		needsFaults(t)
		path := filepath.Join(t.TempDir(), "events.db")
		log := open(t, boltlog.Config{Path: path})
		fillBig(t, log, 20)
		require.NoError(t, os.Truncate(path, 16<<10)) // the meta pages and little else

		_, err := log.Read(context.Background(), "big", 900, eventlog.Forwards, 10)
		require.ErrorIs(t, err, boltlog.ErrCorrupt)
		assert.Contains(t, err.Error(), "a memory fault reading it")
		_, err = log.Append(context.Background(), "big", eventlog.Any, event("after"))
		assert.ErrorIs(t, err, boltlog.ErrCorrupt, "an append to a file cut short fails, and the process lives")
	})
	// A fault while bbolt starts a transaction (the meta pages gone) left
	// its locks held: the next call, and Close, waited for ever. A log
	// that faulted once calls bbolt no more.
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"the file emptied", func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, 0)) }},
		{"its pages zeroed past the meta pages", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			require.NoError(t, err)
			st, err := f.Stat()
			require.NoError(t, err)
			_, err = f.WriteAt(make([]byte, st.Size()-8192), 8192)
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needsFaults(t)
			path := filepath.Join(t.TempDir(), "events.db")
			log, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
			require.NoError(t, err)
			fillBig(t, log, 10)
			tc.damage(t, path)

			done := make(chan struct{})
			go func() {
				defer close(done)
				for range 3 {
					_, err := log.Read(context.Background(), "big", 0, eventlog.Forwards, 500)
					assert.ErrorIs(t, err, boltlog.ErrCorrupt)
					_, err = log.Append(context.Background(), "big", eventlog.Any, event("after"))
					assert.ErrorIs(t, err, boltlog.ErrCorrupt)
				}
				assert.NoError(t, log.Close())
			}()
			select {
			case <-done:
			case <-time.After(time.Minute): // a bound on a hang, not a wait for an event
				t.Fatal("the log hung after the damage")
			}
			again, err := boltlog.Open(context.Background(), boltlog.Config{Path: path, LockTimeout: time.Second})
			if err == nil {
				_ = again.Close()
			}
			assert.NotErrorIs(t, err, boltlog.ErrLocked, "Close released the file: %v", err)
		})
	}
}

// TestFileGoneWhileOpen: the log's file removed, renamed away or
// replaced under a running log. bbolt went on committing to the open
// file, and every append was answered with success, but a restart opens
// what the path names then: the events were lost. Now the first commit
// after it fails with a *CorruptError saying the path no longer names
// the log's file, and so does every call after. So does a retry that
// needs no commit: its events are not where a restart will look either.
func TestFileGoneWhileOpen(t *testing.T) {
	for _, tc := range []struct {
		name       string
		gone       func(path string) error
		retryFirst bool // the first call after it is a retry, which commits nothing
		says       string
	}{
		{"removed", os.Remove, false, "no file is there now"},
		{"renamed away", func(path string) error { return os.Rename(path, path+".old") }, true, "no file is there now"},
		{"replaced by another file", func(path string) error {
			other := filepath.Join(filepath.Dir(path), "other.db")
			log, err := boltlog.Open(context.Background(), boltlog.Config{Path: other})
			if err != nil {
				return err
			}
			if err := log.Close(); err != nil {
				return err
			}
			return os.Rename(other, path)
		}, false, "another file is there now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "events.db")
			log := open(t, boltlog.Config{Path: path})
			_, err := log.Append(ctx, "s", eventlog.NoStream, event("kept"))
			require.NoError(t, err)
			// A subscriber to another stream waits for events no commit
			// will bring once the log is broken: it must hear of it.
			sub, err := log.Subscribe(ctx, "quiet", eventlog.Start)
			require.NoError(t, err)
			defer sub.Close()
			waited := make(chan error, 1)
			go func() {
				_, err := sub.Next(ctx)
				waited <- err
			}()
			if err := tc.gone(path); err != nil && runtime.GOOS == "windows" {
				t.Skipf("Windows keeps an open file in place: %v", err)
			} else {
				require.NoError(t, err)
			}

			appendNew := func() error {
				_, err := log.Append(ctx, "s", eventlog.Exact(0), event("lost"))
				return err
			}
			retry := func() error {
				_, err := log.Append(ctx, "s", eventlog.NoStream, event("kept"))
				return err
			}
			first, then := appendNew, retry
			if tc.retryFirst {
				first, then = retry, appendNew
			}
			err = first()
			var bad *boltlog.CorruptError
			require.ErrorAs(t, err, &bad, "an append the path no longer leads to is not a success")
			assert.ErrorIs(t, err, eventlog.ErrCorrupt, "what a user of any log tests")
			assert.Equal(t, path, bad.Path)
			assert.Contains(t, err.Error(), fmt.Sprintf("the file at %q is no longer the log's file", path))
			assert.Contains(t, err.Error(), tc.says)

			assert.ErrorIs(t, then(), boltlog.ErrCorrupt, "later appends fail too")
			_, err = log.Append(ctx, "t", eventlog.Any, event("later"))
			assert.ErrorIs(t, err, boltlog.ErrCorrupt)
			assert.ErrorIs(t, log.Delete(ctx, "s", eventlog.Any), boltlog.ErrCorrupt)
			select {
			case err := <-waited:
				assert.ErrorIs(t, err, boltlog.ErrCorrupt, "a waiting subscriber is told")
			case <-time.After(time.Minute): // a watchdog, not a wait
				t.Error("a subscriber waiting for events was left waiting on a broken log")
			}
			assert.NoError(t, log.Close())
		})
	}
}

// TestPathsThatNameTheFile: the check that the path still names the
// log's file (see TestFileGoneWhileOpen) must not break a log whose path
// names it in a roundabout way. A path through a symbolic link and ".."
// names the file in the parent of the link's target; read as text, with
// filepath.Abs, it named another file or none, and the first append
// failed on a working log. A relative path, the process's directory
// changed since Open, still names the file a restart in that directory
// would open, and so do links to the file and to its directory.
func TestPathsThatNameTheFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	for _, tc := range []struct {
		name string
		path func(t *testing.T, dir string) string // the path, relative to dir if not absolute
	}{
		{"a link, then ..", func(t *testing.T, dir string) string {
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "real", "sub"), 0o755))
			require.NoError(t, os.Symlink(filepath.Join(dir, "real", "sub"), filepath.Join(dir, "link")))
			return filepath.Join(dir, "link") + string(filepath.Separator) + ".." + string(filepath.Separator) + "events.db"
		}},
		{"relative, a link, then ..", func(t *testing.T, dir string) string {
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "real", "sub"), 0o755))
			require.NoError(t, os.Symlink(filepath.Join(dir, "real", "sub"), filepath.Join(dir, "link")))
			return "link" + string(filepath.Separator) + ".." + string(filepath.Separator) + "events.db"
		}},
		{"relative", func(t *testing.T, dir string) string { return "events.db" }},
		{"a linked directory", func(t *testing.T, dir string) string {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "real"), 0o755))
			require.NoError(t, os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "link")))
			return filepath.Join(dir, "link", "events.db")
		}},
		{"a link to the file", func(t *testing.T, dir string) string {
			o, err := boltlog.Open(context.Background(), boltlog.Config{Path: filepath.Join(dir, "real.db")})
			require.NoError(t, err)
			require.NoError(t, o.Close())
			require.NoError(t, os.Symlink(filepath.Join(dir, "real.db"), filepath.Join(dir, "events.db")))
			return filepath.Join(dir, "events.db")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir, err := filepath.EvalSymlinks(t.TempDir())
			require.NoError(t, err)
			t.Chdir(dir)
			log := open(t, boltlog.Config{Path: tc.path(t, dir)})
			_, err = log.Append(ctx, "s", eventlog.NoStream, event("one"))
			assert.NoError(t, err, "an append to a log whose path names its file")
			t.Chdir(t.TempDir()) // the path, if relative, names nothing from here
			_, err = log.Append(ctx, "s", eventlog.Exact(0), event("two"))
			assert.NoError(t, err, "an append after the process changed its directory")
		})
	}
}

// TestDamageUnderConcurrentUse: a fault while bbolt starts a transaction
// leaves its locks held, and the calls of other goroutines already
// waiting in bbolt waited for ever, and Close behind them (a review found
// it with eight readers and an appender). Each now stops waiting once
// the log is broken.
func TestDamageUnderConcurrentUse(t *testing.T) {
	needsFaults(t)
	for round := range 3 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.db")
			log, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
			require.NoError(t, err)
			fillBig(t, log, 10)
			var started, finished sync.WaitGroup
			work := func(call func() error) {
				started.Add(1)
				finished.Add(1)
				go func() {
					defer finished.Done()
					first := true
					for {
						err := call()
						if first {
							started.Done()
							first = false
						}
						if errors.Is(err, boltlog.ErrCorrupt) {
							return
						}
					}
				}()
			}
			for range 8 {
				work(func() error {
					_, err := log.Read(context.Background(), "big", 0, eventlog.Forwards, 1)
					return err
				})
			}
			work(func() error {
				_, err := log.Append(context.Background(), "big", eventlog.Any, event(fmt.Sprint("more ", time.Now().UnixNano())))
				return err
			})
			started.Wait() // every worker is calling the log
			require.NoError(t, os.Truncate(path, 0))

			done := make(chan struct{})
			go func() {
				finished.Wait()
				assert.NoError(t, log.Close())
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(time.Minute): // a bound on a hang, not a wait for an event
				t.Fatal("the log's callers, or Close, hung after the damage")
			}
		})
	}
}

// fillBig appends batches batches of 50 events to stream "big": pages
// enough that cutting the file short loses some.
func fillBig(t *testing.T, log *boltlog.Log, batches int) {
	t.Helper()
	for i := range batches {
		_, err := log.Append(context.Background(), "big", eventlog.Any, numbered(fmt.Sprint("batch ", i), 50)...)
		require.NoError(t, err)
	}
}

// needsFaults skips a test that counts on a read past the end of a
// mapped file faulting (SIGBUS), as it does on Linux.
func needsFaults(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("a read past the end of a mapped file faults (SIGBUS) as this test expects on Linux")
	}
}
