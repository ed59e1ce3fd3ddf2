package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/keystore"
	"github.com/eventchain/eventchain/node"
)

// devnetProcess is a devnet binary running on a data directory.
type devnetProcess struct {
	cmd *exec.Cmd
	url string
}

// startDevnet runs bin on dir and returns once it names its bank's URL.
func startDevnet(t *testing.T, bin, dir string, args ...string) *devnetProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-data-dir", dir, "-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "300ms", "-status-every", "1h"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "devnet printed nothing")
	url := regexp.MustCompile(`http://[0-9.:]+`).FindString(lines.Text())
	require.NotEmpty(t, url, "first line names the bank: %q", lines.Text())
	go func() { // keep reading, so devnet never blocks on a full pipe
		for lines.Scan() {
		}
	}()
	return &devnetProcess{cmd: cmd, url: url}
}

// get decodes the JSON answer of a GET, or reports a status other than 200.
func get(url string, v any) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
}

// waitForHeight polls the bank until its chain reaches height: the
// process's HTTP answers are the only signal it gives.
func waitForHeight(t *testing.T, url string, height uint64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		var head struct{ Height uint64 }
		if status, err := get(url+"/chain/head", &head); err == nil && status == http.StatusOK && head.Height >= height {
			return
		}
		<-tick.C
	}
	t.Fatalf("the chain at %s did not reach height %d within two minutes", url, height)
}

// blockAt returns the block at height, as the bank serves it.
func blockAt(t *testing.T, url string, height uint64) *blockchain.Block {
	t.Helper()
	var b blockchain.Block
	status, err := get(fmt.Sprintf("%s/blocks/%d", url, height), &b)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "block %d", height)
	return &b
}

// TestDevnetGoesOnAfterAKill runs devnet on a data directory until it
// has mined a few blocks, kills it with SIGKILL — no shutdown, no flush —
// and starts it again on the same directory: the chain goes on from the
// same genesis, every block and every transaction it held is still
// there, and it grows. Under proof of authority too, whose signers' keys
// the directory keeps.
func TestDevnetGoesOnAfterAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds devnet and runs it twice; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "devnet")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	for _, consensus := range []string{"pow", "poa"} {
		t.Run(consensus, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "devnet")
			first := startDevnet(t, bin, dir, "-consensus", consensus, "-difficulty", "10")
			const height = 3
			waitForHeight(t, first.url, height)
			var before []*blockchain.Block
			for h := uint64(0); h <= height; h++ {
				before = append(before, blockAt(t, first.url, h))
			}
			balances := accountsAt(t, first.url, dir, height)
			require.NoError(t, first.cmd.Process.Kill())
			_ = first.cmd.Wait()

			// The same flags, or none: the directory's rules hold.
			second := startDevnet(t, bin, dir)
			waitForHeight(t, second.url, height+1)
			assert.Equal(t, balances, accountsAt(t, second.url, dir, height), "every account at height %d, after the restart", height)
			for h, b := range before {
				again := blockAt(t, second.url, uint64(h))
				assert.Equal(t, b.Hash(), again.Hash(), "block %d", h)
				for _, tx := range b.Transactions() {
					var st struct{ Status string }
					status, err := get(second.url+"/transactions/"+tx.ID().String(), &st)
					require.NoError(t, err)
					require.Equal(t, http.StatusOK, status, "transaction %s", tx.ID())
					assert.Equal(t, "included", st.Status, "transaction %s", tx.ID())
				}
			}
		})
	}
}

// accountsAt returns the balance and nonce at height of every account
// whose key the data directory's keystore holds (the demo accounts, the
// miners' beneficiaries), as the bank proves them, each proof checked
// against the header the bank serves with it.
func accountsAt(t *testing.T, url, dir string, height uint64) map[string]blockchain.Account {
	t.Helper()
	ks, err := keystore.Open(filepath.Join(dir, keysDir))
	require.NoError(t, err)
	entries, err := ks.List()
	require.NoError(t, err)
	out := map[string]blockchain.Account{}
	supply := int64(0)
	for _, e := range entries {
		var ans struct {
			Header blockchain.Header       `json:"header"`
			Proof  blockchain.AccountProof `json:"proof"`
		}
		status, err := get(fmt.Sprintf("%s/accounts/%s/proof?height=%d", url, e.Address, height), &ans)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "proof of %s at %d", e.Name, height)
		require.NoError(t, blockchain.VerifyAccount(ans.Header, ans.Proof), "proof of %s", e.Name)
		out[e.Name] = ans.Proof.Account
		supply += ans.Proof.Account.Balance
	}
	// Coins are conserved: the allocations plus one reward per block, as
	// every holder of coins has a key in this keystore (fees go to the
	// miners, who are in it too).
	assert.Equal(t, int64(len(demoAccounts))*demoFunds+int64(height)*blockReward, supply, "the supply at height %d", height)
	return out
}

