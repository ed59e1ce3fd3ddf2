package events_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

// The fuzz targets hold Decode and Encode to their documentation:
//
//	go test ./blockchain/events -run '^$' -fuzz FuzzDecode -fuzztime 3m
//	go test ./blockchain/events -run '^$' -fuzz FuzzEncode -fuzztime 1m
//
// Inputs that once found a bug stay in testdata/fuzz/<target>.

// sentinelOf returns the one documented sentinel err wraps, or fails.
func sentinelOf(t *testing.T, err error) error {
	t.Helper()
	var found []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("error %T %q wraps %d documented sentinels, want 1", err, err, len(found))
	}
	return found[0]
}

// fuzzTypes are the event types FuzzDecode tries: the six, and one that
// Decode does not know. The fuzzer picks one by index rather than making up
// type names, which would almost never hit a known one.
var fuzzTypes = []string{
	events.TypeTransactionSubmitted,
	events.TypeTransactionRebroadcast,
	events.TypeBlockMined,
	events.TypeTransactionVerified,
	events.TypeTransactionDropped,
	events.TypeBlockRejected,
	"BlockFound",
}

// fuzzKind returns the index of typ in fuzzTypes.
func fuzzKind(typ string) uint8 {
	for i, t := range fuzzTypes {
		if t == typ {
			return uint8(i)
		}
	}
	return uint8(len(fuzzTypes) - 1)
}

// FuzzDecode feeds Decode arbitrary data under each event type. Decode
// must not panic and must return only documented errors; what it decodes
// must encode again, with the same type and ID, to an event that decodes
// to an equal payload.
func FuzzDecode(f *testing.F) {
	for _, s := range samples(f) {
		ev := mustEncode(f, s.payload)
		f.Add(fuzzKind(ev.Type), ev.Data)
	}
	f.Add(fuzzKind(events.TypeBlockMined), []byte(`{"v":1,"block":{"header":{},"transactions":null},"minerId":"m"}`))
	f.Add(fuzzKind(events.TypeTransactionVerified), []byte(`{"v":1,"txId":"a4a03d66-d8f1-5ce0-bfd2-699c1b8d8122","blockHash":"09e4a35af47114869598f305703380ac851b94372536363dd8bebe5f1f2e385b","height":1,"height":2}`))
	f.Add(fuzzKind(events.TypeTransactionDropped), []byte(`{"v":2,"txId":"77fd697f-434e-5aff-8e4b-eb40907beaf2","reason":"r","attempts":1}`))
	f.Add(fuzzKind(events.TypeBlockRejected), []byte(`{"v":1,"blockHash":"09E4A35AF47114869598F305703380AC851B94372536363DD8BEBE5F1F2E385B","height":1,"rule":"bad-bits","reason":null}`))
	f.Add(fuzzKind(events.TypeTransactionRebroadcast), []byte(`{"v":1,"tx":{"id":"a4a03d66-d8f1-5ce0-bfd2-699c1b8d8122","from":"alice","to":"bob","amount":125,"timestamp":"2020-01-01T00:00:01Z","hash":"0000000000000000000000000000000000000000000000000000000000000000"},"attempt":0}`))
	f.Add(fuzzKind("BlockFound"), []byte(`{"v":1}`))
	f.Add(fuzzKind(events.TypeTransactionSubmitted), []byte(`{} []`))

	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		typ := fuzzTypes[int(kind)%len(fuzzTypes)]
		// uuid.Nil is never a derived ID (a version-5 UUID has its version
		// bits set), so this Decode always fails.
		_, err := events.Decode(eventlog.Event{ID: uuid.Nil, Type: typ, Data: data})
		if err == nil {
			t.Fatal("decoded an event with the zero ID")
		}
		got := sentinelOf(t, err)

		p, err := events.DecodeData(typ, data)
		if err != nil {
			if want := sentinelOf(t, err); got != want {
				t.Fatalf("Decode gave %v, the data alone %v", got, want)
			}
			return
		}
		if got != events.ErrIDMismatch {
			t.Fatalf("data decodes but Decode gave %v, want ErrIDMismatch", got)
		}

		id := events.EventID(p)
		p1, err := events.Decode(eventlog.Event{ID: id, Type: typ, Data: data})
		if err != nil {
			t.Fatalf("decode with the derived ID: %v", err)
		}
		assertSamePayload(t, p, p1)

		ev, err := events.Encode(p1)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", p1, err)
		}
		if ev.ID != id || ev.Type != typ {
			t.Fatalf("re-encoded as %s %s, want %s %s", ev.Type, ev.ID, typ, id)
		}
		p2, err := events.Decode(ev)
		if err != nil {
			t.Fatalf("decode own encoding %s: %v", ev.Data, err)
		}
		assertSamePayload(t, p1, p2)
		again, err := events.Encode(p2)
		if err != nil || !bytes.Equal(again.Data, ev.Data) {
			t.Fatalf("encoding is not stable: %s, then %s (%v)", ev.Data, again.Data, err)
		}
	})
}

