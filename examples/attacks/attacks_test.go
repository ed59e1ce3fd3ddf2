package attacks_test

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/pool"
)

// A world is what every attack is played against: a chain of the test
// kit's spec, with the engine that seals at once (the attacks are not
// about proof of work), and a pool that reads the chain's accounts, as a
// node's pool does.
type world struct {
	engine blockchain.Consensus
	chain  *blockchain.Chain
	pool   *pool.Pool
}

func newWorld(t *testing.T) *world {
	t.Helper()
	engine := consensustest.NewFaker()
	chain := consensustest.NewChain(engine)
	p, err := pool.New(pool.Config{Chain: chain})
	require.NoError(t, err)
	return &world{engine: engine, chain: chain, pool: p}
}

// mine seals and applies the block an honest miner proposes with txs,
// and returns it. Every transaction must apply.
func (w *world) mine(t *testing.T, txs ...blockchain.Transaction) *blockchain.Block {
	t.Helper()
	b, rejected, err := w.chain.Propose(consensustest.Addr("miner"), txs, w.chain.Tip().Timestamp.Add(time.Second))
	require.NoError(t, err)
	require.Empty(t, rejected, "an honest block")
	sealed, err := w.engine.Seal(context.Background(), b)
	require.NoError(t, err)
	require.NoError(t, w.chain.Apply(sealed))
	_, dropped := w.pool.RemoveBlock(sealed)
	require.Empty(t, dropped)
	return sealed
}

// forge builds the block a dishonest miner would: the transactions it
// wants, with a header that links to the tip and claims whatever state
// root the miner likes (here the tip's: the state transition fails
// before the root is even compared).
func (w *world) forge(txs ...blockchain.Transaction) *blockchain.Block {
	tip := w.chain.Tip()
	h := blockchain.NextHeader(tip, txs, tip.Timestamp.Add(time.Second))
	h.Beneficiary, h.StateRoot = consensustest.Addr("mallory"), tip.StateRoot
	return blockchain.NewBlock(h, txs)
}

// stoppedBy checks that err is a refusal for the rule want, and says so
// in the test's log (go test -v shows each attack and its rule).
func stoppedBy(t *testing.T, err error, want blockchain.ErrorCode, msgAndArgs ...any) {
	t.Helper()
	if assert.ErrorIs(t, err, want, msgAndArgs...) {
		t.Logf("stopped by %s: %v", want, err)
	}
}

// refusedBoth checks that the pool refuses tx, and that a block holding
// it is refused by the chain, both with the rule want: the pool guards
// the front door, but a miner can skip the pool, so the chain must check
// again.
func (w *world) refusedBoth(t *testing.T, tx blockchain.Transaction, want blockchain.ErrorCode) {
	t.Helper()
	stoppedBy(t, w.pool.Add(tx), want, "the pool refuses it")
	stoppedBy(t, w.chain.Apply(w.forge(tx)), want, "the chain refuses a block holding it")
}

// next is the next nonce of a named account on the chain.
func (w *world) next(name string) uint64 { return w.chain.Account(consensustest.Addr(name)).Nonce }

// TestForgedSignature: mallory wants alice's money. She cannot sign with
// alice's key, so she tries the two ways left.
func TestForgedSignature(t *testing.T) {
	w := newWorld(t)
	alice, mallory := consensustest.Addr("alice"), consensustest.Addr("mallory")

	// 1. Her own key, and alice named as the sender. The signature is
	// good — it is mallory's — but an account is spent only by the key
	// whose address it is: From must be the address of PublicKey.
	f := blockchain.TxFields{ChainID: consensustest.ChainID, From: alice, To: mallory, Amount: 500_000, Nonce: w.next("alice"), PublicKey: consensustest.Key("mallory").Public()}
	sig := consensustest.Key("mallory").Sign(f.SignedMessage())
	w.refusedBoth(t, blockchain.NewTransaction(f, sig[:]), blockchain.ErrSenderNotKey)

	// 2. Alice's public key (anyone may know it), and a signature made
	// with mallory's key. ed25519 checks the signature against alice's
	// key: it does not verify.
	f.PublicKey = consensustest.Key("alice").Public()
	w.refusedBoth(t, blockchain.NewTransaction(f, sig[:]), blockchain.ErrBadSignature)

	assert.Equal(t, int64(consensustest.Funds), w.chain.Account(alice).Balance, "alice still holds all she had")
}

