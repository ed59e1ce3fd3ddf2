package node_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// TestFollowNoticesALogThatLostTheSpec: a node that has read the chain
// spec and nothing else yet (a bank started on a new chain) follows an
// EventStoreDB that is then wiped. Follow fails with ErrWentBack, rather
// than serve the old chain from a log that now holds none, or another.
func TestFollowNoticesALogThatLostTheSpec(t *testing.T) {
	for _, another := range []bool{false, true} {
		t.Run(map[bool]string{false: "an empty log", true: "another chain's spec declared at once"}[another], func(t *testing.T) {
			followNoticesALogThatLostTheSpec(t, another)
		})
	}
}

func followNoticesALogThatLostTheSpec(t *testing.T, another bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := esdbtest.NewServer(t)
	log, err := esdb.New(esdb.Config{
		ConnString: srv.ConnString() + "&maxDiscoverAttempts=1&discoveryInterval=1",
		Policy:     esdb.Policy{ReconnectMin: time.Millisecond, ReconnectMax: 20 * time.Millisecond},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close() })
	spec := consensustest.Spec()
	_, err = node.LoadSpec(ctx, log, &spec)
	require.NoError(t, err)
	watched := &subscribed{Log: log, want: map[string]bool{events.StreamChainSpec: true, node.StreamBlocks: true, node.StreamTransactions: true}, done: make(chan struct{})}
	n, err := node.New(node.Config{Log: watched, Spec: spec, Engine: consensustest.NewFaker()})
	require.NoError(t, err)
	require.NoError(t, n.Restore(ctx, node.RestoreVerify))
	followed := make(chan error, 1)
	go func() { followed <- n.Follow(ctx) }()
	select { // the wipe comes once Follow subscribed to its streams, as in a running app
	case <-watched.done:
	case <-ctx.Done():
		t.Fatal("Follow never subscribed to the chain spec")
	}

	srv.Close()
	fresh := esdbtest.New(esdbtest.Config{Addr: srv.Addr()})
	require.NoError(t, fresh.Start())
	t.Cleanup(fresh.Close)
	declared := false // another chain's spec got into the fresh log
	if another {
		// As long a chain-spec stream as before, with another spec in it,
		// before the node reconnects or after. After: the node has marked
		// the emptied log already, and the declaration is refused.
		other := consensustest.Spec()
		other.BlockReward++
		_, err := node.LoadSpec(ctx, log, &other)
		if !errors.Is(err, node.ErrChainLost) {
			require.NoError(t, err)
			declared = true
		}
	}
	select {
	case err := <-followed:
		assert.ErrorIs(t, err, esdb.ErrWentBack)
		assert.ErrorContains(t, err, "chain-spec")
	case <-ctx.Done():
		t.Fatal("Follow went on on a log that lost the chain")
	}
	// Before it returned, Follow marked the emptied log, so that no app
	// declares the same spec there again, which would begin the chain
	// anew, where every transfer signed for it is good once more. A log
	// that holds another chain's spec already is left alone.
	_, err = node.LoadSpec(ctx, log, &spec)
	if declared {
		assert.ErrorIs(t, err, node.ErrSpecMismatch, "another chain, as declared")
		return
	}
	assert.ErrorIs(t, err, node.ErrChainLost)
	assert.ErrorContains(t, err, `chain "`+spec.ChainID+`"`)
	recs, err := log.Read(ctx, events.StreamChainSpec, eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	require.Len(t, recs, 1, "nothing declared")
	assert.Equal(t, events.TypeChainLost, recs[0].Event.Type)
}

// nodeThatSubmitted returns a node of spec on a swappable memlog, which
// submitted count transfers of alice's and restored, so read them; the
// log holds the spec and the transfers.
func nodeThatSubmitted(t *testing.T, spec blockchain.ChainSpec, count uint64) (*node.Node, *eventlogtest.Swappable) {
	t.Helper()
	ctx := context.Background()
	before := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = before.Close() })
	_, err := node.LoadSpec(ctx, before, &spec)
	require.NoError(t, err)
	log := eventlogtest.NewSwappable(before)
	n, err := node.New(node.Config{Log: log, Spec: spec, Engine: consensustest.NewFaker()})
	require.NoError(t, err)
	for nonce := range count {
		require.NoError(t, n.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 1, nonce)))
	}
	require.NoError(t, n.Restore(ctx, node.RestoreVerify))
	return n, log
}

