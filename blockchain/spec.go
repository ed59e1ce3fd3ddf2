package blockchain

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/eventchain/eventchain/internal/clip"
)

// SpecEncodingVersion is the first byte of a chain spec's canonical encoding.
const SpecEncodingVersion = 1

// The consensus engines a [ChainSpec] can name, as ConsensusSpec.Engine.
const (
	// EnginePoW is proof of work (package pow); its parameters are a [PoWSpec].
	EnginePoW = "pow"
	// EnginePoA is proof of authority; its parameters are a [PoASpec].
	EnginePoA = "poa"
)

// Limits a [ChainSpec] must keep; see [ChainSpec.Validate].
const (
	// MaxChainIDLen is the longest chain ID, in bytes.
	MaxChainIDLen = 32
	// MaxPoWBits is the largest difficulty proof of work can ask for: every
	// bit of a 256-bit hash zero.
	MaxPoWBits = HashSize * 8
	// MaxPoASigners is the most signers proof of authority can have: a
	// seal names its signer in one byte.
	MaxPoASigners = 256
)

// specTag starts the bytes a chain spec's hash is taken over, so that the
// hash of a spec can never be the hash of anything else this project
// hashes (domain separation; see [ChainSpec.Hash]).
const specTag = "eventchain/chainspec/v1\x00"

// A ChainSpec defines a network: its name, who owns what at genesis, what
// a block's miner earns, and the consensus rules. Two apps with different
// specs would disagree about which blocks are valid, so a network keeps
// its spec in the event log and every app refuses to start with another
// one ([ChainSpec.Diff] says what differs). The genesis block commits to
// [ChainSpec.Hash] ([ChainSpec.Genesis]): another spec, another genesis.
//
// # Rules
//
// [ChainSpec.Validate] checks them all; every decoder runs it.
//
//   - ChainID is 1 to MaxChainIDLen (32) bytes of lower-case letters,
//     digits and '-', starting with a letter: "eventchain-devnet".
//   - Alloc is sorted by address (byte by byte), lists no address twice
//     and not the zero address, and gives each a balance in 1…MaxAmount.
//   - BlockReward is in 0…MaxAmount.
//   - The allocations and one block reward add up to at most
//     math.MaxInt64: the total supply after genesis fits in an int64.
//   - Consensus names a known engine and holds its parameters, and only
//     its: see [ConsensusSpec], [PoWSpec] and [PoASpec].
//
// A spec has no defaults: every value that matters is written out, so
// two specs that make the same network are the same spec, with the same
// hash.
//
// # Canonical encoding
//
// [ChainSpec.MarshalBinary] writes a valid spec as follows, all integers
// big-endian. The letters c, n, e and k are lengths and counts that the
// bytes themselves give; the parameters start at p = 15 + c + 28·n + e.
//
//	offset        size  field
//	0             1     encoding version, SpecEncodingVersion (1)
//	1             1     c = len(ChainID), 1…32
//	2             c     ChainID, ASCII
//	2+c           8     BlockReward, int64
//	10+c          4     n = len(Alloc), uint32
//	14+c          28·n  Alloc in order, entry i at 14+c+28·i:
//	                      20 bytes Address, then 8 bytes Balance, int64
//	14+c+28·n     1     e = len(Consensus.Engine)
//	15+c+28·n     e     Consensus.Engine, ASCII: "pow" or "poa"
//
//	for "pow", 28 bytes:
//	p             4     Bits, uint32
//	p+4           8     RetargetInterval, uint64
//	p+12          8     TargetBlockTime in whole milliseconds, uint64
//	p+20          4     MinBits, uint32
//	p+24          4     MaxBits, uint32
//
//	for "poa", 4 + 32·k bytes:
//	p             4     k = len(Signers), uint32
//	p+4           32·k  Signers in turn order, signer i at p+4+32·i:
//	                      an ed25519 public key
//
// A proof-of-work spec takes 46 + c + 28·n bytes, a proof-of-authority
// spec 22 + c + 28·n + 32·k. Every valid spec has exactly one encoding and
// every encoding one spec: [ChainSpec.UnmarshalBinary] refuses anything
// else.
//
// # JSON
//
// The JSON form is written for people, for an app's -genesis file:
//
//	{"chainId":"eventchain-devnet","blockReward":50,
//	 "alloc":{"ec7ca990…742c4a":1000000,"eccce84c…7fef5bad":250},
//	 "consensus":{"engine":"pow","pow":{"bits":18}}}
//
// See [ChainSpec.MarshalJSON] and [ChainSpec.UnmarshalJSON].
//
// # Values
//
// A ChainSpec is a plain value: copying it shares Alloc, PoW and PoA with
// the copy, so change a spec only if no one else holds it. Its methods
// only read it, and are safe for concurrent use while no one writes.
type ChainSpec struct {
	// ChainID names the network, as in "eventchain-devnet".
	ChainID string
	// Alloc lists the balances at genesis, sorted by address: what
	// NewState starts from.
	Alloc []Allocation
	// BlockReward is minted to each block's beneficiary, in minor units.
	// The supply may never pass math.MaxInt64, so a chain makes at most
	// (math.MaxInt64 − the allocations) / BlockReward blocks: after that
	// every block is refused (ErrBalanceOverflow), and the chain stops.
	// At a reward of 50 that is 1.8·10¹⁷ blocks; at MaxAmount, which
	// Validate allows, barely a thousand.
	BlockReward int64
	// Consensus says which engine makes and checks blocks, and how.
	Consensus ConsensusSpec
}

// A ChainSpec has a binary and a JSON form.
var (
	_ encoding.BinaryMarshaler   = ChainSpec{}
	_ encoding.BinaryUnmarshaler = (*ChainSpec)(nil)
	_ json.Marshaler             = ChainSpec{}
	_ json.Unmarshaler           = (*ChainSpec)(nil)
)

