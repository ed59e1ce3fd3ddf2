package consensustest_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
)

// checksum is a toy engine that seals instantly but, unlike the fakes, can
// tell a tampered block: its proof (the nonce) is the first 8 bytes of the
// seal hash of the header with a zero nonce, and it makes no Seal. It
// exists to run the suite on something other than proof of work.
type checksum struct{}

func (checksum) seal(h blockchain.Header) uint64 {
	h.Nonce = 0
	sum := h.SealHash()
	return binary.BigEndian.Uint64(sum[:8])
}

func (checksum) Prepare(_ blockchain.ChainReader, h *blockchain.Header) error {
	h.Seal = nil
	return nil
}

func (c checksum) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := b.Header()
	h.Nonce = c.seal(h)
	return b.WithHeader(h), nil
}

func (c checksum) Verify(chain blockchain.ChainReader, b *blockchain.Block) error {
	h := b.Header()
	if _, ok := chain.HeaderAt(h.Height - 1); !ok {
		return &blockchain.RuleError{Code: blockchain.ErrUnknownAncestor, Have: fmt.Sprint(h.Height), Want: "a known parent"}
	}
	if len(h.Seal) != 0 { // the nonce is the whole proof: any Seal is one it never made
		return &blockchain.RuleError{Code: blockchain.ErrBadConsensusFields, Have: fmt.Sprintf("a seal of %d bytes", len(h.Seal)), Want: "no seal"}
	}
	if want := c.seal(h); h.Nonce != want {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal, Have: fmt.Sprint(h.Nonce), Want: fmt.Sprint(want)}
	}
	return nil
}

func TestRunOnAnInstantEngine(t *testing.T) {
	consensustest.Run(t, func(testing.TB) blockchain.Consensus { return checksum{} })
}

// resetting is checksum with a Prepare that resets the nonce, which its
// Seal sets: the nonce is Seal's field, not Prepare's, and Verify checks
// it against the seal, so the engine keeps the contract.
type resetting struct{ checksum }

func (resetting) Prepare(_ blockchain.ChainReader, h *blockchain.Header) error {
	h.Nonce, h.Seal = 0, nil
	return nil
}

// TestRunOnAnEngineWhosePrepareResetsTheNonce: the suite once took
// Prepare's value of every consensus field for the one Verify must
// insist on, and failed an engine whose Prepare resets the nonce its Seal
// searches, though the engine refuses every block it should.
func TestRunOnAnEngineWhosePrepareResetsTheNonce(t *testing.T) {
	consensustest.Run(t, func(testing.TB) blockchain.Consensus { return resetting{} })
}

// newChain returns a chain of the kit's spec with engine and a clock
// stopped long after every block the tests make.
func newChain(tb testing.TB, engine blockchain.Consensus) *blockchain.Chain {
	tb.Helper()
	cfg := consensustest.Config(engine)
	cfg.Now = func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	chain, err := blockchain.NewChain(cfg)
	require.NoError(tb, err)
	return chain
}

func TestFakes(t *testing.T) {
	chain := newChain(t, consensustest.NewFaker())
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), chain, 3, nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		engine blockchain.Consensus
		failAt uint64 // 0: never
	}{
		{"faker", consensustest.NewFaker(), 0},
		{"failer at 2", consensustest.NewFailer(2), 2},
		{"delayer", consensustest.NewDelayer(time.Millisecond), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, b := range blocks {
				err := tc.engine.Verify(chain, b)
				if b.Height() == tc.failAt {
					assert.ErrorIs(t, err, blockchain.ErrInvalidSeal, "height %d", b.Height())
				} else {
					assert.NoError(t, err, "height %d", b.Height())
				}
			}
			h := blocks[0].Header()
			h.Bits = 7
			assert.NoError(t, tc.engine.Prepare(chain, &h))
			assert.Equal(t, uint32(7), h.Bits, "fakes have no consensus fields to prepare")
			sealed, err := tc.engine.Seal(context.Background(), blocks[0])
			require.NoError(t, err)
			assert.Equal(t, blocks[0].Hash(), sealed.Hash(), "fakes seal without changing the header")

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err = tc.engine.Seal(ctx, blocks[0])
			assert.ErrorIs(t, err, context.Canceled)

			// A nil block is an error, as with proof of work, not a panic.
			_, err = tc.engine.Seal(context.Background(), nil)
			assert.Error(t, err)
			assert.Error(t, tc.engine.Verify(chain, nil))
		})
	}
}

func TestDelayerStopsWhenCancelled(t *testing.T) {
	engine := consensustest.NewDelayer(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := engine.Seal(ctx, consensustest.Genesis())
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("the delayer ignored its context")
	}
}

// TestSpec: the kit's spec is valid and funds each of its accounts, whose
// keys are fixed.
func TestSpec(t *testing.T) {
	spec := consensustest.Spec()
	require.NoError(t, spec.Validate())
	assert.Equal(t, consensustest.ChainID, spec.ChainID)
	assert.Equal(t, int64(consensustest.Reward), spec.BlockReward)
	assert.Equal(t, spec.Hash(), consensustest.Spec().Hash(), "the same spec on every call")
	require.Len(t, spec.Alloc, len(consensustest.Accounts))
	for _, name := range consensustest.Accounts {
		assert.Contains(t, spec.Alloc, blockchain.Allocation{Address: consensustest.Addr(name), Balance: consensustest.Funds}, name)
	}
	assert.Equal(t, consensustest.Key("alice").Address(), consensustest.Addr("alice"))
	assert.Equal(t, consensustest.Key("alice").Public(), consensustest.Key("alice").Public(), "keys are deterministic")
	assert.NotEqual(t, consensustest.Addr("alice"), consensustest.Addr("nobody"))

	g := consensustest.Genesis()
	want, err := spec.Genesis()
	require.NoError(t, err)
	assert.Equal(t, want.Hash(), g.Hash())
	assert.Equal(t, spec.Hash(), g.PrevHash())

	cfg := consensustest.Config(consensustest.NewFaker())
	assert.Equal(t, spec.Hash(), cfg.Spec.Hash())
	assert.NotNil(t, cfg.Engine)
	assert.Equal(t, g.Hash(), consensustest.NewChain(consensustest.NewFaker()).TipHash())
}