// TestSignatureForAnotherChain: alice once paid mallory on a test
// network. Mallory plays the same signed bytes on this chain, where
// alice's account has the same address and the same nonce.
func TestSignatureForAnotherChain(t *testing.T) {
	w := newWorld(t)
	onTestnet := blockchain.Transfer{ChainID: "eventchain-testnet", To: consensustest.Addr("mallory"), Amount: 1_000, Nonce: w.next("alice")}.Sign(consensustest.Key("alice"))
	require.True(t, onTestnet.VerifySignature(), "the signature is genuine")

	// The chain ID is inside the signed bytes: on this chain the
	// transaction names another chain, and changing the name would break
	// the signature.
	w.refusedBoth(t, onTestnet, blockchain.ErrWrongChain)

	f := onTestnet.Fields()
	f.ChainID = consensustest.ChainID
	sig := onTestnet.Signature()
	w.refusedBoth(t, blockchain.NewTransaction(f, sig[:]), blockchain.ErrBadSignature)
}

// TestReplayOfAMinedTransaction: alice paid mallory 100, and the payment
// was mined. Mallory submits the very same signed transaction again,
// hoping to be paid twice.
func TestReplayOfAMinedTransaction(t *testing.T) {
	w := newWorld(t)
	pay := consensustest.Transfer("alice", "mallory", 100, w.next("alice"))
	require.NoError(t, w.pool.Add(pay))
	w.mine(t, pay)

	// The transaction carries alice's nonce 0; her account's nonce is now
	// 1. The chain keeps no list of every transaction ever mined: the
	// nonce alone makes a replay impossible.
	w.refusedBoth(t, pay, blockchain.ErrBadNonce)
	assert.Equal(t, int64(consensustest.Funds+100), w.chain.Account(consensustest.Addr("mallory")).Balance, "paid once")
}

// TestNonceGap: mallory holds a transfer alice signed with her nonce 1,
// for a payment alice meant to make after another one. Alice's nonce is
// still 0: the transfer cannot go first.
func TestNonceGap(t *testing.T) {
	w := newWorld(t)
	later := consensustest.Transfer("alice", "mallory", 100, w.next("alice")+1)
	w.refusedBoth(t, later, blockchain.ErrBadNonce)
}

// TestTwoPendingTransfersOverspend: mallory holds 1 000 000 and sends
// 600 000 to erin and, at once, 600 000 to frank. Each fits her balance;
// both do not.
func TestTwoPendingTransfersOverspend(t *testing.T) {
	w := newWorld(t)
	first := consensustest.Transfer("mallory", "erin", 600_000, 0)
	second := consensustest.Transfer("mallory", "frank", 600_000, 1)
	require.NoError(t, w.pool.Add(first))

	// The pool counts what mallory's pending transfers already spend:
	// 1 000 000 − 600 000 leaves 400 000, less than 600 000.
	stoppedBy(t, w.pool.Add(second), blockchain.ErrInsufficientFunds)

	// A miner that skips the pool and puts both in one block fails too:
	// the chain applies them in order, and the second finds 400 000.
	stoppedBy(t, w.chain.Apply(w.forge(first, second)), blockchain.ErrInsufficientFunds)
}

// TestOverspendAcrossTwoMiners: mallory sends her whole balance to erin
// through one miner and, with the same nonce, to frank through another,
// hoping both blocks are accepted.
func TestOverspendAcrossTwoMiners(t *testing.T) {
	w := newWorld(t)
	toErin := consensustest.Transfer("mallory", "erin", 900_000, 0)
	toFrank := consensustest.Transfer("mallory", "frank", 900_000, 0)

	// Both miners build on the same tip, each with one of the transfers.
	build := func(tx blockchain.Transaction) *blockchain.Block {
		b, rejected, err := w.chain.Propose(consensustest.Addr("miner"), []blockchain.Transaction{tx}, w.chain.Tip().Timestamp.Add(time.Second))
		require.NoError(t, err)
		require.Empty(t, rejected)
		sealed, err := w.engine.Seal(context.Background(), b)
		require.NoError(t, err)
		return sealed
	}
	a, b := build(toErin), build(toFrank)

	// The log orders the two blocks: whichever comes first becomes the
	// tip. The other links to the tip's parent: refused.
	require.NoError(t, w.chain.Apply(a))
	stoppedBy(t, w.chain.Apply(b), blockchain.ErrPrevHashMismatch)

	// The second miner rebuilds on the new tip. Its transaction now finds
	// mallory's nonce used: an honest miner leaves it out, and a block
	// that keeps it is refused.
	_, rejected, err := w.chain.Propose(consensustest.Addr("miner"), []blockchain.Transaction{toFrank}, w.chain.Tip().Timestamp.Add(time.Second))
	require.NoError(t, err)
	require.Len(t, rejected, 1)
	stoppedBy(t, rejected[0].Err, blockchain.ErrBadNonce)
	stoppedBy(t, w.chain.Apply(w.forge(toFrank)), blockchain.ErrBadNonce)

	assert.Equal(t, int64(consensustest.Funds+900_000), w.chain.Account(consensustest.Addr("erin")).Balance)
	assert.Equal(t, int64(consensustest.Funds), w.chain.Account(consensustest.Addr("frank")).Balance, "frank was never paid")
}

