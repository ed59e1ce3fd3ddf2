package blockchain

import (
	"context"
	"errors"
)

// A Consensus engine decides what makes a block acceptable beyond the
// chain's own rules, and how to produce such a block. Proof of work
// (package pow) is one engine; proof of authority or a test double that
// seals instantly are others. Chain, miner and node work with any engine.
// A chain spec names "pow" or "poa" only ([ConsensusSpec]): an engine of
// one's own runs on a spec of either, usually proof of work at 0 bits, as
// consensustest.Spec, and every node of its network is given that engine
// (node.Config.Engine); the apps of examples/ build the engine their spec
// names.
//
// The life of a block, and where each method comes in:
//
//	b, _, err := chain.Propose(miner, txs, now) // the header: links, height, roots, who is paid;
//	                                            // 1. and the chain calls engine.Prepare (pow: Bits)
//	sealed, err := engine.Seal(ctx, b)          // 2. do the work on b.SealHash() (pow: find a nonce)
//	…publish sealed; every node then runs…
//	engine.Verify(chain, sealed)                // 3. check the work, cheaply
//
// (Propose is NextHeader, the beneficiary, the state root of the
// transactions applied, and Prepare: a header from NextHeader alone
// names no beneficiary and no state root, and the chain refuses it.)
//
// Sealing is expensive and verifying is cheap: that asymmetry is the whole
// point of proof of work.
//
// An engine works on the block's seal hash ([Header.SealHash]), the hash of
// everything but Header.Seal: proof of work makes it meet a target, proof
// of authority signs it and puts the signature in Seal. The block hash
// ([Header.Hash]), which names the block, covers the seal as well, so a
// block with another seal is another block; Verify must refuse any seal
// the engine would not have made, including a seal on a block of an
// engine that makes none.
//
// The engine sees the chain only through a [ChainReader], a read-only view
// of its headers; the parent of a header at height n is
// chain.HeaderAt(n-1). Engines must be safe for concurrent use: a node
// verifies blocks while its miner seals. A chain runs Verify (in Apply,
// ApplyAt, Check and Resume) while it holds its lock, so Prepare and Verify must read
// the chain through the view they are given, never through the [Chain], a
// [ReadOnlyChain] or a node's Chain method: a Verify that does waits for
// the same lock, for ever. ([Chain.Propose] runs Prepare outside its lock,
// on a view of the headers as they were when it built the block, so a
// Prepare that slips does not deadlock, but may read a newer tip than the
// header's parent.) An engine therefore judges a block by headers alone,
// as a light client must too: it cannot read balances, so proof of stake
// by balance, say, is not an engine this interface can carry.
//
// Errors: Prepare and Verify return a [*RuleError] when a block breaks a
// rule — [ErrInvalidSeal] for a seal that proves nothing,
// [ErrBadConsensusFields] for consensus fields the rules did not ask for,
// [ErrUnknownAncestor] when the engine needs a header the view lacks. An
// engine may keep its own, more precise errors unexported and put them in
// RuleError.Err.
type Consensus interface {
	// Prepare sets the consensus fields of h (Bits, Nonce, Seal), a
	// header that is about to be sealed on top of
	// chain.HeaderAt(h.Height-1), as the engine's rules require (pow:
	// the difficulty, Bits), and no other field: [Chain.Propose] refuses
	// a header whose other fields Prepare changed, and a Prepare that
	// panics, with [ErrEngineMisbehaved]. It must be deterministic: the
	// same chain and header always give the same result, because Verify
	// checks those fields by computing them again. A field Seal searches
	// (pow's Nonce) is Seal's, not Prepare's: Prepare may leave it as it
	// finds it or reset it, and Verify checks the seal it makes rather
	// than compute it again.
	Prepare(chain ChainReader, h *Header) error

	// Seal does the work that makes b acceptable (pow: search for a nonce)
	// and returns the sealed block, a new Block; b is not changed. The
	// sealed block is b but for its consensus fields and, if need be, its
	// time ([CheckSealed] says so). Seal
	// may take long. When ctx is cancelled — another miner's block won the
	// tip, say — it must stop promptly and return ctx.Err(). If ctx is
	// already done when Seal is called, it returns ctx.Err() without
	// sealing. An engine that may not seal b yet, but may once the
	// chain moves on (a signer out of its turn), waits for ctx like
	// that rather than return an error: any other error says the engine
	// can seal nothing, and package miner's Run stops on it.
	Seal(ctx context.Context, b *Block) (*Block, error)

	// Verify checks that b's consensus fields are what Prepare would set
	// and that its seal (the nonce, Header.Seal, or both) is valid for
	// b.SealHash(), given the chain it extends
	// (b's parent is chain.HeaderAt(b.Height()-1)). It must be cheap,
	// must not change anything, and must be deterministic: every node
	// verifies every block, and nodes whose engines answered differently
	// would follow different chains. It does not repeat [Block.Validate]
	// or the chain's own rules. A Verify that panics refuses the block
	// ([RuleConsensus]).
	//
	// Verify judges the header only: a light client (package
	// lightclient) calls it with the header as a block without
	// transactions (b.Len() is 0 whatever the header's TxCount), so a
	// Verify that looks at b's transactions, or at anything computed
	// from them such as b.TxRoot(), refuses every header a light client
	// is given (consensustest.Run's VerifyJudgesTheHeaderOnly fails it).
	Verify(chain ChainReader, b *Block) error
}

