package pow

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

func mustNew(tb testing.TB, cfg Config) *Engine {
	tb.Helper()
	e, err := New(cfg)
	require.NoError(tb, err)
	return e
}

func hardHeader(h *blockchain.Header) { h.Bits = blockchain.HashSize * 8 }

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		// One worker seals deterministically: every run checks the same blocks.
		{"fixed difficulty, one worker", Config{Bits: 16, Workers: 1}},
		{"fixed difficulty, all cores", Config{Bits: 16}},
		{"retargeting, one worker", Config{Bits: 16, Workers: 1, RetargetInterval: 2, TargetBlockTime: time.Second, MinBits: 12, MaxBits: 20}},
		// A changed header meets a target of a few bits by chance (at one
		// bit, half of them do): the suite must still pass a correct engine.
		{"one bit", Config{Bits: 1, Workers: 1}},
		{"two bits", Config{Bits: 2, Workers: 1}},
		{"three bits", Config{Bits: 3, Workers: 1}},
		{"four bits", Config{Bits: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			consensustest.Run(t, func(tb testing.TB) blockchain.Consensus { return mustNew(tb, tc.cfg) },
				consensustest.WithHardHeader(hardHeader))
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"negative workers", Config{Workers: -1}, "Workers"},
		{"bits over 256", Config{Bits: 257}, "Bits"},
		{"interval of one", Config{RetargetInterval: 1, TargetBlockTime: time.Second}, "RetargetInterval"},
		{"retarget without target time", Config{Bits: 8, RetargetInterval: 10}, "TargetBlockTime"},
		{"min above max", Config{Bits: 8, RetargetInterval: 10, TargetBlockTime: time.Second, MinBits: 9, MaxBits: 8}, "MinBits"},
		{"max over 256", Config{Bits: 8, RetargetInterval: 10, TargetBlockTime: time.Second, MaxBits: 300}, "MinBits"},
		{"bits outside bounds", Config{Bits: 4, RetargetInterval: 10, TargetBlockTime: time.Second, MinBits: 8, MaxBits: 16}, "Bits"},
		// (3-1)·200 years·4 overflows a Duration: the epoch would look slow
		// however fast it was, and the difficulty would drop.
		{"retargeting that overflows", Config{Bits: 20, RetargetInterval: 3, TargetBlockTime: 200 * 365 * 24 * time.Hour, MinBits: 1, MaxBits: 64}, "retargeting arithmetic overflows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, e)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	e := mustNew(t, Config{Bits: 8})
	cfg := e.Config()
	assert.Equal(t, runtime.GOMAXPROCS(0), cfg.Workers)
	assert.Equal(t, ^uint64(0), cfg.MaxNonce)
	assert.Equal(t, uint32(1), cfg.MinBits)
	assert.Equal(t, uint32(64), cfg.MaxBits)
}

var _ blockchain.SpecEngine = (*Engine)(nil)

// TestConsensusSpec: the engine of a spec's proof of work (SpecConfig)
// says it runs that spec's consensus, to the field, so NewChain takes it
// for that spec; and what it says is a consensus a spec may declare.
func TestConsensusSpec(t *testing.T) {
	for _, p := range []blockchain.PoWSpec{
		*consensustest.Spec().Consensus.PoW,
		{Bits: 16},
		{Bits: blockchain.MaxPoWBits},
		{Bits: 12, RetargetInterval: 10, TargetBlockTime: time.Minute, MinBits: 4, MaxBits: 20},
		{Bits: 1, RetargetInterval: 2, TargetBlockTime: time.Millisecond, MinBits: 1, MaxBits: blockchain.MaxPoWBits},
	} {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			spec := consensustest.Spec()
			spec.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &p}
			require.NoError(t, spec.Validate(), "precondition: a valid spec")
			e := mustNew(t, SpecConfig(p, 1))
			got := e.ConsensusSpec()
			assert.Equal(t, spec.Consensus, got)
			spec.Consensus = got
			assert.NoError(t, spec.Validate())
			_, err := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: e})
			assert.NoError(t, err)
		})
	}
}

// epochChain returns headers from genesis to height n whose block k is
// timestamped at start + gap(k).
func epochChain(n int, bits uint32, at func(height int) time.Duration) blockchain.HeaderList {
	g := consensustest.Genesis().Header()
	view := blockchain.HeaderList{g}
	for i := 1; i <= n; i++ {
		view = append(view, blockchain.Header{Version: blockchain.HeaderVersion, Height: uint64(i), Bits: bits, Timestamp: g.Timestamp.Add(time.Hour + at(i))})
	}
	return view
}

