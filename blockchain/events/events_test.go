package events_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

func TestRoundTrip(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			ev, err := events.Encode(s.payload)
			require.NoError(t, err)
			assert.Equal(t, s.payload.EventType(), ev.Type, "type")
			assert.Equal(t, s.name, ev.Type, "type names the Go type")
			assert.NotEqual(t, uuid.Nil, ev.ID, "ID")
			assert.Equal(t, uuid.Version(5), ev.ID.Version(), "ID is a UUIDv5")
			assert.Nil(t, ev.Metadata, "metadata is the caller's")
			require.NoError(t, eventlog.CheckAppend("stream", []eventlog.Event{ev}), "the log accepts it")

			got, err := events.Decode(ev)
			require.NoError(t, err)
			assert.Equal(t, s.payload, got)

			rec := eventlog.Recorded{Event: ev, Stream: "stream", Revision: 7, Time: time.Unix(0, 0).UTC()}
			rec.Metadata = []byte(`{"node":"n1"}`)
			got, err = events.Decode(rec.Event)
			require.NoError(t, err, "a recorded event, with metadata")
			assert.Equal(t, s.payload, got)
		})
	}
}

// Decode never looks at the chain rules: what the chain refuses still
// travels through the log, for the node to reject.
func TestEncodeChecksNoChainRule(t *testing.T) {
	b1, _ := mineBlocks(t)
	bad := blockchain.NewTransaction(uuid.Nil, "alice", "alice", -5, time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC))
	require.Error(t, blockchain.CheckTransactionSanity(bad), "precondition: the transaction breaks rules")
	h := b1.Header()
	h.MerkleRoot = blockchain.Hash{1}
	h.Version = 99
	badBlock := blockchain.NewBlock(h, []blockchain.Transaction{bad, bad})
	require.Error(t, badBlock.Validate(), "precondition: the block breaks rules")

	for _, p := range []events.Payload{
		events.TransactionSubmitted{Tx: bad},
		events.TransactionRebroadcast{Tx: bad, Attempt: 1},
		events.BlockMined{Block: badBlock, MinerID: "m"},
		events.BlockMined{Block: blockchain.NewBlock(blockchain.Header{}, nil), MinerID: "m"},
	} {
		got, err := events.Decode(mustEncode(t, p))
		require.NoError(t, err, "%T", p)
		assert.Equal(t, p, got)
	}
}

func TestEveryRuleRoundTrips(t *testing.T) {
	b1, _ := mineBlocks(t)
	for _, code := range blockchain.ErrorCodes() {
		t.Run(code.String(), func(t *testing.T) {
			p := events.BlockRejected{BlockHash: b1.Hash(), Height: 1, Rule: code, Reason: code.Error()}
			ev := mustEncode(t, p)
			assert.Contains(t, string(ev.Data), `"rule":"`+code.String()+`"`)
			got, err := events.Decode(ev)
			require.NoError(t, err)
			require.IsType(t, events.BlockRejected{}, got)
			assert.Equal(t, code, got.(events.BlockRejected).Rule)
		})
	}
}

func TestNamespace(t *testing.T) {
	want := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/eventchain/eventchain/blockchain/events"))
	assert.Equal(t, want, events.Namespace)
	assert.Equal(t, "0212957d-b97e-515c-92e7-76e046941632", events.Namespace.String())
}

