package blockchain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// chainWritingEngine's Prepare uses the Chain itself, not the view it is
// given: against the Consensus contract, but the slip a student makes. It
// applies block to the chain, once, which takes the chain's write lock.
type chainWritingEngine struct {
	consensustest.Fake
	chain   *blockchain.Chain
	block   *blockchain.Block
	applied chan error
}

func (e *chainWritingEngine) Prepare(view blockchain.ChainReader, h *blockchain.Header) error {
	if e.block != nil {
		b := e.block
		e.block = nil
		e.applied <- e.chain.Apply(b)
	}
	return e.Fake.Prepare(view, h)
}

// TestProposeDoesNotHoldLockInPrepare: Propose runs Prepare outside the
// chain's lock, so a Prepare that reaches the Chain does not wait for
// ever on a lock its own Propose holds (as one that reads it would behind
// an Apply waiting for the lock). The block proposed is built on the
// headers as they were: on genesis, while the chain has moved on.
func TestProposeDoesNotHoldLockInPrepare(t *testing.T) {
	other := consensustest.NewChain(consensustest.NewFaker())
	at := blockchain.GenesisTime.Add(time.Minute)
	b1, _, err := other.Propose(consensustest.Addr("other"), nil, at)
	require.NoError(t, err)

	e := &chainWritingEngine{Fake: *consensustest.NewFaker(), block: b1, applied: make(chan error, 1)}
	c := consensustest.NewChain(e)
	e.chain = c
	proposed := make(chan error, 1)
	go func() {
		b, _, err := c.Propose(consensustest.Addr("miner"), nil, at)
		if err == nil && b.Height() != 1 {
			err = assert.AnError
		}
		proposed <- err
	}()
	select {
	case err := <-proposed:
		require.NoError(t, err, "Propose, on genesis")
	case <-time.After(10 * time.Second): // a guard against a hang, not a wait for anything
		t.Fatal("Propose holds the chain's lock while Prepare runs: Prepare's Apply waits for it for ever")
	}
	assert.NoError(t, <-e.applied, "the Apply made inside Prepare")
	assert.Equal(t, uint64(1), c.Height())
}
