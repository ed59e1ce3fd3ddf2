package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/node"
)

// TestSpecHidden: anyone who can write to an EventStoreDB can
// soft-delete the chain-spec stream, or hide its first event with $tb.
// The bank, restarted with -genesis, declared the spec again, which the
// log took for a retry of the hidden declaration and did not write; an
// app without -genesis (an auditor, a miner) then waited for the spec
// for ever, saying only that it waited. LoadSpec and WaitSpec now return
// ErrSpecHidden when they can tell the stream hides the spec: the log
// holds a chain (a block, a transaction), or the declaration just made
// does not read back. A spec hidden on a log that holds nothing else
// looks, to a reader, like a new log: LoadSpec without a spec says
// ErrNoSpec, and WaitSpec waits. Putting the metadata back shows the
// spec again.
func TestSpecHidden(t *testing.T) {
	spec := consensustest.Spec()
	softDelete := func(t *testing.T, c *esclient.Client) {
		_, err := c.DeleteStream(context.Background(), events.StreamChainSpec, esclient.DeleteStreamOptions{})
		require.NoError(t, err)
	}
	truncate := func(t *testing.T, c *esclient.Client) {
		var m esclient.StreamMetadata
		m.SetTruncateBefore(1)
		_, err := c.SetStreamMetadata(context.Background(), events.StreamChainSpec, esclient.AppendToStreamOptions{}, m)
		require.NoError(t, err)
	}
	read := func(ctx context.Context, log eventlog.Log) (blockchain.ChainSpec, error) {
		return node.LoadSpec(ctx, log, nil)
	}
	declare := func(ctx context.Context, log eventlog.Log) (blockchain.ChainSpec, error) {
		return node.LoadSpec(ctx, log, &spec)
	}
	for _, tc := range []struct {
		name  string
		hide  func(t *testing.T, c *esclient.Client)
		chain bool // whether the log holds a transaction
		load  func(ctx context.Context, log eventlog.Log) (blockchain.ChainSpec, error)
		want  error // nil: the spec
	}{
		{"whole, read", func(*testing.T, *esclient.Client) {}, true, read, nil},
		{"whole, declared again", func(*testing.T, *esclient.Client) {}, true, declare, nil},
		{"whole, waited for", func(*testing.T, *esclient.Client) {}, true, node.WaitSpec, nil},
		{"soft-deleted, read", softDelete, true, read, node.ErrSpecHidden},
		{"soft-deleted, declared again", softDelete, true, declare, node.ErrSpecHidden},
		{"soft-deleted, waited for", softDelete, true, node.WaitSpec, node.ErrSpecHidden},
		{"truncated, waited for", truncate, true, node.WaitSpec, node.ErrSpecHidden},
		{"soft-deleted before any transaction, declared again", softDelete, false, declare, node.ErrSpecHidden},
		{"soft-deleted before any transaction, read", softDelete, false, read, node.ErrNoSpec},
		// It cannot tell, and waits: the context ends it.
		{"soft-deleted before any transaction, waited for", softDelete, false, node.WaitSpec, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv := esdbtest.NewServer(t)
			log, err := esdb.New(esdb.Config{ConnString: srv.ConnString()})
			require.NoError(t, err)
			t.Cleanup(func() { _ = log.Close() })
			c := officialClient(t, srv.ConnString())
			_, err = node.LoadSpec(ctx, log, &spec)
			require.NoError(t, err)
			if tc.chain {
				appendRaw(t, log, node.StreamTransactions, raw("Nonsense", []byte(`{}`)))
			}
			tc.hide(t, c)

			if errors.Is(tc.want, context.DeadlineExceeded) {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond) // the bound of a wait that never ends
				defer cancel()
			}
			have, err := tc.load(ctx, log)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				if errors.Is(tc.want, node.ErrSpecHidden) {
					assert.Contains(t, err.Error(), "hides the spec")
				}
			} else {
				require.NoError(t, err)
				assert.Equal(t, spec.Hash(), have.Hash())
			}

			// The remedy: metadata without $tb, written twice for a
			// soft-deleted stream (the first write brings it back, its
			// events still behind a $tb), shows the spec again.
			for range 2 {
				_, err = c.SetStreamMetadata(context.Background(), events.StreamChainSpec, esclient.AppendToStreamOptions{}, esclient.StreamMetadata{})
				require.NoError(t, err)
			}
			have, err = node.WaitSpec(context.Background(), log)
			require.NoError(t, err)
			assert.Equal(t, spec.Hash(), have.Hash())
		})
	}
}
