package pool_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/pool"
)

// A pool admits valid transactions, refuses the rest saying which rule
// they broke, hands a miner the oldest as candidates, and drops them once
// a block includes them.
func ExamplePool() {
	now := time.Date(2026, time.January, 2, 3, 4, 5, 0, time.UTC)
	p, err := pool.New(pool.Config{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}

	id := func(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("00000000-0000-0000-0000-%012d", n)) }
	submitted := []blockchain.Transaction{
		blockchain.NewTransaction(id(1), "alice", "bob", 125, now),
		blockchain.NewTransaction(id(2), "bob", "carol", 0, now),    // nothing to move
		blockchain.NewTransaction(id(3), "carol", "carol", 40, now), // to oneself
		blockchain.NewTransaction(id(4), "carol", "dave", 40, now),
		blockchain.NewTransaction(id(1), "alice", "bob", 125, now), // sent twice
	}
	for _, tx := range submitted {
		err := p.Add(tx)
		var re *blockchain.RuleError
		switch {
		case err == nil:
			fmt.Println("pending:", tx)
		case errors.As(err, &re):
			fmt.Println("invalid:", re.Code)
			fmt.Println("  ", err)
		case errors.Is(err, pool.ErrDuplicate):
			fmt.Println("already pending:", tx.ID())
		default:
			fmt.Println("refused:", err)
		}
	}

	txs := p.Candidates(p.Policy().MaxTx)
	fmt.Println("candidates:", len(txs), "still pending:", p.Len())

	// Another miner's block wins, with only the first transaction.
	won := blockchain.NewBlock(blockchain.NextHeader(blockchain.Genesis().Header(), txs[:1], now), txs[:1])
	fmt.Println("removed:", p.RemoveBlock(won), "still pending:", p.Len())
	fmt.Println("next block:", p.Candidates(p.Policy().MaxTx))
	// Output:
	// pending: tx 00000000-0000-0000-0000-000000000001 "alice"→"bob" 125
	// invalid: invalid-amount
	//    pool: add tx 00000000-0000-0000-0000-000000000002: rule amount-positive: invalid-amount: have 0, want 1…9007199254740991
	// invalid: self-transfer
	//    pool: add tx 00000000-0000-0000-0000-000000000003: rule not-to-self: self-transfer: have from "carol" to "carol", want two different accounts
	// pending: tx 00000000-0000-0000-0000-000000000004 "carol"→"dave" 40
	// already pending: 00000000-0000-0000-0000-000000000001
	// candidates: 2 still pending: 2
	// removed: 1 still pending: 1
	// next block: [tx 00000000-0000-0000-0000-000000000004 "carol"→"dave" 40]
}

// A miner asks Due when the next block should be cut and sets a timer for
// it; Ready says whether that moment has come. A cut is due when the oldest
// pending transaction has waited Policy.MaxWait, or at once when
// Policy.MaxTx are pending.
func ExamplePool_Due() {
	now := time.Date(2026, time.January, 2, 3, 4, 5, 0, time.UTC)
	policy := pool.DefaultPolicy()
	policy.MaxTx = 3
	policy.MaxWait = 10 * time.Second
	p, err := pool.New(pool.Config{Policy: policy, Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	add := func() {
		n++
		id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "example %d", n))
		if err := p.Add(blockchain.NewTransaction(id, "alice", "bob", 1, now)); err != nil {
			fmt.Println(err)
		}
	}
	report := func() {
		due, ok := p.Due()
		if !ok {
			fmt.Printf("%d pending, nothing due, ready: %t\n", p.Len(), p.Ready())
			return
		}
		fmt.Printf("%d pending, due in %v, ready: %t\n", p.Len(), due.Sub(now), p.Ready())
	}

	report()
	add() // a lone transaction: due MaxWait after it arrived
	report()
	now = now.Add(4 * time.Second)
	add() // the oldest still decides
	report()
	now = now.Add(6 * time.Second)
	report()

	for _, tx := range p.Candidates(policy.MaxTx) { // the block is mined
		p.Remove(tx.ID())
	}
	add()
	add()
	add() // MaxTx pending: due at once
	report()
	// Output:
	// 0 pending, nothing due, ready: false
	// 1 pending, due in 10s, ready: false
	// 2 pending, due in 6s, ready: false
	// 2 pending, due in 0s, ready: true
	// 3 pending, due in 0s, ready: true
}
