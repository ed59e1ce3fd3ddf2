package node_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

// skipLog is a slog.Handler that keeps, by revision, the error of every
// "skipped transaction event" a node logs: how a node reports what it
// could not use from the transactions stream. The node logs no attributes
// with WithAttrs or WithGroup, so those return the handler itself.
type skipLog struct {
	mu      sync.Mutex
	skipped map[eventlog.Revision]string
}

func (h *skipLog) Enabled(context.Context, slog.Level) bool { return true }

func (h *skipLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "skipped transaction event" {
		return nil
	}
	var rev eventlog.Revision
	var reason string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "revision":
			rev = eventlog.Revision(a.Value.Uint64())
		case "err":
			reason = a.Value.String()
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.skipped == nil {
		h.skipped = map[eventlog.Revision]string{}
	}
	h.skipped[rev] = reason
	return nil
}

func (h *skipLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *skipLog) WithGroup(string) slog.Handler      { return h }

func (h *skipLog) revisions() []eventlog.Revision {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []eventlog.Revision
	for rev := range h.skipped {
		out = append(out, rev)
	}
	return out
}

// byRevision returns the last event the node reported for each revision
// of the blocks stream.
func (r *recorder) byRevision() map[eventlog.Revision]node.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[eventlog.Revision]node.Event{}
	for _, e := range r.events {
		out[e.Revision] = e
	}
	return out
}

// raw returns an event as a forger would write it: any type, any data,
// and an ID that is not the one package events derives (but is unique, so
// that the log does not take it for a retry of another event).
func raw(typ string, data []byte) eventlog.Event {
	return eventlog.Event{ID: uuid.NewSHA1(uuid.NameSpaceOID, append([]byte(typ+"\x00"), data...)), Type: typ, Data: data}
}

// forge returns e with old replaced by new in its data, once.
func forge(t *testing.T, e eventlog.Event, old, new string) eventlog.Event {
	t.Helper()
	require.Contains(t, string(e.Data), old)
	return raw(e.Type, bytes.Replace(e.Data, []byte(old), []byte(new), 1))
}

// pad returns e with an extra field that brings it within 64 bytes of
// eventlog.MaxAppendSize.
func pad(t *testing.T, e eventlog.Event) eventlog.Event {
	t.Helper()
	const field = `,"padding":""`
	n := eventlog.MaxAppendSize - eventlog.AppendSize(e) - len(field) - 32
	e = raw(e.Type, append(bytes.TrimSuffix(e.Data, []byte("}")), []byte(`,"padding":"`+strings.Repeat("x", n)+`"}`)...))
	require.LessOrEqual(t, eventlog.AppendSize(e), eventlog.MaxAppendSize)
	require.Greater(t, eventlog.AppendSize(e), eventlog.MaxAppendSize-64)
	return e
}

// sign returns a named test account's signature of a transaction's body,
// whoever's body it is.
func sign(name string, f blockchain.TxFields) []byte {
	sig := consensustest.Key(name).Sign(f.SignedMessage())
	return sig[:]
}

func submitted(t *testing.T, tx blockchain.Transaction) eventlog.Event {
	t.Helper()
	e, err := events.Encode(events.TransactionSubmitted{Tx: tx})
	require.NoError(t, err)
	return e
}

func rebroadcast(t *testing.T, tx blockchain.Transaction) eventlog.Event {
	t.Helper()
	e, err := events.Encode(events.TransactionRebroadcast{Tx: tx, Attempt: 1})
	require.NoError(t, err)
	return e
}

