package app

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/examples/poa"
	"github.com/eventchain/eventchain/node"
)

// ChainFlags are the flags that say which chain an app joins and how it
// takes part in its consensus. The chain itself — chain ID, genesis
// allocations, block reward, consensus engine and parameters — is in the
// event log, written there once by the first app started with -genesis;
// every other app reads it from the log, so apps cannot disagree about
// the rules.
type ChainFlags struct {
	// Genesis is a chain spec file in JSON: written to a log that has
	// none, checked against the spec of a log that has one.
	Genesis string
	// PoAKey is, under proof of authority, this miner's ed25519 seed in
	// hex; the signers themselves are in the spec.
	PoAKey string

	// preflighted is the spec Preflight read from the file preflightedFrom,
	// for Join to use while Genesis still names that file: a -genesis that
	// is a pipe (-genesis <(…)) can be read once only, and a second read
	// finds it empty.
	preflighted     *blockchain.ChainSpec
	preflightedFrom string
}

// Register defines -genesis on fs, and -poa-key too if signs is true
// (for a miner).
func (c *ChainFlags) Register(fs *flag.FlagSet, signs bool) {
	fs.StringVar(&c.Genesis, "genesis", "", "chain spec file (JSON) to start a new chain with; a log that holds a chain already must hold this one")
	if signs {
		fs.StringVar(&c.PoAKey, "poa-key", "", "proof of authority: this miner's ed25519 seed in hex (32 bytes); the signers are in the chain spec")
	}
}

// MaxSpecFileBytes bounds what ReadSpecFile reads. A chain spec is
// written to the log in one event, and no append is larger than
// eventlog.MaxAppendSize; this leaves room for any spacing of such a spec
// in JSON, and keeps a file that never ends (-genesis /dev/zero, or a
// pipe from a program that does not stop) from filling the memory.
const MaxSpecFileBytes = 16 << 20

// ReadSpecFile reads a chain spec in JSON from path, at most
// MaxSpecFileBytes. An error names the file and, for a spec that breaks
// a rule, the field (*blockchain.SpecError). It gives up when ctx ends
// (Ctrl-C): see readAtMost.
func ReadSpecFile(ctx context.Context, path string) (blockchain.ChainSpec, error) {
	data, err := readAtMost(ctx, path, MaxSpecFileBytes) // a file the user names: a pipe too (-genesis <(…))
	if err != nil {
		return blockchain.ChainSpec{}, UsageError{fmt.Errorf("-genesis: %w", err)}
	}
	var spec blockchain.ChainSpec
	if err := spec.UnmarshalJSON(data); err != nil {
		return blockchain.ChainSpec{}, UsageError{fmt.Errorf("-genesis %s: %w", path, err)}
	}
	// The spec goes into the log in one event, which no log takes past
	// eventlog.MaxAppendSize: refused here, before the log is opened (a
	// file log made) for an append that must fail.
	e, err := events.Encode(events.ChainSpecDeclared{Spec: spec})
	if err != nil {
		return blockchain.ChainSpec{}, UsageError{fmt.Errorf("-genesis %s: %w", path, err)}
	}
	if n := eventlog.AppendSize(e); n > eventlog.MaxAppendSize {
		return blockchain.ChainSpec{}, UsageError{fmt.Errorf("-genesis %s: %w: the chain spec is %d bytes as an event, and an event log takes at most %d in one append (%d allocations: fewer fit)", path, eventlog.ErrTooLarge, n, eventlog.MaxAppendSize, len(spec.Alloc))}
	}
	return spec, nil
}

// slowLogAfter is how long WaitingForLog waits before it logs that the
// event log has not answered.
var slowLogAfter = 5 * time.Second

// WaitingForLog logs once, after 5 s, that the event log has not
// answered yet, unless stop is called first. An app calls it before it
// opens its log and stops it once the log is open, and Join calls it
// while it reads the chain spec: a log that does not answer (an
// EventStoreDB stopped, or out of reach behind a firewall that drops
// packets) would otherwise leave the app silent.
func WaitingForLog(logger *slog.Logger) (stop func()) {
	after := slowLogAfter
	t := time.AfterFunc(after, func() {
		logger.Warn("the event log has not answered yet: still waiting for it (is it up? -eventlog names it)", "after", after)
	})
	return func() { t.Stop() }
}

