package node_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

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

// snapshotNode returns a node on log that records a snapshot every
// `every` blocks, in parts of at most partSize accounts (0: the
// default).
func snapshotNode(t *testing.T, log eventlog.Log, every uint64, partSize int) *node.Node {
	t.Helper()
	cfg := config(t, log)
	cfg.SnapshotEvery = every
	n, err := node.New(cfg)
	require.NoError(t, err)
	if partSize > 0 {
		node.SetSnapshotPartSize(n, partSize)
	}
	return n
}

// readSnapshots returns the decoded events of the snapshots stream, in
// order, and how many there are.
func readSnapshots(t *testing.T, log eventlog.Log) (parts []events.SnapshotPart, manifests []events.SnapshotTaken) {
	t.Helper()
	recs, err := log.Read(context.Background(), node.StreamSnapshots, eventlog.Start, eventlog.Forwards, 10_000)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return nil, nil
	}
	require.NoError(t, err)
	for _, r := range recs {
		p, err := events.Decode(r.Event)
		require.NoError(t, err, "%s", r)
		switch p := p.(type) {
		case events.SnapshotPart:
			parts = append(parts, p)
		case events.SnapshotTaken:
			manifests = append(manifests, p)
		default:
			t.Fatalf("%s: a %T in the snapshots stream", r, p)
		}
	}
	return parts, manifests
}

// publish has writer publish each block once it has caught up with its
// parent.
func publish(t *testing.T, writer *node.Node, blocks ...*blockchain.Block) {
	t.Helper()
	for _, b := range blocks {
		nodetest.WaitFor(t, writer, "the writer to catch up", func() bool { return writer.Chain().TipHash() == b.PrevHash() })
		require.NoError(t, writer.PublishBlock(context.Background(), b, "test"))
	}
	last := blocks[len(blocks)-1]
	nodetest.WaitFor(t, writer, "the writer to apply the last block", func() bool { return writer.Chain().TipHash() == last.Hash() })
}

// TestSnapshotEvery has a following node record snapshots every few
// blocks and checks what the snapshots stream holds: one manifest per
// multiple of SnapshotEvery, its parts before it, the accounts of the
// chain at that height, and the BlockMined of that height where the
// manifest says.
func TestSnapshotEvery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		every    uint64
		blocks   int
		partSize int
		heights  []uint64
		parts    int // parts per snapshot
	}{
		{"never", 0, 4, 0, nil, 0},
		{"every block, one part", 1, 3, 0, []uint64{1, 2, 3}, 1},
		{"every third block, parts of two accounts", 3, 7, 2, []uint64{3, 6}, 5},
		{"every other block, one account a part", 2, 4, 1, []uint64{2, 4}, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			writer := snapshotNode(t, log, tc.every, tc.partSize)
			follow(t, writer)
			chain := newScratch(t, newEngine(t))
			states := map[uint64]*blockchain.State{}
			var blocks []*blockchain.Block
			for i := range tc.blocks {
				// alice pays zoe, so the state holds nine accounts.
				blocks = append(blocks, chain.next(consensustest.Transfer("alice", "zoe", int64(i+1), uint64(i))))
				states[uint64(i+1)] = chain.chain.State()
			}
			publish(t, writer, blocks...)
			nodetest.WaitFor(t, writer, "the snapshots", func() bool { return writer.SnapshotStats().Written == len(tc.heights) })
			stats := writer.SnapshotStats()
			assert.Zero(t, stats.Failed)
			if len(tc.heights) > 0 {
				assert.Equal(t, tc.heights[len(tc.heights)-1], stats.LastHeight)
			}

			parts, manifests := readSnapshots(t, log)
			require.Len(t, manifests, len(tc.heights))
			assert.Len(t, parts, len(tc.heights)*tc.parts)
			for i, m := range manifests {
				h := tc.heights[i]
				assert.Equal(t, h, m.Height)
				assert.Equal(t, blocks[h-1].Hash(), m.BlockHash)
				assert.Equal(t, eventlog.Revision(h-1), m.BlocksRevision, "the revision of the block's event")
				assert.Equal(t, tc.parts, m.Parts)
				assert.Equal(t, states[h].Len(), m.Accounts)
				assert.Len(t, m.Headers, int(h)+1, "every header: fewer than DefaultSnapshotHeaders")
				assert.Equal(t, blocks[h-1].Hash(), m.Tip.Hash())

				var accounts []blockchain.AccountRecord
				for _, p := range parts[i*tc.parts : (i+1)*tc.parts] {
					assert.Equal(t, h, p.Height)
					accounts = append(accounts, p.Accounts...)
				}
				st, err := blockchain.NewStateFromAccounts(accounts)
				require.NoError(t, err)
				assert.Equal(t, states[h].Root(), st.Root(), "the accounts of height %d", h)
			}
		})
	}
}