// TestDevnetRefusesOtherRules: a data directory made under some rules
// refuses flags that ask for others, and says which.
func TestDevnetRefusesOtherRules(t *testing.T) {
	made := map[string]string{} // the directory of a chain made with these flags
	for _, flags := range []string{"-difficulty 10", "-consensus poa"} {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // make the directory, then stop at once
		if err := run(ctx, append([]string{"-data-dir", dir, "-addr", "127.0.0.1:0"}, strings.Fields(flags)...), new(discard), new(discard)); err != nil {
			require.ErrorIs(t, err, context.Canceled)
		}
		require.FileExists(t, filepath.Join(dir, specFile), "the directory holds the chain's rules")
		made[flags] = dir
	}
	for _, tc := range []struct {
		made string
		args []string
		want string
	}{
		{"-difficulty 10", []string{"-difficulty", "11"}, "consensus.pow.bits: given 11, made with 10"},
		{"-difficulty 10", []string{"-consensus", "poa"}, "consensus.engine"},
		{"-difficulty 10", []string{"-consensus", "poa", "-difficulty", "10"}, "consensus.engine: given \"poa\", made with \"pow\""},
	} {
		err := run(context.Background(), append([]string{"-data-dir", made[tc.made], "-addr", "127.0.0.1:0"}, tc.args...), new(discard), new(discard))
		require.Error(t, err, "%v", tc.args)
		assert.Contains(t, err.Error(), tc.want)
		assert.Contains(t, err.Error(), "start fresh")
	}
}

// discard is an io.Writer that keeps nothing.
type discard struct{}

func (*discard) Write(p []byte) (int, error) { return len(p), nil }

// TestDevnetOnANamedLogGoesOn: on a log of its own naming, devnet keeps
// the chain's rules and keys in its data directory, names the keystore
// for the wallet, and, started again on the same log, goes on with the
// same chain — under either consensus, whose signers' keys it needs.
func TestDevnetOnANamedLogGoesOn(t *testing.T) {
	for _, consensus := range [][]string{{"-consensus", "pow", "-difficulty", "10"}, {"-consensus", "poa"}} {
		t.Run(consensus[1], func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"-data-dir", dir, "-eventlog", "file:" + filepath.Join(t.TempDir(), "chain.db"),
				"-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "200ms"}, consensus...)
			for start := range 2 {
				var out bytes.Buffer
				require.NoError(t, runUntilUp(args, &out, new(discard)), "start %d", start+1)
				assert.Contains(t, out.String(), filepath.Join(dir, keysDir), "start %d names the keystore", start+1)
			}
		})
	}
}

// TestDevnetNamedLogsKeepApart: without -data-dir, a named log's chain
// keeps its rules and keys in a directory of its own, below the default
// one, which stays as it was: a new chain on a new log is not held to
// the rules of devnet's own chain. A log that holds a chain whose keys
// are elsewhere is refused, naming -data-dir, and leaves no spec behind.
func TestDevnetNamedLogsKeepApart(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // where os.UserConfigDir looks first
	quick := []string{"-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "200ms"}
	stopped, cancel := context.WithCancel(context.Background())
	cancel() // make the default directory, then stop at once
	if err := run(stopped, append([]string{"-difficulty", "10"}, quick...), new(discard), new(discard)); err != nil {
		require.ErrorIs(t, err, context.Canceled)
	}
	def, err := defaultDataDir()
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(def, specFile), "precondition: devnet's own chain, at 10 bits")

	named := "file:" + filepath.Join(t.TempDir(), "chain.db")
	require.NoError(t, runUntilUp(append([]string{"-eventlog", named, "-difficulty", "11"}, quick...), new(discard), new(discard)),
		"a new chain on a new log, at 11 bits")
	assert.FileExists(t, filepath.Join(namedLogDir(def, named, ""), specFile), "its rules in a directory of its own")
	assert.NotEqual(t, namedLogDir(def, named, ""), namedLogDir(def, named, "demo-"), "one per stream prefix too")
	t.Chdir(filepath.Dir(strings.TrimPrefix(named, "file:")))
	assert.Equal(t, namedLogDir(def, named, ""), namedLogDir(def, "file:chain.db", ""), "one per file, however it is named")

	elsewhere := t.TempDir()
	err = runUntilUp(append([]string{"-eventlog", named, "-data-dir", elsewhere, "-difficulty", "11"}, quick...), new(discard), new(discard))
	require.ErrorIs(t, err, node.ErrSpecMismatch, "new keys, another genesis")
	assert.Contains(t, err.Error(), "-data-dir")
	assert.Contains(t, err.Error(), "a chain devnet did not start here", "not \"holds another chain's\": it held nothing")
	assert.NoFileExists(t, filepath.Join(elsewhere, specFile), "nothing left behind")
	assert.NoFileExists(t, filepath.Join(elsewhere, chainLogFile), "nor a name of the log")

}

