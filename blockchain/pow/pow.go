package pow

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
)

// Config configures an [Engine]. The zero Config is a fixed difficulty of
// zero bits (every hash wins) on all cores; set Bits for anything else.
type Config struct {
	// Bits is the difficulty: how many leading zero bits a block's seal
	// hash needs. With retargeting it is the difficulty of the first epoch.
	// Each extra bit doubles the expected work: 16 bits take about 65 000
	// hashes, 24 bits about 17 million. At most 256.
	Bits uint32

	// Workers is how many goroutines Seal hashes with; 0 means
	// runtime.GOMAXPROCS(0). With one worker Seal is deterministic: it
	// tries nonces 0, 1, 2, … in order and always finds the same block.
	Workers int

	// RetargetInterval is how many blocks make an epoch; at the start of
	// each epoch the difficulty moves towards TargetBlockTime. 0 turns
	// retargeting off: every block needs Bits (the easiest setting to
	// teach with). Otherwise it must be at least 2, and an epoch
	// (RetargetInterval × TargetBlockTime) should be long against the
	// chain's MaxDrift, or miners steer the difficulty through their
	// blocks' timestamps ([Engine.BitsAt]).
	RetargetInterval uint64
	// TargetBlockTime is the time between blocks retargeting aims for.
	// Required when RetargetInterval > 0.
	TargetBlockTime time.Duration
	// MinBits and MaxBits bound retargeting; 0 means 1 and 64.
	MinBits, MaxBits uint32

	// MaxNonce is the last nonce Seal tries before it moves the block's
	// timestamp on by one millisecond and starts again from nonce 0.
	// 0 means the whole uint64 range, which no one exhausts; a small value
	// shows what happens when a nonce space runs out (Bitcoin's 32-bit
	// nonce does, every few seconds).
	MaxNonce uint64

	// RandomStart makes each worker of Seal start its range at a random
	// nonce, going on round to the range's start, rather than at the
	// range's first nonce. Two miners that seal the same header — paying
	// one beneficiary, with the same transactions, dated the same
	// millisecond, as two copies of one miner started together do — then
	// search different nonces, not the same ones in step, doing the same
	// work twice. Without it Seal finds the same nonce for the same
	// header every time, which tests and lessons want.
	RandomStart bool
}

// An Engine is proof of work as a [blockchain.Consensus]: a block is
// sealed when its seal hash ([blockchain.Header.SealHash]) has at least
// Header.Bits leading zero bits, which takes on average 2^Bits tries of
// the nonce to find and one hash to check. The nonce is the whole proof:
// the header's Seal stays empty, so a block's hash equals its seal hash and
// shows the zero bits too.
//
// An Engine is safe for concurrent use; its only state is a counter of
// hashes tried.
type Engine struct {
	cfg    Config
	hashes atomic.Uint64
}

var _ blockchain.Consensus = (*Engine)(nil)

// New returns an Engine, or an error naming the first field of cfg that
// makes no sense.
func New(cfg Config) (*Engine, error) {
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("pow: Workers: have %d, want ≥ 0", cfg.Workers)
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxNonce == 0 {
		cfg.MaxNonce = math.MaxUint64
	}
	if cfg.MinBits == 0 {
		cfg.MinBits = 1
	}
	if cfg.MaxBits == 0 {
		cfg.MaxBits = 64
	}
	maxBits := uint32(blockchain.HashSize * 8)
	switch {
	case cfg.Bits > maxBits:
		return nil, fmt.Errorf("pow: Bits: have %d, want at most %d", cfg.Bits, maxBits)
	case cfg.RetargetInterval == 1:
		return nil, errors.New("pow: RetargetInterval: have 1, want 0 (off) or at least 2")
	case cfg.RetargetInterval > 0 && cfg.TargetBlockTime <= 0:
		return nil, fmt.Errorf("pow: TargetBlockTime: have %v, want > 0 when retargeting", cfg.TargetBlockTime)
	case cfg.RetargetInterval > 0 && cfg.RetargetInterval-1 > uint64(math.MaxInt64/4/cfg.TargetBlockTime):
		// BitsAt compares (RetargetInterval-1)·TargetBlockTime·4 with an
		// epoch's time: the same bound as blockchain.PoWSpec's.
		return nil, fmt.Errorf("pow: RetargetInterval: have %d, want at most %d with TargetBlockTime %v, or the retargeting arithmetic overflows",
			cfg.RetargetInterval, uint64(math.MaxInt64/4/cfg.TargetBlockTime)+1, cfg.TargetBlockTime)
	case cfg.RetargetInterval > 0 && (cfg.MinBits > cfg.MaxBits || cfg.MaxBits > maxBits):
		return nil, fmt.Errorf("pow: MinBits…MaxBits: have %d…%d, want 1 ≤ MinBits ≤ MaxBits ≤ %d", cfg.MinBits, cfg.MaxBits, maxBits)
	case cfg.RetargetInterval > 0 && (cfg.Bits < cfg.MinBits || cfg.Bits > cfg.MaxBits):
		return nil, fmt.Errorf("pow: Bits: have %d, want within MinBits…MaxBits = %d…%d", cfg.Bits, cfg.MinBits, cfg.MaxBits)
	}
	return &Engine{cfg: cfg}, nil
}