// TestSubmitMarksALogThatLostTheChain: a bank's node that finds, as it
// submits, that its log lost the transactions it read, and that the log
// holds no chain spec either (a server wiped under it), marks the log
// before it returns ErrLogWentBack: an app started again with -genesis
// (a restart loop's) is refused with ErrChainLost rather than declare the
// same chain again there.
func TestSubmitMarksALogThatLostTheChain(t *testing.T) {
	ctx := context.Background()
	spec := consensustest.Spec()
	n, log := nodeThatSubmitted(t, spec, 2)

	wiped := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = wiped.Close() })
	log.Swap(wiped)
	err := n.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 1, 2))
	require.ErrorIs(t, err, node.ErrLogWentBack)
	_, err = node.LoadSpec(ctx, wiped, &spec)
	assert.ErrorIs(t, err, node.ErrChainLost, "the log is marked; nothing is declared")
	_, err = node.WaitSpec(ctx, wiped)
	assert.ErrorIs(t, err, node.ErrChainLost, "an app without -genesis is told as much")
}

// subscribed is a log that closes done once subscriptions to every
// stream in want are made.
type subscribed struct {
	eventlog.Log
	mu   sync.Mutex
	want map[string]bool
	done chan struct{}
}

func (l *subscribed) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	sub, err := l.Log.Subscribe(ctx, stream, from)
	if err == nil {
		l.mu.Lock()
		if l.want[stream] {
			delete(l.want, stream)
			if len(l.want) == 0 {
				close(l.done)
			}
		}
		l.mu.Unlock()
	}
	return sub, err
}

// TestSubmitNoticesALogThatLostTheTransactions: a node that read three
// transactions, on a log that then lost them (wiped, the same spec
// declared again) before Follow read anything more, took a fourth
// transfer, and its 202 followed: the log held it first, before any
// block, and no one would mine it. Submit checks that the log still holds
// what the node read whenever an append lands before it; a retry the log
// recognised still passes. Once it knows, it appends nothing more.
func TestSubmitNoticesALogThatLostTheTransactions(t *testing.T) {
	ctx := context.Background()
	spec := consensustest.Spec()
	n, log := nodeThatSubmitted(t, spec, 3)
	_, read := n.Position()
	require.Equal(t, eventlog.Revision(3), read)

	// A retry of a transaction the log holds lands before what the node
	// read, and passes.
	assert.NoError(t, n.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 1, 1)))

	for _, others := range []int{0, 2} {
		// Wiped, and written again: with others, the node's own append
		// lands at the revision of the last event it read (another
		// event there, not the one it read).
		wiped := memlog.New(memlog.Config{})
		t.Cleanup(func() { _ = wiped.Close() })
		_, err := node.LoadSpec(ctx, wiped, &spec)
		require.NoError(t, err)
		for nonce := range uint64(others) {
			e, err := events.Encode(events.TransactionSubmitted{Tx: consensustest.Transfer("carol", "bob", 1, nonce)})
			require.NoError(t, err)
			_, err = wiped.Append(ctx, node.StreamTransactions, eventlog.Any, e)
			require.NoError(t, err)
		}
		log.Swap(wiped)
		err = n.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 1, 3))
		assert.ErrorIs(t, err, node.ErrLogWentBack, "wiped, then %d other transactions", others)
		if others > 0 {
			// The node found out on the first wiped log: it appends
			// nothing more, to any log, but says why. (It once appended
			// every retry, each a copy of an old transfer on a log where
			// a chain begun again could mine it.)
			recs, err := wiped.Read(ctx, node.StreamTransactions, eventlog.Start, eventlog.Forwards, 10)
			require.NoError(t, err)
			assert.Len(t, recs, others, "no append once the node knows its log lost events")
		}
	}
}
