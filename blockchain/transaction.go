package blockchain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Limits every transaction must keep; see [CheckTransactionSanity].
const (
	// MaxAmount is the largest amount a transaction may move, in minor
	// units: 2⁵³−1, the largest integer a JSON number read by JavaScript
	// still holds exactly.
	MaxAmount int64 = 1<<53 - 1
	// MaxAccountLen is the longest account name, in bytes of UTF-8.
	MaxAccountLen = 64
)

// TxEncodingVersion is the first byte of a transaction's canonical encoding.
const TxEncodingVersion = 1

// A Transaction moves Amount minor units (cents, say: never a float) from
// one account to another. It is the original project's unit of work: a bank
// accepts it, a miner puts it in a block.
//
// A Transaction is an immutable value: its fields are read through methods,
// and its Hash is computed once, when it is built, from the canonical
// encoding that [Transaction.MarshalBinary] returns:
//
//	offset  size  field
//	0       1     encoding version, TxEncodingVersion (1)
//	1       16    ID, the UUID's 16 bytes
//	17      8     Amount, int64 big-endian
//	25      8     Timestamp, Unix milliseconds, int64 big-endian
//	33      4     len(From), uint32 big-endian
//	37      n     From, UTF-8
//	37+n    4     len(To), uint32 big-endian
//	41+n    m     To, UTF-8
//
// Hash = SHA-256(encoding). Two transactions with the same fields have the
// same hash, on every machine, forever: that is what "canonical" buys.
//
// Building a Transaction never fails, so that a test can build a bad one
// and watch the rules reject it; [CheckTransactionSanity] says whether it
// is valid. The zero Transaction is not valid.
//
// A Transaction is safe for concurrent use.
type Transaction struct {
	id     uuid.UUID
	from   string
	to     string
	amount int64
	ts     time.Time // UTC, whole milliseconds
	hash   Hash
}

// NewTransaction builds a transaction. The timestamp is converted to UTC and
// truncated to whole milliseconds, the precision the encoding keeps.
// NewTransaction does not check the rules; see [CheckTransactionSanity].
func NewTransaction(id uuid.UUID, from, to string, amount int64, timestamp time.Time) Transaction {
	tx := Transaction{id: id, from: from, to: to, amount: amount, ts: normalizeTime(timestamp)}
	var buf [txFixedLen + 2*MaxAccountLen]byte // fits every valid transaction, on the stack
	tx.hash = sha256.Sum256(tx.appendCanonical(buf[:0]))
	return tx
}

