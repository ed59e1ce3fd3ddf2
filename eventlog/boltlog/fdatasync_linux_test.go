package boltlog_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFdatasync measures what one fdatasync of a 4 KiB page costs on
// this machine, in wall time and in CPU time of the process (user and
// system, from getrusage): the unit every durable commit pays, twice for
// bbolt. "append" grows the file at each sync, as a file written past
// its end does (the file system then commits its journal too);
// "overwrite" writes into room written and synced beforehand, as the
// committer's fill gives bbolt (see fill.go); "nothing" syncs a file
// with nothing new in it.
//
//	go test ./eventlog/boltlog -run '^$' -bench Fdatasync
func BenchmarkFdatasync(b *testing.B) {
	page := make([]byte, 4096)
	for _, tc := range []struct {
		name  string
		write func(f *os.File, i int) error
	}{
		{"append", func(f *os.File, _ int) error { _, err := f.Write(page); return err }},
		{"overwrite", func(f *os.File, i int) error { _, err := f.WriteAt(page, int64(i%4096)*4096); return err }},
		{"nothing", func(*os.File, int) error { return nil }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "sync"), os.O_CREATE|os.O_RDWR, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if tc.name != "append" {
				if _, err := f.WriteAt(make([]byte, 4096*4096), 0); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			before := cpuTime()
			i := 0
			for b.Loop() {
				if err := tc.write(f, i); err != nil {
					b.Fatal(err)
				}
				if err := syscall.Fdatasync(int(f.Fd())); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64((cpuTime()-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
