package events_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
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
			assertPayload(t, s.payload, got)

			rec := eventlog.Recorded{Event: ev, Stream: "stream", Revision: 7, Time: time.Unix(0, 0).UTC()}
			rec.Metadata = []byte(`{"node":"n1"}`)
			got, err = events.Decode(rec.Event)
			require.NoError(t, err, "a recorded event, with metadata")
			assertPayload(t, s.payload, got)
		})
	}
}

// Decode never looks at the chain rules: what the chain refuses still
// travels through the log, for the node or the pool to reject.
func TestEncodeChecksNoChainRule(t *testing.T) {
	b1, _ := mineBlocks(t)
	bad := blockchain.NewTransaction(blockchain.TxFields{
		ChainID: "Not A Chain ID", From: consensustest.Addr("alice"), To: consensustest.Addr("alice"),
		Amount: -5, Fee: -1, Nonce: 7, PublicKey: consensustest.Key("mallory").Public(),
	}, []byte("not a signature"))
	require.Error(t, blockchain.CheckTransactionSanity(bad), "precondition: the transaction breaks rules")
	forged := blockchain.NewTransaction(txAlice.Fields(), make([]byte, blockchain.SignatureSize))
	require.ErrorIs(t, blockchain.CheckTransactionSanity(forged), blockchain.ErrBadSignature, "precondition: the signature is forged")
	h := b1.Header()
	h.MerkleRoot = blockchain.Hash{1}
	h.Version = 99
	badBlock := blockchain.NewBlock(h, []blockchain.Transaction{bad, bad, forged})
	require.Error(t, badBlock.Validate(), "precondition: the block breaks rules")

	for _, p := range []events.Payload{
		events.TransactionSubmitted{Tx: bad},
		events.TransactionSubmitted{Tx: forged},
		events.TransactionRebroadcast{Tx: bad, Attempt: 1},
		events.BlockMined{Block: badBlock, MinerID: "m"},
		events.BlockMined{Block: blockchain.NewBlock(blockchain.Header{}, nil), MinerID: "m"},
		events.TransactionSubmitted{Tx: blockchain.NewTransaction(blockchain.TxFields{}, nil)},
	} {
		got, err := events.Decode(mustEncode(t, p))
		require.NoError(t, err, "%T", p)
		assertPayload(t, p, got)
	}
}

// Every rule round-trips by name, in the two events that carry one.
func TestEveryRuleRoundTrips(t *testing.T) {
	b1, _ := mineBlocks(t)
	for _, code := range blockchain.ErrorCodes() {
		t.Run(code.String(), func(t *testing.T) {
			for _, p := range []events.Payload{
				events.BlockRejected{BlockHash: b1.Hash(), Height: 1, Rule: code, Reason: code.Error()},
				events.TransactionDropped{TxID: txAlice.ID(), Rule: code, Reason: code.Error()},
			} {
				ev := mustEncode(t, p)
				assert.Contains(t, string(ev.Data), `"rule":"`+code.String()+`"`)
				got, err := events.Decode(ev)
				require.NoError(t, err)
				assertPayload(t, p, got)
			}
		})
	}
	t.Run("a drop names its transaction's hash, when it knows it", func(t *testing.T) {
		p := events.TransactionDropped{TxID: txAlice.ID(), TxHash: txAlice.Hash(), Rule: blockchain.ErrBadNonce, Reason: "taken"}
		ev := mustEncode(t, p)
		assert.Contains(t, string(ev.Data), `"txHash":"`+txAlice.Hash().String()+`"`)
		got, err := events.Decode(ev)
		require.NoError(t, err)
		assertPayload(t, p, got)
		unsaid := mustEncode(t, events.TransactionDropped{TxID: txAlice.ID(), Reason: "gave up"})
		assert.NotContains(t, string(unsaid.Data), "txHash", "the zero hash is written by leaving it out")
	})
	t.Run("a drop for waiting too long has no rule", func(t *testing.T) {
		ev := mustEncode(t, events.TransactionDropped{TxID: txAlice.ID(), Reason: "gave up", Attempts: 5})
		assert.NotContains(t, string(ev.Data), `"rule"`, "blockchain.ErrUnknown is written by leaving the rule out")
		got, err := events.Decode(ev)
		require.NoError(t, err)
		assert.Equal(t, blockchain.ErrUnknown, got.(events.TransactionDropped).Rule)
	})
}

func TestNamespace(t *testing.T) {
	want := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/eventchain/eventchain/blockchain/events"))
	assert.Equal(t, want, events.Namespace)
	assert.Equal(t, "0212957d-b97e-515c-92e7-76e046941632", events.Namespace.String())
}