// A ConsensusSpec names a consensus engine and holds its parameters: PoW
// is set if and only if Engine is EnginePoW, PoA if and only if Engine is
// EnginePoA.
type ConsensusSpec struct {
	Engine string   // EnginePoW or EnginePoA
	PoW    *PoWSpec // the parameters of proof of work, or nil
	PoA    *PoASpec // the parameters of proof of authority, or nil
}

// A PoWSpec holds the consensus parameters of proof of work: the fields
// of pow.Config that every node must agree on (the others, Workers and
// MaxNonce, are each miner's own business). They mean what they mean
// there, with two differences that give each network one spec: no zero
// stands for a default, and what is unused must be zero.
//
//   - Bits is 0…MaxPoWBits (256).
//   - RetargetInterval is 0 (a fixed difficulty of Bits) or at least 2.
//   - Without retargeting, TargetBlockTime, MinBits and MaxBits are 0.
//   - With retargeting, TargetBlockTime is a positive number of whole
//     milliseconds, 1 ≤ MinBits ≤ Bits ≤ MaxBits ≤ 256, and four epochs'
//     worth of target time, 4·(RetargetInterval−1)·TargetBlockTime, fits
//     in a time.Duration (about 292 years), so that the retargeting
//     arithmetic cannot overflow.
type PoWSpec struct {
	Bits             uint32        // the difficulty in leading zero bits, of the first epoch when retargeting
	RetargetInterval uint64        // blocks per epoch; 0 turns retargeting off
	TargetBlockTime  time.Duration // the time between blocks retargeting aims for; whole milliseconds
	MinBits, MaxBits uint32        // the bounds of retargeting
}

// A PoASpec holds the consensus parameters of proof of authority: the
// signers' public keys in turn order (the block at height h is sealed by
// Signers[(h−1) mod len(Signers)]). There are 1 to MaxPoASigners (256) of
// them, no key twice, and none of small order ([PublicKey.IsSmallOrder]),
// for which anyone can make a signature that verifies.
type PoASpec struct {
	Signers []PublicKey
}

// clone returns a deep copy of s: its allocations, its consensus
// parameters and its signers are its own.
func (s ChainSpec) clone() ChainSpec {
	s.Alloc = slices.Clone(s.Alloc)
	if s.Consensus.PoW != nil {
		pow := *s.Consensus.PoW
		s.Consensus.PoW = &pow
	}
	if s.Consensus.PoA != nil {
		poa := PoASpec{Signers: slices.Clone(s.Consensus.PoA.Signers)}
		s.Consensus.PoA = &poa
	}
	return s
}

// ErrInvalidSpec is wrapped by every error of [ChainSpec.Validate]: a spec
// that is well formed but breaks one of the rules. Its text reads after
// the field at fault: "chain spec: blockReward: invalid value: …".
var ErrInvalidSpec = errors.New("invalid value")

// A SpecError says what is wrong with a chain spec, and where. Field
// names the part at fault as it is written in JSON, "consensus.pow.bits"
// or "alloc[3].balance" ("" when the whole input is at fault), and Err
// says what is wrong. Err wraps [ErrInvalidSpec] when the spec breaks a
// rule and [ErrMalformed] when bytes or JSON do not describe a spec at
// all; test with errors.Is. Read the field with errors.As:
//
//	var se *blockchain.SpecError
//	if errors.As(err, &se) {
//		fmt.Println("look at", se.Field)
//	}
type SpecError struct {
	Field string
	Err   error
}

// Error reads like "chain spec: consensus.pow.bits: invalid value: have
// 300, want 0…256".
func (e *SpecError) Error() string {
	// Through fmt: one built without its Err reads "<nil>" rather than
	// panic.
	if e.Field == "" {
		return "chain spec: " + fmt.Sprint(e.Err)
	}
	return "chain spec: " + e.Field + ": " + fmt.Sprint(e.Err)
}

// Unwrap returns Err, so that errors.Is sees the sentinel it wraps.
func (e *SpecError) Unwrap() error { return e.Err }

// invalidSpec returns a *SpecError wrapping ErrInvalidSpec.
func invalidSpec(field, format string, args ...any) *SpecError {
	return &SpecError{Field: field, Err: fmt.Errorf("%w: %s", ErrInvalidSpec, fmt.Sprintf(format, args...))}
}

// malformedSpec returns a *SpecError wrapping ErrMalformed.
func malformedSpec(field, format string, args ...any) *SpecError {
	return &SpecError{Field: field, Err: fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))}
}

// malformedCause returns a *SpecError wrapping ErrMalformed and cause,
// such as an [*AddressError], so that errors.Is and errors.As find both.
func malformedCause(field string, cause error) *SpecError {
	return &SpecError{Field: field, Err: fmt.Errorf("%w: %w", ErrMalformed, cause)}
}

// Validate checks every rule of the spec (see [ChainSpec], [PoWSpec] and
// [PoASpec]) and returns nil or a [*SpecError] wrapping [ErrInvalidSpec]
// for the first rule broken, in the order chainId, alloc (entry by entry),
// blockReward, consensus.
func (s ChainSpec) Validate() error {
	if err := validateChainID(s.ChainID); err != nil {
		return err
	}
	var total int64 // the allocations so far; each ≤ MaxAmount, so total+balance cannot overflow before the check
	for i, a := range s.Alloc {
		field := "alloc[" + strconv.Itoa(i) + "]"
		switch {
		case a.Address.IsZero():
			return invalidSpec(field+".address", "have the zero address, want an account's")
		case i > 0 && a.Address == s.Alloc[i-1].Address:
			return invalidSpec(field+".address", "have %s again, want each address once", a.Address)
		case i > 0 && bytes.Compare(a.Address[:], s.Alloc[i-1].Address[:]) < 0:
			return invalidSpec(field+".address", "have %s after %s, want addresses in increasing order", a.Address, s.Alloc[i-1].Address)
		case a.Balance <= 0 || a.Balance > MaxAmount:
			return invalidSpec(field+".balance", "have %d for %s, want 1…%d", a.Balance, a.Address, MaxAmount)
		case total > math.MaxInt64-a.Balance:
			return invalidSpec(field+".balance", "have %d for %s on top of %d, want a total supply of at most %d", a.Balance, a.Address, total, int64(math.MaxInt64))
		}
		total += a.Balance
	}
	switch {
	case s.BlockReward < 0 || s.BlockReward > MaxAmount:
		return invalidSpec("blockReward", "have %d, want 0…%d", s.BlockReward, MaxAmount)
	case total > math.MaxInt64-s.BlockReward:
		return invalidSpec("blockReward", "have %d on top of allocations of %d, want a total supply of at most %d", s.BlockReward, total, int64(math.MaxInt64))
	}
	return s.Consensus.validate()
}

