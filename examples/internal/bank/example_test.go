package bank_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
)

// Serve the bank over HTTP and submit a transaction, as curl would.
func Example() {
	log := memlog.New(memlog.Config{})
	defer log.Close()
	n, _ := node.New(node.Config{Log: log, Engine: consensustest.NewFaker()})
	b, _ := bank.New(bank.Config{
		Node:  n,
		Log:   log,
		NewID: func() uuid.UUID { return uuid.MustParse("7d4e2c1a-0b9f-4e8d-a7c6-5b4a39281706") },
		Now:   func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	})
	b.SetReady(true) // the node is restored: on a new log, there is nothing to read
	srv := httptest.NewServer(b)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/transactions", "application/json", strings.NewReader(`{"from":"alice","to":"bob","amount":125}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var st bank.TransactionStatus
	_ = json.NewDecoder(resp.Body).Decode(&st)
	fmt.Println(resp.StatusCode, st.ID, st.Status)

	bad, err := http.Post(srv.URL+"/transactions", "application/json", strings.NewReader(`{"from":"alice","to":"alice","amount":1}`))
	if err != nil {
		panic(err)
	}
	defer bad.Body.Close()
	var p bank.Problem
	_ = json.NewDecoder(bad.Body).Decode(&p)
	fmt.Println(bad.StatusCode, bad.Header.Get("Content-Type"), p.Field, p.Rule)
	// Output:
	// 202 7d4e2c1a-0b9f-4e8d-a7c6-5b4a39281706 pending
	// 400 application/problem+json to self-transfer
}
