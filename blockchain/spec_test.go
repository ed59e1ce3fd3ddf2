package blockchain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
)

// The addresses and public keys of goldenKeys' three seeds (all zero;
// 00 01 … 1f; SHA-256("alice")), as testdata/golden_spec.py uses them.
var (
	specAddrZero  = mustParseAddress("ec7ca990faae94a9207a1535341bb940c440318975ba742c4a")
	specAddrRange = mustParseAddress("eccce84c33fc257c057135c5a4c7218b85ea1b54797fef5bad")
	specAddrAlice = mustParseAddress("ec74b25808772b36251791ebb177f8fe85c49c2aafcaa7b8c6")
	specKeyZero   = mustParsePublicKey("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29")
	specKeyRange  = mustParsePublicKey("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
	specKeyAlice  = mustParsePublicKey("d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac4")
)

func mustParseAddress(s string) blockchain.Address {
	a, err := blockchain.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

func mustParsePublicKey(s string) blockchain.PublicKey {
	k, err := blockchain.ParsePublicKey(s)
	if err != nil {
		panic(err)
	}
	return k
}

// specGoldenPoW and specGoldenPoA are testdata/golden_spec.py's two specs.
// Each call returns a new value, so a test may change it.
func specGoldenPoW() blockchain.ChainSpec {
	return blockchain.ChainSpec{
		ChainID:     "eventchain-devnet",
		Alloc:       []blockchain.Allocation{{Address: specAddrZero, Balance: 1000000}, {Address: specAddrRange, Balance: 250}},
		BlockReward: 50,
		Consensus: blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{
			Bits: 18, RetargetInterval: 10, TargetBlockTime: 5 * time.Second, MinBits: 8, MaxBits: 24,
		}},
	}
}

func specGoldenPoA() blockchain.ChainSpec {
	return blockchain.ChainSpec{
		ChainID: "eventchain-poa-1",
		Alloc: []blockchain.Allocation{
			{Address: specAddrAlice, Balance: blockchain.MaxAmount},
			{Address: specAddrZero, Balance: 7},
			{Address: specAddrRange, Balance: 1},
		},
		Consensus: blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{
			Signers: []blockchain.PublicKey{specKeyAlice, specKeyZero, specKeyRange}, // turn order
		}},
	}
}

// specFixed is the simplest useful spec: proof of work at a fixed 12 bits.
func specFixed() blockchain.ChainSpec {
	return blockchain.ChainSpec{
		ChainID:     "devnet",
		Alloc:       []blockchain.Allocation{{Address: specAddrZero, Balance: 100}},
		BlockReward: 50,
		Consensus:   blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{Bits: 12}},
	}
}

// specGolden are the values testdata/golden_spec.py printed, computed with
// Python's struct, hashlib and zlib from the layout documented on
// ChainSpec: they check the Go code against its documentation.
var specGolden = []struct {
	name     string
	spec     func() blockchain.ChainSpec
	encoding string
	hash     string
	json     string
}{
	{
		name:     "pow",
		spec:     specGoldenPoW,
		encoding: "01116576656e74636861696e2d6465766e65740000000000000032000000027ca990faae94a9207a1535341bb940c44031897500000000000f4240cce84c33fc257c057135c5a4c7218b85ea1b547900000000000000fa03706f7700000012000000000000000a00000000000013880000000800000018",
		hash:     "b81463051af62504475d03b3f089130d238f30ec5976e79634f18cdd969f1936",
		json:     `{"chainId":"eventchain-devnet","blockReward":50,"alloc":{"ec7ca990faae94a9207a1535341bb940c440318975ba742c4a":1000000,"eccce84c33fc257c057135c5a4c7218b85ea1b54797fef5bad":250},"consensus":{"engine":"pow","pow":{"bits":18,"retargetInterval":10,"targetBlockTimeMs":5000,"minBits":8,"maxBits":24}}}`,
	},
	{
		name:     "poa",
		spec:     specGoldenPoA,
		encoding: "01106576656e74636861696e2d706f612d3100000000000000000000000374b25808772b36251791ebb177f8fe85c49c2aaf001fffffffffffff7ca990faae94a9207a1535341bb940c4403189750000000000000007cce84c33fc257c057135c5a4c7218b85ea1b5479000000000000000103706f6100000003d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac43b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da2903a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
		hash:     "c4494c5836a0d26a3421dfac673feb0fffa2f675498d0cc6e4ac7d732981ad3e",
		json:     `{"chainId":"eventchain-poa-1","blockReward":0,"alloc":{"ec74b25808772b36251791ebb177f8fe85c49c2aafcaa7b8c6":9007199254740991,"ec7ca990faae94a9207a1535341bb940c440318975ba742c4a":7,"eccce84c33fc257c057135c5a4c7218b85ea1b54797fef5bad":1},"consensus":{"engine":"poa","poa":{"signers":["d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac4","3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29","03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"]}}}`,
	},
}

func TestChainSpecGolden(t *testing.T) {
	for _, g := range specGolden {
		t.Run(g.name, func(t *testing.T) {
			spec := g.spec()
			require.NoError(t, spec.Validate())

			enc, err := spec.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, g.encoding, hex.EncodeToString(enc), "encoding")
			assert.Equal(t, g.hash, spec.Hash().String(), "hash")
			tagged := append([]byte("eventchain/chainspec/v1\x00"), enc...)
			assert.Equal(t, blockchain.Hash(sha256.Sum256(tagged)), spec.Hash(), "hash is SHA-256 of the tag and the encoding")

			js, err := spec.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, g.json, string(js), "JSON")

			var fromBin, fromJSON blockchain.ChainSpec
			require.NoError(t, fromBin.UnmarshalBinary(enc))
			assert.Equal(t, spec, fromBin, "binary decodes to the same fields")
			require.NoError(t, fromJSON.UnmarshalJSON([]byte(g.json)))
			assert.Equal(t, spec, fromJSON, "JSON decodes to the same fields")
		})
	}
}

// specCases are valid specs of every shape, for the round trips and Diff.
func specCases() map[string]blockchain.ChainSpec {
	noAlloc := specFixed()
	noAlloc.Alloc = nil
	zeroBits := specFixed()
	zeroBits.Consensus.PoW.Bits = 0
	oneSigner := specGoldenPoA()
	oneSigner.Consensus.PoA.Signers = oneSigner.Consensus.PoA.Signers[:1]
	return map[string]blockchain.ChainSpec{
		"pow fixed":      specFixed(),
		"pow retarget":   specGoldenPoW(),
		"pow no alloc":   noAlloc,
		"pow zero bits":  zeroBits,
		"poa":            specGoldenPoA(),
		"poa one signer": oneSigner,
	}
}

func TestChainSpecRoundTrip(t *testing.T) {
	for name, spec := range specCases() {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, spec.Validate())

			enc, err := spec.MarshalBinary()
			require.NoError(t, err)
			var fromBin blockchain.ChainSpec
			require.NoError(t, fromBin.UnmarshalBinary(enc))
			assert.Equal(t, spec, fromBin, "binary")

			js, err := json.Marshal(spec) // through encoding/json, as an app would
			require.NoError(t, err)
			var fromJSON blockchain.ChainSpec
			require.NoError(t, json.Unmarshal(js, &fromJSON))
			assert.Equal(t, spec, fromJSON, "JSON %s", js)

			assert.Equal(t, spec.Hash(), fromBin.Hash())
			assert.Equal(t, spec.Hash(), fromJSON.Hash())
			assert.False(t, spec.Hash().IsZero())
		})
	}
}

