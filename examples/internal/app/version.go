package app

import (
	"errors"
	"flag"
	"strconv"
)

// ErrVersion is what Parse returns when -version is given. Main prints
// the app's version (package examples/internal/version) for it, on stdout, and exits 0.
var ErrVersion = errors.New("version requested")

// versionFlag is the -version flag Parse adds. It is a type of its own
// so Parse can tell it from an app's flags: it has no environment
// fallback (EVENTCHAIN_VERSION must not turn an app into a version
// printer).
type versionFlag bool

func (f *versionFlag) String() string {
	if f == nil {
		return "false"
	}
	return strconv.FormatBool(bool(*f))
}

func (f *versionFlag) Set(s string) error {
	b, err := strconv.ParseBool(s)
	*f = versionFlag(b)
	return err
}

// IsBoolFlag lets -version stand alone, like a bool flag.
func (f *versionFlag) IsBoolFlag() bool { return true }

// defineVersion adds -version to fs unless fs has a flag of that name
// already; it returns the flag, or nil if it was not added.
func defineVersion(fs *flag.FlagSet) *versionFlag {
	if fs.Lookup("version") != nil {
		return nil
	}
	f := new(versionFlag)
	fs.Var(f, "version", "print the version and the VCS revision, and exit")
	return f
}

// requested says whether -version was given.
func (f *versionFlag) requested() bool { return f != nil && bool(*f) }

// isVersionFlag says whether f is the -version flag Parse added.
func isVersionFlag(f *flag.Flag) bool {
	_, ok := f.Value.(*versionFlag)
	return ok
}
