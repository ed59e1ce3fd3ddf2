package bank_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/blockchain/pow"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/lightclient"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const watchdog = 30 * time.Second

// flakyLog fails appends with ErrUnavailable while down is true, and
// appends to the stream downStream names (if not empty) always. Tests set
// both between requests.
type flakyLog struct {
	eventlog.Log
	down       bool
	downStream string
}

func (f *flakyLog) Append(ctx context.Context, stream string, expected eventlog.Expected, evs ...eventlog.Event) (eventlog.AppendResult, error) {
	if f.down || stream == f.downStream {
		return eventlog.AppendResult{}, fmt.Errorf("dial: %w", eventlog.ErrUnavailable)
	}
	return f.Log.Append(ctx, stream, expected, evs...)
}

// fixture is a bank on a memlog behind a real HTTP server on loopback.
type fixture struct {
	log    *flakyLog
	node   *node.Node
	bank   *bank.Bank
	server *httptest.Server
}

func newFixture(t *testing.T, window int) *fixture {
	t.Helper()
	return newFixtureOn(t, window, memlog.New(memlog.Config{}))
}

// newFixtureOn is newFixture on the log mem, which it closes at the end.
func newFixtureOn(t *testing.T, window int, mem eventlog.Log) *fixture {
	t.Helper()
	log := &flakyLog{Log: mem}
	n, err := node.New(node.Config{Log: log, Engine: consensustest.NewFaker(), Window: window})
	require.NoError(t, err)
	b, err := bank.New(bank.Config{Node: n, Log: log, Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }})
	require.NoError(t, err)
	require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
	b.SetReady(true)
	srv := httptest.NewServer(b)

	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	g.Go(func() error { return n.Follow(ctx) })
	g.Go(func() error { return b.Run(ctx) })
	t.Cleanup(func() {
		srv.Close()
		cancel()
		_ = g.Wait()
		_ = mem.Close()
	})
	return &fixture{log: log, node: n, bank: b, server: srv}
}

// do sends a request and returns the status, the headers and the body.
func (f *fixture) do(t *testing.T, method, path, contentType, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.server.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.server.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, data
}

func (f *fixture) post(t *testing.T, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	return f.do(t, http.MethodPost, "/transactions", "application/json", body, header...)
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(data, &v), "%s", data)
	return v
}

// mine publishes a block of every pending transaction, as a miner would.
func (f *fixture) mine(t *testing.T) *blockchain.Block {
	t.Helper()
	chain := f.node.Chain()
	txs := f.node.Pool().Candidates(100)
	h := blockchain.NextHeader(chain.Tip(), txs, chain.Tip().Timestamp.Add(time.Second))
	b := blockchain.NewBlock(h, txs)
	require.NoError(t, f.node.PublishBlock(context.Background(), b, "test"))
	nodetest.WaitFor(t, f.node, "the block", func() bool { return chain.TipHash() == b.Hash() })
	return b
}

