package events

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
)

// Encode returns the event that carries p: its Type is p.EventType(), its
// Data the JSON payload of schema version [SchemaVersion], and its ID the
// one derived from p's content (see [Namespace]), so encoding the same
// content twice gives the same event. Metadata is left empty for the
// caller to fill; it is not part of the ID.
//
// p must be one of the ten payload values. Encode returns an error
// wrapping [ErrUnknownType] for anything else (a pointer to a payload, or
// nil), and one wrapping [ErrMalformed] for a payload Decode would refuse:
// an Attempt below 1, negative Attempts, an empty MinerID or Reason, a
// Rule that is no code (or, for a BlockRejected, blockchain.ErrUnknown),
// a zero TxID or BlockHash, a nil Block or one not built with
// blockchain.NewBlock, a zero Transaction, a chain spec that breaks a rule
// of blockchain.ChainSpec.Validate, text that is not UTF-8, or a
// snapshot's part or manifest that breaks a limit its type states
// (numbering, counts, a tip that is not the one its height, hash, state
// root and last header name). Encode
// checks no rule of the chain: a transaction with a negative amount and a
// forged signature encodes fine.
func Encode(p Payload) (eventlog.Event, error) {
	size := 0
	if _, ok := p.(TransactionSubmitted); ok {
		size = txEventSize // the event a bank writes for every transaction: grown once
	}
	w := newWriter(size)
	switch p := p.(type) {
	case TransactionSubmitted:
		w.tx("tx", p.Tx)
		if !p.RequestDigest.IsZero() {
			w.field("requestDigest", p.RequestDigest)
		}
	case TransactionRebroadcast:
		w.tx("tx", p.Tx)
		w.field("attempt", p.Attempt)
	case BlockMined:
		if p.Block != nil { // a nil block is refused by check below
			w.field("height", p.Block.Height())
			w.field("hash", p.Block.Hash())
			w.binary("block", p.Block)
		}
		w.field("minerId", p.MinerID)
	case TransactionVerified:
		w.field("txId", p.TxID)
		w.field("blockHash", p.BlockHash)
		w.field("height", p.Height)
	case TransactionDropped:
		w.field("txId", p.TxID)
		if !p.TxHash.IsZero() { // unsaid is written by leaving it out
			w.field("txHash", p.TxHash)
		}
		if p.Rule != blockchain.ErrUnknown { // "gave up" is written by leaving the rule out
			w.field("rule", p.Rule.String())
		}
		w.field("reason", p.Reason)
		w.field("attempts", p.Attempts)
	case BlockRejected:
		w.field("blockHash", p.BlockHash)
		w.field("height", p.Height)
		w.field("rule", p.Rule.String())
		w.field("reason", p.Reason)
	case ChainSpecDeclared:
		w.field("hash", p.Spec.Hash())
		w.field("spec", p.Spec)
	case ChainLost:
		w.field("genesis", p.Genesis)
		w.field("chainId", p.ChainID)
		w.field("height", p.Height)
	case SnapshotPart:
		w.field("height", p.Height)
		w.field("blockHash", p.BlockHash)
		w.field("part", p.Part)
		w.field("parts", p.Parts)
		w.base64("accounts", packAccounts(p.Accounts))
	case SnapshotTaken:
		w.field("height", p.Height)
		w.field("blockHash", p.BlockHash)
		w.field("stateRoot", p.StateRoot)
		w.field("parts", p.Parts)
		w.field("accounts", p.Accounts)
		w.field("firstPart", p.FirstPart)
		w.field("blocksRevision", p.BlocksRevision)
		w.field("txsRevision", p.TxsRevision)
		w.base64("headers", packHeaders(p.Headers))
		if p.Tip != nil { // a nil tip is refused by check below
			w.binary("tip", p.Tip)
		}
		w.binaryList("pending", p.Pending)
	default:
		return eventlog.Event{}, fmt.Errorf("encode %T: %w: want one of the ten payload values", p, ErrUnknownType)
	}
	// p is now known to be one of the ten values, so its methods are safe
	// to call (on a nil pointer they would panic).
	if err := p.check(); err != nil {
		return eventlog.Event{}, fmt.Errorf("encode %s: %w", p.EventType(), err)
	}
	data, err := w.bytes()
	if err != nil {
		return eventlog.Event{}, fmt.Errorf("encode %s: %w", p.EventType(), err)
	}
	return eventlog.Event{ID: eventID(p), Type: p.EventType(), Data: data}, nil
}

