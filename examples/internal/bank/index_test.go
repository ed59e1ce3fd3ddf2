package bank_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

// indexNames are the accounts the generated transfers go between.
var indexNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "mallory"}

// appendBlocks generates blocks of txsPerBlock transfers each, in a
// ring of indexNames, on top of the blocks already in log, and appends
// them to its blocks stream as a miner would. It returns the blocks.
func appendBlocks(tb testing.TB, log eventlog.Log, blocks, txsPerBlock int, before []*blockchain.Block) []*blockchain.Block {
	tb.Helper()
	ctx := context.Background()
	engine := consensustest.NewFaker()
	chain := consensustest.NewChain(engine)
	for _, b := range before {
		require.NoError(tb, chain.Apply(b))
	}
	out, err := consensustest.GenerateChain(ctx, engine, chain, blocks, func(i int, g *consensustest.BlockGen) {
		for j := range txsPerBlock {
			g.AddTransfer(indexNames[j%len(indexNames)], indexNames[(j+1)%len(indexNames)], 1)
		}
	})
	require.NoError(tb, err)
	for _, b := range out {
		e, err := events.Encode(events.BlockMined{Block: b, MinerID: "test"})
		require.NoError(tb, err)
		_, err = log.Append(ctx, node.StreamBlocks, eventlog.Any, e)
		require.NoError(tb, err)
	}
	return out
}

// liveBank is a node and a bank on a log, restored, following and
// running, as the bank's app runs them.
type liveBank struct {
	node   *node.Node
	bank   *bank.Bank
	server *httptest.Server
	cancel context.CancelFunc
	done   chan error    // Run's error
	ran    chan struct{} // closed once Run has returned
}

// startBank restores a node with window on log and runs a bank on it
// with its index at path ("" in memory).
func startBank(tb testing.TB, log eventlog.Log, path string, window int) *liveBank {
	tb.Helper()
	return startBankWith(tb, log, path, window, node.RestoreVerify)
}

// startBankWith is startBank restoring the node in mode.
func startBankWith(tb testing.TB, log eventlog.Log, path string, window int, mode node.RestoreMode) *liveBank {
	tb.Helper()
	return startBankOf(tb, consensustest.Spec(), log, path, window, mode)
}

