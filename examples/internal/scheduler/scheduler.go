package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
)

// Config configures Run. BankURL, Every and Keys are required.
type Config struct {
	// BankURL is the bank's base URL, e.g. http://localhost:8080.
	BankURL string
	// Every is the pause between two transfers.
	Every time.Duration
	// Count stops Run after this many accepted transfers; 0 means never.
	Count int
	// Keys are the accounts transfers move money between, each signing
	// for its own: at least two, of different addresses. Only accounts
	// with funds send; any of them may receive.
	Keys []blockchain.PrivateKey
	// Fee is the fee of every transfer, in minor units, 0…MaxAmount.
	Fee int64
	// Client sends the requests; nil means bankclient.New's: a client
	// with bankclient.DefaultTimeout that follows no redirect.
	Client *http.Client
	// Rand picks senders, receivers and amounts; nil means a random
	// source.
	Rand *rand.Rand
	// Logger receives failed and refused requests; nil discards them.
	Logger *slog.Logger
	// Stats, if set, is updated as Run goes.
	Stats *Stats
}

// Stats counts what Run did. Read it with the atomic methods; it may be
// read while Run goes on.
type Stats struct {
	Accepted atomic.Uint64 // transfers the bank accepted (202)
	Refused  atomic.Uint64 // transfers the bank refused (4xx), given up
	Failed   atomic.Uint64 // requests with no answer, a 5xx or an unreadable answer; retried
	Skipped  atomic.Uint64 // ticks let pass because no account could pay
}

// minSpendable is the least an account must be able to spend, beyond the
// fee, to send: an amount is 1 to 1% of it.
const minSpendable = 100

// account is what Run keeps of one of its keys.
type account struct {
	key       blockchain.PrivateKey
	index     int    // in scheduler.accounts
	loaded    bool   // nonce and spendable are read from the bank, not stale
	nonce     uint64 // the next transfer's nonce
	spendable int64  // the balance read, less what was sent since
}

// transfer is a signed transaction and whose it is.
type transfer struct {
	tx     blockchain.Transaction
	sender *account
}

// scheduler is one Run.
type scheduler struct {
	cfg      Config
	client   *bankclient.Client
	rnd      *rand.Rand
	logger   *slog.Logger
	stats    *Stats
	chainID  string // "" until the spec is read
	accounts []*account
	retry    *transfer // a transfer that got no answer, to send again
}