// Decode returns the payload that e carries, as a value of one of the
// ten payload types; type-switch on it. To decode a recorded event, pass its
// envelope: Decode(r.Event). Metadata is ignored.
//
// Decoding is strict: Decode accepts exactly what Encode writes, up to
// white space, the order of the fields and the spelling of the
// transactions and blocks inside (which package blockchain decodes). It
// checks, in this order:
//
//  1. e.Type is one of the Type… constants, or the error wraps [ErrUnknownType];
//  2. e.Data is one JSON object with no repeated field and nothing after
//     it, or the error wraps [ErrMalformed];
//  3. its "v" field is exactly 1, or the error wraps [ErrSchemaVersion];
//  4. every other field is one the type has, present, not null, of the
//     right kind and within the limits the type's documentation states,
//     or the error wraps ErrMalformed (and, for a forged hash inside a
//     transaction or block, a *blockchain.RuleError with code
//     blockchain.ErrBadHash; for a chain spec that breaks a rule, the
//     *blockchain.SpecError, matching blockchain.ErrInvalidSpec);
//  5. e.ID is the ID Encode would give the payload, or the error wraps
//     [ErrIDMismatch]. An event whose ID does not follow from its content
//     could take the ID of a real event to come and make that event's
//     append a silent no-op, so it is never believed.
//
// Decode checks no rule of the chain: a BlockMined whose block breaks every
// rule decodes fine, for the node to reject. It never panics.
func Decode(e eventlog.Event) (Payload, error) {
	p, err := decodeData(e.Type, e.Data)
	if err != nil {
		return nil, err
	}
	if want := eventID(p); e.ID != want {
		return nil, fmt.Errorf("decode %s: %w: have %s, want %s", e.Type, ErrIDMismatch, e.ID, want)
	}
	return p, nil
}

// DecodeDerived is [Decode] for an event its writer stored under an ID
// of its own, derived from the one Encode gives the content: step 5
// accepts e.ID only if it is derive(id), where id is the ID Encode would
// give the payload, and refuses any other — id itself included — with
// [ErrIDMismatch]. A writer derives such an ID when it writes one
// content to two streams: EventStoreDB remembers an event ID for
// idempotent appends where it was first written, and a second write of
// it, to another stream, is never recognised as a retry and costs its
// cache for good (a bank's Idempotency-Key reservation is one: see
// examples/internal/bank). derive must be a pure function; the check
// keeps what Decode's keeps, since derive(id) follows from the content
// too, and an event under any other ID is never believed.
func DecodeDerived(e eventlog.Event, derive func(id uuid.UUID) uuid.UUID) (Payload, error) {
	p, err := decodeData(e.Type, e.Data)
	if err != nil {
		return nil, err
	}
	if want := derive(eventID(p)); e.ID != want {
		return nil, fmt.Errorf("decode %s: %w: have %s, want %s (derived)", e.Type, ErrIDMismatch, e.ID, want)
	}
	return p, nil
}

