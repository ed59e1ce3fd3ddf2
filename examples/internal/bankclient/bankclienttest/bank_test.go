package bankclienttest_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
	"github.com/eventchain/eventchain/examples/poa"
	"github.com/eventchain/eventchain/lightclient"
)

// post sends body to the fake bank's POST /transactions and returns the
// status code and the decoded answer.
func post(t *testing.T, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/transactions", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return do(t, req)
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), "%s", data)
	if resp.StatusCode >= 400 {
		assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, m
}

func txJSON(t *testing.T, tx blockchain.Transaction) string {
	t.Helper()
	data, err := json.Marshal(tx)
	require.NoError(t, err)
	return string(data)
}

func TestPostRefusals(t *testing.T) {
	otherChain := blockchain.Transfer{ChainID: "another-chain", To: consensustest.Addr("bob"), Amount: 5}.Sign(consensustest.Key("alice"))
	f := consensustest.Transfer("alice", "bob", 5, 0).Fields()
	badSig := blockchain.NewTransaction(f, make([]byte, blockchain.SignatureSize))
	tests := []struct {
		name   string
		body   string
		status int
		rule   string
		field  string
	}{
		{"not JSON", "{", 400, "", ""},
		{"wrong chain", txJSON(t, otherChain), 400, "wrong-chain", "chainId"},
		{"bad signature", txJSON(t, badSig), 400, "bad-signature", "signature"},
		{"self transfer", txJSON(t, consensustest.Transfer("alice", "alice", 5, 0)), 400, "self-transfer", "to"},
		{"nonce gap", txJSON(t, consensustest.Transfer("alice", "bob", 5, 1)), 400, "bad-nonce", "nonce"},
		{"funds", txJSON(t, consensustest.Transfer("alice", "bob", 2_000_000, 0)), 400, "insufficient-funds", "amount"},
		{"forged hash", badHash(t), 400, "bad-hash", "hash"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bank, err := bankclienttest.New(consensustest.Spec())
			require.NoError(t, err)
			srv := httptest.NewServer(bank)
			t.Cleanup(srv.Close)
			status, p := post(t, srv.URL, "", tc.body)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, float64(tc.status), p["status"])
			if tc.rule != "" {
				assert.Equal(t, tc.rule, p["rule"])
				assert.Equal(t, tc.field, p["field"])
			}
			assert.Empty(t, bank.Submitted())
		})
	}
}

// badHash is a transaction's JSON with a hash it does not have.
func badHash(t *testing.T) string {
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(txJSON(t, consensustest.Transfer("alice", "bob", 5, 0))), &m))
	m["hash"] = strings.Repeat("0", 64)
	data, err := json.Marshal(m)
	require.NoError(t, err)
	return string(data)
}

func TestIdempotency(t *testing.T) {
	bank, err := bankclienttest.New(consensustest.Spec())
	require.NoError(t, err)
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)
	first, second := consensustest.Transfer("alice", "bob", 5, 0), consensustest.Transfer("alice", "bob", 6, 1)

	status, st := post(t, srv.URL, "k1", txJSON(t, first))
	require.Equal(t, http.StatusAccepted, status)
	assert.Equal(t, "pending", st["status"])
	status, st = post(t, srv.URL, "k1", txJSON(t, first))
	assert.Equal(t, http.StatusAccepted, status, "the same key and body")
	assert.Equal(t, first.ID().String(), st["id"])
	status, _ = post(t, srv.URL, "k1", txJSON(t, second))
	assert.Equal(t, http.StatusUnprocessableEntity, status, "the key with another body")
	status, _ = post(t, srv.URL, "", txJSON(t, first))
	assert.Equal(t, http.StatusAccepted, status, "the same transaction without a key")
	assert.Len(t, bank.Submitted(), 1)
}