// The golden events pin the stored format: a change to a field name, to
// the JSON of package blockchain, or to how IDs are derived shows up here
// in review. Everything was recomputed outside Go by
// testdata/golden_events.py — the transaction signed and written out, the
// block built, the spec hashed, the snapshot's accounts and headers
// packed and every ID derived, from the layouts in
// the documentation — so the literals check the documentation as well as
// the code.
func TestGolden(t *testing.T) {
	const (
		txJSON = `{"id":"4c0fbd6e-b72c-80b6-b95e-9194d5beee69","chainId":"eventchain-test",` +
			`"from":"ec3e13bbbe323479fadb7ecf1fce9385e3f18679fa79de56cd","to":"ec6d1f61a273e36e8aa8c40808dd232d8e3e2d9d9e5adba1d5",` +
			`"amount":125,"fee":0,"nonce":0,"publicKey":"c0f2e84e2ac7684c5d02ee933e3fc17bc627ffbb7cc1646dcd73fd0b015a5ef3",` +
			`"signature":"f4cbaee376d874d1cc125530f3ca233848c1055baca03534d0724e692cf20fdb7092cf77f6309622e7ec2ac1e36e8b5782eeab456f2ddb3582df9ca3b4632401",` +
			`"hash":"8f99e7a1cf28d8d969c22ffc581ba718d8510a6b577b12ab132a527655ac5938"}`
		blockHash = "eef4ee959130779ddbfd951444eaf4ccf744f15c2c2bb128536b7c922e25fdb2"
		// The block's canonical binary encoding (blockchain.Block.MarshalBinary):
		// PrevHash df95463d… (consensustest.Spec()'s genesis), MerkleRoot ebb28a58…
		// (SHA-256(0x00 ‖ txAlice's encoding): the root of one transaction), …
		blockBase64 = "35VGPQVXuzhMUiKnFPj5wF8eUo/FCcDh/R525jLOK7/rsopYsF01BTdB6pfZLo80E2w8J17ruim6C2sEKN3VOEZ3AWYrzN17zVAAEkaYW0AEfSPkIZJBx51QOKFf0QFPKtgyStdulkfULR430j0oXYVuw14AAAABAAAAAgAAAAAAAAAAAAAAAQAAAW9eZw8QAAAAAAAAAAAAAAABAAAAsQIPZXZlbnRjaGFpbi10ZXN0PhO7vjI0efrbfs8fzpOF4/GGefptH2Gic+NuiqjECAjdIy2OPi2dngAAAAAAAAB9AAAAAAAAAAAAAAAAAAAAAMDy6E4qx2hMXQLukz4/wXvGJ/+7fMFkbc1z/QsBWl7z9Muu43bYdNHMElUw88ojOEjBBVusoDU00HJOaSzyD9twks939jCWIufsKsHjbotXgu6rRW8t2zWC35yjtGMkAQ=="
		specHash    = "af246484d862e39fc6d2b0dfb47490dc833cce9bd8870506c88d50a6d668f17f"
		specJSON    = `{"chainId":"eventchain-test","blockReward":50,"alloc":{` +
			`"ec2ad8324ad76e9647d42d1e37d23d285d856ec35ebecf727d":1000000,"ec3e13bbbe323479fadb7ecf1fce9385e3f18679fa79de56cd":1000000,` +
			`"ec60140e64ab1e81dc10c0661a561d4b10ab8feb925d04adf7":1000000,"ec6d1f61a273e36e8aa8c40808dd232d8e3e2d9d9e5adba1d5":1000000,` +
			`"ec6d3fd19eee0c19fc863f37da0808eb97e83f3c46814d4801":1000000,"ec850a5cb724f1ede92cf9031d48bcbf953d33627158896d6b":1000000,` +
			`"ec971f886c649ef72964ff3775bd70edaf1bd2729c4d873061":1000000,"ec9bf5de3d6cdbdbecd4576ae4b3f5691ee926bede80a503f9":1000000},` +
			`"consensus":{"engine":"pow","pow":{"bits":0}}}`
		// The state after block 1, its eight accounts packed (address,
		// balance, nonce) in address order: alice has paid bob 125 and
		// "miner" has the reward.
		accountsBase64 = "KtgyStdulkfULR430j0oXYVuw14AAAAAAA9CcgAAAAAAAAAAPhO7vjI0efrbfs8fzpOF4/GGefoAAAAAAA9BwwAAAAAAAAABYBQOZKsegdwQwGYaVh1LEKuP65IAAAAAAA9CQAAAAAAAAAAAbR9honPjboqoxAgI3SMtjj4tnZ4AAAAAAA9CvQAAAAAAAAAAbT/Rnu4MGfyGPzfaCAjrl+g/PEYAAAAAAA9CQAAAAAAAAAAAhQpctyTx7eks+QMdSLy/lT0zYnEAAAAAAA9CQAAAAAAAAAAAlx+IbGSe9ylk/zd1vXDtrxvScpwAAAAAAA9CQAAAAAAAAAAAm/XePWzb2+zUV2rks/VpHukmvt4AAAAAAA9CQAAAAAAAAAAA"
		stateRoot      = "467701662bccdd7bcd50001246985b40047d23e4219241c79d5038a15fd1014f"
		// The headers of genesis and block 1, each followed by its seal's
		// length, 0.
		headersBase64 = "ryRkhNhi45/G0rDftHSQ3IM8zpvYhwUGyI1QptZo8X/jsMRCmPwcFJr79MiZb7kkJ65B5GSbk0yklZkbeFK4VVX/BFbfCbVyfJVW77QuVCkPEbmNIFnJVi0loew9/zZVAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAW9eZugAAAAAAAAAAAAAAN+VRj0FV7s4TFIipxT4+cBfHlKPxQnA4f0eduYyziu/67KKWLBdNQU3QeqX2S6PNBNsPCde67opugtrBCjd1ThGdwFmK8zde81QABJGmFtABH0j5CGSQcedUDihX9EBTyrYMkrXbpZH1C0eN9I9KF2FbsNeAAAAAQAAAAIAAAAAAAAAAAAAAAEAAAFvXmcPEAAAAAAAAAAAAAA="
		// txBob's binary encoding.
		txBobBase64 = "Ag9ldmVudGNoYWluLXRlc3RtH2Gic+NuiqjECAjdIy2OPi2dnoUKXLck8e3pLPkDHUi8v5U9M2JxAAAAAAAAADIAAAAAAAAAAAAAAAAAAAAAj7PwOr9hck043pCZSXOLJQfK/IpsHWsS0taL+CTdeAw6J1wtCeCWubR61hSvVvnh9wVLmmEEAPgLPUpCN73vMw2Gw2M1WMzaSDrjR4hw1JFL5Ua4PLhQmMewAcC+eVQE"
	)
	golden := map[string]struct{ id, data string }{
		"TransactionSubmitted": {
			"28817fd8-396b-5321-8312-16d8164eb9fc",
			`{"v":1,"tx":` + txJSON + `}`,
		},
		"TransactionRebroadcast": {
			"8a1d8d2b-7c67-537c-8253-a0aa7683f002",
			`{"v":1,"tx":` + txJSON + `,"attempt":2}`,
		},
		"BlockMined": {
			// UUIDv5 of "BlockMined" ‖ 0 ‖ block hash ‖ root of its transactions; the block
			// has no seal, so its hash is its seal hash (blockchain/testdata/golden_seal.py
			// prints the same)
			"d475f426-724a-5302-b4c5-5634e6f8584c",
			`{"v":1,"height":1,"hash":"` + blockHash + `","block":"` + blockBase64 + `","minerId":"miner-1"}`,
		},
		"TransactionVerified": {
			"30eb73d2-fa38-5847-a2d2-1cfb81333ee7",
			`{"v":1,"txId":"4c0fbd6e-b72c-80b6-b95e-9194d5beee69","blockHash":"` + blockHash + `","height":1}`,
		},
		"TransactionDropped": {
			"bd7fee3c-a7cc-5b51-b769-29dc0ed67541",
			`{"v":1,"txId":"c3de1aae-318e-8400-a7ad-27e91a267d56","reason":"not included after 5 rebroadcasts","attempts":5}`,
		},
		"BlockRejected": {
			"320b99b4-2df8-5009-9be5-4e42209bdd33",
			`{"v":1,"blockHash":"` + blockHash + `","height":1,"rule":"bad-merkle-root","reason":"bad-merkle-root: have 00…, want 11…"}`,
		},
		"ChainSpecDeclared": {
			"8a06dd5d-86c2-5af8-9a87-397b11f7fab4",
			`{"v":1,"hash":"` + specHash + `","spec":` + specJSON + `}`,
		},
		"ChainLost": {
			// UUIDv5 of "ChainLost" ‖ 0 ‖ genesis hash
			"ea2e855b-0203-5a98-8eae-9ae79e324fac",
			`{"v":1,"genesis":"df95463d0557bb384c5222a714f8f9c05f1e528fc509c0e1fd1e76e632ce2bbf","chainId":"eventchain-test","height":1}`,
		},
		"SnapshotPart": {
			// UUIDv5 of "SnapshotPart" ‖ 0 ‖ block hash ‖ height ‖ part ‖ parts ‖ SHA-256(accounts)
			"50df8a96-94a1-509a-aac2-bd51e3117f3f",
			`{"v":1,"height":1,"blockHash":"` + blockHash + `","part":0,"parts":1,"accounts":"` + accountsBase64 + `"}`,
		},
		"SnapshotTaken": {
			// UUIDv5 of "SnapshotTaken" ‖ 0 ‖ block hash ‖ height
			"c265a0b8-72a7-545c-a499-e307270f23fd",
			`{"v":1,"height":1,"blockHash":"` + blockHash + `","stateRoot":"` + stateRoot + `","parts":1,"accounts":8,` +
				`"firstPart":0,"blocksRevision":0,"txsRevision":2,"headers":"` + headersBase64 + `","tip":"` + blockBase64 + `",` +
				`"pending":["` + txBobBase64 + `"]}`,
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
			assertPayload(t, s.payload, got)
		})
	}

	// A drop for a rule keeps the ID of the drop: the key is the
	// transaction ID alone.
	t.Run("TransactionDropped with a rule", func(t *testing.T) {
		const data = `{"v":1,"txId":"c3de1aae-318e-8400-a7ad-27e91a267d56","rule":"bad-nonce","reason":"nonce 0 taken by another transfer","attempts":0}`
		p := events.TransactionDropped{TxID: txBob.ID(), Rule: blockchain.ErrBadNonce, Reason: "nonce 0 taken by another transfer"}
		ev := mustEncode(t, p)
		assert.Equal(t, golden["TransactionDropped"].id, ev.ID.String(), "ID")
		assert.Equal(t, data, string(ev.Data), "data")
		got, err := events.Decode(ev)
		require.NoError(t, err)
		assertPayload(t, p, got)
	})
}

