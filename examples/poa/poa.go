// Package poa is proof of authority: a [blockchain.Consensus] in which a
// fixed set of signers take turns sealing blocks, each signing with its
// ed25519 key. It is also a walk-through of writing a consensus plugin.
//
// # Writing a plugin, in four steps
//
//  1. Decide what makes a block acceptable. Here: the block at height h
//     must be signed by signer (h−1) mod n — turns, in order.
//  2. Prepare fills the header fields your rule depends on, the same way
//     on every machine: the consensus fields, Bits, Nonce and Seal, and
//     no others (the chain refuses a Prepare that changes the rest).
//     Proof of authority needs no difficulty and no nonce, so it sets
//     both to zero (and Verify insists on it, or a sealed block could be
//     re-numbered at will).
//  3. Seal does the work and returns a new block. Here the work is one
//     signature over the block's seal hash ([blockchain.Block.SealHash]:
//     the hash of the header without its Seal), kept in the header's
//     Seal: the byte of the signer's index, then the 64-byte signature.
//     The seal must lie outside what it signs — a signature cannot sign
//     itself. The block hash ([blockchain.Block.Hash]), the block's name,
//     covers the seal as well, so a PrevHash link or a BlockMined event
//     pins this very signature. A signer whose turn it is not waits until
//     ctx is cancelled — until the rightful signer's block arrives and the
//     miner moves on.
//  4. Verify checks cheaply what Seal did: the fields Prepare sets, the
//     turn, and the signature.
//
// One more method is optional: CheckSeal, which makes an engine a
// [blockchain.SealChecker], checks what of a seal needs no chain, so that
// a restoring node refuses a block no one sealed before it checks the
// signatures of its transactions. Here none of Verify needs the chain,
// so CheckSeal is Verify.
//
// Then run blockchain/consensustest.Run on your engine (poa_test.go does).
// A network selects its engine in its chain spec: "consensus":
// {"engine":"poa","poa":{"signers":[…]}} names this one and its signers
// ([blockchain.PoASpec]), and [FromSpec] makes the engine from them.
//
// # What exactly is signed
//
// Not the bare seal hash, but a fixed tag followed by it:
//
//	"eventchain/poa-seal/v1" ‖ 0x00 ‖ SealHash   (23 + 32 bytes)
//
// This is domain separation. A signer's ed25519 key may one day sign other
// things too — transactions, say — and a signature says only "this key
// signed these bytes", not what the bytes meant. Without the tag, bytes the
// key signed for another purpose that are, or can be made to be, a
// header's seal hash would make a valid seal, and a seal would be a valid
// signature over whatever else those bytes can mean. With a tag that no
// other use of the key starts with, a seal signature can only ever be read
// as a seal, and a signature made for anything else never verifies as one.
// The "v1" leaves room for a new seal format under a new tag; the zero byte
// ends the tag, so a longer tag that starts with the same letters
// (".../v10", say) still gives different bytes.
//
// The trade-off against proof of work: no hashing, blocks as fast as the
// signers like, but only the listed signers can make blocks, and if the
// signer whose turn it is goes away, the chain waits for it.
package poa

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/eventchain/eventchain/blockchain"
)

// sealTag starts every message a signer signs for a seal: see "What
// exactly is signed" in the package documentation.
const sealTag = "eventchain/poa-seal/v1\x00"

// sealLen is the length of a seal: the signer's index, then the signature.
const sealLen = 1 + ed25519.SignatureSize

// sealMessage returns what the signer signs for the block: sealTag followed
// by the block's seal hash.
func sealMessage(b *blockchain.Block) []byte {
	sh := b.SealHash()
	return append([]byte(sealTag), sh[:]...)
}

// An Engine checks, and with a key seals, proof-of-authority blocks.
// It is safe for concurrent use. Make one with [New] or [FromSpec]: the
// zero Engine has no signers: Prepare, Seal, Verify and CheckSeal
// return [ErrNotMade], Turn returns -1 and Waiting says so.
type Engine struct {
	signers []ed25519.PublicKey
	// key is kept as a blockchain.PrivateKey, which no printer can show
	// the secret of: an Engine printed by mistake (with %v, %+v or %d,
	// say, which print its fields) leaks nothing. The zero key: the
	// engine only verifies.
	key blockchain.PrivateKey
	me  int // the key's place among the signers, or -1
}

var _ blockchain.Consensus = (*Engine)(nil)

