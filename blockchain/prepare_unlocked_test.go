package blockchain_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// chainReadingEngine's Prepare reads the Chain itself, not the view it is
// given: against the Consensus contract, but the slip a student makes.
type chainReadingEngine struct {
	consensustest.Fake
	chain *blockchain.Chain
}

func (e *chainReadingEngine) Prepare(view blockchain.ChainReader, h *blockchain.Header) error {
	time.Sleep(100 * time.Microsecond)
	_ = e.chain.Height()
	return e.Fake.Prepare(view, h)
}

// TestProposeDoesNotHoldLockInPrepare: Propose runs Prepare outside the
// chain's lock, so a Prepare that reads the Chain does not deadlock with
// an Apply that waits for the lock while Propose holds it for reading.
func TestProposeDoesNotHoldLockInPrepare(t *testing.T) {
	e := &chainReadingEngine{Fake: *consensustest.NewFaker()}
	c, err := blockchain.NewChain(consensustest.Config(e))
	require.NoError(t, err)
	e.chain = c
	at := blockchain.GenesisTime.Add(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		for range 100 {
			b, _, err := c.Propose(consensustest.Addr("miner"), nil, at)
			if err != nil {
				done <- err
				return
			}
			if err := c.ApplyAt(b, at); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	go func() {
		for ctx.Err() == nil {
			_, _, _ = c.Propose(consensustest.Addr("other"), nil, at)
		}
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("Propose and Apply deadlocked on a Prepare that reads the Chain")
	}
	require.Equal(t, uint64(100), c.Height())
}
