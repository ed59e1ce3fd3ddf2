package lightclient_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// powConfig configures the engines of the test kit's network.
var powConfig = pow.Config{Bits: testBits, Workers: 1}

// spec is the chain spec of the test kit's network: consensustest's,
// declaring the proof of work at testBits that powEngine's engines run.
var spec = func() blockchain.ChainSpec {
	e, err := pow.New(powConfig)
	if err != nil {
		panic(err)
	}
	return consensustest.SpecOf(e)
}()

// genesis is the genesis block of spec, whose hash the clients trust.
var genesis = genesisOf(spec)

// genesisOf returns the genesis block of s, or panics.
func genesisOf(s blockchain.ChainSpec) *blockchain.Block {
	g, err := s.Genesis()
	if err != nil {
		panic(err)
	}
	return g
}

// powEngine returns a deterministic proof-of-work engine at testBits.
func powEngine(t testing.TB) *pow.Engine {
	t.Helper()
	e, err := pow.New(powConfig)
	require.NoError(t, err)
	return e
}

// powChain generates n proof-of-work blocks on a full chain of the test
// kit's network, each with one transfer, and returns them with the chain
// (which can prove accounts at every height it keeps).
func powChain(t testing.TB, n int) ([]*blockchain.Block, *blockchain.Chain) {
	t.Helper()
	engine := powEngine(t)
	chain := consensustest.NewChain(engine)
	blocks, err := consensustest.GenerateChain(context.Background(), engine, chain, n,
		func(i int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", int64(i+1)) })
	require.NoError(t, err)
	return blocks, chain
}

// headersOf returns genesis and the blocks' headers.
func headersOf(blocks []*blockchain.Block) []blockchain.Header {
	return headersFrom(genesis, blocks)
}

// headersFrom returns g and the blocks' headers: headersOf for the blocks
// of another network than spec's.
func headersFrom(g *blockchain.Block, blocks []*blockchain.Block) []blockchain.Header {
	out := []blockchain.Header{g.Header()}
	for _, b := range blocks {
		out = append(out, b.Header())
	}
	return out
}

// engineGenesis returns the genesis block of the test kit's network run
// by engine, consensustest.SpecOf(engine)'s: genesis for powEngine's
// engines.
func engineGenesis(engine blockchain.Consensus) *blockchain.Block {
	return genesisOf(consensustest.SpecOf(engine))
}

// newClient returns a client trusting the genesis of the test kit's
// network run by engine.
func newClient(t testing.TB, engine blockchain.Consensus) *lightclient.Client {
	t.Helper()
	c, err := lightclient.New(lightclient.Config{Genesis: engineGenesis(engine).Hash(), Engine: engine, Now: clock, MaxDrift: time.Minute})
	require.NoError(t, err)
	return c
}

func TestNewRejectsBadConfig(t *testing.T) {
	g := genesis.Hash()
	for _, tc := range []struct {
		name string
		cfg  lightclient.Config
	}{
		{"no engine", lightclient.Config{Genesis: g}},
		{"a typed nil engine", lightclient.Config{Genesis: g, Engine: (*pow.Engine)(nil)}},
		{"no genesis", lightclient.Config{Engine: consensustest.NewFaker()}},
		{"negative drift", lightclient.Config{Genesis: g, Engine: consensustest.NewFaker(), MaxDrift: -time.Second}},
		{"negative header bound", lightclient.Config{Genesis: g, Engine: consensustest.NewFaker(), MaxHeaders: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lightclient.New(tc.cfg)
			assert.ErrorIs(t, err, lightclient.ErrInvalidConfig)
		})
	}
}

func TestAddAcceptsTheChain(t *testing.T) {
	blocks, _ := powChain(t, 20)
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

// TestMaxHeaders: a client bounded to n headers takes n, the genesis
// included, and refuses the next with ErrTooManyHeaders, keeping what it
// took; a source that serves valid headers without end cannot make it
// take more.
func TestMaxHeaders(t *testing.T) {
	blocks, _ := powChain(t, 5)
	c, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: powEngine(t), Now: clock, MaxDrift: time.Minute, MaxHeaders: 4})
	require.NoError(t, err)
	err = c.Add(headersOf(blocks)...)
	assert.ErrorIs(t, err, lightclient.ErrTooManyHeaders)
	assert.Equal(t, 4, c.Len(), "the genesis and blocks 1…3")
	tip, ok := c.Tip()
	require.True(t, ok)
	assert.Equal(t, blocks[2].Hash(), tip.Hash())
}

// TestMaxHeadersFromLog: FromLog stops at the bound with its error,
// rather than count the headers past it as refused and read past them.
func TestMaxHeadersFromLog(t *testing.T) {
	blocks, _ := powChain(t, 10)
	log := newLog(t, true)
	appendBlocks(t, log, blocks...)
	c, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: powEngine(t), Now: clock, MaxDrift: time.Minute, MaxHeaders: 4})
	require.NoError(t, err)
	st, err := c.FromLog(context.Background(), log)
	assert.ErrorIs(t, err, lightclient.ErrTooManyHeaders)
	assert.Equal(t, 3, st.Accepted)
	assert.Zero(t, st.Skipped, "nothing counted refused")
	assert.Equal(t, 4, c.Len())
	_, err = c.FromLog(context.Background(), log)
	assert.ErrorIs(t, err, lightclient.ErrTooManyHeaders, "the next sync meets the bound again, at the same block")
}

