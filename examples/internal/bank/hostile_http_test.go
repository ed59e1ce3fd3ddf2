package bank_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	voied25519 "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// TestQueryThatDoesNotParse: url.URL.Query drops the parameters that do
// not parse, and the bank would then answer for other parameters than
// the client's (a proof at the tip for "height=1;"). A query string that
// does not parse is refused whole.
func TestQueryThatDoesNotParse(t *testing.T) {
	f := newFixture(t, 0)
	f.submit(t, consensustest.Transfer("alice", "bob", 10, 0))
	f.mine(t)
	alice := consensustest.Addr("alice")
	for _, path := range []string{
		"/accounts/" + alice.String() + "/proof?height=1;",
		"/accounts/" + alice.String() + "/proof?height=1%",
		"/headers?from=0;&limit=1",
		"/headers?from=0&limit=1%",
		"/blocks?limit=%zz",
		"/accounts/" + alice.String() + "/transactions?before=%zz",
	} {
		t.Run(path, func(t *testing.T) {
			p := f.problemAt(t, path, http.StatusBadRequest)
			assert.Contains(t, p.Detail, "the query string does not parse")
			assert.Equal(t, "malformed query string", p.Title)
			assert.Equal(t, "query", p.Field, "no one parameter is to blame")
		})
	}
}