func TestBitsAt(t *testing.T) {
	// Epochs of 5 blocks aiming at 10 s: an epoch's first to last block is
	// 4 gaps, expected to take 40 s.
	const interval = 5
	cfg := Config{Bits: 10, Workers: 1, RetargetInterval: interval, TargetBlockTime: 10 * time.Second, MinBits: 8, MaxBits: 12}
	every := func(d time.Duration) func(int) time.Duration {
		return func(h int) time.Duration { return time.Duration(h) * d }
	}
	for _, tc := range []struct {
		name   string
		cfg    Config
		view   blockchain.HeaderList
		height uint64
		want   uint32
	}{
		{"no retargeting: always Bits", Config{Bits: 7}, epochChain(30, 7, every(time.Millisecond)), 31, 7},
		{"first epoch: Bits", cfg, epochChain(3, 10, every(time.Second)), 4, 10},
		{"last block of the first epoch: Bits", cfg, epochChain(4, 10, every(time.Second)), 5, 10},
		{"on target: unchanged", cfg, epochChain(5, 10, every(10*time.Second)), 6, 10},
		{"a bit fast (3/4 of the time): unchanged", cfg, epochChain(5, 10, every(7500*time.Millisecond)), 6, 10},
		{"twice as fast: one bit more", cfg, epochChain(5, 10, every(5*time.Second)), 6, 11},
		{"four times as fast: two bits more", cfg, epochChain(5, 10, every(2500*time.Millisecond)), 6, 12},
		{"all in the same millisecond: two bits more", cfg, epochChain(5, 10, every(0)), 6, 12},
		{"twice as slow: one bit less", cfg, epochChain(5, 10, every(20*time.Second)), 6, 9},
		{"four times as slow: two bits less", cfg, epochChain(5, 10, every(40*time.Second)), 6, 8},
		// 4·actual would pass the largest Duration: an epoch this long
		// must still count as slow, not wrap round to fast.
		{"an epoch of 80 years: two bits less", cfg, epochChain(5, 10, every(20*365*24*time.Hour)), 6, 8},
		{"an epoch of 160 years: two bits less", cfg, epochChain(5, 10, every(40*365*24*time.Hour)), 6, 8},
		{"clamped at MaxBits", cfg, epochChain(5, 12, every(0)), 6, 12},
		{"clamped at MinBits", cfg, epochChain(5, 8, every(time.Minute)), 6, 8},
		{"inside an epoch: the parent's bits", cfg, epochChain(7, 11, every(0)), 8, 11},
		{"second retarget looks at the second epoch only", cfg,
			epochChain(10, 11, func(h int) time.Duration {
				if h <= 5 {
					return 0 // the first epoch was instant …
				}
				return time.Duration(h) * 20 * time.Second // … the second twice as slow as the target
			}), 11, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustNew(t, tc.cfg)
			got, err := e.BitsAt(tc.view, tc.height)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)

			h := blockchain.Header{Height: tc.height, Seal: []byte{1}}
			require.NoError(t, e.Prepare(tc.view, &h))
			assert.Equal(t, tc.want, h.Bits, "Prepare must set what BitsAt returns")
			assert.Nil(t, h.Seal, "Prepare must clear the seal: proof of work makes none")
		})
	}
}

func TestBitsAtUnknownAncestor(t *testing.T) {
	e := mustNew(t, Config{Bits: 10, RetargetInterval: 5, TargetBlockTime: time.Second})
	full := epochChain(10, 10, func(h int) time.Duration { return time.Duration(h) * time.Second })
	for _, tc := range []struct {
		name   string
		view   blockchain.HeaderList
		height uint64
	}{
		{"parent missing", full[:3], 8},
		{"epoch start missing", full[8:], 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.BitsAt(tc.view, tc.height)
			assert.ErrorIs(t, err, blockchain.ErrUnknownAncestor)
		})
	}
}