func TestAddWithRetargeting(t *testing.T) {
	engine, err := pow.New(pow.Config{Bits: 4, Workers: 1, RetargetInterval: 4, TargetBlockTime: time.Hour, MinBits: 1, MaxBits: 12})
	require.NoError(t, err)
	blocks, err := consensustest.GenerateChain(context.Background(), engine, consensustest.NewChain(engine), 20, nil)
	require.NoError(t, err)
	require.NotEqual(t, blocks[0].Header().Bits, blocks[19].Header().Bits, "blocks every 10 s against a target of an hour: the difficulty rose")
	c := newClient(t, engine)
	require.NoError(t, c.Add(headersFrom(engineGenesis(engine), blocks)...), "the engine reads the epoch's first header through the client's view")
}

// poaChain generates n proof-of-authority blocks sealed by key, the only
// signer, and returns them with a verifying engine.
func poaChain(t testing.TB, n int) ([]*blockchain.Block, *poa.Engine) {
	t.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := key.Public().(ed25519.PublicKey)
	sealer, err := poa.New([]ed25519.PublicKey{pub}, key)
	require.NoError(t, err)
	verifier, err := poa.New([]ed25519.PublicKey{pub}, nil)
	require.NoError(t, err)
	blocks, err := consensustest.GenerateChain(context.Background(), sealer, consensustest.NewChain(verifier), n, nil)
	require.NoError(t, err)
	return blocks, verifier
}

// TestAddRefusesHostileHeaders offers, on a client that accepted the
// chain up to block k−1, a header that breaks one rule, and checks the
// error and that nothing changed.
func TestAddRefusesHostileHeaders(t *testing.T) {
	const k = 5 // the client holds genesis and blocks 1…4; the hostile header is offered as block 5
	powBlocks, _ := powChain(t, k)
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
			g := genesis.Header()
			g.StateRoot[0] ^= 1 // other balances at genesis
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
			next.Version = 1
			return next
		}, blockchain.ErrBadVersion},
		{"no beneficiary", false, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Beneficiary = blockchain.Address{}
			return next
		}, blockchain.ErrMissingBeneficiary},
		{"more transactions than a block may hold", false, false, func(next, _ blockchain.Header) blockchain.Header {
			next.TxCount = blockchain.MaxBlockTransactions + 1
			return next
		}, blockchain.ErrTooManyTransactions},
		{"another beneficiary: the work does not cover it", false, false, func(next, _ blockchain.Header) blockchain.Header {
			next.Beneficiary = consensustest.Addr("mallory")
			for next.SealHash().LeadingZeroBits() >= int(next.Bits) {
				next.Beneficiary[0]++ // one that surely misses the target
			}
			return next
		}, blockchain.ErrInvalidSeal},
		{"another state root: the work does not cover it", false, false, func(next, _ blockchain.Header) blockchain.Header {
			for next.StateRoot[0]++; next.SealHash().LeadingZeroBits() >= int(next.Bits); next.StateRoot[0]++ {
			}
			return next
		}, blockchain.ErrInvalidSeal},
		{"an empty block with another Merkle root than no transactions", false, false, func(next, _ blockchain.Header) blockchain.Header {
			next.TxCount = 0 // next's root is its one transfer's
			return next
		}, blockchain.ErrBadMerkleRoot},
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
			g := engineGenesis(engine)
			held := headersFrom(g, blocks[:k-1])
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
			require.NoError(t, c.Add(headersFrom(g, blocks)[c.Len():]...), "the real chain still extends the client")
		})
	}
}

