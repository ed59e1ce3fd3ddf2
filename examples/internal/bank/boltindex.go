package bank

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/boltcheck"
)

// boltIndex is an indexStore in one bbolt file, so that the bank's
// memory does not grow with the chain's history. Its buckets:
//
//	meta     "format" → "eventchain-bank-index/2"
//	         "last"   → height(8) ‖ hash(32) ‖ revision(8) of the newest block indexed
//	         "seq"    → the sequence number of the next transaction(8)
//	         "genesis" → the hash(32) of the genesis block of the chain indexed
//	txs      ID(16) → height(8) ‖ index(4) ‖ hash(32) ‖ from(20) ‖ to(20) ‖ amount(8) ‖ fee(8) ‖ nonce(8) ‖ seq(8)
//	history  address(20) ‖ seq(8) → ID(16): an account's transactions in chain order
//	blocks   height(8) → revision(8) ‖ hash(32): where the block's BlockMined event is in the blocks stream
//	dropped  ID(16) → the TransactionDropped, as JSON
//
// Numbers are big-endian, so that keys sort as numbers: an account's
// history, newest first, is a reverse cursor over its address prefix.
// Every value but the format's ends with a CRC-32C (Castagnoli) of the
// bucket's name, a zero byte, the key and the value (sealed): bbolt keeps
// no checksum of its own, and a byte changed in a value would otherwise
// answer a wrong height or hash without a word. Opening the file checks
// every value's, and every read checks the values it reads.
// Each block is one write transaction. The file is derived data (the
// log holds everything in it), so it is written with bbolt's NoSync: a
// crash may lose the newest blocks' entries, which the next start
// indexes again from the chain the node restores (blocks already indexed
// with the same hash are skipped). It is safe for concurrent use.
type boltIndex struct {
	db     *bolt.DB
	path   string
	broken atomic.Pointer[error] // set at the first panic or fault in bbolt: see guard
	failed chan struct{}         // closed when broken is set
}

// failedCh returns a channel closed when the index breaks (see guard).
func (ix *boltIndex) failedCh() <-chan struct{} { return ix.failed }

// failure returns the error the index broke with, nil if it has not.
func (ix *boltIndex) failure() error {
	if broken := ix.broken.Load(); broken != nil {
		return *broken
	}
	return nil
}

var _ indexStore = (*boltIndex)(nil)

var (
	bucketMeta    = []byte("meta")
	bucketTxs     = []byte("txs")
	bucketHistory = []byte("history")
	bucketBlocks  = []byte("blocks")
	bucketDropped = []byte("dropped")
	keyFormat     = []byte("format")
	keyLast       = []byte("last")
	keySeq        = []byte("seq")
	keyGenesis    = []byte("genesis")
)

// indexFormat marks a file as a bank's ledger index, of this layout.
// olderFormats are those of earlier banks, without the checksums: this
// bank empties such an index and builds it again from the log.
const indexFormat = "eventchain-bank-index/2"

var olderFormats = []string{"eventchain-bank-index/1"}

const txValueLen = 8 + 4 + 32 + 20 + 20 + 8 + 8 + 8 + 8 // unsealed

// sealLen is what seal adds to a value: its CRC-32C.
const sealLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// seal returns v with the CRC-32C of bucket, a zero byte, key and v
// appended.
func seal(bucket, key, v []byte) []byte {
	out := make([]byte, len(v), len(v)+sealLen)
	copy(out, v)
	return binary.BigEndian.AppendUint32(out, sealSum(bucket, key, v))
}

// unseal returns the value sealed in v, or an error wrapping
// ErrIndexCorrupt if its checksum is not that of bucket, key and value.
func unseal(bucket, key, v []byte) ([]byte, error) {
	if len(v) < sealLen {
		return nil, fmt.Errorf("%w: %s %x: a value of %d bytes, too short for its checksum", ErrIndexCorrupt, bucket, key, len(v))
	}
	body := v[:len(v)-sealLen]
	if have, want := binary.BigEndian.Uint32(v[len(body):]), sealSum(bucket, key, body); have != want {
		return nil, fmt.Errorf("%w: %s %x: checksum %08x, want %08x: the value was changed", ErrIndexCorrupt, bucket, key, have, want)
	}
	return body, nil
}

