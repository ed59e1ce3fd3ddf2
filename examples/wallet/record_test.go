package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// testGenesis returns the hash of testSpec's genesis.
func testGenesis(t testing.TB) blockchain.Hash {
	t.Helper()
	g, err := testSpec().Genesis()
	require.NoError(t, err)
	return g.Hash()
}

// testRecord returns the record of tx signed for testSpec's chain.
func testRecord(t testing.TB, tx blockchain.Transaction) inflightRecord {
	t.Helper()
	return inflightRecord{tx: tx, genesis: testGenesis(t)}
}

// recordSeeds are records in both forms, and some that are not records.
func recordSeeds(t testing.TB) [][]byte {
	t.Helper()
	tx := blockchain.Transfer{ChainID: testSpec().ChainID, To: consensustest.Addr("bob"), Amount: 5, Fee: 1, Nonce: 3}.Sign(consensustest.Key("alice"))
	old, err := json.Marshal(tx)
	require.NoError(t, err)
	rec, err := encodeRecord(testRecord(t, tx))
	require.NoError(t, err)
	return [][]byte{
		old, rec,
		[]byte(`{"genesis":"` + testGenesis(t).String() + `","transaction":` + string(old) + `,"more":1}`),
		[]byte(`{"transaction":` + string(old) + `}`),
		[]byte(`{"genesis":null,"transaction":` + string(old) + `}`),
		[]byte(`{"genesis":"` + blockchain.Hash{}.String() + `","transaction":` + string(old) + `}`),
		[]byte(`{"genesis":"` + strings.ToUpper(testGenesis(t).String()) + `","transaction":` + string(old) + `}`),
		[]byte(`{"genesis":"` + testGenesis(t).String() + `","transaction":null}`),
		[]byte(`{"genesis":"` + testGenesis(t).String() + `","transaction":` + string(old) + `} trailing`),
		[]byte(`[]`), []byte(`null`), []byte(`{}`), []byte(``),
		[]byte(`{"genesis":"` + blockchain.Hash{}.String() + `","genesis":"` + testGenesis(t).String() + `","transaction":` + string(old) + `}`),
	}
}

// TestDecodeRecord: a record in the form with its genesis is read back
// as written; one in the first form, the transaction alone (what wallets
// wrote before records kept a genesis), is read with a zero genesis; the
// rest are errors.
func TestDecodeRecord(t *testing.T) {
	seeds := recordSeeds(t)
	tx := blockchain.Transfer{ChainID: testSpec().ChainID, To: consensustest.Addr("bob"), Amount: 5, Fee: 1, Nonce: 3}.Sign(consensustest.Key("alice"))
	for _, tc := range []struct {
		name    string
		data    []byte
		genesis blockchain.Hash // want; zero for the first form
		err     bool
	}{
		{name: "the first form", data: seeds[0]},
		{name: "with its genesis", data: seeds[1], genesis: testGenesis(t)},
		{name: "another member", data: seeds[2], err: true},
		{name: "no genesis beside the transaction", data: seeds[3], err: true},
		{name: "a null genesis", data: seeds[4], err: true},
		{name: "the zero genesis", data: seeds[5], err: true},
		{name: "an upper-case genesis", data: seeds[6], err: true},
		{name: "a null transaction", data: seeds[7], err: true},
		{name: "trailing data", data: seeds[8], err: true},
		{name: "an array", data: seeds[9], err: true},
		{name: "null", data: seeds[10], err: true},
		{name: "an empty object", data: seeds[11], err: true},
		{name: "empty", data: seeds[12], err: true},
		{name: "a member twice", data: seeds[13], err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeRecord(tc.data)
			if tc.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tx.ID(), r.tx.ID())
			assert.Equal(t, tc.genesis, r.genesis)
		})
	}
	_, err := encodeRecord(inflightRecord{tx: tx})
	assert.Error(t, err, "a record is written with its genesis")
}

// FuzzDecodeRecord: decodeRecord never panics, and what it reads with a
// genesis is written back by encodeRecord to a record it reads the same.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range recordSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRecord(data)
		if err != nil || r.genesis.IsZero() {
			return
		}
		again, err := encodeRecord(r)
		require.NoError(t, err)
		r2, err := decodeRecord(again)
		require.NoError(t, err)
		assert.Equal(t, r.genesis, r2.genesis)
		assert.Equal(t, r.tx.ID(), r2.tx.ID())
		assert.Equal(t, r.tx.Hash(), r2.tx.Hash())
	})
}

// TestCheckSignedFor walks the cases of checkSignedFor: a proof is
// believed only from a chain of the record's genesis, or, for a record
// without one, of the pinned genesis.
func TestCheckSignedFor(t *testing.T) {
	tx := blockchain.Transfer{ChainID: testSpec().ChainID, To: consensustest.Addr("bob"), Amount: 5}.Sign(consensustest.Key("alice"))
	ours, theirs := testGenesis(t), blockchain.Hash{1}
	for _, tc := range []struct {
		name           string
		genesis        blockchain.Hash // the record's
		served, pinned blockchain.Hash
		wrong          bool // a *wrongGenesisError
		unpinned       bool // wraps errRecordWithoutGenesis
	}{
		{name: "the record's chain", genesis: ours, served: ours},
		{name: "the record's chain, pinned", genesis: ours, served: ours, pinned: ours},
		{name: "another chain", genesis: ours, served: theirs, wrong: true},
		{name: "another chain, pinned", genesis: ours, served: theirs, pinned: theirs, wrong: true},
		{name: "an old record, pinned", served: ours, pinned: ours},
		{name: "an old record, not pinned", served: ours, unpinned: true},
		{name: "an old record, another chain than the pinned", served: theirs, pinned: ours, wrong: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkSignedFor(inflightRecord{tx: tx, genesis: tc.genesis}, tc.served, tc.pinned)
			var we *wrongGenesisError
			assert.Equal(t, tc.wrong, errors.As(err, &we), "have %v", err)
			assert.Equal(t, tc.unpinned, errors.Is(err, errRecordWithoutGenesis), "have %v", err)
			if !tc.wrong && !tc.unpinned {
				assert.NoError(t, err)
			}
			if tc.wrong {
				assert.Equal(t, tc.served, we.Served)
				assert.Equal(t, tx.ID(), we.ID)
			}
		})
	}
}
