package events_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

// manyAccounts returns n accounts in increasing address order, none zero.
func manyAccounts(n int) []blockchain.AccountRecord {
	out := make([]blockchain.AccountRecord, n)
	for i := range out {
		var a blockchain.Address
		binary.BigEndian.PutUint64(a[12:], uint64(i+1))
		out[i] = blockchain.AccountRecord{Address: a, Account: blockchain.Account{Balance: int64(i), Nonce: uint64(i % 3)}}
	}
	return out
}

// TestSnapshotParts splits states of several sizes and checks that the
// parts are numbered, bounded, encode under the log's limit, decode to
// themselves, and hold the accounts in order, each once.
func TestSnapshotParts(t *testing.T) {
	hash := blockchain.Hash{7}
	for _, tc := range []struct {
		name     string
		accounts int
		perPart  int
		parts    int
	}{
		{"no accounts: one empty part", 0, 3, 1},
		{"one account", 1, 3, 1},
		{"exactly one part", 3, 3, 1},
		{"one over", 4, 3, 2},
		{"many small parts", 31, 3, 11},
		{"perPart 0 means the most a part holds", 5, 0, 1},
		{"perPart above the most is the most", events.MaxSnapshotPartAccounts + 1, events.MaxSnapshotPartAccounts + 5, 2},
		{"a full part and a little", events.MaxSnapshotPartAccounts + 1, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accounts := manyAccounts(tc.accounts)
			parts := events.SnapshotParts(9, hash, accounts, tc.perPart)
			require.Len(t, parts, tc.parts)
			var joined []blockchain.AccountRecord
			ids := map[uuid.UUID]bool{}
			for i, p := range parts {
				assert.Equal(t, i, p.Part)
				assert.Equal(t, tc.parts, p.Parts)
				assert.Equal(t, uint64(9), p.Height)
				assert.Equal(t, hash, p.BlockHash)
				assert.LessOrEqual(t, len(p.Accounts), events.MaxSnapshotPartAccounts)
				ev := mustEncode(t, p)
				require.NoError(t, eventlog.CheckAppend(events.StreamSnapshots, []eventlog.Event{ev}), "the log takes part %d", i)
				assert.False(t, ids[ev.ID], "part %d has another part's ID", i)
				ids[ev.ID] = true
				got, err := events.Decode(ev)
				require.NoError(t, err)
				assertPayload(t, p, got)
				joined = append(joined, p.Accounts...)
			}
			assert.True(t, slices.Equal(accounts, joined), "every account once, in order")
		})
	}
}

// TestFitSnapshotTaken: a manifest that fits is left alone; one with
// too many pending transactions keeps the oldest that fit; one whose
// headers do not fit keeps the newest that do, down to minHeaders.
func TestFitSnapshotTaken(t *testing.T) {
	_, base := snapshotAt1(t)
	g := consensustest.Genesis().Header()
	// Headers of the encoding's shape only: copies of genesis before the
	// tip's. Linking them is the chain's business, not the encoding's.
	headers := func(n int) []blockchain.Header {
		out := make([]blockchain.Header, n)
		for i := range out {
			out[i] = g
		}
		out[n-1] = base.Tip.Header()
		return out
	}
	pending := func(n int) []blockchain.Transaction {
		out := make([]blockchain.Transaction, n)
		for i := range out {
			out[i] = consensustest.Transfer("alice", "bob", int64(i+1), uint64(i))
		}
		return out
	}
	limit := eventlog.MaxAppendSize - 2*len(events.TypeSnapshotTaken)
	for _, tc := range []struct {
		name        string
		headers     int
		pending     int
		minHeaders  int
		wantHeaders int // -1: fewer, as many as fit
		wantPending int // -1: fewer, as many as fit
		err         error
	}{
		{"it fits", 1024, 100, 1, 1024, 100, nil},
		{"nothing pending", 1024, 0, 1, 1024, 0, nil},
		{"too many pending: the oldest that fit", 1024, 6000, 1, 1024, -1, nil},
		{"too many headers: the newest that fit, nothing pending", 8000, 10, 1, -1, 0, nil},
		{"too many headers, but not below minHeaders", 8000, 10, 8000, 0, 0, eventlog.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			in.Headers, in.Pending = headers(tc.headers), pending(tc.pending)
			out, err := events.FitSnapshotTaken(in, tc.minHeaders)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			ev := mustEncode(t, out)
			require.NoError(t, eventlog.CheckAppend(events.StreamSnapshots, []eventlog.Event{ev}), "it fits")
			assert.Equal(t, in.Headers[len(in.Headers)-len(out.Headers):], out.Headers, "the newest headers")
			assert.True(t, slices.Equal(in.Pending[:len(out.Pending)], out.Pending), "the oldest pending transactions")
			if tc.wantHeaders >= 0 {
				assert.Len(t, out.Headers, tc.wantHeaders)
			} else {
				assert.Less(t, len(out.Headers), len(in.Headers))
				more := out
				more.Headers = in.Headers[len(in.Headers)-len(out.Headers)-1:]
				assert.Greater(t, len(mustEncode(t, more).Data), limit, "one header more would not fit")
			}
			if tc.wantPending >= 0 {
				assert.Len(t, out.Pending, tc.wantPending)
			} else {
				assert.Less(t, len(out.Pending), len(in.Pending))
				assert.Positive(t, len(out.Pending))
				more := out
				more.Pending = in.Pending[:len(out.Pending)+1]
				assert.Greater(t, len(mustEncode(t, more).Data), limit, "one transaction more would not fit")
			}
		})
	}
	t.Run("an invalid manifest", func(t *testing.T) {
		bad := base
		bad.Tip = nil
		_, err := events.FitSnapshotTaken(bad, 1)
		assertSentinel(t, err, events.ErrMalformed)
	})
}

