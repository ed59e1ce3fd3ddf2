package lightclient

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/nilness"
)

// The lightclient's own reasons for a refusal; every other refusal is a
// [*blockchain.RuleError] with one of the chain's codes.
var (
	// ErrWrongGenesis: the first header offered to an empty [Client] is
	// not the one whose hash the client trusts (Config.Genesis). Add
	// wraps it, as "lightclient: header N: not the trusted genesis: …".
	ErrWrongGenesis = errors.New("not the trusted genesis")
	// ErrNotVerified: [Client.VerifyTransaction] or [Client.VerifyAccount]
	// was asked about a height the client has not accepted a header for,
	// so it has no Merkle root or state root it can trust there. A
	// [*NotVerifiedError] wraps it.
	ErrNotVerified = errors.New("lightclient: no verified header at this height")
	// ErrProofCount: an inclusion proof's Count is not the TxCount of the
	// verified header it is checked against. The header commits to its
	// number of transactions, and a proof's Count decides which leaf it
	// proves, so a proof that claims another count is refused before it
	// is climbed. A [*blockchain.ProofError] wraps it.
	ErrProofCount = errors.New("lightclient: proof count is not the block's transaction count")
	// ErrBadSource: a source (a bank's GET /headers, say) answered
	// something that is not what it promises; the error says what.
	ErrBadSource = errors.New("lightclient: bad answer from the source")
	// ErrNoGenesis: a bank answered a client that holds no header yet
	// with none at all, not even its genesis. FromBank's error wraps it
	// and ErrBadSource.
	ErrNoGenesis = errors.New("the bank served no header, not even its genesis")
	// ErrTooManyHeaders: Add was given a header past Config.MaxHeaders.
	ErrTooManyHeaders = errors.New("lightclient: more headers than Config.MaxHeaders")
	// ErrZeroClient: a method was called on a Client that [New] did not
	// make, the zero Client, which has no trust anchor and no rules: Add,
	// FromBank, FromLog, VerifyTransaction, VerifyAccount and
	// VerifyAccountAt return it.
	ErrZeroClient = errors.New("lightclient: a zero Client: make one with New")
)

// Config configures a [Client]. Genesis and Engine are required.
type Config struct {
	// Genesis is the trust anchor, and the only one: the block hash of
	// the network's genesis block, spec.Genesis() of its chain spec. The
	// genesis commits to the whole spec (its PrevHash is the spec's hash)
	// and to the balances at genesis (its StateRoot), so this one hash
	// pins the network. The client accepts a first header only if it has
	// this hash, and every later header only if it links back to it.
	// Take it from a source you trust: a spec file you checked, the
	// network's release notes; a client that takes it from the server it
	// then syncs from trusts that server on first use.
	Genesis blockchain.Hash
	// Engine checks each header's consensus fields and seal: the
	// network's engine, configured as its nodes' — a pow or poa engine
	// of the spec's Bits and retargeting or signers, or the engine of
	// one's own that every node of the network was given. It only
	// verifies, through Verify, which is given each header as a block
	// without transactions; it never seals here. Required.
	Engine blockchain.Consensus
	// Now is the client's clock, for the rule that a header may be dated
	// at most MaxDrift ahead of it; nil means time.Now. Tests inject a
	// fixed clock.
	Now func() time.Time
	// MaxDrift is how far ahead of Now a header may be dated; 0 means
	// blockchain.DefaultMaxDrift, as a node's chain.
	MaxDrift time.Duration
	// MaxHeaders bounds how many headers the client keeps, the genesis
	// included: Add refuses the next with ErrTooManyHeaders. 0 means no
	// bound. A client keeps every header it accepts (a few hundred
	// bytes each, about 800 bytes of a process's memory counting the
	// garbage collector's room), and a source that lies can make valid headers without end
	// (cheaply where the difficulty is low), so a client that syncs from
	// a stranger bounds them.
	MaxHeaders int
}

