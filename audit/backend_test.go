package audit_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
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

// TestForgedAuditEvents: anyone may append to the audit and transactions
// streams, and what a forger appends neither stops the auditor nor
// settles a transaction early. Each case appends one forged event before
// the auditor's first tick; then alice's payment is mined. The auditor
// must still record it verified, and never dropped.
func TestForgedAuditEvents(t *testing.T) {
	paid := consensustest.Transfer("alice", "bob", 350, 0)
	other := consensustest.Transfer("bob", "carol", 5, 0) // in no block
	for _, tc := range []struct {
		name   string
		forged func(real *blockchain.Block) (stream string, p events.Payload)
	}{
		{"verified at the greatest height", func(*blockchain.Block) (string, events.Payload) {
			return node.StreamAudit, events.TransactionVerified{TxID: other.ID(), BlockHash: blockchain.Hash{1}, Height: math.MaxUint64}
		}},
		{"verified at a height not reached yet", func(*blockchain.Block) (string, events.Payload) {
			return node.StreamAudit, events.TransactionVerified{TxID: other.ID(), BlockHash: blockchain.Hash{1}, Height: 1000}
		}},
		{"verified in a block the chain does not hold", func(*blockchain.Block) (string, events.Payload) {
			return node.StreamAudit, events.TransactionVerified{TxID: paid.ID(), BlockHash: blockchain.Hash{1}, Height: 1}
		}},
		{"verified in the real block, which does not hold it", func(real *blockchain.Block) (string, events.Payload) {
			return node.StreamAudit, events.TransactionVerified{TxID: other.ID(), BlockHash: real.Hash(), Height: 1}
		}},
		{"a rebroadcast attempt far past any policy", func(*blockchain.Block) (string, events.Payload) {
			return node.StreamTransactions, events.TransactionRebroadcast{Tx: other, Attempt: 1 << 40}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{now: t0}
			log := memlog.New(memlog.Config{Now: c.Now})
			t.Cleanup(func() { _ = log.Close() })
			fake := &fakeChain{chain: consensustest.NewChain(consensustest.NewFaker()), changed: make(chan struct{})}
			a, err := audit.New(audit.Config{Node: fake, Log: log, Policy: policy(time.Second, 10*time.Second, 3), Now: c.Now})
			require.NoError(t, err)
			appendPayload := func(stream string, p events.Payload) {
				ev, err := events.Encode(p)
				require.NoError(t, err)
				_, err = log.Append(context.Background(), stream, eventlog.Any, ev)
				require.NoError(t, err)
			}
			appendPayload(node.StreamTransactions, events.TransactionSubmitted{Tx: paid})
			appendPayload(node.StreamTransactions, events.TransactionSubmitted{Tx: other})
			b := fake.mine(t, paid)
			appendPayload(tc.forged(b))

			c.set(0)
			require.NoError(t, a.Tick(context.Background()))
			c.set(10 * time.Second) // one MaxAge: a rebroadcast, not a drop, with three attempts allowed
			require.NoError(t, a.Tick(context.Background()))

			recs, err := log.Read(context.Background(), node.StreamAudit, eventlog.Start, eventlog.Forwards, 100)
			require.NoError(t, err)
			var verified, dropped []uuid.UUID
			for _, r := range recs {
				p, err := events.Decode(r.Event)
				require.NoError(t, err)
				switch ev := p.(type) {
				case events.TransactionVerified:
					if ev.BlockHash == b.Hash() && ev.TxID == paid.ID() {
						verified = append(verified, ev.TxID)
					}
				case events.TransactionDropped:
					dropped = append(dropped, ev.TxID)
				}
			}
			assert.Equal(t, []uuid.UUID{paid.ID()}, verified, "the mined payment is verified once, in its block")
			assert.Empty(t, dropped, "nothing is dropped after one MaxAge of three")
			rep := a.Report()
			assert.Equal(t, 1, rep.Included, "the forged event is not counted")
			assert.Equal(t, 1, rep.Pending, "the unmined transfer still waits")
		})
	}
}
