package bankclienttest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
)

// A test serves the fake bank, lets its client submit, and decides when
// a block comes and when the bank is down.
func Example() {
	bank, _ := bankclienttest.New(consensustest.Spec())
	srv := httptest.NewServer(bank)
	defer srv.Close()
	ctx := context.Background()
	c, _ := bankclient.New(srv.URL, nil)

	tx := consensustest.Transfer("alice", "bob", 125, 0)
	st, _ := c.Submit(ctx, tx, tx.Hash().String())
	fmt.Println(st.State)

	height, included := bank.Mine()
	fmt.Println("block", height, "with", included)
	st, _ = c.Status(ctx, tx.ID())
	fmt.Println(st.State, "at", st.Height)

	bank.FailNext(1, http.StatusServiceUnavailable)
	_, err := c.Head(ctx)
	fmt.Println(bankclient.IsRetryable(err))
	// Output:
	// pending
	// block 1 with 1
	// included at 1
	// true
}