func TestTransfer(t *testing.T) {
	tx := consensustest.Transfer("alice", "bob", 125, 3)
	assert.NoError(t, blockchain.CheckTransactionSanity(tx))
	assert.Equal(t, consensustest.ChainID, tx.ChainID())
	assert.Equal(t, consensustest.Addr("alice"), tx.From())
	assert.Equal(t, consensustest.Addr("bob"), tx.To())
	assert.Equal(t, int64(125), tx.Amount())
	assert.Zero(t, tx.Fee())
	assert.Equal(t, uint64(3), tx.Nonce())
	assert.Equal(t, tx, consensustest.Transfer("alice", "bob", 125, 3), "deterministic")

	withFee := consensustest.TransferFee("alice", "bob", 125, 2, 3)
	assert.NoError(t, blockchain.CheckTransactionSanity(withFee))
	assert.Equal(t, int64(2), withFee.Fee())
	assert.NotEqual(t, tx.ID(), withFee.ID())
}

func TestGenerateChain(t *testing.T) {
	gen := func(i int, g *consensustest.BlockGen) {
		for range i {
			g.AddTransfer("alice", "bob", 10)
		}
	}
	one, two := newChain(t, consensustest.NewFaker()), newChain(t, consensustest.NewFaker())
	a, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), one, 4, gen)
	require.NoError(t, err)
	b, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), two, 4, gen)
	require.NoError(t, err)
	require.Len(t, a, 4)
	for i := range a {
		assert.Equal(t, a[i].Hash(), b[i].Hash(), "deterministic: block %d", i)
		assert.Equal(t, i, a[i].Len())
		assert.NoError(t, a[i].Validate())
		assert.Equal(t, consensustest.Addr("miner"), a[i].Header().Beneficiary, "paid to miner by default")
	}
	assert.Equal(t, consensustest.Genesis().Hash(), a[0].PrevHash())
	assert.Equal(t, a[2].Hash(), a[3].PrevHash())
	assert.Equal(t, consensustest.BlockInterval, a[1].Header().Timestamp.Sub(a[0].Header().Timestamp))
	assert.Equal(t, blockchain.GenesisTime.Add(consensustest.BlockInterval), a[0].Header().Timestamp)

	// Each block is applied to the chain it was made on.
	assert.Equal(t, uint64(4), one.Height())
	assert.Equal(t, a[3].Hash(), one.TipHash())
	assert.Equal(t, blockchain.Account{Balance: consensustest.Funds - 60, Nonce: 6}, one.Account(consensustest.Addr("alice")),
		"AddTransfer counts the nonces of the chain and of the block")

	// And the blocks apply to any other chain of the spec.
	other := newChain(t, consensustest.NewFaker())
	for _, blk := range a {
		require.NoError(t, other.Apply(blk))
	}
	assert.Equal(t, one.State().Root(), other.State().Root())
}

func TestBlockGen(t *testing.T) {
	chain := newChain(t, consensustest.NewFaker())
	at := blockchain.GenesisTime.Add(time.Hour)
	var seen []string
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), chain, 2, func(i int, g *consensustest.BlockGen) {
		seen = append(seen, fmt.Sprintf("%d@%d", g.Index(), g.Height()))
		if i == 0 {
			g.SetTimestamp(at)
			g.SetBeneficiary(consensustest.Addr("carol"))
			tx := g.AddTransfer("dave", "erin", 5)
			assert.Equal(t, uint64(0), tx.Nonce())
			g.AddTx(consensustest.TransferFee("dave", "frank", 6, 2, 1))
			return
		}
		tx := g.AddTransfer("dave", "erin", 7)
		assert.Equal(t, uint64(2), tx.Nonce(), "after the chain's two")
		g.EditHeader(func(h *blockchain.Header) { h.Nonce = 42 })
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"0@1", "1@2"}, seen)
	assert.Equal(t, at, blocks[0].Header().Timestamp)
	assert.Equal(t, consensustest.Addr("carol"), blocks[0].Header().Beneficiary)
	assert.Equal(t, blockchain.Account{Balance: consensustest.Funds + consensustest.Reward + 2}, chain.Account(consensustest.Addr("carol")))
	assert.Equal(t, uint64(42), blocks[1].Header().Nonce, "EditHeader changes the proposed header")
	assert.Equal(t, blockchain.Account{Balance: consensustest.Funds - 5 - 6 - 2 - 7, Nonce: 3}, chain.Account(consensustest.Addr("dave")))
}

// prepareFails is the faker with a Prepare that refuses.
type prepareFails struct{ *consensustest.Fake }

var errPrepare = errors.New("prepare refused")

func (prepareFails) Prepare(blockchain.ChainReader, *blockchain.Header) error { return errPrepare }

func TestGenerateChainErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		engine blockchain.Consensus
		gen    func(i int, g *consensustest.BlockGen)
		want   error  // for errors.Is, if not nil
		text   string // in the error
	}{
		{"a transaction the chain leaves out", context.Background(), consensustest.NewFaker(),
			func(i int, g *consensustest.BlockGen) { g.AddTransfer("nobody", "bob", 1) },
			blockchain.ErrInsufficientFunds, "propose block 1"},
		{"a transaction signed for another chain", context.Background(), consensustest.NewFaker(),
			func(i int, g *consensustest.BlockGen) {
				g.AddTx(blockchain.Transfer{ChainID: "eventchain-other", To: consensustest.Addr("bob"), Amount: 1}.Sign(consensustest.Key("alice")))
			},
			blockchain.ErrWrongChain, "propose block 1"},
		{"a header the chain refuses", context.Background(), consensustest.NewFaker(),
			func(i int, g *consensustest.BlockGen) {
				g.EditHeader(func(h *blockchain.Header) { h.StateRoot[0] ^= 1 })
			},
			blockchain.ErrBadStateRoot, "apply block 1"},
		{"a block the engine refuses", context.Background(), consensustest.NewFailer(2), nil, blockchain.ErrInvalidSeal, "apply block 2"},
		{"prepare fails", context.Background(), prepareFails{consensustest.NewFaker()}, nil, errPrepare, "propose block 1"},
		{"seal cancelled", cancelled, consensustest.NewFaker(), nil, context.Canceled, "seal block 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain := newChain(t, tc.engine)
			blocks, err := consensustest.GenerateChain(tc.ctx, tc.engine, chain, 2, tc.gen)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorContains(t, err, tc.text)
			// The blocks made before the error, which the chain holds.
			require.Len(t, blocks, int(chain.Height()))
			for i, b := range blocks {
				assert.Equal(t, uint64(i+1), b.Height())
			}
			// A refused block comes in the error, to apply elsewhere.
			var refused *consensustest.RefusedError
			if strings.HasPrefix(tc.text, "apply") {
				require.ErrorAs(t, err, &refused)
				other := newChain(t, tc.engine)
				for _, b := range blocks {
					require.NoError(t, other.Apply(b))
				}
				assert.ErrorIs(t, other.Apply(refused.Block), tc.want, "refused there too, for the same rule")
			} else {
				assert.False(t, errors.As(err, &refused))
			}
		})
	}
}

