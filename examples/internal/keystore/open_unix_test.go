//go:build unix

package keystore

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenNoWaitPipe: the open readFile makes after its Lstat does not
// wait for a writer of a named pipe put there in between: it returns, and
// the pipe is then refused as not the file Lstat saw.
func TestOpenNoWaitPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "record")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	f, err := openNoWait(path) // os.Open would block here for ever
	require.NoError(t, err)
	defer f.Close()
	info, err := f.Stat()
	require.NoError(t, err)
	assert.NotZero(t, info.Mode()&os.ModeNamedPipe, "have mode %v, want a named pipe", info.Mode())
}