// The golden events pin the stored format: a change to a field name, to
// the JSON of package blockchain, or to how IDs are derived shows up here
// in review. The IDs were recomputed outside Go (Python's hashlib, from the
// layout in the package documentation), so they check the documentation
// as well as the code.
func TestGolden(t *testing.T) {
	const (
		txJSON    = `{"id":"a4a03d66-d8f1-5ce0-bfd2-699c1b8d8122","from":"alice","to":"bob","amount":125,"timestamp":"2020-01-01T00:00:01Z","hash":"582927536ded5f61c9ca59313dd114aafc35c07960eb9b12924a4b146aff64bc"}`
		blockHash = "515c2408cddf112f75b2ce9cd63ed52d584b049b2c536c3cc1e9cadd4511585b"
		// The block's canonical binary encoding (blockchain.Block.MarshalBinary):
		// PrevHash 088a9224…, MerkleRoot 79a6925b… (SHA-256(0x00 ‖ the transaction's
		// encoding): the root of one transaction), version 1, height 1, …
		blockBase64 = "CIqSJAdPsIqrxLNoknZIh4Pz3w5jkTIpA1y0Xgbfcwx5ppJbPBeE4we/m6n/o89zb69y7eE55mw9eYaB1v83TQAAAAEAAAAAAAAAAQAAAW9eZw8QAAAAAAAAAAAAAAAAAAAAAQAAADEBpKA9ZtjxXOC/0mmcG42BIgAAAAAAAAB9AAABb15m6+gAAAAFYWxpY2UAAAADYm9i"
	)
	golden := map[string]struct{ id, data string }{
		"TransactionSubmitted": {
			"b1741fad-5e21-5af4-bb0b-d03bfacfd3ac",
			`{"v":1,"tx":` + txJSON + `}`,
		},
		"TransactionRebroadcast": {
			"702ce201-3878-5783-884f-e93894aa76fd",
			`{"v":1,"tx":` + txJSON + `,"attempt":2}`,
		},
		"BlockMined": {
			// UUIDv5 of "BlockMined" ‖ 0 ‖ block hash ‖ root of its transactions; the block
			// has no seal, so its hash is its seal hash (recomputed by blockchain/testdata/golden_seal.py)
			"227ed206-b0e3-5036-bd8f-bd6bfcf73872",
			`{"v":1,"height":1,"hash":"` + blockHash + `","block":"` + blockBase64 + `","minerId":"miner-1"}`,
		},
		"TransactionVerified": {
			"418676ae-d30f-52d4-857b-e32be5741f77",
			`{"v":1,"txId":"a4a03d66-d8f1-5ce0-bfd2-699c1b8d8122","blockHash":"` + blockHash + `","height":1}`,
		},
		"TransactionDropped": {
			"6184e235-c0ae-5798-bb18-5bc86d7b912b",
			`{"v":1,"txId":"77fd697f-434e-5aff-8e4b-eb40907beaf2","reason":"not included after 5 rebroadcasts","attempts":5}`,
		},
		"BlockRejected": {
			"ef69f685-8993-5fb1-bcaa-fc0a04436a50",
			`{"v":1,"blockHash":"` + blockHash + `","height":1,"rule":"bad-merkle-root","reason":"bad-merkle-root: have 00…, want 11…"}`,
		},
	}
	all := samples(t)
	require.Len(t, golden, len(all), "one golden event per type")
	for _, s := range all {
		t.Run(s.name, func(t *testing.T) {
			want, ok := golden[s.name]
			require.True(t, ok, "no golden event for %s", s.name)
			ev := mustEncode(t, s.payload)
			assert.Equal(t, want.id, ev.ID.String(), "ID")
			assert.Equal(t, want.data, string(ev.Data), "data")

			got, err := events.Decode(eventlog.Event{ID: uuid.MustParse(want.id), Type: s.name, Data: []byte(want.data)})
			require.NoError(t, err, "decode the golden event")
			assert.Equal(t, s.payload, got)
		})
	}
}