// TestHostileEvents appends, straight into the blocks and the transactions
// streams, events that no node would write: garbage, a wrong schema
// version, forged hashes, IDs and signatures, blocks that replay a
// transaction or spend money their sender does not have, events close to
// the log's size limit, events of an unknown type or in the wrong stream. The node skips and reports each (its observers for the
// blocks stream, its logger for the transactions stream), applies none,
// and goes on: a valid block and a valid transaction afterwards are
// processed. A node restored in verify mode from the same log ends in the
// same state.
func TestHostileEvents(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	engine := newEngine(t)
	newHostileNode := func(t *testing.T) (*node.Node, *recorder, *skipLog) {
		rec, logs := &recorder{}, &skipLog{}
		cfg := config(t, log)
		cfg.Engine, cfg.Logger = engine, slog.New(logs)
		n, err := node.New(cfg)
		require.NoError(t, err)
		n.Observe(rec.record)
		return n, rec, logs
	}
	n, rec, logs := newHostileNode(t)
	follow(t, n)

	tx1 := consensustest.Transfer("alice", "bob", 10, 0)
	tx2 := consensustest.Transfer("bob", "carol", 5, 0)
	chain := newScratch(t, engine)
	b1 := chain.next(tx1)
	replay := chain.forge([]blockchain.Transaction{tx2, tx1}, nil)
	spentTwice := chain.forge([]blockchain.Transaction{tx2, tx2}, nil)
	overdraft := chain.forge([]blockchain.Transaction{consensustest.Transfer("bob", "mallory", 2*consensustest.Funds, 0)}, nil)
	// A transfer of alice's money that she never signed: mallory puts her
	// own signature on it, and then no signature at all.
	stolenFields := consensustest.Transfer("alice", "mallory", 500, 1).Fields()
	signedByMallory := blockchain.NewTransaction(stolenFields, sign("mallory", stolenFields))
	stolen := chain.forge([]blockchain.Transaction{signedByMallory}, nil)
	wrongKey := blockchain.NewTransaction(func() blockchain.TxFields {
		f := stolenFields
		f.PublicKey = consensustest.Key("mallory").Public() // her key, alice's address
		return f
	}(), nil)
	wrongKey = blockchain.NewTransaction(wrongKey.Fields(), sign("mallory", wrongKey.Fields()))
	notHers := chain.forge([]blockchain.Transaction{wrongKey}, nil)
	badRoot := chain.forge([]blockchain.Transaction{tx2}, func(h *blockchain.Header) { h.StateRoot = blockchain.Hash{1} })
	b2 := chain.next(tx2)
	swapped := blockchain.NewBlock(b2.Header(), []blockchain.Transaction{consensustest.Transfer("bob", "mallory", 5, 0)})
	require.Equal(t, b2.Hash(), swapped.Hash(), "the header, and so the hash, is b2's")

	// The blocks stream: b1, the hostile events, then b2.
	appendRaw(t, log, node.StreamBlocks, mined(t, b1))
	nodetest.WaitFor(t, n, "b1", func() bool { return n.Chain().TipHash() == b1.Hash() })
	blockCases := []struct {
		name  string
		event eventlog.Event
		kind  node.EventKind
		want  error // nil: no sentinel, only an error
	}{
		{"garbage JSON", raw(events.TypeBlockMined, []byte(`[{"block":null},"🙃",1e999]`)), node.EventSkipped, events.ErrMalformed},
		{"schema version 2", forge(t, mined(t, b2), `{"v":1`, `{"v":2`), node.EventSkipped, events.ErrSchemaVersion},
		{"a forged block hash", forge(t, mined(t, b2), `"hash":"`+b2.Hash().String(), `"hash":"`+replay.Hash().String()), node.EventSkipped, events.ErrMalformed},
		{"a forged event ID", raw(events.TypeBlockMined, mined(t, b2).Data), node.EventSkipped, events.ErrIDMismatch},
		{"the miner ID twice", forge(t, mined(t, b2), `"minerId":"test"`, `"minerId":"test","minerId":"mallory"`), node.EventSkipped, events.ErrMalformed},
		{"invalid UTF-8", forge(t, mined(t, b2), `"minerId":"test"`, "\"minerId\":\"te\xffst\""), node.EventSkipped, events.ErrMalformed},
		{"close to MaxAppendSize", pad(t, mined(t, b2)), node.EventSkipped, events.ErrMalformed},
		{"an unknown type", raw("BlockMinedV2", mined(t, b2).Data), node.EventSkipped, events.ErrUnknownType},
		{"a transaction in the blocks stream", submitted(t, tx2), node.EventSkipped, nil},
		{"a replayed transaction", mined(t, replay), node.BlockRejected, blockchain.ErrBadNonce},
		{"a transaction twice in one block", mined(t, spentTwice), node.BlockRejected, blockchain.ErrDuplicateTransaction},
		{"more than the sender has", mined(t, overdraft), node.BlockRejected, blockchain.ErrInsufficientFunds},
		{"a transfer signed by another key", mined(t, stolen), node.BlockRejected, blockchain.ErrBadSignature},
		{"a transfer from another's address", mined(t, notHers), node.BlockRejected, blockchain.ErrSenderNotKey},
		{"a state root the block does not lead to", mined(t, badRoot), node.BlockRejected, blockchain.ErrBadStateRoot},
		{"transactions swapped under a sealed header", mined(t, swapped), node.BlockRejected, blockchain.ErrBadMerkleRoot},
	}
	for _, tc := range blockCases {
		appendRaw(t, log, node.StreamBlocks, tc.event)
	}
	hostileEnd := eventlog.Revision(1 + len(blockCases))

	// The transactions stream: a valid transaction, the hostile events,
	// then another valid one.
	pending := consensustest.Transfer("carol", "dave", 3, 0)
	require.NoError(t, n.SubmitTransaction(context.Background(), pending))
	forger := consensustest.Transfer("mallory", "bob", 1_000_000, 0)
	forgedFields := consensustest.Transfer("erin", "mallory", 1_000, 0).Fields()
	forgedSig := blockchain.NewTransaction(forgedFields, sign("mallory", forgedFields))
	gap := consensustest.Transfer("frank", "mallory", 1, 5)
	otherChain := blockchain.Transfer{ChainID: "eventchain-other", To: consensustest.Addr("bob"), Amount: 1}.Sign(consensustest.Key("dave"))
	txCases := []struct {
		name     string
		event    eventlog.Event
		reported bool        // skipped and logged; false for an event the node may ignore quietly
		never    []uuid.UUID // transactions that must not reach the pool
	}{
		{"garbage JSON", raw(events.TypeTransactionSubmitted, []byte(`{"v":1,"tx":[]}`)), true, nil},
		{"schema version 2", forge(t, submitted(t, forger), `{"v":1`, `{"v":2`), true, []uuid.UUID{forger.ID()}},
		{"a forged transaction hash", forge(t, submitted(t, forger), `"hash":"`+forger.Hash().String(), `"hash":"`+tx2.Hash().String()), true, []uuid.UUID{forger.ID()}},
		{"a forged amount under the hash", forge(t, submitted(t, forger), `"amount":1000000`, `"amount":1`), true, []uuid.UUID{forger.ID()}},
		{"a forged event ID", raw(events.TypeTransactionSubmitted, submitted(t, forger).Data), true, []uuid.UUID{forger.ID()}},
		{"close to MaxAppendSize", pad(t, submitted(t, forger)), true, []uuid.UUID{forger.ID()}},
		{"an unknown type", raw("TransactionMaybe", submitted(t, forger).Data), true, []uuid.UUID{forger.ID()}},
		{"a block in the transactions stream", mined(t, b2), true, []uuid.UUID{tx2.ID()}},
		{"a transaction the rules refuse", submitted(t, consensustest.Transfer("mallory", "mallory", 1, 0)), true, []uuid.UUID{consensustest.Transfer("mallory", "mallory", 1, 0).ID()}},
		{"a signature by another key", submitted(t, forgedSig), true, []uuid.UUID{forgedSig.ID()}},
		{"a nonce gap", submitted(t, gap), false, []uuid.UUID{gap.ID()}}, // waits for the nonces before it, not skipped
		{"signed for another chain", submitted(t, otherChain), true, []uuid.UUID{otherChain.ID()}},
		{"a transaction already in the chain", submitted(t, tx1), false, []uuid.UUID{tx1.ID()}},
		{"a rebroadcast of the pending transaction", rebroadcast(t, pending), false, nil},
	}
	for _, tc := range txCases {
		appendRaw(t, log, node.StreamTransactions, tc.event)
	}
	txHostileEnd := eventlog.Revision(1 + len(txCases))

	check := func(t *testing.T, n *node.Node, rec *recorder, logs *skipLog) {
		nodetest.WaitFor(t, n, "every hostile event to be read", func() bool {
			blocks, txs := n.Position()
			return blocks >= hostileEnd && txs >= txHostileEnd
		})
		rec.waitLen(t, int(hostileEnd))
		got := rec.byRevision()
		for i, tc := range blockCases {
			t.Run("blocks/"+tc.name, func(t *testing.T) {
				e, ok := got[eventlog.Revision(1+i)]
				require.True(t, ok, "reported")
				assert.Equal(t, tc.kind, e.Kind)
				require.Error(t, e.Err)
				if tc.want != nil {
					assert.ErrorIs(t, e.Err, tc.want)
				}
			})
		}
		var reported []eventlog.Revision
		for i, tc := range txCases {
			if tc.reported {
				reported = append(reported, eventlog.Revision(1+i))
			}
			t.Run("transactions/"+tc.name, func(t *testing.T) {
				for _, id := range tc.never {
					assert.False(t, n.Pool().Has(id), "%s reached the pool", id)
				}
			})
		}
		assert.ElementsMatch(t, reported, logs.revisions(), "each hostile transaction event is logged as skipped")
	}

	t.Run("following", func(t *testing.T) {
		check(t, n, rec, logs)
		assert.Equal(t, b1.Hash(), n.Chain().TipHash(), "no hostile block applied")
		assert.Equal(t, []blockchain.Transaction{pending}, n.Pool().Candidates(100), "the pool unchanged")
	})

	// The node goes on: a valid block and a valid transaction. b2 shares
	// its header with the swapped block, but not its event ID (the ID
	// commits to the transactions carried too), so the log cannot take
	// b2's append for a retry of the swapped one.
	assert.NotEqual(t, mined(t, swapped).ID, mined(t, b2).ID)
	require.NoError(t, n.PublishBlock(context.Background(), b2, "test"))
	after := consensustest.Transfer("dave", "erin", 2, 0)
	require.NoError(t, n.SubmitTransaction(context.Background(), after))
	nodetest.WaitFor(t, n, "b2 and the transaction after", func() bool {
		return n.Chain().TipHash() == b2.Hash() && n.Pool().Has(after.ID())
	})
	rec.waitLen(t, int(hostileEnd)+1)
	assert.Equal(t, node.BlockAdded, rec.byRevision()[hostileEnd].Kind)
	assert.Equal(t, []blockchain.Transaction{pending, after}, n.Pool().Candidates(100))

	t.Run("restored in verify mode", func(t *testing.T) {
		r, rec, logs := newHostileNode(t)
		require.NoError(t, r.Restore(context.Background(), node.RestoreVerify))
		check(t, r, rec, logs)
		assert.Equal(t, b2.Hash(), r.Chain().TipHash())
		assert.Equal(t, n.Pool().Candidates(100), r.Pool().Candidates(100))
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
		assert.ElementsMatch(t, []blockchain.ErrorCode{blockchain.ErrBadNonce, blockchain.ErrDuplicateTransaction, blockchain.ErrInsufficientFunds,
			blockchain.ErrBadSignature, blockchain.ErrSenderNotKey, blockchain.ErrBadStateRoot, blockchain.ErrBadMerkleRoot}, rules,
			"two nodes rejected seven blocks: seven events, one per block and rule")
	})
}

