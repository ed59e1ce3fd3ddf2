package consensustest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
)

// watchdog bounds every step of the suite: a Seal that hangs becomes a
// failure with a message instead of a test binary killed after minutes
// (see sealWatched). A variable only so that the suite's own tests can
// run it on a hanging engine in seconds.
var watchdog = 30 * time.Second

// promptly is how soon a Seal in progress must return once its context
// is cancelled: another miner's block has made the work worthless, and a
// miner waits for Seal before it starts on the new tip. Proof of work
// looks at its context every few thousand hashes, well within it even
// under the race detector on a loaded machine.
const promptly = 2 * time.Second

// An Option adjusts what [Run] checks.
type Option func(*suite)

// WithHardHeader gives Run a way to make a prepared header so hard to seal
// that Seal would run far longer than any test (proof of work: Bits = 256).
// Run then checks that cancelling a Seal in progress stops it. Without
// this option that check is skipped, with a message saying so: an engine
// that seals at once has no seal in progress to cancel. An engine that
// seals by turns (proof of authority) seals at once in its turn, the only
// one Run can give it, and waits for its context out of turn: that wait
// is the engine's own to test (examples/poa's TestSealWaitsForItsTurn).
func WithHardHeader(harden func(*blockchain.Header)) Option {
	return func(s *suite) { s.harden = harden }
}

type suite struct {
	newEngine func(testing.TB) blockchain.Consensus
	harden    func(*blockchain.Header)
}

