package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
	"github.com/eventchain/eventchain/examples/poa"
	"github.com/eventchain/eventchain/lightclient"
)

// writeJSON answers a request the test intercepted with v as JSON.
func writeJSON(t *testing.T, w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	require.NoError(t, json.NewEncoder(w).Encode(v))
}

// serveHeaders makes the bank answer GET /headers with its own headers,
// each passed through edit first: a bank that forges headers.
func (f *fixture) serveHeaders(t *testing.T, edit func(h *blockchain.Header)) {
	f.serveHeadersBelow(t, math.MaxUint64, edit)
}

// serveHeadersBelow is serveHeaders, serving no header at height n or
// above: a bank whose headers stop short.
func (f *fixture) serveHeadersBelow(t *testing.T, n uint64, edit func(h *blockchain.Header)) {
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/headers" {
			return false
		}
		from, err := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
		require.NoError(t, err)
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		require.NoError(t, err)
		page := []blockchain.Header{}
		for h := from; len(page) < limit && h < n; h++ {
			header, ok := f.bank.Chain().HeaderAt(h)
			if !ok {
				break
			}
			edit(&header)
			page = append(page, header)
		}
		writeJSON(t, w, page)
		return true
	})
}

// serveForgedBlock has the bank serve, on its chain's tip, a block of
// its own making that gives to a more than it has: its header carries
// the state root of that state, and has the work the spec asks (8 bits:
// a few hundred hashes, found here), and the bank proves a's account
// against it. Only the work behind it, and what the chain can hold,
// betray it. The chain must be at genesis.
func (f *fixture) serveForgedBlock(t *testing.T, a blockchain.Address, more int64) {
	chain := f.bank.Chain()
	require.Zero(t, chain.Height())
	batch := chain.State().Batch()
	require.NoError(t, batch.Credit(a, more))
	forged := batch.Apply()
	tip := chain.Tip()
	h := blockchain.NextHeader(tip, nil, tip.Timestamp.Add(time.Second))
	h.StateRoot = forged.Root()
	f.serveMined(t, tip, h, "/accounts/"+a.String()+"/proof", func(h blockchain.Header) any {
		return map[string]any{"header": h, "proof": forged.Prove(a, 1)}
	})
}

// serveForgedTx makes the bank serve a block of its own mining, with
// real work, that holds tx alone — a transaction no node took — and
// tx's proof in it: every header and the proof hold.
func (f *fixture) serveForgedTx(t *testing.T, tx blockchain.Transaction) {
	chain := f.bank.Chain()
	require.Zero(t, chain.Height())
	tip := chain.Tip()
	txs := []blockchain.Transaction{tx}
	h := blockchain.NextHeader(tip, txs, tip.Timestamp.Add(time.Second))
	h.StateRoot = tip.StateRoot
	f.serveMined(t, tip, h, "/transactions/"+tx.ID().String()+"/proof", func(h blockchain.Header) any {
		proof, err := blockchain.NewBlock(h, txs).InclusionProof(0)
		require.NoError(t, err)
		return bankclient.TxProof{Transaction: tx, Height: 1, Header: h, Proof: proof}
	})
}

// serveMined mines h, a header on the genesis tip, paying mallory, with
// the work the spec asks (8 bits: a few hundred hashes), and has the bank
// serve tip and h as its chain's headers and answer(h) at path.
func (f *fixture) serveMined(t *testing.T, tip, h blockchain.Header, path string, answer func(blockchain.Header) any) {
	h.Beneficiary, h.Bits = consensustest.Addr("mallory"), testSpec().Consensus.PoW.Bits
	for h.SealHash().LeadingZeroBits() < int(h.Bits) {
		h.Nonce++
	}
	body := answer(h)
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/headers":
			page := []blockchain.Header{tip, h}
			if r.URL.Query().Get("from") != "0" {
				page = []blockchain.Header{}
			}
			writeJSON(t, w, page)
		case path:
			writeJSON(t, w, body)
		default:
			return false
		}
		return true
	})
}

// intercept adds an interceptor to the bank's: the first that answers wins.
func (f *fixture) intercept(t *testing.T, h func(w http.ResponseWriter, r *http.Request) bool) {
	prev := f.interceptors
	f.interceptors = append(prev, h)
	all := f.interceptors
	f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		for _, h := range all {
			if h(w, r) {
				return true
			}
		}
		return false
	})
}