// verifyingEngine is the test engine with a Verify of the test's own.
type verifyingEngine struct {
	blockchain.Consensus
	verify func() error
}

func (e verifyingEngine) Verify(blockchain.ChainReader, *blockchain.Block) error { return e.verify() }

// TestPluginEngineFailures: a plugin engine's Verify that panicked on a
// block stopped the node, and stopped it again on each restart, as long
// as the log held the block; one whose error ran to megabytes, or held
// bytes that are not UTF-8, had its block refused but the refusal never
// recorded (the event was too large, or not text). Each block is now
// refused, recorded in the audit stream with a reason of at most a
// kilobyte, and the node goes on.
func TestPluginEngineFailures(t *testing.T) {
	engine := newEngine(t)
	s := newScratch(t, engine)
	b1 := s.next(consensustest.Transfer("alice", "bob", 10, 0))
	for _, tc := range []struct {
		name   string
		verify func() error
		reason string
	}{
		{"a panic", func() error { panic("index out of range [1] with length 1") }, "invalid-seal: the engine's Verify panicked: index out of range [1] with length 1"},
		{"a megabyte of error", func() error { return errors.New(strings.Repeat("no ", 1<<19)) }, "invalid-seal: the engine refused the block: no no no"},
		{"an error that is not UTF-8", func() error { return errors.New("bad \xff seal") }, "invalid-seal: the engine refused the block: bad \uFFFD seal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			appendRaw(t, log, node.StreamBlocks, mined(t, b1))
			cfg := config(t, log)
			cfg.Engine = verifyingEngine{engine, tc.verify}
			n, err := node.New(cfg)
			require.NoError(t, err)
			require.NoError(t, n.Restore(context.Background(), node.RestoreVerify), "the node goes on")
			assert.Zero(t, n.Chain().Height(), "the block is refused")

			recs, err := log.Read(context.Background(), node.StreamAudit, eventlog.Start, eventlog.Forwards, 10)
			require.NoError(t, err, "the refusal is recorded")
			require.Len(t, recs, 1)
			p, err := events.Decode(recs[0].Event)
			require.NoError(t, err)
			rejected, ok := p.(events.BlockRejected)
			require.True(t, ok, "%T", p)
			assert.Equal(t, blockchain.ErrInvalidSeal, rejected.Rule)
			assert.Contains(t, rejected.Reason[:min(len(rejected.Reason), 300)], tc.reason)
			assert.LessOrEqual(t, len(rejected.Reason), 1024+len("…"))
		})
	}
}