// validateChainID checks the chain ID rule.
func validateChainID(id string) error {
	if problem := chainIDProblem(id); problem != "" {
		return invalidSpec("chainId", "%s", problem)
	}
	return nil
}

// chainIDProblem says what is wrong with a chain ID, or "" if nothing:
// the rule is the same for a chain spec and for a transaction.
func chainIDProblem(id string) string {
	if len(id) == 0 || len(id) > MaxChainIDLen {
		return fmt.Sprintf("have %d bytes, want 1…%d", len(id), MaxChainIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		letter := 'a' <= c && c <= 'z'
		if i == 0 && !letter || !letter && !('0' <= c && c <= '9') && c != '-' {
			return fmt.Sprintf("have %q, want lower-case letters, digits and '-', starting with a letter", id)
		}
	}
	return ""
}

// validate checks the engine, that exactly its parameters are present,
// and the parameters.
func (c ConsensusSpec) validate() error {
	switch c.Engine {
	case EnginePoW:
		if c.PoW == nil {
			return invalidSpec("consensus.pow", "have none, want the parameters of engine %q", c.Engine)
		}
		if c.PoA != nil {
			return invalidSpec("consensus.poa", "have parameters, want none with engine %q", c.Engine)
		}
		return c.PoW.validate()
	case EnginePoA:
		if c.PoA == nil {
			return invalidSpec("consensus.poa", "have none, want the parameters of engine %q", c.Engine)
		}
		if c.PoW != nil {
			return invalidSpec("consensus.pow", "have parameters, want none with engine %q", c.Engine)
		}
		return c.PoA.validate()
	}
	return invalidSpec("consensus.engine", "have %q, want %q or %q", truncateText(c.Engine), EnginePoW, EnginePoA)
}

// maxTargetBlockTime is the longest TargetBlockTime whose four times
// still fits in a time.Duration, in whole milliseconds.
const maxTargetBlockTime = math.MaxInt64 / 4 / time.Millisecond * time.Millisecond

func (p *PoWSpec) validate() error {
	const field = "consensus.pow."
	switch {
	case p.Bits > MaxPoWBits:
		return invalidSpec(field+"bits", "have %d, want 0…%d", p.Bits, MaxPoWBits)
	case p.RetargetInterval == 1:
		return invalidSpec(field+"retargetInterval", "have 1, want 0 (off) or at least 2")
	case p.TargetBlockTime%time.Millisecond != 0:
		return invalidSpec(field+"targetBlockTimeMs", "have %v, want whole milliseconds", p.TargetBlockTime)
	}
	if p.RetargetInterval == 0 {
		for _, f := range []struct {
			name  string
			value int64
		}{{"targetBlockTimeMs", p.TargetBlockTime.Milliseconds()}, {"minBits", int64(p.MinBits)}, {"maxBits", int64(p.MaxBits)}} {
			if f.value != 0 {
				return invalidSpec(field+f.name, "have %d, want 0 without retargeting (retargetInterval 0)", f.value)
			}
		}
		return nil
	}
	switch {
	case p.TargetBlockTime <= 0 || p.TargetBlockTime > maxTargetBlockTime:
		return invalidSpec(field+"targetBlockTimeMs", "have %d, want 1…%d when retargeting", p.TargetBlockTime.Milliseconds(), maxTargetBlockTime.Milliseconds())
	case p.RetargetInterval-1 > uint64(math.MaxInt64/4/p.TargetBlockTime):
		return invalidSpec(field+"retargetInterval", "have %d, want at most %d with targetBlockTimeMs %d, or the retargeting arithmetic overflows",
			p.RetargetInterval, uint64(math.MaxInt64/4/p.TargetBlockTime)+1, p.TargetBlockTime.Milliseconds())
	case p.MinBits < 1 || p.MinBits > MaxPoWBits:
		return invalidSpec(field+"minBits", "have %d, want 1…%d when retargeting", p.MinBits, MaxPoWBits)
	case p.MaxBits < p.MinBits || p.MaxBits > MaxPoWBits:
		return invalidSpec(field+"maxBits", "have %d, want minBits…%d = %d…%d", p.MaxBits, MaxPoWBits, p.MinBits, MaxPoWBits)
	case p.Bits < p.MinBits || p.Bits > p.MaxBits:
		return invalidSpec(field+"bits", "have %d, want minBits…maxBits = %d…%d", p.Bits, p.MinBits, p.MaxBits)
	}
	return nil
}

func (p *PoASpec) validate() error {
	if n := len(p.Signers); n == 0 || n > MaxPoASigners {
		return invalidSpec("consensus.poa.signers", "have %d signers, want 1…%d", n, MaxPoASigners)
	}
	for i, k := range p.Signers {
		if j := slices.Index(p.Signers[:i], k); j >= 0 {
			return invalidSpec("consensus.poa.signers["+strconv.Itoa(i)+"]", "have %s, as signers[%d], want each signer once", k, j)
		}
		if k.IsSmallOrder() {
			// A key of small order (the all-zero placeholder of a
			// template, say) verifies a signature anyone can make: every
			// turn of that signer would be anyone's.
			return invalidSpec("consensus.poa.signers["+strconv.Itoa(i)+"]", "have %s, a key of small order, for which anyone can make a signature that verifies; want a signer's real public key", k)
		}
	}
	return nil
}

// Fixed sizes of the canonical encoding.
const (
	specMinLen   = 1 + 1 + 8 + 4 + 1 // version, len(ChainID), BlockReward, len(Alloc), len(Engine)
	specAllocLen = AddressSize + 8   // one allocation
	specPoWLen   = 4 + 8 + 8 + 4 + 4 // proof-of-work parameters
	specCountLen = 4                 // a count
	specKeyLen   = PublicKeySize     // one signer
)

// specMaxMs is the most whole milliseconds a time.Duration holds.
const specMaxMs = math.MaxInt64 / int64(time.Millisecond)

// appendCanonical appends the canonical encoding of a valid spec to b.
func (s ChainSpec) appendCanonical(b []byte) []byte {
	b = append(b, SpecEncodingVersion, byte(len(s.ChainID)))
	b = append(b, s.ChainID...)
	b = binary.BigEndian.AppendUint64(b, uint64(s.BlockReward))
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.Alloc)))
	for _, a := range s.Alloc {
		b = append(b, a.Address[:]...)
		b = binary.BigEndian.AppendUint64(b, uint64(a.Balance))
	}
	b = append(b, byte(len(s.Consensus.Engine)))
	b = append(b, s.Consensus.Engine...)
	switch s.Consensus.Engine {
	case EnginePoW:
		p := s.Consensus.PoW
		b = binary.BigEndian.AppendUint32(b, p.Bits)
		b = binary.BigEndian.AppendUint64(b, p.RetargetInterval)
		b = binary.BigEndian.AppendUint64(b, uint64(p.TargetBlockTime.Milliseconds()))
		b = binary.BigEndian.AppendUint32(b, p.MinBits)
		b = binary.BigEndian.AppendUint32(b, p.MaxBits)
	case EnginePoA:
		b = binary.BigEndian.AppendUint32(b, uint32(len(s.Consensus.PoA.Signers)))
		for _, k := range s.Consensus.PoA.Signers {
			b = append(b, k[:]...)
		}
	}
	return b
}

