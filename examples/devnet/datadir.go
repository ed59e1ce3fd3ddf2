package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog/boltlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/keystore"
	"github.com/eventchain/eventchain/node"
)

// The files of a data directory.
const (
	logFile   = "events.db" // the durable event log
	indexFile = "index.db"  // the bank's ledger index, derived from the log: rebuilt if deleted, or moved aside if damaged
	specFile  = "spec.json" // what the chain is made of: chain ID, allocations, reward, consensus
	keysDir   = "keys"      // the keys: demo accounts, miners' beneficiaries, proof-of-authority signers
	// chainLogFile, in the data directory of a chain on a log named by
	// -eventlog, names that log: see chainLog.
	chainLogFile = "eventlog.json"
)

// A chainLog names the log a data directory's chain lives on, when
// -eventlog named it: the flag's value (a file's path made absolute, a
// URL's user and password left out) and -stream-prefix. devnet writes it
// before a new chain's spec goes into the log, or once a log is seen to
// hold the directory's chain, and refuses to begin the same chain again
// on another log that holds none — devnet's own, in the directory, or
// another named one: two chains with one genesis, one chain ID and the
// same keys, where every transfer of the one could be played again on
// the other.
type chainLog struct {
	EventLog     string `json:"eventlog"`
	StreamPrefix string `json:"streamPrefix,omitempty"`
}

// maxChainLogBytes bounds what readChainLog reads: a chainLog is two
// short strings, and a file far larger is no chainLog devnet wrote.
const maxChainLogBytes = 64 << 10

// chainLogOf is the chainLog of -eventlog eventLog and -stream-prefix
// prefix.
func chainLogOf(eventLog, prefix string) chainLog {
	if path, ok := strings.CutPrefix(eventLog, "file:"); ok {
		if abs, err := filepath.Abs(path); err == nil {
			eventLog = "file:" + abs
		}
	} else {
		// esdb://user:password@host:port,host:port?…: the credentials
		// are not the log's name, and are not written down.
		eventLog = esdb.Redact(eventLog)
	}
	return chainLog{EventLog: eventLog, StreamPrefix: prefix}
}

// is reports whether l and o name the same log and streams: the same
// flags, or, for a file, the same file.
func (l chainLog) is(o chainLog) bool {
	if l.StreamPrefix != o.StreamPrefix {
		return false
	}
	a, aFile := strings.CutPrefix(l.EventLog, "file:")
	b, bFile := strings.CutPrefix(o.EventLog, "file:")
	if aFile && bFile {
		return samePath(a, b)
	}
	return l.EventLog == o.EventLog
}

// flags is l as the flags that name it.
func (l chainLog) flags() string {
	s := "-eventlog " + shellQuote(l.EventLog)
	if l.StreamPrefix != "" {
		s += " -stream-prefix " + shellQuote(l.StreamPrefix)
	}
	return s
}

// readChainLog returns the chainLog kept in dir, if it holds one.
func readChainLog(dir string) (chainLog, bool, error) {
	path := filepath.Join(dir, chainLogFile)
	data, err := app.ReadFile(path, maxChainLogBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return chainLog{}, false, nil
	}
	if err != nil {
		return chainLog{}, false, fmt.Errorf("data directory: %w", err)
	}
	var l chainLog
	err = json.Unmarshal(data, &l)
	if err == nil && l.EventLog == "" {
		err = errors.New(`no "eventlog"`)
	}
	if err != nil {
		return chainLog{}, false, fmt.Errorf("data directory: %s does not name an event log (%v): put it back, or delete it if this directory's chain lives on the log you give", path, err)
	}
	return l, true, nil
}

// writeChainLog writes l into dir, unless it holds one already; created
// says whether it did.
func writeChainLog(dir string, l chainLog) (created bool, err error) {
	data, err := json.Marshal(l)
	if err != nil {
		return false, err
	}
	switch err := writeFile(filepath.Join(dir, chainLogFile), append(data, '\n'), false); {
	case errors.Is(err, fs.ErrExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("data directory: %w", err)
	}
	return true, nil
}

// replaceChainLog writes l into dir in place of the one it holds.
func replaceChainLog(dir string, l chainLog) error {
	data, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, chainLogFile), append(data, '\n'), true); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// defaultDataDir is where devnet keeps its chain when -data-dir is not
