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

// mine adds a block holding txs, paying "miner".
func (f *fakeChain) mine(t *testing.T, txs ...blockchain.Transaction) *blockchain.Block {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), f.chain, 1,
		func(_ int, g *consensustest.BlockGen) {
			for _, tx := range txs {
				g.AddTx(tx)
			}
		})
	require.NoError(t, err)
	f.blocks++
	close(f.changed)
	f.changed = make(chan struct{})
	return blocks[0]
}

// TestAuditorOnAFakeBackend runs the auditor on a fake chain and a real
// log: it verifies what the chain includes, drops at once what a block
// made invalid, and rebroadcasts, then drops, what it does not include —
// with no node at all.
func TestAuditorOnAFakeBackend(t *testing.T) {
	c := &clock{now: t0}
	log := memlog.New(memlog.Config{Now: c.Now})
	t.Cleanup(func() { _ = log.Close() })
	fake := &fakeChain{chain: consensustest.NewChain(consensustest.NewFaker()), changed: make(chan struct{})}
	a, err := audit.New(audit.Config{Node: fake, Log: log, Policy: policy(time.Second, 10*time.Second, 1), Now: c.Now})
	require.NoError(t, err)

	paid := consensustest.Transfer("alice", "bob", 350, 0)
	stranded := consensustest.Transfer("bob", "carol", 90, 0)
	outbid := consensustest.Transfer("carol", "dave", 10, 0)
	winner := consensustest.TransferFee("carol", "erin", 10, 5, 0) // carol's nonce 0 again, with a fee
	for _, tx := range []blockchain.Transaction{paid, stranded, outbid} {
		ev, err := events.Encode(events.TransactionSubmitted{Tx: tx})
		require.NoError(t, err)
		_, err = log.Append(context.Background(), node.StreamTransactions, eventlog.Any, ev)
		require.NoError(t, err)
	}
	b := fake.mine(t, paid, winner)

	tick := func(at time.Duration) {
		c.set(at)
		require.NoError(t, a.Tick(context.Background()))
	}
	tick(0)
	assert.Equal(t, audit.Report{Submitted: 3, Included: 2, Pending: 1, Dropped: 1}, a.Report())
	tick(10 * time.Second)
	assert.Equal(t, audit.Report{Submitted: 3, Included: 2, Pending: 1, Rebroadcasts: 1, Dropped: 1}, a.Report())
	tick(20 * time.Second)
	assert.Equal(t, audit.Report{Submitted: 3, Included: 2, Rebroadcasts: 1, Dropped: 2}, a.Report())

	recs, err := log.Read(context.Background(), node.StreamAudit, eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	var got []events.Payload
	for _, r := range recs {
		p, err := events.Decode(r.Event)
		require.NoError(t, err)
		if d, ok := p.(events.TransactionDropped); ok {
			d.Reason = "" // checked by TestFate
			p = d
		}
		got = append(got, p)
	}
	assert.Equal(t, []events.Payload{
		events.TransactionVerified{TxID: paid.ID(), BlockHash: b.Hash(), Height: 1},
		events.TransactionVerified{TxID: winner.ID(), BlockHash: b.Hash(), Height: 1},
		events.TransactionDropped{TxID: outbid.ID(), Rule: blockchain.ErrBadNonce},
		events.TransactionDropped{TxID: stranded.ID(), Rule: blockchain.ErrUnknown, Attempts: 1},
	}, got)
}