// startBankOf is startBankWith for the chain of spec.
func startBankOf(tb testing.TB, spec blockchain.ChainSpec, log eventlog.Log, path string, window int, mode node.RestoreMode) *liveBank {
	tb.Helper()
	_, err := node.LoadSpec(context.Background(), log, &spec)
	require.NoError(tb, err)
	n, err := node.New(node.Config{Log: log, Spec: spec, Engine: consensustest.NewFaker(), Window: window, Now: func() time.Time { return fixedNow }})
	require.NoError(tb, err)
	b, err := bank.New(bank.Config{Node: n, Log: log, IndexPath: path})
	require.NoError(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(tb, n.Restore(ctx, mode))
	b.SetReady(true)
	lb := &liveBank{node: n, bank: b, server: httptest.NewServer(b), cancel: cancel, done: make(chan error, 1), ran: make(chan struct{})}
	go func() {
		err := b.Run(ctx)
		close(lb.ran)
		lb.done <- err
	}()
	return lb
}

// stop stops the bank and closes its index; it returns Run's error,
// nil if Run ended only because it was stopped.
func (lb *liveBank) stop() error {
	lb.server.Close()
	lb.cancel()
	err := <-lb.done
	if cerr := lb.bank.Close(); cerr != nil {
		return cerr
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// TestIndexOnDiskAcrossRestarts runs a bank on an index file, stops it,
// and starts another on the same file and the same log, with a node
// that keeps only two blocks: statuses, histories and old blocks still
// answer, and a second pass over the chain adds no entry twice.
func TestIndexOnDiskAcrossRestarts(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	path := filepath.Join(t.TempDir(), "index.db")
	blocks := appendBlocks(t, log, 5, 7, nil) // 35 transfers; each account sends 5 and receives 5

	first := startBank(t, log, path, 2)
	firstHistory := getFrom[bank.History](t, first.server, "/accounts/"+consensustest.Addr("alice").String()+"/transactions?limit=100")
	require.NoError(t, first.stop())

	more := appendBlocks(t, log, 1, 7, blocks)
	second := startBank(t, log, path, 2)
	t.Cleanup(func() { assert.NoError(t, second.stop()) })
	srv := second.server

	history := getFrom[bank.History](t, srv, "/accounts/"+consensustest.Addr("alice").String()+"/transactions?limit=100")
	require.Len(t, firstHistory.Transactions, 10)
	require.Len(t, history.Transactions, 12, "no double entries after the restart; block 6 indexed once")
	assert.Equal(t, firstHistory.Transactions, history.Transactions[2:], "the older entries unchanged")
	seen := map[string]bool{}
	for _, e := range history.Transactions {
		assert.False(t, seen[e.ID.String()], "%s listed twice", e.ID)
		seen[e.ID.String()] = true
	}

	for _, b := range append(blocks, more...) {
		for i := range b.Len() {
			id := b.Transaction(i).ID()
			st := getFrom[bank.TransactionStatus](t, srv, "/transactions/"+id.String())
			assert.Equal(t, bank.StatusIncluded, st.Status)
			require.NotNil(t, st.Height)
			assert.Equal(t, b.Height(), *st.Height)
		}
		_, held := second.node.Chain().BlockAt(b.Height())
		got := getFrom[*blockchain.Block](t, srv, fmt.Sprintf("/blocks/%d", b.Height()))
		assert.Equal(t, b.Hash(), got.Hash(), "block %d (in the window: %v)", b.Height(), held)
		proof := getFrom[bank.TransactionProof](t, srv, "/transactions/"+b.Transaction(0).ID().String()+"/proof")
		assert.Equal(t, b.Hash(), proof.Header.Hash())
	}
	_, held := second.node.Chain().BlockAt(1)
	assert.False(t, held, "block 1 was read through the log")
}

// TestHistoryPages pages through an account's history on disk with the
// next cursor: every transaction once, newest first.
func TestHistoryPages(t *testing.T) {
	for _, tc := range []struct{ name, index string }{
		{"in memory", ""},
		{"on disk", filepath.Join(t.TempDir(), "index.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			appendBlocks(t, log, 4, 7, nil)
			lb := startBank(t, log, tc.index, 0)
			t.Cleanup(func() { assert.NoError(t, lb.stop()) })
			path := "/accounts/" + consensustest.Addr("bob").String() + "/transactions"
			all := getFrom[bank.History](t, lb.server, path+"?limit=100")
			require.Len(t, all.Transactions, 8)
			var paged []bank.HistoryEntry
			query := "?limit=3"
			for {
				page := getFrom[bank.History](t, lb.server, path+query)
				paged = append(paged, page.Transactions...)
				if page.Next == "" {
					break
				}
				query = "?limit=3&before=" + page.Next
			}
			assert.Equal(t, all.Transactions, paged)
			for i := 1; i < len(all.Transactions); i++ {
				assert.GreaterOrEqual(t, all.Transactions[i-1].Height, all.Transactions[i].Height, "newest first")
			}
		})
	}
}

// TestIndexedChain: what the bank app asks of its index file before it
// joins its log: the chain it indexes and its last block, or nothing for
// a file that is not there, is empty, or holds no block.
func TestIndexedChain(t *testing.T) {
	dir := t.TempDir()
	indexed := filepath.Join(dir, "index.db")
	{
		log := memlog.New(memlog.Config{})
		appendBlocks(t, log, 3, 1, nil)
		require.NoError(t, startBank(t, log, indexed, 0).stop())
		require.NoError(t, log.Close())
	}
	noBlock := filepath.Join(dir, "noblock.db")
	{
		log := memlog.New(memlog.Config{})
		require.NoError(t, startBank(t, log, noBlock, 0).stop())
		require.NoError(t, log.Close())
	}
	empty := filepath.Join(dir, "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	junk := filepath.Join(dir, "junk.db")
	require.NoError(t, os.WriteFile(junk, bytes.Repeat([]byte("junk"), 2048), 0o600))

	genesis, height, ok, err := bank.IndexedChain(indexed)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, consensustest.Genesis().Hash(), genesis)
	assert.Equal(t, uint64(3), height)
	for _, path := range []string{filepath.Join(dir, "none.db"), empty, noBlock} {
		_, _, ok, err := bank.IndexedChain(path)
		assert.NoError(t, err, path)
		assert.False(t, ok, path)
	}
	_, _, _, err = bank.IndexedChain(junk)
	assert.ErrorIs(t, err, bank.ErrIndexCorrupt)
}

// TestIndexFileRefused: a bank refuses, at New, an index file that is
// not an intact index — naming the file and saying to delete it. An
// intact index of another chain, or of a longer one (its log was
// replaced), it builds again from the log: it answers for the chain in
// the log, never for the one before.
func TestIndexFileRefused(t *testing.T) {
	dir := t.TempDir()
	eventsFile := filepath.Join(dir, "events.db")
	other, err := boltlog.Open(context.Background(), boltlog.Config{Path: eventsFile})
	require.NoError(t, err)
	require.NoError(t, other.Close())
	good := filepath.Join(dir, "good.db")
	var firstTx blockchain.Transaction
	{
		log := memlog.New(memlog.Config{})
		firstTx = appendBlocks(t, log, 2, 3, nil)[0].Transaction(0)
		require.NoError(t, startBank(t, log, good, 0).stop())
		require.NoError(t, log.Close())
	}
	content, err := os.ReadFile(good)
	require.NoError(t, err)
	// An index whose transactions fill pages of their own (a small
	// bucket lives inline in its parent's page), then its greatest
	// transaction ID written as the least: the key stays last on its
	// page, out of order. bbolt's open, which walks every page of an
	// index to find the free ones, panicked at it in a goroutine of its
	// own, ending the process.
	disordered := func() []byte {
		path := filepath.Join(t.TempDir(), "big.db")
		log := memlog.New(memlog.Config{})
		defer log.Close()
		blocks := appendBlocks(t, log, 4, 10, nil)
		require.NoError(t, startBank(t, log, path, 0).stop())
		var greatest uuid.UUID
		for _, b := range blocks {
			for i := range b.Len() {
				if id := b.Transaction(i).ID(); bytes.Compare(id[:], greatest[:]) > 0 {
					greatest = id
				}
			}
		}
		file, err := os.ReadFile(path)
		require.NoError(t, err)
		// A key of txs, values of history, and old copies in free pages.
		require.GreaterOrEqual(t, bytes.Count(file, greatest[:]), 3, "the ID as a key and values")
		return bytes.ReplaceAll(file, greatest[:], make([]byte, len(greatest)))
	}()

	// The low byte of the height in the record of a transaction of
	// block 1: the record is height(8) ‖ index(4) ‖ hash(32) ‖ …
	changedValue := func() []byte {
		b := bytes.Clone(content)
		h := firstTx.Hash()
		n := 0
		for off := 0; ; { // each copy: old pages may keep some
			i := bytes.Index(b[off:], h[:])
			if i < 0 {
				break
			}
			if at := off + i; at >= 12 {
				b[at-5] ^= 1
				n++
			}
			off += i + len(h)
		}
		require.Positive(t, n, "the transaction's hash is in the file")
		return b
	}()

	// A file whose pages are damaged may not be an index at all: an
	// event log with its root page's header damaged, named by a wrong
	// -index, must not be called an index to delete.
	damagedLog := func() []byte {
		b, err := os.ReadFile(eventsFile)
		require.NoError(t, err)
		b = bytes.Clone(b)
		newer := 0
		if binary.NativeEndian.Uint64(b[4096+16+48:]) > binary.NativeEndian.Uint64(b[16+48:]) {
			newer = 4096
		}
		root := binary.NativeEndian.Uint64(b[newer+16+16:])
		binary.NativeEndian.PutUint64(b[root*4096:], 1<<20)
		return b
	}()
	// bbolt does not read a meta page's flags; a check that did would
	// follow the other meta page, and bbolt walk a tree nobody checked.
	metaFlags := func() []byte {
		b := bytes.Clone(disordered)
		newer := 0
		if binary.NativeEndian.Uint64(b[4096+16+48:]) > binary.NativeEndian.Uint64(b[16+48:]) {
			newer = 4096
		}
		binary.NativeEndian.PutUint16(b[newer+8:], 0)
		return b
	}()

	const deleteIt, rightFile = "delete it", "is it the right file for the ledger index?"
	const ifIndex = "if it is another file, the bank was given the wrong path for its index"
	for _, tc := range []struct {
		name   string
		write  func(path string) string // returns the file to open
		remedy string                   // what the error says to do
	}{
		{"garbage", func(p string) string {
			require.NoError(t, os.WriteFile(p, []byte("not a database at all"), 0o600))
			return p
		}, deleteIt},
		{"truncated", func(p string) string { require.NoError(t, os.WriteFile(p, content[:len(content)/2], 0o600)); return p }, deleteIt},
		{"cut to its first pages", func(p string) string { require.NoError(t, os.WriteFile(p, content[:4*4096], 0o600)); return p }, deleteIt},
		{"a key out of order", func(p string) string { require.NoError(t, os.WriteFile(p, disordered, 0o600)); return p }, ifIndex},
		{"a meta page's flags damaged", func(p string) string { require.NoError(t, os.WriteFile(p, metaFlags, 0o600)); return p }, "meta page"},
		{"a damaged event log", func(p string) string { require.NoError(t, os.WriteFile(p, damagedLog, 0o600)); return p }, ifIndex},
		// bbolt keeps no checksum: the index's own, on every value, finds
		// a block height changed in a transaction's record, which was
		// answered as the truth (block 69 for a transaction of block 68).
		{"a value changed", func(p string) string {
			require.NoError(t, os.WriteFile(p, changedValue, 0o600))
			return p
		}, "checksum"},
		// Not to be deleted: it may be the only copy of a chain.
		{"an event log", func(string) string { return eventsFile }, rightFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.write(filepath.Join(t.TempDir(), "index.db"))
			// What the app checks before it opens its log finds every
			// damage to the pages, and a file of something else; a
			// record's checksum, which needs every value read, is New's.
			early := bank.CheckIndexFile(path)
			if tc.remedy == "checksum" {
				assert.NoError(t, early)
			} else {
				assert.ErrorIs(t, early, bank.ErrIndexCorrupt)
			}
			n, err := node.New(node.Config{Log: memlog.New(memlog.Config{}), Spec: consensustest.Spec(), Engine: consensustest.NewFaker()})
			require.NoError(t, err)
			_, err = bank.New(bank.Config{Node: n, Log: memlog.New(memlog.Config{}), IndexPath: path})
			require.ErrorIs(t, err, bank.ErrIndexCorrupt)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), tc.remedy)
		})
	}

	history := func(t *testing.T, lb *liveBank, name string) []bank.HistoryEntry {
		t.Helper()
		return getFrom[bank.History](t, lb.server, "/accounts/"+consensustest.Addr(name).String()+"/transactions?limit=100").Transactions
	}
	t.Run("another chain is indexed again", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "index.db")
		require.NoError(t, os.WriteFile(path, content, 0o600))
		log := memlog.New(memlog.Config{})
		t.Cleanup(func() { _ = log.Close() })
		// Another genesis, other transfers: the same heights, other blocks.
		spec := consensustest.Spec()
		spec.BlockReward++
		engine := consensustest.NewFaker()
		chain, err := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: engine})
		require.NoError(t, err)
		blocks, err := consensustest.GenerateChain(context.Background(), engine, chain, 2, func(_ int, g *consensustest.BlockGen) { g.AddTransfer("erin", "frank", 5) })
		require.NoError(t, err)
		for _, b := range blocks {
			e, err := events.Encode(events.BlockMined{Block: b, MinerID: "other"})
			require.NoError(t, err)
			_, err = log.Append(context.Background(), node.StreamBlocks, eventlog.Any, e)
			require.NoError(t, err)
		}
		lb := startBankOf(t, spec, log, path, 0, node.RestoreVerify)
		t.Cleanup(func() { assert.NoError(t, lb.stop()) })
		require.NoError(t, lb.bank.IndexErr())
		erin := history(t, lb, "erin")
		require.Len(t, erin, 2, "the two transfers of the chain in the log")
		for _, e := range erin {
			assert.Equal(t, blocks[e.Height-1].Hash(), e.BlockHash)
		}
		assert.Empty(t, history(t, lb, "alice"), "nothing of the chain before")
	})
	// The same genesis in a log that holds none of the index's blocks: a
	// log wiped, and the chain begun again in it. Served, every transfer
	// the bank once took would read "unknown", and be good again.
	for _, tc := range []struct {
		name   string
		blocks int // of the chain begun again
	}{{"a log that lost its blocks", 0}, {"a log whose chain was begun again", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "index.db")
			require.NoError(t, os.WriteFile(path, content, 0o600))
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			if tc.blocks > 0 {
				engine := consensustest.NewFaker()
				blocks, err := consensustest.GenerateChain(context.Background(), engine, consensustest.NewChain(engine), tc.blocks,
					func(_ int, g *consensustest.BlockGen) { g.AddTransfer("erin", "frank", 5) })
				require.NoError(t, err)
				putBlocks(t, log, blocks...)
			}
			lb := startBank(t, log, path, 0)
			err := lb.bank.IndexErr()
			require.ErrorIs(t, err, bank.ErrLogLostBlocks)
			assert.ErrorContains(t, err, "delete "+path)
			assert.False(t, lb.bank.Ready(), "the bank answers for no chain")
			resp, err := http.Get(lb.server.URL + "/chain/head")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			assert.ErrorIs(t, lb.stop(), bank.ErrLogLostBlocks, "Run returns it")
			// The index is left as it was: its blocks, and its genesis.
			before := filepath.Join(t.TempDir(), "before.db")
			require.NoError(t, os.WriteFile(before, content, 0o600))
			for _, key := range []string{"last", "seq", "genesis"} {
				want := metaValue(t, before, key)
				require.NotEmpty(t, want, key)
				assert.Equal(t, want, metaValue(t, path, key), key)
			}
		})
	}
	t.Run("an older bank's index, of a log that lost its blocks", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "index.db")
		require.NoError(t, os.WriteFile(path, content, 0o600))
		forgetGenesis(t, path)             // an index written before it named its genesis: its chain is not known
		log := memlog.New(memlog.Config{}) // the same genesis, no block yet
		t.Cleanup(func() { _ = log.Close() })
		lb := startBank(t, log, path, 0)
		t.Cleanup(func() { assert.NoError(t, lb.stop()) })
		require.NoError(t, lb.bank.IndexErr())
		assert.Empty(t, history(t, lb, "alice"), "nothing of the chain before")
		resp, err := http.Get(lb.server.URL + "/blocks/1")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "no block 1 in the log")
		// The first block the log gets is indexed, not refused.
		appendBlocks(t, log, 1, 2, nil)
		followFor(t, lb.node, func() bool { return lb.node.Chain().Height() == 1 })
		require.NoError(t, lb.bank.IndexErr())
		assert.Len(t, history(t, lb, "alice"), 1)
	})
}