// Config returns the engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// ConsensusSpec returns the consensus the engine runs as a chain spec
// declares it: proof of work with its Bits and, if it retargets, its
// retargeting parameters (without, they are zero, as a spec has them).
// It makes the engine a [blockchain.SpecEngine], so that
// [blockchain.NewChain] refuses it for a spec of other parameters;
// [SpecConfig] makes an engine of a spec's. An engine whose
// TargetBlockTime is not whole milliseconds has no spec that declares
// it: ChainSpec.Validate refuses its ConsensusSpec, and NewChain refuses
// the engine.
func (e *Engine) ConsensusSpec() blockchain.ConsensusSpec {
	p := blockchain.PoWSpec{Bits: e.cfg.Bits}
	if e.cfg.RetargetInterval > 0 {
		p.RetargetInterval, p.TargetBlockTime = e.cfg.RetargetInterval, e.cfg.TargetBlockTime
		p.MinBits, p.MaxBits = e.cfg.MinBits, e.cfg.MaxBits
	}
	return blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &p}
}

// Hashes returns how many hashes the engine's Seal calls have tried so far.
// It is updated every 1024 hashes per worker while sealing, so sampling it
// twice gives a hash rate.
func (e *Engine) Hashes() uint64 { return e.hashes.Load() }

// Prepare sets h.Bits to the difficulty the rules require at h.Height
// (see [Engine.BitsAt]) and clears h.Seal: proof of work makes none.
func (e *Engine) Prepare(chain blockchain.ChainReader, h *blockchain.Header) error {
	if h == nil {
		return errors.New("pow: prepare: nil header")
	}
	bits, err := e.BitsAt(chain, h.Height)
	if err != nil {
		return err
	}
	h.Bits, h.Seal = bits, nil
	return nil
}

// BitsAt returns the difficulty a block at height must have on top of
// chain. Without retargeting it is always Config.Bits. With retargeting,
// heights are grouped into epochs of RetargetInterval blocks, the first
// epoch starting at height 1. A block that starts an epoch looks at the
// previous epoch: from its first block's timestamp to its last block's is
// RetargetInterval−1 gaps, which should have taken that many
// TargetBlockTimes. If they took at most half that time the difficulty
// rises by one bit, at most a quarter by two; if they took at least twice
// as long it falls by one bit, four times as long by two. Blocks inside an
// epoch keep their parent's difficulty. The result stays within
// MinBits…MaxBits.
//
// The arithmetic is all integers: every node must compute the very same
// difficulty, and floating point is a classic way to disagree.
//
// The timestamps it reads are the miners' own, kept only by the chain's
// rules: not before the parent's, at most the chain's MaxDrift
// ([blockchain.DefaultMaxDrift], a minute, in a node) ahead of the time
// the log recorded the block. So a miner can steer the difficulty a
// little. One who dates the first block of an epoch a minute ahead
// forces every later block of the epoch to at least that time, and the
// epoch looks short: the bits rise. One who dates
// block 1 at the spec's GenesisTime, long past, makes the first epoch
// look long: the bits fall. How much depends on how long an epoch is
// against the drift allowed. Bitcoin's epoch is two weeks against a
// two-hour drift, so a miner moves it by about one percent; an epoch of
// ten one-second blocks against a one-minute drift is all but the
// miner's to choose. So keep RetargetInterval × TargetBlockTime many
// times MaxDrift when the miners may not be friends. (Bitcoin also bounds
// a block's time from below by the median of the eleven before it;
// these rules do not.)
func (e *Engine) BitsAt(chain blockchain.ChainReader, height uint64) (uint32, error) {
	n := e.cfg.RetargetInterval
	if n == 0 || height <= n {
		return e.cfg.Bits, nil
	}
	parent, ok := chain.HeaderAt(height - 1)
	if !ok {
		return 0, &blockchain.RuleError{Code: blockchain.ErrUnknownAncestor, Have: "no header", Want: fmt.Sprintf("parent at height %d", height-1)}
	}
	if (height-1)%n != 0 {
		return parent.Bits, nil
	}
	first, ok := chain.HeaderAt(height - n)
	if !ok {
		return 0, &blockchain.RuleError{Code: blockchain.ErrUnknownAncestor, Have: "no header", Want: fmt.Sprintf("epoch start at height %d", height-n)}
	}
	actual := parent.Timestamp.Sub(first.Timestamp)
	expected := time.Duration(n-1) * e.cfg.TargetBlockTime
	bits := int64(parent.Bits)
	// actual is compared with fractions of expected, never multiplied:
	// an epoch of over 73 years makes 4·actual pass the largest Duration
	// and wrap round to a short one. (New and the spec bound expected, so
	// 4·expected cannot overflow.) For whole nanoseconds actual ≤
	// expected/4 is actual·4 ≤ expected.
	switch {
	case actual <= expected/4:
		bits += 2
	case actual <= expected/2:
		bits++
	case actual >= expected*4:
		bits -= 2
	case actual >= expected*2:
		bits--
	}
	return uint32(min(max(bits, int64(e.cfg.MinBits)), int64(e.cfg.MaxBits))), nil
}

