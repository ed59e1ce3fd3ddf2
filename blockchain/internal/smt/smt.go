package smt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"slices"
)

// KeySize is the length in bytes of a [Key]: an account address.
const KeySize = 20

// KeyBits is the number of bits in a [Key], and so the depth of the
// conceptual tree: a path from the root to a key's own position takes
// one step per bit.
const KeyBits = 8 * KeySize

// MaxValueLen is the longest value a leaf may hold, in bytes. The chain
// stores 16 (a balance and a nonce); the limit keeps every leaf's hash
// input, and every proof, small and bounded.
const MaxValueLen = 64

// A Key is the 20-byte name of a leaf: for the chain, an account's address.
// Its bits, read from the most significant bit of byte 0 to the least
// significant bit of byte 19, are the key's path from the root: bit i says
// whether the path goes left (0) or right (1) at depth i. So keys in
// byte-wise order are also in the tree's left-to-right order.
//
// A Key is a comparable value, usable as a map key.
type Key [KeySize]byte

// String returns k as 40 lower-case hexadecimal digits.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// bit returns bit i of k, 0 or 1: the direction the path to k takes at
// depth i. i must be in 0…KeyBits−1.
func (k *Key) bit(i int) int { return int(k[i>>3]>>(7-uint(i&7))) & 1 }

// commonPrefixLen returns how many leading bits a and b share: KeyBits if
// they are equal.
func commonPrefixLen(a, b *Key) int {
	for i := range a {
		if x := a[i] ^ b[i]; x != 0 {
			return 8*i + bits.LeadingZeros8(x)
		}
	}
	return KeyBits
}

// A Hash is a SHA-256 digest: of a leaf ([LeafHash]) or of an inner node
// ([NodeHash]), or [Empty]. A tree's root is a Hash, and a block header
// commits to the state of every account by carrying one.
type Hash [32]byte

// Empty is the hash of a subtree that holds no leaf: 32 zero bytes. It is
// not the SHA-256 of anything anyone can find, so it can never be mistaken
// for a leaf or an inner node. The zero [Tree] has root Empty.
var Empty Hash

// String returns h as 64 lower-case hexadecimal digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// The domain-separation prefixes: the first byte of what is hashed says
// whether it is a leaf or an inner node, so that one can never pass for
// the other (the second preimage attack on Merkle trees without them).
const (
	leafPrefix = 0x10
	nodePrefix = 0x11
)

// LeafHash returns the hash of the leaf that holds value under key k:
//
//	SHA-256(0x10 ‖ k (20 bytes) ‖ value)
//
// The key is part of the hash, so a leaf says whose it is wherever it sits
// in the tree: that is what lets a leaf move up to the top of a subtree it
// has alone (see the package documentation) and still be bound to its key.
// value should be 1 to [MaxValueLen] bytes, as in a [Tree]; LeafHash
// hashes whatever it is given, and allocates nothing for values of up to
// MaxValueLen bytes.
func LeafHash(k Key, value []byte) Hash {
	var buf [1 + KeySize + MaxValueLen]byte
	if len(value) > MaxValueLen {
		h := sha256.New()
		h.Write([]byte{leafPrefix})
		h.Write(k[:])
		h.Write(value)
		return Hash(h.Sum(nil))
	}
	buf[0] = leafPrefix
	copy(buf[1:], k[:])
	n := copy(buf[1+KeySize:], value)
	return sha256.Sum256(buf[:1+KeySize+n])
}

// NodeHash returns the hash of an inner node whose children have hashes
// left and right:
//
//	SHA-256(0x11 ‖ left ‖ right)
//
// Either child may be [Empty], but not both (see the package
// documentation for when an inner node exists). It allocates nothing.
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*32]byte
	buf[0] = nodePrefix
	copy(buf[1:], left[:])
	copy(buf[33:], right[:])
	return sha256.Sum256(buf[:])
}

// A node is a leaf or an inner node of a tree. Nodes never change once
// made: an update makes new nodes for what it changes and points to the
// old ones for the rest (structural sharing), so every tree that holds a
// node can rely on it. A nil *node is an empty subtree.
//
// A leaf has leaves == 1, and key and value set. An inner node has
// leaves ≥ 2 (the number of leaves below it), and left and right, of
// which at most one is nil; a child that is not nil is either a leaf or
// an inner node, and a subtree of one leaf is always that leaf's node,
// never an inner node above it.
type node struct {
	hash        Hash
	left, right *node
	value       []byte // leaf: the value, 1…MaxValueLen bytes, never changed
	leaves      int    // number of leaves in the subtree
	key         Key    // leaf: the key
}

