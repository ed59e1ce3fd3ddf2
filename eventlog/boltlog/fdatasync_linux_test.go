package boltlog_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkFdatasync measures what one fdatasync of a 4 KiB page costs on
// this machine, in wall time and in CPU time of the process (user and
// system, from getrusage): the unit every durable commit pays, twice for
// bbolt. "append" grows the file at each sync, as a file written past
// its end does (the file system then commits its journal too);
// "overwrite" writes into room written and synced beforehand, as the
// committer's fill gives bbolt (see fill.go); "nothing" syncs a file
// with nothing new in it. Two more put the page on disk without an
// fdatasync, the ways a log of its own could choose instead of bbolt's:
// "overwrite-dsync" writes it to a file opened O_DSYNC (the write
// returns once the page is on disk), "overwrite-direct" also bypasses
// the page cache (O_DIRECT, from a buffer aligned to 4 KiB). If these
// cost what "overwrite" costs, no way of writing is cheaper on this
// machine than the one bbolt takes.
//
//	go test ./eventlog/boltlog -run '^$' -bench Fdatasync
func BenchmarkFdatasync(b *testing.B) {
	page := alignedPage()
	overwrite := func(f *os.File, i int) error { _, err := f.WriteAt(page, int64(i%4096)*4096); return err }
	for _, tc := range []struct {
		name  string
		flags int  // more flags to open the file with
		sync  bool // whether an fdatasync follows each write
		write func(f *os.File, i int) error
	}{
		{"append", 0, true, func(f *os.File, _ int) error { _, err := f.Write(page); return err }},
		{"overwrite", 0, true, overwrite},
		{"nothing", 0, true, func(*os.File, int) error { return nil }},
		{"overwrite-dsync", syscall.O_DSYNC, false, overwrite},
		{"overwrite-direct", syscall.O_DSYNC | syscall.O_DIRECT, false, overwrite},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "sync"), os.O_CREATE|os.O_RDWR|tc.flags, 0o600)
			if errors.Is(err, syscall.EINVAL) && tc.flags&syscall.O_DIRECT != 0 {
				b.Skipf("this file system does not take O_DIRECT: %v", err)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if tc.name != "append" {
				room := alignedPage()
				for off := range int64(4096) {
					if _, err := f.WriteAt(room, off*4096); err != nil {
						b.Fatal(err)
					}
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
				if tc.sync {
					if err := syscall.Fdatasync(int(f.Fd())); err != nil {
						b.Fatal(err)
					}
				}
				i++
			}
			b.ReportMetric(float64((cpuTime()-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// alignedPage returns 4 KiB of zeros at an address aligned to 4 KiB, as
// O_DIRECT requires of a write's buffer.
func alignedPage() []byte {
	buf := make([]byte, 2*4096)
	off := int(-uintptr(unsafe.Pointer(&buf[0])) & 4095)
	return buf[off : off+4096 : off+4096]
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
