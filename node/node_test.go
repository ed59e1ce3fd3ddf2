package node_test

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
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
		if e.Kind != node.BlockAdded {
			out[e.Revision] = e.Err
		}
	}
	return out
}

func newNode(tb testing.TB, log eventlog.Log, rec *recorder) *node.Node {
	tb.Helper()
	n, err := node.New(node.Config{Log: log, Engine: newEngine(tb), Now: func() time.Time { return testNow }})
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

func mined(t *testing.T, b *blockchain.Block) eventlog.Event {
	t.Helper()
	e, err := events.Encode(events.BlockMined{Block: b, MinerID: "test"})
	require.NoError(t, err)
	return e
}

// sealOn builds and seals a block on parents with txs, changing the
// header with edit (may be nil) before sealing.
func sealOn(t *testing.T, engine *pow.Engine, parents blockchain.HeaderList, txs []blockchain.Transaction, edit func(*blockchain.Header)) *blockchain.Block {
	t.Helper()
	blocks, err := consensustest.GenerateChain(context.Background(), engine, parents, 1, func(_ int, g *consensustest.BlockGen) {
		for _, tx := range txs {
			g.AddTx(tx)
		}
	})
	require.NoError(t, err)
	if edit == nil {
		return blocks[0]
	}
	h := blocks[0].Header()
	edit(&h)
	return blockchain.NewBlock(h, blocks[0].Transactions())
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

	tx1 := consensustest.Transfer("poison 1", "alice", "bob", 10)
	tx2 := consensustest.Transfer("poison 2", "bob", "carol", 5)
	view := blockchain.HeaderList{blockchain.Genesis().Header()}
	b1 := sealOn(t, engine, view, []blockchain.Transaction{tx1}, nil)
	view = append(view, b1.Header())

	badPoW := sealOn(t, engine, view, []blockchain.Transaction{tx2}, func(h *blockchain.Header) {
		for h.Nonce++; h.SealHash().LeadingZeroBits() >= int(h.Bits); h.Nonce++ {
		}
	})
	wrongPrev := sealOn(t, engine, blockchain.HeaderList{blockchain.Genesis().Header()}, []blockchain.Transaction{tx2}, nil) // height 1 again
	dupTx := sealOn(t, engine, view, []blockchain.Transaction{tx2, tx1}, nil)
	b2 := sealOn(t, engine, view, []blockchain.Transaction{tx2}, nil)

	garbage := eventlog.Event{ID: uuid.New(), Type: events.TypeBlockMined, Data: []byte(`{"v":1,"block":"not a block","minerId":"x"}`)}
	unknown := eventlog.Event{ID: uuid.New(), Type: "BlockMinedMaybe", Data: []byte(`{}`)}
	for _, e := range []eventlog.Event{mined(t, b1), garbage, unknown, mined(t, badPoW), mined(t, wrongPrev), mined(t, dupTx), mined(t, b2)} {
		appendRaw(t, log, node.StreamBlocks, e)
	}
	want := map[eventlog.Revision]error{
		1: events.ErrMalformed,
		2: events.ErrUnknownType,
		3: blockchain.ErrInvalidSeal,
		4: blockchain.ErrPrevHashMismatch, // a second block at height 1: its parent is genesis, not the tip
		5: blockchain.ErrAlreadyIncluded,
	}

	check := func(t *testing.T, n *node.Node, rec *recorder) {
		nodetest.WaitFor(t, n, "the blocks stream to be read", func() bool { b, _ := n.Position(); return b == 7 })
		rec.waitLen(t, 7)
		assert.Equal(t, b2.Hash(), n.Chain().TipHash())
		assert.Equal(t, uint64(2), n.Chain().Height())
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
		assert.ElementsMatch(t, []blockchain.ErrorCode{blockchain.ErrInvalidSeal, blockchain.ErrPrevHashMismatch, blockchain.ErrAlreadyIncluded}, rules,
			"two nodes rejected three blocks: three events, one per block and rule")
	})
}

