package miner_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
	"github.com/eventchain/eventchain/pool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const watchdog = 60 * time.Second

// policy cuts blocks of up to 20, and a smaller one once the oldest
// transaction has waited 20 ms, so a test never strands a transaction.
func policy() pool.Policy {
	p := pool.DefaultPolicy()
	p.MaxWait = 20 * time.Millisecond
	return p
}

func newNode(tb testing.TB, log eventlog.Log, engine blockchain.Consensus) *node.Node {
	tb.Helper()
	n, err := node.New(node.Config{Log: log, Spec: consensustest.SpecOf(engine), Engine: engine, Policy: policy()})
	require.NoError(tb, err)
	return n
}

func easyEngine(tb testing.TB) *pow.Engine {
	tb.Helper()
	e, err := pow.New(pow.Config{Bits: 8, Workers: 1})
	require.NoError(tb, err)
	return e
}

// peer is a node with a miner, running until stop is called.
type peer struct {
	node  *node.Node
	miner *miner.Miner
	stop  func() error
}

// start runs n's Follow and, if m is not nil, m's Run, until the returned
// stop is called or the test ends.
func start(t *testing.T, n *node.Node, m *miner.Miner) func() error {
	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.Follow(gctx) })
	if m != nil {
		g.Go(func() error { return m.Run(gctx) })
	}
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() {
			cancel()
			err = g.Wait()
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// startPeer starts a node and a miner on log; the miner pays the account
// named id.
func startPeer(t *testing.T, log eventlog.Log, id string, restore node.RestoreMode) *peer {
	t.Helper()
	n := newNode(t, log, easyEngine(t))
	require.NoError(t, n.Restore(context.Background(), restore))
	m, err := miner.New(miner.Config{Node: n, ID: id, Beneficiary: consensustest.Addr(id)})
	require.NoError(t, err)
	return &peer{node: n, miner: m, stop: start(t, n, m)}
}

// inclusions counts, block by block from genesis, how often each
// transaction is in n's chain, and what each block paid its
// beneficiary.
func inclusions(t *testing.T, n *node.Node) (count map[uuid.UUID]int, earned map[blockchain.Address]int64) {
	t.Helper()
	count, earned = map[uuid.UUID]int{}, map[blockchain.Address]int64{}
	for h := uint64(1); h <= n.Chain().Height(); h++ {
		b, ok := n.Chain().BlockAt(h)
		require.True(t, ok, "block %d in memory", h)
		earned[b.Header().Beneficiary] += consensustest.Reward
		for _, tx := range b.Transactions() {
			count[tx.ID()]++
			earned[b.Header().Beneficiary] += tx.Fee()
		}
	}
	return count, earned
}

// senders are the accounts submitAll sends from, in turn.
var senders = []string{"alice", "bob", "carol", "dave", "erin", "frank"}

// submitAll submits count transfers through n, from each of senders in
// turn to "shop", with a fee of 0 to 4. After each round of senders it
// waits until n has read the round back: a pool takes a sender's next
// nonce only once it holds the one before.
func submitAll(t *testing.T, n *node.Node, count int) []blockchain.Transaction {
	t.Helper()
	txs := make([]blockchain.Transaction, count)
	for round := 0; round < count; round += len(senders) {
		batch := txs[round:min(round+len(senders), count)]
		for i := range batch {
			from := senders[i]
			batch[i] = consensustest.TransferFee(from, "shop", int64(round+i+1), int64((round+i)%5), n.Pool().NextNonce(consensustest.Addr(from)))
			require.NoError(t, n.SubmitTransaction(context.Background(), batch[i]))
		}
		nodetest.WaitFor(t, n, "the node to read the transactions", func() bool {
			for _, tx := range batch {
				if n.Pool().NextNonce(tx.From()) <= tx.Nonce() {
					return false
				}
			}
			return true
		})
	}
	return txs
}

// mined reports whether n's chain holds every one of txs: each sender's
// nonce on the chain is past its transfers'. (The chain keeps no index of
// transaction IDs; inclusions then says each is in exactly one block.)
func mined(n *node.Node, txs []blockchain.Transaction) bool {
	for _, tx := range txs {
		if n.Chain().Account(tx.From()).Nonce <= tx.Nonce() {
			return false
		}
	}
	return true
}

// TestCompetingMiners: three miners on one log race for every block while
// 500 transactions arrive. Every transaction ends in exactly one block,
// every node agrees on the tip, and every pool empties — also on a log
// that stores some submissions twice, near or far from the first, as
// EventStoreDB may when a retry with expected revision Any comes after
// its window of recent IDs forgot the first.
func TestCompetingMiners(t *testing.T) {
	for _, tc := range []struct {
		name       string
		duplicates float64
	}{
		{"plain", 0},
		{"with duplicates", 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow})
			t.Cleanup(func() { _ = mem.Close() })
			log := eventlogtest.Duplicating(mem, tc.duplicates, 7)
			competingMiners(t, log)
			if tc.duplicates > 0 {
				assert.Positive(t, log.Duplicates(), "the log stored duplicates")
			}
		})
	}
}

