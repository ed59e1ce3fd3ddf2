// Package fixture holds the cases of the assertion check (see
// asserts_test.go): each test is named for what it shows; the silent
// ones must be caught. It is parsed, never compiled.
package fixture

import (
	"log/slog"
	"testing"

	"fixture/kit"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Silent: none of these can fail.

func TestNothing(t *testing.T) {
	x := 1 + 1
	_ = x
}

func TestOnlyLogs(t *testing.T) {
	t.Log("ran")
	t.Logf("ran %d", 1)
}

func TestOnlySkips(t *testing.T) {
	t.Skip("not yet")
}

func TestLoggerError(t *testing.T) {
	logger := slog.Default()
	logger.Error("an error, but not a failure")
}

func TestSubtestAssertsNothing(t *testing.T) {
	t.Run("sub", func(t *testing.T) {
		t.Log("ran")
	})
}

func TestHelperAssertsNothing(t *testing.T) {
	logOnly(t, 1)
}

func TestKitAssertsNothing(t *testing.T) {
	kit.Setup(t)
}

func TestFatalOnAnotherType(t *testing.T) {
	var r recorder
	r.Fatal("recorded, not failed")
}

func TestParamShadowsT(t *testing.T) {
	func(t recorder) {
		t.Fatal("t is a recorder here")
	}(recorder{})
}

// Asserting: each can fail.

func TestRequire(t *testing.T) {
	require.NoError(t, nil)
}

func TestAssert(t *testing.T) {
	assert.Equal(t, 2, 1+1)
}

func TestErrorf(t *testing.T) {
	if got := 1 + 1; got != 2 {
		t.Errorf("have %d, want 2", got)
	}
}

func TestFatalInSubtest(t *testing.T) {
	t.Run("sub", func(t *testing.T) {
		if 1+1 != 2 {
			t.Fatal("arithmetic")
		}
	})
}

func TestHelper(t *testing.T) {
	mustPositive(t, 1)
}

func TestHelperOfHelper(t *testing.T) {
	mustSmall(t, 1)
}

func TestKit(t *testing.T) {
	kit.Run(t, func() int { return 1 })
}

func TestTableOfChecks(t *testing.T) {
	for _, c := range checks {
		c.check(t, 1)
	}
}

func TestMethodOnHarness(t *testing.T) {
	h := harness{t: t}
	h.mustEven(2)
}

func TestGoleak(t *testing.T) {
	goleak.VerifyNone(t)
}

func TestNamedSubtest(t *testing.T) {
	t.Run("named", subtest)
}

// Not tests: a test's signature is TestXxx(t *testing.T).

func TestMain(m *testing.M) { m.Run() }

func Testlowercase(t *testing.T) {}

func TestWithTB(tb testing.TB) {}

// Helpers.

func logOnly(tb testing.TB, n int) {
	tb.Helper()
	tb.Log(n)
}

func mustPositive(tb testing.TB, n int) {
	tb.Helper()
	if n <= 0 {
		tb.Fatalf("have %d, want > 0", n)
	}
}

func mustSmall(tb testing.TB, n int) {
	tb.Helper()
	mustPositive(tb, n)
}

var checks = []struct {
	check func(testing.TB, int)
}{
	{check: func(tb testing.TB, n int) { assert.Positive(tb, n) }},
}

type harness struct {
	t *testing.T
}

func (h harness) mustEven(n int) {
	if n%2 != 0 {
		h.t.Fatalf("have %d, want even", n)
	}
}

func subtest(t *testing.T) {
	require.True(t, true)
}

// recorder has testing.TB's method names and fails nothing.
type recorder struct{ msgs []any }

func (r *recorder) Fatal(args ...any) { r.msgs = append(r.msgs, args...) }

// unused asserts, but no test calls it.
func unused(t *testing.T) { require.True(t, false) }
