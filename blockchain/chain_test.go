package blockchain_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// testNow is the clock of most test chains: well after every block they
// make, so that no block is too far ahead.
var testNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// testConfig is consensustest's chain with the fake engine and testNow.
func testConfig() blockchain.Config {
	cfg := consensustest.Config(consensustest.NewFaker())
	cfg.Now = func() time.Time { return testNow }
	return cfg
}

// mustChain builds a chain or fails the test.
func mustChain(tb testing.TB, cfg blockchain.Config) *blockchain.Chain {
	tb.Helper()
	c, err := blockchain.NewChain(cfg)
	require.NoError(tb, err)
	return c
}

// mustGenerate builds n sealed blocks on the genesis of consensustest's
// spec with the fake engine. The blocks apply to any chain of that spec.
func mustGenerate(tb testing.TB, n int, gen func(int, *consensustest.BlockGen)) []*blockchain.Block {
	tb.Helper()
	return mustGenerateOn(tb, mustChain(tb, testConfig()), n, gen)
}

// mustGenerateOn builds n sealed blocks on chain's tip with the fake
// engine and applies them to chain.
func mustGenerateOn(tb testing.TB, chain *blockchain.Chain, n int, gen func(int, *consensustest.BlockGen)) []*blockchain.Block {
	tb.Helper()
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), chain, n, gen)
	require.NoError(tb, err)
	return blocks
}

// handBlock builds the next block on chain's tip by hand, paying miner:
// its state root is the one txs lead to, whatever rule they break that
// the state transition does not check (a signature, a chain ID).
func handBlock(tb testing.TB, chain *blockchain.Chain, txs []blockchain.Transaction, at time.Time) *blockchain.Block {
	tb.Helper()
	batch := chain.State().Batch()
	fees := int64(0)
	for _, tx := range txs {
		require.NoError(tb, batch.Transfer(tx.From(), tx.To(), tx.Amount(), tx.Fee(), tx.Nonce()), "precondition: %s applies", tx)
		fees += tx.Fee()
	}
	require.NoError(tb, batch.Credit(consensustest.Addr("miner"), chain.Spec().BlockReward+fees))
	h := blockchain.NextHeader(chain.Tip(), txs, at)
	h.Beneficiary = consensustest.Addr("miner")
	h.StateRoot = batch.Root()
	return blockchain.NewBlock(h, txs)
}

// signedBy signs f with name's key, whatever f's sender: for
// transactions that must break a rule.
func signedBy(f blockchain.TxFields, name string) blockchain.Transaction {
	sig := consensustest.Key(name).Sign(f.SignedMessage())
	return blockchain.NewTransaction(f, sig[:])
}

// chainLook is what a test can see of a chain: a rejected block must not
// change any of it.
type chainLook struct {
	Height    uint64
	TipHash   blockchain.Hash
	Tip       blockchain.Header
	State     *blockchain.State
	StateRoot blockchain.Hash
	Accounts  map[string]blockchain.Account
}

func look(c *blockchain.Chain) chainLook {
	l := chainLook{Height: c.Height(), TipHash: c.TipHash(), Tip: c.Tip(), State: c.State(), Accounts: map[string]blockchain.Account{}}
	l.StateRoot = l.State.Root()
	for _, name := range slices.Concat(consensustest.Accounts, []string{"nobody"}) {
		l.Accounts[name] = c.Account(consensustest.Addr(name))
	}
	return l
}

// assertUnchanged checks that nothing of chain changed since before, the
// State not even in memory.
func assertUnchanged(t *testing.T, before chainLook, chain *blockchain.Chain, msgAndArgs ...any) {
	t.Helper()
	after := look(chain)
	assert.Same(t, before.State, after.State, msgAndArgs...)
	assert.Equal(t, before, after, msgAndArgs...)
}

// TestChainCases applies the fixed accept/reject table of consensustest,
// with and without a window: every accepted block becomes the tip with
// its state root, every rejected one fails with its code and leaves the
// chain as it was. Check, asked first, gives Apply's answer and changes
// nothing.
func TestChainCases(t *testing.T) {
	cases := consensustest.ChainCases()
	for _, window := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("window=%d", window), func(t *testing.T) {
			cfg := consensustest.CaseConfig()
			cfg.Window = window
			chain := mustChain(t, cfg)
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					before := look(chain)
					checked := chain.ReadOnly().Check(c.Block)
					assertUnchanged(t, before, chain, "Check changes nothing")
					err := chain.Apply(c.Block)
					if c.Accepted() {
						require.NoError(t, checked, "Check answers as Apply")
						require.NoError(t, err)
						assert.Equal(t, c.Block.Hash(), chain.TipHash())
						assert.Equal(t, before.Height+1, chain.Height())
						assert.Equal(t, c.Block.Header().StateRoot, chain.State().Root(), "the chain's state is the header's")
						tip, ok := chain.BlockAt(chain.Height())
						require.True(t, ok, "the tip is kept whole, whatever the window")
						assert.Same(t, c.Block, tip)
						return
					}
					require.Error(t, err, "want %s", c.Want)
					assert.ErrorIs(t, err, c.Want)
					assert.ErrorIs(t, checked, c.Want, "Check answers as Apply")
					var re *blockchain.RuleError
					require.ErrorAs(t, err, &re)
					assert.Equal(t, c.Want, re.Code, "the first rule broken: %v", err)
					assertUnchanged(t, before, chain, "a rejected block must leave the chain unchanged")
					if window > 0 {
						_, ok := chain.BlockAt(before.Height)
						assert.True(t, ok, "the tip is still kept whole")
					}
				})
			}
		})
	}
}

// TestChainCasesCoverEveryChainRule: every rule a block can break on its
// way into a chain has a case, but for those the cases cannot reach
// (TestApplyRejectsTheRest has them).
func TestChainCasesCoverEveryChainRule(t *testing.T) {
	covered := map[blockchain.ErrorCode]bool{}
	for _, c := range consensustest.ChainCases() {
		covered[c.Want] = true
	}
	for _, code := range []blockchain.ErrorCode{
		// Links, heights and time.
		blockchain.ErrPrevHashMismatch, blockchain.ErrBadHeight, blockchain.ErrTimeBeforeParent,
		blockchain.ErrTimeTooFarAhead, blockchain.ErrBadTimestamp,
		// The header in itself.
		blockchain.ErrBadVersion, blockchain.ErrBadBits, blockchain.ErrMissingBeneficiary, blockchain.ErrBadTxCount,
		blockchain.ErrBadMerkleRoot, blockchain.ErrDuplicateTransaction, blockchain.ErrTooManyTransactions,
		// Each transaction in itself.
		blockchain.ErrInvalidAmount, blockchain.ErrInvalidFee, blockchain.ErrMissingReceiver, blockchain.ErrSelfTransfer,
		blockchain.ErrBadChainID, blockchain.ErrSenderNotKey, blockchain.ErrBadSignature,
		// The chain and its state.
		blockchain.ErrWrongChain, blockchain.ErrBadNonce, blockchain.ErrInsufficientFunds, blockchain.ErrBadStateRoot,
		// The engine.
		blockchain.ErrInvalidSeal,
	} {
		assert.True(t, covered[code], "no case breaks %s", code)
	}
	assert.False(t, covered[blockchain.ErrUnknown] && len(covered) == 1, "the cases reject something")
}

// TestApplyRejectsTheRest: the rules ChainCases does not break, each by a
// block of its own, first rule first.
func TestApplyRejectsTheRest(t *testing.T) {
	at := testNow.Add(-time.Hour)
	for _, tc := range []struct {
		name  string
		block func(chain *blockchain.Chain) *blockchain.Block
		want  blockchain.ErrorCode
	}{
		{"a transaction from the zero address", func(chain *blockchain.Chain) *blockchain.Block {
			f := consensustest.Transfer("alice", "bob", 5, 0).Fields()
			f.From = blockchain.Address{}
			tx := signedBy(f, "alice")
			h := blockchain.NextHeader(chain.Tip(), []blockchain.Transaction{tx}, at)
			h.Beneficiary, h.StateRoot = consensustest.Addr("miner"), chain.Tip().StateRoot
			return blockchain.NewBlock(h, []blockchain.Transaction{tx})
		}, blockchain.ErrMissingSender},
		{"a seal over MaxSealLen", func(chain *blockchain.Chain) *blockchain.Block {
			b := handBlock(t, chain, nil, at)
			h := b.Header()
			h.Seal = make([]byte, blockchain.MaxSealLen+1)
			return blockchain.NewBlock(h, nil)
		}, blockchain.ErrSealTooLong},
		{"a fee over MaxAmount", func(chain *blockchain.Chain) *blockchain.Block {
			tx := consensustest.TransferFee("alice", "bob", 5, blockchain.MaxAmount+1, 0)
			h := blockchain.NextHeader(chain.Tip(), []blockchain.Transaction{tx}, at)
			h.Beneficiary, h.StateRoot = consensustest.Addr("miner"), chain.Tip().StateRoot
			return blockchain.NewBlock(h, []blockchain.Transaction{tx})
		}, blockchain.ErrInvalidFee},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain := mustChain(t, testConfig())
			before := look(chain)
			err := chain.Apply(tc.block(chain))
			assert.ErrorIs(t, err, tc.want)
			assertUnchanged(t, before, chain)
		})
	}
}