// TestGenerateChainRefusesBadArguments: a negative count, or a chain or
// engine missing, is an error, not a panic, and nothing is applied.
func TestGenerateChainRefusesBadArguments(t *testing.T) {
	for _, tc := range []struct {
		name    string
		noChain bool
		engine  blockchain.Consensus
		n       int
		want    string
	}{
		{name: "negative count", engine: consensustest.NewFaker(), n: -1, want: "n: have -1 blocks, want ≥ 0"},
		{name: "no chain", noChain: true, engine: consensustest.NewFaker(), n: 1, want: "the chain and the engine are required"},
		{name: "no engine", n: 1, want: "the chain and the engine are required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain := newChain(t, consensustest.NewFaker())
			arg := chain
			if tc.noChain {
				arg = nil
			}
			var blocks []*blockchain.Block
			var err error
			require.NotPanics(t, func() {
				blocks, err = consensustest.GenerateChain(context.Background(), tc.engine, arg, tc.n, nil)
			})
			assert.ErrorContains(t, err, tc.want)
			assert.Nil(t, blocks)
			assert.Zero(t, chain.Height())
		})
	}
}

func TestChainCasesAreNamedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range consensustest.ChainCases() {
		assert.False(t, seen[c.Name], "duplicate case name %q", c.Name)
		seen[c.Name] = true
		assert.NotNil(t, c.Block, c.Name)
	}
}

// TestChainCasesAreFixed: two calls build the very same blocks, so a
// failure names a block that is the same on every run.
func TestChainCasesAreFixed(t *testing.T) {
	a, b := consensustest.ChainCases(), consensustest.ChainCases()
	require.Len(t, b, len(a))
	for i := range a {
		assert.Equal(t, a[i].Name, b[i].Name)
		assert.Equal(t, a[i].Want, b[i].Want, a[i].Name)
		assert.Equal(t, a[i].Block.Hash(), b[i].Block.Hash(), a[i].Name)
	}
}

// laxPoW is proof of work at 16 bits whose Verify trusts the header's
// Bits instead of computing them: a block sealed at 1 bit passes it.
type laxPoW struct{ *pow.Engine }

func (e laxPoW) Verify(_ blockchain.ChainReader, b *blockchain.Block) error {
	h := b.Header()
	if len(h.Seal) != 0 {
		return &blockchain.RuleError{Code: blockchain.ErrBadConsensusFields, Have: "a seal", Want: "none"}
	}
	if b.SealHash().LeadingZeroBits() < int(h.Bits) {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal, Have: "too few zero bits", Want: fmt.Sprint(h.Bits)}
	}
	return nil
}

