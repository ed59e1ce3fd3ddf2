package bank_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bank"
)

// account reads GET /accounts/{address} of a named test account.
func (f *fixture) account(t *testing.T, name string) bank.AccountState {
	t.Helper()
	return get[bank.AccountState](t, f, "/accounts/"+consensustest.Addr(name).String())
}

// TestAccounts reads balances and nonces before a transfer, while it is
// pending (the nonce counts only the chain, the next nonce the bank's pool
// too) and once mined (the fee and the reward credited to the block's
// beneficiary). An address the chain never saw is an empty account, not
// an error.
func TestAccounts(t *testing.T) {
	f := newFixture(t, 0)
	const funds = consensustest.Funds
	type want struct {
		balance     int64
		nonce, next uint64
	}
	check := func(t *testing.T, height uint64, accounts map[string]want) {
		t.Helper()
		for name, w := range accounts {
			assert.Equal(t, bank.AccountState{
				Address: consensustest.Addr(name), Balance: w.balance, Nonce: w.nonce, Next: w.next, Height: height,
			}, f.account(t, name), name)
		}
	}

	check(t, 0, map[string]want{"alice": {funds, 0, 0}, "bob": {funds, 0, 0}, "zed": {0, 0, 0}})

	f.submit(t, consensustest.TransferFee("alice", "bob", 100, 2, 0))
	f.submit(t, consensustest.TransferFee("alice", "zed", 10, 0, 1))
	check(t, 0, map[string]want{
		"alice": {funds, 0, 2}, // two pending: the chain has not moved, the next nonce has
		"bob":   {funds, 0, 0},
		"zed":   {0, 0, 0},
	})

	f.mine(t)
	check(t, 1, map[string]want{
		"alice": {funds - 100 - 2 - 10, 2, 2},
		"bob":   {funds + 100, 0, 0},
		"zed":   {10, 0, 0},
		"miner": {funds + consensustest.Reward + 2, 0, 0},
		"yves":  {0, 0, 0},
	})

	f.submit(t, consensustest.Transfer("zed", "bob", 4, 0))
	check(t, 1, map[string]want{"zed": {10, 0, 1}})
	f.mine(t)
	check(t, 2, map[string]want{"zed": {6, 1, 1}, "bob": {funds + 104, 0, 0}})

	for _, tc := range []struct{ name, address string }{
		{"a name", "alice"},
		{"a broken checksum", breakChecksum(consensustest.Addr("alice").String())},
		{"upper case", upperAddress},
		{"no prefix", consensustest.Addr("alice").String()[2:]},
		{"cut short", consensustest.Addr("alice").String()[:40]},
		{"a hash", blockchain.Hash{}.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, suffix := range []string{"", "/transactions", "/proof"} {
				p := f.problemAt(t, "/accounts/"+tc.address+suffix, http.StatusBadRequest)
				assert.Equal(t, "address", p.Field, "%s", suffix)
				assert.LessOrEqual(t, len(p.Detail), maxDetail)
			}
		})
	}
}