// A person's genesis file may order members and allocations as they
// like and use white space: it means the same spec.
func TestChainSpecJSONIsReadable(t *testing.T) {
	const file = `
	{
		"consensus": {
			"pow": {"maxBits": 24, "minBits": 8, "targetBlockTimeMs": 5000, "retargetInterval": 10, "bits": 18},
			"engine": "pow"
		},
		"alloc": {
			"eccce84c33fc257c057135c5a4c7218b85ea1b54797fef5bad": 250,
			"ec7ca990faae94a9207a1535341bb940c440318975ba742c4a": 1000000
		},
		"blockReward": 50,
		"chainId": "eventchain-devnet"
	}
	`
	var spec blockchain.ChainSpec
	require.NoError(t, spec.UnmarshalJSON([]byte(file)))
	assert.Equal(t, specGoldenPoW(), spec)

	var minimal blockchain.ChainSpec
	require.NoError(t, minimal.UnmarshalJSON([]byte(`{"chainId":"devnet","blockReward":0,"alloc":{},"consensus":{"engine":"pow","pow":{"bits":1}}}`)))
	assert.Nil(t, minimal.Alloc, "an empty alloc decodes as nil")
	assert.Equal(t, &blockchain.PoWSpec{Bits: 1}, minimal.Consensus.PoW, "absent retarget members are 0")
}

// specEdit returns a copy of base changed by edit; the copy shares
// nothing with base.
func specEdit(base blockchain.ChainSpec, edit func(*blockchain.ChainSpec)) blockchain.ChainSpec {
	var s blockchain.ChainSpec
	enc, err := base.MarshalBinary()
	if err != nil {
		panic(err)
	}
	if err := s.UnmarshalBinary(enc); err != nil {
		panic(err)
	}
	edit(&s)
	return s
}

// specRetarget is a retargeting proof-of-work spec to edit.
func specRetarget(edit func(p *blockchain.PoWSpec)) blockchain.ChainSpec {
	return specEdit(specGoldenPoW(), func(s *blockchain.ChainSpec) { edit(s.Consensus.PoW) })
}

// specNoRetarget is a fixed-difficulty proof-of-work spec to edit.
func specNoRetarget(edit func(p *blockchain.PoWSpec)) blockchain.ChainSpec {
	return specEdit(specFixed(), func(s *blockchain.ChainSpec) { edit(s.Consensus.PoW) })
}

// specManyAlloc returns n allocations of MaxAmount each, at addresses
// 1, 2, … n (big-endian in the last bytes).
func specManyAlloc(n int) []blockchain.Allocation {
	alloc := make([]blockchain.Allocation, n)
	for i := range alloc {
		binary.BigEndian.PutUint32(alloc[i].Address[16:], uint32(i+1))
		alloc[i].Balance = blockchain.MaxAmount
	}
	return alloc
}

// specMaxEpoch is the largest RetargetInterval with a TargetBlockTime of
// one second.
var specMaxEpoch = uint64(math.MaxInt64/4/time.Second) + 1

func TestChainSpecValidateAccepts(t *testing.T) {
	keys := make([]blockchain.PublicKey, blockchain.MaxPoASigners)
	for i := range keys {
		binary.BigEndian.PutUint16(keys[i][:], uint16(i))
		keys[i][2] = 1 // no key of small order (the all-zero one is)
	}
	for _, tc := range []struct {
		name string
		spec blockchain.ChainSpec
	}{
		{"one-byte chain id", specEdit(specFixed(), func(s *blockchain.ChainSpec) { s.ChainID = "x" })},
		{"32-byte chain id", specEdit(specFixed(), func(s *blockchain.ChainSpec) { s.ChainID = "a" + strings.Repeat("-9", 15) + "z" })},
		{"no allocations", specEdit(specFixed(), func(s *blockchain.ChainSpec) { s.Alloc = nil })},
		{"empty, not nil, allocations", specEdit(specFixed(), func(s *blockchain.ChainSpec) { s.Alloc = []blockchain.Allocation{} })},
		{"balance MaxAmount", specEdit(specFixed(), func(s *blockchain.ChainSpec) { s.Alloc[0].Balance = blockchain.MaxAmount })},
		{"no block reward", specEdit(specFixed(), func(s *blockchain.ChainSpec) { s.BlockReward = 0 })},
		{"block reward MaxAmount", specEdit(specFixed(), func(s *blockchain.ChainSpec) { s.BlockReward = blockchain.MaxAmount })},
		{"supply exactly MaxInt64", specEdit(specFixed(), func(s *blockchain.ChainSpec) {
			s.Alloc = specManyAlloc(1024) // 1024·(2⁵³−1) = 2⁶³−1024
			s.BlockReward = 1023
		})},
		{"bits 0", specNoRetarget(func(p *blockchain.PoWSpec) { p.Bits = 0 })},
		{"bits 256", specNoRetarget(func(p *blockchain.PoWSpec) { p.Bits = 256 })},
		{"retarget every 2 blocks", specRetarget(func(p *blockchain.PoWSpec) { p.RetargetInterval = 2 })},
		{"retarget bits 1…256", specRetarget(func(p *blockchain.PoWSpec) { p.MinBits, p.Bits, p.MaxBits = 1, 1, 256 })},
		{"retarget min = max", specRetarget(func(p *blockchain.PoWSpec) { p.MinBits, p.Bits, p.MaxBits = 20, 20, 20 })},
		{"target 1 ms", specRetarget(func(p *blockchain.PoWSpec) { p.TargetBlockTime = time.Millisecond })},
		{"longest epoch", specRetarget(func(p *blockchain.PoWSpec) { p.TargetBlockTime, p.RetargetInterval = time.Second, specMaxEpoch })},
		{"256 signers", specEdit(specGoldenPoA(), func(s *blockchain.ChainSpec) { s.Consensus.PoA.Signers = keys })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.NoError(t, tc.spec.Validate())
		})
	}
}

