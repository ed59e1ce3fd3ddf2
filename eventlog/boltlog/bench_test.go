package boltlog_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
	"github.com/eventchain/eventchain/eventlog/memlog"
)

// benchEvents is eventlogtest.BenchEvents: the events every log's
// benchmarks append.
var benchEvents = eventlogtest.BenchEvents

// appendAll appends events to log's stream "bench" with Any, batch events
// at a time, from clients goroutines taking batches in turn, and returns
// how long that took.
func appendAll(b *testing.B, log eventlog.Log, events []eventlog.Event, batch, clients int) time.Duration {
	b.Helper()
	ctx := context.Background()
	batches := len(events) / batch
	start := time.Now()
	var g errgroup.Group
	for c := range clients {
		g.Go(func() error {
			for i := c; i < batches; i += clients {
				if _, err := log.Append(ctx, "bench", eventlog.Any, events[i*batch:(i+1)*batch]...); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// openBench opens a log in a new file of b's.
func openBench(b *testing.B) (*boltlog.Log, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	log, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	return log, path
}

// benchAgainstMemlog makes b.N appends of batch events from clients
// goroutines, first to a memlog (the baseline), then to a boltlog, and
// reports the boltlog's appends per second, the memlog's, their ratio,
// and what the boltlog's commits cost: commits, and fsyncs (two per
// commit, see Stats), per append; and bytes per event, of the pages and
// of the file.
func benchAgainstMemlog(b *testing.B, batch, clients int) {
	events := benchEvents(b.N * batch)
	mem := memlog.New(memlog.Config{})
	memTook := appendAll(b, mem, events, batch, clients)
	_ = mem.Close()

	log, path := openBench(b)
	defer log.Close()
	b.ResetTimer()
	took := appendAll(b, log, events, batch, clients)
	b.StopTimer()
	st := log.Stats()
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/took.Seconds(), "appends/s")
	b.ReportMetric(float64(b.N)/memTook.Seconds(), "memlog-appends/s")
	b.ReportMetric(memTook.Seconds()/took.Seconds(), "throughput-vs-memlog")
	b.ReportMetric(float64(st.Commits)/float64(st.Appends), "commits/append")
	b.ReportMetric(2*float64(st.Commits)/float64(st.Appends), "fsyncs/append")
	b.ReportMetric(float64(st.Bytes)/float64(st.Events), "B/event")
	b.ReportMetric(float64(info.Size())/float64(st.Events), "file-B/event")
}

// BenchmarkAppendConcurrent: appends of one event from 1, 4 and 16
// clients at once. Group commit makes the fsyncs per append fall as the
// clients grow: appends that arrive during a commit share the next.
func BenchmarkAppendConcurrent(b *testing.B) {
	for _, clients := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchAgainstMemlog(b, 1, clients) })
	}
}

// BenchmarkAppend: one client appending one event at a time, and
// batches of 20 (a block's worth of transactions).
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 20} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchAgainstMemlog(b, batch, 1) })
	}
}

// BenchmarkBboltBatch is the road not taken: bbolt's own DB.Batch, one
// small Put per call, from 1 and 16 clients. Batch waits up to
// MaxBatchDelay (10 ms) for more calls before it commits, which a lone
// writer pays on every call; boltlog's committer waits for no timer.
func BenchmarkBboltBatch(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "batch.db"), 0o600, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
				b.Fatal(err)
			}
			value := benchEvents(1)[0].Data
			b.ResetTimer()
			var g errgroup.Group
			for c := range clients {
				g.Go(func() error {
					for i := c; i < b.N; i += clients {
						key := []byte(fmt.Sprint(i))
						if err := db.Batch(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put(key, value) }); err != nil {
							return err
						}
					}
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}

// BenchmarkOpen measures Open of a log of 20 000 events (about 4 MB),
// which checks the whole file: bytes per second of the check.
func BenchmarkOpen(b *testing.B) {
	log, path := openBench(b)
	events := benchEvents(20_000)
	for i := 0; i < len(events); i += 100 {
		if _, err := log.Append(context.Background(), fmt.Sprint("stream-", i%7), eventlog.Any, events[i:i+100]...); err != nil {
			b.Fatal(err)
		}
	}
	size := log.Stats().Bytes
	if err := log.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		log, err := boltlog.Open(context.Background(), boltlog.Config{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		_ = log.Close()
	}
}

// BenchmarkRead measures forward reads of 100 events from a stream of
// 10 000, reporting events per second.
func BenchmarkRead(b *testing.B) {
	log, _ := openBench(b)
	defer log.Close()
	eventlogtest.BenchRead(b, log)
}