func sealSum(bucket, key, v []byte) uint32 {
	h := crc32.New(castagnoli)
	h.Write(bucket)
	h.Write([]byte{0})
	h.Write(key)
	h.Write(v)
	return h.Sum32()
}

// get returns the value at key in bucket name of tx, unsealed; nil if
// there is none.
func get(tx *bolt.Tx, name, key []byte) ([]byte, error) {
	v := tx.Bucket(name).Get(key)
	if v == nil {
		return nil, nil
	}
	return unseal(name, key, v)
}

// put seals v and puts it at key in bucket name of tx.
func put(tx *bolt.Tx, name, key, v []byte) error {
	return tx.Bucket(name).Put(key, seal(name, key, v))
}

// indexLockTimeout bounds how long opening waits for another process
// that has the file open.
const indexLockTimeout = time.Second

// ErrIndexLocked: another process (or another bank of this process) has
// the ledger index file open. bbolt locks the file for as long as it is
// open; two banks writing one index would ruin it.
var ErrIndexLocked = errors.New("ledger index file is in use by another process")

// ErrIndexCorrupt: the ledger index file is not an intact index of this
// bank: truncated, damaged, or a bbolt file of something else (an event
// log, say). The index is derived from the log, so the remedy for a
// damaged one is to delete the file: the next start rebuilds it. The
// bank does not delete it itself, since a wrong -index flag may name a
// file that matters, and the error says which it found.
var ErrIndexCorrupt = errors.New("file is not an intact ledger index")

// Remedies the errors of openBoltIndex end with.
const (
	remedyDamaged = "delete it: the next start rebuilds it from the event log"
	remedyForeign = "is it the right file for the ledger index? (the bank leaves it as it is)"
	remedyUnknown = "if it is the bank's ledger index, delete it: the next start rebuilds it from the event log; if it is another file, the bank was given the wrong path for its index (it leaves the file as it is)"
)

