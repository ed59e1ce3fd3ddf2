//go:build unix

package app

import (
	"math"
	"syscall"
)

// softNoFile returns the process's soft limit on open file descriptors
// (RLIMIT_NOFILE, what ulimit -n shows), or math.MaxUint64 if it cannot
// be read. (Go raises the soft limit to the hard one when a program
// starts, so this is usually the hard limit.)
func softNoFile() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return math.MaxUint64
	}
	return uint64(r.Cur) // int64 on some systems: RLIM_INFINITY stays huge
}
