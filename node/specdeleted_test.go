package node_test

import (
	"context"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/node"
)

// TestSpecDeclaredOnADeletedStream: anyone who can write to an
// EventStoreDB can soft-delete the chain-spec stream. It then reads as
// empty, so an app started with -genesis declares its spec there, with
// NoStream. The network's own spec again is a retry of the deleted
// event, which EventStoreDB recognises by position: nothing is written,
// and the stream still shows no spec to the apps that wait for one, so
// LoadSpec says the spec is hidden (ErrSpecHidden; see TestSpecHidden),
// and what to do. Another spec is written,
// numbered on from the deleted event: LoadSpec took it, and the app ran
// on a log that holds another chain's blocks (where it would have been
// told ErrSpecMismatch had the stream not been deleted), while every
// later LoadSpec, the same app's at its next start among them, refused
// the stream, whose first event is hidden. The declaring LoadSpec now
// refuses it too.
func TestSpecDeclaredOnADeletedStream(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec blockchain.ChainSpec // declared after the delete
		want error
	}{
		{"the same spec", consensustest.Spec(), node.ErrSpecHidden},
		{"another spec", otherSpec(), node.ErrBadSpecEvent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			srv := esdbtest.NewServer(t)
			log, err := esdb.New(esdb.Config{ConnString: srv.ConnString()})
			require.NoError(t, err)
			t.Cleanup(func() { _ = log.Close() })
			spec := consensustest.Spec()
			_, err = node.LoadSpec(ctx, log, &spec)
			require.NoError(t, err)

			cfg, err := esclient.ParseConnectionString(srv.ConnString())
			require.NoError(t, err)
			cfg.Logger = esclient.NoopLogging()
			client, err := esclient.NewClient(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = client.Close() })
			_, err = client.DeleteStream(ctx, events.StreamChainSpec, esclient.DeleteStreamOptions{}) // a soft delete
			require.NoError(t, err)

			for _, start := range []string{"first start after the delete", "next start"} {
				have, err := node.LoadSpec(ctx, log, &tc.spec)
				if tc.want != nil {
					require.ErrorIs(t, err, tc.want, start)
					assert.ErrorContains(t, err, "hidden", start)
					continue
				}
				require.NoError(t, err, start)
				assert.Equal(t, tc.spec.Hash(), have.Hash(), start)
			}
		})
	}
}