func TestChainSpecValidateRejects(t *testing.T) {
	// The longest epoch, checked with exact arithmetic: four epochs of
	// target time fit in a time.Duration, one more block would not.
	epoch := func(n uint64) *big.Int {
		return new(big.Int).Mul(big.NewInt(4*int64(time.Second)), new(big.Int).SetUint64(n-1))
	}
	require.True(t, epoch(specMaxEpoch).IsInt64(), "longest epoch fits")
	require.False(t, epoch(specMaxEpoch+1).IsInt64(), "one block more overflows")

	keys := make([]blockchain.PublicKey, blockchain.MaxPoASigners+1)
	for i := range keys {
		binary.BigEndian.PutUint16(keys[i][:], uint16(i))
	}
	pow := blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{Bits: 12}}
	poa := blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{Signers: []blockchain.PublicKey{specKeyZero}}}
	fixed := func(edit func(*blockchain.ChainSpec)) blockchain.ChainSpec { return specEdit(specFixed(), edit) }

	for _, tc := range []struct {
		name  string
		spec  blockchain.ChainSpec
		field string
	}{
		{"zero spec", blockchain.ChainSpec{}, "chainId"},
		{"empty chain id", fixed(func(s *blockchain.ChainSpec) { s.ChainID = "" }), "chainId"},
		{"33-byte chain id", fixed(func(s *blockchain.ChainSpec) { s.ChainID = strings.Repeat("a", 33) }), "chainId"},
		{"upper case", fixed(func(s *blockchain.ChainSpec) { s.ChainID = "Eventchain" }), "chainId"},
		{"starts with a digit", fixed(func(s *blockchain.ChainSpec) { s.ChainID = "1chain" }), "chainId"},
		{"starts with a dash", fixed(func(s *blockchain.ChainSpec) { s.ChainID = "-chain" }), "chainId"},
		{"underscore", fixed(func(s *blockchain.ChainSpec) { s.ChainID = "event_chain" }), "chainId"},
		{"space", fixed(func(s *blockchain.ChainSpec) { s.ChainID = "event chain" }), "chainId"},
		{"not ASCII", fixed(func(s *blockchain.ChainSpec) { s.ChainID = "événement" }), "chainId"},
		{"invalid UTF-8", fixed(func(s *blockchain.ChainSpec) { s.ChainID = "chain\xff" }), "chainId"},

		{"zero address", fixed(func(s *blockchain.ChainSpec) { s.Alloc[0].Address = blockchain.Address{} }), "alloc[0].address"},
		{"unsorted", fixed(func(s *blockchain.ChainSpec) {
			s.Alloc = []blockchain.Allocation{{Address: specAddrRange, Balance: 1}, {Address: specAddrZero, Balance: 1}}
		}), "alloc[1].address"},
		{"address twice", fixed(func(s *blockchain.ChainSpec) {
			s.Alloc = []blockchain.Allocation{{Address: specAddrZero, Balance: 1}, {Address: specAddrZero, Balance: 2}}
		}), "alloc[1].address"},
		{"balance 0", fixed(func(s *blockchain.ChainSpec) { s.Alloc[0].Balance = 0 }), "alloc[0].balance"},
		{"negative balance", fixed(func(s *blockchain.ChainSpec) {
			s.Alloc = []blockchain.Allocation{{Address: specAddrZero, Balance: 1}, {Address: specAddrRange, Balance: -1}}
		}), "alloc[1].balance"},
		{"balance above MaxAmount", fixed(func(s *blockchain.ChainSpec) { s.Alloc[0].Balance = blockchain.MaxAmount + 1 }), "alloc[0].balance"},
		{"allocations overflow", fixed(func(s *blockchain.ChainSpec) { s.Alloc = specManyAlloc(1025) }), "alloc[1024].balance"},

		{"negative reward", fixed(func(s *blockchain.ChainSpec) { s.BlockReward = -1 }), "blockReward"},
		{"reward above MaxAmount", fixed(func(s *blockchain.ChainSpec) { s.BlockReward = blockchain.MaxAmount + 1 }), "blockReward"},
		{"reward overflows the supply", fixed(func(s *blockchain.ChainSpec) {
			s.Alloc = specManyAlloc(1024)
			s.BlockReward = 1024
		}), "blockReward"},

		{"no engine", fixed(func(s *blockchain.ChainSpec) { s.Consensus.Engine = "" }), "consensus.engine"},
		{"unknown engine", fixed(func(s *blockchain.ChainSpec) { s.Consensus.Engine = "pos" }), "consensus.engine"},
		{"engine in upper case", fixed(func(s *blockchain.ChainSpec) { s.Consensus.Engine = "PoW" }), "consensus.engine"},
		{"pow without parameters", fixed(func(s *blockchain.ChainSpec) { s.Consensus.PoW = nil }), "consensus.pow"},
		{"pow with poa parameters", fixed(func(s *blockchain.ChainSpec) { s.Consensus.PoA = poa.PoA }), "consensus.poa"},
		{"poa without parameters", fixed(func(s *blockchain.ChainSpec) { s.Consensus = poa; s.Consensus.PoA = nil }), "consensus.poa"},
		{"poa with pow parameters", fixed(func(s *blockchain.ChainSpec) { s.Consensus = poa; s.Consensus.PoW = pow.PoW }), "consensus.pow"},

		{"bits 257", specNoRetarget(func(p *blockchain.PoWSpec) { p.Bits = 257 }), "consensus.pow.bits"},
		{"retarget interval 1", specNoRetarget(func(p *blockchain.PoWSpec) { p.RetargetInterval = 1 }), "consensus.pow.retargetInterval"},
		{"fixed with a target time", specNoRetarget(func(p *blockchain.PoWSpec) { p.TargetBlockTime = time.Second }), "consensus.pow.targetBlockTimeMs"},
		{"fixed with a negative target time", specNoRetarget(func(p *blockchain.PoWSpec) { p.TargetBlockTime = -time.Second }), "consensus.pow.targetBlockTimeMs"},
		{"fixed with min bits", specNoRetarget(func(p *blockchain.PoWSpec) { p.MinBits = 1 }), "consensus.pow.minBits"},
		{"fixed with max bits", specNoRetarget(func(p *blockchain.PoWSpec) { p.MaxBits = 64 }), "consensus.pow.maxBits"},
		{"target not whole ms", specRetarget(func(p *blockchain.PoWSpec) { p.TargetBlockTime = 1500 * time.Microsecond }), "consensus.pow.targetBlockTimeMs"},
		{"retarget without target time", specRetarget(func(p *blockchain.PoWSpec) { p.TargetBlockTime = 0 }), "consensus.pow.targetBlockTimeMs"},
		{"negative target time", specRetarget(func(p *blockchain.PoWSpec) { p.TargetBlockTime = -time.Second }), "consensus.pow.targetBlockTimeMs"},
		{"target time overflows", specRetarget(func(p *blockchain.PoWSpec) {
			p.TargetBlockTime = math.MaxInt64 / 4 * 3 / time.Millisecond * time.Millisecond
		}), "consensus.pow.targetBlockTimeMs"},
		{"epoch overflows", specRetarget(func(p *blockchain.PoWSpec) { p.TargetBlockTime, p.RetargetInterval = time.Second, specMaxEpoch+1 }), "consensus.pow.retargetInterval"},
		{"largest interval", specRetarget(func(p *blockchain.PoWSpec) { p.RetargetInterval = math.MaxUint64 }), "consensus.pow.retargetInterval"},
		{"min bits 0", specRetarget(func(p *blockchain.PoWSpec) { p.MinBits = 0 }), "consensus.pow.minBits"},
		{"min bits 257", specRetarget(func(p *blockchain.PoWSpec) { p.MinBits = 257 }), "consensus.pow.minBits"},
		{"max bits below min bits", specRetarget(func(p *blockchain.PoWSpec) { p.MinBits, p.MaxBits = 20, 19 }), "consensus.pow.maxBits"},
		{"max bits 257", specRetarget(func(p *blockchain.PoWSpec) { p.MaxBits = 257 }), "consensus.pow.maxBits"},
		{"bits below min bits", specRetarget(func(p *blockchain.PoWSpec) { p.Bits = 7 }), "consensus.pow.bits"},
		{"bits above max bits", specRetarget(func(p *blockchain.PoWSpec) { p.Bits = 25 }), "consensus.pow.bits"},

		{"no signers", specEdit(specGoldenPoA(), func(s *blockchain.ChainSpec) { s.Consensus.PoA.Signers = nil }), "consensus.poa.signers"},
		{"257 signers", specEdit(specGoldenPoA(), func(s *blockchain.ChainSpec) { s.Consensus.PoA.Signers = keys }), "consensus.poa.signers"},
		{"signer twice", specEdit(specGoldenPoA(), func(s *blockchain.ChainSpec) {
			s.Consensus.PoA.Signers = []blockchain.PublicKey{specKeyAlice, specKeyZero, specKeyAlice}
		}), "consensus.poa.signers[2]"},
		{"a signer of small order: the all-zero key", specEdit(specGoldenPoA(), func(s *blockchain.ChainSpec) {
			s.Consensus.PoA.Signers = []blockchain.PublicKey{specKeyAlice, {}}
		}), "consensus.poa.signers[1]"},
		{"a signer of small order: the identity", specEdit(specGoldenPoA(), func(s *blockchain.ChainSpec) {
			s.Consensus.PoA.Signers = []blockchain.PublicKey{{1}}
		}), "consensus.poa.signers[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			require.Error(t, err)
			var se *blockchain.SpecError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.field, se.Field, "field of %v", err)
			assert.ErrorIs(t, err, blockchain.ErrInvalidSpec)
			assert.NotErrorIs(t, err, blockchain.ErrMalformed)
			assert.True(t, strings.HasPrefix(err.Error(), "chain spec: "+tc.field+": invalid value: "), "message %q", err)
			assert.NotContains(t, err.Error(), "\n")

			// An invalid spec has no encoding, no JSON form and no hash.
			_, err = tc.spec.MarshalBinary()
			assert.ErrorIs(t, err, blockchain.ErrInvalidSpec, "MarshalBinary")
			_, err = tc.spec.MarshalJSON()
			assert.ErrorIs(t, err, blockchain.ErrInvalidSpec, "MarshalJSON")
			assert.True(t, tc.spec.Hash().IsZero(), "Hash")
		})
	}
}