// txProof returns the true answer of GET /transactions/{id}/proof for a
// transaction in the chain.
func (f *fixture) txProof(t *testing.T, tx blockchain.Transaction) bankclient.TxProof {
	chain := f.bank.Chain()
	for height := uint64(1); height <= chain.Height(); height++ {
		b, ok := chain.BlockAt(height)
		require.True(t, ok)
		for i := range b.Len() {
			if b.Transaction(i).ID() == tx.ID() {
				p, err := b.InclusionProof(i)
				require.NoError(t, err)
				return bankclient.TxProof{Transaction: tx, Height: height, Header: b.Header(), Proof: p}
			}
		}
	}
	t.Fatalf("no block holds %s", tx.ID())
	return bankclient.TxProof{}
}

// serveTxProof makes the bank answer GET /transactions/{id}/proof for tx
// with what forge returns.
func (f *fixture) serveTxProof(t *testing.T, tx blockchain.Transaction, forge func() bankclient.TxProof) {
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/transactions/"+tx.ID().String()+"/proof" {
			return false
		}
		writeJSON(t, w, forge())
		return true
	})
}

// serveAccountProof makes the bank answer GET /accounts/{addr}/proof with
// the proof of addr at height (the height asked for if height < 0),
// edited in its JSON form by edit.
func (f *fixture) serveAccountProof(t *testing.T, addr blockchain.Address, height int, edit func(m map[string]any)) {
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/accounts/"+addr.String()+"/proof" {
			return false
		}
		h := uint64(height)
		if height < 0 {
			asked, err := strconv.ParseUint(r.URL.Query().Get("height"), 10, 64)
			require.NoError(t, err)
			h = asked
		}
		p, err := f.bank.Chain().ProveAccount(addr, h)
		require.NoError(t, err)
		data, err := json.Marshal(p)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		if edit != nil {
			edit(m)
		}
		header, _ := f.bank.Chain().HeaderAt(h)
		writeJSON(t, w, map[string]any{"header": header, "proof": m})
		return true
	})
}

// sendOK runs a send that must succeed.
func (f *fixture) sendOK(t *testing.T, args ...string) {
	t.Helper()
	code, _, stderr := f.run(t, nil, append([]string{"send"}, args...)...)
	require.Equal(t, 0, code, stderr)
}

// sendKilled runs a send that is stopped, as by Ctrl-C or a closed
// terminal, while it waits for a block: its transfer stays in flight.
func (f *fixture) sendKilled(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pause := f.pause
	f.pause = func(*fixture) { cancel() } // and no block is mined
	defer func() { f.pause = pause }()
	code, _, stderr := f.runCtx(ctx, t, nil, append([]string{"send"}, args...)...)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "stopped waiting")
}

// mineOK mines n blocks of whatever is pending.
func (f *fixture) mineOK(n int) {
	for range n {
		f.bank.Mine()
	}
}