// TestDevnetRefusesADamagedDataDir: a data directory whose event log is
// gone while its ledger index stays, or whose key file is damaged, is
// refused with the reason; devnet neither begins the chain again at
// height 0 nor replaces a key it cannot read.
func TestDevnetRefusesADamagedDataDir(t *testing.T) {
	quick := []string{"-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "200ms", "-difficulty", "8"}
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"the log deleted, the index kept", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, logFile)))
		}, "not the event log it was built from"},
		{"a miner's key file emptied", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, keysDir, "miner-1.key"), nil, 0o600))
		}, "miner-1.key"},
		{"a demo key file cut short", func(t *testing.T, dir string) {
			path := filepath.Join(dir, keysDir, "alice.key")
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, data[:len(data)/2], 0o600))
		}, "alice.key"},
		{"a demo key file deleted", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, keysDir, "alice.key")))
		}, "devnet cannot make it again; put "},
		{"every key deleted", func(t *testing.T, dir string) {
			require.NoError(t, os.RemoveAll(filepath.Join(dir, keysDir)))
		}, "alice.key back (from a backup)"},
		{"a demo key file replaced by another key", func(t *testing.T, dir string) {
			ks, err := keystore.Open(filepath.Join(dir, keysDir))
			require.NoError(t, err)
			require.NoError(t, os.Remove(ks.Path("alice")))
			_, err = ks.CreateUnencrypted("alice", nil)
			require.NoError(t, err)
		}, "does not fund: not the key devnet made as alice"},
		{"a demo key file replaced by another demo account's key", func(t *testing.T, dir string) {
			// (A copy of bob.key is refused by the keystore: the name
			// in the file is bob's. An import under alice's name is not.)
			ks, err := keystore.Open(filepath.Join(dir, keysDir))
			require.NoError(t, err)
			bob, err := ks.Load("bob", nil)
			require.NoError(t, err)
			require.NoError(t, os.Remove(ks.Path("alice")))
			require.NoError(t, ks.ImportUnencrypted("alice", bob))
		}, "hold the same key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"-data-dir", dir}, quick...)
			require.NoError(t, runUntilUp(args, new(discard), new(discard)), "the first start")
			require.FileExists(t, filepath.Join(dir, indexFile))
			tc.damage(t, dir)
			err := runUntilUp(args, new(discard), new(discard))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "key exists", "the damage is named, not taken for a key made already")
		})
	}
}

// TestDevnetRebuildsADamagedIndex: the bank's ledger index is devnet's
// own and derived from the log, and written without fsync: a power cut
// may damage it. devnet stopped at every start until someone deleted
// it; it now moves the damaged file aside, says so, and builds the index
// again from the log.
func TestDevnetRebuildsADamagedIndex(t *testing.T) {
	quick := []string{"-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "200ms", "-difficulty", "8"}
	dir := t.TempDir()
	args := append([]string{"-data-dir", dir}, quick...)
	require.NoError(t, runUntilUp(args, new(discard), new(discard)), "the first start")
	path := filepath.Join(dir, indexFile)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data[:len(data)/2], 0o600), "cut short")

	var stderr strings.Builder
	require.NoError(t, runUntilUp(args, new(discard), &stderr), "the next start goes on")
	assert.Contains(t, stderr.String(), "the bank's ledger index was damaged: moved aside")
	aside, err := filepath.Glob(path + ".damaged-*")
	require.NoError(t, err)
	require.Len(t, aside, 1, "the damaged file is kept, for whoever wants to look")
	kept, err := os.ReadFile(aside[0])
	require.NoError(t, err)
	assert.Equal(t, data[:len(data)/2], kept)
	assert.FileExists(t, path, "built again")
}

// TestDevnetRestoresALostSpecFile: a data directory that lost its
// spec.json, its event log kept, was refused with the advice to delete
// the directory, the chain with it. The log declares its spec in its
// first event: devnet writes the file again from it, says so, and goes
// on with the chain. So does the directory of a named log's chain
// (at 9 bits here, which the flags, at their default, would not make
// again).
func TestDevnetRestoresALostSpecFile(t *testing.T) {
	quick := []string{"-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "200ms"}
	for _, tc := range []struct {
		name  string
		named bool
	}{
		{"devnet's own log", false},
		{"a named log", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"-data-dir", dir}, quick...)
			if tc.named {
				args = append(args, "-eventlog", "file:"+filepath.Join(t.TempDir(), "chain.db"))
			}
			require.NoError(t, runUntilUp(append(args, "-difficulty", "9"), new(discard), new(discard)), "the first start")
			path := filepath.Join(dir, specFile) // -data-dir: the named log's directory too
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.Remove(path))

			var stderr strings.Builder
			require.NoError(t, runUntilUp(args, new(discard), &stderr), "the next start goes on, without -difficulty")
			assert.Contains(t, stderr.String(), "the data directory had lost its chain spec: written again from the event log's")
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got))
		})
	}
}