// TestAddRefusesAnEmptyBlockWithARoot: a header that says its block is
// empty (TxCount 0) commits to the Merkle root of no transactions, which
// the client can compute, as every node does (ErrBadMerkleRoot). With the
// work done for it, it is still refused.
func TestAddRefusesAnEmptyBlockWithARoot(t *testing.T) {
	blocks, _ := powChain(t, 2)
	c := newClient(t, powEngine(t))
	require.NoError(t, c.Add(headersOf(blocks)...))
	tip, _ := c.Tip()
	h := blockchain.NextHeader(tip, nil, tip.Timestamp.Add(time.Second))
	h.StateRoot, h.Beneficiary, h.Bits = tip.StateRoot, consensustest.Addr("mallory"), testBits
	h.MerkleRoot[0] ^= 1 // not the root of no transactions
	for h.SealHash().LeadingZeroBits() < int(h.Bits) {
		h.Nonce++
	}
	require.Zero(t, h.TxCount)
	require.ErrorIs(t, blockchain.NewBlock(h, nil).Validate(), blockchain.ErrBadMerkleRoot, "every node refuses it")
	require.ErrorIs(t, c.Add(h), blockchain.ErrBadMerkleRoot)
	assert.Equal(t, 3, c.Len())

	h.MerkleRoot[0] ^= 1 // the root of no transactions: a block nodes take
	for h.Nonce = 0; h.SealHash().LeadingZeroBits() < int(h.Bits); h.Nonce++ {
	}
	require.NoError(t, c.Add(h))
}

