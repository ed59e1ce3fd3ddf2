package node_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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
)

// otherSpec returns consensustest.Spec() with another block reward: a
// spec of another network, which differs in one field.
func otherSpec() blockchain.ChainSpec {
	s := consensustest.Spec()
	s.BlockReward = 100
	return s
}

// specEvents returns the events of the chain-spec stream.
func specEvents(t *testing.T, log eventlog.Log) []eventlog.Recorded {
	t.Helper()
	recs, err := log.Read(context.Background(), events.StreamChainSpec, eventlog.Start, eventlog.Forwards, 10)
	if errors.Is(err, eventlog.ErrStreamNotFound) {
		return nil
	}
	require.NoError(t, err)
	return recs
}

func newLog(t *testing.T) eventlog.Log {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	return log
}

func TestLoadSpec(t *testing.T) {
	ours, theirs := consensustest.Spec(), otherSpec()
	declared := func(t *testing.T, spec blockchain.ChainSpec) eventlog.Log {
		log := newLog(t)
		_, err := node.LoadSpec(context.Background(), log, &spec)
		require.NoError(t, err)
		return log
	}
	garbage := func(t *testing.T, e eventlog.Event) eventlog.Log {
		log := newLog(t)
		appendRaw(t, log, events.StreamChainSpec, e)
		return log
	}
	invalid := consensustest.Spec()
	invalid.ChainID = "Not A Chain ID"

	for _, tc := range []struct {
		name   string
		log    func(t *testing.T) eventlog.Log
		want   *blockchain.ChainSpec
		have   blockchain.ChainSpec // the spec returned, if no error
		err    error                // the error, if any
		events int                  // how many events the stream holds after
	}{
		{"an empty log, no spec: nothing to load", newLog, nil, blockchain.ChainSpec{}, node.ErrNoSpec, 0},
		{"an empty log, a spec: declared", newLog, &ours, ours, nil, 1},
		{"a declared log, no spec: read", func(t *testing.T) eventlog.Log { return declared(t, ours) }, nil, ours, nil, 1},
		{"a declared log, the same spec: read, not declared again", func(t *testing.T) eventlog.Log { return declared(t, ours) }, &ours, ours, nil, 1},
		{"a declared log, another spec: a mismatch", func(t *testing.T) eventlog.Log { return declared(t, theirs) }, &ours, blockchain.ChainSpec{}, node.ErrSpecMismatch, 1},
		{"an invalid spec: not declared", newLog, &invalid, blockchain.ChainSpec{}, blockchain.ErrInvalidSpec, 0},
		{"garbage first", func(t *testing.T) eventlog.Log {
			return garbage(t, eventlog.Event{ID: uuid.New(), Type: events.TypeChainSpecDeclared, Data: []byte(`{"v":1}`)})
		}, &ours, blockchain.ChainSpec{}, node.ErrBadSpecEvent, 1},
		{"another event first", func(t *testing.T) eventlog.Log {
			return garbage(t, submitted(t, consensustest.Transfer("alice", "bob", 1, 0)))
		}, nil, blockchain.ChainSpec{}, node.ErrBadSpecEvent, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := tc.log(t)
			have, err := node.LoadSpec(context.Background(), log, tc.want)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				assert.Zero(t, have.Hash(), "no spec with an error")
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.have.Hash(), have.Hash())
			}
			assert.Len(t, specEvents(t, log), tc.events)
		})
	}
}

// The mismatch error says what differs, from the caller's side, and holds
// both specs.
func TestSpecMismatchError(t *testing.T) {
	log := newLog(t)
	theirs, ours := otherSpec(), consensustest.Spec()
	_, err := node.LoadSpec(context.Background(), log, &theirs)
	require.NoError(t, err)

	_, err = node.LoadSpec(context.Background(), log, &ours)
	var mismatch *node.SpecMismatchError
	require.ErrorAs(t, err, &mismatch)
	assert.Equal(t, theirs.Hash(), mismatch.Have.Hash(), "Have is the log's")
	assert.Equal(t, ours.Hash(), mismatch.Want.Hash(), "Want is the caller's")
	assert.EqualError(t, err, "the log's chain spec differs from yours: blockReward: yours 50, the log's 100")
	assert.ErrorIs(t, err, node.ErrSpecMismatch)
	assert.NotErrorIs(t, err, node.ErrNoSpec)
}

// staleLog answers the first read of the chain-spec stream as if it were
// still empty: what an app sees when it reads just before another app's
// declaration, and then appends in vain.
type staleLog struct {
	eventlog.Log
	stale atomic.Bool
}

func (l *staleLog) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if stream == events.StreamChainSpec && l.stale.CompareAndSwap(true, false) {
		return nil, eventlog.ErrStreamNotFound
	}
	return l.Log.Read(ctx, stream, from, dir, max)
}