func TestRuleErrorMessage(t *testing.T) {
	chain := mustChain(t, testConfig())
	blocks := mustGenerate(t, 2, nil)
	err := chain.Apply(blocks[1]) // skips height 1
	require.Error(t, err)
	// The first failing rule is the link: block 2's parent is block 1, not genesis.
	assert.ErrorIs(t, err, blockchain.ErrPrevHashMismatch)
	assert.Contains(t, err.Error(), "rule links-to-tip")
	assert.Contains(t, err.Error(), "have "+blocks[0].Hash().String()+", want "+consensustest.Genesis().Hash().String())
}

// A block with a seal is named by its block hash, seal included: the next
// block must link to that, and the chain indexes it under that name. A
// link to the seal hash, which leaves the seal out, would not say which
// seal the chain accepted, and is refused.
func TestLinksCoverTheSeal(t *testing.T) {
	chain := mustChain(t, testConfig())
	proposed, _, err := chain.Propose(consensustest.Addr("miner"), nil, chain.Tip().Timestamp.Add(time.Second))
	require.NoError(t, err)
	h := proposed.Header()
	h.Seal = []byte("a signature, say")
	sealed := blockchain.NewBlock(h, nil)
	require.NotEqual(t, sealed.Hash(), sealed.SealHash(), "precondition: the seal changes the block hash")
	require.NoError(t, chain.Apply(sealed))

	assert.Equal(t, sealed.Hash(), chain.TipHash())
	assert.Equal(t, sealed.Hash(), chain.Tip().Hash(), "the stored header keeps its seal")
	height, ok := chain.HeightOf(sealed.Hash())
	assert.True(t, ok)
	assert.Equal(t, uint64(1), height)
	_, ok = chain.HeightOf(sealed.SealHash())
	assert.False(t, ok, "the seal hash does not name the block")

	next, _, err := chain.Propose(consensustest.Addr("miner"), nil, chain.Tip().Timestamp.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, sealed.Hash(), next.PrevHash(), "Propose links to the block hash")
	toSealHash := next.Header()
	toSealHash.PrevHash = sealed.SealHash()
	assert.ErrorIs(t, chain.Apply(blockchain.NewBlock(toSealHash, nil)), blockchain.ErrPrevHashMismatch, "a link to the seal hash")
	assert.NoError(t, chain.Apply(next))
}

// TestReadersReturnCopies: what a chain hands out — a header, its seal,
// a snapshot's headers, the spec — is the caller's to change, and a
// change never reaches the chain.
func TestReadersReturnCopies(t *testing.T) {
	sealed := func(t *testing.T, cfg blockchain.Config) *blockchain.Chain {
		chain := mustChain(t, cfg)
		proposed, _, err := chain.Propose(consensustest.Addr("miner"), nil, chain.Tip().Timestamp.Add(time.Second))
		require.NoError(t, err)
		h := proposed.Header()
		h.Seal = []byte("a signature, say")
		require.NoError(t, chain.Apply(blockchain.NewBlock(h, nil)))
		return chain
	}
	for _, tc := range []struct {
		name   string
		header func(*blockchain.Chain) blockchain.Header
	}{
		{"Tip", (*blockchain.Chain).Tip},
		{"HeaderAt", func(c *blockchain.Chain) blockchain.Header { h, _ := c.HeaderAt(1); return h }},
		{"ReadOnly().Tip", func(c *blockchain.Chain) blockchain.Header { return c.ReadOnly().Tip() }},
		{"Snapshot().Headers", func(c *blockchain.Chain) blockchain.Header { return c.Snapshot(2).Headers[1] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain := sealed(t, testConfig())
			tip := chain.TipHash()
			h := tc.header(chain)
			require.NotEmpty(t, h.Seal)
			h.Seal[0] ^= 0xff
			assert.Equal(t, tip, chain.Tip().Hash(), "the chain's header keeps its seal")
			assert.Equal(t, tip, chain.TipHash())
		})
	}

	t.Run("Spec", func(t *testing.T) {
		cfg := testConfig()
		chain := sealed(t, cfg)
		want := chain.Spec().Hash()
		spec := chain.Spec()
		spec.Alloc[0].Balance++
		spec.Consensus.PoW.Bits++
		cfg.Spec.Alloc[0].Balance++ // the slice NewChain was given
		assert.Equal(t, want, chain.Spec().Hash(), "the chain keeps its own spec")
	})
}

// TestSpecWhileResuming: Spec reads no lock, and Resume replaces the
// chain's state; under -race, this test fails if the two share memory.
func TestSpecWhileResuming(t *testing.T) {
	full := mustChain(t, testConfig())
	_, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), full, 3, nil)
	require.NoError(t, err)
	fresh := mustChain(t, testConfig())
	ro := fresh.ReadOnly()
	stop := make(chan struct{})
	read, started := make(chan string), make(chan struct{})
	go func() {
		id := ro.Spec().ChainID
		close(started)
		for {
			select {
			case <-stop:
				read <- id
				return
			default:
				id = ro.Spec().ChainID
			}
		}
	}()
	<-started
	require.NoError(t, fresh.Resume(full.Snapshot(4)))
	close(stop)
	assert.Equal(t, consensustest.ChainID, <-read)
	assert.Equal(t, full.TipHash(), fresh.TipHash())
}

func TestWindowKeepsHeaders(t *testing.T) {
	const window = 3
	cfg := testConfig()
	cfg.Window = window
	chain := mustChain(t, cfg)
	blocks := mustGenerateOn(t, chain, 10, func(i int, g *consensustest.BlockGen) {
		g.AddTransfer("alice", "bob", int64(i+1))
	})
	require.Equal(t, uint64(10), chain.Height())

	for h := uint64(0); h <= 10; h++ {
		b, whole := chain.BlockAt(h)
		assert.Equal(t, h > 10-window, whole, "block %d whole in memory", h)
		if whole {
			assert.Same(t, blocks[h-1], b)
		}
		header, ok := chain.HeaderAt(h)
		assert.True(t, ok, "header %d kept", h)
		hash, ok := chain.HashAt(h)
		assert.True(t, ok)
		assert.Equal(t, header.Hash(), hash)
		height, ok := chain.HeightOf(hash)
		assert.True(t, ok)
		assert.Equal(t, h, height)
	}
	_, ok := chain.HeaderAt(11)
	assert.False(t, ok, "no header beyond the tip")
	_, ok = chain.HashAt(11)
	assert.False(t, ok)
	_, ok = chain.BlockAt(11)
	assert.False(t, ok)
	assert.Same(t, blocks[9], chain.TipBlock())

	// A transaction of a dropped block is still refused again: its nonce is used.
	first := blocks[0].Transaction(0)
	err := chain.Apply(handBlockUnchecked(chain, []blockchain.Transaction{first}))
	assert.ErrorIs(t, err, blockchain.ErrBadNonce)
	assert.ErrorIs(t, chain.CheckTransaction(first), blockchain.ErrBadNonce)
}

// handBlockUnchecked builds the next block with txs on chain's tip, its
// state root the tip's: for blocks the state transition refuses.
func handBlockUnchecked(chain *blockchain.Chain, txs []blockchain.Transaction) *blockchain.Block {
	h := blockchain.NextHeader(chain.Tip(), txs, chain.Tip().Timestamp.Add(time.Second))
	h.Beneficiary, h.StateRoot = consensustest.Addr("miner"), chain.Tip().StateRoot
	return blockchain.NewBlock(h, txs)
}

