//go:build !unix

package app

import "math"

// softNoFile returns math.MaxUint64: on this system (Windows, Plan 9,
// WebAssembly) the process has no RLIMIT_NOFILE to keep MaxConns under.
func softNoFile() uint64 { return math.MaxUint64 }
