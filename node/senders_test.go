package node

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
)

// gatedLog holds each Append until the test lets it go, telling the test
// when one has started.
type gatedLog struct {
	eventlog.Log
	entered chan struct{}
	release chan struct{}
}

func (g gatedLog) Append(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	g.entered <- struct{}{}
	<-g.release
	return g.Log.Append(ctx, stream, expected, events...)
}

// TestSubmitOneSenderAtATime: while one transfer of a sender is being
// appended, a second with the same nonce waits, and is then checked
// against a pool holding the first: one is accepted, the other refused
// with bad-nonce, whichever way the two interleave. A transfer with the
// next nonce is accepted, and so is one from another sender, which does
// not wait.
func TestSubmitOneSenderAtATime(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second blockchain.Transaction
		want   error // nil: accepted
		waits  bool
	}{
		{"the same nonce", consensustest.Transfer("alice", "carol", 7, 0), blockchain.ErrBadNonce, true},
		{"the next nonce", consensustest.Transfer("alice", "carol", 7, 1), nil, true},
		{"another sender", consensustest.Transfer("bob", "carol", 7, 0), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = mem.Close() })
			log := gatedLog{Log: mem, entered: make(chan struct{}), release: make(chan struct{})}
			n, err := New(Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker()})
			require.NoError(t, err)
			waiting := make(chan struct{}, 1)
			n.senders.onWait = func() { waiting <- struct{}{} }

			first := make(chan error, 1)
			go func() {
				first <- n.SubmitTransaction(context.Background(), consensustest.Transfer("alice", "bob", 5, 0))
			}()
			<-log.entered // the first is in the log's hands, not yet in the pool
			second := make(chan error, 1)
			go func() { second <- n.SubmitTransaction(context.Background(), tc.second) }()
			if tc.waits {
				select {
				case err := <-second:
					close(log.release)
					t.Fatalf("the second transfer did not wait for the first: %v", err)
				case <-waiting: // the second waits for the first
				case <-log.entered:
					close(log.release)
					t.Fatal("the second transfer reached the log while the first was being appended")
				}
				close(log.release)
				require.NoError(t, <-first)
				if tc.want == nil {
					<-log.entered
				}
			} else {
				<-log.entered // the second does not wait
				close(log.release)
				require.NoError(t, <-first)
			}
			err = <-second
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
			assert.Empty(t, n.senders.locks, "no lock outlives its submissions")
		})
	}
}

// TestSenderLockHonoursContext: a submission waiting for its sender's
// lock gives up when its context ends, and the lock is forgotten once
// its holder is done.
func TestSenderLockHonoursContext(t *testing.T) {
	var s senderLocks
	alice := consensustest.Addr("alice")
	unlock, err := s.lock(context.Background(), alice)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	s.onWait = cancel
	_, err = s.lock(ctx, alice)
	assert.ErrorIs(t, err, context.Canceled)
	unlock()
	assert.Empty(t, s.locks)
}