// openBoltIndex opens the index at path, creating it if it does not
// exist. A file another process holds gives ErrIndexLocked after
// indexLockTimeout; a damaged or foreign one gives ErrIndexCorrupt,
// never a panic.
func openBoltIndex(path string) (ix *boltIndex, err error) {
	st, statErr := os.Stat(path)
	if statErr == nil && st.Size() > 0 && st.Size() < 4096 {
		return nil, fmt.Errorf("bank: %q: %w: truncated: %d bytes; %s", path, ErrIndexCorrupt, st.Size(), remedyDamaged)
	}
	defer func() {
		if p := recover(); p != nil { // bbolt panics, or faults, on some damage
			why := fmt.Sprint(p)
			if _, runtimeErr := p.(runtime.Error); runtimeErr {
				why = "its pages are damaged" // a nil pointer or a fault deep in bbolt says nothing more to a reader
			}
			ix, err = nil, fmt.Errorf("bank: %q: %w: bbolt cannot read it: %s; %s", path, ErrIndexCorrupt, why, remedyDamaged)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	if statErr == nil && st.Size() > 0 {
		if err := checkIndexPages(path); err != nil {
			return nil, err
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: indexLockTimeout, NoSync: true, NoFreelistSync: true})
	if err != nil {
		return nil, indexOpenError(path, err)
	}
	ix = &boltIndex{db: db, path: path, failed: make(chan struct{})}
	if err := ix.init(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return ix, nil
}

// indexOpenError says why bbolt could not open the index at path.
func indexOpenError(path string, err error) error {
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return fmt.Errorf("bank: open %q: %w (gave up after waiting %v)", path, ErrIndexLocked, indexLockTimeout)
	case errors.As(err, &pathErr):
		return fmt.Errorf("bank: open ledger index %q: %w", path, err)
	}
	return fmt.Errorf("bank: %q: %w: %v; %s", path, ErrIndexCorrupt, err, remedyUnknown) // bbolt could not even open it: any file
}

// CheckIndexFile reports, before anything else is opened, what [New]
// would refuse in the ledger index file at path: a directory or another
// kind of file that is no regular one; a file that is no bbolt file or
// whose pages are damaged (ErrIndexCorrupt); one another bank holds
// (ErrIndexLocked); or, if there is none yet, a directory in which it
// cannot be made. It changes nothing. The bank app calls it before it
// opens its event log, so that a wrong -index leaves nothing written
// (a chain spec declared in an empty log). New checks more as it opens
// the file (its format, every record's checksum), and may still refuse
// it.
func CheckIndexFile(path string) (err error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// It will be made: the directory must take a file.
		f, err := os.CreateTemp(filepath.Dir(path), ".index-check-*")
		if err != nil {
			return fmt.Errorf("bank: cannot make the ledger index %q: %w", path, err)
		}
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil
	case err != nil:
		return fmt.Errorf("bank: ledger index %q: %w", path, err)
	case st.IsDir():
		return fmt.Errorf("bank: %q is a directory: the ledger index is a file, as %s", path, filepath.Join(path, "index.db"))
	case !st.Mode().IsRegular():
		return fmt.Errorf("bank: %q is not a regular file (%v): the ledger index is one", path, st.Mode().Type())
	case st.Size() == 0:
		return nil // an empty file: New makes the index in it
	case st.Size() < 4096:
		return fmt.Errorf("bank: %q: %w: %d bytes, less than a bbolt file's first page; %s", path, ErrIndexCorrupt, st.Size(), remedyUnknown)
	}
	defer func() {
		if p := recover(); p != nil { // as in openBoltIndex: bbolt panics, or faults, on some damage
			err = fmt.Errorf("bank: %q: %w: bbolt cannot read it: %v; %s", path, ErrIndexCorrupt, p, remedyUnknown)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return checkIndexPages(path)
}

// IndexedChain reports which chain the ledger index file at path indexes,
// and how far: the genesis hash it names and the height of the last block
// it holds. ok is false for a file that does not exist, is empty, or
// holds no block. The bank app asks before it joins its event log, so
// that it never declares its chain's spec, afresh, in a log that lost the
// blocks its index holds (the index would then refuse the log, with
// ErrLogLostBlocks, too late: the spec written, a chain begun again).
// Its errors are those of New opening the file.
func IndexedChain(path string) (genesis blockchain.Hash, height uint64, ok bool, err error) {
	if st, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || (err == nil && st.Size() == 0) {
		return blockchain.Hash{}, 0, false, nil
	}
	ix, err := openBoltIndex(path)
	if err != nil {
		return blockchain.Hash{}, 0, false, err
	}
	defer func() { _ = ix.close() }()
	g, named, err := ix.genesis()
	if err != nil || !named {
		return blockchain.Hash{}, 0, false, err
	}
	last, held, err := ix.last()
	if err != nil || !held || last.height == 0 {
		return blockchain.Hash{}, 0, false, err
	}
	return g, last.height, true, nil
}

// checkIndexPages checks the pages of the index at path with plain reads
// (boltcheck), holding bbolt's shared lock so that no other bank writes
// it meanwhile, before bbolt opens it to write. The index keeps no
// free-page list, so bbolt's open walks every page to find the free
// ones, and panics, in a goroutine of its own that no recover reaches,
// at a page out of order: that must not be a damaged file's end.
func checkIndexPages(path string) error {
	ro, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: indexLockTimeout, ReadOnly: true})
	if err != nil {
		return indexOpenError(path, err)
	}
	defer ro.Close()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bank: open ledger index %q: %w", path, err)
	}
	defer f.Close()
	s := boltcheck.Inspect(f, f.Stat)
	if s.ReadFailed != nil {
		return fmt.Errorf("bank: read ledger index %q: %w", path, s.ReadFailed)
	}
	// Both meta pages, as boltlog does: boltcheck would follow the valid
	// one, and bbolt may take the other (it does not read the page
	// header's flags), and walk a tree nobody checked.
	for i, err := range s.MetaErrs {
		if err != nil {
			return fmt.Errorf("bank: %q: %w: meta page %d: %v; %s", path, ErrIndexCorrupt, i, err, remedyUnknown)
		}
	}
	// Damaged pages say nothing of what the file was: it may be another
	// file that matters, named by a wrong -index.
	if err := boltcheck.CheckPages(f, s); err != nil {
		return fmt.Errorf("bank: %q: %w: %v; %s", path, ErrIndexCorrupt, err, remedyUnknown)
	}
	// The pages hold: it is a bbolt file. Whose, its buckets say.
	return ro.View(func(tx *bolt.Tx) error { return foreignFormat(tx, path) })
}