// TestUnknownQueryParameter: a parameter a resource does not take was
// ignored, and the answer was for another question than the client's:
// ?Height=1 gave the proof at the tip, ?lmit=5 the default page. It is a
// 400 naming it; the parameters a resource takes still work. (And a 404
// names the path parameter it could not find.)
func TestUnknownQueryParameter(t *testing.T) {
	f := newFixture(t, 0)
	tx := consensustest.Transfer("alice", "bob", 10, 0)
	f.mineTxs(t, tx)
	alice := "/accounts/" + consensustest.Addr("alice").String()
	for _, tc := range []struct{ path, unknown string }{
		{alice + "/proof?Height=1", "Height"},
		{alice + "/proof?height=1&at=0", "at"},
		{"/blocks?lmit=5", "lmit"},
		{"/headers?from=0&limit=1&to=5", "to"},
		{alice + "/transactions?limit=1&after=x", "after"},
		{alice + "?height=0", "height"},
		{"/blocks/1?full=true", "full"},
		{"/transactions/" + tx.ID().String() + "?proof=1", "proof"},
		{"/chain/head?x", "x"},
		{"/chain/spec?version=2", "version"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			p := f.problemAt(t, tc.path, http.StatusBadRequest)
			assert.Equal(t, "unknown query parameter", p.Title)
			assert.Equal(t, tc.unknown, p.Field)
		})
	}
	// POST /transactions takes none: "?dryRun=true" must not move money.
	t.Run("POST /transactions?dryRun=true", func(t *testing.T) {
		dry := consensustest.Transfer("alice", "bob", 7, 0)
		body, err := json.Marshal(dry)
		require.NoError(t, err)
		status, _, answer := f.do(t, http.MethodPost, "/transactions?dryRun=true", "application/json", string(body))
		require.Equal(t, http.StatusBadRequest, status, "%s", answer)
		var p bank.Problem
		require.NoError(t, json.Unmarshal(answer, &p))
		assert.Equal(t, "unknown query parameter", p.Title)
		assert.Equal(t, "dryRun", p.Field)
		f.problemAt(t, "/transactions/"+dry.ID().String(), http.StatusNotFound) // not submitted
	})
	// A 404 names what was not found, too.
	for _, tc := range []struct{ path, field, title string }{
		{"/transactions/" + consensustest.Transfer("alice", "bob", 99, 5).ID().String(), "id", "unknown transaction"},
		{"/transactions/" + consensustest.Transfer("alice", "bob", 99, 5).ID().String() + "/proof", "id", "not included"},
		{"/blocks/99", "ref", "unknown block"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			p := f.problemAt(t, tc.path, http.StatusNotFound)
			assert.Equal(t, tc.title, p.Title)
			assert.Equal(t, tc.field, p.Field)
		})
	}
	for _, path := range []string{alice + "/proof?height=1", "/blocks?from=0&limit=1", "/headers?from=0&limit=1", alice + "/transactions?limit=1", "/healthz?probe=1"} {
		t.Run(path, func(t *testing.T) {
			resp, err := http.Get(f.server.URL + path)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
}

// TestStatusOfATransactionBeingIndexed: the node applies a block, and
// takes its transactions out of the pool, before the bank indexes it and
// lets go of the ones it accepted. A transaction in that gap was in
// neither, and GET /transactions/{id} answered 404, which a client
// waiting for it (the wallet) takes as lost, and sends again. The bank
// finds it in the chain's blocks past its index.
func TestStatusOfATransactionBeingIndexed(t *testing.T) {
	f := newFixture(t, 0)
	bank.LagIndex(f.bank) // the gap, held open
	tx := consensustest.Transfer("alice", "bob", 5, 0)
	f.mineTxs(t, tx)
	st := f.status(t, tx.ID())
	require.Equal(t, bank.StatusIncluded, st.Status, "not a 404: %+v", st)
	assert.Equal(t, uint64(1), *st.Height)
	assert.Equal(t, f.node.Chain().TipHash(), *st.BlockHash)
	assert.Equal(t, tx.Hash(), *st.Hash)

	proof := getFrom[bank.TransactionProof](t, f.server, "/transactions/"+tx.ID().String()+"/proof")
	assert.Equal(t, uint64(1), proof.Height, "its proof too")

	unknown := consensustest.Transfer("alice", "bob", 6, 9).ID()
	assert.Equal(t, "unknown transaction", f.problemAt(t, "/transactions/"+unknown.String(), http.StatusNotFound).Title, "one in no block is still unknown")
}

// TestTransactionIDInItsOneForm: a transaction has one URL; the other
// spellings uuid.Parse takes are a 400, as in a POST body.
func TestTransactionIDInItsOneForm(t *testing.T) {
	f := newFixture(t, 0)
	tx := consensustest.Transfer("alice", "bob", 5, 0)
	f.mineTxs(t, tx)
	id := tx.ID().String()
	assert.Equal(t, bank.StatusIncluded, f.status(t, tx.ID()).Status, "precondition: the canonical form is served")
	for _, other := range []string{"urn:uuid:" + id, "%7B" + id + "%7D", strings.ReplaceAll(id, "-", ""), strings.ToUpper(id)} {
		for _, path := range []string{"/transactions/" + other, "/transactions/" + other + "/proof"} {
			t.Run(path, func(t *testing.T) {
				p := f.problemAt(t, path, http.StatusBadRequest)
				assert.Equal(t, "id", p.Field)
				assert.Contains(t, p.Detail, "want the form the API writes")
			})
		}
	}
}

// TestEventStreamsAreBounded: the explorer's streams hold a connection
// each for as long as their client stays: past Config.MaxEventStreams
// the next is a 503 with Retry-After, and a stream that ends makes room.
func TestEventStreamsAreBounded(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	nd, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker()})
	require.NoError(t, err)
	require.NoError(t, nd.Restore(context.Background(), node.RestoreVerify))
	bk, err := bank.New(bank.Config{Node: nd, Log: log, MaxEventStreams: 2})
	require.NoError(t, err)
	bk.SetReady(true)
	srv := httptest.NewServer(bk)
	t.Cleanup(srv.Close)

	open := func() (*http.Response, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		return resp, cancel
	}
	var cancels []context.CancelFunc
	for range 2 {
		resp, cancel := open()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		_, err := bufio.NewReader(resp.Body).ReadString('\n') // the stream is being served
		require.NoError(t, err)
		cancels = append(cancels, func() { cancel(); resp.Body.Close() })
	}
	third, cancel := open()
	assert.Equal(t, http.StatusServiceUnavailable, third.StatusCode)
	assert.NotEmpty(t, third.Header.Get("Retry-After"))
	assert.Equal(t, "application/problem+json", third.Header.Get("Content-Type"))
	third.Body.Close()
	cancel()

	cancels[0]() // one client goes: room for another, once the bank sees it gone
	require.Eventually(t, func() bool {
		resp, cancel := open()
		defer cancel()
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 10*time.Millisecond)
	cancels[1]()
}

// TestEventStreamsAreShared: a client that holds every stream, and reads
// nothing, does not keep others out. When all are taken, another
// client's stream takes the place of the oldest stream of the client
// that holds the most, as long as that one holds two more; a client's
// own streams never push out one another. The clients are told apart by
// their IP address: 127.0.0.2 and 127.0.0.3 are both this machine.
func TestEventStreamsAreShared(t *testing.T) {
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	nd, err := node.New(node.Config{Log: log, Spec: consensustest.Spec(), Engine: consensustest.NewFaker()})
	require.NoError(t, err)
	require.NoError(t, nd.Restore(context.Background(), node.RestoreVerify))
	bk, err := bank.New(bank.Config{Node: nd, Log: log, MaxEventStreams: 4})
	require.NoError(t, err)
	bk.SetReady(true)
	srv := httptest.NewServer(bk)
	t.Cleanup(srv.Close)

	// from returns a client whose connections come from ip, one
	// connection per stream.
	from := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	}
	type stream struct {
		body *bufio.Reader
		stop context.CancelFunc
	}
	open := func(c *http.Client) (int, stream) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err)
		st := stream{bufio.NewReader(resp.Body), func() { cancel(); resp.Body.Close() }}
		if resp.StatusCode == http.StatusOK {
			_, err := st.body.ReadString('\n') // the stream is being served
			require.NoError(t, err)
		} else {
			st.stop()
		}
		return resp.StatusCode, st
	}
	// ended reads what st has left: it ends (EOF) if the bank ended it.
	ended := func(st stream) bool {
		done := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, st.body)
			done <- err
		}()
		select {
		case err := <-done:
			return err == nil
		case <-time.After(10 * time.Second): // a bound on a hang, not a wait for an event
			st.stop()
			<-done
			return false
		}
	}
	a, b := from("127.0.0.2"), from("127.0.0.3")
	var held []stream
	for range 4 {
		status, st := open(a)
		require.Equal(t, http.StatusOK, status)
		held = append(held, st)
		t.Cleanup(st.stop)
	}
	status, _ := open(a)
	assert.Equal(t, http.StatusServiceUnavailable, status, "a's own streams push out none of a's")
	// HEAD asks what a GET would get, and takes no place.
	head := func(c *http.Client) int {
		t.Helper()
		resp, err := c.Head(srv.URL + "/events")
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusServiceUnavailable, head(a))
	assert.Equal(t, http.StatusOK, head(b), "b would be let in")
	status, st := open(a)
	t.Cleanup(st.stop)
	assert.Equal(t, http.StatusServiceUnavailable, status, "still full: b's HEAD pushed out none of a's streams")

	status, first := open(b) // a holds 4, b none: b takes a's oldest
	require.Equal(t, http.StatusOK, status)
	t.Cleanup(first.stop)
	assert.True(t, ended(held[0]), "a's oldest stream was ended")
	status, second := open(b) // a 3, b 1: again
	require.Equal(t, http.StatusOK, status)
	t.Cleanup(second.stop)
	assert.True(t, ended(held[1]), "a's next oldest stream was ended")
	status, _ = open(b) // a 2, b 2: an even share
	assert.Equal(t, http.StatusServiceUnavailable, status)

	// When a goes, b may have the room.
	held[2].stop()
	held[3].stop()
	require.Eventually(t, func() bool {
		status, st := open(b)
		t.Cleanup(st.stop)
		return status == http.StatusOK
	}, 10*time.Second, 10*time.Millisecond)
}