// TestRunCatchesALaxVerify: Run passed an engine whose Verify trusted the
// header's Bits, which takes a block sealed honestly at one bit; its
// tampering cases change Bits only after sealing, which breaks the proof
// of work whatever Verify checks. The suite, run on that engine in a
// child process, now fails, naming the case.
func TestRunCatchesALaxVerify(t *testing.T) {
	if os.Getenv("CONSENSUSTEST_LAX_ENGINE") == "1" {
		consensustest.Run(t, func(tb testing.TB) blockchain.Consensus {
			e, err := pow.New(pow.Config{Bits: 16, Workers: 1})
			require.NoError(tb, err)
			return laxPoW{e}
		})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunCatchesALaxVerify$/^HonestSealOfWrongFieldsFails$", "-test.v", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "CONSENSUSTEST_LAX_ENGINE=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the suite must fail on a lax Verify:\n%s", out)
	assert.Contains(t, string(out), "--- FAIL: TestRunCatchesALaxVerify/HonestSealOfWrongFieldsFails/bits_one_less")
	assert.Contains(t, string(out), "Verify took a block sealed with bits 15")
}

// keptBits is laxPoW whose Verify does compute the Bits again, through
// a Prepare that sets proof of work's Bits only on a header that has
// none and keeps those of a header that has some: Verify gets the
// header's Bits back, so a block sealed at one bit passes it.
type keptBits struct{ laxPoW }

func (e keptBits) Prepare(chain blockchain.ChainReader, h *blockchain.Header) error {
	if h.Bits != 0 {
		h.Seal = nil
		return nil
	}
	return e.Engine.Prepare(chain, h)
}

func (e keptBits) Verify(chain blockchain.ChainReader, b *blockchain.Block) error {
	h := b.Header()
	want := h
	if err := e.Prepare(chain, &want); err != nil {
		return err
	}
	if want.Bits != h.Bits {
		return &blockchain.RuleError{Code: blockchain.ErrBadConsensusFields, Have: fmt.Sprint(h.Bits), Want: fmt.Sprint(want.Bits)}
	}
	return e.laxPoW.Verify(chain, b)
}

// TestRunCatchesAPrepareThatKeepsTheHeadersBits: Run passed an engine
// whose Prepare set Bits on a fresh header but kept the Bits of a header
// that had some, and whose Verify compared the header with that
// Prepare: HonestSealOfWrongFieldsFails took Prepare keeping the wrong
// Bits for an engine that leaves Bits to the header, and skipped. On a
// chain of 16 bits the engine applies a block sealed at one bit. The
// suite, run on it in a child process, now fails, naming both cases.
func TestRunCatchesAPrepareThatKeepsTheHeadersBits(t *testing.T) {
	newEngine := func(tb testing.TB) blockchain.Consensus {
		e, err := pow.New(pow.Config{Bits: 16, Workers: 1})
		require.NoError(tb, err)
		return keptBits{laxPoW{e}}
	}
	if os.Getenv("CONSENSUSTEST_KEPT_BITS") == "1" {
		consensustest.Run(t, newEngine)
		return
	}

	// What the suite must catch: a block of one bit on a chain of 16.
	engine := newEngine(t)
	chain := newChain(t, engine)
	b, _, err := chain.Propose(consensustest.Addr("mallory"), nil, consensustest.Genesis().Header().Timestamp.Add(time.Second))
	require.NoError(t, err)
	h := b.Header()
	require.Equal(t, uint32(16), h.Bits, "precondition: Prepare sets the chain's bits")
	h.Bits = 1
	for blockchain.NewBlock(h, nil).SealHash().LeadingZeroBits() < 1 {
		h.Nonce++
	}
	require.NoError(t, chain.Check(blockchain.NewBlock(h, nil)), "precondition: the engine takes a block of one bit")

	cmd := exec.Command(os.Args[0], "-test.run=^TestRunCatchesAPrepareThatKeepsTheHeadersBits$/^HonestSealOfWrongFieldsFails$", "-test.v", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "CONSENSUSTEST_KEPT_BITS=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the suite must fail on a Prepare that keeps the header's Bits:\n%s", out)
	for _, want := range []string{
		"--- FAIL: TestRunCatchesAPrepareThatKeepsTheHeadersBits/HonestSealOfWrongFieldsFails/bits_one_more",
		"--- FAIL: TestRunCatchesAPrepareThatKeepsTheHeadersBits/HonestSealOfWrongFieldsFails/bits_one_less",
		"Prepare sets bits 16 on the next header, but keeps the 15 of a header that has it",
	} {
		assert.Contains(t, string(out), want)
	}
}

// specOfNoChain is checksum declaring, as a blockchain.SpecEngine, a
// consensus no chain spec takes: an engine of its own name.
type specOfNoChain struct{ checksum }

func (specOfNoChain) ConsensusSpec() blockchain.ConsensusSpec {
	return blockchain.ConsensusSpec{Engine: "checksum"}
}

// specPanics is checksum declaring, as a blockchain.SpecEngine, a
// consensus its ConsensusSpec never returns: it panics, as a plugin's
// may that reads a field it never set.
type specPanics struct{ checksum }

func (specPanics) ConsensusSpec() blockchain.ConsensusSpec {
	var params *blockchain.PoWSpec
	return blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{Bits: params.Bits}}
}

// TestRunFailsAnEngineOfNoSpecsConsensus: Run panicked, ending the test
// binary, on a SpecEngine whose ConsensusSpec no spec takes, or whose
// ConsensusSpec panics (which blockchain.NewChain refuses as
// ErrEngineMisbehaved), as soon as a case asked for the genesis of its
// spec. Each case now fails, saying why, and the binary goes on.
func TestRunFailsAnEngineOfNoSpecsConsensus(t *testing.T) {
	engines := map[string]blockchain.Consensus{"no-spec": specOfNoChain{}, "panics": specPanics{}}
	if name := os.Getenv("CONSENSUSTEST_NO_SPEC"); name != "" {
		consensustest.Run(t, func(testing.TB) blockchain.Consensus { return engines[name] })
		return
	}
	for _, tc := range []struct {
		name, engine string
		want         []string
	}{
		{"a consensus no spec takes", "no-spec", []string{"consensustest_test.specOfNoChain is a blockchain.SpecEngine whose ConsensusSpec no chain spec takes"}},
		{"a ConsensusSpec that panics", "panics", []string{"consensustest_test.specPanics is a blockchain.SpecEngine whose ConsensusSpec panicked",
			"the consensus engine broke its contract: ConsensusSpec panicked: runtime error: invalid memory address"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRunFailsAnEngineOfNoSpecsConsensus$", "-test.v", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), "CONSENSUSTEST_NO_SPEC="+tc.engine)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite must fail on such an engine:\n%s", out)
			assert.NotContains(t, string(out), "panic:")
			assert.Contains(t, string(out), "--- FAIL: TestRunFailsAnEngineOfNoSpecsConsensus/SealLeavesInputAlone")
			assert.Contains(t, string(out), "--- FAIL: TestRunFailsAnEngineOfNoSpecsConsensus/ConcurrentUse")
			for _, want := range tc.want {
				assert.Contains(t, string(out), want)
			}
		})
	}
}

// cheapSeal is checksum with a difficulty that Prepare sets, 2 bits, and a
// Seal that sets 0 instead (a cheap seal); its Verify, checksum's, trusts
// the header's Bits.
type cheapSeal struct{ checksum }

func (cheapSeal) Prepare(_ blockchain.ChainReader, h *blockchain.Header) error {
	h.Bits, h.Seal = 2, nil
	return nil
}

func (c cheapSeal) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("cheap seal: nil block")
	}
	h := b.Header()
	h.Bits = 0
	h.Nonce = c.seal(h)
	return b.WithHeader(h), nil
}

