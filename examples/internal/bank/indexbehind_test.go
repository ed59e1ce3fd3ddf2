package bank

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/node"
)

// refusingStore is an indexStore whose file, while refuse is set, takes
// no writes, as a full disk takes none: addBlock and putDropped fail
// with ENOSPC. Each call is told on calls ("addBlock 3 refused",
// "putDropped ok"), which await reads.
//
// The calls are kept, however many: while the index is behind, the
// bank tries to catch it up every droppedRetry (a millisecond here),
// under its lock, and each try is a call. A store that could hold only
// so many (a buffered channel) would block the bank, its lock held, on
// a machine slow enough to run the test's next step a second or two
// later, and the next request the test made would wait for ever.
type refusingStore struct {
	indexStore
	refuse atomic.Bool
	late   atomic.Bool // see last

	mu     sync.Mutex
	calls  []string
	read   int           // calls[:read] are those await has passed
	called chan struct{} // signalled (without blocking) after each call
}

func newRefusingStore(s indexStore) *refusingStore {
	return &refusingStore{indexStore: s, called: make(chan struct{}, 1)}
}

func (s *refusingStore) tell(what string, refused bool) error {
	if refused {
		what += " refused"
	} else {
		what += " ok"
	}
	s.mu.Lock()
	s.calls = append(s.calls, what)
	s.mu.Unlock()
	select {
	case s.called <- struct{}{}:
	default:
	}
	if refused {
		return fmt.Errorf("write index.db: %w", syscall.ENOSPC)
	}
	return nil
}

func (s *refusingStore) addBlock(blk *blockchain.Block, rev eventlog.Revision) error {
	what := fmt.Sprintf("addBlock %d", blk.Height())
	if s.refuse.Load() {
		return s.tell(what, true)
	}
	if err := s.indexStore.addBlock(blk, rev); err != nil {
		return err
	}
	return s.tell(what, false)
}

func (s *refusingStore) putDropped(d events.TransactionDropped) error {
	if s.refuse.Load() {
		return s.tell("putDropped", true)
	}
	if err := s.indexStore.putDropped(d); err != nil {
		return err
	}
	return s.tell("putDropped", false)
}

// await waits until the store has been called with each of want, in
// any order, passing over other calls: each call is read once, by the
// first await that reaches it.
func (s *refusingStore) await(t *testing.T, want ...string) {
	t.Helper()
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	timeout := time.After(explorerWatchdog) // a bound on a hang, not a wait for an event
	for {
		s.mu.Lock()
		for ; s.read < len(s.calls) && len(missing) > 0; s.read++ {
			delete(missing, s.calls[s.read])
		}
		s.mu.Unlock()
		if len(missing) == 0 {
			return
		}
		select {
		case <-s.called:
		case <-timeout:
			t.Fatalf("the index was never called: %v", missing)
		}
	}
}

// awaitCalls waits until the store has been called n times in all,
// reading none of the calls.
func (s *refusingStore) awaitCalls(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(explorerWatchdog) // a bound on a hang, not a wait for an event
	for {
		s.mu.Lock()
		have := len(s.calls)
		s.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-s.called:
		case <-timeout:
			t.Fatalf("the index was called %d times, not %d", have, n)
		}
	}
}

// behindFixture is a bank whose ledger index's file takes no writes
// (store.refuse is set), after it accepted first, alice's transfer,
// and a block included it that the index could not record.
func behindFixture(t *testing.T) (*explorerFixture, *refusingStore, blockchain.Transaction) {
	t.Helper()
	var store *refusingStore
	f := newExplorerFixtureWith(t, nil, func(b *Bank) {
		store = newRefusingStore(b.index.store)
		b.index.store = store
		b.droppedRetry = time.Millisecond
	})
	first := consensustest.Transfer("alice", "bob", 5, 0)
	status, body := f.post(t, first)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	store.refuse.Store(true)
	f.mine(t, nil, first)
	store.await(t, "addBlock 1 refused")
	return f, store, first
}

// drop appends to the audit stream that the transaction id was dropped,
// as an auditor, or anyone who can write to the log, does.
func (f *explorerFixture) drop(t *testing.T, id uuid.UUID, reason string) {
	t.Helper()
	e, err := events.Encode(events.TransactionDropped{TxID: id, Rule: blockchain.ErrBadNonce, Reason: reason})
	require.NoError(t, err)
	_, err = f.log.Append(context.Background(), node.StreamAudit, eventlog.Any, e)
	require.NoError(t, err)
}

