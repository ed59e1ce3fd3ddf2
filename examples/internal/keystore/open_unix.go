//go:build unix

package keystore

import (
	"os"
	"syscall"
)

// openNoWait opens path for reading without waiting for anything: a
// named pipe swapped in after the Lstat that found a regular file opens
// at once, to be refused as another file, rather than wait for a writer
// for ever. (O_NONBLOCK changes nothing for a regular file.)
func openNoWait(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