// Run checks that the engines newEngine returns keep the [blockchain.Consensus]
// contract, each rule in a subtest with a fresh engine:
//
//   - a sealed block verifies against its parent, and so does each block
//     of a sealed chain;
//   - Seal returns a new block, its input sealed: the same parent,
//     height, transactions, state root and beneficiary (a seal sets Bits,
//     Nonce and Seal, and may move the time). Seal cannot change the
//     block it is given, which is immutable (blockchain's
//     TestBlockIsImmutable checks that), so Run does not look;
//   - changing any header field of a sealed block makes Verify refuse
//     it with a [*blockchain.RuleError]: the seal binds every field of the
//     seal hash, the Merkle root and the transaction count included, as
//     a light client (which has headers only) needs; the chain's
//     [blockchain.Block.Validate] would catch those two on a whole block,
//     whatever the engine, so they are Verify's own to refuse here
//     (each field is changed 32 ways, and Verify must refuse at least
//     one: a cheap seal holds for a changed header by chance);
//   - Verify judges the header only: a sealed block verifies as its
//     header without transactions, as a light client asks, and with
//     other transactions than its own (which transactions a block holds
//     is the chain's to check, through the Merkle root, not the engine's);
//   - changing a sealed block's Seal — a byte flipped, added or dropped,
//     the seal removed, or a seal put on a block of an engine that makes
//     none — gives a block Verify refuses with
//     [blockchain.ErrInvalidSeal] or [blockchain.ErrBadConsensusFields];
//   - a block sealed honestly on a header whose consensus fields Prepare
//     would not set (Bits one more or one less, Nonce one more, where
//     Prepare decides them) fails Verify: Verify computes those fields
//     again rather than trust the header's; and a Prepare that sets Bits
//     on the header [blockchain.NextHeader] makes sets the same Bits on
//     one that has others, rather than keep them;
//   - Seal on a cancelled context returns ctx.Err() at once, and
//     cancelling a Seal in progress (see [WithHardHeader]) makes it return
//     ctx.Err() within two seconds;
//   - Prepare is deterministic: on a chain of three blocks and a copy of
//     it, and at moments of the wall clock (as [time.Now] reads it) from
//     the year 2000 to a century after the chain's tip, at steps of a
//     millisecond to years, Prepare sets the same fields (the suite moves
//     the clock with [testing/synctest]). A Prepare that reads the clock
//     fails unless what it makes of it is the same at every one of those
//     moments;
//   - an engine that is a [blockchain.SealChecker] has CheckSeal accept
//     every block of a sealed chain that Verify accepts, and refuse a
//     flipped seal byte, or a removed or added seal, as Verify does (for
//     another engine the check is skipped, with a message saying so);
//   - Prepare, Seal and Verify are safe for concurrent use: each of four
//     goroutines gets its own block back, sealed and valid;
//   - Verify never panics, nor do Prepare, Seal and CheckSeal: a panic
//     fails the check that met it, naming the method and the block (the
//     header's height, for Prepare), and the other checks still run;
//   - Seal returns: one still running two seconds after its context
//     ended (every context of the suite ends within 30 seconds) fails
//     the check that called it, saying so, and the other checks still
//     run, where it would hold the test binary until go test's timeout.
//
// Run must not be called inside a [testing/synctest] bubble: it runs its
// cases with t.Run, and its watchdog waits in real time.
//
// Every case starts on the genesis of [SpecOf] the engine: an engine that
// is a [blockchain.SpecEngine] must declare a consensus a chain spec takes,
// without panicking (every case fails, saying so, if not).
//
// Each engine newEngine returns must seal, on its own, every height of a
// short chain (every case seals on genesis; some seal four blocks): an
// engine of signers who take turns is given one signer, its key with it,
// as examples/poa's conformance test does. An engine that waits for
// another's turn fails those cases once the watchdog (30 seconds) ends
// its Seal.
//
// A changed header can meet a cheap seal by chance (proof of work at one
// bit takes half of them), so each header field is changed 32 ways, and
// Verify must refuse at least one: proof of work passes at any Bits. If
// its Seal is deterministic (pow with one worker) every run checks
// exactly the same blocks.
//
// Passing Run says that the seal is bound to the block and that the
// engine keeps its contract, not that a seal is hard to forge: an engine
// whose seal is its block's seal hash, which anyone can compute, passes
// too. What a seal costs, or who alone can make it (a key, as proof of
// authority's), is the engine's own to show, in tests of its own.
//
// Run checks what an engine can break, and nothing that holds whatever
// the engine: that a block's hash covers its seal and its seal hash does
// not, and that a block whose transactions its header does not commit to
// fails [blockchain.Block.Validate], are the chain's, and blockchain's
// own tests check them (TestHeaderFieldsAreHashed,
// TestValidateRefusesChangedTransactions).
func Run(t *testing.T, newEngine func(testing.TB) blockchain.Consensus, opts ...Option) {
	s := &suite{newEngine: newEngine}
	for _, o := range opts {
		o(s)
	}
	for _, c := range []struct {
		name string
		run  func(*testing.T, blockchain.Consensus)
	}{
		{"SealedBlockVerifies", s.sealedBlockVerifies},
		{"SealedChainVerifies", s.sealedChainVerifies},
		{"SealLeavesInputAlone", s.sealLeavesInputAlone},
		{"TamperedHeaderFails", s.tamperedHeaderFails},
		{"VerifyJudgesTheHeaderOnly", s.verifyJudgesTheHeaderOnly},
		{"TamperedSealFails", s.tamperedSealFails},
		{"HonestSealOfWrongFieldsFails", s.honestSealOfWrongFieldsFails},
		{"SealOnCancelledContext", s.sealOnCancelledContext},
		{"CancelSealInProgress", s.cancelSealInProgress},
		{"PrepareIsDeterministic", s.prepareIsDeterministic},
		{"SealCheckerAgreesWithVerify", s.sealCheckerAgreesWithVerify},
		{"ConcurrentUse", s.concurrentUse},
	} {
		t.Run(c.name, func(t *testing.T) {
			engine := s.newEngine(t)
			require.NotNil(t, engine, "newEngine returned nil")
			// Every case starts on the genesis of SpecOf(engine): a
			// SpecEngine whose ConsensusSpec panics, or declares no
			// spec's consensus, has none.
			spec, err := specOf(engine)
			require.NoError(t, err, "%T is a blockchain.SpecEngine whose ConsensusSpec panicked", engine)
			_, err = spec.Genesis()
			require.NoError(t, err, "%T is a blockchain.SpecEngine whose ConsensusSpec no chain spec takes; an engine of one's own need not be one", engine)
			c.run(t, engine)
		})
	}
}

