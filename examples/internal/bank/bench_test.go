package bank_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/pool"
)

// benchSenders is how many funded accounts the benchmarks' transfers come
// from: enough that each client sends from accounts of its own.
const benchSenders = 1000

// benchKeys are the senders' keys, made once.
var benchKeys = sync.OnceValue(func() []blockchain.PrivateKey {
	keys := make([]blockchain.PrivateKey, benchSenders)
	for i := range keys {
		keys[i] = consensustest.Key(fmt.Sprintf("sender-%d", i))
	}
	return keys
})

// benchSpec is consensustest.Spec with every sender funded too.
func benchSpec() blockchain.ChainSpec {
	s := consensustest.Spec()
	for _, k := range benchKeys() {
		s.Alloc = append(s.Alloc, blockchain.Allocation{Address: k.Address(), Balance: consensustest.Funds})
	}
	s.SortAlloc()
	return s
}

// signTransfers signs n transfers for clients clients, as POST bodies:
// transfer i comes from sender i mod benchSenders with nonce i div
// benchSenders, and goes to the client whose senders it is from
// (sender mod clients), which posts its transfers in order. So every
// sender's nonces reach the bank in order, from one client, and no two
// clients ever send from one account.
func signTransfers(b *testing.B, chainID string, n, clients int) [][]string {
	b.Helper()
	keys := benchKeys()
	shop := consensustest.Addr("shop")
	queues := make([][]string, clients)
	for i := range n {
		s := i % benchSenders
		tx := blockchain.Transfer{ChainID: chainID, To: shop, Amount: 1, Nonce: uint64(i / benchSenders)}.Sign(keys[s])
		body, err := json.Marshal(tx)
		if err != nil {
			b.Fatal(err)
		}
		queues[s%clients] = append(queues[s%clients], string(body))
	}
	return queues
}