// TestRestoreSnapshot restores one node from a snapshot and another from
// every block, from a log with blocks and transactions on both sides of
// the snapshots: both hold the same tip, accounts and pool; the snapshot
// node holds headers from its base on only; and both go on following,
// the restored node recording the next snapshot as the writer does, with
// the same events.
func TestRestoreSnapshot(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	writer := snapshotNode(t, log, 3, 2)
	follow(t, writer)

	// Twelve transfers of alice's to zoe, submitted up front; blocks 1
	// to 7 each include the next, so blocks 4 to 7 follow the newest
	// snapshot, at height 6, and five are pending at the end.
	var txs []blockchain.Transaction
	for i := range 12 {
		tx := consensustest.Transfer("alice", "zoe", int64(i+1), uint64(i))
		txs = append(txs, tx)
		require.NoError(t, writer.SubmitTransaction(context.Background(), tx))
	}
	chain := newScratch(t, newEngine(t))
	var blocks []*blockchain.Block
	for i := range 7 {
		blocks = append(blocks, chain.next(txs[i]))
	}
	publish(t, writer, blocks...)
	nodetest.WaitFor(t, writer, "two snapshots", func() bool { return writer.SnapshotStats().Written == 2 })
	// Two of bob's after the snapshots.
	for i := range 2 {
		require.NoError(t, writer.SubmitTransaction(context.Background(), consensustest.Transfer("bob", "carol", 5, uint64(i))))
	}
	last, err := log.Read(context.Background(), node.StreamTransactions, eventlog.End, eventlog.Backwards, 1)
	require.NoError(t, err)
	nodetest.WaitFor(t, writer, "the writer to read every transaction", func() bool { _, tx := writer.Position(); return tx == last[0].Revision+1 })

	full := newNode(t, log, nil)
	require.NoError(t, full.Restore(context.Background(), node.RestoreVerify))
	rec := &recorder{}
	fromSnapshot := snapshotNode(t, log, 3, 2)
	fromSnapshot.Observe(rec.record)
	require.NoError(t, fromSnapshot.Restore(context.Background(), node.RestoreSnapshot))

	stats := fromSnapshot.SnapshotStats()
	assert.True(t, stats.Restored)
	assert.Equal(t, uint64(6), stats.RestoredFrom)
	assert.Empty(t, stats.Refused)
	assert.Len(t, rec.story(), 1, "the observers hear of block 7 only")
	for _, n := range []*node.Node{writer, fromSnapshot} {
		assert.Equal(t, full.Chain().TipHash(), n.Chain().TipHash())
		assert.Equal(t, full.Chain().State().Root(), n.Chain().State().Root())
		for _, name := range append(slices.Clone(consensustest.Accounts), "zoe") {
			assert.Equal(t, full.Chain().Account(consensustest.Addr(name)), n.Chain().Account(consensustest.Addr(name)), name)
		}
		assert.Equal(t, full.Pool().Candidates(100), n.Pool().Candidates(100), "the same pool, in the same order")
		b, tx := n.Position()
		fb, ftx := full.Position()
		assert.Equal(t, fb, b)
		assert.Equal(t, ftx, tx)
	}
	assert.Len(t, full.Pool().Candidates(100), 7, "alice's last five and bob's two")
	assert.Equal(t, uint64(0), full.Chain().Base())
	assert.Equal(t, uint64(0), fromSnapshot.Chain().Base(), "the snapshot at 6 holds every header")
	_, ok := fromSnapshot.Chain().HeaderAt(1)
	assert.True(t, ok)
	_, ok = fromSnapshot.Chain().BlockAt(5)
	assert.False(t, ok, "of the blocks before it, a resumed chain holds the tip only")

	// Both go on: block 8, block 9 (a snapshot), and a transfer.
	follow(t, full, fromSnapshot)
	more := []*blockchain.Block{chain.next(txs[7]), chain.next(txs[8])}
	publish(t, writer, more...)
	extra := consensustest.Transfer("carol", "dave", 1, 0)
	require.NoError(t, writer.SubmitTransaction(context.Background(), extra))
	for _, n := range []*node.Node{full, fromSnapshot} {
		nodetest.WaitFor(t, n, "block 9 and the transfer", func() bool {
			return n.Chain().TipHash() == more[1].Hash() && n.Pool().Has(extra.ID())
		})
	}
	assert.Equal(t, full.Pool().Candidates(100), fromSnapshot.Pool().Candidates(100))
	nodetest.WaitFor(t, writer, "the writer's snapshot at 9", func() bool { return writer.SnapshotStats().Written == 3 })
	nodetest.WaitFor(t, fromSnapshot, "the restored node's snapshot at 9", func() bool { return fromSnapshot.SnapshotStats().Written == 1 })
	assert.Equal(t, uint64(9), fromSnapshot.SnapshotStats().LastHeight)

	recs, err := log.Read(context.Background(), node.StreamSnapshots, eventlog.Start, eventlog.Forwards, 1000)
	require.NoError(t, err)
	ids := map[uuid.UUID]int{}
	for _, r := range recs {
		ids[r.ID]++
	}
	assert.Len(t, ids, len(recs), "the log took the second node's snapshot at 9 for a retry: the same IDs")
	_, manifests := readSnapshots(t, log)
	require.Len(t, manifests, 3)
	assert.Equal(t, uint64(9), manifests[2].Height)
}