// TestProblemDetailKeepsTheReason: a refusal's detail is the rule's
// whole message, the amount it wants included, not its first 64 bytes.
func TestProblemDetailKeepsTheReason(t *testing.T) {
	f := newFixture(t, 0)
	status, _, body := f.post(t, txJSON(t, consensustest.Transfer("alice", "bob", consensustest.Funds+1, 0)))
	require.Equal(t, http.StatusBadRequest, status, "%s", body)
	p := decode[bank.Problem](t, body)
	assert.Equal(t, "insufficient-funds", p.Rule)
	assert.Contains(t, p.Detail, fmt.Sprintf("want ≥ %d (amount %d + fee 0)", consensustest.Funds+1, consensustest.Funds+1))

	p = f.problemAt(t, "/accounts/ecddc06e24da45115f43572ff96b6bb4accb7ae1082c608190", http.StatusBadRequest)
	assert.Contains(t, p.Detail, "checksum", "the reason, after the address it repeats")
}

// TestHeadAndConnect: HEAD on the explorer's stream of events ends after
// the headers, so the connection serves the next request; CONNECT, which
// the bank does not serve, is a 405 problem with Allow, not ServeMux's
// plain text.
func TestHeadAndConnect(t *testing.T) {
	f := newFixture(t, 0)
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.server.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = fmt.Fprintf(conn, "HEAD /events HTTP/1.1\r\nHost: bank\r\n\r\nGET /healthz HTTP/1.1\r\nHost: bank\r\n\r\nCONNECT bank:443 HTTP/1.1\r\nHost: bank:443\r\n\r\n")
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	head, err := http.ReadResponse(r, &http.Request{Method: http.MethodHead})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, head.StatusCode)
	assert.Equal(t, "text/event-stream", head.Header.Get("Content-Type"))
	health, err := http.ReadResponse(r, nil)
	require.NoError(t, err, "the connection goes on after HEAD /events")
	assert.Equal(t, http.StatusOK, health.StatusCode)
	_, _ = bufio.NewReader(health.Body).WriteTo(new(strings.Builder))
	connect, err := http.ReadResponse(r, &http.Request{Method: http.MethodConnect})
	require.NoError(t, err)
	assert.Equal(t, http.StatusMethodNotAllowed, connect.StatusCode)
	assert.Equal(t, "application/problem+json", connect.Header.Get("Content-Type"))
	assert.NotEmpty(t, connect.Header.Get("Allow"))
}