// decodeData does all of Decode's work but the ID check.
func decodeData(typ string, data []byte) (Payload, error) {
	r := newReader(data)
	var p Payload
	switch typ {
	case TypeTransactionSubmitted:
		p = TransactionSubmitted{Tx: r.tx("tx"), RequestDigest: r.optionalHash("requestDigest")}
	case TypeTransactionRebroadcast:
		p = TransactionRebroadcast{Tx: r.tx("tx"), Attempt: r.int("attempt")}
	case TypeBlockMined:
		p = BlockMined{Block: r.block("block", "hash", "height"), MinerID: r.string("minerId")}
	case TypeTransactionVerified:
		p = TransactionVerified{TxID: r.uuid("txId"), BlockHash: r.hash("blockHash"), Height: r.uint64("height")}
	case TypeTransactionDropped:
		p = TransactionDropped{TxID: r.uuid("txId"), TxHash: r.optionalHash("txHash"), Rule: r.optionalRule("rule"), Reason: r.string("reason"), Attempts: r.int("attempts")}
	case TypeBlockRejected:
		p = BlockRejected{BlockHash: r.hash("blockHash"), Height: r.uint64("height"), Rule: r.rule("rule"), Reason: r.string("reason")}
	case TypeChainSpecDeclared:
		p = ChainSpecDeclared{Spec: r.spec("spec", "hash")}
	case TypeChainLost:
		p = ChainLost{Genesis: r.hash("genesis"), ChainID: r.string("chainId"), Height: r.uint64("height")}
	case TypeSnapshotPart:
		p = SnapshotPart{Height: r.uint64("height"), BlockHash: r.hash("blockHash"), Part: r.int("part"), Parts: r.int("parts"), Accounts: r.accounts("accounts")}
	case TypeSnapshotTaken:
		p = r.snapshotTaken()
	default:
		return nil, fmt.Errorf("decode %q: %w", truncate(typ), ErrUnknownType)
	}
	if err := r.finish(); err != nil {
		return nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	return p, nil
}

// malformed returns an error wrapping ErrMalformed with a formatted detail.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// truncate shortens s for an error message: a fuzzer, or an attacker, can
// make a field or type name as long as an event.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// A writer builds a payload's JSON object, field by field, in order,
// starting with the schema version. The first error sticks.
type writer struct {
	buf bytes.Buffer
	err error
}

// txEventSize is about the size of a transaction event's encoding: a
// signed transaction's JSON and a request digest, with room to spare.
const txEventSize = 768

// newWriter returns a writer whose buffer holds size bytes before it
// must grow.
func newWriter(size int) *writer {
	w := &writer{}
	w.buf.Grow(size)
	w.buf.WriteString(`{"v":` + strconv.Itoa(SchemaVersion))
	return w
}

// field appends "name":value, value encoded as encoding/json encodes it.
// The values every transaction event holds are written directly, byte
// for byte as encoding/json would, without its reflection and its second
// pass over a Marshaler's output: a bank encodes an event for each
// transaction it accepts.
func (w *writer) field(name string, value any) {
	if w.err != nil {
		return
	}
	switch v := value.(type) {
	case blockchain.Transaction: // Encode calls tx itself, which does not box it
		w.tx(name, v)
		return
	case blockchain.Hash:
		w.buf.WriteString(`,"` + name + `":"`)
		w.buf.Write(hex.AppendEncode(w.buf.AvailableBuffer(), v[:]))
		w.buf.WriteByte('"')
		return
	case int:
		w.buf.WriteString(`,"` + name + `":`)
		w.buf.Write(strconv.AppendInt(w.buf.AvailableBuffer(), int64(v), 10))
		return
	case uint64:
		w.buf.WriteString(`,"` + name + `":`)
		w.buf.Write(strconv.AppendUint(w.buf.AvailableBuffer(), v, 10))
		return
	}
	b, err := json.Marshal(value)
	if err != nil {
		w.err = malformed("%s: %v", name, err)
		return
	}
	w.buf.WriteString(`,"` + name + `":`)
	w.buf.Write(b)
}

// tx appends "name":tx, as field does; it takes the transaction as
// itself, not as an interface value, which would copy it to the heap.
func (w *writer) tx(name string, tx blockchain.Transaction) {
	if w.err != nil {
		return
	}
	w.buf.WriteString(`,"` + name + `":`)
	w.buf.Write(tx.AppendJSON(w.buf.AvailableBuffer()))
}

// binary appends "name":"<base64>", the standard base64 of v's binary
// encoding.
func (w *writer) binary(name string, v encoding.BinaryMarshaler) {
	if w.err != nil {
		return
	}
	b, err := v.MarshalBinary()
	if err != nil {
		w.err = malformed("%s: %v", name, err)
		return
	}
	w.field(name, base64.StdEncoding.EncodeToString(b))
}

// base64 appends "name":"<base64>", the standard base64 of data.
func (w *writer) base64(name string, data []byte) {
	w.field(name, base64.StdEncoding.EncodeToString(data))
}

// binaryList appends "name":["<base64>",…], the standard base64 of each
// value's binary encoding; an empty list is written [].
func (w *writer) binaryList(name string, values []blockchain.Transaction) {
	list := make([]string, 0, len(values))
	for _, v := range values {
		b, err := v.MarshalBinary()
		if err != nil {
			if w.err == nil {
				w.err = malformed("%s: %v", name, err)
			}
			return
		}
		list = append(list, base64.StdEncoding.EncodeToString(b))
	}
	w.field(name, list)
}

// bytes closes the object and returns it, or the first error.
func (w *writer) bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	w.buf.WriteByte('}')
	return w.buf.Bytes(), nil
}