func TestPostTransactionProblems(t *testing.T) {
	f := newFixture(t, 0)
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		status      int
		field, rule string
	}{
		{"not JSON", "application/json", `{"from":`, 400, "", ""},
		{"unknown field", "application/json", `{"from":"a","to":"b","amount":1,"fee":2}`, 400, "fee", ""},
		{"trailing data", "application/json", `{"from":"a","to":"b","amount":1} {}`, 400, "", ""},
		{"no from", "application/json", `{"to":"b","amount":1}`, 400, "from", ""},
		{"no to", "application/json", `{"from":"a","amount":1}`, 400, "to", ""},
		{"no amount", "application/json", `{"from":"a","to":"b"}`, 400, "amount", ""},
		{"amount a float", "application/json", `{"from":"a","to":"b","amount":1.5}`, 400, "amount", ""},
		{"amount a string", "application/json", `{"from":"a","to":"b","amount":"1"}`, 400, "amount", ""},
		{"amount past int64", "application/json", `{"from":"a","to":"b","amount":9223372036854775808}`, 400, "amount", ""},
		{"from a number", "application/json", `{"from":7,"to":"b","amount":1}`, 400, "from", ""},
		{"zero amount", "application/json", `{"from":"a","to":"b","amount":0}`, 400, "amount", "invalid-amount"},
		{"negative amount", "application/json", `{"from":"a","to":"b","amount":-5}`, 400, "amount", "invalid-amount"},
		{"amount over MaxAmount", "application/json", `{"from":"a","to":"b","amount":9007199254740992}`, 400, "amount", "invalid-amount"},
		{"empty from", "application/json", `{"from":"","to":"b","amount":1}`, 400, "from", "missing-sender"},
		{"empty to", "application/json", `{"from":"a","to":"","amount":1}`, 400, "to", "missing-receiver"},
		{"to oneself", "application/json", `{"from":"a","to":"a","amount":1}`, 400, "to", "self-transfer"},
		{"from too long", "application/json", `{"from":"` + strings.Repeat("a", 65) + `","to":"b","amount":1}`, 400, "from", "bad-account"},
		{"to with a control character", "application/json", `{"from":"a","to":"b\n","amount":1}`, 400, "to", "bad-account"},
		{"text, not JSON", "text/plain", `{"from":"a","to":"b","amount":1}`, 415, "", ""},
		{"no content type", "", `{"from":"a","to":"b","amount":1}`, 415, "", ""},
		{"too large", "application/json", `{"from":"` + strings.Repeat("a", 20<<10) + `","to":"b","amount":1}`, 413, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body := f.do(t, http.MethodPost, "/transactions", tc.contentType, tc.body)
			assert.Equal(t, tc.status, status, "%s", body)
			assert.Equal(t, "application/problem+json", header.Get("Content-Type"))
			p := decode[bank.Problem](t, body)
			assert.Equal(t, tc.status, p.Status)
			assert.NotEmpty(t, p.Title)
			assert.Equal(t, tc.field, p.Field)
			assert.Equal(t, tc.rule, p.Rule)
		})
	}
	assert.Zero(t, f.node.Pool().Len(), "nothing refused reached the log")
}

func TestTransactionLifecycle(t *testing.T) {
	f := newFixture(t, 0)
	status, header, body := f.post(t, `{"from":"alice","to":"bob","amount":125}`)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	accepted := decode[bank.TransactionStatus](t, body)
	assert.Equal(t, bank.StatusPending, accepted.Status)
	require.NotNil(t, accepted.Hash)

	status, _, body = f.do(t, http.MethodGet, "/transactions/"+accepted.ID.String(), "", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, bank.StatusPending, decode[bank.TransactionStatus](t, body).Status)

	nodetest.WaitFor(t, f.node, "the transaction in the pool", func() bool { return f.node.Pool().Has(accepted.ID) })
	b := f.mine(t)
	status, _, body = f.do(t, http.MethodGet, "/transactions/"+accepted.ID.String(), "", "")
	require.Equal(t, http.StatusOK, status)
	got := decode[bank.TransactionStatus](t, body)
	assert.Equal(t, bank.StatusIncluded, got.Status)
	require.NotNil(t, got.BlockHash)
	require.NotNil(t, got.Height)
	assert.Equal(t, b.Hash(), *got.BlockHash)
	assert.Equal(t, uint64(1), *got.Height)
	assert.Equal(t, *accepted.Hash, *got.Hash)
}

