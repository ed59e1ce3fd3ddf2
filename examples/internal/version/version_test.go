package version_test

import (
	"fmt"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eventchain/eventchain/examples/internal/version"
)

// TestOf reads a version from build information as a binary carries it,
// and says what it does not know.
func TestOf(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Version: "v1.2.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "1ddc2e7"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	v := version.Of(info)
	assert.Equal(t, version.Version{Module: "v1.2.0", Revision: "1ddc2e7", Modified: true, Go: "go1.26.0"}, v)
	assert.Equal(t, "v1.2.0 revision 1ddc2e7 (modified) go1.26.0", v.String())
	assert.Equal(t, version.Version{Module: "(devel)", Revision: "unknown", Go: "unknown"}, version.Of(nil))
	assert.NotEmpty(t, version.Read().Go)
}

// The line every app prints for -version.
func ExampleVersion_String() {
	v := version.Version{Module: "v1.2.0", Revision: "1ddc2e7", Go: "go1.26.0"}
	fmt.Println(v)
	// Output: v1.2.0 revision 1ddc2e7 go1.26.0
}