// A reader takes a payload's JSON object apart, field by field, in the
// way of bufio.Scanner: each method returns the zero value once an error
// has happened, and finish reports the first error. newReader checks the
// object and its schema version; finish refuses any field left unread.
type reader struct {
	fields map[string]json.RawMessage // the fields not read yet
	err    error
}

func newReader(data []byte) *reader {
	r := &reader{}
	r.fields, r.err = splitObject(data)
	if r.err == nil {
		r.err = r.version()
	}
	return r
}

// splitObject returns the fields of the one JSON object data holds, by
// exact name. encoding/json alone would match names regardless of case,
// let a repeated field overwrite the first and a null leave the zero
// value; reading field by field is how Decode refuses all three. The
// reading is done by jsontext, the token layer of the Go team's JSON v2
// design: it refuses repeated names and invalid UTF-8 by itself, and
// walks a long field (a block in base64) several times faster than
// encoding/json's Decoder. An object spelled as Encode spells it is read
// faster still by quickSplit, which gives the same fields.
func splitObject(data []byte) (map[string]json.RawMessage, error) {
	if fields, ok := quickSplit(data); ok {
		return fields, nil
	}
	return splitTokens(data)
}

// splitTokens is splitObject's reading by jsontext, for every spelling.
func splitTokens(data []byte) (map[string]json.RawMessage, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, malformed("data is not a JSON object")
	}
	fields := make(map[string]json.RawMessage)
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, malformed("%v", err)
		}
		name := tok.String()
		value, err := dec.ReadValue()
		if err != nil {
			return nil, malformed("field %q: %v", truncate(name), err)
		}
		// value is only valid until the next read; the same bytes stand
		// in data, which nothing changes, just before the offset.
		end := dec.InputOffset()
		fields[name] = json.RawMessage(data[end-int64(len(value)) : end])
	}
	if _, err := dec.ReadToken(); err != nil { // the closing brace
		return nil, malformed("%v", err)
	}
	// Nothing but white space may follow the object.
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, malformed("data after the JSON object")
	}
	return fields, nil
}

// version consumes the "v" field and refuses any version but SchemaVersion.
// This is where a version 2 would branch.
func (r *reader) version() error {
	v, ok := r.fields["v"]
	if !ok {
		return fmt.Errorf("%w: no \"v\" field, want %d", ErrSchemaVersion, SchemaVersion)
	}
	delete(r.fields, "v")
	if string(v) != strconv.Itoa(SchemaVersion) {
		return fmt.Errorf("%w: have %s, want %d", ErrSchemaVersion, truncate(string(v)), SchemaVersion)
	}
	return nil
}

// value decodes field name into v with encoding/json. The field must be
// present and not null.
func (r *reader) value(name string, v any) {
	if r.err != nil {
		return
	}
	raw, ok := r.fields[name]
	if !ok {
		r.err = malformed("no %q field", name)
		return
	}
	delete(r.fields, name)
	if string(raw) == "null" {
		r.err = malformed("%s: have null", name)
		return
	}
	if err := json.Unmarshal(raw, v); err != nil {
		r.err = fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
	}
}

func (r *reader) string(name string) string {
	// Most strings hold no escapes: then the text between the quotes is
	// the string, and a long one (a block in base64) need not go through
	// encoding/json's scanner twice.
	if raw, ok := r.fields[name]; ok && r.err == nil && plainString(raw) {
		delete(r.fields, name)
		return string(raw[1 : len(raw)-1])
	}
	var s string
	r.value(name, &s)
	return s
}

// plainString reports whether raw is a JSON string with no escape and no
// byte that JSON would refuse or encoding/json would replace: a quote,
// printable ASCII or valid UTF-8 text, and a quote.
func plainString(raw json.RawMessage) bool {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return false
	}
	body := raw[1 : len(raw)-1]
	return bytes.IndexByte(body, '"') < 0 && plainText(body)
}

func (r *reader) int(name string) int {
	var n int
	r.value(name, &n)
	return n
}

func (r *reader) uint64(name string) uint64 {
	var n uint64
	r.value(name, &n)
	return n
}