// honestLog returns a log holding a transaction event, six blocks of the
// scratch chain, and, for each height in snapHeights, the snapshot of the
// scratch chain at that height, its parts of three accounts appended
// after the block, as a node that had read the transaction would record
// it; forge may change each snapshot's parts and manifest first, and the
// events between, if any, go between its first part and the others. It
// returns the log and the tip.
func honestLog(t *testing.T, snapHeights []uint64, forge func(height uint64, parts []events.SnapshotPart, m *events.SnapshotTaken) []events.SnapshotPart, between ...eventlog.Event) (eventlog.Log, *blockchain.Block) {
	t.Helper()
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	pending := consensustest.Transfer("bob", "carol", 1, 0)
	appendRaw(t, log, node.StreamTransactions, submitted(t, pending))
	chain := newScratch(t, newEngine(t))
	var tip *blockchain.Block
	for i := range 6 {
		tip = chain.next(consensustest.Transfer("alice", "zoe", int64(i+1), uint64(i)))
		appendRaw(t, log, node.StreamBlocks, mined(t, tip))
		if !slices.Contains(snapHeights, tip.Height()) {
			continue
		}
		snap := chain.chain.Snapshot(node.DefaultSnapshotHeaders)
		parts := events.SnapshotParts(tip.Height(), tip.Hash(), snap.Accounts, 3)
		m := events.SnapshotTaken{
			Height: tip.Height(), BlockHash: tip.Hash(), StateRoot: tip.Header().StateRoot,
			Parts: len(parts), Accounts: len(snap.Accounts),
			BlocksRevision: eventlog.Revision(i), TxsRevision: 1,
			Headers: snap.Headers, Tip: tip, Pending: []blockchain.Transaction{pending},
		}
		if forge != nil {
			parts = forge(tip.Height(), parts, &m)
		}
		for j, p := range parts {
			res, err := log.Append(context.Background(), node.StreamSnapshots, eventlog.Any, mustEncodeEvent(t, p))
			require.NoError(t, err)
			if j == 0 {
				m.FirstPart = res.NextExpected
				for _, e := range between {
					appendRaw(t, log, node.StreamSnapshots, e)
				}
			}
		}
		appendRaw(t, log, node.StreamSnapshots, mustEncodeEvent(t, m))
	}
	return log, tip
}

func mustEncodeEvent(t *testing.T, p events.Payload) eventlog.Event {
	t.Helper()
	e, err := events.Encode(p)
	require.NoError(t, err)
	return e
}