// TestDevnetSaysWhenItsLogLostTheChain: a data directory's chain on a
// named log that comes back empty (an EventStoreDB started again, whose
// data lived in memory) starts again at height 0: devnet says so.
func TestDevnetSaysWhenItsLogLostTheChain(t *testing.T) {
	quick := []string{"-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "200ms", "-difficulty", "8"}
	dir := t.TempDir()
	first := "file:" + filepath.Join(t.TempDir(), "first.db")
	var stderr strings.Builder
	require.NoError(t, runUntilUp(append([]string{"-eventlog", first, "-data-dir", dir}, quick...), new(discard), &stderr))
	assert.NotContains(t, stderr.String(), "holds no chain", "a new chain, on a new log: nothing lost")

	stderr.Reset()
	require.NoError(t, os.Remove(strings.TrimPrefix(first, "file:")), "the log wiped")
	require.NoError(t, runUntilUp(append([]string{"-eventlog", first, "-data-dir", dir}, quick...), new(discard), &stderr))
	assert.Contains(t, stderr.String(), "the event log holds no chain: the chain of the data directory starts again on it at height 0")
}

// TestDevnetKeepsAChainToItsLog: a data directory made for a chain on a
// named log begins that chain again on no other log that holds none —
// devnet's own in the directory, or another named one — which would make
// a second chain with the same genesis, chain ID and keys, where every
// transfer of the first could be played again. A file log is refused
// before anything is made: no file, no key, no port. On a log that holds
// the same chain (a copy of the file), it goes on.
func TestDevnetKeepsAChainToItsLog(t *testing.T) {
	quick := []string{"-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "200ms", "-difficulty", "8"}
	dir := t.TempDir()
	firstPath := filepath.Join(t.TempDir(), "first.db")
	first := "file:" + firstPath
	require.NoError(t, runUntilUp(append([]string{"-eventlog", first, "-data-dir", dir}, quick...), new(discard), new(discard)))
	kept, ok, err := readChainLog(dir)
	require.NoError(t, err)
	require.True(t, ok, "the data directory names its chain's log")
	assert.Equal(t, chainLog{EventLog: first}, kept)

	empty := filepath.Join(t.TempDir(), "empty.db")
	made, err := app.Common{EventLog: "file:" + empty}.OpenLog(context.Background())
	require.NoError(t, err)
	require.NoError(t, made.Close())
	keys, err := os.ReadDir(filepath.Join(dir, keysDir))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		args []string
		file string // the log refused, which must hold no chain after
	}{
		{"devnet's own log, in the directory", nil, filepath.Join(dir, logFile)},
		{"devnet's own log, named", []string{"-eventlog", "file:" + filepath.Join(dir, logFile)}, filepath.Join(dir, logFile)},
		{"another file, not there", []string{"-eventlog", "file:" + filepath.Join(t.TempDir(), "other.db")}, ""},
		{"another file, holding no chain", []string{"-eventlog", "file:" + empty}, empty},
		{"another file, and another miner", []string{"-eventlog", "file:" + empty, "-miners", "3"}, empty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := runUntilUp(append(append([]string{"-data-dir", dir}, tc.args...), quick...), &stdout, new(discard))
			require.Error(t, err)
			assert.True(t, errors.As(err, new(app.UsageError)), "a usage error: %v", err)
			assert.Contains(t, err.Error(), "keeps the rules and keys of the chain on another log (-eventlog "+first+")")
			assert.Contains(t, err.Error(), "run devnet with -eventlog "+first+" -data-dir "+dir)
			assert.Empty(t, stdout.String(), "no bank, no chain: refused before the port is taken or the log opened")
			if tc.file == empty {
				assertHoldsNoChain(t, tc.file)
			} else {
				assert.NoFileExists(t, tc.file, "no log made")
			}
			again, err := os.ReadDir(filepath.Join(dir, keysDir))
			require.NoError(t, err)
			assert.Equal(t, keys, again, "no key made")
		})
	}

	require.NoError(t, runUntilUp(append([]string{"-eventlog", first, "-data-dir", dir}, quick...), new(discard), new(discard)),
		"on its own log, the chain goes on")

	t.Run("another EventStoreDB, holding no chain", func(t *testing.T) {
		srv := esdbtest.NewServer(t)
		var stdout bytes.Buffer
		err := runUntilUp(append([]string{"-data-dir", dir, "-eventlog", srv.ConnString(), "-miners", "3"}, quick...), &stdout, new(discard))
		require.Error(t, err)
		again, readErr := os.ReadDir(filepath.Join(dir, keysDir))
		require.NoError(t, readErr)
		assert.Equal(t, keys, again, "no key made for its third miner")
		assert.True(t, errors.As(err, new(app.UsageError)), "a usage error: %v", err)
		assert.Contains(t, err.Error(), "keeps the rules and keys of the chain on another log (-eventlog "+first+")")
		log, err := app.Common{EventLog: srv.ConnString()}.OpenLog(context.Background())
		require.NoError(t, err)
		defer log.Close()
		_, err = node.LoadSpec(context.Background(), log, nil)
		assert.ErrorIs(t, err, node.ErrNoSpec, "nothing declared in it")
	})

	t.Run("its own log, in use", func(t *testing.T) {
		held, err := app.Common{EventLog: first}.OpenLog(context.Background())
		require.NoError(t, err)
		defer held.Close()
		err = runUntilUp(append([]string{"-data-dir", dir, "-eventlog", first, "-miners", "3"}, quick...), new(discard), new(discard))
		require.Error(t, err)
		assert.ErrorContains(t, err, "in use")
		again, err := os.ReadDir(filepath.Join(dir, keysDir))
		require.NoError(t, err)
		assert.Equal(t, keys, again, "no key made for its third miner")
	})

	t.Run("the log moved: the name follows it", func(t *testing.T) {
		moved := filepath.Join(t.TempDir(), "moved.db")
		require.NoError(t, os.Rename(firstPath, moved))
		require.NoError(t, runUntilUp(append([]string{"-eventlog", "file:" + moved, "-data-dir", dir}, quick...), new(discard), new(discard)),
			"the same chain: it goes on")
		now, _, err := readChainLog(dir)
		require.NoError(t, err)
		assert.Equal(t, chainLog{EventLog: "file:" + moved}, now)
		err = runUntilUp(append([]string{"-eventlog", first, "-data-dir", dir}, quick...), new(discard), new(discard))
		assert.ErrorContains(t, err, "holds no chain", "the old name, empty, begins nothing")
		assert.NoFileExists(t, firstPath)
		require.NoError(t, os.Rename(moved, firstPath))
		require.NoError(t, runUntilUp(append([]string{"-eventlog", first, "-data-dir", dir}, quick...), new(discard), new(discard)),
			"moved back: it goes on")
		back, _, err := readChainLog(dir)
		require.NoError(t, err)
		assert.Equal(t, kept, back, "and the name follows it back")
	})

	t.Run("a copy: a fork, said, and the name stays", func(t *testing.T) {
		data, err := os.ReadFile(firstPath)
		require.NoError(t, err)
		copyPath := filepath.Join(t.TempDir(), "copy.db")
		require.NoError(t, os.WriteFile(copyPath, data, 0o600))
		var stderr strings.Builder
		require.NoError(t, runUntilUp(append([]string{"-eventlog", "file:" + copyPath, "-data-dir", dir}, quick...), new(discard), &stderr),
			"the same chain: it goes on")
		assert.Contains(t, stderr.String(), "two logs hold the data directory's chain (a copy?)")
		now, _, err := readChainLog(dir)
		require.NoError(t, err)
		assert.Equal(t, kept, now, "the log first named stays named")
	})

	t.Run("a copy under a stream prefix", func(t *testing.T) {
		pdir := t.TempDir()
		original := filepath.Join(t.TempDir(), "p.db")
		args := append([]string{"-data-dir", pdir, "-stream-prefix", "demo/"}, quick...)
		require.NoError(t, runUntilUp(append([]string{"-eventlog", "file:" + original}, args...), new(discard), new(discard)))
		data, err := os.ReadFile(original)
		require.NoError(t, err)
		copyPath := filepath.Join(t.TempDir(), "copy.db")
		require.NoError(t, os.WriteFile(copyPath, data, 0o600))
		require.NoError(t, runUntilUp(append([]string{"-eventlog", "file:" + copyPath}, args...), new(discard), new(discard)),
			"the same chain, under the same prefix: it goes on")
		empty := filepath.Join(t.TempDir(), "empty.db")
		made, err := app.Common{EventLog: "file:" + empty}.OpenLog(context.Background())
		require.NoError(t, err)
		require.NoError(t, made.Close())
		err = runUntilUp(append([]string{"-eventlog", "file:" + empty}, args...), new(discard), new(discard))
		assert.ErrorContains(t, err, "holds no chain", "nothing under the prefix there")
	})
}

