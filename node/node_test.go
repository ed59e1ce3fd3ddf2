package node_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
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
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
	"github.com/eventchain/eventchain/pool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testNow is the clock of every node in these tests: well after the blocks
// they build.
var testNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func newEngine(tb testing.TB) *pow.Engine {
	tb.Helper()
	e, err := pow.New(pow.Config{Bits: 8, Workers: 1})
	require.NoError(tb, err)
	return e
}

// A scratch chain is where a test makes its blocks: a chain of
// consensustest.Spec(), the nodes' spec, fed the blocks the test means the
// log's chain to hold, so that each new block has the right parent and
// state root. The blocks it makes apply to every node of the spec.
type scratch struct {
	t      testing.TB
	engine blockchain.Consensus
	chain  *blockchain.Chain
}

func newScratch(t testing.TB, engine blockchain.Consensus) *scratch {
	return &scratch{t: t, engine: engine, chain: consensustest.NewChain(engine)}
}

// next makes, seals and applies a valid block on the scratch tip holding
// txs, which must apply in order.
func (s *scratch) next(txs ...blockchain.Transaction) *blockchain.Block {
	s.t.Helper()
	blocks, err := consensustest.GenerateChain(context.Background(), s.engine, s.chain, 1, func(_ int, g *consensustest.BlockGen) {
		for _, tx := range txs {
			g.AddTx(tx)
		}
	})
	require.NoError(s.t, err)
	return blocks[0]
}

// forge makes and seals a block on the scratch tip holding txs, whatever
// they are, without applying it: the parent, height, time, Merkle root and
// beneficiary are right, the state root is what the transactions would
// lead to if the state allowed them (zero if it does not), and edit, if
// not nil, changes the header before the engine seals it.
func (s *scratch) forge(txs []blockchain.Transaction, edit func(*blockchain.Header)) *blockchain.Block {
	s.t.Helper()
	tip := s.chain.Tip()
	h := blockchain.NextHeader(tip, txs, tip.Timestamp.Add(consensustest.BlockInterval))
	h.Beneficiary = consensustest.Addr("miner")
	h.StateRoot = stateRootAfter(s.chain.State(), txs, h.Beneficiary)
	require.NoError(s.t, s.engine.Prepare(s.chain, &h))
	if edit != nil {
		edit(&h)
	}
	sealed, err := s.engine.Seal(context.Background(), blockchain.NewBlock(h, txs))
	require.NoError(s.t, err)
	return sealed
}

// reheader returns b with its header changed by edit after sealing.
func reheader(b *blockchain.Block, edit func(*blockchain.Header)) *blockchain.Block {
	h := b.Header()
	edit(&h)
	return blockchain.NewBlock(h, b.Transactions())
}

// stateRootAfter returns the state root after txs and the block reward,
// without asking whether they are signed: the zero hash if the state
// refuses one of them.
func stateRootAfter(st *blockchain.State, txs []blockchain.Transaction, beneficiary blockchain.Address) blockchain.Hash {
	batch := st.Batch()
	fees := int64(0)
	for _, tx := range txs {
		if batch.Transfer(tx.From(), tx.To(), tx.Amount(), tx.Fee(), tx.Nonce()) != nil {
			return blockchain.Hash{}
		}
		fees += tx.Fee()
	}
	if batch.Credit(beneficiary, consensustest.Reward+fees) != nil {
		return blockchain.Hash{}
	}
	return batch.Root()
}

// apply adds b, made elsewhere, to the scratch chain.
func (s *scratch) apply(b *blockchain.Block) {
	s.t.Helper()
	require.NoError(s.t, s.chain.Apply(b))
}

// recorder collects a node's events.
type recorder struct {
	mu      sync.Mutex
	events  []node.Event
	changed chan struct{} // closed and replaced on every event
}

func (r *recorder) record(e node.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
}

// waitLen waits until the recorder holds n events: an observer is told of
// an event after the node's state shows it, so waiting on the node is not
// enough.
func (r *recorder) waitLen(t *testing.T, n int) {
	t.Helper()
	deadline := time.NewTimer(nodetest.Watchdog)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if len(r.events) >= n {
			r.mu.Unlock()
			return
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("waited %v for %d events", nodetest.Watchdog, n)
		}
	}
}

