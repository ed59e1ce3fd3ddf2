package miner_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// fakeNow is the fake backend's clock: a minute after the genesis block.
var fakeNow = blockchain.GenesisTime.Add(time.Minute)

// fakeBeneficiary is the account the fake miners pay: it has no funds at
// genesis, so its balance is exactly what its blocks earned.
var fakeBeneficiary = consensustest.Addr("fake miner")

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
	stale     int   // how many publishes to refuse as stale
	publish   error // if set, what every publish fails with
	failures  int   // how many publishes fail with errLogDown first
	landed    int   // how many publishes write the block, then fail with errLogDown
	maxTxs    int   // if not 0, a block of more transactions is refused as too large
	attempts  []*blockchain.Block
}

// errLogDown is a failure that passes: a log unreachable for a moment.
var errLogDown = errors.New("fake publish: the log is unreachable")

var _ miner.Backend = (*fakeBackend)(nil)

// newFakeBackend returns a fake on a new chain of
// consensustest.SpecOf(engine) with engine, whose pool cuts blocks of
// maxTx. With ledger false the pool checks the transactions' sanity only,
// not their nonces and funds on the chain: it lets in transfers the chain
// then refuses.
func newFakeBackend(t *testing.T, engine blockchain.Consensus, maxTx int, ledger bool) *fakeBackend {
	t.Helper()
	clock := func() time.Time { return fakeNow }
	cfg := consensustest.Config(engine)
	cfg.Now = clock
	chain, err := blockchain.NewChain(cfg)
	require.NoError(t, err)
	policy := pool.DefaultPolicy()
	policy.MaxTx, policy.MaxWait = maxTx, time.Hour
	pcfg := pool.Config{Policy: policy, Now: clock}
	if ledger {
		pcfg.Chain = chain
	}
	p, err := pool.New(pcfg)
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

func (f *fakeBackend) Propose(beneficiary blockchain.Address, txs []blockchain.Transaction, now time.Time) (*blockchain.Block, []blockchain.Rejected, error) {
	return f.chain.Propose(beneficiary, txs, now)
}

// PublishBlock applies b, unless it is told to refuse it as stale: then
// it lets another miner's block win the tip first, as a log would.
func (f *fakeBackend) PublishBlock(_ context.Context, b *blockchain.Block, _ string) error {
	f.mu.Lock()
	f.attempts = append(f.attempts, b)
	lose, fail := f.stale > 0, f.publish
	if lose {
		f.stale--
	}
	if fail == nil && f.failures > 0 {
		f.failures--
		fail = errLogDown
	}
	landed := fail == nil && f.landed > 0
	if landed {
		f.landed--
	}
	extends := f.chain.TipHash() == b.PrevHash()
	if fail == nil && f.maxTxs > 0 && b.Len() > f.maxTxs {
		fail = fmt.Errorf("fake publish: a block of %d transactions: %w", b.Len(), eventlog.ErrTooLarge)
	}
	f.mu.Unlock()
	if fail != nil {
		return fail
	}
	if !lose && !extends { // as a node's PublishBlock: another block is the tip
		return fmt.Errorf("fake publish: %w", node.ErrStale)
	}
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
	if landed {
		return errLogDown // written, but the answer was lost
	}
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

// other plays another miner, paying carol, whose block holding txs wins
// the tip.
func (f *fakeBackend) other(txs []blockchain.Transaction) *blockchain.Block {
	b, rejected, err := f.chain.Propose(consensustest.Addr("carol"), txs, fakeNow)
	if err != nil || len(rejected) > 0 {
		panic(fmt.Sprint("the fake's own block must apply: ", err, rejected)) // a test bug
	}
	if err := f.apply(b); err != nil {
		panic(err) // a test bug, as above
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

// newFakeMiner returns a miner on b, paying fakeBeneficiary, that sends
// its events to a channel.
func newFakeMiner(t *testing.T, b miner.Backend, engine blockchain.Consensus) (*miner.Miner, <-chan miner.Event) {
	t.Helper()
	ch := make(chan miner.Event, 100)
	m, err := miner.New(miner.Config{Node: b, ID: "fake", Beneficiary: fakeBeneficiary, Engine: engine,
		Now: func() time.Time { return fakeNow }, OnEvent: func(e miner.Event) { ch <- e }})
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

// next returns the next event of kind (-1: of any kind), failing after
// the watchdog.
// untilWon reads events from ch until a BlockWon, and returns it and how
// many seals were started on the way.
func untilWon(t *testing.T, ch <-chan miner.Event) (won miner.Event, seals int) {
	t.Helper()
	for won.Kind != miner.BlockWon {
		won = next(t, ch, -1)
		if won.Kind == miner.SealStarted {
			seals++
		}
	}
	return won, seals
}

func next(t *testing.T, ch <-chan miner.Event, kind miner.EventKind) miner.Event {
	t.Helper()
	deadline := time.NewTimer(watchdog)
	defer deadline.Stop()
	for {
		select {
		case e := <-ch:
			if e.Kind == kind || kind == -1 {
				return e
			}
		case <-deadline.C:
			t.Fatalf("waited %v for event %d", watchdog, kind)
		}
	}
}

// transfers returns n transfers from one named account to bob, with
// nonces from first on, of 1, 2, … n and fees of 0, 1, … n-1.
func transfers(from string, first uint64, n int) []blockchain.Transaction {
	txs := make([]blockchain.Transaction, n)
	for i := range txs {
		txs[i] = consensustest.TransferFee(from, "bob", int64(i+1), int64(i), first+uint64(i))
	}
	return txs
}

// TestMinerOnAFakeBackend checks the mining loop alone, on a fake node:
// what goes into a block, who is paid, what a lost race, a new tip and a
// transaction the chain refuses do.
func TestMinerOnAFakeBackend(t *testing.T) {
	t.Run("a full pool becomes a block, oldest first", func(t *testing.T) {
		engine := consensustest.NewFaker()
		b := newFakeBackend(t, engine, 3, true)
		m, evs := newFakeMiner(t, b, nil)
		runMiner(t, m)
		txs := transfers("alice", 0, 5)
		b.add(t, txs...)
		won := next(t, evs, miner.BlockWon)
		assert.Equal(t, txs[:3], won.Block.Transactions(), "MaxTx of the oldest, in order")
		assert.Equal(t, uint64(1), won.Block.Height())
		assert.Equal(t, consensustest.Genesis().Hash(), won.Block.PrevHash())
		assert.Equal(t, fakeBeneficiary, won.Block.Header().Beneficiary)
		assert.Equal(t, uint64(1), m.Stats().BlocksWon)
		require.Len(t, b.publishedBlocks(), 1)
	})
	t.Run("the sealed block pays the beneficiary the reward and the fees", func(t *testing.T) {
		engine := consensustest.NewFaker()
		b := newFakeBackend(t, engine, 4, true)
		m, evs := newFakeMiner(t, b, nil)
		runMiner(t, m)
		txs := []blockchain.Transaction{
			consensustest.TransferFee("alice", "bob", 100, 7, 0),
			consensustest.TransferFee("bob", "carol", 100, 0, 0),
			consensustest.TransferFee("alice", "dave", 100, 30, 1),
			consensustest.TransferFee("erin", "alice", 100, 5, 0),
		}
		b.add(t, txs...)
		won := next(t, evs, miner.BlockWon)
		require.Equal(t, txs, won.Block.Transactions())
		assert.Equal(t, blockchain.Account{Balance: consensustest.Reward + 7 + 0 + 30 + 5},
			b.Chain().Account(fakeBeneficiary), "reward + fees, credited when the chain applied the block")
		assert.Equal(t, blockchain.Account{Balance: consensustest.Funds - 200 - 37 + 100, Nonce: 2},
			b.Chain().Account(consensustest.Addr("alice")), "the senders paid amount and fee")
	})
	t.Run("the engine comes from the backend when Config has none", func(t *testing.T) {
		engine := consensustest.NewFaker()
		b := newFakeBackend(t, engine, 1, true)
		m, evs := newFakeMiner(t, b, nil)
		runMiner(t, m)
		b.add(t, transfers("alice", 0, 1)...)
		assert.Equal(t, uint64(1), next(t, evs, miner.BlockWon).Block.Height())
	})
	t.Run("a lost race is counted, and the miner goes on from the new tip", func(t *testing.T) {
		engine := consensustest.NewFaker()
		b := newFakeBackend(t, engine, 2, true)
		b.stale = 1
		m, evs := newFakeMiner(t, b, nil)
		runMiner(t, m)
		txs := transfers("alice", 0, 2)
		b.add(t, txs...)
		lost := next(t, evs, miner.BlockLost)
		assert.ErrorIs(t, lost.Err, node.ErrStale)
		// The other miner's block took txs[0]; txs[1] is left, alone, and
		// waits for MaxTx or MaxWait. Another arrives and makes two.
		more := transfers("alice", 2, 1)
		b.add(t, more...)
		won := next(t, evs, miner.BlockWon)
		assert.Equal(t, uint64(2), won.Block.Height(), "built on the other miner's block")
		assert.Equal(t, []blockchain.Transaction{txs[1], more[0]}, won.Block.Transactions())
		st := m.Stats()
		assert.Equal(t, uint64(1), st.BlocksLost)
		assert.Equal(t, uint64(1), st.BlocksWon)
		assert.Equal(t, blockchain.Account{Balance: consensustest.Reward + txs[1].Fee() + more[0].Fee()},
			b.Chain().Account(fakeBeneficiary), "paid for the block won only")
	})
	t.Run("a new tip cancels the seal", func(t *testing.T) {
		engine := consensustest.NewDelayer(time.Hour) // seals only when cancelled
		b := newFakeBackend(t, engine, 1, true)
		m, evs := newFakeMiner(t, b, engine)
		runMiner(t, m)
		txs := transfers("alice", 0, 1)
		b.add(t, txs...)
		started := next(t, evs, miner.SealStarted)
		assert.Equal(t, uint64(1), started.Block.Height())
		b.other(nil) // another miner's empty block wins height 1
		cancelled := next(t, evs, miner.SealCancelled)
		assert.Equal(t, started.Block.Hash(), cancelled.Block.Hash())
		restarted := next(t, evs, miner.SealStarted)
		assert.Equal(t, uint64(2), restarted.Block.Height(), "the next seal builds on the new tip")
		assert.Equal(t, txs, restarted.Block.Transactions(), "with what is still pending")
		assert.Equal(t, uint64(1), m.Stats().SealsCancelled)
	})
	t.Run("a seal under way counts in SealTime", func(t *testing.T) {
		// A status line's rate "while sealing" divides the hashes of a
		// period by SealTime's growth in it: a seal longer than the
		// period counted nothing until it ended, and the rate read 0.
		engine := consensustest.NewDelayer(time.Hour) // seals only when cancelled
		b := newFakeBackend(t, engine, 1, true)
		m, evs := newFakeMiner(t, b, engine)
		runMiner(t, m)
		b.add(t, transfers("alice", 0, 1)...)
		next(t, evs, miner.SealStarted)
		first := m.Stats().SealTime
		assert.Positive(t, first, "the seal under way, from its start")
		assert.GreaterOrEqual(t, m.Stats().SealTime, first, "and it only grows")
	})
	t.Run("transactions the chain refuses leave the pool, the rest is mined", func(t *testing.T) {
		engine := consensustest.NewFaker()
		b := newFakeBackend(t, engine, 4, false) // a pool that checks no nonce, funds or chain ID
		m, evs := newFakeMiner(t, b, nil)
		good := consensustest.Transfer("alice", "bob", 10, 0)
		gap := consensustest.Transfer("bob", "carol", 10, 3)      // bob's next nonce is 0: a gap
		broke := consensustest.Transfer("nobody", "carol", 10, 0) // no funds
		foreign := blockchain.Transfer{ChainID: "another-chain", To: consensustest.Addr("bob"), Amount: 10}.Sign(consensustest.Key("carol"))
		b.add(t, gap, good, broke, foreign)
		runMiner(t, m)

		rejected := next(t, evs, miner.TransactionsRejected)
		codes := map[uuid.UUID]blockchain.ErrorCode{}
		for _, r := range rejected.Rejected {
			var re *blockchain.RuleError
			require.ErrorAs(t, r.Err, &re)
			codes[r.Tx.ID()] = re.Code
		}
		assert.Equal(t, map[uuid.UUID]blockchain.ErrorCode{
			gap.ID():     blockchain.ErrBadNonce,
			broke.ID():   blockchain.ErrInsufficientFunds,
			foreign.ID(): blockchain.ErrWrongChain,
		}, codes)
		won := next(t, evs, miner.BlockWon)
		assert.Equal(t, []blockchain.Transaction{good}, won.Block.Transactions())
		assert.Zero(t, b.Pool().Len(), "the refused ones are gone from the pool, the good one is mined")
		assert.Equal(t, uint64(3), m.Stats().TxsRejected)
	})
	t.Run("a pool of refused transactions only: removed, nothing mined", func(t *testing.T) {
		engine := consensustest.NewFaker()
		b := newFakeBackend(t, engine, 2, false)
		m, evs := newFakeMiner(t, b, nil)
		bad := []blockchain.Transaction{consensustest.Transfer("bob", "carol", 10, 9), consensustest.Transfer("dave", "carol", 10, 9)}
		b.add(t, bad...)
		runMiner(t, m)
		rejected := next(t, evs, miner.TransactionsRejected)
		assert.Len(t, rejected.Rejected, 2)
		assert.Zero(t, rejected.Block.Len())
		// The miner waits for news; one good transfer and one more bad
		// one make the pool ready again, and only the good one is mined.
		b.add(t, consensustest.Transfer("alice", "bob", 1, 0), consensustest.Transfer("erin", "bob", 1, 7))
		won := next(t, evs, miner.BlockWon)
		assert.Equal(t, uint64(1), won.Block.Height(), "no empty block before it")
		assert.Equal(t, 1, won.Block.Len())
		assert.Equal(t, uint64(3), m.Stats().TxsRejected)
	})
}

// TestMinerStopsOnEngineFailure: an engine that cannot prepare (through
// the backend's proposal) or seal stops Run with its error.
func TestMinerStopsOnEngineFailure(t *testing.T) {
	for _, tc := range []struct {
		name          string
		node, sealing blockchain.Consensus
		want          error
		not           error // that Run's error must not wrap, if not nil
	}{
		{"prepare fails", failingEngine{consensustest.NewFaker(), errPrepare, nil}, nil, errPrepare, nil},
		{"seal fails", consensustest.NewFaker(), failingEngine{consensustest.NewFaker(), nil, errSeal}, errSeal, nil},
		{"seal returns no block and no error", consensustest.NewFaker(), failingEngine{consensustest.NewFaker(), nil, errNoBlockNoError}, miner.ErrNoBlock, nil},
		{"seal returns no block and no error: a broken contract", consensustest.NewFaker(), failingEngine{consensustest.NewFaker(), nil, errNoBlockNoError}, miner.ErrEngineMisbehaved, nil},
		// A seal of another block than the miner's: its chain refused
		// it, and the miner sealed it again every RetryWait, for ever.
		{"seal pays another", consensustest.NewFaker(), alteringEngine{consensustest.NewFaker(), func(b *blockchain.Block) *blockchain.Block {
			h := b.Header()
			h.Beneficiary = consensustest.Addr("mallory")
			return b.WithHeader(h)
		}}, miner.ErrEngineMisbehaved, nil},
		{"seal builds on another parent", consensustest.NewFaker(), alteringEngine{consensustest.NewFaker(), func(b *blockchain.Block) *blockchain.Block {
			h := b.Header()
			h.PrevHash[0] ^= 1
			return b.WithHeader(h)
		}}, miner.ErrEngineMisbehaved, nil},
		{"seal drops the transactions", consensustest.NewFaker(), alteringEngine{consensustest.NewFaker(), func(b *blockchain.Block) *blockchain.Block {
			return blockchain.NewBlock(b.Header(), nil)
		}}, miner.ErrEngineMisbehaved, nil},
		// A plugin's bugs: they stopped the process, or spun the miner
		// thousands of rounds a second.
		{"prepare panics", failingEngine{consensustest.NewFaker(), errPanic, nil}, nil, blockchain.ErrEngineMisbehaved, nil},
		{"seal panics", consensustest.NewFaker(), failingEngine{consensustest.NewFaker(), nil, errPanic}, miner.ErrEngineMisbehaved, nil},
		{"seal cancels itself", consensustest.NewFaker(), failingEngine{consensustest.NewFaker(), nil, context.Canceled}, miner.ErrEngineMisbehaved, nil},
		// Taken for the caller's deadline, by errors.Is, before.
		{"seal's own deadline passes", consensustest.NewFaker(), failingEngine{consensustest.NewFaker(), nil, context.DeadlineExceeded}, miner.ErrEngineMisbehaved, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeBackend(t, tc.node, 1, true)
			m, err := miner.New(miner.Config{Node: b, Beneficiary: fakeBeneficiary, Engine: tc.sealing, Now: func() time.Time { return fakeNow }})
			require.NoError(t, err)
			b.add(t, transfers("alice", 0, 1)...)
			ctx, cancel := context.WithTimeout(context.Background(), watchdog)
			defer cancel()
			err = m.Run(ctx)
			assert.ErrorIs(t, err, tc.want)
			if tc.not != nil {
				assert.NotErrorIs(t, err, tc.not)
			}
			assert.Zero(t, b.Chain().Height())
		})
	}
}

// TestMinerStopsWhenTheLogIsGone: a publish refused by a closed log, a
// deleted blocks stream or a damaged log can never succeed. The miner
// sealed a block a second for ever on it (a damaged file, from outside:
// for ever, warning every few seconds); now Run returns the log's error
// at once.
func TestMinerStopsWhenTheLogIsGone(t *testing.T) {
	for _, want := range []error{eventlog.ErrClosed, eventlog.ErrStreamDeleted, eventlog.ErrCorrupt} {
		t.Run(want.Error(), func(t *testing.T) {
			b := newFakeBackend(t, consensustest.NewFaker(), 1, true)
			b.publish = fmt.Errorf("fake publish: %w", want)
			m, _ := newFakeMiner(t, b, nil)
			b.add(t, transfers("alice", 0, 1)...)
			ctx, cancel := context.WithTimeout(context.Background(), watchdog)
			defer cancel()
			err := m.Run(ctx)
			assert.ErrorIs(t, err, want)
			assert.NoError(t, ctx.Err(), "returned before the watchdog")
			assert.Equal(t, uint64(0), m.Stats().BlocksWon)
		})
	}
}

// TestSealedBlockOutlivesALogDown: a publish that fails for a moment is
// tried again with the same sealed block, after pauses that grow, until
// the log takes it. The miner threw the block away and sealed another,
// at full speed, for as long as the log was down.
func TestSealedBlockOutlivesALogDown(t *testing.T) {
	b := newFakeBackend(t, consensustest.NewFaker(), 1, true)
	b.failures = 3
	events := make(chan miner.Event, 100)
	m, err := miner.New(miner.Config{Node: b, Beneficiary: fakeBeneficiary, Now: func() time.Time { return fakeNow },
		RetryWait: time.Millisecond, OnEvent: func(e miner.Event) { events <- e }})
	require.NoError(t, err)
	b.add(t, transfers("alice", 0, 1)...)
	runMiner(t, m)

	won, seals := untilWon(t, events)
	assert.Equal(t, 1, seals, "sealed once")
	require.Len(t, b.publishedBlocks(), 1)
	assert.Equal(t, won.Block.Hash(), b.publishedBlocks()[0].Hash())
	b.mu.Lock()
	attempts := slices.Clone(b.attempts)
	b.mu.Unlock()
	require.Len(t, attempts, 4, "three failures, then the log took it")
	for _, a := range attempts {
		assert.Equal(t, won.Block.Hash(), a.Hash(), "the same sealed block each time")
	}
	assert.Equal(t, uint64(1), m.Stats().BlocksWon)
}

// TestBlockTooLargeForTheLog: a block whose event the log refuses as too
// large (a -max-tx of thousands) was sealed again and again, for ever.
// The miner takes half as many transactions a block, until one fits.
func TestBlockTooLargeForTheLog(t *testing.T) {
	b := newFakeBackend(t, consensustest.NewFaker(), 5, true)
	b.maxTxs = 2 // the log takes blocks of 2 transactions at most
	events := make(chan miner.Event, 100)
	m, err := miner.New(miner.Config{Node: b, Beneficiary: fakeBeneficiary, Now: func() time.Time { return fakeNow },
		OnEvent: func(e miner.Event) { events <- e }})
	require.NoError(t, err)
	b.add(t, transfers("alice", 0, 5)...)
	runMiner(t, m)

	refused := next(t, events, miner.BlockRefused)
	assert.Equal(t, 5, refused.Block.Len())
	assert.ErrorIs(t, refused.Err, eventlog.ErrTooLarge)
	won := next(t, events, miner.BlockWon)
	assert.Equal(t, 2, won.Block.Len(), "half of 5: it fits")
	assert.Equal(t, uint64(1), m.Stats().BlocksRefused)
}

// TestSealedBlockWrittenDespiteAnError: an append that wrote the block
// but failed to answer is found out on the retry, which the log refuses
// as stale because the block is the tip: the miner's own block, counted
// as won, not lost.
func TestSealedBlockWrittenDespiteAnError(t *testing.T) {
	b := newFakeBackend(t, consensustest.NewFaker(), 1, true)
	b.landed = 1
	events := make(chan miner.Event, 100)
	m, err := miner.New(miner.Config{Node: b, Beneficiary: fakeBeneficiary, Now: func() time.Time { return fakeNow },
		RetryWait: time.Hour, // the node's change, reading the block, ends the pause
		OnEvent:   func(e miner.Event) { events <- e }})
	require.NoError(t, err)
	b.add(t, transfers("alice", 0, 1)...)
	runMiner(t, m)

	won := next(t, events, miner.BlockWon)
	require.Len(t, b.publishedBlocks(), 1)
	assert.Equal(t, b.publishedBlocks()[0].Hash(), won.Block.Hash())
	assert.Equal(t, miner.Stats{}.BlocksLost, m.Stats().BlocksLost)
	assert.Equal(t, uint64(1), m.Stats().BlocksWon)
}

var (
	errPrepare = errors.New("prepare failed")
	errSeal    = errors.New("seal failed")
	// errNoBlockNoError makes failingEngine's Seal return nil, nil.
	errNoBlockNoError = errors.New("no block, no error")
)

// failingEngine fails to prepare or to seal, with the error it is given.
type failingEngine struct {
	blockchain.Consensus
	prepare, seal error
}

// errPanic makes a failingEngine's Prepare or Seal panic.
var errPanic = errors.New("panic")

func (e failingEngine) Prepare(chain blockchain.ChainReader, h *blockchain.Header) error {
	if e.prepare == errPanic {
		panic("prepare: index out of range")
	}
	if e.prepare != nil {
		return e.prepare
	}
	return e.Consensus.Prepare(chain, h)
}

func (e failingEngine) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if e.seal == errNoBlockNoError {
		return nil, nil
	}
	if e.seal == errPanic {
		panic("seal: nil map")
	}
	if e.seal != nil {
		return nil, e.seal
	}
	return e.Consensus.Seal(ctx, b)
}

// TestMinerTakesASealThatMovesTheTime: proof of work whose nonces run out
// (a small MaxNonce, as a lesson on nonce space sets) moves the block's
// time on and searches again; the miner publishes what it sealed, the
// same block at a later time.
func TestMinerTakesASealThatMovesTheTime(t *testing.T) {
	engine, err := pow.New(pow.Config{Bits: 8, Workers: 1, MaxNonce: 3})
	require.NoError(t, err)
	b := newFakeBackend(t, engine, 1, true)
	m, evs := newFakeMiner(t, b, engine)
	b.add(t, transfers("alice", 0, 1)...)
	runMiner(t, m)
	started := next(t, evs, miner.SealStarted)
	won := next(t, evs, miner.BlockWon)
	assert.True(t, won.Block.Header().Timestamp.After(started.Block.Header().Timestamp),
		"four nonces rarely meet 8 bits: the time moved on (sealed at %v, proposed at %v)", won.Block.Header().Timestamp, started.Block.Header().Timestamp)
	assert.Equal(t, started.Block.Transactions(), won.Block.Transactions())
	assert.Equal(t, uint64(1), b.Chain().Height())
}

// An alteringEngine seals with its Consensus, then hands back what alter
// makes of the sealed block: an engine that seals another block than it
// was given.
type alteringEngine struct {
	blockchain.Consensus
	alter func(*blockchain.Block) *blockchain.Block
}

func (e alteringEngine) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	sealed, err := e.Consensus.Seal(ctx, b)
	if err != nil {
		return nil, err
	}
	return e.alter(sealed), nil
}

// otherEngine is a backend whose own engine is not its chain's.
type otherEngine struct {
	miner.Backend
	engine blockchain.Consensus
}

func (o otherEngine) Engine() blockchain.Consensus { return o.engine }

// specPanics is a SpecEngine whose ConsensusSpec panics.
type specPanics struct{ *consensustest.Fake }

func (specPanics) ConsensusSpec() blockchain.ConsensusSpec { panic("no spec") }

// TestNew: a miner needs a node and a beneficiary, and a MaxTx a block
// can hold. Its engine (Config.Engine, or the node's own) must run the
// consensus of the chain it mines for, as Config.Engine's documentation
// says; New took any engine: pow of other bits or other retargeting, or
// proof of authority by other signers, which seals blocks by rules the
// chain does not keep. New now refuses an engine that declares another
// consensus than the chain's spec, naming the field and both values, the
// chain's first. An engine of the chain's parameters with more workers,
// and one that declares no consensus (a fake), are taken.
func TestNew(t *testing.T) {
	b := newFakeBackend(t, consensustest.NewFaker(), 1, true)
	n := newNode(t, memlog.New(memlog.Config{}), easyEngine(t)) // pow at 8 bits
	powEngine := func(cfg pow.Config) *pow.Engine {
		e, err := pow.New(cfg)
		require.NoError(t, err)
		return e
	}
	for _, tc := range []struct {
		name string
		cfg  miner.Config
		want error  // nil: no error
		text string // in the error
	}{
		{"complete", miner.Config{Node: b, Beneficiary: fakeBeneficiary}, nil, ""},
		{"no node", miner.Config{Beneficiary: fakeBeneficiary}, miner.ErrInvalidConfig, "Config.Node"},
		{"a typed nil node", miner.Config{Node: (*node.Node)(nil), Beneficiary: fakeBeneficiary}, miner.ErrInvalidConfig, "Config.Node"},
		{"a typed nil engine", miner.Config{Node: b, Engine: (*consensustest.Fake)(nil), Beneficiary: fakeBeneficiary}, miner.ErrInvalidConfig, "Config.Engine is a nil *consensustest.Fake"},
		{"no beneficiary", miner.Config{Node: b}, miner.ErrNoBeneficiary, "Config.Beneficiary"},
		{"negative MaxTx", miner.Config{Node: b, Beneficiary: fakeBeneficiary, MaxTx: -1}, miner.ErrInvalidConfig, "Config.MaxTx: have -1, want 0…10000"},
		{"MaxTx over a block's limit", miner.Config{Node: b, Beneficiary: fakeBeneficiary, MaxTx: blockchain.MaxBlockTransactions + 1}, miner.ErrInvalidConfig, "have 10001"},
		{"an ID of the longest", miner.Config{Node: b, Beneficiary: fakeBeneficiary, ID: strings.Repeat("é", events.MaxMinerIDLen/2)}, nil, ""},
		{"an ID too long for a BlockMined", miner.Config{Node: b, Beneficiary: fakeBeneficiary, ID: strings.Repeat("x", events.MaxMinerIDLen+1)}, miner.ErrInvalidConfig, "Config.ID"},
		{"an ID that is not UTF-8", miner.Config{Node: b, Beneficiary: fakeBeneficiary, ID: "bad\xff"}, miner.ErrInvalidConfig, `Config.ID: have "bad\xff", want UTF-8`},
		{"an ID with an escape sequence", miner.Config{Node: b, Beneficiary: fakeBeneficiary, ID: "bad\x1b[2K"}, miner.ErrInvalidConfig, `Config.ID: have "bad\x1b[2K", want letters`},
		{"an ID with a right-to-left override", miner.Config{Node: b, Beneficiary: fakeBeneficiary, ID: "\u202egnp.exe"}, miner.ErrInvalidConfig, `Config.ID: have "\u202egnp.exe", want letters`},
		{"an ID with spaces and accents", miner.Config{Node: b, Beneficiary: fakeBeneficiary, ID: "mineur n° 1"}, nil, ""},
		{"a node with no pool", miner.Config{Node: noPool{b}, Beneficiary: fakeBeneficiary}, miner.ErrInvalidConfig, "has no pool"},
		{"a node with no engine", miner.Config{Node: noEngine{b}, Beneficiary: fakeBeneficiary}, miner.ErrInvalidConfig, "has no engine"},
		{"a node with no chain", miner.Config{Node: noChain{b}, Beneficiary: fakeBeneficiary}, miner.ErrInvalidConfig, "has no chain"},
		{"a node with no engine, and an engine", miner.Config{Node: noEngine{b}, Engine: consensustest.NewFaker(), Beneficiary: fakeBeneficiary}, nil, ""},
		{"the chain's engine", miner.Config{Node: n, Beneficiary: fakeBeneficiary}, nil, ""},
		{"the chain's bits, more workers", miner.Config{Node: n, Engine: powEngine(pow.Config{Bits: 8, Workers: 4}), Beneficiary: fakeBeneficiary}, nil, ""},
		{"an engine that declares no consensus", miner.Config{Node: n, Engine: consensustest.NewFaker(), Beneficiary: fakeBeneficiary}, nil, ""},
		{"an engine of other bits", miner.Config{Node: n, Engine: powEngine(pow.Config{Bits: 12, Workers: 1}), Beneficiary: fakeBeneficiary}, blockchain.ErrEngineNotSpec,
			"Config.Engine: the engine does not run the spec's consensus: consensus.pow.bits: the chain's 8, the engine's 12"},
		{"an engine that retargets", miner.Config{Node: n, Engine: powEngine(pow.Config{Bits: 8, Workers: 1, RetargetInterval: 2, TargetBlockTime: time.Second}), Beneficiary: fakeBeneficiary}, blockchain.ErrEngineNotSpec,
			"consensus.pow.retargetInterval: the chain's 0, the engine's 2"},
		{"the node's own engine of other bits", miner.Config{Node: otherEngine{n, powEngine(pow.Config{Bits: 9, Workers: 1})}, Beneficiary: fakeBeneficiary}, blockchain.ErrEngineNotSpec,
			"Config.Node's engine: the engine does not run the spec's consensus: consensus.pow.bits: the chain's 8, the engine's 9"},
		{"a ConsensusSpec that panics", miner.Config{Node: n, Engine: specPanics{consensustest.NewFaker()}, Beneficiary: fakeBeneficiary}, miner.ErrEngineMisbehaved,
			"Config.Engine: " + blockchain.ErrEngineMisbehaved.Error() + ": ConsensusSpec panicked: no spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := miner.New(tc.cfg)
			if tc.want == nil {
				require.NoError(t, err)
				assert.NotNil(t, m)
				return
			}
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, miner.ErrInvalidConfig)
			assert.ErrorContains(t, err, tc.text)
			assert.Nil(t, m)
		})
	}
}