// TestMinerPaysItselfTooMuch: a miner may credit itself the block reward
// plus the block's fees, and nothing more. Mallory mines a block and
// credits herself 1 000 extra.
func TestMinerPaysItselfTooMuch(t *testing.T) {
	w := newWorld(t)
	tx := consensustest.TransferFee("alice", "bob", 10, 3, 0)
	b, rejected, err := w.chain.Propose(consensustest.Addr("mallory"), []blockchain.Transaction{tx}, w.chain.Tip().Timestamp.Add(time.Second))
	require.NoError(t, err)
	require.Empty(t, rejected)

	// The state she claims: the honest one, plus 1 000 for herself. She
	// computes its root correctly, so the header is self-consistent.
	batch := w.chain.State().Batch()
	require.NoError(t, batch.Transfer(tx.From(), tx.To(), tx.Amount(), tx.Fee(), tx.Nonce()))
	require.NoError(t, batch.Credit(consensustest.Addr("mallory"), consensustest.Reward+tx.Fee()+1_000))
	h := b.Header()
	h.StateRoot = batch.Root()
	greedy, err := w.engine.Seal(context.Background(), blockchain.NewBlock(h, b.Transactions()))
	require.NoError(t, err)

	// Every node runs the state transition itself — reward plus fees,
	// exactly — and compares its root with the header's.
	stoppedBy(t, w.chain.Apply(greedy), blockchain.ErrBadStateRoot)

	// Nor can she take an honest miner's pay by writing herself in as
	// the beneficiary of its block: the state root says who was paid.
	// (Under proof of work the seal would break too: the beneficiary is
	// inside the hashed header.)
	honest, rejected, err := w.chain.Propose(consensustest.Addr("miner"), []blockchain.Transaction{tx}, w.chain.Tip().Timestamp.Add(time.Second))
	require.NoError(t, err)
	require.Empty(t, rejected)
	stolen := honest.Header()
	stolen.Beneficiary = consensustest.Addr("mallory")
	stoppedBy(t, w.chain.Apply(blockchain.NewBlock(stolen, honest.Transactions())), blockchain.ErrBadStateRoot)
	require.NoError(t, w.chain.Apply(honest), "the honest block applies")
}

// TestOverflowingAmounts: in a language whose integers wrap, a balance
// that passes the largest int64 becomes negative: a fortune turns into a
// debt, or a debt into a fortune. eventchain keeps every amount far from
// the edge.
func TestOverflowingAmounts(t *testing.T) {
	w := newWorld(t)
	// An amount beyond MaxAmount (2⁵³−1) is refused outright.
	w.refusedBoth(t, consensustest.Transfer("mallory", "erin", math.MaxInt64, 0), blockchain.ErrInvalidAmount)
	// So is a fee that would make amount + fee wrap.
	w.refusedBoth(t, consensustest.TransferFee("mallory", "erin", 1, math.MaxInt64, 0), blockchain.ErrInvalidFee)

	// No transfer can push a balance past the edge either: the sum of all
	// balances never passes math.MaxInt64, and a balance is part of it.
	// Coins are made only by Credit, which refuses to pass it.
	batch := w.chain.State().Batch()
	err := batch.Credit(consensustest.Addr("mallory"), math.MaxInt64-w.chain.State().Supply()+1)
	stoppedBy(t, err, blockchain.ErrBalanceOverflow)

	// A genesis that allocates more than math.MaxInt64 in all is no
	// chain: 1 025 allocations of 2⁵³−1 pass 2⁶³−1.
	many := make([]blockchain.Allocation, 1025)
	for i := range many {
		many[i] = blockchain.Allocation{Address: consensustest.Addr(fmt.Sprintf("holder %d", i)), Balance: blockchain.MaxAmount}
	}
	_, err = blockchain.NewState(many)
	stoppedBy(t, err, blockchain.ErrBalanceOverflow)
	_, err = blockchain.NewState(many[:1024])
	assert.NoError(t, err, "1 024 of them fit")
}