func TestNewChainRejectsBadConfig(t *testing.T) {
	badAlloc := consensustest.Spec()
	badAlloc.Alloc[1].Balance = -1
	for _, tc := range []struct {
		name string
		cfg  blockchain.Config
		want string
	}{
		{"no engine", blockchain.Config{Spec: consensustest.Spec()}, "Engine"},
		{"a typed nil engine", blockchain.Config{Spec: consensustest.Spec(), Engine: (*consensustest.Fake)(nil)}, "Config.Engine is required (a nil one, typed or not"},
		{"negative window", blockchain.Config{Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), Window: -1}, "Window"},
		{"negative state history", blockchain.Config{Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), StateHistory: -1}, "StateHistory"},
		{"negative drift", blockchain.Config{Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), MaxDrift: -time.Nanosecond}, "Config.MaxDrift: have -1ns, want ≥ 0"},
		{"no spec", blockchain.Config{Engine: consensustest.NewFaker()}, "Config.Spec: chain spec: chainId"},
		{"a spec that breaks a rule", blockchain.Config{Spec: badAlloc, Engine: consensustest.NewFaker()}, "alloc[1].balance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := blockchain.NewChain(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestApplyAndTrustNil(t *testing.T) {
	chain := mustChain(t, testConfig())
	assert.Error(t, chain.Apply(nil))
	assert.Error(t, chain.Trust(nil))
	assert.Error(t, chain.Check(nil))
	assert.Equal(t, uint64(0), chain.Height())

	b, _, err := chain.Propose(consensustest.Addr("miner"), nil, testNow)
	require.NoError(t, err)
	assert.ErrorContains(t, chain.ApplyAt(b, time.Time{}), "apply: now is the zero time.Time", "not a time to judge by, nor a rule broken")
	assert.Equal(t, uint64(0), chain.Height())
	assert.NoError(t, chain.ApplyAt(b, testNow))
}

// TestCustomRule shows a course adding its own rule to the defaults.
func TestCustomRule(t *testing.T) {
	const limit = 1000
	maxPerBlock := blockchain.Rule{Name: "max-1000-per-block", Check: func(_ blockchain.ChainView, b *blockchain.Block, _ time.Time) error {
		var sum int64
		for _, tx := range b.Transactions() {
			sum += tx.Amount()
		}
		if sum > limit {
			return &blockchain.RuleError{Code: blockchain.ErrInvalidAmount, Have: fmt.Sprint(sum), Want: fmt.Sprint("at most ", limit)}
		}
		return nil
	}}
	engine := consensustest.NewFaker()
	cfg := testConfig()
	cfg.Engine = engine
	cfg.Rules = append(blockchain.DefaultRules(engine, time.Minute), maxPerBlock)
	chain := mustChain(t, cfg)
	blocks := mustGenerate(t, 2, func(i int, g *consensustest.BlockGen) {
		g.AddTransfer("alice", "bob", 600)
		if i == 1 {
			g.AddTransfer("bob", "carol", 600)
		}
	})
	require.NoError(t, chain.Apply(blocks[0]))
	err := chain.Apply(blocks[1])
	assert.ErrorIs(t, err, blockchain.ErrInvalidAmount)
	assert.Contains(t, err.Error(), "max-1000-per-block")
	assert.Equal(t, uint64(1), chain.Height())
}

// TestRulesStillEndInTheStateTransition: whatever Config.Rules holds,
// even none, Apply runs Block.Validate first, checks that the block links
// to the tip at the next height (the chain indexes its blocks by both),
// and the state transition last.
func TestRulesStillEndInTheStateTransition(t *testing.T) {
	cfg := testConfig()
	cfg.Rules = []blockchain.Rule{}
	chain := mustChain(t, cfg)
	bad := handBlock(t, chain, nil, testNow)
	h := bad.Header()
	h.StateRoot[0] ^= 1
	assert.ErrorIs(t, chain.Apply(blockchain.NewBlock(h, nil)), blockchain.ErrBadStateRoot)
	h = bad.Header()
	h.TxCount = 9
	assert.ErrorIs(t, chain.Apply(blockchain.NewBlock(h, nil)), blockchain.ErrBadTxCount)
	h = bad.Header()
	h.Height = 5
	assert.ErrorIs(t, chain.Apply(blockchain.NewBlock(h, nil)), blockchain.ErrBadHeight)
	h = bad.Header()
	h.PrevHash[0] ^= 1
	assert.ErrorIs(t, chain.Apply(blockchain.NewBlock(h, nil)), blockchain.ErrPrevHashMismatch)
	assert.Equal(t, uint64(0), chain.Height(), "nothing refused was taken")
	assert.NoError(t, chain.Apply(bad), "no rule: no time or engine check")
	assert.Equal(t, uint64(1), chain.Height())
}

func TestChainConcurrentReadsAndApply(t *testing.T) {
	cfg := testConfig()
	cfg.Window, cfg.StateHistory = 2, 3
	chain := mustChain(t, cfg)
	blocks := mustGenerate(t, 50, func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 1) })
	replay := blocks[0].Transaction(0)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				tip := chain.Tip()
				if b, ok := chain.BlockAt(tip.Height); ok {
					assert.Equal(t, tip.Height, b.Height())
				}
				if st, ok := chain.StateAt(tip.Height); ok {
					assert.Equal(t, tip.StateRoot, st.Root())
				}
				alice := chain.ReadOnly().Account(consensustest.Addr("alice"))
				assert.LessOrEqual(t, alice.Nonce, uint64(50))
				_ = chain.CheckTransaction(replay)
			}
		})
	}
	for _, b := range blocks {
		require.NoError(t, chain.Apply(b))
	}
	close(stop)
	wg.Wait()
	assert.Equal(t, uint64(50), chain.Height())
	assert.Equal(t, blockchain.Account{Balance: consensustest.Funds - 50, Nonce: 50}, chain.Account(consensustest.Addr("alice")))
}

func TestErrorCodesAreNamed(t *testing.T) {
	seen := map[string]blockchain.ErrorCode{}
	for _, c := range blockchain.ErrorCodes() {
		name := c.String()
		assert.NotContains(t, name, "ErrorCode(", "code %d has no name", int(c))
		assert.Equal(t, strings.ToLower(name), name, "names are lower-case")
		if prev, dup := seen[name]; dup {
			t.Errorf("codes %d and %d share the name %q", prev, c, name)
		}
		seen[name] = c
	}
	assert.Equal(t, "ErrorCode(999)", blockchain.ErrorCode(999).String())
	assert.Equal(t, "ErrorCode(-1)", blockchain.ErrorCode(-1).String())
	assert.Equal(t, "unknown", blockchain.ErrUnknown.String())
}

func TestRuleErrorIsAndAs(t *testing.T) {
	cause := errors.New("engine detail")
	err := fmt.Errorf("apply: %w", &blockchain.RuleError{Code: blockchain.ErrBadHeight, Have: "7", Want: "6", Err: cause})
	assert.ErrorIs(t, err, blockchain.ErrBadHeight)
	assert.NotErrorIs(t, err, blockchain.ErrBadBits)
	assert.ErrorIs(t, err, cause, "the cause is reachable")
	var re *blockchain.RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "bad-height: have 7, want 6: engine detail", re.Error())
	assert.Equal(t, "bad-height: 7", (&blockchain.RuleError{Code: blockchain.ErrBadHeight, Have: "7"}).Error())
	assert.Equal(t, "bad-height", (&blockchain.RuleError{Code: blockchain.ErrBadHeight}).Error())
}

func TestParseErrorCode(t *testing.T) {
	for _, c := range blockchain.ErrorCodes() {
		got, ok := blockchain.ParseErrorCode(c.String())
		assert.True(t, ok, c.String())
		assert.Equal(t, c, got)
	}
	for _, bad := range []string{"", "unknown", "Bad-Height", "ErrorCode(3)", "already-included", "bad-account"} {
		_, ok := blockchain.ParseErrorCode(bad)
		assert.False(t, ok, "%q", bad)
	}
}

