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
// by mistake or on purpose), and a file larger than its limit without
// reading it: a spec.json of gigabytes (here a sparse one, taking no
// room on disk) would otherwise be read whole into memory.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "spec.json")
	require.NoError(t, os.WriteFile(regular, []byte("{}"), 0o600))
	pipe := filepath.Join(dir, "pipe.json")
	require.NoError(t, syscall.Mkfifo(pipe, 0o600))
	huge := filepath.Join(dir, "huge.json")
	require.NoError(t, os.WriteFile(huge, nil, 0o600))
	require.NoError(t, os.Truncate(huge, 2<<30))
	for _, tc := range []struct {
		name, path, wantErr string
		want                []byte
		wantIs              error
		limit               int64 // 1024 if 0
	}{
		{name: "regular", path: regular, want: []byte("{}")},
		{name: "named pipe", path: pipe, wantErr: "is not a regular file"},
		{name: "missing", path: filepath.Join(dir, "none.json"), wantIs: fs.ErrNotExist},
		{name: "at the limit", path: regular, limit: 2, want: []byte("{}")},
		{name: "past the limit", path: regular, limit: 1, wantErr: "2 bytes, more than 1"},
		{name: "huge", path: huge, wantErr: "2147483648 bytes, more than 1024"},
		{name: "device", path: "/dev/zero", wantErr: "is not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = 1024
			}
			got, err := app.ReadFile(tc.path, limit)
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