// TestIndexFallsBehindWhileItsFileTakesNoWrites: a ledger index whose
// file takes no writes for now — a full disk — no longer stops the bank
// (before, the bank app exited, and would not start again until the disk
// had room). The index falls behind: what the bank accepted stays
// pending rather than unknown, and nothing is judged outbid for want of
// the index; a dropped transaction the audit stream tells of waits to be
// recorded. Once the file takes writes again, the next block catches the
// index up from the log, and the drop is recorded.
func TestIndexFallsBehindWhileItsFileTakesNoWrites(t *testing.T) {
	f, store, first := behindFixture(t)
	assert.NoError(t, f.bank.IndexErr(), "the index is behind, not broken")
	select {
	case <-f.bank.index.failed:
		t.Fatal("the index signalled a failure: the bank app would stop")
	default:
	}
	assert.Equal(t, StatusPending, f.bank.status(first.ID()).Status, "accepted, in a block the index could not record")

	// A drop the audit stream tells of waits for the file.
	gone := uuid.New()
	f.drop(t, gone, "its nonce was used")
	store.await(t, "putDropped refused")
	store.await(t, "putDropped refused") // tried again

	store.refuse.Store(false)
	second := consensustest.Transfer("alice", "bob", 5, 1)
	f.mine(t, nil, second)
	store.await(t, "addBlock 1 ok", "addBlock 2 ok", "putDropped ok") // block 1 caught up from the log
	assert.NoError(t, f.bank.IndexErr())
	for h, tx := range []blockchain.Transaction{first, second} {
		st := f.bank.status(tx.ID())
		if assert.Equal(t, StatusIncluded, st.Status, "transaction %d", h+1) {
			assert.Equal(t, uint64(h+1), *st.Height)
		}
	}
	assert.Equal(t, StatusDropped, f.bank.status(gone).Status)
}

// TestIndexBehindHidesNoInclusion: a transaction
// the chain included while the index was behind must not read as dropped
// because an audit drop for it (written by anyone who can write to the
// log) was recorded before the index caught up.
func TestIndexBehindHidesNoInclusion(t *testing.T) {
	f, store, first := behindFixture(t)
	f.drop(t, first.ID(), "forged")
	store.await(t, "putDropped refused")
	store.refuse.Store(false) // disk freed; no block yet
	store.await(t, "putDropped ok")
	assert.NotEqual(t, StatusDropped, f.bank.status(first.ID()).Status, "the chain included it")
}

// resetRefusingStore refuses to be emptied, as a full (or read-only)
// file system would.
type resetRefusingStore struct{ indexStore }

func (resetRefusingStore) reset() error { return fmt.Errorf("write index.db: %w", syscall.ENOSPC) }

// TestIndexOfAnotherChainThatCannotBeEmptiedStops: an index of another
// chain that reconcile cannot empty (the disk is full) must not be kept
// as merely behind, where it answers for the other chain.
func TestIndexOfAnotherChainThatCannotBeEmptiedStops(t *testing.T) {
	engine := consensustest.NewFaker()
	foreign, err := consensustest.GenerateChain(context.Background(), engine, consensustest.NewChain(engine), 2,
		func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 1) })
	require.NoError(t, err)
	f := newExplorerFixtureWith(t, nil, func(b *Bank) {
		mem := newMemIndex()
		require.NoError(t, mem.setGenesis(blockchain.Hash{1})) // another chain's
		for i, blk := range foreign {
			require.NoError(t, mem.addBlock(blk, eventlog.Revision(i)))
		}
		b.index.store = resetRefusingStore{mem}
	})
	// Behind, it would answer for the other chain's transactions (they
	// read as included) until the disk had room: it stops instead, as it
	// did before a full disk left an index behind.
	assert.Error(t, f.bank.IndexErr(), "an index of another chain, not emptied, is not behind: it stops")
	select {
	case <-f.bank.index.failed:
	default:
		t.Fatal("the index's failure was not signalled: the bank app would go on serving another chain's index")
	}
}