func TestBlockIsImmutable(t *testing.T) {
	txs := []blockchain.Transaction{consensustest.Transfer("alice", "bob", 5, 0)}
	h := blockchain.NextHeader(consensustest.Genesis().Header(), txs, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h.Beneficiary = consensustest.Addr("miner")
	b := blockchain.NewBlock(h, txs)
	hash := b.Hash()

	txs[0] = consensustest.Transfer("mallory", "bob", 5, 0) // the caller's slice
	got := b.Transactions()
	got[0] = txs[0] // the returned copy
	assert.Equal(t, consensustest.Addr("alice"), b.Transaction(0).From(), "the block keeps its own transactions")
	assert.NoError(t, b.Validate())

	h2 := b.Header()
	h2.Nonce = 42
	sealed := b.WithHeader(h2)
	assert.Equal(t, hash, b.Hash(), "WithHeader leaves the original alone")
	assert.Equal(t, uint64(0), b.Header().Nonce)
	assert.Equal(t, uint64(42), sealed.Header().Nonce)
	assert.Equal(t, h2.Hash(), sealed.Hash())
	assert.Equal(t, b.Transactions(), sealed.Transactions())
}

// TestTrust: Trust checks the link, the height and the state
// transition, state root included — and nothing else: not the engine,
// not Block.Validate, not the signatures.
func TestTrust(t *testing.T) {
	cfg := testConfig()
	cfg.Engine = consensustest.NewFailer(1)
	chain := mustChain(t, cfg)
	blocks := mustGenerate(t, 3, func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 5) })
	assert.ErrorIs(t, chain.Apply(blocks[0]), blockchain.ErrInvalidSeal, "Apply runs the engine")
	require.NoError(t, chain.Trust(blocks[0]), "Trust does not")
	assert.Equal(t, blocks[0].Header().StateRoot, chain.State().Root())

	forged := signedBy(consensustest.Transfer("alice", "mallory", 500, 1).Fields(), "mallory")
	require.ErrorIs(t, blockchain.CheckTransactionSanity(forged), blockchain.ErrBadSignature, "precondition")
	notVerified := handBlock(t, chain, []blockchain.Transaction{forged}, testNow)
	h := notVerified.Header()
	h.MerkleRoot = blockchain.Hash{1}
	notValidated := blockchain.NewBlock(h, notVerified.Transactions())

	for _, tc := range []struct {
		name  string
		block *blockchain.Block
		want  blockchain.ErrorCode
	}{
		{"another chain's block 2", blocks[1].WithHeader(func() blockchain.Header {
			h := blocks[1].Header()
			h.PrevHash = blockchain.Hash{9}
			return h
		}()), blockchain.ErrPrevHashMismatch},
		{"skips a height", blocks[2], blockchain.ErrPrevHashMismatch},
		{"the wrong height", func() *blockchain.Block {
			h := blocks[1].Header()
			h.Height = 5
			return blockchain.NewBlock(h, blocks[1].Transactions())
		}(), blockchain.ErrBadHeight},
		{"another state root", func() *blockchain.Block {
			h := blocks[1].Header()
			h.StateRoot[31] ^= 1
			return blockchain.NewBlock(h, blocks[1].Transactions())
		}(), blockchain.ErrBadStateRoot},
		{"a replayed transaction", handBlockUnchecked(chain, []blockchain.Transaction{blocks[0].Transaction(0)}), blockchain.ErrBadNonce},
		{"more than the balance", handBlockUnchecked(chain, []blockchain.Transaction{consensustest.Transfer("nobody", "bob", 1, 0)}), blockchain.ErrInsufficientFunds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := look(chain)
			assert.ErrorIs(t, chain.Trust(tc.block), tc.want)
			assertUnchanged(t, before, chain)
		})
	}

	// What Trust does not check: a forged signature under a Merkle root
	// of nothing. Restoring from a log that was checked, it need not.
	require.NoError(t, chain.Trust(notValidated))
	assert.Equal(t, int64(500), chain.Account(consensustest.Addr("mallory")).Balance-consensustest.Funds)
}

// TestGenesisFromSpec: a chain starts at its spec's genesis block, with
// the spec's allocations as its state.
func TestGenesisFromSpec(t *testing.T) {
	for name, spec := range map[string]blockchain.ChainSpec{
		"consensustest": consensustest.Spec(),
		"pow":           specGoldenPoW(),
		"poa":           specGoldenPoA(),
	} {
		t.Run(name, func(t *testing.T) {
			chain := mustChain(t, blockchain.Config{Spec: spec, Engine: consensustest.NewFaker()})
			g, err := spec.Genesis()
			require.NoError(t, err)
			assert.Equal(t, g.Hash(), chain.TipHash())
			assert.Equal(t, g.Header(), chain.Tip())
			assert.Equal(t, uint64(0), chain.Height())
			assert.Equal(t, spec.Hash(), chain.Tip().PrevHash, "genesis commits to the spec")
			assert.Equal(t, spec.Hash(), chain.Spec().Hash())
			assert.Equal(t, chain.Tip().StateRoot, chain.State().Root())
			var supply int64
			for _, al := range spec.Alloc {
				assert.Equal(t, blockchain.Account{Balance: al.Balance}, chain.Account(al.Address))
				supply += al.Balance
			}
			assert.Equal(t, supply, chain.State().Supply())
			assert.Equal(t, len(spec.Alloc), chain.State().Len())
			st, ok := chain.StateAt(0)
			require.True(t, ok)
			assert.Same(t, chain.State(), st)
		})
	}
}

// TestPropose: the proposed block holds the transactions that apply, in
// order, leaves out the others with their rule, and applies.
func TestPropose(t *testing.T) {
	chain := mustChain(t, testConfig())
	mustGenerateOn(t, chain, 1, func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 10) })
	replay := chain.TipBlock().Transaction(0)

	next := consensustest.Transfer("alice", "bob", 10, 1)
	bobAll := chain.Account(consensustest.Addr("bob")).Balance
	forgedFields := consensustest.Transfer("dave", "mallory", 100, 0).Fields()
	other := blockchain.Transfer{ChainID: "eventchain-other", To: consensustest.Addr("dave"), Amount: 5}.Sign(consensustest.Key("carol"))
	withFee := consensustest.TransferFee("erin", "frank", 20, 3, 0)
	type entry struct {
		tx   blockchain.Transaction
		want blockchain.ErrorCode // ErrUnknown: kept
	}
	list := []entry{
		{next, blockchain.ErrUnknown},
		{consensustest.Transfer("alice", "bob", 11, 1), blockchain.ErrBadNonce}, // nonce 1 is taken by next
		{consensustest.Transfer("alice", "carol", 5, 2), blockchain.ErrUnknown}, // the nonce after next
		{replay, blockchain.ErrBadNonce},
		{consensustest.TransferFee("bob", "carol", bobAll+10, 1, 0), blockchain.ErrInsufficientFunds}, // next's 10 are his: the fee is not
		{other, blockchain.ErrWrongChain},
		{signedBy(forgedFields, "mallory"), blockchain.ErrBadSignature},
		{consensustest.Transfer("dave", "erin", 0, 0), blockchain.ErrInvalidAmount},
		{withFee, blockchain.ErrUnknown},
		{consensustest.Transfer("nobody", "bob", 1, 0), blockchain.ErrInsufficientFunds},
		{consensustest.Transfer("carol", "carol", 1, 0), blockchain.ErrSelfTransfer},
	}
	txs := make([]blockchain.Transaction, 0, len(list)+1)
	var kept []blockchain.Transaction
	var wantRejected []blockchain.ErrorCode
	for _, e := range list {
		txs = append(txs, e.tx)
		if e.want == blockchain.ErrUnknown {
			kept = append(kept, e.tx)
		} else {
			wantRejected = append(wantRejected, e.want)
		}
	}
	txs = append(txs, next)       // listed twice: included once, and not reported
	txs = append(txs, list[1].tx) // a refused one listed twice: reported once

	before := look(chain)
	at := chain.Tip().Timestamp.Add(time.Minute)
	b, rejected, err := chain.Propose(consensustest.Addr("carol"), txs, at)
	require.NoError(t, err)
	assertUnchanged(t, before, chain, "Propose changes nothing")

	assert.Equal(t, txIDs(kept), txIDs(b.Transactions()), "the transactions that apply, in their order")
	var gotRejected []blockchain.ErrorCode
	for i, r := range rejected {
		var re *blockchain.RuleError
		require.ErrorAs(t, r.Err, &re, "rejected %d", i)
		gotRejected = append(gotRejected, re.Code)
	}
	assert.Equal(t, wantRejected, gotRejected, "each left-out transaction with its rule, in order")
	require.Len(t, rejected, len(wantRejected))
	assert.Equal(t, replay.ID(), rejected[1].Tx.ID())

	h := b.Header()
	assert.Equal(t, blockchain.HeaderVersion, int(h.Version))
	assert.Equal(t, uint64(2), h.Height)
	assert.Equal(t, chain.TipHash(), h.PrevHash)
	assert.Equal(t, blockchain.TxMerkleRoot(kept), h.MerkleRoot)
	assert.Equal(t, uint32(len(kept)), h.TxCount)
	assert.Equal(t, consensustest.Addr("carol"), h.Beneficiary)
	assert.Equal(t, at, h.Timestamp)
	assert.NoError(t, b.Validate())
	assert.NoError(t, b.VerifySignatures())

	require.NoError(t, chain.Apply(b), "the proposed block applies")
	assert.Equal(t, h.StateRoot, chain.State().Root())
	assert.Equal(t, blockchain.Account{Balance: consensustest.Funds - 10 - 10 - 5, Nonce: 3}, chain.Account(consensustest.Addr("alice")))
	assert.Equal(t, blockchain.Account{Balance: consensustest.Funds - 23, Nonce: 1}, chain.Account(consensustest.Addr("erin")))
	assert.Equal(t, blockchain.Account{Balance: consensustest.Funds + 5 + consensustest.Reward + 3}, chain.Account(consensustest.Addr("carol")),
		"the beneficiary: the reward and the fees")
}

