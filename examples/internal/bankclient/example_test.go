package bankclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
	"github.com/eventchain/eventchain/lightclient"
)

// Alice sends bob 125 minor units: the chain ID from the spec, the nonce
// from her account, her signature, and a wait until a block includes it.
// A fake bank stands in for the real one; it mines when told to.
func Example() {
	bank, _ := bankclienttest.New(consensustest.Spec())
	srv := httptest.NewServer(bank)
	defer srv.Close()
	ctx := context.Background()
	alice, bob := consensustest.Key("alice"), consensustest.Addr("bob")

	c, err := bankclient.New(srv.URL, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, err := c.Spec(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	acct, err := c.Account(ctx, alice.Address())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("alice has %d, next nonce %d\n", acct.Balance, acct.NextNonce)

	tx := blockchain.Transfer{ChainID: spec.ChainID, To: bob, Amount: 125, Fee: 1, Nonce: acct.NextNonce}.Sign(alice)
	st, err := c.Submit(ctx, tx, tx.Hash().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("submitted:", st.State)

	// The clock of this example mines a block at its first pause.
	c = c.WithPoll(bankclient.Poll{After: func(d time.Duration) <-chan time.Time {
		bank.Mine()
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}})
	st, err = c.WaitIncluded(ctx, tx.ID(), func(s bankclient.Status) { fmt.Println("progress:", s.State) })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("included in block %d\n", st.Height)

	acct, _ = c.Account(ctx, bob)
	fmt.Printf("bob has %d\n", acct.Balance)
	// Output:
	// alice has 1000000, next nonce 0
	// submitted: pending
	// progress: pending
	// progress: included
	// included in block 1
	// bob has 1000125
}

// A transfer signed with a nonce already used is refused: the error is a
// *ProblemError naming the rule and the field, and it wraps the rule's
// blockchain.ErrorCode.
func ExampleProblemError() {
	bank, _ := bankclienttest.New(consensustest.Spec())
	srv := httptest.NewServer(bank)
	defer srv.Close()
	ctx := context.Background()
	c, _ := bankclient.New(srv.URL, nil)

	_, _ = c.Submit(ctx, consensustest.Transfer("alice", "bob", 10, 0), "")
	_, err := c.Submit(ctx, consensustest.Transfer("alice", "carol", 20, 0), "")

	var pe *bankclient.ProblemError
	if errors.As(err, &pe) {
		fmt.Println(pe.Status, pe.Problem.Rule, pe.Problem.Field)
	}
	if errors.Is(err, blockchain.ErrBadNonce) {
		acct, _ := c.Account(ctx, consensustest.Addr("alice"))
		fmt.Println("sign again with nonce", acct.NextNonce)
	}
	fmt.Println(bankclient.IsRetryable(err))
	// Output:
	// 400 bad-nonce nonce
	// sign again with nonce 1
	// false
}

// A client that does not take the bank's word syncs the chain's headers
// into a light client, trusting only the genesis of the network's spec,
// and checks the bank's proofs against the headers it verified: that a
// transfer is in a block, and what bob holds now.
func ExampleClient_TxProof() {
	bank, _ := bankclienttest.New(consensustest.Spec())
	srv := httptest.NewServer(bank)
	defer srv.Close()
	ctx := context.Background()
	c, _ := bankclient.New(srv.URL, nil)

	tx := consensustest.Transfer("alice", "bob", 125, 0)
	_, _ = c.Submit(ctx, tx, "")
	bank.Mine()

	spec, _ := c.Spec(ctx) // trusted on first use here; pin its genesis hash in a real client
	genesis, _ := spec.Genesis()
	engine, _ := pow.New(pow.SpecConfig(*spec.Consensus.PoW, 1))
	light, _ := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: engine})
	if _, err := light.FromBank(ctx, srv.URL, nil); err != nil {
		fmt.Println(err)
		return
	}

	p, err := c.TxProof(ctx, tx.ID())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("in block", p.Height, light.VerifyTransaction(p.Transaction, p.Height, p.Proof))

	tip, _ := light.Tip()
	a, err := c.AccountProof(ctx, consensustest.Addr("bob"), &tip.Height)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bob has", a.Proof.Account.Balance, light.VerifyAccountAt(tip.Height, a.Proof))
	// Output:
	// in block 1 <nil>
	// bob has 1000125 <nil>
}
