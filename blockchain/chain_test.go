package blockchain_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// mustChain builds a chain or fails the test.
func mustChain(tb testing.TB, cfg blockchain.Config) *blockchain.Chain {
	tb.Helper()
	c, err := blockchain.NewChain(cfg)
	require.NoError(tb, err)
	return c
}

// mustGenerate builds n sealed blocks on genesis with the faker engine.
func mustGenerate(tb testing.TB, n int, gen func(int, *consensustest.BlockGen)) []*blockchain.Block {
	tb.Helper()
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(),
		blockchain.HeaderList{blockchain.Genesis().Header()}, n, gen)
	require.NoError(tb, err)
	return blocks
}

// TestChainCases applies the fixed accept/reject table of consensustest,
// with and without a window.
func TestChainCases(t *testing.T) {
	for _, window := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("window=%d", window), func(t *testing.T) {
			cfg := consensustest.CaseConfig()
			cfg.Window = window
			chain := mustChain(t, cfg)
			for _, c := range consensustest.ChainCases() {
				t.Run(c.Name, func(t *testing.T) {
					before := chain.TipHash()
					err := chain.Apply(c.Block)
					if c.Accepted() {
						require.NoError(t, err)
						assert.Equal(t, c.Block.Hash(), chain.TipHash())
						return
					}
					require.Error(t, err, "want %s", c.Want)
					assert.ErrorIs(t, err, c.Want)
					var re *blockchain.RuleError
					require.ErrorAs(t, err, &re)
					assert.Equal(t, c.Want, re.Code)
					assert.Equal(t, before, chain.TipHash(), "a rejected block must leave the chain unchanged")
				})
			}
		})
	}
}

func TestChainCasesCoverEveryChainRule(t *testing.T) {
	covered := map[blockchain.ErrorCode]bool{}
	for _, c := range consensustest.ChainCases() {
		covered[c.Want] = true
	}
	for _, code := range []blockchain.ErrorCode{
		blockchain.ErrPrevHashMismatch, blockchain.ErrBadHeight, blockchain.ErrTimeBeforeParent,
		blockchain.ErrTimeTooFarAhead, blockchain.ErrAlreadyIncluded, blockchain.ErrInvalidSeal,
		blockchain.ErrBadMerkleRoot, blockchain.ErrDuplicateTransaction, blockchain.ErrTooManyTransactions,
	} {
		assert.True(t, covered[code], "no case breaks %s", code)
	}
}

func TestRuleErrorMessage(t *testing.T) {
	chain := mustChain(t, blockchain.Config{Engine: consensustest.NewFaker()})
	blocks := mustGenerate(t, 2, nil)
	err := chain.Apply(blocks[1]) // skips height 1
	require.Error(t, err)
	// The first failing rule is the link: block 2's parent is block 1, not genesis.
	assert.ErrorIs(t, err, blockchain.ErrPrevHashMismatch)
	assert.Contains(t, err.Error(), "rule links-to-tip")
	assert.Contains(t, err.Error(), "have "+blocks[0].Hash().String()+", want "+blockchain.Genesis().Hash().String())
}

// A block with a seal is named by its block hash, seal included: the next
// block must link to that, and the chain indexes it under that name. A
// link to the seal hash, which leaves the seal out, would not say which
// seal the chain accepted, and is refused.
func TestLinksCoverTheSeal(t *testing.T) {
	chain := mustChain(t, blockchain.Config{Engine: consensustest.NewFaker(), Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }})
	h := blockchain.NextHeader(chain.Tip(), nil, chain.Tip().Timestamp.Add(time.Second))
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

	next := blockchain.NextHeader(chain.Tip(), nil, chain.Tip().Timestamp.Add(time.Second))
	assert.Equal(t, sealed.Hash(), next.PrevHash, "NextHeader links to the block hash")
	toSealHash := next
	toSealHash.PrevHash = sealed.SealHash()
	assert.ErrorIs(t, chain.Apply(blockchain.NewBlock(toSealHash, nil)), blockchain.ErrPrevHashMismatch, "a link to the seal hash")
	assert.NoError(t, chain.Apply(blockchain.NewBlock(next, nil)))
}