// TestIndexOfAnEarlierBank: an index an earlier bank wrote, without
// checksums (format 1), is emptied and built again from the log, not
// refused and not read.
func TestIndexOfAnEarlierBank(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("format"), []byte("eventchain-bank-index/1")); err != nil {
			return err
		}
		if err := meta.Put([]byte("last"), make([]byte, 48)); err != nil { // unsealed
			return err
		}
		_, err = tx.CreateBucket([]byte("txs"))
		return err
	}))
	require.NoError(t, db.Close())

	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	appendBlocks(t, log, 2, 3, nil)
	lb := startBank(t, log, path, 0)
	t.Cleanup(func() { assert.NoError(t, lb.stop()) })
	require.NoError(t, lb.bank.IndexErr())
	h := getFrom[bank.History](t, lb.server, "/accounts/"+consensustest.Addr("alice").String()+"/transactions?limit=100")
	assert.NotEmpty(t, h.Transactions, "the log's transactions, indexed again")
}

// metaValue returns the value at key in the meta bucket of the index
// file at path, nil if none.
func metaValue(t *testing.T, path, key string) []byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	var v []byte
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket([]byte("meta")).Get([]byte(key)))
		return nil
	}))
	return v
}

// forgetGenesis deletes the genesis the index file at path names, as an
// index of a bank from before it named one: whose chain it holds, only
// its blocks can tell.
func forgetGenesis(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Delete([]byte("genesis")) }))
	require.NoError(t, db.Close())
}

