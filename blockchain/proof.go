package blockchain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/eventchain/eventchain/internal/clip"
)

// MaxProofPathLen is the longest audit path there can be: one hash per
// level of a tree of up to 2⁶⁴−1 leaves. A block's proofs are far shorter
// (14 hashes for MaxBlockTransactions).
const MaxProofPathLen = 64

// ProofEncodingVersion is the first byte of an inclusion proof's binary
// encoding.
const ProofEncodingVersion = 1

// An InclusionProof shows that one leaf — in a block, one transaction — is
// in the Merkle tree with a given root, without the other leaves: it says
// which leaf (Index, from 0) of how many (Count), and gives the audit path
// of RFC 6962 §2.1.1, the hashes a verifier needs to climb from the leaf to
// the root. Path holds about log₂ Count hashes, nearest the leaf first.
// Build one with [Block.InclusionProof] or [MerkleTree.Proof]; check one
// with [VerifyInclusion] or [VerifyTxInclusion].
//
// For leaf t2 of five (see the tree drawn on [MerkleRoot]) the proof is
// Index 2, Count 5, Path [h3, h01, h4]: the verifier computes h2 from the
// transaction, then N(h2, h3) = h23, N(h01, h23) = h0123 and N(h0123, h4),
// and compares that with the root. Index says on which side each path hash
// goes (even: the node is a left child; odd: a right one) and Count on
// which levels a node moves up without a partner; both shape the climb, so
// given the tree's true Count a proof reaches the root only at its own
// index (see [VerifyInclusion] on where Count comes from).
//
// The binary encoding ([InclusionProof.MarshalBinary]) is 18+32·len(Path)
// bytes, all integers big-endian:
//
//	offset  size  field
//	0       1     encoding version, ProofEncodingVersion (1)
//	1       8     Index   uint64
//	9       8     Count   uint64
//	17      1     len(Path), at most MaxProofPathLen
//	18      32·n  Path, nearest the leaf first
//
// The JSON form ([InclusionProof.MarshalJSON]) is
//
//	{"index":2,"count":5,"path":["…","…","…"]}
//
// with each hash as 64 lower-case hex digits. Both forms hold only proofs
// of a valid shape (see [InclusionProof.Validate]), and their decoders are
// strict: one proof has exactly one encoding of each kind.
//
// An InclusionProof is a plain value. Its Path is a slice: a copy shares
// it, so do not change one that another goroutine reads.
type InclusionProof struct {
	Index uint64 // which leaf, from 0
	Count uint64 // how many leaves the tree has
	Path  []Hash // the audit path, nearest the leaf first
}

// The reasons a proof is refused; a [*ProofError] wraps one of them.
var (
	// ErrProofIndex: there is no leaf Index in a tree of Count leaves
	// (Index ≥ Count, or Count is 0).
	ErrProofIndex = errors.New("no such leaf")
	// ErrProofLength: the path does not have the number of hashes that
	// Index and Count imply.
	ErrProofLength = errors.New("wrong path length")
	// ErrProofMismatch: the leaf, Index, Count and path lead to another
	// root than the one given: a sibling changed or swapped, the leaf at
	// another index, or a leaf of another tree.
	ErrProofMismatch = errors.New("root mismatch")
)

// A ProofError says why a proof was refused: an inclusion proof, with
// Err [ErrProofIndex], [ErrProofLength] or [ErrProofMismatch]; an
// account proof, with Err [ErrProofHeight], [ErrProofMalformed] or
// [ErrProofMismatch]. Have and Want say what was found and what was
// expected. Test for a reason with errors.Is(err, ErrProofMismatch), or
// read the details with errors.As.
type ProofError struct {
	Err  error  // the reason: one of the ErrProof… sentinels
	Have string // what the proof holds or leads to
	Want string // what a valid proof would hold or lead to
	// Proof names the kind of proof, "account proof" for one; empty
	// means an inclusion proof.
	Proof string
}

// Error reads like "inclusion proof: wrong path length: have 2 hashes,
// want 3 for leaf 2 of 5".
func (e *ProofError) Error() string {
	kind := e.Proof
	if kind == "" {
		kind = "inclusion proof"
	}
	// Through fmt: a ProofError built without its Err (a verifier of a
	// course's own, say) still reads, as "<nil>", rather than panic.
	return kind + ": " + fmt.Sprint(e.Err) + ": have " + e.Have + ", want " + e.Want
}

