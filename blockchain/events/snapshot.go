package events

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
)

// StreamSnapshots is the stream that holds the snapshots nodes record of
// their chain: for each, its [SnapshotPart] events, then the
// [SnapshotTaken] that names them. Everything in it is appended with
// eventlog.Any: several nodes may record the same snapshot, and a retry
// may store one twice; readers fold the duplicates.
const StreamSnapshots = "snapshots"

// The snapshot event types, beside the others (see the Type… constants).
const (
	// TypeSnapshotPart is the type of a [SnapshotPart] (node →
	// snapshots stream).
	TypeSnapshotPart = "SnapshotPart"
	// TypeSnapshotTaken is the type of a [SnapshotTaken] (node →
	// snapshots stream).
	TypeSnapshotTaken = "SnapshotTaken"
)

// AccountRecordSize is the size of one account in a [SnapshotPart]'s
// packed accounts: its 20-byte address, its balance as an int64 and its
// nonce as a uint64, both big-endian.
const AccountRecordSize = blockchain.AddressSize + 8 + 8

// MaxSnapshotPartAccounts is the most accounts one [SnapshotPart] holds:
// 16 000 accounts are 576 000 bytes packed, 768 000 in base64, so a part
// stays well under eventlog.MaxAppendSize (1 MiB, EventStoreDB's limit
// on an append and on an event). A state of 100 000 accounts (3.6 MB
// packed) takes seven parts.
const MaxSnapshotPartAccounts = 16_000

// A SnapshotPart is one chunk of the accounts of a snapshot: a node
// records the state after the block at Height, BlockHash, as Parts
// parts, numbered 0 to Parts−1, each holding the next at most
// [MaxSnapshotPartAccounts] accounts in increasing order of address
// bytes (see [SnapshotParts]), then appends the [SnapshotTaken] that
// names them. A state with no account is one part holding none.
//
// The accounts travel packed, AccountRecordSize (36) bytes each, in
// standard base64: 100 000 accounts in JSON objects would take some
// 12 MB, packed they take 4.8 MB of base64 over seven events.
//
// Its ID is derived from the block hash, the height, the part's number,
// the number of parts and the SHA-256 of its packed accounts: every node
// that records the same snapshot in the same parts writes the same IDs,
// a retried append is a retry, and a part with other accounts under the
// same number — a forgery, or a node that split the state otherwise —
// is another event, which cannot take the honest part's ID.
//
// A SnapshotPart is a value, safe for concurrent use as long as no one
// changes its Accounts, which a copy shares.
type SnapshotPart struct {
	Height    uint64                     // the height of the block the state is after
	BlockHash blockchain.Hash            // that block's hash; not zero
	Part      int                        // this part's number: 0 ≤ Part < Parts
	Parts     int                        // how many parts the snapshot has: at least 1
	Accounts  []blockchain.AccountRecord // at most MaxSnapshotPartAccounts, at least 1 unless the snapshot has none
}

