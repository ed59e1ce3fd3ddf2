package bank

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
)

// TestReviewImmutableIndexFile: guarantees.md says a ledger index whose
// file was made immutable (chattr +i) falls behind. Needs root and a
// file system with the attribute; set REVIEW_CHATTR=1.
func TestReviewImmutableIndexFile(t *testing.T) {
	if os.Getenv("REVIEW_CHATTR") == "" {
		t.Skip("REVIEW_CHATTR not set")
	}
	engine := consensustest.NewFaker()
	blocks, err := consensustest.GenerateChain(context.Background(), engine, consensustest.NewChain(engine), 40,
		func(_ int, g *consensustest.BlockGen) {
			for range 50 {
				g.AddTransfer("alice", "bob", 1)
			}
		})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "index.db")
	ix, err := openBoltIndex(path)
	require.NoError(t, err)
	defer ix.close()
	require.NoError(t, ix.addBlock(blocks[0], eventlog.Revision(0)))
	require.NoError(t, exec.Command("chattr", "+i", path).Run())
	defer exec.Command("chattr", "-i", path).Run()
	for i, blk := range blocks[1:] {
		err := ix.addBlock(blk, eventlog.Revision(i+1))
		if err != nil {
			t.Logf("block %d: %v (writeRefused %v)", blk.Height(), err, writeRefused(err))
			require.True(t, writeRefused(err), "%v", err)
			// Once the file takes writes again, the index goes on from
			// the block it refused.
			require.NoError(t, exec.Command("chattr", "-i", path).Run())
			for j, blk := range blocks[i+1:] {
				require.NoError(t, ix.addBlock(blk, eventlog.Revision(i+1+j)))
			}
			last, ok, err := ix.last()
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, blocks[len(blocks)-1].Hash(), last.hash)
			return
		}
	}
	t.Log("every write taken")
}

// TestReviewWriteRefusedWordedByBbolt: bbolt words the errors of growing
// its file with %s; a read-only file system or an immutable file met
// there is a write refused for now all the same.
func TestReviewWriteRefusedWordedByBbolt(t *testing.T) {
	for _, msg := range []string{
		"file resize error: truncate /d/index.db: read-only file system",
		"file resize error: truncate /d/index.db: operation not permitted",
		"file sync error: sync /d/index.db: no space left on device",
	} {
		err := fmt.Errorf("ledger index: add block 3: %w", errors.New(msg))
		assert.True(t, writeRefused(err), msg)
	}
	assert.False(t, writeRefused(errors.New("file resize error: truncate /d/index.db: input/output error")))
	assert.False(t, writeRefused(errors.New("block 3 out of order: want 2")))
}
