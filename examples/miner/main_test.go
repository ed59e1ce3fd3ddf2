package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/app"
)

// TestProofOfAuthorityNeedsAKey: on a proof-of-authority chain, a miner
// without -poa-key could never seal, and the chain would wait at its
// turn without a word: it is a usage error, said at start.
func TestProofOfAuthorityNeedsAKey(t *testing.T) {
	spec := consensustest.Spec()
	spec.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{
		Signers: []blockchain.PublicKey{consensustest.Key("signer").Public()}}}
	data, err := json.Marshal(spec)
	require.NoError(t, err)
	genesis := filepath.Join(t.TempDir(), "genesis.json")
	require.NoError(t, os.WriteFile(genesis, data, 0o600))

	err = run(context.Background(), []string{"-eventlog", "memory", "-genesis", genesis, "-metrics", "",
		"-beneficiary", consensustest.Addr("miner").String()}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.ErrorAs(t, err, new(app.UsageError))
	assert.Contains(t, err.Error(), "-poa-key")
}
