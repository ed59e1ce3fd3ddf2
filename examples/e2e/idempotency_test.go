package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/examples/internal/bank"
)

// postKeyed sends body with an Idempotency-Key and decodes a 202.
func postKeyed(t *testing.T, url, body, key string) (int, bank.TransactionStatus) {
	t.Helper()
	resp, err := http.DefaultClient.Do(newPost(t, url, body, key))
	if !assert.NoError(t, err) {
		return 0, bank.TransactionStatus{}
	}
	defer resp.Body.Close()
	var st bank.TransactionStatus
	if resp.StatusCode == http.StatusAccepted {
		assert.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	}
	return resp.StatusCode, st
}

// TestIdempotencyKeyAcrossABankCrash runs a bank and a miner as processes
// on an esdbtest server. 40 pairs of requests, each pair sharing a key
// and a body, are sent at once: no pair's answers split. Once every
// transaction is mined, the bank is killed (SIGKILL) and started again:
// each key, retried, gets its mined transaction — the same hash, with
// its block and height — and a key with another body gets 422.
func TestIdempotencyKeyAcrossABankCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bank and a miner as processes; skipped with -short")
	}
	bins := build(t, "./examples/bank", "./examples/miner")
	server := esdbtest.New(esdbtest.Config{Addr: "127.0.0.1:0"})
	require.NoError(t, server.Start())
	t.Cleanup(server.Close)
	common := []string{"-eventlog", server.ConnString(), "-difficulty", difficulty}
	startBank := func() (*process, string) {
		p := start(t, "bank", bins["bank"], append(common, "-addr", "127.0.0.1:0")...)
		url := p.await(t, regexp.MustCompile(`listening on (\S+)`))
		eventually(t, "the bank to be ready", func() bool {
			return getJSON(t, url+"/readyz", new(map[string]string)) == http.StatusOK
		})
		return p, url
	}
	bankProc, bankURL := startBank()
	start(t, "miner", bins["miner"], append(common, "-id", "miner-1", "-workers", "1", "-max-wait", "200ms", "-metrics", "")...)

	const pairs = 40
	body := func(i int) string { return fmt.Sprintf(`{"from":"client-%d","to":"shop","amount":%d}`, i, i+1) }
	key := func(i int) string { return fmt.Sprintf("order-%d", i) }
	var answers [pairs][2]bank.TransactionStatus
	var statuses [pairs][2]int
	var wg sync.WaitGroup
	for i := range pairs {
		for j := range 2 {
			wg.Go(func() { statuses[i][j], answers[i][j] = postKeyed(t, bankURL, body(i), key(i)) })
		}
	}
	wg.Wait()
	for i := range pairs {
		require.Equal(t, [2]int{http.StatusAccepted, http.StatusAccepted}, statuses[i], "pair %d", i)
		require.NotNil(t, answers[i][0].Hash)
		assert.Equal(t, answers[i][0].Hash, answers[i][1].Hash, "pair %d split", i)
	}

	for i := range pairs {
		eventually(t, "transaction "+key(i)+" mined", func() bool {
			var st bank.TransactionStatus
			require.Equal(t, http.StatusOK, getJSON(t, bankURL+"/transactions/"+answers[i][0].ID.String(), &st))
			return st.Status == bank.StatusIncluded
		})
	}

	require.NoError(t, bankProc.cmd.Process.Kill())
	<-bankProc.done
	_, bankURL = startBank()
	for i := range pairs {
		status, st := postKeyed(t, bankURL, body(i), key(i))
		require.Equal(t, http.StatusAccepted, status, "retry of %s after the crash", key(i))
		assert.Equal(t, answers[i][0].ID, st.ID)
		assert.Equal(t, answers[i][0].Hash, st.Hash, "%s: the mined transaction, not a new one", key(i))
		assert.Equal(t, bank.StatusIncluded, st.Status)
		assert.NotNil(t, st.BlockHash)
		assert.NotNil(t, st.Height)
	}
	status, _ := postKeyed(t, bankURL, `{"from":"mallory","to":"shop","amount":1000}`, key(0))
	assert.Equal(t, http.StatusUnprocessableEntity, status, "a key with another body, after the crash")
}
