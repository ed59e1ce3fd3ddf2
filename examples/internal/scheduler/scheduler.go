// Package scheduler is a client of the bank: it posts random valid
// transactions to the bank's HTTP API at a steady pace, the way the
// original project's scheduler was meant to ("produces transactions every
// X seconds"). The examples/scheduler and examples/devnet apps run it.
//
// Each transaction goes out with an Idempotency-Key, so a request that
// timed out is retried safely: the bank cannot accept it twice.
//
// # Errors
//
// Run returns ctx.Err() when its context ends, nil after Count
// transactions, or an error for a configuration it cannot use. Failed
// requests are logged and counted (Stats), never fatal: the bank may be
// restarting.
package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Config configures Run. BankURL and Every are required.
type Config struct {
	// BankURL is the bank's base URL, e.g. http://localhost:8080.
	BankURL string
	// Every is the pause between two transactions.
	Every time.Duration
	// Count stops Run after this many accepted transactions; 0 means never.
	Count int
	// Accounts are the names transactions move money between; nil means
	// a small default cast.
	Accounts []string
	// Client sends the requests; nil means a client with a 10 s timeout.
	Client *http.Client
	// Rand picks accounts and amounts; nil means a random source.
	Rand *rand.Rand
	// Logger receives failed requests; nil discards them.
	Logger *slog.Logger
	// Stats, if set, is updated as Run goes.
	Stats *Stats
}

// Stats counts what Run did. Read it with the atomic methods.
type Stats struct {
	Accepted atomic.Uint64 // 202 answers
	Refused  atomic.Uint64 // 4xx answers
	Failed   atomic.Uint64 // 5xx answers and network errors
}

var defaultAccounts = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}

// Run posts a transaction every cfg.Every until ctx ends or cfg.Count are accepted.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Every <= 0 {
		return fmt.Errorf("scheduler: Every: have %v, want > 0", cfg.Every)
	}
	base, err := url.Parse(cfg.BankURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("scheduler: BankURL: have %q, want http://host:port", cfg.BankURL)
	}
	endpoint := base.JoinPath("transactions").String()
	accounts := cfg.Accounts
	if len(accounts) < 2 {
		accounts = defaultAccounts
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	rnd := cfg.Rand
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	stats := cfg.Stats
	if stats == nil {
		stats = new(Stats)
	}
	ticker := time.NewTicker(cfg.Every)
	defer ticker.Stop()
	for {
		from := rnd.IntN(len(accounts))
		to := (from + 1 + rnd.IntN(len(accounts)-1)) % len(accounts)
		body, _ := json.Marshal(map[string]any{"from": accounts[from], "to": accounts[to], "amount": 1 + rnd.Int64N(10_000)})
		status, err := post(ctx, client, endpoint, body, uuid.NewString())
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil || status >= 500:
			stats.Failed.Add(1)
			logger.Warn("post failed", "status", status, "err", err)
		case status == http.StatusAccepted:
			if n := stats.Accepted.Add(1); cfg.Count > 0 && n >= uint64(cfg.Count) {
				return nil
			}
		default:
			stats.Refused.Add(1)
			logger.Warn("transaction refused", "status", status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// post sends one transaction, retrying once with the same key if the
// request fails before an answer.
func post(ctx context.Context, client *http.Client, endpoint string, body []byte, key string) (int, error) {
	var err error
	for range 2 {
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		var resp *http.Response
		resp, err = client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode, nil
		}
		if errors.Is(err, context.Canceled) {
			return 0, err
		}
	}
	return 0, err
}