func (r *recorder) rejected() map[eventlog.Revision]error {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[eventlog.Revision]error{}
	for _, e := range r.events {
		if e.Kind == node.BlockRejected || e.Kind == node.EventSkipped {
			out[e.Revision] = e.Err
		}
	}
	return out
}

// config returns the Config of a test node on log: consensustest's spec
// with proof of work at 8 bits, its engine, the test clock.
func config(tb testing.TB, log eventlog.Log) node.Config {
	engine := newEngine(tb)
	return node.Config{Log: log, Spec: consensustest.SpecOf(engine), Engine: engine, Now: func() time.Time { return testNow }}
}

func newNode(tb testing.TB, log eventlog.Log, rec *recorder) *node.Node {
	tb.Helper()
	n, err := node.New(config(tb, log))
	require.NoError(tb, err)
	if rec != nil {
		n.Observe(rec.record)
	}
	return n
}

// follow runs n.Follow until the test ends.
func follow(t *testing.T, nodes ...*node.Node) {
	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	for _, n := range nodes {
		g.Go(func() error { return n.Follow(ctx) })
	}
	t.Cleanup(func() {
		cancel()
		assert.ErrorIs(t, g.Wait(), context.Canceled)
	})
}

func appendRaw(t *testing.T, log eventlog.Log, stream string, e eventlog.Event) {
	t.Helper()
	_, err := log.Append(context.Background(), stream, eventlog.Any, e)
	require.NoError(t, err)
}

// failingReads is a log whose reads of the blocks stream from revision
// from on fail with errRead, while fail is set.
type failingReads struct {
	eventlog.Log
	from eventlog.Revision
	fail atomic.Bool
}

var errRead = errors.New("the disk is gone")

func (l *failingReads) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if stream == node.StreamBlocks && from >= l.from && l.fail.Load() {
		return nil, errRead
	}
	return l.Log.Read(ctx, stream, from, dir, max)
}

func mined(t *testing.T, b *blockchain.Block) eventlog.Event {
	t.Helper()
	e, err := events.Encode(events.BlockMined{Block: b, MinerID: "test"})
	require.NoError(t, err)
	return e
}

// TestPoisonedLog appends, straight into the blocks stream, events no
// honest miner would write. Every node — one following live, one restored
// in verify mode afterwards — skips each with the right rule and reaches
// the same tip.
func TestPoisonedLog(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	live := &recorder{}
	follower := newNode(t, log, live)
	follow(t, follower)

	tx1 := consensustest.Transfer("alice", "bob", 10, 0)
	tx2 := consensustest.Transfer("bob", "carol", 5, 0)
	chain := newScratch(t, engine)
	b1 := chain.next(tx1)

	badPoW := reheader(chain.forge([]blockchain.Transaction{tx2}, nil), func(h *blockchain.Header) {
		for h.Nonce++; h.SealHash().LeadingZeroBits() >= int(h.Bits); h.Nonce++ {
		}
	})
	wrongPrev := newScratch(t, engine).next(tx2) // height 1 again
	replay := chain.forge([]blockchain.Transaction{tx2, tx1}, nil)
	b2 := chain.next(tx2)

	garbage := eventlog.Event{ID: uuid.New(), Type: events.TypeBlockMined, Data: []byte(`{"v":1,"block":"not a block","minerId":"x"}`)}
	unknown := eventlog.Event{ID: uuid.New(), Type: "BlockMinedMaybe", Data: []byte(`{}`)}
	for _, e := range []eventlog.Event{mined(t, b1), garbage, unknown, mined(t, badPoW), mined(t, wrongPrev), mined(t, replay), mined(t, b2)} {
		appendRaw(t, log, node.StreamBlocks, e)
	}
	want := map[eventlog.Revision]error{
		1: events.ErrMalformed,
		2: events.ErrUnknownType,
		3: blockchain.ErrInvalidSeal,
		4: blockchain.ErrPrevHashMismatch, // a second block at height 1: its parent is genesis, not the tip
		5: blockchain.ErrBadNonce,         // tx1 again: alice's nonce 0 is used
	}

	check := func(t *testing.T, n *node.Node, rec *recorder) {
		nodetest.WaitFor(t, n, "the blocks stream to be read", func() bool { b, _ := n.Position(); return b == 7 })
		rec.waitLen(t, 7)
		assert.Equal(t, b2.Hash(), n.Chain().TipHash())
		assert.Equal(t, uint64(2), n.Chain().Height())
		assert.Equal(t, chain.chain.State().Root(), n.Chain().State().Root(), "the accounts of the honest chain")
		got := rec.rejected()
		assert.Len(t, got, len(want))
		for rev, err := range want {
			assert.ErrorIs(t, got[rev], err, "event %d", rev)
		}
	}
	t.Run("following", func(t *testing.T) { check(t, follower, live) })
	t.Run("restored in verify mode", func(t *testing.T) {
		rec := &recorder{}
		n := newNode(t, log, rec)
		require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
		check(t, n, rec)
	})
	t.Run("one BlockRejected per rejected block", func(t *testing.T) {
		recs, err := log.Read(context.Background(), node.StreamAudit, eventlog.Start, eventlog.Forwards, 100)
		require.NoError(t, err)
		var rules []blockchain.ErrorCode
		for _, r := range recs {
			p, err := events.Decode(r.Event)
			require.NoError(t, err)
			rules = append(rules, p.(events.BlockRejected).Rule)
		}
		assert.ElementsMatch(t, []blockchain.ErrorCode{blockchain.ErrInvalidSeal, blockchain.ErrPrevHashMismatch, blockchain.ErrBadNonce}, rules,
			"two nodes rejected three blocks: three events, one per block and rule")
	})
}