// TestRestoreModes restores a node from a log in each mode and checks that
// it holds the same chain and pool as a node that followed live, and that
// Follow goes on from where Restore stopped.
func TestRestoreModes(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	writer := newNode(t, log, nil)
	follow(t, writer)

	// Ten transactions; the first six are mined in three blocks.
	var txs []blockchain.Transaction
	for i := range 10 {
		tx := consensustest.Transfer(fmt.Sprintf("restore %d", i), "alice", "bob", int64(i+1))
		txs = append(txs, tx)
		require.NoError(t, writer.SubmitTransaction(context.Background(), tx))
	}
	view := blockchain.HeaderList{blockchain.Genesis().Header()}
	for i := range 3 {
		b := sealOn(t, engine, view, txs[2*i:2*i+2], nil)
		nodetest.WaitFor(t, writer, "the writer to catch up", func() bool { return writer.Chain().TipHash() == b.PrevHash() })
		require.NoError(t, writer.PublishBlock(context.Background(), b, "test"))
		view = append(view, b.Header())
	}
	nodetest.WaitFor(t, writer, "three blocks", func() bool { return writer.Chain().Height() == 3 && writer.Pool().Len() == 4 })

	for _, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreFast} {
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
			assert.Equal(t, writer.Pool().Len(), n.Pool().Len(), "pending = submitted − included")
			assert.Equal(t, writer.Pool().Candidates(100), n.Pool().Candidates(100), "in the same order")
			for _, tx := range txs[:6] {
				assert.True(t, n.Chain().Includes(tx.ID()))
				assert.False(t, n.Pool().Has(tx.ID()))
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
			extra := consensustest.Transfer(fmt.Sprintf("after restore %s", mode), "carol", "dave", 1)
			require.NoError(t, writer.SubmitTransaction(context.Background(), extra))
			nodetest.WaitFor(t, n, "the new transaction", func() bool { return n.Pool().Has(extra.ID()) })
			assert.Equal(t, pending+1, n.Pool().Len(), "nothing read twice")
		})
	}
}

func TestPublishBlockIsStaleAfterAnotherBlock(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	a, b := newNode(t, log, nil), newNode(t, log, nil)
	view := blockchain.HeaderList{blockchain.Genesis().Header()}
	first := sealOn(t, engine, view, []blockchain.Transaction{consensustest.Transfer("a", "alice", "bob", 1)}, nil)
	second := sealOn(t, engine, view, []blockchain.Transaction{consensustest.Transfer("b", "alice", "bob", 2)}, nil)

	require.NoError(t, a.PublishBlock(context.Background(), first, "a"))
	err := b.PublishBlock(context.Background(), second, "b")
	assert.ErrorIs(t, err, node.ErrStale, "b has not seen a's block: the append's expected revision is out of date")
	assert.ErrorIs(t, err, eventlog.ErrWrongExpectedRevision)

	follow(t, b)
	nodetest.WaitFor(t, b, "b to catch up", func() bool { return b.Chain().Height() == 1 })
	err = b.PublishBlock(context.Background(), second, "b")
	assert.ErrorIs(t, err, node.ErrStale, "caught up, b sees that its block extends an old tip")
	assert.NotErrorIs(t, err, eventlog.ErrWrongExpectedRevision)
}

func TestSubmitTransaction(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	n := newNode(t, log, nil)
	ok := consensustest.Transfer("submit", "alice", "bob", 5)
	for _, tc := range []struct {
		name string
		tx   blockchain.Transaction
		want error
	}{
		{"valid", ok, nil},
		{"again: a no-op", ok, nil},
		{"to oneself", consensustest.Transfer("self", "alice", "alice", 5), blockchain.ErrSelfTransfer},
		{"no amount", consensustest.Transfer("zero", "alice", "bob", 0), blockchain.ErrInvalidAmount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := n.SubmitTransaction(context.Background(), tc.tx)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
	recs, err := log.Read(context.Background(), node.StreamTransactions, eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	assert.Len(t, recs, 1, "one event for the valid transaction, however often it was submitted")

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	err = n.SubmitTransaction(cancelled, consensustest.Transfer("late", "alice", "bob", 1))
	assert.True(t, errors.Is(err, context.Canceled), "the log's error comes back: %v", err)
}

func TestNewRequiresLogAndEngine(t *testing.T) {
	_, err := node.New(node.Config{Engine: consensustest.NewFaker()})
	assert.ErrorContains(t, err, "Log")
	_, err = node.New(node.Config{Log: memlog.New(memlog.Config{})})
	assert.ErrorContains(t, err, "Engine")
}
