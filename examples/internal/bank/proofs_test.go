package bank_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/lightclient"
)

// TestTransactionProof checks GET /transactions/{id}/proof for every
// transaction of a block of several: the proof verifies against the
// header the chain holds (blockchain.VerifyTxInclusion) and against a
// light client synced from GET /headers, and fails against another
// block's root. A transaction no block includes (pending, or unknown) has
// no proof yet.
func TestTransactionProof(t *testing.T) {
	f := newFixture(t, 0)
	var txs []blockchain.Transaction
	for i, name := range []string{"alice", "bob", "carol", "dave", "erin"} {
		tx := consensustest.TransferFee(name, "frank", int64(i+1), 1, 0)
		f.submit(t, tx)
		txs = append(txs, tx)
	}
	block := f.mine(t)
	require.Equal(t, len(txs), block.Len())
	f.submit(t, consensustest.Transfer("alice", "bob", 1, 1))
	other := f.mine(t)
	pending := consensustest.Transfer("alice", "bob", 2, 2)
	f.submit(t, pending)

	genesis, err := f.spec.Genesis()
	require.NoError(t, err)
	client, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: f.engine, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	_, err = client.FromBank(context.Background(), f.server.URL, f.server.Client())
	require.NoError(t, err)

	header, ok := f.node.Chain().HeaderAt(block.Height())
	require.True(t, ok)
	for i, tx := range txs {
		t.Run(fmt.Sprintf("transaction %d", i), func(t *testing.T) {
			got := get[bank.TransactionProof](t, f, "/transactions/"+tx.ID().String()+"/proof")
			assert.Equal(t, tx.Hash(), got.Transaction.Hash())
			assert.Equal(t, block.Height(), got.Height)
			assert.Equal(t, header, got.Header)
			assert.Equal(t, uint64(block.Len()), got.Proof.Count)
			assert.NoError(t, blockchain.VerifyTxInclusion(header.MerkleRoot, tx, got.Proof))
			assert.NoError(t, client.VerifyTransaction(tx, got.Height, got.Proof))
			assert.ErrorIs(t, blockchain.VerifyTxInclusion(other.Header().MerkleRoot, tx, got.Proof), blockchain.ErrProofMismatch)
			assert.Error(t, client.VerifyTransaction(tx, other.Height(), got.Proof))
		})
	}

	for _, tc := range []struct {
		name, id string
		status   int
	}{
		{"pending", pending.ID().String(), http.StatusNotFound},
		{"unknown", consensustest.Transfer("zed", "bob", 1, 0).ID().String(), http.StatusNotFound},
		{"not a UUID", "tx-1", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.problemAt(t, "/transactions/"+tc.id+"/proof", tc.status)
		})
	}
}

// TestTransactionProofOutsideTheWindow: a node with a Window of two
// blocks still proves a transaction of an older block, which the bank
// reads from the log where its index says the block is.
func TestTransactionProofOutsideTheWindow(t *testing.T) {
	f := newFixture(t, 2)
	old := consensustest.Transfer("alice", "bob", 1, 0)
	f.submit(t, old)
	oldBlock := f.mine(t)
	recent := consensustest.Transfer("alice", "bob", 2, 1)
	f.submit(t, recent)
	f.mine(t)
	f.mine(t)
	f.mine(t)
	_, held := f.node.Chain().BlockAt(1)
	require.False(t, held, "block 1 left the window")

	got := get[bank.TransactionProof](t, f, "/transactions/"+old.ID().String()+"/proof")
	assert.Equal(t, uint64(1), got.Height)
	assert.Equal(t, oldBlock.Hash(), got.Header.Hash())
	assert.Equal(t, old.ID(), got.Transaction.ID())
	assert.Equal(t, bank.StatusIncluded, f.status(t, old.ID()).Status, "its status outlives the window")
	got = get[bank.TransactionProof](t, f, "/transactions/"+recent.ID().String()+"/proof")
	assert.Equal(t, uint64(2), got.Height)
}

