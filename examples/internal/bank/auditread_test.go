package bank_test

import (
	"context"
	"io"
	"net/http"
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
