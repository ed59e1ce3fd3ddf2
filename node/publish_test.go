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

// TestPublishRefusesJunk: a block that names the tip as its parent but
// not at the next height does not extend the tip, and a miner ID with a
// control character or a right-to-left override prints as something
// else: PublishBlock refuses both, saying why, rather than append junk
// and report success.
func TestPublishRefusesJunk(t *testing.T) {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	n, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker()})
	require.NoError(t, err)
	b, _, err := n.Propose(consensustest.Addr("miner"), nil, time.Now())
	require.NoError(t, err)
	h := b.Header()
	h.Height = 7
	tests := []struct {
		name   string
		block  *blockchain.Block
		miner  string
		wantIs error // nil: want the text
		text   string
	}{
		{"the wrong height", blockchain.NewBlock(h, nil), "miner", blockchain.ErrBadHeight, ""},
		{"an escape in the miner ID", b, "miner\x1b[31m", nil, `miner ID "miner\x1b[31m"`},
		{"a right-to-left override in the miner ID", b, "miner\u202egnp.exe", nil, `miner ID "miner\u202egnp.exe"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := n.PublishBlock(ctx, tc.block, tc.miner)
			require.Error(t, err)
			if tc.wantIs != nil {
				assert.ErrorIs(t, err, tc.wantIs)
			} else {
				assert.Contains(t, err.Error(), tc.text)
			}
			assert.NotErrorIs(t, err, node.ErrStale)
			_, err = log.Read(ctx, node.StreamBlocks, eventlog.Start, eventlog.Forwards, 1)
			assert.ErrorIs(t, err, eventlog.ErrStreamNotFound, "nothing appended")
		})
	}
	assert.NoError(t, n.PublishBlock(ctx, b, "miner-1 (Zoë)"), "the block at the next height, by a miner of printable name, is published")
}
