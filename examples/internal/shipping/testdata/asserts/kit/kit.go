// Package kit is a conformance kit for the assertion check's fixture:
// Run asserts through subtests, Setup asserts nothing.
package kit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Run runs the kit's cases on newThing, each as a subtest.
func Run(t *testing.T, newThing func() int) {
	t.Run("positive", func(t *testing.T) {
		require.Positive(t, newThing())
	})
}

// Setup prepares a test and checks nothing.
func Setup(tb testing.TB) {
	tb.Helper()
	tb.Log("set up")
}
