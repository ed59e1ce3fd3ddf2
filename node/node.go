package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/clip"
	"github.com/eventchain/eventchain/internal/nilness"
	"github.com/eventchain/eventchain/pool"
)

// The streams a node reads and writes. Prefix them for a shared server
// with eventlog.WithPrefix.
const (
	// StreamTransactions holds TransactionSubmitted and TransactionRebroadcast events.
	StreamTransactions = "transactions"
	// StreamBlocks holds BlockMined events: the order of this stream is the order of the chain.
	StreamBlocks = "blocks"
	// StreamAudit holds TransactionVerified, TransactionDropped and BlockRejected events.
	StreamAudit = "audit"
	// StreamSnapshots holds SnapshotPart and SnapshotTaken events: the
	// snapshots of the chain that nodes record (Config.SnapshotEvery)
	// and restore from (RestoreSnapshot). It is events.StreamSnapshots.
	StreamSnapshots = events.StreamSnapshots
)

// RestoreMode says how Restore rebuilds the chain from the blocks stream.
type RestoreMode int

const (
	// RestoreVerify replays every block event through Chain.Apply: every
	// rule is checked again, so a node restored this way trusts nothing
	// but the log's order (and, if set, Config.AssumeValid). A poisoned
	// block is skipped as in Follow. The signatures, the costliest check,
	// are verified ahead of the applying on every core.
	RestoreVerify RestoreMode = iota
	// RestoreFast trusts the blocks it reads (Chain.Trust): it checks that
	// each links to the one before at the next height and runs the state
	// transition — nonces, funds, the state root the header claims — but
	// skips the Merkle roots, the transaction rules, the signatures and
	// the proof of work. It must still read every block event, because
	// the account state is the fold of every block's transfers; what it
	// saves is the checking. Use it only on a log whose blocks were
	// checked by nodes you trust; on a poisoned log it would accept what
	// RestoreVerify rejects.
	RestoreFast
	// RestoreSnapshot resumes from the newest snapshot of the snapshots
	// stream that checks out (see Config.SnapshotEvery) and applies only
	// the blocks after it, as RestoreVerify does, so that a restore takes
	// time in proportion to the state and the recent blocks, not to the
	// whole chain. With no usable snapshot it restores as RestoreVerify.
	//
	// It trusts, as RestoreFast trusts the log, that the snapshot's tip —
	// the block the log holds where the snapshot says — was valid when a
	// node first applied it, and so the chain up to it. It checks
	// everything else: the tip is that block; the headers link up to it;
	// the engine takes the tip's seal (its proof of work, or its
	// authority's signature); and the snapshot's accounts, balances and
	// nonces, have the state root the tip's header commits to, so a
	// snapshot whose accounts were changed is refused. What is trusted
	// costs a forger the tip's seal: under proof of work, one block's
	// work, after which the snapshot may claim any state root that block
	// claims (a block every full node refuses, as a miner paying itself
	// more than it earned); under proof of authority, a signer's key.
	// With Config.AssumeValid, the trust is the hash's: Restore takes the
	// newest snapshot whose tip is that block or one of its ancestors,
	// passing over newer ones (not counted as refused: a hash from the
	// last release is older than the newest snapshots). After it
	// the chain holds the headers from the snapshot's first on only
	// ([blockchain.ReadOnlyChain.Base]).
	RestoreSnapshot
)

// String returns "verify", "fast" or "snapshot".
func (m RestoreMode) String() string {
	switch m {
	case RestoreVerify:
		return "verify"
	case RestoreFast:
		return "fast"
	case RestoreSnapshot:
		return "snapshot"
	}
	return fmt.Sprintf("RestoreMode(%d)", int(m))
}

// ErrUnknownRestoreMode is wrapped by the error UnmarshalText returns for
// a name that is not a mode, and by Restore's for a value that is not one.
var ErrUnknownRestoreMode = errors.New("unknown restore mode")

// known reports whether m is one of the modes.
func (m RestoreMode) known() bool {
	return m == RestoreVerify || m == RestoreFast || m == RestoreSnapshot
}

