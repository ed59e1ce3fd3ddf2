package app

import (
	"errors"
	"flag"
	"fmt"
	"runtime/debug"
	"strconv"
)

// ErrVersion is what Parse returns when -version is given. Main prints
// the app's Version for it, on stdout, and exits 0.
var ErrVersion = errors.New("version requested")

// Set by a release build, which has no VCS checkout to read:
//
//	go build -ldflags "-X github.com/eventchain/eventchain/examples/internal/app.stampedVersion=v1.2.0
//	                   -X github.com/eventchain/eventchain/examples/internal/app.stampedRevision=<commit>"
//
// The Dockerfile does this with its VERSION and REVISION build arguments.
// Empty, the build information stands.
var stampedVersion, stampedRevision string

// Version is what a binary knows of how it was built.
type Version struct {
	Module   string // the main module's version: a tag (v1.2.0), a pseudo-version, or (devel)
	Revision string // the VCS revision (commit) built, or "unknown"
	Modified bool   // the working tree had changes not committed
	Go       string // the toolchain, e.g. go1.26.0
}

// VersionOf reads a Version from build information, as
// runtime/debug.ReadBuildInfo returns it; nil gives unknowns.
func VersionOf(info *debug.BuildInfo) Version {
	v := Version{Module: "(devel)", Revision: "unknown", Go: "unknown"}
	if info == nil {
		return v
	}
	if info.Main.Version != "" {
		v.Module = info.Main.Version
	}
	if info.GoVersion != "" {
		v.Go = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if s.Value != "" {
				v.Revision = s.Value
			}
		case "vcs.modified":
			v.Modified, _ = strconv.ParseBool(s.Value)
		}
	}
	return v
}

// ReadVersion returns the running binary's Version: its build
// information, overridden by what a release build stamped (see the
// Dockerfile's VERSION and REVISION).
func ReadVersion() Version {
	info, _ := debug.ReadBuildInfo()
	v := VersionOf(info)
	if stampedVersion != "" {
		v.Module = stampedVersion
	}
	if stampedRevision != "" {
		v.Revision, v.Modified = stampedRevision, false
	}
	return v
}

// String gives the version in one line:
// "v1.2.0 revision 1ddc2e7… (modified) go1.26.0", "(modified)" only if so.
func (v Version) String() string {
	modified := ""
	if v.Modified {
		modified = " (modified)"
	}
	return fmt.Sprintf("%s revision %s%s %s", v.Module, v.Revision, modified, v.Go)
}

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
