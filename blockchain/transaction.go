package blockchain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/internal/clip"
)

// Limits every transaction must keep; see [CheckTransactionSanity].
const (
	// MaxAmount is the largest amount or fee a transaction may carry, in
	// minor units: 2⁵³−1, the largest integer a JSON number read by
	// JavaScript still holds exactly.
	MaxAmount int64 = 1<<53 - 1
)

// TxEncodingVersion is the first byte of a transaction's canonical
// encoding. Version 1 was the original project's unsigned transfer
// between account names; version 2 is the signed transfer between
// addresses.
const TxEncodingVersion = 2

// txSignTag starts the bytes a transaction's signature covers, so that a
// signature made for a transaction can never pass for a signature of a
// block seal or anything else this project signs (domain separation).
const txSignTag = "eventchain/tx/v2\x00"

// A Transaction moves Amount minor units (cents, say: never a float) from
// one account to another, and pays Fee minor units to the miner of the
// block that includes it. Only the holder of the sending account's
// private key can make one: the transaction carries the sender's public
// key and an ed25519 signature over everything else.
//
// A Transaction is an immutable value: its fields are read through
// methods, and its ID and Hash are computed once, when it is built.
//
// # Canonical encoding
//
// [Transaction.MarshalBinary] returns, all integers big-endian (c is the
// length of the chain ID, 1…32):
//
//	offset  size  field
//	0       1     encoding version, TxEncodingVersion (2)
//	1       1     c = len(ChainID)
//	2       c     ChainID, ASCII, as in the chain spec
//	2+c     20    From, the sender's address
//	22+c    20    To, the receiver's address
//	42+c    8     Amount, int64
//	50+c    8     Fee, int64
//	58+c    8     Nonce, uint64: the sender's transfers before this one
//	66+c    32    PublicKey, the sender's ed25519 key
//	98+c    64    Signature
//
// A transaction takes 162 + c bytes. The first 98 + c, everything but the
// signature, are its body.
//
//	signed message = "eventchain/tx/v2" ‖ 0x00 ‖ body
//	Signature      = ed25519 signature of the signed message
//	Hash           = SHA-256(the whole encoding, signature included)
//	ID             = the first 16 bytes of SHA-256(signed message),
//	                 marked as a version 8 UUID (RFC 9562)
//
// The signature commits to the chain ID, so a transaction signed for one
// chain is refused on every other ([ErrWrongChain]); and to the nonce, so
// it can be included once only ([ErrBadNonce]). The ID is derived from
// what is signed: a client knows it before it submits, and a retry of the
// same transfer is the same transaction, with the same ID.
//
// Building a Transaction never fails, so that a test can build a bad one
// and watch the rules reject it; [CheckTransactionSanity] says whether it
// is valid, [Transfer.Sign] makes a valid one. The zero Transaction is not
// valid.
//
// A Transaction is safe for concurrent use.
type Transaction struct {
	f    TxFields
	sig  [SignatureSize]byte
	id   uuid.UUID
	hash Hash
}

// TxFields are a transaction's fields but its signature: its body.
type TxFields struct {
	ChainID   string    // the chain the transaction is for, as ChainSpec.ChainID
	From      Address   // the sender; must be PublicKey's address
	To        Address   // the receiver
	Amount    int64     // minor units moved, 1…MaxAmount
	Fee       int64     // minor units paid to the block's beneficiary, 0…MaxAmount
	Nonce     uint64    // the sender's account nonce: how many transfers it sent before
	PublicKey PublicKey // the sender's public key
}

// SignedMessage returns the bytes a transaction's signature covers:
// "eventchain/tx/v2" ‖ 0x00 ‖ the body's canonical encoding. A wallet in
// another language signs exactly these bytes.
func (f TxFields) SignedMessage() []byte {
	b := make([]byte, 0, len(txSignTag)+f.bodyLen())
	return f.appendBody(append(b, txSignTag...))
}