func TestDroppedTransaction(t *testing.T) {
	f := newFixture(t, 0)
	id := uuid.MustParse("3d1e6f0a-7b2c-4d5e-8f90-a1b2c3d4e5f6")
	e, err := events.Encode(events.TransactionDropped{TxID: id, Reason: "not included after 3 rebroadcasts", Attempts: 3})
	require.NoError(t, err)
	_, err = f.log.Append(context.Background(), node.StreamAudit, eventlog.Any, e)
	require.NoError(t, err)
	timer := time.NewTimer(watchdog)
	defer timer.Stop()
	for {
		status, _, body := f.do(t, http.MethodGet, "/transactions/"+id.String(), "", "")
		if status == http.StatusOK {
			got := decode[bank.TransactionStatus](t, body)
			assert.Equal(t, bank.StatusDropped, got.Status)
			assert.Equal(t, "not included after 3 rebroadcasts", got.Reason)
			return
		}
		require.Equal(t, http.StatusNotFound, status, "until the bank has read the audit event")
		select {
		case <-timer.C:
			t.Fatal("the bank never reported the dropped transaction")
		default:
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t, 0)
	body := `{"from":"alice","to":"bob","amount":5}`
	s1, _, b1 := f.post(t, body, "Idempotency-Key", "order-17")
	s2, _, b2 := f.post(t, body, "Idempotency-Key", "order-17")
	require.Equal(t, http.StatusAccepted, s1)
	require.Equal(t, http.StatusAccepted, s2)
	first, second := decode[bank.TransactionStatus](t, b1), decode[bank.TransactionStatus](t, b2)
	assert.Equal(t, first.ID, second.ID, "a retry gets the first answer")
	assert.Equal(t, first.Hash, second.Hash)

	s3, _, b3 := f.post(t, `{"from":"alice","to":"bob","amount":6}`, "Idempotency-Key", "order-17")
	assert.Equal(t, http.StatusUnprocessableEntity, s3, "%s", b3)

	s4, _, b4 := f.post(t, body)
	require.Equal(t, http.StatusAccepted, s4)
	assert.NotEqual(t, first.ID, decode[bank.TransactionStatus](t, b4).ID, "without a key, the same body is a new transaction")

	nodetest.WaitFor(t, f.node, "two transactions pending", func() bool { return f.node.Pool().Len() == 2 })
}

func TestLogUnavailable(t *testing.T) {
	f := newFixture(t, 0)
	f.log.down = true
	status, header, body := f.post(t, `{"from":"alice","to":"bob","amount":5}`)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "5", header.Get("Retry-After"))
	assert.Equal(t, "application/problem+json", header.Get("Content-Type"))
	assert.Equal(t, http.StatusServiceUnavailable, decode[bank.Problem](t, body).Status)

	f.log.down = false
	status, _, _ = f.post(t, `{"from":"alice","to":"bob","amount":5}`)
	assert.Equal(t, http.StatusAccepted, status, "the bank recovers by itself")
}

func TestGetTransactionProblems(t *testing.T) {
	f := newFixture(t, 0)
	status, _, _ := f.do(t, http.MethodGet, "/transactions/not-a-uuid", "", "")
	assert.Equal(t, http.StatusBadRequest, status)
	status, _, _ = f.do(t, http.MethodGet, "/transactions/"+uuid.NewString(), "", "")
	assert.Equal(t, http.StatusNotFound, status)
}