// txIDs returns the IDs of txs, which print shorter than transactions.
func txIDs(txs []blockchain.Transaction) []string {
	ids := make([]string, len(txs))
	for i, tx := range txs {
		ids[i] = tx.ID().String()
	}
	return ids
}

func TestProposeEdges(t *testing.T) {
	t.Run("no beneficiary", func(t *testing.T) {
		chain := mustChain(t, testConfig())
		b, _, err := chain.Propose(blockchain.Address{}, nil, testNow)
		assert.Nil(t, b)
		assert.ErrorIs(t, err, blockchain.ErrMissingBeneficiary)
	})
	t.Run("a clock behind the tip", func(t *testing.T) {
		chain := mustChain(t, testConfig())
		b, _, err := chain.Propose(consensustest.Addr("miner"), nil, blockchain.GenesisTime.Add(-time.Hour))
		require.NoError(t, err)
		assert.Equal(t, blockchain.GenesisTime, b.Header().Timestamp, "dated at the tip's time")
		assert.NoError(t, chain.Apply(b))
	})
	t.Run("a clock past the year 9999", func(t *testing.T) {
		chain := mustChain(t, testConfig())
		b, _, err := chain.Propose(consensustest.Addr("miner"), nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
		assert.Nil(t, b, "no block its own Validate would refuse")
		assert.ErrorContains(t, err, "want a time before the year 10000")
	})
	t.Run("a clock before 1970", func(t *testing.T) {
		chain := mustChain(t, testConfig())
		b, _, err := chain.Propose(consensustest.Addr("miner"), nil, time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC))
		require.NoError(t, err)
		assert.Equal(t, blockchain.GenesisTime, b.Header().Timestamp, "dated at the tip's time, as any clock behind it")
		assert.NoError(t, chain.Apply(b))
	})
	t.Run("nothing to include", func(t *testing.T) {
		chain := mustChain(t, testConfig())
		b, rejected, err := chain.Propose(consensustest.Addr("nobody"), nil, testNow)
		require.NoError(t, err)
		assert.Empty(t, rejected)
		assert.Zero(t, b.Len())
		require.NoError(t, chain.Apply(b))
		assert.Equal(t, blockchain.Account{Balance: consensustest.Reward}, chain.Account(consensustest.Addr("nobody")), "the reward makes an account")
	})
	t.Run("the engine's Prepare runs", func(t *testing.T) {
		cfg := testConfig()
		cfg.Engine = bitsEngine{Fake: consensustest.NewFaker(), bits: 3}
		chain := mustChain(t, cfg)
		b, _, err := chain.Propose(consensustest.Addr("miner"), nil, testNow)
		require.NoError(t, err)
		assert.Equal(t, uint32(3), b.Header().Bits)
	})
	t.Run("the engine's Prepare fails", func(t *testing.T) {
		cfg := testConfig()
		cfg.Engine = bitsEngine{Fake: consensustest.NewFaker(), fail: true}
		chain := mustChain(t, cfg)
		b, _, err := chain.Propose(consensustest.Addr("miner"), nil, testNow)
		assert.Nil(t, b)
		assert.ErrorIs(t, err, errPrepare)
		assert.ErrorContains(t, err, "prepare")
	})
}

var errPrepare = errors.New("prepare refused")

// bitsEngine is the fake engine with a Prepare that sets Bits, or fails.
type bitsEngine struct {
	*consensustest.Fake
	bits uint32
	fail bool
}

func (e bitsEngine) Prepare(_ blockchain.ChainReader, h *blockchain.Header) error {
	if e.fail {
		return errPrepare
	}
	h.Bits = e.bits
	return nil
}

// TestSupplyOverflowIsRefused: a spec whose supply reaches math.MaxInt64
// with the first block's reward. The second reward would pass it: the
// chain refuses to propose or apply a second block.
func TestSupplyOverflowIsRefused(t *testing.T) {
	const n = 1024 // 1024 · MaxAmount = 2⁶³ − 1024
	spec := consensustest.Spec()
	spec.Alloc = nil
	for i := range n {
		spec.Alloc = append(spec.Alloc, blockchain.Allocation{Address: stateAddr(fmt.Sprint("rich ", i)), Balance: blockchain.MaxAmount})
	}
	spec.SortAlloc()
	spec.BlockReward = 1023
	require.NoError(t, spec.Validate(), "precondition: the supply after genesis is exactly MaxInt64")
	chain := mustChain(t, blockchain.Config{Spec: spec, Engine: consensustest.NewFaker(), Now: func() time.Time { return testNow }})
	b, _, err := chain.Propose(consensustest.Addr("miner"), nil, testNow)
	require.NoError(t, err)
	require.NoError(t, chain.Apply(b))
	require.Equal(t, maxInt64, chain.State().Supply())

	_, _, err = chain.Propose(consensustest.Addr("miner"), nil, testNow)
	assert.ErrorIs(t, err, blockchain.ErrBalanceOverflow)
	before := look(chain)
	assert.ErrorIs(t, chain.Apply(handBlockUnchecked(chain, nil)), blockchain.ErrBalanceOverflow)
	assertUnchanged(t, before, chain)
}

// TestCheckTransaction: the chain's part of admitting a transaction,
// against the tip's state.
func TestCheckTransaction(t *testing.T) {
	chain := mustChain(t, testConfig())
	mustGenerateOn(t, chain, 1, func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 10) })
	senderNotKey := consensustest.Transfer("alice", "mallory", 5, 1).Fields()
	senderNotKey.PublicKey = consensustest.Key("mallory").Public()
	carol := chain.Account(consensustest.Addr("carol")).Balance
	for _, tc := range []struct {
		name string
		tx   blockchain.Transaction
		want blockchain.ErrorCode // ErrUnknown: accepted
	}{
		{"the next nonce", consensustest.Transfer("alice", "bob", 10, 1), blockchain.ErrUnknown},
		{"the whole balance", consensustest.Transfer("carol", "bob", carol, 0), blockchain.ErrUnknown},
		{"the whole balance, fee included", consensustest.TransferFee("carol", "bob", carol-1, 1, 0), blockchain.ErrUnknown},
		{"a used nonce", consensustest.Transfer("alice", "bob", 10, 0), blockchain.ErrBadNonce},
		{"a gap", consensustest.Transfer("alice", "bob", 10, 2), blockchain.ErrBadNonce},
		{"one more than the balance", consensustest.Transfer("carol", "bob", carol+1, 0), blockchain.ErrInsufficientFunds},
		{"the fee one too many", consensustest.TransferFee("carol", "bob", carol, 1, 0), blockchain.ErrInsufficientFunds},
		{"an account never funded", consensustest.Transfer("nobody", "bob", 1, 0), blockchain.ErrInsufficientFunds},
		{"another chain", blockchain.Transfer{ChainID: "eventchain-devnet", To: consensustest.Addr("bob"), Amount: 1, Nonce: 1}.Sign(consensustest.Key("alice")), blockchain.ErrWrongChain},
		{"a forged signature", signedBy(consensustest.Transfer("alice", "bob", 1, 1).Fields(), "bob"), blockchain.ErrBadSignature},
		{"sender not the key", signedBy(senderNotKey, "mallory"), blockchain.ErrSenderNotKey},
		{"zero amount", consensustest.Transfer("alice", "bob", 0, 1), blockchain.ErrInvalidAmount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := look(chain)
			for _, check := range []func(blockchain.Transaction) error{chain.CheckTransaction, chain.ReadOnly().CheckTransaction} {
				err := check(tc.tx)
				if tc.want == blockchain.ErrUnknown {
					assert.NoError(t, err)
					continue
				}
				var re *blockchain.RuleError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tc.want, re.Code, "%v", err)
			}
			assertUnchanged(t, before, chain, "checking changes nothing")
		})
	}
}