// TestIndexFileMadeImmutable: a ledger index file made immutable
// (chattr +i) refuses the write that grows it with EPERM, which bbolt
// words with %s: a write refused for now, and once the attribute is
// gone the index goes on from the block it refused. It needs chattr, the
// right to use it (root) and a file system that keeps the attribute
// (ext4, not tmpfs): where it has none, it says so and skips.
func TestIndexFileMadeImmutable(t *testing.T) {
	engine := consensustest.NewFaker()
	blocks, err := consensustest.GenerateChain(context.Background(), engine, consensustest.NewChain(engine), 40,
		func(_ int, g *consensustest.BlockGen) {
			for range 50 {
				g.AddTransfer("alice", "bob", 1)
			}
		})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "index.db")
	ix, err := openBoltIndex(path)
	require.NoError(t, err)
	defer ix.close()
	require.NoError(t, ix.addBlock(blocks[0], eventlog.Revision(0)))
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		t.Skipf("chattr +i %s: %v %s: no immutable files here", path, err, out)
	}
	defer exec.Command("chattr", "-i", path).Run()
	for i, blk := range blocks[1:] {
		err := ix.addBlock(blk, eventlog.Revision(i+1))
		if err != nil {
			t.Logf("block %d: %v (writeRefused %v)", blk.Height(), err, writeRefused(err))
			require.True(t, writeRefused(err), "%v", err)
			// Once the file takes writes again, the index goes on from
			// the block it refused.
			require.NoError(t, exec.Command("chattr", "-i", path).Run())
			for j, blk := range blocks[i+1:] {
				require.NoError(t, ix.addBlock(blk, eventlog.Revision(i+1+j)))
			}
			last, ok, err := ix.last()
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, blocks[len(blocks)-1].Hash(), last.hash)
			return
		}
	}
	t.Fatal("every write to an immutable file was taken")
}

// TestWriteRefusedWordedByBbolt: bbolt words the errors of growing
// its file with %s; a read-only file system or an immutable file met
// there is a write refused for now all the same.
func TestWriteRefusedWordedByBbolt(t *testing.T) {
	for _, msg := range []string{
		"file resize error: truncate /d/index.db: read-only file system",
		"file resize error: truncate /d/index.db: operation not permitted",
		"file sync error: sync /d/index.db: no space left on device",
	} {
		err := fmt.Errorf("ledger index: add block 3: %w", errors.New(msg))
		assert.True(t, writeRefused(err), msg)
	}
	assert.False(t, writeRefused(errors.New("file resize error: truncate /d/index.db: input/output error")))
	assert.False(t, writeRefused(errors.New("block 3 out of order: want 2")))
}

// TestIndexFarBehindSaysNoUnknown: while the ledger index is behind by
// more blocks than the bank looks through past it, a transaction this
// bank never accepted (another bank did, or this one before a restart)
// may be in a block the index has not recorded. GET /transactions/{id}
// must not answer 404 for it: a wallet takes "unknown, its nonce used"
// for a transfer that will never be mined, and signs a second payment.
// Nor may a drop the index recorded hide that inclusion, nor a post of
// it again be refused as a nonce used. The answer is 503 until the
// index catches up, and then the inclusion.
func TestIndexFarBehindSaysNoUnknown(t *testing.T) {
	tests := []struct {
		name    string
		dropped bool // the audit stream told of a drop before the block
	}{
		{name: "never seen"},
		{name: "dropped, then included", dropped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, store, _ := behindFixture(t)
			other := consensustest.Transfer("alice", "bob", 7, 1) // taken by another bank
			if tt.dropped {
				store.refuse.Store(false)
				f.drop(t, other.ID(), "forged")
				store.await(t, "putDropped ok")
				store.refuse.Store(true)
			}
			for range maxUnindexed + 1 {
				f.mine(t, nil)
			}
			blk := f.mine(t, nil, other) // the node holds it; the index, refused since block 1, does not
			for _, path := range []string{"/transactions/" + other.ID().String(), "/transactions/" + other.ID().String() + "/proof"} {
				code, body := f.getPath(t, path)
				assert.Equal(t, http.StatusServiceUnavailable, code, "%s while the index is behind: %s", path, body)
			}
			// Posted again (a retry whose first answer was lost), it is
			// no "bad-nonce": the client would sign it again.
			for _, header := range [][]string{nil, {"Idempotency-Key", "retry-" + other.ID().String()}} {
				code, body := f.post(t, other, header...)
				assert.Equal(t, http.StatusServiceUnavailable, code, "posted again with %q while the index is behind: %s", header, body)
			}

			store.refuse.Store(false)
			f.mine(t, nil)
			store.await(t, fmt.Sprintf("addBlock %d ok", blk.Height()+1))
			st := f.bank.status(other.ID())
			if assert.Equal(t, StatusIncluded, st.Status, "the index caught up") {
				assert.Equal(t, blk.Height(), *st.Height)
			}
		})
	}
}

// getPath gets path from the bank as a client would and returns the
// status and body.
func (f *explorerFixture) getPath(t *testing.T, path string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), explorerWatchdog) // a bound on a hang
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.server.URL+path, nil)
	require.NoError(t, err)
	resp, err := f.server.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// TestIndexFarBehindCatchesUpWithNoBlock: once the ledger index's file