// TestDevnetNamesTheLogOfAnOlderDirectory: a data directory made before
// devnet named its log is named once the log it is started on is seen
// to hold its chain; not on a log that holds none (as one wiped), and a
// start on devnet's own log then says the directory held a spec without
// a log.
func TestDevnetNamesTheLogOfAnOlderDirectory(t *testing.T) {
	quick := []string{"-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "200ms", "-difficulty", "8"}
	dir := t.TempDir()
	first := "file:" + filepath.Join(t.TempDir(), "first.db")
	require.NoError(t, runUntilUp(append([]string{"-eventlog", first, "-data-dir", dir}, quick...), new(discard), new(discard)))
	require.NoError(t, os.Remove(filepath.Join(dir, chainLogFile)), "as an older devnet left it")

	var stderr strings.Builder
	other := "file:" + filepath.Join(t.TempDir(), "other.db")
	require.NoError(t, runUntilUp(append([]string{"-eventlog", other, "-data-dir", dir}, quick...), new(discard), &stderr))
	assert.Contains(t, stderr.String(), "the event log holds no chain", "taken for the log wiped, as it may be")
	assert.NoFileExists(t, filepath.Join(dir, chainLogFile), "a log that held no chain is not named")

	require.NoError(t, runUntilUp(append([]string{"-eventlog", first, "-data-dir", dir}, quick...), new(discard), new(discard)))
	kept, ok, err := readChainLog(dir)
	require.NoError(t, err)
	require.True(t, ok, "named once seen to hold the chain")
	assert.Equal(t, chainLog{EventLog: first}, kept)

	require.NoError(t, os.Remove(filepath.Join(dir, chainLogFile)))
	stderr.Reset()
	require.NoError(t, runUntilUp(append([]string{"-data-dir", dir}, quick...), new(discard), &stderr))
	assert.Contains(t, stderr.String(), "the data directory holds a chain spec but no event log")
}

// TestWriteChainLog: a name is written once; a second start's finds it
// there and is told so, and a replace puts another in its place.
func TestWriteChainLog(t *testing.T) {
	dir := t.TempDir()
	created, err := writeChainLog(dir, chainLog{EventLog: "file:/a.db"})
	require.NoError(t, err)
	assert.True(t, created)
	created, err = writeChainLog(dir, chainLog{EventLog: "file:/b.db"})
	require.NoError(t, err)
	assert.False(t, created, "another start named a log first")
	l, _, err := readChainLog(dir)
	require.NoError(t, err)
	assert.Equal(t, chainLog{EventLog: "file:/a.db"}, l)
	require.NoError(t, replaceChainLog(dir, chainLog{EventLog: "file:/b.db"}))
	l, _, err = readChainLog(dir)
	require.NoError(t, err)
	assert.Equal(t, chainLog{EventLog: "file:/b.db"}, l)
}

func TestReadChainLogRefusesADamagedOne(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"{}", `does not name an event log (no "eventlog")`},
		{"not json", "does not name an event log (invalid character"},
	} {
		t.Run(tc.data, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, chainLogFile), []byte(tc.data), 0o600))
			_, _, err := readChainLog(dir)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// assertHoldsNoChain checks that the file log at path, if there is one,