// foreignFormat returns ErrIndexCorrupt for a bbolt file that is no
// ledger index this bank reads: one of something else (an event log,
// say), or of a format it does not know. An empty file, or one of an
// earlier bank's format, which init empties and builds again, is not.
func foreignFormat(tx *bolt.Tx, path string) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		if tx.Bucket(bucketTxs) == nil && bucketCount(tx) > 0 {
			return fmt.Errorf("bank: %q: %w: a bbolt file of something else, an event log perhaps; %s", path, ErrIndexCorrupt, remedyForeign)
		}
		return nil
	}
	if f := meta.Get(keyFormat); string(f) != indexFormat && !slices.Contains(olderFormats, string(f)) {
		return fmt.Errorf("bank: %q: %w: format %q, want %q; %s", path, ErrIndexCorrupt, f, indexFormat, remedyForeign)
	}
	return nil
}

// init creates the buckets of a new file, and checks those of an old
// one: its format, and that its pages read.
func (ix *boltIndex) init() error {
	err := ix.update(func(tx *bolt.Tx) error {
		if err := foreignFormat(tx, ix.path); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			var err error
			if meta, err = tx.CreateBucket(bucketMeta); err != nil {
				return err
			}
			if err := meta.Put(keyFormat, []byte(indexFormat)); err != nil {
				return err
			}
		}
		f := meta.Get(keyFormat)
		if slices.Contains(olderFormats, string(f)) {
			// An earlier bank's index, without checksums: emptied, and
			// built again from the log, as a new one is.
			if err := emptyIndex(tx); err != nil {
				return err
			}
			if err := meta.Put(keyFormat, []byte(indexFormat)); err != nil {
				return err
			}
			f = []byte(indexFormat)
		}
		if string(f) != indexFormat {
			return fmt.Errorf("bank: %q: %w: format %q, want %q; %s", ix.path, ErrIndexCorrupt, f, indexFormat, remedyForeign)
		}
		for _, name := range [][]byte{bucketTxs, bucketHistory, bucketBlocks, bucketDropped} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Read every page once, as a cheap check: a file cut short or
	// scribbled on fails here rather than in the middle of a request.
	return ix.view(func(tx *bolt.Tx) error {
		if st, err := os.Stat(ix.path); err == nil && st.Size() < tx.Size() {
			return fmt.Errorf("bank: %q: %w: truncated: %d bytes, want at least %d; %s", ix.path, ErrIndexCorrupt, st.Size(), tx.Size(), remedyDamaged)
		}
		var first error
		for err := range tx.Check() { // to its end: Check's goroutine reads tx until it closes the channel
			if first == nil {
				first = err
			}
		}
		if first != nil {
			return fmt.Errorf("bank: %q: %w: %v; %s", ix.path, ErrIndexCorrupt, first, remedyDamaged)
		}
		// Every value's checksum, and the meta records' lengths.
		for _, name := range [][]byte{bucketTxs, bucketHistory, bucketBlocks, bucketDropped, bucketMeta} {
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				if bytes.Equal(name, bucketMeta) && bytes.Equal(k, keyFormat) {
					return nil
				}
				_, err := unseal(name, k, v)
				return err
			})
			if err != nil {
				return fmt.Errorf("bank: %q: %w; %s", ix.path, err, remedyDamaged)
			}
		}
		if _, _, err := ix.lastIn(tx); err != nil {
			return fmt.Errorf("bank: %q: %w; %s", ix.path, err, remedyDamaged)
		}
		if _, err := readSeq(tx); err != nil {
			return fmt.Errorf("bank: %q: %w; %s", ix.path, err, remedyDamaged)
		}
		return nil
	})
}