// uuid reads a UUID written the way Encode writes one: 36 characters,
// lower-case hex. uuid.Parse alone would also take upper case, braces and
// a "urn:uuid:" prefix.
func (r *reader) uuid(name string) uuid.UUID {
	s := r.string(name)
	if r.err != nil {
		return uuid.Nil
	}
	id, err := uuid.Parse(s)
	if err == nil && id.String() != s {
		err = fmt.Errorf("want the form %s", id)
	}
	if err != nil {
		r.err = malformed("%s: %q: %v", name, truncate(s), err)
		return uuid.Nil
	}
	return id
}

// hash reads a hash written the way Encode writes one: 64 lower-case hex
// digits.
func (r *reader) hash(name string) blockchain.Hash {
	s := r.string(name)
	if r.err != nil {
		return blockchain.Hash{}
	}
	h, err := blockchain.ParseHash(s)
	if err == nil && h.String() != s {
		err = fmt.Errorf("want lower-case hex")
	}
	if err != nil {
		r.err = malformed("%s: %q: %v", name, truncate(s), err)
		return blockchain.Hash{}
	}
	return h
}

// optionalHash reads a hash field that may be absent: absent is the zero
// hash. A zero hash written out is refused, so each payload has one
// encoding.
func (r *reader) optionalHash(name string) blockchain.Hash {
	if _, ok := r.fields[name]; !ok || r.err != nil {
		return blockchain.Hash{}
	}
	h := r.hash(name)
	if r.err == nil && h.IsZero() {
		r.err = malformed("%s: the zero hash is written by leaving the field out", name)
	}
	return h
}

// rule reads an ErrorCode by its name, such as "bad-merkle-root".
func (r *reader) rule(name string) blockchain.ErrorCode {
	s := r.string(name)
	if r.err != nil {
		return blockchain.ErrUnknown
	}
	c, ok := blockchain.ParseErrorCode(s)
	if !ok {
		r.err = malformed("%s: have %q, want the name of one of blockchain.ErrorCodes()", name, truncate(s))
	}
	return c
}

// optionalRule reads a rule field that may be absent: absent is
// blockchain.ErrUnknown. The zero code written out ("unknown" is no code's
// name) is refused as any other unknown name, so each payload has one
// encoding.
func (r *reader) optionalRule(name string) blockchain.ErrorCode {
	if _, ok := r.fields[name]; !ok || r.err != nil {
		return blockchain.ErrUnknown
	}
	return r.rule(name)
}

// spec reads a chain spec in its JSON form, which package blockchain
// decodes strictly and validates, and checks it against the readable
// hash written beside it.
func (r *reader) spec(name, hashName string) blockchain.ChainSpec {
	var s blockchain.ChainSpec
	r.value(name, &s)
	hash := r.hash(hashName)
	if r.err == nil && hash != s.Hash() {
		r.err = malformed("%s: have %s, the spec's is %s", hashName, hash, s.Hash())
	}
	if r.err != nil {
		return blockchain.ChainSpec{}
	}
	return s
}

// tx reads a transaction; package blockchain checks its hash.
func (r *reader) tx(name string) blockchain.Transaction {
	var tx blockchain.Transaction
	r.value(name, &tx)
	return tx
}

// base64 reads a string field holding standard base64, strictly: one
// spelling per value.
func (r *reader) base64(name string) []byte { return r.base64Into(name, nil) }

// base64Into is base64 decoding into buf's room, if it has enough.
func (r *reader) base64Into(name string, buf []byte) []byte {
	// A long string (a block, packed accounts): take its bytes straight
	// from the JSON when it holds no escape (as Encode writes it), rather
	// than copy it.
	var text []byte
	if rawField, ok := r.fields[name]; ok && r.err == nil && plainString(rawField) {
		delete(r.fields, name)
		text = rawField[1 : len(rawField)-1]
	} else {
		text = []byte(r.string(name))
	}
	if r.err != nil {
		return nil
	}
	raw, err := decodeBase64(buf, text)
	if err != nil {
		r.err = malformed("%s: %v", name, err)
		return nil
	}
	return raw
}

// decodeBase64 decodes standard base64 strictly: padding bits that are
// not zero and line breaks, which would give the same bytes a second
// spelling, are refused.
// It decodes into buf's room if it has enough, else into a new slice.
func decodeBase64(buf, text []byte) ([]byte, error) {
	raw := buf[:0]
	if n := base64.StdEncoding.DecodedLen(len(text)); cap(raw) < n {
		raw = make([]byte, n)
	} else {
		raw = raw[:n]
	}
	n, err := base64.StdEncoding.Strict().Decode(raw, text)
	if err == nil && (bytes.IndexByte(text, '\r') >= 0 || bytes.IndexByte(text, '\n') >= 0) {
		err = errors.New("line breaks in base64")
	}
	return raw[:n], err
}