// TestTransactionForAnotherChain: a transaction signed for another
// chain is valid in itself, and refused by this one everywhere.
func TestTransactionForAnotherChain(t *testing.T) {
	chain := mustChain(t, testConfig())
	tx := blockchain.Transfer{ChainID: "eventchain-devnet", To: consensustest.Addr("bob"), Amount: 5}.Sign(consensustest.Key("alice"))
	require.NoError(t, blockchain.CheckTransactionSanity(tx), "precondition: a valid transaction")

	assert.ErrorIs(t, chain.CheckTransaction(tx), blockchain.ErrWrongChain, "CheckTransaction")
	b, rejected, err := chain.Propose(consensustest.Addr("miner"), []blockchain.Transaction{tx}, testNow)
	require.NoError(t, err)
	assert.Zero(t, b.Len())
	require.Len(t, rejected, 1)
	assert.ErrorIs(t, rejected[0].Err, blockchain.ErrWrongChain, "Propose")
	before := look(chain)
	err = chain.Apply(handBlock(t, chain, []blockchain.Transaction{tx}, testNow))
	assert.ErrorIs(t, err, blockchain.ErrWrongChain, "Apply")
	assert.ErrorContains(t, err, "transactions-for-this-chain")
	assertUnchanged(t, before, chain)

	// The same transfer on its own chain applies.
	devnet := consensustest.Spec()
	devnet.ChainID = "eventchain-devnet"
	other := mustChain(t, blockchain.Config{Spec: devnet, Engine: consensustest.NewFaker(), Now: func() time.Time { return testNow }})
	assert.NoError(t, other.CheckTransaction(tx))
}

// TestStateAtKeepsStateHistory: the chain keeps the states of exactly
// the newest StateHistory heights, each the one its header names.
func TestStateAtKeepsStateHistory(t *testing.T) {
	for _, tc := range []struct {
		history, blocks int
		oldest          uint64 // the oldest height kept
	}{
		{history: 1, blocks: 4, oldest: 4},
		{history: 3, blocks: 6, oldest: 4},
		{history: 10, blocks: 6, oldest: 0},
		{history: 0, blocks: blockchain.DefaultStateHistory + 2, oldest: 3}, // 0: DefaultStateHistory
	} {
		t.Run(fmt.Sprintf("history=%d", tc.history), func(t *testing.T) {
			cfg := testConfig()
			cfg.StateHistory = tc.history
			chain := mustChain(t, cfg)
			genesis, ok := chain.StateAt(0)
			require.True(t, ok)
			mustGenerateOn(t, chain, tc.blocks, func(i int, g *consensustest.BlockGen) {
				if i < 8 {
					g.AddTransfer("alice", "bob", int64(i+1))
				}
			})
			tip := chain.Height()
			for h := uint64(0); h <= tip+1; h++ {
				st, ok := chain.StateAt(h)
				require.Equal(t, h >= tc.oldest && h <= tip, ok, "state at %d kept", h)
				if !ok {
					continue
				}
				header, _ := chain.HeaderAt(h)
				assert.Equal(t, header.StateRoot, st.Root(), "height %d", h)
				var sent int64
				for i := range min(h, 8) {
					sent += int64(i + 1)
				}
				assert.Equal(t, consensustest.Funds+sent, st.Account(consensustest.Addr("bob")).Balance, "height %d", h)
				assert.Equal(t, consensustest.Funds+int64(h)*consensustest.Reward, st.Account(consensustest.Addr("miner")).Balance, "height %d", h)
			}
			st, _ := chain.StateAt(tip)
			assert.Same(t, chain.State(), st)
			assert.Equal(t, consensustest.Spec().Alloc[0].Balance, genesis.Account(consensustest.Spec().Alloc[0].Address).Balance, "a State held is never changed")
			g, _ := consensustest.Spec().Genesis()
			assert.Equal(t, g.Header().StateRoot, genesis.Root(), "a State held is never changed")
		})
	}
}

// TestSupplyGrowsByTheReward runs a random chain of transfers with fees
// and checks the three laws after every block: no negative balance, the
// supply is the sum of the balances, and it grows by exactly the block
// reward — the fees go from senders to beneficiaries. The chain's state
// also equals a model that moves the coins by hand.
func TestSupplyGrowsByTheReward(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 7))
	chain := mustChain(t, testConfig())
	names := consensustest.Accounts
	model := map[blockchain.Address]int64{}
	for _, al := range consensustest.Spec().Alloc {
		model[al.Address] = al.Balance
	}
	genesisSupply := chain.State().Supply()
	require.Equal(t, int64(len(names))*consensustest.Funds, genesisSupply)
	const blocks = 40
	var transfers int
	for range blocks {
		beneficiary := consensustest.Addr(names[rng.IntN(len(names))])
		var fees int64
		mustGenerateOn(t, chain, 1, func(_ int, g *consensustest.BlockGen) {
			g.SetBeneficiary(beneficiary)
			sent := map[string]uint64{}
			for range rng.IntN(8) {
				from, to := names[rng.IntN(len(names))], names[rng.IntN(len(names))]
				if from == to {
					continue
				}
				amount, fee := 1+rng.Int64N(5000), rng.Int64N(30)
				if model[consensustest.Addr(from)] < amount+fee {
					continue
				}
				nonce := chain.Account(consensustest.Addr(from)).Nonce + sent[from]
				sent[from]++
				g.AddTx(consensustest.TransferFee(from, to, amount, fee, nonce))
				model[consensustest.Addr(from)] -= amount + fee
				model[consensustest.Addr(to)] += amount
				fees += fee
				transfers++
			}
		})
		model[beneficiary] += consensustest.Reward + fees

		st := chain.State()
		height := int64(chain.Height())
		require.Equal(t, genesisSupply+height*consensustest.Reward, st.Supply(), "height %d: the supply grows by the reward", height)
		var sum int64
		for a, acct := range st.Each {
			require.GreaterOrEqual(t, acct.Balance, int64(0), "height %d: %s", height, a)
			require.Equal(t, model[a], acct.Balance, "height %d: %s", height, a)
			sum += acct.Balance
		}
		require.Equal(t, st.Supply(), sum, "height %d: the supply is the sum of the balances", height)
		require.Equal(t, len(model), st.Len(), "height %d: every account of the model", height)
		require.Equal(t, chain.Tip().StateRoot, st.Root())
	}
	require.Greater(t, transfers, blocks, "the run moves coins")
}

// TestReadOnlyChain: the read-only view answers as the chain does, and
// sees every block the chain accepts after it was made.
func TestReadOnlyChain(t *testing.T) {
	chain := mustChain(t, testConfig())
	ro := chain.ReadOnly()
	mustGenerateOn(t, chain, 2, func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 3) })
	assert.Equal(t, chain.Height(), ro.Height())
	assert.Equal(t, chain.Tip(), ro.Tip())
	assert.Equal(t, chain.TipHash(), ro.TipHash())
	assert.Same(t, chain.TipBlock(), ro.TipBlock())
	for h := range uint64(4) {
		hc, okc := chain.HeaderAt(h)
		hr, okr := ro.HeaderAt(h)
		assert.Equal(t, okc, okr)
		assert.Equal(t, hc, hr)
		ac, _ := chain.HashAt(h)
		ar, _ := ro.HashAt(h)
		assert.Equal(t, ac, ar)
		bc, _ := chain.BlockAt(h)
		br, _ := ro.BlockAt(h)
		assert.Same(t, bc, br)
		sc, _ := chain.StateAt(h)
		sr, _ := ro.StateAt(h)
		assert.Same(t, sc, sr)
	}
	height, ok := ro.HeightOf(chain.TipHash())
	assert.True(t, ok)
	assert.Equal(t, uint64(2), height)
	assert.Equal(t, chain.Spec().Hash(), ro.Spec().Hash())
	assert.Same(t, chain.State(), ro.State())
	assert.Equal(t, blockchain.Account{Balance: consensustest.Funds - 6, Nonce: 2}, ro.Account(consensustest.Addr("alice")))
	assert.NoError(t, ro.CheckTransaction(consensustest.Transfer("alice", "bob", 1, 2)))
}