// takes writes again, the index catches up from the log even on a chain
// where no block comes after: else every transaction it cannot place
// (an unknown ID, one included in a block it did not record) is
// answered 503 "ledger index behind" for ever.
func TestIndexFarBehindCatchesUpWithNoBlock(t *testing.T) {
	f, store, _ := behindFixture(t)
	other := consensustest.Transfer("alice", "bob", 7, 1) // taken by another bank
	for range maxUnindexed + 1 {
		f.mine(t, nil)
	}
	blk := f.mine(t, nil, other)
	code, body := f.getPath(t, "/transactions/"+uuid.NewString())
	require.Equal(t, http.StatusServiceUnavailable, code, "precondition: the index is far behind: %s", body)

	store.refuse.Store(false) // and no block comes
	store.await(t, fmt.Sprintf("addBlock %d ok", blk.Height()))
	tests := []struct {
		name string
		id   uuid.UUID
		want int
	}{
		{name: "unknown", id: uuid.New(), want: http.StatusNotFound},
		{name: "in a block the index did not record", id: other.ID(), want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := f.getPath(t, "/transactions/"+tt.id.String())
			assert.Equal(t, tt.want, code, "%s", body)
		})
	}
	st := f.bank.status(other.ID())
	if assert.Equal(t, StatusIncluded, st.Status) {
		assert.Equal(t, blk.Height(), *st.Height)
	}
}

// last is the index's last, or, while s.late is set, the block before
// it: the store then holds one block more than last says, as an index
// does that records a block between a reader's call to last and its
// call to history.
func (s *refusingStore) last() (blockRef, bool, error) {
	ref, ok, err := s.indexStore.last()
	if err != nil || !ok || !s.late.Load() {
		return ref, ok, err
	}
	if ref.height == 1 {
		return blockRef{}, false, nil
	}
	return s.indexStore.block(ref.height - 1)
}

// TestHistorySaysHowFarItGoes: an account's history comes from the
// ledger index, which may be behind the chain (its file took no writes:
// a full disk). The page says the newest block it covers, and holds no
// transaction of a later block, so a client can tell a short history
// from a complete one.
func TestHistorySaysHowFarItGoes(t *testing.T) {
	f, store, first := behindFixture(t)
	history := func(t *testing.T) History {
		t.Helper()
		code, body := f.getPath(t, "/accounts/"+consensustest.Addr("alice").String()+"/transactions")
		require.Equal(t, http.StatusOK, code, "%s", body)
		var h History
		require.NoError(t, json.Unmarshal(body, &h))
		return h
	}
	ids := func(h History) []uuid.UUID {
		var out []uuid.UUID
		for _, e := range h.Transactions {
			out = append(out, e.ID)
		}
		return out
	}

	behind := history(t)
	assert.Zero(t, behind.Height, "the index recorded no block")
	assert.Empty(t, behind.Transactions, "block 1 is not recorded")

	store.refuse.Store(false)
	blk := f.mine(t, nil)
	store.await(t, fmt.Sprintf("addBlock %d ok", blk.Height()))
	caught := history(t)
	assert.Equal(t, blk.Height(), caught.Height)
	assert.Equal(t, []uuid.UUID{first.ID()}, ids(caught))

	// A block recorded while the page is read is left out of it.
	second := consensustest.Transfer("alice", "bob", 6, 1)
	status, body := f.post(t, second)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	blk = f.mine(t, nil, second)
	store.await(t, fmt.Sprintf("addBlock %d ok", blk.Height()))
	store.late.Store(true)
	late := history(t)
	store.late.Store(false)
	assert.Equal(t, blk.Height()-1, late.Height)
	assert.Equal(t, []uuid.UUID{first.ID()}, ids(late), "the transfer of the block after Height is left out")
}

// TestIndexLongBehindLeavesTheBankAnswering: while the ledger index is
// behind, the bank tries every droppedRetry to catch it up, and each
// try is a call to the store. On a loaded machine the test's next step
// may come seconds later, after more tries than a fixed number: the
// bank answers all the same (the test's store once held 1000 calls, and
// then blocked the bank with its lock held), and catches the index up
// once the file takes writes.
func TestIndexLongBehindLeavesTheBankAnswering(t *testing.T) {
	f, store, first := behindFixture(t)
	store.awaitCalls(t, 1100)
	code, body := f.getPath(t, "/transactions/"+first.ID().String())
	require.Equal(t, http.StatusOK, code, "%s", body)

	store.refuse.Store(false)
	store.await(t, "addBlock 1 ok")
	st := f.bank.status(first.ID())
	if assert.Equal(t, StatusIncluded, st.Status) {
		assert.Equal(t, uint64(1), *st.Height)
	}
}