// verify calls engine.Verify. A panic in it fails the test, naming the
// block, and reads as an error, so that a Verify that crashes on one
// tampered block does not end the test binary and the suite's other
// checks with it. (A chain refuses a block whose Verify panics, but an
// engine must answer with an error.)
func verify(t *testing.T, engine blockchain.Consensus, view blockchain.ChainReader, b *blockchain.Block) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Verify panicked on %v: %v", b, r)
			err = fmt.Errorf("verify panicked: %v", r)
		}
	}()
	return engine.Verify(view, b)
}

// prepare calls engine.Prepare, as verify calls Verify: a panic fails
// the test, naming the header's height, and reads as an error.
func prepare(t *testing.T, engine blockchain.Consensus, view blockchain.ChainReader, h *blockchain.Header) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Prepare panicked on the header of height %d: %v", h.Height, r)
			err = fmt.Errorf("prepare panicked: %v", r)
		}
	}()
	return engine.Prepare(view, h)
}

// checkSeal calls checker.CheckSeal, as verify calls Verify: a panic
// fails the test, naming the block, and reads as an error.
func checkSeal(t *testing.T, checker blockchain.SealChecker, b *blockchain.Block) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("CheckSeal panicked on %v: %v", b, r)
			err = fmt.Errorf("check seal panicked: %v", r)
		}
	}()
	return checker.CheckSeal(b)
}

// ctx returns a context cancelled by the watchdog or at the test's end.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	t.Cleanup(cancel)
	return ctx
}

// nextHeader is NextHeader on view's tip, a second after it, paying
// Addr("miner") as a proposed block would: an engine may check who its
// blocks pay, and a block that pays no one is no block of a chain.
func nextHeader(view blockchain.HeaderList, txs []blockchain.Transaction) blockchain.Header {
	h := blockchain.NextHeader(view.Tip(), txs, view.Tip().Timestamp.Add(time.Second))
	h.Beneficiary = Addr("miner")
	return h
}

func genesisView(engine blockchain.Consensus) blockchain.HeaderList {
	return blockchain.HeaderList{genesisOf(engine).Header()}
}

// generate seals n blocks on a new chain of Spec with engine.
func generate(t *testing.T, engine blockchain.Consensus, n int, gen func(i int, g *BlockGen)) ([]*blockchain.Block, error) {
	chain, err := blockchain.NewChain(Config(engine))
	require.NoError(t, err)
	return GenerateChain(testContext(t), watched{engine}, chain, n, gen)
}

// watched is an engine whose Seal runs under sealWatched: GenerateChain
// seals with it, the chain verifies with the engine itself.
type watched struct{ blockchain.Consensus }

func (w watched) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	return sealWatched(ctx, w.Consensus, b)
}

// sealOne prepares and seals a block of three transactions on genesis.
func sealOne(t *testing.T, engine blockchain.Consensus) (blockchain.HeaderList, *blockchain.Block) {
	t.Helper()
	blocks, err := generate(t, engine, 1, func(_ int, g *BlockGen) {
		g.AddTransfer("alice", "bob", 125)
		g.AddTransfer("bob", "carol", 50)
		g.AddTransfer("carol", "alice", 7)
	})
	require.NoError(t, err, "prepare and seal a block on genesis")
	return genesisView(engine), blocks[0]
}

func (s *suite) sealedBlockVerifies(t *testing.T, engine blockchain.Consensus) {
	view, b := sealOne(t, engine)
	require.NoError(t, b.Validate(), "a sealed block must be valid in itself")
	assert.NoError(t, verify(t, engine, view, b), "a sealed block must verify against its parent")
	assert.Equal(t, uint64(1), b.Height())
	assert.Equal(t, genesisOf(engine).Hash(), b.PrevHash(), "Seal must keep the link to the parent")
	assert.Equal(t, 3, b.Len(), "Seal must keep the transactions")
}

// sealedChain returns four blocks the engine sealed, the i-th holding i
// transfers.
func sealedChain(t *testing.T, engine blockchain.Consensus) []*blockchain.Block {
	t.Helper()
	blocks, err := generate(t, engine, 4, func(i int, g *BlockGen) {
		for range i {
			g.AddTransfer("alice", "bob", 1)
		}
	})
	require.NoError(t, err)
	return blocks
}