// Unwrap returns Err, so that errors.Is sees the reason.
func (e *ProofError) Unwrap() error { return e.Err }

// indexError is the ProofError of a leaf that a tree of count leaves does
// not have; have says which leaf was asked for.
func indexError(have string, count uint64) *ProofError {
	want := "a tree with at least one leaf"
	if count > 0 {
		want = fmt.Sprintf("a leaf 0…%d", count-1)
	}
	return &ProofError{Err: ErrProofIndex, Have: have, Want: want}
}

// proofPathLen returns the number of hashes in the audit path of leaf
// index of count (index < count): one for each level on the way up where
// the node has a sibling. It walks the levels as [MerkleTree.Proof] does,
// with index the node's position on its level and last the position of
// that level's last node.
func proofPathLen(index, count uint64) int {
	n := 0
	for last := count - 1; last > 0; index, last = index/2, last/2 {
		if index%2 == 1 || index < last {
			n++
		}
	}
	return n
}

// Validate checks the proof's shape, which needs no root and no leaf:
// Count is at least 1, Index is less than Count, and Path holds exactly
// as many hashes as Index and Count imply — no fewer, no more. It returns
// nil or a [*ProofError] wrapping [ErrProofIndex] or [ErrProofLength].
// [VerifyInclusion] runs it first.
func (p InclusionProof) Validate() error {
	if p.Index >= p.Count {
		return indexError(fmt.Sprintf("leaf %d of %d", p.Index, p.Count), p.Count)
	}
	if want := proofPathLen(p.Index, p.Count); len(p.Path) != want {
		return &ProofError{Err: ErrProofLength,
			Have: fmt.Sprintf("%d hashes", len(p.Path)),
			Want: fmt.Sprintf("%d for leaf %d of %d", want, p.Index, p.Count)}
	}
	return nil
}

// VerifyInclusion checks that leaf — the leaf's data, which it hashes
// itself with [LeafHash] — is leaf p.Index of the p.Count leaves of the
// Merkle tree whose root is root. It accepts only an exact match: the
// proof must have a valid shape ([InclusionProof.Validate]), and climbing
// from the leaf through the path, each hash on the side the index says,
// must give root exactly. Otherwise it returns a [*ProofError] wrapping
// [ErrProofIndex], [ErrProofLength] or [ErrProofMismatch]. It never
// panics, whatever the proof holds.
//
// Take root from a header you trust (one whose proof of work or signature
// you checked), never from whoever sent the proof. What an accepted proof
// always shows is that the leaf is in that tree. Which leaf it is, Index,
// holds only if Count is the tree's true size, so take Count from a source
// you trust as much as the root — the same header's TxCount, as package
// lightclient does: the root alone does not fix the number of leaves, and
// many proofs climb the same way for other counts. Leaf 2 of 7 climbs as leaf 2 of 5, 6 or 8 (it lies in the
// full left subtree of four in each), and leaf 4 of 5 as leaf 1 of 2 (it
// moves up twice without a partner), under the same root.
func VerifyInclusion(root Hash, leaf []byte, p InclusionProof) error {
	return verifyLeafHash(root, LeafHash(leaf), p)
}

// VerifyTxInclusion checks that tx is transaction p.Index of a block whose
// header's MerkleRoot is root: [VerifyInclusion] with the transaction's
// canonical encoding as the leaf.
func VerifyTxInclusion(root Hash, tx Transaction, p InclusionProof) error {
	return verifyLeafHash(root, tx.leafHash(), p)
}

func verifyLeafHash(root, leaf Hash, p InclusionProof) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if got := climb(leaf, p); got != root {
		return &ProofError{Err: ErrProofMismatch, Have: "root " + got.String(), Want: "root " + root.String()}
	}
	return nil
}

// climb returns the root that leaf and the proof lead to, level by level
// as [MerkleTree.Proof] walks them. p must have a valid shape.
func climb(leaf Hash, p InclusionProof) Hash {
	node, path := leaf, p.Path
	for index, last := p.Index, p.Count-1; last > 0; index, last = index/2, last/2 {
		switch {
		case index%2 == 1: // a right child: its sibling is on the left
			node, path = NodeHash(path[0], node), path[1:]
		case index < last: // a left child with a sibling on the right
			node, path = NodeHash(node, path[0]), path[1:]
		default: // the last node of an odd level: moves up unchanged
		}
	}
	return node
}