// noPool and noEngine are backends whose Pool, or Engine, is nil, and
// noChain one whose Chain is the zero view, which reads no chain: New
// refuses them rather than panic at the first block.
type (
	noPool   struct{ miner.Backend }
	noEngine struct{ miner.Backend }
	noChain  struct{ miner.Backend }
)

func (noPool) Pool() *pool.Pool                 { return nil }
func (noEngine) Engine() blockchain.Consensus   { return nil }
func (noChain) Chain() blockchain.ReadOnlyChain { return blockchain.ReadOnlyChain{} }

// noProposal is a backend whose Propose returns no block and no error,
// with what rejected says: a fake left unfinished.
type noProposal struct {
	*fakeBackend
	rejected bool
}

func (p noProposal) Propose(_ blockchain.Address, txs []blockchain.Transaction, _ time.Time) (*blockchain.Block, []blockchain.Rejected, error) {
	if p.rejected {
		return nil, []blockchain.Rejected{{Tx: txs[0], Err: errors.New("refused")}}, nil
	}
	return nil, nil, nil
}

// TestMinerStopsOnNoProposal: a backend whose Propose returns neither a
// block nor an error stops Run with an error that says so; the miner
// panicked on the nil block.
func TestMinerStopsOnNoProposal(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rejected bool
	}{
		{"nothing at all", false},
		{"only rejections", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeBackend(t, consensustest.NewFaker(), 1, true)
			m, err := miner.New(miner.Config{Node: noProposal{b, tc.rejected}, Beneficiary: fakeBeneficiary, Now: func() time.Time { return fakeNow }})
			require.NoError(t, err)
			b.add(t, transfers("alice", 0, 1)...)
			ctx, cancel := context.WithTimeout(context.Background(), watchdog)
			defer cancel()
			err = m.Run(ctx)
			assert.ErrorContains(t, err, "propose: the node returned no block and no error")
			assert.NoError(t, ctx.Err(), "Run returned at once, not at the watchdog")
			assert.Equal(t, 1, b.Pool().Len(), "nothing was taken from the pool")
		})
	}
}