// A SealChecker is a [Consensus] engine that can check part of a block's
// seal from the block alone, without the chain it extends: for proof of
// work, that the seal hash has the zero bits its own header claims, and
// that those are bits the engine could ever ask for; for proof of
// authority, that one of the signers signed it. It is what Bitcoin checks
// of a header before it downloads the block's body ("headers first"):
// cheap, and enough to refuse a block no one did the work for.
//
// A node restoring a log in verify mode checks every block's signatures
// on every core before it applies the blocks in order, and so before it
// knows whether a block links to its tip or carries a valid seal. It asks
// CheckSeal first, where the engine has it: a block it refuses is applied
// without its signatures verified in advance, and is refused by the
// rules before they reach its signatures. So a block appended by someone
// who did no work costs a restoring node one hash, not one verification
// per transaction. An engine without CheckSeal works the same, the
// signatures checked in advance.
type SealChecker interface {
	// CheckSeal returns an error if b's seal is invalid whatever chain b
	// is on: a *RuleError as Verify's. It must accept every block Verify
	// accepts on some chain, be cheap, change nothing, and be safe for
	// concurrent use: it is called on every core. Whatever it accepts,
	// Verify still judges.
	CheckSeal(b *Block) error
}

// A ChainReader is the read-only view of a chain that a [Consensus] engine
// and the chain rules consult. [*Chain] is one; [HeaderList] is a simple
// one for tests and teaching.
type ChainReader interface {
	// Tip returns the header of the newest block.
	Tip() Header
	// HeaderAt returns the header at height, and false if the view does
	// not hold it (beyond the tip, say).
	HeaderAt(height uint64) (Header, bool)
}

// HeaderList is a [ChainReader] over consecutive headers held in a slice:
// the first element may be at any height, each next one is one higher.
// The last is the tip. An empty HeaderList has no tip: Tip returns the zero
// Header.
//
// It lets a test or a student run an engine's Prepare and Verify without
// building a [Chain].
type HeaderList []Header

// Tip returns the last header.
func (l HeaderList) Tip() Header {
	if len(l) == 0 {
		return Header{}
	}
	return l[len(l)-1]
}

// HeaderAt returns the header at height.
func (l HeaderList) HeaderAt(height uint64) (Header, bool) {
	if len(l) == 0 || height < l[0].Height || height-l[0].Height >= uint64(len(l)) {
		return Header{}, false
	}
	return l[height-l[0].Height], true
}

// A SpecEngine is a [Consensus] engine that says which consensus it runs,
// as a chain spec would declare it. [NewChain] refuses an engine that is
// one and runs another consensus than its Config.Spec declares: nodes
// that agree on a spec, and so on its genesis hash, would disagree on
// which blocks are valid (a spec of 18 bits and an engine of 12 accept
// blocks the other nodes refuse). pow.Engine is one, and so is proof of
// authority's (a spec of other signers refuses it); an engine of one's
// own may be, or may leave the spec unchecked, as consensustest's fakes
// do so that any test can run on one spec.
type SpecEngine interface {
	Consensus
	// ConsensusSpec returns the consensus the engine runs, in the form
	// a spec declares it: [ChainSpec.Validate] takes it. NewChain fails
	// with an error wrapping [ErrEngineMisbehaved] if it panics.
	ConsensusSpec() ConsensusSpec
}

// ErrEngineNotSpec is wrapped by the error of [NewChain] (and of the
// miner package's New) for a [SpecEngine] that runs another consensus
// than the chain's spec; the error names the first difference, as
//
//	blockchain: Config.Engine: the engine does not run the spec's consensus: consensus.pow.bits: the spec's 18, the engine's 12
var ErrEngineNotSpec = errors.New("the engine does not run the spec's consensus")
