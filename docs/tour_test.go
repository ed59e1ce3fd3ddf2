// Package docs holds the project's documentation; its tests keep the
// guided tour (tour.md) and the README true to the code they quote.
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

// TestDocsQuoteTheExamples checks that every code block of the tour
// (tour.md) and of the README is, to the byte, the Example function it
// names — so the snippets run with go test and cannot drift from the
// code.
func TestDocsQuoteTheExamples(t *testing.T) {
	for _, doc := range []struct {
		path string
		min  int // the examples it has at least
	}{
		{"tour.md", 8},
		{"../README.md", 1},
	} {
		t.Run(doc.path, func(t *testing.T) {
			text, err := os.ReadFile(doc.path)
			require.NoError(t, err)
			blocks := marker.FindAllStringSubmatch(string(text), -1)
			require.GreaterOrEqual(t, len(blocks), doc.min, "%s has its examples", doc.path)
			for _, m := range blocks {
				file, name, code := m[1], m[2], m[3]
				t.Run(name+"@"+file, func(t *testing.T) {
					src, err := os.ReadFile(filepath.Join("..", file))
					require.NoError(t, err)
					assert.Contains(t, string(src), code, "the block in %s differs from %s in %s", doc.path, name, file)
					assert.Contains(t, code, "func "+name+"() {")
					assert.Contains(t, code, "// Output:", "an Example with output, checked by go test")
				})
			}
			assert.Equal(t, strings.Count(string(text), "```go"), len(blocks), "every Go block of %s names its example", doc.path)
		})
	}
}