func TestVerify(t *testing.T) {
	genesis, err := testSpec().Genesis()
	require.NoError(t, err)
	pin := genesis.Hash().String()
	other := strings.Repeat("0", 63) + "1"
	hashRE := `[0-9a-f]{64}`
	inBlock := func(f *fixture, t *testing.T) {
		f.sendOK(t, "alice", "bob", "125", "-fee", "1") // block 1
		f.mineOK(2)                                     // blocks 2 and 3
	}
	// threeInOne puts three transfers in block 1 (the last is {tx}).
	threeInOne := func(f *fixture, t *testing.T) {
		for _, from := range []string{"bob", "carol", "alice"} {
			f.sendOK(t, from, "dave", "5", "-wait=false")
		}
		f.mineOK(1)
	}
	alices := consensustest.Transfer("alice", "mallory", 999_999, 7)
	unsigned := blockchain.NewTransaction(alices.Fields(), make([]byte, blockchain.SignatureSize))
	otherChain := blockchain.Transfer{ChainID: "another-chain", To: consensustest.Addr("mallory"), Amount: 999_999, Nonce: 7}.Sign(consensustest.Key("alice"))
	tofu := `trusting the bank's chain spec "eventchain-test", as the bank serves it \(the wallet keeps no chain data, so on every use\): genesis ` + pin + `; pin it with -genesis-hash ` + pin + `\n`
	runCases(t, []testCase{
		{
			name: "a transaction in the chain", args: []string{"verify", "{tx}"},
			setup: func(t *testing.T, f *fixture) { inBlock(f, t) },
			stdout: []string{
				`^verified: transaction [0-9a-f-]{36} is in block 1 \(hash ` + hashRE + `\), 3 confirmations, checked against 3 headers whose proof of work this wallet verified\n`,
				`transfer of 125 from alice to bob \(fee 1, nonce 0\)\n$`,
			},
			stderr: []string{`^` + tofu + `$`},
		},
		{
			name: "the genesis pinned", args: []string{"verify", "{tx}", "-genesis-hash", pin},
			setup:     func(t *testing.T, f *fixture) { inBlock(f, t) },
			stdout:    []string{`^verified: transaction [0-9a-f-]{36} is in block 1`},
			stderrNot: []string{`trusting`},
		},
		{
			name: "as many confirmations as asked", args: []string{"verify", "{tx}", "-confirmations", "3"},
			setup:  func(t *testing.T, f *fixture) { inBlock(f, t) },
			stdout: []string{`^verified: transaction [0-9a-f-]{36} is in block 1 \(hash ` + hashRE + `\), 3 confirmations, `},
		},
		{
			// The bank could have mined those three blocks itself: the
			// wallet asks for more work on top of the claim.
			name: "fewer confirmations than asked", args: []string{"verify", "{tx}", "-confirmations", "4"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { inBlock(f, t) },
			stderr: []string{`is in block 1, under 3 block\(s\) of work, the block's own included; -confirmations asks for 4: wait for more blocks`},
		},
		{
			name: "one of three in a block", args: []string{"verify", "{tx}"},
			setup:  func(t *testing.T, f *fixture) { threeInOne(f, t) },
			stdout: []string{`^verified: transaction [0-9a-f-]{36} is in block 1 .* checked against 1 header whose proof of work`, `transfer of 5 from alice to dave`},
		},
		{
			name: "another genesis pinned", args: []string{"verify", "{tx}", "-genesis-hash", other}, code: 1,
			setup:  func(t *testing.T, f *fixture) { inBlock(f, t) },
			stderr: []string{`^wallet: the bank's chain spec "eventchain-test" makes genesis ` + pin + `, not ` + other + ` \(-genesis-hash\): another network, or a bank that lies\n$`},
		},
		{
			name: "the zero hash pinned", args: []string{"verify", "{tx}", "-genesis-hash", strings.Repeat("0", 64)}, code: 2,
			setup:  func(t *testing.T, f *fixture) { inBlock(f, t) },
			stderr: []string{`-genesis-hash: the zero hash is no block's`},
		},
		{
			name: "a bank whose spec is another network's", args: []string{"verify", "{tx}", "-genesis-hash", pin}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				inBlock(f, t)
				spec := testSpec()
				spec.BlockReward++
				f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
					if r.URL.Path != "/chain/spec" {
						return false
					}
					writeJSON(t, w, spec)
					return true
				})
			},
			stderr: []string{`makes genesis ` + hashRE + `, not ` + pin},
		},
		{name: "a malformed -genesis-hash", args: []string{"verify", "{tx}", "-genesis-hash", "xyz"}, code: 2, setup: func(t *testing.T, f *fixture) { inBlock(f, t) }, stderr: []string{`-genesis-hash: have "xyz", want 64 lower-case hex digits`}},
		{name: "a bad ID", args: []string{"verify", "12"}, code: 2, stderr: []string{`want a UUID`}},
		{
			name: "more headers than -max-headers", args: []string{"verify", "{tx}", "-max-headers", "3"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { inBlock(f, t) }, // the genesis and three blocks
			stderr: []string{`the bank served more headers than -max-headers 3: a chain that long, or a bank that lies; raise -max-headers if the chain is that long: .*more headers than Config.MaxHeaders`},
		},
		{
			// A bound past what an int holds (where it has 32 bits) bounds
			// no more than the largest int: the same as on 64 bits, not
			// wrapped round to 2 headers, or to a negative bound refused.
			name: "-max-headers 2^32+2", args: []string{"verify", "{tx}", "-max-headers", "4294967298"},
			setup:  func(t *testing.T, f *fixture) { inBlock(f, t) },
			stdout: []string{`^verified: transaction [0-9a-f-]{36} is in block 1 `},
		},
		{
			name: "-max-headers 2^31", args: []string{"verify", "{tx}", "-max-headers", "2147483648"},
			setup:  func(t *testing.T, f *fixture) { inBlock(f, t) },
			stdout: []string{`^verified: transaction [0-9a-f-]{36} is in block 1 `},
		},
		{name: "-max-headers 1", args: []string{"verify", "{tx}", "-max-headers", "1"}, code: 2, setup: func(t *testing.T, f *fixture) { inBlock(f, t) }, stderr: []string{`-max-headers 1: the genesis and one block are two: want 2 or more`}},
		{
			name: "a pending transaction", args: []string{"verify", "{tx}"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.sendOK(t, "alice", "bob", "5", "-wait=false") },
			stderr: []string{`^wallet: transaction [0-9a-f-]{36} is in no block the bank knows of \(yet\): bank answered 404 Not Found: .*; 'wallet status [0-9a-f-]{36}' says where it stands\n$`},
		},
		{name: "an unknown transaction", args: []string{"verify", "00000000-0000-8000-8000-000000000000"}, code: 1, stderr: []string{`is in no block the bank knows of`}},

		// A bank that lies.
		{
			name: "a forged proof: a sibling changed", args: []string{"verify", "{tx}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				threeInOne(f, t)
				tx := f.lastTx(t)
				f.serveTxProof(t, tx, func() bankclient.TxProof {
					p := f.txProof(t, tx)
					p.Proof.Path[0][0] ^= 1
					return p
				})
			},
			stdout: []string{`^$`},
			stderr: []string{`(?m)^wallet: the bank's proof of transaction [0-9a-f-]{36} does not hold, so do not believe its answer: .*root mismatch`},
		},
		{
			name: "a forged proof: another index", args: []string{"verify", "{tx0}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				threeInOne(f, t)
				tx := f.bank.Submitted()[0]
				f.serveTxProof(t, tx, func() bankclient.TxProof {
					p := f.txProof(t, tx)
					p.Proof.Index = 1 // leaf 1 of 3 climbs with two hashes too
					return p
				})
			},
			stderr: []string{`does not hold.*root mismatch`},
		},
		{
			name: "a forged proof: another count", args: []string{"verify", "{tx0}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				threeInOne(f, t)
				tx := f.bank.Submitted()[0]
				f.serveTxProof(t, tx, func() bankclient.TxProof {
					p := f.txProof(t, tx)
					p.Proof.Count = 4 // leaf 0 of 4 climbs with two hashes too
					return p
				})
			},
			stderr: []string{`does not hold.*proof count is not the block's transaction count: have count 4, want count 3`},
		},
		{
			// The ID covers the signed fields, not the signature: a block
			// the bank mined itself can show alice's transfer with no
			// signature at all, proof and work in order.
			name: "a forged block holding a transfer no one signed", args: []string{"verify", unsigned.ID().String()}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.serveForgedTx(t, unsigned) },
			stdout: []string{`^$`},
			stderr: []string{`(?m)^wallet: the bank's proof of transaction [0-9a-f-]{36} does not hold, so do not believe its answer: .*no node would include it: .*bad-signature`},
		},
		{
			name: "a forged block holding a transfer signed for another chain", args: []string{"verify", otherChain.ID().String()}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.serveForgedTx(t, otherChain) },
			stdout: []string{`^$`},
			stderr: []string{`(?m)^wallet: the bank's proof of transaction [0-9a-f-]{36} does not hold, so do not believe its answer: the transaction is signed for chain "another-chain", not this chain's "eventchain-test"\n$`},
		},
		{
			name: "a pending transaction claimed in a block", args: []string{"verify", "{tx}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				inBlock(f, t)
				mined := f.lastTx(t)
				f.sendOK(t, "carol", "bob", "9", "-wait=false")
				pending := f.lastTx(t)
				f.serveTxProof(t, pending, func() bankclient.TxProof {
					p := f.txProof(t, mined) // block 1's proof, for another transaction
					p.Transaction = pending
					return p
				})
			},
			stderr: []string{`does not hold.*root mismatch`},
		},
		{
			name: "a header with too little work", args: []string{"verify", "{tx}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				inBlock(f, t)
				f.serveHeaders(t, func(h *blockchain.Header) {
					if h.Height == 2 {
						for h.Nonce = 0; h.SealHash().LeadingZeroBits() >= int(h.Bits); h.Nonce++ {
						}
					}
				})
			},
			stderr: []string{`(?m)^wallet: the bank served a header this wallet refuses, so it trusts nothing the bank says: lightclient: header 2: invalid-seal`},
		},
		{
			name: "a header whose work covers another beneficiary", args: []string{"verify", "{tx}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				inBlock(f, t)
				f.serveHeaders(t, func(h *blockchain.Header) {
					if h.Height == 1 {
						for h.Beneficiary = consensustest.Addr("mallory"); h.SealHash().LeadingZeroBits() >= int(h.Bits); h.Beneficiary[0]++ {
						}
					}
				})
			},
			stderr: []string{`header 1: invalid-seal`},
		},
		{
			name: "headers from another genesis", args: []string{"verify", "{tx}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				inBlock(f, t)
				f.serveHeaders(t, func(h *blockchain.Header) {
					if h.Height == 0 {
						h.StateRoot[0] ^= 1 // other balances at genesis
					}
				})
			},
			stderr: []string{`refuses.*lightclient: header 0: not the trusted genesis: have`},
		},
		{
			// The proof could not be checked: said so, rather than
			// that it does not hold.
			name: "headers that stop short of the proof's block", args: []string{"verify", "{tx}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				inBlock(f, t)
				f.serveHeadersBelow(t, 1, func(*blockchain.Header) {})
			},
			stderr: []string{`(?m)^wallet: the bank's proof of transaction [0-9a-f-]{36} is about a block beyond the headers the bank served, so this wallet cannot check it: do not believe its answer: lightclient: no verified header at this height: have height 1, want at most 0\n$`},
		},
		{
			name: "no header at all", args: []string{"verify", "{tx}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				inBlock(f, t)
				f.serveHeadersBelow(t, 0, func(*blockchain.Header) {})
			},
			stderr: []string{`(?m)^wallet: the bank served no block header, not even its genesis, so this wallet can check nothing it says\n$`},
		},
	})
}

