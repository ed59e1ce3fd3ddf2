// Package version says how a binary of the project was built: the main
// module's version, the VCS revision, whether the tree was modified, the
// Go toolchain — from the build information Go embeds, or from what a
// release build stamps. Every app prints it for -version in one line:
//
//	v1.2.0 revision 1ddc2e7… (modified) go1.26.0
package version

import (
	"fmt"
	"runtime/debug"
	"strconv"
)

// Set by a release build, which has no VCS checkout to read:
//
//	go build -ldflags "-X github.com/eventchain/eventchain/examples/internal/version.stampedVersion=v1.2.0
//	                   -X github.com/eventchain/eventchain/examples/internal/version.stampedRevision=<commit>"
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

// Of reads a Version from build information, as
// runtime/debug.ReadBuildInfo returns it; nil gives unknowns.
func Of(info *debug.BuildInfo) Version {
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

// Read returns the running binary's Version: its build
// information, overridden by what a release build stamped (see the
// Dockerfile's VERSION and REVISION).
func Read() Version {
	info, _ := debug.ReadBuildInfo()
	v := Of(info)
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