func (s *suite) sealedChainVerifies(t *testing.T, engine blockchain.Consensus) {
	blocks := sealedChain(t, engine)
	view := genesisView(engine)
	for _, b := range blocks {
		assert.NoError(t, verify(t, engine, view, b), "block %d must verify against its parent", b.Height())
		view = append(view, b.Header())
	}
}

func (s *suite) sealCheckerAgreesWithVerify(t *testing.T, engine blockchain.Consensus) {
	checker, ok := engine.(blockchain.SealChecker)
	if !ok {
		t.Skipf("%T is no blockchain.SealChecker", engine)
	}
	blocks := sealedChain(t, engine)
	view := genesisView(engine)
	for _, b := range blocks {
		require.NoError(t, verify(t, engine, view, b), "block %d must verify against its parent", b.Height())
		assert.NoError(t, checkSeal(t, checker, b), "block %d: CheckSeal must accept what Verify accepts", b.Height())
		view = append(view, b.Header())
	}
	b := blocks[0]
	for _, tc := range sealTampers { // some apply to every engine: see sealTampers
		if !tc.applies(b.Header().Seal) {
			continue
		}
		h := b.Header() // a copy, seal included
		h.Seal = tc.change(h.Seal)
		forged := blockchain.NewBlock(h, b.Transactions())
		require.Error(t, verify(t, engine, genesisView(engine), forged), "precondition: Verify refuses %s", tc.name)
		err := checkSeal(t, checker, forged)
		require.Error(t, err, "CheckSeal must refuse a block with its seal changed (%s)", tc.name)
		var re *blockchain.RuleError
		assert.ErrorAs(t, err, &re, "rule failures must be *blockchain.RuleError, got %T: %v", err, err)
	}
}

// sealLeavesInputAlone checks that Seal leaves alone what it is given to
// seal: the block it returns is that block, sealed, with every field but
// the consensus fields and the time as it was. A Seal that pays another
// beneficiary, or changes the state root, fails here by name (the chain
// would refuse the block for its state root, and say less). Whether Seal
// changes the block it is given is not checked: it cannot, a Block is
// immutable (blockchain's TestBlockIsImmutable).
func (s *suite) sealLeavesInputAlone(t *testing.T, engine blockchain.Consensus) {
	view := genesisView(engine)
	txs := []blockchain.Transaction{Transfer("alice", "bob", 1, 0)}
	h := nextHeader(view, txs)
	require.NoError(t, prepare(t, engine, view, &h))
	in := blockchain.NewBlock(h, txs)
	out, err := sealWithWatchdog(t, engine, testContext(t), in)
	require.NoError(t, err)
	require.NotNil(t, out)
	assert.NotSame(t, in, out, "Seal must return a new block")
	assert.NoError(t, blockchain.CheckSealed(in, out), "Seal must return the block it was given, sealed")
}

// headerTampers are the changes TamperedHeaderFails makes to a sealed
// block's header, one field each. header makes the k-th change to its
// field (k from 0 to tamperTries-1), each another value.
var headerTampers = []struct {
	name   string
	header func(h *blockchain.Header, k int)
}{
	{"version", func(h *blockchain.Header, k int) { h.Version += uint32(k + 1) }},
	{"height", func(h *blockchain.Header, k int) { h.Height += uint64(k + 1) }},
	{"prev hash", func(h *blockchain.Header, k int) { h.PrevHash[k/8] ^= 1 << (k % 8) }},
	{"merkle root", func(h *blockchain.Header, k int) { h.MerkleRoot[31-k/8] ^= 1 << (k % 8) }},
	{"tx count", func(h *blockchain.Header, k int) { h.TxCount += uint32(k + 1) }},
	{"state root", func(h *blockchain.Header, k int) { h.StateRoot[k/8] ^= 0x80 >> (k % 8) }},
	{"beneficiary", func(h *blockchain.Header, k int) { h.Beneficiary = Addr(fmt.Sprintf("mallory%d", k)) }},
	{"timestamp", func(h *blockchain.Header, k int) {
		h.Timestamp = h.Timestamp.Add(time.Duration(k+1) * time.Millisecond)
	}},
	{"bits up", func(h *blockchain.Header, k int) { h.Bits += uint32(k + 1) }},
	{"bits down", func(h *blockchain.Header, k int) { h.Bits -= uint32(k + 1) }},
	{"nonce", func(h *blockchain.Header, k int) { h.Nonce += uint64(k + 1) }},
}

