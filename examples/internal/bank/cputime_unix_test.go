//go:build unix

package bank_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has spent so far, in user and
// system mode, or 0 if the system does not say.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
