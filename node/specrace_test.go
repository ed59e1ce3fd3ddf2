package node_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// declaredMeanwhile is a log on which another app declares the spec and
// appends a transfer just after the first read of the chain-spec stream
// found it empty, and before that read returns.
type declaredMeanwhile struct {
	eventlog.Log
	once    sync.Once
	declare func()
}

func (l *declaredMeanwhile) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	recs, err := l.Log.Read(ctx, stream, from, dir, max)
	if stream == events.StreamChainSpec {
		l.once.Do(l.declare)
	}
	return recs, err
}

// TestSpecDeclaredWhileLooking: an app without a spec that starts as the
// network's first app declares it may read an empty chain-spec stream,
// and then, looking for a hidden spec, find the first app's transfer in
// the transactions stream. The log is healthy: the spec is there now,
// and is what LoadSpec and WaitSpec return, not ErrSpecHidden.
func TestSpecDeclaredWhileLooking(t *testing.T) {
	spec := consensustest.Spec()
	for _, tc := range []struct {
		name string
		load func(ctx context.Context, log eventlog.Log) (blockchain.ChainSpec, error)
	}{
		{"read", func(ctx context.Context, log eventlog.Log) (blockchain.ChainSpec, error) {
			return node.LoadSpec(ctx, log, nil)
		}},
		{"waited for", node.WaitSpec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner := memlog.New(memlog.Config{})
			log := &declaredMeanwhile{Log: inner, declare: func() {
				_, err := node.LoadSpec(context.Background(), inner, &spec)
				require.NoError(t, err)
				appendRaw(t, inner, node.StreamTransactions, raw("Nonsense", []byte(`{}`)))
			}}
			have, err := tc.load(context.Background(), log)
			require.NoError(t, err)
			assert.Equal(t, spec.Hash(), have.Hash())
		})
	}
}
