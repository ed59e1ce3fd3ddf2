package events_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

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
// FuzzDecode starts from the events of the fixtures, whose transactions
// are signed and whose blocks hold a state root, so it mutates real data.
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

// fuzzTypes are the event types FuzzDecode tries: the ten (ChainLost,
// the newest, last, so that the kept corpus's indexes keep their types),
// and one that Decode does not know. The fuzzer picks one by index rather than making up
// type names, which would almost never hit a known one.
var fuzzTypes = []string{
	events.TypeTransactionSubmitted,
	events.TypeTransactionRebroadcast,
	events.TypeBlockMined,
	events.TypeTransactionVerified,
	events.TypeTransactionDropped,
	events.TypeBlockRejected,
	events.TypeChainSpecDeclared,
	events.TypeSnapshotPart,
	events.TypeSnapshotTaken,
	"BlockFound",
	events.TypeChainLost,
}

// fuzzKind returns the index of typ in fuzzTypes, or that of the type
// Decode does not know.
func fuzzKind(typ string) uint8 {
	for i, t := range fuzzTypes {
		if t == typ {
			return uint8(i)
		}
	}
	return fuzzKind("BlockFound")
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
	f.Add(fuzzKind(events.TypeTransactionVerified), []byte(`{"v":1,"txId":"4c0fbd6e-b72c-80b6-b95e-9194d5beee69","blockHash":"eef4ee959130779ddbfd951444eaf4ccf744f15c2c2bb128536b7c922e25fdb2","height":1,"height":2}`))
	f.Add(fuzzKind(events.TypeTransactionDropped), []byte(`{"v":2,"txId":"c3de1aae-318e-8400-a7ad-27e91a267d56","reason":"r","attempts":1}`))
	f.Add(fuzzKind(events.TypeTransactionDropped), []byte(`{"v":1,"txId":"c3de1aae-318e-8400-a7ad-27e91a267d56","rule":"unknown","reason":"r","attempts":1}`))
	f.Add(fuzzKind(events.TypeBlockRejected), []byte(`{"v":1,"blockHash":"EEF4EE959130779DDBFD951444EAF4CCF744F15C2C2BB128536B7C922E25FDB2","height":1,"rule":"bad-bits","reason":null}`))
	f.Add(fuzzKind(events.TypeTransactionRebroadcast), []byte(`{"v":1,"tx":{"chainId":"eventchain-test","from":"ec3e13bbbe323479fadb7ecf1fce9385e3f18679fa79de56cd","to":"ec6d1f61a273e36e8aa8c40808dd232d8e3e2d9d9e5adba1d5","amount":125,"fee":0,"nonce":0,"publicKey":"c0f2e84e2ac7684c5d02ee933e3fc17bc627ffbb7cc1646dcd73fd0b015a5ef3","signature":"00","hash":"0000000000000000000000000000000000000000000000000000000000000000"},"attempt":0}`))
	f.Add(fuzzKind(events.TypeChainSpecDeclared), []byte(`{"v":1,"hash":"0000000000000000000000000000000000000000000000000000000000000000","spec":{"chainId":"x","blockReward":0,"alloc":{},"consensus":{"engine":"poa","poa":{"signers":[]}}}}`))
	f.Add(fuzzKind(events.TypeSnapshotPart), []byte(`{"v":1,"height":1,"blockHash":"eef4ee959130779ddbfd951444eaf4ccf744f15c2c2bb128536b7c922e25fdb2","part":1,"parts":1,"accounts":"AAAA"}`))
	f.Add(fuzzKind(events.TypeSnapshotPart), []byte(`{"v":1,"height":0,"blockHash":"eef4ee959130779ddbfd951444eaf4ccf744f15c2c2bb128536b7c922e25fdb2","part":0,"parts":1,"accounts":""}`))
	f.Add(fuzzKind(events.TypeSnapshotTaken), []byte(`{"v":1,"height":1,"blockHash":"eef4ee959130779ddbfd951444eaf4ccf744f15c2c2bb128536b7c922e25fdb2","stateRoot":"00","parts":0,"accounts":-1,"firstPart":0,"blocksRevision":0,"txsRevision":0,"headers":"","tip":"","pending":null}`))
	f.Add(fuzzKind("BlockFound"), []byte(`{"v":1}`))
	f.Add(fuzzKind(events.TypeChainLost), []byte(`{"v":1,"genesis":"0000000000000000000000000000000000000000000000000000000000000000","chainId":"","height":-1}`))
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
	f.Add(uint8(0), "eventchain-test", "bad-nonce", int64(125), int64(1), []byte("0123456789abcdef0123456789abcdef"))
	f.Add(uint8(2), "miner-1", "", int64(-1), int64(0), []byte{})
	f.Add(uint8(4), "caf\xe9", "insufficient-funds", int64(3), int64(-1), []byte{1})
	f.Add(uint8(5), "caf\xe9", "bad-bits", int64(3), int64(-62_135_596_800_000), []byte{1})
	f.Add(uint8(6), "eventchain-fuzz", "pow", int64(50), int64(1_000_000), []byte{9, 9, 9})
	f.Add(uint8(6), "eventchain-fuzz", "poa", int64(0), int64(1), bytes.Repeat([]byte{3}, 64))
	f.Fuzz(func(t *testing.T, kind uint8, s1, s2 string, n, m int64, key []byte) {
		var h blockchain.Hash
		copy(h[:], key)
		id := uuid.NewSHA1(uuid.Nil, key)
		var pub blockchain.PublicKey
		copy(pub[:], key)
		tx := blockchain.NewTransaction(blockchain.TxFields{
			ChainID: s1, From: pub.Address(), To: blockchain.Address(h[:blockchain.AddressSize]),
			Amount: n, Fee: m, Nonce: uint64(m), PublicKey: pub,
		}, key)
		rule, _ := parseRuleForFuzz(s2)
		var p events.Payload
		switch kind % 9 {
		case 0:
			p = events.TransactionSubmitted{Tx: tx, RequestDigest: h}
		case 1:
			p = events.TransactionRebroadcast{Tx: tx, Attempt: int(n)}
		case 2:
			hdr := blockchain.NextHeader(consensustest.Genesis().Header(), []blockchain.Transaction{tx}, time.UnixMilli(m))
			hdr.Nonce, hdr.Bits, hdr.Beneficiary = uint64(n), uint32(len(key)), tx.To()
			if len(key)%2 == 1 {
				hdr.Seal = key
			}
			p = events.BlockMined{Block: blockchain.NewBlock(hdr, []blockchain.Transaction{tx, consensustest.Transfer("alice", "bob", n, uint64(m))}), MinerID: s1}
		case 3:
			p = events.TransactionVerified{TxID: id, BlockHash: h, Height: uint64(n)}
		case 4:
			p = events.TransactionDropped{TxID: id, Rule: rule, Reason: s1, Attempts: int(n)}
		case 5:
			p = events.BlockRejected{BlockHash: h, Height: uint64(n), Rule: rule, Reason: s1}
		case 6:
			p = events.ChainSpecDeclared{Spec: fuzzSpec(s1, s2, n, m, key)}
		case 7:
			var accounts []blockchain.AccountRecord
			for rest := key; len(rest) >= blockchain.AddressSize; rest = rest[blockchain.AddressSize:] {
				accounts = append(accounts, blockchain.AccountRecord{Address: blockchain.Address(rest[:blockchain.AddressSize]), Account: blockchain.Account{Balance: n, Nonce: uint64(m)}})
			}
			p = events.SnapshotPart{Height: uint64(n), BlockHash: h, Part: int(m), Parts: len(s1), Accounts: accounts}
		case 8:
			hdr := blockchain.NextHeader(consensustest.Genesis().Header(), []blockchain.Transaction{tx}, time.UnixMilli(m))
			hdr.Nonce, hdr.Beneficiary = uint64(n), tx.To()
			if len(key)%2 == 1 {
				hdr.Seal = key
			}
			tip := blockchain.NewBlock(hdr, []blockchain.Transaction{tx})
			headers := []blockchain.Header{consensustest.Genesis().Header(), hdr}
			if len(s2)%3 == 0 {
				headers = headers[1:]
			}
			var pending []blockchain.Transaction
			for range len(s2) % 4 {
				pending = append(pending, tx)
			}
			p = events.SnapshotTaken{
				Height: hdr.Height, BlockHash: tip.Hash(), StateRoot: hdr.StateRoot, Parts: len(s1), Accounts: int(n),
				FirstPart: eventlog.Revision(m), BlocksRevision: eventlog.Revision(n), TxsRevision: eventlog.Revision(len(key)),
				Headers: headers, Tip: tip, Pending: pending,
			}
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

// fuzzSpec builds a chain spec from fuzzed fields: valid often enough to
// reach the encoder, invalid often enough to reach the refusals. The key's
// bytes give the allocations (20 bytes of address, each with balance m)
// for proof of work, the signers (32 bytes each) for proof of authority.
func fuzzSpec(chainID, engine string, reward, m int64, key []byte) blockchain.ChainSpec {
	s := blockchain.ChainSpec{ChainID: chainID, BlockReward: reward, Consensus: blockchain.ConsensusSpec{Engine: engine}}
	switch engine {
	case blockchain.EnginePoA:
		poa := &blockchain.PoASpec{}
		for rest := key; len(rest) >= blockchain.PublicKeySize; rest = rest[blockchain.PublicKeySize:] {
			poa.Signers = append(poa.Signers, blockchain.PublicKey(rest[:blockchain.PublicKeySize]))
		}
		s.Consensus.PoA = poa
	default:
		s.Consensus.PoW = &blockchain.PoWSpec{Bits: uint32(len(key)), RetargetInterval: uint64(m & 0xff)}
		for rest := key; len(rest) >= blockchain.AddressSize; rest = rest[blockchain.AddressSize:] {
			s.Alloc = append(s.Alloc, blockchain.Allocation{Address: blockchain.Address(rest[:blockchain.AddressSize]), Balance: m})
		}
		s.SortAlloc()
	}
	return s
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
// compared by its header, hash and transactions, a chain spec by its hash
// (which covers every field of a valid spec) and its Diff.
func assertSamePayload(t *testing.T, a, b events.Payload) {
	t.Helper()
	sa, aok := a.(events.ChainSpecDeclared)
	sb, bok := b.(events.ChainSpecDeclared)
	if aok || bok {
		if !aok || !bok || sa.Spec.Hash() != sb.Spec.Hash() || sa.Spec.Diff(sb.Spec) != "" {
			t.Fatalf("spec changed: %#v → %#v", a, b)
		}
		return
	}
	switch pa := a.(type) {
	case events.SnapshotPart:
		pb, ok := b.(events.SnapshotPart)
		if !ok || pa.Height != pb.Height || pa.BlockHash != pb.BlockHash || pa.Part != pb.Part || pa.Parts != pb.Parts || !slices.Equal(pa.Accounts, pb.Accounts) {
			t.Fatalf("snapshot part changed: %#v → %#v", a, b)
		}
		return
	case events.SnapshotTaken:
		pb, ok := b.(events.SnapshotTaken)
		same := ok && pa.Tip.Hash() == pb.Tip.Hash() && slices.Equal(pa.Tip.Transactions(), pb.Tip.Transactions()) &&
			pa.Height == pb.Height && pa.BlockHash == pb.BlockHash && pa.StateRoot == pb.StateRoot &&
			pa.Parts == pb.Parts && pa.Accounts == pb.Accounts && pa.FirstPart == pb.FirstPart &&
			pa.BlocksRevision == pb.BlocksRevision && pa.TxsRevision == pb.TxsRevision &&
			slices.Equal(pa.Pending, pb.Pending) && len(pa.Headers) == len(pb.Headers)
		for i := range pa.Headers {
			same = same && pa.Headers[i].Hash() == pb.Headers[i].Hash() && pa.Headers[i].SealHash() == pb.Headers[i].SealHash()
		}
		if !same {
			t.Fatalf("snapshot manifest changed: %#v → %#v", a, b)
		}
		return
	}
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

// FuzzBlockMinedHeader feeds arbitrary data to BlockMinedHeader as a
// BlockMined event. It must never panic nor fail but with ErrMalformed,
// and where Decode reads a block from the same data, the header it
// returns is that block's, seal and all, whichever path read it.
func FuzzBlockMinedHeader(f *testing.F) {
	for _, s := range samples(f) {
		if ev := mustEncode(f, s.payload); ev.Type == events.TypeBlockMined {
			f.Add(ev.Data)
			f.Add(bytes.ReplaceAll(ev.Data, []byte(`":`), []byte(`" : `)))
		}
	}
	f.Add([]byte(`{"v":1,"hash":"eef4ee959130779ddbfd951444eaf4ccf744f15c2c2bb128536b7c922e25fdb2","block":"AAAA"}`))
	f.Add([]byte(`{"hash":"","block":"="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := events.BlockMinedHeader(eventlog.Event{Type: events.TypeBlockMined, Data: data})
		if err != nil {
			if !errors.Is(err, events.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		p, err := events.DecodeData(events.TypeBlockMined, data)
		if err != nil {
			return
		}
		if b := p.(events.BlockMined).Block; !reflect.DeepEqual(b.Header(), h) {
			t.Fatalf("header %+v, the decoded block's %+v", h, b.Header())
		}
	})
}

// FuzzSplit compares the two readings of an event's JSON object: where
// the fast one (quickSplit) takes the data, the general one (jsontext)
// must take it too and find the same fields, byte for byte. And
// plainText must agree with a byte-by-byte reading of the same rule.
func FuzzSplit(f *testing.F) {
	for _, s := range samples(f) {
		f.Add(mustEncode(f, s.payload).Data)
	}
	f.Add([]byte(`{"v":1,"a":-0,"b":"x","c":12}`))
	f.Add([]byte(`{"v":1,"a":01}`))
	f.Add([]byte(`{"v":1,"a":"\u00e9","a":2}`))
	f.Add([]byte("{\"v\":1,\"a\":\"caf\xc3\xa9 \x7f\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		slowOK := true
		want, err := events.SplitTokens(data)
		if err != nil {
			slowOK = false
		}
		got, ok := events.QuickSplit(data)
		if ok {
			if !slowOK {
				t.Fatalf("the fast reading takes %q, jsontext refuses it: %v", data, err)
			}
			if len(got) != len(want) {
				t.Fatalf("fields %v, jsontext %v", got, want)
			}
			for name, raw := range want {
				if !bytes.Equal(got[name], raw) {
					t.Fatalf("field %q: %q, jsontext %q", name, got[name], raw)
				}
			}
		}
		plain := utf8.Valid(data) && !slices.ContainsFunc(data, func(c byte) bool { return c < 0x20 || c == '\\' })
		if events.PlainText(data) != plain {
			t.Fatalf("PlainText(%q) = %v, want %v", data, !plain, plain)
		}
	})
}