func TestSpecErrorMessage(t *testing.T) {
	err := specRetarget(func(p *blockchain.PoWSpec) { p.Bits = 300 }).Validate()
	assert.EqualError(t, err, "chain spec: consensus.pow.bits: invalid value: have 300, want 0…256")

	var spec blockchain.ChainSpec
	err = spec.UnmarshalBinary(nil)
	assert.EqualError(t, err, "chain spec: malformed encoding: the input is empty")
}

// A specWire writes an encoding field by field, so that a test can write
// what MarshalBinary never would.
type specWire []byte

func (w specWire) u8(v byte) specWire    { return append(w, v) }
func (w specWire) u32(v uint32) specWire { return binary.BigEndian.AppendUint32(w, v) }
func (w specWire) u64(v uint64) specWire { return binary.BigEndian.AppendUint64(w, v) }
func (w specWire) str(s string) specWire { return append(w.u8(byte(len(s))), s...) }
func (w specWire) raw(b ...byte) specWire {
	return append(w, b...)
}

// specWireHead writes a version 1 encoding up to the engine: chain ID
// "devnet", block reward 50, the given allocations.
func specWireHead(alloc ...blockchain.Allocation) specWire {
	w := specWire{}.u8(1).str("devnet").u64(50).u32(uint32(len(alloc)))
	for _, a := range alloc {
		w = w.raw(a.Address[:]...).u64(uint64(a.Balance))
	}
	return w
}

// specWirePoW writes proof-of-work parameters.
func (w specWire) pow(bits uint32, interval, targetMs uint64, minBits, maxBits uint32) specWire {
	return w.str("pow").u32(bits).u64(interval).u64(targetMs).u32(minBits).u32(maxBits)
}

func TestChainSpecBinaryRejects(t *testing.T) {
	one := blockchain.Allocation{Address: specAddrZero, Balance: 100}
	valid := specWireHead(one).pow(12, 0, 0, 0, 0)
	{ // the wire writer writes what MarshalBinary does
		enc, err := specFixed().MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, hex.EncodeToString(enc), hex.EncodeToString(valid))
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		want  error
		field string
	}{
		{"empty", nil, blockchain.ErrMalformed, ""},
		{"version 0", append(specWire{0}, valid[1:]...), blockchain.ErrMalformed, ""},
		{"version 2", append(specWire{2}, valid[1:]...), blockchain.ErrMalformed, ""},
		{"version only", specWire{1}, blockchain.ErrMalformed, "chainId"},
		{"trailing byte", valid.u8(0), blockchain.ErrMalformed, ""},
		{"chain id runs past the end", specWire{}.u8(1).u8(200).raw([]byte("devnet")...), blockchain.ErrMalformed, "chainId"},
		{"no block reward", specWire{}.u8(1).str("devnet").raw(0, 0, 0), blockchain.ErrMalformed, "blockReward"},
		{"alloc count past the end", specWire{}.u8(1).str("devnet").u64(50).u32(3).raw(valid[len(specWireHead()):]...), blockchain.ErrMalformed, "alloc"},
		{"alloc count 2³²−1", specWire{}.u8(1).str("devnet").u64(50).u32(math.MaxUint32), blockchain.ErrMalformed, "alloc"},
		{"no engine", specWireHead(one), blockchain.ErrMalformed, "consensus.engine"},
		{"engine runs past the end", specWireHead(one).u8(9).raw([]byte("pow")...), blockchain.ErrMalformed, "consensus.engine"},
		{"unknown engine", specWireHead(one).str("pos").u32(12), blockchain.ErrMalformed, "consensus.engine"},
		{"empty engine", specWireHead(one).str(""), blockchain.ErrMalformed, "consensus.engine"},
		{"engine in upper case", specWireHead(one).str("POW").u32(12).u64(0).u64(0).u32(0).u32(0), blockchain.ErrMalformed, "consensus.engine"},
		{"pow parameters cut short", valid[:len(valid)-1], blockchain.ErrMalformed, "consensus.pow.maxBits"},
		{"target time beyond a Duration", specWireHead(one).pow(12, 10, math.MaxUint64, 8, 24), blockchain.ErrMalformed, "consensus.pow.targetBlockTimeMs"},
		{"signer count 2³²−1", specWireHead(one).str("poa").u32(math.MaxUint32).raw(specKeyZero[:]...), blockchain.ErrMalformed, "consensus.poa.signers"},
		{"signer cut short", specWireHead(one).str("poa").u32(1).raw(specKeyZero[:31]...), blockchain.ErrMalformed, "consensus.poa.signers"},

		// Well formed, but against the rules.
		{"empty chain id", specWire{}.u8(1).str("").u64(50).u32(0).pow(12, 0, 0, 0, 0), blockchain.ErrInvalidSpec, "chainId"},
		{"chain id in upper case", specWire{}.u8(1).str("DEVNET").u64(50).u32(0).pow(12, 0, 0, 0, 0), blockchain.ErrInvalidSpec, "chainId"},
		{"negative reward", specWire{}.u8(1).str("devnet").u64(math.MaxUint64).u32(0).pow(12, 0, 0, 0, 0), blockchain.ErrInvalidSpec, "blockReward"},
		{"unsorted alloc", specWireHead(blockchain.Allocation{Address: specAddrRange, Balance: 1}, one).pow(12, 0, 0, 0, 0), blockchain.ErrInvalidSpec, "alloc[1].address"},
		{"zero balance", specWireHead(blockchain.Allocation{Address: specAddrRange}).pow(12, 0, 0, 0, 0), blockchain.ErrInvalidSpec, "alloc[0].balance"},
		{"bits 300", specWireHead(one).pow(300, 0, 0, 0, 0), blockchain.ErrInvalidSpec, "consensus.pow.bits"},
		{"min bits without retargeting", specWireHead(one).pow(12, 0, 0, 1, 0), blockchain.ErrInvalidSpec, "consensus.pow.minBits"},
		{"no signers", specWireHead(one).str("poa").u32(0), blockchain.ErrInvalidSpec, "consensus.poa.signers"},
		{"signer twice", specWireHead(one).str("poa").u32(2).raw(specKeyZero[:]...).raw(specKeyZero[:]...), blockchain.ErrInvalidSpec, "consensus.poa.signers[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := specGoldenPoA()
			err := spec.UnmarshalBinary(tc.data)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			var se *blockchain.SpecError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.field, se.Field, "field of %v", err)
			assert.Equal(t, specGoldenPoA(), spec, "unchanged on error")
		})
	}
}