func TestVerify(t *testing.T) {
	e := mustNew(t, Config{Bits: 12, Workers: 1})
	view := blockchain.HeaderList{consensustest.Genesis().Header()}
	h := blockchain.NextHeader(view.Tip(), nil, view.Tip().Timestamp.Add(time.Second))
	require.NoError(t, e.Prepare(view, &h))
	sealed, err := e.Seal(context.Background(), blockchain.NewBlock(h, nil))
	require.NoError(t, err)
	require.NoError(t, e.Verify(view, sealed))

	// A nonce that misses the target: search for one, deterministically.
	miss := sealed.Header()
	for miss.Nonce++; miss.SealHash().LeadingZeroBits() >= 12; miss.Nonce++ {
	}
	lowBits := sealed.Header()
	lowBits.Bits = 11
	// A seal added to a valid block: the nonce still meets the target,
	// since the seal hash leaves the seal out, but the block hash is not
	// the one the miner found.
	withSeal := sealed.Header()
	withSeal.Seal = []byte{0}
	require.Equal(t, sealed.SealHash(), withSeal.SealHash(), "precondition: the seal hash still meets the target")
	require.NotEqual(t, sealed.Hash(), withSeal.Hash(), "precondition: another block")

	for _, tc := range []struct {
		name string
		h    blockchain.Header
		want blockchain.ErrorCode
	}{
		{"seal hash misses the target", miss, blockchain.ErrInvalidSeal},
		{"bits not what the rules say", lowBits, blockchain.ErrBadConsensusFields},
		{"a seal proof of work never makes", withSeal, blockchain.ErrBadConsensusFields},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRuleError(t, e.Verify(view, blockchain.NewBlock(tc.h, nil)), tc.want)
		})
	}
}

// assertRuleError checks that err is a *blockchain.RuleError of code
// want, saying what it had and what it wanted.
func assertRuleError(t *testing.T, err error, want blockchain.ErrorCode) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, want)
	var re *blockchain.RuleError
	require.ErrorAs(t, err, &re)
	assert.NotEmpty(t, re.Have)
	assert.NotEmpty(t, re.Want)
}

// TestCheckSeal: what CheckSeal checks without the chain — the work the
// header's own Bits claim, Bits the engine could ever ask for, no Seal —
// and that it takes a block whose Bits only the chain shows are wrong
// (Verify refuses it).
func TestCheckSeal(t *testing.T) {
	fixed := mustNew(t, Config{Bits: 12, Workers: 1})
	retargeting := mustNew(t, Config{Bits: 12, Workers: 1, RetargetInterval: 10, TargetBlockTime: time.Second, MinBits: 10, MaxBits: 14})
	view := blockchain.HeaderList{consensustest.Genesis().Header()}
	// seal returns a block at height 1 with bits, its nonce searched for
	// deterministically.
	seal := func(bits uint32) *blockchain.Block {
		h := blockchain.NextHeader(view.Tip(), nil, view.Tip().Timestamp.Add(time.Second))
		h.Bits = bits
		for h.SealHash().LeadingZeroBits() < int(bits) {
			h.Nonce++
		}
		return blockchain.NewBlock(h, nil)
	}
	sealed := seal(12)
	miss := sealed.Header()
	for miss.Nonce++; miss.SealHash().LeadingZeroBits() >= 12; miss.Nonce++ {
	}
	withSeal := sealed.Header()
	withSeal.Seal = []byte{0}
	for _, tc := range []struct {
		name   string
		engine *Engine
		b      *blockchain.Block
		want   blockchain.ErrorCode // ErrUnknown: accepted
	}{
		{"sealed", fixed, sealed, blockchain.ErrUnknown},
		{"seal hash misses the target", fixed, blockchain.NewBlock(miss, nil), blockchain.ErrInvalidSeal},
		{"a seal proof of work never makes", fixed, blockchain.NewBlock(withSeal, nil), blockchain.ErrBadConsensusFields},
		{"fewer bits than the fixed difficulty", fixed, seal(11), blockchain.ErrBadConsensusFields},
		{"more bits than the fixed difficulty", fixed, seal(13), blockchain.ErrBadConsensusFields},
		{"retargeting: MinBits", retargeting, seal(10), blockchain.ErrUnknown},
		{"retargeting: MaxBits", retargeting, seal(14), blockchain.ErrUnknown},
		{"retargeting: below MinBits", retargeting, seal(9), blockchain.ErrBadConsensusFields},
		{"retargeting: above MaxBits", retargeting, seal(15), blockchain.ErrBadConsensusFields},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.engine.CheckSeal(tc.b)
			if tc.want == blockchain.ErrUnknown {
				assert.NoError(t, err)
				return
			}
			assertRuleError(t, err, tc.want)
		})
	}
	// The chain alone says which bits a block needs: the first epoch's
	// are Bits, so a block of MinBits passes CheckSeal and fails Verify.
	low := seal(10)
	require.NoError(t, retargeting.CheckSeal(low))
	assert.ErrorIs(t, retargeting.Verify(view, low), blockchain.ErrBadConsensusFields)
	assert.EqualError(t, fixed.CheckSeal(nil), "pow: check seal: nil block")
}