// tamperTries is how many changes TamperedHeaderFails makes to each
// field. A seal that binds the field can still hold, by chance, for a
// changed header: proof of work at b bits does for one header in 2^b,
// half of them at one bit. An engine that ignores the field takes every
// change; one that binds it refuses all but a few, and takes all 32
// only once in 2^32 at one bit.
const tamperTries = 32

// tamperedHeaderFails changes one header field of a sealed block at a
// time, and checks that Verify itself refuses the block. Block.Validate
// would refuse a changed version, Merkle root or transaction count
// whatever the engine, but a light client has no transactions to count
// or hash: it trusts a header's Merkle root because the seal covers it.
// Each field is changed tamperTries ways: Verify must refuse at least
// one, each with a *blockchain.RuleError, so that proof of work at a
// few bits, whose seal a changed header meets by chance, still passes.
func (s *suite) tamperedHeaderFails(t *testing.T, engine blockchain.Consensus) {
	view, b := sealOne(t, engine)
	require.NoError(t, verify(t, engine, view, b))
	for _, tc := range headerTampers {
		t.Run(tc.name, func(t *testing.T) {
			refused := 0
			for k := range tamperTries {
				h := b.Header()
				tc.header(&h, k)
				forged := blockchain.NewBlock(h, b.Transactions())
				err := verify(t, engine, view, forged)
				if err == nil {
					continue // by chance, or because the seal ignores the field: see below
				}
				refused++
				var re *blockchain.RuleError
				assert.ErrorAs(t, err, &re, "rule failures must be *blockchain.RuleError, got %T: %v", err, err)
			}
			assert.Positive(t, refused, "Verify must refuse a block with its %s changed after sealing: it took all %d changes; the seal must cover every field of the seal hash", tc.name, tamperTries)
		})
	}
}

// verifyJudgesTheHeaderOnly checks that Verify gives a sealed block's
// header the same answer, yes, whatever transactions come with it: none,
// as a light client asks, or others. Which transactions a block holds is
// the chain's to check (Block.Validate, through the Merkle root); a
// Verify that checks them again refuses every header a light client is
// given.
func (s *suite) verifyJudgesTheHeaderOnly(t *testing.T, engine blockchain.Consensus) {
	view, b := sealOne(t, engine)
	require.NoError(t, verify(t, engine, view, b))
	for _, tc := range []struct {
		name string
		txs  []blockchain.Transaction
	}{
		{"no transactions", nil},
		{"other transactions", []blockchain.Transaction{Transfer("mallory", "erin", 1_000, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.NoError(t, verify(t, engine, view, blockchain.NewBlock(b.Header(), tc.txs)),
				"Verify must judge the header only: it refused the header of %v given %d transactions", b, len(tc.txs))
		})
	}
}

// sealTamper names one change to a sealed block's Seal. Not every change
// applies to every engine: flipping a byte of an empty seal changes
// nothing, so cannot fail. applies says when it does.
type sealTamper struct {
	name    string
	applies func(seal []byte) bool
	change  func(seal []byte) []byte // seal is the tamper's own copy
}

func hasSeal(seal []byte) bool     { return len(seal) > 0 }
func hasNoSeal(seal []byte) bool   { return len(seal) == 0 }
func hasTwoBytes(seal []byte) bool { return len(seal) > 1 } // else "last" is "first" or "all"

// sealTampers are the changes TamperedSealFails tries. An engine that
// makes a seal gets the first five, one that makes none the last two:
// every engine gets some, so the cases that use them need not check that
// one applied.
var sealTampers = []sealTamper{
	{"first seal byte flipped", hasSeal, func(s []byte) []byte { s[0] ^= 0x01; return s }},
	{"last seal byte flipped", hasTwoBytes, func(s []byte) []byte { s[len(s)-1] ^= 0x80; return s }},
	{"a byte appended to the seal", hasSeal, func(s []byte) []byte { return append(s, 0) }},
	{"last seal byte dropped", hasTwoBytes, func(s []byte) []byte { return s[:len(s)-1] }},
	{"seal dropped", hasSeal, func([]byte) []byte { return nil }},
	{"one-byte seal added", hasNoSeal, func([]byte) []byte { return []byte{0} }},
	{"signature-sized seal added", hasNoSeal, func([]byte) []byte { return make([]byte, 65) }},
}

// tamperedSealFails changes the seal of a validly sealed block. Each
// change gives another block (the block hash covers the seal) that
// Verify must refuse: a seal is either exactly what the engine would
// make or it is wrong.
func (s *suite) tamperedSealFails(t *testing.T, engine blockchain.Consensus) {
	view, b := sealOne(t, engine)
	require.NoError(t, verify(t, engine, view, b))
	seal := b.Header().Seal
	for _, tc := range sealTampers { // some apply to every engine: see sealTampers
		if !tc.applies(seal) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			h := b.Header() // a copy, seal included
			h.Seal = tc.change(h.Seal)
			forged := blockchain.NewBlock(h, b.Transactions())
			err := verify(t, engine, view, forged)
			require.Error(t, err, "Verify must refuse a block with its seal changed (%s)", tc.name)
			var re *blockchain.RuleError
			require.ErrorAs(t, err, &re, "rule failures must be *blockchain.RuleError, got %T: %v", err, err)
			assert.True(t, re.Code == blockchain.ErrInvalidSeal || re.Code == blockchain.ErrBadConsensusFields,
				"code: have %s, want %s or %s", re.Code, blockchain.ErrInvalidSeal, blockchain.ErrBadConsensusFields)
		})
	}
}

