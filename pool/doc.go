// Package pool keeps the transactions that have been submitted but are not
// yet in a block — the pending transactions, or "mempool" in Bitcoin's
// words — and decides when a miner should cut a block from them and which
// transactions go in it.
//
// Every node has its own [Pool]. It fills it from the transactions it
// reads in the event log, a miner takes its next block from it, and it
// brings it up to date with every block the chain accepts, whichever
// miner mined it. Like package blockchain, package pool does no I/O and
// starts no goroutines: package node feeds it, package miner reads it.
//
// # One queue per sender
//
// In the account model a transaction spends from its sender's balance and
// carries the sender's nonce: the number of transfers the sender made
// before it. The chain takes a sender's transactions in nonce order only,
// without gaps, and only while the balance covers them. So the pool keeps
// one queue per sender, in nonce order, that starts at the sender's nonce
// on the chain, has no gaps, and that the sender's balance pays for in
// full. Whatever a miner takes from the fronts of these queues applies on
// the chain, in order.
//
// # From a submitted transaction to a block
//
//  1. [New] builds a pool from a [Config]: a [Policy] (capacity, block
//     policy and order; [DefaultPolicy] if zero), a clock, the admission
//     rules, and the chain, seen through the two-method [Ledger]
//     interface, so the pool never needs a whole [blockchain.Chain].
//  2. [Pool.Add] runs the admission rules, in order. They are
//     [blockchain.TxRule] values, by default [blockchain.TxSanityRules]
//     ([DefaultRules]): amount and fee in range, sender, receiver, not to
//     oneself, a well-formed chain ID, a sender that is the signing key's
//     address, and the signature. The pool reuses them, it does not
//     re-implement them.
//  3. Add then asks the chain: the transaction must be for this chain,
//     must carry its sender's next nonce — the sender's nonce on the
//     chain plus the number of its pending transactions ([Pool.NextNonce])
//     — and the sender's balance on the chain, minus what its pending
//     transactions already spend, must cover its amount and fee. Money
//     that other pending transactions would send the sender does not
//     count: they may never be mined. The transaction must not be pending
//     already, and the pool must have room. What passes joins the back of
//     its sender's queue (without a chain, its place in nonce order),
//     dated by the pool's clock.
//  4. The block policy says when to cut: [Pool.Ready] is true once
//     Policy.MaxTx transactions are pending (the original cut at 20), or
//     once the oldest has waited Policy.MaxWait, so a lone transaction is
//     never stranded. [Pool.Due] says when that moment comes, so a miner
//     can set a timer instead of polling.
//  5. [Pool.Candidates] returns the next block's transactions without
//     removing them (the miner's block may lose the race to another
//     miner's). It chooses among the fronts of the senders' queues, so
//     each sender's transactions keep their nonce order, by one of two
//     orders ([Order]): [FIFO], the oldest first, as the original project
//     did, or [HighestFee], the richest fee first, as a miner paid by the
//     fees would.
//  6. Once the chain has accepted a block, [Pool.RemoveBlock] removes the
//     transactions it included and checks again the queues of the block's
//     senders against the chain's new state. A transaction the block made
//     invalid — its nonce used by another transfer of the same sender, or
//     its funds spent — is dropped, and so is every later one of its
//     sender that cannot apply without it. Each is returned as a
//     [Dropped] naming the rule it now breaks, so that the node can
//     report it.
//
// In code, with a chain and a consensus engine as in package blockchain:
//
//	p, err := pool.New(pool.Config{Chain: chain})
//	…
//	err = p.Add(tx) // for each transaction read from the log
//	if p.Ready() {
//		txs := p.Candidates(p.Policy().MaxTx)
//		b, _, err := chain.Propose(beneficiary, txs, time.Now())
//		…seal, append; then, for every block the chain accepts:
//		removed, dropped := p.RemoveBlock(block)
//		…report each of dropped
//	}
//
// Without a chain (Config.Chain nil) the pool runs the rules alone and
// checks no chain ID, nonce or funds: that is for tests and for tools
// that have no chain.
//
// # Errors
//
// Add and Check return one of two kinds of error, both wrapped with the
// transaction's ID (use errors.Is and errors.As, never the text):
//
//   - The transaction breaks a rule: the error wraps a
//     [*blockchain.RuleError], whose Code says which —
//     errors.Is(err, blockchain.ErrBadSignature), blockchain.ErrInvalidAmount,
//     … for the admission rules (the error names the rule), and for the
//     chain's checks blockchain.ErrWrongChain, blockchain.ErrBadNonce (a
//     replay, a nonce already pending, or a gap; "have" the nonce, "want"
//     the next one) and blockchain.ErrInsufficientFunds (naming the balance
//     and the pending spend). A nonce or funds error may pass later, once
//     blocks change the sender's account; the others never will.
//   - The transaction may be fine, but the pool will not take it:
//     [ErrDuplicate] (it is pending already, nothing needs doing),
//     [ErrFull] (retry once a block has made room) or, from Check only,
//     [ErrSenderFull] (the sender has Policy.MaxPerSender transactions
//     pending: one sender cannot fill the pool through a node's door and
//     lock the others out; retry once a block has included some of
//     them). Add, which takes what the log holds, is bounded by
//     Policy.Capacity alone (see [Pool.Check] for why).
//
// Each [Dropped] of RemoveBlock has an Err wrapping the
// [*blockchain.RuleError] it now breaks: blockchain.ErrBadNonce or
// blockchain.ErrInsufficientFunds.
//
// New returns errors wrapping [ErrInvalidConfig], naming the field at
// fault; so does [Order.UnmarshalText] for a text that names no order.
//
// # Concurrency
//
// A Pool is safe for concurrent use: the event-log reader may Add while
// the miner asks Ready and Candidates and the node calls RemoveBlock. The
// pool reads the chain while it holds its own lock, so Add never
// interleaves with RemoveBlock. Between the chain's Apply of a block and
// the pool's RemoveBlock, Add counts a sender's pending transactions only
// from its nonce on the chain, so those the block included are not
// counted twice. The injected clock, the Ledger and the rules must be
// safe for concurrent use too, the Ledger's methods must be quick, and
// they must not call the pool.
package pool
