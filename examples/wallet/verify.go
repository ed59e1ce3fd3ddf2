package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/poa"
	"github.com/eventchain/eventchain/lightclient"
)

func (w *wallet) verifyFlags(fs *flag.FlagSet) {
	fs.StringVar(&w.opts.genesisHash, "genesis-hash", "", "the network's genesis block hash (64 hex digits) to trust; without it, the genesis of the bank's chain spec is trusted, on the bank's word, every time")
	w.opts.maxHeaders = defaultMaxHeaders
	fs.Var((*decimal)(&w.opts.maxHeaders), "max-headers", "the most block `headers` to take from the bank, the genesis included: a bank that lies could serve valid ones without end, and the wallet keeps each in memory (up to about a kilobyte of the process's memory: a million, under a gigabyte)")
	w.opts.confirmations = 1
	fs.Var((*decimal)(&w.opts.confirmations), "confirmations", "`blocks`, the proof's own included, that must carry its claim, counted by their work at the difficulty of the chain's spec: a bank can mine a lying block of its own at one block's work, not a lying block with many honest-looking ones on top as cheaply")
}

// defaultMaxHeaders is -max-headers' default: a chain ten times devnet's
// first day. A bank that serves that many (one that lies, on a spec of
// its own with no work to do) costs a wallet about 800 MB of memory and
// a minute.
const defaultMaxHeaders = 1_000_000

// A claim's block is its first confirmation. Each block on top of it
// counts as its work at the difficulty the chain's spec starts at, up to
// one: a block of Bits b counts min(1, 2^(b − spec bits)) — one each on a
// chain of fixed difficulty, as devnet's; less where the difficulty fell.
// Under retargeting a lying bank could otherwise date its own blocks
// apart, let the difficulty fall to its floor, and pile up cheap blocks
// by the thousand. (A harder block counts one, not more: asking for N
// blocks never takes fewer than N.) Under proof of authority every block
// counts one (a signer's key, not work, makes it).

// blockWork returns what the block at height, on top of a claim, counts.
func (l light) blockWork(height uint64) float64 {
	h, ok := l.client.HeaderAt(height)
	if !ok || height == 0 || l.spec.Consensus.PoW == nil {
		return 1
	}
	return min(1, math.Ldexp(1, int(h.Bits)-int(l.spec.Consensus.PoW.Bits)))
}

// depth returns the confirmations of a claim in the block at height: the
// block itself, and the blocks above it to tip, each counted as
// blockWork says.
func (l light) depth(height, tip uint64) float64 {
	sum := 1.0
	for h := height + 1; h <= tip; h++ {
		sum += l.blockWork(h)
	}
	return sum
}

// deep returns an error unless a proof at height, under the tip the light
// client verified, has the confirmations -confirmations asks for.
func (w *wallet) deep(l light, what string, height, tip uint64) error {
	if have := l.depth(height, tip); have < float64(w.opts.confirmations) {
		return fmt.Errorf("%s is in block %d, under %s, the block's own included; -confirmations asks for %d: wait for more blocks, and ask again", what, height, l.describeWork(height, tip), w.opts.confirmations)
	}
	return nil
}

// describeWork says what carries a claim at height: "3 block(s) of work"
// ("3 block(s)" under proof of authority, which has no work), or, where
// blocks on it are easier than the spec's difficulty, what they count
// for; "no block" if height is past the tip (a chain of its genesis alone
// has no block past it). Only proof of work has a difficulty to count
// by: under proof of authority every block counts one.
func (l light) describeWork(height, tip uint64) string {
	if height > tip {
		// tip-height+1 would wrap around in uint64 arithmetic.
		return "no block"
	}
	blocks, have := tip-height+1, l.depth(height, tip)
	if l.spec.Consensus.PoW == nil {
		return fmt.Sprintf("%d block(s)", blocks)
	}
	if have == float64(blocks) {
		return fmt.Sprintf("%d block(s) of work", blocks)
	}
	return fmt.Sprintf("%d block(s), which count %s: the work of those on it counted at the spec's %d bits", blocks, strconv.FormatFloat(have, 'f', -1, 64), l.spec.Consensus.PoW.Bits)
}

// confirmed says how many confirmations carry a claim at height.
func (l light) confirmed(height, tip uint64) string {
	have := l.depth(height, tip)
	n := uint64(have)
	if have != float64(tip-height+1) {
		return fmt.Sprintf("%d confirmation(s) (%s)", n, l.describeWork(height, tip))
	}
	if n != 1 {
		return fmt.Sprintf("%d confirmations", n)
	}
	return "1 confirmation"
}

