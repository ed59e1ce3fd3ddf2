package blockchain_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
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

// TestValidateRefusesChangedTransactions: a sealed block whose
// transactions are changed, added, removed or reordered no longer matches
// its header's Merkle root or transaction count, and Block.Validate
// refuses it, whatever the engine that sealed it. (consensustest.Run
// once checked this of every engine; it is the chain's rule.)
func TestValidateRefusesChangedTransactions(t *testing.T) {
	_, blocks := snapshotChain(t, 1)
	b := blocks[0]
	require.Equal(t, 3, b.Len(), "precondition")
	require.NoError(t, b.Validate(), "precondition")
	other := consensustest.Transfer("mallory", "erin", 1_000, 0)
	type txs = []blockchain.Transaction
	for _, tc := range []struct {
		name   string
		change func(txs) txs
		want   blockchain.ErrorCode
	}{
		{"amount changed", func(txs txs) txs {
			f, sig := txs[0].Fields(), txs[0].Signature()
			f.Amount++
			txs[0] = blockchain.NewTransaction(f, sig[:])
			return txs
		}, blockchain.ErrBadMerkleRoot},
		{"transaction replaced", func(txs txs) txs { txs[1] = other; return txs }, blockchain.ErrBadMerkleRoot},
		{"transaction added", func(txs txs) txs { return append(txs, other) }, blockchain.ErrBadTxCount},
		{"transaction removed", func(txs txs) txs { return txs[:len(txs)-1] }, blockchain.ErrBadTxCount},
		{"transactions swapped", func(txs txs) txs { txs[0], txs[1] = txs[1], txs[0]; return txs }, blockchain.ErrBadMerkleRoot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := blockchain.NewBlock(b.Header(), tc.change(b.Transactions())).Validate()
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// TestValidateOrder: Block.Validate runs its checks in the order its
// documentation lists them and returns the first failure, so a block
// that breaks two of them is refused for the earlier one: the header's
// own fields, then the most transactions a block may hold, the
// transaction count, each transaction in turn (its form, then whether it
// came before), then the Merkle root.
func TestValidateOrder(t *testing.T) {
	_, blocks := snapshotChain(t, 1)
	b := blocks[0]
	require.NoError(t, b.Validate(), "precondition")
	tx := b.Transaction(0)
	bad := func() blockchain.Transaction { // an amount no rule allows
		f, sig := tx.Fields(), tx.Signature()
		f.Amount = 0
		return blockchain.NewTransaction(f, sig[:])
	}
	tooMany := func(txs []blockchain.Transaction) []blockchain.Transaction { // the count left as it was
		for len(txs) <= blockchain.MaxBlockTransactions {
			txs = append(txs, txs[0])
		}
		return txs
	}
	for _, tc := range []struct {
		name   string
		header func(*blockchain.Header)
		txs    func([]blockchain.Transaction) []blockchain.Transaction
		want   blockchain.ErrorCode
	}{
		{"version before bits", func(h *blockchain.Header) { h.Version, h.Bits = 9, 257 }, nil, blockchain.ErrBadVersion},
		{"bits before seal", func(h *blockchain.Header) { h.Bits, h.Seal = 257, make([]byte, blockchain.MaxSealLen+1) }, nil, blockchain.ErrBadBits},
		{"seal before timestamp", func(h *blockchain.Header) {
			h.Seal, h.Timestamp = make([]byte, blockchain.MaxSealLen+1), h.Timestamp.AddDate(10_000, 0, 0)
		}, nil, blockchain.ErrSealTooLong},
		{"timestamp before beneficiary", func(h *blockchain.Header) {
			h.Timestamp, h.Beneficiary = h.Timestamp.AddDate(10_000, 0, 0), blockchain.Address{}
		}, nil, blockchain.ErrBadTimestamp},
		{"beneficiary before count", func(h *blockchain.Header) { h.Beneficiary, h.TxCount = blockchain.Address{}, 9 }, nil, blockchain.ErrMissingBeneficiary},
		{"beneficiary before the most transactions", func(h *blockchain.Header) { h.Beneficiary = blockchain.Address{} }, tooMany, blockchain.ErrMissingBeneficiary},
		{"the most transactions before count", nil, tooMany, blockchain.ErrTooManyTransactions},
		{"count before a transaction's form", func(h *blockchain.Header) { h.TxCount = 9 },
			func(txs []blockchain.Transaction) []blockchain.Transaction { txs[0] = bad(); return txs }, blockchain.ErrBadTxCount},
		{"count before a transaction twice", nil,
			func(txs []blockchain.Transaction) []blockchain.Transaction { return append(txs, txs[0]) }, blockchain.ErrBadTxCount},
		{"count before the Merkle root", func(h *blockchain.Header) { h.TxCount, h.MerkleRoot = 9, blockchain.Hash{1} }, nil, blockchain.ErrBadTxCount},
		{"a transaction's form before the Merkle root", nil,
			func(txs []blockchain.Transaction) []blockchain.Transaction { txs[0] = bad(); return txs }, blockchain.ErrInvalidAmount},
		{"a transaction twice before a later one's form", func(h *blockchain.Header) { h.TxCount += 2 },
			func(txs []blockchain.Transaction) []blockchain.Transaction { return append(txs, txs[0], bad()) }, blockchain.ErrDuplicateTransaction},
		{"a transaction twice before the Merkle root", func(h *blockchain.Header) { h.TxCount++ },
			func(txs []blockchain.Transaction) []blockchain.Transaction { return append(txs, txs[0]) }, blockchain.ErrDuplicateTransaction},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, txs := b.Header(), b.Transactions()
			if tc.header != nil {
				tc.header(&h)
			}
			if tc.txs != nil {
				txs = tc.txs(txs)
			}
			assert.ErrorIs(t, blockchain.NewBlock(h, txs).Validate(), tc.want)
		})
	}
}