// The engine's own reasons, carried in RuleError.Err.
var (
	// errHashAboveTarget is the reason for ErrInvalidSeal.
	errHashAboveTarget = errors.New("seal hash misses the target")
	// errUnwantedSeal is the reason for ErrBadConsensusFields when a
	// header carries a Seal, which proof of work never makes.
	errUnwantedSeal = errors.New("proof of work makes no seal")
)

// Verify checks that b's Bits are what [Engine.BitsAt] requires, that its
// Seal is empty, and that its seal hash has Bits leading zero bits. It
// costs one hash.
//
// The empty Seal matters: the nonce search covers the 152-byte header
// only, so a seal added to a valid block would leave the proof of work
// intact while giving the block another hash — another block, unless
// Verify refuses it.
func (e *Engine) Verify(chain blockchain.ChainReader, b *blockchain.Block) error {
	if b == nil {
		return errors.New("pow: verify: nil block")
	}
	h := b.Header()
	want, err := e.BitsAt(chain, h.Height)
	if err != nil {
		return err
	}
	if h.Bits != want {
		return &blockchain.RuleError{Code: blockchain.ErrBadConsensusFields, Have: fmt.Sprintf("bits %d", h.Bits), Want: fmt.Sprintf("bits %d", want)}
	}
	if err := checkNoSeal(h); err != nil {
		return err
	}
	return checkWork(b.SealHash(), h.Bits)
}

// CheckSeal checks what of b's proof of work needs no chain: that its Bits
// are ones BitsAt could give (Config.Bits without retargeting, within
// MinBits…MaxBits with it), that its Seal is empty, and that its seal hash
// has Bits leading zero bits. It costs one hash. (It makes the engine a
// [blockchain.SealChecker].) Verify checks, on top, that the Bits are the
// very ones the chain asks for.
func (e *Engine) CheckSeal(b *blockchain.Block) error {
	if b == nil {
		return errors.New("pow: check seal: nil block")
	}
	h := b.Header()
	lowest, highest := e.cfg.Bits, e.cfg.Bits
	if e.cfg.RetargetInterval > 0 {
		lowest, highest = e.cfg.MinBits, e.cfg.MaxBits // New keeps Bits within
	}
	if h.Bits < lowest || h.Bits > highest {
		return &blockchain.RuleError{Code: blockchain.ErrBadConsensusFields, Have: fmt.Sprintf("bits %d", h.Bits), Want: fmt.Sprintf("bits %d…%d", lowest, highest)}
	}
	if err := checkNoSeal(h); err != nil {
		return err
	}
	return checkWork(b.SealHash(), h.Bits)
}

// checkWork refuses a seal hash with fewer than bits leading zero bits,
// with ErrInvalidSeal.
func checkWork(hash blockchain.Hash, bits uint32) error {
	if zeros := hash.LeadingZeroBits(); zeros < int(bits) {
		return &blockchain.RuleError{
			Code: blockchain.ErrInvalidSeal,
			Have: fmt.Sprintf("%d leading zero bits (seal hash %s)", zeros, hash.Short()),
			Want: fmt.Sprintf("at least %d", bits),
			Err:  errHashAboveTarget,
		}
	}
	return nil
}

// checkNoSeal refuses a header with a Seal, with ErrBadConsensusFields.
func checkNoSeal(h blockchain.Header) error {
	if len(h.Seal) == 0 {
		return nil
	}
	return &blockchain.RuleError{
		Code: blockchain.ErrBadConsensusFields,
		Have: fmt.Sprintf("a seal of %d bytes", len(h.Seal)),
		Want: "no seal",
		Err:  errUnwantedSeal,
	}
}

