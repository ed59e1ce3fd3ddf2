package bankclient_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
)

// fakeClock is a Poll.After that never waits: it records each pause
// asked for, runs the test's step for it (mine a block, fail a request),
// and fires at once. It runs in WaitIncluded's goroutine, between two
// polls, so the test decides exactly what each poll sees.
type fakeClock struct {
	pauses []time.Duration
	step   func(n int) // called with the pause's number, from 1
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.pauses = append(c.pauses, d)
	if c.step != nil {
		c.step(len(c.pauses))
	}
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

func TestWaitIncluded(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name   string
		step   func(bank *bankclienttest.Bank, tx blockchain.Transaction, n int)
		state  bankclient.State
		rule   string
		pauses []time.Duration
		seen   []bankclient.State // what progress saw
	}{
		{
			name: "included at once",
			step: func(*bankclienttest.Bank, blockchain.Transaction, int) {},
			// The test mines before the first poll (see below).
			state:  bankclient.Included,
			pauses: nil,
			seen:   []bankclient.State{bankclient.Included},
		},
		{
			name: "pending, then included, pauses doubling up to the maximum",
			step: func(bank *bankclienttest.Bank, _ blockchain.Transaction, n int) {
				if n == 5 {
					bank.Mine()
				}
			},
			state:  bankclient.Included,
			pauses: []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms, 80 * ms},
			seen:   []bankclient.State{bankclient.Pending, bankclient.Pending, bankclient.Pending, bankclient.Pending, bankclient.Pending, bankclient.Included},
		},
		{
			name: "dropped",
			step: func(bank *bankclienttest.Bank, tx blockchain.Transaction, n int) {
				if n == 2 {
					bank.Drop(tx.ID(), blockchain.ErrInsufficientFunds)
				}
			},
			state:  bankclient.Dropped,
			rule:   "insufficient-funds",
			pauses: []time.Duration{10 * ms, 20 * ms},
			seen:   []bankclient.State{bankclient.Pending, bankclient.Pending, bankclient.Dropped},
		},
		{
			name: "a restarting bank is waited out, Retry-After capped at the maximum",
			step: func(bank *bankclienttest.Bank, _ blockchain.Transaction, n int) {
				switch n {
				case 1:
					bank.FailNext(2, http.StatusServiceUnavailable)
				case 3:
					bank.Mine()
				}
			},
			state:  bankclient.Included,
			pauses: []time.Duration{10 * ms, 80 * ms, 80 * ms},
			seen:   []bankclient.State{bankclient.Pending, bankclient.Included},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			bank, c := newFakeBank(t)
			tx := consensustest.Transfer("alice", "bob", 10, 0)
			_, err := c.Submit(ctx, tx, "")
			require.NoError(t, err)
			if tc.pauses == nil {
				bank.Mine()
			}
			clock := &fakeClock{step: func(n int) { tc.step(bank, tx, n) }}
			c = c.WithPoll(bankclient.Poll{Initial: 10 * ms, Max: 80 * ms, After: clock.After})
			var seen []bankclient.State
			st, err := c.WaitIncluded(ctx, tx.ID(), func(s bankclient.Status) { seen = append(seen, s.State) })
			require.NoError(t, err)
			assert.Equal(t, tc.state, st.State)
			assert.Equal(t, tc.rule, st.Rule)
			assert.Equal(t, tc.pauses, clock.pauses)
			assert.Equal(t, tc.seen, seen)
			if st.State == bankclient.Included {
				assert.Equal(t, bank.Height(), st.Height)
			}
		})
	}
}

func TestWaitIncludedStops(t *testing.T) {
	t.Run("unknown transaction", func(t *testing.T) {
		_, c := newFakeBank(t)
		clock := &fakeClock{}
		c = c.WithPoll(bankclient.Poll{After: clock.After})
		tx := consensustest.Transfer("alice", "bob", 10, 0)
		st, err := c.WaitIncluded(context.Background(), tx.ID(), nil)
		var pe *bankclient.ProblemError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, http.StatusNotFound, pe.Status)
		assert.Equal(t, bankclient.Status{}, st)
		assert.Empty(t, clock.pauses, "a 404 is not retried")
	})
	t.Run("context ends while pending", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, c := newFakeBank(t)
		tx := consensustest.Transfer("alice", "bob", 10, 0)
		_, err := c.Submit(ctx, tx, "")
		require.NoError(t, err)
		never := func(time.Duration) <-chan time.Time {
			cancel()
			return nil // a nil channel never fires
		}
		st, err := c.WithPoll(bankclient.Poll{After: never}).WaitIncluded(ctx, tx.ID(), nil)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, bankclient.Pending, st.State, "the last status read")
	})
	t.Run("bank down for good", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		bank, c := newFakeBank(t)
		tx := consensustest.Transfer("alice", "bob", 10, 0)
		_, err := c.Submit(ctx, tx, "")
		require.NoError(t, err)
		bank.FailNext(100, http.StatusServiceUnavailable)
		clock := &fakeClock{step: func(n int) {
			if n == 10 {
				cancel()
			}
		}}
		_, err = c.WithPoll(bankclient.Poll{After: clock.After}).WaitIncluded(ctx, tx.ID(), nil)
		assert.True(t, errors.Is(err, context.Canceled))
		assert.Len(t, clock.pauses, 10)
	})
}
