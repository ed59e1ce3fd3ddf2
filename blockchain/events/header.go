package events

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
)

// BlockMinedHeader returns the header, seal included, of the block a
// BlockMined event carries, without decoding the block's transactions
// (see blockchain.DecodeBlockHeader): for a reader that needs only the
// chain of block hashes, such as a node looking for the ancestors of a
// block it trusts. It checks less than Decode — not the event's ID, not
// the transactions — so a block whose header it returns may still be
// refused by Decode. An event of another type, or data that does not
// hold a block, gives an error wrapping ErrMalformed.
//
// It is fast on the events Encode writes: it finds the first `"hash":"`
// and the first `"block":"` in the data without reading the JSON around
// them, and decodes only the header, each transaction's length and the
// seal, a few hundred bytes of a block that may hold a megabyte. So on
// data that is not what Encode writes — text around the two fields,
// either of them repeated, base64 that is invalid where it is not read —
// it may return a header where Decode would refuse the event, or
// another copy's than encoding/json would read. What holds for any data
// is this: the header it returns hashes to the hash it read, and that
// hash is computed from the very bytes it returns, PrevHash included. A
// reader that links blocks by hash and PrevHash, as a node finding the
// ancestors of a block it trusts does, can therefore be fooled by no
// event into a link that is not a real header's. Data in which the two
// fields are spelled otherwise (white space, escapes) is read the slow
// way, with encoding/json.
func BlockMinedHeader(e eventlog.Event) (blockchain.Header, error) {
	if e.Type != TypeBlockMined {
		return blockchain.Header{}, fmt.Errorf("events: %w: %s event, want %s", ErrMalformed, e.Type, TypeBlockMined)
	}
	if h, ok := quickBlockMinedHeader(e.Data); ok {
		return h, nil
	}
	var w struct {
		Hash  blockchain.Hash `json:"hash"`
		Block string          `json:"block"`
	}
	if err := json.Unmarshal(e.Data, &w); err != nil {
		return blockchain.Header{}, fmt.Errorf("events: %w: %v", ErrMalformed, err)
	}
	data, err := base64.StdEncoding.DecodeString(w.Block)
	if err != nil {
		return blockchain.Header{}, fmt.Errorf("events: %w: block: %v", ErrMalformed, err)
	}
	h, err := blockchain.DecodeBlockHeader(data)
	if err != nil {
		return blockchain.Header{}, fmt.Errorf("events: %w: block: %v", ErrMalformed, err)
	}
	if h.Hash() != w.Hash {
		return blockchain.Header{}, fmt.Errorf("events: %w: hash %s is not the block's %s", ErrMalformed, w.Hash.Short(), h.Hash().Short())
	}
	return h, nil
}

// quickBlockMinedHeader is BlockMinedHeader's fast path, for data spelled
// as Encode spells it: `"hash":"<hex>"` and `"block":"<base64>"` with no
// white space or escape. It reports false for anything else, and for any
// block it cannot read, leaving the slow path to say what is wrong.
func quickBlockMinedHeader(data []byte) (blockchain.Header, bool) {
	hashText, ok := plainField(data, `"hash":"`)
	if !ok {
		return blockchain.Header{}, false
	}
	var want blockchain.Hash
	if err := want.UnmarshalText(hashText); err != nil {
		return blockchain.Header{}, false
	}
	text, ok := plainField(data, `"block":"`)
	if !ok || len(text)%4 != 0 {
		return blockchain.Header{}, false
	}
	b := base64Block{text: text}
	size := len(text) / 4 * 3
	if bytes.HasSuffix(text, []byte("==")) {
		size -= 2
	} else if bytes.HasSuffix(text, []byte("=")) {
		size--
	}
	// The block's layout (blockchain.Block.MarshalBinary): the header,
	// the count of transactions, each transaction after its 4-byte
	// length, then, if any, the seal after its 2-byte length.
	head, ok := b.bytes(0, blockchain.HeaderSize+4, size)
	if !ok {
		return blockchain.Header{}, false
	}
	var h blockchain.Header
	if h.UnmarshalBinary(head[:blockchain.HeaderSize]) != nil {
		return blockchain.Header{}, false
	}
	off := blockchain.HeaderSize + 4
	for range binary.BigEndian.Uint32(head[blockchain.HeaderSize:]) {
		n, ok := b.bytes(off, 4, size)
		if !ok {
			return blockchain.Header{}, false
		}
		if uint64(binary.BigEndian.Uint32(n)) > uint64(size-off-4) {
			return blockchain.Header{}, false // the transaction runs past the end
		}
		off += 4 + int(binary.BigEndian.Uint32(n))
	}
	if off < size {
		n, ok := b.bytes(off, 2, size)
		if !ok {
			return blockchain.Header{}, false
		}
		sealLen := int(binary.BigEndian.Uint16(n))
		if sealLen == 0 || off+2+sealLen != size {
			return blockchain.Header{}, false
		}
		seal, ok := b.bytes(off+2, sealLen, size)
		if !ok {
			return blockchain.Header{}, false
		}
		h.Seal = slices.Clone(seal)
	}
	if h.Hash() != want {
		return blockchain.Header{}, false
	}
	return h, true
}

// plainField returns the text of the string field that starts with
// prefix (its name, a colon and the opening quote), up to the closing
// quote, if the field is there and its text holds no escape.
func plainField(data []byte, prefix string) ([]byte, bool) {
	i := bytes.Index(data, []byte(prefix))
	if i < 0 {
		return nil, false
	}
	rest := data[i+len(prefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return nil, false
	}
	return rest[:end], true
}

// base64Block reads bytes out of the standard base64 text of a block
// without decoding all of it: every 4 characters stand for 3 bytes, so
// the bytes from off on are in the groups from off/3 on.
type base64Block struct {
	text []byte
	buf  [blockchain.MaxSealLen + 16]byte // room for n bytes and the groups' edges
}

// bytes returns n bytes from offset off of the decoded text, whose
// decoded size is size, or false if they are not all there or the text
// there is not base64. The result is valid until the next call.
func (b *base64Block) bytes(off, n, size int) ([]byte, bool) {
	if off < 0 || n <= 0 || n > blockchain.MaxSealLen+4 || off+n > size {
		return nil, false
	}
	first, last := off/3, (off+n-1)/3
	got, err := base64.StdEncoding.Decode(b.buf[:], b.text[4*first:4*(last+1)])
	skip := off - 3*first
	if err != nil || got < skip+n {
		return nil, false
	}
	return b.buf[skip : skip+n], true
}
