package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/apptest"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
)

// TestIndexIsNotTheEventLog: -index naming the event log's own file is a
// usage error, said as such, not a file "in use by another process".
func TestIndexIsNotTheEventLog(t *testing.T) {
	dir := t.TempDir()
	chain := filepath.Join(dir, "chain.db")
	for _, index := range []string{chain, filepath.Join(dir, ".", "chain.db")} {
		err := run(context.Background(), []string{"-eventlog", "file:" + chain, "-index", index}, io.Discard, io.Discard)
		require.Error(t, err)
		assert.ErrorAs(t, err, new(app.UsageError))
		assert.Contains(t, err.Error(), "the event log's file")
	}
	_, err := os.Stat(chain)
	assert.ErrorIs(t, err, fs.ErrNotExist, "refused before the log was made")
}

// TestFlagsRefusedBeforeTheLog: an -addr in use and an -index in a
// directory that does not exist are refused before the bank opens its
// log, naming the flag: the chain spec of -genesis is not written to a
// log the bank then leaves (the file log is not even made).
func TestFlagsRefusedBeforeTheLog(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	junk := filepath.Join(t.TempDir(), "junk.bin") // a page's worth of something that is no bbolt file
	require.NoError(t, os.WriteFile(junk, bytes.Repeat([]byte("junk"), 2048), 0o600))
	const wrongFile = "if it is another file, the bank was given the wrong path for its index"
	apptest.RefusedBeforeTheLog(t, run, []apptest.Refusal{
		{Name: "an address in use", Args: []string{"-addr", busy.Addr().String()}, Want: "-addr"},
		{Name: "a bad address", Args: []string{"-addr", "127.0.0.1"}, Want: "-addr", Usage: true},
		{Name: "an index nowhere", Args: []string{"-addr", "127.0.0.1:0", "-index", filepath.Join(t.TempDir(), "no", "such", "index.db")}, Want: "-index", Usage: true},
		{Name: "an index that is a directory", Args: []string{"-addr", "127.0.0.1:0", "-index", t.TempDir()}, Want: "is a directory: the ledger index is a file"},
		{Name: "an index that is another file", Args: []string{"-addr", "127.0.0.1:0", "-index", apptest.Genesis(t)}, Want: wrongFile},
		{Name: "an index of another kind", Args: []string{"-addr", "127.0.0.1:0", "-index", junk}, Want: wrongFile},
		{Name: "a genesis that is not there", Args: []string{"-addr", "127.0.0.1:0", "-genesis", filepath.Join(t.TempDir(), "none.json")}, Want: "-genesis", Usage: true},
		{Name: "no genesis for a new file log", Args: []string{"-addr", "127.0.0.1:0", "-genesis", ""}, Want: "-genesis is required", Usage: true},
	})
	apptest.RefusedBeforeTheLog(t, run, apptest.CommonRefusals("-addr", busy.Addr().String()))
}

// TestStoppedWhileStarting: a signal while the bank still starts (here,
// before it begins) is a clean stop, said so, as one while it serves.
func TestStoppedWhileStarting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout strings.Builder
	err := run(ctx, []string{"-eventlog", "memory", "-genesis", apptest.Genesis(t), "-addr", "127.0.0.1:0"}, &stdout, io.Discard)
	require.NoError(t, err)
	assert.Contains(t, stdout.String(), "bank: stopped\n")
}

// TestRefusesALogThatLostTheIndexedChain: a bank whose -index holds
// blocks of the chain its -genesis names, started on a log that holds
// nothing (an EventStoreDB wiped, a file deleted), declared the chain's
// spec in that log before its index refused the log: the chain began
// again there, and a miner or an auditor that joined it then went on
// with it, where every transfer of the old chain could be played again.
// It now refuses before it declares anything.
func TestRefusesALogThatLostTheIndexedChain(t *testing.T) {
	ctx := context.Background()
	index := filepath.Join(t.TempDir(), "index.db")
	{
		log := memlog.New(memlog.Config{})
		spec := consensustest.Spec()
		_, err := node.LoadSpec(ctx, log, &spec)
		require.NoError(t, err)
		engine := consensustest.NewFaker()
		blocks, err := consensustest.GenerateChain(ctx, engine, consensustest.NewChain(engine), 2,
			func(_ int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", 1) })
		require.NoError(t, err)
		for _, b := range blocks {
			e, err := events.Encode(events.BlockMined{Block: b, MinerID: "test"})
			require.NoError(t, err)
			_, err = log.Append(ctx, node.StreamBlocks, eventlog.Any, e)
			require.NoError(t, err)
		}
		n, err := node.New(node.Config{Log: log, Spec: spec, Engine: engine})
		require.NoError(t, err)
		b, err := bank.New(bank.Config{Node: n, Log: log, IndexPath: index})
		require.NoError(t, err)
		require.NoError(t, n.Restore(ctx, node.RestoreVerify))
		require.NoError(t, b.Close())
		require.NoError(t, log.Close())
	}
	_, height, ok, err := bank.IndexedChain(index)
	require.NoError(t, err)
	require.True(t, ok, "precondition: the index holds blocks")
	require.Equal(t, uint64(2), height)

	wiped := filepath.Join(t.TempDir(), "events.db")
	err = run(ctx, []string{"-eventlog", "file:" + wiped, "-genesis", apptest.Genesis(t), "-index", index, "-addr", "127.0.0.1:0"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.ErrorIs(t, err, bank.ErrLogLostBlocks)
	assert.Contains(t, err.Error(), "-index "+index)
	assert.Contains(t, err.Error(), "blocks 1 to 2")
	log, err := boltlog.Open(ctx, boltlog.Config{Path: wiped})
	require.NoError(t, err)
	defer log.Close()
	_, err = node.LoadSpec(ctx, log, nil)
	assert.ErrorIs(t, err, node.ErrNoSpec, "nothing declared in the log")
}