// TestBlockJudgedWhenTheLogRecordedIt: whether a block is dated too far
// ahead is judged against the time the log recorded it, not the reading
// node's clock. A block a minute and more ahead of its record is refused
// by a node that reads it at once and by one that starts an hour later
// alike: judged by their own clocks, the later node would take it, and
// the two would hold two chains.
func TestBlockJudgedWhenTheLogRecordedIt(t *testing.T) {
	engine := newEngine(t)
	s := newScratch(t, engine)
	b1 := s.next(consensustest.Transfer("alice", "bob", 10, 0))
	recorded := b1.Header().Timestamp // the log records each block as it is made
	ahead := s.forge(nil, func(h *blockchain.Header) { h.Timestamp = recorded.Add(blockchain.DefaultMaxDrift + time.Second) })
	log := memlog.New(memlog.Config{Now: func() time.Time { return recorded }})
	t.Cleanup(func() { _ = log.Close() })
	appendRaw(t, log, node.StreamBlocks, mined(t, b1))
	appendRaw(t, log, node.StreamBlocks, mined(t, ahead))

	for _, tc := range []struct {
		name string
		now  time.Time
	}{
		{"a node that reads it at once", recorded},
		{"a node that starts an hour later", recorded.Add(time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, log)
			cfg.Engine = engine
			cfg.Now = func() time.Time { return tc.now }
			n, err := node.New(cfg)
			require.NoError(t, err)
			rec := &recorder{}
			n.Observe(rec.record)
			require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
			assert.Equal(t, b1.Hash(), n.Chain().TipHash(), "the block dated ahead is not the tip")
			assert.ErrorIs(t, rec.rejected()[1], blockchain.ErrTimeTooFarAhead)
		})
	}
}