// proofHeaderLen is the length of a binary proof without its path.
const proofHeaderLen = 1 + 8 + 8 + 1

// MarshalBinary returns the binary encoding described on [InclusionProof].
// A proof of an invalid shape has no encoding: MarshalBinary returns
// Validate's error.
func (p InclusionProof) MarshalBinary() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, proofHeaderLen+len(p.Path)*HashSize)
	b = append(b, ProofEncodingVersion)
	b = binary.BigEndian.AppendUint64(b, p.Index)
	b = binary.BigEndian.AppendUint64(b, p.Count)
	b = append(b, byte(len(p.Path)))
	for _, h := range p.Path {
		b = append(b, h[:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary writes. A wrong version byte,
// a path length over MaxProofPathLen or that disagrees with the data's
// length, and trailing bytes are errors wrapping [ErrMalformed]; so is a
// proof of an invalid shape, whose error wraps Validate's [*ProofError]
// too. It allocates at most what the data itself holds. On error p is
// unchanged.
func (p *InclusionProof) UnmarshalBinary(data []byte) error {
	if len(data) < proofHeaderLen {
		return malformed("inclusion proof", "have %d bytes, want at least %d", len(data), proofHeaderLen)
	}
	if data[0] != ProofEncodingVersion {
		return malformed("inclusion proof", "encoding version: have %d, want %d", data[0], ProofEncodingVersion)
	}
	n := int(data[17])
	if n > MaxProofPathLen {
		return malformed("inclusion proof", "path length: have %d, want at most %d", n, MaxProofPathLen)
	}
	if want := proofHeaderLen + n*HashSize; len(data) != want {
		return malformed("inclusion proof", "have %d bytes, want %d for a path of %d hashes", len(data), want, n)
	}
	d := InclusionProof{
		Index: binary.BigEndian.Uint64(data[1:9]),
		Count: binary.BigEndian.Uint64(data[9:17]),
		Path:  make([]Hash, n),
	}
	for i := range d.Path {
		d.Path[i] = Hash(data[proofHeaderLen+i*HashSize:])
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	*p = d
	return nil
}

// MarshalJSON writes {"index":…,"count":…,"path":[…]}, members in that
// order, without white space, each hash as 64 lower-case hex digits and an
// empty path as []. A proof of an invalid shape has no JSON form:
// MarshalJSON returns Validate's error.
func (p InclusionProof) MarshalJSON() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 48+len(p.Path)*(2*HashSize+3))
	b = append(b, `{"index":`...)
	b = strconv.AppendUint(b, p.Index, 10)
	b = append(b, `,"count":`...)
	b = strconv.AppendUint(b, p.Count, 10)
	b = append(b, `,"path":[`...)
	for i, h := range p.Path {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, h.String()...)
		b = append(b, '"')
	}
	return append(b, "]}"...), nil
}

// UnmarshalJSON reads the JSON form MarshalJSON writes, its members in any
// order and with any JSON white space. It is strict: a missing, unknown or
// repeated member, a name in another case, null, a value of the wrong
// kind, a number with a sign, a fraction or an exponent or beyond uint64, a
// hash that is not 64 lower-case hex digits, a path of more than
// MaxProofPathLen hashes (refused at the first one too many), invalid
// UTF-8 and anything after the object are errors wrapping [ErrMalformed].
// So is a proof of an invalid shape, whose error wraps Validate's
// [*ProofError] too. On error p is unchanged.
func (p *InclusionProof) UnmarshalJSON(data []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	d, err := readProofJSON(dec)
	if err != nil {
		return err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return malformed("inclusion proof", "data after the JSON object")
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	*p = d
	return nil
}

// readProofJSON reads one proof object with dec, which refuses repeated
// names and invalid UTF-8 by itself.
func readProofJSON(dec *jsontext.Decoder) (InclusionProof, error) {
	var d InclusionProof
	if err := proofJSONOpen(dec, "", '{', "an object"); err != nil {
		return d, err
	}
	var seen [3]bool // index, count, path
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return d, proofJSONSyntax(err)
		}
		switch name := tok.String(); name {
		case "index":
			d.Index, err = proofJSONUint(dec, name)
			seen[0] = true
		case "count":
			d.Count, err = proofJSONUint(dec, name)
			seen[1] = true
		case "path":
			d.Path, err = proofJSONPath(dec)
			seen[2] = true
		default:
			return d, malformed("inclusion proof", "unknown member %q (want index, count and path)", clipText(name))
		}
		if err != nil {
			return d, err
		}
	}
	if _, err := dec.ReadToken(); err != nil { // the closing brace
		return d, proofJSONSyntax(err)
	}
	for i, name := range []string{"index", "count", "path"} {
		if !seen[i] {
			return d, malformed("inclusion proof", "missing member %q", name)
		}
	}
	return d, nil
}