// Seal searches for a nonce that gives b's seal hash at least Bits leading
// zero bits and returns the sealed block. It splits the nonces
// 0…MaxNonce into Workers equal ranges, one goroutine each, and stops
// them all as soon as one finds a nonce or ctx is cancelled; cancelled, it
// returns ctx.Err() in well under a millisecond. If no nonce in the whole
// range works, it moves the timestamp on by one millisecond (a new header,
// so new hashes) and searches again.
//
// A block whose header has a Seal is refused with the
// [*blockchain.RuleError] Verify would return (ErrBadConsensusFields):
// Prepare clears the seal, and no nonce could make Verify accept it.
// A header of more than 256 Bits is refused with ErrBadBits: no hash has
// that many zero bits.
func (e *Engine) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("pow: seal: nil block")
	}
	h := b.Header()
	if err := checkBits(h.Bits); err != nil {
		return nil, err
	}
	if err := checkNoSeal(h); err != nil {
		return nil, err
	}
	if _, err := h.MarshalBinary(); err != nil {
		return nil, err // a time no header can carry: no hash to search
	}
	for {
		nonce, found, err := e.search(ctx, h)
		if err != nil {
			return nil, err
		}
		if found {
			h.Nonce = nonce
			return b.WithHeader(h), nil
		}
		h.Timestamp = h.Timestamp.Add(time.Millisecond)
	}
}

// search runs Workers Searchers over 0…MaxNonce and returns the first
// nonce found, if any.
func (e *Engine) search(ctx context.Context, h blockchain.Header) (uint64, bool, error) {
	return searchParallel(ctx, h, e.cfg.MaxNonce, e.cfg.Workers, &e.hashes, e.cfg.RandomStart)
}

// errFound stops the other workers once one has found a nonce.
var errFound = errors.New("nonce found")

// searchParallel splits 0…last into workers ranges and searches them at
// once. With one worker it runs in the caller's goroutine. With
// randomStart each range is searched from a random nonce of its own,
// round to its start (see Config.RandomStart).
func searchParallel(ctx context.Context, h blockchain.Header, last uint64, workers int, hashes *atomic.Uint64, randomStart bool) (uint64, bool, error) {
	if workers <= 1 || last < uint64(workers) {
		return searchRange(ctx, NewSearcher(h, hashes), 0, last, randomStart)
	}
	g, gctx := errgroup.WithContext(ctx)
	var nonce atomic.Uint64
	span := last / uint64(workers)
	for i := range uint64(workers) {
		first, end := i*span, (i+1)*span-1
		if i == uint64(workers)-1 {
			end = last
		}
		g.Go(func() error {
			n, found, err := searchRange(gctx, NewSearcher(h, hashes), first, end, randomStart)
			if found {
				nonce.Store(n)
				return errFound
			}
			return err
		})
	}
	switch err := g.Wait(); {
	case errors.Is(err, errFound):
		return nonce.Load(), true, nil
	case err != nil:
		// Only ctx can have stopped the group: err is its Canceled or
		// DeadlineExceeded.
		return 0, false, err
	default:
		return 0, false, nil
	}
}

// SpecConfig returns the Config of the network a chain spec's proof of
// work parameters define, with workers hashing goroutines (each miner's
// own choice, as MaxNonce is, which stays 0). Every node of the network
// must verify with the spec's parameters: a node at other bits would
// refuse every block.
func SpecConfig(s blockchain.PoWSpec, workers int) Config {
	return Config{
		Bits:             s.Bits,
		Workers:          workers,
		RetargetInterval: s.RetargetInterval,
		TargetBlockTime:  s.TargetBlockTime,
		MinBits:          s.MinBits,
		MaxBits:          s.MaxBits,
	}
}

// searchRange searches first…last with s: from first, or, with
// randomStart, from a random nonce of the range to last and then from
// first to the nonce before it. Either way every nonce of the range is
// tried once before it reports none found.
func searchRange(ctx context.Context, s *Searcher, first, last uint64, randomStart bool) (uint64, bool, error) {
	if !randomStart || first >= last {
		return s.Search(ctx, first, last)
	}
	var start uint64
	if size := last - first; size == math.MaxUint64 {
		start = rand.Uint64() // the whole range: any nonce
	} else {
		start = first + rand.Uint64N(size+1)
	}
	if n, found, err := s.Search(ctx, start, last); found || err != nil || start == first {
		return n, found, err
	}
	return s.Search(ctx, first, start-1)
}