// A SnapshotTaken records a snapshot of the chain at the block Height,
// BlockHash: the manifest a node appends to [StreamSnapshots] after the
// snapshot's [SnapshotPart] events, and all a restoring node needs
// besides them to go on from that block rather than from genesis (see
// package node, RestoreSnapshot): the tip block and the headers before
// it, which the consensus engine looks back on, where the parts and the
// blocks stream stand, and the pool of pending transactions.
//
// StateRoot is the tip header's, written beside it for a person browsing
// the log; the accounts of the parts must have it as their root (a
// restoring node checks: blockchain.ResumeChain), which is what makes a
// snapshot with a changed balance or nonce useless to a forger.
//
// The headers travel packed, each as its 152-byte canonical encoding,
// a uint16 big-endian seal length and the seal, the tip as its binary
// encoding like a BlockMined's, each pending transaction as its binary
// encoding, all in standard base64:
//
//	{"v":1,"height":1000,"blockHash":…,"stateRoot":…,"parts":7,"accounts":100000,
//	 "firstPart":5231,"blocksRevision":1000,"txsRevision":20133,
//	 "headers":"ryRkhNhi…","tip":"35VGPQVX…","pending":["Ag9ldmVudGNoYWluLXRlc3Q…",…]}
//
// One SnapshotTaken must fit one event (eventlog.MaxAppendSize): 1 024
// headers take some 208 KB, a small tip block a few, and what is left
// holds some 3 500 pending transactions. [FitSnapshotTaken] makes one
// fit, dropping the newest pending transactions first.
//
// Its ID is derived from the block hash and the height: a snapshot of
// one block is one event, whichever node records it. Two nodes recording
// the same block's snapshot may differ in what they hold besides (the
// positions, the pending transactions); the log keeps the first it is
// given, or both if a retry comes after its window of IDs, and a reader
// takes either.
//
// A SnapshotTaken is a value, safe for concurrent use as long as no one
// changes its slices, which a copy shares; the Tip it points to is
// immutable.
type SnapshotTaken struct {
	Height    uint64          // the tip's height
	BlockHash blockchain.Hash // the tip's hash; not zero
	StateRoot blockchain.Hash // the tip header's StateRoot
	Parts     int             // how many SnapshotPart events hold the accounts: at least 1
	Accounts  int             // how many accounts they hold in all

	// FirstPart is the revision in the snapshots stream where part 0
	// was appended: a reader looks for the parts from there to this
	// event.
	FirstPart eventlog.Revision
	// BlocksRevision is the revision, in the blocks stream, of the
	// BlockMined event of the tip: a restoring node checks that the
	// block there is the tip, and goes on from the next revision.
	BlocksRevision eventlog.Revision
	// TxsRevision is where the node stood in the transactions stream
	// when it took the snapshot, the next revision it would read: a
	// restoring node reads the transactions stream from there.
	TxsRevision eventlog.Revision

	// Headers are the newest headers up to the tip's, oldest first, at
	// consecutive heights; at least the tip's. A node records enough of
	// them for its consensus engine to look back on (package node says
	// how many).
	Headers []blockchain.Header
	// Tip is the block the snapshot is after; never nil.
	Tip *blockchain.Block
	// Pending are the node's pending transactions when it took the
	// snapshot, in the order its pool offered them (each sender's in
	// nonce order), then those it had read and that waited for a block
	// (funds short, or a nonce past the next), oldest read first: read
	// before TxsRevision, they are nowhere else a restoring node would
	// find them. At most twice the pool's capacity, and fewer if they
	// did not all fit the event (see FitSnapshotTaken): the newest go
	// first.
	Pending []blockchain.Transaction
}

// EventType returns [TypeSnapshotPart].
func (SnapshotPart) EventType() string { return TypeSnapshotPart }

// EventType returns [TypeSnapshotTaken].
func (SnapshotTaken) EventType() string { return TypeSnapshotTaken }

func (p SnapshotPart) idKey() []byte {
	key := append([]byte(nil), p.BlockHash[:]...)
	key = binary.BigEndian.AppendUint64(key, p.Height)
	key = binary.BigEndian.AppendUint64(key, uint64(p.Part))
	key = binary.BigEndian.AppendUint64(key, uint64(p.Parts))
	digest := sha256.Sum256(packAccounts(p.Accounts))
	return append(key, digest[:]...)
}

func (p SnapshotTaken) idKey() []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), p.BlockHash[:]...), p.Height)
}

func (p SnapshotPart) check() error {
	switch {
	case p.BlockHash.IsZero():
		return malformed("blockHash: have the zero hash, want a block's hash")
	case p.Parts < 1:
		return malformed("parts: have %d, want at least 1", p.Parts)
	case p.Part < 0 || p.Part >= p.Parts:
		return malformed("part: have %d, want 0 to %d", p.Part, p.Parts-1)
	case len(p.Accounts) > MaxSnapshotPartAccounts:
		return malformed("accounts: have %d, want at most %d", len(p.Accounts), MaxSnapshotPartAccounts)
	case len(p.Accounts) == 0 && p.Parts != 1:
		return malformed("accounts: none in part %d of %d; only the one part of a snapshot without accounts is empty", p.Part, p.Parts)
	}
	return nil
}