// catchUpStore is an indexStore that runs catchUp once, after its
// after-th call to tx for id has been answered: the index catching up
// between two looks a reader takes at one transaction.
type catchUpStore struct {
	indexStore
	id      uuid.UUID
	after   int32
	calls   atomic.Int32
	catchUp func()
}

func (s *catchUpStore) tx(id uuid.UUID) (txRecord, bool, error) {
	rec, ok, err := s.indexStore.tx(id)
	if id == s.id && s.calls.Add(1) == s.after {
		s.catchUp()
	}
	return rec, ok, err
}

// minedPastTheIndex returns a bank whose ledger index, refusing writes
// since block 1, is more than maxUnindexed blocks behind a chain whose
// newest block holds tx; the index catches up (writes again, and records
// that block) after the after-th read of tx (0: never).
func minedPastTheIndex(t *testing.T, tx blockchain.Transaction, after int32) *Bank {
	t.Helper()
	f, store, _ := behindFixture(t)
	for range maxUnindexed + 1 {
		f.mine(t, nil)
	}
	blk := f.mine(t, nil, tx) // the node holds it; the index does not
	hook := &catchUpStore{indexStore: store, id: tx.ID(), after: after, catchUp: func() {
		store.refuse.Store(false)
		store.await(t, fmt.Sprintf("addBlock %d ok", blk.Height()))
	}}
	f.bank.mu.Lock()
	f.bank.index.store = hook
	f.bank.mu.Unlock()
	return f.bank
}

// TestRefusedAgainAsTheIndexCatchesUp: a keyed retry whose reserved
// transfer, submitted again, is refused for its used nonce, looks up the
// transfer's fate again. While the index is far behind, that look cannot
// place it: a 503. If the index catches up in the moment after, the
// answer may be the 503 or the key's first answer, never the refusal: a
// client told bad-nonce for a transfer in a block signs it again, and
// pays twice. (Two looks, the second asking only whether the index is
// still behind, answered the refusal.)
func TestRefusedAgainAsTheIndexCatchesUp(t *testing.T) {
	badNonce := Problem{Status: http.StatusBadRequest, Title: "invalid transaction", Field: "nonce", Rule: blockchain.ErrBadNonce.String(), Detail: "nonce 1 is used"}
	tests := []struct {
		name    string
		after   int32 // the index catches up after this many reads of the transfer (0: never)
		orFirst bool  // the key's first answer will do as well as the 503
	}{
		{name: "the index stays behind"},
		// A lookup reads the transfer twice: in the index, then past
		// the blocks inNewBlock looked through.
		{name: "the index catches up between the looks", after: 2, orFirst: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyed := consensustest.Transfer("alice", "bob", 7, 1)
			b := minedPastTheIndex(t, keyed, tt.after)

			p := b.refusedAgain(events.TransactionSubmitted{Tx: keyed}, &badNonce).problem
			if p == nil {
				assert.True(t, tt.orFirst, "the key's first answer while the index cannot place the transfer")
				return
			}
			assert.Equal(t, http.StatusServiceUnavailable, p.Status, "a transfer in a block refused: %s", p.Detail)
			assert.Empty(t, p.Rule, "a 503 names no rule")
		})
	}
}

// TestSubmitAgainAsTheIndexCatchesUp: a transfer posted again (its first
// answer lost) that the pool refuses for its used nonce, while the index
// is far behind, is no bad-nonce: a block the index has not recorded may
// hold it. If the index catches up in the moment after the bank's first
// look, the answer may be 503 or the transfer's status, never the
// refusal: a client told bad-nonce for a transfer in a block signs it
// again, and pays twice.
func TestSubmitAgainAsTheIndexCatchesUp(t *testing.T) {
	tests := []struct {
		name  string
		after int32 // the index catches up after this many reads of the transfer (0: never)
	}{
		{name: "the index stays behind"},
		// submit reads the transfer's status (twice from the index: in
		// it, then past the blocks inNewBlock looked through) and, once
		// the pool refused it, its fate again.
		{name: "caught up after the status", after: 2},
		{name: "caught up after the fate", after: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			again := consensustest.Transfer("alice", "bob", 7, 1)
			b := minedPastTheIndex(t, again, tt.after)

			p := b.submit(context.Background(), events.TransactionSubmitted{Tx: again})
			if p == nil {
				return // the transfer's status: included
			}
			assert.Equal(t, http.StatusServiceUnavailable, p.Status, "a transfer in a block refused: %s", p.Detail)
			assert.Empty(t, p.Rule, "a 503 names no rule")
		})
	}
}