// TestRunCatchesACheapSeal: HonestSealOfWrongFieldsFails skipped every
// case in which Seal changed the field, Bits as well as the nonce it
// searches, and so passed an engine whose Seal sets Bits below Prepare's
// and whose Verify trusts the header's Bits. Bits are Prepare's: the
// suite, run on that engine in a child process, fails.
func TestRunCatchesACheapSeal(t *testing.T) {
	if os.Getenv("CONSENSUSTEST_CHEAP_SEAL") == "1" {
		consensustest.Run(t, func(testing.TB) blockchain.Consensus { return cheapSeal{} })
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunCatchesACheapSeal$/^HonestSealOfWrongFieldsFails$", "-test.v", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "CONSENSUSTEST_CHEAP_SEAL=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the suite must fail on a cheap Seal:\n%s", out)
	assert.Contains(t, string(out), "--- FAIL: TestRunCatchesACheapSeal/HonestSealOfWrongFieldsFails/bits_one_more")
	assert.Contains(t, string(out), "Verify took a block sealed with bits 0")
}

// panicky is checksum with a Verify that panics on a wrong nonce, as a
// student's engine might that indexes a seal it never measured.
type panicky struct{ checksum }

func (p panicky) Verify(chain blockchain.ChainReader, b *blockchain.Block) error {
	if h := b.Header(); h.Nonce != p.seal(h) {
		panic("index out of range")
	}
	return p.checksum.Verify(chain, b)
}

// TestRunReportsAPanickingVerify: a Verify that panics on a tampered
// block fails the suite with a message naming the block, and the
// suite's other checks still run; the panic used to end the test binary.
func TestRunReportsAPanickingVerify(t *testing.T) {
	if os.Getenv("CONSENSUSTEST_PANICKY") == "1" {
		consensustest.Run(t, func(testing.TB) blockchain.Consensus { return panicky{} })
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunReportsAPanickingVerify$", "-test.v", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "CONSENSUSTEST_PANICKY=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the suite must fail on a panicking Verify:\n%s", out)
	assert.Contains(t, string(out), "--- FAIL: TestRunReportsAPanickingVerify/TamperedHeaderFails")
	assert.Contains(t, string(out), "Verify panicked on block 1")
	assert.Contains(t, string(out), "--- PASS: TestRunReportsAPanickingVerify/ConcurrentUse", "the checks after it ran")
	assert.NotContains(t, string(out), "panic: index out of range")
}

// hanging is checksum with a Seal that never returns, its context or not:
// a student's search loop that forgot to look at ctx, on a header it
// cannot seal.
type hanging struct{ checksum }

func (hanging) Seal(context.Context, *blockchain.Block) (*blockchain.Block, error) {
	select {}
}

// TestRunReportsAHangingSeal: a Seal that never returns fails each case
// that seals, saying so, and the suite goes on to the next case. Only
// the cases that seal through Seal's own cancellation were watched: the
// others held the test binary until go test's timeout killed it, naming
// no case.
func TestRunReportsAHangingSeal(t *testing.T) {
	if os.Getenv("CONSENSUSTEST_HANGING") == "1" {
		defer consensustest.SetWatchdog(100 * time.Millisecond)()
		consensustest.Run(t, func(testing.TB) blockchain.Consensus { return hanging{} })
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunReportsAHangingSeal$/^(SealedBlockVerifies|ConcurrentUse)$", "-test.v", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), "CONSENSUSTEST_HANGING=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the suite must fail on a hanging Seal:\n%s", out)
	for _, c := range []string{"SealedBlockVerifies", "ConcurrentUse"} {
		assert.Contains(t, string(out), "--- FAIL: TestRunReportsAHangingSeal/"+c, "each case that seals fails")
	}
	assert.Contains(t, string(out), "Seal did not return within 2s of its context ending")
	assert.NotContains(t, string(out), "panic: test timed out")
}

// TestRefusedErrorWithoutBlock: a RefusedError built without its block
// still reads, rather than panic in Error.
func TestRefusedErrorWithoutBlock(t *testing.T) {
	err := &consensustest.RefusedError{Err: blockchain.ErrBadNonce}
	var got string
	require.NotPanics(t, func() { got = err.Error() })
	assert.Equal(t, "apply block: bad-nonce", got)
}

// TestRefusedErrorNamesTheBlockOnce: the chain's error names the block
// already; RefusedError does not name it again.
func TestRefusedErrorNamesTheBlockOnce(t *testing.T) {
	chain := newChain(t, consensustest.NewFaker())
	_, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), chain, 1, func(_ int, g *consensustest.BlockGen) {
		g.EditHeader(func(h *blockchain.Header) { h.StateRoot[0] ^= 1 })
	})
	var refused *consensustest.RefusedError
	require.ErrorAs(t, err, &refused)
	msg := err.Error()
	assert.Equal(t, 1, strings.Count(msg, refused.Block.String()), msg)
	assert.True(t, strings.HasPrefix(msg, "apply "+refused.Block.String()+": "), msg)
	assert.Contains(t, msg, blockchain.ErrBadStateRoot.String())
	assert.Equal(t, "apply block 1: bad-nonce", (&consensustest.RefusedError{Block: refused.Block, Err: blockchain.ErrBadNonce}).Error(),
		"an error that does not name the block is given its height")
}

// runInChild runs the suite on newEngine in a child process, restricted to
// the cases of filter (a -test.run pattern below the test's own name),
// with opts, and returns its output; the suite must fail there. env names the
// variable that tells the child to run the suite.
func runInChild(t *testing.T, env, filter string, newEngine func(testing.TB) blockchain.Consensus, opts ...consensustest.Option) string {
	t.Helper()
	if os.Getenv(env) == "1" {
		consensustest.Run(t, newEngine, opts...)
		return ""
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$/"+filter, "-test.v", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the suite must fail on this engine:\n%s", out)
	return string(out)
}

// rootless is checksum whose seal leaves out the Merkle root and the
// transaction count, as a student might who seals "the header fields
// that matter": a header whose Merkle root was changed keeps its seal,
// and a light client, which has no transactions to hash, takes it.
type rootless struct{ checksum }

func (rootless) seal(h blockchain.Header) uint64 {
	h.MerkleRoot, h.TxCount = blockchain.Hash{}, 0
	return checksum{}.seal(h)
}

func (r rootless) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := b.Header()
	h.Nonce = r.seal(h)
	return b.WithHeader(h), nil
}

func (r rootless) Verify(chain blockchain.ChainReader, b *blockchain.Block) error {
	h := b.Header()
	if _, ok := chain.HeaderAt(h.Height - 1); !ok {
		return &blockchain.RuleError{Code: blockchain.ErrUnknownAncestor, Have: fmt.Sprint(h.Height), Want: "a known parent"}
	}
	if len(h.Seal) != 0 {
		return &blockchain.RuleError{Code: blockchain.ErrBadConsensusFields, Have: fmt.Sprintf("a seal of %d bytes", len(h.Seal)), Want: "no seal"}
	}
	if want := r.seal(h); h.Nonce != want {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal, Have: fmt.Sprint(h.Nonce), Want: fmt.Sprint(want)}
	}
	return nil
}