// A Client follows a chain by its headers alone: it keeps every header it
// accepted, from genesis to its tip, and no transaction. It trusts one
// thing, the genesis hash it was given; every other header it checks with
// the chain's own rules before it keeps it, so whoever hands it headers
// (a bank, a log, a stranger) cannot make it accept a header the network's
// nodes would refuse on these rules. With the headers it can then check
// that a transaction is in a block ([Client.VerifyTransaction]) and what
// an account held after a block ([Client.VerifyAccount]).
//
// A Client is safe for concurrent use: one goroutine may sync while others
// check proofs.
type Client struct {
	genesis    blockchain.Hash
	now        func() time.Time
	rules      []blockchain.Rule
	maxHeaders int // Config.MaxHeaders

	mu      sync.RWMutex
	headers []blockchain.Header // index = height
	hashes  []blockchain.Hash   // hashes[i] = headers[i].Hash()

	syncMu  sync.Mutex        // one FromLog or FromBank at a time
	logNext eventlog.Revision // where the next FromLog reads the blocks stream
}

// ErrInvalidConfig is wrapped by the error of [New] for a Config it
// refuses: the message names the field at fault.
var ErrInvalidConfig = errors.New("invalid light client config")

// New returns a client that holds no header yet: its first must be the
// genesis. It refuses a Config without Engine or Genesis, or with a
// negative MaxDrift or MaxHeaders, with an error wrapping
// [ErrInvalidConfig].
func New(cfg Config) (*Client, error) {
	switch {
	case nilness.IsNil(cfg.Engine):
		return nil, fmt.Errorf("lightclient: %w: Config.Engine is required (a nil one, typed or not, is missing)", ErrInvalidConfig)
	case cfg.Genesis == blockchain.Hash{}:
		return nil, fmt.Errorf("lightclient: %w: Config.Genesis is required: the hash of the genesis block", ErrInvalidConfig)
	case cfg.MaxDrift < 0:
		return nil, fmt.Errorf("lightclient: %w: Config.MaxDrift: have %v, want ≥ 0", ErrInvalidConfig, cfg.MaxDrift)
	case cfg.MaxHeaders < 0:
		return nil, fmt.Errorf("lightclient: %w: Config.MaxHeaders: have %d, want ≥ 0 (0: no bound)", ErrInvalidConfig, cfg.MaxHeaders)
	}
	drift := cfg.MaxDrift
	if drift == 0 {
		drift = blockchain.DefaultMaxDrift
	}
	c := &Client{genesis: cfg.Genesis, now: cfg.Now, maxHeaders: cfg.MaxHeaders}
	if c.now == nil {
		c.now = time.Now
	}
	c.rules = HeaderRules(cfg.Engine, drift)
	return c, nil
}

// HeaderRules returns the rules a header must keep to extend a client's
// tip, in the order it checks them: the chain's own rules
// ([blockchain.DefaultRules]) less the two that need the block's
// transactions (each names this chain, each signature verifies), which a
// client that keeps no transaction cannot check. They are the very Rule
// values a node's chain runs, so the codes and messages are the same.
func HeaderRules(engine blockchain.Consensus, maxDrift time.Duration) []blockchain.Rule {
	return []blockchain.Rule{
		blockchain.RuleLinksToTip(),
		blockchain.RuleHeightFollowsTip(),
		blockchain.RuleTimeNotBeforeParent(),
		blockchain.RuleTimeNotTooFarAhead(maxDrift),
		blockchain.RuleConsensus(engine),
	}
}