// holds no chain spec.
func assertHoldsNoChain(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return
	}
	log, err := app.Common{EventLog: "file:" + path}.OpenLog(context.Background())
	require.NoError(t, err)
	defer log.Close()
	_, err = node.LoadSpec(context.Background(), log, nil)
	assert.ErrorIs(t, err, node.ErrNoSpec, "nothing written into %s", path)
}

func TestChainLogOf(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct {
		eventLog, prefix string
		want             chainLog
	}{
		{"file:chain.db", "", chainLog{EventLog: "file:" + filepath.Join(dir, "chain.db")}},
		{"file:" + filepath.Join(dir, "chain.db"), "demo-", chainLog{EventLog: "file:" + filepath.Join(dir, "chain.db"), StreamPrefix: "demo-"}},
		{"esdb://127.0.0.1:2113?tls=false", "", chainLog{EventLog: "esdb://127.0.0.1:2113?tls=false"}},
		{"esdb://admin:changeit@n1:2113,n2:2113?nodePreference=leader", "", chainLog{EventLog: "esdb://n1:2113,n2:2113?nodePreference=leader"}},
		// A password may hold a '?' the client reads as it is: all
		// before the last '@' goes, too much rather than too little.
		{"esdb://n1:2113/?q=a@b", "", chainLog{EventLog: "esdb://b"}},
		{"esdb://admin:1234?secret@n1:2113", "", chainLog{EventLog: "esdb://n1:2113"}},
	} {
		t.Run(tc.eventLog, func(t *testing.T) {
			assert.Equal(t, tc.want, chainLogOf(tc.eventLog, tc.prefix))
		})
	}
	chain := chainLogOf("file:chain.db", "")
	assert.True(t, chain.is(chainLogOf("file:./chain.db", "")), "one file, however named")
	assert.False(t, chain.is(chainLogOf("file:chain.db", "demo-")), "another stream prefix")
	assert.False(t, chain.is(chainLogOf("file:other.db", "")))
	assert.True(t, chainLogOf("esdb://a:b@h:1", "").is(chainLogOf("esdb://h:1", "")), "credentials are not the log's name")
}