// Every encoding cut short is refused, and so is every one with a byte
// added anywhere.
func TestChainSpecBinaryRejectsEveryPrefix(t *testing.T) {
	for _, g := range specGolden {
		enc, err := hex.DecodeString(g.encoding)
		require.NoError(t, err)
		for n := range len(enc) {
			var spec blockchain.ChainSpec
			err := spec.UnmarshalBinary(enc[:n])
			require.ErrorIs(t, err, blockchain.ErrMalformed, "%s: the first %d bytes", g.name, n)
		}
		for i := range len(enc) + 1 {
			longer := append(append(append([]byte(nil), enc[:i]...), 0), enc[i:]...)
			var spec blockchain.ChainSpec
			err := spec.UnmarshalBinary(longer)
			if err == nil { // a zero byte added into a balance or key can make another valid spec
				again, _ := spec.MarshalBinary()
				require.Equal(t, longer, again, "%s: a zero at %d", g.name, i)
				continue
			}
			require.True(t, errors.Is(err, blockchain.ErrMalformed) || errors.Is(err, blockchain.ErrInvalidSpec), "%s: a zero at %d: %v", g.name, i, err)
		}
	}
}

// A hostile count costs no allocation of its size: decoding an encoding
// that claims 2³²−1 allocations (120 GB of them) allocates almost nothing.
func TestChainSpecHostileCountAllocatesLittle(t *testing.T) {
	data := specWire{}.u8(1).str("devnet").u64(50).u32(math.MaxUint32).raw(make([]byte, 64)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		var spec blockchain.ChainSpec
		require.ErrorIs(t, spec.UnmarshalBinary(data), blockchain.ErrMalformed)
	}
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated by 100 decodes")
}