// block reads a block from its canonical binary encoding in standard
// base64 (strict: one spelling per block), and checks it against the
// readable hash and height fields written beside it.
func (r *reader) block(name, hashName, heightName string) *blockchain.Block {
	// The binary encoding is needed only while it is decoded (a Block
	// copies what it keeps, as encoding.BinaryUnmarshaler asks), so its
	// buffer goes back to blockBuffers for the next block: a node
	// restoring a chain decodes one block event after another.
	buf := blockBuffers.Get().(*[]byte)
	defer blockBuffers.Put(buf)
	raw := r.base64Into(name, *buf)
	if r.err != nil {
		return nil
	}
	if cap(raw) <= maxPooledBlock {
		*buf = raw[:0]
	}
	b := new(blockchain.Block)
	if err := b.UnmarshalBinary(raw); err != nil {
		r.err = fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
		return nil
	}
	hash, height := r.hash(hashName), r.uint64(heightName)
	switch {
	case r.err != nil:
		return nil
	case hash != b.Hash():
		r.err = malformed("%s: have %s, the block's is %s", hashName, hash, b.Hash())
		return nil
	case height != b.Height():
		r.err = malformed("%s: have %d, the block's is %d", heightName, height, b.Height())
		return nil
	}
	return b
}

// blockBuffers holds buffers for blocks' binary encodings while they are
// decoded. One that grew past maxPooledBlock (a block of many
// transactions) is not kept: the pool keeps the common size.
var blockBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBlock = 64 << 10

// accounts reads a snapshot part's accounts, packed in standard base64.
func (r *reader) accounts(name string) []blockchain.AccountRecord {
	raw := r.base64(name)
	if r.err != nil {
		return nil
	}
	accounts, err := unpackAccounts(raw)
	if err != nil {
		r.err = malformed("%s: %v", name, err)
	}
	return accounts
}

// headers reads packed headers in standard base64.
func (r *reader) headers(name string) []blockchain.Header {
	raw := r.base64(name)
	if r.err != nil {
		return nil
	}
	headers, err := unpackHeaders(raw)
	if err != nil {
		r.err = fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
	}
	return headers
}

// transactions reads a list of transactions, each its binary encoding in
// standard base64; an empty list is nil.
func (r *reader) transactions(name string) []blockchain.Transaction {
	var list []string
	r.value(name, &list)
	if r.err != nil || len(list) == 0 {
		return nil
	}
	out := make([]blockchain.Transaction, len(list))
	for i, text := range list {
		raw, err := decodeBase64(nil, []byte(text))
		if err == nil {
			err = out[i].UnmarshalBinary(raw)
		}
		if err != nil {
			r.err = fmt.Errorf("%w: %s[%d]: %w", ErrMalformed, name, i, err)
			return nil
		}
	}
	return out
}

// snapshotTaken reads a SnapshotTaken: its tip is checked against the
// readable height and block hash beside it, and its state root against
// the tip's header by check.
func (r *reader) snapshotTaken() SnapshotTaken {
	var p SnapshotTaken
	p.Tip = r.block("tip", "blockHash", "height")
	if p.Tip != nil {
		p.Height, p.BlockHash = p.Tip.Height(), p.Tip.Hash()
	}
	p.StateRoot = r.hash("stateRoot")
	p.Parts, p.Accounts = r.int("parts"), r.int("accounts")
	p.FirstPart = eventlog.Revision(r.uint64("firstPart"))
	p.BlocksRevision = eventlog.Revision(r.uint64("blocksRevision"))
	p.TxsRevision = eventlog.Revision(r.uint64("txsRevision"))
	p.Headers = r.headers("headers")
	p.Pending = r.transactions("pending")
	return p
}

// finish returns the first error, or an error if a field was not read.
func (r *reader) finish() error {
	if r.err != nil {
		return r.err
	}
	if len(r.fields) > 0 {
		names := make([]string, 0, len(r.fields))
		for name := range r.fields {
			names = append(names, strconv.Quote(truncate(name)))
		}
		slices.Sort(names)
		return malformed("unknown field %s", names[0])
	}
	return nil
}