// putBlocks appends blocks to log's blocks stream as a miner would.
func putBlocks(t *testing.T, log eventlog.Log, blocks ...*blockchain.Block) {
	t.Helper()
	for _, b := range blocks {
		e, err := events.Encode(events.BlockMined{Block: b, MinerID: "m"})
		require.NoError(t, err)
		_, err = log.Append(context.Background(), node.StreamBlocks, eventlog.Any, e)
		require.NoError(t, err)
	}
}

// TestIndexRebuildTakesTheChainsBlocks: an index rebuilt from a log that
// holds, before the chain's block 1, a block 1 the node refused (a state
// root changed) indexes the chain's blocks, not the refused one.
func TestIndexRebuildTakesTheChainsBlocks(t *testing.T) {
	engine := consensustest.NewFaker()
	blocks, err := consensustest.GenerateChain(context.Background(), engine, consensustest.NewChain(engine), 3,
		func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 1) })
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "index.db")
	{
		log := memlog.New(memlog.Config{})
		putBlocks(t, log, blocks...)
		require.NoError(t, startBank(t, log, path, 0).stop())
		require.NoError(t, log.Close())
	}
	// An index that names its genesis would refuse a log that lost a
	// block it holds (TestIndexFileRefused); one of an older bank is
	// built again.
	forgetGenesis(t, path)
	h := blocks[0].Header()
	h.StateRoot[0] ^= 1
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	putBlocks(t, log, blocks[0].WithHeader(h), blocks[0], blocks[1]) // the index holds 3 blocks, the log 2
	lb := startBank(t, log, path, 0)
	t.Cleanup(func() { assert.NoError(t, lb.stop()) })
	require.NoError(t, lb.bank.IndexErr())
	alice := getFrom[bank.History](t, lb.server, "/accounts/"+consensustest.Addr("alice").String()+"/transactions?limit=100").Transactions
	require.Len(t, alice, 2)
	for _, e := range alice {
		assert.Equal(t, blocks[e.Height-1].Hash(), e.BlockHash, "block %d", e.Height)
	}
}

