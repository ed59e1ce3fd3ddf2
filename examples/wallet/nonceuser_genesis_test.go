package main

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
)

// TestSendRefusesAnotherChainsProof: a transfer left in flight, mined on
// the network, and a bank that denies it and proves that another transfer
// of alice's used its nonce — on a chain of its own: a spec with the same
// chain ID but Bits 0, so that the six blocks -confirmations asks cost it
// nothing. The wallet, trusting whatever spec the bank served as it
// synced the headers, believed the proof and signed the payment again:
// bob was paid twice on the network. A record now keeps the genesis of
// the chain its transfer was signed for, and a proof from a chain of
// another genesis is refused; a record written before records kept it is
// believed only with -genesis-hash.
func TestSendRefusesAnotherChainsProof(t *testing.T) {
	alice, bob := consensustest.Addr("alice"), consensustest.Addr("bob")
	// attack has the first transfer mined on the network, and the bank
	// then serve a spec of the same chain ID at no work, deny the first,
	// and prove another transfer of nonce 0 under six blocks of its own.
	attack := func(t *testing.T, f *fixture) {
		f.bank.Mine()
		first := f.bank.Submitted()[0]
		fake := testSpec()
		fake.Consensus.PoW = &blockchain.PoWSpec{Bits: 0} // every nonce seals
		genesis, err := fake.Genesis()
		require.NoError(t, err)
		other := blockchain.Transfer{ChainID: fake.ChainID, To: consensustest.Addr("carol"), Amount: 7}.Sign(consensustest.Key("alice"))
		txs := []blockchain.Transaction{other}
		headers := []blockchain.Header{genesis.Header()}
		for i := range defaultSendConfirmations {
			var in []blockchain.Transaction
			if i == 0 {
				in = txs
			}
			prev := headers[len(headers)-1]
			h := blockchain.NextHeader(prev, in, prev.Timestamp.Add(time.Second))
			h.StateRoot, h.Beneficiary = prev.StateRoot, consensustest.Addr("mallory")
			headers = append(headers, h)
		}
		proof, err := blockchain.NewBlock(headers[1], txs).InclusionProof(0)
		require.NoError(t, err)
		f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
			switch r.URL.Path {
			case "/chain/spec":
				writeJSON(t, w, fake)
			case "/headers":
				page := headers
				if r.URL.Query().Get("from") != "0" {
					page = []blockchain.Header{}
				}
				writeJSON(t, w, page)
			case "/transactions/" + first.ID().String():
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"title":"transaction not found","status":404}`))
			case "/accounts/" + alice.String() + "/transactions":
				writeJSON(t, w, bankclient.Page{Height: uint64(len(headers) - 1), Transactions: []bankclient.HistoryEntry{{
					ID: other.ID(), Hash: other.Hash(), Height: 1, From: alice, To: other.To(), Amount: other.Amount(), Direction: bankclient.Out,
				}}})
			case "/transactions/" + other.ID().String() + "/proof":
				writeJSON(t, w, bankclient.TxProof{Transaction: other, Height: 1, Header: headers[1], Proof: proof})
			default:
				return false
			}
			return true
		})
	}
	// oldRecord rewrites alice's record in flight in the form wallets
	// wrote before records kept a genesis: the transaction alone.
	oldRecord := func(t *testing.T, f *fixture) {
		first := f.bank.Submitted()[0]
		data, err := json.Marshal(first)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(f.journal("alice").path(first.ID()), data, 0o600))
	}
	paymentsToBob := func(f *fixture) int {
		n := 0
		for _, tx := range f.bank.Submitted() {
			if tx.To() == bob {
				n++
			}
		}
		return n
	}
	kept := func(t *testing.T, f *fixture) {
		assert.Equal(t, 1, paymentsToBob(f), "one payment")
		_, held := f.journal("alice").same(testSpec().ChainID, bob, 5, 0)
		assert.True(t, held, "the record is kept")
	}
	runCases(t, []testCase{
		{
			name: "a record of this wallet's", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendKilled(t, "alice", "bob", "5")
				attack(t, f)
			},
			stderr: []string{`the bank did not prove by which transfer \(the bank's chain spec makes genesis [0-9a-f]{64}, not [0-9a-f]{64}, the genesis of the chain transaction [0-9a-f-]{36} was signed for`, `nothing new is signed`},
			check:  kept,
		},
		{
			name: "a record of an older wallet's, without -genesis-hash", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendKilled(t, "alice", "bob", "5")
				oldRecord(t, f)
				attack(t, f)
			},
			stderr: []string{`its record, written by an older wallet, does not say the genesis of the chain it was signed for: give -genesis-hash`, `nothing new is signed`},
			check:  kept,
		},
		{
			// At an honest bank, -genesis-hash lets an older wallet's
			// record be checked: another transfer proven under six
			// blocks of the network's work used its nonce, and the
			// transfer is signed anew.
			name: "a record of an older wallet's, with -genesis-hash, at an honest bank", code: 0,
			args: []string{"send", "alice", "bob", "5", "-wait=false", "-genesis-hash", testGenesis(t).String()},
			setup: func(t *testing.T, f *fixture) {
				f.sendKilled(t, "alice", "bob", "5")
				first := f.lastTx(t)
				oldRecord(t, f)
				require.True(t, f.bank.Drop(first.ID(), &blockchain.RuleError{Code: blockchain.ErrBadNonce}))
				code, _, stderr := f.run(t, nil, "send", "alice", "carol", "7", "-wait=false")
				require.Zero(t, code, stderr)
				f.mineOK(defaultSendConfirmations)
			},
			stdout: []string{`^sent 5 from alice to bob \(fee 0, nonce 1\)\n`},
			check:  func(t *testing.T, f *fixture) { assert.Equal(t, 2, paymentsToBob(f), "the first was dropped, proven") },
		},
	})
}