func competingMiners(t *testing.T, log eventlogtest.DuplicatingLog) {
	bank := newNode(t, log, easyEngine(t))
	start(t, bank, nil)
	peers := []*peer{
		startPeer(t, log, "miner-1", node.RestoreVerify),
		startPeer(t, log, "miner-2", node.RestoreVerify),
		startPeer(t, log, "miner-3", node.RestoreVerify),
	}

	txs := submitAll(t, bank, 500)
	require.NoError(t, log.Flush(context.Background()), "the duplicates still held back land too")
	last, err := log.Read(context.Background(), node.StreamTransactions, eventlog.End, eventlog.Backwards, 1)
	require.NoError(t, err)
	nodetest.WaitFor(t, bank, "every transaction to be mined", func() bool {
		if _, read := bank.Position(); read <= last[0].Revision {
			return false
		}
		return mined(bank, txs)
	})
	blocks, _ := bank.Position()
	for _, p := range peers {
		nodetest.WaitFor(t, p.node, "the miners to read every event", func() bool {
			b, tx := p.node.Position()
			return b >= blocks && tx > last[0].Revision
		})
	}

	// A miner counts a block won once its append has returned, which may
	// be after every node read the block: stopped, each has counted its own.
	for _, p := range peers {
		require.ErrorIs(t, p.stop(), context.Canceled)
	}

	count, earned := inclusions(t, bank)
	assert.Len(t, count, len(txs))
	for _, tx := range txs {
		assert.Equal(t, 1, count[tx.ID()], "transaction %s", tx.ID())
	}
	var won uint64
	for i, p := range peers {
		assert.Equal(t, bank.Chain().TipHash(), p.node.Chain().TipHash(), "same tip")
		assert.Zero(t, p.node.Pool().Len(), "empty pool")
		st := p.miner.Stats()
		won += st.BlocksWon
		assert.Positive(t, st.Hashes)
		assert.Zero(t, st.TxsRejected, "a pool's candidates always apply")
		id := fmt.Sprint("miner-", i+1)
		assert.Equal(t, earned[consensustest.Addr(id)], bank.Chain().Account(consensustest.Addr(id)).Balance,
			"%s holds what its blocks paid it", id)
		t.Logf("won %d, lost %d, cancelled %d, %d hashes in %v", st.BlocksWon, st.BlocksLost, st.SealsCancelled, st.Hashes, st.SealTime)
	}
	assert.Zero(t, bank.Pool().Len())
	// Every block was won by a miner. Two miners can seal the very same
	// block (same transactions, same millisecond, one worker searching
	// from nonce 0): it is one event, and both appends succeed.
	assert.GreaterOrEqual(t, won, bank.Chain().Height(), "every block in the chain was won")
	for _, p := range peers {
		assert.ErrorIs(t, p.stop(), context.Canceled)
	}
}

// hardSeal seals with real proof of work at 60 bits, which never finishes,
// but verifies every block: another node's easy block is accepted, and the
// miner must abandon its seal when that block arrives.
type hardSeal struct{ *pow.Engine }

func (e hardSeal) Prepare(_ blockchain.ChainReader, h *blockchain.Header) error {
	h.Bits = 60
	return nil
}

func (hardSeal) Verify(blockchain.ChainReader, *blockchain.Block) error { return nil }

