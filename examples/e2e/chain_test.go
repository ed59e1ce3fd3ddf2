package e2e_test

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/apptest"
	"github.com/eventchain/eventchain/examples/internal/keystore"
	"github.com/eventchain/eventchain/node"
)

// The chains the apps run in these tests.
const (
	// chainBits is the proof-of-work difficulty: low, so that a miner
	// with one hashing goroutine makes a block in milliseconds.
	chainBits = 12
	// demoFunds is what each funded account holds at genesis: enough
	// for hours of a soaking fault run's transfers.
	demoFunds = 1_000_000_000
	// blockReward is what each block pays its beneficiary.
	blockReward = 50
)

// testChain is a chain for apps run as processes: its spec, written to a
// genesis file for the app that starts the chain (-genesis), and the keys
// of its accounts in a keystore directory, stored in clear as the
// scheduler needs them.
type testChain struct {
	spec     blockchain.ChainSpec
	genesis  string // the spec's file
	keystore string // the keystore's directory
	keys     map[string]blockchain.PrivateKey
}

// newTestChain makes a chain in a new temporary directory: funded names
// each get demoFunds at genesis; unfunded names (miners' beneficiaries,
// receivers) have keys only. Keys derive from their names, so a run
// that fails can be read again with the same addresses.
func newTestChain(t *testing.T, funded, unfunded []string) testChain {
	t.Helper()
	dir := t.TempDir()
	c := testChain{keystore: filepath.Join(dir, "keys"), keys: map[string]blockchain.PrivateKey{}}
	ks, err := keystore.Open(c.keystore)
	require.NoError(t, err)
	c.spec = blockchain.ChainSpec{
		ChainID:     "eventchain-e2e",
		BlockReward: blockReward,
		Consensus:   blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{Bits: chainBits}},
	}
	add := func(name string) blockchain.PrivateKey {
		seed := sha256.Sum256([]byte("eventchain e2e key " + name))
		key, err := blockchain.NewPrivateKey(seed[:])
		require.NoError(t, err)
		require.NoError(t, ks.ImportUnencrypted(name, key))
		c.keys[name] = key
		return key
	}
	for _, name := range funded {
		c.spec.Alloc = append(c.spec.Alloc, blockchain.Allocation{Address: add(name).Address(), Balance: demoFunds})
	}
	for _, name := range unfunded {
		add(name)
	}
	c.spec.SortAlloc()
	c.genesis = apptest.WriteSpec(t, dir, "genesis.json", c.spec)
	return c
}

// key returns the key of name.
func (c testChain) key(t *testing.T, name string) blockchain.PrivateKey {
	t.Helper()
	k, ok := c.keys[name]
	require.True(t, ok, "the test chain has no key %q", name)
	return k
}

// addr returns the address of name's key.
func (c testChain) addr(t *testing.T, name string) blockchain.Address {
	return c.key(t, name).Address()
}

// transfer signs a transfer of amount, with a fee of 1, from one of the
// chain's keys to another.
func (c testChain) transfer(t *testing.T, from, to string, amount int64, nonce uint64) blockchain.Transaction {
	t.Helper()
	return blockchain.Transfer{ChainID: c.spec.ChainID, To: c.addr(t, to), Amount: amount, Fee: 1, Nonce: nonce}.Sign(c.key(t, from))
}

// replayed is a node restored from the log in verify mode, as a newcomer
// to the network would restore it.
type replayed struct {
	node *node.Node
	// rejected counts the block events the node rejected or skipped: a
	// block that breaks a rule, an event that is not a block. Pending
	// transactions a block made invalid (node.TxDropped) are not counted:
	// dropping them is the pool's job, not a fault of the log.
	rejected int64
}

// replay builds a node from the chain spec the log holds (node.LoadSpec,
// with nothing to declare) and restores it in verify mode, checking every
// rule of every block again. want is the spec the test started the
// chain with.
func replay(t *testing.T, ctx context.Context, log eventlog.Log, want blockchain.ChainSpec) replayed {
	t.Helper()
	spec, err := node.LoadSpec(ctx, log, nil)
	require.NoError(t, err, "the log holds the chain spec")
	require.Empty(t, want.Diff(spec), "the log's spec is the one the bank was started with")
	engine, err := app.EngineFor(spec, 1, nil)
	require.NoError(t, err)
	n, err := node.New(node.Config{Log: log, Spec: spec, Engine: engine})
	require.NoError(t, err)
	var rejected atomic.Int64
	stop := n.Observe(func(e node.Event) {
		if e.Kind == node.BlockRejected || e.Kind == node.EventSkipped {
			rejected.Add(1)
		}
	})
	defer stop()
	require.NoError(t, n.Restore(ctx, node.RestoreVerify))
	return replayed{node: n, rejected: rejected.Load()}
}

// inclusions counts, for every transaction in the chain, the blocks that
// include it, and checks that every block pays one of beneficiaries.
func inclusions(t *testing.T, chain blockchain.ReadOnlyChain, beneficiaries ...blockchain.Address) map[uuid.UUID]int {
	t.Helper()
	count := map[uuid.UUID]int{}
	for h := uint64(1); h <= chain.Height(); h++ {
		b, ok := chain.BlockAt(h)
		require.True(t, ok, "block %d", h)
		assert.Contains(t, beneficiaries, b.Header().Beneficiary, "block %d pays one of the miners' -beneficiary", h)
		for _, tx := range b.Transactions() {
			count[tx.ID()]++
		}
	}
	return count
}

// checkConservation checks the law of the chain's money on its tip
// state: no balance is negative, and the balances add up to the genesis
// allocations plus one block reward per block (fees move from senders
// to miners, and create nothing); State.Supply says the same sum. It
// returns the supply, and whether all of that held.
func checkConservation(t *testing.T, chain blockchain.ReadOnlyChain) (supply int64, conserved bool) {
	t.Helper()
	spec, state := chain.Spec(), chain.State()
	var sum int64
	accounts := 0
	conserved = true
	state.Each(func(a blockchain.Address, acct blockchain.Account) bool {
		accounts++
		sum += acct.Balance
		conserved = assert.GreaterOrEqual(t, acct.Balance, int64(0), "the balance of %s", a) && conserved
		return true
	})
	var alloc int64
	for _, a := range spec.Alloc {
		alloc += a.Balance
	}
	want := alloc + int64(chain.Height())*spec.BlockReward
	conserved = assert.Equal(t, want, sum, "the balances of %d accounts add up to the allocations (%d) plus %d block rewards of %d", accounts, alloc, chain.Height(), spec.BlockReward) && conserved
	conserved = assert.Equal(t, sum, state.Supply(), "the state's supply is the sum of its balances") && conserved
	return sum, conserved
}