func (f TxFields) bodyLen() int { return txBodyFixedLen + len(f.ChainID) }

// txBodyFixedLen is the body's length without the chain ID.
const txBodyFixedLen = 1 + 1 + AddressSize + AddressSize + 8 + 8 + 8 + PublicKeySize

// txMaxLen is the longest encoding a valid transaction has.
const txMaxLen = txBodyFixedLen + MaxChainIDLen + SignatureSize

func (f TxFields) appendBody(b []byte) []byte {
	b = append(b, TxEncodingVersion, byte(len(f.ChainID)))
	b = append(b, f.ChainID...)
	b = append(b, f.From[:]...)
	b = append(b, f.To[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(f.Amount))
	b = binary.BigEndian.AppendUint64(b, uint64(f.Fee))
	b = binary.BigEndian.AppendUint64(b, f.Nonce)
	return append(b, f.PublicKey[:]...)
}

// A Transfer is what a sender decides: which chain, to whom, how much,
// what fee, and which of its nonces. [Transfer.Sign] turns it into a
// Transaction with the sender's key:
//
//	tx := blockchain.Transfer{ChainID: "eventchain-devnet", To: bob, Amount: 125, Fee: 1, Nonce: 0}.Sign(alice)
type Transfer struct {
	ChainID string
	To      Address
	Amount  int64
	Fee     int64
	Nonce   uint64
}

// Sign returns the transaction that sends t from key's account, signed
// with key. It checks no rule: signing a transfer of 0 gives a
// transaction the rules refuse.
func (t Transfer) Sign(key PrivateKey) Transaction {
	f := TxFields{ChainID: t.ChainID, From: key.Address(), To: t.To, Amount: t.Amount, Fee: t.Fee, Nonce: t.Nonce, PublicKey: key.Public()}
	sig := key.Sign(f.SignedMessage())
	return NewTransaction(f, sig[:])
}

// NewTransaction assembles a transaction from its fields and a signature
// made elsewhere (another language's wallet, say). It checks nothing, not
// even the signature; see [CheckTransactionSanity].
//
// A signature of other than SignatureSize bytes cannot verify. It is kept
// as far as it goes, padded with zeros, and then marked: the top three
// bits of its last byte are set, which puts its S (the second half, a
// little-endian number) above the group order, and RFC 8032 §5.1.7 has
// every verifier refuse that. Kept as it went, a valid signature with
// bytes added after it would verify, and so would, one time in sixteen,
// one cut short by its last byte (a zero in one S of sixteen).
func NewTransaction(f TxFields, sig []byte) Transaction {
	tx := Transaction{f: f}
	copy(tx.sig[:], sig)
	if len(sig) != SignatureSize {
		tx.sig[SignatureSize-1] |= 0xe0
	}
	var buf [txMaxLen + len(txSignTag)]byte // fits every valid transaction, on the stack
	msg := f.appendBody(append(buf[:0], txSignTag...))
	sum := sha256.Sum256(msg)
	tx.id = uuid.UUID(sum[:16])
	tx.id[6] = tx.id[6]&0x0f | 0x80 // version 8: "custom", RFC 9562 §5.8
	tx.id[8] = tx.id[8]&0x3f | 0x80 // the RFC's variant
	tx.hash = sha256.Sum256(append(msg[len(txSignTag):], tx.sig[:]...))
	return tx
}

// ID returns the transaction's ID, derived from what it signs: see
// [Transaction].
func (tx Transaction) ID() uuid.UUID { return tx.id }

// Fields returns the transaction's body: every field but the signature.
func (tx Transaction) Fields() TxFields { return tx.f }

// ChainID returns the chain the transaction was signed for.
func (tx Transaction) ChainID() string { return tx.f.ChainID }

// From returns the sender's address.
func (tx Transaction) From() Address { return tx.f.From }

// To returns the receiver's address.
func (tx Transaction) To() Address { return tx.f.To }

// Amount returns the amount moved, in minor units.
func (tx Transaction) Amount() int64 { return tx.f.Amount }

// Fee returns what the sender pays the block's beneficiary, in minor units.
func (tx Transaction) Fee() int64 { return tx.f.Fee }

// Nonce returns the sender's nonce the transaction uses.
func (tx Transaction) Nonce() uint64 { return tx.f.Nonce }

// PublicKey returns the sender's public key.
func (tx Transaction) PublicKey() PublicKey { return tx.f.PublicKey }

// Signature returns the signature.
func (tx Transaction) Signature() [SignatureSize]byte { return tx.sig }

// Hash returns SHA-256 of the whole canonical encoding, signature
// included. (A block's Merkle tree hashes the encoding itself as a leaf,
// SHA-256(0x00 ‖ encoding); see [MerkleRoot].)
func (tx Transaction) Hash() Hash { return tx.hash }

// VerifySignature reports whether the signature is the public key's
// signature of the transaction's body. It is false for a public key of
// small order ([PublicKey.IsSmallOrder]), for which anyone can make a
// signature that verifies. It is the costliest check of a transaction
// (about 35 µs); [Block.VerifySignatures] remembers its answer for a
// whole block.
func (tx Transaction) VerifySignature() bool {
	if tx.f.PublicKey.IsSmallOrder() {
		return false // anyone can sign for it: see RuleSignature
	}
	var buf [txMaxLen + len(txSignTag)]byte
	return tx.f.PublicKey.Verify(tx.f.appendBody(append(buf[:0], txSignTag...)), tx.sig[:])
}

// String returns a short, human-readable summary for logs.
func (tx Transaction) String() string {
	return fmt.Sprintf("tx %s %s→%s %d fee %d nonce %d", tx.id, tx.f.From.Short(), tx.f.To.Short(), tx.f.Amount, tx.f.Fee, tx.f.Nonce)
}

func (tx Transaction) encodedLen() int { return tx.f.bodyLen() + SignatureSize }

func (tx Transaction) appendCanonical(b []byte) []byte {
	return append(tx.f.appendBody(b), tx.sig[:]...)
}

// MarshalBinary returns the canonical encoding described on [Transaction].
// A chain ID longer than 255 bytes cannot be encoded (valid ones have at
// most 32).
func (tx Transaction) MarshalBinary() ([]byte, error) {
	if len(tx.f.ChainID) > 255 {
		return nil, errors.New("transaction: chain ID too long to encode")
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

// UnmarshalBinary decodes a canonical encoding into tx. It accepts exactly
// one encoding per transaction: a wrong version byte, a length that runs
// past the end, or trailing bytes are errors wrapping [ErrMalformed]. It
// checks no rule, not even the signature; see [CheckTransactionSanity].
func (tx *Transaction) UnmarshalBinary(data []byte) error {
	d, n, err := decodeTransaction(data, "")
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
// returns it with the number of bytes it took. If its chain ID is
// chainID, the transaction shares that string rather than a copy of its
// own: a block's transactions are all for one chain.
func decodeTransaction(data []byte, chainID string) (Transaction, int, error) {
	if len(data) < 2 {
		return Transaction{}, 0, malformed("transaction", "have %d bytes, want at least %d", len(data), txBodyFixedLen+SignatureSize)
	}
	if data[0] != TxEncodingVersion {
		return Transaction{}, 0, malformed("transaction", "encoding version: have %d, want %d", data[0], TxEncodingVersion)
	}
	c := int(data[1])
	n := txBodyFixedLen + c + SignatureSize
	if len(data) < n {
		return Transaction{}, 0, malformed("transaction", "have %d bytes, want %d for a chain ID of %d", len(data), n, c)
	}
	p := 2 + c
	if string(data[2:p]) != chainID { // compared without a copy
		chainID = string(data[2:p])
	}
	f := TxFields{
		ChainID:   chainID,
		From:      Address(data[p : p+20]),
		To:        Address(data[p+20 : p+40]),
		Amount:    int64(binary.BigEndian.Uint64(data[p+40:])),
		Fee:       int64(binary.BigEndian.Uint64(data[p+48:])),
		Nonce:     binary.BigEndian.Uint64(data[p+56:]),
		PublicKey: PublicKey(data[p+64 : p+96]),
	}
	return NewTransaction(f, data[p+96:n]), n, nil
}

// txJSONFields are the names of txJSON's members, in order: all but the
// first and the last are required.
var txJSONFields = [...]string{"id", "chainId", "from", "to", "amount", "fee", "nonce", "publicKey", "signature", "hash"}

// txJSON is the JSON form of a Transaction, used by events and the bank's API.
type txJSON struct {
	ID        *string   `json:"id,omitempty"` // checked to be in the one form MarshalJSON writes
	ChainID   string    `json:"chainId"`
	From      Address   `json:"from"`
	To        Address   `json:"to"`
	Amount    int64     `json:"amount"`
	Fee       int64     `json:"fee"`
	Nonce     uint64    `json:"nonce"`
	PublicKey PublicKey `json:"publicKey"`
	Signature string    `json:"signature"`
	Hash      *Hash     `json:"hash,omitempty"`
}

// MarshalJSON encodes tx as
//
//	{"id":"…","chainId":"eventchain-devnet","from":"ec…","to":"ec…",
//	 "amount":125,"fee":1,"nonce":0,"publicKey":"…","signature":"…","hash":"…"}
//
// with addresses in their checksummed form and keys, signature and hash
// in lower-case hex. The ID and hash are included so a reader can check
// them; they are not needed to decode.
func (tx Transaction) MarshalJSON() ([]byte, error) {
	return tx.AppendJSON(make([]byte, 0, txJSONLen+len(tx.f.ChainID))), nil
}

// txJSONLen is the length of MarshalJSON's encoding of a transaction with
// an empty chain ID and the longest amount, fee and nonce.
const txJSONLen = 560

// AppendJSON appends MarshalJSON's encoding of tx to dst and returns the
// extended slice, byte for byte what json.Marshal(tx) writes, without
// the reflection, the allocations and the second pass over the output
// that json.Marshal makes: a bank encodes a transaction for every one it
// accepts, so this is on its hottest path.
func (tx Transaction) AppendJSON(dst []byte) []byte {
	f := tx.f
	dst = append(dst, `{"id":"`...)
	dst = appendUUID(dst, tx.id)
	dst = append(dst, `","chainId":`...)
	dst = appendJSONString(dst, f.ChainID)
	dst = append(dst, `,"from":"`...)
	dst = f.From.appendText(dst)
	dst = append(dst, `","to":"`...)
	dst = f.To.appendText(dst)
	dst = append(dst, `","amount":`...)
	dst = strconv.AppendInt(dst, f.Amount, 10)
	dst = append(dst, `,"fee":`...)
	dst = strconv.AppendInt(dst, f.Fee, 10)
	dst = append(dst, `,"nonce":`...)
	dst = strconv.AppendUint(dst, f.Nonce, 10)
	dst = append(dst, `,"publicKey":"`...)
	dst = hex.AppendEncode(dst, f.PublicKey[:])
	dst = append(dst, `","signature":"`...)
	dst = hex.AppendEncode(dst, tx.sig[:])
	dst = append(dst, `","hash":"`...)
	dst = hex.AppendEncode(dst, tx.hash[:])
	return append(dst, `"}`...)
}

// appendUUID appends id in its canonical text form,
// xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as uuid.UUID.String writes it.
func appendUUID(dst []byte, id uuid.UUID) []byte {
	dst = hex.AppendEncode(dst, id[0:4])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, id[4:6])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, id[6:8])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, id[8:10])
	dst = append(dst, '-')
	return hex.AppendEncode(dst, id[10:16])
}

// appendJSONString appends s as json.Marshal writes a string: quoted,
// with the escapes it makes (HTML characters and line separators among
// them). A string of printable ASCII with nothing to escape, as every
// valid chain ID is, is copied as it is; any other goes through
// encoding/json, so the two always agree.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s) // a string always encodes
			return append(dst, quoted...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// UnmarshalJSON decodes the form MarshalJSON writes. Unknown fields (names
// are case-sensitive), repeated ones, missing or null ones (all but "id"
// and "hash" are required), a malformed address, key or signature, and
// trailing data are errors wrapping
// [ErrMalformed]. If "id" or "hash" is present it must be the one of the
// decoded fields; otherwise the error is a [*RuleError] with code
// [ErrBadHash], so a forged ID or hash is never believed. The signature is
// not checked here; see [CheckTransactionSanity].
func (tx *Transaction) UnmarshalJSON(data []byte) error {
	if _, err := jsonMembers(data, txJSONFields[:], txJSONFields[1:9]); err != nil {
		return malformed("transaction", "%v", err)
	}
	var w txJSON
	if err := strictJSON(data, &w); err != nil {
		return malformed("transaction", "%v", err)
	}
	var sig [SignatureSize]byte
	if err := decodeLowerHex(sig[:], w.Signature); err != nil {
		return malformed("transaction", "signature: %v", err)
	}
	d := NewTransaction(TxFields{ChainID: w.ChainID, From: w.From, To: w.To, Amount: w.Amount, Fee: w.Fee, Nonce: w.Nonce, PublicKey: w.PublicKey}, sig[:])
	if w.ID != nil {
		// uuid.Parse alone would take upper case, braces, a "urn:uuid:"
		// prefix or no hyphens: one ID, many spellings.
		id, err := uuid.Parse(*w.ID)
		if err == nil && id.String() != *w.ID {
			err = fmt.Errorf("want the form %s", id)
		}
		if err != nil {
			return malformed("transaction", "id: %q: %v", clip.Text(*w.ID, 64), err)
		}
		if id != d.id {
			return ruleErr(ErrBadHash, "id "+id.String(), d.id.String())
		}
	}
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
// not-to-self are the original project's specification objects; the
// others make a transaction something only its sender's key can make.
// Whether the sender can pay, and whether the nonce is its next, depends
// on the chain's state: see [StateBatch.Transfer].

// RuleAmountPositive returns the rule "amount-positive": 0 < Amount ≤
// MaxAmount. Code [ErrInvalidAmount].
func RuleAmountPositive() TxRule {
	return TxRule{"amount-positive", func(tx Transaction) error {
		if a := tx.f.Amount; a <= 0 || a > MaxAmount {
			return ruleErr(ErrInvalidAmount, a, fmt.Sprintf("1…%d", MaxAmount))
		}
		return nil
	}}
}

// RuleFeeInRange returns the rule "fee-in-range": 0 ≤ Fee ≤ MaxAmount.
// Code [ErrInvalidFee].
func RuleFeeInRange() TxRule {
	return TxRule{"fee-in-range", func(tx Transaction) error {
		if fee := tx.f.Fee; fee < 0 || fee > MaxAmount {
			return ruleErr(ErrInvalidFee, fee, fmt.Sprintf("0…%d", MaxAmount))
		}
		return nil
	}}
}

// RuleHasSender returns the rule "has-sender": From is not the zero
// address. Code [ErrMissingSender].
func RuleHasSender() TxRule {
	return TxRule{"has-sender", func(tx Transaction) error {
		if tx.f.From.IsZero() {
			return ruleErr(ErrMissingSender, "the zero address", "a sender")
		}
		return nil
	}}
}

// RuleHasReceiver returns the rule "has-receiver": To is not the zero
// address. Code [ErrMissingReceiver].
func RuleHasReceiver() TxRule {
	return TxRule{"has-receiver", func(tx Transaction) error {
		if tx.f.To.IsZero() {
			return ruleErr(ErrMissingReceiver, "the zero address", "a receiver")
		}
		return nil
	}}
}

// RuleNotToSelf returns the rule "not-to-self": From and To differ. Code
// [ErrSelfTransfer].
func RuleNotToSelf() TxRule {
	return TxRule{"not-to-self", func(tx Transaction) error {
		if tx.f.From == tx.f.To {
			return ruleErr(ErrSelfTransfer, "from and to "+tx.f.From.String(), "two different accounts")
		}
		return nil
	}}
}

// RuleChainIDForm returns the rule "chain-id-form": the chain ID keeps the
// form every chain spec's has (see [ChainSpec]). Which chain it must name
// is the chain's question ([RuleTransactionsForThisChain]). Code
// [ErrBadChainID].
func RuleChainIDForm() TxRule {
	return TxRule{"chain-id-form", func(tx Transaction) error {
		if chainIDProblem(tx.f.ChainID) != "" {
			return ruleErr(ErrBadChainID, fmt.Sprintf("%q", truncateText(tx.f.ChainID)), fmt.Sprintf("1…%d bytes of lower-case letters, digits and '-', starting with a letter", MaxChainIDLen))
		}
		return nil
	}}
}

// RuleSenderIsKey returns the rule "sender-is-key": From is the address
// of PublicKey. Without it anyone could sign with their own key and name
// somebody else's account as the sender. Code [ErrSenderNotKey].
func RuleSenderIsKey() TxRule {
	return TxRule{"sender-is-key", func(tx Transaction) error {
		if want := tx.f.PublicKey.Address(); tx.f.From != want {
			return ruleErr(ErrSenderNotKey, tx.f.From, want)
		}
		return nil
	}}
}

// RuleSignature returns the rule "signature": the signature verifies
// against PublicKey and the signed message ([TxFields.SignedMessage]).
// It runs last, being the costliest. Code [ErrBadSignature]; or
// [ErrWeakKey] for a public key of small order
// ([PublicKey.IsSmallOrder]), for which a signature proves nothing.
func RuleSignature() TxRule {
	return TxRule{"signature", func(tx Transaction) error {
		if tx.f.PublicKey.IsSmallOrder() {
			return ruleErr(ErrWeakKey, tx.f.PublicKey.String(), "a key of the prime-order group: this one is of small order, and anyone can sign for it")
		}
		if !tx.VerifySignature() {
			return ruleErr(ErrBadSignature, hex.EncodeToString(tx.sig[:8])+"…", "the signature of the sender's key over the transaction")
		}
		return nil
	}}
}

// TxSanityRules returns the rules [CheckTransactionSanity] runs, in order.
// The slice is new on every call; a pool may append its own rules to it.
func TxSanityRules() []TxRule { return slices.Clone(txSanityRules) }

var txSanityRules = []TxRule{RuleAmountPositive(), RuleFeeInRange(), RuleHasSender(), RuleHasReceiver(), RuleNotToSelf(), RuleChainIDForm(), RuleSenderIsKey(), RuleSignature()}

// CheckTransactionSanity runs every rule of [TxSanityRules] and returns the
// first failure as a [*RuleError], or nil. "Sanity" means the check needs
// nothing but the transaction: whether its chain ID is the chain's, its
// nonce the sender's next and its sender able to pay are questions for
// [Chain] and the pool.
func CheckTransactionSanity(tx Transaction) error {
	return checkTx(tx, txSanityRules)
}

// checkTransactionForm runs the sanity rules but the signature: what
// [Block.Validate] checks of each transaction, leaving signatures to
// [Block.VerifySignatures].
func checkTransactionForm(tx Transaction) error {
	return checkTx(tx, txSanityRules[:len(txSanityRules)-1])
}

func checkTx(tx Transaction, rules []TxRule) error {
	for _, r := range rules {
		if err := r.Check(tx); err != nil {
			return err
		}
	}
	return nil
}

// txMinLen is the shortest encoding a transaction can have: an empty
// chain ID (which no rule allows, but which decodes).
const txMinLen = txBodyFixedLen + SignatureSize
