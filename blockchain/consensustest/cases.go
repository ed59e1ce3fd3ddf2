package consensustest

import (
	"fmt"
	"time"

	"github.com/eventchain/eventchain/blockchain"
)

// A BlockCase is one fixed block offered to a chain, in the spirit of btcd's
// fullblocktests: a short name, the block, and the rule it must break
// (Want), or blockchain.ErrUnknown if the chain must accept it.
type BlockCase struct {
	Name  string
	Block *blockchain.Block
	Want  blockchain.ErrorCode
}

// Accepted reports whether the chain must accept the case's block.
func (c BlockCase) Accepted() bool { return c.Want == blockchain.ErrUnknown }

// CaseNow is the chain's clock while it applies [ChainCases].
var CaseNow = blockchain.GenesisTime.Add(time.Hour)

// CaseFailHeight is where the engine of [CaseConfig] rejects every block.
const CaseFailHeight = 5

// CaseConfig returns the Config a Chain must be built with to apply
// [ChainCases]: [Spec], the Failer engine at CaseFailHeight and a clock
// stopped at CaseNow. Set Window on it to test the cases with a window.
func CaseConfig() blockchain.Config {
	return blockchain.Config{
		Spec:     Spec(),
		Engine:   NewFailer(CaseFailHeight),
		Now:      func() time.Time { return CaseNow },
		MaxDrift: time.Minute,
	}
}

