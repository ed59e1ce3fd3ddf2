package node_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

// seen is what an observer is told of one event, in comparable form.
type seen struct {
	Kind     node.EventKind
	Hash     blockchain.Hash
	Miner    string
	Revision eventlog.Revision
}

func (r *recorder) story() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []seen
	for _, e := range r.events {
		s := seen{Kind: e.Kind, Miner: e.MinerID, Revision: e.Revision}
		if e.Block != nil {
			s.Hash = e.Block.Hash()
		}
		out = append(out, s)
	}
	return out
}

// TestObserversSeeTheSameStory restores a node from one log in each mode,
// and has a third follow it live: every observer is told the same events
// in the same order — blocks added and a malformed event skipped — and
// every node wakes its Changed waiters, whichever way it read the log.
func TestObserversSeeTheSameStory(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	live := &recorder{}
	follower := newNode(t, log, live)
	follow(t, follower)

	chain := newScratch(t, engine)
	var want []seen
	for i := range 3 {
		b := chain.next(consensustest.Transfer("alice", "bob", 1, uint64(i)))
		appendRaw(t, log, node.StreamBlocks, mined(t, b))
		want = append(want, seen{node.BlockAdded, b.Hash(), "test", eventlog.Revision(len(want))})
		if i == 1 {
			garbage := eventlog.Event{ID: uuid.New(), Type: events.TypeBlockMined, Data: []byte(`{"v":1}`)}
			appendRaw(t, log, node.StreamBlocks, garbage)
			want = append(want, seen{node.EventSkipped, blockchain.Hash{}, "", eventlog.Revision(len(want))})
		}
	}
	live.waitLen(t, len(want))
	assert.Equal(t, want, live.story(), "following")

	for _, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreFast, node.RestoreSnapshot} {
		t.Run(mode.String(), func(t *testing.T) {
			rec := &recorder{}
			n := newNode(t, log, rec)
			changed := n.Changed()
			require.NoError(t, n.Restore(context.Background(), mode))
			assert.Equal(t, want, rec.story())
			select {
			case <-changed:
			default:
				t.Error("Restore changed the node without waking its Changed waiters")
			}
			assert.Equal(t, follower.Chain().TipHash(), n.Chain().TipHash())
			assert.Equal(t, follower.Chain().State().Root(), n.Chain().State().Root(), "the same accounts")
		})
	}
}

// TestObserveStop checks that each registration is told until it stops,
// and that stopping one leaves the others.
func TestObserveStop(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	n := newNode(t, log, nil)
	kept, stopped := &recorder{}, &recorder{}
	n.Observe(kept.record)
	stop := n.Observe(stopped.record)
	follow(t, n)

	chain := newScratch(t, engine)
	b1 := chain.next(consensustest.Transfer("alice", "bob", 1, 0))
	appendRaw(t, log, node.StreamBlocks, mined(t, b1))
	stopped.waitLen(t, 1)
	stop()
	stop() // stopping twice is harmless
	b2 := chain.next(consensustest.Transfer("alice", "bob", 1, 1))
	appendRaw(t, log, node.StreamBlocks, mined(t, b2))
	kept.waitLen(t, 2)

	assert.Len(t, kept.story(), 2, "the kept observer hears both blocks")
	if assert.Len(t, stopped.story(), 1, "the stopped one only the first") {
		assert.Equal(t, b1.Hash(), stopped.story()[0].Hash)
	}
	assert.Equal(t, uint64(2), n.Chain().Height())
}

// TestObserveNil: a nil observer registers nothing. It was called at the
// first block, and its nil-pointer panic, on the goroutine that reads
// the blocks stream, ended the program.
func TestObserveNil(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	chain := newScratch(t, engine)
	appendRaw(t, log, node.StreamBlocks, mined(t, chain.next(consensustest.Transfer("alice", "bob", 1, 0))))
	for _, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreFast} {
		t.Run(mode.String(), func(t *testing.T) {
			rec := &recorder{}
			n := newNode(t, log, nil)
			stop := n.Observe(nil)
			n.Observe(rec.record)
			require.NoError(t, n.Restore(context.Background(), mode))
			stop() // harmless
			assert.Equal(t, uint64(1), n.Chain().Height())
			assert.Len(t, rec.story(), 1, "the other observer is told")
		})
	}
}