// given: eventchain/devnet in the user's configuration directory. Where
// the system names none (on Linux: neither $XDG_CONFIG_HOME nor $HOME is
// set) there is no default, and the error says why: devnet then asks
// for -data-dir rather than fill whatever directory it was started in.
func defaultDataDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no default data directory: %w", err)
	}
	return filepath.Join(dir, "eventchain", "devnet"), nil
}

// devnetChainID names every devnet chain in its spec.
const devnetChainID = "eventchain-devnet"

// demoAccounts are the accounts devnet's genesis funds, each with
// demoFunds minor units; their keys are in the keystore, unencrypted, so
// that the wallet can send from them at once. The scheduler moves money
// between them.
var demoAccounts = []string{"alice", "bob", "carol", "dave"}

// demoFunds is what each demo account holds at genesis, in minor units.
const demoFunds = 1_000_000

// blockReward is what each devnet block pays its miner, in minor units.
const blockReward = 50

// network is the chain a devnet runs: its spec, the demo accounts' keys,
// one beneficiary key per miner, and under proof of authority the
// signers' keys, one per miner, in turn order.
type network struct {
	spec    blockchain.ChainSpec
	demo    []blockchain.PrivateKey // demoAccounts' keys, in order
	payees  []blockchain.Address    // miner i's beneficiary
	signers []blockchain.PrivateKey // poa only: miner i's signing key
	// made names the key files of miners made for a chain that existed
	// already: a miner added since, or one whose key was lost (whose
	// rewards then stay where no key can spend them).
	made []string
	// specRestored is set when the data directory had lost its spec.json
	// and openDataDir wrote it again from the chain spec in the log.
	specRestored bool
}

// keySource gives the network its keys: an existing one by name, or a
// new one made and kept under that name.
type keySource func(name string) (blockchain.PrivateKey, error)

// newNetwork makes a network from the flags: demo accounts funded at
// genesis, a beneficiary per miner and, under proof of authority, a
// signer per miner, all with keys from key.
func newNetwork(c consensusFlags, miners int, key keySource) (network, error) {
	spec := blockchain.ChainSpec{ChainID: devnetChainID, BlockReward: blockReward, Consensus: blockchain.ConsensusSpec{Engine: c.kind}}
	var n network
	for _, name := range demoAccounts {
		k, err := key(name)
		if err != nil {
			return network{}, err
		}
		n.demo = append(n.demo, k)
		spec.Alloc = append(spec.Alloc, blockchain.Allocation{Address: k.Address(), Balance: demoFunds})
	}
	spec.SortAlloc()
	for i := range miners {
		k, err := key(minerName(i))
		if err != nil {
			return network{}, err
		}
		n.payees = append(n.payees, k.Address())
	}
	switch c.kind {
	case blockchain.EnginePoW:
		spec.Consensus.PoW = &blockchain.PoWSpec{Bits: uint32(c.difficulty)}
	case blockchain.EnginePoA:
		spec.Consensus.PoA = &blockchain.PoASpec{}
		for i := range miners {
			k, err := key(signerName(i))
			if err != nil {
				return network{}, err
			}
			spec.Consensus.PoA.Signers = append(spec.Consensus.PoA.Signers, k.Public())
			n.signers = append(n.signers, k)
		}
	default:
		return network{}, app.Usagef("-consensus: have %q, want pow or poa", c.kind)
	}
	if err := spec.Validate(); err != nil {
		return network{}, app.UsageError{Err: err}
	}
	n.spec = spec
	return n, nil
}

// signerName names the key file of signer i (miner i+1).
func signerName(i int) string { return fmt.Sprintf("signer-%d", i+1) }

// minerName names the key file of miner i+1's beneficiary: its rewards
// can be spent with the wallet under this name.
func minerName(i int) string { return fmt.Sprintf("miner-%d", i+1) }