func TestChainSpecJSONRejects(t *testing.T) {
	valid := specGolden[0].json
	poaJSON := specGolden[1].json
	edit := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			panic("no " + old + " in " + s)
		}
		return strings.Replace(s, old, new, 1)
	}
	withPoW := func(members string) string {
		return `{"chainId":"devnet","blockReward":0,"alloc":{},"consensus":{"engine":"pow","pow":{` + members + `}}}`
	}
	const addr = "ec7ca990faae94a9207a1535341bb940c440318975ba742c4a"
	withAlloc := func(members string) string {
		return `{"chainId":"devnet","blockReward":0,"alloc":{` + members + `},"consensus":{"engine":"pow","pow":{"bits":1}}}`
	}
	for _, tc := range []struct {
		name  string
		json  string
		want  error
		field string
	}{
		{"empty", ``, blockchain.ErrMalformed, ""},
		{"white space", " \n\t", blockchain.ErrMalformed, ""},
		{"null", `null`, blockchain.ErrMalformed, ""},
		{"array", `[]`, blockchain.ErrMalformed, ""},
		{"string", `"devnet"`, blockchain.ErrMalformed, ""},
		{"empty object", `{}`, blockchain.ErrMalformed, "chainId"},
		{"trailing object", valid + ` {}`, blockchain.ErrMalformed, ""},
		{"trailing text", valid + `x`, blockchain.ErrMalformed, ""},
		{"trailing NBSP", valid + "\u00a0", blockchain.ErrMalformed, ""},
		{"cut short", valid[:len(valid)-1], blockchain.ErrMalformed, ""},
		{"comment", "// genesis\n" + valid, blockchain.ErrMalformed, ""},
		{"byte order mark", "\ufeff" + valid, blockchain.ErrMalformed, ""},
		{"trailing comma", edit(valid, `"blockReward":50,`, `"blockReward":50,,`), blockchain.ErrMalformed, ""},

		{"unknown member", edit(valid, `{"chainId"`, `{"comment":"hi","chainId"`), blockchain.ErrMalformed, "comment"},
		{"unknown nested member", edit(valid, `"bits":18`, `"bits":18,"difficulty":3`), blockchain.ErrMalformed, "consensus.pow.difficulty"},
		{"mis-cased member", edit(valid, `"chainId"`, `"chainID"`), blockchain.ErrMalformed, "chainID"},
		{"mis-cased nested member", edit(valid, `"minBits"`, `"MinBits"`), blockchain.ErrMalformed, "consensus.pow.MinBits"},
		{"repeated member", edit(valid, `"blockReward":50`, `"blockReward":50,"blockReward":50`), blockchain.ErrMalformed, "blockReward"},
		{"repeated nested member", edit(valid, `"bits":18`, `"bits":18,"bits":18`), blockchain.ErrMalformed, "consensus.pow.bits"},
		{"repeated address", withAlloc(`"` + addr + `":1,"` + addr + `":2`), blockchain.ErrMalformed, "alloc." + addr},
		{"missing chain id", edit(valid, `"chainId":"eventchain-devnet",`, ``), blockchain.ErrMalformed, "chainId"},
		{"missing block reward", edit(valid, `"blockReward":50,`, ``), blockchain.ErrMalformed, "blockReward"},
		{"missing alloc", `{"chainId":"devnet","blockReward":0,"consensus":{"engine":"pow","pow":{"bits":1}}}`, blockchain.ErrMalformed, "alloc"},
		{"missing consensus", `{"chainId":"devnet","blockReward":0,"alloc":{}}`, blockchain.ErrMalformed, "consensus"},
		{"missing engine", edit(valid, `"engine":"pow",`, ``), blockchain.ErrMalformed, "consensus.engine"},
		{"missing bits", withPoW(``), blockchain.ErrMalformed, "consensus.pow.bits"},
		{"missing signers", `{"chainId":"devnet","blockReward":0,"alloc":{},"consensus":{"engine":"poa","poa":{}}}`, blockchain.ErrMalformed, "consensus.poa.signers"},

		{"null chain id", edit(valid, `"eventchain-devnet"`, `null`), blockchain.ErrMalformed, "chainId"},
		{"null alloc", `{"chainId":"devnet","blockReward":0,"alloc":null,"consensus":{"engine":"pow","pow":{"bits":1}}}`, blockchain.ErrMalformed, "alloc"},
		{"null balance", withAlloc(`"` + addr + `":null`), blockchain.ErrMalformed, "alloc." + addr},
		{"null parameters", edit(valid, `"pow":{"bits":18,"retargetInterval":10,"targetBlockTimeMs":5000,"minBits":8,"maxBits":24}`, `"pow":null`), blockchain.ErrMalformed, "consensus.pow"},
		{"null signer", edit(poaJSON, `"signers":["`, `"signers":[null,"`), blockchain.ErrMalformed, "consensus.poa.signers[0]"},

		{"number as a string", edit(valid, `"blockReward":50`, `"blockReward":"50"`), blockchain.ErrMalformed, "blockReward"},
		{"fraction", edit(valid, `"blockReward":50`, `"blockReward":50.0`), blockchain.ErrMalformed, "blockReward"},
		{"exponent", edit(valid, `"blockReward":50`, `"blockReward":5e1`), blockchain.ErrMalformed, "blockReward"},
		{"beyond int64", edit(valid, `"blockReward":50`, `"blockReward":9223372036854775808`), blockchain.ErrMalformed, "blockReward"},
		{"huge exponent", edit(valid, `"blockReward":50`, `"blockReward":1e400`), blockchain.ErrMalformed, "blockReward"},
		{"leading zero", edit(valid, `"blockReward":50`, `"blockReward":050`), blockchain.ErrMalformed, ""},
		{"boolean", edit(valid, `"blockReward":50`, `"blockReward":true`), blockchain.ErrMalformed, "blockReward"},
		{"negative bits", withPoW(`"bits":-1`), blockchain.ErrMalformed, "consensus.pow.bits"},
		{"bits beyond uint32", withPoW(`"bits":4294967296`), blockchain.ErrMalformed, "consensus.pow.bits"},
		{"interval beyond uint64", withPoW(`"bits":1,"retargetInterval":18446744073709551616`), blockchain.ErrMalformed, "consensus.pow.retargetInterval"},
		{"target time beyond a Duration", withPoW(`"bits":1,"retargetInterval":2,"targetBlockTimeMs":9223372036855,"minBits":1,"maxBits":2`), blockchain.ErrMalformed, "consensus.pow.targetBlockTimeMs"},
		{"alloc as an array", `{"chainId":"devnet","blockReward":0,"alloc":[],"consensus":{"engine":"pow","pow":{"bits":1}}}`, blockchain.ErrMalformed, "alloc"},
		{"balance as a string", withAlloc(`"` + addr + `":"1"`), blockchain.ErrMalformed, "alloc." + addr},
		{"deep value", `{"chainId":` + strings.Repeat("[", 100000) + `}`, blockchain.ErrMalformed, "chainId"},
		{"signers as a string", `{"chainId":"devnet","blockReward":0,"alloc":{},"consensus":{"engine":"poa","poa":{"signers":"x"}}}`, blockchain.ErrMalformed, "consensus.poa.signers"},

		{"invalid UTF-8 in a value", edit(valid, `"eventchain-devnet"`, "\"devnet\xff\""), blockchain.ErrMalformed, "chainId"},
		{"invalid UTF-8 in a name", edit(valid, `{"chainId"`, "{\"\xff\":1,\"chainId\""), blockchain.ErrMalformed, ""},
		{"lone surrogate", edit(valid, `"eventchain-devnet"`, `"devnet\ud800"`), blockchain.ErrMalformed, "chainId"},
		{"control character", edit(valid, `"eventchain-devnet"`, "\"dev\x01net\""), blockchain.ErrMalformed, "chainId"},

		{"mistyped address", withAlloc(`"ec7ca990faae94a9207a1535341bb940c440318976ba742c4a":1`), blockchain.ErrAddressChecksum, "alloc"},
		{"address in upper case", withAlloc(`"EC7CA990FAAE94A9207A1535341BB940C440318975BA742C4A":1`), blockchain.ErrAddressPrefix, "alloc"},
		{"short address", withAlloc(`"ec7ca990":1`), blockchain.ErrAddressLength, "alloc"},
		{"signer in upper case", edit(poaJSON, `"3b6a27bcceb6a42d`, `"3B6A27BCCEB6A42D`), blockchain.ErrBadKey, "consensus.poa.signers[1]"},
		{"short signer", edit(poaJSON, `"3b6a27bcceb6a42d`, `"3b6a`), blockchain.ErrBadKey, "consensus.poa.signers[1]"},

		// Well formed, but against the rules.
		{"negative reward", edit(valid, `"blockReward":50`, `"blockReward":-1`), blockchain.ErrInvalidSpec, "blockReward"},
		{"chain id in upper case", edit(valid, `"eventchain-devnet"`, `"Eventchain"`), blockchain.ErrInvalidSpec, "chainId"},
		{"zero balance", withAlloc(`"` + addr + `":0`), blockchain.ErrInvalidSpec, "alloc[0].balance"},
		{"bits 300", withPoW(`"bits":300`), blockchain.ErrInvalidSpec, "consensus.pow.bits"},
		{"retargeting without bounds", withPoW(`"bits":18,"retargetInterval":10,"targetBlockTimeMs":5000`), blockchain.ErrInvalidSpec, "consensus.pow.minBits"},
		{"negative target time", withPoW(`"bits":1,"retargetInterval":2,"targetBlockTimeMs":-5,"minBits":1,"maxBits":2`), blockchain.ErrInvalidSpec, "consensus.pow.targetBlockTimeMs"},
		{"unknown engine", edit(valid, `"engine":"pow","pow":{"bits":18,"retargetInterval":10,"targetBlockTimeMs":5000,"minBits":8,"maxBits":24}`, `"engine":"pos"`), blockchain.ErrInvalidSpec, "consensus.engine"},
		{"engine without parameters", edit(valid, `,"pow":{"bits":18,"retargetInterval":10,"targetBlockTimeMs":5000,"minBits":8,"maxBits":24}`, ``), blockchain.ErrInvalidSpec, "consensus.pow"},
		{"both engines' parameters", edit(valid, `"engine":"pow",`, `"engine":"pow","poa":{"signers":["`+specKeyZero.String()+`"]},`), blockchain.ErrInvalidSpec, "consensus.poa"},
		{"signer twice", edit(poaJSON, `"03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"`, `"`+specKeyAlice.String()+`"`), blockchain.ErrInvalidSpec, "consensus.poa.signers[2]"},
		{"no signers", `{"chainId":"devnet","blockReward":0,"alloc":{},"consensus":{"engine":"poa","poa":{"signers":[]}}}`, blockchain.ErrInvalidSpec, "consensus.poa.signers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := specGoldenPoA()
			err := spec.UnmarshalJSON([]byte(tc.json))
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			if !errors.Is(tc.want, blockchain.ErrInvalidSpec) {
				assert.ErrorIs(t, err, blockchain.ErrMalformed)
			}
			var se *blockchain.SpecError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.field, se.Field, "field of %v", err)
			assert.Equal(t, specGoldenPoA(), spec, "unchanged on error")
			assert.Less(t, len(err.Error()), 400, "a short message: %s", err)
		})
	}
}

