package miner_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// fakeNow is the fake backend's clock: a little after the transactions
// consensustest.Transfer makes.
var fakeNow = blockchain.Genesis().Header().Timestamp.Add(time.Minute)

// fakeBackend is a miner.Backend without an event log: a real chain and
// pool (pure, in memory) and a publish that applies the block at once,
// as a node would once it read the block back. It can also play another
// miner, whose block wins the tip.
type fakeBackend struct {
	chain  *blockchain.Chain
	pool   *pool.Pool
	engine blockchain.Consensus

	mu        sync.Mutex
	blocks    eventlog.Revision // block events "read"
	changed   chan struct{}
	published []*blockchain.Block
	stale     int // how many publishes to refuse as stale
}

var _ miner.Backend = (*fakeBackend)(nil)

func newFakeBackend(t *testing.T, engine blockchain.Consensus, maxTx int) *fakeBackend {
	t.Helper()
	clock := func() time.Time { return fakeNow }
	chain, err := blockchain.NewChain(blockchain.Config{Engine: engine, Now: clock})
	require.NoError(t, err)
	policy := pool.DefaultPolicy()
	policy.MaxTx, policy.MaxWait = maxTx, time.Hour
	p, err := pool.New(pool.Config{Policy: policy, Chain: chain, Now: clock})
	require.NoError(t, err)
	return &fakeBackend{chain: chain, pool: p, engine: engine, changed: make(chan struct{})}
}

func (f *fakeBackend) Chain() blockchain.ReadOnlyChain { return f.chain.ReadOnly() }
func (f *fakeBackend) Pool() *pool.Pool                { return f.pool }
func (f *fakeBackend) Engine() blockchain.Consensus    { return f.engine }

func (f *fakeBackend) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *fakeBackend) Position() (blocks, txs eventlog.Revision) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocks, 0
}

// PublishBlock applies b, unless it is told to refuse it as stale: then
// it lets another miner's block win the tip first, as a log would.
func (f *fakeBackend) PublishBlock(_ context.Context, b *blockchain.Block, _ string) error {
	f.mu.Lock()
	lose := f.stale > 0
	if lose {
		f.stale--
	}
	f.mu.Unlock()
	if lose {
		f.other(b.Transactions()[:1])
		return fmt.Errorf("fake publish: %w", node.ErrStale)
	}
	if err := f.apply(b); err != nil {
		return err
	}
	f.mu.Lock()
	f.published = append(f.published, b)
	f.mu.Unlock()
	return nil
}

// apply adds b to the chain, as a node's Follow would.
func (f *fakeBackend) apply(b *blockchain.Block) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.chain.Apply(b); err != nil {
		return err
	}
	f.pool.RemoveBlock(b)
	f.blocks++
	close(f.changed)
	f.changed = make(chan struct{})
	return nil
}

// other plays another miner whose block, holding txs, wins the tip.
func (f *fakeBackend) other(txs []blockchain.Transaction) *blockchain.Block {
	h := blockchain.NextHeader(f.chain.Tip(), txs, fakeNow)
	b := blockchain.NewBlock(h, txs)
	if err := f.apply(b); err != nil {
		panic(err) // a test bug: the fake's own block must apply
	}
	return b
}

func (f *fakeBackend) add(t *testing.T, txs ...blockchain.Transaction) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, tx := range txs {
		require.NoError(t, f.pool.Add(tx))
	}
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeBackend) publishedBlocks() []*blockchain.Block {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*blockchain.Block(nil), f.published...)
}

// newFakeMiner returns a miner on b that sends its events to a channel.
func newFakeMiner(t *testing.T, b miner.Backend, engine blockchain.Consensus) (*miner.Miner, <-chan miner.Event) {
	t.Helper()
	ch := make(chan miner.Event, 100)
	m, err := miner.New(miner.Config{Node: b, ID: "fake", Engine: engine, Now: func() time.Time { return fakeNow },
		OnEvent: func(e miner.Event) { ch <- e }})
	require.NoError(t, err)
	return m, ch
}

// runMiner runs m until the test ends.
func runMiner(t *testing.T, m *miner.Miner) {
	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	g.Go(func() error { return m.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		assert.ErrorIs(t, g.Wait(), context.Canceled)
	})
}

// next returns the next event of kind, failing after the watchdog.
func next(t *testing.T, ch <-chan miner.Event, kind miner.EventKind) miner.Event {
	t.Helper()
	deadline := time.NewTimer(watchdog)
	defer deadline.Stop()
	for {
		select {
		case e := <-ch:
			if e.Kind == kind {
				return e
			}
		case <-deadline.C:
			t.Fatalf("waited %v for event %d", watchdog, kind)
		}
	}
}