// TestRestoreSnapshotRefusesForgeries forges snapshots in the ways a
// snapshot can be wrong, and checks that a node restoring from them
// refuses each with its typed error, goes on to an older snapshot or to
// every block, and ends with the honest chain.
func TestRestoreSnapshotRefusesForgeries(t *testing.T) {
	// withAccounts returns the parts with f applied to a copy of their
	// accounts, split again as they were.
	withAccounts := func(parts []events.SnapshotPart, f func([]blockchain.AccountRecord) []blockchain.AccountRecord) []events.SnapshotPart {
		var all []blockchain.AccountRecord
		for _, p := range parts {
			all = append(all, p.Accounts...)
		}
		return events.SnapshotParts(parts[0].Height, parts[0].BlockHash, f(slices.Clone(all)), 3)
	}
	at := func(height uint64, f func([]events.SnapshotPart, *events.SnapshotTaken) []events.SnapshotPart) func(uint64, []events.SnapshotPart, *events.SnapshotTaken) []events.SnapshotPart {
		return func(h uint64, parts []events.SnapshotPart, m *events.SnapshotTaken) []events.SnapshotPart {
			if h != height {
				return parts
			}
			return f(parts, m)
		}
	}
	stranger := events.SnapshotPart{Height: 3, BlockHash: blockchain.Hash{3}, Part: 0, Parts: 1,
		Accounts: []blockchain.AccountRecord{{Address: blockchain.Address{1}, Account: blockchain.Account{Balance: 1}}}}
	strangers := []eventlog.Event{
		{ID: uuid.New(), Type: events.TypeSnapshotPart, Data: []byte(`{"v":1,"height":4}`)}, // does not decode
		mustEncodeEvent(t, stranger), // another snapshot's
		{ID: uuid.New(), Type: "SnapshotPartMaybe", Data: []byte(`{}`)},
	}
	for _, tc := range []struct {
		name     string
		heights  []uint64
		forge    func(uint64, []events.SnapshotPart, *events.SnapshotTaken) []events.SnapshotPart
		between  []eventlog.Event
		restored uint64  // the height restored from; 0: every block
		refused  []error // what each refusal wraps, newest first
	}{
		{name: "an honest snapshot", heights: []uint64{4}, restored: 4},
		{name: "parts in another order, twice, strangers between them", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, _ *events.SnapshotTaken) []events.SnapshotPart {
			slices.Reverse(parts)
			return append(parts, parts...)
		}), between: strangers, restored: 4},
		{name: "a forged part before the honest one: the first wins", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, _ *events.SnapshotTaken) []events.SnapshotPart {
			forged := withAccounts(parts, func(a []blockchain.AccountRecord) []blockchain.AccountRecord { a[0].Account.Balance++; return a })
			return append(forged[:1:1], parts...)
		}), refused: []error{blockchain.ErrBadStateRoot}},
		{name: "no snapshot", heights: nil},
		{name: "a balance raised", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, _ *events.SnapshotTaken) []events.SnapshotPart {
			return withAccounts(parts, func(a []blockchain.AccountRecord) []blockchain.AccountRecord { a[0].Account.Balance += 1_000; return a })
		}), refused: []error{blockchain.ErrBadStateRoot}},
		{name: "a nonce lowered", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, _ *events.SnapshotTaken) []events.SnapshotPart {
			return withAccounts(parts, func(a []blockchain.AccountRecord) []blockchain.AccountRecord {
				for i := range a {
					if a[i].Account.Nonce > 0 {
						a[i].Account.Nonce--
						break
					}
				}
				return a
			})
		}), refused: []error{blockchain.ErrBadStateRoot}},
		{name: "an account left out", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, m *events.SnapshotTaken) []events.SnapshotPart {
			m.Accounts--
			return withAccounts(parts, func(a []blockchain.AccountRecord) []blockchain.AccountRecord { return a[1:] })
		}), refused: []error{blockchain.ErrBadStateRoot}},
		{name: "a part missing", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, _ *events.SnapshotTaken) []events.SnapshotPart {
			return append(parts[:1:1], parts[2:]...)
		}), refused: []error{node.ErrSnapshotIncomplete}},
		{name: "parts of another height", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, _ *events.SnapshotTaken) []events.SnapshotPart {
			for i := range parts {
				parts[i].Height = 3
			}
			return parts
		}), refused: []error{node.ErrSnapshotIncomplete}},
		{name: "a tip that is not the block at its revision", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, m *events.SnapshotTaken) []events.SnapshotPart {
			m.BlocksRevision = 2
			return parts
		}), refused: []error{node.ErrSnapshotTip}},
		{name: "a tip past the blocks stream", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, m *events.SnapshotTaken) []events.SnapshotPart {
			m.BlocksRevision = 99
			return parts
		}), refused: []error{node.ErrSnapshotTip}},
		{name: "a position past the transactions stream", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, m *events.SnapshotTaken) []events.SnapshotPart {
			m.TxsRevision = 7
			return parts
		}), refused: []error{node.ErrSnapshotPosition}},
		{name: "headers that do not link", heights: []uint64{4}, forge: at(4, func(parts []events.SnapshotPart, m *events.SnapshotTaken) []events.SnapshotPart {
			m.Headers = slices.Clone(m.Headers)
			m.Headers[1].Nonce++
			return parts
		}), refused: []error{blockchain.ErrBadSnapshot}},
		{name: "a forged newest, an honest older", heights: []uint64{2, 5}, forge: at(5, func(parts []events.SnapshotPart, _ *events.SnapshotTaken) []events.SnapshotPart {
			return withAccounts(parts, func(a []blockchain.AccountRecord) []blockchain.AccountRecord { a[1].Account.Balance--; return a })
		}), restored: 2, refused: []error{blockchain.ErrBadStateRoot}},
		{name: "three forged: no more tries", heights: []uint64{1, 2, 3, 4}, forge: func(h uint64, parts []events.SnapshotPart, _ *events.SnapshotTaken) []events.SnapshotPart {
			if h == 1 {
				return parts // honest, but a fourth try
			}
			return withAccounts(parts, func(a []blockchain.AccountRecord) []blockchain.AccountRecord { a[2].Account.Balance++; return a })
		}, refused: []error{blockchain.ErrBadStateRoot, blockchain.ErrBadStateRoot, blockchain.ErrBadStateRoot}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, tip := honestLog(t, tc.heights, tc.forge, tc.between...)
			full := newNode(t, log, nil)
			require.NoError(t, full.Restore(context.Background(), node.RestoreVerify))
			require.Equal(t, tip.Hash(), full.Chain().TipHash(), "precondition: the honest chain")

			n := newNode(t, log, nil)
			require.NoError(t, n.Restore(context.Background(), node.RestoreSnapshot))
			assert.Equal(t, tip.Hash(), n.Chain().TipHash())
			assert.Equal(t, full.Chain().State().Root(), n.Chain().State().Root())
			assert.Equal(t, full.Pool().Candidates(10), n.Pool().Candidates(10))
			stats := n.SnapshotStats()
			assert.Equal(t, tc.restored > 0, stats.Restored)
			assert.Equal(t, tc.restored, stats.RestoredFrom)
			require.Len(t, stats.Refused, len(tc.refused))
			for i, want := range tc.refused {
				err := stats.Refused[i]
				assert.ErrorIs(t, err, node.ErrSnapshotRefused)
				assert.ErrorIs(t, err, want)
				var se *node.SnapshotError
				if assert.ErrorAs(t, err, &se) {
					assert.Positive(t, se.Height)
				}
			}
		})
	}
}

