package shipping

import (
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/version"
)

func TestVersionOf(t *testing.T) {
	const rev = "1ddc2e762e4c1e79e369a479133c2a32cb9e86aa"
	tests := []struct {
		name string
		info *debug.BuildInfo
		want version.Version
		line string
	}{
		{
			name: "no build information",
			want: version.Version{Module: "(devel)", Revision: "unknown", Go: "unknown"},
			line: "(devel) revision unknown unknown",
		},
		{
			name: "built in a checkout",
			info: &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20251201164500-1ddc2e762e4c"}, Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"},
			}},
			want: version.Version{Module: "v0.0.0-20251201164500-1ddc2e762e4c", Revision: rev, Go: "go1.26.0"},
			line: "v0.0.0-20251201164500-1ddc2e762e4c revision " + rev + " go1.26.0",
		},
		{
			name: "built with changes not committed",
			info: &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0+dirty"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"},
			}},
			want: version.Version{Module: "v1.2.0+dirty", Revision: rev, Modified: true, Go: "go1.26.0"},
			line: "v1.2.0+dirty revision " + rev + " (modified) go1.26.0",
		},
		{
			name: "built without VCS information",
			info: &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: module}},
			want: version.Version{Module: "(devel)", Revision: "unknown", Go: "go1.26.0"},
			line: "(devel) revision unknown go1.26.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := version.Of(tt.info)
			assert.Equal(t, tt.want, v)
			assert.Equal(t, tt.line, v.String())
		})
	}
}

// versionLine is what -version prints: the app's name, the module's
// version, the revision, "(modified)" if so, and the toolchain.
var versionLine = regexp.MustCompile(`^(\S+) (v\S+|\(devel\)) revision ([0-9a-f]{40}|unknown)( \(modified\))? go\S+\n$`)

// Every app (the module's commands under examples/) prints its version
// and exits 0 for -version, whether it parses its flags with app.Parse
// or, as the wallet and the scheduler do, on its own; built in a git
// checkout, the revision is the commit checked out.
func TestAppsPrintVersion(t *testing.T) {
	apps := 0
	for name, pkg := range commands(t) {
		if !strings.HasPrefix(pkg.ImportPath, module+"/examples/") {
			continue
		}
		apps++
		t.Run(name, func(t *testing.T) {
			out, code := run(t, built(t, name), "-version")
			require.Equal(t, 0, code, "%s -version:\n%s", name, out)
			m := versionLine.FindStringSubmatch(out)
			require.NotNil(t, m, "%s -version printed %q", name, out)
			assert.Equal(t, name, m[1])
			if head := gitHead(); head != "" {
				assert.Equal(t, head, m[3], "the revision is the commit checked out")
				assert.NotEqual(t, "(devel)", m[2], "go build gives a module version from the checkout")
			}
		})
	}
	require.NotZero(t, apps, "found no apps under examples/")
}

// EVENTCHAIN_VERSION is not -version: every other flag falls back to its
// variable, -version does not, so a stray variable (a release's version,
// say) neither stops an app nor turns it into a version printer.
func TestVersionHasNoEnvFallback(t *testing.T) {
	var name string
	for _, n := range sortedKeys(commands(t)) {
		if commands(t)[n].usesApp() && accepts(t, n).flags["eventlog"] {
			name = n
			break
		}
	}
	require.NotEmpty(t, name, "no app with -eventlog uses examples/internal/app")
	// A bad -eventlog stops the app at once, with a usage error about it.
	out, code := runEnv(t, []string{"EVENTCHAIN_VERSION=v1.2.3"}, built(t, name), "-eventlog", "bogus")
	assert.Equal(t, 2, code, "a usage error:\n%s", out)
	assert.Contains(t, out, "-eventlog", "about -eventlog")
	assert.NotContains(t, out, "VERSION", "not about EVENTCHAIN_VERSION")
	assert.NotContains(t, out, " revision ", "and no version printed")
}