// TestValidateRemembersTransactionChecks: Block.Validate checks a block's
// transactions once and remembers the answer, for the block and for every
// block WithHeader makes from it, while the header's own checks run on
// each header: a new header with bad bits is refused for its bits, and
// one that is fine is refused for the transaction it still holds.
func TestValidateRemembersTransactionChecks(t *testing.T) {
	senderNotKey := consensustest.Transfer("alice", "bob", 1, 0).Fields()
	senderNotKey.PublicKey = consensustest.Key("mallory").Public()
	good := consensustest.Transfer("alice", "bob", 1, 0)
	parent := consensustest.Genesis().Header()
	for _, tc := range []struct {
		name      string
		tx        blockchain.Transaction
		newHeader func(blockchain.Header) blockchain.Header
		first     blockchain.ErrorCode // ErrUnknown: valid
		then      blockchain.ErrorCode
	}{
		{"a valid block, then bad bits", good, func(h blockchain.Header) blockchain.Header { h.Bits = 300; return h }, blockchain.ErrUnknown, blockchain.ErrBadBits},
		{"a bad transaction, then bad bits", signedBy(senderNotKey, "mallory"), func(h blockchain.Header) blockchain.Header { h.Bits = 300; return h }, blockchain.ErrSenderNotKey, blockchain.ErrBadBits},
		{"a bad transaction, then another nonce", signedBy(senderNotKey, "mallory"), func(h blockchain.Header) blockchain.Header { h.Nonce++; return h }, blockchain.ErrSenderNotKey, blockchain.ErrSenderNotKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			txs := []blockchain.Transaction{tc.tx}
			h := blockchain.NextHeader(parent, txs, parent.Timestamp.Add(time.Second))
			h.Beneficiary = consensustest.Addr("miner")
			b := blockchain.NewBlock(h, txs)
			for _, step := range []struct {
				b    *blockchain.Block
				want blockchain.ErrorCode
			}{{b, tc.first}, {b, tc.first}, {b.WithHeader(tc.newHeader(h)), tc.then}} {
				err := step.b.Validate()
				if step.want == blockchain.ErrUnknown {
					assert.NoError(t, err)
					continue
				}
				assert.ErrorIs(t, err, step.want)
			}
		})
	}
}

// refusingEngine is the fake engine whose Verify returns err.
type refusingEngine struct {
	*consensustest.Fake
	err error
}

func (e refusingEngine) Verify(blockchain.ChainReader, *blockchain.Block) error { return e.err }

// panickingEngine is the fake engine with a Verify that panics with v
// the first time, and verifies as the fake does after.
type panickingEngine struct {
	*consensustest.Fake
	v        any
	panicked *atomic.Bool
}

func (e panickingEngine) Verify(c blockchain.ChainReader, b *blockchain.Block) error {
	if !e.panicked.Swap(true) {
		panic(e.v)
	}
	return e.Fake.Verify(c, b)
}

// panickyError is an engine's error type whose Error method panics, as a
// method on a nil pointer field does.
type panickyError struct{ detail *string }

func (e panickyError) Error() string { return *e.detail }

// TestEngineRefusalsCarryACode: an engine's Verify that returns a plain
// error, or a nil *RuleError inside a non-nil error (the typed-nil slip
// of Go), refused the block with no *RuleError to read, or with a nil one
// that a node dereferenced and crashed on. Every refusal now carries a
// code: the engine's own, or ErrInvalidSeal.
func TestEngineRefusalsCarryACode(t *testing.T) {
	var typedNil *blockchain.RuleError
	for _, tc := range []struct {
		name string
		err  error
		want blockchain.ErrorCode
		text string
	}{
		{"the engine's own code", &blockchain.RuleError{Code: blockchain.ErrBadConsensusFields, Have: "x"}, blockchain.ErrBadConsensusFields, "bad-consensus-fields"},
		{"a plain error", errors.New("no quorum"), blockchain.ErrInvalidSeal, "invalid-seal: the engine refused the block: no quorum"},
		{"a nil *RuleError", typedNil, blockchain.ErrInvalidSeal, "returned a nil *blockchain.RuleError"},
		{"wrapping a nil *RuleError", fmt.Errorf("verify: %w", typedNil), blockchain.ErrInvalidSeal, "wrapping a nil *RuleError"},
		{"the zero code", &blockchain.RuleError{Have: "x"}, blockchain.ErrInvalidSeal, "refused the block with unknown, which names no rule: unknown: x"},
		{"a code past the last", &blockchain.RuleError{Code: 999}, blockchain.ErrInvalidSeal, "refused the block with ErrorCode(999), which names no rule"},
		{"an Error method that panics", panickyError{}, blockchain.ErrInvalidSeal, "invalid-seal: the engine refused the block: %!v(PANIC=Error method: runtime error: invalid memory address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := consensustest.NewFaker()
			blocks, err := consensustest.GenerateChain(context.Background(), fake, consensustest.NewChain(fake), 1, nil)
			require.NoError(t, err)
			cfg := testConfig()
			cfg.Engine = refusingEngine{fake, tc.err}
			chain, err := blockchain.NewChain(cfg)
			require.NoError(t, err)
			err = chain.Apply(blocks[0])
			var re *blockchain.RuleError
			require.ErrorAs(t, err, &re)
			require.NotNil(t, re, "a *RuleError to read: %v", err)
			assert.Equal(t, tc.want, re.Code)
			assert.Contains(t, err.Error(), tc.text)
			assert.Zero(t, chain.Height(), "refused")
		})
	}
}

// TestEnginePanicRefusesTheBlock: a plugin engine whose Verify panicked
// on a block took the whole process down, and a node that read that
// block again on its next start panicked again. The block is refused
// instead, with ErrInvalidSeal naming the panic (its text bounded: it
// goes into a BlockRejected event), and the chain goes on.
func TestEnginePanicRefusesTheBlock(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		text string
	}{
		{"a string", "index out of range", "invalid-seal: the engine's Verify panicked: index out of range"},
		{"an error", errors.New("boom"), "the engine's Verify panicked: boom"},
		{"an error whose Error panics", panickyError{}, "the engine's Verify panicked: %!v(PANIC=Error method"},
		{"a long text", strings.Repeat("x", 1<<20), "the engine's Verify panicked: xxx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := consensustest.NewFaker()
			blocks, err := consensustest.GenerateChain(context.Background(), fake, consensustest.NewChain(fake), 1, nil)
			require.NoError(t, err)
			cfg := testConfig()
			cfg.Engine = panickingEngine{fake, tc.v, new(atomic.Bool)}
			chain, err := blockchain.NewChain(cfg)
			require.NoError(t, err)
			err = chain.Apply(blocks[0])
			require.ErrorIs(t, err, blockchain.ErrInvalidSeal)
			assert.ErrorIs(t, err, blockchain.ErrEngineMisbehaved, "a bug, told apart from a bad seal")
			assert.Contains(t, err.Error(), tc.text)
			assert.Less(t, len(err.Error()), 1024, "the panic's text is bounded")
			assert.Zero(t, chain.Height(), "refused")

			require.NoError(t, chain.Apply(blocks[0]), "the chain goes on: the block is good, and the engine no longer panics")
			assert.Equal(t, uint64(1), chain.Height())
		})
	}
}

// specReachingEngine is the fake engine whose Verify looks for more of
// the chain than its ChainReader: the spec, to change it.
type specReachingEngine struct {
	*consensustest.Fake
	reached *bool
}

func (e specReachingEngine) Verify(c blockchain.ChainReader, b *blockchain.Block) error {
	e.reach(c)
	return e.Fake.Verify(c, b)
}

func (e specReachingEngine) Prepare(c blockchain.ChainReader, h *blockchain.Header) error {
	e.reach(c)
	return e.Fake.Prepare(c, h)
}

func (e specReachingEngine) reach(c blockchain.ChainReader) {
	if v, ok := c.(blockchain.ChainView); ok {
		*e.reached = true
		if spec := v.Spec(); len(spec.Alloc) > 0 {
			spec.Alloc[0].Balance = 42
		}
	}
}

// TestEngineSeesOnlyHeaders: the view a chain gave its engine's Verify
// was the one its rules get, with the chain's spec sharing its slices: an
// engine that asserted it to a ChainView changed the chain's genesis
// allocations, racing every reader of Chain.Spec. The engine now gets
// the headers and nothing else.
func TestEngineSeesOnlyHeaders(t *testing.T) {
	fake := consensustest.NewFaker()
	blocks, err := consensustest.GenerateChain(context.Background(), fake, consensustest.NewChain(fake), 2, nil)
	require.NoError(t, err)
	reached := false
	cfg := testConfig()
	cfg.Engine = specReachingEngine{fake, &reached}
	chain, err := blockchain.NewChain(cfg)
	require.NoError(t, err)
	want := chain.Spec().Hash()
	for _, b := range blocks {
		require.NoError(t, chain.Apply(b))
	}
	assert.False(t, reached, "Verify found a ChainView")
	_, _, err = chain.Propose(consensustest.Addr("miner"), nil, testNow)
	require.NoError(t, err)
	assert.False(t, reached, "Prepare found a ChainView")
	assert.Equal(t, want, chain.Spec().Hash(), "the spec is the chain's still")
}

// withFieldChanged returns h with its field i changed, by reflection: the
// tests that judge header changes change each field in turn, so that a
// field added to Header is judged too.
func withFieldChanged(t *testing.T, h blockchain.Header, i int) blockchain.Header {
	t.Helper()
	v := reflect.ValueOf(&h).Elem().Field(i)
	switch v.Kind() {
	case reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Array:
		v.Index(0).SetUint(v.Index(0).Uint() ^ 1)
	case reflect.Slice:
		v.Set(reflect.ValueOf([]byte{1}))
	case reflect.Struct: // time.Time
		h.Timestamp = h.Timestamp.Add(time.Millisecond)
	default:
		t.Fatalf("a field of kind %s: teach withFieldChanged to change it", v.Kind())
	}
	return h
}