// New returns an engine for these signers (1 to
// [blockchain.MaxPoASigners], in turn order).
// key is this engine's own signing key, one of the signers', or nil for
// an engine that only verifies (a bank's, an auditor's).
//
// New refuses what [blockchain.PoASpec] refuses — no signers or too
// many, a key of small order, a signer listed twice (whose miner would
// sign only at its last place, and stall the chain at the others) — and
// a key that is not a well-formed ed25519 private key (its public half
// the seed's own), which would panic or sign seals no one accepts. The
// engine keeps its own copy of signers and key: changing them afterwards
// changes nothing.
func New(signers []ed25519.PublicKey, key ed25519.PrivateKey) (*Engine, error) {
	if len(signers) == 0 || len(signers) > blockchain.MaxPoASigners {
		return nil, fmt.Errorf("poa: have %d signers, want 1…%d", len(signers), blockchain.MaxPoASigners)
	}
	if key != nil {
		if len(key) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("poa: the key: have %d bytes, want an ed25519 private key of %d", len(key), ed25519.PrivateKeySize)
		}
		if !ed25519.NewKeyFromSeed(key.Seed()).Equal(key) {
			return nil, errors.New("poa: the key: its public half is not its seed's public key")
		}
	}
	e := &Engine{signers: make([]ed25519.PublicKey, len(signers)), me: -1}
	if key != nil {
		own, err := blockchain.NewPrivateKey(key.Seed()) // the same key: its public half was checked above
		if err != nil {
			return nil, fmt.Errorf("poa: the key: %w", err)
		}
		e.key = own
	}
	for i, s := range signers {
		if len(s) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("poa: %s: have %d bytes, want an ed25519 public key", listed(i, len(signers)), len(s))
		}
		for j := range i {
			if s.Equal(signers[j]) {
				return nil, fmt.Errorf("poa: %s: %x is %s as well, want each signer once", listed(i, len(signers)), []byte(s), listed(j, len(signers)))
			}
		}
		e.signers[i] = append(ed25519.PublicKey(nil), s...)
		if blockchain.PublicKey(s).IsSmallOrder() {
			// ed25519.Verify takes a signature anyone can make for it.
			return nil, fmt.Errorf("poa: %s: %x is a key of small order, for which anyone can make a signature that verifies", listed(i, len(signers)), []byte(s))
		}
		if key != nil && s.Equal(key.Public()) {
			e.me = i
		}
	}
	if key != nil && e.me < 0 {
		return nil, fmt.Errorf("poa: the key's public half %x is none of the %d signers'", []byte(key.Public().(ed25519.PublicKey)), len(signers))
	}
	return e, nil
}

// FromSpec returns the engine of a chain spec's proof-of-authority
// parameters: its signers, in turn order, and key, this engine's own
// signing key (one of the signers') or nil for an engine that only
// verifies. Every node of the network verifies with the spec's signers.
func FromSpec(spec blockchain.PoASpec, key ed25519.PrivateKey) (*Engine, error) {
	signers := make([]ed25519.PublicKey, len(spec.Signers))
	for i, pub := range spec.Signers {
		signers[i] = append(ed25519.PublicKey(nil), pub[:]...)
	}
	return New(signers, key)
}

// ConsensusSpec returns the consensus the engine runs, as a chain spec
// declares it: proof of authority by its signers, in turn order. It makes
// the engine a [blockchain.SpecEngine], so that [blockchain.NewChain]
// refuses it for a spec of other signers, or of another engine.
func (e *Engine) ConsensusSpec() blockchain.ConsensusSpec {
	p := &blockchain.PoASpec{Signers: make([]blockchain.PublicKey, len(e.signers))}
	for i, s := range e.signers {
		p.Signers[i] = blockchain.PublicKey(s)
	}
	return blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: p}
}

var _ blockchain.SpecEngine = (*Engine)(nil)

// ErrNotMade is the error of Prepare, Seal, Verify and CheckSeal on an
// Engine that [New] or [FromSpec] did not make, such as the zero Engine:
// it has no signers, so no block can be its to seal or to accept.
var ErrNotMade = errors.New("poa: the engine has no signers: it was not made by poa.New or poa.FromSpec")

// made returns ErrNotMade for an engine without signers.
func (e *Engine) made() error {
	if len(e.signers) == 0 {
		return ErrNotMade
	}
	return nil
}

// Turn returns the index of the signer that must seal the block at
// height, or -1, no signer's, for an engine without signers (see
// [ErrNotMade]).
func (e *Engine) Turn(height uint64) int {
	if len(e.signers) == 0 {
		return -1
	}
	return int((height - 1) % uint64(len(e.signers)))
}

// Waiting says whose turn the block at height waits for, if it is not
// this engine's own: "" when this engine seals it. A miner warns with
// it when a seal has waited long (miner.Config.StallAfter): a signer
// that is down stops the chain at its turn, and nothing else says so.
func (e *Engine) Waiting(height uint64) string {
	if len(e.signers) == 0 {
		return ErrNotMade.Error()
	}
	turn := e.Turn(height)
	if turn == e.me {
		return ""
	}
	return fmt.Sprintf("signer %d of %d (index %d, key %s…), whose turn it is; this miner is %s: is that signer's miner running?",
		turn+1, len(e.signers), turn, hex.EncodeToString(e.signers[turn][:8]), e.signerName(e.me))
}