// encodedLen returns the length of a valid spec's canonical encoding.
func (s ChainSpec) encodedLen() int {
	n := specMinLen + len(s.ChainID) + specAllocLen*len(s.Alloc) + len(s.Consensus.Engine)
	if s.Consensus.PoA != nil {
		return n + specCountLen + specKeyLen*len(s.Consensus.PoA.Signers)
	}
	return n + specPoWLen
}

// MarshalBinary returns the canonical encoding described on [ChainSpec].
// Only a valid spec has one: for any other it returns Validate's error.
func (s ChainSpec) MarshalBinary() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s.appendCanonical(make([]byte, 0, s.encodedLen())), nil
}

// Hash returns SHA-256("eventchain/chainspec/v1" ‖ 0x00 ‖ the canonical
// encoding): the spec's identity, which its genesis block commits to.
// The tag keeps it apart from every other hash of this project (a spec's
// bytes hashed alone could, in principle, be read as something else).
//
// Only a valid spec has a hash: for any other, Hash returns the zero
// Hash, which no valid spec has (that would take a SHA-256 preimage of
// zero). Call Validate first.
func (s ChainSpec) Hash() Hash {
	if s.Validate() != nil {
		return Hash{}
	}
	h := sha256.New()
	h.Write([]byte(specTag))
	h.Write(s.appendCanonical(make([]byte, 0, s.encodedLen())))
	return Hash(h.Sum(nil))
}

// UnmarshalBinary decodes a canonical encoding into s. It is strict: an
// unknown version or engine, a length or count that runs past the end,
// and trailing bytes are errors wrapping [ErrMalformed]; a spec that
// decodes but breaks a rule gives Validate's error, wrapping
// [ErrInvalidSpec]. Both are [*SpecError]s. No count makes it allocate
// more than the input could fill. On error s is unchanged.
func (s *ChainSpec) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return malformedSpec("", "the input is empty")
	}
	if data[0] != SpecEncodingVersion {
		return malformedSpec("", "encoding version: have %d, want %d", data[0], SpecEncodingVersion)
	}
	d := specReader{data: data, off: 1}
	var spec ChainSpec
	spec.ChainID = d.string("chainId")
	spec.BlockReward = int64(d.uint64("blockReward"))
	if n := d.count("alloc", specAllocLen); n > 0 {
		spec.Alloc = make([]Allocation, n)
		for i := range spec.Alloc {
			a := &spec.Alloc[i]
			copy(a.Address[:], d.bytes("alloc", AddressSize))
			a.Balance = int64(d.uint64("alloc"))
		}
	}
	spec.Consensus.Engine = d.string("consensus.engine")
	if d.err != nil {
		return d.err
	}
	switch spec.Consensus.Engine {
	case EnginePoW:
		p := &PoWSpec{
			Bits:             d.uint32("consensus.pow.bits"),
			RetargetInterval: d.uint64("consensus.pow.retargetInterval"),
		}
		ms := d.uint64("consensus.pow.targetBlockTimeMs")
		if d.err == nil && ms > uint64(specMaxMs) {
			return malformedSpec("consensus.pow.targetBlockTimeMs", "have %d, want at most %d", ms, specMaxMs)
		}
		p.TargetBlockTime = time.Duration(ms) * time.Millisecond
		p.MinBits = d.uint32("consensus.pow.minBits")
		p.MaxBits = d.uint32("consensus.pow.maxBits")
		spec.Consensus.PoW = p
	case EnginePoA:
		p := &PoASpec{}
		if n := d.count("consensus.poa.signers", specKeyLen); n > 0 {
			p.Signers = make([]PublicKey, n)
			for i := range p.Signers {
				copy(p.Signers[i][:], d.bytes("consensus.poa.signers", specKeyLen))
			}
		}
		spec.Consensus.PoA = p
	default:
		return malformedSpec("consensus.engine", "have %q, want %q or %q", truncateText(spec.Consensus.Engine), EnginePoW, EnginePoA)
	}
	if d.err != nil {
		return d.err
	}
	if rest := len(data) - d.off; rest > 0 {
		return malformedSpec("", "%d trailing bytes", rest)
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	*s = spec
	return nil
}

