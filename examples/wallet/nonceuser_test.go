package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
)

// TestSendAfterTheFirstIsDenied covers a transfer an earlier run left in
// flight whose nonce is used since, and that the bank now says it dropped
// or never knew: a new transfer is signed only if the bank proves, against
// headers the wallet checks, which other transfer used the nonce. A bank
// that mined the first and denies it would otherwise have the key pay
// twice.
func TestSendAfterTheFirstIsDenied(t *testing.T) {
	alice := consensustest.Addr("alice")
	// denyFirst makes the bank answer GET /transactions/{id} of the first
	// transfer submitted with answer.
	denyFirst := func(t *testing.T, f *fixture, answer func(w http.ResponseWriter, first blockchain.Transaction)) {
		first := f.bank.Submitted()[0]
		f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodGet || r.URL.Path != "/transactions/"+first.ID().String() {
				return false
			}
			answer(w, first)
			return true
		})
	}
	unknown := func(w http.ResponseWriter, _ blockchain.Transaction) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"title":"transaction not found","status":404}`))
	}
	dropped := func(w http.ResponseWriter, first blockchain.Transaction) {
		writeJSON(t, w, bankclient.Status{ID: first.ID(), Hash: first.Hash(), State: bankclient.Dropped, Reason: "its nonce was used by another transfer", Rule: "bad-nonce"})
	}
	// hideHistory makes the bank show no transfer of alice's, in a
	// history it says covers its whole chain.
	hideHistory := func(t *testing.T, f *fixture) {
		f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/accounts/"+alice.String()+"/transactions" {
				return false
			}
			writeJSON(t, w, bankclient.Page{Transactions: []bankclient.HistoryEntry{}, Height: f.bank.Height()})
			return true
		})
	}
	// dropAndTake has a transfer to carol take the nonce of the first,
	// which the bank drops, and mines it under as many blocks as send's
	// -confirmations asks by default.
	dropAndTake := func(t *testing.T, f *fixture) {
		f.sendKilled(t, "alice", "bob", "5")
		first := f.lastTx(t)
		require.True(t, f.bank.Drop(first.ID(), &blockchain.RuleError{Code: blockchain.ErrBadNonce}))
		code, _, stderr := f.run(t, nil, "send", "alice", "carol", "7", "-wait=false")
		require.Zero(t, code, stderr)
		f.mineOK(defaultSendConfirmations)
	}
	// forkProof has the first mined, and the bank deny it and prove
	// instead that another transfer alice signed with its nonce (on
	// another device, say) used it: in a block the bank mined alone, on
	// the genesis, with the work the spec asks — a fork of its own.
	forkProof := func(t *testing.T, f *fixture) {
		f.sendKilled(t, "alice", "bob", "5")
		f.bank.Mine()
		denyFirst(t, f, unknown)
		other := blockchain.Transfer{ChainID: testSpec().ChainID, To: consensustest.Addr("carol"), Amount: 7}.Sign(consensustest.Key("alice"))
		f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/accounts/"+alice.String()+"/transactions" {
				return false
			}
			writeJSON(t, w, bankclient.Page{Height: f.bank.Height(), Transactions: []bankclient.HistoryEntry{{
				ID: other.ID(), Hash: other.Hash(), Height: 1, From: alice, To: other.To(), Amount: other.Amount(), Direction: bankclient.Out,
			}}})
			return true
		})
		genesis, ok := f.bank.Chain().HeaderAt(0)
		require.True(t, ok)
		txs := []blockchain.Transaction{other}
		h := blockchain.NextHeader(genesis, txs, genesis.Timestamp.Add(time.Second))
		h.StateRoot = genesis.StateRoot
		f.serveMined(t, genesis, h, "/transactions/"+other.ID().String()+"/proof", func(h blockchain.Header) any {
			proof, err := blockchain.NewBlock(h, txs).InclusionProof(0)
			require.NoError(t, err)
			return bankclient.TxProof{Transaction: other, Height: 1, Header: h, Proof: proof}
		})
	}
	// paymentsToBob counts the transfers to bob the bank took.
	paymentsToBob := func(f *fixture) int {
		n := 0
		for _, tx := range f.bank.Submitted() {
			if tx.To() == consensustest.Addr("bob") {
				n++
			}
		}
		return n
	}
	mined := func(t *testing.T, f *fixture) {
		f.sendKilled(t, "alice", "bob", "5")
		f.bank.Mine()
	}
	runCases(t, []testCase{
		{
			// The first was mined; the bank says it knows it not, and its
			// history shows it: the wallet proves it included.
			name: "mined, the bank saying it knows it not", args: []string{"send", "alice", "bob", "5", "-wait=false"},
			setup: func(t *testing.T, f *fixture) {
				mined(t, f)
				denyFirst(t, f, unknown)
			},
			stdout: []string{`^included in block 1 \(hash [0-9a-f]{64}\)\n$`},
			stderr: []string{`the same transfer, sent by an earlier run, was included since: transaction [0-9a-f-]{36} \(nonce 0\), which the bank's proof shows though the bank said otherwise; nothing new is signed`},
			check:  func(t *testing.T, f *fixture) { assert.Len(t, f.bank.Submitted(), 1, "one payment") },
		},
		{
			name: "mined, the bank saying it dropped it", args: []string{"send", "alice", "bob", "5", "-wait=false"},
			setup: func(t *testing.T, f *fixture) {
				mined(t, f)
				denyFirst(t, f, dropped)
			},
			stdout: []string{`^included in block 1 \(hash [0-9a-f]{64}\)\n$`},
			check:  func(t *testing.T, f *fixture) { assert.Len(t, f.bank.Submitted(), 1, "one payment") },
		},
		{
			// The bank denies it and hides it from the history: nothing
			// proves the nonce used by another transfer.
			name: "mined, the bank saying it knows it not and hiding it", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				mined(t, f)
				denyFirst(t, f, unknown)
				hideHistory(t, f)
			},
			stderr: []string{`^wallet: the same transfer, sent by an earlier run as transaction [0-9a-f-]{36} \(nonce 0\), is unknown to the bank, but its nonce is used, and the bank did not prove by which transfer \(.*\); nothing new is signed`},
			check: func(t *testing.T, f *fixture) {
				assert.Len(t, f.bank.Submitted(), 1, "one payment")
				_, held := f.journal("alice").same(testSpec().ChainID, consensustest.Addr("bob"), 5, 0)
				assert.True(t, held, "the record is kept")
			},
		},
		{
			name: "mined, the bank saying it dropped it and hiding it", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				mined(t, f)
				denyFirst(t, f, dropped)
				hideHistory(t, f)
			},
			stderr: []string{`is dropped, the bank says, but its nonce is used, and the bank did not prove by which transfer .*; nothing new is signed`},
			check:  func(t *testing.T, f *fixture) { assert.Len(t, f.bank.Submitted(), 1, "one payment") },
		},
		{
			// The bank names the first itself as the user of the nonce, in
			// a forged proof: refused, nothing signed.
			name: "mined, denied, and a forged proof of it", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				mined(t, f)
				denyFirst(t, f, unknown)
				first := f.bank.Submitted()[0]
				f.serveTxProof(t, first, func() bankclient.TxProof {
					p := f.txProof(t, first)
					p.Height = 0 // the genesis, which holds no transfer
					return p
				})
			},
			stderr: []string{`did not prove by which transfer .*; nothing new is signed`},
			check:  func(t *testing.T, f *fixture) { assert.Len(t, f.bank.Submitted(), 1, "one payment") },
		},
		{
			// The first was mined; the bank denies it and proves another
			// transfer of its nonce in a block it mined alone. Believed,
			// the key would sign the same payment again, with the next
			// nonce, and the first being mined, bob would be paid twice:
			// one block of work is not proof enough for that.
			name: "mined, denied, and another transfer proven in a block the bank mined alone", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup: forkProof,
			// The bank proved which transfer: the error says what is
			// missing (blocks on it), not that nothing was proven, and
			// sends the user to wait, not to verify the earlier transfer.
			stderr:    []string{`\nwallet: the same transfer, sent by an earlier run as transaction [0-9a-f-]{36} \(nonce 0\), is unknown to the bank, but its nonce is used by another transfer, not yet as deep as -confirmations asks: transaction [0-9a-f-]{36}, which the bank says used nonce 0, is in block 1, under 1 block\(s\) of work, the block's own included; -confirmations asks for 6: wait for more blocks, and ask again; nothing new is signed: run again once more blocks are on it, or send with -again for a second payment\n$`},
			stderrNot: []string{`did not prove`, `wallet verify`},
			check: func(t *testing.T, f *fixture) {
				assert.Equal(t, 1, paymentsToBob(f), "one payment")
				_, held := f.journal("alice").same(testSpec().ChainID, consensustest.Addr("bob"), 5, 0)
				assert.True(t, held, "the record is kept")
			},
		},
		{
			// -confirmations 1 takes the bank's one block, as the user asked.
			name: "mined, denied, another transfer proven in one block, and -confirmations 1", args: []string{"send", "alice", "bob", "5", "-wait=false", "-confirmations", "1"},
			setup: forkProof,
			check: func(t *testing.T, f *fixture) { assert.Equal(t, 2, paymentsToBob(f), "what -confirmations 1 risks") },
		},
		{
			// Truly dropped: another transfer from alice took its nonce,
			// and the bank proves it. A new transfer is signed.
			name: "dropped, another transfer having taken its nonce", args: []string{"send", "alice", "bob", "5", "-wait=false"},
			setup:     dropAndTake,
			stdout:    []string{`^sent 5 from alice to bob \(fee 0, nonce 1\)\n`},
			stderrNot: []string{`nothing new is signed`},
			check: func(t *testing.T, f *fixture) {
				require.Len(t, f.bank.Submitted(), 3)
				last := f.lastTx(t)
				assert.Equal(t, consensustest.Addr("bob"), last.To())
				assert.Equal(t, uint64(1), last.Nonce())
			},
		},
		{
			// The same, at an honest bank whose ledger index has not yet
			// recorded the block of the other transfer: its history
			// covers no block, its chain one. The wallet signs nothing and
			// says to run again, not to send a second payment; once the
			// index has caught up, it signs the transfer.
			name: "dropped, another transfer having taken its nonce, the index behind", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				dropAndTake(t, f)
				f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
					if f.indexCaughtUp.Load() || r.URL.Path != "/accounts/"+alice.String()+"/transactions" {
						return false
					}
					writeJSON(t, w, bankclient.Page{Transactions: []bankclient.HistoryEntry{}, Height: 0})
					return true
				})
			},
			stderr:    []string{`^wallet: the same transfer, sent by an earlier run as transaction [0-9a-f-]{36} \(nonce 0\), is dropped, the bank says, but its nonce is used, and the bank's history does not yet show by which transfer \(.*the history covers blocks up to 0, the chain is at [0-9]+\); nothing new is signed: run again once the bank's index has caught up with its chain\n$`},
			stderrNot: []string{`-again`},
			check: func(t *testing.T, f *fixture) {
				require.Len(t, f.bank.Submitted(), 2, "nothing signed")
				f.indexCaughtUp.Store(true)
				code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
				require.Zero(t, code, stderr)
				assert.Contains(t, stdout, "sent 5 from alice to bob (fee 0, nonce 1)")
				assert.Len(t, f.bank.Submitted(), 3)
			},
		},
	})
}

