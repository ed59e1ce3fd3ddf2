package lightclient_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/poa"
	"github.com/eventchain/eventchain/lightclient"
	"github.com/eventchain/eventchain/node"
)

// testBits is the difficulty of the test chains: low, so generating them
// is fast, and high enough that a nonce picked at random mostly fails.
const testBits = 8

// now is the clients' clock: a year after the generated chains.
var now = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// powEngine returns a deterministic proof-of-work engine at testBits.
func powEngine(t testing.TB) *pow.Engine {
	t.Helper()
	e, err := pow.New(pow.Config{Bits: testBits, Workers: 1})
	require.NoError(t, err)
	return e
}

// powChain generates n proof-of-work blocks on genesis, each with one
// transfer.
func powChain(t testing.TB, n int) []*blockchain.Block {
	t.Helper()
	blocks, err := consensustest.GenerateChain(context.Background(), powEngine(t), blockchain.HeaderList{blockchain.Genesis().Header()}, n,
		func(i int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", int64(i+1)) })
	require.NoError(t, err)
	return blocks
}

// headersOf returns genesis and the blocks' headers.
func headersOf(blocks []*blockchain.Block) []blockchain.Header {
	out := []blockchain.Header{blockchain.Genesis().Header()}
	for _, b := range blocks {
		out = append(out, b.Header())
	}
	return out
}

// newClient returns a client trusting the standard genesis.
func newClient(t testing.TB, engine blockchain.Consensus) *lightclient.Client {
	t.Helper()
	c, err := lightclient.New(lightclient.Config{Genesis: blockchain.Genesis().Hash(), Engine: engine, Now: clock, MaxDrift: time.Minute})
	require.NoError(t, err)
	return c
}

func TestNewRejectsBadConfig(t *testing.T) {
	g := blockchain.Genesis().Hash()
	for _, tc := range []struct {
		name string
		cfg  lightclient.Config
	}{
		{"no engine", lightclient.Config{Genesis: g}},
		{"no genesis", lightclient.Config{Engine: consensustest.NewFaker()}},
		{"negative drift", lightclient.Config{Genesis: g, Engine: consensustest.NewFaker(), MaxDrift: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lightclient.New(tc.cfg)
			assert.Error(t, err)
		})
	}
}

func TestAddAcceptsTheChain(t *testing.T) {
	blocks := powChain(t, 20)
	c := newClient(t, powEngine(t))
	_, ok := c.Tip()
	assert.False(t, ok, "no tip before the genesis")
	require.NoError(t, c.Add(headersOf(blocks)...))
	assert.Equal(t, 21, c.Len())
	tip, ok := c.Tip()
	require.True(t, ok)
	assert.Equal(t, blocks[19].Hash(), tip.Hash())
	for _, b := range blocks {
		h, ok := c.HeaderAt(b.Height())
		require.True(t, ok)
		assert.Equal(t, b.Hash(), h.Hash())
		hash, ok := c.HashAt(b.Height())
		require.True(t, ok)
		assert.Equal(t, b.Hash(), hash)
	}
	_, ok = c.HeaderAt(21)
	assert.False(t, ok)
}

func TestAddWithRetargeting(t *testing.T) {
	engine, err := pow.New(pow.Config{Bits: 4, Workers: 1, RetargetInterval: 4, TargetBlockTime: time.Hour, MinBits: 1, MaxBits: 12})
	require.NoError(t, err)
	blocks, err := consensustest.GenerateChain(context.Background(), engine, blockchain.HeaderList{blockchain.Genesis().Header()}, 20, nil)
	require.NoError(t, err)
	require.NotEqual(t, blocks[0].Header().Bits, blocks[19].Header().Bits, "blocks every 10 s against a target of an hour: the difficulty rose")
	c := newClient(t, engine)
	require.NoError(t, c.Add(headersOf(blocks)...), "the engine reads the epoch's first header through the client's view")
}

// poaChain generates n proof-of-authority blocks sealed by key, the only
// signer, and returns them with a verifying engine.
func poaChain(t *testing.T, n int) ([]*blockchain.Block, *poa.Engine) {
	t.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := key.Public().(ed25519.PublicKey)
	sealer, err := poa.New([]ed25519.PublicKey{pub}, key)
	require.NoError(t, err)
	blocks, err := consensustest.GenerateChain(context.Background(), sealer, blockchain.HeaderList{blockchain.Genesis().Header()}, n, nil)
	require.NoError(t, err)
	verifier, err := poa.New([]ed25519.PublicKey{pub}, nil)
	require.NoError(t, err)
	return blocks, verifier
}

// TestAddRefusesHostileHeaders offers, on a client that accepted the
// chain up to block k−1, a header that breaks one rule, and checks the
// error and that nothing changed.
func TestAddRefusesHostileHeaders(t *testing.T) {
	const k = 5 // the client holds genesis and blocks 1…4; the hostile header is offered as block 5
	powBlocks := powChain(t, k)
	poaBlocks, poaEngine := poaChain(t, k)
	otherKey := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), 1))

	// tooLittleWork returns h with the first nonce whose seal hash misses
	// the target.
	tooLittleWork := func(h blockchain.Header) blockchain.Header {
		for h.Nonce = 0; h.SealHash().LeadingZeroBits() >= int(h.Bits); h.Nonce++ {
		}
		return h
	}

	for _, tc := range []struct {
		name    string
		poa     bool
		empty   bool // offer the header to an empty client
		hostile func(next, parent blockchain.Header) blockchain.Header
		want    error
	}{
		{"the next block itself is fine", false, false, func(next, _ blockchain.Header) blockchain.Header { return next }, nil},
		{"wrong genesis", false, true, func(next, _ blockchain.Header) blockchain.Header { return next }, lightclient.ErrWrongGenesis},
		{"another genesis at height 0", false, true, func(_, _ blockchain.Header) blockchain.Header {
			g := blockchain.Genesis().Header()
			g.Nonce++
			return g
		}, lightclient.ErrWrongGenesis},
		{"too little work", false, false, func(next, _ blockchain.Header) blockchain.Header { return tooLittleWork(next) }, blockchain.ErrInvalidSeal},
		{"easier bits than the rules ask", false, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Bits = 0
			return next
		}, blockchain.ErrBadConsensusFields},
		{"a seal on a proof-of-work header", false, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Seal = []byte{1}
			return next
		}, blockchain.ErrBadConsensusFields},
		{"wrong link", false, false, func(next, parent blockchain.Header) blockchain.Header {
			next.PrevHash = parent.PrevHash // the grandparent's hash
			return next
		}, blockchain.ErrPrevHashMismatch},
		{"link to the parent's seal hash, not its hash", true, false, func(next, parent blockchain.Header) blockchain.Header {
			next.PrevHash = parent.SealHash()
			return next
		}, blockchain.ErrPrevHashMismatch},
		{"wrong height", false, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Height++
			return next
		}, blockchain.ErrBadHeight},
		{"the parent again", false, false, func(_, parent blockchain.Header) blockchain.Header { return parent }, blockchain.ErrPrevHashMismatch},
		{"timestamp before the parent", false, false, func(next, parent blockchain.Header) blockchain.Header {
			next.Timestamp = parent.Timestamp.Add(-time.Millisecond)
			return next
		}, blockchain.ErrTimeBeforeParent},
		{"timestamp too far ahead", false, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Timestamp = now.Add(time.Minute + time.Millisecond)
			return next
		}, blockchain.ErrTimeTooFarAhead},
		{"bad version", false, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Version = 2
			return next
		}, blockchain.ErrBadVersion},
		{"seal too long", true, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Seal = make([]byte, blockchain.MaxSealLen+1)
			return next
		}, blockchain.ErrSealTooLong},
		{"forged seal: one byte of the signature changed", true, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Seal[len(next.Seal)-1] ^= 1
			return next
		}, blockchain.ErrInvalidSeal},
		{"forged seal: signed by a key not a signer", true, false, func(next, _ blockchain.Header) blockchain.Header {
			sh := next.SealHash()
			msg := append([]byte("eventchain/poa-seal/v1\x00"), sh[:]...)
			next.Seal = append([]byte{0}, ed25519.Sign(otherKey, msg)...)
			return next
		}, blockchain.ErrInvalidSeal},
		{"forged seal: none", true, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Seal = nil
			return next
		}, blockchain.ErrInvalidSeal},
		{"proof-of-authority header with a nonce", true, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Nonce = 1
			return next
		}, blockchain.ErrBadConsensusFields},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocks, engine := powBlocks, blockchain.Consensus(powEngine(t))
			if tc.poa {
				blocks, engine = poaBlocks, poaEngine
			}
			c := newClient(t, engine)
			held := headersOf(blocks[:k-1])
			if !tc.empty {
				require.NoError(t, c.Add(held...))
			}
			before := c.Len()
			tipBefore, _ := c.Tip()

			err := c.Add(tc.hostile(blocks[k-1].Header(), held[len(held)-1]))
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			if _, sentinel := tc.want.(blockchain.ErrorCode); sentinel {
				var re *blockchain.RuleError
				require.ErrorAs(t, err, &re, "a chain code comes in a *RuleError")
				assert.Equal(t, tc.want, re.Code)
			}
			assert.Equal(t, before, c.Len(), "a refused header changes nothing")
			tipAfter, _ := c.Tip()
			assert.Equal(t, tipBefore.Hash(), tipAfter.Hash())
			require.NoError(t, c.Add(headersOf(blocks)[c.Len():]...), "the real chain still extends the client")
		})
	}
}

