package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// TestPublishWrongHeight: a block that names the tip as its parent but
// not at the next height does not extend the tip; PublishBlock refuses it
// with the rule, rather than append junk and report success.
func TestPublishWrongHeight(t *testing.T) {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	n, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker()})
	require.NoError(t, err)
	b, _, err := n.Propose(consensustest.Addr("miner"), nil, time.Now())
	require.NoError(t, err)
	h := b.Header()
	h.Height = 7
	err = n.PublishBlock(ctx, blockchain.NewBlock(h, nil), "miner")
	assert.ErrorIs(t, err, blockchain.ErrBadHeight)
	assert.NotErrorIs(t, err, node.ErrStale)
	_, err = log.Read(ctx, node.StreamBlocks, eventlog.Start, eventlog.Forwards, 1)
	assert.ErrorIs(t, err, eventlog.ErrStreamNotFound, "nothing appended")
	assert.NoError(t, n.PublishBlock(ctx, b, "miner"), "the block at the next height is published")
}