// Seal refuses a block that already carries a seal, with the error Verify
// would give it, rather than spend work on a block no node would accept.
func TestSealRefusesASeal(t *testing.T) {
	e := mustNew(t, Config{Bits: 8, Workers: 1})
	h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h.Bits = 8
	h.Seal = []byte{1, 2, 3}
	out, err := e.Seal(context.Background(), blockchain.NewBlock(h, nil))
	assert.Nil(t, out)
	assert.ErrorIs(t, err, blockchain.ErrBadConsensusFields)
	var re *blockchain.RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "a seal of 3 bytes", re.Have)
	assert.Equal(t, "no seal", re.Want)
	assert.Zero(t, e.Hashes(), "no nonce tried")
}

// TestNilIsRefused: a nil header or block is an error, not a panic.
func TestNilIsRefused(t *testing.T) {
	e := mustNew(t, Config{Bits: 8, Workers: 1})
	chain := consensustest.NewChain(e)
	out, err := e.Seal(context.Background(), nil)
	assert.Nil(t, out)
	assert.EqualError(t, err, "pow: seal: nil block")
	assert.EqualError(t, e.Verify(chain.ReadOnly(), nil), "pow: verify: nil block")
	assert.EqualError(t, e.Prepare(chain.ReadOnly(), nil), "pow: prepare: nil header")
}

func TestSearcherHashesLikeSHA256(t *testing.T) {
	require.True(t, FastPath(), "the midstate path should work with this Go's crypto/sha256")
	headers := []blockchain.Header{
		{},
		consensustest.Genesis().Header(),
		{Version: blockchain.HeaderVersion, Height: 1 << 40, PrevHash: blockchain.Hash{0: 0xff, 31: 1}, MerkleRoot: blockchain.Hash{7: 7},
			StateRoot: blockchain.Hash{0: 0x80, 31: 0xfe}, Beneficiary: consensustest.Addr("miner"), TxCount: 1<<32 - 1,
			Timestamp: time.Date(2030, 5, 6, 7, 8, 9, 10e6, time.UTC), Bits: 20},
		{Version: blockchain.HeaderVersion, Height: 3, Bits: 4, Seal: []byte{9, 9, 9}}, // a Searcher hashes the 152 bytes only
	}
	for _, h := range headers {
		for _, fast := range []bool{true, false} {
			s := newSearcher(h, nil, fast)
			for _, nonce := range []uint64{0, 1, 255, 1 << 32, ^uint64(0)} {
				want := h
				want.Nonce = nonce
				got, err := s.SealHash(nonce)
				require.NoError(t, err)
				assert.Equal(t, want.SealHash(), got, "fast=%v nonce=%d", fast, nonce)
			}
		}
	}
}

func TestSearchFindsTheFirstNonce(t *testing.T) {
	h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h.Bits = 10
	// The first nonce with 10 zero bits, found the slow way.
	var want uint64
	for ; ; want++ {
		h.Nonce = want
		if h.SealHash().LeadingZeroBits() >= 10 {
			break
		}
	}
	for _, fast := range []bool{true, false} {
		got, found, err := newSearcher(h, nil, fast).Search(context.Background(), 0, want+1000)
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, want, got, "fast=%v", fast)

		_, found, err = newSearcher(h, nil, fast).Search(context.Background(), 0, want-1)
		require.NoError(t, err)
		assert.False(t, found, "no nonce below the first one: fast=%v", fast)

		// An empty range: answered at once, not by a walk round all of
		// uint64 (the context would stop it, and the test fail).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, found, err = newSearcher(h, nil, fast).Search(ctx, want+1, want)
		cancel()
		require.NoError(t, err)
		assert.False(t, found, "first > last: fast=%v", fast)
	}
}