// FuzzEncode builds payloads of every type from arbitrary fields. Encode
// must refuse a payload only with ErrMalformed, and what it encodes must
// decode to an equal payload: Encode never writes what Decode refuses.
func FuzzEncode(f *testing.F) {
	f.Add(uint8(0), "alice", "bob", int64(125), int64(1_577_836_801_000), []byte("0123456789abcdef0123456789abcdef"))
	f.Add(uint8(2), "miner-1", "", int64(-1), int64(0), []byte{})
	f.Add(uint8(5), "caf\xe9", "bad-bits", int64(3), int64(-62_135_596_800_000), []byte{1})
	f.Fuzz(func(t *testing.T, kind uint8, s1, s2 string, n, ms int64, key []byte) {
		var h blockchain.Hash
		copy(h[:], key)
		id := uuid.NewSHA1(uuid.Nil, key)
		tx := blockchain.NewTransaction(id, s1, s2, n, time.UnixMilli(ms))
		rule, _ := parseRuleForFuzz(s2)
		var p events.Payload
		switch kind % 6 {
		case 0:
			p = events.TransactionSubmitted{Tx: tx}
		case 1:
			p = events.TransactionRebroadcast{Tx: tx, Attempt: int(n)}
		case 2:
			hdr := blockchain.NextHeader(blockchain.Genesis().Header(), []blockchain.Transaction{tx}, time.UnixMilli(ms))
			hdr.Nonce, hdr.Bits = uint64(n), uint32(len(key))
			p = events.BlockMined{Block: blockchain.NewBlock(hdr, []blockchain.Transaction{tx, consensustest.Transfer(s2, s1, s2, n)}), MinerID: s1}
		case 3:
			p = events.TransactionVerified{TxID: id, BlockHash: h, Height: uint64(n)}
		case 4:
			p = events.TransactionDropped{TxID: id, Reason: s1, Attempts: int(n)}
		case 5:
			p = events.BlockRejected{BlockHash: h, Height: uint64(n), Rule: rule, Reason: s1}
		}
		ev, err := events.Encode(p)
		if err != nil {
			if sentinelOf(t, err) != events.ErrMalformed {
				t.Fatalf("encode %#v: %v, want ErrMalformed", p, err)
			}
			return
		}
		back, err := events.Decode(ev)
		if err != nil {
			t.Fatalf("decode own encoding %s: %v", ev.Data, err)
		}
		assertSamePayload(t, p, back)
	})
}

// parseRuleForFuzz returns the code named s, or a code from s's length,
// so the fuzzer reaches valid and invalid codes alike.
func parseRuleForFuzz(s string) (blockchain.ErrorCode, bool) {
	for _, c := range blockchain.ErrorCodes() {
		if c.String() == s {
			return c, true
		}
	}
	return blockchain.ErrorCode(len(s)), false
}

// assertSamePayload fails unless a and b hold the same content. A block is
// compared by its header, hash and transactions.
func assertSamePayload(t *testing.T, a, b events.Payload) {
	t.Helper()
	ma, aok := a.(events.BlockMined)
	mb, bok := b.(events.BlockMined)
	if aok && bok {
		if ma.MinerID != mb.MinerID || ma.Block.Hash() != mb.Block.Hash() || !reflect.DeepEqual(ma.Block.Header(), mb.Block.Header()) || !slices.Equal(ma.Block.Transactions(), mb.Block.Transactions()) {
			t.Fatalf("block changed: %v %q → %v %q", ma.Block, ma.MinerID, mb.Block, mb.MinerID)
		}
		return
	}
	if a != b {
		t.Fatalf("payload changed: %#v → %#v", a, b)
	}
}
