package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/apptest"
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

	// Each -poa-key mistake is found before the log is opened: the spec
	// of -genesis would otherwise be declared in an empty log, and fix
	// a shared log's rules, by a miner that then leaves.
	beneficiary := []string{"-beneficiary", consensustest.Addr("miner").String(), "-genesis", genesis} // the later -genesis is the one
	apptest.RefusedBeforeTheLog(t, run, []apptest.Refusal{
		{Name: "no key", Args: beneficiary, Want: "-poa-key: the chain runs proof of authority", Usage: true},
		{Name: "a key that is no signer's", Args: append(beneficiary, "-poa-key", hex.EncodeToString(consensustest.Key("stranger").Seed())), Want: "signers", Usage: true},
		{Name: "a key that is no key", Args: append(beneficiary, "-poa-key", "abcd"), Want: "-poa-key: want 32 bytes of hex", Usage: true},
	})
}

// TestFlagsRefusedAtStart: flags the miner cannot work with are usage
// errors before it opens a log, each naming the flag.
// TestDefaultID: the default -id is one the miner takes, whatever the
// host's name.
func TestDefaultID(t *testing.T) {
	for _, host := range []string{"", "box", strings.Repeat("h", 58), strings.Repeat("h", 63), strings.Repeat("é", 40)} {
		id := defaultID(host)
		assert.LessOrEqual(t, len(id), events.MaxMinerIDLen, "%q", host)
		assert.True(t, utf8.ValidString(id), "%q", host)
		assert.True(t, strings.HasPrefix("miner-"+host, id), "a cut of miner-HOST, nothing added: %q", id)
	}
	assert.Equal(t, "miner-box", defaultID("box"))
}

func TestFlagsRefusedAtStart(t *testing.T) {
	addr := consensustest.Addr("miner").String()
	for _, tc := range []struct {
		name string
		args []string
		want string // in the error
	}{
		{"no beneficiary", nil, "-beneficiary: required"},
		{"the zero address", []string{"-beneficiary", blockchain.Address{}.String()}, "the zero address"},
		{"no workers", []string{"-beneficiary", addr, "-workers", "0"}, "-workers"},
		{"too many workers", []string{"-beneficiary", addr, "-workers", "100000000"}, "-workers"},
		{"a blank id", []string{"-beneficiary", addr, "-id", " "}, "-id"},
		{"an id longer than a block event carries", []string{"-beneficiary", addr, "-id", strings.Repeat("m", 65)}, "-id: have \"mmm"},
		{"an id that is not UTF-8", []string{"-beneficiary", addr, "-id", "miner\xff"}, `-id: have "miner\xff", want a name of 1…64 bytes of UTF-8`},
		{"an id with a control character", []string{"-beneficiary", addr, "-id", "miner\a"}, `-id: have "miner\a", want letters`},
		{"a port past 65535", []string{"-beneficiary", addr, "-metrics", "127.0.0.1:99999"}, "-metrics"},
		{"no port", []string{"-beneficiary", addr, "-metrics", "127.0.0.1"}, "-metrics"},
		{"no transactions a block", []string{"-beneficiary", addr, "-max-tx", "0"}, "-max-tx: have 0, want 1…10000"},
		{"more than a block holds", []string{"-beneficiary", addr, "-max-tx", "100000000"}, "-max-tx"},
		{"a wait before now", []string{"-beneficiary", addr, "-max-wait", "-1s"}, "-max-wait"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A log that cannot open: the flags must be refused first.
			args := append([]string{"-eventlog", "file:" + filepath.Join(t.TempDir(), "no", "such", "dir", "events.db"), "-genesis", apptest.Genesis(t)}, tc.args...)
			err := run(context.Background(), args, io.Discard, io.Discard)
			require.Error(t, err)
			assert.ErrorAs(t, err, new(app.UsageError))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestBusyMetricsPortWritesNothing: a -metrics port in use is found
// before the miner opens its log, so the chain spec of -genesis is not
// written to a log the miner then leaves (the file log is not even made).
func TestBusyMetricsPortWritesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	apptest.RefusedBeforeTheLog(t, run, []apptest.Refusal{
		{Name: "a port in use", Args: []string{"-metrics", busy.Addr().String(), "-beneficiary", consensustest.Addr("miner").String()}, Want: "-metrics"},
	})
	apptest.RefusedBeforeTheLog(t, run, apptest.CommonRefusals("-metrics", busy.Addr().String(), "-beneficiary", consensustest.Addr("miner").String()))
}
