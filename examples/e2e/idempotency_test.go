package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
)

// TestIdempotencyKeyAcrossABankCrash runs a bank and a miner as processes
// on an esdbtest server. 40 pairs of requests, each pair sharing a key
// and a signed transfer (40 senders, each sending its first), are sent at
// once: no pair's answers split. Once every transaction is mined, the
// bank is killed (SIGKILL) and started again: each key, retried, gets its
// mined transaction — the same hash, with its block and height — and a
// key with another transfer gets 422.
func TestIdempotencyKeyAcrossABankCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bank and a miner as processes; skipped with -short")
	}
	bins := build(t, "./examples/bank", "./examples/miner")
	const pairs = 40
	sender := func(i int) string { return fmt.Sprintf("client-%d", i) }
	var senders []string
	for i := range pairs {
		senders = append(senders, sender(i))
	}
	chain := newTestChain(t, senders, []string{"shop", "miner-1"})
	server := esdbtest.New(esdbtest.Config{Addr: "127.0.0.1:0"})
	require.NoError(t, server.Start())
	t.Cleanup(server.Close)
	common := []string{"-eventlog", server.ConnString()}
	startBank := func() (*process, *bankclient.Client) {
		p := start(t, "bank", bins["bank"], append(common, "-genesis", chain.genesis, "-addr", "127.0.0.1:0")...)
		url := p.await(t, regexp.MustCompile(`listening on (\S+)`))
		eventually(t, "the bank to be ready", func() bool {
			return getJSON(t, url+"/readyz", new(map[string]string)) == http.StatusOK
		})
		c, err := bankclient.New(url, nil)
		require.NoError(t, err)
		return p, c
	}
	bankProc, client := startBank()
	start(t, "miner", bins["miner"], append(common, "-id", "miner-1", "-beneficiary", chain.addr(t, "miner-1").String(),
		"-workers", "1", "-max-wait", "200ms", "-metrics", "")...)

	ctx := context.Background()
	tx := func(i int) blockchain.Transaction { return chain.transfer(t, sender(i), "shop", int64(i+1), 0) }
	key := func(i int) string { return fmt.Sprintf("order-%d", i) }
	var answers [pairs][2]bankclient.Status
	var errs [pairs][2]error
	var wg sync.WaitGroup
	for i := range pairs {
		for j := range 2 {
			wg.Go(func() { answers[i][j], errs[i][j] = client.Submit(ctx, tx(i), key(i)) })
		}
	}
	wg.Wait()
	for i := range pairs {
		require.NoError(t, errors.Join(errs[i][:]...), "pair %d", i)
		assert.Equal(t, tx(i).Hash(), answers[i][0].Hash, "pair %d: the transfer sent", i)
		assert.Equal(t, answers[i][0].Hash, answers[i][1].Hash, "pair %d split", i)
	}

	waitCtx, cancel := context.WithTimeout(ctx, awaitTime)
	defer cancel()
	for i := range pairs {
		st, err := client.WaitIncluded(waitCtx, answers[i][0].ID, nil)
		require.NoError(t, err, "transaction %s mined", key(i))
		require.Equal(t, bankclient.Included, st.State, "transaction %s mined: %s", key(i), st.Reason)
	}

	require.NoError(t, bankProc.cmd.Process.Kill())
	<-bankProc.done
	_, client = startBank()
	for i := range pairs {
		st, err := client.Submit(ctx, tx(i), key(i))
		require.NoError(t, err, "retry of %s after the crash", key(i))
		assert.Equal(t, answers[i][0].ID, st.ID)
		assert.Equal(t, answers[i][0].Hash, st.Hash, "%s: the mined transaction, not a new one", key(i))
		assert.Equal(t, bankclient.Included, st.State)
		assert.NotZero(t, st.BlockHash)
		assert.NotZero(t, st.Height)
	}
	_, err := client.Submit(ctx, chain.transfer(t, sender(0), "shop", 1000, 1), key(0))
	var pe *bankclient.ProblemError
	if assert.ErrorAs(t, err, &pe, "a key with another transfer, after the crash") {
		assert.Equal(t, http.StatusUnprocessableEntity, pe.Status)
	}
}