// TestGoldenSealedBlock pins the BlockMined of a block with a seal: block 1
// of the fixtures, signed by proof-of-authority signer 0 of
// examples/poa's tests. The seal, the block hash (which covers the seal),
// the ID and the data were computed by blockchain/testdata/golden_seal.py
// with Python's hashlib, uuid and cryptography packages.
func TestGoldenSealedBlock(t *testing.T) {
	const (
		seal      = "004374a7c5cc1ad7178deaed6ac607156537e9cf402f205c7fa2d759622360fd65543dd34697f972fed41e290eeb77d1c2ac1ee44ab83d71bdaad42c9129934704"
		blockHash = "f1a5a5620d09b1c941d150c619530cfe2f263fd9c2caa82a223ba49a48cf7c19"
		id        = "fb43fe75-cc41-557a-a4e5-3a9870a09429" // UUIDv5 of "BlockMined" ‖ 0 ‖ block hash ‖ root of its transactions
		data      = `{"v":1,"height":1,"hash":"` + blockHash + `","block":"` +
			"CIqSJAdPsIqrxLNoknZIh4Pz3w5jkTIpA1y0Xgbfcwx5ppJbPBeE4we/m6n/o89zb69y7eE55mw9eYaB1v83TQAAAAEAAAAAAAAAAQAAAW9eZw8QAAAAAAAAAAAAAAAAAAAAAQAAADEBpKA9ZtjxXOC/0mmcG42BIgAAAAAAAAB9AAABb15m6+gAAAAFYWxpY2UAAAADYm9i" +
			"AEEAQ3Snxcwa1xeN6u1qxgcVZTfpz0AvIFx/otdZYiNg/WVUPdNGl/ly/tQeKQ7rd9HCrB7kSrg9cb2q1CyRKZNHBA==" + // the seal: its uint16 length, 65, and its bytes
			`","minerId":"signer-0"}`
	)
	b1, _ := mineBlocks(t)
	sealed := withSeal(t, b1, mustHex(t, seal))
	require.Equal(t, b1.SealHash(), sealed.SealHash(), "precondition: the seal signs block 1's seal hash")
	assert.Equal(t, blockHash, sealed.Hash().String(), "the block hash covers the seal")

	p := events.BlockMined{Block: sealed, MinerID: "signer-0"}
	ev := mustEncode(t, p)
	assert.Equal(t, id, ev.ID.String(), "ID")
	assert.Equal(t, data, string(ev.Data), "data")

	got, err := events.Decode(eventlog.Event{ID: uuid.MustParse(id), Type: events.TypeBlockMined, Data: []byte(data)})
	require.NoError(t, err, "decode the golden event")
	require.IsType(t, events.BlockMined{}, got)
	assert.Equal(t, sealed.Hash(), got.(events.BlockMined).Block.Hash())
	assert.Equal(t, sealed.Header(), got.(events.BlockMined).Block.Header())

	// The last seal byte changed: the block's bytes no longer have the
	// hash the event names, and with that hash fixed too, not its ID.
	forgedBlock := strings.Replace(data, "KZNHBA==", "KZNHBQ==", 1)
	require.NotEqual(t, data, forgedBlock, "precondition of the edit")
	_, err = events.Decode(eventlog.Event{ID: uuid.MustParse(id), Type: events.TypeBlockMined, Data: []byte(forgedBlock)})
	assertSentinel(t, err, events.ErrMalformed)
	forgedSeal := mustHex(t, seal)
	forgedSeal[len(forgedSeal)-1] ^= 1
	forged := withSeal(t, b1, forgedSeal)
	forgedBoth := strings.Replace(forgedBlock, blockHash, forged.Hash().String(), 1)
	_, err = events.Decode(eventlog.Event{ID: uuid.MustParse(id), Type: events.TypeBlockMined, Data: []byte(forgedBoth)})
	assertSentinel(t, err, events.ErrIDMismatch)
}

// withSeal returns b with seal in its header.
func withSeal(tb testing.TB, b *blockchain.Block, seal []byte) *blockchain.Block {
	tb.Helper()
	h := b.Header()
	h.Seal = seal
	return blockchain.NewBlock(h, b.Transactions())
}

// mustHex decodes hexadecimal digits or fails the test.
func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(tb, err)
	return b
}

