package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
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
		assert.ErrorIs(t, g.Wait(), context.Canceled)
	})

	tx := consensustest.TransferFee("alice", "bob", 1, 2, 0)
	require.NoError(t, bankPart.Node.SubmitTransaction(ctx, tx))
	mined := func(n *node.Node) func() bool {
		return func() bool { return n.Chain().Account(consensustest.Addr("alice")).Nonce == 1 }
	}
	nodetest.WaitFor(t, bankPart.Node, "the transaction mined", mined(bankPart.Node))
	nodetest.WaitFor(t, auditPart.Node, "the auditor's node to see it", mined(auditPart.Node))
	assert.Equal(t, uint64(1), m.Stats().BlocksWon)
	assert.Equal(t, int64(consensustest.Funds+consensustest.Reward+2), bankPart.Node.Chain().Account(consensustest.Addr("miner")).Balance,
		"the miner's beneficiary is paid the reward and the fee")
	assert.Equal(t, b.Routes()[0], "POST /transactions")
	assert.NotNil(t, a)
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