func TestPendingTransfersAndBlocks(t *testing.T) {
	// bob has 104: a first transfer of 100 is accepted, a second of 100
	// is checked net of the first, pending, and refused.
	alice, bob := consensustest.Key("alice"), consensustest.Key("bob")
	bank, err := bankclienttest.New(bankclienttest.Spec("eventchain-test", map[blockchain.Address]int64{alice.Address(): 1000, bob.Address(): 104}))
	require.NoError(t, err)
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)
	c, err := bankclient.New(srv.URL, nil)
	require.NoError(t, err)
	ctx := context.Background()

	a := blockchain.Transfer{ChainID: "eventchain-test", To: alice.Address(), Amount: 100, Nonce: 0}.Sign(bob)
	_, err = c.Submit(ctx, a, "")
	require.NoError(t, err)
	b := blockchain.Transfer{ChainID: "eventchain-test", To: alice.Address(), Amount: 100, Nonce: 1}.Sign(bob)
	_, err = c.Submit(ctx, b, "")
	assert.ErrorIs(t, err, blockchain.ErrInsufficientFunds)

	height, n := bank.Mine()
	assert.Equal(t, uint64(1), height)
	assert.Equal(t, 1, n)
	assert.Equal(t, blockchain.Account{Balance: 4, Nonce: 1}, bank.Account(bob.Address()))

	// A transfer dropped by the test says why.
	d := blockchain.Transfer{ChainID: "eventchain-test", To: alice.Address(), Amount: 1, Nonce: 1}.Sign(bob)
	_, err = c.Submit(ctx, d, "")
	require.NoError(t, err)
	assert.True(t, bank.Drop(d.ID(), fmt.Errorf("waited too long")))
	assert.False(t, bank.Drop(d.ID(), fmt.Errorf("again")), "only a pending transaction is dropped")
	st, err := c.Status(ctx, d.ID())
	require.NoError(t, err)
	assert.Equal(t, bankclient.Status{ID: d.ID(), Hash: d.Hash(), State: bankclient.Dropped, Reason: "waited too long"}, st)
	acct, err := c.Account(ctx, bob.Address())
	require.NoError(t, err)
	assert.Equal(t, uint64(1), acct.NextNonce, "a dropped transfer no longer counts")
}

func TestOtherRequests(t *testing.T) {
	bank, err := bankclienttest.New(consensustest.Spec())
	require.NoError(t, err)
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)
	alice := consensustest.Addr("alice").String()
	tests := []struct {
		path   string
		status int
		field  string
	}{
		{"/accounts/ec00", 400, "address"},
		{"/accounts/" + alice + "/transactions?limit=0", 400, "limit"},
		{"/accounts/" + alice + "/transactions?limit=101", 400, "limit"},
		{"/accounts/" + alice + "/transactions?before=x", 400, "before"},
		{"/transactions/not-a-uuid", 400, "id"},
		{"/transactions/00000000-0000-8000-8000-000000000000", 404, "id"},
		{"/transactions/not-a-uuid/proof", 400, "id"},
		{"/transactions/00000000-0000-8000-8000-000000000000/proof", 404, "id"},
		{"/accounts/ec00/proof", 400, "address"},
		{"/accounts/" + alice + "/proof?height=x", 400, "height"},
		{"/accounts/" + alice + "/proof?height=1", 404, "height"},
		{"/headers?limit=0", 400, "limit"},
		{"/headers?limit=1001", 400, "limit"},
		{"/headers?from=-1", 400, "from"},
		{"/nowhere", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			status, p := get(t, srv.URL+tc.path)
			assert.Equal(t, tc.status, status)
			if tc.field != "" {
				assert.Equal(t, tc.field, p["field"])
			}
		})
	}
	bank.FailNext(1, http.StatusServiceUnavailable)
	resp, err := http.Get(srv.URL + "/chain/head")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Equal(t, len(tests)+1, len(bank.Requests()))
}

func TestSpecPanicsOnAMistake(t *testing.T) {
	assert.Panics(t, func() { bankclienttest.Spec("Bad Chain", nil) })
	assert.Panics(t, func() {
		bankclienttest.Spec("eventchain-test", map[blockchain.Address]int64{consensustest.Addr("alice"): 0})
	})
}

