package smt

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// ProofEncodingVersion is the first byte of a proof's binary encoding.
const ProofEncodingVersion = 1

// bitmapLen is the length of the binary form's bitmap: one bit per depth.
const bitmapLen = KeyBits / 8

// proofHeaderLen is the length of the binary form before the siblings.
const proofHeaderLen = 3 + bitmapLen

// MarshalBinary returns the binary encoding described on [Proof]: 23 bytes,
// 32 per sibling that is not Empty, and for KindOther 21 more and the
// other leaf's value. A proof that [Proof.Validate] refuses has no
// encoding: MarshalBinary returns Validate's error.
func (p Proof) MarshalBinary() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, proofHeaderLen, proofHeaderLen+32*len(p.Siblings)+1+KeySize+len(p.OtherValue))
	b[0] = ProofEncodingVersion
	b[1] = byte(p.Kind)
	b[2] = byte(len(p.Siblings))
	for i, s := range p.Siblings {
		if s != Empty {
			b[3+i/8] |= 0x80 >> (i % 8)
			b = append(b, s[:]...)
		}
	}
	if p.Kind == KindOther {
		b = append(b, p.OtherKey[:]...)
		b = append(b, byte(len(p.OtherValue)))
		b = append(b, p.OtherValue...)
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary writes, and nothing else: each
// proof has exactly one encoding. A wrong version, an unknown kind, a depth
// over KeyBits, a bitmap bit set at or past the depth, a listed sibling
// that is all zero (Empty is written as a clear bit, never as 32 zero
// bytes), a length that disagrees with the bitmap, an other-leaf value of
// 0 or more than MaxValueLen bytes, trailing bytes, and a proof that
// [Proof.Validate] refuses are errors: a [*ProofError] wrapping
// [ErrProofMalformed]. It allocates only what the data holds. On error p
// is unchanged.
func (p *Proof) UnmarshalBinary(data []byte) error {
	if len(data) < proofHeaderLen {
		return malformed("binary: have %d bytes, want at least %d", len(data), proofHeaderLen)
	}
	if data[0] != ProofEncodingVersion {
		return malformed("binary: encoding version %d, want %d", data[0], ProofEncodingVersion)
	}
	kind := ProofKind(data[1])
	if kind > KindLeaf {
		return malformed("binary: unknown kind %d", data[1])
	}
	d := int(data[2])
	if d > KeyBits {
		return malformed("binary: depth %d is over %d", d, KeyBits)
	}
	bitmap := data[3:proofHeaderLen]
	present := 0
	for i := range KeyBits {
		if bitmap[i/8]&(0x80>>(i%8)) == 0 {
			continue
		}
		if i >= d {
			return malformed("binary: bitmap bit %d is set, past depth %d", i, d)
		}
		present++
	}
	rest := data[proofHeaderLen:]
	if len(rest) < 32*present {
		return malformed("binary: have %d bytes of siblings, want %d for %d siblings", len(rest), 32*present, present)
	}
	q := Proof{Kind: kind}
	if d > 0 {
		q.Siblings = make([]Hash, d)
	}
	for i := range d {
		if bitmap[i/8]&(0x80>>(i%8)) == 0 {
			continue
		}
		q.Siblings[i] = Hash(rest[:32])
		rest = rest[32:]
		if q.Siblings[i] == Empty {
			return malformed("binary: sibling %d is listed but is Empty (32 zero bytes)", i)
		}
	}
	if kind == KindOther {
		if len(rest) < KeySize+1 {
			return malformed("binary: have %d bytes for the other leaf, want at least %d", len(rest), KeySize+1)
		}
		q.OtherKey = Key(rest[:KeySize])
		n := int(rest[KeySize])
		rest = rest[KeySize+1:]
		if n == 0 || n > MaxValueLen {
			return malformed("binary: the other leaf's value has %d bytes, want 1…%d", n, MaxValueLen)
		}
		if len(rest) < n {
			return malformed("binary: have %d bytes of the other leaf's value, want %d", len(rest), n)
		}
		q.OtherValue = bytes.Clone(rest[:n])
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return malformed("binary: %d bytes after the proof", len(rest))
	}
	if err := q.Validate(); err != nil {
		return err
	}
	*p = q
	return nil
}

// MarshalJSON writes the JSON form described on [Proof]: the members kind,
// depth, siblings and, for KindOther only, other, in that order, without
// white space; a sibling that is Empty as null, every other hash as 64
// lower-case hex digits, the other leaf's key as 40 and its value as 2 to
// 128. A proof that [Proof.Validate] refuses has no JSON form: MarshalJSON
// returns Validate's error.
func (p Proof) MarshalJSON() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 64+67*len(p.Siblings)+2*len(p.OtherValue))
	b = append(b, `{"kind":"`...)
	b = append(b, p.Kind.String()...)
	b = append(b, `","depth":`...)
	b = strconv.AppendInt(b, int64(len(p.Siblings)), 10)
	b = append(b, `,"siblings":[`...)
	for i, s := range p.Siblings {
		if i > 0 {
			b = append(b, ',')
		}
		if s == Empty {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '"')
		b = hex.AppendEncode(b, s[:])
		b = append(b, '"')
	}
	b = append(b, ']')
	if p.Kind == KindOther {
		b = append(b, `,"other":{"key":"`...)
		b = hex.AppendEncode(b, p.OtherKey[:])
		b = append(b, `","value":"`...)
		b = hex.AppendEncode(b, p.OtherValue)
		b = append(b, `"}`...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads the JSON form MarshalJSON writes, with its members in
// any order and any JSON white space between tokens. It is strict: a
// missing, unknown or repeated member, a member name in another case, a
// value of the wrong type, a depth that is not a plain integer or differs
// from the number of siblings, more than KeyBits siblings, a hash, key or
// value that is not lower-case hex of the right length, an Empty sibling
// written as zeros instead of null, an "other" member with a kind other
// than "other" (or none with it), invalid UTF-8, anything after the
// object, and a proof
// that [Proof.Validate] refuses are errors: a [*ProofError] wrapping
// [ErrProofMalformed]. On error p is unchanged.
func (p *Proof) UnmarshalJSON(data []byte) error {
	if !utf8.Valid(data) {
		return malformed("json: invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	q, err := readProof(dec)
	if err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed("json: data after the proof object")
	}
	if err := q.Validate(); err != nil {
		return err
	}
	*p = q
	return nil
}

// readProof reads one proof object, token by token, so that it sees every
// member name exactly as written.
func readProof(dec *json.Decoder) (Proof, error) {
	var q Proof
	if err := readDelim(dec, '{', "the proof"); err != nil {
		return q, err
	}
	depth := -1
	var seenKind, seenSiblings, seenOther bool
	for dec.More() {
		name, err := readName(dec)
		if err != nil {
			return q, err
		}
		switch name {
		case "kind":
			if seenKind {
				return q, malformed("json: repeated member %q", name)
			}
			seenKind = true
			s, err := readString(dec, name)
			if err != nil {
				return q, err
			}
			switch s {
			case "empty":
				q.Kind = KindEmpty
			case "other":
				q.Kind = KindOther
			case "leaf":
				q.Kind = KindLeaf
			default:
				return q, malformed("json: kind %q, want \"empty\", \"other\" or \"leaf\"", clip(s))
			}
		case "depth":
			if depth >= 0 {
				return q, malformed("json: repeated member %q", name)
			}
			if depth, err = readDepth(dec); err != nil {
				return q, err
			}
		case "siblings":
			if seenSiblings {
				return q, malformed("json: repeated member %q", name)
			}
			seenSiblings = true
			if q.Siblings, err = readSiblings(dec); err != nil {
				return q, err
			}
		case "other":
			if seenOther {
				return q, malformed("json: repeated member %q", name)
			}
			seenOther = true
			if q.OtherKey, q.OtherValue, err = readOther(dec); err != nil {
				return q, err
			}
		default:
			return q, malformed("json: unknown member %q (want kind, depth, siblings and, for kind other, other)", clip(name))
		}
	}
	if err := readDelim(dec, '}', "the end of the proof"); err != nil {
		return q, err
	}
	switch {
	case !seenKind:
		return q, malformed("json: missing member \"kind\"")
	case depth < 0:
		return q, malformed("json: missing member \"depth\"")
	case !seenSiblings:
		return q, malformed("json: missing member \"siblings\"")
	case depth != len(q.Siblings):
		return q, malformed("json: depth %d, but %d siblings", depth, len(q.Siblings))
	case q.Kind == KindOther && !seenOther:
		return q, malformed("json: kind other without member \"other\"")
	case q.Kind != KindOther && seenOther:
		return q, malformed("json: member \"other\" with kind %s", q.Kind)
	}
	return q, nil
}

// readOther reads {"key":"…","value":"…"}.
func readOther(dec *json.Decoder) (Key, []byte, error) {
	var k Key
	var v []byte
	if err := readDelim(dec, '{', "member \"other\""); err != nil {
		return k, nil, err
	}
	var seenKey, seenValue bool
	for dec.More() {
		name, err := readName(dec)
		if err != nil {
			return k, nil, err
		}
		switch name {
		case "key":
			if seenKey {
				return k, nil, malformed("json: repeated member other.%s", name)
			}
			seenKey = true
			s, err := readString(dec, "other.key")
			if err != nil {
				return k, nil, err
			}
			b, ok := parseLowerHex(s)
			if !ok || len(b) != KeySize {
				return k, nil, malformed("json: other.key %q, want %d lower-case hex digits", clip(s), 2*KeySize)
			}
			k = Key(b)
		case "value":
			if seenValue {
				return k, nil, malformed("json: repeated member other.%s", name)
			}
			seenValue = true
			s, err := readString(dec, "other.value")
			if err != nil {
				return k, nil, err
			}
			b, ok := parseLowerHex(s)
			if !ok || len(b) == 0 || len(b) > MaxValueLen {
				return k, nil, malformed("json: other.value %q, want 2 to %d lower-case hex digits", clip(s), 2*MaxValueLen)
			}
			v = b
		default:
			return k, nil, malformed("json: unknown member %q of other (want key and value)", clip(name))
		}
	}
	if err := readDelim(dec, '}', "the end of member \"other\""); err != nil {
		return k, nil, err
	}
	if !seenKey || !seenValue {
		return k, nil, malformed("json: member \"other\" needs both key and value")
	}
	return k, v, nil
}

// readSiblings reads an array of at most KeyBits entries, each null or a
// hash that is not Empty.
func readSiblings(dec *json.Decoder) ([]Hash, error) {
	if err := readDelim(dec, '[', "member \"siblings\""); err != nil {
		return nil, err
	}
	var s []Hash
	for dec.More() {
		if len(s) == KeyBits {
			return nil, malformed("json: more than %d siblings", KeyBits)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		switch v := tok.(type) {
		case nil:
			s = append(s, Empty)
		case string:
			b, ok := parseLowerHex(v)
			if !ok || len(b) != 32 {
				return nil, malformed("json: siblings[%d] %q, want null or 64 lower-case hex digits", len(s), clip(v))
			}
			h := Hash(b)
			if h == Empty {
				return nil, malformed("json: siblings[%d] is written as zeros, want null for Empty", len(s))
			}
			s = append(s, h)
		default:
			return nil, malformed("json: siblings[%d] is %s, want null or a string", len(s), tokenKind(tok))
		}
	}
	if err := readDelim(dec, ']', "the end of member \"siblings\""); err != nil {
		return nil, err
	}
	return s, nil
}

// readDepth reads a plain integer 0…KeyBits: no sign, fraction or exponent.
func readDepth(dec *json.Decoder) (int, error) {
	tok, err := dec.Token()
	if err != nil {
		return 0, syntaxError(err)
	}
	num, ok := tok.(json.Number)
	if !ok {
		return 0, malformed("json: depth is %s, want a number", tokenKind(tok))
	}
	d, err := strconv.ParseUint(string(num), 10, 8)
	if err != nil || d > KeyBits {
		return 0, malformed("json: depth %s, want an integer 0…%d", clip(string(num)), KeyBits)
	}
	return int(d), nil
}

// readName reads an object member's name.
func readName(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", syntaxError(err)
	}
	name, ok := tok.(string) // the decoder allows nothing else here; check anyway
	if !ok {
		return "", malformed("json: a member name is %s", tokenKind(tok))
	}
	return name, nil
}

// readString reads a string value.
func readString(dec *json.Decoder, field string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", syntaxError(err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", malformed("json: %s is %s, want a string", field, tokenKind(tok))
	}
	return s, nil
}

// readDelim reads the delimiter want ('{', '}', '[' or ']').
func readDelim(dec *json.Decoder, want json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return malformed("json: %s: have %s, want %q", what, tokenKind(tok), string(want))
	}
	return nil
}

// tokenKind names the kind of a JSON token for an error message.
func tokenKind(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case json.Delim:
		switch v {
		case '{', '}':
			return "an object"
		default:
			return "an array"
		}
	}
	return "a value"
}

// syntaxError turns an error of the JSON decoder into a ProofError.
func syntaxError(err error) error {
	if errors.Is(err, io.EOF) {
		return malformed("json: unexpected end of input")
	}
	return malformed("json: %s", clip(err.Error()))
}

// parseLowerHex decodes an even number of lower-case hex digits: the one
// way the JSON form writes bytes.
func parseLowerHex(s string) ([]byte, bool) {
	for i := range len(s) {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, false
		}
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// clip shortens s, which hostile input can make as long as itself, for an
// error message.
func clip(s string) string {
	const maxLen = 80
	if len(s) <= maxLen {
		return s
	}
	return s[:maxLen] + "…"
}