// ChainCases returns the cases in the order they must be applied to a new
// chain built from [CaseConfig]: every accepted block extends the tip, and
// every rejected one is built against the tip of its moment and must leave
// the chain unchanged. Any change to Chain or its rules must keep them all
// passing; see blockchain's tests for the loop that applies them.
//
// The cases are built on a chain of their own, which proposes each
// accepted block (so its state root is right) and applies it.
func ChainCases() []BlockCase {
	ref, err := blockchain.NewChain(CaseConfig())
	if err != nil {
		panic(err)
	}
	var cases []BlockCase
	at := func() time.Time { return ref.Tip().Timestamp.Add(time.Minute) }
	propose := func(txs ...blockchain.Transaction) *blockchain.Block {
		b, rejected, err := ref.Propose(Addr("miner"), txs, at())
		if err != nil || len(rejected) > 0 {
			panic(fmt.Sprintf("consensustest: a case's block does not propose: %v %v", err, rejected))
		}
		return b
	}
	accept := func(name string, b *blockchain.Block) {
		if err := ref.Apply(b); err != nil {
			panic(fmt.Sprintf("consensustest: case %q: %v", name, err))
		}
		cases = append(cases, BlockCase{Name: name, Block: b})
	}
	reject := func(name string, b *blockchain.Block, want blockchain.ErrorCode) {
		cases = append(cases, BlockCase{Name: name, Block: b, Want: want})
	}
	// build makes a block of txs on the tip as a miner would, but for its
	// state root, which it takes from the tip: right for no block that
	// changes the state, and never looked at by a rule that fails first.
	build := func(txs ...blockchain.Transaction) *blockchain.Block {
		h := blockchain.NextHeader(ref.Tip(), txs, at())
		h.Beneficiary, h.StateRoot = Addr("miner"), ref.Tip().StateRoot
		return blockchain.NewBlock(h, txs)
	}
	edit := func(b *blockchain.Block, change func(h *blockchain.Header)) *blockchain.Block {
		h := b.Header()
		change(&h)
		return blockchain.NewBlock(h, b.Transactions())
	}
	next := func(name string) uint64 { return ref.Account(Addr(name)).Nonce }
	send := func(from, to string, amount int64) blockchain.Transaction {
		return Transfer(from, to, amount, next(from))
	}
	signed := func(f blockchain.TxFields, by string) blockchain.Transaction {
		sig := Key(by).Sign(f.SignedMessage())
		return blockchain.NewTransaction(f, sig[:])
	}

	// Height 1.
	first := TransferFee("alice", "bob", 100, 2, 0)
	accept("extends genesis", propose(first, TransferFee("bob", "carol", 50, 1, 0)))
	// Height 2.
	accept("empty block", propose())
	empty := propose()

	// Broken links and heights.
	reject("prev hash is not the tip", edit(empty, func(h *blockchain.Header) { h.PrevHash = blockchain.Hash{1} }), blockchain.ErrPrevHashMismatch)
	reject("prev hash is genesis", edit(empty, func(h *blockchain.Header) { h.PrevHash = Genesis().Hash() }), blockchain.ErrPrevHashMismatch)
	reject("height skips one", edit(empty, func(h *blockchain.Header) { h.Height++ }), blockchain.ErrBadHeight)
	reject("height repeats the tip's", edit(empty, func(h *blockchain.Header) { h.Height-- }), blockchain.ErrBadHeight)

	// Time.
	reject("timestamp before parent", edit(empty, func(h *blockchain.Header) { h.Timestamp = ref.Tip().Timestamp.Add(-time.Millisecond) }), blockchain.ErrTimeBeforeParent)
	reject("timestamp before genesis", edit(empty, func(h *blockchain.Header) { h.Timestamp = blockchain.GenesisTime.Add(-time.Hour) }), blockchain.ErrTimeBeforeParent)
	reject("timestamp too far ahead", edit(empty, func(h *blockchain.Header) { h.Timestamp = CaseNow.Add(time.Minute + time.Millisecond) }), blockchain.ErrTimeTooFarAhead)
	reject("timestamp before 1970", edit(empty, func(h *blockchain.Header) { h.Timestamp = time.Unix(-1, 0) }), blockchain.ErrBadTimestamp)

	// Header fields.
	reject("unknown version", edit(empty, func(h *blockchain.Header) { h.Version++ }), blockchain.ErrBadVersion)
	reject("bits over 256", edit(empty, func(h *blockchain.Header) { h.Bits = 257 }), blockchain.ErrBadBits)
	reject("no beneficiary", edit(empty, func(h *blockchain.Header) { h.Beneficiary = blockchain.Address{} }), blockchain.ErrMissingBeneficiary)
	reject("tx count one too many", edit(empty, func(h *blockchain.Header) { h.TxCount = 1 }), blockchain.ErrBadTxCount)

	// Transactions in themselves.
	twice := send("alice", "carol", 5)
	reject("same transaction twice", build(twice, twice), blockchain.ErrDuplicateTransaction)
	{
		// CVE-2012-2459: [a b c] and [a b c c] share a Bitcoin-style Merkle
		// root; the RFC 6962 tree tells them apart, and the duplicate is
		// refused first in any case.
		a, b, c := Transfer("alice", "carol", 1, next("alice")), Transfer("bob", "carol", 1, next("bob")), Transfer("dave", "carol", 1, next("dave"))
		h := build(a, b, c).Header()
		h.TxCount = 4
		reject("last transaction duplicated", blockchain.NewBlock(h, []blockchain.Transaction{a, b, c, c}), blockchain.ErrDuplicateTransaction)
	}
	x, y := send("alice", "dave", 1), send("bob", "dave", 1)
	reject("Merkle root of other transactions", edit(build(x), func(h *blockchain.Header) { h.MerkleRoot = blockchain.TxMerkleRoot([]blockchain.Transaction{y}) }), blockchain.ErrBadMerkleRoot)
	reject("Merkle root of reordered transactions", edit(build(x, y), func(h *blockchain.Header) {
		h.MerkleRoot = blockchain.TxMerkleRoot([]blockchain.Transaction{y, x})
	}), blockchain.ErrBadMerkleRoot)
	reject("zero amount", build(send("alice", "bob", 0)), blockchain.ErrInvalidAmount)
	reject("negative fee", build(TransferFee("alice", "bob", 5, -1, next("alice"))), blockchain.ErrInvalidFee)
	{
		f := send("alice", "bob", 5).Fields()
		f.To = blockchain.Address{}
		reject("no receiver", build(signed(f, "alice")), blockchain.ErrMissingReceiver)
	}
	reject("pays itself", build(send("alice", "alice", 5)), blockchain.ErrSelfTransfer)
	{
		f := send("alice", "bob", 5).Fields()
		f.ChainID = "Not-A-Chain"
		reject("malformed chain ID", build(signed(f, "alice")), blockchain.ErrBadChainID)
	}
	{
		// Mallory signs with her own key and names alice as the sender.
		f := send("alice", "mallory", 500).Fields()
		f.PublicKey = Key("mallory").Public()
		reject("sender is not the key's account", build(signed(f, "mallory")), blockchain.ErrSenderNotKey)
	}
	{
		many := make([]blockchain.Transaction, blockchain.MaxBlockTransactions+1)
		for i := range many {
			many[i] = twice // the count is checked before anything else
		}
		reject("too many transactions", build(many...), blockchain.ErrTooManyTransactions)
	}

	// Transactions against this chain.
	{
		other := blockchain.Transfer{ChainID: "eventchain-other", To: Addr("bob"), Amount: 5, Nonce: next("alice")}.Sign(Key("alice"))
		reject("signed for another chain", build(other), blockchain.ErrWrongChain)
	}
	{
		// Alice's fields with mallory's signature: the key is alice's,
		// the signature is not.
		f := send("alice", "mallory", 500).Fields()
		reject("forged signature", build(signed(f, "mallory")), blockchain.ErrBadSignature)
		tx := send("alice", "bob", 5)
		sig := tx.Signature()
		sig[10] ^= 1
		reject("signature with a bit flipped", build(blockchain.NewTransaction(tx.Fields(), sig[:])), blockchain.ErrBadSignature)
		f = tx.Fields()
		f.Amount++
		sig = tx.Signature()
		reject("amount raised after signing", build(blockchain.NewTransaction(f, sig[:])), blockchain.ErrBadSignature)
	}

	// The state transition.
	reject("replay of an included transaction", build(first), blockchain.ErrBadNonce)
	reject("nonce leaves a gap", build(Transfer("alice", "bob", 5, next("alice")+1)), blockchain.ErrBadNonce)
	reject("second transfer reuses the nonce", build(send("alice", "bob", 5), send("alice", "carol", 5)), blockchain.ErrBadNonce)
	reject("more than the balance", build(send("carol", "bob", ref.Account(Addr("carol")).Balance+1)), blockchain.ErrInsufficientFunds)
	reject("balance covers the amount but not the fee", build(TransferFee("carol", "bob", ref.Account(Addr("carol")).Balance, 1, next("carol"))), blockchain.ErrInsufficientFunds)
	reject("an account that was never funded", build(send("nobody", "bob", 1)), blockchain.ErrInsufficientFunds)
	{
		b := propose(send("alice", "bob", 7))
		reject("state root of another state", edit(b, func(h *blockchain.Header) { h.StateRoot[0] ^= 1 }), blockchain.ErrBadStateRoot)
		reject("beneficiary changed after the state root", edit(b, func(h *blockchain.Header) { h.Beneficiary = Addr("mallory") }), blockchain.ErrBadStateRoot)
		reject("the tip's state root, the transfer left out", edit(b, func(h *blockchain.Header) { h.StateRoot = ref.Tip().StateRoot }), blockchain.ErrBadStateRoot)
	}

	// Height 3 and 4: edge cases that are fine.
	accept("timestamp equal to parent's", edit(propose(), func(h *blockchain.Header) { h.Timestamp = ref.Tip().Timestamp }))
	odd := []blockchain.Transaction{
		send("alice", "bob", 1), Transfer("alice", "carol", 2, next("alice")+1), send("bob", "dave", 3), send("dave", "erin", 4),
		send("erin", "frank", 5), send("frank", "alice", 6), send("carol", "alice", ref.Account(Addr("carol")).Balance),
	}
	accept("seven transactions (odd Merkle levels), carol spending all she held", propose(odd...))

	// Height 5: the engine has the last word.
	reject("consensus rejects", propose(send("alice", "bob", 1)), blockchain.ErrInvalidSeal)
	return cases
}
