package bank_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// TestUnknownWhileTheAuditStreamIsUnread: a bank that has just started
// learns which transactions were dropped by reading the audit stream
// from its start, after it is ready. Meanwhile a dropped transaction it
// cannot place was answered 404 "unknown" — which a client takes for a
// transfer never taken, and signs again — until the stream was read. It
// is now 503 with Retry-After, until the bank has read the stream as far
// as it went when the bank began.
func TestUnknownWhileTheAuditStreamIsUnread(t *testing.T) {
	mem := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = mem.Close() })
	spec := consensustest.Spec()
	_, err := node.LoadSpec(context.Background(), mem, &spec)
	require.NoError(t, err)
	dropped := consensustest.Transfer("alice", "bob", 5, 0)
	e, err := events.Encode(events.TransactionDropped{TxID: dropped.ID(), Rule: blockchain.ErrBadNonce, Reason: "its nonce was used by another transfer"})
	require.NoError(t, err)
	_, err = mem.Append(context.Background(), node.StreamAudit, eventlog.Any, e)
	require.NoError(t, err)

	release := make(chan struct{}) // until closed, the bank has not read the audit stream
	lb := startBank(t, eventlogtest.Holding(mem, node.StreamAudit, release), "", 0)
	t.Cleanup(func() { assert.NoError(t, lb.stop()) })
	get := func(t *testing.T, id uuid.UUID) (int, string, []byte) {
		t.Helper()
		resp, err := http.Get(lb.server.URL + "/transactions/" + id.String())
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header.Get("Retry-After"), body
	}

	for _, id := range []uuid.UUID{dropped.ID(), uuid.New()} {
		code, retry, body := get(t, id)
		assert.Equal(t, http.StatusServiceUnavailable, code, "before the audit stream is read: %s", body)
		assert.NotEmpty(t, retry, "a 503 says when to ask again")
	}

	close(release)
	select {
	case <-lb.bank.AuditRead():
	case <-time.After(watchdog): // a bound on a hang, not a wait for an event
		t.Fatal("the bank never read the audit stream")
	}
	code, _, body := get(t, dropped.ID())
	assert.Equal(t, http.StatusOK, code, "%s", body)
	assert.Contains(t, string(body), `"dropped"`)
	code, _, body = get(t, uuid.New())
	assert.Equal(t, http.StatusNotFound, code, "%s", body)
}

// TestAuditStreamDeleted: anyone who can write to an EventStoreDB can
// delete a stream for good (a tombstone). A bank whose audit stream was
// deleted stopped, and was refused at every start after, though it
// needs the stream only to say which transactions were dropped. It now
// says so in its log and serves on, whether the stream was deleted
// before it started or while it ran.
func TestAuditStreamDeleted(t *testing.T) {
	for _, tc := range []struct {
		name         string
		beforeStart  bool // delete the stream before the bank starts, else while it runs
		auditEntries int  // events in the audit stream before it is deleted
	}{
		{"before the bank starts", true, 1},
		{"before the bank starts, never written", true, 0},
		{"while the bank runs", false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = mem.Close() })
			spec := consensustest.Spec()
			_, err := node.LoadSpec(context.Background(), mem, &spec)
			require.NoError(t, err)
			for range tc.auditEntries {
				e, err := events.Encode(events.TransactionDropped{TxID: uuid.New(), Rule: blockchain.ErrBadNonce, Reason: "its nonce was used by another transfer"})
				require.NoError(t, err)
				_, err = mem.Append(context.Background(), node.StreamAudit, eventlog.Any, e)
				require.NoError(t, err)
			}
			if tc.beforeStart {
				require.NoError(t, mem.Delete(context.Background(), node.StreamAudit, eventlog.Any))
			}
			log := &deletedWatch{Log: mem, seen: make(chan struct{})}
			lb := startBank(t, log, "", 0)
			t.Cleanup(func() { assert.NoError(t, lb.stop(), "Run ends only when stopped") })
			if !tc.beforeStart {
				select {
				case <-lb.bank.AuditRead():
				case <-lb.ran:
					t.Fatal("Run returned before the stream was deleted (its error is the cleanup's)")
				}
				require.NoError(t, mem.Delete(context.Background(), node.StreamAudit, eventlog.Any))
			}
			select {
			case <-log.seen: // the bank has been told the stream is deleted
			case <-lb.ran:
				t.Fatal("Run returned (its error is the cleanup's)")
			}
			select {
			case <-lb.ran:
				t.Fatal("Run returned after the stream was deleted (its error is the cleanup's)")
			case <-lb.bank.AuditRead():
			}

			resp, err := http.Post(lb.server.URL+"/transactions", "application/json", strings.NewReader(txJSON(t, consensustest.Transfer("alice", "bob", 5, 0))))
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusAccepted, resp.StatusCode, "the bank takes transfers still: %s", body)
			resp, err = http.Get(lb.server.URL + "/transactions/" + uuid.New().String())
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "an unknown transaction is unknown, not 503 for ever")
			select {
			case <-lb.ran:
				t.Fatal("Run returned (its error is the cleanup's)")
			default:
			}
		})
	}
}

// deletedWatch is a log whose audit stream's readers close seen the
// first time the log tells them the stream is deleted.
type deletedWatch struct {
	eventlog.Log
	once sync.Once
	seen chan struct{}
}

func (l *deletedWatch) saw(err error) error {
	if errors.Is(err, eventlog.ErrStreamDeleted) {
		l.once.Do(func() { close(l.seen) })
	}
	return err
}

func (l *deletedWatch) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	recs, err := l.Log.Read(ctx, stream, from, dir, max)
	if stream == node.StreamAudit {
		err = l.saw(err)
	}
	return recs, err
}

func (l *deletedWatch) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	sub, err := l.Log.Subscribe(ctx, stream, from)
	if err != nil || stream != node.StreamAudit {
		return sub, l.saw(err)
	}
	return deletedWatchSub{sub, l}, nil
}

type deletedWatchSub struct {
	eventlog.Subscription
	l *deletedWatch
}

func (s deletedWatchSub) Next(ctx context.Context) (eventlog.Recorded, error) {
	r, err := s.Subscription.Next(ctx)
	return r, s.l.saw(err)
}