// longestLine is a slog.Handler that keeps the length of the longest
// record it is given, message and attributes (with their keys) together.
type longestLine struct {
	mu      sync.Mutex
	longest int
	count   int
}

func (h *longestLine) Enabled(context.Context, slog.Level) bool { return true }

func (h *longestLine) Handle(_ context.Context, r slog.Record) error {
	n := len(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		n += len(a.Key) + len(a.Value.String())
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.longest, h.count = max(h.longest, n), h.count+1
	return nil
}

func (h *longestLine) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *longestLine) WithGroup(string) slog.Handler      { return h }

// TestLongEventTypesAreCut: whoever can append to the log chooses an
// event's type, as long as an append allows. A node restoring past such
// events, in the blocks and in the transactions stream, says it skipped
// each, in a line of its usual length: the type is cut, in the line and
// in the error it holds.
func TestLongEventTypesAreCut(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	long := strings.Repeat("BlockMined", 30_000) // 300 000 bytes
	tx := consensustest.Transfer("alice", "bob", 10, 0)
	appendRaw(t, log, node.StreamBlocks, raw(long, []byte(`{}`)))
	appendRaw(t, log, node.StreamTransactions, raw(long, submitted(t, tx).Data))

	lines := &longestLine{}
	cfg := config(t, log)
	cfg.Logger = slog.New(lines)
	n, err := node.New(cfg)
	require.NoError(t, err)
	require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))

	assert.Positive(t, lines.count, "the node said what it did")
	assert.Less(t, lines.longest, 1000, "no line holds the type whole")
	assert.Zero(t, n.Pool().Len(), "the event of another type was skipped")
}