func TestSealMovesTimestampWhenNoncesRunOut(t *testing.T) {
	const bits, maxNonce = 8, 3 // four nonces a timestamp: most timestamps have no solution
	e := mustNew(t, Config{Bits: bits, Workers: 1, MaxNonce: maxNonce})
	view := blockchain.HeaderList{consensustest.Genesis().Header()}
	h := blockchain.NextHeader(view.Tip(), nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, e.Prepare(view, &h))

	// Find, the slow way, the first timestamp (in ms steps) and nonce that work.
	want := h
	found := false
	for !found {
		for n := uint64(0); n <= maxNonce && !found; n++ {
			want.Nonce = n
			found = want.SealHash().LeadingZeroBits() >= bits
		}
		if !found {
			want.Timestamp = want.Timestamp.Add(time.Millisecond)
		}
	}
	require.True(t, want.Timestamp.After(h.Timestamp), "this header must exhaust its first nonce space for the test to mean anything")

	sealed, err := e.Seal(context.Background(), blockchain.NewBlock(h, nil))
	require.NoError(t, err)
	assert.Equal(t, want, sealed.Header())
	assert.NoError(t, e.Verify(view, sealed))
	exhausted := uint64(want.Timestamp.Sub(h.Timestamp) / time.Millisecond)
	assert.Equal(t, exhausted*(maxNonce+1)+want.Nonce+1, e.Hashes(),
		"every nonce of every exhausted timestamp, then the winning one, is counted")
}

func TestSealStopsWhenCancelledMidway(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			e := mustNew(t, Config{Workers: workers})
			h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			hardHeader(&h)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := e.Seal(ctx, blockchain.NewBlock(h, nil))
				done <- err
			}()
			// Wait until the workers are hashing: the counter moves every
			// thousand hashes.
			for e.Hashes() == 0 {
				runtime.Gosched()
			}
			cancel()
			select {
			case err := <-done:
				assert.ErrorIs(t, err, context.Canceled)
			case <-time.After(10 * time.Second):
				t.Fatal("Seal did not return after cancel")
			}
		})
	}
}

// TestWorkCoversTheWholeHeader: the proof of work is over all 152 bytes
// but the seal, so a sealed block whose beneficiary, state root or
// transaction count is changed afterwards has lost its work (at 16 bits,
// these changes miss the target: the test data is fixed, so this holds
// on every run). A miner cannot take another's work and be paid for it.
func TestWorkCoversTheWholeHeader(t *testing.T) {
	e := mustNew(t, Config{Bits: 16, Workers: 1})
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	cfg := consensustest.Config(e)
	cfg.Now = func() time.Time { return now }
	chain, err := blockchain.NewChain(cfg)
	require.NoError(t, err)
	b, _, err := chain.Propose(consensustest.Addr("miner"), []blockchain.Transaction{consensustest.Transfer("alice", "bob", 5, 0)}, now)
	require.NoError(t, err)
	sealed, err := e.Seal(context.Background(), b)
	require.NoError(t, err)
	require.NoError(t, e.Verify(chain, sealed))

	for name, edit := range map[string]func(h *blockchain.Header){
		"beneficiary": func(h *blockchain.Header) { h.Beneficiary = consensustest.Addr("mallory") },
		"state root":  func(h *blockchain.Header) { h.StateRoot[31] ^= 1 },
		"tx count":    func(h *blockchain.Header) { h.TxCount++ },
		"merkle root": func(h *blockchain.Header) { h.MerkleRoot[0] ^= 1 },
		"height":      func(h *blockchain.Header) { h.Height++ },
	} {
		t.Run(name, func(t *testing.T) {
			h := sealed.Header()
			edit(&h)
			err := e.Verify(chain, blockchain.NewBlock(h, sealed.Transactions()))
			assert.ErrorIs(t, err, blockchain.ErrInvalidSeal)
		})
	}
	require.NoError(t, chain.Apply(sealed), "the block as sealed applies")
}

// TestRandomStart: with Config.RandomStart each range is searched from a
// random nonce, round to its start: every nonce is still tried once
// before none is reported found, a nonce found is valid, and the same
// header gives different nonces, so that two copies of one miner do not
// do the same work in step. Without it the same header gives the same
// nonce.
func TestRandomStart(t *testing.T) {
	h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	h.Bits = 4 // about one nonce in 16 of 0…255
	for _, random := range []bool{false, true} {
		found := map[uint64]bool{}
		for range 50 {
			var hashes atomic.Uint64
			n, ok, err := searchRange(context.Background(), NewSearcher(h, &hashes), 0, 255, random)
			require.NoError(t, err)
			require.True(t, ok)
			want := h
			want.Nonce = n
			assert.GreaterOrEqual(t, want.SealHash().LeadingZeroBits(), 4)
			found[n] = true
		}
		if random {
			assert.Greater(t, len(found), 1, "random starts find different nonces")
		} else {
			assert.Len(t, found, 1, "the first nonce, every time")
		}
	}
	// No nonce works at 200 bits: every nonce of the range is tried,
	// once, from wherever the search starts.
	h.Bits = 200
	for _, r := range []struct{ first, last uint64 }{{0, 0}, {10, 11}, {10, 50}, {math.MaxUint64 - 5, math.MaxUint64}} {
		var hashes atomic.Uint64
		_, ok, err := searchRange(context.Background(), NewSearcher(h, &hashes), r.first, r.last, true)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Equal(t, r.last-r.first+1, hashes.Load(), "%d…%d", r.first, r.last)
	}
}