func (w *wallet) balanceFlags(fs *flag.FlagSet) {
	fs.BoolVar(&w.opts.verified, "verified", false, "check the balance with a proof against the chain's headers, rather than take the bank's word")
	w.verifyFlags(fs)
}

// light is a light client synced from the bank, and what it trusts.
type light struct {
	client  *lightclient.Client
	spec    blockchain.ChainSpec
	genesis blockchain.Hash // the genesis the client trusts: the pinned one, or the spec's
	checks  string          // what the wallet checked in each header: "proof of work" or "signatures"
	// ahead, if not empty, says why the client holds fewer headers than
	// the bank served: the next was dated too far ahead of the wallet's
	// clock (see aheadOfClock).
	ahead string
}

// checked says how many headers the client checked, and what it checked
// in them: "3 headers whose proof of work this wallet verified". The
// genesis is not counted: it is trusted by its hash, not checked.
func (l light) checked() string {
	n := l.client.Len() - 1
	noun := "headers"
	if n == 1 {
		noun = "header"
	}
	return fmt.Sprintf("%d %s whose %s this wallet verified", n, noun, l.checks)
}

// pinnedGenesis returns the genesis hash -genesis-hash names, or the zero
// hash if the flag is not set.
func (w *wallet) pinnedGenesis() (blockchain.Hash, error) {
	if w.opts.genesisHash == "" {
		return blockchain.Hash{}, nil
	}
	h, err := blockchain.ParseHash(w.opts.genesisHash)
	if err != nil {
		return blockchain.Hash{}, usagef("-genesis-hash: have %q, want 64 lower-case hex digits, the hash of the network's genesis block", w.opts.genesisHash)
	}
	if h.IsZero() {
		return blockchain.Hash{}, usagef("-genesis-hash: the zero hash is no block's: give the hash of the network's genesis block")
	}
	return h, nil
}

// checkGenesis returns the genesis block the bank's chain spec makes, or
// an error if pinned is set and that genesis is another.
func checkGenesis(spec blockchain.ChainSpec, pinned blockchain.Hash) (*blockchain.Block, error) {
	genesis, err := spec.Genesis()
	if err != nil { // the spec decoded, so it is valid
		return nil, fmt.Errorf("the bank's chain spec: %w", err)
	}
	if !pinned.IsZero() && genesis.Hash() != pinned {
		return nil, fmt.Errorf("the bank's chain spec %q makes genesis %s, not %s (-genesis-hash): another network, or a bank that lies", spec.ChainID, genesis.Hash(), pinned)
	}
	return genesis, nil
}