// proofJSONOpen reads the token that starts an object or an array, after
// checking its kind without reading a value of another kind.
func proofJSONOpen(dec *jsontext.Decoder, field string, kind jsontext.Kind, want string) error {
	if err := proofJSONExpect(dec, field, kind, want); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); err != nil {
		return proofJSONSyntax(err)
	}
	return nil
}

// proofJSONExpect checks that the next value is of kind, without reading it.
func proofJSONExpect(dec *jsontext.Decoder, field string, kind jsontext.Kind, want string) error {
	switch k := dec.PeekKind(); k {
	case kind:
		return nil
	case 0: // invalid or missing: reading says why
		_, err := dec.ReadToken()
		return proofJSONSyntax(err)
	default:
		if field == "" {
			field = "the value"
		}
		return malformed("inclusion proof", "%s: have %s, want %s", field, kindName(k), want)
	}
}

// proofJSONUint reads an unsigned integer without fraction or exponent.
func proofJSONUint(dec *jsontext.Decoder, field string) (uint64, error) {
	if err := proofJSONExpect(dec, field, '0', "an unsigned integer"); err != nil {
		return 0, err
	}
	v, err := dec.ReadValue()
	if err != nil {
		return 0, proofJSONSyntax(err)
	}
	n, err := strconv.ParseUint(string(v), 10, 64) // refuses a sign, a fraction, an exponent
	if err != nil {
		return 0, malformed("inclusion proof", "%s: have %s, want an integer in 0…%d", field, clipText(string(v)), uint64(1<<64-1))
	}
	return n, nil
}

// proofJSONPath reads the path: an array of at most MaxProofPathLen hashes.
func proofJSONPath(dec *jsontext.Decoder) ([]Hash, error) {
	if err := proofJSONOpen(dec, "path", '[', "an array"); err != nil {
		return nil, err
	}
	path := []Hash{}
	for dec.PeekKind() != ']' {
		if len(path) == MaxProofPathLen {
			return nil, malformed("inclusion proof", "path: more than %d hashes", MaxProofPathLen)
		}
		field := "path[" + strconv.Itoa(len(path)) + "]"
		if err := proofJSONExpect(dec, field, '"', "a string"); err != nil {
			return nil, err
		}
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, proofJSONSyntax(err)
		}
		h, ok := parseLowerHash(tok.String())
		if !ok {
			return nil, malformed("inclusion proof", "%s: have %q, want 64 lower-case hex digits", field, clipText(tok.String()))
		}
		path = append(path, h)
	}
	if _, err := dec.ReadToken(); err != nil { // the closing bracket
		return nil, proofJSONSyntax(err)
	}
	return path, nil
}

// parseLowerHash decodes exactly 64 lower-case hex digits: the one way a
// proof's JSON writes a hash.
func parseLowerHash(s string) (Hash, bool) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, false
	}
	for i := range HashSize {
		hi, ok1 := lowerHexDigit(s[2*i])
		lo, ok2 := lowerHexDigit(s[2*i+1])
		if !ok1 || !ok2 {
			return h, false
		}
		h[i] = hi<<4 | lo
	}
	return h, true
}

func lowerHexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// proofJSONSyntax turns an error of the JSON decoder into one wrapping
// ErrMalformed.
func proofJSONSyntax(err error) error {
	if err == io.EOF {
		return malformed("inclusion proof", "no JSON object: the input is empty")
	}
	return malformed("inclusion proof", "%v", clipText(err.Error()))
}

// clipText shortens s, which hostile input can make as long as itself, for
// an error message.
func clipText(s string) string { return clip.Text(s, 160) }
