package pow

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/eventchain/eventchain/blockchain"
)

// checkEvery is how many nonces a Searcher tries between two looks at its
// context. At about 18 million hashes a second per core, 1024 nonces take
// about 60 µs, so a cancelled search stops well within 1 ms, and the look
// itself (a non-blocking select, plus one atomic add to the hash counter)
// costs nothing measurable next to 1024 hashes.
const checkEvery = 1 << 10

// Where the header's last 24 bytes sit in the tail block, and where SHA-256's
// padding goes after them. The tail block is one full 64-byte block:
//
//	0   24  header bytes 128…151 (Height, Timestamp, Nonce)
//	24  1   0x80, the padding's first byte
//	25  31  zeros
//	56  8   message length in bits: 152 × 8 = 1216, big-endian
const (
	tailData        = blockchain.HeaderSize - blockchain.HeaderPrefixLen // 24
	tailNonceOffset = blockchain.HeaderNonceOffset - blockchain.HeaderPrefixLen
)

// digestState is what crypto/sha256's digest offers beyond hash.Hash: its
// internal state as bytes (the "midstate"), read and restored.
type digestState interface {
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
	Write([]byte) (int, error)
	Reset()
}

// A Searcher tries nonces for one header, looking for a seal hash
// ([blockchain.Header.SealHash], the SHA-256 of the 152-byte encoding) with
// at least header.Bits leading zero bits. It is the hashing loop of proof
// of work and nothing else: synchronous, no goroutines, cancellable through
// its context, and free of allocations per hash.
//
// The trick that makes it fast: SHA-256 compresses its input 64 bytes at a
// time, carrying a 32-byte state from block to block. The header's first
// 128 bytes (PrevHash, MerkleRoot, StateRoot, Beneficiary, TxCount,
// Version, Bits) never change while a miner varies the nonce, so the
// Searcher compresses them once and keeps the state they leave (the
// midstate). Per nonce it restores the midstate and compresses one block:
// the header's last 24 bytes with SHA-256's padding already written after
// them. The state after that block is the hash. One compression per nonce,
// against three (and some finalisation) for sha256.Sum256 of the whole
// header.
//
// Reading the state relies on the byte layout of crypto/sha256's marshalled
// digest. The package checks that layout against sha256.Sum256 once, on
// first use; if it ever differs, Searchers fall back to hashing the whole
// header with sha256.Sum256 (correct, only slower). [FastPath] tells which.
//
// A Searcher is not safe for concurrent use; give each worker its own.
type Searcher struct {
	header [blockchain.HeaderSize]byte // the whole header, for the fallback
	bits   uint32
	fast   bool
	d      digestState
	mid    []byte   // the marshalled midstate
	tail   [64]byte // the pre-padded last block
	state  []byte   // scratch for the marshalled state after one nonce
	count  *atomic.Uint64
	// err is why Search tries nothing: the header has no encoding
	// (encodeErr, which SealHash returns too), or Bits no hash meets.
	err       error
	encodeErr error
}

// NewSearcher prepares a search over h's nonces. It reads the 152-byte
// canonical encoding only, so h.Seal plays no part: the search is for the
// seal hash. If hashes is not nil the Searcher adds to it, every 1024
// nonces, the number it has tried: a live counter for a hash-rate display.
//
// A header that cannot be searched still gives a Searcher, one whose
// Search tries nothing and returns the reason: Bits above 256, more zero
// bits than a hash has (a [*blockchain.RuleError] with code
// [blockchain.ErrBadBits]), or a Timestamp with no encoding (see
// [blockchain.Header.AppendBinary]).
func NewSearcher(h blockchain.Header, hashes *atomic.Uint64) *Searcher {
	return newSearcher(h, hashes, FastPath())
}

func newSearcher(h blockchain.Header, hashes *atomic.Uint64, fast bool) *Searcher {
	s := &Searcher{bits: h.Bits, count: hashes, fast: fast}
	// Fills the array; it fails only for a time an int64 of milliseconds
	// cannot hold, whose header has no encoding to hash.
	if _, s.encodeErr = h.AppendBinary(s.header[:0]); s.encodeErr != nil {
		s.err = s.encodeErr
		return s
	}
	// No hash has more zero bits than it has bits: a search would never
	// end, or read past the hash's 32 bytes.
	s.err = checkBits(h.Bits)
	if fast {
		s.d = sha256.New().(digestState)
		s.d.Write(s.header[:blockchain.HeaderPrefixLen])
		s.mid, _ = s.d.AppendBinary(nil)
		s.state = make([]byte, 0, len(s.mid))
		fillTail(&s.tail, s.header[blockchain.HeaderPrefixLen:])
	}
	return s
}

// fillTail writes the header's last 24 bytes and SHA-256's padding for a
// 152-byte message into tail.
func fillTail(tail *[64]byte, last []byte) {
	copy(tail[:tailData], last)
	tail[tailData] = 0x80
	binary.BigEndian.PutUint64(tail[56:], blockchain.HeaderSize*8)
}