// Add checks headers in order and keeps each one that extends the tip,
// up to Config.MaxHeaders (past it, ErrTooManyHeaders),
// stopping at the first it refuses: the ones before it stay accepted, the
// refused one and those after it change nothing. It returns nil when all
// were accepted.
//
// The first header an empty client accepts is the one whose hash is
// Config.Genesis, and nothing else (its height must be 0). Each next
// header must keep [HeaderRules]: it links to the tip (PrevHash is the
// tip's Hash, which covers the tip's seal), its height is the tip's plus
// one, its timestamp is not before the tip's and at most MaxDrift after
// Now, and the engine's Verify accepts its consensus fields and seal. The
// engine sees the accepted headers through a read-only view, and the
// header as a block without transactions: pow and poa need nothing else.
// Before the rules, the header's own fields are checked as
// [blockchain.Block.Validate] checks a block's header: version, Bits at
// most 256, seal at most MaxSealLen bytes, a timestamp in 1970…9999,
// a beneficiary, a TxCount of at most MaxBlockTransactions, and for an
// empty block (TxCount 0) the Merkle root of no transactions.
//
// Errors: ErrWrongGenesis for a wrong first header; otherwise a
// [*blockchain.RuleError] — errors.Is(err, blockchain.ErrPrevHashMismatch),
// ErrBadHeight, ErrTimeBeforeParent, ErrTimeTooFarAhead, ErrInvalidSeal,
// ErrBadConsensusFields, ErrUnknownAncestor, or a sanity code (ErrBadVersion,
// ErrBadBits, ErrSealTooLong, ErrBadTimestamp, ErrMissingBeneficiary,
// ErrTooManyTransactions, ErrBadMerkleRoot for an empty block's).
func (c *Client) Add(headers ...blockchain.Header) error {
	if c.rules == nil {
		return ErrZeroClient
	}
	return c.addAt(c.now(), headers...)
}

// addAt is Add with the clock's reading given.
func (c *Client) addAt(now time.Time, headers ...blockchain.Header) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Room for all of them at once, rather than growing (and copying) the
	// slices again and again while a long sync appends.
	c.headers = slices.Grow(c.headers, len(headers))
	c.hashes = slices.Grow(c.hashes, len(headers))
	for _, h := range headers {
		if err := c.add(h, now); err != nil {
			return fmt.Errorf("lightclient: header %d: %w", h.Height, err)
		}
	}
	return nil
}

// add checks one header and keeps it; c.mu is held.
func (c *Client) add(h blockchain.Header, now time.Time) error {
	if c.maxHeaders > 0 && len(c.headers) >= c.maxHeaders {
		return fmt.Errorf("%w: header %d would be the client's header number %d, the genesis counted, and the bound is %d", ErrTooManyHeaders, h.Height, len(c.headers)+1, c.maxHeaders)
	}
	b := blockchain.NewBlock(h, nil) // copies h, its time normalized and its seal cloned
	if err := checkHeaderSanity(b); err != nil {
		return err
	}
	if len(c.headers) == 0 {
		if b.Hash() != c.genesis {
			return fmt.Errorf("%w: have %s, want %s", ErrWrongGenesis, b.Hash(), c.genesis)
		}
		if b.Height() != 0 {
			return &blockchain.RuleError{Code: blockchain.ErrBadHeight, Have: fmt.Sprint(b.Height()), Want: "0 for the genesis"}
		}
	} else {
		v := view{c}
		for _, r := range c.rules {
			if err := r.Check(v, b, now); err != nil {
				return err
			}
		}
	}
	c.headers = append(c.headers, b.Header())
	c.hashes = append(c.hashes, b.Hash())
	return nil
}

// checkHeaderSanity runs the header checks of Block.Validate on b, a
// header in a block without transactions. Such a block keeps every
// transaction rule, and Validate compares the transaction count and the
// Merkle root only after the header's own fields, so its refusals that
// are not about the header are ErrBadTxCount and ErrBadMerkleRoot (the
// header commits to transactions b does not hold), which say nothing
// against the header — but for a header that says its block is empty
// (TxCount 0): b then holds every transaction the header commits to, so
// ErrBadMerkleRoot is a true refusal (a Merkle root other than the empty
// tree's, which every node refuses), and stands. The hostile-header tests
// (bad version, seal too long, no beneficiary, an empty block's root)
// would fail if that order changed. The count itself is checked here
// against the most a block may hold, as a node refuses a block of more
// (ErrTooManyTransactions): a client takes the count of its inclusion
// proofs from the header.
func checkHeaderSanity(b *blockchain.Block) error {
	err := b.Validate()
	switch {
	case err == nil:
	case errors.Is(err, blockchain.ErrBadMerkleRoot) && b.Header().TxCount == 0:
		return err
	case !errors.Is(err, blockchain.ErrBadMerkleRoot) && !errors.Is(err, blockchain.ErrBadTxCount):
		return err
	}
	if n := b.Header().TxCount; n > blockchain.MaxBlockTransactions {
		return &blockchain.RuleError{Code: blockchain.ErrTooManyTransactions, Have: fmt.Sprint(n), Want: fmt.Sprintf("at most %d", blockchain.MaxBlockTransactions)}
	}
	return nil
}