// Run signs and posts a transfer every cfg.Every until ctx ends or
// cfg.Count are accepted. See the package documentation for what it does
// and what it returns.
func Run(ctx context.Context, cfg Config) error {
	s, err := newScheduler(cfg)
	if err != nil {
		return err
	}
	ticker := time.NewTicker(cfg.Every)
	defer ticker.Stop()
	for {
		s.step(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if cfg.Count > 0 && s.stats.Accepted.Load() >= uint64(cfg.Count) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// newScheduler checks cfg and fills in its defaults.
func newScheduler(cfg Config) (*scheduler, error) {
	if cfg.Every <= 0 {
		return nil, fmt.Errorf("scheduler: Every: have %v, want > 0", cfg.Every)
	}
	if cfg.Count < 0 {
		return nil, fmt.Errorf("scheduler: Count: have %d, want ≥ 0", cfg.Count)
	}
	if cfg.Fee < 0 || cfg.Fee > blockchain.MaxAmount {
		return nil, fmt.Errorf("scheduler: Fee: have %d, want 0…%d", cfg.Fee, blockchain.MaxAmount)
	}
	client, err := bankclient.New(cfg.BankURL, cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if len(cfg.Keys) < 2 {
		return nil, fmt.Errorf("scheduler: Keys: have %d, want at least 2", len(cfg.Keys))
	}
	s := &scheduler{cfg: cfg, client: client, rnd: cfg.Rand, logger: cfg.Logger, stats: cfg.Stats}
	seen := map[blockchain.Address]int{}
	for i, k := range cfg.Keys {
		if k.Public() == (blockchain.PublicKey{}) {
			return nil, fmt.Errorf("scheduler: Keys[%d]: the zero PrivateKey holds no key", i)
		}
		if j, dup := seen[k.Address()]; dup {
			return nil, fmt.Errorf("scheduler: Keys[%d]: %s is Keys[%d] already", i, k.Address(), j)
		}
		seen[k.Address()] = i
		s.accounts = append(s.accounts, &account{key: k, index: i})
	}
	if s.rnd == nil {
		s.rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.stats == nil {
		s.stats = new(Stats)
	}
	return s, nil
}

// step does one tick's work: read what is missing, then send one transfer.
func (s *scheduler) step(ctx context.Context) {
	if s.chainID == "" {
		spec, err := s.client.Spec(ctx)
		if err != nil {
			s.failed(ctx, "read the chain spec", err)
			return
		}
		s.chainID = spec.ChainID
		s.logger.Info("sending transfers", "chain", s.chainID, "accounts", len(s.accounts))
	}
	if s.retry != nil {
		s.submit(ctx, *s.retry)
		return
	}
	if !s.load(ctx, false) {
		return
	}
	senders := s.senders()
	if len(senders) == 0 {
		// They may have received transfers since they were read.
		if !s.load(ctx, true) {
			return
		}
		if senders = s.senders(); len(senders) == 0 {
			s.stats.Skipped.Add(1)
			s.logger.Warn("no account can pay a transfer", "fee", s.cfg.Fee)
			return
		}
	}
	from := senders[s.rnd.IntN(len(senders))]
	i := s.rnd.IntN(len(s.accounts) - 1) // any account but from
	if i >= from.index {
		i++
	}
	to := s.accounts[i]
	amount := 1 + s.rnd.Int64N((from.spendable-s.cfg.Fee)/minSpendable)
	tx := blockchain.Transfer{ChainID: s.chainID, To: to.key.Address(), Amount: amount, Fee: s.cfg.Fee, Nonce: from.nonce}.Sign(from.key)
	s.submit(ctx, transfer{tx: tx, sender: from})
}

// load reads the accounts that are not loaded, or all of them if all is
// set. It reports whether every read succeeded.
func (s *scheduler) load(ctx context.Context, all bool) bool {
	for _, a := range s.accounts {
		if a.loaded && !all {
			continue
		}
		acct, err := s.client.Account(ctx, a.key.Address())
		if err != nil {
			s.failed(ctx, "read an account", err, "address", a.key.Address())
			return false
		}
		a.loaded, a.nonce, a.spendable = true, acct.NextNonce, acct.Balance
	}
	return true
}

// senders returns the accounts that can pay a transfer.
func (s *scheduler) senders() []*account {
	var out []*account
	for _, a := range s.accounts {
		if a.loaded && a.spendable-s.cfg.Fee >= minSpendable {
			out = append(out, a)
		}
	}
	return out
}

// submit posts t and accounts for the answer.
func (s *scheduler) submit(ctx context.Context, t transfer) {
	s.retry = nil
	st, err := s.client.Submit(ctx, t.tx, t.tx.Hash().String())
	var pe *bankclient.ProblemError
	switch {
	case ctx.Err() != nil:
		s.retry = &t
	case err == nil && st.State == bankclient.Dropped:
		// The same transaction was posted before, and dropped since.
		s.stats.Refused.Add(1)
		t.sender.loaded = false
		s.logger.Warn("transfer dropped", "tx", t.tx.ID(), "reason", st.Reason, "rule", st.Rule)
	case err == nil:
		t.sender.nonce = t.tx.Nonce() + 1
		t.sender.spendable -= t.tx.Amount() + t.tx.Fee()
		s.stats.Accepted.Add(1)
	case errors.As(err, &pe) && pe.Status < 500:
		s.stats.Refused.Add(1)
		s.logger.Warn("transfer refused", "tx", t.tx.ID(), "status", pe.Status, "rule", pe.Problem.Rule, "field", pe.Problem.Field, "detail", pe.Problem.Detail)
		switch {
		case errors.Is(err, blockchain.ErrBadNonce), errors.Is(err, blockchain.ErrInsufficientFunds):
			t.sender.loaded = false
		case errors.Is(err, blockchain.ErrWrongChain):
			// The bank runs another chain now (its log was replaced):
			// read its spec, and every account, again.
			s.chainID = ""
			for _, a := range s.accounts {
				a.loaded = false
			}
		}
	default:
		// No answer, a 5xx, or an answer that could not be read: the
		// bank may or may not have the transfer, and sending it again
		// is safe.
		s.retry = &t
		s.failed(ctx, "submit a transfer", err, "tx", t.tx.ID())
	}
}

// failed counts and logs a request that failed, unless ctx ended.
func (s *scheduler) failed(ctx context.Context, what string, err error, args ...any) {
	if ctx.Err() != nil {
		return
	}
	s.stats.Failed.Add(1)
	s.logger.Warn(what+" failed", append(args, "err", err, "retryable", bankclient.IsRetryable(err))...)
}