// normalizeTime returns t in UTC, truncated to whole milliseconds.
func normalizeTime(t time.Time) time.Time {
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// ID returns the transaction's UUID, chosen by whoever submits it.
func (tx Transaction) ID() uuid.UUID { return tx.id }

// From returns the sending account.
func (tx Transaction) From() string { return tx.from }

// To returns the receiving account.
func (tx Transaction) To() string { return tx.to }

// Amount returns the amount moved, in minor units.
func (tx Transaction) Amount() int64 { return tx.amount }

// Timestamp returns when the transaction was made: UTC, whole milliseconds.
func (tx Transaction) Timestamp() time.Time { return tx.ts }

// Hash returns SHA-256 of the canonical encoding: the transaction's
// identity. (A block's Merkle tree hashes the encoding itself as a leaf,
// SHA-256(0x00 ‖ encoding); see [MerkleRoot].)
func (tx Transaction) Hash() Hash { return tx.hash }

// String returns a short, human-readable summary for logs.
func (tx Transaction) String() string {
	return fmt.Sprintf("tx %s %q→%q %d", tx.id, tx.from, tx.to, tx.amount)
}

const txFixedLen = 1 + 16 + 8 + 8 + 4 + 4

func (tx Transaction) encodedLen() int { return txFixedLen + len(tx.from) + len(tx.to) }

func (tx Transaction) appendCanonical(b []byte) []byte {
	b = append(b, TxEncodingVersion)
	b = append(b, tx.id[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(tx.amount))
	b = binary.BigEndian.AppendUint64(b, uint64(tx.ts.UnixMilli()))
	b = binary.BigEndian.AppendUint32(b, uint32(len(tx.from)))
	b = append(b, tx.from...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(tx.to)))
	b = append(b, tx.to...)
	return b
}

// MarshalBinary returns the canonical encoding described on [Transaction].
func (tx Transaction) MarshalBinary() ([]byte, error) {
	if len(tx.from) > math.MaxUint32 || len(tx.to) > math.MaxUint32 {
		return nil, errors.New("transaction: account name too long to encode")
	}
	return tx.appendCanonical(make([]byte, 0, tx.encodedLen())), nil
}

// ErrMalformed is wrapped by every decoding error of this package: bytes or
// JSON that do not describe a transaction, header, block or chain spec at
// all. (Data that decodes but breaks a rule gives a [*RuleError], or for a
// chain spec a [*SpecError], instead.)
var ErrMalformed = errors.New("malformed encoding")

func malformed(what string, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", what, ErrMalformed, fmt.Sprintf(format, args...))
}

// UnmarshalBinary decodes a canonical encoding into tx. It accepts exactly one
// encoding per transaction: a wrong version byte, a length that runs past the
// end, or trailing bytes are errors wrapping [ErrMalformed]. It checks no
// rule; see [CheckTransactionSanity].
func (tx *Transaction) UnmarshalBinary(data []byte) error {
	d, n, err := decodeTransaction(data)
	if err != nil {
		return err
	}
	if n != len(data) {
		return malformed("transaction", "%d trailing bytes", len(data)-n)
	}
	*tx = d
	return nil
}

// decodeTransaction decodes one transaction from the start of data and
// returns it with the number of bytes it took.
func decodeTransaction(data []byte) (Transaction, int, error) {
	if len(data) < txFixedLen {
		return Transaction{}, 0, malformed("transaction", "have %d bytes, want at least %d", len(data), txFixedLen)
	}
	if data[0] != TxEncodingVersion {
		return Transaction{}, 0, malformed("transaction", "encoding version: have %d, want %d", data[0], TxEncodingVersion)
	}
	id := uuid.UUID(data[1:17])
	amount := int64(binary.BigEndian.Uint64(data[17:25]))
	ms := int64(binary.BigEndian.Uint64(data[25:33]))
	rest := data[33:]
	from, rest, ok := cutString(rest)
	if !ok {
		return Transaction{}, 0, malformed("transaction", "from: length runs past the end")
	}
	to, rest, ok := cutString(rest)
	if !ok {
		return Transaction{}, 0, malformed("transaction", "to: length runs past the end")
	}
	tx := NewTransaction(id, from, to, amount, time.UnixMilli(ms))
	return tx, len(data) - len(rest), nil
}

// cutString reads a uint32 length and that many bytes.
func cutString(b []byte) (s string, rest []byte, ok bool) {
	if len(b) < 4 {
		return "", nil, false
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(n) > uint64(len(b)) {
		return "", nil, false
	}
	return string(b[:n]), b[n:], true
}

// txJSON is the JSON form of a Transaction, used by events and the bank's API.
type txJSON struct {
	ID        uuid.UUID `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Amount    int64     `json:"amount"`
	Timestamp time.Time `json:"timestamp"`
	Hash      *Hash     `json:"hash,omitempty"`
}

// MarshalJSON encodes tx as
//
//	{"id":"…","from":"alice","to":"bob","amount":125,"timestamp":"2026-01-02T03:04:05.678Z","hash":"…"}
//
// The hash is included so a reader can check it; it is not needed to decode.
func (tx Transaction) MarshalJSON() ([]byte, error) {
	h := tx.hash
	return json.Marshal(txJSON{ID: tx.id, From: tx.from, To: tx.to, Amount: tx.amount, Timestamp: tx.ts, Hash: &h})
}

// UnmarshalJSON decodes the form MarshalJSON writes. Unknown fields and
// trailing data are errors wrapping [ErrMalformed]. If "hash" is present it
// must be the hash of the decoded fields; otherwise the error is a
// [*RuleError] with code [ErrBadHash], so a forged hash is never believed.
func (tx *Transaction) UnmarshalJSON(data []byte) error {
	var w txJSON
	if err := strictJSON(data, &w); err != nil {
		return malformed("transaction", "%v", err)
	}
	if err := checkJSONTime(w.Timestamp); err != nil {
		return malformed("transaction", "%v", err)
	}
	d := NewTransaction(w.ID, w.From, w.To, w.Amount, w.Timestamp)
	if w.Hash != nil && *w.Hash != d.hash {
		return ruleErr(ErrBadHash, w.Hash.String(), d.hash.String())
	}
	*tx = d
	return nil
}

// strictJSON decodes one JSON value into v, refusing unknown fields and
// anything but white space after the value.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if rest := bytes.Trim(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 { // JSON white space only
		return fmt.Errorf("%d bytes of trailing data after the JSON value", len(rest))
	}
	return nil
}

// checkJSONTime refuses a time that, once in UTC, JSON cannot carry: an
// RFC 3339 year has four digits. Without it a decoded value could fail to
// encode again.
func checkJSONTime(t time.Time) error {
	if y := normalizeTime(t).Year(); y < 0 || y > 9999 {
		return fmt.Errorf("timestamp: year %d in UTC, want 0…9999", y)
	}
	return nil
}

// A TxRule is one context-free check of a transaction: it needs nothing but
// the transaction itself. It returns nil or a [*RuleError].
//
// The rules are values so that a pool can run them one by one, add its own,
// and report exactly which one failed.
type TxRule struct {
	Name  string                     // short name, for docs and logs
	Check func(tx Transaction) error // nil if the transaction keeps the rule
}

// The transaction sanity rules, each made by a constructor as the chain
// rules are ([RuleLinksToTip] and the others): a rule is a value nobody
// can change behind the pool's back. Amount, sender, receiver and
// not-to-self are the original project's specification objects; the rest
// bound what a transaction may hold.

// RuleHasID returns the rule "has-id": the ID is not the zero UUID.
func RuleHasID() TxRule {
	return TxRule{"has-id", func(tx Transaction) error {
		if tx.id == uuid.Nil {
			return ruleErr(ErrMissingID, tx.id, "a non-zero UUID")
		}
		return nil
	}}
}

// RuleAmountPositive returns the rule "amount-positive": 0 < Amount ≤ MaxAmount.
func RuleAmountPositive() TxRule {
	return TxRule{"amount-positive", func(tx Transaction) error {
		if tx.amount <= 0 || tx.amount > MaxAmount {
			return ruleErr(ErrInvalidAmount, tx.amount, fmt.Sprintf("1…%d", MaxAmount))
		}
		return nil
	}}
}

// RuleHasSender returns the rule "has-sender": From is not empty.
func RuleHasSender() TxRule {
	return TxRule{"has-sender", func(tx Transaction) error {
		if tx.from == "" {
			return ruleErr(ErrMissingSender, `""`, "a sender")
		}
		return nil
	}}
}

// RuleHasReceiver returns the rule "has-receiver": To is not empty.
func RuleHasReceiver() TxRule {
	return TxRule{"has-receiver", func(tx Transaction) error {
		if tx.to == "" {
			return ruleErr(ErrMissingReceiver, `""`, "a receiver")
		}
		return nil
	}}
}

// RuleNotToSelf returns the rule "not-to-self": From and To differ.
func RuleNotToSelf() TxRule {
	return TxRule{"not-to-self", func(tx Transaction) error {
		if tx.from == tx.to {
			return ruleErr(ErrSelfTransfer, fmt.Sprintf("from %q to %q", tx.from, tx.to), "two different accounts")
		}
		return nil
	}}
}

// RuleAccountNames returns the rule "account-names": both names are at most MaxAccountLen bytes of
// UTF-8 with no control characters.
func RuleAccountNames() TxRule {
	return TxRule{"account-names", func(tx Transaction) error {
		for _, name := range [...]string{tx.from, tx.to} {
			if err := checkAccount(name); err != nil {
				return err
			}
		}
		return nil
	}}
}

// RuleTimestamp returns the rule "timestamp": the timestamp is after the Unix epoch and before the year 10000.
func RuleTimestamp() TxRule {
	return TxRule{"timestamp", func(tx Transaction) error {
		if ms := tx.ts.UnixMilli(); ms <= 0 || ms >= maxTimestampMilli {
			return ruleErr(ErrBadTimestamp, tx.ts.Format(time.RFC3339Nano), "between 1970 and 9999")
		}
		return nil
	}}
}

// maxTimestampMilli is 10000-01-01T00:00:00Z in Unix milliseconds.
const maxTimestampMilli = 253402300800000

func checkAccount(name string) error {
	switch {
	case len(name) > MaxAccountLen:
		return ruleErr(ErrBadAccount, fmt.Sprintf("%d bytes", len(name)), fmt.Sprintf("at most %d", MaxAccountLen))
	case !utf8.ValidString(name):
		return ruleErr(ErrBadAccount, fmt.Sprintf("%q", name), "valid UTF-8")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return ruleErr(ErrBadAccount, fmt.Sprintf("%q", name), "no control characters")
		}
	}
	return nil
}

// TxSanityRules returns the rules [CheckTransactionSanity] runs, in order.
// The slice is new on every call; a pool may append its own rules to it.
func TxSanityRules() []TxRule { return slices.Clone(txSanityRules) }

var txSanityRules = []TxRule{RuleHasID(), RuleAmountPositive(), RuleHasSender(), RuleHasReceiver(), RuleNotToSelf(), RuleAccountNames(), RuleTimestamp()}

// CheckTransactionSanity runs every rule of [TxSanityRules] and returns the
// first failure as a [*RuleError], or nil. "Sanity" means the check needs
// nothing but the transaction: whether it is already in the chain is a
// question for [Chain] and the pool.
func CheckTransactionSanity(tx Transaction) error {
	for _, r := range txSanityRules {
		if err := r.Check(tx); err != nil {
			return err
		}
	}
	return nil
}
