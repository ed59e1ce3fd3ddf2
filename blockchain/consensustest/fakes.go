package consensustest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
)

// Fake is a [blockchain.Consensus] for tests that are about anything but
// consensus: it has no consensus fields to prepare, seals without work and
// accepts every seal. Three constructors give its three behaviours, after
// go-ethereum's ethash fakes:
//
//   - [NewFaker]: seals at once, accepts everything;
//   - [NewFailer]: like the faker, but rejects every block at one height;
//   - [NewDelayer]: like the faker, but each Seal takes a while (or until
//     its context is cancelled), to test code that must cope with slow or
//     abandoned sealing.
//
// A Fake is safe for concurrent use.
type Fake struct {
	failAt  uint64
	failing bool
	delay   time.Duration
}

var _ blockchain.Consensus = (*Fake)(nil)

// NewFaker returns an engine that seals instantly and verifies everything.
func NewFaker() *Fake { return &Fake{} }

// NewFailer returns an engine like NewFaker whose Verify rejects every block
// at height with [blockchain.ErrInvalidSeal].
func NewFailer(height uint64) *Fake { return &Fake{failAt: height, failing: true} }

// NewDelayer returns an engine like NewFaker whose Seal waits d before it
// returns the block, or returns ctx.Err() if ctx is cancelled first.
func NewDelayer(d time.Duration) *Fake { return &Fake{delay: d} }

// Prepare leaves h as it is: a Fake has no consensus fields.
func (f *Fake) Prepare(blockchain.ChainReader, *blockchain.Header) error { return nil }

// Seal returns a copy of b, after the Delayer's delay if any, or ctx.Err()
// if ctx is done first.
func (f *Fake) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("fake engine: seal: nil block")
	}
	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	return b.WithHeader(b.Header()), nil
}

// errFailHeight is the Failer's reason.
var errFailHeight = errors.New("fake engine fails this height")

// Verify accepts b, unless this is a Failer and b is at its height.
func (f *Fake) Verify(_ blockchain.ChainReader, b *blockchain.Block) error {
	if b == nil {
		return errors.New("fake engine: verify: nil block")
	}
	if f.failing && b.Height() == f.failAt {
		return &blockchain.RuleError{Code: blockchain.ErrInvalidSeal, Have: fmt.Sprintf("height %d", b.Height()), Want: "any other height", Err: errFailHeight}
	}
	return nil
}
