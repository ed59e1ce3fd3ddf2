package scheduler_test

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
	"github.com/eventchain/eventchain/examples/internal/scheduler"
)

// keys returns consensustest's keys of the names.
func keys(names ...string) []blockchain.PrivateKey {
	out := make([]blockchain.PrivateKey, len(names))
	for i, n := range names {
		out[i] = consensustest.Key(n)
	}
	return out
}

// serve serves bank on loopback and returns its URL. Its client keeps no
// connection alive, so that a connection the test breaks is never retried
// by the transport behind the scheduler's back.
func serve(t *testing.T, bank http.Handler) (url string, client *http.Client) {
	t.Helper()
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)
	return srv.URL, &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// testContext is a context that ends the test's wait for a hung Run.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// count returns how many requests match method and path.
func count(reqs []bankclienttest.Request, method, path string) int {
	n := 0
	for _, r := range reqs {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// checkNonces asserts that each sender's transfers carry consecutive
// nonces from its first, and returns the first nonce of each.
func checkNonces(t *testing.T, txs []blockchain.Transaction) map[blockchain.Address]uint64 {
	t.Helper()
	first, next := map[blockchain.Address]uint64{}, map[blockchain.Address]uint64{}
	for _, tx := range txs {
		if n, ok := next[tx.From()]; ok {
			assert.Equal(t, n, tx.Nonce(), "nonces of %s follow each other", tx.From())
		} else {
			first[tx.From()] = tx.Nonce()
		}
		next[tx.From()] = tx.Nonce() + 1
	}
	return first
}

func TestRunSendsSignedTransfers(t *testing.T) {
	bank, err := bankclienttest.New(consensustest.Spec())
	require.NoError(t, err)
	url, client := serve(t, bank)
	var stats scheduler.Stats
	cast := keys("alice", "bob", "carol")
	err = scheduler.Run(testContext(t), scheduler.Config{BankURL: url, Client: client, Every: time.Millisecond, Count: 20, Fee: 1,
		Keys: cast, Stats: &stats, Rand: rand.New(rand.NewPCG(1, 2))})
	require.NoError(t, err)
	assert.Equal(t, uint64(20), stats.Accepted.Load())
	assert.Zero(t, stats.Refused.Load())
	assert.Zero(t, stats.Failed.Load())
	assert.Zero(t, stats.Skipped.Load())

	ours := map[blockchain.Address]bool{}
	for _, k := range cast {
		ours[k.Address()] = true
	}
	txs := bank.Submitted()
	require.Len(t, txs, 20)
	senders := map[blockchain.Address]bool{}
	for _, tx := range txs {
		require.NoError(t, blockchain.CheckTransactionSanity(tx), "signed and well formed")
		assert.Equal(t, consensustest.Spec().ChainID, tx.ChainID())
		assert.True(t, ours[tx.From()], "sender is one of the keys")
		assert.True(t, ours[tx.To()], "receiver is one of the keys")
		assert.NotEqual(t, tx.From(), tx.To())
		assert.GreaterOrEqual(t, tx.Amount(), int64(1))
		assert.LessOrEqual(t, tx.Amount(), int64(1_000_000/100), "at most 1% of the balance")
		assert.Equal(t, int64(1), tx.Fee())
		senders[tx.From()] = true
	}
	assert.Len(t, senders, 3, "every account sends")
	for _, first := range checkNonces(t, txs) {
		assert.Zero(t, first)
	}

	reqs := bank.Requests()
	assert.Equal(t, 1, count(reqs, http.MethodGet, "/chain/spec"), "the spec is read once")
	for _, k := range cast {
		assert.Equal(t, 1, count(reqs, http.MethodGet, "/accounts/"+k.Address().String()), "each account is read once")
	}
	i := 0
	for _, r := range reqs {
		if r.Method == http.MethodPost {
			assert.Equal(t, txs[i].Hash().String(), r.IdempotencyKey, "the key is the transaction's hash")
			i++
		}
	}
}

// abort breaks the connection without an answer.
func abort(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }

func TestRunSendsTheSameTransferAgainAfterAFailure(t *testing.T) {
	tests := []struct {
		name   string
		answer http.HandlerFunc
	}{
		{"503", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}},
		{"500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }},
		{"no answer", abort},
		{"unreadable answer", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"id":`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bank, err := bankclienttest.New(consensustest.Spec())
			require.NoError(t, err)
			var posts atomic.Int32
			bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodPost && posts.Add(1) <= 2 {
					tc.answer(w, r)
					return true
				}
				return false
			})
			url, client := serve(t, bank)
			var stats scheduler.Stats
			err = scheduler.Run(testContext(t), scheduler.Config{BankURL: url, Client: client, Every: time.Millisecond, Count: 5,
				Keys: keys("alice", "bob"), Stats: &stats, Rand: rand.New(rand.NewPCG(3, 4))})
			require.NoError(t, err)
			assert.Equal(t, uint64(5), stats.Accepted.Load())
			assert.Equal(t, uint64(2), stats.Failed.Load())
			assert.Zero(t, stats.Refused.Load())

			var postKeys []string
			for _, r := range bank.Requests() {
				if r.Method == http.MethodPost {
					postKeys = append(postKeys, r.IdempotencyKey)
				}
			}
			txs := bank.Submitted()
			require.Len(t, txs, 5)
			require.Len(t, postKeys, 7)
			first := txs[0].Hash().String()
			assert.Equal(t, []string{first, first, first}, postKeys[:3], "the failed transfer is sent again, the very same")
			checkNonces(t, txs)
		})
	}
}

func TestRunReadsTheAccountAgainAfterABadNonce(t *testing.T) {
	bank, err := bankclienttest.New(consensustest.Spec())
	require.NoError(t, err)
	url, client := serve(t, bank)
	ctx := testContext(t)

	// Another client of alice's key spent from her account: nonce 0 is used.
	c, err := bankclient.New(url, client)
	require.NoError(t, err)
	_, err = c.Submit(ctx, consensustest.Transfer("alice", "dave", 10, 0), "")
	require.NoError(t, err)
	bank.Mine()

	// But the scheduler's first read of her account is stale.
	alice := consensustest.Addr("alice")
	var stale atomic.Bool
	bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/accounts/"+alice.String() && !stale.Swap(true) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(bankclient.Account{Address: alice, Balance: 1_000_000})
			return true
		}
		return false
	})

	var stats scheduler.Stats
	err = scheduler.Run(ctx, scheduler.Config{BankURL: url, Client: client, Every: time.Millisecond, Count: 10,
		Keys: keys("alice", "bob"), Stats: &stats, Rand: rand.New(rand.NewPCG(5, 6))})
	require.NoError(t, err)
	assert.Equal(t, uint64(10), stats.Accepted.Load())
	assert.Equal(t, uint64(1), stats.Refused.Load(), "one transfer with the stale nonce")
	assert.Equal(t, 2, count(bank.Requests(), http.MethodGet, "/accounts/"+alice.String()), "read again after the refusal")
	txs := bank.Submitted()[1:] // the other client's first
	require.Len(t, txs, 10)
	first := checkNonces(t, txs)
	require.Contains(t, first, alice)
	assert.Equal(t, uint64(1), first[alice], "alice's next nonce, read again")
}

// TestRunReadsTheSpecAgainAfterAWrongChain: a bank that runs another
// chain than the one the scheduler read (its log was replaced) refused
// every transfer, for ever. The scheduler reads the spec and the
// accounts again.
func TestRunReadsTheSpecAgainAfterAWrongChain(t *testing.T) {
	bank, err := bankclienttest.New(consensustest.Spec())
	require.NoError(t, err)
	url, client := serve(t, bank)
	ctx := testContext(t)

	// The first read of the spec is of the chain before.
	var before atomic.Bool
	bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/chain/spec" && !before.Swap(true) {
			old := consensustest.Spec()
			old.ChainID = "the-chain-before"
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(old)
			return true
		}
		return false
	})

	var stats scheduler.Stats
	err = scheduler.Run(ctx, scheduler.Config{BankURL: url, Client: client, Every: time.Millisecond, Count: 5,
		Keys: keys("alice", "bob"), Stats: &stats, Rand: rand.New(rand.NewPCG(7, 8))})
	require.NoError(t, err)
	assert.Equal(t, uint64(5), stats.Accepted.Load())
	assert.Equal(t, uint64(1), stats.Refused.Load(), "one transfer signed for the chain before")
	assert.Equal(t, 2, count(bank.Requests(), http.MethodGet, "/chain/spec"), "read again after the refusal")
	for _, tx := range bank.Submitted() {
		assert.Equal(t, consensustest.Spec().ChainID, tx.ChainID())
	}
}

func TestRunSendsOnlyFromAccountsThatCanPay(t *testing.T) {
	rich, poor, empty := consensustest.Key("alice"), consensustest.Key("bob"), consensustest.Key("carol")
	spec := bankclienttest.Spec("eventchain-test", map[blockchain.Address]int64{rich.Address(): 1_000_000, poor.Address(): 104})
	bank, err := bankclienttest.New(spec)
	require.NoError(t, err)
	url, client := serve(t, bank)
	var stats scheduler.Stats
	err = scheduler.Run(testContext(t), scheduler.Config{BankURL: url, Client: client, Every: time.Millisecond, Count: 10, Fee: 5,
		Keys: []blockchain.PrivateKey{rich, poor, empty}, Stats: &stats, Rand: rand.New(rand.NewPCG(7, 8))})
	require.NoError(t, err)
	receivers := map[blockchain.Address]bool{}
	for _, tx := range bank.Submitted() {
		assert.Equal(t, rich.Address(), tx.From(), "104 - fee 5 is less than 100: bob does not send, nor carol with nothing")
		receivers[tx.To()] = true
	}
	assert.Len(t, receivers, 2, "the poor receive")
	assert.Zero(t, stats.Skipped.Load())
}

func TestRunWaitsWhenNoAccountCanPay(t *testing.T) {
	a, b := consensustest.Key("alice"), consensustest.Key("bob")
	bank, err := bankclienttest.New(bankclienttest.Spec("eventchain-test", map[blockchain.Address]int64{a.Address(): 99, b.Address(): 50}))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	var reads atomic.Int32
	bank.Intercept(func(http.ResponseWriter, *http.Request) bool {
		if reads.Add(1) == 10 { // the spec, then each tick reads both accounts (twice on the first)
			cancel()
		}
		return false
	})
	url, client := serve(t, bank)
	var stats scheduler.Stats
	err = scheduler.Run(ctx, scheduler.Config{BankURL: url, Client: client, Every: time.Millisecond, Keys: []blockchain.PrivateKey{a, b}, Stats: &stats})
	assert.ErrorIs(t, err, context.Canceled)
	assert.GreaterOrEqual(t, stats.Skipped.Load(), uint64(1))
	assert.Zero(t, stats.Accepted.Load()+stats.Refused.Load())
	assert.Zero(t, count(bank.Requests(), http.MethodPost, "/transactions"))
}

func TestRunWaitsForTheBankToStart(t *testing.T) {
	bank, err := bankclienttest.New(consensustest.Spec())
	require.NoError(t, err)
	bank.FailNext(3, http.StatusServiceUnavailable)
	url, client := serve(t, bank)
	var stats scheduler.Stats
	err = scheduler.Run(testContext(t), scheduler.Config{BankURL: url, Client: client, Every: time.Millisecond, Count: 3,
		Keys: keys("alice", "bob"), Stats: &stats})
	require.NoError(t, err)
	assert.Equal(t, uint64(3), stats.Failed.Load())
	assert.Equal(t, uint64(3), stats.Accepted.Load())
	assert.Equal(t, 4, count(bank.Requests(), http.MethodGet, "/chain/spec"))
}

func TestRunRejectsBadConfig(t *testing.T) {
	ok := scheduler.Config{BankURL: "http://localhost:8080", Every: time.Second, Keys: keys("alice", "bob")}
	tests := []struct {
		name  string
		edit  func(*scheduler.Config)
		error string
	}{
		{"no pause", func(c *scheduler.Config) { c.Every = 0 }, "Every"},
		{"negative count", func(c *scheduler.Config) { c.Count = -1 }, "Count"},
		{"negative fee", func(c *scheduler.Config) { c.Fee = -1 }, "Fee"},
		{"fee too large", func(c *scheduler.Config) { c.Fee = blockchain.MaxAmount + 1 }, "Fee"},
		{"URL without scheme", func(c *scheduler.Config) { c.BankURL = "localhost:8080" }, "bank URL"},
		{"ftp URL", func(c *scheduler.Config) { c.BankURL = "ftp://x" }, "bank URL"},
		{"no keys", func(c *scheduler.Config) { c.Keys = nil }, "Keys"},
		{"one key", func(c *scheduler.Config) { c.Keys = keys("alice") }, "Keys"},
		{"a key twice", func(c *scheduler.Config) { c.Keys = keys("alice", "bob", "alice") }, "Keys[2]"},
		{"zero key", func(c *scheduler.Config) { c.Keys = append(keys("alice"), blockchain.PrivateKey{}) }, "Keys[1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			err := scheduler.Run(context.Background(), cfg)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tc.error), "have %q, want it to name %s", err, tc.error)
		})
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	bank, err := bankclienttest.New(consensustest.Spec())
	require.NoError(t, err)
	url, client := serve(t, bank)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stats scheduler.Stats
	err = scheduler.Run(ctx, scheduler.Config{BankURL: url, Client: client, Every: time.Hour, Keys: keys("alice", "bob"), Stats: &stats})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, stats.Failed.Load(), "a request cut short by the end is no failure")
}