func TestAddStopsAtTheFirstRefusal(t *testing.T) {
	blocks := powChain(t, 6)
	headers := headersOf(blocks)
	bad := headers[4]
	bad.Height = 9
	c := newClient(t, powEngine(t))
	err := c.Add(append(append(headers[:4:4], bad), headers[5:]...)...)
	require.ErrorIs(t, err, blockchain.ErrBadHeight)
	assert.Equal(t, 4, c.Len(), "the headers before the refused one stay, the ones after it are not looked at")
}

func TestAddKeepsItsOwnCopy(t *testing.T) {
	blocks, engine := poaChain(t, 2)
	c := newClient(t, engine)
	headers := headersOf(blocks)
	require.NoError(t, c.Add(headers...))
	headers[1].Seal[1] ^= 1
	got, _ := c.HeaderAt(1)
	got.Seal[2] ^= 1
	again, _ := c.HeaderAt(1)
	assert.Equal(t, blocks[0].Hash(), again.Hash(), "neither the caller's slice nor a returned header reaches the kept one")
}

func TestVerifyTransaction(t *testing.T) {
	blocks := powChain(t, 4)
	c := newClient(t, powEngine(t))
	require.NoError(t, c.Add(headersOf(blocks[:3])...)) // block 4 not synced

	txOf := func(b *blockchain.Block) blockchain.Transaction { return b.Transactions()[0] }
	proofOf := func(b *blockchain.Block) blockchain.InclusionProof {
		p, err := b.InclusionProof(0)
		require.NoError(t, err)
		return p
	}
	for _, tc := range []struct {
		name   string
		tx     blockchain.Transaction
		height uint64
		proof  blockchain.InclusionProof
		want   error
	}{
		{"in its block", txOf(blocks[1]), 2, proofOf(blocks[1]), nil},
		{"a leaf of another block", txOf(blocks[0]), 2, proofOf(blocks[0]), blockchain.ErrProofMismatch},
		{"its proof at another height", txOf(blocks[1]), 1, proofOf(blocks[1]), blockchain.ErrProofMismatch},
		{"a bad proof shape", txOf(blocks[1]), 2, blockchain.InclusionProof{Index: 1, Count: 1}, blockchain.ErrProofIndex},
		{"a header not on the verified chain", txOf(blocks[3]), 4, proofOf(blocks[3]), lightclient.ErrNotVerified},
		{"far beyond the tip", txOf(blocks[3]), 1 << 62, proofOf(blocks[3]), lightclient.ErrNotVerified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.VerifyTransaction(tc.tx, tc.height, tc.proof)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
	empty := newClient(t, powEngine(t))
	assert.ErrorIs(t, empty.VerifyTransaction(txOf(blocks[0]), 0, proofOf(blocks[0])), lightclient.ErrNotVerified)
}

// headersServer serves GET /headers from headers as the bank does, or
// what answer says for a page when it is not nil.
func headersServer(t *testing.T, headers []blockchain.Header, answer func(w http.ResponseWriter, from, limit uint64) bool) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/headers" {
			http.NotFound(w, r)
			return
		}
		from, err1 := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
		limit, err2 := strconv.ParseUint(r.URL.Query().Get("limit"), 10, 64)
		if err1 != nil || err2 != nil {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if answer != nil && answer(w, from, limit) {
			return
		}
		out := []blockchain.Header{}
		for h := from; h < uint64(len(headers)) && uint64(len(out)) < limit; h++ {
			out = append(out, headers[h])
		}
		w.Header().Set("Content-Type", "application/json")
		require.NoError(t, jsonEncode(w, out))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFromBankPages(t *testing.T) {
	blocks := powChain(t, lightclient.BankPageSize+10) // two pages and a bit
	headers := headersOf(blocks)
	srv := headersServer(t, headers, nil)
	c := newClient(t, powEngine(t))
	st, err := c.FromBank(context.Background(), srv.URL, srv.Client())
	require.NoError(t, err)
	assert.Equal(t, len(headers), st.Accepted)
	assert.Equal(t, len(headers), c.Len())

	st, err = c.FromBank(context.Background(), srv.URL+"/", srv.Client())
	require.NoError(t, err)
	assert.Zero(t, st.Accepted, "caught up: nothing new")
}

func TestFromBankRefusesBadAnswers(t *testing.T) {
	blocks := powChain(t, 5)
	headers := headersOf(blocks)
	forged := append([]blockchain.Header(nil), headers...)
	forged[3].Nonce++ // another header at 3, whose work most likely fails…
	for forged[3].SealHash().LeadingZeroBits() >= testBits {
		forged[3].Nonce++ // …and surely does
	}
	raw := func(status int, body string) func(w http.ResponseWriter, from, limit uint64) bool {
		return func(w http.ResponseWriter, _, _ uint64) bool {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return true
		}
	}
	for _, tc := range []struct {
		name     string
		headers  []blockchain.Header
		answer   func(w http.ResponseWriter, from, limit uint64) bool
		want     error
		accepted int
	}{
		{"a forged header", forged, nil, blockchain.ErrInvalidSeal, 3},
		{"a status other than 200", headers, raw(http.StatusServiceUnavailable, "{}"), lightclient.ErrBadSource, 0},
		{"null", headers, raw(http.StatusOK, "null"), lightclient.ErrBadSource, 0},
		{"not JSON", headers, raw(http.StatusOK, "[{"), lightclient.ErrBadSource, 0},
		{"an unknown field", headers, raw(http.StatusOK, `[{"version":1,"extra":2}]`), blockchain.ErrMalformed, 0},
		{"a wrong genesis", headers[1:], nil, lightclient.ErrWrongGenesis, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := headersServer(t, tc.headers, tc.answer)
			c := newClient(t, powEngine(t))
			st, err := c.FromBank(context.Background(), srv.URL, srv.Client())
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.accepted, st.Accepted)
			assert.Equal(t, tc.accepted, c.Len())
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		srv := headersServer(t, headers, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := newClient(t, powEngine(t)).FromBank(ctx, srv.URL, srv.Client())
		assert.ErrorIs(t, err, context.Canceled)
	})
}

// appendBlocks appends a BlockMined event for each block to the blocks stream.
func appendBlocks(t testing.TB, log eventlog.Log, blocks ...*blockchain.Block) {
	t.Helper()
	for _, b := range blocks {
		e, err := events.Encode(events.BlockMined{Block: b, MinerID: "miner-1"})
		require.NoError(t, err)
		_, err = log.Append(context.Background(), node.StreamBlocks, eventlog.Any, e)
		require.NoError(t, err)
	}
}

// appendRaw appends an event of any type and data to the blocks stream.
func appendRaw(t testing.TB, log eventlog.Log, typ, data string) {
	t.Helper()
	_, err := log.Append(context.Background(), node.StreamBlocks, eventlog.Any, eventlog.Event{ID: uuid.New(), Type: typ, Data: []byte(data)})
	require.NoError(t, err)
}

// TestFromLog syncs from a memlog whose blocks stream holds, between the
// real blocks, what a hostile or buggy writer could append: the client
// skips each as a node would, and ends on the node's tip.
func TestFromLog(t *testing.T) {
	blocks := powChain(t, 300) // more than two pages of the log
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })

	forged := blocks[150].Header()
	for forged.Nonce = 0; forged.SealHash().LeadingZeroBits() >= testBits; forged.Nonce++ {
	}
	wrongRoot := blocks[150].Header()
	wrongRoot.MerkleRoot = blockchain.TxMerkleRoot(nil) // claims no transactions, but carries one
	wrongRoot = mustSeal(t, wrongRoot)

	appendBlocks(t, log, blocks[:150]...)
	appendRaw(t, log, "BlockMined", `{"not":"a block"}`)
	appendRaw(t, log, "Nonsense", `{}`)
	sub, err := events.Encode(events.TransactionSubmitted{Tx: blocks[0].Transactions()[0]})
	require.NoError(t, err)
	_, err = log.Append(context.Background(), node.StreamBlocks, eventlog.Any, sub)
	require.NoError(t, err)
	appendBlocks(t, log,
		blockchain.NewBlock(forged, blocks[150].Transactions()),
		blockchain.NewBlock(wrongRoot, blocks[150].Transactions()),
		blocks[40], // an old block again: another event ID, the same block
	)
	appendBlocks(t, log, blocks[150:]...)

	c := newClient(t, powEngine(t))
	st, err := c.FromLog(context.Background(), log)
	require.NoError(t, err)
	assert.Equal(t, lightclient.Stats{Accepted: 300, Skipped: 5}, st)
	tip, _ := c.Tip()
	assert.Equal(t, blocks[299].Hash(), tip.Hash())

	n, err := node.New(node.Config{Log: log, Engine: powEngine(t), Now: clock})
	require.NoError(t, err)
	require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
	assert.Equal(t, n.Chain().TipHash(), tip.Hash(), "the client ends where a node that checks everything ends")

	more, err := consensustest.GenerateChain(context.Background(), powEngine(t), blockchain.HeaderList(headersOf(blocks)), 3, nil)
	require.NoError(t, err)
	appendBlocks(t, log, more...)
	st, err = c.FromLog(context.Background(), log)
	require.NoError(t, err)
	assert.Equal(t, lightclient.Stats{Accepted: 3}, st, "a second sync reads on from where the first stopped")
}