// emptyIndex deletes every bucket but the meta bucket, and the meta keys
// of the newest block and the sequence, and makes the buckets again.
func emptyIndex(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	for _, key := range [][]byte{keyLast, keySeq, keyGenesis} {
		if err := meta.Delete(key); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{bucketTxs, bucketHistory, bucketBlocks, bucketDropped} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return err
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	return nil
}

func bucketCount(tx *bolt.Tx) int {
	n := 0
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { n++; return nil })
	return n
}

func (ix *boltIndex) addBlock(blk *blockchain.Block, rev eventlog.Revision) error {
	return ix.update(func(tx *bolt.Tx) error {
		var want uint64 = 1
		last, err := get(tx, bucketMeta, keyLast)
		if err != nil {
			return err
		}
		if len(last) >= 8 {
			want = binary.BigEndian.Uint64(last) + 1
		}
		if blk.Height() != want {
			return fmt.Errorf("block %d out of order: want %d", blk.Height(), want)
		}
		seq, err := readSeq(tx)
		if err != nil {
			return err
		}
		txs := tx.Bucket(bucketTxs)
		for i := range blk.Len() {
			t := blk.Transaction(i)
			id := t.ID()
			if txs.Get(id[:]) != nil { // impossible on a valid chain: the nonce refuses a replay
				continue
			}
			if err := put(tx, bucketTxs, id[:], encodeTx(recordOf(t, blk.Height(), i, seq))); err != nil {
				return err
			}
			for _, a := range []blockchain.Address{t.From(), t.To()} {
				if err := put(tx, bucketHistory, historyKey(a, seq), id[:]); err != nil {
					return err
				}
			}
			seq++
		}
		hash := blk.Hash()
		if err := put(tx, bucketBlocks, be64(blk.Height()), append(be64(uint64(rev)), hash[:]...)); err != nil {
			return err
		}
		if err := put(tx, bucketMeta, keySeq, be64(seq)); err != nil {
			return err
		}
		return put(tx, bucketMeta, keyLast, append(append(be64(blk.Height()), hash[:]...), be64(uint64(rev))...))
	})
}

func (ix *boltIndex) genesis() (h blockchain.Hash, ok bool, err error) {
	err = ix.view(func(tx *bolt.Tx) error {
		v, err := get(tx, bucketMeta, keyGenesis)
		switch {
		case err != nil || v == nil:
			return err
		case len(v) != len(h):
			return fmt.Errorf("%w: genesis record of %d bytes", ErrIndexCorrupt, len(v))
		}
		h, ok = blockchain.Hash(v), true
		return nil
	})
	return h, ok, err
}

func (ix *boltIndex) setGenesis(h blockchain.Hash) error {
	return ix.update(func(tx *bolt.Tx) error { return put(tx, bucketMeta, keyGenesis, h[:]) })
}

func (ix *boltIndex) last() (ref blockRef, ok bool, err error) {
	err = ix.view(func(tx *bolt.Tx) error {
		ref, ok, err = ix.lastIn(tx)
		return err
	})
	return ref, ok, err
}

// lastIn is last, in tx.
func (ix *boltIndex) lastIn(tx *bolt.Tx) (ref blockRef, ok bool, err error) {
	v, err := get(tx, bucketMeta, keyLast)
	if err != nil || v == nil {
		return ref, false, err
	}
	if len(v) != 48 {
		return ref, false, fmt.Errorf("%w: last block record of %d bytes", ErrIndexCorrupt, len(v))
	}
	ref.height = binary.BigEndian.Uint64(v)
	copy(ref.hash[:], v[8:40])
	ref.rev = eventlog.Revision(binary.BigEndian.Uint64(v[40:]))
	return ref, true, nil
}

