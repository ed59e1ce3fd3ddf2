//go:build unix

package app_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/app"
)

// TestReadFile reads a regular file, and refuses a named pipe at once,
// whose open would wait for a writer for ever (a spec.json made a pipe,
// by mistake or on purpose).
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "spec.json")
	require.NoError(t, os.WriteFile(regular, []byte("{}"), 0o600))
	pipe := filepath.Join(dir, "pipe.json")
	require.NoError(t, syscall.Mkfifo(pipe, 0o600))
	for _, tc := range []struct {
		name, path, wantErr string
		want                []byte
		wantIs              error
	}{
		{name: "regular", path: regular, want: []byte("{}")},
		{name: "named pipe", path: pipe, wantErr: "is not a regular file"},
		{name: "missing", path: filepath.Join(dir, "none.json"), wantIs: fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := app.ReadFile(tc.path)
			switch {
			case tc.wantErr != "":
				assert.ErrorContains(t, err, tc.wantErr)
			case tc.wantIs != nil:
				assert.ErrorIs(t, err, tc.wantIs)
			default:
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			}
		})
	}
}