// MarshalText returns the mode's name, "verify", "fast" or "snapshot",
// or an error wrapping ErrUnknownRestoreMode.
func (m RestoreMode) MarshalText() ([]byte, error) {
	if !m.known() {
		return nil, fmt.Errorf("node: %w: %d", ErrUnknownRestoreMode, int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText sets m from its name, "verify", "fast" or "snapshot", so
// that a RestoreMode can be a flag (flag.TextVar) or a JSON or YAML
// field. Any other text is an error wrapping ErrUnknownRestoreMode that
// names it.
func (m *RestoreMode) UnmarshalText(text []byte) error {
	switch string(text) {
	case "verify":
		*m = RestoreVerify
	case "fast":
		*m = RestoreFast
	case "snapshot":
		*m = RestoreSnapshot
	default:
		return fmt.Errorf("node: %w: have %q, want verify, fast or snapshot", ErrUnknownRestoreMode, text)
	}
	return nil
}

// Config configures a [Node]. Log, Spec and Engine are required.
type Config struct {
	// Log is the event log the node reads and writes.
	Log eventlog.Log
	// Spec is the network's chain spec: the genesis block, the chain ID
	// every transaction must carry, the block reward. Every node of a
	// network must have the same; read it from the log with [LoadSpec]
	// (or [WaitSpec]) rather than trust a file.
	Spec blockchain.ChainSpec
	// Engine checks every block's consensus fields and seal. It must be
	// the engine Spec names, with its parameters: New refuses a
	// blockchain.SpecEngine (pow's) that runs another consensus
	// (blockchain.ErrEngineNotSpec). A spec names "pow" or
	// "poa" only: a custom engine (a course's own) runs on a spec of
	// either, usually proof of work at 0 bits, as consensustest.Spec,
	// and every node of its network must be given that engine. The apps
	// of examples/ build the engine the spec names, so one of them
	// joining such a log would judge its blocks by that engine instead.
	Engine blockchain.Consensus
	// Window is how many of the newest blocks the chain keeps whole in
	// memory; 0 keeps all. See blockchain.Config.Window.
	Window int
	// Policy is the pool's policy; the zero Policy means pool.DefaultPolicy().
	Policy pool.Policy
	// AssumeValid, if not zero, is the hash of a block whose history
	// Restore in RestoreVerify mode takes as signed: the signatures of
	// that block and of its ancestors are not verified, as Bitcoin Core's
	// -assumevalid does. Every other rule is still checked: links,
	// heights, times, the engine's seal, Merkle roots, chain IDs, nonces,
	// funds and state roots. Before it applies anything, Restore reads
	// the blocks stream once to find the block and follow its PrevHash
	// links back; only the blocks on that path are assumed, so a forged
	// block elsewhere in the log is checked, and rejected, as ever. A
	// hash the log does not hold assumes nothing. Follow checks every
	// signature.
	//
	// In RestoreSnapshot mode it also bounds the snapshots Restore takes:
	// only one whose tip is the block or one of its ancestors (see
	// RestoreSnapshot); if the log does not hold the block, none. To find
	// the path, Restore then reads every block's header, from the first,
	// before it looks at snapshots.
	//
	// It is trust: whoever gave you the hash vouches that every transfer
	// in those blocks was signed by its sender. Take it only from a source
	// you would trust with the chain itself (the release notes of the
	// software you run, say); a wrong hash could make the node accept a
	// block whose transfers no one signed. The saving is large: the
	// signatures are most of the work of a verifying restore.
	AssumeValid blockchain.Hash
	// Now is the node's clock, for the pool and for the chain's Check (a
	// miner's look at its own block); nil means time.Now. A block read
	// from the log is judged at the time the log recorded it
	// (blockchain.Chain.ApplyAt), not by Now: only on a log that records
	// no time does Now judge blocks too. So a miner whose clock runs more
	// than the chain's MaxDrift ahead of the log's sees its blocks pass
	// Check and then refused by every node.
	Now func() time.Time
	// Logger receives what the node does; nil discards it.
	Logger *slog.Logger
	// SnapshotEvery, if not zero, makes the node record a snapshot of
	// its chain in the snapshots stream each time Follow applies a block
	// whose height is a multiple of it: the accounts after the block, in
	// parts of at most events.MaxSnapshotPartAccounts, then a manifest
	// with the newest headers (DefaultSnapshotHeaders, or more for a
	// retargeting engine), the block, where the node stands in the
	// blocks and transactions streams, and its pending transactions (the
	// oldest that fit one event; see events.FitSnapshotTaken). A node
	// restoring with RestoreSnapshot starts from the newest.
	//
	// The snapshot is taken from the chain's immutable state at the
	// moment the block is applied, and written by a goroutine of
	// Follow's, so the fold goes on while it is written; if the next
	// snapshot comes due before the last is written, the fold waits for
	// it. A snapshot that cannot be written is logged and counted
	// (SnapshotStats), never fatal. Restore records none. Every node of a
	// network may record snapshots: the same snapshot gets the same
	// event IDs from every node. 0 records none.
	SnapshotEvery uint64
}

// An Event is what a node tells its observers (see [Node.Observe]): one
// event of the blocks stream, processed, or a pending transaction that a
// block made invalid.
type Event struct {
	Kind     EventKind
	Block    *blockchain.Block      // the block added or rejected, or that made Tx invalid; nil for a malformed event
	MinerID  string                 // who published the block, as its event says
	Revision eventlog.Revision      // where in the blocks stream
	Tx       blockchain.Transaction // TxDropped: the transaction the pool dropped; zero otherwise
	Err      error                  // why the block was rejected or skipped, or the transaction dropped
}

// EventKind says what happened.
type EventKind int

const (
	// BlockAdded: a block extended the tip.
	BlockAdded EventKind = iota + 1
	// BlockRejected: a block broke a rule and was skipped; Err wraps the *blockchain.RuleError.
	BlockRejected
	// EventSkipped: an event of the blocks stream was not a block at all (malformed, unknown type).
	EventSkipped
	// TxDropped: the block just added made a transaction of the pool
	// invalid, and the pool dropped it (pool.Pool.RemoveBlock). Tx is
	// the transaction, Block the block, and Err wraps the
	// *blockchain.RuleError it now breaks: blockchain.ErrBadNonce when
	// another transfer of its sender's took its nonce,
	// blockchain.ErrInsufficientFunds when its sender can no longer pay.
	// Such events follow the block's BlockAdded, one per transaction. A
	// node tells of the transactions in its own pool only: Restore reads
	// the blocks before it fills the pool, so it tells none.
	TxDropped
	// BlockRepeated: an event of the blocks stream holds a block the
	// chain holds already, and changed nothing. PublishBlock appends
	// with an exact expected revision, so a repeat comes from another
	// writer: one that appends with Any and retried after the log's
	// de-duplication window forgot the first. It is no broken rule.
	BlockRepeated
)

// String returns the kind's name, as in "BlockAdded".
func (k EventKind) String() string {
	switch k {
	case BlockAdded:
		return "BlockAdded"
	case BlockRejected:
		return "BlockRejected"
	case EventSkipped:
		return "EventSkipped"
	case TxDropped:
		return "TxDropped"
	case BlockRepeated:
		return "BlockRepeated"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// ErrStale is returned by PublishBlock when the block does not extend the
// node's tip, or another event was appended to the blocks stream since
// the node last caught up. That event may be a block that wins the
// height, but anyone may append to the stream, so it may as well be junk
// every node skips (an event no block decodes from, a block that breaks
// a rule), or the very block published, written by an earlier append
// that failed to answer. Catch up, then look: if the chain holds the
// block, it was published; if the tip moved, the block lost the race
// (build a new one); if the tip is still the block's parent, publish the
// same block again. (The error wraps the log's
// *eventlog.WrongExpectedRevisionError, when there is one: its Actual is
// how far to catch up.)
var ErrStale = errors.New("stale block: another block was appended first")

// ErrFollowing is what Follow returns, wrapped, when the node is
// following already.
var ErrFollowing = errors.New("the node is following already")

// ErrNotMade is wrapped by the error of a Node's methods that return one
// (Restore, Follow, Submit, SubmitTransaction, PublishBlock, Propose)
// when [New] did not make the node: the zero Node, or a nil *Node. Such a
// node has no log, chain or pool.
var ErrNotMade = errors.New("the node was not made by node.New")

// usable returns ErrNotMade, wrapped with op, for a node New did not
// make.
func (n *Node) usable(op string) error {
	if n == nil || n.chain == nil {
		return fmt.Errorf("node: %s: %w", op, ErrNotMade)
	}
	return nil
}

// A Node is one participant's view of the chain: a Chain and a Pool kept
// up to date from the event log, and the way to add to it — submitting
// transactions and publishing blocks. Banks, miners and auditors each run
// one. Restore rebuilds the state from the log, Follow keeps it current.
//
// A Node is safe for concurrent use. Only [New] makes a usable Node: the
// zero Node's methods that return an error return one wrapping
// [ErrNotMade], and the others do not work.
type Node struct {
	log         eventlog.Log
	engine      blockchain.Consensus
	chain       *blockchain.Chain
	pool        *pool.Pool
	logger      *slog.Logger
	assumeValid blockchain.Hash

	// assumed holds the blocks whose signatures the chain's signature
	// rule skips: Config.AssumeValid and its ancestors, while Restore
	// runs; nil the rest of the time.
	assumed atomic.Pointer[map[blockchain.Hash]struct{}]

	// lost is set when Submit finds that the log lost events the node
	// read (ErrLogWentBack): from then on Submit appends nothing.
	lost atomic.Pointer[error]

	// verifySignatures is (*blockchain.Block).VerifySignatures, which a
	// verify restore calls on every core before it applies the blocks
	// in order; a test counts the calls.
	verifySignatures func(*blockchain.Block) error

	// following is set while Follow runs.
	following atomic.Bool

	// observers is copied on every registration and never changed in
	// place, so notify reads it without a lock or an allocation.
	observersMu sync.Mutex // serialises registrations
	observers   atomic.Pointer[[]observer]

	// mu makes the chain, the pool and the positions change together:
	// the pool checks transactions against the chain's accounts, so it
	// must never see a block the pool has not yet been told of.
	mu sync.Mutex
	// blocksNext and txNext are the next revisions to read in each stream:
	// Restore leaves them where it stopped and Follow goes on from there.
	blocksNext eventlog.Revision
	txNext     eventlog.Revision
	// txLast is the ID of the event at txNext-1, the last transaction
	// event read; the zero UUID if the node did not read it (it resumed
	// from a snapshot past it).
	txLast  uuid.UUID
	changed chan struct{} // closed and replaced on every change
	// snapStats is what SnapshotStats returns; restorePending the pending
	// transactions of the snapshot Restore resumed from, until Restore
	// puts them back in the pool.
	snapStats      SnapshotStats
	restorePending []blockchain.Transaction
	// waiting holds the transfers the pool refused for their sender's
	// state alone, until a block or a transfer of the sender's lets
	// them in (see waiting). Created with the pool, guarded by mu.
	waiting *waiting

	// Snapshots: every how many blocks Follow records one, how many
	// headers it holds (and the fewest it may), how many accounts a part.
	snapshotEvery   uint64
	snapshotHeaders int
	minHeaders      int
	partSize        int

	// own holds the transaction events the node appended and has not
	// read back, so that Follow need not decode them.
	own appended
	// senders serialises Submit's calls for each sender.
	senders senderLocks
	// ownNext is one past the highest revision Submit's appends got in
	// the transactions stream; stuckAt is one past the revision Follow
	// waited at in the transactions stream when Submit last found it
	// behind them (0: none); probing is set while Submit looks whether
	// the stream hides them (see checkShown).
	ownNext atomic.Uint64
	stuckAt atomic.Uint64
	probing atomic.Bool
}

// ErrInvalidConfig is wrapped by the error of [New] for a Config it
// refuses: the message names the field at fault.
var ErrInvalidConfig = errors.New("invalid node config")

// New returns a node holding only the genesis block of cfg.Spec and an
// empty pool. Call Restore, then Follow. It fails if Log or Engine is
// missing or Spec breaks a rule of blockchain.ChainSpec.Validate (the zero
// Spec does), with an error wrapping [ErrInvalidConfig]; the chain's and
// the pool's refusals of the rest of cfg are theirs
// (blockchain.NewChain's, pool.ErrInvalidConfig).
func New(cfg Config) (*Node, error) {
	if nilness.IsNil(cfg.Log) {
		return nil, fmt.Errorf("node: %w: Config.Log is required (a nil one, typed or not, is missing)", ErrInvalidConfig)
	}
	if nilness.IsNil(cfg.Engine) {
		return nil, fmt.Errorf("node: %w: Config.Engine is required (a nil one, typed or not, is missing)", ErrInvalidConfig)
	}
	if err := cfg.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("node: %w: Config.Spec is required and must be valid: %w", ErrInvalidConfig, err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := &Node{log: cfg.Log, engine: cfg.Engine, logger: logger, assumeValid: cfg.AssumeValid, changed: make(chan struct{}),
		snapshotEvery: cfg.SnapshotEvery, partSize: events.MaxSnapshotPartAccounts, verifySignatures: (*blockchain.Block).VerifySignatures}
	n.snapshotHeaders, n.minHeaders = snapshotHeaders(cfg.Spec)
	// One cache of verified signatures for the pool and the chain: a
	// transaction is verified when it is submitted or first read, and
	// not again when its block is applied.
	policy := cfg.Policy
	if policy == (pool.Policy{}) {
		policy = pool.DefaultPolicy()
	}
	sigs := blockchain.NewSigCache(policy.SigCacheSize())
	chainCfg := blockchain.Config{Spec: cfg.Spec, Engine: cfg.Engine, Window: cfg.Window, Now: cfg.Now, SigCache: sigs}
	if !cfg.AssumeValid.IsZero() {
		chainCfg.Rules = n.rules(cfg.Engine, sigs)
	}
	chain, err := blockchain.NewChain(chainCfg)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	p, err := pool.New(pool.Config{Policy: cfg.Policy, Chain: chain, Now: cfg.Now, SigCache: sigs})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	n.chain, n.pool, n.waiting = chain, p, newWaiting(p.Policy().Capacity)
	return n, nil
}

// rules returns the chain's default rules with the signature rule made to
// skip the blocks Restore assumes valid. The rules keep their order, so a
// block breaking several is rejected for the same rule as on any node.
func (n *Node) rules(engine blockchain.Consensus, sigs *blockchain.SigCache) []blockchain.Rule {
	rules := blockchain.DefaultRules(engine, blockchain.DefaultMaxDrift)
	signatures := blockchain.RuleSignaturesCached(sigs)
	for i, r := range rules {
		if r.Name == signatures.Name {
			rules[i].Check = func(c blockchain.ChainView, b *blockchain.Block, now time.Time) error {
				if assumed := n.assumed.Load(); assumed != nil {
					if _, ok := (*assumed)[b.Hash()]; ok {
						return nil
					}
				}
				return signatures.Check(c, b, now)
			}
		}
	}
	return rules
}

// observer is one registration of Observe.
type observer struct {
	f   func(Event)
	key *int // unique per registration, so stop removes only its own
}

// Chain returns a read-only view of the node's chain. Read it freely:
// only the node applies blocks, as it reads them from the log. The view
// stays valid across Restore, which changes the chain in place.
//
// After a restore from a snapshot (RestoreSnapshot) the chain holds the
// headers from the snapshot's first on only: Base says which height
// that is, and HeaderAt, HashAt and BlockAt answer nothing below it
// (nor StateAt and ProveAccount, which never reach further back than
// the newest Config.StateHistory heights anyway). The older history is
// in the blocks stream of the log, for whoever needs it.
func (n *Node) Chain() blockchain.ReadOnlyChain { return n.chain.ReadOnly() }

// Propose builds the block a miner would seal next on the node's tip,
// paying beneficiary, with those of txs that apply in their order; see
// blockchain.Chain.Propose, to which it hands the call. The block still
// needs the engine's Seal, and then PublishBlock. A ReadOnlyChain cannot
// propose, since proposing runs the state transition on the chain's own
// state; the node can, and changes nothing by it.
func (n *Node) Propose(beneficiary blockchain.Address, txs []blockchain.Transaction, now time.Time) (*blockchain.Block, []blockchain.Rejected, error) {
	if err := n.usable("propose"); err != nil {
		return nil, nil, err
	}
	return n.chain.Propose(beneficiary, txs, now)
}

// Observe registers f to be told of every event of the blocks stream the
// node processes from now on — a block added, a block rejected, an event
// skipped — in Restore (any mode; from a snapshot, only of the blocks
// after it) as in Follow, and of every pending
// transaction a block made invalid (TxDropped), and returns a function
// that unregisters it. f is called from the goroutine that processes the
// blocks stream, after the node's state has changed, in stream order; it
// must return quickly (apps use it to log, count and draw): while it
// runs the node takes no block, and a panic in f is not recovered — it
// ends the program, as any panic on that goroutine would. f may call the
// node's methods: the node's lock is not held. Register before Restore
// to hear the whole story. A nil f registers nothing (its stop does
// nothing): called, it would end the program at the first block, far from
// the mistake.
func (n *Node) Observe(f func(Event)) (stop func()) {
	if f == nil {
		return func() {}
	}
	key := new(int)
	n.updateObservers(func(obs []observer) []observer { return append(obs, observer{f, key}) })
	return func() {
		n.updateObservers(func(obs []observer) []observer {
			return slices.DeleteFunc(obs, func(o observer) bool { return o.key == key })
		})
	}
}

// updateObservers replaces the observer list with change(a copy of it).
func (n *Node) updateObservers(change func([]observer) []observer) {
	n.observersMu.Lock()
	defer n.observersMu.Unlock()
	var obs []observer
	if p := n.observers.Load(); p != nil {
		obs = slices.Clone(*p)
	}
	obs = change(obs)
	n.observers.Store(&obs)
}

// notify tells every observer of e.
func (n *Node) notify(e Event) {
	if p := n.observers.Load(); p != nil {
		for _, o := range *p {
			o.f(e)
		}
	}
}

// Pool returns the node's pool of pending transactions.
func (n *Node) Pool() *pool.Pool { return n.pool }

// Engine returns the consensus engine the node verifies with.
func (n *Node) Engine() blockchain.Consensus { return n.engine }

// Changed returns a channel that is closed the next time the node's state
// changes: a block event or a transaction event processed. Take the
// channel, then look at the state, then wait on it: no change is missed.
func (n *Node) Changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.changed
}

func (n *Node) signal() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// Position returns the next revisions the node will read in the blocks
// and transactions streams: how far it has caught up.
func (n *Node) Position() (blocks, txs eventlog.Revision) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.blocksNext, n.txNext
}

// Restore rebuilds the chain and the pool from the log: the blocks stream
// first (in the given mode), then the transactions stream, whose
// transactions go to the pool if they still apply — a transaction whose
// sender has used its nonce was included, or lost to another, and is left
// out — so the pool holds exactly what was submitted and can still be
// mined. Call it once, before Follow, which resumes exactly where Restore
// stopped.
//
// Each transaction is judged against the restored tip, as by a node that
// read the blocks before the transactions; one its sender cannot pay
// yet, or whose nonce follows one not read yet, waits for a block that
// touches its sender, as in Follow. A pool that read a transfer
// before the block that left its sender short dropped it then
// (TxDropped, pool.Pool.RemoveBlock); if the sender can pay it again by
// the tip, Restore puts it back in the pool, as the bank does when anyone
// submits it again: a drop for funds is not final while the transfer's
// nonce is unused.
//
// Restore reads each stream a page at a time, and checks every page with
// eventlog.CheckPage before it applies an event: a log whose Read breaks
// its contract (a page not from where it was asked for, or out of order)
// fails Restore at once with an error wrapping eventlog.ErrBrokenLog,
// where it would read the same page for ever or stop with part of the
// chain.
//
// In RestoreVerify mode the signatures of each page of blocks are
// verified on every core (runtime.GOMAXPROCS goroutines) before the
// blocks are applied, in order, one by one; Chain.Apply then finds each
// block's answer remembered (blockchain.Block.VerifySignatures). With
// Config.AssumeValid, the assumed blocks' signatures are not verified at
// all.
//
// In RestoreSnapshot mode Restore first reads the snapshots stream
// backwards for the newest manifest (events.SnapshotTaken) that decodes;
// reads its parts, forwards from the first, folding duplicates; checks
// that the blocks stream holds its tip where it says (and, with
// Config.AssumeValid, that the tip is on the trusted block's path); and
// resumes the chain from it (blockchain.Chain.Resume, which checks the
// tip's seal, and the accounts against the state root of the tip's
// header). It then applies the
// blocks after the tip as RestoreVerify does, puts the snapshot's
// pending transactions back in the pool where they still apply, and
// reads the transactions stream from where the snapshot's node stood. A
// snapshot that does not hold — a part missing, a tip that is not the
// log's block, a seal the engine refuses, a balance or nonce changed —
// is refused, logged, and
// kept as a *SnapshotError in SnapshotStats().Refused; Restore then
// tries the next older one, up to three, and else applies every block.
// The observers hear of the blocks after the snapshot only.
func (n *Node) Restore(ctx context.Context, mode RestoreMode) error {
	if err := n.usable("restore"); err != nil {
		return err
	}
	start := time.Now()
	if !mode.known() {
		return fmt.Errorf("node: restore: %w: %v", ErrUnknownRestoreMode, mode)
	}
	// The blocks Config.AssumeValid vouches for, found once for both the
	// snapshot and the blocks: nil if it is not set, or the mode fast.
	var assumed map[blockchain.Hash]struct{}
	if mode != RestoreFast && !n.assumeValid.IsZero() {
		a, err := n.findAssumed(ctx)
		if err != nil {
			return fmt.Errorf("node: restore blocks: %w", err)
		}
		assumed = a
	}
	blockMode := mode
	if mode == RestoreSnapshot {
		if err := n.restoreSnapshot(ctx, assumed); err != nil {
			return fmt.Errorf("node: restore snapshot: %w", err)
		}
		blockMode = RestoreVerify
	}
	if err := n.restoreBlocks(ctx, blockMode, assumed); err != nil {
		return fmt.Errorf("node: restore blocks: %w", err)
	}
	n.addRestoredPending()
	if err := n.restoreTransactions(ctx); err != nil {
		return fmt.Errorf("node: restore transactions: %w", err)
	}
	blocks, txs := n.Position()
	n.logger.Info("restored", "mode", mode, "height", n.chain.Height(), "tip", n.chain.TipHash().Short(), "base", n.chain.Base(),
		"block_events", uint64(blocks), "tx_events", uint64(txs), "pending", n.pool.Len(), "took", time.Since(start))
	return nil
}

// restorePage is how many events Restore reads at a time. Events are at
// most eventlog.MaxAppendSize, so a page holds at most 128 MiB even in a
// hostile log, and at most three pages are in memory at once (read,
// preparing, applying); preparing needs no more to keep every core busy.
const restorePage = 128

// restoreBlocks reads the blocks stream to its end and applies (or, in
// fast mode, trusts) every block. Decoding an event and verifying its
// block's signatures need nothing but the event, so they run ahead on
// every core while the blocks are applied in order, one page behind; and
// the next page is read while one is prepared, so no core waits for the
// log. The channels hold nothing: each stage hands its page on only when
// the next one takes it, which keeps the three pages the bound.
func (n *Node) restoreBlocks(ctx context.Context, mode RestoreMode, assumed map[blockchain.Hash]struct{}) error {
	verify := mode == RestoreVerify
	if verify && assumed != nil {
		n.assumed.Store(&assumed)
		defer n.assumed.Store(nil) // Follow checks every signature
	}
	type page struct {
		events  []eventlog.Recorded
		decoded []decoded
	}
	read, pages := make(chan []eventlog.Recorded), make(chan page)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(read)
		return n.readPages(gctx, func(recs []eventlog.Recorded) error {
			select {
			case read <- recs:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	g.Go(func() error {
		defer close(pages)
		for recs := range read {
			p := page{events: recs, decoded: n.prepareBlocks(gctx, recs, verify)}
			if err := gctx.Err(); err != nil {
				return err // the page may be half decoded
			}
			select {
			case pages <- p:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error {
		for p := range pages {
			for i, r := range p.events {
				n.applyBlock(gctx, r, p.decoded[i], mode, nil)
			}
		}
		return nil
	})
	return g.Wait()
}

// readPages reads the blocks stream from where the node stopped to its
// end, a page at a time, handing each page to handle. It returns an
// error wrapping ErrBlocksTruncated if the stream no longer holds the
// revision it reads from but later ones (see ErrBlocksTruncated).
func (n *Node) readPages(ctx context.Context, handle func([]eventlog.Recorded) error) error {
	from := n.next(StreamBlocks)
	for {
		recs, err := n.log.Read(ctx, StreamBlocks, from, eventlog.Forwards, restorePage)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			return nil
		}
		if err == nil {
			// A page out of order, or not from where it was asked for,
			// would have the loop read it again for ever.
			err = eventlog.CheckPage(StreamBlocks, from, eventlog.Forwards, restorePage, recs)
		}
		if err != nil {
			return err
		}
		if len(recs) > 0 && recs[0].Revision != from {
			return fmt.Errorf("%w: it holds no event %d of %q, and its first is %d", ErrBlocksTruncated, from, StreamBlocks, recs[0].Revision)
		}
		if len(recs) > 0 {
			if err := handle(recs); err != nil {
				return err
			}
		}
		if len(recs) < restorePage {
			return nil
		}
		from = recs[len(recs)-1].Revision + 1
	}
}

// ErrBlocksTruncated: Restore found the blocks stream without the events
// it must read first, though it holds later ones; or Follow's
// subscription skipped revisions, as it does on a stream deleted or
// truncated before the node read it. EventStoreDB hides
// events from every reader when anyone who can write to the log
// soft-deletes the stream or sets its metadata ($tb, $maxCount, $maxAge),
// and a read from revision 0 then returns the first event left. Every
// block's state follows from the blocks before it, so a chain rebuilt
// from what is left would start again at genesis, take the real blocks
// for ones that do not link to its tip, and mine a second chain on which
// every transfer of the first is good again. Restore and Follow refuse
// instead; nodes that were following when the events were hidden have
// them already, and go on. (A stream deleted with nothing appended since
// reads as empty, as a new chain's does: a node restored from it starts
// at genesis, and Follow fails at the first block appended after, which
// the log numbers on from the deleted ones.) Put the stream's metadata back, or undelete it.
var ErrBlocksTruncated = errors.New("the blocks stream lost its first events (deleted or truncated)")

// findAssumed reads the blocks stream once, decoding the header of every
// block event (on every core), and returns the blocks whose signatures
// Restore may skip: the block Config.AssumeValid names and every
// ancestor the log holds, found by following PrevHash links back from
// it. A block's hash covers its PrevHash, so the path is the block's one
// history: a block of the log that is not on it, a forgery or another
// miner's lost block, is checked in full. If the log does not hold the
// block, nothing is assumed.
func (n *Node) findAssumed(ctx context.Context) (map[blockchain.Hash]struct{}, error) {
	parent := make(map[blockchain.Hash]blockchain.Hash)
	// Only the headers are needed, and their hashes, which cover each
	// header's PrevHash: decoding the transactions too would double the
	// work of a restore. A header whose block turns out not to decode
	// costs nothing: Apply refuses that block whatever is assumed.
	type link struct{ hash, prev blockchain.Hash }
	var links []link
	err := n.readPages(ctx, func(recs []eventlog.Recorded) error {
		if cap(links) < len(recs) {
			links = make([]link, len(recs))
		}
		links = links[:len(recs)]
		// The headers are read on every core, and linked in order.
		workers := min(runtime.GOMAXPROCS(0), len(recs))
		var g errgroup.Group
		for w := range workers {
			g.Go(func() error {
				for i := w; i < len(recs); i += workers {
					links[i] = link{}
					if h, err := events.BlockMinedHeader(recs[i].Event); err == nil {
						links[i] = link{h.Hash(), h.PrevHash}
					}
				}
				return nil
			})
		}
		_ = g.Wait() // the workers return no error
		for _, l := range links {
			if !l.hash.IsZero() {
				parent[l.hash] = l.prev
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("find the assume-valid block: %w", err)
	}
	assumed := make(map[blockchain.Hash]struct{})
	for h, ok := n.assumeValid, true; ok; h, ok = parent[h] {
		if _, seen := assumed[h]; seen {
			break // a cycle, which only a SHA-256 collision could make
		}
		if _, inLog := parent[h]; !inLog {
			break // genesis, or an ancestor missing from the log
		}
		assumed[h] = struct{}{}
	}
	if len(assumed) == 0 {
		n.logger.Warn("the assume-valid block is not in the log: verifying every signature", "assume_valid", n.assumeValid.Short())
	} else {
		n.logger.Info("assuming valid the signatures of a block and its ancestors", "assume_valid", n.assumeValid.Short(), "blocks", len(assumed))
	}
	return assumed, nil
}

// decoded is a block event decoded: the block, or why there is none.
type decoded struct {
	block *blockchain.Block
	miner string
	err   error
}

// prepareBlocks decodes recs on every core, runtime.GOMAXPROCS goroutines,
// and, if verify is set, checks each block's transactions
// (blockchain.Block.Validate) and verifies the signatures of each block
// the node does not assume valid. The block remembers both answers, so
// Chain.Apply does not check them again; a failure is left for Apply to
// report, in the order of the rules. If ctx ends, it stops early, leaving the rest
// undecoded: the caller then discards the page.
func (n *Node) prepareBlocks(ctx context.Context, recs []eventlog.Recorded, verify bool) []decoded {
	out := make([]decoded, len(recs))
	assumed := n.assumed.Load()
	workers := min(runtime.GOMAXPROCS(0), len(recs))
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			for i := w; i < len(recs) && ctx.Err() == nil; i += workers {
				d := &out[i]
				d.block, d.miner, d.err = decodeBlock(recs[i])
				if d.err != nil || !verify {
					continue
				}
				if d.block.Validate() != nil { // its checks of the transactions are remembered, for Apply
					continue // refused before its signatures
				}
				if assumed != nil {
					if _, ok := (*assumed)[d.block.Hash()]; ok {
						continue
					}
				}
				if sealFails(n.engine, d.block) {
					continue // refused by the engine's rule before its signatures
				}
				_ = n.verifySignatures(d.block) // remembered by the block, for Apply
			}
			return nil
		})
	}
	_ = g.Wait() // the workers return no error
	return out
}

// sealFails reports whether the engine, if it can check a seal without
// the chain (a blockchain.SealChecker), refuses b's. Such a block is
// refused by the chain's rules before they check its signatures: a
// restoring node does not check them in advance, and a block appended by
// someone who did no work costs it a hash, not a signature per
// transaction. A CheckSeal that panics answers nothing: the block's
// signatures are checked, and Apply judges it.
func sealFails(engine blockchain.Consensus, b *blockchain.Block) (fails bool) {
	checker, ok := engine.(blockchain.SealChecker)
	if !ok {
		return false
	}
	defer func() {
		if recover() != nil {
			fails = false
		}
	}()
	return checker.CheckSeal(b) != nil
}

// restoreTransactions reads the transactions stream from where the node
// stopped to its end, a page at a time. A restoring node reads every
// transaction ever submitted, and decoding one (its JSON, checked
// strictly) costs more than finding that the chain used its nonce: so
// each page is decoded on every core, runtime.GOMAXPROCS goroutines,
// and then added to the pool in order, as Follow adds them one by one.
func (n *Node) restoreTransactions(ctx context.Context) error {
	type decodedTx struct {
		tx  blockchain.Transaction
		err error
	}
	for {
		from := n.next(StreamTransactions)
		page, err := n.log.Read(ctx, StreamTransactions, from, eventlog.Forwards, restorePage)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			return nil
		}
		if err == nil {
			err = eventlog.CheckPage(StreamTransactions, from, eventlog.Forwards, restorePage, page)
		}
		if err != nil {
			return err
		}
		if len(page) > 0 && page[0].Revision > from {
			n.transactionsHidden(from, page[0].Revision)
		}
		txs := make([]decodedTx, len(page))
		workers := min(runtime.GOMAXPROCS(0), len(page))
		var g errgroup.Group
		for w := range workers {
			g.Go(func() error {
				for i := w; i < len(page); i += workers {
					txs[i].tx, txs[i].err = n.transactionOf(page[i])
				}
				return nil
			})
		}
		_ = g.Wait() // the workers return no error
		for i, r := range page {
			n.addDecodedTransaction(r, txs[i].tx, txs[i].err)
		}
		if len(page) < restorePage {
			return nil
		}
	}
}

// transactionsHidden logs, as an Error, that a read or the subscription
// of the transactions stream gave revision got where the node expected
// next: the log holds the events between, since it numbers every append
// on, but hides them from every reader. On EventStoreDB anyone who can
// write to the log can do that, with the stream's metadata ($tb, truncate
// before; $maxCount; $maxAge) or a soft delete; a $tb set beyond the
// stream's end hides every transfer appended after, until the stream
// reaches it, so that no node sees any and no miner mines one, and the
// node can say so only when the first event past it comes.
//
// A gap in the transactions stream does not stop the node, as one in the
// blocks stream does (ErrBlocksTruncated). A block's state follows from
// the blocks before it, so a chain folded past a gap is wrong; a
// transaction stands alone, and the pool of a node that never saw some
// is short of them, nothing more: every block it applies is still
// checked in full, and the chain it holds is the network's. Stopping
// would not bring the hidden transfers back either (a restarted node
// reads past the same gap), and would let whoever can set a stream's
// metadata stop every bank, miner and auditor of the network at will.
// What is lost are the hidden transfers, to every pool: the bank that
// took them got its append acknowledged, and no miner will include them.
// The remedy is the operator's: put the stream's metadata back (remove
// the $tb or $maxCount; a soft-deleted stream comes back with its
// metadata), and then restart the nodes that logged this, so that
// Restore reads the transfers again; or have their senders submit them
// again once the stream passes the hidden range. A rebroadcast (the
// auditor's) lands at the stream's end, and is hidden too while a $tb
// lies beyond it.
func (n *Node) transactionsHidden(expected, got eventlog.Revision) {
	n.logger.Error("the transactions stream hides events: someone set its metadata ($tb, $maxCount or $maxAge) or soft-deleted it, and no node sees the transfers appended there; put the stream's metadata back (remove its $tb and $maxCount), then restart the nodes that logged this",
		"stream", StreamTransactions, "expected", uint64(expected), "got", uint64(got), "hidden", uint64(got-expected))
}

func (n *Node) next(stream string) eventlog.Revision {
	n.mu.Lock()
	defer n.mu.Unlock()
	if stream == StreamBlocks {
		return n.blocksNext
	}
	return n.txNext
}

// Follow keeps the node current: it subscribes to the blocks and the
// transactions streams from where Restore (or an earlier Follow) stopped
// and processes every event, until ctx is done or the log fails. Every
// block goes through Chain.Apply, every signature checked. With
// Config.SnapshotEvery, a goroutine of Follow's records the snapshots.
// It also holds a subscription to the chain-spec stream past the spec, so
// that a log that lost its events (an EventStoreDB wiped under it) fails
// Follow even before a block or transaction comes. It returns ctx.Err(),
// the log's error, or an error wrapping ErrBlocksTruncated at a block
// event that is not the next revision of the blocks stream (a stream
// deleted or truncated before the node read it). When the log's error says the log lost events
// (eventlog.ErrWentBack), Follow first marks the log, if its chain-spec
// stream is empty, with an events.ChainLost: no app then declares the
// same spec there again (LoadSpec returns ErrChainLost), which would
// begin the chain anew, where every transfer signed for it is good once
// more. Submit does the same when it finds the log went back.
//
// A node follows once at a time: two Follows would read every event
// twice. A Follow called while another runs returns ErrFollowing at
// once; one called after the other returned goes on from where it
// stopped.
func (n *Node) Follow(ctx context.Context) error {
	if err := n.usable("follow"); err != nil {
		return err
	}
	if !n.following.CompareAndSwap(false, true) {
		return fmt.Errorf("node: follow: %w", ErrFollowing)
	}
	defer n.following.Store(false)
	// A Restore from a snapshot that failed after the chain resumed left
	// the snapshot's pending transactions unadded, and the transactions
	// stream is read only from where the snapshot's node stood: add them
	// now, or they are lost to this pool. (After a Restore that succeeded
	// there are none.) Those the blocks still to come make invalid are
	// dropped as those blocks are applied.
	n.addRestoredPending()
	g, ctx := errgroup.WithContext(ctx)
	blocks, txs := n.Position()
	var jobs chan snapshotJob
	if n.snapshotEvery > 0 {
		jobs = make(chan snapshotJob, 1)
		g.Go(func() error {
			n.writeSnapshots(ctx, jobs)
			return nil
		})
	}
	g.Go(func() error {
		if jobs != nil {
			defer close(jobs)
		}
		return n.follow(ctx, StreamBlocks, blocks, func(r eventlog.Recorded) error {
			// A subscription gives every revision, with no gap: one
			// that skips some read a stream deleted or truncated under
			// it (see ErrBlocksTruncated), whose next block may begin
			// the chain again at genesis.
			if next := n.next(StreamBlocks); r.Revision != next {
				return fmt.Errorf("node: follow %s: %w: it gave event %d, and the node had read to %d", StreamBlocks, ErrBlocksTruncated, r.Revision, next)
			}
			b, miner, err := decodeBlock(r)
			n.applyBlock(ctx, r, decoded{b, miner, err}, RestoreVerify, jobs)
			return nil
		})
	})
	g.Go(func() error {
		return n.follow(ctx, StreamTransactions, txs, func(r eventlog.Recorded) error {
			if next := n.next(StreamTransactions); r.Revision > next {
				n.transactionsHidden(next, r.Revision)
			}
			n.addTransaction(r)
			return nil
		})
	})
	// The chain-spec stream, after its first event, the spec: nothing
	// there changes the chain (a later declaration is anyone's, and not
	// the spec), but a log that lost it — an EventStoreDB wiped, its
	// streams begun again by another chain — is noticed, and Follow
	// fails, even on a node that has read no block or transaction yet.
	g.Go(func() error {
		return n.follow(ctx, events.StreamChainSpec, 1, func(eventlog.Recorded) error { return nil })
	})
	err := g.Wait()
	if errors.Is(err, eventlog.ErrWentBack) {
		n.MarkChainLost(ctx)
	}
	return err
}

func (n *Node) follow(ctx context.Context, stream string, from eventlog.Revision, handle func(eventlog.Recorded) error) error {
	sub, err := n.log.Subscribe(ctx, stream, from)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // as Follow promises: a ctx done already is no failure of the log
		}
		return fmt.Errorf("node: follow %s: %w", stream, err)
	}
	defer sub.Close()
	for {
		r, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("node: follow %s: %w", stream, err)
		}
		if err := handle(r); err != nil {
			return err
		}
	}
}

// applyBlock processes one event of the blocks stream: a valid block
// extends the chain and leaves the pool, which drops what the block made
// invalid; a block the chain holds already is a repeat (BlockRepeated),
// not a broken rule; anything else is skipped and logged. In RestoreVerify mode
// (Follow's too) the chain runs every rule (Chain.Apply) and a block that
// broke one is recorded once as BlockRejected; in RestoreFast mode the
// chain only checks the link and the state transition (Chain.Trust), and
// a block that fails is not recorded, since fast mode did not run the rule
// a verifying node would name. Either way the observers and the Changed
// waiters hear of every event alike.
//
// With snapshots not nil (Follow's, with Config.SnapshotEvery), a block
// whose height is a multiple of SnapshotEvery is captured as it is
// applied and handed to the snapshot writer, after the observers.
func (n *Node) applyBlock(ctx context.Context, r eventlog.Recorded, d decoded, mode RestoreMode, snapshots chan<- snapshotJob) {
	b, err := d.block, d.err
	ev := Event{Kind: BlockAdded, Block: b, MinerID: d.miner, Revision: r.Revision}
	var dropped []pool.Dropped
	var job *snapshotJob
	// The chain, the pool and the position in the stream change together,
	// under n.mu, so PublishBlock always sees a tip and the revision it
	// came from, and the pool never checks a transaction against a chain
	// it has not caught up with.
	n.mu.Lock()
	repeated := false
	if err == nil {
		// A block the chain holds, but not the genesis, which no miner
		// publishes: that one breaks the height rule, as any junk does.
		if _, held := n.chain.HeightOf(b.Hash()); held && b.Height() > 0 {
			repeated = true
		} else if mode == RestoreFast {
			err = n.chain.Trust(b)
		} else if r.Time.IsZero() { // a log that records no time: the node's own clock
			err = n.chain.Apply(b)
		} else {
			// The time the log recorded the block, not this node's clock:
			// every node judges "dated too far ahead" alike, whenever it
			// reads the block (see Chain.ApplyAt).
			err = n.chain.ApplyAt(b, r.Time)
		}
		if err == nil && !repeated {
			_, dropped = n.pool.RemoveBlock(b)
			if n.waiting.len() > 0 { // touchedBy costs a restore of 100 000 blocks a noticeable while
				n.retryWaitingLocked(touchedBy(b), b.Height())
			}
			if snapshots != nil && b.Height()%n.snapshotEvery == 0 {
				j := n.captureLocked(b, r.Revision)
				job = &j
			}
		}
	}
	n.blocksNext = r.Revision + 1
	n.signal()
	n.mu.Unlock()

	switch {
	case d.err != nil:
		n.logger.Warn("skipped block event", "revision", uint64(r.Revision), "type", clip.Text(r.Type, shownType), "err", err)
		ev = Event{Kind: EventSkipped, Revision: r.Revision, Err: err}
	case repeated:
		n.logger.Debug("block event repeats a block of the chain", "revision", uint64(r.Revision), "height", b.Height(), "hash", b.Hash().Short())
		ev = Event{Kind: BlockRepeated, Block: b, MinerID: d.miner, Revision: r.Revision}
	case err != nil:
		level := slog.LevelWarn
		if errors.Is(err, blockchain.ErrEngineMisbehaved) {
			level = slog.LevelError // a bug in the engine, which may part this node from its network
		}
		n.logger.Log(ctx, level, "rejected block", "revision", uint64(r.Revision), "height", b.Height(), "hash", b.Hash().Short(), "err", rejectionReason(err))
		if mode == RestoreVerify {
			n.recordRejection(ctx, b, err)
		}
		ev = Event{Kind: BlockRejected, Block: b, MinerID: d.miner, Revision: r.Revision, Err: err}
	default:
		n.logger.Debug("added block", "height", b.Height(), "hash", b.Hash().Short(), "txs", b.Len(), "dropped", len(dropped))
	}
	n.notify(ev)
	for _, dr := range dropped {
		n.logger.Info("dropped transaction", "tx", dr.Tx.ID(), "height", b.Height(), "err", dr.Err)
		n.notify(Event{Kind: TxDropped, Block: b, MinerID: d.miner, Revision: r.Revision, Tx: dr.Tx, Err: dr.Err})
	}
	if job != nil {
		select {
		case snapshots <- *job: // waits only while the writer is still busy with the one before
		case <-ctx.Done():
		}
	}
}

// shownType is the most of an event's type a log line or an error shows.
// Whoever can append to the log chooses the type, up to the size of an
// append: every node that reads the event says it skipped it, and a type
// of half a megabyte would make each of those lines as long.
const shownType = 64

// decodeBlock returns the block a BlockMined event carries, and its miner.
func decodeBlock(r eventlog.Recorded) (*blockchain.Block, string, error) {
	p, err := events.Decode(r.Event)
	if err != nil {
		return nil, "", err
	}
	mined, ok := p.(events.BlockMined)
	if !ok {
		return nil, "", fmt.Errorf("%s event in the blocks stream", clip.Text(r.Type, shownType))
	}
	return mined.Block, mined.MinerID, nil
}

// recordRejection appends one BlockRejected to the audit stream; its ID
// comes from the block and the rule, so every node that rejects the block
// for that rule writes the same event, and the log keeps one.
func (n *Node) recordRejection(ctx context.Context, b *blockchain.Block, err error) {
	var re *blockchain.RuleError
	if !errors.As(err, &re) || re == nil { // a custom rule's nil *RuleError in a non-nil error: nothing to record
		return
	}
	e, encErr := events.Encode(events.BlockRejected{BlockHash: b.Hash(), Height: b.Height(), Rule: re.Code, Reason: rejectionReason(err)})
	if encErr == nil {
		_, encErr = n.log.Append(ctx, StreamAudit, eventlog.Any, e)
	}
	if encErr != nil && ctx.Err() == nil {
		n.logger.Warn("could not record rejected block", "hash", b.Hash().Short(), "err", encErr)
	}
}

// maxReasonLen bounds a BlockRejected event's reason, in bytes.
const maxReasonLen = 1024

// rejectionReason is err's text as a BlockRejected event can carry it:
// UTF-8, and at most maxReasonLen bytes and an ellipsis. A plugin engine
// or rule writes what it likes in its errors, a megabyte of it or bytes
// that are not text, and the rejection must still be recorded.
func rejectionReason(err error) string {
	return clip.Text(strings.ToValidUTF8(err.Error(), "\uFFFD"), maxReasonLen)
}

// addTransaction processes one event of the transactions stream: a valid
// transaction that still applies joins the pool. One the pool holds
// already (a rebroadcast, or the node's own submission) and one whose
// sender has used its nonce (it was mined, or lost to another transfer,
// before the node read it) are left out quietly; anything else that is
// left out is logged as skipped. An event the node appended itself, and
// reads back byte for byte, is not decoded again (see appended).
func (n *Node) addTransaction(r eventlog.Recorded) {
	tx, err := n.transactionOf(r)
	n.addDecodedTransaction(r, tx, err)
}

// transactionOf returns the transaction of an event of the transactions
// stream: the one the node appended, if it is that very event, or else
// the event decoded.
func (n *Node) transactionOf(r eventlog.Recorded) (blockchain.Transaction, error) {
	if tx, own := n.own.take(r.Event); own {
		return tx, nil
	}
	return decodeTransaction(r)
}

// addDecodedTransaction is addTransaction once r is decoded: tx, or err.
func (n *Node) addDecodedTransaction(r eventlog.Recorded, tx blockchain.Transaction, err error) {
	quiet, waits := false, false
	n.mu.Lock()
	if err == nil {
		if used := n.chain.Account(tx.From()).Nonce; tx.Nonce() < used {
			// Mined, or lost to another transfer: the pool would refuse
			// it for its nonce too, but only after checking its
			// signature, the dearest part. A restoring node reads every
			// transaction the chain ever included here.
			err, quiet = fmt.Errorf("nonce %d: the sender's account has used nonces up to %d", tx.Nonce(), used-1), true
		} else if held, ok := n.pool.Get(tx.ID()); !ok || held != tx {
			// Not pending already, as every transaction this node
			// submitted itself is when it reads it back: for those the
			// pool would say ErrDuplicate, at more cost than knowing.
			err = n.pool.Add(tx)
			quiet = errors.Is(err, pool.ErrDuplicate)
			waits = n.waitsForBlock(tx, err) && n.waiting.add(tx)
		}
		if err == nil {
			// In the pool now (or already, as the node's own): it may be
			// the nonce a waiting one of its sender's follows.
			n.retryWaitingLocked([]blockchain.Address{tx.From()}, 0)
		}
	}
	n.txNext, n.txLast = r.Revision+1, r.Event.ID
	n.signal()
	n.mu.Unlock()
	switch {
	case err == nil:
	case quiet:
		n.logger.Debug("transaction event needs no pool", "revision", uint64(r.Revision), "tx", tx.ID(), "err", err)
	case waits:
		n.logger.Info("transaction waits for a block that pays its sender or uses its nonce before", "revision", uint64(r.Revision), "tx", tx.ID(), "err", err)
	default:
		n.logger.Warn("skipped transaction event", "revision", uint64(r.Revision), "type", clip.Text(r.Type, shownType), "err", err)
	}
}

// waitsForBlock reports whether the pool refused tx, with err, only for
// its sender's state on the node's chain — funds short, or a nonce past
// its next — which a block the node has not read yet may change: the
// node reads the blocks stream apart from the transactions stream, and
// another node may have applied the block that pays the sender, and
// taken the transfer, before this one read it. n.mu is held.
func (n *Node) waitsForBlock(tx blockchain.Transaction, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, blockchain.ErrInsufficientFunds):
		return true
	case errors.Is(err, blockchain.ErrBadNonce):
		return tx.Nonce() > n.pool.NextNonce(tx.From())
	}
	return false
}

// retryWaitingLocked offers the pool again the waiting transfers of
// senders that may apply now: after a block (at height, for the log)
// that paid, charged or credited them, or after the pool took a transfer
// of theirs that a waiting one may follow. n.mu is held.
func (n *Node) retryWaitingLocked(senders []blockchain.Address, height uint64) {
	if n.waiting.len() == 0 {
		return
	}
	for _, from := range senders {
		n.waiting.retry(from, func() uint64 { return n.pool.NextNonce(from) }, func(tx blockchain.Transaction) (bool, bool) {
			err := n.pool.Add(tx)
			if err == nil {
				n.logger.Debug("waiting transaction pooled", "tx", tx.ID(), "height", height)
			}
			return err == nil, n.waitsForBlock(tx, err)
		})
	}
}

// touchedBy returns the addresses whose accounts b changes: its senders,
// its receivers and its beneficiary, each once.
func touchedBy(b *blockchain.Block) []blockchain.Address {
	touched := []blockchain.Address{b.Header().Beneficiary}
	for i := range b.Len() {
		tx := b.Transaction(i)
		touched = append(touched, tx.From(), tx.To())
	}
	slices.SortFunc(touched, func(a, b blockchain.Address) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(touched)
}

// decodeTransaction returns the transaction an event of the transactions
// stream carries.
func decodeTransaction(r eventlog.Recorded) (blockchain.Transaction, error) {
	p, err := events.Decode(r.Event)
	if err != nil {
		return blockchain.Transaction{}, err
	}
	switch ev := p.(type) {
	case events.TransactionSubmitted:
		return ev.Tx, nil
	case events.TransactionRebroadcast:
		return ev.Tx, nil
	}
	return blockchain.Transaction{}, fmt.Errorf("%s event in the transactions stream", clip.Text(r.Type, shownType))
}

// SubmitTransaction checks tx with the pool, against the node's chain,
// and appends it to the transactions stream as TransactionSubmitted. The
// event ID comes from the transaction, so submitting the same transaction
// again is a no-op for the log when it remembers the ID (see
// eventlog.Any), and for every pool when it does not: a pool refuses an
// ID it holds. Once appended, the transaction joins this node's pool at
// once, so that the sender's next transaction, with the next nonce,
// passes the check before Follow has read this one back; every other
// node's pool gets it through Follow.
//
// A node submits one transaction of a sender at a time, from the check
// to the pool; submissions from different senders go on together. So of
// two transfers with the same nonce submitted together, one is accepted
// and the other refused (bad-nonce), never both acknowledged; and a
// sender's next transfer submitted while the one before is being
// appended waits for it, rather than being refused for a nonce gap.
//
// Errors: the pool's error if tx is refused, wrapping the
// *blockchain.RuleError of the rule it breaks (errors.Is(err,
// blockchain.ErrBadNonce), blockchain.ErrInsufficientFunds, …) or a pool
// error such as pool.ErrFull; the log's error (wrapped) if the append
// fails. A transaction the pool holds already is no error: it is appended
// again, which the log and every pool fold away.
func (n *Node) SubmitTransaction(ctx context.Context, tx blockchain.Transaction) error {
	return n.Submit(ctx, events.TransactionSubmitted{Tx: tx})
}

// Submit is SubmitTransaction for a submitter that records more than the
// transaction in its event, such as the digest of the request it came
// from (the bank's Idempotency-Key). It checks s.Tx with the pool and
// appends s; errors as for SubmitTransaction.
func (n *Node) Submit(ctx context.Context, s events.TransactionSubmitted) error {
	if err := n.usable("submit"); err != nil {
		return err
	}
	if lost := n.lost.Load(); lost != nil {
		return fmt.Errorf("node: submit %s: %w", s.Tx.ID(), *lost)
	}
	// The signature is the costly check: verify it here, outside the
	// node's lock, so that submissions verify on every core at once. The
	// pool and the chain find the answer in the cache they share.
	n.pool.SigCache().Verify(s.Tx)
	// One submission per sender at a time, from the check to the pool:
	// of two transfers with one nonce, the second is checked against a
	// pool that holds the first.
	unlock, err := n.senders.lock(ctx, s.Tx.From())
	if err != nil {
		return fmt.Errorf("node: submit %s: %w", s.Tx.ID(), err)
	}
	defer unlock()
	n.mu.Lock()
	err = n.pool.Check(s.Tx)
	n.mu.Unlock()
	if err != nil && !errors.Is(err, pool.ErrDuplicate) {
		return fmt.Errorf("node: submit %s: %w", s.Tx.ID(), err)
	}
	e, err := events.Encode(s)
	if err != nil {
		return fmt.Errorf("node: submit: %w", err)
	}
	n.own.remember(e, s.Tx) // before the append: Follow may read it back at once
	n.mu.Lock()
	txRead, txLast := n.txNext, n.txLast
	n.mu.Unlock()
	res, err := n.log.Append(ctx, StreamTransactions, eventlog.Any, e)
	if err != nil {
		return fmt.Errorf("node: submit %s: %w", s.Tx.ID(), err)
	}
	if res.NextExpected < txRead {
		// Before events the node read: a retry the log recognised, or a
		// log that lost them (an EventStoreDB wiped and started again,
		// which Follow notices only at its next read) and took the
		// transaction among its first. The log must still hold the last
		// event the node read — that very event, not another (this one,
		// say) at its revision.
		if err := n.stillHolds(ctx, txRead, txLast); err != nil {
			if errors.Is(err, ErrLogWentBack) && n.lost.CompareAndSwap(nil, &err) { // and no more appends: each would be another copy there
				n.MarkChainLost(ctx)
			}
			return fmt.Errorf("node: submit %s: %w", s.Tx.ID(), err)
		}
	}
	n.checkShown(ctx, s.Tx, res.NextExpected)
	// The event is in the log: whatever the pool says now (a block may
	// have come in between), Follow will tell every pool the same.
	n.mu.Lock()
	err = n.pool.Add(s.Tx)
	n.mu.Unlock()
	if err != nil && !errors.Is(err, pool.ErrDuplicate) {
		n.logger.Debug("submitted transaction not pooled", "tx", s.Tx.ID(), "err", err)
	}
	return nil
}

// checkShown looks, after Submit appended tx at revision appended,
// whether the transactions stream shows readers the node's earlier
// appends: if Follow has not read one of them back yet, and has read
// nothing since the last Submit found it so, it reads the stream where
// Follow waits. The node appended there, so a read that
// shows nothing from there on means the log hides what it holds — a $tb
// set beyond the stream's end, which hides every transfer appended after
// from every node, until the stream reaches it — and the transfer just
// accepted will reach no miner: that is logged as an Error. (A read that
// shows a later event is a gap Follow logs when it reads it; see
// transactionsHidden.) The first transfer appended behind such a $tb is
// not caught, nor the second, only the third: Follow may just be slow
// to read them back. At most one Submit looks at a time, and none while
// Follow reads on, so a busy bank, whose node is always a little behind
// its own appends, pays no read for it.
func (n *Node) checkShown(ctx context.Context, tx blockchain.Transaction, appended eventlog.Revision) {
	prev := n.ownNext.Load()
	for prev < uint64(appended)+1 && !n.ownNext.CompareAndSwap(prev, uint64(appended)+1) {
		prev = n.ownNext.Load()
	}
	from := n.next(StreamTransactions)
	if prev <= uint64(from) {
		return // Follow read every earlier append of the node's
	}
	if n.stuckAt.Swap(uint64(from)+1) != uint64(from)+1 || !n.probing.CompareAndSwap(false, true) {
		return // Follow read on since the last look, or another Submit looks
	}
	defer n.probing.Store(false)
	recs, err := n.log.Read(ctx, StreamTransactions, from, eventlog.Forwards, 1)
	if (errors.Is(err, eventlog.ErrStreamNotFound) || err == nil && len(recs) == 0) && n.next(StreamTransactions) == from {
		n.logger.Error("the transactions stream hides the transfers appended to it: it holds revision "+strconv.FormatUint(prev-1, 10)+", which this node appended, but shows no event from "+from.String()+" on; someone set its metadata ($tb beyond its end, say), and no node sees the transfers, nor mines them; put the stream's metadata back (remove its $tb), then restart the nodes",
			"stream", StreamTransactions, "expected", uint64(from), "appended", uint64(appended), "tx", tx.ID())
	}
}

// ErrLogWentBack: the event log holds fewer transaction events than the
// node has read. It lost events (an EventStoreDB wiped, or restored from
// an older backup): what it holds now is not the chain the node follows.
// Submit returns it when an append shows it, and then for every later
// submission, which it no longer appends.
var ErrLogWentBack = errors.New("the event log holds fewer events than the node read: it lost events")

// stillHolds returns ErrLogWentBack unless the transactions stream still
// holds revision read-1, the last event the node read, and, if last is
// not the zero UUID, that it is the event with that ID.
//
// A stream that no longer shows that event but holds later ones was
// truncated, not wiped: on EventStoreDB anyone who can write to the log
// can set a stream's $maxCount, $maxAge or $tb, which hide its older
// events from readers (a read from a hidden revision returns the first
// event left), while the stream goes on. A wiped log holds fewer events,
// or others at the same revisions. The node takes submissions on then,
// as the auditor, which checks the same stream so, goes on, rather than
// refuse every one from then on.
func (n *Node) stillHolds(ctx context.Context, read eventlog.Revision, last uuid.UUID) error {
	recs, err := n.log.Read(ctx, StreamTransactions, read-1, eventlog.Forwards, 1)
	switch {
	case errors.Is(err, eventlog.ErrStreamNotFound), err == nil && len(recs) == 0:
		return fmt.Errorf("%w: it holds no event %d of %q", ErrLogWentBack, read-1, StreamTransactions)
	case err != nil:
		return fmt.Errorf("check the log still holds what the node read: %w", err)
	case recs[0].Revision > read-1:
		return nil // truncated: the stream went on past what the node read
	case last != uuid.UUID{} && recs[0].Event.ID != last:
		return fmt.Errorf("%w: event %d of %q is %s, not the %s the node read", ErrLogWentBack, read-1, StreamTransactions, recs[0].Event.ID, last)
	}
	return nil
}

// PublishBlock appends b, mined by minerID, to the blocks stream — if the
// stream has not moved since the node last caught up and b extends the
// node's tip. Otherwise it returns an error wrapping ErrStale: another
// event got there first, a block or junk (see ErrStale for what to do).
// A block that names the tip as its parent at another height than the
// next is refused with a *blockchain.RuleError (blockchain.ErrBadHeight),
// and a minerID with a character that is not graphic (a control
// character, a right-to-left override) with an error saying so.
// Publishing does not apply b; Follow does, as for everyone's blocks. Nor
// does it run the chain's other rules (the state root, the seal, the
// transactions): check b with Chain().Check first, as package miner does,
// for a block that breaks one is appended all the same, and every node
// then skips it.
func (n *Node) PublishBlock(ctx context.Context, b *blockchain.Block, minerID string) error {
	if err := n.usable("publish"); err != nil {
		return err
	}
	if b == nil {
		return errors.New("node: publish: nil block")
	}
	if !clip.Graphic(minerID) {
		// Explorers and logs print it: a control character, or a
		// right-to-left override, would print as something else. Readers
		// of the log take any text; the node writes none of that kind, as
		// package miner makes none.
		return fmt.Errorf("node: publish %s: miner ID %q: want letters, marks, numbers, punctuation, symbols and spaces only", b, clip.Text(minerID, 64))
	}
	n.mu.Lock()
	next, tip, height := n.blocksNext, n.chain.TipHash(), n.chain.Height()
	n.mu.Unlock()
	if b.PrevHash() != tip {
		return fmt.Errorf("node: publish %s: %w: it extends %s, the tip is %s", b, ErrStale, b.PrevHash().Short(), tip.Short())
	}
	if b.Height() != height+1 {
		// It names the tip as its parent but at another height: junk
		// every node would skip, not a block that lost a race.
		return fmt.Errorf("node: publish %s: %w", b, &blockchain.RuleError{
			Code: blockchain.ErrBadHeight, Have: strconv.FormatUint(b.Height(), 10), Want: strconv.FormatUint(height+1, 10)})
	}
	expected := eventlog.NoStream
	if next > 0 {
		expected = eventlog.Exact(next - 1)
	}
	e, err := events.Encode(events.BlockMined{Block: b, MinerID: minerID})
	if err != nil {
		return fmt.Errorf("node: publish %s: %w", b, err)
	}
	_, err = n.log.Append(ctx, StreamBlocks, expected, e)
	if errors.Is(err, eventlog.ErrWrongExpectedRevision) {
		return fmt.Errorf("node: publish %s: %w: %w", b, ErrStale, err)
	}
	if err != nil {
		return fmt.Errorf("node: publish %s: %w", b, err)
	}
	return nil
}