// hashOf returns n's hash, Empty for a nil node.
func hashOf(n *node) Hash {
	if n == nil {
		return Empty
	}
	return n.hash
}

// count returns the number of leaves under n, 0 for a nil node.
func count(n *node) int {
	if n == nil {
		return 0
	}
	return n.leaves
}

// A Tree is a sparse Merkle tree of up to 2¹⁶⁰ leaves, each holding a value
// under a [Key]; its [Tree.Root] commits to all of them. The zero Tree is
// the empty tree, ready to use.
//
// A Tree is persistent: it never changes. [Tree.Update] returns a new Tree
// and leaves the one it was called on as it was, sharing with it every node
// the update did not touch, so keeping the trees of many heights costs only
// the nodes each height changed. A Tree is a small value (one pointer):
// copy it freely. Any number of goroutines may use the same Tree, and
// trees derived from it, at once.
type Tree struct {
	root *node
}

// Root returns the tree's root hash: [Empty] for the empty tree, the
// leaf's hash for a tree of one leaf, and otherwise the hash of the inner
// node at the top (see the package documentation for the exact rule).
func (t Tree) Root() Hash { return hashOf(t.root) }

// Len returns the number of leaves in the tree: for the chain, the number
// of accounts.
func (t Tree) Len() int { return count(t.root) }

// Get returns the value held under k, and whether there is one. The value
// is a copy: changing it changes nothing in the tree. Get follows k's path
// for about log₂ Len steps and hashes nothing.
func (t Tree) Get(k Key) (value []byte, ok bool) {
	v, ok := t.View(k)
	return bytes.Clone(v), ok
}

// View is [Tree.Get] without the copy: the value it returns is the tree's
// own, shared by every tree made from this one, and must only be read. A
// reader that decodes the value at once, as the chain's state does for
// every account it looks up, saves an allocation.
func (t Tree) View(k Key) (value []byte, ok bool) {
	n := t.root
	for depth := 0; n != nil && n.leaves >= 2; depth++ {
		if k.bit(depth) == 0 {
			n = n.left
		} else {
			n = n.right
		}
	}
	if n == nil || n.key != k {
		return nil, false
	}
	return n.value, true
}

// All yields every key and its value, in increasing key order (which is
// the tree's left-to-right order), and stops early if yield returns false.
// Each value is a copy. All is an iterator (iter.Seq2[Key, []byte]):
//
//	for k, v := range tree.All {
//		fmt.Println(k, v)
//	}
func (t Tree) All(yield func(Key, []byte) bool) {
	t.root.walk(yield)
}

// walk yields n's leaves from left to right and reports whether to go on.
func (n *node) walk(yield func(Key, []byte) bool) bool {
	switch {
	case n == nil:
		return true
	case n.leaves == 1:
		return yield(n.key, bytes.Clone(n.value))
	default:
		return n.left.walk(yield) && n.right.walk(yield)
	}
}

// A Change sets the value under Key to Value, or, if Value is nil or
// empty, deletes Key. Deleting a key that the tree does not hold changes
// nothing. Value may be up to [MaxValueLen] bytes.
type Change struct {
	Key   Key
	Value []byte
}

// ErrValueTooLong is the error [Tree.Update] wraps when a change's value is
// longer than [MaxValueLen].
var ErrValueTooLong = errors.New("value longer than MaxValueLen")

// Update returns the tree with the changes applied, and leaves t as it was.
// The changes may come in any order; when a key appears more than once the
// last change to it wins. Update copies the values, so the caller may reuse
// its buffers afterwards.
//
// The only error is a value longer than MaxValueLen (it wraps
// [ErrValueTooLong]); then Update changes nothing and returns t.
//
// Update applies the whole batch in one descent from the root: it sorts
// the changes by key, splits them at each inner node between its two
// sides, and rebuilds each touched node once, when both sides are done —
// so k changes under a common ancestor hash that ancestor once, not k
// times. A node whose children did not change is kept as it is (setting a
// value a key already has, or deleting a key that is not there, hashes
// nothing). A block of c changes to a tree of n leaves hashes about
// c·(log₂ n − log₂ c + 2) nodes.
func (t Tree) Update(changes []Change) (Tree, error) {
	nt, _, err := t.update(changes)
	return nt, err
}

// An entry is one leaf-to-be during an update: a key and its new value
// (nil to delete it), or an existing leaf to keep as it is.
type entry struct {
	key   Key
	value []byte // new value; nil deletes the key
	leaf  *node  // if not nil: keep this existing leaf (key is its key)
}

// An updater applies one batch and counts the SHA-256 computations it
// does, which the benchmarks report.
type updater struct {
	hashes int
}