// TestRepeatedBlock: a log that keeps no window of event IDs stores a
// retried append twice, as any log does once its window forgot the first.
// A block event stored twice is a repeat, which breaks no rule: a node
// following live and one restored both report it as BlockRepeated, at
// its revision, and nothing goes to the audit stream.
func TestRepeatedBlock(t *testing.T) {
	log := memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow})
	t.Cleanup(func() { _ = log.Close() })
	live := &recorder{}
	follower := newNode(t, log, live)
	follow(t, follower)

	chain := newScratch(t, newEngine(t))
	b1 := chain.next(consensustest.Transfer("alice", "bob", 10, 0))
	b2 := chain.next(consensustest.Transfer("bob", "carol", 5, 0))
	for _, b := range []*blockchain.Block{b1, b1, b2, b2} {
		appendRaw(t, log, node.StreamBlocks, mined(t, b))
	}

	check := func(t *testing.T, n *node.Node, rec *recorder) {
		nodetest.WaitFor(t, n, "the blocks stream to be read", func() bool { b, _ := n.Position(); return b == 4 })
		rec.waitLen(t, 4)
		assert.Equal(t, b2.Hash(), n.Chain().TipHash())
		rec.mu.Lock()
		defer rec.mu.Unlock()
		var kinds []node.EventKind
		for _, e := range rec.events {
			kinds = append(kinds, e.Kind)
		}
		assert.Equal(t, []node.EventKind{node.BlockAdded, node.BlockRepeated, node.BlockAdded, node.BlockRepeated}, kinds)
		assert.Equal(t, eventlog.Revision(3), rec.events[3].Revision)
		assert.Equal(t, b2.Hash(), rec.events[3].Block.Hash())
	}
	t.Run("following", func(t *testing.T) { check(t, follower, live) })
	t.Run("restored", func(t *testing.T) {
		for _, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreFast} {
			rec := &recorder{}
			n := newNode(t, log, rec)
			require.NoError(t, n.Restore(context.Background(), mode))
			check(t, n, rec)
		}
	})
	_, err := log.Read(context.Background(), node.StreamAudit, eventlog.Start, eventlog.Forwards, 1)
	assert.ErrorIs(t, err, eventlog.ErrStreamNotFound, "no block reported rejected")
}

// TestFollowOnceAtATime: of two Follows at once, one follows and the
// other returns ErrFollowing at once; once the first returned, a node
// may follow again.
func TestFollowOnceAtATime(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	n := newNode(t, log, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- n.Follow(ctx) }()
	}
	assert.ErrorIs(t, <-errs, node.ErrFollowing, "the second, while the first follows")
	cancel()
	assert.ErrorIs(t, <-errs, context.Canceled, "the first, when its context ends")
	assert.ErrorIs(t, n.Follow(ctx), context.Canceled, "a Follow after the first returned is no second one")
}

// TestFollowReturnsCtxErr: Follow on a context done already returns
// ctx.Err() itself, as it says, not the log's refusal to subscribe
// wrapping it.
func TestFollowReturnsCtxErr(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"cancelled", cancelled},
		{"past its deadline", expired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNode(t, log, nil)
			assert.Equal(t, tc.ctx.Err(), n.Follow(tc.ctx))
		})
	}
}