// Join returns the chain spec of the log. With -genesis, a log without a
// spec gets that one (the first app to join an empty log writes it), and
// a log with another spec is refused with an error naming the
// difference; a log that hides its spec (node.ErrSpecHidden) is refused
// too. Without -genesis, on a shared log (EventStoreDB), Join
// waits for some app to write the spec, saying so once in the log, until
// ctx ends; on a log no other process can write (memory, or a file this
// process holds locked), nothing ever would, and a log without a spec is
// a usage error asking for -genesis.
func (c ChainFlags) Join(ctx context.Context, log eventlog.Log, shared bool, logger *slog.Logger) (blockchain.ChainSpec, error) {
	var want *blockchain.ChainSpec
	if c.Genesis != "" && c.preflighted != nil && c.preflightedFrom == c.Genesis {
		want = c.preflighted
	} else if c.Genesis != "" {
		spec, err := ReadSpecFile(ctx, c.Genesis)
		if err != nil {
			return blockchain.ChainSpec{}, err
		}
		want = &spec
	}
	stop := WaitingForLog(logger)
	spec, err := node.LoadSpec(ctx, log, want)
	stop()
	if errors.Is(err, node.ErrNoSpec) && !shared {
		return blockchain.ChainSpec{}, Usagef("-genesis is required: the event log holds no chain spec, and no other process can write one to it (-eventlog memory is this process's own; a file is locked by the process that has it open); give -genesis FILE, or join a log that holds a chain")
	}
	if errors.Is(err, node.ErrNoSpec) {
		stream := events.StreamChainSpec
		if p, ok := log.(interface{ Prefix() string }); ok { // -stream-prefix: a mistyped one waits for ever
			stream = p.Prefix() + stream
		}
		logger.Info("waiting for the chain spec in the event log: start one app with -genesis FILE (or check -stream-prefix; if apps ran on this log before, someone may have deleted the stream or hidden its first event with its metadata, $tb or $maxCount: an app started with -genesis then says so)", "stream", stream)
		spec, err = node.WaitSpec(ctx, log)
	}
	if errors.Is(err, node.ErrSpecMismatch) {
		return blockchain.ChainSpec{}, UsageError{fmt.Errorf("-genesis %s: %w", c.Genesis, err)}
	}
	return spec, err
}

// Preflight checks the chain flags before the app opens its log (named
// by -eventlog, eventLog), so that a mistake leaves nothing written or
// made (Join declares the -genesis spec in an empty log; opening a file
// log makes the file): it reads the -genesis file, if given, and returns
// its spec (nil without one); it checks -poa-key's form, and with a
// -genesis, that the key is one of its signers (see Engine); and without
// one, that the log can hold a spec: not a new memory log, nor a file
// log that does not exist yet. Join then uses the spec read here, without
// reading the file again. It gives up reading when ctx ends.
func (c *ChainFlags) Preflight(ctx context.Context, workers int, eventLog string) (*blockchain.ChainSpec, error) {
	if c.PoAKey != "" {
		if seed, err := hex.DecodeString(c.PoAKey); err != nil || len(seed) != blockchain.SeedSize {
			return nil, Usagef("-poa-key: want %d bytes of hex", blockchain.SeedSize)
		}
	}
	if c.Genesis == "" {
		path, isFile := strings.CutPrefix(eventLog, "file:")
		_, statErr := os.Stat(path)
		if eventLog == "memory" || isFile && errors.Is(statErr, fs.ErrNotExist) {
			return nil, Usagef("-genesis is required: the event log (%s) holds no chain spec, and no other process can write one to it; give -genesis FILE, or join a log that holds a chain", eventLog)
		}
		return nil, nil
	}
	spec, err := ReadSpecFile(ctx, c.Genesis)
	if err != nil {
		return nil, err
	}
	if _, err := c.Engine(spec, workers); err != nil {
		return nil, err
	}
	c.preflighted, c.preflightedFrom = &spec, c.Genesis
	return &spec, nil
}

// Engine returns the consensus engine of spec for this app: with workers
// hashing goroutines under proof of work, and signing with -poa-key under
// proof of authority (verify only without it).
func (c ChainFlags) Engine(spec blockchain.ChainSpec, workers int) (blockchain.Consensus, error) {
	var key *blockchain.PrivateKey
	if c.PoAKey != "" && spec.Consensus.Engine != blockchain.EnginePoA {
		return nil, Usagef("-poa-key: the chain runs %s, not proof of authority: there is nothing to sign with it", DescribeConsensus(spec))
	}
	if c.PoAKey != "" {
		seed, err := hex.DecodeString(c.PoAKey)
		if err != nil || len(seed) != blockchain.SeedSize {
			return nil, Usagef("-poa-key: want %d bytes of hex", blockchain.SeedSize)
		}
		k, err := blockchain.NewPrivateKey(seed)
		if err != nil {
			return nil, UsageError{fmt.Errorf("-poa-key: %w", err)}
		}
		key = &k
	}
	return EngineFor(spec, workers, key)
}

