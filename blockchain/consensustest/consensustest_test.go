package consensustest_test

import (
	"context"
	"encoding/binary"
	"fmt"
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

func TestFakes(t *testing.T) {
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(),
		blockchain.HeaderList{blockchain.Genesis().Header()}, 3, nil)
	require.NoError(t, err)
	view := blockchain.HeaderList{blockchain.Genesis().Header()}
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
				err := tc.engine.Verify(view, b)
				if b.Height() == tc.failAt {
					assert.ErrorIs(t, err, blockchain.ErrInvalidSeal, "height %d", b.Height())
				} else {
					assert.NoError(t, err, "height %d", b.Height())
				}
			}
			sealed, err := tc.engine.Seal(context.Background(), blocks[0])
			require.NoError(t, err)
			assert.Equal(t, blocks[0].Hash(), sealed.Hash(), "fakes seal without changing the header")

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err = tc.engine.Seal(ctx, blocks[0])
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
}

func TestDelayerStopsWhenCancelled(t *testing.T) {
	engine := consensustest.NewDelayer(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := engine.Seal(ctx, blockchain.Genesis())
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

func TestGenerateChain(t *testing.T) {
	genesis := blockchain.HeaderList{blockchain.Genesis().Header()}
	gen := func(i int, g *consensustest.BlockGen) {
		for range i {
			g.AddTransfer("alice", "bob", 10)
		}
	}
	a, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), genesis, 4, gen)
	require.NoError(t, err)
	b, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), genesis, 4, gen)
	require.NoError(t, err)
	require.Len(t, a, 4)
	for i := range a {
		assert.Equal(t, a[i].Hash(), b[i].Hash(), "deterministic: block %d", i)
		assert.Equal(t, i, a[i].Len())
		assert.NoError(t, a[i].Validate())
	}
	assert.Equal(t, blockchain.Genesis().Hash(), a[0].PrevHash())
	assert.Equal(t, a[2].Hash(), a[3].PrevHash())
	assert.Equal(t, consensustest.BlockInterval, a[1].Header().Timestamp.Sub(a[0].Header().Timestamp))

	// The chain a generator builds is one a Chain accepts.
	chain, err := blockchain.NewChain(blockchain.Config{Engine: consensustest.NewFaker(), Now: func() time.Time { return a[3].Header().Timestamp }})
	require.NoError(t, err)
	for _, blk := range a {
		require.NoError(t, chain.Apply(blk))
	}
}

func TestGenerateChainErrors(t *testing.T) {
	retarget, err := pow.New(pow.Config{Bits: 1, Workers: 1, RetargetInterval: 2, TargetBlockTime: time.Second})
	require.NoError(t, err)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	mid := blockchain.HeaderList{{Version: 1, Height: 10, Bits: 1, Timestamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		engine  blockchain.Consensus
		parents blockchain.HeaderList
		want    error
	}{
		{"no parent", context.Background(), consensustest.NewFaker(), nil, nil},
		{"prepare needs missing ancestors", context.Background(), retarget, mid, blockchain.ErrUnknownAncestor},
		{"seal cancelled", cancelled, consensustest.NewFaker(), blockchain.HeaderList{blockchain.Genesis().Header()}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocks, err := consensustest.GenerateChain(tc.ctx, tc.engine, tc.parents, 2, nil)
			require.Error(t, err)
			assert.Nil(t, blocks)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
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
