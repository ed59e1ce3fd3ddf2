package blockchain

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/eventchain/eventchain/blockchain/internal/smt"
)

// AccountProofVersion is the first byte of an account proof's binary
// encoding.
const AccountProofVersion = 1

// Errors of account proofs, besides the inclusion proofs' ErrProofMismatch
// (the path does not lead to the header's StateRoot).
var (
	// ErrProofHeight: the proof is for another height than the header
	// it is checked against.
	ErrProofHeight = errors.New("proof for another height")
	// ErrProofMalformed: the proof's path has a shape no state tree can
	// give (too deep, a lifted leaf left low, another leaf with the very
	// key proven, …).
	ErrProofMalformed = errors.New("malformed state proof")
)

// An AccountProof shows what the state after the block at Height holds
// for Address: its balance and nonce, or — when Account is the zero
// Account — that the address has no account at all. It is checked
// against that block's header, which commits to the state through
// StateRoot ([VerifyAccount]), so whoever trusts the header (a light
// client that checked its proof of work) need not trust whoever sent the
// proof.
//
// Get one from [Chain.ProveAccount] or [State.Prove]. Its path is a
// sparse Merkle tree path (see [State.Root]): about log₂ n sibling hashes
// for n accounts, 20 at a million.
//
// # Binary form
//
//	offset  size  field
//	0       1     AccountProofVersion (1)
//	1       8     Height, uint64
//	9       20    Address
//	29      8     Balance, int64
//	37      8     Nonce, uint64
//	45      …     the path, in the state tree's proof encoding (see
//	              package blockchain/internal/smt): version, kind, depth,
//	              a bitmap of the siblings that are not empty, those
//	              siblings, and for an absence proof that ends at another
//	              account, its address and value
//
// # JSON
//
//	{"height":12,"address":"ec…","balance":125,"nonce":3,
//	 "path":{"kind":"leaf","depth":2,"siblings":[null,"9c…"]}}
//
// Both decoders are strict: one encoding per proof, no unknown fields, no
// trailing data, and a path whose shape no tree can give is refused.
type AccountProof struct {
	Height  uint64  // the block after which the state holds Account
	Address Address // the account proven
	Account Account // its balance and nonce; zero: the address has no account
	path    smt.Proof
}

// Prove returns the proof of what s holds for a, at height (the height
// of the block s is the state after; the proof carries it so that it is
// checked against that block's header).
func (s *State) Prove(a Address, height uint64) AccountProof {
	return AccountProof{Height: height, Address: a, Account: s.Account(a), path: s.tree.Prove(smt.Key(a))}
}

// ProveAccount returns the proof of an account's balance and nonce, or of
// its absence, after the block at height. The chain keeps the states of
// the newest Config.StateHistory heights; for an older height (or one
// past the tip) the error wraps ErrStateNotKept.
func (c *Chain) ProveAccount(a Address, height uint64) (AccountProof, error) {
	if err := c.usable(); err != nil {
		return AccountProof{}, fmt.Errorf("prove account %s at height %d: %w", a.Short(), height, err)
	}
	st, ok := c.StateAt(height)
	if !ok {
		return AccountProof{}, fmt.Errorf("prove account %s at height %d: %w", a.Short(), height, ErrStateNotKept)
	}
	return st.Prove(a, height), nil
}

// ErrStateNotKept: the chain no longer keeps (or never had) the state at
// the height asked for.
var ErrStateNotKept = errors.New("state not kept at this height")

// VerifyAccount checks that p proves its account under h: that p is for
// h's height and that its path leads from p's account (or its absence)
// to h.StateRoot exactly. It returns nil or a [*ProofError] wrapping
// ErrProofHeight, ErrProofMalformed or ErrProofMismatch. A proof that
// an address has no account fails when the address has one, and the
// other way round. Take h from a chain of headers you verified yourself
// (package lightclient), never from whoever sent the proof.
func VerifyAccount(h Header, p AccountProof) error {
	if p.Height != h.Height {
		return &ProofError{Proof: accountProof, Err: ErrProofHeight, Have: fmt.Sprintf("height %d", p.Height), Want: fmt.Sprintf("height %d", h.Height)}
	}
	var value []byte
	if !p.Account.IsZero() {
		value = p.Account.appendValue(make([]byte, 0, accountValueLen))
	}
	err := smt.VerifyProof(smt.Hash(h.StateRoot), smt.Key(p.Address), value, p.path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, smt.ErrProofMismatch):
		return &ProofError{Proof: accountProof, Err: ErrProofMismatch, Have: "a path to another root", Want: "state root " + h.StateRoot.Short()}
	}
	return &ProofError{Proof: accountProof, Err: ErrProofMalformed, Have: err.Error(), Want: "a path a state tree gives"}
}