// A specReader takes a canonical encoding apart from the front, in the
// way of bufio.Scanner: once a read runs past the end, every later read
// returns zeros and err keeps the first error.
type specReader struct {
	data []byte
	off  int
	err  error
}

// bytes returns the next n bytes, which alias data.
func (d *specReader) bytes(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.data)-d.off {
		d.err = malformedSpec(field, "have %d bytes at offset %d, want %d", len(d.data)-d.off, d.off, n)
		return nil
	}
	b := d.data[d.off : d.off+n]
	d.off += n
	return b
}

func (d *specReader) byte(field string) byte {
	if b := d.bytes(field, 1); b != nil {
		return b[0]
	}
	return 0
}

func (d *specReader) uint32(field string) uint32 {
	if b := d.bytes(field, 4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (d *specReader) uint64(field string) uint64 {
	if b := d.bytes(field, 8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// string reads a one-byte length and that many bytes.
func (d *specReader) string(field string) string {
	n := d.byte(field)
	return string(d.bytes(field, int(n)))
}

// count reads a uint32 count of entries of size bytes each and refuses
// one that the bytes left could not hold, so that a hostile count costs
// no allocation.
func (d *specReader) count(field string, size int) int {
	n := d.uint32(field)
	if d.err != nil {
		return 0
	}
	if left := len(d.data) - d.off; uint64(n)*uint64(size) > uint64(left) {
		d.err = malformedSpec(field, "have a count of %d, want at most %d for the %d bytes left", n, left/size, left)
		return 0
	}
	return int(n)
}

// Diff returns "" if s and other are the same spec (for valid specs: if
// they have the same Hash), and otherwise one line that describes the
// first difference, naming the field as JSON does and giving s's value
// ("have") before other's ("want"):
//
//	consensus.pow.bits: have 18, want 12
//	alloc: ec7ca990…742c4a: have 1000, want absent
//
// The fields are compared from the most telling to the least: chainId
// (another network altogether), consensus.engine, the engine's
// parameters, blockReward, and last alloc, address by address in
// increasing order. [ChainSpec.DiffNamed] says whose each value is.
func (s ChainSpec) Diff(other ChainSpec) string { return s.DiffNamed(other, "have", "want") }

// DiffNamed is [ChainSpec.Diff] with s's value named mine and other's
// named theirs, where "have" and "want" would leave a reader guessing
// which side is which. An app that finds another spec in its event log
// than the one it was started with says
//
//	consensus.pow.bits: yours 12, the log's 18
//
// with started.DiffNamed(logged, "yours", "the log's").
func (s ChainSpec) DiffNamed(other ChainSpec, mine, theirs string) string {
	n := diffNames{mine, theirs}
	if s.ChainID != other.ChainID {
		return n.pair("chainId", strconv.Quote(truncateText(s.ChainID)), strconv.Quote(truncateText(other.ChainID)))
	}
	if d := s.Consensus.diff(other.Consensus, n); d != "" {
		return d
	}
	if s.BlockReward != other.BlockReward {
		return n.pair("blockReward", s.BlockReward, other.BlockReward)
	}
	return diffAlloc(s.Alloc, other.Alloc, n)
}

// diffNames are the names a Diff gives the two sides' values.
type diffNames struct{ mine, theirs string }

// pair describes field's two values: "field: have 18, want 12".
func (n diffNames) pair(field string, mine, theirs any) string {
	return fmt.Sprintf("%s: %s %v, %s %v", field, n.mine, mine, n.theirs, theirs)
}

func (c ConsensusSpec) diff(o ConsensusSpec, n diffNames) string {
	if c.Engine != o.Engine {
		return n.pair("consensus.engine", strconv.Quote(truncateText(c.Engine)), strconv.Quote(truncateText(o.Engine)))
	}
	if d := diffPresence("consensus.pow", c.PoW != nil, o.PoW != nil, n); d != "" {
		return d
	}
	if c.PoW != nil {
		p, q := c.PoW, o.PoW
		const field = "consensus.pow."
		switch {
		case p.Bits != q.Bits:
			return n.pair(field+"bits", p.Bits, q.Bits)
		case p.RetargetInterval != q.RetargetInterval:
			return n.pair(field+"retargetInterval", p.RetargetInterval, q.RetargetInterval)
		case p.TargetBlockTime != q.TargetBlockTime:
			return n.pair(field+"targetBlockTimeMs", millis(p.TargetBlockTime), millis(q.TargetBlockTime))
		case p.MinBits != q.MinBits:
			return n.pair(field+"minBits", p.MinBits, q.MinBits)
		case p.MaxBits != q.MaxBits:
			return n.pair(field+"maxBits", p.MaxBits, q.MaxBits)
		}
	}
	if d := diffPresence("consensus.poa", c.PoA != nil, o.PoA != nil, n); d != "" {
		return d
	}
	if c.PoA != nil {
		have, want := c.PoA.Signers, o.PoA.Signers
		for i := range max(len(have), len(want)) {
			if i >= len(have) || i >= len(want) || have[i] != want[i] {
				return n.pair(fmt.Sprintf("consensus.poa.signers[%d]", i), entry(have, i), entry(want, i))
			}
		}
	}
	return ""
}

// diffPresence describes a part that one spec has and the other lacks.
func diffPresence(field string, mine, theirs bool, n diffNames) string {
	if mine == theirs {
		return ""
	}
	word := map[bool]string{true: "present", false: "absent"}
	return n.pair(field, word[mine], word[theirs])
}

// entry returns the i-th key, or "absent" past the end.
func entry(keys []PublicKey, i int) string {
	if i < len(keys) {
		return keys[i].String()
	}
	return "absent"
}

// millis writes a duration as whole milliseconds when it is one, and as a
// Duration otherwise (only an invalid spec has such a value).
func millis(d time.Duration) string {
	if d%time.Millisecond == 0 {
		return strconv.FormatInt(d.Milliseconds(), 10)
	}
	return d.String()
}

// diffAlloc walks both allocation lists in address order and describes the
// first address whose balance differs. Lists that are not sorted (only an
// invalid spec's) are compared entry by entry.
func diffAlloc(have, want []Allocation, n diffNames) string {
	byAddress := func(a, b Allocation) int { return bytes.Compare(a.Address[:], b.Address[:]) }
	if !slices.IsSortedFunc(have, byAddress) || !slices.IsSortedFunc(want, byAddress) {
		for i := range max(len(have), len(want)) {
			if i >= len(have) || i >= len(want) || have[i] != want[i] {
				return n.pair(fmt.Sprintf("alloc[%d]", i), allocEntry(have, i), allocEntry(want, i))
			}
		}
		return ""
	}
	for i, j := 0, 0; i < len(have) || j < len(want); i, j = i+1, j+1 {
		switch c := cmpNext(have, i, want, j); {
		case c < 0:
			return n.pair("alloc: "+have[i].Address.String(), have[i].Balance, "absent")
		case c > 0:
			return n.pair("alloc: "+want[j].Address.String(), "absent", want[j].Balance)
		case have[i].Balance != want[j].Balance:
			return n.pair("alloc: "+have[i].Address.String(), have[i].Balance, want[j].Balance)
		}
	}
	return "" // every entry matched, in lockstep: the lists are equal
}

// cmpNext compares have[i] and want[j] by address; a list that has run out
// compares greater than one that has not.
func cmpNext(have []Allocation, i int, want []Allocation, j int) int {
	switch {
	case i >= len(have):
		return 1
	case j >= len(want):
		return -1
	}
	return bytes.Compare(have[i].Address[:], want[j].Address[:])
}

// allocEntry writes the i-th allocation, or "absent" past the end.
func allocEntry(alloc []Allocation, i int) string {
	if i < len(alloc) {
		return fmt.Sprintf("%s %d", alloc[i].Address, alloc[i].Balance)
	}
	return "absent"
}

// truncateText shortens s for an error message or a Diff, cutting at a
// rune boundary: hostile input can make a name as long as itself.
func truncateText(s string) string {
	return clip.Text(s, 64) // an address, 50 characters, fits
}

// printableName shortens a member name for an error message, as
// truncateText does, and keeps it as it is if every character of it is
// graphic; any other is quoted, with Go escapes for what is not: a name
// from a stranger (a bank serving its spec) must not carry an escape
// sequence or a line break to the terminal that prints the error.
func printableName(s string) string {
	if s = truncateText(s); clip.Graphic(s) {
		return s
	}
	return strconv.QuoteToGraphic(s)
}

// MarshalJSON writes a valid spec in the JSON form, members in a fixed
// order and without white space:
//
//	{"chainId":"eventchain-devnet","blockReward":50,
//	 "alloc":{"ec…":1000000,"ec…":250},
//	 "consensus":{"engine":"pow","pow":{"bits":18}}}
//
// Addresses are written out ([Address.String]) in increasing order,
// signers' keys as 64 hex digits, durations as whole milliseconds
// ("targetBlockTimeMs"). A proof-of-work spec without retargeting writes
// only "bits"; with retargeting it writes "bits", "retargetInterval",
// "targetBlockTimeMs", "minBits" and "maxBits". A proof-of-authority spec
// writes "poa":{"signers":["…","…"]}. An invalid spec has no JSON form:
// MarshalJSON returns Validate's error.
func (s ChainSpec) MarshalJSON() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 128+(AddressLen+20)*len(s.Alloc))
	b = append(b, `{"chainId":`...)
	b, _ = jsontext.AppendQuote(b, s.ChainID) // valid: ASCII
	b = append(b, `,"blockReward":`...)
	b = strconv.AppendInt(b, s.BlockReward, 10)
	b = append(b, `,"alloc":{`...)
	for i, a := range s.Alloc {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, a.Address.String()...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, a.Balance, 10)
	}
	b = append(b, `},"consensus":{"engine":`...)
	b, _ = jsontext.AppendQuote(b, s.Consensus.Engine)
	switch s.Consensus.Engine {
	case EnginePoW:
		p := s.Consensus.PoW
		b = append(b, `,"pow":{"bits":`...)
		b = strconv.AppendUint(b, uint64(p.Bits), 10)
		if p.RetargetInterval != 0 {
			b = append(b, `,"retargetInterval":`...)
			b = strconv.AppendUint(b, p.RetargetInterval, 10)
			b = append(b, `,"targetBlockTimeMs":`...)
			b = strconv.AppendInt(b, p.TargetBlockTime.Milliseconds(), 10)
			b = append(b, `,"minBits":`...)
			b = strconv.AppendUint(b, uint64(p.MinBits), 10)
			b = append(b, `,"maxBits":`...)
			b = strconv.AppendUint(b, uint64(p.MaxBits), 10)
		}
	case EnginePoA:
		b = append(b, `,"poa":{"signers":[`...)
		for i, k := range s.Consensus.PoA.Signers {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, k.String()...)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	return append(b, "}}}"...), nil
}

// UnmarshalJSON reads the JSON form that [ChainSpec.MarshalJSON] writes,
// with its members in any order and any JSON white space between them,
// and then runs Validate. It accepts:
//
//	{
//	  "chainId": string,                    required
//	  "blockReward": integer,               required
//	  "alloc": {address: integer, …},       required; may be {}
//	  "consensus": {                        required
//	    "engine": "pow" or "poa",           required
//	    "pow": {                            with engine "pow"
//	      "bits": integer,                  required
//	      "retargetInterval": integer,      each optional, 0 if absent
//	      "targetBlockTimeMs": integer,
//	      "minBits": integer, "maxBits": integer
//	    },
//	    "poa": {"signers": [key, …]}        with engine "poa"
//	  }
//	}
//
// Addresses are written forms that [ParseAddress] accepts, so a mistyped
// character is caught by the checksum: the error then wraps
// [ErrAddressChecksum] (and an [*AddressError]) besides ErrMalformed.
// Keys are 64 lower-case hex digits, as [ParsePublicKey] reads them; an
// error wraps [ErrBadKey]. The allocations may come in any order and are
// sorted by address.
//
// It is strict, so that a genesis file means exactly one thing: an
// unknown member, a name in the wrong case ("chainID"), a repeated
// member, null, a value of the wrong kind, a number with a fraction or an
// exponent or out of its type's range, invalid UTF-8 and anything after
// the object are errors wrapping [ErrMalformed]. A spec that reads well
// but breaks a rule gives Validate's error, wrapping [ErrInvalidSpec].
// Both are [*SpecError]s naming the member at fault, such as
// "consensus.pow.bits" or "alloc.ec7ca990…742c4a". On error s is
// unchanged.
func (s *ChainSpec) UnmarshalJSON(data []byte) error {
	r := jsonSpecReader{data: data, dec: jsontext.NewDecoder(bytes.NewReader(data))}
	spec, err := r.spec()
	if err != nil {
		return err
	}
	if _, err := r.dec.ReadToken(); err != io.EOF {
		return malformedSpec("", "data after the JSON object")
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	*s = spec
	return nil
}

// A jsonSpecReader reads a spec's JSON form token by token with
// jsontext, the token layer of the Go team's JSON v2 design, as package
// events and the bank do. encoding/json would match names regardless of
// case, keep the last of a repeated member, read null as zero and replace
// invalid UTF-8; jsontext refuses repeated names and invalid UTF-8 by
// itself, and the reader does the rest.
type jsonSpecReader struct {
	data []byte
	dec  *jsontext.Decoder
	last string // the field of the last value read, for syntax errors
}

func (r *jsonSpecReader) spec() (ChainSpec, error) {
	var spec ChainSpec
	err := r.object("", []string{"chainId", "blockReward", "alloc", "consensus"}, []string{"chainId", "blockReward", "alloc", "consensus"},
		func(name, field string) error {
			var err error
			switch name {
			case "chainId":
				spec.ChainID, err = r.string(field)
			case "blockReward":
				spec.BlockReward, err = r.int64(field)
			case "alloc":
				spec.Alloc, err = r.alloc(field)
			case "consensus":
				spec.Consensus, err = r.consensus(field)
			}
			return err
		})
	return spec, err
}

func (r *jsonSpecReader) consensus(path string) (ConsensusSpec, error) {
	var c ConsensusSpec
	err := r.object(path, []string{"engine", "pow", "poa"}, []string{"engine"}, func(name, field string) error {
		var err error
		switch name {
		case "engine":
			c.Engine, err = r.string(field)
		case "pow":
			c.PoW, err = r.pow(field)
		case "poa":
			c.PoA, err = r.poa(field)
		}
		return err
	})
	return c, err
}

func (r *jsonSpecReader) pow(path string) (*PoWSpec, error) {
	p := &PoWSpec{}
	err := r.object(path, []string{"bits", "retargetInterval", "targetBlockTimeMs", "minBits", "maxBits"}, []string{"bits"},
		func(name, field string) error {
			var err error
			switch name {
			case "bits":
				p.Bits, err = r.uint32(field)
			case "retargetInterval":
				p.RetargetInterval, err = r.uint(field, math.MaxUint64)
			case "targetBlockTimeMs":
				var ms int64
				ms, err = r.int64(field)
				if err == nil && (ms > specMaxMs || ms < -specMaxMs) {
					err = malformedSpec(field, "have %d, want an integer in %d…%d", ms, -specMaxMs, specMaxMs)
				}
				p.TargetBlockTime = time.Duration(ms) * time.Millisecond
			case "minBits":
				p.MinBits, err = r.uint32(field)
			case "maxBits":
				p.MaxBits, err = r.uint32(field)
			}
			return err
		})
	return p, err
}

func (r *jsonSpecReader) poa(path string) (*PoASpec, error) {
	p := &PoASpec{}
	err := r.object(path, []string{"signers"}, []string{"signers"}, func(_, field string) error {
		if err := r.open(field, '[', "an array"); err != nil {
			return err
		}
		for i := 0; r.dec.PeekKind() != ']'; i++ {
			elem := field + "[" + strconv.Itoa(i) + "]"
			s, err := r.string(elem)
			if err != nil {
				return err
			}
			k, err := ParsePublicKey(s)
			if err != nil {
				return malformedCause(elem, err)
			}
			p.Signers = append(p.Signers, k)
		}
		return r.close(field)
	})
	return p, err
}

// alloc reads the allocations, an object from written addresses to
// balances, into a slice sorted by address.
func (r *jsonSpecReader) alloc(field string) ([]Allocation, error) {
	if err := r.open(field, '{', "an object"); err != nil {
		return nil, err
	}
	var alloc []Allocation
	for r.dec.PeekKind() != '}' {
		tok, err := r.dec.ReadToken() // jsontext refuses a repeated name here
		if err != nil {
			return nil, r.syntax(field, err)
		}
		name := tok.String()
		addr, err := ParseAddress(name)
		if err != nil {
			return nil, malformedCause(field, err)
		}
		balance, err := r.int64(field + "." + name)
		if err != nil {
			return nil, err
		}
		r.last = field + "." + name
		alloc = append(alloc, Allocation{Address: addr, Balance: balance})
	}
	slices.SortFunc(alloc, func(a, b Allocation) int { return bytes.Compare(a.Address[:], b.Address[:]) })
	return alloc, r.close(field)
}

// object reads a JSON object at path whose member names are among known,
// each at most once, and must include every name in required. It calls
// member with each name and the member's field name to read the value.
func (r *jsonSpecReader) object(path string, known, required []string, member func(name, field string) error) error {
	if err := r.open(path, '{', "an object"); err != nil {
		return err
	}
	seen := make([]bool, len(known))
	for r.dec.PeekKind() != '}' {
		tok, err := r.dec.ReadToken()
		if err != nil {
			return r.syntax(path, err)
		}
		name := tok.String()
		i := slices.Index(known, name)
		if i < 0 {
			return malformedSpec(join(path, printableName(name)), "unknown member%s", didYouMean(name, known))
		}
		seen[i] = true
		if err := member(name, join(path, name)); err != nil {
			return err
		}
		r.last = join(path, name)
	}
	if err := r.close(path); err != nil {
		return err
	}
	for _, name := range required {
		if !seen[slices.Index(known, name)] {
			return malformedSpec(join(path, name), "missing")
		}
	}
	return nil
}

// join returns the field name of member name of the object at path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// didYouMean points out a name that differs from a known one only in case.
func didYouMean(name string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf(" (names are case-sensitive: want %q)", k)
		}
	}
	return fmt.Sprintf(" (want one of %s)", strings.Join(known, ", "))
}

// open reads the token that starts an object or array.
func (r *jsonSpecReader) open(field string, kind jsontext.Kind, want string) error {
	if err := r.expect(field, kind, want); err != nil {
		return err
	}
	if _, err := r.dec.ReadToken(); err != nil {
		return r.syntax(field, err)
	}
	return nil
}

// close reads the token that ends an object or array.
func (r *jsonSpecReader) close(field string) error {
	if _, err := r.dec.ReadToken(); err != nil {
		return r.syntax(field, err)
	}
	return nil
}

// expect checks that the next value is of kind, without reading it: a
// value of the wrong kind, however long or deep, is refused at its first
// byte.
func (r *jsonSpecReader) expect(field string, kind jsontext.Kind, want string) error {
	switch k := r.dec.PeekKind(); k {
	case kind:
		return nil
	case 0: // invalid or missing: reading says why
		_, err := r.dec.ReadToken()
		return r.syntax(field, err)
	case 'n', 't', 'f':
		// A literal is judged by its first byte too: "nul" or "nonsense"
		// would pass for a null. A literal is short: reading it says
		// whether it is one.
		if _, err := r.dec.ReadToken(); err != nil {
			return r.syntax(field, err)
		}
		return malformedSpec(field, "have %s, want %s", kindName(k), want)
	default:
		return malformedSpec(field, "have %s, want %s", kindName(k), want)
	}
}

func (r *jsonSpecReader) string(field string) (string, error) {
	if err := r.expect(field, '"', "a string"); err != nil {
		return "", err
	}
	tok, err := r.dec.ReadToken()
	if err != nil {
		return "", r.syntax(field, err)
	}
	return tok.String(), nil
}

// number reads the text of a JSON number that has no fraction and no
// exponent.
func (r *jsonSpecReader) number(field string) (string, error) {
	if err := r.expect(field, '0', "an integer"); err != nil {
		return "", err
	}
	v, err := r.dec.ReadValue()
	if err != nil {
		return "", r.syntax(field, err)
	}
	// jsontext has checked the JSON number grammar.
	if bytes.ContainsAny(v, ".eE") {
		return "", malformedSpec(field, "have %s, want an integer", truncateText(string(v)))
	}
	return string(v), nil
}

func (r *jsonSpecReader) int64(field string) (int64, error) {
	text, err := r.number(field)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, malformedSpec(field, "have %s, want an integer in %d…%d", truncateText(text), int64(math.MinInt64), int64(math.MaxInt64))
	}
	return n, nil
}