func TestAddStopsAtTheFirstRefusal(t *testing.T) {
	blocks, _ := powChain(t, 6)
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
	headers := headersFrom(engineGenesis(engine), blocks)
	require.NoError(t, c.Add(headers...))
	headers[1].Seal[1] ^= 1
	got, _ := c.HeaderAt(1)
	got.Seal[2] ^= 1
	again, _ := c.HeaderAt(1)
	assert.Equal(t, blocks[0].Hash(), again.Hash(), "neither the caller's slice nor a returned header reaches the kept one")
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
	blocks, _ := powChain(t, lightclient.BankPageSize+10) // two pages and a bit
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
	blocks, _ := powChain(t, 5)
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
		// The whole page malformed wraps ErrMalformed too, as FromBank
		// says, and not only a header in it.
		{"null, malformed", headers, raw(http.StatusOK, "null"), blockchain.ErrMalformed, 0},
		{"not JSON, malformed", headers, raw(http.StatusOK, "[{"), blockchain.ErrMalformed, 0},
		{"an object, malformed", headers, raw(http.StatusOK, "{}"), blockchain.ErrMalformed, 0},
		{"data after the page, malformed", headers, raw(http.StatusOK, "[] x"), blockchain.ErrMalformed, 0},
		{"an unknown field", headers, raw(http.StatusOK, `[{"version":2,"extra":2}]`), blockchain.ErrMalformed, 0},
		{"no header at all", headers, raw(http.StatusOK, `[]`), lightclient.ErrBadSource, 0},
		{"no header at all, no genesis", headers, raw(http.StatusOK, `[]`), lightclient.ErrNoGenesis, 0},
		{"a null header", headers, raw(http.StatusOK, `[null]`), lightclient.ErrBadSource, 0},
		{"an empty header", headers, raw(http.StatusOK, `[{}]`), lightclient.ErrBadSource, 0},
		{"a header with a field left out", headers, func(w http.ResponseWriter, _, _ uint64) bool {
			enc, err := json.Marshal(headers[0])
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(enc, &m))
			delete(m, "stateRoot")
			require.NoError(t, jsonEncode(w, []any{m}))
			return true
		}, blockchain.ErrMalformed, 0},
		{"a page longer than asked", headers, func(w http.ResponseWriter, _, limit uint64) bool {
			page := make([]blockchain.Header, limit+1)
			for i := range page {
				page[i] = headers[0]
			}
			require.NoError(t, jsonEncode(w, page))
			return true
		}, lightclient.ErrBadSource, 0},
		{"a body over the bound", headers, raw(http.StatusOK, "["+strings.Repeat(" ", lightclient.BankPageSize*lightclient.MaxHeaderJSON)+"]"), lightclient.ErrBadSource, 0},
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
	blocks, chain := powChain(t, 300) // more than two pages of the log
	log := newLog(t, true)

	forged := blocks[150].Header()
	for forged.Nonce = 0; forged.SealHash().LeadingZeroBits() >= testBits; forged.Nonce++ {
	}
	wrongRoot := blocks[150].Header()
	wrongRoot.MerkleRoot = blockchain.TxMerkleRoot(nil) // claims no transactions, but carries one
	wrongRoot = mustSeal(t, wrongRoot)
	wrongCount := blocks[150].Header()
	wrongCount.TxCount = 0 // claims no transactions, but carries one
	wrongCount = mustSeal(t, wrongCount)

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
		blockchain.NewBlock(wrongCount, blocks[150].Transactions()),
		blocks[40], // an old block again: another event ID, the same block
	)
	appendBlocks(t, log, blocks[150:]...)

	c := newClient(t, powEngine(t))
	st, err := c.FromLog(context.Background(), log)
	require.NoError(t, err)
	assert.Equal(t, lightclient.Stats{Accepted: 300, Skipped: 6}, st)
	tip, _ := c.Tip()
	assert.Equal(t, blocks[299].Hash(), tip.Hash())

	n, err := node.New(node.Config{Log: log, Spec: spec, Engine: powEngine(t), Now: clock})
	require.NoError(t, err)
	require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
	assert.Equal(t, n.Chain().TipHash(), tip.Hash(), "the client ends where a node that checks everything ends")

	more, err := consensustest.GenerateChain(context.Background(), powEngine(t), chain, 3, nil)
	require.NoError(t, err)
	appendBlocks(t, log, more...)
	st, err = c.FromLog(context.Background(), log)
	require.NoError(t, err)
	assert.Equal(t, lightclient.Stats{Accepted: 3}, st, "a second sync reads on from where the first stopped")
}

// newLog returns a memlog, closed at the test's end, in which the test
// kit's chain spec (spec) is declared if declare is set.
func newLog(t testing.TB, declare bool) eventlog.Log {
	t.Helper()
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	if declare {
		declared := spec
		_, err := node.LoadSpec(context.Background(), log, &declared)
		require.NoError(t, err)
	}
	return log
}

func TestFromLogEmptyStream(t *testing.T) {
	log := newLog(t, true)
	c := newClient(t, powEngine(t))
	st, err := c.FromLog(context.Background(), log)
	require.NoError(t, err)
	assert.Equal(t, lightclient.Stats{}, st)
	assert.Equal(t, 1, c.Len(), "the genesis of the log's spec, which the log holds no block of")

	other, err := lightclient.New(lightclient.Config{Genesis: blockchain.Hash{1}, Engine: powEngine(t)})
	require.NoError(t, err)
	_, err = other.FromLog(context.Background(), log)
	assert.ErrorIs(t, err, lightclient.ErrWrongGenesis, "the log's spec makes another genesis than the trusted one")

	_, err = newClient(t, powEngine(t)).FromLog(context.Background(), newLog(t, false))
	assert.ErrorIs(t, err, node.ErrNoSpec, "a log without a spec")

	given := newClient(t, powEngine(t))
	require.NoError(t, given.Add(genesis.Header()))
	_, err = given.FromLog(context.Background(), newLog(t, false))
	assert.NoError(t, err, "a client that holds the genesis needs no spec")
}