func (p SnapshotTaken) check() error {
	switch {
	case p.BlockHash.IsZero():
		return malformed("blockHash: have the zero hash, want a block's hash")
	case p.Parts < 1:
		return malformed("parts: have %d, want at least 1", p.Parts)
	case p.Accounts < 0:
		return malformed("accounts: have %d, want at least 0", p.Accounts)
	case p.Accounts == 0 && p.Parts != 1:
		return malformed("parts: have %d for no accounts, want 1", p.Parts)
	case p.Accounts > 0 && p.Parts > p.Accounts:
		return malformed("parts: have %d for %d accounts, want at most one part per account", p.Parts, p.Accounts)
	case (p.Accounts-1)/MaxSnapshotPartAccounts >= p.Parts:
		return malformed("accounts: have %d in %d parts, want at most %d a part", p.Accounts, p.Parts, MaxSnapshotPartAccounts)
	case p.Tip == nil:
		return malformed("tip: have nil, want a block")
	case len(p.Headers) == 0:
		return malformed("headers: none, want at least the tip's")
	}
	if err := checkBlock(p.Tip); err != nil {
		return err
	}
	tip := p.Tip.Header()
	switch {
	case p.Tip.Hash() != p.BlockHash:
		return malformed("blockHash: have %s, the tip's is %s", p.BlockHash, p.Tip.Hash())
	case tip.Height != p.Height:
		return malformed("height: have %d, the tip's is %d", p.Height, tip.Height)
	case tip.StateRoot != p.StateRoot:
		return malformed("stateRoot: have %s, the tip's is %s", p.StateRoot, tip.StateRoot)
	case p.Headers[len(p.Headers)-1].Hash() != p.BlockHash:
		return malformed("headers: the last is not the tip's")
	}
	for i, h := range p.Headers {
		if len(h.Seal) > math.MaxUint16 {
			return malformed("headers: header %d: a seal of %d bytes, want at most %d", i, len(h.Seal), math.MaxUint16)
		}
	}
	for i, tx := range p.Pending {
		if err := checkTx(fmt.Sprintf("pending[%d]", i), tx); err != nil {
			return err
		}
	}
	return nil
}

// SnapshotParts splits the accounts of the state after the block at
// height, blockHash into the parts of its snapshot, in order: at most
// perPart accounts each, or MaxSnapshotPartAccounts if perPart is not
// between 1 and that. No accounts make one empty part. The parts share
// accounts' array.
//
// Every node splits the same state the same way (the accounts in address
// order, as blockchain.State.Each gives them), so the parts, and their
// IDs, are the same whoever writes them.
func SnapshotParts(height uint64, blockHash blockchain.Hash, accounts []blockchain.AccountRecord, perPart int) []SnapshotPart {
	if perPart < 1 || perPart > MaxSnapshotPartAccounts {
		perPart = MaxSnapshotPartAccounts
	}
	parts := max(1, (len(accounts)+perPart-1)/perPart)
	out := make([]SnapshotPart, parts)
	for i := range out {
		lo, hi := i*perPart, min((i+1)*perPart, len(accounts))
		out[i] = SnapshotPart{Height: height, BlockHash: blockHash, Part: i, Parts: parts, Accounts: accounts[lo:hi:hi]}
	}
	return out
}