func TestFromLogEmptyStream(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	c := newClient(t, powEngine(t))
	st, err := c.FromLog(context.Background(), log)
	require.NoError(t, err)
	assert.Equal(t, lightclient.Stats{}, st)
	assert.Equal(t, 1, c.Len(), "the genesis, which no log holds")

	other, err := lightclient.New(lightclient.Config{Genesis: blockchain.Hash{1}, Engine: powEngine(t)})
	require.NoError(t, err)
	_, err = other.FromLog(context.Background(), log)
	assert.ErrorIs(t, err, lightclient.ErrWrongGenesis, "a network with its own genesis Adds it first")
}

// TestConcurrentSyncAndVerify runs a sync while other goroutines verify
// transactions, for the race detector.
func TestConcurrentSyncAndVerify(t *testing.T) {
	blocks := powChain(t, 50)
	srv := headersServer(t, headersOf(blocks), nil)
	c := newClient(t, powEngine(t))
	require.NoError(t, c.Add(headersOf(blocks[:1])...))
	proof, err := blocks[0].InclusionProof(0)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				assert.NoError(t, c.VerifyTransaction(blocks[0].Transactions()[0], 1, proof))
				c.Tip()
			}
		})
	}
	_, err = c.FromBank(context.Background(), srv.URL, srv.Client())
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, 51, c.Len())
}

// mustSeal finds a nonce that meets h.Bits.
func mustSeal(t testing.TB, h blockchain.Header) blockchain.Header {
	t.Helper()
	b, err := powEngine(t).Seal(context.Background(), blockchain.NewBlock(h, nil))
	require.NoError(t, err)
	return b.Header()
}

func jsonEncode(w http.ResponseWriter, v any) error { return json.NewEncoder(w).Encode(v) }
