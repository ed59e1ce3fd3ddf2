package node_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

// A gap is what a node logged of a stream that hid events: the revision
// it expected next, and the one it got; or, for a stream that showed
// nothing, the revision its own append got.
type gap struct{ expected, got, appended uint64 }

// gapLog is a slog.Handler that keeps the gaps a node logs as Errors.
type gapLog struct {
	mu   sync.Mutex
	gaps []gap
}

func (h *gapLog) Enabled(context.Context, slog.Level) bool { return true }

func (h *gapLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	var g gap
	var stream string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "stream":
			stream = a.Value.String()
		case "expected":
			g.expected = a.Value.Uint64()
		case "got":
			g.got = a.Value.Uint64()
		case "appended":
			g.appended = a.Value.Uint64()
		}
		return true
	})
	if stream == node.StreamTransactions {
		h.mu.Lock()
		h.gaps = append(h.gaps, g)
		h.mu.Unlock()
	}
	return nil
}

func (h *gapLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *gapLog) WithGroup(string) slog.Handler      { return h }

func (h *gapLog) logged() []gap {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]gap(nil), h.gaps...)
}

// TestTransactionsHidden: anyone who can write to an EventStoreDB can
// hide a stream's events from every reader with its metadata. A $tb
// (truncate before) set beyond the end of the transactions stream hid
// every transfer the bank took after it, and no miner saw one, and no
// node said a word: the miners just made no blocks. A node now logs an
// Error naming the gap when its subscription, or Restore's reads, skip
// revisions, and goes on (see the doc of transactionsHidden for why).
// A soft delete hides what was there before, and a node that restores
// after it logs that.
func TestTransactionsHidden(t *testing.T) {
	for _, tc := range []struct {
		name     string
		hide     func(t *testing.T, c *esclient.Client)
		bank     []gap // what the node that submits, and follows, logs
		follower []gap // what the node following all along logs
		restored []gap // what a node restored at the end logs
	}{
		{"whole", func(*testing.T, *esclient.Client) {}, nil, nil, nil},
		{"$tb beyond the end", func(t *testing.T, c *esclient.Client) {
			var m esclient.StreamMetadata
			m.SetTruncateBefore(5)
			_, err := c.SetStreamMetadata(context.Background(), node.StreamTransactions, esclient.AppendToStreamOptions{}, m)
			require.NoError(t, err)
		}, []gap{{expected: 2, appended: 4}, {expected: 2, got: 5}}, []gap{{expected: 2, got: 5}}, []gap{{expected: 0, got: 5}}},
		{"soft-deleted", func(t *testing.T, c *esclient.Client) {
			_, err := c.DeleteStream(context.Background(), node.StreamTransactions, esclient.DeleteStreamOptions{})
			require.NoError(t, err)
		}, nil, nil, []gap{{expected: 0, got: 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv := esdbtest.NewServer(t)
			log, err := esdb.New(esdb.Config{ConnString: srv.ConnString()})
			require.NoError(t, err)
			t.Cleanup(func() { _ = log.Close() })
			c := officialClient(t, srv.ConnString())

			bankLog, followerLog := &gapLog{}, &gapLog{}
			cfg := config(t, log)
			cfg.Logger = slog.New(bankLog)
			bank, err := node.New(cfg)
			require.NoError(t, err)
			cfg = config(t, log)
			cfg.Logger = slog.New(followerLog)
			follower, err := node.New(cfg)
			require.NoError(t, err)
			for _, n := range []*node.Node{bank, follower} {
				require.NoError(t, n.Restore(ctx, node.RestoreVerify))
			}
			follow(t, bank, follower)

			submit := func(nonces ...uint64) {
				for _, nonce := range nonces {
					require.NoError(t, bank.SubmitTransaction(ctx, consensustest.Transfer("alice", "bob", 1, nonce)))
				}
			}
			submit(0, 1)
			for _, n := range []*node.Node{bank, follower} {
				nodetest.WaitFor(t, n, "the first transfers", func() bool { _, txs := n.Position(); return txs == 2 })
			}
			tc.hide(t, c)
			submit(2, 3, 4, 5, 6) // revisions 2 to 6
			for _, n := range []*node.Node{bank, follower} {
				nodetest.WaitFor(t, n, "the last transfer", func() bool { _, txs := n.Position(); return txs == 7 })
			}
			assert.Equal(t, tc.follower, followerLog.logged(), "the follower's log")
			assert.Equal(t, tc.bank, bankLog.logged(), "the bank's log")

			restoredLog := &gapLog{}
			cfg = config(t, log)
			cfg.Logger = slog.New(restoredLog)
			restored, err := node.New(cfg)
			require.NoError(t, err)
			require.NoError(t, restored.Restore(ctx, node.RestoreVerify))
			_, txs := restored.Position()
			assert.Equal(t, eventlog.Revision(7), txs)
			assert.Equal(t, tc.restored, restoredLog.logged(), "the restored node's log")
		})
	}
}

// officialClient returns an official EventStoreDB client for conn, to
// do what the eventlog.Log interface cannot: set a stream's metadata,
// soft-delete it.
func officialClient(t *testing.T, conn string) *esclient.Client {
	t.Helper()
	cfg, err := esclient.ParseConnectionString(conn)
	require.NoError(t, err)
	cfg.Logger = esclient.NoopLogging()
	c, err := esclient.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}
