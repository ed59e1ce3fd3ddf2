package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// The files of a data directory.
const (
	logFile  = "events.db" // the durable event log
	specFile = "spec.json" // what the chain is made of: consensus engine and parameters
	keysDir  = "keys"      // the proof-of-authority signers' keys, one file each
)

// defaultDataDir is where devnet keeps its chain when -data-dir is not
// given: the user's configuration directory, or the working directory if
// the system names none.
func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "devnet-data"
	}
	return filepath.Join(dir, "eventchain", "devnet")
}

// devnetChainID names every devnet chain in its spec.
const devnetChainID = "eventchain-devnet"

// network is the chain a devnet runs: its spec, and under proof of
// authority the signers' private keys, one per miner, in turn order.
type network struct {
	spec blockchain.ChainSpec
	keys []ed25519.PrivateKey
}

// newNetwork makes a network from the flags, with new signer keys made
// by newKey (poa only).
func newNetwork(c app.Consensus, miners int, newKey func(i int) (blockchain.PrivateKey, error)) (network, error) {
	spec := blockchain.ChainSpec{ChainID: devnetChainID, Consensus: blockchain.ConsensusSpec{Engine: c.Kind}}
	var n network
	switch c.Kind {
	case blockchain.EnginePoW:
		spec.Consensus.PoW = &blockchain.PoWSpec{Bits: uint32(c.Difficulty)}
	case blockchain.EnginePoA:
		spec.Consensus.PoA = &blockchain.PoASpec{}
		for i := range miners {
			key, err := newKey(i)
			if err != nil {
				return network{}, err
			}
			spec.Consensus.PoA.Signers = append(spec.Consensus.PoA.Signers, key.Public())
			n.keys = append(n.keys, ed25519.NewKeyFromSeed(key.Seed()))
		}
	default:
		return network{}, app.Usagef("-consensus: have %q, want pow or poa", c.Kind)
	}
	if err := spec.Validate(); err != nil {
		return network{}, app.UsageError{Err: err}
	}
	n.spec = spec
	return n, nil
}

// signerName names the key file of signer i (miner i+1).
func signerName(i int) string { return fmt.Sprintf("signer-%d", i+1) }

// openDataDir returns the network kept in dir, creating dir and the
// network from the flags if it holds none. explicit names the flags the
// user gave: a -consensus or -difficulty that differs from the chain's is
// refused, naming the difference, because blocks made under one set of
// rules are invalid under another; flags not given take the chain's
// values, and so does *miners under proof of authority (one miner per
// signer).
func openDataDir(dir string, c *app.Consensus, miners *int, explicit map[string]bool) (network, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return network{}, fmt.Errorf("data directory: %w", err)
	}
	ks, err := keystore.Open(filepath.Join(dir, keysDir))
	if err != nil {
		return network{}, fmt.Errorf("data directory: %w", err)
	}
	specPath := filepath.Join(dir, specFile)
	data, err := os.ReadFile(specPath)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, logFile)); err == nil {
			return network{}, fmt.Errorf("data directory %s holds an event log but no %s: delete the directory to start fresh", dir, specFile)
		}
		n, err := newNetwork(*c, *miners, func(i int) (blockchain.PrivateKey, error) {
			if _, err := ks.CreateUnencrypted(signerName(i), nil); err != nil {
				return blockchain.PrivateKey{}, err
			}
			return ks.Load(signerName(i), nil)
		})
		if err != nil {
			return network{}, err
		}
		return n, writeSpec(specPath, n.spec)
	}
	if err != nil {
		return network{}, fmt.Errorf("data directory: %w", err)
	}
	var stored blockchain.ChainSpec
	if err := stored.UnmarshalJSON(data); err != nil {
		return network{}, fmt.Errorf("data directory: %s: %w", specPath, err)
	}

	// The flags given, over the chain's spec: any difference is refused.
	asked := stored
	if explicit["consensus"] && c.Kind != stored.Consensus.Engine {
		asked.Consensus = blockchain.ConsensusSpec{Engine: c.Kind}
	}
	if explicit["difficulty"] {
		asked.Consensus.PoW = &blockchain.PoWSpec{Bits: uint32(c.Difficulty)}
	}
	if d := asked.Diff(stored); d != "" {
		return network{}, app.Usagef("the chain in %s was made with other rules (%s): give the same flags, or start fresh by deleting %s", dir, d, dir)
	}

	n := network{spec: stored}
	c.Kind = stored.Consensus.Engine
	switch c.Kind {
	case blockchain.EnginePoW:
		c.Difficulty = uint(stored.Consensus.PoW.Bits)
	case blockchain.EnginePoA:
		signers := stored.Consensus.PoA.Signers
		if explicit["miners"] && *miners != len(signers) {
			return network{}, app.Usagef("-miners: have %d, want %d: the chain in %s has that many proof-of-authority signers", *miners, len(signers), dir)
		}
		*miners = len(signers)
		for i, pub := range signers {
			key, err := ks.Load(signerName(i), nil)
			if err != nil {
				return network{}, fmt.Errorf("data directory: signer %d: %w", i+1, err)
			}
			if key.Public() != pub {
				return network{}, fmt.Errorf("data directory: %s is not signer %d of %s", ks.Path(signerName(i)), i+1, specPath)
			}
			n.keys = append(n.keys, ed25519.NewKeyFromSeed(key.Seed()))
		}
	}
	return n, nil
}

// writeSpec writes spec to path, which must not exist, with mode 0600:
// through a temporary file in the same directory, synced, then linked
// into place, so a crash leaves either no spec or the whole of it.
func writeSpec(path string, spec blockchain.ChainSpec) error {
	data, err := spec.MarshalJSON()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".spec-*.tmp")
	if err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write spec: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write spec: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("write spec: %w", err)
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