// syncHeaders reads the bank's chain spec, decides which genesis to trust
// (the one -genesis-hash pins, which the spec must make; else the spec's,
// trusted on the bank's word, which it says on stderr), and syncs a light
// client from the bank's GET /headers, checking every header's link and
// seal.
func (w *wallet) syncHeaders(ctx context.Context, c *bankclient.Client) (light, error) {
	pinned, err := w.pinnedGenesis()
	if err != nil {
		return light{}, err
	}
	spec, err := c.Spec(ctx)
	if err != nil {
		return light{}, fmt.Errorf("read the chain spec: %w", err)
	}
	genesis, err := checkGenesis(spec, pinned)
	if err != nil {
		return light{}, err
	}
	if pinned.IsZero() {
		fmt.Fprintf(w.stderr, "trusting the bank's chain spec %q, as the bank serves it (the wallet keeps no chain data, so on every use): genesis %s; pin it with -genesis-hash %s\n", spec.ChainID, genesis.Hash(), genesis.Hash())
	}
	var engine blockchain.Consensus
	work := "proof of work"
	switch {
	case spec.Consensus.PoW != nil:
		engine, err = pow.New(pow.SpecConfig(*spec.Consensus.PoW, 1))
	case spec.Consensus.PoA != nil:
		engine, err = poa.FromSpec(*spec.Consensus.PoA, nil)
		work = "signatures"
	default:
		err = fmt.Errorf("unknown consensus engine %q", spec.Consensus.Engine)
	}
	if err != nil {
		return light{}, fmt.Errorf("the bank's chain spec: %w", err)
	}
	maxHeaders := w.opts.maxHeaders
	if maxHeaders == 0 { // a command without -max-headers (send)
		maxHeaders = defaultMaxHeaders
	}
	now := w.now
	if now == nil {
		now = time.Now
	}
	// A bound past the largest int (where an int has 32 bits) is that
	// int: no more headers than that fit in memory there anyway, and
	// the conversion would wrap round to a small bound, or to a
	// negative one lightclient refuses.
	maxHeaders = min(maxHeaders, math.MaxInt)
	client, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: engine, MaxHeaders: int(maxHeaders), Now: now})
	if err != nil {
		return light{}, err
	}
	hc := w.http
	if hc == nil {
		hc = bankclient.NewHTTPClient() // which follows no redirect a lying bank names
	}
	_, err = client.FromBank(ctx, w.g.bank, hc)
	ahead := ""
	if errors.Is(err, blockchain.ErrTimeTooFarAhead) && client.Len() > 0 {
		// Refused for its time alone, which the wallet judges by its own
		// clock: the headers before it are verified, and the wallet goes
		// on with them, never with the refused one or any after it. A
		// slow clock would otherwise have it verify nothing.
		ahead = aheadOfClock(err, uint64(client.Len()), now())
		fmt.Fprintf(w.stderr, "warning: %s\n", ahead)
		err = nil
	}
	if errors.Is(err, lightclient.ErrNoGenesis) || (err == nil && client.Len() == 0) {
		// A bank that serves no header, not even its genesis, has
		// shown nothing: no proof can be checked against a header the
		// wallet does not hold.
		return light{}, fmt.Errorf("the bank served no block header, not even its genesis, so this wallet can check nothing it says")
	}
	if err != nil {
		var re *blockchain.RuleError
		if errors.As(err, &re) || errors.Is(err, lightclient.ErrWrongGenesis) {
			return light{}, fmt.Errorf("the bank served a header this wallet refuses, so it trusts nothing the bank says: %w", err)
		}
		if errors.Is(err, lightclient.ErrTooManyHeaders) {
			return light{}, fmt.Errorf("the bank served more headers than -max-headers %d: a chain that long, or a bank that lies; raise -max-headers if the chain is that long: %w", maxHeaders, err)
		}
		return light{}, fmt.Errorf("sync headers from the bank: %w", err)
	}
	return light{client: client, spec: spec, genesis: genesis.Hash(), checks: work, ahead: ahead}, nil
}

// aheadOfClock says that the bank's header at height, and so the ones
// after it, were not believed because err, the light client's refusal of
// it, says it is dated more than blockchain.DefaultMaxDrift ahead of now,
// the wallet's clock: how far ahead, and that the clock may be slow.
// (The refusal's Have is the header's timestamp, as
// blockchain.RuleTimeNotTooFarAhead writes it.)
func aheadOfClock(err error, height uint64, now time.Time) string {
	by := fmt.Sprintf("more than %v", blockchain.DefaultMaxDrift)
	var re *blockchain.RuleError
	if errors.As(err, &re) {
		if ts, perr := time.Parse(time.RFC3339Nano, re.Have); perr == nil {
			by = ts.Sub(now).Round(time.Second).String()
		}
	}
	return fmt.Sprintf("the bank's header %d is dated %s ahead of this computer's clock, more than the %v a header may be: this computer's clock may be slow (or the bank's headers are dated wrong); that header and those after it are not believed, and the wallet checks against the headers up to block %d, which it verified", height, by, blockchain.DefaultMaxDrift, height-1)
}

// refused wraps the error of a proof the light client refused.
func (l light) refused(what string, err error) error {
	if errors.Is(err, lightclient.ErrNotVerified) {
		if l.ahead != "" {
			// The bank served the headers, but the wallet's clock is
			// behind them.
			return fmt.Errorf("the bank's proof of %s is about a block beyond the headers this wallet could verify (%s): do not believe its answer until it can be checked: %w", what, l.ahead, err)
		}
		// Not the proof's fault: the headers the bank served stop
		// short of the block it is about.
		return fmt.Errorf("the bank's proof of %s is about a block beyond the headers the bank served, so this wallet cannot check it: do not believe its answer: %w", what, err)
	}
	return fmt.Errorf("the bank's proof of %s does not hold, so do not believe its answer: %w", what, err)
}

