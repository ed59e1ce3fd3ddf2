package bank

import (
	"context"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/node"
)

// TestReviewIncludedTransactionNotDroppedWhileIndexBehind: a transaction
// the chain included while the index was behind must not read as dropped
// because an audit drop for it (written by anyone who can write to the
// log) was recorded before the index caught up.
func TestReviewIncludedTransactionNotDroppedWhileIndexBehind(t *testing.T) {
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
	f.mine(t, nil, first) // included; the index cannot record it
	store.await(t, "addBlock 1 refused")

	e, err := events.Encode(events.TransactionDropped{TxID: first.ID(), Rule: blockchain.ErrBadNonce, Reason: "forged"})
	require.NoError(t, err)
	_, err = f.log.Append(context.Background(), node.StreamAudit, eventlog.Any, e)
	require.NoError(t, err)
	store.await(t, "putDropped refused")
	store.refuse.Store(false) // disk freed; no block yet
	store.await(t, "putDropped ok")
	assert.NotEqual(t, StatusDropped, f.bank.status(first.ID()).Status, "the chain included it")
}

// resetRefusingStore refuses to be emptied, as a full (or read-only)
// file system would.
type resetRefusingStore struct{ indexStore }

func (resetRefusingStore) reset() error { return fmt.Errorf("write index.db: %w", syscall.ENOSPC) }

// TestReviewForeignIndexNotServedWhenResetRefused: an index of another
// chain that reconcile cannot empty (the disk is full) must not be kept
// as merely behind, where it answers for the other chain.
func TestReviewForeignIndexNotServedWhenResetRefused(t *testing.T) {
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
