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

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/app"
	"github.com/eventchain/eventchain/examples/internal/apptest"
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
	want, err := chain.Preflight(context.Background(), 1, "memory")
	require.NoError(t, err)
	require.NotNil(t, want)
	log := memlog.New(memlog.Config{})
	t.Cleanup(func() { _ = log.Close() })
	got, err := chain.Join(context.Background(), log, false, slog.New(slog.DiscardHandler))
	require.NoError(t, err, "Join reads the pipe Preflight emptied")
	assert.Equal(t, spec.Hash(), got.Hash())
}

// TestJoinReadsAGenesisNamedAfterPreflight: the spec Preflight kept is
// Join's only while -genesis names the file it came from; one named
// after Preflight is read, and none at all declares nothing.
func TestJoinReadsAGenesisNamedAfterPreflight(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, spec blockchain.ChainSpec) string { return apptest.WriteSpec(t, dir, name, spec) }
	first := consensustest.Spec()
	second := consensustest.Spec()
	second.ChainID = "another-chain"
	for _, tc := range []struct {
		name    string
		genesis string // what -genesis names when Join runs
		want    blockchain.ChainSpec
		noSpec  bool
	}{
		{"the same file", write("first.json", first), first, false},
		{"another file", write("second.json", second), second, false},
		{"none", "", blockchain.ChainSpec{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain := app.ChainFlags{Genesis: write("first.json", first)}
			_, err := chain.Preflight(context.Background(), 1, "memory")
			require.NoError(t, err)
			chain.Genesis = tc.genesis
			log := memlog.New(memlog.Config{})
			t.Cleanup(func() { _ = log.Close() })
			got, err := chain.Join(context.Background(), log, false, slog.New(slog.DiscardHandler))
			if tc.noSpec {
				assert.ErrorContains(t, err, "-genesis is required: the event log holds no chain spec")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want.Hash(), got.Hash())
		})
	}
}
