package scheduler_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/scheduler"
)

// fakeBank accepts every well-formed transaction, after answering 503 to
// its first `failures` requests.
type fakeBank struct {
	mu       sync.Mutex
	keys     map[string]int
	bodies   []map[string]any
	failures int
}

func (f *fakeBank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/transactions" || r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	f.keys[key]++
	if f.failures > 0 {
		f.failures--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var body map[string]any
	if json.NewDecoder(r.Body).Decode(&body) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.bodies = append(f.bodies, body)
	w.WriteHeader(http.StatusAccepted)
}

func TestRunPostsValidTransactions(t *testing.T) {
	bank := &fakeBank{keys: map[string]int{}, failures: 2}
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)
	var stats scheduler.Stats
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := scheduler.Run(ctx, scheduler.Config{BankURL: srv.URL, Every: time.Millisecond, Count: 10, Stats: &stats, Rand: rand.New(rand.NewPCG(1, 2))})
	require.NoError(t, err)
	assert.Equal(t, uint64(10), stats.Accepted.Load())
	assert.Equal(t, uint64(2), stats.Failed.Load())
	bank.mu.Lock()
	defer bank.mu.Unlock()
	require.Len(t, bank.bodies, 10)
	for _, b := range bank.bodies {
		assert.NotEqual(t, b["from"], b["to"])
		amount, ok := b["amount"].(float64)
		require.True(t, ok)
		assert.GreaterOrEqual(t, amount, 1.0)
	}
	for key, n := range bank.keys {
		assert.NotEmpty(t, key)
		assert.LessOrEqual(t, n, 1, "a key is sent again only after a network error")
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	for _, cfg := range []scheduler.Config{
		{BankURL: "http://localhost:8080"},
		{BankURL: "localhost:8080", Every: time.Second},
		{BankURL: "ftp://x", Every: time.Second},
	} {
		assert.Error(t, scheduler.Run(context.Background(), cfg))
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	srv := httptest.NewServer(&fakeBank{keys: map[string]int{}})
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, scheduler.Run(ctx, scheduler.Config{BankURL: srv.URL, Every: time.Hour}), context.Canceled)
}
