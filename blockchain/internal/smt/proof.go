package smt

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// A ProofKind says where the search for a key ends, and so what a
// [Proof] shows.
type ProofKind uint8

const (
	// KindEmpty: the path ends at an empty subtree. The key is absent.
	KindEmpty ProofKind = 0
	// KindOther: the path ends at the leaf of another key, alone in the
	// subtree the key would be in. The key is absent.
	KindOther ProofKind = 1
	// KindLeaf: the path ends at the key's own leaf. The key is present;
	// the verifier supplies the value it claims, and the leaf's hash binds
	// the proof to that value.
	KindLeaf ProofKind = 2
)

// String returns "empty", "other" or "leaf", the names the JSON form uses.
func (k ProofKind) String() string {
	switch k {
	case KindEmpty:
		return "empty"
	case KindOther:
		return "other"
	case KindLeaf:
		return "leaf"
	}
	return "ProofKind(" + strconv.Itoa(int(k)) + ")"
}

// A Proof shows that a key holds a given value under a root, or that it
// holds none, to someone who has only the root (a light client that trusts
// a block header). Make one with [Tree.Prove]; check one with
// [VerifyProof].
//
// The search for key k goes down from the root, left or right by k's bits,
// until it reaches a node that is not an inner node, at depth d. Siblings
// holds, for each depth i < d, the hash of the other child of the inner
// node at depth i: the subtree beside k's path, [Empty] if it has no leaf.
// Kind says what the search found at depth d: nothing (KindEmpty), k's own
// leaf (KindLeaf), or the leaf of another key, OtherKey, holding
// OtherValue (KindOther), which then has the whole subtree of k's first d
// bits to itself.
//
// The verifier hashes what sits at depth d — Empty, LeafHash(k, value) or
// LeafHash(OtherKey, OtherValue) — and climbs back to the root, putting
// each sibling on the side opposite to k's bit, and accepts only if it
// reaches the root exactly.
//
// Why the other leaf's value, and not just its hash: the leaf's hash
// covers its key, and the verifier must see that key to know the leaf is
// not k's own. Given only a hash, a prover could pass off k's own leaf as
// "another key's", and prove k absent while it is present. With the key
// in hand the verifier checks that it is not k and that it shares k's
// first d bits (it lies in the subtree k would be in). The value is public
// state, and at most MaxValueLen bytes.
//
// A valid proof is canonical: the tree has exactly one proof for each key,
// and [Proof.Validate] refuses the shapes no tree can produce. In
// particular, when d > 0 the last sibling is never Empty: the node at
// depth d−1 is an inner node, which holds at least two leaves, and one
// side holding none or one of them means the other holds at least one.
// (A leaf beside an empty subtree would have been lifted a level up.)
//
// The binary form ([Proof.MarshalBinary]) lists only the siblings that are
// not Empty, after a bitmap that says which ones they are; all numbers are
// single bytes:
//
//	offset   size   field
//	0        1      encoding version, ProofEncodingVersion (1)
//	1        1      Kind: 0 empty, 1 other, 2 leaf
//	2        1      depth d = len(Siblings), 0…160
//	3        20     bitmap: bit i (byte i/8, from its most significant bit,
//	                the order of a key's bits) is 1 if Siblings[i] is not
//	                Empty; bits d…159 are 0
//	23       32·m   the m siblings that are not Empty, root side first
//	23+32m   20     Kind other only: OtherKey
//	43+32m   1      Kind other only: len(OtherValue), 1…64
//	44+32m   n      Kind other only: OtherValue
//
// The JSON form ([Proof.MarshalJSON]) writes every sibling, null for
// Empty, and each hash, key and value as lower-case hex:
//
//	{"kind":"leaf","depth":2,"siblings":[null,"9c…"]}
//	{"kind":"other","depth":1,"siblings":["7f…"],"other":{"key":"a3…","value":"00…"}}
//
// A Proof is a plain value; its slices are its own when it comes from
// Prove or a decoder, but a copy of a Proof shares them.
type Proof struct {
	Siblings   []Hash    // the sibling of each inner node on the path, root side first
	Kind       ProofKind // what the path ends at
	OtherKey   Key       // KindOther: the key of the leaf it ends at; otherwise zero
	OtherValue []byte    // KindOther: that leaf's value; otherwise empty
}

// Prove returns the proof for k: of its value if the tree holds k, of its
// absence otherwise. It copies about log₂ Len hashes and hashes nothing.
func (t Tree) Prove(k Key) Proof {
	// First find the depth, to allocate the siblings once.
	d := 0
	for n := t.root; n != nil && n.leaves >= 2; d++ {
		if k.bit(d) == 0 {
			n = n.left
		} else {
			n = n.right
		}
	}
	var p Proof
	if d > 0 {
		p.Siblings = make([]Hash, d)
	}
	n := t.root
	for depth := range d {
		sibling := n.right
		if k.bit(depth) == 1 {
			sibling, n = n.left, n.right
		} else {
			n = n.left
		}
		p.Siblings[depth] = hashOf(sibling)
	}
	switch {
	case n == nil:
		p.Kind = KindEmpty
	case n.key == k:
		p.Kind = KindLeaf
	default:
		p.Kind = KindOther
		p.OtherKey = n.key
		p.OtherValue = bytes.Clone(n.value)
	}
	return p
}