// update is Update, also returning the number of hashes computed.
func (t Tree) update(changes []Change) (Tree, int, error) {
	total := 0
	for i, c := range changes {
		if len(c.Value) > MaxValueLen {
			return t, 0, fmt.Errorf("smt: change %d (key %s): %w: have %d bytes, want at most %d",
				i, c.Key, ErrValueTooLong, len(c.Value), MaxValueLen)
		}
		total += len(c.Value)
	}
	if len(changes) == 0 {
		return t, 0, nil
	}
	// One buffer holds a copy of every value of the batch; each value is a
	// full slice expression of it, so nothing can append past its end.
	buf := make([]byte, 0, total)
	es := make([]entry, len(changes))
	for i, c := range changes {
		es[i].key = c.Key
		if len(c.Value) > 0 {
			start := len(buf)
			buf = append(buf, c.Value...)
			es[i].value = buf[start:len(buf):len(buf)]
		}
	}
	// Sort by key, keeping the order of equal keys, then keep the last
	// change of each key.
	slices.SortStableFunc(es, func(a, b entry) int { return bytes.Compare(a.key[:], b.key[:]) })
	last := es[:0]
	for i := range es {
		if i+1 < len(es) && es[i+1].key == es[i].key {
			continue
		}
		last = append(last, es[i])
	}
	var u updater
	return Tree{u.apply(t.root, 0, last)}, u.hashes, nil
}

// apply returns the subtree n, at depth depth, with the changes es applied.
// es is sorted by key, holds each key once, and every key in it shares the
// first depth bits of the keys under n (the subtree's position).
func (u *updater) apply(n *node, depth int, es []entry) *node {
	if len(es) == 0 {
		return n
	}
	if n == nil || n.leaves == 1 {
		return u.merge(n, depth, es)
	}
	// An inner node: it holds two leaves that differ below depth, so
	// depth < KeyBits.
	i := splitAt(es, depth)
	left := u.apply(n.left, depth+1, es[:i])
	right := u.apply(n.right, depth+1, es[i:])
	if left == n.left && right == n.right {
		return n // nothing below changed: keep the node and its hash
	}
	switch c := count(left) + count(right); c {
	case 0:
		return nil // every leaf deleted
	case 1:
		// One leaf left: the subtree is that leaf, lifted to this depth.
		if left != nil {
			return left
		}
		return right
	default:
		u.hashes++
		return &node{hash: NodeHash(hashOf(left), hashOf(right)), left: left, right: right, leaves: c}
	}
}

// merge returns the subtree at depth depth that holds the leaf old (nil
// for an empty subtree) with the changes es applied: the entries that
// remain, old among them unless a change replaces or deletes it, built
// from scratch. Its entries live on the stack while they are few.
func (u *updater) merge(old *node, depth int, es []entry) *node {
	var small [16]entry
	out := small[:0]
	placed := old == nil
	for _, e := range es {
		if !placed && bytes.Compare(old.key[:], e.key[:]) <= 0 {
			placed = true
			if old.key == e.key {
				switch {
				case e.value == nil: // old deleted
				case bytes.Equal(e.value, old.value): // the value it has: keep old, unhashed
					out = append(out, entry{key: old.key, leaf: old})
				default:
					out = append(out, e)
				}
				continue
			}
			out = append(out, entry{key: old.key, leaf: old})
		}
		if e.value != nil {
			out = append(out, e)
		}
	}
	if !placed {
		out = append(out, entry{key: old.key, leaf: old})
	}
	return u.build(depth, out)
}

// build returns the subtree at depth depth that holds exactly the entries
// es, which are sorted, distinct, share their first depth bits and all
// have a value (or a leaf to keep).
func (u *updater) build(depth int, es []entry) *node {
	switch len(es) {
	case 0:
		return nil
	case 1:
		if es[0].leaf != nil {
			return es[0].leaf
		}
		u.hashes++
		return &node{hash: LeafHash(es[0].key, es[0].value), value: es[0].value, leaves: 1, key: es[0].key}
	}
	// Two distinct keys with a common prefix of depth bits: depth < KeyBits.
	i := splitAt(es, depth)
	left := u.build(depth+1, es[:i])
	right := u.build(depth+1, es[i:])
	u.hashes++
	return &node{hash: NodeHash(hashOf(left), hashOf(right)), left: left, right: right, leaves: len(es)}
}

// splitAt returns the index of the first entry whose key has bit depth set:
// es[:i] go left, es[i:] go right. Since es is sorted and its keys share
// their first depth bits, that bit is 0 for a prefix of es and 1 after.
func splitAt(es []entry, depth int) int {
	lo, hi := 0, len(es)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if es[mid].key.bit(depth) == 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