// turnEngine is the fake engine at a turn not its own: Seal waits until
// its context ends, and Waiting names whose turn it is.
type turnEngine struct{ *consensustest.Fake }

func (turnEngine) Seal(ctx context.Context, _ *blockchain.Block) (*blockchain.Block, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (turnEngine) Waiting(height uint64) string { return fmt.Sprintf("signer 7, at height %d", height) }

// panickyTurnEngine is turnEngine whose Waiting panics, as a plugin's
// may that looks its signers up in a table it never filled.
type panickyTurnEngine struct{ turnEngine }

func (panickyTurnEngine) Waiting(uint64) string { panic("index out of range [7] with length 0") }

// TestStalledSealIsSaid: a proof-of-authority chain whose signer is down
// stopped at its turn, and the other miners only logged a hash rate of
// 0. A seal that waits Config.StallAfter for another's turn is said,
// naming whom the chain waits for. The miner asked an engine's Waiting
// on the goroutine that watches the seal, where a panic ended the whole
// process — bank, node and all — though a panicking Seal or Prepare only
// stops Run: such a stall is said with an error wrapping
// ErrEngineMisbehaved, and the miner goes on sealing.
func TestStalledSealIsSaid(t *testing.T) {
	for _, tc := range []struct {
		name       string
		engine     blockchain.Consensus
		misbehaved bool
		want       string
	}{
		{"said", turnEngine{consensustest.NewFaker()}, false, "height 1 waits for signer 7, at height 1"},
		{"a panicking Waiting", panickyTurnEngine{turnEngine{consensustest.NewFaker()}}, true,
			"height 1: the consensus engine broke its contract: Waiting panicked: index out of range [7] with length 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeBackend(t, tc.engine, 1, true)
			events := make(chan miner.Event, 100)
			m, err := miner.New(miner.Config{Node: b, Beneficiary: fakeBeneficiary, Now: func() time.Time { return fakeNow },
				StallAfter: time.Millisecond, OnEvent: func(e miner.Event) { events <- e }})
			require.NoError(t, err)
			b.add(t, transfers("alice", 0, 1)...)
			runMiner(t, m)

			stalled := next(t, events, miner.SealStalled)
			assert.Equal(t, tc.misbehaved, errors.Is(stalled.Err, miner.ErrEngineMisbehaved))
			assert.EqualError(t, stalled.Err, tc.want)
		})
	}
}

// panickyCounter is the fake engine with a Hashes that panics, as a
// plugin's may that counts in a table it never made.
type panickyCounter struct{ blockchain.Consensus }

func (panickyCounter) Hashes() uint64 { panic("assignment to entry in nil map") }

// TestStatsOfAPanickingHashes: Stats called an engine's Hashes bare, so a
// plugin's panic there reached whoever read the stats — a status line
// or metrics on a goroutine of their own, which ends the process. Such
// an engine counts no hashes.
func TestStatsOfAPanickingHashes(t *testing.T) {
	b := newFakeBackend(t, panickyCounter{consensustest.NewFaker()}, 1, true)
	m, err := miner.New(miner.Config{Node: b, Beneficiary: fakeBeneficiary, Now: func() time.Time { return fakeNow }})
	require.NoError(t, err)
	var st miner.Stats
	require.NotPanics(t, func() { st = m.Stats() })
	assert.Zero(t, st.Hashes)
}