func TestVerifiedBalance(t *testing.T) {
	genesis, err := testSpec().Genesis()
	require.NoError(t, err)
	pin := genesis.Hash().String()
	bob := consensustest.Addr("bob").String()
	zoe := consensustest.Addr("zoe").String()
	runCases(t, []testCase{
		{
			name: "a balance checked against the chain", args: []string{"balance", "-verified", "bob"},
			setup: func(t *testing.T, f *fixture) { f.sendOK(t, "alice", "bob", "125") },
			stdout: []string{
				`^address\s+` + bob + `\n`, `balance\s+1000125\n`, `nonce\s+0\n`,
				`verified against the state root of block 1 \(hash [0-9a-f]{64}\), 1 confirmation, checked against 1 header whose proof of work this wallet verified\n$`,
			},
			stderr: []string{`trusting the bank's chain spec`},
		},
		{
			name: "the sender's nonce, the genesis pinned, two dashes", args: []string{"balance", "--verified", "alice", "-genesis-hash", pin},
			setup: func(t *testing.T, f *fixture) {
				f.sendOK(t, "alice", "bob", "125", "-fee", "2")
				f.mineOK(1)
			},
			stdout:    []string{`balance\s+999873\n`, `nonce\s+1\n`, `verified against the state root of block 2 .* 2 headers`},
			stderrNot: []string{`trusting`},
		},
		{
			name: "an address with no account", args: []string{"balance", "-verified", zoe},
			setup:  func(t *testing.T, f *fixture) { f.mineOK(1) },
			stdout: []string{`^address\s+` + zoe + `\n`, `balance\s+0\n`, `nonce\s+0\n`, `verified against the state root of block 1`},
		},
		{
			name: "at genesis", args: []string{"balance", "-verified", "carol"},
			stdout: []string{`balance\s+1000000\n`, `verified against the state root of block 0 \(hash [0-9a-f]{64}\), 1 confirmation, checked against 0 headers`},
		},
		{
			// The state under the tip: a lying state root in the newest
			// header alone, one block's work for the bank, is not asked.
			name: "the state under the tip", args: []string{"balance", "-verified", "-confirmations", "2", "alice"},
			setup: func(t *testing.T, f *fixture) {
				f.sendOK(t, "alice", "bob", "125", "-fee", "2")
				f.mineOK(1)
			},
			stdout: []string{`balance\s+999873\n`, `nonce\s+1\n`, `verified against the state root of block 1 \(hash [0-9a-f]{64}\), 2 confirmations, checked against 2 headers`},
		},
		{
			name: "fewer blocks than confirmations", args: []string{"balance", "-verified", "-confirmations", "3", "alice"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.mineOK(1) },
			stderr: []string{`-confirmations asks for 3 blocks of work on the state it proves, and the chain has 1 block\(s\) of work past its genesis: wait for more blocks`},
		},
		{name: "-confirmations without -verified", args: []string{"balance", "bob", "-confirmations", "2"}, code: 2, stderr: []string{`-confirmations is for -verified`}},
		{name: "-genesis-hash without -verified", args: []string{"balance", "bob", "-genesis-hash", pin}, code: 2, stderr: []string{`-genesis-hash is for -verified`}},
		{name: "-max-headers without -verified", args: []string{"balance", "bob", "-max-headers", "10"}, code: 2, stderr: []string{`-max-headers is for -verified`}},

		// A bank that lies.
		{
			name: "a raised balance", args: []string{"balance", "-verified", "bob"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendOK(t, "alice", "bob", "125")
				f.serveAccountProof(t, consensustest.Addr("bob"), -1, func(m map[string]any) { m["balance"] = m["balance"].(float64) + 1000 })
			},
			stdout: []string{`^$`},
			stderr: []string{`(?m)^wallet: the bank's proof of the account of bob does not hold, so do not believe its answer: .*root mismatch`},
		},
		{
			name: "an old state for the new", args: []string{"balance", "-verified", "bob"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendOK(t, "alice", "bob", "125")
				f.serveAccountProof(t, consensustest.Addr("bob"), 0, nil)
			},
			stderr: []string{`malformed response from the bank: GET /accounts/` + bob + `/proof: the proof at height 0, want 1`},
		},
		{
			name: "an old state relabelled as the new", args: []string{"balance", "-verified", "bob"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendOK(t, "alice", "bob", "125")
				f.serveAccountProof(t, consensustest.Addr("bob"), 0, func(m map[string]any) { m["height"] = 1 })
			},
			stderr: []string{`does not hold.*root mismatch`},
		},
		{
			name: "no account claimed for one that exists", args: []string{"balance", "-verified", zoe}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.mineOK(1)
				f.sendOK(t, "alice", zoe, "77") // block 2
				f.serveAccountProof(t, consensustest.Addr("zoe"), 1, func(m map[string]any) { m["height"] = 2 })
			},
			stderr: []string{`does not hold.*root mismatch`},
		},
		{
			name: "a header with too little work", args: []string{"balance", "-verified", "bob"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendOK(t, "alice", "bob", "125")
				f.serveHeaders(t, func(h *blockchain.Header) {
					if h.Height == 1 {
						for h.Nonce = 0; h.SealHash().LeadingZeroBits() >= int(h.Bits); h.Nonce++ {
						}
					}
				})
			},
			stderr: []string{`the bank served a header this wallet refuses.*header 1: invalid-seal`},
		},
		{
			// The bank mines a block of its own, with real work, on a state
			// of its making: every proof holds, but bob cannot hold more
			// than the genesis allocations and one block reward.
			name: "a forged chain richer than any can be", args: []string{"balance", "-verified", "bob"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.serveForgedBlock(t, consensustest.Addr("bob"), 1_000_000_000_000) },
			stdout: []string{`^$`},
			stderr: []string{`refused: the account of bob: the proof shows a balance of 1000001000000, more than every coin the chain can have made by block 1 \(8000050: its genesis allocations plus a reward of 50 a block\): a chain the bank forged`},
		},
		{
			// What it cannot tell: a lie within what the chain can hold.
			// Only the work of the blocks on it guards that (-confirmations).
			name: "a forged chain within the supply is taken", args: []string{"balance", "-verified", "bob"},
			setup:  func(t *testing.T, f *fixture) { f.serveForgedBlock(t, consensustest.Addr("bob"), 1_000) },
			stdout: []string{`balance\s+1001000\n`, `verified against the state root of block 1`},
		},
		{
			name: "a header with a forged state root", args: []string{"balance", "-verified", "bob"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendOK(t, "alice", "bob", "125")
				f.serveHeaders(t, func(h *blockchain.Header) {
					if h.Height == 1 {
						for h.StateRoot[0]++; h.SealHash().LeadingZeroBits() >= int(h.Bits); h.StateRoot[0]++ {
						}
					}
				})
			},
			stderr: []string{`header 1: invalid-seal`},
		},
	})
}