// TestSnapshotIDs: the parts' IDs cover their accounts; a manifest's
// ID only its block, whatever the positions and the pending transactions
// of the node that wrote it.
func TestSnapshotIDs(t *testing.T) {
	part, manifest := snapshotAt1(t)
	otherAccounts := part
	otherAccounts.Accounts = slices.Clone(part.Accounts)
	otherAccounts.Accounts[0].Account.Balance++
	otherNumbering := part
	otherNumbering.Parts = 2
	otherNode := manifest
	otherNode.TxsRevision, otherNode.FirstPart, otherNode.Pending = 7, 3, nil
	fewerHeaders := manifest
	fewerHeaders.Headers = manifest.Headers[1:]
	for _, tc := range []struct {
		name string
		a, b events.Payload
		same bool
	}{
		{"the same part again", part, part, true},
		{"a part with other accounts", part, otherAccounts, false},
		{"a part numbered otherwise", part, otherNumbering, false},
		{"the manifest of another node, at other positions", manifest, otherNode, true},
		{"the manifest with fewer headers", manifest, fewerHeaders, true},
		{"part vs. manifest", part, manifest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := mustEncode(t, tc.a), mustEncode(t, tc.b)
			assert.Equal(t, tc.same, a.ID == b.ID)
		})
	}
}