func TestBlocks(t *testing.T) {
	f := newFixture(t, 2) // the node keeps the two newest blocks whole
	var blocks []*blockchain.Block
	for i := range 3 {
		status, _, body := f.post(t, fmt.Sprintf(`{"from":"alice","to":"bob","amount":%d}`, i+1))
		require.Equal(t, http.StatusAccepted, status, "%s", body)
		id := decode[bank.TransactionStatus](t, body).ID
		nodetest.WaitFor(t, f.node, "the transaction", func() bool { return f.node.Pool().Has(id) })
		blocks = append(blocks, f.mine(t))
	}

	status, _, body := f.do(t, http.MethodGet, "/blocks?from=1&limit=10", "", "")
	require.Equal(t, http.StatusOK, status)
	list := decode[[]bank.BlockSummary](t, body)
	require.Len(t, list, 3)
	for i, s := range list {
		assert.Equal(t, uint64(i+1), s.Height)
		assert.Equal(t, blocks[i].Hash(), s.Hash)
	}
	assert.Nil(t, list[0].Transactions, "block 1 left the window")
	require.NotNil(t, list[2].Transactions)
	assert.Equal(t, 1, *list[2].Transactions)

	status, _, body = f.do(t, http.MethodGet, "/blocks?limit=2", "", "")
	require.Equal(t, http.StatusOK, status)
	newest := decode[[]bank.BlockSummary](t, body)
	require.Len(t, newest, 2)
	assert.Equal(t, uint64(2), newest[0].Height, "by default, the newest blocks")

	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"by height", "/blocks/3", 200},
		{"by hash", "/blocks/" + blocks[2].Hash().String(), 200},
		{"genesis left the window", "/blocks/0", 410},
		{"beyond the tip", "/blocks/4", 404},
		{"unknown hash", "/blocks/" + strings.Repeat("ab", 32), 404},
		{"not a reference", "/blocks/tip", 400},
		{"limit zero", "/blocks?limit=0", 400},
		{"limit too high", "/blocks?limit=101", 400},
		{"from not a number", "/blocks?from=x", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := f.do(t, http.MethodGet, tc.path, "", "")
			assert.Equal(t, tc.status, status, "%s", body)
		})
	}
	_, _, body = f.do(t, http.MethodGet, "/blocks/3", "", "")
	var got blockchain.Block
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, blocks[2].Hash(), got.Hash())

	status, _, body = f.do(t, http.MethodGet, "/chain/head", "", "")
	require.Equal(t, http.StatusOK, status)
	head := decode[bank.Head](t, body)
	assert.Equal(t, uint64(3), head.Height)
	assert.Equal(t, blocks[2].Hash(), head.Hash)
	assert.Zero(t, head.Pending)
}

// TestHeaders reads GET /headers through a real HTTP server: whole
// headers, seal included, by height, and problems naming the parameter.
func TestHeaders(t *testing.T) {
	f := newFixture(t, 1) // headers outlive the window of whole blocks
	want := []blockchain.Header{blockchain.Genesis().Header()}
	for range 3 {
		want = append(want, f.mine(t).Header())
	}

	status, header, body := f.do(t, http.MethodGet, "/headers", "", "")
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	all := decode[[]blockchain.Header](t, body)
	require.Len(t, all, 4, "by default from genesis, up to 100")
	for i, h := range all {
		assert.Equal(t, want[i].Hash(), h.Hash(), "header %d", i)
	}

	for _, tc := range []struct {
		name, query string
		heights     []uint64
	}{
		{"a page", "?from=1&limit=2", []uint64{1, 2}},
		{"shorter at the tip", "?from=2&limit=1000", []uint64{2, 3}},
		{"the tip alone", "?from=3", []uint64{3}},
		{"empty past the tip", "?from=4", nil},
		{"empty far past the tip", "?from=18446744073709551615&limit=1000", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := f.do(t, http.MethodGet, "/headers"+tc.query, "", "")
			require.Equal(t, http.StatusOK, status, "%s", body)
			assert.True(t, strings.HasPrefix(string(body), "["), "a list, never null: %s", body)
			var heights []uint64
			for _, h := range decode[[]blockchain.Header](t, body) {
				assert.Equal(t, want[h.Height].Hash(), h.Hash())
				heights = append(heights, h.Height)
			}
			assert.Equal(t, tc.heights, heights)
		})
	}

	for _, tc := range []struct {
		name, query, field string
	}{
		{"limit zero", "?limit=0", "limit"},
		{"limit too high", "?limit=1001", "limit"},
		{"limit negative", "?limit=-1", "limit"},
		{"limit not a number", "?limit=ten", "limit"},
		{"from not a number", "?from=x", "from"},
		{"from negative", "?from=-1", "from"},
		{"from beyond uint64", "?from=18446744073709551616", "from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body := f.do(t, http.MethodGet, "/headers"+tc.query, "", "")
			require.Equal(t, http.StatusBadRequest, status, "%s", body)
			assert.Equal(t, "application/problem+json", header.Get("Content-Type"))
			assert.Equal(t, tc.field, decode[bank.Problem](t, body).Field)
		})
	}
}