// TestRestoreModes restores a node from a log in each mode and checks that
// it holds the same chain, accounts and pool as a node that followed live,
// and that Follow goes on from where Restore stopped.
func TestRestoreModes(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	writer := newNode(t, log, nil)
	follow(t, writer)

	// Ten transfers of alice's, submitted one after the other: each
	// passes the writer's pool because the one before joined it on
	// submission. The first six are mined in three blocks.
	var txs []blockchain.Transaction
	for i := range 10 {
		tx := consensustest.Transfer("alice", "bob", int64(i+1), uint64(i))
		txs = append(txs, tx)
		require.NoError(t, writer.SubmitTransaction(context.Background(), tx))
	}
	chain := newScratch(t, engine)
	for i := range 3 {
		b := chain.next(txs[2*i : 2*i+2]...)
		nodetest.WaitFor(t, writer, "the writer to catch up", func() bool { return writer.Chain().TipHash() == b.PrevHash() })
		require.NoError(t, writer.PublishBlock(context.Background(), b, "test"))
	}
	nodetest.WaitFor(t, writer, "three blocks", func() bool { return writer.Chain().Height() == 3 && writer.Pool().Len() == 4 })

	// The log holds no snapshot: RestoreSnapshot restores as
	// RestoreVerify does.
	for i, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreFast, node.RestoreSnapshot} {
		t.Run(mode.String(), func(t *testing.T) {
			// Earlier subtests submit a transaction each: compare with
			// the writer, once it has read all of them.
			last, err := log.Read(context.Background(), node.StreamTransactions, eventlog.End, eventlog.Backwards, 1)
			require.NoError(t, err)
			txEventCount := last[0].Revision + 1
			nodetest.WaitFor(t, writer, "the writer to read every transaction", func() bool { _, tx := writer.Position(); return tx == txEventCount })

			n := newNode(t, log, nil)
			require.NoError(t, n.Restore(context.Background(), mode))
			assert.Equal(t, writer.Chain().TipHash(), n.Chain().TipHash())
			assert.Equal(t, writer.Chain().State().Root(), n.Chain().State().Root(), "the same accounts")
			assert.Equal(t, blockchain.Account{Balance: consensustest.Funds - 21, Nonce: 6}, n.Chain().Account(consensustest.Addr("alice")))
			assert.Equal(t, writer.Pool().Len(), n.Pool().Len(), "pending = submitted − included")
			assert.Equal(t, writer.Pool().Candidates(100), n.Pool().Candidates(100), "in the same order")
			for _, tx := range txs[:6] {
				assert.False(t, n.Pool().Has(tx.ID()), "mined: its nonce is used")
			}
			for _, tx := range txs[6:] {
				assert.True(t, n.Pool().Has(tx.ID()))
			}
			blocks, txEvents := n.Position()
			assert.Equal(t, eventlog.Revision(3), blocks)
			assert.Equal(t, txEventCount, txEvents)
			pending := n.Pool().Len()

			// Follow resumes exactly there: a new transaction and a new
			// block arrive once each.
			follow(t, n)
			extra := consensustest.Transfer("carol", "dave", 1, uint64(i))
			require.NoError(t, writer.SubmitTransaction(context.Background(), extra))
			nodetest.WaitFor(t, n, "the new transaction", func() bool { return n.Pool().Has(extra.ID()) })
			assert.Equal(t, pending+1, n.Pool().Len(), "nothing read twice")
		})
	}
}

// TestRestoreSpendsNoSignatureOnJunk: a verify restore checks the blocks'
// signatures on every core before it applies them in order, and so before
// it knows which blocks link to the tip or carry a valid seal. A block
// with many signed transfers and no work, appended by anyone, cost it a
// verification per transfer (milliseconds a block), where a following
// node refuses it for its seal with one hash. The engine's CheckSeal, and
// Block.Validate, now come first: a block either refuses is refused by
// the rules before they reach its signatures, which are not checked in
// advance. The tip and the rules each junk block is refused with are
// those of a node that checks everything.
func TestRestoreSpendsNoSignatureOnJunk(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	s := newScratch(t, newEngine(t))
	first := s.next(consensustest.Transfer("alice", "bob", 1, 0))
	txs := []blockchain.Transaction{consensustest.Transfer("alice", "bob", 1, 1), consensustest.Transfer("carol", "dave", 1, 0)}
	// Blocks on first that pass Block.Validate but carry no work: the
	// nonce moved until the seal hash misses the target, or the bits
	// lowered to 0.
	noWork := reheader(s.forge(txs, nil), func(h *blockchain.Header) {
		for h.SealHash().LeadingZeroBits() >= int(h.Bits) {
			h.Nonce++
		}
	})
	noBits := reheader(s.forge(txs, nil), func(h *blockchain.Header) { h.Bits = 0 })
	// One that fails Block.Validate: its Merkle root is another's.
	badRoot := reheader(s.forge(txs, nil), func(h *blockchain.Header) { h.MerkleRoot = first.Header().MerkleRoot })
	second := s.next(txs...)
	for _, b := range []*blockchain.Block{first, noWork, noBits, badRoot, second} {
		appendRaw(t, log, node.StreamBlocks, mined(t, b))
	}

	rec := &recorder{}
	n := newNode(t, log, rec)
	checked := node.CheckedInAdvance(n)
	require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
	assert.Equal(t, second.Hash(), n.Chain().TipHash(), "the honest chain")
	assert.ElementsMatch(t, []blockchain.Hash{first.Hash(), second.Hash()}, checked(), "signatures checked in advance for the honest blocks only")
	rejected := rec.rejected()
	require.Len(t, rejected, 3)
	assert.ErrorIs(t, rejected[1], blockchain.ErrInvalidSeal, "no work")
	assert.ErrorIs(t, rejected[2], blockchain.ErrBadConsensusFields, "bits 0")
	assert.ErrorIs(t, rejected[3], blockchain.ErrBadMerkleRoot, "a Merkle root of other transactions")
}