// verify is "wallet verify TX-ID".
func (w *wallet) verify(ctx context.Context, args []string) error {
	id, err := txID(args[0])
	if err != nil {
		return err
	}
	c, err := w.client()
	if err != nil {
		return err
	}
	// The proof first, the headers after: the headers then reach at least
	// the proof's block.
	p, err := c.TxProof(ctx, id)
	if isNotFound(err) {
		return fmt.Errorf("transaction %s is in no block the bank knows of (yet): %w; 'wallet status %s' says where it stands", id, err, id)
	}
	if err != nil {
		return fmt.Errorf("fetch the proof: %w", err)
	}
	l, err := w.syncHeaders(ctx, c)
	if err != nil {
		return err
	}
	if err := l.client.VerifyTransaction(p.Transaction, p.Height, p.Proof); err != nil {
		return l.refused("transaction "+id.String(), err)
	}
	if got := p.Transaction.ChainID(); got != l.spec.ChainID {
		// Signed for another chain: no node of this one would include it.
		return fmt.Errorf("the bank's proof of transaction %s does not hold, so do not believe its answer: the transaction is signed for chain %q, not this chain's %q", id, got, l.spec.ChainID)
	}
	tip, _ := l.client.Tip()
	if err := w.deep(l, "transaction "+id.String(), p.Height, tip.Height); err != nil {
		return err
	}
	hash, _ := l.client.HashAt(p.Height)
	fmt.Fprintf(w.stdout, "verified: transaction %s is in block %d (hash %s), %s, checked against %s\n", id, p.Height, hash, l.confirmed(p.Height, tip.Height), l.checked())
	tx, names := p.Transaction, w.keyNames()
	label := func(a blockchain.Address) string {
		if n, ok := names[a]; ok {
			return n
		}
		return a.String()
	}
	fmt.Fprintf(w.stdout, "transfer of %d from %s to %s (fee %d, nonce %d)\n", tx.Amount(), label(tx.From()), label(tx.To()), tx.Fee(), tx.Nonce())
	return nil
}

// supplyAt returns the most coins a chain of spec can hold after the
// block at height: its genesis allocations plus the block reward of each
// block since (fees are burnt and paid again, so they make nothing),
// math.MaxInt64 if that would pass it.
func supplyAt(spec blockchain.ChainSpec, height uint64) int64 {
	var total int64
	for _, a := range spec.Alloc {
		total += a.Balance // a valid spec's allocations add up to at most math.MaxInt64
	}
	if spec.BlockReward > 0 && height > uint64((math.MaxInt64-total)/spec.BlockReward) {
		return math.MaxInt64
	}
	return total + int64(height)*spec.BlockReward
}

// verifiedBalance is "wallet balance -verified NAME|ADDRESS": the account
// after the newest block whose header the wallet verified, proven against
// that header's state root.
func (w *wallet) verifiedBalance(ctx context.Context, c *bankclient.Client, who account) error {
	l, err := w.syncHeaders(ctx, c)
	if err != nil {
		return err
	}
	tip, _ := l.client.Tip()
	// The state as of the newest block that has the confirmations asked
	// for: the state root of a block above it is less work to forge.
	at := tip.Height
	if n := float64(w.opts.confirmations); n > 1 {
		have := 1.0 // l.depth(at, tip.Height), kept as at goes down
		for have < n && at > 0 {
			at--
			have += l.blockWork(at + 1) // the block above is now one on top
		}
		if have < n {
			return fmt.Errorf("-confirmations asks for %d blocks of work on the state it proves, and the chain has %s past its genesis: wait for more blocks, and ask again", w.opts.confirmations, l.describeWork(1, tip.Height))
		}
	}
	a, err := c.AccountProof(ctx, who.addr, &at)
	if err != nil {
		return fmt.Errorf("fetch the proof of %s at height %d: %w", who, at, err)
	}
	if err := l.client.VerifyAccountAt(at, a.Proof); err != nil {
		return l.refused("the account of "+who.String(), err)
	}
	if most := supplyAt(l.spec, at); a.Proof.Account.Balance > most {
		// The proof holds against a header the wallet verified, whose
		// work a lying bank can have done itself (see -confirmations);
		// what no header can make true is more coins than the chain can
		// have made.
		return fmt.Errorf("refused: the account of %s: the proof shows a balance of %d, more than every coin the chain can have made by block %d (%d: its genesis allocations plus a reward of %d a block): a chain the bank forged",
			who, a.Proof.Account.Balance, at, most, l.spec.BlockReward)
	}
	hash, _ := l.client.HashAt(at)
	tw := tabwriter.NewWriter(w.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "address\t%s\n", who.addr)
	fmt.Fprintf(tw, "balance\t%d\n", a.Proof.Account.Balance)
	fmt.Fprintf(tw, "nonce\t%d\n", a.Proof.Account.Nonce)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w.stdout, "verified against the state root of block %d (hash %s), %s, checked against %s\n", at, hash, l.confirmed(at, tip.Height), l.checked())
	return nil
}