func TestWindowKeepsIndexAndHeaders(t *testing.T) {
	const window = 3
	chain := mustChain(t, blockchain.Config{Engine: consensustest.NewFaker(), Window: window, Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }})
	blocks := mustGenerate(t, 10, func(i int, g *consensustest.BlockGen) {
		g.AddTransfer("alice", "bob", int64(i+1))
	})
	for _, b := range blocks {
		require.NoError(t, chain.Apply(b))
	}
	require.Equal(t, uint64(10), chain.Height())

	for h := uint64(0); h <= 10; h++ {
		_, whole := chain.BlockAt(h)
		assert.Equal(t, h > 10-window, whole, "block %d whole in memory", h)
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

	first := blocks[0].Transaction(0)
	in, ok := chain.Inclusion(first.ID())
	require.True(t, ok, "a transaction of a dropped block is still found")
	assert.Equal(t, blockchain.Inclusion{BlockHash: blocks[0].Hash(), Height: 1}, in)
	assert.True(t, chain.Includes(first.ID()))
	assert.False(t, chain.Includes(consensustest.TxID("never submitted")))

	// And it still refuses that transaction again.
	h := blockchain.NextHeader(chain.Tip(), []blockchain.Transaction{first}, chain.Tip().Timestamp.Add(time.Second))
	assert.ErrorIs(t, chain.Apply(blockchain.NewBlock(h, []blockchain.Transaction{first})), blockchain.ErrAlreadyIncluded)
	assert.Equal(t, blocks[9], chain.TipBlock())
}

func TestNewChainRejectsBadConfig(t *testing.T) {
	bad := blockchain.NewBlock(blockchain.Header{Version: 1, Height: 3}, nil)
	for _, tc := range []struct {
		name string
		cfg  blockchain.Config
		want string
	}{
		{"no engine", blockchain.Config{}, "Engine"},
		{"negative window", blockchain.Config{Engine: consensustest.NewFaker(), Window: -1}, "Window"},
		{"genesis not at height 0", blockchain.Config{Engine: consensustest.NewFaker(), Genesis: bad}, "genesis height"},
		{"invalid genesis", blockchain.Config{Engine: consensustest.NewFaker(), Genesis: blockchain.NewBlock(blockchain.Header{Version: 9}, nil)}, "bad-version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := blockchain.NewChain(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestApplyNil(t *testing.T) {
	chain := mustChain(t, blockchain.Config{Engine: consensustest.NewFaker()})
	assert.Error(t, chain.Apply(nil))
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
	chain := mustChain(t, blockchain.Config{
		Engine: engine,
		Now:    func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) },
		Rules:  append(blockchain.DefaultRules(engine, time.Minute), maxPerBlock),
	})
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
}

func TestChainConcurrentReadsAndApply(t *testing.T) {
	chain := mustChain(t, blockchain.Config{Engine: consensustest.NewFaker(), Window: 2, Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }})
	blocks := mustGenerate(t, 50, func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 1) })
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
				_ = chain.Includes(blocks[0].Transaction(0).ID())
			}
		})
	}
	for _, b := range blocks {
		require.NoError(t, chain.Apply(b))
	}
	close(stop)
	wg.Wait()
	assert.Equal(t, uint64(50), chain.Height())
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
}