// TestVerifyProofOfAuthority: on a network of signers, the wallet checks
// each header's signature instead of its work, and says so.
func TestVerifyProofOfAuthority(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	other := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), 1))
	spec := consensustest.Spec()
	spec.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{
		Signers: []blockchain.PublicKey{blockchain.PublicKey(key.Public().(ed25519.PublicKey))},
	}}
	sealer, err := poa.FromSpec(*spec.Consensus.PoA, key)
	require.NoError(t, err)

	f := newFixtureOf(t, spec, bankclienttest.WithEngine(sealer))
	f.sendOK(t, "alice", "bob", "125")
	code, stdout, stderr := f.run(t, nil, "verify", "{tx}")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `^verified: transaction [0-9a-f-]{36} is in block 1 \(hash [0-9a-f]{64}\), 1 confirmation, checked against 1 header whose signatures this wallet verified\n`, stdout)
	code, stdout, stderr = f.run(t, nil, "balance", "-verified", "bob")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `balance\s+1000125\n`, stdout)

	// A header signed by a key that is no signer's.
	f.serveHeaders(t, func(h *blockchain.Header) {
		if h.Height == 1 {
			sh := h.SealHash()
			h.Seal = append([]byte{0}, ed25519.Sign(other, append([]byte("eventchain/poa-seal/v1\x00"), sh[:]...))...)
		}
	})
	code, _, stderr = f.run(t, nil, "verify", "{tx}")
	assert.Equal(t, 1, code)
	assert.Regexp(t, `(?m)^wallet: the bank served a header this wallet refuses, so it trusts nothing the bank says: lightclient: header 1: invalid-seal`, stderr)
}