func TestIDs(t *testing.T) {
	t.Run("same content, same ID", func(t *testing.T) {
		first, again := samples(t), samples(t) // blocks mined twice, from scratch
		for i := range first {
			assert.Equal(t, mustEncode(t, first[i].payload).ID, mustEncode(t, again[i].payload).ID, first[i].name)
		}
	})
	t.Run("every sample a different ID", func(t *testing.T) {
		seen := map[uuid.UUID]string{}
		for _, s := range samples(t) {
			id := mustEncode(t, s.payload).ID
			require.NotContains(t, seen, id, "%s has the ID of %s", s.name, seen[id])
			seen[id] = s.name
		}
	})

	b1, b2 := mineBlocks(t)
	signed, forged := withSeal(t, b1, []byte{0, 1, 2, 3}), withSeal(t, b1, []byte{0, 1, 2, 4})
	rejected := events.BlockRejected{BlockHash: b1.Hash(), Height: 1, Rule: blockchain.ErrBadMerkleRoot, Reason: "node 1's words"}
	dropped := events.TransactionDropped{TxID: txAlice.ID(), Reason: "too old", Attempts: 3}
	verified := events.TransactionVerified{TxID: txAlice.ID(), BlockHash: b1.Hash(), Height: 1}
	tests := []struct {
		name string
		a, b events.Payload
		same bool
	}{
		// What is not in the key does not change the ID: a retry with
		// other words is the same event.
		{"BlockMined by another miner", events.BlockMined{Block: b1, MinerID: "miner-1"}, events.BlockMined{Block: b1, MinerID: "miner-2"}, true},
		{"BlockRejected by another node, in other words", rejected, events.BlockRejected{BlockHash: b1.Hash(), Height: 1, Rule: blockchain.ErrBadMerkleRoot, Reason: "node 2's words"}, true},
		{"TransactionDropped for another reason", dropped, events.TransactionDropped{TxID: txAlice.ID(), Reason: "gave up", Attempts: 4}, true},
		{"TransactionVerified at another height", verified, events.TransactionVerified{TxID: txAlice.ID(), BlockHash: b1.Hash(), Height: 9}, true},

		// What is in the key does.
		{"TransactionSubmitted of another tx", events.TransactionSubmitted{Tx: txAlice}, events.TransactionSubmitted{Tx: txBob}, false},
		{"TransactionSubmitted of another tx with the same ID", events.TransactionSubmitted{Tx: txAlice},
			events.TransactionSubmitted{Tx: blockchain.NewTransaction(txAlice.ID(), "alice", "bob", 126, txAlice.Timestamp())}, false},
		{"TransactionRebroadcast, next attempt", events.TransactionRebroadcast{Tx: txAlice, Attempt: 1}, events.TransactionRebroadcast{Tx: txAlice, Attempt: 2}, false},
		{"TransactionRebroadcast of another tx", events.TransactionRebroadcast{Tx: txAlice, Attempt: 1}, events.TransactionRebroadcast{Tx: txBob, Attempt: 1}, false},
		{"BlockMined of another block", events.BlockMined{Block: b1, MinerID: "m"}, events.BlockMined{Block: b2, MinerID: "m"}, false},
		{"BlockMined of the same block with a seal", events.BlockMined{Block: b1, MinerID: "m"}, events.BlockMined{Block: signed, MinerID: "m"}, false},
		{"BlockMined of the same block with another seal", events.BlockMined{Block: signed, MinerID: "m"}, events.BlockMined{Block: forged, MinerID: "m"}, false},
		{"BlockRejected of the same block with another seal", events.BlockRejected{BlockHash: signed.Hash(), Height: 1, Rule: blockchain.ErrInvalidSeal, Reason: "r"},
			events.BlockRejected{BlockHash: forged.Hash(), Height: 1, Rule: blockchain.ErrInvalidSeal, Reason: "r"}, false},
		{"TransactionVerified in another block", verified, events.TransactionVerified{TxID: txAlice.ID(), BlockHash: b2.Hash(), Height: 1}, false},
		{"TransactionVerified of another tx", verified, events.TransactionVerified{TxID: txBob.ID(), BlockHash: b1.Hash(), Height: 1}, false},
		{"TransactionDropped of another tx", dropped, events.TransactionDropped{TxID: txBob.ID(), Reason: "too old", Attempts: 3}, false},
		{"BlockRejected for another rule", rejected, events.BlockRejected{BlockHash: b1.Hash(), Height: 1, Rule: blockchain.ErrBadBits, Reason: "node 1's words"}, false},
		{"BlockRejected of another block", rejected, events.BlockRejected{BlockHash: b2.Hash(), Height: 1, Rule: blockchain.ErrBadMerkleRoot, Reason: "node 1's words"}, false},

		// The type is part of the ID: the same transaction submitted and
		// rebroadcast, or the same block mined and rejected, are
		// different events.
		{"submitted vs. rebroadcast", events.TransactionSubmitted{Tx: txAlice}, events.TransactionRebroadcast{Tx: txAlice, Attempt: 1}, false},
		{"mined vs. rejected", events.BlockMined{Block: b1, MinerID: "m"}, rejected, false},
		{"verified vs. dropped", verified, dropped, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustEncode(t, tt.a), mustEncode(t, tt.b)
			if tt.same {
				assert.Equal(t, a.ID, b.ID)
			} else {
				assert.NotEqual(t, a.ID, b.ID)
			}
		})
	}
}