func TestPublishBlockIsStaleAfterAnotherBlock(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	a, b := newNode(t, log, nil), newNode(t, log, nil)
	first := newScratch(t, engine).next(consensustest.Transfer("alice", "bob", 1, 0))
	second := newScratch(t, engine).next(consensustest.Transfer("alice", "bob", 2, 0))

	require.NoError(t, a.PublishBlock(context.Background(), first, "a"))
	err := b.PublishBlock(context.Background(), second, "b")
	assert.ErrorIs(t, err, node.ErrStale, "b has not seen a's block: the append's expected revision is out of date")
	assert.ErrorIs(t, err, eventlog.ErrWrongExpectedRevision)

	follow(t, b)
	nodetest.WaitFor(t, b, "b to catch up", func() bool { return b.Chain().Height() == 1 })
	err = b.PublishBlock(context.Background(), second, "b")
	assert.ErrorIs(t, err, node.ErrStale, "caught up, b sees that its block extends an old tip")
	assert.NotErrorIs(t, err, eventlog.ErrWrongExpectedRevision)
	assert.Error(t, b.PublishBlock(context.Background(), nil, "b"), "no block")
}

// TestSubmitTransaction checks a submission against the pool and the
// node's chain: the rules, the chain ID, the nonce, the funds.
func TestSubmitTransaction(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	n := newNode(t, log, nil)
	ok := consensustest.Transfer("alice", "bob", 5, 0)
	unsigned := blockchain.NewTransaction(consensustest.Transfer("alice", "bob", 6, 1).Fields(), sign("alice", ok.Fields()))
	otherChain := blockchain.Transfer{ChainID: "eventchain-other", To: consensustest.Addr("bob"), Amount: 5, Nonce: 1}.Sign(consensustest.Key("alice"))
	for _, tc := range []struct {
		name string
		tx   blockchain.Transaction
		want error // nil: accepted
	}{
		{"valid", ok, nil},
		{"again: a no-op", ok, nil},
		{"the next nonce, before Follow read the first", consensustest.Transfer("alice", "bob", 7, 1), nil},
		{"to oneself", consensustest.Transfer("alice", "alice", 5, 2), blockchain.ErrSelfTransfer},
		{"no amount", consensustest.Transfer("alice", "bob", 0, 2), blockchain.ErrInvalidAmount},
		{"a forged signature", unsigned, blockchain.ErrBadSignature},
		{"signed for another chain", otherChain, blockchain.ErrWrongChain},
		{"a nonce already pending", consensustest.Transfer("alice", "carol", 5, 0), blockchain.ErrBadNonce},
		{"a nonce gap", consensustest.Transfer("alice", "carol", 5, 9), blockchain.ErrBadNonce},
		{"more than the sender has", consensustest.Transfer("bob", "carol", consensustest.Funds+1, 0), blockchain.ErrInsufficientFunds},
		{"a sender with no funds", consensustest.Transfer("zoe", "carol", 1, 0), blockchain.ErrInsufficientFunds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := n.SubmitTransaction(context.Background(), tc.tx)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
			var re *blockchain.RuleError
			assert.ErrorAs(t, err, &re, "the error wraps the rule's *blockchain.RuleError")
		})
	}
	recs, err := log.Read(context.Background(), node.StreamTransactions, eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.Len(t, recs, 2, "one event for each valid transaction, however often it was submitted")

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	err = n.SubmitTransaction(cancelled, consensustest.Transfer("alice", "bob", 1, 2))
	assert.True(t, errors.Is(err, context.Canceled), "the log's error comes back: %v", err)
}