// TestConcurrentSyncAndVerify runs a sync while other goroutines verify
// transactions, for the race detector.
func TestConcurrentSyncAndVerify(t *testing.T) {
	blocks, chain := powChain(t, 50)
	srv := headersServer(t, headersOf(blocks), nil)
	c := newClient(t, powEngine(t))
	require.NoError(t, c.Add(headersOf(blocks[:1])...))
	proof, err := blocks[0].InclusionProof(0)
	require.NoError(t, err)
	acct, err := chain.ProveAccount(consensustest.Addr("bob"), 1)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				assert.NoError(t, c.VerifyTransaction(blocks[0].Transactions()[0], 1, proof))
				assert.NoError(t, c.VerifyAccount(acct))
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

// TestMaxHeaderJSON: the JSON form of the largest header there can be —
// every number at its maximum, the latest timestamp, a seal of MaxSealLen
// bytes — fits in MaxHeaderJSON, so that a page of BankPageSize honest
// headers always fits in what FromBank reads.
func TestMaxHeaderJSON(t *testing.T) {
	full := blockchain.Hash{}
	for i := range full {
		full[i] = 0xff
	}
	h := blockchain.Header{
		Version: math.MaxUint32, Height: math.MaxUint64, PrevHash: full, MerkleRoot: full, TxCount: math.MaxUint32,
		StateRoot: full, Beneficiary: blockchain.Address(full[:blockchain.AddressSize]),
		Timestamp: time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC), Bits: math.MaxUint32, Nonce: math.MaxUint64,
		Seal: make([]byte, blockchain.MaxSealLen),
	}
	data, err := json.Marshal(h)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(data)+1, lightclient.MaxHeaderJSON, "a header and the comma after it: %s", data)
	t.Logf("the largest header takes %d bytes of JSON", len(data))
}

// TestFromLogDefersHeadersAheadOfTheClock: a header refused only because
// the client's clock is behind is read again by the next FromLog, and
// the client then reaches the tip. A forged block dated far ahead, which
// the real block at its height follows in the log, is not waited on.
func TestFromLogDefersHeadersAheadOfTheClock(t *testing.T) {
	blocks, _ := powChain(t, 20)
	forged := blocks[10].Header()
	forged.Timestamp = now.Add(1000 * time.Hour) // dated far ahead of the clock
	forged = mustSeal(t, forged)
	for _, tc := range []struct {
		name      string
		log       []*blockchain.Block
		clock     time.Time // the client's clock at the first FromLog; the second uses the real one
		first     lightclient.Stats
		firstTip  uint64
		second    lightclient.Stats
		secondTip uint64
	}{
		{
			name: "a clock behind the chain", log: blocks, clock: blocks[5].Header().Timestamp,
			first: lightclient.Stats{Accepted: 6, Skipped: 13, Deferred: 1}, firstTip: 6,
			second: lightclient.Stats{Accepted: 14}, secondTip: 20,
		},
		{
			name: "a forged block dated far ahead, then the real one", log: slices.Concat(blocks[:10], []*blockchain.Block{blockchain.NewBlock(forged, blocks[10].Transactions())}, blocks[10:]),
			clock: now, first: lightclient.Stats{Accepted: 20}, firstTip: 20, second: lightclient.Stats{}, secondTip: 20,
		},
		{
			// The forged block is deferred first, then loses its height to
			// the real one; the client's clock is behind the real block 16,
			// which is deferred in its turn and read again.
			name: "a forged block, then a clock behind", log: slices.Concat(blocks[:10], []*blockchain.Block{blockchain.NewBlock(forged, blocks[10].Transactions())}, blocks[10:]),
			clock: blocks[14].Header().Timestamp,
			first: lightclient.Stats{Accepted: 15, Skipped: 4, Deferred: 1}, firstTip: 15,
			second: lightclient.Stats{Accepted: 5}, secondTip: 20,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := timeless{newLog(t, true)} // only then does the client's clock judge
			appendBlocks(t, log, tc.log...)
			var at atomic.Pointer[time.Time]
			at.Store(&tc.clock)
			c, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: powEngine(t), MaxDrift: time.Second,
				Now: func() time.Time { return *at.Load() }})
			require.NoError(t, err)

			st, err := c.FromLog(context.Background(), log)
			require.NoError(t, err)
			assert.Equal(t, tc.first, st)
			tip, _ := c.Tip()
			assert.Equal(t, tc.firstTip, tip.Height)

			at.Store(&now)
			st, err = c.FromLog(context.Background(), log)
			require.NoError(t, err)
			assert.Equal(t, tc.second, st)
			tip, _ = c.Tip()
			assert.Equal(t, tc.secondTip, tip.Height)
			assert.Equal(t, blocks[tc.secondTip-1].Hash(), tip.Hash())
		})
	}
}