// Decode accepts what Encode writes up to the order of the fields, white
// space and JSON escapes, and a block or transaction that leaves out its
// optional hash.
func TestDecodeAcceptsVariants(t *testing.T) {
	b1, _ := mineBlocks(t)
	verified := mustEncode(t, events.TransactionVerified{TxID: txAlice.ID(), BlockHash: b1.Hash(), Height: 1})
	mined := mustEncode(t, events.BlockMined{Block: b1, MinerID: "miner-1"})
	submitted := mustEncode(t, events.TransactionSubmitted{Tx: txAlice})
	tests := []struct {
		name string
		base eventlog.Event
		data string
	}{
		{"fields in another order", verified, `{"height":1,"blockHash":"` + b1.Hash().String() + `","v":1,"txId":"` + txAlice.ID().String() + `"}`},
		{"white space", verified, "\n{ \"v\" : 1 ,\t\"txId\":\"" + txAlice.ID().String() + "\", \"blockHash\": \"" + b1.Hash().String() + "\", \"height\": 1 }\r\n"},
		{"escaped names", verified, `{"\u0076":1,"tx\u0049d":"` + txAlice.ID().String() + `","blockHash":"` + b1.Hash().String() + `","height":1}`},
		{"block fields in another order", mined, reorderMined(t, mined)},
		{"transaction without its hash", submitted, strings.Replace(string(submitted.Data), `,"hash":"`+txAlice.Hash().String()+`"`, "", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEqual(t, string(tt.base.Data), tt.data, "precondition: the variant differs")
			want, err := events.Decode(tt.base)
			require.NoError(t, err)
			got, err := events.Decode(eventlog.Event{ID: tt.base.ID, Type: tt.base.Type, Data: []byte(tt.data)})
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// sentinels are the errors Encode and Decode document.
var sentinels = []error{events.ErrUnknownType, events.ErrSchemaVersion, events.ErrMalformed, events.ErrIDMismatch}

// assertSentinel checks that err matches want and no other sentinel.
func assertSentinel(t *testing.T, err, want error) {
	t.Helper()
	require.Error(t, err)
	for _, s := range sentinels {
		assert.Equal(t, s == want, errors.Is(err, s), "errors.Is(%q, %q)", err, s)
	}
}

func TestDecodeErrors(t *testing.T) {
	b1, _ := mineBlocks(t)
	var (
		submitted   = mustEncode(t, events.TransactionSubmitted{Tx: txAlice})
		rebroadcast = mustEncode(t, events.TransactionRebroadcast{Tx: txAlice, Attempt: 2})
		mined       = mustEncode(t, events.BlockMined{Block: b1, MinerID: "miner-1"})
		verified    = mustEncode(t, events.TransactionVerified{TxID: txAlice.ID(), BlockHash: b1.Hash(), Height: 1})
		dropped     = mustEncode(t, events.TransactionDropped{TxID: txBob.ID(), Reason: "too old", Attempts: 5})
		rejected    = mustEncode(t, events.BlockRejected{BlockHash: b1.Hash(), Height: 1, Rule: blockchain.ErrBadMerkleRoot, Reason: "bad"})

		blockHash = b1.Hash().String()
		txID      = txAlice.ID().String()
		txHash    = txAlice.Hash().String()
	)
	// edit returns ev with the first old in its data replaced by new.
	edit := func(ev eventlog.Event, old, new string) eventlog.Event {
		t.Helper()
		require.Contains(t, string(ev.Data), old, "precondition of edit")
		ev.Data = []byte(strings.Replace(string(ev.Data), old, new, 1))
		return ev
	}
	withData := func(ev eventlog.Event, data string) eventlog.Event { ev.Data = []byte(data); return ev }
	withType := func(ev eventlog.Event, typ string) eventlog.Event { ev.Type = typ; return ev }
	withID := func(ev eventlog.Event, id uuid.UUID) eventlog.Event { ev.ID = id; return ev }

	tests := []struct {
		name string
		ev   eventlog.Event
		want error   // the one sentinel the error matches
		also []error // other errors it wraps, from package blockchain
	}{
		{"unknown type", withType(mined, "BlockFound"), events.ErrUnknownType, nil},
		{"empty type", withType(mined, ""), events.ErrUnknownType, nil},
		{"type in another case", withType(mined, "blockmined"), events.ErrUnknownType, nil},
		{"unknown type is reported before bad data", withData(withType(mined, "BlockFound"), "}"), events.ErrUnknownType, nil},

		{"no data", withData(verified, ""), events.ErrMalformed, nil},
		{"not JSON", withData(verified, `{"v":1,`), events.ErrMalformed, nil},
		{"an array", withData(verified, `[{"v":1}]`), events.ErrMalformed, nil},
		{"null", withData(verified, `null`), events.ErrMalformed, nil},
		{"a string", withData(verified, `"v"`), events.ErrMalformed, nil},
		{"a second object after", withData(verified, string(verified.Data)+` {}`), events.ErrMalformed, nil},
		{"garbage after", withData(verified, string(verified.Data)+`x`), events.ErrMalformed, nil},
		{"non-JSON space after", withData(verified, string(verified.Data)+"\u00a0"), events.ErrMalformed, nil},
		{"unknown field", edit(verified, `"height":1`, `"height":1,"extra":true`), events.ErrMalformed, nil},
		{"field name in another case", edit(verified, `"txId"`, `"TxId"`), events.ErrMalformed, nil},
		{"field twice", edit(verified, `"height":1`, `"height":1,"height":1`), events.ErrMalformed, nil},
		{"missing field", edit(verified, `,"height":1`, ``), events.ErrMalformed, nil},
		{"null field", edit(verified, `"height":1`, `"height":null`), events.ErrMalformed, nil},
		{"string for a number", edit(verified, `"height":1`, `"height":"1"`), events.ErrMalformed, nil},
		{"negative height", edit(verified, `"height":1`, `"height":-1`), events.ErrMalformed, nil},
		{"height past uint64", edit(verified, `"height":1`, `"height":18446744073709551616`), events.ErrMalformed, nil},
		{"fractional attempt", edit(rebroadcast, `"attempt":2`, `"attempt":2.5`), events.ErrMalformed, nil},
		{"attempt as 2e0", edit(rebroadcast, `"attempt":2`, `"attempt":2e0`), events.ErrMalformed, nil},
		{"attempt 0", edit(rebroadcast, `"attempt":2`, `"attempt":0`), events.ErrMalformed, nil},
		{"attempt -1", edit(rebroadcast, `"attempt":2`, `"attempt":-1`), events.ErrMalformed, nil},
		{"attempts -1", edit(dropped, `"attempts":5`, `"attempts":-1`), events.ErrMalformed, nil},
		{"attempts past int64", edit(dropped, `"attempts":5`, `"attempts":9223372036854775808`), events.ErrMalformed, nil},
		{"empty miner ID", edit(mined, `"minerId":"miner-1"`, `"minerId":""`), events.ErrMalformed, nil},
		{"miner ID not a string", edit(mined, `"minerId":"miner-1"`, `"minerId":1`), events.ErrMalformed, nil},
		{"empty reason for a drop", edit(dropped, `"reason":"too old"`, `"reason":""`), events.ErrMalformed, nil},
		{"empty reason for a rejection", edit(rejected, `"reason":"bad"`, `"reason":""`), events.ErrMalformed, nil},
		{"unknown rule", edit(rejected, `"bad-merkle-root"`, `"bad-merkle-roots"`), events.ErrMalformed, nil},
		{"the zero code's name as rule", edit(rejected, `"bad-merkle-root"`, `"unknown"`), events.ErrMalformed, nil},
		{"empty rule", edit(rejected, `"bad-merkle-root"`, `""`), events.ErrMalformed, nil},
		{"rule in upper case", edit(rejected, `"bad-merkle-root"`, `"BAD-MERKLE-ROOT"`), events.ErrMalformed, nil},
		{"rule as a number", edit(rejected, `"bad-merkle-root"`, `11`), events.ErrMalformed, nil},
		{"hash in upper case", edit(verified, blockHash, strings.ToUpper(blockHash)), events.ErrMalformed, nil},
		{"short hash", edit(verified, blockHash, blockHash[:62]), events.ErrMalformed, nil},
		{"hash not hex", edit(verified, blockHash, "zz"+blockHash[2:]), events.ErrMalformed, nil},
		{"zero block hash", edit(verified, blockHash, strings.Repeat("0", 64)), events.ErrMalformed, nil},
		{"zero block hash in a rejection", edit(rejected, blockHash, strings.Repeat("0", 64)), events.ErrMalformed, nil},
		{"UUID in upper case", edit(verified, txID, strings.ToUpper(txID)), events.ErrMalformed, nil},
		{"UUID in braces", edit(verified, txID, "{"+txID+"}"), events.ErrMalformed, nil},
		{"UUID as URN", edit(verified, txID, "urn:uuid:"+txID), events.ErrMalformed, nil},
		{"UUID without dashes", edit(verified, txID, strings.ReplaceAll(txID, "-", "")), events.ErrMalformed, nil},
		{"zero tx ID", edit(dropped, txBob.ID().String(), uuid.Nil.String()), events.ErrMalformed, nil},
		{"null block", withData(mined, `{"v":1,"block":null,"minerId":"m"}`), events.ErrMalformed, nil},
		{"block not a string", withData(mined, `{"v":1,"height":1,"hash":"`+blockHash+`","block":1,"minerId":"m"}`), events.ErrMalformed, nil},
		{"block not base64", edit(mined, `"block":"`, `"block":"*`), events.ErrMalformed, nil},
		{"block in non-canonical base64 (a line break)", edit(mined, `"block":"CIqS`, `"block":"CIqS\n`), events.ErrMalformed, nil},
		{"block bytes cut short", edit(mined, `YWxpY2UAAAADYm9i"`, `YWxpY2UAAAAD"`), events.ErrMalformed, []error{blockchain.ErrMalformed}},
		{"hash field not the block's", edit(mined, `"hash":"`+blockHash, `"hash":"`+txHash), events.ErrMalformed, nil},
		{"height field not the block's", edit(mined, `"height":1`, `"height":2`), events.ErrMalformed, nil},
		{"unknown field in a transaction", edit(submitted, `"amount":125`, `"amount":125,"fee":1`), events.ErrMalformed, []error{blockchain.ErrMalformed}},

		{"no version", edit(verified, `"v":1,`, ``), events.ErrSchemaVersion, nil},
		{"version 2", edit(verified, `"v":1`, `"v":2`), events.ErrSchemaVersion, nil},
		{"version 0", edit(verified, `"v":1`, `"v":0`), events.ErrSchemaVersion, nil},
		{"version as a string", edit(verified, `"v":1`, `"v":"1"`), events.ErrSchemaVersion, nil},
		{"version as 1.0", edit(verified, `"v":1`, `"v":1.0`), events.ErrSchemaVersion, nil},
		{"version null", edit(verified, `"v":1`, `"v":null`), events.ErrSchemaVersion, nil},
		{"version in another case", edit(verified, `"v":1`, `"V":1`), events.ErrSchemaVersion, nil},

		{"forged transaction hash", edit(submitted, txHash, blockHash), events.ErrMalformed, []error{blockchain.ErrBadHash}},
		{"amount changed under its hash", edit(submitted, `"amount":125`, `"amount":126`), events.ErrMalformed, []error{blockchain.ErrBadHash}},

		{"zero ID", withID(verified, uuid.Nil), events.ErrIDMismatch, nil},
		{"ID of another event", withID(verified, dropped.ID), events.ErrIDMismatch, nil},
		{"attempt changed under its ID", edit(rebroadcast, `"attempt":2`, `"attempt":3`), events.ErrIDMismatch, nil},
		{"rule changed under its ID", edit(rejected, `"bad-merkle-root"`, `"bad-bits"`), events.ErrIDMismatch, nil},
		{"tx ID changed under its ID", edit(dropped, txBob.ID().String(), txID), events.ErrIDMismatch, nil},
		{"data of one type under another type", withType(submitted, events.TypeTransactionRebroadcast), events.ErrMalformed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := events.Decode(tt.ev)
			assertSentinel(t, err, tt.want)
			assert.Nil(t, p, "no payload with an error")
			for _, also := range tt.also {
				assert.ErrorIs(t, err, also)
			}
			if errors.Is(err, blockchain.ErrBadHash) {
				var re *blockchain.RuleError
				assert.ErrorAs(t, err, &re, "a forged hash comes with its RuleError")
			}
			assert.True(t, strings.HasPrefix(err.Error(), "decode "), "error %q starts with decode", err)
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	b1, _ := mineBlocks(t)
	var (
		badUTF8   = "caf\xe9"
		farFuture = blockchain.NewTransaction(consensustest.TxID("far future"), "alice", "bob", 1, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
		latin1    = blockchain.NewTransaction(consensustest.TxID("latin-1"), badUTF8, "bob", 1, txAlice.Timestamp())
	)
	tests := []struct {
		name string
		p    events.Payload
		want error
	}{
		{"nil", nil, events.ErrUnknownType},
		{"a pointer", &events.BlockMined{Block: b1, MinerID: "m"}, events.ErrUnknownType},
		{"a nil pointer", (*events.TransactionSubmitted)(nil), events.ErrUnknownType},

		{"the zero Transaction", events.TransactionSubmitted{}, events.ErrMalformed},
		{"account name not UTF-8", events.TransactionSubmitted{Tx: latin1}, events.ErrMalformed},
		{"timestamp past year 9999", events.TransactionSubmitted{Tx: farFuture}, events.ErrMalformed},
		{"attempt 0", events.TransactionRebroadcast{Tx: txAlice}, events.ErrMalformed},
		{"attempt -1", events.TransactionRebroadcast{Tx: txAlice, Attempt: -1}, events.ErrMalformed},
		{"rebroadcast of the zero Transaction", events.TransactionRebroadcast{Attempt: 1}, events.ErrMalformed},
		{"nil block", events.BlockMined{MinerID: "m"}, events.ErrMalformed},
		{"the zero Block", events.BlockMined{Block: &blockchain.Block{}, MinerID: "m"}, events.ErrMalformed},
		{"block holding the zero Transaction", events.BlockMined{Block: blockchain.NewBlock(b1.Header(), []blockchain.Transaction{{}}), MinerID: "m"}, events.ErrMalformed},
		{"block holding a name not UTF-8", events.BlockMined{Block: blockchain.NewBlock(b1.Header(), []blockchain.Transaction{latin1}), MinerID: "m"}, events.ErrMalformed},
		{"empty miner ID", events.BlockMined{Block: b1}, events.ErrMalformed},
		{"miner ID over MaxMinerIDLen", events.BlockMined{Block: b1, MinerID: strings.Repeat("m", events.MaxMinerIDLen+1)}, events.ErrMalformed},
		{"miner ID not UTF-8", events.BlockMined{Block: b1, MinerID: badUTF8}, events.ErrMalformed},
		{"verified: zero tx ID", events.TransactionVerified{BlockHash: b1.Hash(), Height: 1}, events.ErrMalformed},
		{"verified: zero block hash", events.TransactionVerified{TxID: txAlice.ID(), Height: 1}, events.ErrMalformed},
		{"dropped: zero tx ID", events.TransactionDropped{Reason: "r"}, events.ErrMalformed},
		{"dropped: attempts -1", events.TransactionDropped{TxID: txAlice.ID(), Reason: "r", Attempts: -1}, events.ErrMalformed},
		{"dropped: empty reason", events.TransactionDropped{TxID: txAlice.ID()}, events.ErrMalformed},
		{"dropped: reason not UTF-8", events.TransactionDropped{TxID: txAlice.ID(), Reason: badUTF8}, events.ErrMalformed},
		{"rejected: zero block hash", events.BlockRejected{Rule: blockchain.ErrBadBits, Reason: "r"}, events.ErrMalformed},
		{"rejected: ErrUnknown", events.BlockRejected{BlockHash: b1.Hash(), Reason: "r"}, events.ErrMalformed},
		{"rejected: no such code", events.BlockRejected{BlockHash: b1.Hash(), Rule: 999, Reason: "r"}, events.ErrMalformed},
		{"rejected: negative code", events.BlockRejected{BlockHash: b1.Hash(), Rule: -1, Reason: "r"}, events.ErrMalformed},
		{"rejected: empty reason", events.BlockRejected{BlockHash: b1.Hash(), Rule: blockchain.ErrBadBits}, events.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := events.Encode(tt.p)
			assertSentinel(t, err, tt.want)
			assert.Equal(t, eventlog.Event{}, ev, "no event with an error")
			assert.True(t, strings.HasPrefix(err.Error(), "encode "), "error %q starts with encode", err)
		})
	}
}

// Every event Encode writes is valid JSON that the log accepts, and its
// data holds "v" first, as the package documentation says.
func TestDataStartsWithVersion(t *testing.T) {
	for _, s := range samples(t) {
		ev := mustEncode(t, s.payload)
		assert.True(t, strings.HasPrefix(string(ev.Data), `{"v":1,`), s.name)
		var fields map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(ev.Data, &fields), s.name)
		assert.JSONEq(t, "1", string(fields["v"]), s.name)
	}
}

// reorderMined writes a BlockMined's fields in another order.
func reorderMined(t *testing.T, e eventlog.Event) string {
	t.Helper()
	var f map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(e.Data, &f))
	return `{"minerId":` + string(f["minerId"]) + `,"block":` + string(f["block"]) + `,"hash":` + string(f["hash"]) + `,"height":` + string(f["height"]) + `,"v":1}`
}

// TestGoldenRequestDigest pins a TransactionSubmitted that records the
// digest of the request it came from: the digest is in the data and in
// the ID, and an event without one keeps the ID it always had. The values
// come from testdata/golden_request_digest.py.
func TestGoldenRequestDigest(t *testing.T) {
	digest := blockchain.Hash(sha256.Sum256([]byte("order-17 request")))
	require.Equal(t, "a388ae2deabf6d79f84628e49bd04e3b4f2b95086909c6db197fee7937e27a62", digest.String())
	ev := mustEncode(t, events.TransactionSubmitted{Tx: txAlice, RequestDigest: digest})
	assert.Equal(t, "fd47cccb-2ec0-5fb5-a205-d9e7c17adc8e", ev.ID.String())
	assert.Contains(t, string(ev.Data), `,"requestDigest":"`+digest.String()+`"}`)
	p, err := events.Decode(ev)
	require.NoError(t, err)
	assert.Equal(t, events.TransactionSubmitted{Tx: txAlice, RequestDigest: digest}, p)

	for _, tc := range []struct {
		name string
		data string
		want error
	}{
		{"the zero digest written out", strings.Replace(string(ev.Data), digest.String(), strings.Repeat("0", 64), 1), events.ErrMalformed},
		{"upper-case hex", strings.Replace(string(ev.Data), digest.String(), strings.ToUpper(digest.String()), 1), events.ErrMalformed},
		{"null", strings.Replace(string(ev.Data), `"`+digest.String()+`"`, "null", 1), events.ErrMalformed},
		{"another digest under the same ID", strings.Replace(string(ev.Data), digest.String(), strings.Repeat("ab", 32), 1), events.ErrIDMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forged := ev
			forged.Data = []byte(tc.data)
			_, err := events.Decode(forged)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}