func transfers(prefix string, n int) []blockchain.Transaction {
	var txs []blockchain.Transaction
	for i := range n {
		txs = append(txs, consensustest.Transfer(fmt.Sprintf("%s %d", prefix, i), "alice", "bob", int64(i+1)))
	}
	return txs
}

// TestMinerOnAFakeBackend checks the mining loop alone, on a fake node:
// what goes into a block, what a lost race and a new tip do.
func TestMinerOnAFakeBackend(t *testing.T) {
	t.Run("a full pool becomes a block, oldest first", func(t *testing.T) {
		engine := consensustest.NewFaker()
		b := newFakeBackend(t, engine, 3)
		m, evs := newFakeMiner(t, b, nil)
		runMiner(t, m)
		txs := transfers("full", 5)
		b.add(t, txs...)
		won := next(t, evs, miner.BlockWon)
		assert.Equal(t, txs[:3], won.Block.Transactions(), "MaxTx of the oldest, in order")
		assert.Equal(t, uint64(1), won.Block.Height())
		assert.Equal(t, blockchain.Genesis().Hash(), won.Block.PrevHash())
		assert.Equal(t, uint64(1), m.Stats().BlocksWon)
		require.Len(t, b.publishedBlocks(), 1)
	})
	t.Run("the engine comes from the backend when Config has none", func(t *testing.T) {
		engine := consensustest.NewFaker()
		b := newFakeBackend(t, engine, 1)
		m, evs := newFakeMiner(t, b, nil)
		runMiner(t, m)
		b.add(t, transfers("engine", 1)...)
		assert.Equal(t, uint64(1), next(t, evs, miner.BlockWon).Block.Height())
	})
	t.Run("a lost race is counted, and the miner goes on from the new tip", func(t *testing.T) {
		engine := consensustest.NewFaker()
		b := newFakeBackend(t, engine, 2)
		b.stale = 1
		m, evs := newFakeMiner(t, b, nil)
		runMiner(t, m)
		txs := transfers("lost", 2)
		b.add(t, txs...)
		lost := next(t, evs, miner.BlockLost)
		assert.ErrorIs(t, lost.Err, node.ErrStale)
		// The other miner's block took txs[0]; txs[1] is left, alone, and
		// waits for MaxTx or MaxWait. Another arrives and makes two.
		more := transfers("lost more", 1)
		b.add(t, more...)
		won := next(t, evs, miner.BlockWon)
		assert.Equal(t, uint64(2), won.Block.Height(), "built on the other miner's block")
		assert.Equal(t, []blockchain.Transaction{txs[1], more[0]}, won.Block.Transactions())
		st := m.Stats()
		assert.Equal(t, uint64(1), st.BlocksLost)
		assert.Equal(t, uint64(1), st.BlocksWon)
	})
	t.Run("a new tip cancels the seal", func(t *testing.T) {
		engine := consensustest.NewDelayer(time.Hour) // seals only when cancelled
		b := newFakeBackend(t, engine, 1)
		m, evs := newFakeMiner(t, b, engine)
		runMiner(t, m)
		txs := transfers("cancel", 2)
		b.add(t, txs[0])
		started := next(t, evs, miner.SealStarted)
		assert.Equal(t, uint64(1), started.Block.Height())
		b.other(nil) // another miner's empty block wins height 1
		cancelled := next(t, evs, miner.SealCancelled)
		assert.Equal(t, started.Block.Hash(), cancelled.Block.Hash())
		restarted := next(t, evs, miner.SealStarted)
		assert.Equal(t, uint64(2), restarted.Block.Height(), "the next seal builds on the new tip")
		assert.Equal(t, []blockchain.Transaction{txs[0]}, restarted.Block.Transactions(), "with what is still pending")
		assert.Equal(t, uint64(1), m.Stats().SealsCancelled)
	})
	t.Run("a failing engine stops Run with its error", func(t *testing.T) {
		b := newFakeBackend(t, consensustest.NewFaker(), 1)
		m, err := miner.New(miner.Config{Node: b, Engine: failingEngine{consensustest.NewFaker()}, Now: func() time.Time { return fakeNow }})
		require.NoError(t, err)
		b.add(t, transfers("fail", 1)...)
		err = m.Run(context.Background())
		assert.ErrorIs(t, err, errPrepare)
	})
}

var errPrepare = errors.New("prepare failed")

// failingEngine cannot prepare a header.
type failingEngine struct{ blockchain.Consensus }

func (failingEngine) Prepare(blockchain.ChainReader, *blockchain.Header) error { return errPrepare }
