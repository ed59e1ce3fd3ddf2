//go:build linux || darwin

package keystore_test

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// A named pipe where a key file should be is refused before it is
// opened: opening a pipe for reading waits, forever, for a writer.
func TestLoadRefusesNamedPipe(t *testing.T) {
	ks := MustNew(t)
	require.NoError(t, syscall.Mkfifo(ks.Path("alice"), 0o600))

	_, err := ks.Load("alice", passphrase)
	require.ErrorIs(t, err, keystore.ErrFileType)
	assert.Contains(t, err.Error(), "have a named pipe, want a regular file")

	entries, err := ks.List()
	assert.Empty(t, entries)
	assert.ErrorIs(t, err, keystore.ErrFileType)
}
