package bank

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// fuzzBuckets are the buckets whose values the index seals.
var fuzzBuckets = [][]byte{bucketMeta, bucketTxs, bucketHistory, bucketBlocks, bucketDropped}

// FuzzIndexRecord feeds the ledger index's value decoders arbitrary
// bytes, as a damaged or foreign file would hold, starting from real
// sealed transaction records. It must never panic; a refusal wraps
// ErrIndexCorrupt; unseal accepts a value only as seal writes it, and
// refuses it again with any one byte changed (a CRC-32C catches every
// burst of up to 32 bits); and decodeTx accepts a record only as
// encodeTx writes it, so nothing it reads differs from what was stored.
func FuzzIndexRecord(f *testing.F) {
	tx := consensustest.TransferFee("alice", "bob", blockchain.MaxAmount, 7, 1<<64-1)
	largest := recordOf(consensustest.Transfer("bob", "carol", 0, 0), 1<<64-1, 0, 1<<64-1)
	largest.index = 1<<32 - 1 // more than an int holds on 32-bit platforms
	for i, r := range []txRecord{
		recordOf(tx, 1, 0, 1),
		largest,
		{id: uuid.Nil},
	} {
		f.Add(uint8(1), r.id[:], seal(bucketTxs, r.id[:], encodeTx(r)))
		f.Add(uint8(i), r.id[:], encodeTx(r))
	}
	f.Add(uint8(0), keyLast, seal(bucketMeta, keyLast, make([]byte, 48)))
	f.Add(uint8(4), make([]byte, 16), seal(bucketDropped, make([]byte, 16), []byte(`{"rule":"bad-nonce","reason":"r"}`)))
	f.Fuzz(func(t *testing.T, which uint8, key, v []byte) {
		bucket := fuzzBuckets[int(which)%len(fuzzBuckets)]
		if id, err := uuid.FromBytes(key); err == nil {
			checkTxRecord(t, id, v)
		}
		body, err := unseal(bucket, key, v)
		if err != nil {
			require.ErrorIs(t, err, ErrIndexCorrupt)
			return
		}
		require.Equal(t, v, seal(bucket, key, body), "unseal accepted a value seal does not write")
		changed := make([]byte, len(v))
		for i := range min(len(v), 64) {
			copy(changed, v)
			changed[i] ^= 1 << (which % 8)
			_, err := unseal(bucket, key, changed)
			require.ErrorIs(t, err, ErrIndexCorrupt, "byte %d changed, and unseal accepted it", i)
		}
		if id, err := uuid.FromBytes(key); err == nil && string(bucket) == string(bucketTxs) {
			checkTxRecord(t, id, body)
		}
	})
}

// checkTxRecord checks decodeTx on v: a refusal wraps ErrIndexCorrupt, and
// a record it reads is that of transaction id, and encodes to v.
func checkTxRecord(t *testing.T, id uuid.UUID, v []byte) {
	t.Helper()
	r, err := decodeTx(id, v)
	if err != nil {
		require.ErrorIs(t, err, ErrIndexCorrupt)
		require.Zero(t, r)
		return
	}
	require.Equal(t, id, r.id)
	require.Equal(t, v, encodeTx(r), "decodeTx accepted a record encodeTx does not write")
	require.GreaterOrEqual(t, r.amount, int64(0))
	require.GreaterOrEqual(t, r.fee, int64(0))
}
