package scheduler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
	"github.com/eventchain/eventchain/examples/internal/scheduler"
)

// The scheduler signs three transfers between alice, bob and carol and
// posts them to a bank, here a fake one.
func ExampleRun() {
	bank, _ := bankclienttest.New(consensustest.Spec())
	srv := httptest.NewServer(bank)
	defer srv.Close()

	var stats scheduler.Stats
	err := scheduler.Run(context.Background(), scheduler.Config{
		BankURL: srv.URL,
		Every:   time.Millisecond,
		Count:   3,
		Keys:    []blockchain.PrivateKey{consensustest.Key("alice"), consensustest.Key("bob"), consensustest.Key("carol")},
		Fee:     1,
		Rand:    rand.New(rand.NewPCG(1, 2)),
		Stats:   &stats,
	})
	fmt.Println("err:", err)
	fmt.Println("accepted:", stats.Accepted.Load())
	for _, tx := range bank.Submitted() {
		fmt.Println("signed:", blockchain.CheckTransactionSanity(tx) == nil)
	}
	// Output:
	// err: <nil>
	// accepted: 3
	// signed: true
	// signed: true
	// signed: true
}