// TestRestoreModeText checks the text form of RestoreMode, which makes it
// a flag through flag.TextVar.
func TestRestoreModeText(t *testing.T) {
	for _, tc := range []struct {
		text    string
		want    node.RestoreMode
		wantErr bool
	}{
		{text: "verify", want: node.RestoreVerify},
		{text: "fast", want: node.RestoreFast},
		{text: "snapshot", want: node.RestoreSnapshot},
		{text: "Fast", wantErr: true},
		{text: "", wantErr: true},
		{text: "quick", wantErr: true},
	} {
		t.Run(fmt.Sprintf("%q", tc.text), func(t *testing.T) {
			var m node.RestoreMode
			err := m.UnmarshalText([]byte(tc.text))
			if tc.wantErr {
				assert.ErrorIs(t, err, node.ErrUnknownRestoreMode)
				assert.ErrorContains(t, err, fmt.Sprintf("%q", tc.text), "the error names the text")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, m)
			back, err := m.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, tc.text, string(back))
		})
	}
	t.Run("flag.TextVar", func(t *testing.T) {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var mode node.RestoreMode
		fs.TextVar(&mode, "restore", node.RestoreVerify, "restore mode")
		require.NoError(t, fs.Parse([]string{"-restore", "fast"}))
		assert.Equal(t, node.RestoreFast, mode)
		assert.Error(t, fs.Parse([]string{"-restore", "sometimes"}))
	})
	t.Run("not a mode", func(t *testing.T) {
		_, err := node.RestoreMode(7).MarshalText()
		assert.ErrorIs(t, err, node.ErrUnknownRestoreMode)
		n := newNode(t, memlog.New(memlog.Config{}), nil)
		assert.ErrorIs(t, n.Restore(context.Background(), node.RestoreMode(7)), node.ErrUnknownRestoreMode)
	})
}

// TestFoldsTolerateDuplicates runs a node on a log that stores every
// submission twice, near or far from the first, as EventStoreDB may when
// a retry with expected revision Any comes after its window of recent IDs
// forgot the first. Blocks are appended with an exact expected revision,
// which is never duplicated. A following node, and nodes restored in
// either mode, hold each pending transaction once, in the same order:
// the pool folds a duplicate away by its ID while it is pending, and by
// its used nonce once it is mined.
func TestFoldsTolerateDuplicates(t *testing.T) {
	mem := memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow})
	t.Cleanup(func() { _ = mem.Close() })
	log := eventlogtest.Duplicating(mem, 1, 3)
	engine := newEngine(t)
	follower := newNode(t, log, nil)
	follow(t, follower)

	// Thirty transfers, alice's and bob's in turn, so that the pool
	// holds two senders' queues.
	var txs []blockchain.Transaction
	for i := range 30 {
		from, to := "alice", "bob"
		if i%2 == 1 {
			from, to = "bob", "alice"
		}
		tx := consensustest.Transfer(from, to, int64(i+1), uint64(i/2))
		txs = append(txs, tx)
		require.NoError(t, follower.SubmitTransaction(context.Background(), tx))
	}
	chain := newScratch(t, engine)
	for i := range 2 {
		b := chain.next(txs[5*i : 5*i+5]...)
		nodetest.WaitFor(t, follower, "the tip", func() bool { return follower.Chain().TipHash() == b.PrevHash() })
		require.NoError(t, follower.PublishBlock(context.Background(), b, "test"))
	}
	require.NoError(t, log.Flush(context.Background()))
	require.Positive(t, log.Duplicates())
	last, err := log.Read(context.Background(), node.StreamTransactions, eventlog.End, eventlog.Backwards, 1)
	require.NoError(t, err)
	nodetest.WaitFor(t, follower, "every event read", func() bool {
		b, tx := follower.Position()
		return b == 2 && tx > last[0].Revision
	})
	assert.Greater(t, int(last[0].Revision)+1, len(txs), "the transactions stream holds duplicates")

	want := txs[10:]
	assert.Equal(t, want, follower.Pool().Candidates(100), "each pending transaction once, in order")
	for _, mode := range []node.RestoreMode{node.RestoreVerify, node.RestoreFast, node.RestoreSnapshot} {
		t.Run(mode.String(), func(t *testing.T) {
			n := newNode(t, log, nil)
			require.NoError(t, n.Restore(context.Background(), mode))
			assert.Equal(t, follower.Chain().TipHash(), n.Chain().TipHash())
			assert.Equal(t, follower.Chain().State().Root(), n.Chain().State().Root())
			assert.Equal(t, want, n.Pool().Candidates(100))
		})
	}
}