// EngineFor returns the consensus engine spec names with its parameters:
// proof of work with workers hashing goroutines, each starting at a
// random nonce (pow.Config.RandomStart), or proof of authority
// by the spec's signers, signing with key (nil: verify only). Under
// proof of authority key must be one of the signers.
func EngineFor(spec blockchain.ChainSpec, workers int, key *blockchain.PrivateKey) (blockchain.Consensus, error) {
	switch spec.Consensus.Engine {
	case blockchain.EnginePoW:
		if spec.Consensus.PoW == nil {
			return nil, errors.New("chain spec: proof of work without parameters")
		}
		cfg := pow.SpecConfig(*spec.Consensus.PoW, workers)
		// Two miners paying one beneficiary (copies of one miner, as
		// docker compose --scale makes) would otherwise seal the very same
		// header over the very same nonces, one doing the other's work.
		cfg.RandomStart = true
		e, err := pow.New(cfg)
		if err != nil {
			return nil, UsageError{err}
		}
		return e, nil
	case blockchain.EnginePoA:
		if spec.Consensus.PoA == nil {
			return nil, errors.New("chain spec: proof of authority without signers")
		}
		var priv ed25519.PrivateKey
		if key != nil {
			priv = ed25519.NewKeyFromSeed(key.Seed())
		}
		e, err := poa.FromSpec(*spec.Consensus.PoA, priv)
		if err != nil {
			return nil, UsageError{err}
		}
		return e, nil
	}
	return nil, fmt.Errorf("chain spec: unknown consensus engine %q", spec.Consensus.Engine)
}

// DescribeConsensus says which engine a spec names, for a start-up line:
// "proof of work at 18 bits" or "proof of authority (3 signers)".
func DescribeConsensus(spec blockchain.ChainSpec) string {
	switch c := spec.Consensus; {
	case c.PoW != nil && c.PoW.RetargetInterval > 0:
		return fmt.Sprintf("proof of work from %d bits, retargeting every %d blocks", c.PoW.Bits, c.PoW.RetargetInterval)
	case c.PoW != nil:
		return fmt.Sprintf("proof of work at %d bits", c.PoW.Bits)
	case c.PoA != nil:
		return fmt.Sprintf("proof of authority (%d signers)", len(c.PoA.Signers))
	}
	return spec.Consensus.Engine
}

// ReadFile is os.ReadFile for a file the user names or keeps in a data
// directory, of at most limit bytes: one that is there but no regular
// file (a named pipe, say, whose open would wait for a writer for ever,
// or a device) is refused with an error naming its kind, before it is
// opened; one larger than limit, without reading it into memory (a file
// of gigabytes, made by mistake or on purpose, would fill the memory).
func ReadFile(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	switch {
	case err == nil && !st.IsDir() && !st.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file (%v)", path, st.Mode().Type())
	case err == nil && st.Size() > limit:
		return nil, fmt.Errorf("%s: %d bytes, more than %d: is it the right file?", path, st.Size(), limit)
	}
	// The file may grow while it is read.
	return readAtMostNow(path, limit, "is it the right file?")
}

// readAtMost reads the file at path, a regular file or not (a pipe, a
// device), and refuses one of more than limit bytes without reading
// further. It returns ctx's error once ctx ends: opening a named pipe
// waits for a writer, and reading one waits for its writer to write or
// close, for as long as that takes, heeding no context. The apps catch
// Ctrl-C to end their context, so a read that did not heed it would
// ignore Ctrl-C and wait on, for ever if no one writes (-genesis naming
// a pipe nothing feeds). So the file is read on a goroutine of its own,
// left blocked when ctx ends, to end with the process.
func readAtMost(ctx context.Context, path string, limit int64) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1) // buffered: the goroutine never blocks on it
	go func() {
		data, err := readAtMostNow(path, limit, "no chain spec is that large")
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: stopped waiting for it to be written: %w", path, ctx.Err())
	}
}

// readAtMostNow is readAtMost, blocking as long as the open and the
// reads do. It reads one byte more than limit, never the whole of a
// larger file, and refuses that, saying why the limit is what it is.
func readAtMostNow(path string, limit int64, why string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err // an *fs.PathError, naming the file
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: more than %d bytes: %s", path, limit, why)
	}
	return data, nil
}
