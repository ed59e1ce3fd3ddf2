package blockchain_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
)

// TestDecodeBlockHeader: the header of a block's encoding, read without
// its transactions, is the header the full decoding gives, seal
// included; an encoding cut anywhere is malformed.
func TestDecodeBlockHeader(t *testing.T) {
	_, blocks := snapshotChain(t, 3)
	sealed := blocks[2].Header()
	sealed.Seal = []byte{7, 8, 9}
	for _, b := range []*blockchain.Block{blocks[0], blocks[2], blockchain.NewBlock(sealed, blocks[2].Transactions())} {
		data, err := b.MarshalBinary()
		require.NoError(t, err)
		h, err := blockchain.DecodeBlockHeader(data)
		require.NoError(t, err)
		assert.Equal(t, b.Header(), h)
		assert.Equal(t, b.Hash(), h.Hash())
		for _, cut := range []int{0, blockchain.HeaderSize, blockchain.HeaderSize + 4, len(data) - 1} {
			_, err := blockchain.DecodeBlockHeader(data[:cut])
			assert.ErrorIs(t, err, blockchain.ErrMalformed, "cut at %d of %d", cut, len(data))
		}
		_, err = blockchain.DecodeBlockHeader(append(data, 0))
		assert.ErrorIs(t, err, blockchain.ErrMalformed, "a trailing byte")
	}
}