// signerName names signer i as people count, from 1 of n (as devnet
// numbers its signers' key files and miners), and by its index in the
// spec's list, from 0, which a seal's first byte holds.
func (e *Engine) signerName(i int) string {
	if i < 0 || i >= len(e.signers) {
		return fmt.Sprintf("index %d, no signer's", i)
	}
	return listed(i, len(e.signers))
}

// listed names signer i of n as signerName does; New uses it too, for a
// list it has not taken yet.
func listed(i, n int) string {
	return fmt.Sprintf("signer %d of %d (index %d)", i+1, n, i)
}

// Prepare sets Bits and Nonce to zero, and clears Seal: proof of
// authority uses neither of the first two, and Seal puts its signature in
// the third. A nil h is an error, and so is an engine without signers:
// [ErrNotMade].
func (e *Engine) Prepare(_ blockchain.ChainReader, h *blockchain.Header) error {
	if h == nil {
		return errors.New("poa: prepare: nil header")
	}
	if err := e.made(); err != nil {
		return fmt.Errorf("poa: prepare: %w", err)
	}
	h.Bits, h.Nonce, h.Seal = 0, 0, nil
	return nil
}

// ErrVerifyOnly is the error of Seal on an engine made without a key
// (New's key nil): it has no turn of its own, and no signature to give.
var ErrVerifyOnly = errors.New("poa: the engine has no signing key: it only verifies")

// Seal signs b if it is this engine's turn at b's height, and otherwise
// waits until ctx is done. The signature is over sealTag and b's seal hash,
// so any seal b already has plays no part in it and is replaced. A nil b
// is an error, and so is any b for an engine without a key, which would
// otherwise wait for a turn it never has: [ErrVerifyOnly]; or without
// signers: [ErrNotMade].
func (e *Engine) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("poa: seal: nil block")
	}
	if err := e.made(); err != nil {
		return nil, fmt.Errorf("poa: seal %v: %w", b, err)
	}
	if e.key.IsZero() {
		return nil, fmt.Errorf("poa: seal %v: %w", b, ErrVerifyOnly)
	}
	h := b.Header()
	if turn := e.Turn(h.Height); turn != e.me {
		<-ctx.Done() // the block of the signer whose turn it is will change the tip, and cancel us
		return nil, ctx.Err()
	}
	sig := e.key.Sign(sealMessage(b))
	h.Seal = append([]byte{byte(e.me)}, sig[:]...)
	return b.WithHeader(h), nil
}

// CheckSeal is Verify: whose turn a height is depends on the height alone,
// so a proof-of-authority seal is checked without the chain. It makes the
// engine a [blockchain.SealChecker]: a node restoring a log refuses a
// block with a forged seal before it checks its transactions' signatures.
func (e *Engine) CheckSeal(b *blockchain.Block) error {
	if b == nil {
		return errors.New("poa: check seal: nil block")
	}
	return e.Verify(nil, b)
}

// errBadSignature is the engine's own reason for ErrInvalidSeal.
var errBadSignature = errors.New("signature does not verify")

// Verify checks that Bits and Nonce are zero, and that the seal is the
// index and signature of the signer whose turn it is, over sealTag and the
// block's seal hash. Any other seal — a byte changed, added or dropped, no
// seal at all — is refused with [blockchain.ErrInvalidSeal]. A nil b is
// an error, and so is an engine without signers, which accepts no block:
// [ErrNotMade].
func (e *Engine) Verify(_ blockchain.ChainReader, b *blockchain.Block) error {
	if b == nil {
		return errors.New("poa: verify: nil block")
	}
	if err := e.made(); err != nil {
		return fmt.Errorf("poa: verify %v: %w", b, err)
	}
	h := b.Header()
	if h.Bits != 0 || h.Nonce != 0 {
		return &blockchain.RuleError{Code: blockchain.ErrBadConsensusFields,
			Have: fmt.Sprintf("bits %d, nonce %d", h.Bits, h.Nonce), Want: "bits 0, nonce 0"}
	}
	turn := e.Turn(h.Height)
	if len(h.Seal) != sealLen {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal,
			Have: fmt.Sprintf("a seal of %d bytes", len(h.Seal)), Want: fmt.Sprintf("%d bytes: the index and signature of %s", sealLen, e.signerName(turn))}
	}
	if signer := int(h.Seal[0]); signer != turn {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal,
			Have: "a seal by " + e.signerName(signer), Want: "one by " + e.signerName(turn)}
	}
	if !ed25519.Verify(e.signers[turn], sealMessage(b), h.Seal[1:]) {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal,
			Have: "a signature that does not verify", Want: "the signature of " + e.signerName(turn), Err: errBadSignature}
	}
	return nil
}