// TestAccountProof checks GET /accounts/{address}/proof for an account
// that exists and one the chain never saw, at the tip and at older
// heights: each verifies with blockchain.VerifyAccount against the header
// the chain holds at its height, and against a light client, and shows
// the balance and nonce of that height. A proof checked against another
// height's header fails. A height past the tip is a 404.
func TestAccountProof(t *testing.T) {
	f := newFixture(t, 0)
	f.submit(t, consensustest.TransferFee("alice", "bob", 100, 1, 0))
	f.mine(t)
	f.submit(t, consensustest.TransferFee("alice", "bob", 200, 1, 1))
	f.mine(t)
	f.mine(t) // height 3: an empty block

	genesis, err := f.spec.Genesis()
	require.NoError(t, err)
	client, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: f.engine, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	_, err = client.FromBank(context.Background(), f.server.URL, f.server.Client())
	require.NoError(t, err)

	const funds = consensustest.Funds
	for _, tc := range []struct {
		name    string
		account string
		query   string
		height  uint64
		want    blockchain.Account
	}{
		{"alice at the tip", "alice", "", 3, blockchain.Account{Balance: funds - 302, Nonce: 2}},
		{"alice at the tip, asked by height", "alice", "?height=3", 3, blockchain.Account{Balance: funds - 302, Nonce: 2}},
		{"alice after block 1", "alice", "?height=1", 1, blockchain.Account{Balance: funds - 101, Nonce: 1}},
		{"alice at genesis", "alice", "?height=0", 0, blockchain.Account{Balance: funds}},
		{"bob after block 2", "bob", "?height=2", 2, blockchain.Account{Balance: funds + 300}},
		{"the miner after block 1", "miner", "?height=1", 1, blockchain.Account{Balance: funds + consensustest.Reward + 1}},
		{"never seen, at the tip", "zed", "", 3, blockchain.Account{}},
		{"never seen, at genesis", "zed", "?height=0", 0, blockchain.Account{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := consensustest.Addr(tc.account)
			got := get[bank.AccountProofAnswer](t, f, "/accounts/"+addr.String()+"/proof"+tc.query)
			header, ok := f.node.Chain().HeaderAt(tc.height)
			require.True(t, ok)
			assert.Equal(t, header, got.Header)
			assert.Equal(t, tc.height, got.Proof.Height)
			assert.Equal(t, addr, got.Proof.Address)
			assert.Equal(t, tc.want, got.Proof.Account)
			assert.NoError(t, blockchain.VerifyAccount(header, got.Proof))
			assert.NoError(t, client.VerifyAccountAt(tc.height, got.Proof))

			other, ok := f.node.Chain().HeaderAt((tc.height + 1) % 4)
			require.True(t, ok)
			err := blockchain.VerifyAccount(other, got.Proof)
			assert.ErrorIs(t, err, blockchain.ErrProofHeight)
			assert.ErrorContains(t, err, "account proof: ", "the error names the proof")
			assert.Error(t, client.VerifyAccountAt(other.Height, got.Proof))
		})
	}

	for _, tc := range []struct {
		name, query string
		status      int
		field       string
	}{
		{"past the tip", "?height=4", http.StatusNotFound, "height"},
		{"far past the tip", "?height=18446744073709551615", http.StatusNotFound, "height"},
		{"not a number", "?height=tip", http.StatusBadRequest, "height"},
		{"negative", "?height=-1", http.StatusBadRequest, "height"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.problemAt(t, "/accounts/"+consensustest.Addr("alice").String()+"/proof"+tc.query, tc.status)
			assert.Equal(t, tc.field, p.Field)
		})
	}
}

// TestAccountProofOutsideTheStateHistory: the chain keeps the states of
// its newest blockchain.DefaultStateHistory heights (a node does not let
// its app set another), so once the chain is longer, an account proof
// of an older height is a 410, and of the oldest height kept a 200.
func TestAccountProofOutsideTheStateHistory(t *testing.T) {
	f := newFixture(t, 1)
	for range blockchain.DefaultStateHistory + 1 {
		f.mine(t)
	}
	tip := f.node.Chain().Height()
	alice := "/accounts/" + consensustest.Addr("alice").String() + "/proof"
	oldest := tip - blockchain.DefaultStateHistory + 1
	_, kept := f.node.Chain().StateAt(oldest)
	require.True(t, kept, "the chain keeps height %d", oldest)
	_, kept = f.node.Chain().StateAt(oldest - 1)
	require.False(t, kept, "the chain no longer keeps height %d", oldest-1)

	got := get[bank.AccountProofAnswer](t, f, alice+fmt.Sprintf("?height=%d", oldest))
	assert.NoError(t, blockchain.VerifyAccount(got.Header, got.Proof))
	for _, h := range []uint64{oldest - 1, 0} {
		p := f.problemAt(t, alice+fmt.Sprintf("?height=%d", h), http.StatusGone)
		assert.Equal(t, "height", p.Field)
	}
}