// TestConfirmationsCountWork: a claim's block is its first
// confirmation; each block on top counts its work at the spec's
// difficulty, up to one. Blocks of the spec's Bits count one each; a
// block two bits easier a quarter; one two bits harder one, not four. (A
// chain whose difficulty retargets lets a lying bank date its own blocks
// apart until the difficulty falls to its floor: counted by blocks, it
// would then pile up confirmations for next to nothing.)
func TestConfirmationsCountWork(t *testing.T) {
	spec := testSpec() // proof of work at a fixed 8 bits
	genesis, err := spec.Genesis()
	require.NoError(t, err)
	// The fake engine takes any Bits: this test is about counting work,
	// not about which Bits a retargeting spec allows.
	client, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: consensustest.NewFaker()})
	require.NoError(t, err)
	require.NoError(t, client.Add(genesis.Header()))
	parent := genesis.Header()
	for _, bits := range []uint32{8, 6, 6, 10} { // blocks 1…4
		h := blockchain.NextHeader(parent, nil, parent.Timestamp.Add(time.Second))
		h.Beneficiary, h.StateRoot, h.Bits = consensustest.Addr("mallory"), parent.StateRoot, bits
		require.NoError(t, client.Add(h))
		parent = h
	}
	l := light{client: client, spec: spec, checks: "proof of work"}
	for _, tc := range []struct {
		height uint64
		want   float64
		says   string
	}{
		{4, 1, "1 block(s) of work"}, // the tip: its own block, whatever its Bits
		{3, 2, "2 block(s) of work"}, // block 4, harder, counts one
		{2, 2.25, "3 block(s), which count 2.25: the work of those on it counted at the spec's 8 bits"},
		{1, 2.5, "4 block(s), which count 2.5: the work of those on it counted at the spec's 8 bits"},
		{0, 3.5, "5 block(s), which count 3.5: the work of those on it counted at the spec's 8 bits"},
	} {
		assert.Equal(t, tc.want, l.depth(tc.height, 4), "block %d", tc.height)
		assert.Equal(t, tc.says, l.describeWork(tc.height, 4), "block %d", tc.height)
	}
	w := &wallet{}
	w.opts.confirmations = 3
	assert.NoError(t, w.deep(l, "claim", 0, 4), "3.5")
	assert.ErrorContains(t, w.deep(l, "claim", 1, 4), "under 4 block(s), which count 2.5")
	w.opts.confirmations = 1
	assert.NoError(t, w.deep(l, "claim", 4, 4), "the tip's own block is one, however easy")
	assert.Equal(t, "2 confirmation(s) (4 block(s), which count 2.5: the work of those on it counted at the spec's 8 bits)", l.confirmed(1, 4))
}

