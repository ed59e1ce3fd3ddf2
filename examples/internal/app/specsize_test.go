package app_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/apptest"
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

// TestReadSpecFileRefusesASpecNoLogTakes: a spec goes into the log in one
// event, and no log takes more than eventlog.MaxAppendSize in one append.
// A -genesis with too many allocations was read, the log opened (a file
// log made, empty) and only then the append refused; it is refused as it
// is read now, before anything is made. One that fits is read.
func TestReadSpecFileRefusesASpecNoLogTakes(t *testing.T) {
	withAllocs := func(n int) blockchain.ChainSpec {
		spec := consensustest.Spec()
		spec.Alloc = nil
		for i := range n {
			var a blockchain.Address
			binary.BigEndian.PutUint64(a[:], uint64(i+1))
			spec.Alloc = append(spec.Alloc, blockchain.Allocation{Address: a, Balance: 1})
		}
		spec.SortAlloc()
		return spec
	}
	for _, tc := range []struct {
		name    string
		allocs  int
		wantErr bool
	}{
		{"a thousand allocations", 1_000, false},
		{"thirty thousand allocations", 30_000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := apptest.WriteSpec(t, t.TempDir(), "genesis.json", withAllocs(tc.allocs))
			_, err := app.ReadSpecFile(context.Background(), path)
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, eventlog.ErrTooLarge)
			assert.ErrorAs(t, err, new(app.UsageError))
			assert.ErrorContains(t, err, "30000 allocations")
		})
	}
}