// TestHeadersSyncALightClient serves a proof-of-work chain from a bank
// over real HTTP to a light client that trusts only the genesis: it pages
// through GET /headers, checks every header, and can then check a
// transaction's inclusion proof against a header it verified.
func TestHeadersSyncALightClient(t *testing.T) {
	engine, err := pow.New(pow.Config{Bits: 8, Workers: 1})
	require.NoError(t, err)
	blocks, err := consensustest.GenerateChain(context.Background(), engine, blockchain.HeaderList{blockchain.Genesis().Header()}, 1200,
		func(i int, g *consensustest.BlockGen) { g.AddTransfer("alice", "bob", int64(i+1)) })
	require.NoError(t, err)
	log := memlog.New(memlog.Config{})
	for _, blk := range blocks {
		e, err := events.Encode(events.BlockMined{Block: blk, MinerID: "miner-1"})
		require.NoError(t, err)
		_, err = log.Append(context.Background(), node.StreamBlocks, eventlog.Any, e)
		require.NoError(t, err)
	}
	n, err := node.New(node.Config{Log: log, Engine: engine, Window: 10})
	require.NoError(t, err)
	require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
	b, err := bank.New(bank.Config{Node: n, Log: log})
	require.NoError(t, err)
	b.SetReady(true)
	srv := httptest.NewServer(b)
	t.Cleanup(func() {
		srv.Close()
		_ = log.Close()
	})

	client, err := lightclient.New(lightclient.Config{Genesis: blockchain.Genesis().Hash(), Engine: engine})
	require.NoError(t, err)
	st, err := client.FromBank(context.Background(), srv.URL, srv.Client())
	require.NoError(t, err)
	assert.Equal(t, 1201, st.Accepted, "genesis and 1200 blocks, in two pages")
	tip, ok := client.Tip()
	require.True(t, ok)
	assert.Equal(t, n.Chain().TipHash(), tip.Hash())

	blk := blocks[41]
	proof, err := blk.InclusionProof(0)
	require.NoError(t, err)
	assert.NoError(t, client.VerifyTransaction(blk.Transactions()[0], blk.Height(), proof))
	assert.ErrorIs(t, client.VerifyTransaction(blk.Transactions()[0], blk.Height()+1, proof), blockchain.ErrProofMismatch)
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, 0)
	f.bank.SetReady(false)
	status, _, _ := f.do(t, http.MethodGet, "/healthz", "", "")
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = f.do(t, http.MethodGet, "/readyz", "", "")
	assert.Equal(t, http.StatusServiceUnavailable, status, "not ready before SetReady")
	status, header, _ := f.post(t, `{"from":"alice","to":"bob","amount":1}`)
	assert.Equal(t, http.StatusServiceUnavailable, status, "no transaction taken before the node is restored")
	assert.NotEmpty(t, header.Get("Retry-After"))
	f.bank.SetReady(true)
	status, _, _ = f.do(t, http.MethodGet, "/readyz", "", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Positive(t, f.bank.Requests()[http.StatusOK])
	assert.Positive(t, f.bank.Requests()[http.StatusServiceUnavailable])
}

// TestOpenAPIListsEveryRoute checks that the served OpenAPI document and
// the routes the bank registers are the same set.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	f := newFixture(t, 0)
	status, header, body := f.do(t, http.MethodGet, "/openapi.yaml", "", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "application/yaml", header.Get("Content-Type"))
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(body, &doc))
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3."))
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var registered []string
	for _, r := range f.bank.Routes() {
		registered = append(registered, strings.TrimSuffix(r, "{$}")) // ServeMux's exact-match marker
	}
	slices.Sort(documented)
	slices.Sort(registered)
	assert.Equal(t, registered, documented)
}

