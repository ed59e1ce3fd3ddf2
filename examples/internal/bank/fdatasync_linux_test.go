package bank_test

import (
	"os"
	"syscall"
)

// fdatasync flushes f's data, as bbolt does on Linux: not its times,
// which would cost a journal commit of the file system each time.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