// The reasons a proof is refused; a [*ProofError] wraps one of them.
var (
	// ErrProofMismatch: the proof is well formed, but does not show the
	// claim under this root: the root it leads to differs (a changed or
	// swapped sibling, a wrong value, a path cut short or made longer, a
	// proof for another tree), or it shows absence where a value is
	// claimed, or the other way round.
	ErrProofMismatch = errors.New("proof does not match the root")
	// ErrProofMalformed: no tree has such a proof: deeper than KeyBits, an
	// unknown kind, a last sibling that is Empty (non-canonical: the node
	// would have been lifted), an "other" leaf whose key is k itself or
	// leaves k's path, a value of the wrong length — or bytes or JSON that
	// are not a proof's encoding.
	ErrProofMalformed = errors.New("malformed proof")
)

// A ProofError says why a proof was refused: Err is [ErrProofMismatch] or
// [ErrProofMalformed], and Reason says what exactly is wrong. Test for a
// reason with errors.Is(err, smt.ErrProofMalformed), or read the details
// with errors.As.
type ProofError struct {
	Err    error  // ErrProofMismatch or ErrProofMalformed
	Reason string // what is wrong, for people
}

// Error reads like "smt: malformed proof: depth 161 is over 160".
func (e *ProofError) Error() string { return "smt: " + e.Err.Error() + ": " + e.Reason }

// Unwrap returns Err, so that errors.Is sees it.
func (e *ProofError) Unwrap() error { return e.Err }

func malformed(format string, args ...any) *ProofError {
	return &ProofError{Err: ErrProofMalformed, Reason: fmt.Sprintf(format, args...)}
}

func mismatch(format string, args ...any) *ProofError {
	return &ProofError{Err: ErrProofMismatch, Reason: fmt.Sprintf(format, args...)}
}

// Validate checks what can be checked of a proof without a key or a root:
// depth at most KeyBits, a known kind, a last sibling that is not Empty
// (see [Proof]), and, for KindOther, a value of 1…MaxValueLen bytes at a
// depth under KeyBits (at depth KeyBits the only key on the path is k
// itself); for the other kinds OtherKey must be zero and OtherValue empty.
// It returns nil or a [*ProofError] wrapping [ErrProofMalformed].
// [VerifyProof] and the encoders run it first.
func (p Proof) Validate() error {
	d := len(p.Siblings)
	if d > KeyBits {
		return malformed("depth %d is over %d", d, KeyBits)
	}
	if d > 0 && p.Siblings[d-1] == Empty {
		return malformed("non-canonical: the last sibling, at depth %d, is Empty, so the node below it would have been lifted", d-1)
	}
	switch p.Kind {
	case KindEmpty, KindLeaf:
		if p.OtherKey != (Key{}) || len(p.OtherValue) != 0 {
			return malformed("a proof of kind %s carries another leaf", p.Kind)
		}
	case KindOther:
		if d == KeyBits {
			return malformed("another leaf at depth %d would have the key itself", KeyBits)
		}
		if n := len(p.OtherValue); n == 0 || n > MaxValueLen {
			return malformed("the other leaf's value has %d bytes, want 1…%d", n, MaxValueLen)
		}
	default:
		return malformed("unknown kind %d", p.Kind)
	}
	return nil
}

// VerifyProof checks that under root the key k holds value — or, if value
// is nil or empty, that k holds nothing — as proof p shows. It returns nil
// only when p is exactly the proof [Tree.Prove] gives for k in a tree with
// that root (anything else would need a SHA-256 collision); otherwise a
// [*ProofError] wrapping [ErrProofMalformed] (see [Proof.Validate]; also a
// value over MaxValueLen bytes, and a KindOther leaf whose key is k or
// does not share k's first d bits) or [ErrProofMismatch]. It never panics,
// whatever p holds.
//
// It recomputes the root: the hash at the end of the path, then, from
// depth d−1 up to 0, NodeHash(h, sibling) where k's bit is 0 and
// NodeHash(sibling, h) where it is 1.
//
// Take root from a header you trust (one whose proof of work or signature
// you checked), never from whoever sent the proof.
func VerifyProof(root Hash, k Key, value []byte, p Proof) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if len(value) > MaxValueLen {
		return malformed("the value has %d bytes, want at most %d", len(value), MaxValueLen)
	}
	d := len(p.Siblings)
	var h Hash
	switch p.Kind {
	case KindLeaf:
		if len(value) == 0 {
			return mismatch("the proof shows key %s holds a value, the claim is that it is absent", k)
		}
		h = LeafHash(k, value)
	case KindEmpty:
		if len(value) != 0 {
			return mismatch("the proof shows key %s absent (an empty subtree), the claim is a value", k)
		}
		h = Empty
	case KindOther:
		if len(value) != 0 {
			return mismatch("the proof shows key %s absent (another key's leaf), the claim is a value", k)
		}
		if p.OtherKey == k {
			return malformed("the other leaf has the key %s itself", k)
		}
		if n := commonPrefixLen(&p.OtherKey, &k); n < d {
			return malformed("the other leaf's key %s leaves the path of %s at depth %d, before the proof's end at %d", p.OtherKey, k, n, d)
		}
		h = LeafHash(p.OtherKey, p.OtherValue)
	}
	for i := d - 1; i >= 0; i-- {
		if k.bit(i) == 0 {
			h = NodeHash(h, p.Siblings[i])
		} else {
			h = NodeHash(p.Siblings[i], h)
		}
	}
	if h != root {
		return mismatch("the proof leads to root %s, want %s", h, root)
	}
	return nil
}
