//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// TestJournalRefusesOddFiles: a record of the in-flight journal that is a
// named pipe, a link to a device or an enormous file is passed over at
// once, not opened for ever (a pipe waits for a writer) or read into all
// memory; a record as the wallet writes it is read.
func TestJournalRefusesOddFiles(t *testing.T) {
	key := consensustest.Key("alice")
	tx := blockchain.Transfer{ChainID: consensustest.ChainID, To: consensustest.Addr("bob"), Amount: 1}.Sign(key)
	j := inflightJournal{dir: t.TempDir(), prefix: ".inflight-" + key.Address().String() + "-"}
	name := filepath.Base(j.path(tx.ID()))
	genesis := blockchain.Hash{1}
	good, err := encodeRecord(inflightRecord{tx: tx, genesis: genesis})
	require.NoError(t, err)
	old, err := tx.MarshalJSON() // as wallets wrote records before they kept a genesis
	require.NoError(t, err)

	tests := []struct {
		name string
		make func(path string) error
		want error // from keystore.ReadFile; nil: the record is read
		// genesis is the genesis of the record read.
		genesis blockchain.Hash
	}{
		{"a record", func(path string) error { return os.WriteFile(path, good, 0o600) }, nil, genesis},
		{"a record of an older wallet's", func(path string) error { return os.WriteFile(path, old, 0o600) }, nil, blockchain.Hash{}},
		{"a named pipe", func(path string) error { return syscall.Mkfifo(path, 0o600) }, keystore.ErrFileType, blockchain.Hash{}},
		{"a link to /dev/zero", func(path string) error { return os.Symlink("/dev/zero", path) }, keystore.ErrFileType, blockchain.Hash{}},
		{"a gigabyte", func(path string) error {
			if err := os.WriteFile(path, good, 0o600); err != nil {
				return err
			}
			return os.Truncate(path, 1<<30) // sparse: no disk taken
		}, keystore.ErrTooLarge, blockchain.Hash{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(j.dir, name)
			require.NoError(t, os.RemoveAll(path))
			require.NoError(t, tc.make(path))
			_, err := keystore.ReadFile(path, maxRecordSize)
			assert.ErrorIs(t, err, tc.want)
			read, ok := j.read(name)
			assert.Equal(t, tc.want == nil, ok)
			if ok {
				assert.Equal(t, tx, read.tx)
				assert.Equal(t, tc.genesis, read.genesis)
			}
		})
	}
}