// TestRunCatchesASealThatLeavesOutTheMerkleRoot: TamperedHeaderFails took
// a refusal by Block.Validate as well as one by Verify, and Validate
// refuses a changed Merkle root or transaction count whatever the engine;
// so the suite passed an engine whose seal does not cover them. Each of
// those two cases now wants Verify to refuse, and fails; the other
// fields, which the seal covers, pass.
func TestRunCatchesASealThatLeavesOutTheMerkleRoot(t *testing.T) {
	out := runInChild(t, "CONSENSUSTEST_ROOTLESS", "^TamperedHeaderFails$", func(testing.TB) blockchain.Consensus { return rootless{} })
	if out == "" {
		return
	}
	for _, c := range []string{"merkle_root", "tx_count"} {
		assert.Contains(t, out, "--- FAIL: TestRunCatchesASealThatLeavesOutTheMerkleRoot/TamperedHeaderFails/"+c)
	}
	assert.Contains(t, out, "Verify must refuse a block with its merkle root changed after sealing")
	for _, c := range []string{"version", "prev_hash", "state_root", "timestamp", "nonce"} {
		assert.Contains(t, out, "--- PASS: TestRunCatchesASealThatLeavesOutTheMerkleRoot/TamperedHeaderFails/"+c)
	}
}

// txChecking is checksum whose Verify also checks the block's
// transactions against its Merkle root, which is Block.Validate's job: a
// light client, which calls Verify on a header without its transactions,
// is refused every header.
type txChecking struct{ checksum }

func (c txChecking) Verify(chain blockchain.ChainReader, b *blockchain.Block) error {
	if h := b.Header(); b.TxRoot() != h.MerkleRoot {
		return &blockchain.RuleError{Code: blockchain.ErrBadMerkleRoot, Have: b.TxRoot().String(), Want: h.MerkleRoot.String()}
	}
	return c.checksum.Verify(chain, b)
}

// TestRunCatchesAVerifyThatLooksAtTransactions: the suite checked that a
// block with changed transactions fails Verify or Validate, which
// Validate's Merkle check ensures whatever the engine, and passed an
// engine whose Verify refuses a header without its transactions. Its
// VerifyJudgesTheHeaderOnly now fails on it.
func TestRunCatchesAVerifyThatLooksAtTransactions(t *testing.T) {
	out := runInChild(t, "CONSENSUSTEST_TX_CHECKING", "", func(testing.TB) blockchain.Consensus { return txChecking{} })
	if out == "" {
		return
	}
	for _, c := range []string{"no_transactions", "other_transactions"} {
		assert.Contains(t, out, "--- FAIL: TestRunCatchesAVerifyThatLooksAtTransactions/VerifyJudgesTheHeaderOnly/"+c)
	}
	assert.Contains(t, out, "Verify must judge the header only")
	assert.Equal(t, 4, strings.Count(out, "--- FAIL:"), "only that case fails (and the test), in its two subtests:\n%s", out)
}

// wallClock is checksum whose Prepare eases the difficulty, to 0 bits
// from 1, once the tip is an hour old by the wall clock: the time it
// should take from the header (h.Timestamp), it takes from time.Now.
// Verify, computing Bits again at another moment, would disagree with it.
type wallClock struct{ checksum }

func (wallClock) Prepare(chain blockchain.ChainReader, h *blockchain.Header) error {
	h.Bits, h.Seal = 1, nil
	if time.Since(chain.Tip().Timestamp) > time.Hour {
		h.Bits = 0
	}
	return nil
}

// TestRunCatchesAPrepareThatReadsTheClock: PrepareIsDeterministic called
// Prepare twice in the same millisecond, and passed a Prepare that reads
// the wall clock (today the suite's tip, of 2020, is always more than an
// hour old). It now moves a synctest clock across the tip's time, and
// fails.
func TestRunCatchesAPrepareThatReadsTheClock(t *testing.T) {
	out := runInChild(t, "CONSENSUSTEST_WALL_CLOCK", "^PrepareIsDeterministic$", func(testing.TB) blockchain.Consensus { return wallClock{} })
	if out == "" {
		return
	}
	assert.Contains(t, out, "--- FAIL: TestRunCatchesAPrepareThatReadsTheClock/PrepareIsDeterministic")
	assert.Contains(t, out, "Prepare must not read the clock")
}

// ignoresCancel is checksum with a Seal that never looks at its context:
// it seals at once, cancelled or not.
type ignoresCancel struct{ checksum }

func (c ignoresCancel) Seal(_ context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	return c.checksum.Seal(context.Background(), b)
}

// TestRunCatchesASealThatIgnoresACancelledContext: SealOnCancelledContext
// checks the engine, and only it fails on a Seal that seals on a
// cancelled context.
func TestRunCatchesASealThatIgnoresACancelledContext(t *testing.T) {
	out := runInChild(t, "CONSENSUSTEST_IGNORES_CANCEL", "", func(testing.TB) blockchain.Consensus { return ignoresCancel{} })
	if out == "" {
		return
	}
	assert.Contains(t, out, "--- FAIL: TestRunCatchesASealThatIgnoresACancelledContext/SealOnCancelledContext")
	assert.Contains(t, out, "Seal on a cancelled context must return ctx.Err()")
	assert.Equal(t, 2, strings.Count(out, "--- FAIL:"), "only that case fails (and the test):\n%s", out)
}

// sealing is checksum with its proof in the Seal, 8 bytes, rather than
// in the nonce: an engine that makes a seal, as proof of authority's
// signature is one, for the suite's seal changes to work on. The
// engines below break its Verify or its Seal one way each.
type sealing struct{ checksum }

// proof is the seal of h: the first 8 bytes of its seal hash, which
// covers every header field but the seal.
func (sealing) proof(h blockchain.Header) []byte {
	sum := h.SealHash()
	return sum[:8]
}

func (s sealing) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := b.Header()
	h.Seal = s.proof(h)
	return b.WithHeader(h), nil
}