func TestExplorer(t *testing.T) {
	f := newFixture(t, 0)
	status, header, body := f.do(t, http.MethodGet, "/", "", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "text/html; charset=utf-8", header.Get("Content-Type"))
	assert.Contains(t, string(body), "eventchain explorer")
	assert.Contains(t, string(body), `new EventSource("/events")`)
	assert.NotContains(t, string(body), "https://", "no external assets")

	req, err := http.NewRequest(http.MethodGet, f.server.URL+"/events", nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	resp, err := f.server.Client().Do(req.WithContext(ctx))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	lines := bufio.NewScanner(resp.Body)
	next := func() bank.ExplorerState {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				return decode[bank.ExplorerState](t, []byte(data))
			}
		}
		t.Fatalf("the event stream ended: %v", lines.Err())
		return bank.ExplorerState{}
	}
	first := next()
	assert.Equal(t, uint64(0), first.Height)
	require.Len(t, first.Blocks, 1, "genesis")

	status, _, body = f.post(t, `{"from":"alice","to":"bob","amount":5}`)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	id := decode[bank.TransactionStatus](t, body).ID
	nodetest.WaitFor(t, f.node, "the transaction", func() bool { return f.node.Pool().Has(id) })
	mined := f.mine(t)
	var st bank.ExplorerState
	for st.Height < 1 {
		st = next()
	}
	require.Len(t, st.Blocks, 2)
	last := st.Blocks[1]
	assert.Equal(t, mined.Hash(), last.Hash)
	assert.Equal(t, 1, last.Transactions)
	assert.Equal(t, "test", last.Miner, "the miner named in the block's event")
}

// restart starts a new node and a new bank on f's log, as after a crash
// of the bank's process, and returns the new bank's URL and client.
func (f *fixture) restart(t *testing.T, now time.Time) *httptest.Server {
	t.Helper()
	n, err := node.New(node.Config{Log: f.log, Engine: consensustest.NewFaker()})
	require.NoError(t, err)
	b, err := bank.New(bank.Config{Node: n, Log: f.log, Now: func() time.Time { return now }})
	require.NoError(t, err)
	require.NoError(t, n.Restore(context.Background(), node.RestoreVerify))
	b.SetReady(true)
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	return srv
}

// postTo posts body with an Idempotency-Key to the bank at srv.
func postTo(t *testing.T, srv *httptest.Server, body, key string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/transactions", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// TestIdempotencyKeyAfterRestart: a bank restarted from the log has no
// memory of the keys, but a retried key gets the transaction the log
// holds for it — pending or already mined, with its real hash — and the
// key with another body is still refused.
func TestIdempotencyKeyAfterRestart(t *testing.T) {
	for _, mined := range []bool{false, true} {
		t.Run(fmt.Sprintf("mined=%v", mined), func(t *testing.T) {
			f := newFixture(t, 0)
			body := `{"from":"alice","to":"bob","amount":7}`
			status, _, data := f.post(t, body, "Idempotency-Key", "order-99")
			require.Equal(t, http.StatusAccepted, status)
			first := decode[bank.TransactionStatus](t, data)
			nodetest.WaitFor(t, f.node, "the transaction pending", func() bool { return f.node.Pool().Has(first.ID) })
			var block *blockchain.Block
			if mined {
				block = f.mine(t)
			}

			srv := f.restart(t, time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)) // a later clock: a new stamp would be a new hash
			status, data = postTo(t, srv, body, "order-99")
			require.Equal(t, http.StatusAccepted, status, "%s", data)
			again := decode[bank.TransactionStatus](t, data)
			assert.Equal(t, first.ID, again.ID)
			assert.Equal(t, first.Hash, again.Hash, "the first transaction, not one stamped at the retry's time")
			if mined {
				assert.Equal(t, bank.StatusIncluded, again.Status)
				if assert.NotNil(t, again.BlockHash) && assert.NotNil(t, again.Height) {
					assert.Equal(t, block.Hash(), *again.BlockHash)
					assert.Equal(t, block.Height(), *again.Height)
				}
			} else {
				assert.Equal(t, bank.StatusPending, again.Status)
			}

			status, data = postTo(t, srv, `{"from":"alice","to":"bob","amount":8}`, "order-99")
			assert.Equal(t, http.StatusUnprocessableEntity, status, "another body under the key, after a restart: %s", data)
			recs, err := f.log.Read(context.Background(), node.StreamTransactions, eventlog.Start, eventlog.Forwards, 100)
			require.NoError(t, err)
			assert.Len(t, recs, 1, "one transaction in the log")
		})
	}
}