func TestTransactionSanity(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := consensustest.TxID("sanity")
	for _, tc := range []struct {
		name string
		tx   blockchain.Transaction
		want blockchain.ErrorCode // ErrUnknown: valid
	}{
		{"valid", blockchain.NewTransaction(id, "alice", "bob", 1, at), blockchain.ErrUnknown},
		{"valid at MaxAmount, unicode names", blockchain.NewTransaction(id, "Zoë", "渡辺", blockchain.MaxAmount, at), blockchain.ErrUnknown},
		{"nil id", blockchain.NewTransaction([16]byte{}, "alice", "bob", 1, at), blockchain.ErrMissingID},
		{"zero amount", blockchain.NewTransaction(id, "alice", "bob", 0, at), blockchain.ErrInvalidAmount},
		{"negative amount", blockchain.NewTransaction(id, "alice", "bob", -1, at), blockchain.ErrInvalidAmount},
		{"amount over MaxAmount", blockchain.NewTransaction(id, "alice", "bob", blockchain.MaxAmount+1, at), blockchain.ErrInvalidAmount},
		{"no sender", blockchain.NewTransaction(id, "", "bob", 1, at), blockchain.ErrMissingSender},
		{"no receiver", blockchain.NewTransaction(id, "alice", "", 1, at), blockchain.ErrMissingReceiver},
		{"to itself", blockchain.NewTransaction(id, "alice", "alice", 1, at), blockchain.ErrSelfTransfer},
		{"sender too long", blockchain.NewTransaction(id, strings.Repeat("a", blockchain.MaxAccountLen+1), "bob", 1, at), blockchain.ErrBadAccount},
		{"receiver of exactly MaxAccountLen", blockchain.NewTransaction(id, "alice", strings.Repeat("b", blockchain.MaxAccountLen), 1, at), blockchain.ErrUnknown},
		{"invalid UTF-8", blockchain.NewTransaction(id, "al\xffce", "bob", 1, at), blockchain.ErrBadAccount},
		{"control character", blockchain.NewTransaction(id, "alice\n", "bob", 1, at), blockchain.ErrBadAccount},
		{"zero timestamp", blockchain.NewTransaction(id, "alice", "bob", 1, time.Time{}), blockchain.ErrBadTimestamp},
		{"year 10000", blockchain.NewTransaction(id, "alice", "bob", 1, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), blockchain.ErrBadTimestamp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := blockchain.CheckTransactionSanity(tc.tx)
			if tc.want == blockchain.ErrUnknown {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestBlockIsImmutable(t *testing.T) {
	txs := []blockchain.Transaction{consensustest.Transfer("immutable", "alice", "bob", 5)}
	h := blockchain.NextHeader(blockchain.Genesis().Header(), txs, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := blockchain.NewBlock(h, txs)
	hash := b.Hash()

	txs[0] = consensustest.Transfer("other", "mallory", "bob", 5) // the caller's slice
	got := b.Transactions()
	got[0] = txs[0] // the returned copy
	assert.Equal(t, "alice", b.Transaction(0).From(), "the block keeps its own transactions")
	assert.NoError(t, b.Validate())

	h2 := b.Header()
	h2.Nonce = 42
	sealed := b.WithHeader(h2)
	assert.Equal(t, hash, b.Hash(), "WithHeader leaves the original alone")
	assert.Equal(t, uint64(0), b.Header().Nonce)
	assert.Equal(t, uint64(42), sealed.Header().Nonce)
	assert.Equal(t, h2.Hash(), sealed.Hash())
}

func TestParseErrorCode(t *testing.T) {
	for _, c := range blockchain.ErrorCodes() {
		got, ok := blockchain.ParseErrorCode(c.String())
		assert.True(t, ok, c.String())
		assert.Equal(t, c, got)
	}
	for _, bad := range []string{"", "unknown", "Bad-Height", "ErrorCode(3)"} {
		_, ok := blockchain.ParseErrorCode(bad)
		assert.False(t, ok, "%q", bad)
	}
}

func TestTrustChecksOnlyTheLink(t *testing.T) {
	chain := mustChain(t, blockchain.Config{Engine: consensustest.NewFailer(1)})
	blocks := mustGenerate(t, 2, nil)
	assert.ErrorIs(t, chain.Apply(blocks[0]), blockchain.ErrInvalidSeal, "Apply runs the engine")
	require.NoError(t, chain.Trust(blocks[0]), "Trust does not")
	bad := blockchain.NewBlock(blockchain.NextHeader(chain.Tip(), nil, time.Now()), []blockchain.Transaction{consensustest.Transfer("t", "a", "b", 1)})
	assert.NoError(t, chain.Trust(bad), "not even the Merkle root")
	assert.ErrorIs(t, chain.Trust(blocks[1]), blockchain.ErrPrevHashMismatch, "but the link, yes")
	assert.Error(t, chain.Trust(nil))
}