// TestRestoreSnapshotSkipsBadManifests: a manifest that does not decode,
// and events of other types, are passed over on the way to a good one.
func TestRestoreSnapshotSkipsBadManifests(t *testing.T) {
	log, tip := honestLog(t, []uint64{3}, nil)
	appendRaw(t, log, node.StreamSnapshots, eventlog.Event{ID: uuid.New(), Type: events.TypeSnapshotTaken, Data: []byte(`{"v":1}`)})
	appendRaw(t, log, node.StreamSnapshots, eventlog.Event{ID: uuid.New(), Type: "SnapshotMaybe", Data: []byte(`{}`)})
	n := newNode(t, log, nil)
	require.NoError(t, n.Restore(context.Background(), node.RestoreSnapshot))
	assert.Equal(t, tip.Hash(), n.Chain().TipHash())
	stats := n.SnapshotStats()
	assert.True(t, stats.Restored)
	assert.Equal(t, uint64(3), stats.RestoredFrom)
	assert.Empty(t, stats.Refused, "what does not decode is skipped, not refused")
}

// TestSnapshotsTolerateDuplicates runs a writer on a log that stores
// every append with expected revision Any twice, near or far: parts,
// manifests and transactions. Restoring from a snapshot folds the
// duplicates and reaches the chain and pool of a full restore.
func TestSnapshotsTolerateDuplicates(t *testing.T) {
	mem := memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow})
	t.Cleanup(func() { _ = mem.Close() })
	log := eventlogtest.Duplicating(mem, 1, 5)
	writer := snapshotNode(t, log, 2, 2)
	follow(t, writer)
	var txs []blockchain.Transaction
	for i := range 8 {
		tx := consensustest.Transfer("alice", "zoe", int64(i+1), uint64(i))
		txs = append(txs, tx)
		require.NoError(t, writer.SubmitTransaction(context.Background(), tx))
	}
	chain := newScratch(t, newEngine(t))
	var blocks []*blockchain.Block
	for i := range 5 {
		blocks = append(blocks, chain.next(txs[i]))
	}
	publish(t, writer, blocks...)
	nodetest.WaitFor(t, writer, "two snapshots", func() bool { return writer.SnapshotStats().Written == 2 })
	require.NoError(t, log.Flush(context.Background()))
	require.Positive(t, log.Duplicates())
	parts, manifests := readSnapshots(t, log)
	assert.Greater(t, len(parts)+len(manifests), 2*(5+1), "the snapshots stream holds duplicates")

	full := newNode(t, log, nil)
	require.NoError(t, full.Restore(context.Background(), node.RestoreVerify))
	n := newNode(t, log, nil)
	require.NoError(t, n.Restore(context.Background(), node.RestoreSnapshot))
	assert.True(t, n.SnapshotStats().Restored)
	assert.Empty(t, n.SnapshotStats().Refused)
	assert.Equal(t, full.Chain().TipHash(), n.Chain().TipHash())
	assert.Equal(t, full.Chain().State().Root(), n.Chain().State().Root())
	assert.Equal(t, txs[5:], n.Pool().Candidates(100))
	assert.Equal(t, full.Pool().Candidates(100), n.Pool().Candidates(100))
}