// TestIdempotencyKeyConcurrent sends 40 pairs of requests at once, each
// pair with one key: the two answers of a pair never split. With the
// same body both get the same transaction; with another body, one gets
// the transaction and the other 422. Each key makes one transaction.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	f := newFixture(t, 0)
	const pairs = 40
	type answer struct {
		status int
		st     bank.TransactionStatus
	}
	answers := make([][2]answer, pairs)
	var wg sync.WaitGroup
	for i := range pairs {
		for j := range 2 {
			amount := 1
			if i%2 == 1 && j == 1 {
				amount = 2 // odd pairs: the second request has another body
			}
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodPost, f.server.URL+"/transactions",
					strings.NewReader(fmt.Sprintf(`{"from":"alice","to":"bob","amount":%d}`, amount)))
				if !assert.NoError(t, err) {
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("pair-%d", i))
				resp, err := f.server.Client().Do(req)
				if !assert.NoError(t, err) {
					return
				}
				defer resp.Body.Close()
				answers[i][j].status = resp.StatusCode
				if resp.StatusCode == http.StatusAccepted {
					assert.NoError(t, json.NewDecoder(resp.Body).Decode(&answers[i][j].st))
				}
			})
		}
	}
	wg.Wait()
	for i, a := range answers {
		if i%2 == 0 {
			require.Equal(t, http.StatusAccepted, a[0].status, "pair %d", i)
			require.Equal(t, http.StatusAccepted, a[1].status, "pair %d", i)
			assert.Equal(t, a[0].st.Hash, a[1].st.Hash, "pair %d split", i)
			continue
		}
		assert.ElementsMatch(t, []int{http.StatusAccepted, http.StatusUnprocessableEntity}, []int{a[0].status, a[1].status}, "pair %d", i)
	}
	nodetest.WaitFor(t, f.node, "one transaction per key", func() bool { return f.node.Pool().Len() == pairs })
}

// TestIdempotencyKeyAfterAFailedSubmit: the key is reserved, but the
// transaction does not reach the transactions stream (the log fails in
// between). The client is told 503; its retry finds the reservation,
// submits the reserved transaction and answers with it.
func TestIdempotencyKeyAfterAFailedSubmit(t *testing.T) {
	f := newFixture(t, 0)
	body := `{"from":"alice","to":"bob","amount":3}`
	f.log.downStream = node.StreamTransactions
	status, _, data := f.post(t, body, "Idempotency-Key", "order-5")
	require.Equal(t, http.StatusServiceUnavailable, status, "%s", data)
	f.log.downStream = ""
	status, _, data = f.post(t, body, "Idempotency-Key", "order-5")
	require.Equal(t, http.StatusAccepted, status, "%s", data)
	st := decode[bank.TransactionStatus](t, data)
	nodetest.WaitFor(t, f.node, "the reserved transaction pending", func() bool { return f.node.Pool().Has(st.ID) })
	tx, _ := f.node.Pool().Get(st.ID)
	assert.Equal(t, tx.Hash(), *st.Hash)
}