// TestForeignIndexBelowASnapshotsBase: an index of another chain whose
// blocks all lie below the base of a node restored from a snapshot (the
// node holds no header to compare them with) is found out against the
// log, and built again: it answers for the log's chain, and takes its
// next block.
func TestForeignIndexBelowASnapshotsBase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	{
		log := memlog.New(memlog.Config{})
		appendBlocks(t, log, 3, 3, nil)
		require.NoError(t, startBank(t, log, path, 0).stop())
		require.NoError(t, log.Close())
	}
	// Of the same genesis, an index that names it would refuse a chain
	// begun again (TestIndexFileRefused); one of an older bank, which
	// names none, is another chain's as far as the bank can tell.
	forgetGenesis(t, path)
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := consensustest.NewFaker()
	chain := consensustest.NewChain(engine)
	// Long enough that the snapshot's headers start above block 3.
	const n = 1030
	transfer := func(_ int, g *consensustest.BlockGen) { g.AddTransfer("erin", "frank", 1) }
	blocks, err := consensustest.GenerateChain(context.Background(), engine, chain, n, transfer)
	require.NoError(t, err)
	putBlocks(t, log, blocks...)
	writer, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), SnapshotEvery: n, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	followFor(t, writer, func() bool { return writer.SnapshotStats().Written == 1 })

	lb := startBankWith(t, log, path, 0, node.RestoreSnapshot)
	t.Cleanup(func() { assert.NoError(t, lb.stop()) })
	require.Greater(t, lb.node.Chain().Base(), uint64(3), "precondition: the index's blocks are below the base")
	alice := getFrom[bank.History](t, lb.server, "/accounts/"+consensustest.Addr("alice").String()+"/transactions?limit=100").Transactions
	assert.Empty(t, alice, "nothing of the other chain")

	more, err := consensustest.GenerateChain(context.Background(), engine, chain, 1, transfer)
	require.NoError(t, err)
	putBlocks(t, log, more...)
	followFor(t, lb.node, func() bool { return lb.node.Chain().Height() == n+1 })
	require.NoError(t, lb.bank.IndexErr(), "the next block is indexed")
	erin := getFrom[bank.History](t, lb.server, "/accounts/"+consensustest.Addr("erin").String()+"/transactions?limit=2").Transactions
	require.NotEmpty(t, erin)
	assert.Equal(t, more[0].Hash(), erin[0].BlockHash)
}