// ingest posts each client's queue from its own goroutine, over real
// HTTP/1.1 on loopback, and returns the transactions per second and every
// request's latency.
//
// Each client is lean, as a load generator is: one keep-alive TCP
// connection, each request written whole from bytes made before the
// clock starts, each answer read with http.ReadResponse. The two cores
// then go to the bank, as they would if its clients ran on other
// machines; net/http's full client, with two goroutines per connection,
// would take a third of them.
func ingest(b *testing.B, url string, queues [][]string) (float64, []time.Duration) {
	b.Helper()
	clients, n := len(queues), 0
	for _, q := range queues {
		n += len(q)
	}
	host := strings.TrimPrefix(url, "http://")
	requests := make([][][]byte, clients)
	for c, queue := range queues {
		for _, body := range queue {
			req := fmt.Sprintf("POST /transactions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", host, len(body), body)
			requests[c] = append(requests[c], []byte(req))
		}
	}
	conns := make([]net.Conn, clients)
	for c := range conns {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		conns[c] = conn
	}
	latencies := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	// The CPU time of the whole process (the bank and its clients) per
	// transaction: steadier than the rate on a machine shared with other
	// work, which slows the rate but spends little of this process's CPU.
	defer func() {
		if cpu1 := cpuTime(); cpu1 > 0 {
			b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(n), "cpu-µs/tx")
		}
	}()
	for c, reqs := range requests {
		wg.Go(func() {
			r := bufio.NewReader(conns[c])
			for _, req := range reqs {
				t0 := time.Now()
				if _, err := conns[c].Write(req); err != nil {
					b.Error(err)
					return
				}
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					b.Error(err)
					return
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				latencies[c] = append(latencies[c], time.Since(t0))
				if resp.StatusCode != http.StatusAccepted {
					b.Errorf("status %d: %s", resp.StatusCode, answer)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds(), slices.Concat(latencies...)
}

func p99(lat []time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[len(s)*99/100]
}

// rawVerifyRate measures how many ed25519 signatures this machine
// verifies per second on all its cores (runtime.GOMAXPROCS goroutines),
// with the standard library alone: the ceiling of any ingest that checks
// every signature once.
func rawVerifyRate() float64 {
	const perWorker = 2000
	key := consensustest.Key("alice")
	tx := blockchain.Transfer{ChainID: consensustest.ChainID, To: consensustest.Addr("bob"), Amount: 1}.Sign(key)
	msg := tx.Fields().SignedMessage()
	sig := tx.Signature()
	pub := key.Public()
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for range perWorker {
				if !ed25519.Verify(pub[:], msg, sig[:]) {
					panic("the signature does not verify")
				}
			}
		})
	}
	wg.Wait()
	return float64(workers*perWorker) / time.Since(start).Seconds()
}

// serveBank starts a bank on log behind a real HTTP server on loopback,
// its node following the log as in the app and its pool large enough for
// n transactions; stop ends both.
func serveBank(b *testing.B, log eventlog.Log, spec blockchain.ChainSpec, n int) (url string, stop func()) {
	b.Helper()
	policy := pool.DefaultPolicy()
	policy.Capacity = max(policy.Capacity, n)
	policy.MaxPerSender = 0 // the clients send as fast as the bank takes them, from accounts of their own
	nd, err := node.New(node.Config{Log: log, Spec: spec, Engine: consensustest.NewFaker(), Policy: policy})
	if err != nil {
		b.Fatal(err)
	}
	bk, err := bank.New(bank.Config{Node: nd, Log: log})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := nd.Restore(ctx, node.RestoreVerify); err != nil {
		b.Fatal(err)
	}
	bk.SetReady(true)
	following := make(chan struct{})
	go func() { // the bank's node reads what it appends, as in the app
		defer close(following)
		_ = nd.Follow(ctx)
	}()
	srv := httptest.NewServer(bk)
	return srv.URL, func() { srv.Close(); cancel(); <-following }
}

// benchClients are the numbers of parallel clients the benchmarks run.
// The durable ones also run 64 (durableClients): a group commit's fsync
// is shared by the appends that queue while the one before runs, so the
// durable rate grows with the clients waiting, as the in-memory one,
// bound by the cores, does not.
var (
	benchClients   = []int{1, 16}
	durableClients = []int{1, 16, 64}
)

// BenchmarkIngest posts signed transfers, pre-signed from 1 000 funded
// accounts, over real HTTP on loopback to a bank on a memlog: each is
// decoded, checked (signature, chain ID, nonce, funds) and appended before
// its 202. It reports the rate and the p99 latency, and, measured in the
// same run on the same cores, the rate at which the standard library
// alone verifies ed25519 signatures, and the ratio of the two. The goal:
// at 16 clients, at least half the raw verify rate and a p99 under 10 ms.
//
//	go test ./examples/internal/bank -run '^$' -bench 'Ingest$' -benchtime 20000x
func BenchmarkIngest(b *testing.B) {
	spec := benchSpec()
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			queues := signTransfers(b, spec.ChainID, b.N, clients)
			log := memlog.New(memlog.Config{})
			defer log.Close()
			url, stop := serveBank(b, log, spec, b.N)
			defer stop()
			raw := rawVerifyRate()

			b.ResetTimer()
			rate, lat := ingest(b, url, queues)
			b.StopTimer()
			b.ReportMetric(rate, "tx/s")
			b.ReportMetric(float64(p99(lat).Microseconds())/1000, "p99-ms")
			b.ReportMetric(raw, "raw-verify/s")
			b.ReportMetric(rate/raw, "x-raw-verify")
		})
	}
}