// FitSnapshotTaken returns t trimmed to fit one event that the log takes
// (eventlog.MaxAppendSize, counted as eventlog.AppendSize counts it, with
// no metadata): if t does not fit, it keeps the oldest of t.Pending that
// fit, dropping the newest; if the headers and the tip do not fit even
// without pending transactions, it keeps none and drops the oldest
// headers, keeping at least minHeaders (at least 1, the tip's). If that
// is still too much, the error wraps eventlog.ErrTooLarge; a node then
// records no snapshot at that height. An invalid t gives Encode's error.
func FitSnapshotTaken(t SnapshotTaken, minHeaders int) (SnapshotTaken, error) {
	limit := eventlog.MaxAppendSize - 2*len(TypeSnapshotTaken)
	pending := t.Pending
	t.Pending = nil
	ev, err := Encode(t)
	if err != nil {
		return SnapshotTaken{}, err
	}
	if room := limit - len(ev.Data); room >= 0 {
		// Each transaction adds its base64 between quotes, and a comma
		// after the first.
		keep := 0
		for i, tx := range pending {
			enc, err := tx.MarshalBinary()
			if err != nil {
				return SnapshotTaken{}, fmt.Errorf("fit %s: %w: pending[%d]: %v", TypeSnapshotTaken, ErrMalformed, i, err)
			}
			room -= base64.StdEncoding.EncodedLen(len(enc)) + 2 + min(i, 1)
			if room < 0 {
				break
			}
			keep++
		}
		t.Pending = pending[:keep:keep]
		if keep == 0 {
			t.Pending = nil
		}
		return t, nil
	}
	// Too many headers: find the most, from the newest, that fit.
	headers := t.Headers
	lo, hi := min(max(minHeaders, 1), len(headers)), len(headers) // hi does not fit
	fits := func(n int) bool {
		t.Headers = headers[len(headers)-n:]
		ev, err := Encode(t)
		return err == nil && len(ev.Data) <= limit
	}
	if !fits(lo) {
		return SnapshotTaken{}, fmt.Errorf("fit %s: %w: the tip and %d headers take more than %d bytes", TypeSnapshotTaken, eventlog.ErrTooLarge, lo, limit)
	}
	for lo+1 < hi {
		if mid := (lo + hi) / 2; fits(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	t.Headers = headers[len(headers)-lo:]
	return t, nil
}

// packAccounts returns the accounts packed, AccountRecordSize bytes each.
func packAccounts(accounts []blockchain.AccountRecord) []byte {
	out := make([]byte, 0, len(accounts)*AccountRecordSize)
	for _, r := range accounts {
		out = append(out, r.Address[:]...)
		out = binary.BigEndian.AppendUint64(out, uint64(r.Account.Balance))
		out = binary.BigEndian.AppendUint64(out, r.Account.Nonce)
	}
	return out
}

// unpackAccounts decodes what packAccounts writes.
func unpackAccounts(data []byte) ([]blockchain.AccountRecord, error) {
	if len(data)%AccountRecordSize != 0 {
		return nil, fmt.Errorf("%d bytes, not a multiple of %d", len(data), AccountRecordSize)
	}
	if n := len(data) / AccountRecordSize; n > MaxSnapshotPartAccounts {
		return nil, fmt.Errorf("%d accounts, want at most %d", n, MaxSnapshotPartAccounts)
	}
	if len(data) == 0 {
		return nil, nil
	}
	out := make([]blockchain.AccountRecord, len(data)/AccountRecordSize)
	for i := range out {
		r := data[i*AccountRecordSize:]
		out[i] = blockchain.AccountRecord{
			Address: blockchain.Address(r[:blockchain.AddressSize]),
			Account: blockchain.Account{
				Balance: int64(binary.BigEndian.Uint64(r[blockchain.AddressSize:])),
				Nonce:   binary.BigEndian.Uint64(r[blockchain.AddressSize+8:]),
			},
		}
	}
	return out, nil
}

// packHeaders returns the headers packed: each its 152-byte canonical
// encoding, its seal's length as a uint16 big-endian, and its seal.
func packHeaders(headers []blockchain.Header) []byte {
	out := make([]byte, 0, len(headers)*(blockchain.HeaderSize+2))
	for _, h := range headers {
		out, _ = h.AppendBinary(out) // never fails
		out = binary.BigEndian.AppendUint16(out, uint16(len(h.Seal)))
		out = append(out, h.Seal...)
	}
	return out
}

// unpackHeaders decodes what packHeaders writes; an empty seal decodes
// as nil, as in a block.
func unpackHeaders(data []byte) ([]blockchain.Header, error) {
	out := make([]blockchain.Header, 0, len(data)/(blockchain.HeaderSize+2))
	for len(data) > 0 {
		if len(data) < blockchain.HeaderSize+2 {
			return nil, fmt.Errorf("header %d: %d bytes left, want at least %d", len(out), len(data), blockchain.HeaderSize+2)
		}
		var h blockchain.Header
		if err := h.UnmarshalBinary(data[:blockchain.HeaderSize]); err != nil {
			return nil, fmt.Errorf("header %d: %w", len(out), err)
		}
		n := int(binary.BigEndian.Uint16(data[blockchain.HeaderSize:]))
		data = data[blockchain.HeaderSize+2:]
		if n > len(data) {
			return nil, fmt.Errorf("header %d: a seal of %d bytes, %d left", len(out), n, len(data))
		}
		if n > 0 {
			h.Seal = append([]byte(nil), data[:n]...)
		}
		data = data[n:]
		out = append(out, h)
	}
	return out, nil
}