// view is the read-only face of a client's headers that the rules and the
// engine see while Add holds the lock. It knows no transaction, no spec
// and no account: Spec and Account answer zero values, which no rule of
// HeaderRules asks for (the rules that would are the ones a client
// cannot run).
type view struct{ c *Client }

var _ blockchain.ChainView = view{}

// Tip returns the newest header, its seal copied.
func (v view) Tip() blockchain.Header { return cloneHeader(v.c.headers[len(v.c.headers)-1]) }

// HeaderAt returns the header at height, its seal copied.
func (v view) HeaderAt(height uint64) (blockchain.Header, bool) {
	if height >= uint64(len(v.c.headers)) {
		return blockchain.Header{}, false
	}
	return cloneHeader(v.c.headers[height]), true
}

// Spec returns the zero ChainSpec: a client knows its network by the
// genesis hash alone.
func (view) Spec() blockchain.ChainSpec { return blockchain.ChainSpec{} }

// Account returns the zero Account: a client holds no state, only state
// roots.
func (view) Account(blockchain.Address) blockchain.Account { return blockchain.Account{} }

// cloneHeader copies h with its own seal, so no caller can change a kept header.
func cloneHeader(h blockchain.Header) blockchain.Header {
	if len(h.Seal) > 0 {
		h.Seal = append([]byte(nil), h.Seal...)
	}
	return h
}

// Len returns how many headers the client holds: 0 before the genesis,
// the tip's height plus one after.
func (c *Client) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.headers)
}

// Tip returns the newest accepted header, and false before the genesis.
func (c *Client) Tip() (blockchain.Header, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.headers) == 0 {
		return blockchain.Header{}, false
	}
	return cloneHeader(c.headers[len(c.headers)-1]), true
}

// HeaderAt returns the accepted header at height, and false if the client
// holds none there.
func (c *Client) HeaderAt(height uint64) (blockchain.Header, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return view{c}.HeaderAt(height)
}

// HashAt returns the block hash of the accepted header at height.
func (c *Client) HashAt(height uint64) (blockchain.Hash, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if height >= uint64(len(c.hashes)) {
		return blockchain.Hash{}, false
	}
	return c.hashes[height], true
}

// A NotVerifiedError says that a proof was to be checked at a height the
// client holds no verified header for: beyond its tip, or any height
// before it accepted the genesis. It wraps ErrNotVerified.
type NotVerifiedError struct {
	Height uint64 // the height asked about
	Len    int    // how many headers the client holds: heights 0…Len−1
}

// Error reads like "lightclient: no verified header at this height: have
// height 7, want at most 4".
func (e *NotVerifiedError) Error() string {
	if e.Len == 0 {
		return fmt.Sprintf("%v: have height %d, want a height of the verified chain, which is empty", ErrNotVerified, e.Height)
	}
	return fmt.Sprintf("%v: have height %d, want at most %d", ErrNotVerified, e.Height, e.Len-1)
}

// Unwrap returns ErrNotVerified.
func (e *NotVerifiedError) Unwrap() error { return ErrNotVerified }

