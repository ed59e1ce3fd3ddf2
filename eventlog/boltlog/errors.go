package boltlog

import (
	"errors"
	"fmt"

	"github.com/eventchain/eventchain/eventlog"
)

// The errors Open may return besides those of the file system, and the
// error of a Log that Open did not make. Test them with errors.Is; a
// *CorruptError says more.
var (
	// ErrLocked: another process has the file open. bbolt locks the file
	// (flock) for as long as a process has it open, and two processes
	// writing one file would ruin it, so Open waits Config.LockTimeout
	// for the other to close it, then gives up with this error.
	ErrLocked = errors.New("file is in use by another process")
	// ErrCorrupt: the file is not an intact event log of this package: it
	// is empty, truncated or damaged, or it is not a bbolt file at all, or
	// a bbolt file of something else. The error is a *CorruptError that
	// says where and why.
	ErrCorrupt = errors.New("file is not an intact event log")
	// ErrNotOpen: a method was called on a Log that Open did not make,
	// such as a zero Log.
	ErrNotOpen = errors.New("boltlog: the Log was not made by Open")
)

// A CorruptError says why Open refused a file, or why a call could not
// read a file damaged since: what it found wrong, and where. It matches
// ErrCorrupt, and eventlog.ErrCorrupt, with errors.Is:
//
//	var bad *boltlog.CorruptError
//	if errors.As(err, &bad) {
//		fmt.Println(bad.Path, bad.Reason)
//	}
//
// Open checks the whole file before it serves a call (see the package
// documentation), so a log that opened has passed every check; after
// that, only a file changed under the running process is damaged, or
// one removed or replaced under it, which the Reason says: "the file at
// … is no longer the log's file".
type CorruptError struct {
	Path   string // the file
	Reason string // what is wrong, e.g. "truncated: 8192 bytes, want at least 24576"
	Err    error  // bbolt's error behind it, if any
}

// Error reads like `boltlog: "/data/chain.db": file is not an intact event
// log: meta page 1: checksum mismatch`.
func (e *CorruptError) Error() string {
	msg := fmt.Sprintf("boltlog: %q: %v: %s", e.Path, ErrCorrupt, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrCorrupt) true, and errors.Is(err,
// eventlog.ErrCorrupt), which a user of any log can test.
func (e *CorruptError) Is(target error) bool {
	return target == ErrCorrupt || target == eventlog.ErrCorrupt
}

// Unwrap returns bbolt's error, if any.
func (e *CorruptError) Unwrap() error { return e.Err }

// corrupt returns a *CorruptError for path.
func corrupt(path string, err error, format string, args ...any) *CorruptError {
	return &CorruptError{Path: path, Reason: fmt.Sprintf(format, args...), Err: err}
}