// TestChangedOutsideConsensusSeesEveryField: Propose refuses a Prepare
// that changed a header field other than Bits, Nonce and Seal; a field
// added to Header must not slip past the list of fields it compares.
// Each field is changed in turn, by reflection.
func TestChangedOutsideConsensusSeesEveryField(t *testing.T) {
	base := consensustest.Genesis().Header()
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		f := typ.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			changed := withFieldChanged(t, base, i)
			got := blockchain.ChangedOutsideConsensus(base, changed)
			switch f.Name {
			case "Bits", "Nonce", "Seal":
				assert.Empty(t, got, "a consensus field is the engine's to set")
			default:
				assert.Equal(t, f.Name, got)
			}
		})
	}
}

// TestCheckSealed: a seal may set Bits, Nonce and Seal and move the time;
// any other header field, or the transactions, changed make another
// block, named in an error wrapping ErrEngineMisbehaved. Each header field
// is changed in turn, by reflection, so that a field added to Header is
// judged too.
func TestCheckSealed(t *testing.T) {
	txs := []blockchain.Transaction{consensustest.Transfer("alice", "bob", 5, 0)}
	in := blockchain.NewBlock(blockchain.NextHeader(consensustest.Genesis().Header(), txs, blockchain.GenesisTime.Add(time.Minute)), txs)
	require.NoError(t, blockchain.CheckSealed(in, in.WithHeader(in.Header())), "the block as it was")
	base := in.Header()
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		f := typ.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			changed := withFieldChanged(t, base, i)
			err := blockchain.CheckSealed(in, in.WithHeader(changed))
			switch f.Name {
			case "Bits", "Nonce", "Seal", "Timestamp":
				assert.NoError(t, err, "the seal's to set")
			default:
				assert.ErrorIs(t, err, blockchain.ErrEngineMisbehaved)
				assert.ErrorContains(t, err, "its "+f.Name+" changed")
			}
		})
	}
	t.Run("transactions", func(t *testing.T) {
		other := blockchain.NewBlock(base, []blockchain.Transaction{consensustest.Transfer("alice", "bob", 6, 0)})
		err := blockchain.CheckSealed(in, other)
		assert.ErrorIs(t, err, blockchain.ErrEngineMisbehaved)
		assert.ErrorContains(t, err, "its transactions changed")
		assert.ErrorIs(t, blockchain.CheckSealed(in, blockchain.NewBlock(base, nil)), blockchain.ErrEngineMisbehaved, "none")
	})
	// A Seal that returns no block and no error is a plugin's easy
	// mistake: CheckSealed, called right after it, must say so, not panic.
	for _, tc := range []struct {
		name       string
		in, sealed *blockchain.Block
	}{
		{"no sealed block", in, nil},
		{"no block to seal", nil, in},
		{"neither", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = blockchain.CheckSealed(tc.in, tc.sealed) })
			assert.ErrorIs(t, err, blockchain.ErrEngineMisbehaved)
			assert.ErrorContains(t, err, "no block")
		})
	}
}

// preparingEngine is the fake engine with a Prepare of the test's own.
type preparingEngine struct {
	*consensustest.Fake
	prepare func(h *blockchain.Header)
}

func (e preparingEngine) Prepare(c blockchain.ChainReader, h *blockchain.Header) error {
	e.prepare(h)
	return e.Fake.Prepare(c, h)
}

// TestProposeRefusesAMisbehavingPrepare: a plugin's Prepare that panicked
// took a miner's process down with it, and one that changed a field not
// its own (PrevHash, say) had the miner seal, thousands of times a
// second, a block the chain could only refuse. Propose now returns
// ErrEngineMisbehaved, naming what the engine did.
func TestProposeRefusesAMisbehavingPrepare(t *testing.T) {
	tx := consensustest.Transfer("alice", "bob", 1, 0)
	for _, tc := range []struct {
		name    string
		prepare func(h *blockchain.Header)
		text    string
	}{
		{"panics", func(*blockchain.Header) { panic("no signer for this height") }, "Prepare panicked: no signer for this height"},
		{"zeroes the header", func(h *blockchain.Header) { *h = blockchain.Header{} }, "Prepare changed the header's Version"},
		{"changes the parent", func(h *blockchain.Header) { h.PrevHash[0] ^= 1 }, "Prepare changed the header's PrevHash"},
		{"changes the state root", func(h *blockchain.Header) { h.StateRoot = blockchain.Hash{} }, "Prepare changed the header's StateRoot"},
		{"pays someone else", func(h *blockchain.Header) { h.Beneficiary = consensustest.Addr("mallory") }, "Prepare changed the header's Beneficiary"},
		{"dates the block", func(h *blockchain.Header) { h.Timestamp = h.Timestamp.Add(time.Second) }, "Prepare changed the header's Timestamp"},
		{"asks for more work than there are bits", func(h *blockchain.Header) { h.Bits = 257 }, "Prepare set Bits to 257, over the 256"},
		{"makes a seal too long", func(h *blockchain.Header) { h.Seal = make([]byte, blockchain.MaxSealLen+1) }, fmt.Sprintf("Prepare set a Seal of %d bytes", blockchain.MaxSealLen+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Engine = preparingEngine{consensustest.NewFaker(), tc.prepare}
			chain := mustChain(t, cfg)
			b, _, err := chain.Propose(consensustest.Addr("miner"), []blockchain.Transaction{tx}, testNow)
			require.ErrorIs(t, err, blockchain.ErrEngineMisbehaved)
			assert.Contains(t, err.Error(), tc.text)
			assert.Nil(t, b)
		})
	}

	t.Run("consensus fields are its own", func(t *testing.T) {
		cfg := testConfig()
		cfg.Engine = preparingEngine{consensustest.NewFaker(), func(h *blockchain.Header) { h.Bits, h.Nonce, h.Seal = 3, 7, []byte{1} }}
		chain := mustChain(t, cfg)
		_, _, err := chain.Propose(consensustest.Addr("miner"), []blockchain.Transaction{tx}, testNow)
		assert.NoError(t, err)
	})
}

// erringEngine is the fake engine with a Prepare that returns the test's error.
type erringEngine struct {
	*consensustest.Fake
	err error
}

func (e erringEngine) Prepare(blockchain.ChainReader, *blockchain.Header) error { return e.err }

// TestProposeRefusesATypedNilPrepareError: a plugin's Prepare that
// returned a nil *RuleError in a non-nil error (the typed-nil slip that
// RuleConsensus already catches for Verify) made Propose fail with
// "propose: prepare: <nil>", an error whose chain held that nil
// *RuleError: errors.Is on it — the miner's caller asking for
// context.Canceled, say — dereferenced it and panicked. Propose now
// returns ErrEngineMisbehaved, naming the slip.
func TestProposeRefusesATypedNilPrepareError(t *testing.T) {
	var typedNil *blockchain.RuleError
	for _, tc := range []struct {
		name string
		err  error
		text string
	}{
		{"a nil *RuleError", typedNil, "Prepare returned a nil *blockchain.RuleError, which is not a nil error"},
		{"wrapping a nil *RuleError", fmt.Errorf("prepare: %w", typedNil), "Prepare returned a *fmt.wrapError wrapping a nil *RuleError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Engine = erringEngine{consensustest.NewFaker(), tc.err}
			chain := mustChain(t, cfg)
			b, _, err := chain.Propose(consensustest.Addr("miner"), nil, testNow)
			require.Error(t, err)
			assert.Nil(t, b)
			assert.NotPanics(t, func() { _ = errors.Is(err, context.Canceled) }, "errors.Is on Propose's error")
			assert.ErrorIs(t, err, blockchain.ErrEngineMisbehaved)
			assert.Contains(t, err.Error(), tc.text)
		})
	}
}

// TestNilRuleErrorIsAndUnwrap: errors.Is walks a chain through Is and
// Unwrap, so a nil *RuleError anywhere in it (a plugin's typed-nil slip
// wrapped by its caller) must answer both without dereferencing itself.
func TestNilRuleErrorIsAndUnwrap(t *testing.T) {
	var typedNil *blockchain.RuleError
	err := fmt.Errorf("rule mine: %w", typedNil)
	assert.NotPanics(t, func() {
		assert.False(t, errors.Is(err, blockchain.ErrBadNonce))
		assert.False(t, errors.Is(err, context.Canceled))
	})
}