func (ix *boltIndex) block(height uint64) (ref blockRef, ok bool, err error) {
	err = ix.view(func(tx *bolt.Tx) error {
		v, err := get(tx, bucketBlocks, be64(height))
		if err != nil || v == nil {
			return err
		}
		if len(v) != 40 {
			return fmt.Errorf("%w: block %d record of %d bytes", ErrIndexCorrupt, height, len(v))
		}
		ok = true
		ref = blockRef{height: height, rev: eventlog.Revision(binary.BigEndian.Uint64(v))}
		copy(ref.hash[:], v[8:])
		return nil
	})
	return ref, ok, err
}

func (ix *boltIndex) tx(id uuid.UUID) (rec txRecord, ok bool, err error) {
	err = ix.view(func(tx *bolt.Tx) error {
		v, err := get(tx, bucketTxs, id[:])
		if err != nil || v == nil {
			return err
		}
		var derr error
		rec, derr = decodeTx(id, v)
		ok = derr == nil
		return derr
	})
	return rec, ok, err
}

func (ix *boltIndex) history(a blockchain.Address, before uint64, limit int) (recs []txRecord, more bool, err error) {
	err = ix.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		var k, v []byte
		if k, _ = c.Seek(historyKey(a, before)); k == nil { // the first entry at or after the cursor…
			k, v = c.Last()
		} else {
			k, v = c.Prev() // …so the newest before it is one back
		}
		for ; k != nil && bytes.HasPrefix(k, a[:]); k, v = c.Prev() {
			if len(recs) == limit {
				more = true
				return nil
			}
			v, err := unseal(bucketHistory, k, v)
			if err != nil {
				return err
			}
			id, err := uuid.FromBytes(v)
			if err != nil {
				return fmt.Errorf("%w: history entry: %v", ErrIndexCorrupt, err)
			}
			t, err := get(tx, bucketTxs, id[:])
			if err != nil {
				return err
			}
			rec, err := decodeTx(id, t)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		return nil
	})
	return recs, more, err
}

func (ix *boltIndex) nextSeq() (seq uint64, err error) {
	err = ix.view(func(tx *bolt.Tx) error {
		seq, err = readSeq(tx)
		return err
	})
	return seq, err
}

