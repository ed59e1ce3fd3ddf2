package bank_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
)

// openESDB returns a log on an esdbtest server of its own, whose event-ID
// cache counts as a real EventStoreDB node's does; the server stops when
// the test ends (the fixture closes the log).
func openESDB(t *testing.T) eventlog.Log {
	t.Helper()
	srv := esdbtest.New(esdbtest.Config{})
	require.NoError(t, srv.Start())
	t.Cleanup(srv.Close)
	log, err := esdb.Open(context.Background(), esdb.Config{ConnString: srv.ConnString()})
	require.NoError(t, err)
	return log
}

// requestStreamOf names the request stream of an Idempotency-Key, as the
// bank does.
func requestStreamOf(key string) string {
	return "request-" + uuid.NewSHA1(bank.IdempotencyNamespace, []byte(key)).String()
}

// TestIdempotencyKeyWritesNoIDTwice runs the bank on an esdbtest server,
// whose event-ID cache remembers where an ID was first written and counts
// what it holds as a real node's does, and on a memlog, whose window
// remembers the same. Each transfer is submitted, with a key or without,
// and then appended to the transactions stream again with Any, as a retry
// whose answer was lost: the log must take every such retry for the first
// append, and no event ID may be in two streams. A bank that reserved a
// key under the transaction's own event ID wrote it to the request stream
// first, so the log took the retry for a new event and stored the
// transfer twice (and, on a real node, each such ID costs its cache for
// good).
func TestIdempotencyKeyWritesNoIDTwice(t *testing.T) {
	logs := []struct {
		name string
		open func(*testing.T) eventlog.Log
	}{
		{"esdbtest", openESDB},
		{"memlog", func(*testing.T) eventlog.Log { return memlog.New(memlog.Config{}) }},
	}
	for _, tc := range []struct {
		name  string
		keyed bool
		n     int
	}{
		{"without a key", false, 1},
		{"with a key", true, 1},
		{"many with keys", true, 20},
	} {
		for _, l := range logs {
			t.Run(l.name+"/"+tc.name, func(t *testing.T) {
				var senders []string
				for i := range tc.n {
					senders = append(senders, fmt.Sprintf("sender-%d", i))
				}
				f := newFixtureWith(t, fixtureConfig{log: l.open(t), spec: fundedSpec(senders...)})
				var sent []events.TransactionSubmitted
				for i, sender := range senders {
					tx := consensustest.Transfer(sender, "bob", 1, 0)
					s := events.TransactionSubmitted{Tx: tx}
					var header []string
					if tc.keyed {
						s.RequestDigest = tx.Hash()
						header = []string{"Idempotency-Key", fmt.Sprintf("order-%d", i)}
					}
					assert.Equal(t, tx.ID(), f.submit(t, tx, header...).ID)
					sent = append(sent, s)
				}
				ctx := context.Background()
				for _, s := range sent {
					e, err := events.Encode(s)
					require.NoError(t, err)
					_, err = f.log.Append(ctx, node.StreamTransactions, eventlog.Any, e)
					require.NoError(t, err)
				}
				assert.Equal(t, tc.n, f.streamLen(t, node.StreamTransactions), "every retry with Any taken for its first append")

				seen := map[uuid.UUID]string{}
				streams := []string{node.StreamTransactions}
				for i := range tc.n {
					if tc.keyed {
						streams = append(streams, requestStreamOf(fmt.Sprintf("order-%d", i)))
					}
				}
				for _, stream := range streams {
					recs, err := f.log.Read(ctx, stream, eventlog.Start, eventlog.Forwards, 1000)
					require.NoError(t, err)
					for _, r := range recs {
						if first, ok := seen[r.ID]; ok && first != stream {
							t.Errorf("event %s is in %s and in %s", r.ID, first, stream)
						}
						seen[r.ID] = stream
					}
				}
			})
		}
	}
}

// TestIdempotencyKeyReservedUnderTheEventsID: a key reserved by a bank
// from before reservation IDs, under the TransactionSubmitted's own ID
// (the same event as in the transactions stream), is still understood: a
// retry of the request gets the first answer, whether the older bank went
// on to the transactions stream or failed in between (the retry finishes
// the second append), and another transaction under the key gets 422.
func TestIdempotencyKeyReservedUnderTheEventsID(t *testing.T) {
	first := consensustest.Transfer("alice", "bob", 5, 0)
	for _, tc := range []struct {
		name      string
		submitted bool                   // the older bank reached the transactions stream
		retry     blockchain.Transaction // what is posted again under the key
		want      int
	}{
		{"reserved and submitted, retried", true, first, http.StatusAccepted},
		{"reserved, failed before the transactions stream, retried", false, first, http.StatusAccepted},
		{"reserved, another transaction", true, consensustest.Transfer("alice", "bob", 6, 0), http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := openESDB(t)
			ctx := context.Background()
			e, err := events.Encode(events.TransactionSubmitted{Tx: first, RequestDigest: first.Hash()})
			require.NoError(t, err)
			_, err = log.Append(ctx, requestStreamOf("order-old"), eventlog.NoStream, e)
			require.NoError(t, err)
			if tc.submitted {
				_, err = log.Append(ctx, node.StreamTransactions, eventlog.Any, e)
				require.NoError(t, err)
			}
			f := newFixtureWith(t, fixtureConfig{log: log})

			status, _, data := f.post(t, txJSON(t, tc.retry), "Idempotency-Key", "order-old")
			require.Equal(t, tc.want, status, "%s", data)
			if tc.want == http.StatusAccepted {
				st := decode[bank.TransactionStatus](t, data)
				assert.Equal(t, first.ID(), st.ID)
				if assert.NotNil(t, st.Hash) {
					assert.Equal(t, first.Hash(), *st.Hash)
				}
				assert.Equal(t, bank.StatusPending, st.Status)
			}
			assert.True(t, f.node.Pool().Has(first.ID()), "the reserved transaction pending")
			assert.Equal(t, 1, f.streamLen(t, node.StreamTransactions), "once in the transactions stream")
			assert.Equal(t, 1, f.streamLen(t, requestStreamOf("order-old")), "the reservation as it was")
		})
	}
}

// TestIdempotencyKeyReservationCopiedFromAnotherKey: a reservation is
// under an ID of its own, not its payload's, and that ID is bound to its
// key: one copied into another key's request stream follows neither from
// its content nor from its content and that key, and is not believed (the
// request is a 503, as for any request stream the bank cannot read).
func TestIdempotencyKeyReservationCopiedFromAnotherKey(t *testing.T) {
	f := newFixture(t, 0)
	tx := consensustest.Transfer("alice", "bob", 5, 0)
	f.submit(t, tx, "Idempotency-Key", "order-a")
	recs, err := f.log.Read(context.Background(), requestStreamOf("order-a"), eventlog.Start, eventlog.Forwards, 1)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	_, err = events.Decode(recs[0].Event)
	require.True(t, errors.Is(err, events.ErrIDMismatch), "the reservation is under an ID of its own: %v", err)

	_, err = f.log.Append(context.Background(), requestStreamOf("order-b"), eventlog.NoStream, recs[0].Event)
	require.NoError(t, err)
	status, _, data := f.post(t, txJSON(t, tx), "Idempotency-Key", "order-b")
	assert.Equal(t, http.StatusServiceUnavailable, status, "%s", data)
}