// TestHistory pages through an account's transactions, in and out, over
// several blocks: newest first, limit at a time, each page's next cursor
// leading to the following one, the last page without one. A block mined
// between two pages does not shift the pages that follow.
func TestHistory(t *testing.T) {
	f := newFixture(t, 0)
	alice := consensustest.Addr("alice")
	nonces := map[string]uint64{}
	send := func(from, to string, amount int64) {
		t.Helper()
		f.submit(t, consensustest.TransferFee(from, to, amount, 1, nonces[from]))
		nonces[from]++
	}
	var blocks []*blockchain.Block
	send("alice", "bob", 1)
	send("carol", "alice", 2)
	send("dave", "erin", 3) // not alice's
	blocks = append(blocks, f.mine(t))
	send("alice", "dave", 4)
	blocks = append(blocks, f.mine(t))
	blocks = append(blocks, f.mine(t)) // empty
	send("bob", "alice", 5)
	send("alice", "erin", 6)
	send("alice", "frank", 7)
	blocks = append(blocks, f.mine(t))
	send("alice", "bob", 8) // pending: not history yet

	// What the history must be: alice's transactions in chain order,
	// reversed.
	var want []bank.HistoryEntry
	for _, b := range blocks {
		for _, tx := range b.Transactions() {
			if tx.From() != alice && tx.To() != alice {
				continue
			}
			dir := "in"
			if tx.From() == alice {
				dir = "out"
			}
			want = append(want, bank.HistoryEntry{ID: tx.ID(), Hash: tx.Hash(), Height: b.Height(), BlockHash: b.Hash(),
				From: tx.From(), To: tx.To(), Amount: tx.Amount(), Fee: tx.Fee(), Nonce: tx.Nonce(), Direction: dir})
		}
	}
	slices.Reverse(want)
	require.Len(t, want, 6)

	path := "/accounts/" + alice.String() + "/transactions"
	all := get[bank.History](t, f, path)
	assert.Equal(t, want, all.Transactions, "newest first, all of them by default")
	assert.Empty(t, all.Next)

	for _, limit := range []int{1, 2, 4, 6, 100} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var got []bank.HistoryEntry
			query := fmt.Sprintf("?limit=%d", limit)
			for pages := 0; ; pages++ {
				require.Less(t, pages, len(want), "the pages never end")
				page := get[bank.History](t, f, path+query)
				assert.LessOrEqual(t, len(page.Transactions), limit)
				got = append(got, page.Transactions...)
				if page.Next == "" {
					break
				}
				assert.Len(t, page.Transactions, limit, "only the last page is short")
				query = fmt.Sprintf("?limit=%d&before=%s", limit, page.Next)
			}
			assert.Equal(t, want, got)
		})
	}

	t.Run("a block between two pages", func(t *testing.T) {
		first := get[bank.History](t, f, path+"?limit=3")
		require.NotEmpty(t, first.Next)
		f.mine(t) // includes alice's pending transfer of 8
		rest := get[bank.History](t, f, path+"?limit=10&before="+first.Next)
		assert.Equal(t, want[3:], rest.Transactions, "the cursor still points where it did")
		assert.Empty(t, rest.Next)
		newest := get[bank.History](t, f, path+"?limit=1")
		require.Len(t, newest.Transactions, 1)
		assert.Equal(t, int64(8), newest.Transactions[0].Amount)
		assert.Equal(t, want, get[bank.History](t, f, path+"?limit=100&before="+newest.Next).Transactions)
	})

	t.Run("an account without history", func(t *testing.T) {
		status, _, body := f.do(t, http.MethodGet, "/accounts/"+consensustest.Addr("zed").String()+"/transactions", "", "")
		require.Equal(t, http.StatusOK, status, "%s", body)
		var page map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(body, &page))
		assert.Equal(t, "[]", string(page["transactions"]), "a list, never null")
		assert.Contains(t, page, "height")
	})

	for _, tc := range []struct{ name, query, field, detail string }{
		{"limit zero", "?limit=0", "limit", ""},
		{"limit too high", "?limit=101", "limit", ""},
		{"limit negative", "?limit=-1", "limit", `"-1" is not a whole number in decimal digits`},
		{"limit not a number", "?limit=ten", "limit", `"ten" is not a whole number in decimal digits`},
		{"limit in exponent form", "?limit=1e1", "limit", `"1e1" is not a whole number in decimal digits`},
		{"limit past uint64", "?limit=99999999999999999999", "limit", `want 1…100: "99999999999999999999" is too large`},
		{"cursor not a number", "?before=x", "before", ""},
		{"cursor negative", "?before=-1", "before", "pass the next cursor of an earlier page"},
		{"cursor empty", "?before=", "before", ""},
		{"cursor given twice", "?before=1&before=1", "before", ""},
		{"cursor with a leading zero", "?before=01", "before", ""},
		{"cursor past the history", "?before=99", "before", ""},
		{"cursor past int32", "?before=4294967296", "before", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.problemAt(t, path+tc.query, http.StatusBadRequest)
			assert.Equal(t, tc.field, p.Field)
			assert.NotContains(t, p.Detail, "strconv", "no Go internals in a client's answer")
			assert.Contains(t, p.Detail, tc.detail)
		})
	}
}

// TestChainSpec reads GET /chain/spec: the node's spec, which decodes
// strictly and hashes to what the genesis block commits to.
func TestChainSpec(t *testing.T) {
	spec := fundedSpec("yves")
	f := newFixtureWith(t, fixtureConfig{spec: spec})
	got := get[blockchain.ChainSpec](t, f, "/chain/spec")
	assert.Equal(t, spec.Hash(), got.Hash())
	assert.Equal(t, f.node.Chain().Spec().Hash(), got.Hash())
	assert.NotEqual(t, consensustest.Spec().Hash(), got.Hash(), "the fixture's own spec")
	assert.Empty(t, spec.Diff(got))
	genesis, ok := f.node.Chain().HeaderAt(0)
	require.True(t, ok)
	assert.Equal(t, got.Hash(), genesis.PrevHash, "the genesis commits to the spec")
}