func TestChainSpecJSONErrorMessages(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"chainID":"devnet"}`, `chain spec: chainID: malformed encoding: unknown member (names are case-sensitive: want "chainId")`},
		{`{"chainId":"devnet","\u001b[2K\rok":1}`, `chain spec: "\x1b[2K\rok": malformed encoding: unknown member (want one of chainId, blockReward, alloc, consensus)`},
		{`{"chainId":"devnet","blockReward":1,"alloc":{},"consensus":{"po\u0007":1}}`, `chain spec: consensus."po\a": malformed encoding: unknown member (want one of engine, pow, poa)`},
		{`{"chainId":"devnet","blockReward":1.5}`, `chain spec: blockReward: malformed encoding: have 1.5, want an integer`},
		{`{"chainId":"devnet","alloc":{"ec7ca990faae94a9207a1535341bb940c440318976ba742c4a":1}}`,
			`chain spec: alloc: malformed encoding: parse address "ec7ca990faae94a9207a1535341bb940c440318976ba742c4a": address checksum does not match`},
		{`{"chainId":"devnet","chainId":"devnet"}`, `chain spec: chainId: malformed encoding: repeated member`},
		{"{\"chainId\":\"devnet\",\n \"blockReward\":050}", `chain spec: malformed encoding: invalid JSON at line 2, column 17 (after blockReward): invalid character '5' after object value (expecting ',' or '}')`},
		{`{"chainId":"devnet"`, `chain spec: malformed encoding: the JSON ends early, at line 1, column 20 (after chainId)`},
		{`nul`, `chain spec: malformed encoding: the JSON ends early, at line 1, column 4`},
		{`not json`, `chain spec: malformed encoding: invalid JSON at line 1, column 2: invalid character 'o' in literal null (expecting 'u')`},
		{`null`, `chain spec: malformed encoding: have null, want an object`},
		{`{"chainId":nonsense}`, `chain spec: chainId: malformed encoding: invalid JSON at line 1, column 13: invalid character 'o' in literal null (expecting 'u')`},
	} {
		var spec blockchain.ChainSpec
		assert.EqualError(t, spec.UnmarshalJSON([]byte(tc.json)), tc.want)
	}
}

func TestChainSpecDiff(t *testing.T) {
	base := specGoldenPoW()
	poa := specGoldenPoA()
	edit := func(e func(*blockchain.ChainSpec)) blockchain.ChainSpec { return specEdit(base, e) }
	extraAddr := blockchain.Address{0xff}
	for _, tc := range []struct {
		name        string
		have, want  blockchain.ChainSpec
		description string
	}{
		{"same", base, specGoldenPoW(), ""},
		{"nil and empty alloc are the same", edit(func(s *blockchain.ChainSpec) { s.Alloc = nil }), edit(func(s *blockchain.ChainSpec) { s.Alloc = []blockchain.Allocation{} }), ""},
		{"chain id", base, edit(func(s *blockchain.ChainSpec) { s.ChainID = "eventchain-testnet" }),
			`chainId: have "eventchain-devnet", want "eventchain-testnet"`},
		{"chain id before everything", base, specEdit(poa, func(s *blockchain.ChainSpec) { s.ChainID = "other" }),
			`chainId: have "eventchain-devnet", want "other"`},
		{"engine", base, specEdit(poa, func(s *blockchain.ChainSpec) { s.ChainID = base.ChainID }),
			`consensus.engine: have "pow", want "poa"`},
		{"bits", base, edit(func(s *blockchain.ChainSpec) { s.Consensus.PoW.Bits = 12 }), "consensus.pow.bits: have 18, want 12"},
		{"retarget interval", base, edit(func(s *blockchain.ChainSpec) { s.Consensus.PoW.RetargetInterval = 2016 }), "consensus.pow.retargetInterval: have 10, want 2016"},
		{"target time", base, edit(func(s *blockchain.ChainSpec) { s.Consensus.PoW.TargetBlockTime = 10 * time.Minute }), "consensus.pow.targetBlockTimeMs: have 5000, want 600000"},
		{"min bits", base, edit(func(s *blockchain.ChainSpec) { s.Consensus.PoW.MinBits = 1 }), "consensus.pow.minBits: have 8, want 1"},
		{"max bits", base, edit(func(s *blockchain.ChainSpec) { s.Consensus.PoW.MaxBits = 64 }), "consensus.pow.maxBits: have 24, want 64"},
		{"consensus before reward and alloc", base, edit(func(s *blockchain.ChainSpec) {
			s.Consensus.PoW.MaxBits, s.BlockReward, s.Alloc = 64, 1, nil
		}), "consensus.pow.maxBits: have 24, want 64"},
		{"reward", base, edit(func(s *blockchain.ChainSpec) { s.BlockReward = 25 }), "blockReward: have 50, want 25"},
		{"reward before alloc", base, edit(func(s *blockchain.ChainSpec) { s.BlockReward, s.Alloc = 25, nil }), "blockReward: have 50, want 25"},
		{"balance", base, edit(func(s *blockchain.ChainSpec) { s.Alloc[1].Balance = 999 }),
			"alloc: " + specAddrRange.String() + ": have 250, want 999"},
		{"address only have", base, edit(func(s *blockchain.ChainSpec) { s.Alloc = s.Alloc[1:] }),
			"alloc: " + specAddrZero.String() + ": have 1000000, want absent"},
		{"address only want", base, edit(func(s *blockchain.ChainSpec) {
			s.Alloc = append(s.Alloc, blockchain.Allocation{Address: extraAddr, Balance: 5})
		}), "alloc: " + extraAddr.String() + ": have absent, want 5"},
		{"first address first", edit(func(s *blockchain.ChainSpec) { s.Alloc[1].Balance = 1 }), edit(func(s *blockchain.ChainSpec) { s.Alloc = s.Alloc[1:] }),
			"alloc: " + specAddrZero.String() + ": have 1000000, want absent"},
		{"signer", poa, specEdit(poa, func(s *blockchain.ChainSpec) { s.Consensus.PoA.Signers[1] = specKeyRange }),
			"consensus.poa.signers[1]: have " + specKeyZero.String() + ", want " + specKeyRange.String()},
		{"extra signer", poa, specEdit(poa, func(s *blockchain.ChainSpec) { s.Consensus.PoA.Signers = s.Consensus.PoA.Signers[:2] }),
			"consensus.poa.signers[2]: have " + specKeyRange.String() + ", want absent"},

		// Invalid specs still get a description.
		{"parameters missing", base, edit(func(s *blockchain.ChainSpec) { s.Consensus.PoW = nil }), "consensus.pow: have present, want absent"},
		{"stray parameters", base, edit(func(s *blockchain.ChainSpec) { s.Consensus.PoA = poa.Consensus.PoA }), "consensus.poa: have absent, want present"},
		{"chain id with a newline", base, edit(func(s *blockchain.ChainSpec) { s.ChainID = "a\nb" }), `chainId: have "eventchain-devnet", want "a\nb"`},
		{"target time not whole ms", base, edit(func(s *blockchain.ChainSpec) { s.Consensus.PoW.TargetBlockTime += time.Microsecond }),
			"consensus.pow.targetBlockTimeMs: have 5000, want 5.000001s"},
		{"unsorted alloc", base, edit(func(s *blockchain.ChainSpec) { s.Alloc[0], s.Alloc[1] = s.Alloc[1], s.Alloc[0] }),
			"alloc[0]: have " + specAddrZero.String() + " 1000000, want " + specAddrRange.String() + " 250"},
		{"address twice", base, edit(func(s *blockchain.ChainSpec) { s.Alloc = append(s.Alloc, s.Alloc[1]) }),
			"alloc: " + specAddrRange.String() + ": have absent, want 250"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.have.Diff(tc.want)
			assert.Equal(t, tc.description, got)
			assert.NotContains(t, got, "\n", "one line")
			assert.Equal(t, got == "", tc.want.Diff(tc.have) == "", "symmetric")
			named := tc.have.DiffNamed(tc.want, "yours", "the log's")
			assert.Equal(t, strings.Replace(strings.Replace(tc.description, ": have ", ": yours ", 1), ", want ", ", the log's ", 1), named,
				"DiffNamed is Diff with the names given")
		})
	}
}

// For valid specs, Diff is "" exactly when the hashes are equal.
func TestChainSpecDiffIsHashEquality(t *testing.T) {
	var specs []blockchain.ChainSpec
	for _, s := range specCases() {
		specs = append(specs, s)
	}
	specs = append(specs,
		specEdit(specGoldenPoW(), func(s *blockchain.ChainSpec) { s.ChainID = "eventchain-devnet2" }),
		specEdit(specGoldenPoW(), func(s *blockchain.ChainSpec) { s.Alloc[0].Balance++ }),
		specEdit(specGoldenPoW(), func(s *blockchain.ChainSpec) { s.BlockReward++ }),
		specEdit(specGoldenPoA(), func(s *blockchain.ChainSpec) {
			k := s.Consensus.PoA.Signers
			k[0], k[1] = k[1], k[0]
		}),
	)
	for i, a := range specs {
		require.NoError(t, a.Validate())
		for j, b := range specs {
			same := a.Diff(b) == ""
			assert.Equal(t, i == j, same, "%d vs %d: %s", i, j, a.Diff(b))
			assert.Equal(t, same, a.Hash() == b.Hash(), "%d vs %d", i, j)
		}
	}
}

// checkSpecDecodeError fails unless err is a *SpecError wrapping one of
// the two sentinels a decoder documents.
func checkSpecDecodeError(t *testing.T, err error) {
	t.Helper()
	var se *blockchain.SpecError
	if !errors.As(err, &se) || !errors.Is(err, blockchain.ErrMalformed) && !errors.Is(err, blockchain.ErrInvalidSpec) {
		t.Fatalf("undocumented decode error %T: %v", err, err)
	}
}

// checkSpecCanonical fails unless spec is valid and its binary and JSON
// forms both decode back to it.
func checkSpecCanonical(t *testing.T, spec blockchain.ChainSpec) []byte {
	t.Helper()
	if err := spec.Validate(); err != nil {
		t.Fatalf("decoded an invalid spec: %v", err)
	}
	enc, err := spec.MarshalBinary()
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	js, err := spec.MarshalJSON()
	if err != nil {
		t.Fatalf("re-encode JSON: %v", err)
	}
	var fromJSON, fromBin blockchain.ChainSpec
	if err := fromJSON.UnmarshalJSON(js); err != nil {
		t.Fatalf("decode own JSON %s: %v", js, err)
	}
	if err := fromBin.UnmarshalBinary(enc); err != nil {
		t.Fatalf("decode own encoding %x: %v", enc, err)
	}
	if d := spec.Diff(fromJSON); d != "" {
		t.Fatalf("JSON round trip changed the spec: %s", d)
	}
	if d := spec.Diff(fromBin); d != "" {
		t.Fatalf("binary round trip changed the spec: %s", d)
	}
	if spec.Hash().IsZero() {
		t.Fatal("a valid spec has the zero hash")
	}
	return enc
}

// The fuzz targets feed the decoders arbitrary bytes: whatever comes in,
// a decoder returns a valid spec or a *SpecError wrapping ErrMalformed or
// ErrInvalidSpec, never panics; and what it decodes encodes back to the
// bytes it read (binary) or to the same canonical bytes (JSON).
//
//	go test ./blockchain -run '^$' -fuzz FuzzChainSpecBinary -fuzztime 1m
func FuzzChainSpecBinary(f *testing.F) {
	for _, g := range specGolden {
		enc, _ := hex.DecodeString(g.encoding)
		f.Add(enc)
	}
	f.Add([]byte(specWireHead().pow(0, 0, 0, 0, 0)))
	f.Add([]byte(specWireHead().str("poa").u32(1).raw(specKeyZero[:]...)))
	f.Fuzz(func(t *testing.T, data []byte) {
		var spec blockchain.ChainSpec
		if err := spec.UnmarshalBinary(data); err != nil {
			checkSpecDecodeError(t, err)
			return
		}
		if enc := checkSpecCanonical(t, spec); !bytes.Equal(enc, data) {
			t.Fatalf("not canonical: read %x, wrote %x", data, enc)
		}
	})
}

// go test ./blockchain -run '^$' -fuzz FuzzChainSpecJSON -fuzztime 1m
func FuzzChainSpecJSON(f *testing.F) {
	for _, g := range specGolden {
		f.Add([]byte(g.json))
	}
	f.Add([]byte(`{"chainId":"a","blockReward":0,"alloc":{},"consensus":{"engine":"pow","pow":{"bits":0}}}`))
	f.Add([]byte(` {"consensus":{"engine":"poa","poa":{"signers":["3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"]}},"alloc":{},"blockReward":1,"chainId":"x"} `))
	f.Fuzz(func(t *testing.T, data []byte) {
		var spec blockchain.ChainSpec
		if err := spec.UnmarshalJSON(data); err != nil {
			checkSpecDecodeError(t, err)
			return
		}
		enc := checkSpecCanonical(t, spec)
		var again blockchain.ChainSpec // the same JSON decodes to the same canonical bytes
		if err := again.UnmarshalJSON(data); err != nil {
			t.Fatalf("second decode: %v", err)
		}
		if enc2, _ := again.MarshalBinary(); !bytes.Equal(enc, enc2) {
			t.Fatalf("two decodes of %q differ: %x, %x", data, enc, enc2)
		}
	})
}

// A network is defined by a chain spec: read it from a genesis file,
// check it, and compare it with another.
func ExampleChainSpec() {
	genesis := `{
		"chainId": "eventchain-devnet",
		"blockReward": 50,
		"alloc": {
			"eccce84c33fc257c057135c5a4c7218b85ea1b54797fef5bad": 250,
			"ec7ca990faae94a9207a1535341bb940c440318975ba742c4a": 1000000
		},
		"consensus": {"engine": "pow", "pow": {"bits": 18}}
	}`
	var spec blockchain.ChainSpec
	if err := json.Unmarshal([]byte(genesis), &spec); err != nil {
		panic(err)
	}
	fmt.Println("first allocation:", spec.Alloc[0].Address.Short(), spec.Alloc[0].Balance)
	fmt.Println("hash:", spec.Hash().Short())

	// Another node was started with an easier difficulty.
	var other blockchain.ChainSpec
	if err := json.Unmarshal([]byte(strings.Replace(genesis, `"bits": 18`, `"bits": 12`, 1)), &other); err != nil {
		panic(err)
	}
	fmt.Println("differs:", other.Diff(spec))

	// A mistyped address is caught by its checksum.
	typo := strings.Replace(genesis, "ec7ca990", "ec7ca999", 1)
	err := json.Unmarshal([]byte(typo), &other)
	fmt.Println("typo is a checksum error:", errors.Is(err, blockchain.ErrAddressChecksum))

	// A spec that breaks a rule names the field.
	err = json.Unmarshal([]byte(strings.Replace(genesis, `"bits": 18`, `"bits": 300`, 1)), &other)
	var se *blockchain.SpecError
	if errors.As(err, &se) {
		fmt.Println("invalid:", se.Field, errors.Is(err, blockchain.ErrInvalidSpec))
	}
	// Output:
	// first allocation: ec7ca990fa 1000000
	// hash: 12bd4d3a1230
	// differs: consensus.pow.bits: have 12, want 18
	// typo is a checksum error: true
	// invalid: consensus.pow.bits true
}