// verify checks h's seal with match, which each engine below gets
// right or wrong.
func (s sealing) verify(chain blockchain.ChainReader, b *blockchain.Block, match func(seal, want []byte) bool) error {
	h := b.Header()
	if _, ok := chain.HeaderAt(h.Height - 1); !ok {
		return &blockchain.RuleError{Code: blockchain.ErrUnknownAncestor, Have: fmt.Sprint(h.Height), Want: "a known parent"}
	}
	if want := s.proof(h); !match(h.Seal, want) {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal, Have: fmt.Sprintf("%x", h.Seal), Want: fmt.Sprintf("%x", want)}
	}
	return nil
}

func (s sealing) Verify(chain blockchain.ChainReader, b *blockchain.Block) error {
	return s.verify(chain, b, bytes.Equal)
}

// TestRunOnAnEngineThatMakesASeal: the engine the demonstrations below
// break passes the suite, so that each of them fails for its one fault.
func TestRunOnAnEngineThatMakesASeal(t *testing.T) {
	consensustest.Run(t, func(testing.TB) blockchain.Consensus { return sealing{} })
}

// trailingSeal is sealing whose Verify reads the 8 bytes it wants and
// ignores any after them: a block with bytes appended to its seal is
// another block (the block hash covers the seal) that it takes as well.
type trailingSeal struct{ sealing }

func (s trailingSeal) Verify(chain blockchain.ChainReader, b *blockchain.Block) error {
	return s.verify(chain, b, bytes.HasPrefix)
}

// shortCompare is sealing whose Verify compares the seal with an
// off-by-one loop that never reaches the last byte: a seal with that
// byte flipped passes.
type shortCompare struct{ sealing }

func (s shortCompare) Verify(chain blockchain.ChainReader, b *blockchain.Block) error {
	return s.verify(chain, b, func(seal, want []byte) bool {
		if len(seal) != len(want) {
			return false
		}
		for i := 0; i < len(want)-1; i++ {
			if seal[i] != want[i] {
				return false
			}
		}
		return true
	})
}

// TestRunCatchesAVerifyThatTakesAChangedSeal: TamperedSealFails, and it
// alone, fails on an engine whose Verify takes a seal with a byte added,
// or with its last byte flipped, naming that change.
func TestRunCatchesAVerifyThatTakesAChangedSeal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		engine blockchain.Consensus
		change string // the seal change it takes, as a subtest name
	}{
		{"trailing bytes ignored", trailingSeal{}, "a_byte_appended_to_the_seal"},
		{"last byte not compared", shortCompare{}, "last_seal_byte_flipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runInChild(t, "CONSENSUSTEST_CHANGED_SEAL", "", func(testing.TB) blockchain.Consensus { return tc.engine })
			if out == "" {
				return
			}
			assert.Contains(t, out, "--- FAIL: "+t.Name()+"/TamperedSealFails/"+tc.change)
			assert.Contains(t, out, "Verify must refuse a block with its seal changed")
			assert.Equal(t, 4, strings.Count(out, "--- FAIL:"), "only that change fails (and its case, and the test):\n%s", out)
		})
	}
}

// refusesUnsealed is checksum with a CheckSeal that wants a seal, as if
// every engine made one: it refuses every block checksum seals, each of
// which Verify accepts.
type refusesUnsealed struct{ checksum }

func (refusesUnsealed) CheckSeal(b *blockchain.Block) error {
	if len(b.Header().Seal) == 0 {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal, Have: "no seal", Want: "a seal"}
	}
	return nil
}

// nonceOnly is checksum with a CheckSeal that checks the nonce and
// forgets that the engine makes no seal: it takes a block with a seal
// added, which Verify refuses.
type nonceOnly struct{ checksum }

func (c nonceOnly) CheckSeal(b *blockchain.Block) error {
	if h := b.Header(); h.Nonce != c.seal(h) {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal, Have: fmt.Sprint(h.Nonce), Want: fmt.Sprint(c.seal(h))}
	}
	return nil
}

// TestRunCatchesACheckSealThatDisagreesWithVerify: SealCheckerAgreesWithVerify,
// and it alone, fails on a CheckSeal that refuses a block Verify accepts,
// and on one that accepts a block Verify refuses.
func TestRunCatchesACheckSealThatDisagreesWithVerify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		engine blockchain.Consensus
		want   string
	}{
		{"refuses valid blocks", refusesUnsealed{}, "CheckSeal must accept what Verify accepts"},
		{"accepts a changed seal", nonceOnly{}, "CheckSeal must refuse a block with its seal changed (one-byte seal added)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runInChild(t, "CONSENSUSTEST_CHECK_SEAL", "", func(testing.TB) blockchain.Consensus { return tc.engine })
			if out == "" {
				return
			}
			assert.Contains(t, out, "--- FAIL: "+t.Name()+"/SealCheckerAgreesWithVerify")
			assert.Contains(t, out, tc.want)
			assert.Equal(t, 3, strings.Count(out, "--- FAIL:"), "only that case fails (and the test):\n%s", out)
		})
	}
}

// rewriting is checksum with a Seal that changes a field of the header
// that is not the seal's, then seals the changed header: its blocks
// verify, as their seal covers the change, but they are not the block
// the miner proposed.
type rewriting struct {
	checksum
	change func(*blockchain.Header)
}

func (r rewriting) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := b.Header()
	r.change(&h)
	return r.checksum.Seal(ctx, b.WithHeader(h))
}

// TestRunCatchesASealThatChangesTheBlock: SealLeavesInputAlone fails on
// a Seal that pays another beneficiary, or changes the state root,
// naming the field. (The chain refuses such a block for its state root,
// so the cases that apply sealed blocks fail too: the child runs this
// case alone.)
func TestRunCatchesASealThatChangesTheBlock(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*blockchain.Header)
		field  string
	}{
		{"pays mallory", func(h *blockchain.Header) { h.Beneficiary = consensustest.Addr("mallory") }, "Beneficiary"},
		{"changes the state root", func(h *blockchain.Header) { h.StateRoot[0] ^= 1 }, "StateRoot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runInChild(t, "CONSENSUSTEST_REWRITING", "^SealLeavesInputAlone$", func(testing.TB) blockchain.Consensus { return rewriting{change: tc.change} })
			if out == "" {
				return
			}
			assert.Contains(t, out, "--- FAIL: "+t.Name()+"/SealLeavesInputAlone")
			assert.Contains(t, out, "Seal must return the block it was given, sealed")
			assert.Contains(t, out, "its "+tc.field+" changed")
		})
	}
}

