// Package docs holds the project's documentation; its test keeps the
// guided tour (tour.md) true to the code it quotes.
package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// marker precedes each code block of the tour: the file and the Example
// function it is taken from.
var marker = regexp.MustCompile("(?m)^<!-- example: (\\S+) (\\S+) -->\n```go\n((?s:.*?))\n```")

// TestTourQuotesTheExamples checks that every code block of tour.md is, to
// the byte, the Example function it names — so the tour runs with go test
// and cannot drift from the code.
func TestTourQuotesTheExamples(t *testing.T) {
	tour, err := os.ReadFile("tour.md")
	require.NoError(t, err)
	blocks := marker.FindAllStringSubmatch(string(tour), -1)
	require.GreaterOrEqual(t, len(blocks), 8, "the tour has its examples")
	for _, m := range blocks {
		file, name, code := m[1], m[2], m[3]
		t.Run(name+"@"+file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("..", file))
			require.NoError(t, err)
			assert.Contains(t, string(src), code, "the tour's block differs from %s in %s", name, file)
			assert.Contains(t, code, "func "+name+"() {")
			assert.Contains(t, code, "// Output:", "an Example with output, checked by go test")
		})
	}
	assert.Equal(t, strings.Count(string(tour), "```go"), len(blocks), "every Go block names its example")
}