// TestPropose has a node propose a block from its pool, as a miner does,
// and checks that the block, sealed and published, is the node's next.
func TestPropose(t *testing.T) {
	log := memlog.New(memlog.Config{Now: func() time.Time { return testNow }}) // the node's clock: the block is dated testNow
	t.Cleanup(func() { _ = log.Close() })
	n := newNode(t, log, nil)
	follow(t, n)
	for i := range 3 {
		require.NoError(t, n.SubmitTransaction(context.Background(), consensustest.TransferFee("alice", "bob", 10, 1, uint64(i))))
	}
	stale := consensustest.Transfer("carol", "bob", 1, 3) // a gap: left out
	b, rejected, err := n.Propose(consensustest.Addr("erin"), append(n.Pool().Candidates(10), stale), testNow)
	require.NoError(t, err)
	require.Len(t, rejected, 1)
	assert.Equal(t, stale, rejected[0].Tx)
	assert.ErrorIs(t, rejected[0].Err, blockchain.ErrBadNonce)
	assert.Equal(t, uint64(0), n.Chain().Height(), "proposing changes nothing")

	sealed, err := n.Engine().Seal(context.Background(), b)
	require.NoError(t, err)
	require.NoError(t, n.PublishBlock(context.Background(), sealed, "test"))
	nodetest.WaitFor(t, n, "the proposed block", func() bool { return n.Chain().TipHash() == sealed.Hash() })
	assert.Zero(t, n.Pool().Len(), "its transactions left the pool")
	assert.Equal(t, int64(consensustest.Funds+consensustest.Reward+3), n.Chain().Account(consensustest.Addr("erin")).Balance, "the reward and the fees")
}

// TestTxDropped has a block make pending transactions invalid: alice's
// transfer of nonce 0 loses to another transfer of hers with nonce 0 that
// a block includes, and her next transfer, which her balance no longer
// covers, goes with it. The pool drops both, and the node's observers are
// told of each, with the rule, after the block.
func TestTxDropped(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	rec := &recorder{}
	n := newNode(t, log, rec)
	follow(t, n)

	first := consensustest.Transfer("alice", "bob", 600_000, 0)
	second := consensustest.Transfer("alice", "bob", 300_000, 1)
	kept := consensustest.Transfer("carol", "dave", 1, 0)
	for _, tx := range []blockchain.Transaction{first, second, kept} {
		require.NoError(t, n.SubmitTransaction(context.Background(), tx))
	}
	rival := consensustest.Transfer("alice", "mallory", 900_000, 0) // never submitted: straight into a block
	b := newScratch(t, engine).next(rival)
	require.NoError(t, n.PublishBlock(context.Background(), b, "test"))
	rec.waitLen(t, 3)

	nodetest.WaitFor(t, n, "the block", func() bool { return n.Chain().TipHash() == b.Hash() })
	assert.Equal(t, []blockchain.Transaction{kept}, n.Pool().Candidates(10), "only carol's transfer is left")
	rec.mu.Lock()
	story := slices.Clone(rec.events)
	rec.mu.Unlock()
	require.Len(t, story, 3)
	assert.Equal(t, node.BlockAdded, story[0].Kind)
	for i, want := range []struct {
		tx   blockchain.Transaction
		rule blockchain.ErrorCode
	}{{first, blockchain.ErrBadNonce}, {second, blockchain.ErrInsufficientFunds}} {
		e := story[1+i]
		assert.Equal(t, node.TxDropped, e.Kind, "event %d", 1+i)
		assert.Equal(t, want.tx, e.Tx)
		assert.Equal(t, b.Hash(), e.Block.Hash(), "the block that made it invalid")
		assert.Equal(t, eventlog.Revision(0), e.Revision)
		var re *blockchain.RuleError
		if assert.ErrorAs(t, e.Err, &re) {
			assert.Equal(t, want.rule, re.Code)
		}
	}
}