// TestSendDeniedTransfer covers a transfer the bank took and then said it
// dropped, or took and answered it refused: the wallet keeps its record
// while the bank counts its nonce as used, so that the same transfer sent
// again is not signed anew on the bank's word.
func TestSendDeniedTransfer(t *testing.T) {
	alice := consensustest.Addr("alice")
	bob := consensustest.Addr("bob")
	// sayDropped makes the bank answer every status of a transfer to bob
	// "dropped".
	sayDropped := func(t *testing.T, f *fixture) {
		f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/transactions/") || strings.HasSuffix(r.URL.Path, "/proof") {
				return false
			}
			for _, tx := range f.bank.Submitted() {
				if r.URL.Path == "/transactions/"+tx.ID().String() && tx.To() == bob {
					writeJSON(t, w, bankclient.Status{ID: tx.ID(), Hash: tx.Hash(), State: bankclient.Dropped, Reason: "its nonce was used by another transfer", Rule: "bad-nonce"})
					return true
				}
			}
			return false
		})
	}
	// takeAndRefuse makes the bank take every transfer posted and answer
	// that it refused it.
	takeAndRefuse := func(t *testing.T, f *fixture) {
		var inner atomic.Bool
		f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost || inner.Load() {
				return false
			}
			inner.Store(true)
			rec := httptest.NewRecorder()
			f.bank.ServeHTTP(rec, r) // taken
			inner.Store(false)
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"title":"transaction refused","status":400,"detail":"nonce 0 is used","field":"nonce","rule":"bad-nonce"}`))
			return true
		})
	}
	// again sends the same transfer again, after a block: it must be
	// reported included, and no second transfer signed.
	again := func(t *testing.T, f *fixture) {
		f.bank.Mine()
		code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
		require.Zero(t, code, stderr)
		assert.Contains(t, stderr, "was included since")
		assert.Contains(t, stdout, "included in block 1")
		assert.Len(t, f.bank.Submitted(), 1, "one payment")
		assert.Equal(t, int64(consensustest.Funds-5), f.bank.Account(alice).Balance)
	}
	runCases(t, []testCase{
		{
			// Mined while the wallet waited, and said dropped.
			name: "dropped, says the bank that mined it", args: []string{"send", "alice", "bob", "5"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { sayDropped(t, f) },
			stderr: []string{`^wallet: transaction [0-9a-f-]{36} dropped: its nonce was used by another transfer \(rule bad-nonce\); it stays recorded in flight: the same transfer sent again posts transaction [0-9a-f-]{36} again while its nonce 0 is unused, and signs a new one only once the bank proves which transfer used that nonce\n$`},
			check:  again,
		},
		{
			// Taken, and answered refused.
			name: "refused, says the bank that took it", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { takeAndRefuse(t, f) },
			stderr: []string{`^wallet: submit: bank answered 400 Bad Request: .*\(rule bad-nonce, field nonce\); .*it stays recorded in flight: the same transfer sent again posts transaction [0-9a-f-]{36} again while its nonce 0 is unused, and signs a new one only once the bank proves which transfer used that nonce\n$`},
			check:  again,
		},
	})
}

// TestSendKeepsADeniedRecord: a bank that mined the transfer, said it
// dropped it, and said once that its nonce is free, had the wallet forget
// its record; the next send of the same transfer, the bank telling the
// truth again, signed a second payment with the next nonce. A record the
// bank denies now stays, whatever the bank says of the nonce.
func TestSendKeepsADeniedRecord(t *testing.T) {
	f := newFixture(t)
	alice, bob := consensustest.Addr("alice"), consensustest.Addr("bob")
	var lie atomic.Bool
	lie.Store(true)
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		if !lie.Load() || r.Method != http.MethodGet {
			return false
		}
		if r.URL.Path == "/accounts/"+alice.String() {
			a := f.bank.Account(alice)
			writeJSON(t, w, bankclient.Account{Address: alice, Balance: a.Balance, Nonce: 0, NextNonce: 0})
			return true
		}
		if f.bank.Height() > 0 && strings.HasPrefix(r.URL.Path, "/transactions/") && !strings.HasSuffix(r.URL.Path, "/proof") {
			for _, tx := range f.bank.Submitted() {
				if r.URL.Path == "/transactions/"+tx.ID().String() && tx.To() == bob {
					writeJSON(t, w, bankclient.Status{ID: tx.ID(), Hash: tx.Hash(), State: bankclient.Dropped, Reason: "lie", Rule: "bad-nonce"})
					return true
				}
			}
		}
		return false
	})
	code, _, stderr := f.run(t, nil, "send", "alice", "bob", "5") // mined while it waits, said dropped
	require.Equal(t, 1, code, stderr)
	require.Equal(t, uint64(1), f.bank.Account(alice).Nonce, "the first is mined")
	lie.Store(false)
	code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
	assert.Zero(t, code, stderr)
	assert.Contains(t, stderr, "was included since")
	assert.Contains(t, stdout, "included in block 1")
	assert.Len(t, f.bank.Submitted(), 1, "one payment")
}

// TestSendAgainRetiresAUsedRecord: a record whose nonce another transfer
// used, which the bank never proves (its history does not show it),
// stayed for ever: every send of the same transfer said so and pointed to
// -again, and -again paid anew but left the record, so the next send said
// the same again. -again now forgets the records of the same transfer
// whose nonce is used; a record whose nonce is unused stays in flight.
func TestSendAgainRetiresAUsedRecord(t *testing.T) {
	f := newFixture(t)
	bob := consensustest.Addr("bob")
	f.takeNonceUnseen(t)
	code, _, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false") // refused: nonce 0 is taken
	require.Equal(t, 1, code, stderr)
	_, held := f.journal("alice").same(testSpec().ChainID, bob, 5, 0)
	require.True(t, held, "precondition: the denied transfer stays recorded")
	f.bank.Mine()
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/transactions") {
			return false
		}
		writeJSON(t, w, bankclient.Page{Transactions: []bankclient.HistoryEntry{}, Height: f.bank.Height()}) // never proven
		return true
	})
	code, _, stderr = f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
	require.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "did not prove by which transfer")

	code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-again", "-wait=false")
	require.Zero(t, code, stderr)
	assert.Contains(t, stderr, "forgot the record of transaction")
	assert.Contains(t, stdout, "nonce 1")
	_, held = f.journal("alice").same(testSpec().ChainID, bob, 5, 0)
	assert.False(t, held, "the used record is forgotten, and -again's own, taken, is cleared")
}

// TestSendFindsANonceFarBack: an honest bank, and more than a thousand
// transfers to the account since the one that took the nonce of a
// transfer the wallet holds in flight. The wallet read ten pages of
// history for it, and then said the bank proved nothing, on every send.
func TestSendFindsANonceFarBack(t *testing.T) {
	f := newFixture(t)
	f.takeNonceUnseen(t)
	code, _, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false") // refused: nonce 0 is taken
	require.Equal(t, 1, code, stderr)
	f.bank.Mine()
	c, err := bankclient.New(f.url, nil)
	require.NoError(t, err)
	const received = 10*maxHistoryLimit + 1
	for i := range received {
		tx := blockchain.Transfer{ChainID: testSpec().ChainID, To: consensustest.Addr("alice"), Amount: 1, Nonce: uint64(i)}.Sign(consensustest.Key("bob"))
		_, err := c.Submit(context.Background(), tx, "")
		require.NoError(t, err)
	}
	f.mineOK(defaultSendConfirmations - 1) // the other transfer under as many blocks as send asks
	code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
	require.Zero(t, code, stderr)
	assert.Contains(t, stdout, "sent 5 from alice to bob (fee 0, nonce 1)", "the other transfer, proven, took nonce 0")
}

// TestSendAgainAfterTheChainBeganAgain: a record left by a run on a chain
// since begun again with the same chain ID, its nonce past the new
// chain's next. Every send of the same transfer posts it again and is
// refused, and says what to do; -again pays anew and forgets it, so the
// next send of the same transfer is a payment of its own, not refused
// again on the old record.
func TestSendAgainAfterTheChainBeganAgain(t *testing.T) {
	f := newFixture(t)
	bob := consensustest.Addr("bob")
	old := blockchain.Transfer{ChainID: testSpec().ChainID, To: bob, Amount: 5, Nonce: 5}.Sign(consensustest.Key("alice"))
	recorded, err := f.journal("alice").claim(testRecord(t, old))
	require.NoError(t, err)
	require.True(t, recorded)

	code, _, stderr := f.run(t, nil, "send", "alice", "bob", "5")
	require.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "if the chain was begun again since this transfer was signed, send with -again")
	assert.Empty(t, f.bank.Submitted(), "the old transfer is refused: nothing taken")

	code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-again")
	require.Zero(t, code, stderr)
	assert.Contains(t, stderr, "forgot the record of transaction "+old.ID().String())
	assert.Contains(t, stdout, "(fee 0, nonce 0)")
	_, held := f.journal("alice").same(testSpec().ChainID, bob, 5, 0)
	assert.False(t, held)

	code, stdout, stderr = f.run(t, nil, "send", "alice", "bob", "5")
	require.Zero(t, code, stderr)
	assert.Contains(t, stdout, "(fee 0, nonce 1)")
	assert.Len(t, f.bank.Submitted(), 2)
}

// TestSendAgainKeepsRunsInFlight: -again forgets the records of the same
// transfer left past the bank's next nonce (a chain begun again), but
// not those that follow on from it: other runs of send -again at the
// same time, signed with the nonces after the bank's next and about to
// post them. Forgotten, one of those, if its run were killed while it
// waited and run again, would be signed anew: a payment too many.
func TestSendAgainKeepsRunsInFlight(t *testing.T) {
	f := newFixture(t)
	bob := consensustest.Addr("bob")
	var inFlight []blockchain.Transaction
	for nonce := range uint64(2) { // two runs of send -again, signed, not yet posted
		tx := blockchain.Transfer{ChainID: testSpec().ChainID, To: bob, Amount: 5, Nonce: nonce}.Sign(consensustest.Key("alice"))
		recorded, err := f.journal("alice").claim(testRecord(t, tx))
		require.NoError(t, err)
		require.True(t, recorded)
		inFlight = append(inFlight, tx)
	}
	left := blockchain.Transfer{ChainID: testSpec().ChainID, To: bob, Amount: 5, Nonce: 7}.Sign(consensustest.Key("alice")) // past them
	recorded, err := f.journal("alice").claim(testRecord(t, left))
	require.NoError(t, err)
	require.True(t, recorded)

	_, _, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-again", "-wait=false")
	assert.Contains(t, stderr, "forgot the record of transaction "+left.ID().String())
	for _, tx := range inFlight {
		assert.NotContains(t, stderr, "forgot the record of transaction "+tx.ID().String())
		assert.True(t, f.journal("alice").holds(tx) || slices.ContainsFunc(f.bank.Submitted(), func(s blockchain.Transaction) bool { return s.ID() == tx.ID() }),
			"transaction %d, in flight, is still recorded or was posted", tx.Nonce())
	}
	assert.False(t, f.journal("alice").holds(left))
}

// takeNonceUnseen has another transfer from alice take nonce 0 (to
// carol, pending) while the next read of alice's account answers as from
// before it: a send after it signs nonce 0, which the bank refuses.
func (f *fixture) takeNonceUnseen(t *testing.T) {
	t.Helper()
	f.sendOK(t, "alice", "carol", "1", "-wait=false") // nonce 0, pending
	var reads atomic.Int32
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/accounts/") || reads.Add(1) > 1 {
			return false
		}
		writeJSON(t, w, bankclient.Account{Address: consensustest.Addr("alice"), Balance: consensustest.Funds})
		return true
	})
}