// hardBits are the Bits of the header WithHardHeader gives hangsWhenHard.
const hardBits = 256

// hangsWhenHard is checksum whose Seal looks at its context before it
// starts and never again: on a header it seals at once that is no
// fault, but on a hard one (Bits of hardBits) it searches on after its
// context ends. It blocks for ever, standing for that search, rather
// than burn a core.
type hangsWhenHard struct{ checksum }

func (c hangsWhenHard) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.Header().Bits == hardBits {
		select {}
	}
	return c.checksum.Seal(ctx, b)
}

// quietWhenCancelled is checksum whose Seal, on a hard header, waits
// for its context and then returns no block and no error, as a search
// loop does that breaks out on ctx.Done() and forgets to say why: the
// miner takes the nil block for a sealed one.
type quietWhenCancelled struct{ checksum }

func (c quietWhenCancelled) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.Header().Bits == hardBits {
		<-ctx.Done()
		return nil, nil
	}
	return c.checksum.Seal(ctx, b)
}

// TestRunCatchesASealThatCannotBeCancelled: CancelSealInProgress, and it
// alone, fails on a Seal that looks at its context only before it
// starts, once the watchdog gives up on it (two seconds), and on one that
// stops when cancelled but returns no error.
func TestRunCatchesASealThatCannotBeCancelled(t *testing.T) {
	harden := consensustest.WithHardHeader(func(h *blockchain.Header) { h.Bits = hardBits })
	for _, tc := range []struct {
		name   string
		engine blockchain.Consensus
		want   string
	}{
		{"never stops", hangsWhenHard{}, "Seal did not return within 2s of its context ending"},
		{"stops without an error", quietWhenCancelled{}, "a cancelled Seal must return ctx.Err()"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runInChild(t, "CONSENSUSTEST_UNCANCELLABLE", "", func(testing.TB) blockchain.Consensus { return tc.engine }, harden)
			if out == "" {
				return
			}
			assert.Contains(t, out, "--- FAIL: "+t.Name()+"/CancelSealInProgress")
			assert.Contains(t, out, tc.want)
			assert.Contains(t, out, "--- PASS: "+t.Name()+"/SealOnCancelledContext")
			assert.Equal(t, 3, strings.Count(out, "--- FAIL:"), "only that case fails (and the test):\n%s", out)
		})
	}
}

// panickySeal is checksum with a Seal that panics, as a student's might
// that indexes a slice it never sized.
type panickySeal struct{ checksum }

func (panickySeal) Seal(context.Context, *blockchain.Block) (*blockchain.Block, error) {
	panic("seal: index out of range")
}

// panickyCheckSeal is checksum with a CheckSeal that panics.
type panickyCheckSeal struct{ checksum }

func (panickyCheckSeal) CheckSeal(*blockchain.Block) error { panic("check seal: index out of range") }

// panickyPrepare is checksum with a Prepare that panics.
type panickyPrepare struct{ checksum }

func (panickyPrepare) Prepare(blockchain.ChainReader, *blockchain.Header) error {
	panic("prepare: index out of range")
}

// TestRunReportsAPanickingSealOrCheckSeal: a Seal, CheckSeal or Prepare
// that panics fails the cases that call it, with a message naming the
// method and the block, and the suite's other checks still run. Seal runs
// in a goroutine of the suite's, and the others in the case's own: the
// panic used to end the test binary, naming no case.
func TestRunReportsAPanickingSealOrCheckSeal(t *testing.T) {
	for _, tc := range []struct {
		name   string // no name may end another: each is a -test.run pattern
		env    string
		filter string
		engine blockchain.Consensus
		failed []string // cases that must fail
		passed string   // a case that must pass: the suite went on
		named  []string // in the output: the method, the block, the panic
	}{
		{"in Seal", "CONSENSUSTEST_PANICKY_SEAL", "^(SealedBlockVerifies|SealLeavesInputAlone|ConcurrentUse)$", panickySeal{},
			[]string{"SealedBlockVerifies", "SealLeavesInputAlone", "ConcurrentUse"}, "",
			[]string{"Seal panicked on block 1 ", ": seal: index out of range"}},
		{"in CheckSeal", "CONSENSUSTEST_PANICKY_CHECKSEAL", "^(SealCheckerAgreesWithVerify|ConcurrentUse)$", panickyCheckSeal{},
			[]string{"SealCheckerAgreesWithVerify"}, "ConcurrentUse",
			[]string{"CheckSeal panicked on block 1 ", ": check seal: index out of range"}},
		{"in Prepare", "CONSENSUSTEST_PANICKY_PREPARE", "^(SealLeavesInputAlone|SealOnCancelledContext|ConcurrentUse)$", panickyPrepare{},
			[]string{"SealLeavesInputAlone", "SealOnCancelledContext", "ConcurrentUse"}, "",
			[]string{"Prepare panicked on the header of height 1: prepare: index out of range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runInChild(t, tc.env, tc.filter, func(testing.TB) blockchain.Consensus { return tc.engine })
			if os.Getenv(tc.env) == "1" {
				return // the child: the suite ran in runInChild
			}
			// The output runs to pages: a failure names what it lacks only.
			has := func(want, why string) {
				t.Helper()
				assert.True(t, strings.Contains(out, want), "the child's output (%d bytes) lacks %q: %s", len(out), want, why)
			}
			for _, c := range tc.failed {
				has("--- FAIL: "+t.Name()+"/"+c+" ", "the case that met the panic fails")
			}
			if tc.passed != "" {
				has("--- PASS: "+t.Name()+"/"+tc.passed+" ", "the checks after it ran")
			}
			for _, want := range tc.named {
				has(want, "the failure names the method, the block and the panic")
			}
			assert.False(t, strings.Contains(out, "panic: "), "the panic ended the test binary")
		})
	}
}