// TestAcceptedAnswerNamesTheRecordedHash: ed25519 lets a key make many
// signatures of one message, so the same transfer signed anew has the
// same ID and another hash. Posting it again is the same transaction
// for the bank, and the 202 names the hash of the one the bank holds —
// pending or included — not the one just posted.
func TestAcceptedAnswerNamesTheRecordedHash(t *testing.T) {
	alice := consensustest.Key("alice")
	for _, mined := range []bool{false, true} {
		t.Run(fmt.Sprintf("mined=%v", mined), func(t *testing.T) {
			f := newFixture(t, 0)
			first := consensustest.Transfer("alice", "bob", 125, 0)
			accepted := f.submit(t, first)
			if mined {
				f.mine(t)
			}
			sig, err := voied25519.NewKeyFromSeed(alice.Seed()).Sign(rand.Reader, first.Fields().SignedMessage(),
				&voied25519.Options{AddedRandomness: true})
			require.NoError(t, err)
			again := blockchain.NewTransaction(first.Fields(), sig)
			require.True(t, again.VerifySignature(), "another genuine signature")
			require.Equal(t, first.ID(), again.ID())
			require.NotEqual(t, first.Hash(), again.Hash())

			st := f.submit(t, again)
			require.NotNil(t, st.Hash)
			assert.Equal(t, first.Hash(), *st.Hash, "the hash of the transaction the bank recorded")
			assert.Equal(t, accepted.Hash, st.Hash)
			assert.Equal(t, first.Hash(), *f.status(t, first.ID()).Hash)
		})
	}
}

// TestOneSenderCannotFillThePool: the pool holds at most
// pool.DefaultPolicy().MaxPerSender transfers of one sender. A flood
// from alice gets 503 (with Retry-After, naming the field from) once she
// is at the bound, and bob's transfer still gets in.
func TestOneSenderCannotFillThePool(t *testing.T) {
	f := newFixture(t, 0)
	limit := pool.DefaultPolicy().MaxPerSender
	require.Positive(t, limit)
	for n := range limit {
		f.submit(t, consensustest.Transfer("alice", "bob", 1, uint64(n)))
	}
	status, header, body := f.post(t, txJSON(t, consensustest.Transfer("alice", "bob", 1, uint64(limit))))
	require.Equal(t, http.StatusServiceUnavailable, status, "%s", body)
	assert.NotEmpty(t, header.Get("Retry-After"))
	p := decode[bank.Problem](t, body)
	assert.Equal(t, "from", p.Field)
	assert.Contains(t, p.Detail, "the most the pool holds for one sender")

	st := f.submit(t, consensustest.Transfer("bob", "carol", 1, 0))
	assert.Equal(t, bank.StatusPending, st.Status, "another sender is not locked out")
}