// TestDevnetLostSpecFileAndTheWrongLog: a named log's data directory that
// lost spec.json, started by mistake on another log that holds another
// chain, is refused and left as it was: the other chain's spec is not
// written into it, and the right log then restores its own.
func TestDevnetLostSpecFileAndTheWrongLog(t *testing.T) {
	quick := []string{"-addr", "127.0.0.1:0", "-every", "50ms", "-max-wait", "200ms"}
	dirA, dirB := t.TempDir(), t.TempDir()
	logA, logB := "file:"+filepath.Join(t.TempDir(), "a.db"), "file:"+filepath.Join(t.TempDir(), "b.db")
	require.NoError(t, runUntilUp(append([]string{"-data-dir", dirA, "-eventlog", logA}, quick...), new(discard), new(discard)), "chain A")
	require.NoError(t, runUntilUp(append([]string{"-data-dir", dirB, "-eventlog", logB}, quick...), new(discard), new(discard)), "chain B")
	path := filepath.Join(dirA, specFile)
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))

	err = runUntilUp(append([]string{"-data-dir", dirA, "-eventlog", logB}, quick...), new(discard), new(discard))
	require.Error(t, err, "A's directory on B's log")
	assert.NoFileExists(t, path, "B's spec not written into A's directory")

	require.NoError(t, runUntilUp(append([]string{"-data-dir", dirA, "-eventlog", logA}, quick...), new(discard), new(discard)), "A's directory on A's log")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

// TestDevnetRestoreModes: a devnet restarted with each -restore mode
// goes on with the same chain: the same block and the same balances at
// the height where it stopped, and its miners' next blocks taken by a
// bank that checks every rule. Under snapshot the miners and the auditor
// resume from the newest snapshot the bank recorded, and the bank, which
// serves every block and every header from the genesis on, verifies
// them all; a log with no snapshot, or whose newest is damaged, is
// restored as the miner app restores it, from an older snapshot or from
// every block.
func TestDevnetRestoreModes(t *testing.T) {
	quick := []string{"-addr", "127.0.0.1:0", "-every", "20ms", "-max-wait", "100ms", "-difficulty", "8"}
	// A chain without snapshots, then the same chain with some.
	noSnapshots := t.TempDir()
	first := startInProcess(t, append([]string{"-data-dir", noSnapshots, "-snapshot-every", "0"}, quick...)...)
	waitForHeight(t, first.url, 3)
	_, stderr := first.stop(t)
	require.False(t, strings.Contains(stderr, "recorded snapshot"), "precondition: -snapshot-every 0 records none")
	withSnapshots := filepath.Join(t.TempDir(), "data")
	copyDir(t, noSnapshots, withSnapshots)
	second := startInProcess(t, append([]string{"-data-dir", withSnapshots, "-snapshot-every", "2"}, quick...)...)
	waitForHeight(t, second.url, stoppedAt(t, first)+6)
	_, stderr = second.stop(t)
	require.True(t, strings.Contains(stderr, `msg="recorded snapshot"`), "precondition: snapshots in the log")

	tests := []struct {
		name    string
		from    string
		mode    string
		damage  bool              // append a damaged copy of the newest snapshot's manifest
		modes   map[string]string // each node's restore mode, as it logs it
		resumed bool              // the miners and the auditor resumed from a snapshot
		say     string            // what the log says besides
	}{
		{"verify", withSnapshots, "verify", false, modesOf("verify", "verify"), false, ""},
		{"fast", withSnapshots, "fast", false, modesOf("fast", "fast"), false, ""},
		{"snapshot", withSnapshots, "snapshot", false, modesOf("verify", "snapshot"), true, ""},
		{"verify, no snapshots", noSnapshots, "verify", false, modesOf("verify", "verify"), false, ""},
		{"snapshot, none in the log", noSnapshots, "snapshot", false, modesOf("verify", "snapshot"), false, `msg="no usable snapshot: restoring every block"`},
		{"snapshot, the newest damaged", withSnapshots, "snapshot", true, modesOf("verify", "snapshot"), true, `msg="refused snapshot"`},
	}
	want := map[string]restartState{} // by chain, as a restart in verify mode finds it
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			copyDir(t, tc.from, dir)
			if tc.damage {
				damageNewestSnapshot(t, filepath.Join(dir, logFile))
			}
			r := startInProcess(t, append([]string{"-data-dir", dir, "-restore", tc.mode}, quick...)...)
			height := stoppedAt(t, first)
			if tc.from == withSnapshots {
				height = stoppedAt(t, second)
			}
			// Two blocks more: the miners' blocks, after their restore,
			// pass the bank's checks.
			waitForHeight(t, r.url, height+2)
			got := restartState{hash: blockAt(t, r.url, height).Hash(), accounts: accountsAt(t, r.url, dir, height)}
			assert.Equal(t, blockAt(t, r.url, 1).Height(), uint64(1), "the bank serves the chain from its first block")
			_, stderr := r.stop(t)

			assert.Equal(t, tc.modes, restoredModes(stderr), "each node's restore mode")
			for _, name := range []string{"miner-1", "miner-2", "auditor"} {
				assert.Equal(t, tc.resumed, strings.Contains(stderr, `msg="resumed from snapshot" app=devnet node=`+name+" "), "%s resumed from a snapshot", name)
			}
			assert.False(t, strings.Contains(stderr, `msg="resumed from snapshot" app=devnet node=bank `), "the bank resumed from a snapshot")
			if tc.say != "" {
				assert.True(t, strings.Contains(stderr, tc.say), "the log says %s", tc.say)
			}
			if tc.mode == "verify" {
				want[tc.from] = got
				return
			}
			w, ok := want[tc.from]
			require.True(t, ok, "precondition: a restart in verify mode of the same chain ran first")
			assert.Equal(t, w, got, "block %d and the balances there, as a restart in verify mode finds them", height)
		})
	}
}