// hiccupLog is a log whose next read of one event of the blocks stream
// fails, once, when hiccup is set: a network that dropped one answer.
type hiccupLog struct {
	eventlog.Log
	hiccup atomic.Bool
}

var errHiccup = errors.New("the log did not answer in time")

func (l *hiccupLog) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if stream == node.StreamBlocks && max == 1 && l.hiccup.CompareAndSwap(true, false) {
		return nil, errHiccup
	}
	return l.Log.Read(ctx, stream, from, dir, max)
}

// TestIndexReadFailureIsNoLoss: a bank restored from a snapshot above
// its index's blocks asks the log whether it still holds the index's
// newest block. A read that fails says nothing of that: the index fails
// with the log's error, not ErrLogLostBlocks (which would have the
// operator delete an index that is whole), and the next start, the log
// answering, goes on with it.
func TestIndexReadFailureIsNoLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	mem := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = mem.Close() })
	before := appendBlocks(t, mem, 3, 3, nil)
	require.NoError(t, startBank(t, mem, path, 0).stop())
	engine := consensustest.NewFaker()
	chain := consensustest.NewChain(engine)
	for _, b := range before {
		require.NoError(t, chain.Apply(b))
	}
	const n = 1030 // long enough that the snapshot's headers start above block 3
	blocks, err := consensustest.GenerateChain(context.Background(), engine, chain, n-len(before),
		func(_ int, g *consensustest.BlockGen) { g.AddTransfer("erin", "frank", 1) })
	require.NoError(t, err)
	putBlocks(t, mem, blocks...)
	writer, err := node.New(node.Config{Log: mem, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), SnapshotEvery: n, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	followFor(t, writer, func() bool { return writer.SnapshotStats().Written == 1 })

	log := &hiccupLog{Log: mem}
	nd, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	b, err := bank.New(bank.Config{Node: nd, Log: log, IndexPath: path})
	require.NoError(t, err)
	require.NoError(t, nd.Restore(context.Background(), node.RestoreSnapshot))
	require.Greater(t, nd.Chain().Base(), uint64(len(before)), "precondition: the index's blocks are below the base")
	log.hiccup.Store(true)
	b.SetReady(true)
	err = b.IndexErr()
	assert.ErrorIs(t, err, errHiccup)
	assert.NotErrorIs(t, err, bank.ErrLogLostBlocks)
	assert.False(t, b.Ready())
	require.NoError(t, b.Close())

	lb := startBankWith(t, mem, path, 0, node.RestoreSnapshot)
	t.Cleanup(func() { assert.NoError(t, lb.stop()) })
	require.NoError(t, lb.bank.IndexErr(), "the log answers: the index goes on")
	alice := getFrom[bank.History](t, lb.server, "/accounts/"+consensustest.Addr("alice").String()+"/transactions?limit=100").Transactions
	assert.NotEmpty(t, alice, "the index's blocks, kept")
}