// cancelOnNewTip starts a miner sealing a hopeless block, publishes
// another block through a second node, and returns how long after that
// block was applied the miner's seal returned.
func cancelOnNewTip(tb testing.TB, workers int) time.Duration {
	log := memlog.New(memlog.Config{})
	defer log.Close()
	engine, err := pow.New(pow.Config{Workers: workers})
	require.NoError(tb, err)
	sealing := make(chan struct{}, 1)
	cancelled := make(chan time.Time, 1)
	applied := make(chan time.Time, 1)

	n := newNode(tb, log, hardSeal{engine})
	n.Observe(func(e node.Event) {
		if e.Kind == node.BlockAdded {
			offer(applied, time.Now())
		}
	})
	m, err := miner.New(miner.Config{Node: n, ID: "hard", Beneficiary: consensustest.Addr("hard"), OnEvent: func(e miner.Event) {
		switch e.Kind {
		case miner.SealStarted:
			offer(sealing, struct{}{})
		case miner.SealCancelled:
			offer(cancelled, time.Now())
		}
	}})
	require.NoError(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var g errgroup.Group
	g.Go(func() error { return n.Follow(ctx) })
	g.Go(func() error { return m.Run(ctx) })
	defer func() { cancel(); _ = g.Wait() }()

	tx := consensustest.Transfer("alice", "bob", 1, 0)
	require.NoError(tb, n.SubmitTransaction(ctx, tx))
	<-sealing
	for engine.Hashes() == 0 { // wait until the workers are hashing
		runtime.Gosched()
	}

	other := newNode(tb, log, consensustest.NewFaker())
	b, _, err := other.Propose(consensustest.Addr("other"), nil, time.Now())
	require.NoError(tb, err)
	require.NoError(tb, other.PublishBlock(ctx, b, "other"))

	timeout := time.NewTimer(watchdog)
	defer timeout.Stop()
	var at, done time.Time
	for _, ch := range []chan time.Time{applied, cancelled} {
		select {
		case v := <-ch:
			if ch == applied {
				at = v
			} else {
				done = v
			}
		case <-timeout.C:
			tb.Fatalf("the miner did not stop sealing within %v of another block", watchdog)
		}
	}
	return done.Sub(at)
}

// offer sends v on ch unless ch is full: observers must never block the
// node or the miner.
func offer[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// TestCancelOnNewTip: a miner sealing a hard block stops when another
// node's block changes the tip. (How fast: BenchmarkCancelOnNewTip.)
func TestCancelOnNewTip(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			d := cancelOnNewTip(t, workers)
			t.Logf("stopped %v after the block was applied", d)
		})
	}
}

// BenchmarkCancelOnNewTip measures the time from another node's block
// being applied to the miner's seal returning.
func BenchmarkCancelOnNewTip(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var total, worst time.Duration
			for b.Loop() {
				d := cancelOnNewTip(b, workers)
				total += d
				worst = max(worst, d)
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns-to-stop")
			b.ReportMetric(float64(worst.Nanoseconds()), "max-ns-to-stop")
		})
	}
}

// TestRefusedBlockIsNotPublished: a miner whose clock runs an hour ahead
// seals blocks that every node refuses (dated too far ahead). It
// publishes none of them, says why, and counts them refused, not won.
func TestRefusedBlockIsNotPublished(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	log := memlog.New(memlog.Config{})
	n := newNode(t, log, consensustest.NewFaker())
	require.NoError(t, n.Restore(ctx, node.RestoreVerify))
	refused := make(chan miner.Event, 1)
	m, err := miner.New(miner.Config{Node: n, ID: "fast-clock", Beneficiary: consensustest.Addr("miner"),
		Now: func() time.Time { return time.Now().Add(time.Hour) },
		OnEvent: func(e miner.Event) {
			if e.Kind == miner.BlockRefused {
				select {
				case refused <- e:
				default:
				}
			}
		}})
	require.NoError(t, err)
	stop := start(t, n, m)
	require.NoError(t, n.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 5, 0)))
	var e miner.Event
	select {
	case e = <-refused:
	case <-ctx.Done():
		t.Fatal("no block refused")
	}
	_ = stop()
	assert.ErrorIs(t, e.Err, blockchain.ErrTimeTooFarAhead)
	_, err = log.Read(ctx, node.StreamBlocks, eventlog.Start, eventlog.Forwards, 1)
	assert.ErrorIs(t, err, eventlog.ErrStreamNotFound, "no block published")
	st := m.Stats()
	assert.Positive(t, st.BlocksRefused)
	assert.Zero(t, st.BlocksWon)
	assert.Zero(t, n.Chain().Height())
}