// BenchmarkIngestFloor is BenchmarkIngest's floor: the same clients post
// the same transfers to a minimal handler that reads the body, verifies
// one ed25519 signature and answers 202 — no JSON, no pool, no log. What
// it reaches is what any handler on net/http that checks one signature
// per request reaches on these cores; x-raw-verify compares it with the
// same raw rate as BenchmarkIngest's. It verifies with the standard
// library (verifier=stdlib) and with the chain's own verifier, which the
// bank uses (verifier=chain, blockchain.PublicKey.Verify, faster): the
// gap between verifier=chain and BenchmarkIngest is the bank's own work.
//
//	go test ./examples/internal/bank -run '^$' -bench 'Ingest(Floor)?$' -benchtime 20000x
func BenchmarkIngestFloor(b *testing.B) {
	spec := benchSpec()
	key := consensustest.Key("alice")
	tx := blockchain.Transfer{ChainID: spec.ChainID, To: consensustest.Addr("bob"), Amount: 1}.Sign(key)
	msg, sig, pub := tx.Fields().SignedMessage(), tx.Signature(), key.Public()
	for _, v := range []struct {
		name   string
		verify func() bool
	}{
		{"stdlib", func() bool { return ed25519.Verify(pub[:], msg, sig[:]) }},
		{"chain", func() bool { return pub.Verify(msg, sig[:]) }},
	} {
		b.Run("verifier="+v.name, func(b *testing.B) { ingestFloor(b, spec, v.verify) })
	}
}

func ingestFloor(b *testing.B, spec blockchain.ChainSpec, verify func() bool) {
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			queues := signTransfers(b, spec.ChainID, b.N, clients)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.Copy(io.Discard, r.Body); err != nil || !verify() {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()
			raw := rawVerifyRate()

			b.ResetTimer()
			rate, lat := ingest(b, srv.URL, queues)
			b.StopTimer()
			b.ReportMetric(rate, "tx/s")
			b.ReportMetric(float64(p99(lat).Microseconds())/1000, "p99-ms")
			b.ReportMetric(raw, "raw-verify/s")
			b.ReportMetric(rate/raw, "x-raw-verify")
		})
	}
}

// memlogRate is the rate of BenchmarkIngest's run of b.N transfers from
// clients clients, measured with b's timer stopped: what the durable
// benchmarks compare themselves with, in the same run.
func memlogRate(b *testing.B, spec blockchain.ChainSpec, clients int) float64 {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	log := memlog.New(memlog.Config{})
	defer log.Close()
	url, stop := serveBank(b, log, spec, b.N)
	defer stop()
	rate, _ := ingest(b, url, signTransfers(b, spec.ChainID, b.N, clients))
	return rate
}

// BenchmarkIngestDurable is BenchmarkIngest on the durable file log:
// every 202 comes after an fsync (concurrent appends share one). It also
// reports the fsyncs per acknowledged transaction. BenchmarkIngestSyncFloor
// is its floor.
//
//	go test ./examples/internal/bank -run '^$' -bench 'Ingest(Durable|SyncFloor)' -benchtime 3000x
func BenchmarkIngestDurable(b *testing.B) {
	spec := benchSpec()
	for _, clients := range durableClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			memRate := memlogRate(b, spec, clients)
			queues := signTransfers(b, spec.ChainID, b.N, clients)
			path := filepath.Join(b.TempDir(), "chain.db")
			file, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
			if err != nil {
				b.Fatal(err)
			}
			defer file.Close()
			url, stop := serveBank(b, file, spec, b.N)
			defer stop()
			raw := rawVerifyRate()

			b.ResetTimer()
			before := file.Stats()
			rate, lat := ingest(b, url, queues)
			after := file.Stats()
			b.StopTimer()
			b.ReportMetric(rate, "tx/s")
			b.ReportMetric(rate/memRate, "x-memlog")
			b.ReportMetric(float64(p99(lat).Microseconds())/1000, "p99-ms")
			b.ReportMetric(raw, "raw-verify/s")
			b.ReportMetric(rate/raw, "x-raw-verify")
			// bbolt fsyncs twice per commit: the pages, then the meta page.
			// (The log adds one per top-up of the zeros it writes past the
			// pages, once per 256 KiB or more of growth: not counted.)
			b.ReportMetric(2*float64(after.Commits-before.Commits)/float64(b.N), "fsyncs/tx")
			// What a transaction costs on disk: the pages the log's file
			// holds (in use or free, half full or not), and the file's
			// size, which the log writes ahead of need, per transaction. (The
			// log holds more than the transactions: the blocks stream is
			// empty here, as nothing is mined.)
			b.ReportMetric(float64(after.Bytes-before.Bytes)/float64(b.N), "pages-B/tx")
			if info, err := os.Stat(path); err == nil {
				b.ReportMetric(float64(info.Size())/float64(b.N), "file-B/tx")
			}
		})
	}
}