// TestConfirmationsAtGenesis: a chain of its genesis alone has no block
// past it, so balance -verified with -confirmations 2 must say so — under
// proof of work and under proof of authority alike. (It once printed "0
// block(s), which count 1" under proof of work, and read the proof-of-work
// parameters of a proof-of-authority spec, which has none, and panicked.)
func TestConfirmationsAtGenesis(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	poaSpec := consensustest.Spec()
	poaSpec.Consensus = blockchain.ConsensusSpec{Engine: blockchain.EnginePoA, PoA: &blockchain.PoASpec{
		Signers: []blockchain.PublicKey{blockchain.PublicKey(key.Public().(ed25519.PublicKey))},
	}}
	sealer, err := poa.FromSpec(*poaSpec.Consensus.PoA, key)
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		f    func(t *testing.T) *fixture
	}{
		{"proof of work", newFixture},
		{"proof of authority", func(t *testing.T) *fixture { return newFixtureOf(t, poaSpec, bankclienttest.WithEngine(sealer)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f(t) // no block mined: the chain is its genesis
			code, stdout, stderr := f.run(t, nil, "balance", "-verified", "-confirmations", "2", "alice")
			assert.Equal(t, 1, code, stderr)
			assert.Empty(t, stdout)
			assert.Regexp(t, `(?m)^wallet: -confirmations asks for 2 blocks of work on the state it proves, and the chain has no block past its genesis: wait for more blocks`, stderr)
			assert.NotContains(t, stderr, "panic")
		})
	}
}

