package app

import (
	"context"
	"errors"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// NodeConfig is what every participant's node is made from.
type NodeConfig struct {
	Log     eventlog.Log         // the event log the node reads and appends to
	Spec    blockchain.ChainSpec // the chain, as ChainFlags.Join read it from the log
	Engine  blockchain.Consensus // the spec's engine, as EngineFor makes it
	Policy  pool.Policy          // zero: pool.DefaultPolicy()
	Window  int                  // blocks kept whole in memory; 0: all
	Restore node.RestoreMode     // how Run restores the node
	// SnapshotEvery makes the node record a state snapshot in the log
	// every so many blocks, for nodes that restore from one; 0: never.
	SnapshotEvery uint64
	// BankIndex is the bank's ledger index file (bank.Config.IndexPath);
	// "" keeps it in memory. Only NewBank reads it.
	BankIndex string
	Logger    *slog.Logger // the node's and the work's logs; nil discards them
}

// A Participant is one node of the network and the work done on it: a
// bank, a miner or an auditor. The separate apps run one each; devnet
// runs them all in one process.
type Participant struct {
	// Node is the participant's own node, for status lines and metrics.
	Node     *node.Node
	restore  node.RestoreMode
	work     func(ctx context.Context) error // runs once the node is restored
	ready    func()                          // called once the node is restored
	restored chan struct{}                   // closed once the node is restored
	stopping func()                          // if set, called as Run's context ends (at any stage)
}

// Restored is closed once Run has restored the node.
func (p Participant) Restored() <-chan struct{} { return p.restored }

// newParticipant makes the node; it sets a nil cfg.Logger to one that
// discards.
func newParticipant(cfg *NodeConfig) (Participant, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	n, err := node.New(node.Config{Log: cfg.Log, Spec: cfg.Spec, Engine: cfg.Engine, Policy: cfg.Policy, Window: cfg.Window,
		SnapshotEvery: cfg.SnapshotEvery, Logger: cfg.Logger})
	if err != nil {
		return Participant{}, err
	}
	return Participant{Node: n, restore: cfg.Restore, restored: make(chan struct{})}, nil
}

// Run restores the node from the log, then follows the log and does the
// participant's work until ctx ends or either fails. If the work fails
// because the log lost events (its own reader of the log saw it first,
// and stopped Follow before Follow could), the node marks the log as one
// that lost its chain all the same (node.Node.MarkChainLost).
func (p Participant) Run(ctx context.Context) error {
	if p.stopping != nil {
		context.AfterFunc(ctx, p.stopping)
	}
	if err := p.Node.Restore(ctx, p.restore); err != nil {
		return err
	}
	if p.ready != nil {
		p.ready()
	}
	close(p.restored)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.Node.Follow(ctx) })
	g.Go(func() error { return p.work(ctx) })
	err := g.Wait()
	if errors.Is(err, eventlog.ErrWentBack) || errors.Is(err, node.ErrLogWentBack) {
		p.Node.MarkChainLost(ctx) // again, if Follow did: it appends nothing twice
	}
	return err
}

// NewBank returns the bank's participant and its HTTP API, which answers
// 503 at /readyz until Run has restored the node. Close the bank once
// Run has returned: it closes the bank's ledger index.
func NewBank(cfg NodeConfig) (Participant, *bank.Bank, error) {
	p, err := newParticipant(&cfg)
	if err != nil {
		return Participant{}, nil, err
	}
	b, err := bank.New(bank.Config{Node: p.Node, Log: cfg.Log, Logger: cfg.Logger, IndexPath: cfg.BankIndex})
	if err != nil {
		return Participant{}, nil, err
	}
	p.work = b.Run
	// The server's graceful shutdown, once Run's context ends, waits for
	// every request, and an explorer's stream ends only when told; the
	// app serves streams while the node restores, too.
	p.stopping = b.CloseStreams
	p.ready = func() {
		b.SetReady(true)
		if b.Ready() { // else its ledger index failed, and Run says why
			cfg.Logger.Info("ready", "height", p.Node.Chain().Height(), "pending", p.Node.Pool().Len())
		}
	}
	return p, b, nil
}

// NewMiner returns a miner's participant, publishing as id and paying
// its blocks' reward and fees to beneficiary.
func NewMiner(cfg NodeConfig, id string, beneficiary blockchain.Address) (Participant, *miner.Miner, error) {
	p, err := newParticipant(&cfg)
	if err != nil {
		return Participant{}, nil, err
	}
	m, err := miner.New(miner.Config{Node: p.Node, ID: id, Beneficiary: beneficiary, Logger: cfg.Logger})
	if err != nil {
		return Participant{}, nil, UsageError{err}
	}
	p.work = m.Run
	return p, m, nil
}

// NewAuditor returns an auditor's participant, with policy.
func NewAuditor(cfg NodeConfig, policy audit.Policy) (Participant, *audit.Auditor, error) {
	p, err := newParticipant(&cfg)
	if err != nil {
		return Participant{}, nil, err
	}
	a, err := audit.New(audit.Config{Node: p.Node, Log: cfg.Log, Policy: policy, Logger: cfg.Logger})
	if err != nil {
		return Participant{}, nil, UsageError{err}
	}
	p.work = a.Run
	return p, a, nil
}