func TestNewRequires(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	for _, tc := range []struct {
		name   string
		edit   func(*node.Config)
		reason string
	}{
		{"a log", func(c *node.Config) { c.Log = nil }, "Log"},
		{"an engine", func(c *node.Config) { c.Engine = nil }, "Engine"},
		{"a log, not a typed nil", func(c *node.Config) { c.Log = (*memlog.Log)(nil) }, "Log"},
		{"an engine, not a typed nil", func(c *node.Config) { c.Engine = (*pow.Engine)(nil) }, "Engine"},
		{"a spec", func(c *node.Config) { c.Spec = blockchain.ChainSpec{} }, "Spec"},
		{"a valid spec", func(c *node.Config) { c.Spec.BlockReward = -1 }, "Spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, log)
			tc.edit(&cfg)
			_, err := node.New(cfg)
			assert.ErrorIs(t, err, node.ErrInvalidConfig)
			assert.ErrorContains(t, err, tc.reason)
		})
	}
	var se *blockchain.SpecError
	cfg := config(t, log)
	cfg.Spec.BlockReward = -1
	_, err := node.New(cfg)
	assert.ErrorAs(t, err, &se, "the spec's own error says which field")
}

// TestNodeNotMade: the zero Node, and a nil *Node, answer ErrNotMade
// from every method that returns an error, rather than panic (Restore's
// would have been in a goroutine of its own, which no recover reaches).
func TestNodeNotMade(t *testing.T) {
	ctx := context.Background()
	tx := consensustest.Transfer("alice", "bob", 1, 0)
	for name, n := range map[string]*node.Node{"zero": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			_, _, proposeErr := n.Propose(consensustest.Addr("miner"), nil, testNow)
			for method, err := range map[string]error{
				"Restore":           n.Restore(ctx, node.RestoreVerify),
				"Follow":            n.Follow(ctx),
				"SubmitTransaction": n.SubmitTransaction(ctx, tx),
				"Submit":            n.Submit(ctx, events.TransactionSubmitted{Tx: tx}),
				"PublishBlock":      n.PublishBlock(ctx, consensustest.Genesis(), "miner"),
				"Propose":           proposeErr,
			} {
				assert.ErrorIs(t, err, node.ErrNotMade, method)
			}
		})
	}
}

// TestRestoreCancelled checks that Restore gives up with the context's
// error, in every mode, and applies nothing it did not read whole.
func TestRestoreCancelled(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	chain := newScratch(t, engine)
	var tip *blockchain.Block
	for i := range 3 {
		tip = chain.next(consensustest.Transfer("alice", "bob", 1, uint64(i)))
		appendRaw(t, log, node.StreamBlocks, mined(t, tip))
	}
	for _, tc := range []struct {
		name        string
		mode        node.RestoreMode
		assumeValid blockchain.Hash
	}{
		{"verify", node.RestoreVerify, blockchain.Hash{}},
		{"verify, assume-valid", node.RestoreVerify, tip.Hash()},
		{"fast", node.RestoreFast, blockchain.Hash{}},
		{"snapshot, none in the log", node.RestoreSnapshot, blockchain.Hash{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, log)
			cfg.Engine, cfg.AssumeValid = engine, tc.assumeValid
			n, err := node.New(cfg)
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			assert.ErrorIs(t, n.Restore(ctx, tc.mode), context.Canceled)
			assert.Equal(t, uint64(0), n.Chain().Height())

			require.NoError(t, n.Restore(context.Background(), tc.mode), "a second try goes on where the first stopped")
			assert.Equal(t, tip.Hash(), n.Chain().TipHash())
		})
	}
}

// TestHugeCapacity: a node shares one signature cache, of twice its
// pool's capacity, between its chain and its pool. Doubled, a capacity
// above math.MaxInt/2 wrapped round to a negative size, and the cache
// held a single transaction; the size now stops at math.MaxInt
// (pool.Policy.SigCacheSize), and the cache makes room as it fills.
func TestHugeCapacity(t *testing.T) {
	cfg := config(t, memlog.New(memlog.Config{}))
	cfg.Policy = pool.DefaultPolicy()
	cfg.Policy.Capacity = math.MaxInt
	n, err := node.New(cfg)
	require.NoError(t, err)
	cache := n.Pool().SigCache()
	assert.True(t, cache.Verify(consensustest.Transfer("alice", "bob", 1, 0)))
	assert.True(t, cache.Verify(consensustest.Transfer("alice", "bob", 2, 1)))
	assert.Equal(t, 2, cache.Len(), "the cache holds more than one")
}
