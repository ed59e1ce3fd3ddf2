package bank_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestQueryProblemKeepsReason: a query parameter refused for its
// spelling gets a problem whose detail says why, however long the value:
// the value is repeated cut short, and the reason is never cut off.
func TestQueryProblemKeepsReason(t *testing.T) {
	f := newFixture(t, 1)
	long := func(s string) string { return strings.Repeat(s, 2000) }
	for _, tc := range []struct {
		name, path, field, reason string
	}{
		{"limit of headers, leading zeros", "/headers?limit=" + long("0") + "1", "limit", "has a leading zero"},
		{"from of headers, leading zeros", "/headers?from=" + long("0") + "1", "from", "has a leading zero"},
		{"from of blocks, leading zeros", "/blocks?from=" + long("0") + "1", "from", "has a leading zero"},
		{"from of headers, too large", "/headers?from=" + long("9"), "from", "is too large"},
		{"from of headers, letters", "/headers?from=" + long("x"), "from", "is not a whole number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.problemAt(t, tc.path, http.StatusBadRequest)
			assert.Equal(t, tc.field, p.Field)
			assert.Contains(t, p.Detail, tc.reason)
			assert.Less(t, len(p.Detail), 400, "%.100s…", p.Detail)
		})
	}
}
