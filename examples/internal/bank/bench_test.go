package bank_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
)

// ingest posts n transactions to url from clients goroutines over real
// HTTP on loopback, and returns the requests per second and the latency
// of each request.
func ingest(b *testing.B, url string, n, clients int) (float64, []time.Duration) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	latencies := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				body := fmt.Sprintf(`{"from":"client-%d","to":"shop","amount":%d}`, i%97, i+1)
				t0 := time.Now()
				resp, err := client.Post(url+"/transactions", "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				latencies[i] = time.Since(t0)
				if resp.StatusCode != http.StatusAccepted {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds(), latencies
}

func p99(lat []time.Duration) time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[len(s)*99/100]
}

// serveBank starts a bank on log behind a real HTTP server on loopback,
// its node following the log as in the app; stop ends both.
func serveBank(b *testing.B, log eventlog.Log) (url string, stop func()) {
	b.Helper()
	n, err := node.New(node.Config{Log: log, Engine: consensustest.NewFaker()})
	if err != nil {
		b.Fatal(err)
	}
	bk, err := bank.New(bank.Config{Node: n, Log: log})
	if err != nil {
		b.Fatal(err)
	}
	bk.SetReady(true)
	ctx, cancel := context.WithCancel(context.Background())
	following := make(chan struct{})
	go func() { // the bank's node reads what it appends, as in the app
		defer close(following)
		_ = n.Follow(ctx)
	}()
	srv := httptest.NewServer(bk)
	return srv.URL, func() { srv.Close(); cancel(); <-following }
}

// BenchmarkIngest posts transactions with 16 parallel clients over real
// HTTP on loopback: first to the bank on a memlog (each request checked
// and appended to the log before its 202), then, in the same run, to a
// minimal net/http handler that reads the body and answers 202. It
// reports both rates, their ratio and both p99 latencies.
//
//	go test ./examples/internal/bank -run '^$' -bench 'Ingest$' -benchtime 20000x
func BenchmarkIngest(b *testing.B) {
	const clients = 16
	log := memlog.New(memlog.Config{})
	defer log.Close()
	bankURL, stop := serveBank(b, log)
	defer stop()
	minimal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"pending"}`)
	}))
	defer minimal.Close()

	b.ResetTimer()
	bankRate, bankLat := ingest(b, bankURL, b.N, clients)
	baseRate, baseLat := ingest(b, minimal.URL, b.N, clients)
	b.StopTimer()
	b.ReportMetric(bankRate, "bank-req/s")
	b.ReportMetric(baseRate, "minimal-req/s")
	b.ReportMetric(bankRate/baseRate, "ratio")
	b.ReportMetric(float64(p99(bankLat).Microseconds())/1000, "bank-p99-ms")
	b.ReportMetric(float64(p99(baseLat).Microseconds())/1000, "minimal-p99-ms")
}

// BenchmarkIngestDurable posts transactions with 16 parallel clients to a
// bank on the durable file log (every 202 after an fsync; concurrent
// appends share one), then, in the same run, to a bank on a memlog, and
// reports both rates, their ratio and the fsyncs per acknowledged request.
//
//	go test ./examples/internal/bank -run '^$' -bench IngestDurable -benchtime 5000x
func BenchmarkIngestDurable(b *testing.B) {
	const clients = 16
	file, err := boltlog.Open(context.Background(), boltlog.Config{Path: filepath.Join(b.TempDir(), "chain.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	mem := memlog.New(memlog.Config{})
	defer mem.Close()
	fileURL, stopFile := serveBank(b, file)
	defer stopFile()
	memURL, stopMem := serveBank(b, mem)
	defer stopMem()

	b.ResetTimer()
	before := file.Stats()
	fileRate, fileLat := ingest(b, fileURL, b.N, clients)
	after := file.Stats()
	memRate, _ := ingest(b, memURL, b.N, clients)
	b.StopTimer()
	b.ReportMetric(fileRate, "file-req/s")
	b.ReportMetric(memRate, "memory-req/s")
	b.ReportMetric(fileRate/memRate, "ratio")
	b.ReportMetric(float64(p99(fileLat).Microseconds())/1000, "file-p99-ms")
	// bbolt fsyncs twice per commit: the pages, then the meta page.
	b.ReportMetric(2*float64(after.Commits-before.Commits)/float64(b.N), "fsyncs/req")
}