// TestRestart stops a miner in the middle of a run and starts a new one on
// the same log, in each restore mode: it goes on from the right place, and
// nothing is lost or mined twice.
func TestRestart(t *testing.T) {
	for _, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreFast} {
		t.Run(mode.String(), func(t *testing.T) {
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			bank := newNode(t, log, easyEngine(t))
			start(t, bank, nil)

			first := startPeer(t, log, "first", node.RestoreVerify)
			txs := submitAll(t, bank, 100)
			nodetest.WaitFor(t, first.node, "some blocks", func() bool { return first.node.Chain().Height() >= 2 })
			assert.ErrorIs(t, first.stop(), context.Canceled)

			txs = append(txs, submitAll(t, bank, 50)...)
			second := startPeer(t, log, "second", mode)
			txs = append(txs, submitAll(t, bank, 50)...)

			nodetest.WaitFor(t, bank, "every transaction to be mined", func() bool { return mined(bank, txs) })
			blocks, _ := bank.Position()
			nodetest.WaitFor(t, second.node, "the new miner to read every block", func() bool { b, _ := second.node.Position(); return b >= blocks })
			count, earned := inclusions(t, bank)
			for _, id := range []string{"first", "second"} {
				assert.Equal(t, earned[consensustest.Addr(id)], bank.Chain().Account(consensustest.Addr(id)).Balance, id)
			}
			for _, tx := range txs {
				assert.Equal(t, 1, count[tx.ID()], "transaction %s", tx.ID())
			}
			assert.Equal(t, bank.Chain().TipHash(), second.node.Chain().TipHash())
			assert.Zero(t, second.node.Pool().Len())
			// Its last block may be read before its append returned and
			// it counted it: stopped, it has.
			require.ErrorIs(t, second.stop(), context.Canceled)
			assert.Positive(t, second.miner.Stats().BlocksWon, "the new miner mined")
		})
	}
}

// TestKeepsMiningOnAPoisonedLog appends junk to the blocks stream while a
// miner runs; the miner skips it and goes on mining.
func TestKeepsMiningOnAPoisonedLog(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	p := startPeer(t, log, "miner", node.RestoreVerify)
	txs := submitAll(t, p.node, 30)
	nodetest.WaitFor(t, p.node, "the first transactions", func() bool { return mined(p.node, txs) })

	// A well-sealed block on the tip that mines a transaction again: the
	// node proposes an empty block (it leaves the replay out), and the
	// replay is put back in under a matching Merkle root and count.
	empty, rejected, err := p.node.Propose(consensustest.Addr("double-spender"), txs[:1], time.Now())
	require.NoError(t, err)
	require.Len(t, rejected, 1)
	assert.ErrorIs(t, rejected[0].Err, blockchain.ErrBadNonce, "the chain refuses a replay")
	h := empty.Header()
	h.MerkleRoot, h.TxCount = blockchain.TxMerkleRoot(txs[:1]), 1
	dup, err := easyEngine(t).Seal(context.Background(), blockchain.NewBlock(h, txs[:1]))
	require.NoError(t, err)
	dupEvent, err := events.Encode(events.BlockMined{Block: dup, MinerID: "double-spender"})
	require.NoError(t, err)
	junk := []eventlog.Event{
		{ID: uuid.New(), Type: events.TypeBlockMined, Data: []byte(`{"garbage":true}`)},
		{ID: uuid.New(), Type: "SomethingElse", Data: []byte(`[]`)},
		dupEvent,
	}
	for _, e := range junk {
		_, err := log.Append(context.Background(), node.StreamBlocks, eventlog.Any, e)
		require.NoError(t, err)
	}

	more := submitAll(t, p.node, 30)
	nodetest.WaitFor(t, p.node, "the later transactions", func() bool { return mined(p.node, more) })
	count, _ := inclusions(t, p.node)
	for _, tx := range append(txs, more...) {
		assert.Equal(t, 1, count[tx.ID()])
	}
}

// junkAhead is a log on which, before each of the first ahead exact
// appends to the blocks stream, an event of junk's making is appended
// there first, as anyone may: the append it goes ahead of is stale. junk
// is given how many it made before.
type junkAhead struct {
	eventlog.Log
	junk func(made int) (eventlog.Event, error)

	mu    sync.Mutex
	ahead int
	made  int
}

func (l *junkAhead) Append(ctx context.Context, stream string, expected eventlog.Expected, evs ...eventlog.Event) (eventlog.AppendResult, error) {
	if stream == node.StreamBlocks && expected != eventlog.Any {
		l.mu.Lock()
		ahead, made := l.made < l.ahead, l.made
		if ahead {
			l.made++
		}
		l.mu.Unlock()
		if ahead {
			junk, err := l.junk(made)
			if err != nil {
				return eventlog.AppendResult{}, fmt.Errorf("make junk: %w", err)
			}
			if _, err := l.Log.Append(ctx, stream, eventlog.Any, junk); err != nil {
				return eventlog.AppendResult{}, err
			}
		}
	}
	return l.Log.Append(ctx, stream, expected, evs...)
}

