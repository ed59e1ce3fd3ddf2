package audit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// fakeChain is an audit.Backend without a node: a real chain (pure, in
// memory) that the test extends by hand. Its blocks never pass through
// the log, so the auditor's wait for the node has nothing to wait for.
type fakeChain struct {
	chain *blockchain.Chain

	mu      sync.Mutex
	blocks  eventlog.Revision
	changed chan struct{}
}

var _ audit.Backend = (*fakeChain)(nil)

func (f *fakeChain) Chain() blockchain.ReadOnlyChain { return f.chain.ReadOnly() }

func (f *fakeChain) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *fakeChain) Position() (blocks, txs eventlog.Revision) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocks, 0
}

// mine adds a block holding the named transactions.
func (f *fakeChain) mine(t *testing.T, names ...string) *blockchain.Block {
	t.Helper()
	var txs []blockchain.Transaction
	for _, name := range names {
		txs = append(txs, tx(name))
	}
	b := blockchain.NewBlock(blockchain.NextHeader(f.chain.Tip(), txs, t0), txs)
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NoError(t, f.chain.Apply(b))
	f.blocks++
	close(f.changed)
	f.changed = make(chan struct{})
	return b
}

// TestAuditorOnAFakeBackend runs the auditor on a fake chain and a real
// log: it verifies what the chain includes, and rebroadcasts, then drops,
// what it does not — with no node at all.
func TestAuditorOnAFakeBackend(t *testing.T) {
	c := &clock{now: t0}
	log := memlog.New(memlog.Config{Now: c.Now})
	t.Cleanup(func() { _ = log.Close() })
	chain, err := blockchain.NewChain(blockchain.Config{Engine: consensustest.NewFaker(), Now: c.Now})
	require.NoError(t, err)
	fake := &fakeChain{chain: chain, changed: make(chan struct{})}
	a, err := audit.New(audit.Config{Node: fake, Log: log, Policy: policy(time.Second, 10*time.Second, 1), Now: c.Now})
	require.NoError(t, err)

	for _, name := range []string{"paid", "stranded"} {
		ev, err := events.Encode(events.TransactionSubmitted{Tx: tx(name)})
		require.NoError(t, err)
		_, err = log.Append(context.Background(), node.StreamTransactions, eventlog.Any, ev)
		require.NoError(t, err)
	}
	b := fake.mine(t, "paid")

	tick := func(at time.Duration) {
		c.set(at)
		require.NoError(t, a.Tick(context.Background()))
	}
	tick(0)
	assert.Equal(t, audit.Report{Submitted: 2, Included: 1, Pending: 1}, a.Report())
	tick(10 * time.Second)
	assert.Equal(t, audit.Report{Submitted: 2, Included: 1, Pending: 1, Rebroadcasts: 1}, a.Report())
	tick(20 * time.Second)
	assert.Equal(t, audit.Report{Submitted: 2, Included: 1, Rebroadcasts: 1, Dropped: 1}, a.Report())

	recs, err := log.Read(context.Background(), node.StreamAudit, eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	verified, err := events.Decode(recs[0].Event)
	require.NoError(t, err)
	assert.Equal(t, events.TransactionVerified{TxID: tx("paid").ID(), BlockHash: b.Hash(), Height: 1}, verified)
	dropped, err := events.Decode(recs[1].Event)
	require.NoError(t, err)
	assert.Equal(t, tx("stranded").ID(), dropped.(events.TransactionDropped).TxID)
}