// verified returns the accepted header at height, or a *NotVerifiedError.
func (c *Client) verified(height uint64) (blockchain.Header, error) {
	if c.rules == nil {
		return blockchain.Header{}, ErrZeroClient
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if height >= uint64(len(c.headers)) {
		return blockchain.Header{}, &NotVerifiedError{Height: height, Len: len(c.headers)}
	}
	return c.headers[height], nil // its seal is not read below: no copy needed
}

// VerifyTransaction checks that tx is transaction proof.Index of the block
// at height: the client must hold an accepted header there, proof.Count
// must be that header's TxCount, and proof must lead from tx to that
// header's MerkleRoot exactly ([blockchain.VerifyTxInclusion]). The root
// and the count come from the verified chain, never from whoever sent the
// proof; that is the point. Get the proof from a full node
// ([blockchain.Block.InclusionProof], a bank's GET
// /transactions/{id}/proof), and ignore any header it sends along.
//
// The transaction itself must be one a node could include: it must pass
// [blockchain.CheckTransactionSanity] — its signature is its sender's
// key's, over every field. The ID a proof names covers the signed fields
// but not the signature, so without this check a forged block could show
// any transfer, with any signature or none, as included. (Whether its
// chain ID is the network's the client cannot tell: it holds no spec.
// Compare tx.ChainID() with the spec whose genesis you trust.)
//
// Errors: a [*blockchain.RuleError] (errors.Is the rule's error, such as
// blockchain.ErrBadSignature) for a transaction no node would include; a
// [*NotVerifiedError] (errors.Is ErrNotVerified) if the client
// holds no header at height; otherwise a [*blockchain.ProofError] wrapping
// ErrProofCount for a count other than the header's, or
// VerifyTxInclusion's reason (errors.Is blockchain.ErrProofIndex,
// ErrProofLength, ErrProofMismatch) — for instance for the proof of a
// transaction of another block, a changed or swapped sibling, or another
// index.
func (c *Client) VerifyTransaction(tx blockchain.Transaction, height uint64, proof blockchain.InclusionProof) error {
	if err := blockchain.CheckTransactionSanity(tx); err != nil {
		return fmt.Errorf("lightclient: transaction %s: no node would include it: %w", tx.ID(), err)
	}
	h, err := c.verified(height)
	if err != nil {
		return err
	}
	if proof.Count != uint64(h.TxCount) {
		err = &blockchain.ProofError{Err: ErrProofCount, Have: fmt.Sprintf("count %d", proof.Count), Want: fmt.Sprintf("count %d, the transactions of block %d", h.TxCount, height)}
	} else {
		err = blockchain.VerifyTxInclusion(h.MerkleRoot, tx, proof)
	}
	if err != nil {
		return fmt.Errorf("lightclient: transaction %s at height %d: %w", tx.ID(), height, err)
	}
	return nil
}

// VerifyAccount checks that p shows what the state after the block at
// p.Height holds for p.Address — its balance and nonce, or that it has no
// account — against the StateRoot of the header the client accepted at
// that height ([blockchain.VerifyAccount]). The root comes from the
// verified chain, never from whoever sent the proof. An accepted proof is
// as good as the work behind the header: the client checked the seal, not
// the transactions that led to the state (see the package documentation).
//
// It answers for the height the proof names. A caller that asked for a
// given height — the client's tip, say, for a current balance — uses
// [Client.VerifyAccountAt], which refuses a proof of another height.
// Neither knows which account the caller asked about: a genuine proof of
// another account passes. Compare p.Address with the address you asked
// for (the wallet's bank client does) before you believe the balance.
//
// Errors: a [*NotVerifiedError] (errors.Is ErrNotVerified) if the client
// holds no header at p.Height; otherwise VerifyAccount's
// [*blockchain.ProofError] (errors.Is blockchain.ErrProofMismatch,
// ErrProofMalformed) — for instance for a balance or nonce changed, a
// sibling changed, a proof relabelled with another height, or a proof that
// an address has no account when it has one.
func (c *Client) VerifyAccount(p blockchain.AccountProof) error {
	return c.VerifyAccountAt(p.Height, p)
}

// VerifyAccountAt is [Client.VerifyAccount] for a proof that must be of
// the state after the block at height: a proof of another height, however
// genuine, is refused with a [*blockchain.ProofError] wrapping
// blockchain.ErrProofHeight. A server asked for a balance now cannot
// answer with an old one.
func (c *Client) VerifyAccountAt(height uint64, p blockchain.AccountProof) error {
	h, err := c.verified(height)
	if err != nil {
		return err
	}
	if err := blockchain.VerifyAccount(h, p); err != nil {
		return fmt.Errorf("lightclient: account %s at height %d: %w", p.Address.Short(), height, err)
	}
	return nil
}