// refusingLog refuses every append to the snapshots stream.
type refusingLog struct{ eventlog.Log }

var errDiskFull = errors.New("disk full")

func (l refusingLog) Append(ctx context.Context, stream string, expected eventlog.Expected, evs ...eventlog.Event) (eventlog.AppendResult, error) {
	if stream == node.StreamSnapshots {
		return eventlog.AppendResult{}, errDiskFull
	}
	return l.Log.Append(ctx, stream, expected, evs...)
}

// TestSnapshotWriteFailure: a snapshot that cannot be written is
// counted, and the node goes on following.
func TestSnapshotWriteFailure(t *testing.T) {
	mem := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = mem.Close() })
	writer := snapshotNode(t, refusingLog{mem}, 1, 0)
	follow(t, writer)
	chain := newScratch(t, newEngine(t))
	blocks := []*blockchain.Block{chain.next(), chain.next(), chain.next()}
	publish(t, writer, blocks...)
	nodetest.WaitFor(t, writer, "three failures", func() bool { return writer.SnapshotStats().Failed == 3 })
	assert.Zero(t, writer.SnapshotStats().Written)
	assert.Equal(t, uint64(3), writer.Chain().Height())
}

// TestRestoreSnapshotCancelled: a snapshot restore cancelled after it
// resumed the chain goes on, at the second try, with the blocks after
// the snapshot and its pending transactions.
func TestRestoreSnapshotCancelled(t *testing.T) {
	log, tip := honestLog(t, []uint64{3}, func(_ uint64, parts []events.SnapshotPart, m *events.SnapshotTaken) []events.SnapshotPart {
		m.Pending = append(m.Pending, consensustest.Transfer("carol", "dave", 1, 0))
		return parts
	})
	full := newNode(t, log, nil)
	require.NoError(t, full.Restore(context.Background(), node.RestoreVerify))

	n := newNode(t, log, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n.Observe(func(node.Event) { cancel() }) // at the first block after the snapshot
	assert.ErrorIs(t, n.Restore(ctx, node.RestoreSnapshot), context.Canceled)
	require.True(t, n.SnapshotStats().Restored, "precondition: cancelled after the chain resumed")
	require.NoError(t, n.Restore(context.Background(), node.RestoreSnapshot))
	assert.Equal(t, uint64(3), n.SnapshotStats().RestoredFrom)
	assert.Equal(t, tip.Hash(), n.Chain().TipHash())
	assert.Equal(t, full.Chain().State().Root(), n.Chain().State().Root())
	assert.Equal(t, 2, n.Pool().Len(), "the event's transfer and the snapshot's")
	assert.Equal(t, 1, full.Pool().Len(), "a full restore knows only the stream's")
}

// TestRepeatedBlockTakesNoSnapshot: a block stored twice, repeated after
// a later block, is no block added: a node that records a snapshot every
// block records none for the repeat (it would pair the old block with
// the newer state, and shadow the good snapshot of its height), and a
// node restoring from the newest snapshot refuses none.
func TestRepeatedBlockTakesNoSnapshot(t *testing.T) {
	log := memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow})
	t.Cleanup(func() { _ = log.Close() })
	writer := snapshotNode(t, log, 1, 0)
	follow(t, writer)
	chain := newScratch(t, newEngine(t))
	b1 := chain.next(consensustest.Transfer("alice", "bob", 10, 0))
	b2 := chain.next(consensustest.Transfer("bob", "carol", 5, 0))
	b3 := chain.next(consensustest.Transfer("carol", "dave", 1, 0))
	for _, b := range []*blockchain.Block{b1, b2, b1, b3} {
		appendRaw(t, log, node.StreamBlocks, mined(t, b))
	}
	// The writer records in order: once b3's is written, a snapshot of
	// the repeat would be too.
	nodetest.WaitFor(t, writer, "the snapshot of block 3", func() bool { return writer.SnapshotStats().Written >= 3 })
	_, manifests := readSnapshots(t, log)
	var heights []uint64
	for _, m := range manifests {
		heights = append(heights, m.Height)
	}
	assert.Equal(t, []uint64{1, 2, 3}, heights, "one snapshot per block added, none for the repeat")

	n := newNode(t, log, nil)
	require.NoError(t, n.Restore(context.Background(), node.RestoreSnapshot))
	assert.Empty(t, n.SnapshotStats().Refused, "no snapshot refused")
	assert.Equal(t, b3.Hash(), n.Chain().TipHash())
}