// groupSync is the least a log that fsyncs before it acknowledges must
// do: each Wait returns after an fdatasync that began after Wait was
// called, and the Waits that queue during one fdatasync share the next.
// Each fdatasync follows a write of one 4 KiB page to a file written in
// full beforehand, so that it flushes data alone.
type groupSync struct {
	file *os.File
	off  int64

	mu                sync.Mutex
	cond              *sync.Cond
	started, finished uint64 // fdatasyncs begun and done
	running           bool
	err               error
}

// syncFileSize is the size of groupSync's file; its writes go round it.
const syncFileSize = 32 << 20

func newGroupSync(b *testing.B) *groupSync {
	b.Helper()
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "sync"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	if _, err := f.Write(make([]byte, syncFileSize)); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	g := &groupSync{file: f}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// Wait returns once an fdatasync that began after the call has ended.
func (g *groupSync) Wait() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	need := g.started + 1
	for g.finished < need {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		n, off := g.started, g.off
		g.off = (g.off + 4096) % syncFileSize
		g.mu.Unlock()
		_, err := g.file.WriteAt(make([]byte, 4096), off)
		if err == nil {
			err = fdatasync(g.file)
		}
		g.mu.Lock()
		g.finished, g.running = n, false
		g.err = errors.Join(g.err, err)
		g.cond.Broadcast()
	}
	return g.err
}

// Syncs returns how many fdatasyncs have ended.
func (g *groupSync) Syncs() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.finished
}

// syncedLog is a memlog whose every append also waits for a groupSync.
type syncedLog struct {
	eventlog.Log
	sync *groupSync
}

func (l syncedLog) Append(ctx context.Context, name string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	res, err := l.Log.Append(ctx, name, expected, events...)
	if err != nil {
		return res, err
	}
	return res, l.sync.Wait()
}

// BenchmarkIngestSyncFloor is BenchmarkIngestDurable's floor: the bank
// on the in-memory log, each append then waiting for an fdatasync shared
// with the appends that queued during the one before (groupSync). No
// file log that fsyncs before it acknowledges can do better, whatever
// its format: x-memlog compares it with the bank on the bare in-memory
// log, in the same run, as BenchmarkIngestDurable does. It also reports
// the fdatasyncs per transaction.
//
//	go test ./examples/internal/bank -run '^$' -bench 'Ingest(Durable|SyncFloor)' -benchtime 3000x
func BenchmarkIngestSyncFloor(b *testing.B) {
	spec := benchSpec()
	for _, clients := range durableClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			memRate := memlogRate(b, spec, clients)
			queues := signTransfers(b, spec.ChainID, b.N, clients)
			mem := memlog.New(memlog.Config{})
			defer mem.Close()
			gs := newGroupSync(b)
			url, stop := serveBank(b, syncedLog{mem, gs}, spec, b.N)
			defer stop()

			b.ResetTimer()
			before := gs.Syncs()
			rate, lat := ingest(b, url, queues)
			b.StopTimer()
			b.ReportMetric(rate, "tx/s")
			b.ReportMetric(rate/memRate, "x-memlog")
			b.ReportMetric(float64(p99(lat).Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(gs.Syncs()-before)/float64(b.N), "fsyncs/tx")
		})
	}
}