// followFor runs n's Follow until done holds. Follow tells the observers
// of each event before it reads the next, so once it has returned they
// have heard of every event it read.
func followFor(t *testing.T, n *node.Node, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- n.Follow(ctx) }()
	nodetest.WaitFor(t, n, "the node to follow", done)
	cancel()
	assert.ErrorIs(t, <-result, context.Canceled)
}

// buildLog writes a log of txs transfers, in blocks of 500, to a bbolt
// file in dir, and returns its path.
func buildLog(tb testing.TB, dir string, txs int) string {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("events-%d.db", txs))
	log, err := boltlog.Open(context.Background(), boltlog.Config{Path: path, DedupWindow: boltlog.NoDedupWindow})
	require.NoError(tb, err)
	defer log.Close()
	const perBlock = 500
	var blocks []*blockchain.Block
	for len(blocks)*perBlock < txs {
		blocks = append(blocks, appendBlocks(tb, log, 1, perBlock, blocks)...)
	}
	return path
}

// heapAfter restores a bank on the log in logPath, with its index in a
// new file of dir (in memory if !index) and a node that keeps two
// blocks, and returns the live heap with the bank running; and the
// index file's size.
func heapAfter(tb testing.TB, logPath, dir string, index bool) (heap uint64, fileSize int64) {
	tb.Helper()
	log, err := boltlog.Open(context.Background(), boltlog.Config{Path: logPath, DedupWindow: boltlog.NoDedupWindow})
	require.NoError(tb, err)
	defer log.Close()
	path := ""
	if index {
		f, err := os.CreateTemp(dir, "index-*.db")
		require.NoError(tb, err)
		require.NoError(tb, f.Close())
		require.NoError(tb, os.Remove(f.Name()))
		path = f.Name()
	}
	lb := startBankWith(tb, log, path, 2, node.RestoreFast)
	defer func() { require.NoError(tb, lb.stop()) }()
	resp, err := http.Get(lb.server.URL + "/chain/head")
	require.NoError(tb, err)
	require.NoError(tb, resp.Body.Close())
	require.Equal(tb, http.StatusOK, resp.StatusCode)
	heap = liveHeap()
	runtime.KeepAlive(lb)
	if index {
		st, err := os.Stat(path)
		require.NoError(tb, err)
		fileSize = st.Size()
	}
	return heap, fileSize
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryDoesNotGrowWithHistory: a bank with its index on disk holds
// about as much memory after 10 000 transactions as after 2 000 — well
// under 20 bytes per extra transaction, where the index in memory costs
// about 200. It is not timed; the bound is generous, yet it fails if the
// index is kept in memory (the "in memory" case checks that it would).
func TestMemoryDoesNotGrowWithHistory(t *testing.T) {
	const small, large = 2_000, 10_000
	dir := t.TempDir()
	smallLog, largeLog := buildLog(t, dir, small), buildLog(t, dir, large)
	perTx := func(index bool) (float64, int64) {
		h1, _ := heapAfter(t, smallLog, dir, index)
		h2, size := heapAfter(t, largeLog, dir, index)
		return (float64(h2) - float64(h1)) / (large - small), size
	}
	onDisk, size := perTx(true)
	t.Logf("on disk: %.1f heap bytes per transaction; index file %d bytes, %.0f bytes per transaction", onDisk, size, float64(size)/large)
	assert.Less(t, onDisk, 20.0, "heap bytes per transaction with the index on disk")
	inMemory, _ := perTx(false)
	t.Logf("in memory: %.1f heap bytes per transaction", inMemory)
	assert.Greater(t, inMemory, 20.0, "the bound tells the index in memory apart")
}

// BenchmarkIndexHeap reports the live heap per transaction of a bank
// with its index on disk (heap-B/tx: the growth from 2 000 to 10 000
// transactions) and the index file's size per transaction (file-B/tx).
func BenchmarkIndexHeap(b *testing.B) {
	const small, large = 2_000, 10_000
	dir := b.TempDir()
	smallLog, largeLog := buildLog(b, dir, small), buildLog(b, dir, large)
	var perTx, fileB float64
	for b.Loop() {
		h1, _ := heapAfter(b, smallLog, dir, true)
		h2, size := heapAfter(b, largeLog, dir, true)
		perTx, fileB = (float64(h2)-float64(h1))/(large-small), float64(size)/large
	}
	b.ReportMetric(perTx, "heap-B/tx")
	b.ReportMetric(fileB, "file-B/tx")
}

// TestIndexDamagedWhileRunning cuts the index file short under a running
// bank, as a user's mistake or another program might: bbolt then reads
// pages that are no longer there, which would end the process with
// SIGBUS. The bank answers the request that met the damage with a
// problem, and its Run stops at once with ErrIndexCorrupt, whether or
// not a block comes; no panic, no crash.
func TestIndexDamagedWhileRunning(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	path := filepath.Join(t.TempDir(), "index.db")
	blocks := appendBlocks(t, log, 5, 7, nil)
	lb := startBank(t, log, path, 2)
	history := "/accounts/" + consensustest.Addr("alice").String() + "/transactions?limit=100"
	require.Len(t, getFrom[bank.History](t, lb.server, history).Transactions, 10, "the index holds the chain")

	require.NoError(t, os.Truncate(path, 8192)) // its two meta pages, and none of the rest

	for _, path := range []string{history, "/transactions/" + blocks[0].Transaction(0).ID().String()} {
		resp, err := http.Get(lb.server.URL + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.GreaterOrEqual(t, resp.StatusCode, 500, "%s: a damaged index answers no data", path)
		assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), path)
	}
	// No block comes: the read that met the damage stops the bank.
	select {
	case err := <-lb.done:
		assert.ErrorIs(t, err, bank.ErrIndexCorrupt, "Run stops with the index's error")
		lb.done <- err // for stop
	case <-time.After(time.Minute):
		t.Fatal("Run did not stop on a damaged index")
	}
	assert.ErrorIs(t, lb.stop(), bank.ErrIndexCorrupt)
}

