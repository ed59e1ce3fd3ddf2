package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
	"github.com/eventchain/eventchain/pool"
)

// TestParticipants runs a bank, a miner and an auditor as devnet does,
// each a participant on one in-memory log: a transaction submitted to the
// bank's node is mined, and the auditor counts it included.
func TestParticipants(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	policy := pool.DefaultPolicy()
	policy.MaxTx = 1
	cfg := app.NodeConfig{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker(), Policy: policy}

	bankPart, b, err := app.NewBank(cfg)
	require.NoError(t, err)
	minerPart, m, err := app.NewMiner(cfg, "miner-1", consensustest.Addr("miner"))
	require.NoError(t, err)
	auditPart, a, err := app.NewAuditor(cfg, audit.Policy{Interval: time.Hour, MaxAge: time.Hour, MaxAttempts: 1})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range []app.Participant{bankPart, minerPart, auditPart} {
		g.Go(func() error { return p.Run(gctx) })
	}
	t.Cleanup(func() {
		cancel()
		_ = g.Wait()
	})

	tx := consensustest.TransferFee("alice", "bob", 1, 2, 0)
	require.NoError(t, bankPart.Node.SubmitTransaction(ctx, tx))
	mined := func(n *node.Node) func() bool {
		return func() bool { return n.Chain().Account(consensustest.Addr("alice")).Nonce == 1 }
	}
	nodetest.WaitFor(t, bankPart.Node, "the transaction mined", mined(bankPart.Node))
	nodetest.WaitFor(t, auditPart.Node, "the auditor's node to see it", mined(auditPart.Node))
	assert.Equal(t, int64(consensustest.Funds+consensustest.Reward+2), bankPart.Node.Chain().Account(consensustest.Addr("miner")).Balance,
		"the miner's beneficiary is paid the reward and the fee")
	assert.Equal(t, b.Routes()[0], "POST /transactions")
	assert.NotNil(t, a)

	// The miner counts a block won once its append has returned, which
	// may be after the other nodes read the block: stopped, it has.
	cancel()
	require.ErrorIs(t, g.Wait(), context.Canceled)
	assert.Equal(t, uint64(1), m.Stats().BlocksWon)
}

// TestParticipantsRefuseBadConfig: a miner or an auditor that cannot be
// made is a usage error, as its flags caused it.
func TestParticipantsRefuseBadConfig(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	cfg := app.NodeConfig{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker()}
	_, _, err := app.NewAuditor(cfg, audit.Policy{Interval: -1, MaxAge: time.Second})
	assert.ErrorAs(t, err, new(app.UsageError))
	_, _, err = app.NewBank(app.NodeConfig{Spec: consensustest.Spec(), Engine: consensustest.NewFaker()})
	assert.Error(t, err, "no log")
	_, _, err = app.NewMiner(app.NodeConfig{Log: log, Spec: consensustest.Spec()}, "m", consensustest.Addr("miner"))
	assert.Error(t, err, "no engine")
	_, _, err = app.NewMiner(cfg, "m", blockchain.Address{})
	assert.ErrorAs(t, err, new(app.UsageError), "no beneficiary")
	_, _, err = app.NewBank(app.NodeConfig{Log: log, Engine: consensustest.NewFaker()})
	assert.Error(t, err, "no spec")
}

// TestParticipantMarksALogThatLostTheChain: a participant whose own
// reader of the log (the bank's of the audit stream, the auditor's)
// stopped on a log that lost its events, before Follow saw it, left the
// log unmarked: Follow returned only its cancellation. Run now marks it,
// and an app started again on it is refused rather than begin the chain
// again.
func TestParticipantMarksALogThatLostTheChain(t *testing.T) {
	for _, lost := range []error{eventlog.ErrWentBack, node.ErrLogWentBack} {
		t.Run(lost.Error(), func(t *testing.T) {
			log := memlog.New(memlog.Config{}) // its chain-spec stream is empty: the log was wiped
			t.Cleanup(func() { _ = log.Close() })
			spec := consensustest.Spec()
			p, _, err := app.NewAuditor(app.NodeConfig{Log: log, Spec: spec, Engine: consensustest.NewFaker()}, audit.Policy{Interval: time.Hour, MaxAge: time.Hour, MaxAttempts: 1})
			require.NoError(t, err)
			p = app.WithWork(p, func(context.Context) error { return fmt.Errorf("audit: %w", lost) })
			err = p.Run(context.Background())
			require.ErrorIs(t, err, lost)
			_, err = node.LoadSpec(context.Background(), log, &spec)
			assert.ErrorIs(t, err, node.ErrChainLost, "marked; nothing declared")
		})
	}
}