// TestFieldChangedUnderARealSignature: mallory intercepts alice's
// genuine payment of 10 and raises the amount to 10 000 before passing
// it on. Or changes the receiver to herself.
func TestFieldChangedUnderARealSignature(t *testing.T) {
	w := newWorld(t)
	genuine := consensustest.Transfer("alice", "bob", 10, 0)
	sig := genuine.Signature()
	for _, tc := range []struct {
		name   string
		change func(*blockchain.TxFields)
	}{
		{"amount raised", func(f *blockchain.TxFields) { f.Amount = 10_000 }},
		{"receiver changed", func(f *blockchain.TxFields) { f.To = consensustest.Addr("mallory") }},
		{"fee raised, for a miner's benefit", func(f *blockchain.TxFields) { f.Fee = 5_000 }},
		{"nonce moved", func(f *blockchain.TxFields) { f.Nonce = 7 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := genuine.Fields()
			tc.change(&f)
			// Every field is inside the signed bytes: any change makes the
			// signature a signature of something else.
			tampered := blockchain.NewTransaction(f, sig[:])
			stoppedBy(t, w.pool.Add(tampered), blockchain.ErrBadSignature)
			stoppedBy(t, w.chain.Apply(w.forge(tampered)), blockchain.ErrBadSignature)
		})
	}
	require.NoError(t, w.pool.Add(genuine), "the genuine payment still goes through")
}

// TestMalleatedSignature: in 2014 Bitcoin's signatures were malleable:
// anyone relaying a payment could turn its signature into another valid
// signature of the same payment, which changed the transaction's ID, and
// wallets that followed their payments by ID lost track of them (an
// exchange blamed lost withdrawals on it). An ed25519 signature is R ‖ S,
// and the check is [S]B = R + [h]A, where B, the curve's base point, has
// order L: [S+L]B = [S]B, so S + L passes the equation as S does. Mallory
// takes alice's pending payment to bob and adds L to its S.
func TestMalleatedSignature(t *testing.T) {
	w := newWorld(t)
	genuine := consensustest.Transfer("alice", "bob", 10, w.next("alice"))
	sig := genuine.Signature()

	// S is the signature's second half, a little-endian number below L.
	order, ok := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10) // L = 2^252 + 27742317777372353535851937790883648493
	require.True(t, ok)
	s := new(big.Int).SetBytes(reversed(sig[32:]))
	s.Add(s, order) // below 2^253: it still fits the 32 bytes
	copy(sig[32:], reversed(s.FillBytes(make([]byte, 32))))
	malleated := blockchain.NewTransaction(genuine.Fields(), sig[:])
	require.NotEqual(t, genuine.Signature(), malleated.Signature(), "other bytes")

	// RFC 8032 has every verifier refuse an S of L or more, and so does
	// the chain: each signature has one spelling only.
	w.refusedBoth(t, malleated, blockchain.ErrBadSignature)

	// And had it passed, it would have been the same payment: the ID is
	// derived from the signed bytes, not from the signature, and the nonce
	// lets one of the two into the chain, never both. (The hash, which
	// covers the signature, differs.)
	assert.Equal(t, genuine.ID(), malleated.ID(), "one payment, one ID")
	assert.NotEqual(t, genuine.Hash(), malleated.Hash())
	require.NoError(t, w.pool.Add(genuine), "the genuine payment still goes through")
}

// reversed returns a reversed copy of b: ed25519 writes its numbers
// little-endian, math/big reads and writes them big-endian.
func reversed(b []byte) []byte {
	r := slices.Clone(b)
	slices.Reverse(r)
	return r
}

// TestAKeyAnyoneCanSignFor: the identity point of the curve is a valid
// ed25519 public key, and for it the signature R = the identity, S = 0
// verifies for every message (the check is [S]B = R + [h]A, and both
// sides are the identity). Nobody holds its private key; nobody needs
// it. Alice sends 500 to the identity's address, by mistake or because
// mallory asked her to; mallory then tries to take it.
func TestAKeyAnyoneCanSignFor(t *testing.T) {
	w := newWorld(t)
	var identity blockchain.PublicKey
	identity[0] = 1
	w.mine(t, blockchain.Transfer{ChainID: consensustest.ChainID, To: identity.Address(), Amount: 500, Nonce: w.next("alice")}.Sign(consensustest.Key("alice")))

	f := blockchain.TxFields{ChainID: consensustest.ChainID, From: identity.Address(), To: consensustest.Addr("mallory"), Amount: 500, PublicKey: identity}
	sig := make([]byte, blockchain.SignatureSize)
	sig[0] = 1 // R = the identity's encoding; S = 0
	require.True(t, identity.Verify(f.SignedMessage(), sig), "the standard library's rules accept this signature")

	// The chain refuses every transaction from a key of small order: its
	// signature proves nothing. The 500 stay where they are, spent by no
	// one, rather than by anyone.
	w.refusedBoth(t, blockchain.NewTransaction(f, sig), blockchain.ErrWeakKey)
	assert.Equal(t, int64(500), w.chain.Account(identity.Address()).Balance)
}
