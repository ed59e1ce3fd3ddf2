package bank_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
)

// Serve the bank over HTTP, and post a transaction that alice signed
// with her own key, as a wallet would: the bank answers 202 with its
// status, and alice's next nonce counts it. A transfer to oneself breaks
// a rule: the bank answers with a problem naming the rule and the field.
func Example() {
	ctx := context.Background()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	want := consensustest.Spec()
	spec, _ := node.LoadSpec(ctx, log, &want) // the network's first app declares its spec
	n, _ := node.New(node.Config{Log: log, Spec: spec, Engine: consensustest.NewFaker()})
	b, _ := bank.New(bank.Config{Node: n, Log: log})
	_ = n.Restore(ctx, node.RestoreVerify)
	b.SetReady(true) // restored: the bank takes transactions
	srv := httptest.NewServer(b)
	defer srv.Close()

	alice := consensustest.Key("alice")
	tx := blockchain.Transfer{ChainID: spec.ChainID, To: consensustest.Addr("bob"), Amount: 125, Fee: 1, Nonce: 0}.Sign(alice)
	body, _ := json.Marshal(tx) // {"id":…,"chainId":"eventchain-test","from":"ec…",…,"signature":…,"hash":…}
	resp, err := http.Post(srv.URL+"/transactions", "application/json", strings.NewReader(string(body)))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var st bank.TransactionStatus
	_ = json.NewDecoder(resp.Body).Decode(&st)
	fmt.Println(resp.StatusCode, st.Status, st.ID == tx.ID())

	acct, err := http.Get(srv.URL + "/accounts/" + alice.Address().String())
	if err != nil {
		panic(err)
	}
	defer acct.Body.Close()
	var a bank.AccountState
	_ = json.NewDecoder(acct.Body).Decode(&a)
	fmt.Println("balance", a.Balance, "nonce", a.Nonce, "next nonce", a.Next)

	self, _ := json.Marshal(blockchain.Transfer{ChainID: spec.ChainID, To: alice.Address(), Amount: 1, Nonce: 1}.Sign(alice))
	bad, err := http.Post(srv.URL+"/transactions", "application/json", strings.NewReader(string(self)))
	if err != nil {
		panic(err)
	}
	defer bad.Body.Close()
	var p bank.Problem
	_ = json.NewDecoder(bad.Body).Decode(&p)
	fmt.Println(bad.StatusCode, bad.Header.Get("Content-Type"), p.Rule, p.Field)
	// Output:
	// 202 pending true
	// balance 1000000 nonce 0 next nonce 1
	// 400 application/problem+json self-transfer to
}