// SealHash returns the seal hash the header would have with this nonce;
// for a header without a Seal, as proof of work makes them, it is also
// the block hash. A header dated where no encoding reaches (see
// [blockchain.Header.AppendBinary]) has no bytes to hash: SealHash then
// returns the zero Hash and the encoding's error, which wraps
// [blockchain.ErrMalformed]. (Bits play no part in the hash: a Searcher
// whose Search refuses its Bits still gives seal hashes.)
func (s *Searcher) SealHash(nonce uint64) (blockchain.Hash, error) {
	if s.encodeErr != nil {
		return blockchain.Hash{}, s.encodeErr
	}
	if !s.fast {
		return s.slowHash(nonce), nil
	}
	var h blockchain.Hash
	copy(h[:], s.fastHash(nonce))
	return h, nil
}

// fastHash returns the hash for nonce as a view into s.state, valid until
// the next call.
func (s *Searcher) fastHash(nonce uint64) []byte {
	binary.BigEndian.PutUint64(s.tail[tailNonceOffset:], nonce)
	_ = s.d.UnmarshalBinary(s.mid) // cannot fail: mid came from AppendBinary
	s.d.Write(s.tail[:])
	s.state, _ = s.d.AppendBinary(s.state[:0])
	// The marshalled state is a 4-byte magic, then the eight 32-bit state
	// words big-endian: exactly the digest's bytes once the padding has
	// been compressed.
	return s.state[4 : 4+blockchain.HashSize]
}

func (s *Searcher) slowHash(nonce uint64) blockchain.Hash {
	binary.BigEndian.PutUint64(s.header[blockchain.HeaderNonceOffset:], nonce)
	return sha256.Sum256(s.header[:])
}

// Search tries every nonce from first to last, both included, in order, and
// returns the first whose seal hash has at least Bits leading zero bits. found
// is false if none has, and at once if first > last: the range is empty.
// If ctx is cancelled it returns ctx.Err() within 1024 nonces (well under
// a millisecond). For a header it cannot search (see [NewSearcher]: Bits
// above 256, or no encoding) it returns the reason, and tries nothing.
func (s *Searcher) Search(ctx context.Context, first, last uint64) (nonce uint64, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	if s.err != nil {
		return 0, false, s.err
	}
	if first > last {
		return 0, false, nil
	}
	done := ctx.Done()
	var tried uint64
	defer func() {
		if s.count != nil {
			s.count.Add(tried)
		}
	}()
	for n := first; ; n++ {
		var ok bool
		if s.fast {
			ok = hasZeroBits(s.fastHash(n), s.bits)
		} else {
			h := s.slowHash(n)
			ok = hasZeroBits(h[:], s.bits)
		}
		tried++
		if ok {
			return n, true, nil
		}
		if n == last {
			return 0, false, nil
		}
		if tried%checkEvery == 0 {
			select {
			case <-done:
				return 0, false, ctx.Err()
			default:
			}
			if s.count != nil {
				s.count.Add(tried)
				tried = 0
			}
		}
	}
}

// maxBits is the most leading zero bits a hash can have: all of its bits.
const maxBits = blockchain.HashSize * 8

// checkBits refuses a difficulty of more zero bits than a hash has, with a
// [*blockchain.RuleError] of code ErrBadBits.
func checkBits(bits uint32) error {
	if bits > maxBits {
		return &blockchain.RuleError{Code: blockchain.ErrBadBits, Have: fmt.Sprint(bits), Want: fmt.Sprintf("at most %d", maxBits)}
	}
	return nil
}

// hasZeroBits reports whether hash starts with at least bits zero bits;
// bits is at most 8·len(hash) (checkBits).
func hasZeroBits(hash []byte, bits uint32) bool {
	full := bits / 8
	for _, b := range hash[:full] {
		if b != 0 {
			return false
		}
	}
	if rem := bits % 8; rem != 0 {
		return hash[full]>>(8-rem) == 0
	}
	return true
}

// FastPath reports whether Searchers use the midstate path, reading the hash
// out of crypto/sha256's marshalled state. It checks, once, that this gives
// the same hashes as sha256.Sum256 for a few headers; if not (a future Go
// could change the state layout), every Searcher hashes whole headers.
func FastPath() bool { return fastPathOK() }

var fastPathOK = sync.OnceValue(func() bool {
	if _, ok := sha256.New().(digestState); !ok {
		return false
	}
	for i, h := range []blockchain.Header{
		{},
		{Version: 1, Height: 7, Bits: 3, PrevHash: blockchain.Hash{1, 2, 3}, MerkleRoot: blockchain.Hash{31: 9}},
	} {
		s := newSearcher(h, nil, true)
		for _, n := range []uint64{0, 1, uint64(i) << 40, ^uint64(0)} {
			if [32]byte(s.fastHash(n)) != s.slowHash(n) {
				return false
			}
		}
	}
	return true
})