// TestGoldenSealedBlock pins the BlockMined of a block with a seal: block 1
// of the fixtures, signed by proof-of-authority signer 0 of
// examples/poa's tests. The seal, the block hash (which covers the seal),
// the ID and the data were computed by testdata/golden_events.py (and
// blockchain/testdata/golden_seal.py) with Python's hashlib, uuid and
// cryptography packages.
func TestGoldenSealedBlock(t *testing.T) {
	const (
		seal      = "001392bfc94908c8dcc874ddcf92cc479dc33e5388899466de66a464890b864a116eaf6b6e027e531f7a52f12b3bbaee937cc8e27f95db12ab05f2ee7e5a52a70b"
		blockHash = "1a6603ba234f58ffa46cf8d61baef00a61d83c4689f41d170c3ebfe3e1281f63"
		id        = "91b1be5c-563c-583d-9e45-59ed859c7c5b" // UUIDv5 of "BlockMined" ‖ 0 ‖ block hash ‖ root of its transactions
		data      = `{"v":1,"height":1,"hash":"` + blockHash + `","block":"` +
			"35VGPQVXuzhMUiKnFPj5wF8eUo/FCcDh/R525jLOK7/rsopYsF01BTdB6pfZLo80E2w8J17ruim6C2sEKN3VOEZ3AWYrzN17zVAAEkaYW0AEfSPkIZJBx51QOKFf0QFPKtgyStdulkfULR430j0oXYVuw14AAAABAAAAAgAAAAAAAAAAAAAAAQAAAW9eZw8QAAAAAAAAAAAAAAABAAAAsQIPZXZlbnRjaGFpbi10ZXN0PhO7vjI0efrbfs8fzpOF4/GGefptH2Gic+NuiqjECAjdIy2OPi2dngAAAAAAAAB9AAAAAAAAAAAAAAAAAAAAAMDy6E4qx2hMXQLukz4/wXvGJ/+7fMFkbc1z/QsBWl7z9Muu43bYdNHMElUw88ojOEjBBVusoDU00HJOaSzyD9twks939jCWIufsKsHjbotXgu6rRW8t2zWC35yjtGMkAQ" +
			"BBABOSv8lJCMjcyHTdz5LMR53DPlOIiZRm3makZIkLhkoRbq9rbgJ+Ux96UvErO7ruk3zI4n+V2xKrBfLuflpSpws=" + // the seal: its uint16 length, 65, and its bytes
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
	forgedBlock := strings.Replace(data, "pSpws=", "pSpwo=", 1)
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
	// The same transfer signed again, with another signature (a wallet
	// whose signatures are not deterministic): the same transaction ID,
	// another hash.
	resigned := blockchain.NewTransaction(txAlice.Fields(), bytes.Repeat([]byte{7}, blockchain.SignatureSize))
	require.Equal(t, txAlice.ID(), resigned.ID(), "precondition: the ID derives from what is signed")
	require.NotEqual(t, txAlice.Hash(), resigned.Hash(), "precondition: the hash covers the signature")
	spec := consensustest.Spec()
	otherSpec := consensustest.Spec()
	otherSpec.BlockReward++
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
		{"TransactionDropped for a rule", dropped, events.TransactionDropped{TxID: txAlice.ID(), Rule: blockchain.ErrInsufficientFunds, Reason: "spent"}, true},
		{"TransactionVerified at another height", verified, events.TransactionVerified{TxID: txAlice.ID(), BlockHash: b1.Hash(), Height: 9}, true},
		{"ChainSpecDeclared of an equal spec", events.ChainSpecDeclared{Spec: spec}, events.ChainSpecDeclared{Spec: consensustest.Spec()}, true},

		// What is in the key does.
		{"TransactionSubmitted of another tx", events.TransactionSubmitted{Tx: txAlice}, events.TransactionSubmitted{Tx: txBob}, false},
		{"TransactionSubmitted of another tx with the same ID", events.TransactionSubmitted{Tx: txAlice}, events.TransactionSubmitted{Tx: resigned}, false},
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
		// A drop that names the transaction's hash does not share the ID
		// of one that names none, or another: a forged drop does not
		// occupy the ID of the auditor's.
		{"TransactionDropped naming the hash", dropped, events.TransactionDropped{TxID: txAlice.ID(), TxHash: txAlice.Hash(), Reason: "too old", Attempts: 3}, false},
		{"TransactionDropped naming another hash", events.TransactionDropped{TxID: txAlice.ID(), TxHash: txAlice.Hash(), Reason: "r"}, events.TransactionDropped{TxID: txAlice.ID(), TxHash: resigned.Hash(), Reason: "r"}, false},
		{"BlockRejected for another rule", rejected, events.BlockRejected{BlockHash: b1.Hash(), Height: 1, Rule: blockchain.ErrBadBits, Reason: "node 1's words"}, false},
		{"BlockRejected of another block", rejected, events.BlockRejected{BlockHash: b2.Hash(), Height: 1, Rule: blockchain.ErrBadMerkleRoot, Reason: "node 1's words"}, false},
		{"ChainSpecDeclared of another spec", events.ChainSpecDeclared{Spec: spec}, events.ChainSpecDeclared{Spec: otherSpec}, false},

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
	dropped := mustEncode(t, events.TransactionDropped{TxID: txBob.ID(), Rule: blockchain.ErrInsufficientFunds, Reason: "spent", Attempts: 1})
	declared := mustEncode(t, events.ChainSpecDeclared{Spec: consensustest.Spec()})
	specJSON, err := consensustest.Spec().MarshalJSON()
	require.NoError(t, err)
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, specJSON, "", "  "))
	specHash := consensustest.Spec().Hash().String()
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
		{"transaction without its ID", submitted, strings.Replace(string(submitted.Data), `"id":"`+txAlice.ID().String()+`",`, "", 1)},
		{"rule before the transaction ID", dropped, `{"v":1,"rule":"insufficient-funds","txId":"` + txBob.ID().String() + `","reason":"spent","attempts":1}`},
		{"spec indented, after its hash", declared, `{"spec":` + indented.String() + `,"hash":"` + specHash + `","v":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEqual(t, string(tt.base.Data), tt.data, "precondition: the variant differs")
			want, err := events.Decode(tt.base)
			require.NoError(t, err)
			got, err := events.Decode(eventlog.Event{ID: tt.base.ID, Type: tt.base.Type, Data: []byte(tt.data)})
			require.NoError(t, err)
			assertPayload(t, want, got)
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
		droppedRule = mustEncode(t, events.TransactionDropped{TxID: txBob.ID(), Rule: blockchain.ErrBadNonce, Reason: "nonce taken", Attempts: 0})
		declared    = mustEncode(t, events.ChainSpecDeclared{Spec: consensustest.Spec()})

		blockHash = b1.Hash().String()
		txID      = txAlice.ID().String()
		txHash    = txAlice.Hash().String()
		specHash  = consensustest.Spec().Hash().String()
		from      = consensustest.Addr("alice").String()
	)
	blockBinary, err := b1.MarshalBinary()
	require.NoError(t, err)
	blockBase64 := base64.StdEncoding.EncodeToString(blockBinary)
	richer := consensustest.Spec()
	richer.BlockReward = 51
	firstAlloc := richer.Alloc[0].Address.String()
	mistyped := firstAlloc[:len(firstAlloc)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", firstAlloc[len(firstAlloc)-1])+1)%16])
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
		{"block in non-canonical base64 (a line break)", edit(mined, `"block":"`+blockBase64[:4], `"block":"`+blockBase64[:4]+`\n`), events.ErrMalformed, nil},
		{"block bytes cut short", edit(mined, blockBase64+`"`, blockBase64[:len(blockBase64)-8]+`"`), events.ErrMalformed, []error{blockchain.ErrMalformed}},
		{"hash field not the block's", edit(mined, `"hash":"`+blockHash, `"hash":"`+txHash), events.ErrMalformed, nil},
		{"height field not the block's", edit(mined, `"height":1`, `"height":2`), events.ErrMalformed, nil},
		{"unknown field in a transaction", edit(submitted, `"amount":125`, `"amount":125,"memo":1`), events.ErrMalformed, []error{blockchain.ErrMalformed}},
		{"missing field in a transaction", edit(submitted, `"fee":0,`, ``), events.ErrMalformed, []error{blockchain.ErrMalformed}},
		{"signature not hex", edit(submitted, `"signature":"`, `"signature":"zz`), events.ErrMalformed, []error{blockchain.ErrMalformed}},
		{"sender's address mistyped", edit(submitted, from, from[:10]+"0"+from[11:]), events.ErrMalformed, []error{blockchain.ErrMalformed}},
		{"unknown rule in a drop", edit(droppedRule, `"bad-nonce"`, `"bad-nonces"`), events.ErrMalformed, nil},
		{"the zero code's name in a drop", edit(droppedRule, `"bad-nonce"`, `"unknown"`), events.ErrMalformed, nil},
		{"rule null in a drop", edit(droppedRule, `"bad-nonce"`, `null`), events.ErrMalformed, nil},
		{"rule as a number in a drop", edit(droppedRule, `"bad-nonce"`, `30`), events.ErrMalformed, nil},
		{"spec breaks a rule", edit(declared, `"blockReward":50`, `"blockReward":-1`), events.ErrMalformed, []error{blockchain.ErrInvalidSpec}},
		{"spec with an unknown member", edit(declared, `"blockReward":50`, `"blockReward":50,"founder":"satoshi"`), events.ErrMalformed, []error{blockchain.ErrMalformed}},
		{"spec with an address mistyped", edit(declared, firstAlloc, mistyped), events.ErrMalformed, []error{blockchain.ErrMalformed, blockchain.ErrAddressChecksum}},
		{"spec null", withData(declared, `{"v":1,"hash":"`+specHash+`","spec":null}`), events.ErrMalformed, nil},
		{"spec not an object", withData(declared, `{"v":1,"hash":"`+specHash+`","spec":"eventchain-test"}`), events.ErrMalformed, nil},
		{"no spec hash", edit(declared, `"hash":"`+specHash+`",`, ``), events.ErrMalformed, nil},
		{"hash not the spec's", edit(declared, specHash, blockHash), events.ErrMalformed, nil},

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
		{"another spec under the ID", edit(edit(declared, `"blockReward":50`, `"blockReward":51`), specHash, richer.Hash().String()), events.ErrIDMismatch, nil},
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
		badUTF8 = "caf\xe9"
		latin1  = blockchain.NewTransaction(blockchain.TxFields{ChainID: badUTF8, From: txAlice.From(), To: txAlice.To(), Amount: 1}, nil)
		noSpec  = blockchain.ChainSpec{}
		badSpec = consensustest.Spec()
	)
	badSpec.BlockReward = -1
	tests := []struct {
		name string
		p    events.Payload
		want error
	}{
		{"nil", nil, events.ErrUnknownType},
		{"a pointer", &events.BlockMined{Block: b1, MinerID: "m"}, events.ErrUnknownType},
		{"a nil pointer", (*events.TransactionSubmitted)(nil), events.ErrUnknownType},

		{"the zero Transaction", events.TransactionSubmitted{}, events.ErrMalformed},
		{"chain ID not UTF-8", events.TransactionSubmitted{Tx: latin1}, events.ErrMalformed},
		{"attempt 0", events.TransactionRebroadcast{Tx: txAlice}, events.ErrMalformed},
		{"attempt -1", events.TransactionRebroadcast{Tx: txAlice, Attempt: -1}, events.ErrMalformed},
		{"rebroadcast of the zero Transaction", events.TransactionRebroadcast{Attempt: 1}, events.ErrMalformed},
		{"nil block", events.BlockMined{MinerID: "m"}, events.ErrMalformed},
		{"the zero Block", events.BlockMined{Block: &blockchain.Block{}, MinerID: "m"}, events.ErrMalformed},
		{"block holding the zero Transaction", events.BlockMined{Block: blockchain.NewBlock(b1.Header(), []blockchain.Transaction{{}}), MinerID: "m"}, events.ErrMalformed},
		{"empty miner ID", events.BlockMined{Block: b1}, events.ErrMalformed},
		{"miner ID over MaxMinerIDLen", events.BlockMined{Block: b1, MinerID: strings.Repeat("m", events.MaxMinerIDLen+1)}, events.ErrMalformed},
		{"miner ID not UTF-8", events.BlockMined{Block: b1, MinerID: badUTF8}, events.ErrMalformed},
		{"verified: zero tx ID", events.TransactionVerified{BlockHash: b1.Hash(), Height: 1}, events.ErrMalformed},
		{"verified: zero block hash", events.TransactionVerified{TxID: txAlice.ID(), Height: 1}, events.ErrMalformed},
		{"dropped: zero tx ID", events.TransactionDropped{Reason: "r"}, events.ErrMalformed},
		{"dropped: attempts -1", events.TransactionDropped{TxID: txAlice.ID(), Reason: "r", Attempts: -1}, events.ErrMalformed},
		{"dropped: empty reason", events.TransactionDropped{TxID: txAlice.ID()}, events.ErrMalformed},
		{"dropped: reason not UTF-8", events.TransactionDropped{TxID: txAlice.ID(), Reason: badUTF8}, events.ErrMalformed},
		{"dropped: no such code", events.TransactionDropped{TxID: txAlice.ID(), Rule: 999, Reason: "r"}, events.ErrMalformed},
		{"dropped: negative code", events.TransactionDropped{TxID: txAlice.ID(), Rule: -1, Reason: "r"}, events.ErrMalformed},
		{"rejected: zero block hash", events.BlockRejected{Rule: blockchain.ErrBadBits, Reason: "r"}, events.ErrMalformed},
		{"rejected: ErrUnknown", events.BlockRejected{BlockHash: b1.Hash(), Reason: "r"}, events.ErrMalformed},
		{"rejected: no such code", events.BlockRejected{BlockHash: b1.Hash(), Rule: 999, Reason: "r"}, events.ErrMalformed},
		{"rejected: negative code", events.BlockRejected{BlockHash: b1.Hash(), Rule: -1, Reason: "r"}, events.ErrMalformed},
		{"rejected: empty reason", events.BlockRejected{BlockHash: b1.Hash(), Rule: blockchain.ErrBadBits}, events.ErrMalformed},
		{"declared: the zero ChainSpec", events.ChainSpecDeclared{Spec: noSpec}, events.ErrMalformed},
		{"declared: a spec that breaks a rule", events.ChainSpecDeclared{Spec: badSpec}, events.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := events.Encode(tt.p)
			assertSentinel(t, err, tt.want)
			if _, ok := tt.p.(events.ChainSpecDeclared); ok {
				var se *blockchain.SpecError
				assert.ErrorAs(t, err, &se, "the spec's own error says which field")
				assert.ErrorIs(t, err, blockchain.ErrInvalidSpec)
			}
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
// come from testdata/golden_events.py.
func TestGoldenRequestDigest(t *testing.T) {
	digest := blockchain.Hash(sha256.Sum256([]byte("order-17 request")))
	require.Equal(t, "a388ae2deabf6d79f84628e49bd04e3b4f2b95086909c6db197fee7937e27a62", digest.String())
	ev := mustEncode(t, events.TransactionSubmitted{Tx: txAlice, RequestDigest: digest})
	assert.Equal(t, "87c1f917-2319-5247-af58-e3827ab7bbba", ev.ID.String())
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

// TestDecodeDerived: an event stored under an ID derived from its
// content's decodes with DecodeDerived, and only under that ID: its
// content's own ID, or one derived from another content, is refused; a
// malformed payload is refused before its ID is looked at.
func TestDecodeDerived(t *testing.T) {
	derive := func(id uuid.UUID) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, id[:]) }
	s := events.TransactionSubmitted{Tx: txAlice, RequestDigest: txAlice.Hash()}
	ev := mustEncode(t, s)
	other := mustEncode(t, events.TransactionSubmitted{Tx: txAlice})
	for _, tc := range []struct {
		name string
		id   uuid.UUID
		data string
		want error // nil: decodes to s
	}{
		{"under the derived ID", derive(ev.ID), string(ev.Data), nil},
		{"under the content's own ID", ev.ID, string(ev.Data), events.ErrIDMismatch},
		{"under the ID derived from another content", derive(other.ID), string(ev.Data), events.ErrIDMismatch},
		{"malformed", derive(ev.ID), strings.Replace(string(ev.Data), `"v":1`, `"v":2`, 1), events.ErrSchemaVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := eventlog.Event{ID: tc.id, Type: ev.Type, Data: []byte(tc.data)}
			p, err := events.DecodeDerived(e, derive)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, s, p)
			_, err = events.Decode(e)
			assert.ErrorIs(t, err, events.ErrIDMismatch, "Decode takes no derived ID")
		})
	}
}

// TestBlockMinedHeader: the header of a BlockMined event, read without
// the block's transactions, is its block's, seal included, whether the
// event is spelled as Encode spells it (the fast path) or otherwise (white
// space, fields reordered: the slow path); another event type, a hash
// that is not the block's, a block cut short or a seal whose length lies
// are malformed.
func TestBlockMinedHeader(t *testing.T) {
	chain := consensustest.NewChain(consensustest.NewFaker())
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), chain, 2, func(i int, g *consensustest.BlockGen) {
		for range i*3 + 1 {
			g.AddTransfer("alice", "bob", 5)
		}
	})
	require.NoError(t, err)
	sealed := withSeal(t, blocks[1], bytes.Repeat([]byte{7}, 65))
	encode := func(b *blockchain.Block) eventlog.Event {
		e, err := events.Encode(events.BlockMined{Block: b, MinerID: "m"})
		require.NoError(t, err)
		return e
	}
	with := func(e eventlog.Event, data string) eventlog.Event {
		e.Data = []byte(data)
		return e
	}
	blockText := func(b *blockchain.Block) string {
		raw, err := b.MarshalBinary()
		require.NoError(t, err)
		return base64.StdEncoding.EncodeToString(raw)
	}
	plain, withSealEvent := encode(blocks[0]), encode(sealed)
	rawSealed, err := sealed.MarshalBinary()
	require.NoError(t, err)
	// The seal's length says one byte more than there is.
	lying := bytes.Clone(rawSealed)
	lying[len(lying)-66]++
	other, err := events.Encode(events.TransactionSubmitted{Tx: consensustest.Transfer("alice", "bob", 1, 0)})
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		event eventlog.Event
		want  *blockchain.Block // nil: malformed
	}{
		{"as encoded", plain, blocks[0]},
		{"with a seal", withSealEvent, sealed},
		{"white space and another order", with(plain, `{ "block" : "`+blockText(blocks[0])+`", "hash" : "`+blocks[0].Hash().String()+`", "v" : 1 }`), blocks[0]},
		{"escaped slash in the base64", with(withSealEvent, strings.Replace(string(withSealEvent.Data), "/", `\/`, -1)), sealed},
		{"another event type", other, nil},
		{"a hash that is not the block's", with(plain, strings.Replace(string(plain.Data), blocks[0].Hash().String(), blockchain.Hash{1}.String(), 1)), nil},
		{"a block cut short", with(plain, `{"v":1,"hash":"`+blocks[0].Hash().String()+`","block":"AAAA"}`), nil},
		{"a seal whose length lies", with(plain, `{"v":1,"hash":"`+sealed.Hash().String()+`","block":"`+base64.StdEncoding.EncodeToString(lying)+`"}`), nil},
		{"no block", with(plain, `{"v":1,"hash":"`+blocks[0].Hash().String()+`"}`), nil},
		// Not what Encode writes, and Decode refuses both; the header
		// returned still hashes to the hash read beside it.
		{"repeated fields: the first copy", with(plain, `{"hash":"`+blocks[0].Hash().String()+`","block":"`+blockText(blocks[0])+`","hash":"`+sealed.Hash().String()+`","block":"`+blockText(sealed)+`"}`), blocks[0]},
		{"text around the fields", with(plain, `garbage "hash":"`+sealed.Hash().String()+`" junk "block":"`+blockText(sealed)+`"`), sealed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := events.BlockMinedHeader(tc.event)
			if tc.want == nil {
				assert.ErrorIs(t, err, events.ErrMalformed)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want.Header(), h)
			assert.Equal(t, tc.want.Hash(), h.Hash())
		})
	}
}
