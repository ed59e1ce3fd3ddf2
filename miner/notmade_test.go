package miner_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eventchain/eventchain/miner"
)

// TestZeroMiner: a Miner New did not make says so, rather than panic on a
// nil node.
func TestZeroMiner(t *testing.T) {
	for _, m := range []*miner.Miner{new(miner.Miner), nil} {
		assert.NotPanics(t, func() {
			assert.ErrorIs(t, m.Run(context.Background()), miner.ErrNotMade)
		})
	}
}
