package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/app"
)

// TestReadSpecFileIsBounded: a -genesis that never ends (/dev/zero, a
// pipe from a program that does not stop) is refused once it passes
// MaxSpecFileBytes, instead of being read into memory until the process
// is killed. A regular file past the bound, here a spec after that many
// spaces, is refused the same way.
func TestReadSpecFileIsBounded(t *testing.T) {
	data, err := consensustest.Spec().MarshalJSON()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "padded.json")
	require.NoError(t, os.WriteFile(path, append(bytes.Repeat([]byte{' '}, app.MaxSpecFileBytes), data...), 0o600))
	_, err = app.ReadSpecFile(context.Background(), path)
	require.ErrorContains(t, err, "more than")

	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err = app.ReadSpecFile(context.Background(), "/dev/zero")
		assert.ErrorContains(t, err, "more than")
	}
}