func (s *suite) sealOnCancelledContext(t *testing.T, engine blockchain.Consensus) {
	view := genesisView(engine)
	h := nextHeader(view, nil)
	require.NoError(t, prepare(t, engine, view, &h))
	if s.harden != nil {
		s.harden(&h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := sealWithWatchdog(t, engine, ctx, blockchain.NewBlock(h, nil))
	assert.ErrorIs(t, err, context.Canceled, "Seal on a cancelled context must return ctx.Err()")
	assert.Nil(t, out)
}

func (s *suite) cancelSealInProgress(t *testing.T, engine blockchain.Consensus) {
	if s.harden == nil {
		t.Skip("no WithHardHeader option: this engine has no long seal to cancel")
	}
	view := genesisView(engine)
	h := nextHeader(view, nil)
	require.NoError(t, prepare(t, engine, view, &h))
	s.harden(&h)
	// The deadline fires while Seal works on a header it can never seal;
	// whenever exactly it fires, Seal must come back with ctx.Err(), and
	// within promptly of it: sealWithWatchdog fails the case, saying so,
	// if it does not.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	out, err := sealWithWatchdog(t, engine, ctx, blockchain.NewBlock(h, nil))
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a cancelled Seal must return ctx.Err()")
	assert.Nil(t, out)
}

// honestSealOfWrongFieldsFails seals, with the engine's own Seal, headers
// whose consensus fields are not what Prepare sets, and checks that
// Verify refuses each block: an engine whose Verify trusted the header's
// Bits would take a block sealed at one bit. A field its Seal searches (the
// nonce) and set itself, or one the engine leaves to the header (Prepare
// keeps whatever value it finds, and sets none on the header NextHeader
// makes), is skipped, saying so. A Prepare that sets Bits on that header
// but keeps other Bits it is given fails: a Verify that computes Bits
// again through it gets the header's own back, and takes a block sealed
// at one bit. Bits are
// Prepare's: a Seal may set them, but a block it seals with other Bits
// than Prepare's must fail Verify, or a cheap Seal and a Verify that
// trusts the header's Bits would pass together.
func (s *suite) honestSealOfWrongFieldsFails(t *testing.T, engine blockchain.Consensus) {
	view := genesisView(engine)
	txs := []blockchain.Transaction{Transfer("alice", "bob", 1, 0)}
	fresh := nextHeader(view, txs) // the consensus fields as NextHeader leaves them
	prepared := fresh
	require.NoError(t, prepare(t, engine, view, &prepared))
	bits := func(h blockchain.Header) uint64 { return uint64(h.Bits) }
	nonce := func(h blockchain.Header) uint64 { return h.Nonce }
	for _, c := range []struct {
		name     string
		edit     func(*blockchain.Header) bool // false: no such value
		what     string                        // the field's name
		field    func(blockchain.Header) uint64
		searched bool // a field Seal searches, not Prepare's
	}{
		{"bits one more", func(h *blockchain.Header) bool { h.Bits++; return h.Bits <= 256 }, "bits", bits, false},
		{"bits one less", func(h *blockchain.Header) bool { h.Bits--; return h.Bits < prepared.Bits }, "bits", bits, false},
		{"nonce one more", func(h *blockchain.Header) bool { h.Nonce++; return true }, "nonce", nonce, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := prepared
			if !c.edit(&h) {
				t.Skipf("no such value next to Prepare's (bits %d)", prepared.Bits)
			}
			sealed, err := sealWithWatchdog(t, engine, testContext(t), blockchain.NewBlock(h, txs))
			if err != nil {
				t.Skipf("Seal refuses such a header: %v", err)
			}
			require.NotNil(t, sealed, "Seal returned no block and no error")
			got := sealed.Header()
			if c.searched && c.field(got) != c.field(h) {
				t.Skipf("Seal sets this field itself (have %d, Seal made %d): the block keeps the rules", c.field(h), c.field(got))
			}
			want := got
			require.NoError(t, prepare(t, engine, view, &want))
			if c.field(got) == c.field(want) {
				if !c.searched && c.field(prepared) != c.field(fresh) && c.field(got) != c.field(prepared) {
					// Prepare decides this field (it set it on the
					// header NextHeader made), yet keeps another value
					// it is given: its value then comes from the header,
					// so a Verify that computes it again trusts the
					// header, and a miner picks its own difficulty.
					t.Fatalf("Prepare sets %s %d on the next header, but keeps the %d of a header that has it: it must decide the field from the chain alone", c.what, c.field(prepared), c.field(got))
				}
				t.Skipf("Prepare leaves the field to the header, or Seal set Prepare's value: the block keeps the rules")
			}
			err = verify(t, engine, view, sealed)
			require.Error(t, err, "Verify took a block sealed with bits %d, nonce %d, where Prepare sets bits %d, nonce %d", got.Bits, got.Nonce, want.Bits, want.Nonce)
			assert.True(t, errors.Is(err, blockchain.ErrBadConsensusFields) || errors.Is(err, blockchain.ErrInvalidSeal),
				"want ErrBadConsensusFields or ErrInvalidSeal, have %v", err)
		})
	}
}

// sealWithWatchdog runs Seal under sealWatched and fails the test if it
// does not return in time.
func sealWithWatchdog(t *testing.T, engine blockchain.Consensus, ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	t.Helper()
	out, err := sealWatched(ctx, engine, b)
	if errors.Is(err, errSealHung) || errors.Is(err, errSealPanicked) {
		t.Fatal(err)
	}
	return out, err
}

// errSealHung is the error of sealWatched for a Seal that did not return.
var errSealHung = errors.New("Seal did not return")

// errSealPanicked is the error of sealWatched for a Seal that panicked.
var errSealPanicked = errors.New("Seal panicked")

// sealRecovered calls engine.Seal, a panic turned into an error wrapping
// errSealPanicked that names the block: Seal runs in a goroutine of
// sealWatched's, where a panic would end the test binary, and every
// check after it, naming none.
func sealRecovered(ctx context.Context, engine blockchain.Consensus, b *blockchain.Block) (out *blockchain.Block, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w on %v: %v", errSealPanicked, b, r)
		}
	}()
	return engine.Seal(ctx, b)
}

