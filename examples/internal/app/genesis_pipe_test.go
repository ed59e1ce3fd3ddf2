package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/app"
)

// TestGenesisFromAPipe: -genesis <(…) names a pipe, which can be read
// once. The apps call Preflight and then Join; Join takes the spec
// Preflight read instead of reading the pipe again, where it would find
// nothing ("the input is empty").
func TestGenesisFromAPipe(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("names the pipe as /proc/self/fd/N")
	}
	spec := consensustest.Spec()
	data, err := spec.MarshalJSON()
	require.NoError(t, err)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	_, err = w.Write(data) // a spec is far smaller than a pipe's buffer
	require.NoError(t, err)
	require.NoError(t, w.Close())

	chain := app.ChainFlags{Genesis: fmt.Sprintf("/proc/self/fd/%d", r.Fd())}
	want, err := chain.Preflight(1, "memory")
	require.NoError(t, err)
	require.NotNil(t, want)
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	got, err := chain.Join(context.Background(), log, false, slog.New(slog.DiscardHandler))
	require.NoError(t, err, "Join reads the pipe Preflight emptied")
	assert.Equal(t, spec.Hash(), got.Hash())
}