// timeless is a log that records no time: its events' Time is zero.
type timeless struct{ eventlog.Log }

func (l timeless) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	recs, err := l.Log.Read(ctx, stream, from, dir, max)
	for i := range recs {
		recs[i].Time = time.Time{}
	}
	return recs, err
}

// TestFromLogJudgesTimeWhenTheLogRecordedIt: on a log that records when
// it took each event, a header dated too far ahead of its event's time is
// refused for good, as nodes refuse its block, whatever the client's
// clock says then; the headers after it that link to the real chain are
// taken.
func TestFromLogJudgesTimeWhenTheLogRecordedIt(t *testing.T) {
	blocks, _ := powChain(t, 20)
	recordedAt := blocks[19].Header().Timestamp // the log took every event after the last block was made
	forged := blocks[10].Header()
	forged.Timestamp = recordedAt.Add(time.Minute) // a minute ahead of its record: more than MaxDrift
	forged = mustSeal(t, forged)
	log := memlog.New(memlog.Config{Now: func() time.Time { return recordedAt }})
	t.Cleanup(func() { _ = log.Close() })
	declared := spec
	_, err := node.LoadSpec(context.Background(), log, &declared)
	require.NoError(t, err)
	appendBlocks(t, log, blocks[:10]...)
	appendBlocks(t, log, blockchain.NewBlock(forged, blocks[10].Transactions()))
	for _, clock := range []time.Time{recordedAt, recordedAt.Add(24 * time.Hour)} {
		c, err := lightclient.New(lightclient.Config{Genesis: genesis.Hash(), Engine: powEngine(t), MaxDrift: time.Second,
			Now: func() time.Time { return clock }})
		require.NoError(t, err)
		st, err := c.FromLog(context.Background(), log)
		require.NoError(t, err)
		assert.Equal(t, lightclient.Stats{Accepted: 10, Skipped: 1}, st, "clock %v: refused for good, not deferred", clock)
		tip, _ := c.Tip()
		assert.Equal(t, blocks[9].Hash(), tip.Hash(), "clock %v", clock)
	}
}

// TestMisuseIsAnError: a zero Client, a nil log or a typed nil engine
// gets an error, not a panic.
func TestMisuseIsAnError(t *testing.T) {
	var zero lightclient.Client
	assert.ErrorIs(t, zero.Add(genesis.Header()), lightclient.ErrZeroClient)
	_, err := zero.FromLog(context.Background(), newLog(t, true))
	assert.ErrorIs(t, err, lightclient.ErrZeroClient)
	// No request is made for a client that could take nothing.
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	t.Cleanup(srv.Close)
	_, err = zero.FromBank(context.Background(), srv.URL, srv.Client())
	assert.ErrorIs(t, err, lightclient.ErrZeroClient)
	assert.Zero(t, requests.Load(), "a request for a zero client")
	assert.ErrorIs(t, zero.VerifyTransaction(consensustest.Transfer("alice", "bob", 1, 0), 0, blockchain.InclusionProof{}), lightclient.ErrZeroClient)
	assert.ErrorIs(t, zero.VerifyAccount(blockchain.AccountProof{}), lightclient.ErrZeroClient)
	assert.ErrorIs(t, zero.VerifyAccountAt(0, blockchain.AccountProof{}), lightclient.ErrZeroClient)

	c := newClient(t, powEngine(t))
	_, err = c.FromLog(context.Background(), nil)
	assert.Error(t, err)
	_, err = c.FromLog(context.Background(), (*memlog.Log)(nil))
	assert.Error(t, err)
}
