package bank

import (
	"context"
	"fmt"
	"net/http"
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
// with ENOSPC. Each call is told on calls, refused or not.
type refusingStore struct {
	indexStore
	refuse atomic.Bool
	calls  chan string // "addBlock 3 refused", "putDropped ok"
}

func (s *refusingStore) tell(what string, refused bool) error {
	if refused {
		s.calls <- what + " refused"
		return fmt.Errorf("write index.db: %w", syscall.ENOSPC)
	}
	s.calls <- what + " ok"
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
// any order, passing over other calls.
func (s *refusingStore) await(t *testing.T, want ...string) {
	t.Helper()
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	timeout := time.After(explorerWatchdog) // a bound on a hang, not a wait for an event
	for len(missing) > 0 {
		select {
		case got := <-s.calls:
			delete(missing, got)
		case <-timeout:
			t.Fatalf("the index was never called: %v", missing)
		}
	}
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
	var store *refusingStore
	f := newExplorerFixtureWith(t, nil, func(b *Bank) {
		store = &refusingStore{indexStore: b.index.store, calls: make(chan string, 1000)}
		b.index.store = store
		b.droppedRetry = time.Millisecond
	})
	first := consensustest.Transfer("alice", "bob", 5, 0)
	status, body := f.post(t, first)
	require.Equal(t, http.StatusAccepted, status, "%s", body)

	store.refuse.Store(true)
	f.mine(t, nil, first)
	store.await(t, "addBlock 1 refused")
	assert.NoError(t, f.bank.IndexErr(), "the index is behind, not broken")
	select {
	case <-f.bank.index.failed:
		t.Fatal("the index signalled a failure: the bank app would stop")
	default:
	}
	assert.Equal(t, StatusPending, f.bank.status(first.ID()).Status, "accepted, in a block the index could not record")

	// A drop the audit stream tells of waits for the file.
	gone := uuid.New()
	e, err := events.Encode(events.TransactionDropped{TxID: gone, Rule: blockchain.ErrBadNonce, Reason: "its nonce was used"})
	require.NoError(t, err)
	_, err = f.log.Append(context.Background(), node.StreamAudit, eventlog.Any, e)
	require.NoError(t, err)
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