// TestJunkCostsNoSeal: events in the blocks stream that are no block of
// the chain — undecodable, of another type, a block that breaks a rule —
// make a miner's append stale, as anyone may append them for free. The
// miner counted its sealed block lost and sealed again, one seal thrown
// away per junk event: a flood of junk starved it. Now, the tip unmoved
// once its node has read them, it publishes the same sealed block again.
// A valid block that gets in first still wins the height.
func TestJunkCostsNoSeal(t *testing.T) {
	// The makers run in the miner's goroutine, in its append: they
	// return their errors, which the append returns.
	// Each block of junk pays another account: no two are the same block,
	// which the log would take for one event.
	sealedAbove := func(n *node.Node, engine blockchain.Consensus, made int, above uint64) (eventlog.Event, error) {
		b, _, err := n.Propose(consensustest.Addr(fmt.Sprint("junk-", made)), nil, time.Now())
		if err != nil {
			return eventlog.Event{}, err
		}
		h := b.Header()
		h.Height += above
		if b, err = engine.Seal(context.Background(), blockchain.NewBlock(h, nil)); err != nil {
			return eventlog.Event{}, err
		}
		return events.Encode(events.BlockMined{Block: b, MinerID: "junk"})
	}
	undecodable := func(*node.Node, blockchain.Consensus, int) (eventlog.Event, error) {
		return eventlog.Event{ID: uuid.New(), Type: events.TypeBlockMined, Data: []byte(`{"garbage":true}`)}, nil
	}
	for _, tc := range []struct {
		name   string
		ahead  int // events appended ahead of the miner's appends
		junk   func(n *node.Node, engine blockchain.Consensus, made int) (eventlog.Event, error)
		seals  int // seals started until the block won
		lost   uint64
		height uint64 // of the block won
	}{
		{"undecodable", 3, undecodable, 1, 0, 1},
		{"another type", 3, func(*node.Node, blockchain.Consensus, int) (eventlog.Event, error) {
			return eventlog.Event{ID: uuid.New(), Type: "SomethingElse", Data: []byte(`[]`)}, nil
		}, 1, 0, 1},
		{"a sealed block at the wrong height", 3, func(n *node.Node, engine blockchain.Consensus, made int) (eventlog.Event, error) {
			return sealedAbove(n, engine, made, 1)
		}, 1, 0, 1},
		{"a valid block wins the height", 1, func(n *node.Node, engine blockchain.Consensus, made int) (eventlog.Event, error) {
			return sealedAbove(n, engine, made, 0)
		}, 2, 1, 2},
		// Republished MaxRepublish times, each time beaten: lost, and
		// sealed again, which the last junk event beats once more.
		{"more junk than the miner republishes for", miner.MaxRepublish + 2, undecodable, 2, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = mem.Close() })
			log := &junkAhead{Log: mem, ahead: tc.ahead}
			engine := easyEngine(t)
			n := newNode(t, log, engine)
			require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
			log.junk = func(made int) (eventlog.Event, error) { return tc.junk(n, engine, made) }
			evs := make(chan miner.Event, 100)
			m, err := miner.New(miner.Config{Node: n, ID: "miner", Beneficiary: consensustest.Addr("miner"),
				OnEvent: func(e miner.Event) { evs <- e }})
			require.NoError(t, err)
			start(t, n, m)
			tx := consensustest.TransferFee("alice", "shop", 1, 1, 0)
			require.NoError(t, n.SubmitTransaction(context.Background(), tx))

			won, seals := untilWon(t, evs)
			assert.Equal(t, tc.seals, seals, "seals started")
			assert.Equal(t, tc.lost, m.Stats().BlocksLost)
			assert.Equal(t, uint64(1), m.Stats().BlocksWon)
			assert.Equal(t, tc.height, won.Block.Height())
			assert.Equal(t, []blockchain.Transaction{tx}, won.Block.Transactions())

			// Every event appended ahead is in the stream, and the block
			// won once, after them.
			nodetest.WaitFor(t, n, "the node to read the block won", func() bool { return n.Chain().TipHash() == won.Block.Hash() })
			recs, err := mem.Read(context.Background(), node.StreamBlocks, eventlog.Start, eventlog.Forwards, 1000)
			require.NoError(t, err)
			require.Len(t, recs, tc.ahead+tc.seals-int(tc.lost), "events ahead, then the block won")
			last, err := events.Decode(recs[len(recs)-1].Event)
			require.NoError(t, err)
			require.IsType(t, events.BlockMined{}, last)
			assert.Equal(t, won.Block.Hash(), last.(events.BlockMined).Block.Hash(), "the block won is the last event")
		})
	}
}