// TestHeadersRedirectNotFollowed: the headers come from the bank the
// user named, as every other answer does. A bank that redirects GET
// /headers elsewhere — here to a server that serves the true headers —
// is refused, and the other server is never asked: a lying bank must not
// have the wallet fetch the URLs it chooses.
func TestHeadersRedirectNotFollowed(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := newFixture(t)
			f.sendOK(t, "alice", "bob", "125")
			var asked atomic.Int32
			elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				f.bank.ServeHTTP(w, r) // the true headers: following would pass
			}))
			t.Cleanup(elsewhere.Close)
			f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/headers" || "http://"+r.Host == elsewhere.URL {
					return false // the other server's own requests are answered
				}
				http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), status)
				return true
			})
			code, stdout, stderr := f.run(t, nil, "balance", "-verified", "bob")
			assert.Equal(t, 1, code, stderr)
			assert.Empty(t, stdout)
			assert.Regexp(t, fmt.Sprintf(`(?m)^wallet: sync headers from the bank: .*have status %d, want 200`, status), stderr)
			assert.Zero(t, asked.Load(), "the server the bank redirected to was asked")
		})
	}
}

func TestHeadersAheadOfTheClock(t *testing.T) {
	// The fake bank dates its blocks bankclienttest.BlockInterval (10 s)
	// apart. The wallet's clock reads 1 m 1 s before block 3's time:
	// block 2, 51 s ahead of it, is within blockchain.DefaultMaxDrift
	// (1 m); block 3, 61 s ahead, is not, nor any after it.
	behind := func(t *testing.T, f *fixture) {
		h, ok := f.bank.Chain().HeaderAt(3)
		require.True(t, ok)
		now := h.Timestamp.Add(-blockchain.DefaultMaxDrift - time.Second)
		f.now = func() time.Time { return now }
	}
	warning := `(?m)^warning: the bank's header 3 is dated 1m1s ahead of this computer's clock, more than the 1m0s a header may be: this computer's clock may be slow .*the wallet checks against the headers up to block 2, which it verified\n`
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, f *fixture) // after block 1 holds alice's transfer to bob, and blocks 2…5 are mined
		args   []string
		code   int
		stdout string // a regular expression
		stderr []string
	}{
		{
			name: "the clock right", args: []string{"verify", "{tx}"},
			stdout: `verified: transaction [0-9a-f-]{36} is in block 1 .*, 5 confirmations, checked against 5 headers`,
		},
		{
			name: "balance -verified, the clock behind", args: []string{"balance", "-verified", "bob"}, setup: behind,
			stdout: `balance\s+1000005\n.*verified against the state root of block 2 \(hash [0-9a-f]{64}\), 1 confirmation, checked against 2 headers whose proof of work this wallet verified\n$`,
			stderr: []string{warning},
		},
		{
			name: "verify, the clock behind", args: []string{"verify", "{tx}"}, setup: behind,
			stdout: `verified: transaction [0-9a-f-]{36} is in block 1 .*, 2 confirmations, checked against 2 headers`,
			stderr: []string{warning},
		},
		{
			name: "verify a transaction in a block ahead of the clock", args: []string{"verify", "{tx}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendOK(t, "alice", "carol", "7") // block 6
				h, ok := f.bank.Chain().HeaderAt(6)
				require.True(t, ok)
				now := h.Timestamp.Add(-blockchain.DefaultMaxDrift - 30*time.Second) // blocks 0…3 within the drift
				f.now = func() time.Time { return now }
			},
			stderr: []string{
				`(?m)^warning: the bank.s header 4 is dated 1m10s ahead`,
				`wallet: the bank's proof of transaction [0-9a-f-]{36} is about a block beyond the headers this wallet could verify \(the bank's header 4 is dated 1m10s ahead .*\): do not believe its answer until it can be checked: .*have height 6, want at most 3`,
			},
		},
		{
			// Behind the clock or not, a header that fails another rule
			// is refused, and the wallet believes nothing.
			name: "a forged header among those the clock allows", args: []string{"verify", "{tx}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				behind(t, f)
				f.serveHeaders(t, func(h *blockchain.Header) {
					if h.Height == 2 {
						h.Nonce++ // its proof of work no longer holds, most likely
						for h.SealHash().LeadingZeroBits() >= int(h.Bits) {
							h.Nonce++
						}
					}
				})
			},
			stderr: []string{`wallet: the bank served a header this wallet refuses, so it trusts nothing the bank says: lightclient: header 2: `},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.sendOK(t, "alice", "bob", "5") // block 1
			f.mineOK(4)                      // blocks 2…5
			if tc.setup != nil {
				tc.setup(t, f)
			}
			code, stdout, stderr := f.run(t, nil, tc.args...)
			assert.Equal(t, tc.code, code, "exit status; stdout:\n%s\nstderr:\n%s", stdout, stderr)
			if tc.stdout != "" {
				assert.Regexp(t, "(?s)"+tc.stdout, stdout)
			}
			for _, re := range tc.stderr {
				assert.Regexp(t, re, stderr)
			}
			if len(tc.stderr) == 0 {
				assert.NotContains(t, stderr, "warning")
			}
		})
	}
}