// readSeq returns the sequence number the next transaction gets.
func readSeq(tx *bolt.Tx) (uint64, error) {
	v, err := get(tx, bucketMeta, keySeq)
	switch {
	case err != nil:
		return 0, err
	case v == nil:
		return 1, nil
	case len(v) != 8:
		return 0, fmt.Errorf("%w: sequence record of %d bytes", ErrIndexCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// droppedValue is how the dropped bucket keeps a TransactionDropped.
type droppedValue struct {
	Rule     string `json:"rule"`
	Reason   string `json:"reason"`
	Attempts int    `json:"attempts,omitempty"`
}

func (ix *boltIndex) putDropped(d events.TransactionDropped) error {
	v, err := json.Marshal(droppedValue{Rule: d.Rule.String(), Reason: d.Reason, Attempts: d.Attempts})
	if err != nil {
		return err
	}
	return ix.update(func(tx *bolt.Tx) error { return put(tx, bucketDropped, d.TxID[:], v) })
}

func (ix *boltIndex) dropped(id uuid.UUID) (d events.TransactionDropped, ok bool, err error) {
	err = ix.view(func(tx *bolt.Tx) error {
		v, err := get(tx, bucketDropped, id[:])
		if err != nil || v == nil {
			return err
		}
		var dv droppedValue
		if err := json.Unmarshal(v, &dv); err != nil {
			return fmt.Errorf("%w: dropped entry: %v", ErrIndexCorrupt, err)
		}
		rule, _ := blockchain.ParseErrorCode(dv.Rule)
		d, ok = events.TransactionDropped{TxID: id, Rule: rule, Reason: dv.Reason, Attempts: dv.Attempts}, true
		return nil
	})
	return d, ok, err
}

// reset deletes every bucket but the format's, and the meta keys of the
// newest block and the sequence, and makes the buckets again: one
// transaction, so a crash leaves the index as it was or empty.
func (ix *boltIndex) reset() error { return ix.update(emptyIndex) }

// close closes the file. A broken index's is closed in the background,
// and not waited for: a panic may have left one of bbolt's locks held.
func (ix *boltIndex) close() error {
	if ix.broken.Load() != nil {
		go func() {
			defer func() { _ = recover() }()
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			_ = ix.db.Close()
		}()
		return nil
	}
	return ix.db.Close()
}

// view runs fn in a read transaction, under guard.
func (ix *boltIndex) view(fn func(*bolt.Tx) error) error {
	return ix.guard(func() error { return ix.db.View(fn) })
}

// update runs fn in a write transaction, under guard.
func (ix *boltIndex) update(fn func(*bolt.Tx) error) error {
	return ix.guard(func() error { return ix.db.Update(fn) })
}

// guard runs fn, a bbolt transaction, and turns a panic in it into an
// error wrapping ErrIndexCorrupt. openBoltIndex checked every page, but a
// file cut short or overwritten while the bank runs (by hand, by another
// program) makes a read of its missing pages fault, which would end the
// process with SIGBUS, and bbolt panics on pages that are not what they
// should be. With debug.SetPanicOnFault a fault panics instead. After the
// first panic the index is broken: every call returns the same error and
// bbolt is called no more, and the index's failure is signalled at once
// (Run returns the error); devnet's next start moves the damaged file
// aside and builds the index again from the log, the bank app's says to
// delete it.
func (ix *boltIndex) guard(fn func() error) (err error) {
	if broken := ix.broken.Load(); broken != nil {
		return *broken
	}
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		why := fmt.Sprint(p)
		if _, runtimeErr := p.(runtime.Error); runtimeErr {
			why = "its pages are damaged (cut short or overwritten while open?)"
		}
		err = fmt.Errorf("bank: %q: %w: bbolt cannot read it: %s; %s", ix.path, ErrIndexCorrupt, why, remedyDamaged)
		if ix.broken.CompareAndSwap(nil, &err) {
			close(ix.failed)
		} else {
			err = *ix.broken.Load()
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return fn()
}

func be64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// historyKey is a's history key for the transaction numbered seq.
func historyKey(a blockchain.Address, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{}, a[:]...), seq)
}

func encodeTx(r txRecord) []byte {
	v := make([]byte, 0, txValueLen)
	v = binary.BigEndian.AppendUint64(v, r.height)
	v = binary.BigEndian.AppendUint32(v, r.index)
	v = append(v, r.hash[:]...)
	v = append(v, r.from[:]...)
	v = append(v, r.to[:]...)
	v = binary.BigEndian.AppendUint64(v, uint64(r.amount))
	v = binary.BigEndian.AppendUint64(v, uint64(r.fee))
	v = binary.BigEndian.AppendUint64(v, r.nonce)
	return binary.BigEndian.AppendUint64(v, r.seq)
}

func decodeTx(id uuid.UUID, v []byte) (txRecord, error) {
	if len(v) != txValueLen {
		return txRecord{}, fmt.Errorf("%w: transaction %s record of %d bytes, want %d", ErrIndexCorrupt, id, len(v), txValueLen)
	}
	r := txRecord{id: id}
	r.height = binary.BigEndian.Uint64(v)
	r.index = binary.BigEndian.Uint32(v[8:])
	copy(r.hash[:], v[12:44])
	copy(r.from[:], v[44:64])
	copy(r.to[:], v[64:84])
	r.amount = int64(binary.BigEndian.Uint64(v[84:]))
	r.fee = int64(binary.BigEndian.Uint64(v[92:]))
	r.nonce = binary.BigEndian.Uint64(v[100:])
	r.seq = binary.BigEndian.Uint64(v[108:])
	if r.amount < 0 || r.fee < 0 {
		return txRecord{}, fmt.Errorf("%w: transaction %s: negative amount or fee", ErrIndexCorrupt, id)
	}
	return r, nil
}
