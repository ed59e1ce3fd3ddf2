package audit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/node"
)

// Three payments are submitted. A block includes the first, and another
// transfer of bob's with the nonce of the second; no block ever includes
// the third. The auditor, ticking once a minute by a clock the example
// moves by hand, records the first as verified, drops the second at once
// with the rule it now breaks, rebroadcasts the third twice, then gives up
// on it.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log := memlog.New(memlog.Config{Now: clock}) // the log records times by the same clock
	defer log.Close()
	spec := consensustest.Spec() // alice, bob, carol, … hold 1 000 000 each

	bank, _ := node.New(node.Config{Log: log, Spec: spec, Engine: consensustest.NewFaker(), Now: clock})
	coffee := consensustest.Transfer("alice", "bob", 350, 0)
	refund := consensustest.Transfer("bob", "alice", 100, 0)
	rent := consensustest.Transfer("carol", "dave", 90_000, 0)
	tip := consensustest.Transfer("bob", "erin", 5, 0) // bob's nonce 0 too: it and refund cannot both be included
	for _, tx := range []blockchain.Transaction{coffee, refund, rent} {
		if err := bank.SubmitTransaction(ctx, tx); err != nil {
			panic(err)
		}
	}
	block, _, _ := bank.Propose(consensustest.Addr("miner"), []blockchain.Transaction{coffee, tip}, now)
	_ = bank.PublishBlock(ctx, block, "miner-1")

	// The auditor's node, restored after the block: no Follow is needed
	// while nothing more is appended to the blocks stream.
	n, _ := node.New(node.Config{Log: log, Spec: spec, Engine: consensustest.NewFaker(), Now: clock})
	if err := n.Restore(ctx, node.RestoreVerify); err != nil {
		panic(err)
	}
	a, err := audit.New(audit.Config{
		Node:   n,
		Log:    log,
		Now:    clock,
		Policy: audit.Policy{Interval: time.Minute, MaxAge: time.Minute, MaxAttempts: 2},
	})
	if err != nil {
		panic(err)
	}
	for range 4 {
		if err := a.Tick(ctx); err != nil {
			panic(err)
		}
		now = now.Add(time.Minute)
	}

	name := map[uuid.UUID]string{coffee.ID(): "coffee", refund.ID(): "refund", rent.ID(): "rent", tip.ID(): "tip"}
	for _, stream := range []string{node.StreamTransactions, node.StreamAudit} {
		recs, _ := log.Read(ctx, stream, eventlog.Start, eventlog.Forwards, 100)
		for _, r := range recs {
			p, _ := events.Decode(r.Event)
			switch ev := p.(type) {
			case events.TransactionRebroadcast:
				fmt.Printf("%s: rebroadcast %s, attempt %d\n", r.Time.Format("15:04"), name[ev.Tx.ID()], ev.Attempt)
			case events.TransactionVerified:
				fmt.Printf("%s: verified %s at height %d\n", r.Time.Format("15:04"), name[ev.TxID], ev.Height)
			case events.TransactionDropped:
				if ev.Rule != blockchain.ErrUnknown {
					fmt.Printf("%s: dropped %s, rule %s: %s\n", r.Time.Format("15:04"), name[ev.TxID], ev.Rule, ev.Reason)
				} else {
					fmt.Printf("%s: dropped %s: %s\n", r.Time.Format("15:04"), name[ev.TxID], ev.Reason)
				}
			}
		}
	}
	fmt.Printf("%+v\n", a.Report())
	// Output:
	// 00:01: rebroadcast rent, attempt 1
	// 00:02: rebroadcast rent, attempt 2
	// 00:00: verified coffee at height 1
	// 00:00: verified tip at height 1
	// 00:00: dropped refund, rule bad-nonce: its nonce 0 was used by another transaction: the sender's next is 1
	// 00:03: dropped rent: not included after 2 rebroadcasts over 3m0s
	// {Submitted:3 Included:2 Pending:0 Rebroadcasts:2 Dropped:2}
}