// sealWatched runs engine.Seal on b, and gives up on it once ctx has been
// done for promptly (every context of the suite ends by the watchdog at
// the latest) with an error wrapping errSealHung: a Seal that ignores its
// context, or never returns at all, then fails its case with a message,
// and the cases after it run, rather than hold the test binary until go
// test's timeout. The abandoned Seal's goroutine is left behind. A Seal
// that panics returns an error wrapping errSealPanicked.
func sealWatched(ctx context.Context, engine blockchain.Consensus, b *blockchain.Block) (*blockchain.Block, error) {
	type result struct {
		b   *blockchain.Block
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := sealRecovered(ctx, engine, b)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-ctx.Done():
	}
	timer := time.NewTimer(promptly)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.b, r.err
	case <-timer.C:
		return nil, fmt.Errorf("%w within %v of its context ending (%v)", errSealHung, promptly, context.Cause(ctx))
	}
}

// prepareIsDeterministic prepares the same header on the same chain
// again and again, and wants the same header back every time: on a copy
// of the chain, and at many moments of the wall clock. Prepare learns the
// time from the header's Timestamp; one that reads time.Now instead (a
// difficulty that eases once the tip looks old, say) sets fields that
// Verify, computing them again later, does not find. Two calls in a row
// land in the same millisecond and cannot see that, so the suite calls
// Prepare in a synctest bubble, whose clock starts at midnight, 1
// January 2000 UTC, and sleeps it forward, at no cost in real time, to
// moments around the tip's time, up to a century after it. What the
// case cannot catch is a Prepare whose use of the clock gives the same
// at all of those moments (one that looks only at the year 2500, say).
func (s *suite) prepareIsDeterministic(t *testing.T, engine blockchain.Consensus) {
	blocks, err := generate(t, engine, 3, nil)
	require.NoError(t, err)
	view := genesisView(engine)
	for _, b := range blocks {
		view = append(view, b.Header())
	}
	base := nextHeader(view, nil)
	first, second := base, base
	require.NoError(t, prepare(t, engine, view, &first))
	require.NoError(t, prepare(t, engine, append(blockchain.HeaderList(nil), view...), &second))
	assert.Equal(t, first, second, "Prepare must give the same header for the same chain and input")

	tip := view.Tip().Timestamp
	var moments []time.Time
	for _, d := range []time.Duration{-time.Hour, 0, time.Millisecond, time.Second, time.Minute, time.Hour, 24 * time.Hour, 366 * 24 * time.Hour, 100 * 366 * 24 * time.Hour} {
		moments = append(moments, tip.Add(d))
	}
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		for _, at := range append([]time.Time{start}, moments...) {
			time.Sleep(time.Until(at)) // instant: the bubble's clock jumps
			h := base
			require.NoError(t, prepare(t, engine, view, &h), "Prepare at %v", time.Now())
			assert.Equal(t, first, h, "Prepare must not read the clock: at %v (by the wall clock) it gave another header than at first", time.Now().UTC())
		}
	})
}