// TestSnapshotRestoredBankAnswersAtOnce: a bank whose node restored from
// a snapshot, with an index that holds none of the blocks below it (in
// memory, or a file made anew), answers for the chain's transactions as
// soon as it is ready, on a chain where no block comes after: an unknown
// ID is 404, an included one included — not 503 until a block comes,
// which on an idle chain is for ever.
func TestSnapshotRestoredBankAnswersAtOnce(t *testing.T) {
	const n = 5
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	blocks := appendBlocks(t, log, n, 2, nil)
	writer, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), SnapshotEvery: n, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	followFor(t, writer, func() bool { return writer.SnapshotStats().Written == 1 })

	lb := startBankWith(t, log, "", 0, node.RestoreSnapshot)
	t.Cleanup(func() { assert.NoError(t, lb.stop()) })
	awaitAuditRead(t, lb.bank, lb.ran) // an unknown transaction is then a 404
	_, held := lb.node.Chain().BlockAt(1)
	require.False(t, held, "precondition: the node holds no block below its snapshot")
	included := blocks[1].Transaction(0)

	tests := []struct {
		name string
		id   uuid.UUID
		want int
	}{
		{name: "unknown", id: uuid.New(), want: http.StatusNotFound},
		{name: "included below the snapshot", id: included.ID(), want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := doOn(t, lb.server, http.MethodGet, "/transactions/"+tt.id.String(), "", "")
			assert.Equal(t, tt.want, status, "%s", body)
			if status == http.StatusOK {
				st := decode[bank.TransactionStatus](t, body)
				assert.Equal(t, bank.StatusIncluded, st.Status)
			}
		})
	}
}