// TestStatusText checks the JSON text of each status, and that no other
// text or value passes.
func TestStatusText(t *testing.T) {
	for _, tc := range []struct {
		status bank.Status
		json   string
	}{
		{bank.StatusPending, `"pending"`},
		{bank.StatusIncluded, `"included"`},
		{bank.StatusDropped, `"dropped"`},
	} {
		t.Run(tc.status.String(), func(t *testing.T) {
			got, err := json.Marshal(tc.status)
			require.NoError(t, err)
			assert.JSONEq(t, tc.json, string(got))
			var back bank.Status
			require.NoError(t, json.Unmarshal(got, &back))
			assert.Equal(t, tc.status, back)
		})
	}
	for _, text := range []string{`"unknown"`, `"Pending"`, `""`, `"mined"`} {
		t.Run("refuses "+text, func(t *testing.T) {
			var s bank.Status
			err := json.Unmarshal([]byte(text), &s)
			assert.ErrorIs(t, err, bank.ErrUnknownStatus)
		})
	}
	for _, s := range []bank.Status{bank.StatusUnknown, bank.Status(-1), bank.Status(9)} {
		t.Run("never sends "+s.String(), func(t *testing.T) {
			_, err := json.Marshal(s)
			assert.ErrorIs(t, err, bank.ErrUnknownStatus)
		})
	}
}

// TestOnALogWithDuplicates runs the bank on a log that stores every
// append with expected revision Any twice, near or far from the first, as
// EventStoreDB may after its window of recent IDs forgot the first. Each
// transaction is pending once in the bank's node, a retried key still
// gets its first transaction, and a dropped transaction reads as dropped.
func TestOnALogWithDuplicates(t *testing.T) {
	dup := eventlogtest.Duplicating(memlog.New(memlog.Config{DedupWindow: memlog.NoDedupWindow}), 1, 5)
	f := newFixtureOn(t, 0, dup)
	var keyed []bank.TransactionStatus
	for i := range 10 {
		status, _, data := f.post(t, fmt.Sprintf(`{"from":"alice","to":"bob","amount":%d}`, i+1), "Idempotency-Key", fmt.Sprintf("dup-%d", i))
		require.Equal(t, http.StatusAccepted, status, "%s", data)
		keyed = append(keyed, decode[bank.TransactionStatus](t, data))
		status, _, data = f.post(t, fmt.Sprintf(`{"from":"carol","to":"dave","amount":%d}`, i+1))
		require.Equal(t, http.StatusAccepted, status, "%s", data)
	}
	dropped := uuid.MustParse("3d1e6f0a-7b2c-4d5e-8f90-a1b2c3d4e5f6")
	e, err := events.Encode(events.TransactionDropped{TxID: dropped, Reason: "not included after 3 rebroadcasts", Attempts: 3})
	require.NoError(t, err)
	_, err = f.log.Append(context.Background(), node.StreamAudit, eventlog.Any, e)
	require.NoError(t, err)
	require.NoError(t, dup.Flush(context.Background()))
	require.Positive(t, dup.Duplicates())

	last, err := f.log.Read(context.Background(), node.StreamTransactions, eventlog.End, eventlog.Backwards, 1)
	require.NoError(t, err)
	assert.Greater(t, int(last[0].Revision)+1, 20, "the transactions stream holds duplicates")
	nodetest.WaitFor(t, f.node, "every event read", func() bool { _, read := f.node.Position(); return read > last[0].Revision })
	assert.Equal(t, 20, f.node.Pool().Len(), "each transaction pending once")
	for i, first := range keyed {
		status, _, data := f.post(t, fmt.Sprintf(`{"from":"alice","to":"bob","amount":%d}`, i+1), "Idempotency-Key", fmt.Sprintf("dup-%d", i))
		require.Equal(t, http.StatusAccepted, status, "%s", data)
		assert.Equal(t, first.Hash, decode[bank.TransactionStatus](t, data).Hash)
	}
	timer := time.NewTimer(watchdog)
	defer timer.Stop()
	for {
		status, _, body := f.do(t, http.MethodGet, "/transactions/"+dropped.String(), "", "")
		if status == http.StatusOK {
			assert.Equal(t, bank.StatusDropped, decode[bank.TransactionStatus](t, body).Status)
			return
		}
		select {
		case <-timer.C:
			t.Fatal("the bank never reported the dropped transaction")
		default:
		}
	}
}