// TestRestoreSnapshotRefusesAForgedTip: whoever can append to the log
// appends a block after the honest tip with a state root of their
// choosing (a fortune for mallory), which every verifying node refuses,
// and then a snapshot whose tip it is, with accounts of that very root. A
// tip without its work is refused for its seal; one with its work (one
// block's work: what a snapshot is worth, see RestoreSnapshot) is passed
// over by a node that trusts a hash, Config.AssumeValid, off whose path
// it is. The node then restores every block and ends on the honest tip.
// A node that trusts an older block takes the newest snapshot on its
// path, however many newer ones there are.
func TestRestoreSnapshotRefusesAForgedTip(t *testing.T) {
	mallory := consensustest.Addr("mallory")
	rich := []blockchain.AccountRecord{{Address: mallory, Account: blockchain.Account{Balance: 1_000_000_000_000}}}
	forgedState, err := blockchain.NewStateFromAccounts(rich)
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		bits    uint32 // the forged tip's difficulty; the nodes' engine's is 8
		sealed  bool   // the forged tip has its proof of work
		assume  bool   // the node trusts the honest tip's hash
		refused error  // nil: passed over, not refused
	}{
		{name: "a tip at no difficulty", refused: blockchain.ErrBadConsensusFields},
		{name: "a tip without its work", bits: 8, refused: blockchain.ErrInvalidSeal},
		{name: "a tip without its work, a hash trusted", bits: 8, assume: true},
		{name: "a sealed tip off the trusted path", bits: 8, sealed: true, assume: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, honest := honestLog(t, nil, nil)
			full := newNode(t, log, nil)
			require.NoError(t, full.Restore(context.Background(), node.RestoreVerify))
			require.Equal(t, honest.Hash(), full.Chain().TipHash())

			var headers []blockchain.Header
			for height := range honest.Height() + 1 {
				hdr, ok := full.Chain().HeaderAt(height)
				require.True(t, ok)
				headers = append(headers, hdr)
			}
			h := blockchain.NextHeader(honest.Header(), nil, honest.Header().Timestamp.Add(time.Second))
			h.Beneficiary, h.StateRoot, h.Bits = mallory, forgedState.Root(), tc.bits
			forged := blockchain.NewBlock(h, nil)
			if tc.sealed {
				forged, err = newEngine(t).Seal(context.Background(), forged)
				require.NoError(t, err)
			}
			for !tc.sealed && newEngine(t).Verify(blockchain.HeaderList(headers), forged) == nil {
				h.Nonce++ // the work done by chance (1 in 256): undo it
				forged = blockchain.NewBlock(h, nil)
			}
			res, err := log.Append(context.Background(), node.StreamBlocks, eventlog.Any, mined(t, forged))
			require.NoError(t, err)
			headers = append(headers, forged.Header())
			parts := events.SnapshotParts(forged.Height(), forged.Hash(), rich, 0)
			pr, err := log.Append(context.Background(), node.StreamSnapshots, eventlog.Any, mustEncodeEvent(t, parts[0]))
			require.NoError(t, err)
			appendRaw(t, log, node.StreamSnapshots, mustEncodeEvent(t, events.SnapshotTaken{
				Height: forged.Height(), BlockHash: forged.Hash(), StateRoot: forgedState.Root(), Parts: 1, Accounts: 1,
				FirstPart: pr.NextExpected, BlocksRevision: res.NextExpected, Headers: headers, Tip: forged,
			}))

			var trusted blockchain.Hash
			if tc.assume {
				trusted = honest.Hash()
			}
			n := restoreSnapshotTrusting(t, log, trusted)
			stats := n.SnapshotStats()
			assert.False(t, stats.Restored, "the forged snapshot was taken")
			if tc.refused == nil {
				assert.Empty(t, stats.Refused, "off the trusted path: passed over")
			} else {
				require.Len(t, stats.Refused, 1)
				assert.ErrorIs(t, stats.Refused[0], tc.refused)
				assert.ErrorIs(t, stats.Refused[0], node.ErrSnapshotRefused)
			}
			assert.Equal(t, honest.Hash(), n.Chain().TipHash(), "the honest tip, as a full restore")
			assert.Equal(t, full.Chain().Account(mallory), n.Chain().Account(mallory))
		})
	}
	t.Run("an honest snapshot on the trusted path", func(t *testing.T) {
		log, honest := honestLog(t, []uint64{4}, nil)
		n := restoreSnapshotTrusting(t, log, honest.Hash())
		stats := n.SnapshotStats()
		assert.True(t, stats.Restored)
		assert.Equal(t, uint64(4), stats.RestoredFrom)
		assert.Empty(t, stats.Refused)
		assert.Equal(t, honest.Hash(), n.Chain().TipHash())
	})
	t.Run("an older trusted block, newer snapshots", func(t *testing.T) {
		log, honest := honestLog(t, []uint64{1, 2, 3, 4, 5, 6}, nil)
		full := newNode(t, log, nil)
		require.NoError(t, full.Restore(context.Background(), node.RestoreVerify))
		trusted, ok := full.Chain().HeaderAt(2)
		require.True(t, ok)
		n := restoreSnapshotTrusting(t, log, trusted.Hash())
		stats := n.SnapshotStats()
		assert.True(t, stats.Restored, "four newer snapshots passed over, not tried")
		assert.Equal(t, uint64(2), stats.RestoredFrom)
		assert.Empty(t, stats.Refused)
		assert.Equal(t, honest.Hash(), n.Chain().TipHash())
	})
}

// restoreSnapshotTrusting returns a node of log restored in
// RestoreSnapshot mode, with Config.AssumeValid set to trusted (none if
// zero).
func restoreSnapshotTrusting(t *testing.T, log eventlog.Log, trusted blockchain.Hash) *node.Node {
	t.Helper()
	cfg := config(t, log)
	cfg.AssumeValid = trusted
	n, err := node.New(cfg)
	require.NoError(t, err)
	require.NoError(t, n.Restore(context.Background(), node.RestoreSnapshot))
	return n
}