// TestChainAndProofs: Mine makes real blocks, sealed with the spec's
// proof of work, which a light client trusting only the spec's genesis
// accepts from GET /headers; the proofs the fake serves check against
// them.
func TestChainAndProofs(t *testing.T) {
	ctx := context.Background()
	spec := consensustest.Spec()
	spec.Consensus.PoW = &blockchain.PoWSpec{Bits: 8}
	bank, err := bankclienttest.New(spec)
	require.NoError(t, err)
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)
	c, err := bankclient.New(srv.URL, nil)
	require.NoError(t, err)

	var txs []blockchain.Transaction
	for i := range 3 {
		tx := consensustest.TransferFee("alice", "bob", int64(10+i), 1, uint64(i))
		_, err := c.Submit(ctx, tx, "")
		require.NoError(t, err)
		txs = append(txs, tx)
		height, n := bank.Mine()
		require.Equal(t, uint64(i+1), height)
		require.Equal(t, 1, n)
	}
	bank.Mine() // an empty block
	chain := bank.Chain()
	require.Equal(t, uint64(4), chain.Height())
	assert.Equal(t, blockchain.Account{Balance: 4*consensustest.Reward + 3}, bank.Account(bankclienttest.Beneficiary()), "the reward and the fees")

	head, err := c.Head(ctx)
	require.NoError(t, err)
	assert.Equal(t, bankclient.Head{Height: 4, Hash: chain.TipHash(), Timestamp: chain.Tip().Timestamp}, head)
	assert.Equal(t, blockchain.GenesisTime.Add(4*bankclienttest.BlockInterval), head.Timestamp)

	genesis, err := spec.Genesis()
	require.NoError(t, err)
	engine, err := pow.New(pow.SpecConfig(*spec.Consensus.PoW, 1))
	require.NoError(t, err)
	light, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: engine})
	require.NoError(t, err)
	st, err := light.FromBank(ctx, srv.URL, srv.Client())
	require.NoError(t, err)
	assert.Equal(t, 5, st.Accepted, "genesis and four blocks")

	for i, tx := range txs {
		p, err := c.TxProof(ctx, tx.ID())
		require.NoError(t, err)
		assert.Equal(t, uint64(i+1), p.Height)
		assert.NoError(t, light.VerifyTransaction(p.Transaction, p.Height, p.Proof))
	}
	for _, name := range []string{"alice", "bob", "nobody"} {
		a, err := c.AccountProof(ctx, consensustest.Addr(name), nil)
		require.NoError(t, err)
		assert.Equal(t, bank.Account(consensustest.Addr(name)), a.Proof.Account)
		assert.NoError(t, light.VerifyAccountAt(4, a.Proof), name)
	}

	// Headers page as the bank's do.
	for _, tc := range []struct {
		query string
		want  []uint64
	}{
		{"from=2&limit=2", []uint64{2, 3}},
		{"from=3", []uint64{3, 4}},
		{"", []uint64{0, 1, 2, 3, 4}},
		{"from=5", []uint64{}},
		{"from=18446744073709551615", []uint64{}},
	} {
		resp, err := http.Get(srv.URL + "/headers?" + tc.query)
		require.NoError(t, err)
		var page []blockchain.Header
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
		resp.Body.Close()
		require.NotNil(t, page, "%s: a list, never null", tc.query)
		heights := []uint64{}
		for _, h := range page {
			heights = append(heights, h.Height)
		}
		assert.Equal(t, tc.want, heights, tc.query)
	}
}

// TestWithEngine: a proof-of-authority spec needs the engine that seals
// its blocks; with it, Mine makes blocks the spec's signers signed.
func TestWithEngine(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	spec := consensustest.Spec()
	spec.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{
		Signers: []blockchain.PublicKey{blockchain.PublicKey(key.Public().(ed25519.PublicKey))},
	}}
	_, err := bankclienttest.New(spec)
	assert.Error(t, err, "no engine for proof of authority")

	sealer, err := poa.FromSpec(*spec.Consensus.PoA, key)
	require.NoError(t, err)
	bank, err := bankclienttest.New(spec, bankclienttest.WithEngine(sealer))
	require.NoError(t, err)
	height, _ := bank.Mine()
	assert.Equal(t, uint64(1), height)
	tip := bank.Chain().Tip()
	assert.Len(t, tip.Seal, 65, "signed by the signer")
}