// uint reads an integer in 0…limit.
func (r *jsonSpecReader) uint(field string, limit uint64) (uint64, error) {
	text, err := r.number(field)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil || n > limit {
		return 0, malformedSpec(field, "have %s, want an integer in 0…%d", truncateText(text), limit)
	}
	return n, nil
}

func (r *jsonSpecReader) uint32(field string) (uint32, error) {
	n, err := r.uint(field, math.MaxUint32)
	return uint32(n), err
}

// syntax turns an error of the JSON decoder into a *SpecError naming the
// member it lies in, or field when it names none.
func (r *jsonSpecReader) syntax(field string, err error) error {
	var se *jsontext.SyntacticError
	switch {
	case err == io.EOF:
		return malformedSpec("", "no JSON object: the input is empty")
	case !errors.As(err, &se):
		return malformedSpec(field, "%v", err)
	}
	if f := pointerField(se.JSONPointer); f != "" {
		field = f
	}
	where := r.position(se.ByteOffset)
	if r.last != "" {
		where += " (after " + r.last + ")"
	}
	switch {
	case errors.Is(se.Err, jsontext.ErrDuplicateName):
		return malformedSpec(field, "repeated member")
	case errors.Is(se.Err, io.ErrUnexpectedEOF):
		return malformedSpec("", "the JSON ends early, %s", where)
	}
	return malformedSpec(field, "invalid JSON %s: %s", where, truncateText(se.Err.Error()))
}

// position writes a byte offset into the input as a line and a column, as
// an editor counts them (the column in bytes).
func (r *jsonSpecReader) position(offset int64) string {
	offset = min(max(offset, 0), int64(len(r.data)))
	before := r.data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("at line %d, column %d", line, col)
}

// pointerField writes a JSON pointer, such as /consensus/poa/signers/1,
// as a field name: consensus.poa.signers[1].
func pointerField(p jsontext.Pointer) string {
	var b strings.Builder
	prev := ""
	for tok := range p.Tokens() {
		switch {
		case prev == "signers":
			b.WriteString("[" + truncateText(tok) + "]")
		case b.Len() > 0:
			b.WriteString("." + truncateText(tok))
		default:
			b.WriteString(truncateText(tok))
		}
		prev = tok
	}
	return b.String()
}

// kindName names a JSON kind for an error message (chain specs and
// inclusion proofs).
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "no JSON value"
}

// SortAlloc sorts s.Alloc by address, byte by byte, as [ChainSpec.Validate]
// requires: a spec built in code can list its allocations in any order
// and sort them once.
func (s *ChainSpec) SortAlloc() {
	slices.SortFunc(s.Alloc, func(a, b Allocation) int { return bytes.Compare(a.Address[:], b.Address[:]) })
}
