package bank_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventchain/eventchain/blockchain/consensustest"
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

// BenchmarkIngest posts transactions with 16 parallel clients over real
// HTTP on loopback: first to the bank on a memlog (each request checked
// and appended to the log before its 202), then, in the same run, to a
// minimal net/http handler that reads the body and answers 202. It
// reports both rates, their ratio and both p99 latencies.
//
//	go test ./bank -run '^$' -bench Ingest -benchtime 20000x
func BenchmarkIngest(b *testing.B) {
	const clients = 16
	log := memlog.New(memlog.Config{})
	defer log.Close()
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
	defer func() { cancel(); <-following }()
	bankSrv := httptest.NewServer(bk)
	defer bankSrv.Close()
	minimal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"pending"}`)
	}))
	defer minimal.Close()

	b.ResetTimer()
	bankRate, bankLat := ingest(b, bankSrv.URL, b.N, clients)
	baseRate, baseLat := ingest(b, minimal.URL, b.N, clients)
	b.StopTimer()
	b.ReportMetric(bankRate, "bank-req/s")
	b.ReportMetric(baseRate, "minimal-req/s")
	b.ReportMetric(bankRate/baseRate, "ratio")
	b.ReportMetric(float64(p99(bankLat).Microseconds())/1000, "bank-p99-ms")
	b.ReportMetric(float64(p99(baseLat).Microseconds())/1000, "minimal-p99-ms")
}