// openDataDir returns the network kept in dir, creating dir and the
// network from the flags if it holds none. explicit names the flags the
// user gave: a -consensus or -difficulty that differs from the chain's is
// refused, naming the difference, because blocks made under one set of
// rules are invalid under another; flags not given take the chain's
// values, and so does *miners under proof of authority (one miner per
// signer). fresh says, in a refusal, how to start a fresh chain instead.
//
// The spec of a network it makes is not in dir until the returned save
// is called: the caller calls it once the spec may stand — at once for
// devnet's own log, or once a named log has taken the spec (a log that
// holds another chain's refuses it, and nothing must be left behind).
// For a network dir held already, save does nothing.
func openDataDir(dir string, c *consensusFlags, miners *int, explicit map[string]bool, fresh string) (network, func() error, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return network{}, nil, fmt.Errorf("data directory: %w", err)
	}
	ks, err := keystore.Open(filepath.Join(dir, keysDir))
	if err != nil {
		return network{}, nil, fmt.Errorf("data directory: %w", err)
	}
	specPath := filepath.Join(dir, specFile)
	data, err := app.ReadFile(specPath, app.MaxSpecFileBytes)
	specRestored := false
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat(filepath.Join(dir, logFile)); statErr == nil {
			// The log declares its chain's spec in its first event: the
			// file, lost (deleted, or a directory restored in part), is
			// written again from it, rather than the chain given up.
			spec, logErr := specInLog(filepath.Join(dir, logFile), "")
			if errors.Is(logErr, boltlog.ErrLocked) {
				return network{}, nil, fmt.Errorf("data directory %s is in use: another devnet runs on its event log (%w)", dir, logErr)
			}
			if logErr != nil {
				return network{}, nil, fmt.Errorf("data directory %s holds an event log but no %s, and the log's own spec could not be read (%w): restore %s, or delete the directory to start fresh", dir, specFile, logErr, specFile)
			}
			// Another devnet starting at once may have written it first:
			// the same spec, from the same log.
			if err := writeSpec(specPath, spec); err != nil && !errors.Is(err, fs.ErrExist) {
				return network{}, nil, fmt.Errorf("data directory: write %s again from the log: %w", specFile, err)
			}
			data, err = app.ReadFile(specPath, app.MaxSpecFileBytes) // the outer err: the file is there now
			specRestored = true
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		n, err := newNetwork(*c, *miners, func(name string) (blockchain.PrivateKey, error) {
			switch _, err := ks.Lookup(name); {
			case err == nil: // left by a start that stopped before writing the spec
				return ks.Load(name, nil)
			case !errors.Is(err, keystore.ErrNotFound): // a damaged key file: say so, do not replace it
				return blockchain.PrivateKey{}, fmt.Errorf("data directory: %w", err)
			}
			if _, err := ks.CreateUnencrypted(name, nil); err != nil {
				return blockchain.PrivateKey{}, err
			}
			return ks.Load(name, nil)
		})
		if err != nil {
			return network{}, nil, err
		}
		return n, func() error { return writeSpec(specPath, n.spec) }, nil
	}
	if err != nil {
		return network{}, nil, fmt.Errorf("data directory: %w", err)
	}
	var stored blockchain.ChainSpec
	if err := stored.UnmarshalJSON(data); err != nil {
		return network{}, nil, fmt.Errorf("data directory: %s: %w; delete it, and devnet writes it again from the event log that holds the chain", specPath, err)
	}

	// The flags given, over the chain's spec: any difference is refused.
	asked := stored
	if explicit["consensus"] && c.kind != stored.Consensus.Engine {
		asked.Consensus = blockchain.ConsensusSpec{Engine: c.kind}
	}
	if explicit["difficulty"] && asked.Consensus.Engine == blockchain.EnginePoW {
		// (Proof of authority has no difficulty: devnet ignores the
		// flag, and says so, as it does for a new chain.)
		asked.Consensus.PoW = &blockchain.PoWSpec{Bits: uint32(c.difficulty)}
	}
	if d := asked.DiffNamed(stored, "given", "made with"); d != "" {
		return network{}, nil, app.Usagef("the chain in %s was made with other rules (%s): give the same flags, or %s", dir, d, fresh)
	}
	c.kind = stored.Consensus.Engine
	switch c.kind {
	case blockchain.EnginePoW:
		c.difficulty = uint(stored.Consensus.PoW.Bits)
	case blockchain.EnginePoA:
		signers := stored.Consensus.PoA.Signers
		if explicit["miners"] && *miners != len(signers) {
			return network{}, nil, app.Usagef("-miners: have %d, want %d: the chain in %s has that many proof-of-authority signers", *miners, len(signers), dir)
		}
		*miners = len(signers)
	}

	// The keys: those of the spec must be the spec's; a miner added
	// since (proof of work) gets a new beneficiary.
	n := network{spec: stored, specRestored: specRestored}
	load := func(name string) (blockchain.PrivateKey, error) {
		k, err := ks.Load(name, nil)
		if errors.Is(err, keystore.ErrNotFound) {
			// A chain with no key for a demo account or a signer cannot be
			// made again: its genesis is the one that funds those keys.
			return blockchain.PrivateKey{}, fmt.Errorf("data directory: %w: the chain in %s was made with that key, and devnet cannot make it again; put %s back (from a backup), or delete %s to start fresh", err, dir, ks.Path(name), dir)
		}
		if err != nil {
			return blockchain.PrivateKey{}, fmt.Errorf("data directory: %w", err)
		}
		return k, nil
	}
	for i, name := range demoAccounts {
		k, err := load(name)
		if err != nil {
			return network{}, nil, err
		}
		// Another key in its place (a wallet's, or another demo
		// account's, copied over it) would have devnet say the account
		// holds its genesis funds and its scheduler sign transfers no
		// block can take.
		if !slices.ContainsFunc(stored.Alloc, func(a blockchain.Allocation) bool { return a.Address == k.Address() }) {
			return network{}, nil, fmt.Errorf("data directory: %s holds a key whose address %s the chain's genesis (%s) does not fund: not the key devnet made as %s, or %s is another chain's (copied over?); put the key back, or delete %s (devnet writes the chain's own again from its event log), or delete %s to start fresh", ks.Path(name), k.Address(), specPath, name, specPath, specPath, dir)
		}
		if j := slices.IndexFunc(n.demo, func(d blockchain.PrivateKey) bool { return d.Address() == k.Address() }); j >= 0 {
			return network{}, nil, fmt.Errorf("data directory: %s and %s hold the same key: not the keys devnet made as %s and %s; put those back, or delete %s to start fresh", ks.Path(demoAccounts[j]), ks.Path(name), demoAccounts[j], demoAccounts[i], dir)
		}
		n.demo = append(n.demo, k)
	}
	for i := range *miners {
		switch _, err := ks.Lookup(minerName(i)); {
		case errors.Is(err, keystore.ErrNotFound):
			if _, err := ks.CreateUnencrypted(minerName(i), nil); err != nil {
				return network{}, nil, fmt.Errorf("data directory: %w", err)
			}
			n.made = append(n.made, ks.Path(minerName(i)))
		case err != nil: // a damaged key file: say so, do not replace it
			return network{}, nil, fmt.Errorf("data directory: %w", err)
		}
		k, err := load(minerName(i))
		if err != nil {
			return network{}, nil, err
		}
		n.payees = append(n.payees, k.Address())
	}
	if poa := stored.Consensus.PoA; poa != nil {
		for i, pub := range poa.Signers {
			k, err := load(signerName(i))
			if err != nil {
				return network{}, nil, err
			}
			if k.Public() != pub {
				return network{}, nil, fmt.Errorf("data directory: %s is not signer %d of %s", ks.Path(signerName(i)), i+1, specPath)
			}
			n.signers = append(n.signers, k)
		}
	}
	return n, func() error { return nil }, nil
}