// TestSnapshotEncodeErrors: Encode refuses snapshot events Decode would
// refuse.
func TestSnapshotEncodeErrors(t *testing.T) {
	part, manifest := snapshotAt1(t)
	_, b2 := mineBlocks(t)
	edit := func(f func(*events.SnapshotTaken)) events.SnapshotTaken {
		m := manifest
		m.Headers = slices.Clone(manifest.Headers)
		f(&m)
		return m
	}
	editPart := func(f func(*events.SnapshotPart)) events.SnapshotPart { p := part; f(&p); return p }
	for _, tc := range []struct {
		name string
		p    events.Payload
	}{
		{"part: zero block hash", editPart(func(p *events.SnapshotPart) { p.BlockHash = blockchain.Hash{} })},
		{"part: no parts", editPart(func(p *events.SnapshotPart) { p.Parts = 0 })},
		{"part: number past the parts", editPart(func(p *events.SnapshotPart) { p.Part = 1 })},
		{"part: negative number", editPart(func(p *events.SnapshotPart) { p.Part = -1 })},
		{"part: empty, one of two", editPart(func(p *events.SnapshotPart) { p.Accounts, p.Parts = nil, 2 })},
		{"part: too many accounts", editPart(func(p *events.SnapshotPart) { p.Accounts = manyAccounts(events.MaxSnapshotPartAccounts + 1) })},
		{"manifest: nil tip", edit(func(m *events.SnapshotTaken) { m.Tip = nil })},
		{"manifest: another tip", edit(func(m *events.SnapshotTaken) { m.Tip = b2 })},
		{"manifest: zero block hash", edit(func(m *events.SnapshotTaken) { m.BlockHash = blockchain.Hash{} })},
		{"manifest: a height not the tip's", edit(func(m *events.SnapshotTaken) { m.Height = 2 })},
		{"manifest: a state root not the tip's", edit(func(m *events.SnapshotTaken) { m.StateRoot = blockchain.Hash{1} })},
		{"manifest: no headers", edit(func(m *events.SnapshotTaken) { m.Headers = nil })},
		{"manifest: a last header not the tip's", edit(func(m *events.SnapshotTaken) { m.Headers = m.Headers[:1] })},
		{"manifest: no parts", edit(func(m *events.SnapshotTaken) { m.Parts = 0 })},
		{"manifest: negative accounts", edit(func(m *events.SnapshotTaken) { m.Accounts = -1 })},
		{"manifest: two parts for no accounts", edit(func(m *events.SnapshotTaken) { m.Accounts, m.Parts = 0, 2 })},
		{"manifest: more parts than accounts", edit(func(m *events.SnapshotTaken) { m.Parts = 9 })},
		{"manifest: too many accounts for its parts", edit(func(m *events.SnapshotTaken) { m.Accounts = events.MaxSnapshotPartAccounts + 1 })},
		{"manifest: a zero pending transaction", edit(func(m *events.SnapshotTaken) { m.Pending = []blockchain.Transaction{{}} })},
		{"manifest: a tip holding the zero Transaction", edit(func(m *events.SnapshotTaken) {
			m.Tip = blockchain.NewBlock(manifest.Tip.Header(), []blockchain.Transaction{{}})
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := events.Encode(tc.p)
			assertSentinel(t, err, events.ErrMalformed)
			assert.Equal(t, eventlog.Event{}, ev)
			assert.True(t, strings.HasPrefix(err.Error(), "encode "), "error %q starts with encode", err)
		})
	}
}

// TestSnapshotDecodeErrors: Decode refuses snapshot events Encode would
// not write, each with its one sentinel.
func TestSnapshotDecodeErrors(t *testing.T) {
	part, manifest := snapshotAt1(t)
	partEv, manifestEv := mustEncode(t, part), mustEncode(t, manifest)
	b1, b2 := mineBlocks(t)
	fields := func(ev eventlog.Event) map[string]string {
		t.Helper()
		var f map[string]any
		require.NoError(t, json.Unmarshal(ev.Data, &f))
		out := map[string]string{}
		for k, v := range f {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
		return out
	}
	pf, mf := fields(partEv), fields(manifestEv)
	rawAccounts, err := base64.StdEncoding.DecodeString(pf["accounts"])
	require.NoError(t, err)
	rawHeaders, err := base64.StdEncoding.DecodeString(mf["headers"])
	require.NoError(t, err)
	b64 := base64.StdEncoding.EncodeToString
	edit := func(ev eventlog.Event, old, new string) eventlog.Event {
		t.Helper()
		require.Contains(t, string(ev.Data), old, "precondition of edit")
		ev.Data = []byte(strings.Replace(string(ev.Data), old, new, 1))
		return ev
	}
	// A header with a seal of 2 bytes, which the block does not have.
	sealed := slices.Concat(rawHeaders[:len(rawHeaders)-2], []byte{0, 2, 9, 9})
	rawTx, err := txBob.MarshalBinary()
	require.NoError(t, err)
	txB64 := b64(rawTx)
	pendingField := `,"pending":["` + txB64 + `"]`
	// The manifest of block 2, under the ID of block 1's.
	other := manifest
	other.Height, other.BlockHash, other.StateRoot, other.Tip = 2, b2.Hash(), b2.Header().StateRoot, b2
	other.Headers = []blockchain.Header{b1.Header(), b2.Header()}
	otherEv := mustEncode(t, other)
	otherEv.ID = manifestEv.ID
	for _, tc := range []struct {
		name string
		ev   eventlog.Event
		want error
	}{
		{"accounts not a multiple of 36 bytes", edit(partEv, pf["accounts"], b64(rawAccounts[1:])), events.ErrMalformed},
		{"accounts not base64", edit(partEv, pf["accounts"], "*"+pf["accounts"][1:]), events.ErrMalformed},
		{"accounts with a line break", edit(partEv, `"accounts":"`+pf["accounts"][:4], `"accounts":"`+pf["accounts"][:4]+`\n`), events.ErrMalformed},
		{"accounts null", edit(partEv, `"`+pf["accounts"]+`"`, "null"), events.ErrMalformed},
		{"part past the parts", edit(partEv, `"part":0`, `"part":1`), events.ErrMalformed},
		{"no parts", edit(partEv, `"parts":1`, `"parts":0`), events.ErrMalformed},
		{"part as a string", edit(partEv, `"part":0`, `"part":"0"`), events.ErrMalformed},
		{"unknown field in a part", edit(partEv, `"part":0`, `"part":0,"of":1`), events.ErrMalformed},
		{"a part's accounts changed under its ID", edit(partEv, pf["accounts"], b64(rawAccounts[36:])), events.ErrIDMismatch},
		{"a part's height changed under its ID", edit(partEv, `"height":1`, `"height":2`), events.ErrIDMismatch},

		{"tip not the block hash's", edit(manifestEv, mf["blockHash"], b2.Hash().String()), events.ErrMalformed},
		{"height not the tip's", edit(manifestEv, `"height":1`, `"height":2`), events.ErrMalformed},
		{"state root not the tip's", edit(manifestEv, mf["stateRoot"], strings.Repeat("1", 64)), events.ErrMalformed},
		{"no tip", edit(manifestEv, `"tip":"`+mf["tip"]+`",`, ``), events.ErrMalformed},
		{"no headers", edit(manifestEv, mf["headers"], ""), events.ErrMalformed},
		{"headers cut short", edit(manifestEv, mf["headers"], b64(rawHeaders[:len(rawHeaders)-1])), events.ErrMalformed},
		{"a header's seal past the end", edit(manifestEv, mf["headers"], b64(slices.Concat(rawHeaders[:len(rawHeaders)-2], []byte{0, 9}))), events.ErrMalformed},
		{"the last header not the tip's", edit(manifestEv, mf["headers"], b64(sealed)), events.ErrMalformed},
		{"only the genesis header", edit(manifestEv, mf["headers"], b64(rawHeaders[:blockchain.HeaderSize+2])), events.ErrMalformed},
		{"pending null", edit(manifestEv, pendingField, `,"pending":null`), events.ErrMalformed},
		{"pending missing", edit(manifestEv, pendingField, ``), events.ErrMalformed},
		{"pending not a list", edit(manifestEv, pendingField, `,"pending":"`+txB64+`"`), events.ErrMalformed},
		{"a pending transaction not base64", edit(manifestEv, pendingField, `,"pending":["*`+txB64[1:]+`"]`), events.ErrMalformed},
		{"a pending transaction with a line break", edit(manifestEv, pendingField, `,"pending":["`+txB64[:4]+`\n`+txB64[4:]+`"]`), events.ErrMalformed},
		{"a pending transaction cut short", edit(manifestEv, pendingField, `,"pending":["`+b64(rawTx[:len(rawTx)-1])+`"]`), events.ErrMalformed},
		{"negative accounts", edit(manifestEv, `"accounts":8`, `"accounts":-8`), events.ErrMalformed},
		{"more parts than accounts", edit(manifestEv, `"parts":1`, `"parts":9`), events.ErrMalformed},
		{"a revision past uint64", edit(manifestEv, `"txsRevision":2`, `"txsRevision":18446744073709551616`), events.ErrMalformed},
		{"the manifest of another block under the ID", otherEv, events.ErrIDMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := events.Decode(tc.ev)
			assertSentinel(t, err, tc.want)
			assert.Nil(t, p)
			assert.True(t, strings.HasPrefix(err.Error(), "decode "), "error %q starts with decode", err)
		})
	}

	t.Run("a manifest with other positions and pending under the same ID decodes", func(t *testing.T) {
		ev := edit(edit(manifestEv, `"txsRevision":2`, `"txsRevision":5`), pendingField, `,"pending":[]`)
		p, err := events.Decode(ev)
		require.NoError(t, err)
		got := p.(events.SnapshotTaken)
		assert.Equal(t, eventlog.Revision(5), got.TxsRevision)
		assert.Empty(t, got.Pending)
		assert.Equal(t, b1.Hash(), got.Tip.Hash())
	})
}

// TestSnapshotPartsTooLarge: the largest part the package makes fits the
// log's limit on one event, with room to spare.
func TestSnapshotPartsTooLarge(t *testing.T) {
	p := events.SnapshotParts(1, blockchain.Hash{1}, manyAccounts(events.MaxSnapshotPartAccounts), 0)[0]
	ev := mustEncode(t, p)
	size := eventlog.AppendSize(ev)
	assert.Less(t, size, eventlog.MaxAppendSize*3/4, fmt.Sprintf("a full part takes %d bytes", size))
}
