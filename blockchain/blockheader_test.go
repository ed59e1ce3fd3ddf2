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

// FuzzDecodeBlockHeader feeds DecodeBlockHeader arbitrary bytes, starting
// from real blocks' encodings. It must never panic nor fail but with
// ErrMalformed; a header it returns is the one those bytes begin with,
// seal and all; and wherever Block.UnmarshalBinary reads a block from the
// same bytes, DecodeBlockHeader reads that block's very header and hash:
// the quick reading never disagrees with the full one.
func FuzzDecodeBlockHeader(f *testing.F) {
	for _, b := range fuzzBlocks(f) {
		data, err := b.MarshalBinary()
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := blockchain.DecodeBlockHeader(data)
		if err != nil {
			require.ErrorIs(t, err, blockchain.ErrMalformed)
		} else {
			enc, err := h.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, data[:blockchain.HeaderSize], enc, "the header is not the bytes it was read from")
			if len(h.Seal) > 0 {
				require.Equal(t, data[len(data)-len(h.Seal):], h.Seal, "the seal is not the data's last bytes")
			}
		}
		var b blockchain.Block
		if b.UnmarshalBinary(data) != nil {
			return
		}
		require.NoError(t, err, "Block.UnmarshalBinary reads a block from data DecodeBlockHeader refuses")
		assert.Equal(t, b.Header(), h)
		assert.Equal(t, b.Hash(), h.Hash())
	})
}