// TestLoadSpecLosesTheRace reads an empty stream that another app
// declares before LoadSpec appends: the append, which expects no stream,
// fails, and LoadSpec compares with the winner's spec.
func TestLoadSpecLosesTheRace(t *testing.T) {
	for _, tc := range []struct {
		name     string
		winner   blockchain.ChainSpec
		mismatch bool
	}{
		{"to the same spec: the winner's event is ours", consensustest.Spec(), false},
		{"to another spec", otherSpec(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &staleLog{Log: newLog(t)}
			_, err := node.LoadSpec(context.Background(), log, &tc.winner)
			require.NoError(t, err)
			log.stale.Store(true)

			ours := consensustest.Spec()
			have, err := node.LoadSpec(context.Background(), log, &ours)
			assert.False(t, log.stale.Load(), "precondition: the read found the stream empty")
			if tc.mismatch {
				var mismatch *node.SpecMismatchError
				require.ErrorAs(t, err, &mismatch)
				assert.Equal(t, tc.winner.Hash(), mismatch.Have.Hash())
			} else {
				require.NoError(t, err)
				assert.Equal(t, ours.Hash(), have.Hash())
			}
			assert.Len(t, specEvents(t, log), 1, "one declaration")
		})
	}
}

// TestLoadSpecRace starts two apps with different specs on one empty log,
// at once, many times: exactly one declares its spec, and the other is
// told that the log's differs from its own.
func TestLoadSpecRace(t *testing.T) {
	for range 50 {
		log := newLog(t)
		specs := []blockchain.ChainSpec{consensustest.Spec(), otherSpec()}
		errs := make([]error, len(specs))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range specs {
			wg.Go(func() {
				<-start
				_, errs[i] = node.LoadSpec(context.Background(), log, &specs[i])
			})
		}
		close(start)
		wg.Wait()

		recs := specEvents(t, log)
		require.Len(t, recs, 1, "one declaration got in")
		p, err := events.Decode(recs[0].Event)
		require.NoError(t, err)
		logged := p.(events.ChainSpecDeclared).Spec
		winner := 0
		if logged.Hash() == specs[1].Hash() {
			winner = 1
		}
		loser := 1 - winner
		assert.NoError(t, errs[winner], "the winner")
		var mismatch *node.SpecMismatchError
		if assert.ErrorAs(t, errs[loser], &mismatch, "the loser") {
			assert.Equal(t, specs[winner].Hash(), mismatch.Have.Hash())
			assert.Equal(t, specs[loser].Hash(), mismatch.Want.Hash())
		}
	}
}

// subscribedLog closes subscribed once a subscription to the chain-spec
// stream is set up, so that a test can act while WaitSpec waits.
type subscribedLog struct {
	eventlog.Log
	subscribed chan struct{}
}

func (l *subscribedLog) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	sub, err := l.Log.Subscribe(ctx, stream, from)
	if stream == events.StreamChainSpec {
		close(l.subscribed)
	}
	return sub, err
}

// TestSpecOfNoLog: a nil log, typed or not, is an error, not a panic.
func TestSpecOfNoLog(t *testing.T) {
	for _, log := range []eventlog.Log{nil, (*memlog.Log)(nil)} {
		_, err := node.LoadSpec(context.Background(), log, nil)
		assert.EqualError(t, err, "node: load spec: nil log")
		_, err = node.WaitSpec(context.Background(), log)
		assert.EqualError(t, err, "node: wait for the chain spec: nil log")
	}
}

func TestWaitSpec(t *testing.T) {
	type result struct {
		spec blockchain.ChainSpec
		err  error
	}
	wait := func(ctx context.Context, log eventlog.Log) <-chan result {
		done := make(chan result, 1)
		go func() {
			spec, err := node.WaitSpec(ctx, log)
			done <- result{spec, err}
		}()
		return done
	}

	t.Run("declared already", func(t *testing.T) {
		log := newLog(t)
		ours := consensustest.Spec()
		_, err := node.LoadSpec(context.Background(), log, &ours)
		require.NoError(t, err)
		spec, err := node.WaitSpec(context.Background(), log)
		require.NoError(t, err)
		assert.Equal(t, ours.Hash(), spec.Hash())
	})
	t.Run("declared while it waits", func(t *testing.T) {
		log := &subscribedLog{Log: newLog(t), subscribed: make(chan struct{})}
		done := wait(context.Background(), log)
		<-log.subscribed
		ours := consensustest.Spec()
		_, err := node.LoadSpec(context.Background(), log, &ours)
		require.NoError(t, err)
		r := <-done
		require.NoError(t, r.err)
		assert.Equal(t, ours.Hash(), r.spec.Hash())
	})
	t.Run("cancelled while it waits", func(t *testing.T) {
		log := &subscribedLog{Log: newLog(t), subscribed: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		done := wait(ctx, log)
		<-log.subscribed
		cancel()
		r := <-done
		assert.ErrorIs(t, r.err, context.Canceled)
		assert.Empty(t, specEvents(t, log))
	})
	t.Run("cancelled before it waits", func(t *testing.T) {
		// ctx.Err() itself, as WaitSpec says: it came back wrapped in
		// the error of the log's refused subscription.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := node.WaitSpec(ctx, newLog(t))
		assert.Equal(t, context.Canceled, err)
	})
	t.Run("a bad first event", func(t *testing.T) {
		log := newLog(t)
		appendRaw(t, log, events.StreamChainSpec, eventlog.Event{ID: uuid.New(), Type: "ChainSpec", Data: []byte(`{}`)})
		_, err := node.WaitSpec(context.Background(), log)
		assert.ErrorIs(t, err, node.ErrBadSpecEvent)
	})
	t.Run("a closed log", func(t *testing.T) {
		log := memlog.New(memlog.Config{})
		require.NoError(t, log.Close())
		_, err := node.WaitSpec(context.Background(), log)
		assert.ErrorIs(t, err, eventlog.ErrClosed)
	})
}
