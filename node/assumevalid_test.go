package node_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

// unsigned returns a transfer of a named account's that no one signed: it
// keeps every rule but the signature.
func unsigned(from, to string, amount int64, nonce uint64) blockchain.Transaction {
	return blockchain.NewTransaction(consensustest.Transfer(from, to, amount, nonce).Fields(), nil)
}

// TestAssumeValid restores nodes in verify mode, with and without
// Config.AssumeValid, from a log whose chain holds a block with an
// unsigned transfer: the assumed history is taken as signed, everything
// off it is checked. The log holds, in order:
//
//	0  b1  alice pays bob, signed
//	1  b2  alice pays bob again, unsigned        (on b1)
//	2  f3  carol pays dave, unsigned             (on b2: off b3's history)
//	3  b3  bob pays carol, signed                (on b2)
//
// The blocks were made on a scratch chain that checks no signature, the
// history a careless or malicious vouching would give.
func TestAssumeValid(t *testing.T) {
	engine := newEngine(t)
	rules := slices.DeleteFunc(blockchain.DefaultRules(engine, blockchain.DefaultMaxDrift), func(r blockchain.Rule) bool {
		return r.Name == blockchain.RuleSignatures().Name
	})
	require.Len(t, rules, len(blockchain.DefaultRules(engine, blockchain.DefaultMaxDrift))-1, "every rule but the signatures")
	lax, err := blockchain.NewChain(blockchain.Config{Spec: consensustest.SpecOf(engine), Engine: engine, Rules: rules})
	require.NoError(t, err)
	chain := &scratch{t: t, engine: engine, chain: lax}

	b1 := chain.next(consensustest.Transfer("alice", "bob", 1, 0))
	b2 := chain.forge([]blockchain.Transaction{unsigned("alice", "bob", 2, 1)}, nil)
	chain.apply(b2)
	f3 := chain.forge([]blockchain.Transaction{unsigned("carol", "dave", 3, 0)}, nil)
	b3 := chain.next(consensustest.Transfer("bob", "carol", 4, 0))
	require.ErrorIs(t, b2.VerifySignatures(), blockchain.ErrBadSignature, "precondition: b2 holds an unsigned transfer")
	require.ErrorIs(t, f3.VerifySignatures(), blockchain.ErrBadSignature, "precondition: f3 holds an unsigned transfer")

	log := newLog(t)
	for _, b := range []*blockchain.Block{b1, b2, f3, b3} {
		appendRaw(t, log, node.StreamBlocks, mined(t, b))
	}

	for _, tc := range []struct {
		name        string
		assumeValid blockchain.Hash
		tip         *blockchain.Block
		rejected    map[eventlog.Revision]blockchain.ErrorCode
	}{
		{"not set: every signature checked", blockchain.Hash{}, b1, map[eventlog.Revision]blockchain.ErrorCode{
			1: blockchain.ErrBadSignature, 2: blockchain.ErrPrevHashMismatch, 3: blockchain.ErrPrevHashMismatch,
		}},
		{"the tip: its history taken as signed, the block off it checked", b3.Hash(), b3, map[eventlog.Revision]blockchain.ErrorCode{
			2: blockchain.ErrBadSignature,
		}},
		{"the block before the unsigned one: nothing after it assumed", b1.Hash(), b1, map[eventlog.Revision]blockchain.ErrorCode{
			1: blockchain.ErrBadSignature, 2: blockchain.ErrPrevHashMismatch, 3: blockchain.ErrPrevHashMismatch,
		}},
		{"a hash the log does not hold: nothing assumed", blockchain.Hash{1}, b1, map[eventlog.Revision]blockchain.ErrorCode{
			1: blockchain.ErrBadSignature, 2: blockchain.ErrPrevHashMismatch, 3: blockchain.ErrPrevHashMismatch,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			cfg := config(t, log)
			cfg.Engine, cfg.AssumeValid = engine, tc.assumeValid
			n, err := node.New(cfg)
			require.NoError(t, err)
			n.Observe(rec.record)
			require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
			assert.Equal(t, tc.tip.Hash(), n.Chain().TipHash())
			got := rec.rejected()
			assert.Len(t, got, len(tc.rejected))
			for rev, code := range tc.rejected {
				assert.ErrorIs(t, got[rev], code, "event %d", rev)
			}
		})
	}

	t.Run("Follow checks every signature", func(t *testing.T) {
		rec := &recorder{}
		cfg := config(t, log)
		cfg.Engine, cfg.AssumeValid = engine, b3.Hash()
		n, err := node.New(cfg)
		require.NoError(t, err)
		n.Observe(rec.record)
		require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
		follow(t, n)
		f4 := chain.forge([]blockchain.Transaction{unsigned("dave", "erin", 5, 0)}, nil)
		appendRaw(t, log, node.StreamBlocks, mined(t, f4))
		rec.waitLen(t, 5)
		nodetest.WaitFor(t, n, "the unsigned block", func() bool { b, _ := n.Position(); return b == 5 })
		assert.ErrorIs(t, rec.rejected()[4], blockchain.ErrBadSignature)
		assert.Equal(t, b3.Hash(), n.Chain().TipHash())
	})
}

// TestAssumeValidAcrossPages restores a log of more than two of
// Restore's pages, trusting a block on the second: the blocks up to it,
// on both pages, are assumed, and those after it, on the second and the
// third, are checked in advance. A read that fails on the second page
// while the trusted block is looked for fails Restore, naming the search.
func TestAssumeValidAcrossPages(t *testing.T) {
	engine := newEngine(t)
	chain := newScratch(t, engine)
	size := 2*node.RestorePage + 5
	trusted := node.RestorePage + 3 // at height trusted+1, on the second page
	log := &failingReads{Log: newLog(t), from: node.RestorePage}
	var blocks []*blockchain.Block
	for i := range size {
		b := chain.next(consensustest.Transfer("alice", "bob", 1, uint64(i)))
		blocks = append(blocks, b)
		appendRaw(t, log, node.StreamBlocks, mined(t, b))
	}

	t.Run("the trusted block and its ancestors assumed", func(t *testing.T) {
		cfg := config(t, log)
		cfg.Engine, cfg.AssumeValid = engine, blocks[trusted].Hash()
		n, err := node.New(cfg)
		require.NoError(t, err)
		checked := node.CheckedInAdvance(n)
		require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
		assert.Equal(t, blocks[size-1].Hash(), n.Chain().TipHash())
		var want []blockchain.Hash
		for _, b := range blocks[trusted+1:] {
			want = append(want, b.Hash())
		}
		assert.ElementsMatch(t, want, checked(), "checked: the blocks after the trusted one, and only those")
	})

	t.Run("a read that fails while looking", func(t *testing.T) {
		log.fail.Store(true)
		t.Cleanup(func() { log.fail.Store(false) })
		cfg := config(t, log)
		cfg.Engine, cfg.AssumeValid = engine, blocks[trusted].Hash()
		n, err := node.New(cfg)
		require.NoError(t, err)
		err = n.Restore(context.Background(), node.RestoreVerify)
		require.ErrorIs(t, err, errRead)
		assert.ErrorContains(t, err, "find the assume-valid block")
		assert.Zero(t, n.Chain().Height(), "nothing applied")
	})
}