// TestSealRefusesAHeaderWithoutEncoding: a header dated further from
// 1970 than an int64 of milliseconds reaches has no bytes to hash. The
// searcher hashed a zero header instead and reported a nonce that does
// not seal; Seal and Search now return the encoding's error.
func TestSealRefusesAHeaderWithoutEncoding(t *testing.T) {
	h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(300_000_000, 1, 1, 0, 0, 0, 0, time.UTC))
	h.Bits = 12
	e := mustNew(t, Config{Bits: 12, Workers: 2})
	_, err := e.Seal(context.Background(), blockchain.NewBlock(h, nil))
	assert.ErrorIs(t, err, blockchain.ErrMalformed)
	_, found, err := NewSearcher(h, nil).Search(context.Background(), 0, 1<<20)
	assert.ErrorIs(t, err, blockchain.ErrMalformed)
	assert.False(t, found)
}

// TestSearchRefusesBitsAHashHasNot: a hash has 256 bits, so a header
// asking for more zero bits has no nonce. A Searcher for it tried nonces
// until its context ended, or read past the hash's 32 bytes and
// panicked; it now tries none and returns ErrBadBits, as Seal does.
func TestSearchRefusesBitsAHashHasNot(t *testing.T) {
	h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, bits := range []uint32{257, 264, 300, math.MaxUint32} {
		for _, fast := range []bool{true, false} {
			t.Run(fmt.Sprintf("bits=%d/fast=%v", bits, fast), func(t *testing.T) {
				h.Bits = bits
				var hashes atomic.Uint64
				// The deadline only bounds a search that would run for ever.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				found, err := searchRecovered(ctx, newSearcher(h, &hashes, fast))
				assert.ErrorIs(t, err, blockchain.ErrBadBits)
				var re *blockchain.RuleError
				if assert.ErrorAs(t, err, &re) {
					assert.Equal(t, fmt.Sprint(bits), re.Have)
					assert.Equal(t, "at most 256", re.Want)
				}
				assert.False(t, found)
				assert.Zero(t, hashes.Load(), "no nonce tried")
			})
		}
	}
	// 256 bits is a target, if one no one meets.
	h.Bits = 256
	_, found, err := NewSearcher(h, nil).Search(context.Background(), 0, 1023)
	assert.NoError(t, err)
	assert.False(t, found)
}

// searchRecovered runs s over every nonce, a panic turned into an error.
func searchRecovered(ctx context.Context, s *Searcher) (found bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			found, err = false, fmt.Errorf("Search panicked: %v", v)
		}
	}()
	_, found, err = s.Search(ctx, 0, math.MaxUint64)
	return found, err
}

// TestSealHashOfAHeaderWithoutEncoding: a header dated further from 1970
// than an int64 of milliseconds reaches has no bytes to hash. A
// Searcher's SealHash dereferenced the midstate it never made (a
// nil-pointer panic) on the fast path, and hashed a zero header on the
// slow one; it now returns the encoding's error and the zero Hash.
func TestSealHashOfAHeaderWithoutEncoding(t *testing.T) {
	h := blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(300_000_000, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, fast := range []bool{true, false} {
		t.Run(fmt.Sprintf("fast=%v", fast), func(t *testing.T) {
			sum, err := sealHashRecovered(newSearcher(h, nil, fast), 7)
			assert.ErrorIs(t, err, blockchain.ErrMalformed)
			assert.Zero(t, sum, "no digest of bytes that do not exist")
		})
	}
	// Bits no hash meets stop the search, not the hashing.
	h = blockchain.NextHeader(consensustest.Genesis().Header(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h.Bits, h.Nonce = 300, 7
	sum, err := NewSearcher(h, nil).SealHash(7)
	require.NoError(t, err)
	assert.Equal(t, h.SealHash(), sum)
}

// sealHashRecovered calls s.SealHash, a panic turned into an error.
func sealHashRecovered(s *Searcher, nonce uint64) (sum blockchain.Hash, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("SealHash panicked: %v", v)
		}
	}()
	return s.SealHash(nonce)
}