func (s *suite) concurrentUse(t *testing.T, engine blockchain.Consensus) {
	const workers = 4
	g, ctx := errgroup.WithContext(testContext(t))
	for i := range workers {
		g.Go(func() error {
			view := genesisView(engine)
			txs := []blockchain.Transaction{Transfer("alice", "bob", int64(i+1), 0)}
			h := nextHeader(view, txs)
			if err := prepare(t, engine, view, &h); err != nil {
				return fmt.Errorf("worker %d: prepare: %w", i, err)
			}
			b, err := sealWatched(ctx, engine, blockchain.NewBlock(h, txs))
			if err != nil {
				return fmt.Errorf("worker %d: seal: %w", i, err)
			}
			if err := verify(t, engine, view, b); err != nil {
				return fmt.Errorf("worker %d: verify: %w", i, err)
			}
			// Verify checks the seal, not the transactions: a Seal whose
			// goroutines share state may hand one worker another's block.
			if err := blockchain.CheckSealed(blockchain.NewBlock(h, txs), b); err != nil {
				return fmt.Errorf("worker %d: %w", i, err)
			}
			if err := b.Validate(); err != nil {
				return fmt.Errorf("worker %d: the sealed block: %w", i, err)
			}
			return nil
		})
	}
	assert.NoError(t, g.Wait(), "Prepare, Seal and Verify must work from several goroutines at once")
}

// specOf returns SpecOf(engine), or, if the engine's ConsensusSpec
// panics, an error wrapping [blockchain.ErrEngineMisbehaved], as
// [blockchain.NewChain] refuses such an engine: a panic in a case would
// end the test binary, every later test with it.
func specOf(engine blockchain.Consensus) (spec blockchain.ChainSpec, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: ConsensusSpec panicked: %v", blockchain.ErrEngineMisbehaved, v)
		}
	}()
	return SpecOf(engine), nil
}