// writeSpec writes spec to path, which must not exist (see writeFile).
func writeSpec(path string, spec blockchain.ChainSpec) error {
	data, err := spec.MarshalJSON()
	if err != nil {
		return err
	}
	if err := writeFile(path, append(data, '\n'), false); err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	return nil
}

// writeFile writes data to path with mode 0600: through a temporary file
// in the same directory, synced, then put into place, so a crash leaves
// the file as it was or the whole of data. Unless replace, path must not
// exist: an error wrapping fs.ErrExist says it does.
func writeFile(path string, data []byte, replace bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	put := os.Link
	if replace {
		put = os.Rename
	}
	if err := put(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// holdsNoChain reports whether the file log at path, under the stream
// prefix prefix, is known to hold no chain: it is not there, or declares
// no spec. It is looked into without making anything; a file that cannot
// be read (in use, damaged) is not known to hold none.
func holdsNoChain(path, prefix string) bool {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	_, err = specInLog(path, prefix)
	return errors.Is(err, node.ErrNoSpec)
}

// specInLog reads the chain spec declared in the file log at path, under
// the stream prefix prefix: node.ErrNoSpec if it holds none, an error
// wrapping boltlog.ErrLocked if another process has it open.
func specInLog(path, prefix string) (blockchain.ChainSpec, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log, err := app.Common{EventLog: "file:" + path, StreamPrefix: prefix}.OpenLog(ctx)
	if err != nil {
		return blockchain.ChainSpec{}, err
	}
	defer log.Close()
	return node.LoadSpec(ctx, log, nil)
}