// restartState is what the tests compare after a restart: the hash of
// the block at the height where the chain stopped, and every account
// there.
type restartState struct {
	hash     blockchain.Hash
	accounts map[string]blockchain.Account
}

// modesOf returns the restore mode each node of a devnet of two miners
// logs: bank for the bank, others for the miners and the auditor.
func modesOf(bank, others string) map[string]string {
	return map[string]string{"bank": bank, "miner-1": others, "miner-2": others, "auditor": others}
}

// restoredModes returns the mode each node says it restored in.
func restoredModes(stderr string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`msg=restored app=devnet node=(\S+) mode=(\S+)`).FindAllStringSubmatch(stderr, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// inProcessDevnet is devnet running in this process, as run runs it.
type inProcessDevnet struct {
	url            string
	stdout, stderr *lockedBuilder
	cancel         context.CancelFunc
	done           chan error
	stopped        string // stdout, once stopped
}

// startInProcess runs devnet with args in this process and returns once
// it names its bank's URL.
func startInProcess(t *testing.T, args ...string) *inProcessDevnet {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &inProcessDevnet{stdout: new(lockedBuilder), stderr: new(lockedBuilder), cancel: cancel, done: make(chan error, 1)}
	up := make(chan struct{})
	ww := &watchWriter{w: d.stdout, done: func(printed string) bool { return strings.Contains(printed, "devnet: bank on ") }, stop: func() { close(up) }}
	go func() { d.done <- run(ctx, args, ww, d.stderr) }()
	t.Cleanup(func() {
		cancel()
		if d.done != nil {
			<-d.done
		}
	})
	select {
	case <-up:
	case err := <-d.done:
		d.done = nil
		t.Fatalf("devnet ended before it named its bank: %v; it printed:\n%s", err, d.stdout.String())
	case <-time.After(runUntilLimit):
		t.Fatalf("devnet did not name its bank within %v", runUntilLimit)
	}
	d.url = regexp.MustCompile(`http://[0-9.:]+`).FindString(d.stdout.String())
	require.NotEmpty(t, d.url, "devnet names its bank: %q", d.stdout.String())
	return d
}

// stop stops devnet as Ctrl-C would, checks that it stopped cleanly, and
// returns what it printed and logged.
func (d *inProcessDevnet) stop(t *testing.T) (stdout, stderr string) {
	t.Helper()
	d.cancel()
	err := <-d.done
	d.done = nil
	require.NoError(t, err)
	d.stopped = d.stdout.String()
	return d.stopped, d.stderr.String()
}

// stoppedAt returns the height a stopped devnet says it stopped at.
func stoppedAt(t *testing.T, d *inProcessDevnet) uint64 {
	t.Helper()
	m := regexp.MustCompile(`devnet: stopped at height (\d+)`).FindStringSubmatch(d.stopped)
	require.NotNil(t, m, "devnet says where it stopped: %q", d.stopped)
	h, err := strconv.ParseUint(m[1], 10, 64)
	require.NoError(t, err)
	return h
}

// copyDir copies the data directory src to dst, keeping each file's
// permissions (the keystore refuses keys others may read).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), info.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
	require.NoError(t, err)
}

// damageNewestSnapshot appends to the log file at path a copy of its
// newest snapshot manifest that names another block of the blocks
// stream as its tip: a manifest that decodes, and that a node restoring
// from it refuses. The copy has the manifest's ID, which derives from
// the snapshot's block; the file is opened without a window of IDs, so
// that it is not taken for a retry of the manifest.
func damageNewestSnapshot(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	log, err := boltlog.Open(ctx, boltlog.Config{Path: path, DedupWindow: boltlog.NoDedupWindow})
	require.NoError(t, err)
	defer func() { require.NoError(t, log.Close()) }()
	recs, err := log.Read(ctx, node.StreamSnapshots, eventlog.End, eventlog.Backwards, 100)
	require.NoError(t, err)
	for _, r := range recs {
		if r.Type != events.TypeSnapshotTaken {
			continue
		}
		p, err := events.Decode(r.Event)
		require.NoError(t, err)
		m := p.(events.SnapshotTaken)
		require.NotZero(t, m.BlocksRevision, "precondition: the tip is not the first block")
		m.BlocksRevision = 0 // block 1's event, not the tip's
		ev, err := events.Encode(m)
		require.NoError(t, err)
		_, err = log.Append(ctx, node.StreamSnapshots, eventlog.Any, ev)
		require.NoError(t, err)
		return
	}
	t.Fatal("precondition: the log holds a snapshot manifest")
}