// Depth returns the number of sibling hashes on the proof's path.
func (p AccountProof) Depth() int { return len(p.path.Siblings) }

// accountProofFixedLen is the length of the binary form before the path.
const accountProofFixedLen = 1 + 8 + AddressSize + 8 + 8

// MarshalBinary returns the binary form described on [AccountProof]. A
// proof whose path has no valid shape has none: the error wraps
// ErrProofMalformed.
func (p AccountProof) MarshalBinary() ([]byte, error) {
	path, err := p.path.MarshalBinary()
	if err != nil {
		return nil, &ProofError{Proof: accountProof, Err: ErrProofMalformed, Have: err.Error(), Want: "a path a state tree gives"}
	}
	b := make([]byte, 0, accountProofFixedLen+len(path))
	b = append(b, AccountProofVersion)
	b = binary.BigEndian.AppendUint64(b, p.Height)
	b = append(b, p.Address[:]...)
	b = p.Account.appendValue(b)
	return append(b, path...), nil
}

// UnmarshalBinary decodes what MarshalBinary writes, and nothing else.
// Bytes that are not an account proof give an error wrapping
// [ErrMalformed]; on error p is unchanged.
func (p *AccountProof) UnmarshalBinary(data []byte) error {
	if len(data) < accountProofFixedLen {
		return malformed("account proof", "have %d bytes, want at least %d", len(data), accountProofFixedLen)
	}
	if data[0] != AccountProofVersion {
		return malformed("account proof", "version: have %d, want %d", data[0], AccountProofVersion)
	}
	var path smt.Proof
	if err := path.UnmarshalBinary(data[accountProofFixedLen:]); err != nil {
		return malformed("account proof", "path: %v", err)
	}
	acct := decodeAccount(data[29:45])
	if acct.Balance < 0 {
		return malformed("account proof", "balance: have %d, want ≥ 0", acct.Balance)
	}
	*p = AccountProof{Height: binary.BigEndian.Uint64(data[1:9]), Address: Address(data[9:29]), Account: acct, path: path}
	return nil
}

// accountProofJSON is the JSON form of an AccountProof.
type accountProofJSON struct {
	Height  uint64          `json:"height"`
	Address Address         `json:"address"`
	Balance int64           `json:"balance"`
	Nonce   uint64          `json:"nonce"`
	Path    json.RawMessage `json:"path"`
}

// MarshalJSON writes the JSON form described on [AccountProof].
func (p AccountProof) MarshalJSON() ([]byte, error) {
	path, err := p.path.MarshalJSON()
	if err != nil {
		return nil, &ProofError{Proof: accountProof, Err: ErrProofMalformed, Have: err.Error(), Want: "a path a state tree gives"}
	}
	return json.Marshal(accountProofJSON{Height: p.Height, Address: p.Address, Balance: p.Account.Balance, Nonce: p.Account.Nonce, Path: path})
}

// UnmarshalJSON reads the JSON form MarshalJSON writes. Unknown (names
// are case-sensitive), repeated, missing or null fields, trailing data, a
// malformed address or path, and a
// negative balance are errors wrapping [ErrMalformed]; on error p is
// unchanged.
func (p *AccountProof) UnmarshalJSON(data []byte) error {
	fields := []string{"height", "address", "balance", "nonce", "path"}
	if _, err := jsonMembers(data, fields, fields); err != nil {
		return malformed("account proof", "%v", err)
	}
	var w accountProofJSON
	if err := strictJSON(data, &w); err != nil {
		return malformed("account proof", "%v", err)
	}
	var path smt.Proof
	if err := path.UnmarshalJSON(w.Path); err != nil {
		return malformed("account proof", "path: %v", err)
	}
	if w.Balance < 0 {
		return malformed("account proof", "balance: have %d, want ≥ 0", w.Balance)
	}
	*p = AccountProof{Height: w.Height, Address: w.Address, Account: Account{Balance: w.Balance, Nonce: w.Nonce}, path: path}
	return nil
}

// accountProof is the Proof of an account proof's ProofErrors.
const accountProof = "account proof"
