package blockchain

import (
	"fmt"
	"strconv"
)

// An ErrorCode names one rule that a transaction, a block or a chain must
// keep. Every [RuleError] carries one.
//
// An ErrorCode is itself an error, so a caller can ask which rule failed with
// errors.Is without looking at any text:
//
//	if errors.Is(err, blockchain.ErrBadMerkleRoot) { … }
type ErrorCode int

// The rules, grouped by what a check needs to see. Sanity rules look at one
// transaction or one block alone; context rules need the chain the block
// would extend; consensus rules are decided by the [Consensus] engine.
const (
	// ErrUnknown is the zero code; no rule returns it.
	ErrUnknown ErrorCode = iota

	// Transaction sanity: what a transaction must satisfy in itself.

	// ErrInvalidAmount: the amount must be in 1…MaxAmount minor units.
	ErrInvalidAmount
	// ErrMissingSender: From must not be the zero address.
	ErrMissingSender
	// ErrMissingReceiver: To must not be the zero address.
	ErrMissingReceiver
	// ErrSelfTransfer: From and To must differ.
	ErrSelfTransfer
	// ErrBadChainID: a chain ID is empty, too long, holds characters other than a-z, 0-9 and '-', or does not start with a letter.
	ErrBadChainID
	// ErrSenderNotKey: From is not the address of the transaction's public key.
	ErrSenderNotKey
	// ErrBadSignature: the signature does not verify against the public key and the signed bytes.
	ErrBadSignature
	// ErrWeakKey: the public key is a point of small order, for which anyone can make a signature that verifies (see PublicKey.IsSmallOrder).
	ErrWeakKey
	// ErrBadTimestamp: a block's timestamp is outside 1970…9999 (the encoding holds more, as Unix milliseconds in an int64; the rules take these years only).
	ErrBadTimestamp

	// Block sanity: what a block must satisfy without a parent.

	// ErrBadVersion: the header version is not one this package knows.
	ErrBadVersion
	// ErrTooManyTransactions: a block holds more than MaxBlockTransactions.
	ErrTooManyTransactions
	// ErrDuplicateTransaction: a block lists the same transaction ID twice.
	ErrDuplicateTransaction
	// ErrBadMerkleRoot: the header's MerkleRoot is not the root of the block's transactions.
	ErrBadMerkleRoot
	// ErrBadTxCount: the header's TxCount is not the number of the block's transactions.
	ErrBadTxCount
	// ErrMissingBeneficiary: a block after genesis must name who is paid: Beneficiary is not the zero address.
	ErrMissingBeneficiary
	// ErrBadBits: the header asks for more leading zero bits than a hash has.
	ErrBadBits
	// ErrBadHash: an encoded block or transaction names a hash its contents do not have.
	ErrBadHash
	// ErrSealTooLong: the header's Seal is over MaxSealLen bytes.
	ErrSealTooLong

	// Chain context: what a block must satisfy to extend the tip.

	// ErrPrevHashMismatch: the block does not link to the tip.
	ErrPrevHashMismatch
	// ErrBadHeight: the block's height is not the tip's height plus one.
	ErrBadHeight
	// ErrTimeBeforeParent: the block is timestamped before its parent.
	ErrTimeBeforeParent
	// ErrTimeTooFarAhead: a block is timestamped too far ahead of the clock (more than the chain's MaxDrift).
	ErrTimeTooFarAhead
	// ErrWrongChain: a transaction was signed for another chain: its chain ID is not the chain spec's.
	ErrWrongChain
	// ErrBadStateRoot: the header's StateRoot is not the root of the accounts after the block.
	ErrBadStateRoot

	// Consensus: returned by Consensus.Verify, whatever the engine.

	// ErrInvalidSeal: the seal does not prove what the engine asks (for proof of work: the seal hash misses the target; for proof of authority: the signature does not verify); also an engine's refusal that carries no code of its own (see RuleConsensus).
	ErrInvalidSeal
	// ErrBadConsensusFields: consensus fields differ from what the engine's rules require (for proof of work: Bits, or a Seal it never makes).
	ErrBadConsensusFields
	// ErrUnknownAncestor: the engine needs a header the chain does not hold.
	ErrUnknownAncestor

	// Account state: what a transfer needs of the accounts it touches (see [StateBatch]).

	// ErrInvalidFee: the fee must be in 0…MaxAmount minor units.
	ErrInvalidFee
	// ErrBadNonce: the nonce is not the sender's next one: a used nonce is a replay, a larger one leaves a gap.
	ErrBadNonce
	// ErrInsufficientFunds: the sender's balance does not cover the amount plus the fee.
	ErrInsufficientFunds
	// ErrBalanceOverflow: a balance, or the sum of all balances, would pass the largest int64.
	ErrBalanceOverflow

	numErrorCodes // keep last: the number of codes, for tests and for telling a code that names no rule.
)

// errorCodeNames is indexed by code. Its length is fixed by numErrorCodes, so
// a code added above without a name here shows up as "" and a test fails.
var errorCodeNames = [numErrorCodes]string{
	ErrUnknown:              "unknown",
	ErrInvalidAmount:        "invalid-amount",
	ErrMissingSender:        "missing-sender",
	ErrMissingReceiver:      "missing-receiver",
	ErrSelfTransfer:         "self-transfer",
	ErrBadChainID:           "bad-chain-id",
	ErrSenderNotKey:         "sender-not-key",
	ErrBadSignature:         "bad-signature",
	ErrWeakKey:              "weak-key",
	ErrBadTimestamp:         "bad-timestamp",
	ErrBadVersion:           "bad-version",
	ErrTooManyTransactions:  "too-many-transactions",
	ErrDuplicateTransaction: "duplicate-transaction",
	ErrBadMerkleRoot:        "bad-merkle-root",
	ErrBadTxCount:           "bad-tx-count",
	ErrMissingBeneficiary:   "missing-beneficiary",
	ErrBadBits:              "bad-bits",
	ErrBadHash:              "bad-hash",
	ErrSealTooLong:          "seal-too-long",
	ErrPrevHashMismatch:     "prev-hash-mismatch",
	ErrBadHeight:            "bad-height",
	ErrTimeBeforeParent:     "time-before-parent",
	ErrTimeTooFarAhead:      "time-too-far-ahead",
	ErrWrongChain:           "wrong-chain",
	ErrBadStateRoot:         "bad-state-root",
	ErrInvalidSeal:          "invalid-seal",
	ErrBadConsensusFields:   "bad-consensus-fields",
	ErrUnknownAncestor:      "unknown-ancestor",
	ErrInvalidFee:           "invalid-fee",
	ErrBadNonce:             "bad-nonce",
	ErrInsufficientFunds:    "insufficient-funds",
	ErrBalanceOverflow:      "balance-overflow",
}

// String returns the code's short, stable, kebab-case name, such as
// "bad-merkle-root". Logs, metrics and BlockRejected events use it.
func (c ErrorCode) String() string {
	if c >= 0 && c < numErrorCodes && errorCodeNames[c] != "" {
		return errorCodeNames[c]
	}
	return "ErrorCode(" + strconv.Itoa(int(c)) + ")"
}

// Error makes a code usable as an errors.Is target. It returns [ErrorCode.String].
func (c ErrorCode) Error() string { return c.String() }

// ParseErrorCode returns the code whose String is name, such as
// ErrBadMerkleRoot for "bad-merkle-root", and false if there is none.
// Events and logs store codes by name, since the numbers may change as
// codes are added.
func ParseErrorCode(name string) (ErrorCode, bool) {
	for c := ErrUnknown + 1; c < numErrorCodes; c++ {
		if errorCodeNames[c] == name {
			return c, true
		}
	}
	return ErrUnknown, false
}

// ErrorCodes returns every code except ErrUnknown, in declaration order.
func ErrorCodes() []ErrorCode {
	codes := make([]ErrorCode, 0, numErrorCodes-1)
	for c := ErrUnknown + 1; c < numErrorCodes; c++ {
		codes = append(codes, c)
	}
	return codes
}

// A RuleError reports that a transaction or block broke a rule: which rule
// (Code), what the rule expected (Want) and what it found (Have).
//
// Every rule in this package and every [Consensus] engine returns a
// *RuleError, so a caller can branch on the code:
//
//	var re *blockchain.RuleError
//	if errors.As(err, &re) {
//		log.Printf("rejected by %s", re.Code)
//	}
//
// or simply test errors.Is(err, blockchain.ErrBadHeight).
type RuleError struct {
	Code ErrorCode // the rule that failed
	Have string    // what was found; may be empty
	Want string    // what the rule expected; may be empty
	Err  error     // an underlying cause, such as an engine's own error; may be nil
}

// ruleErr builds a *RuleError with formatted Have and Want values.
func ruleErr(code ErrorCode, have, want any) *RuleError {
	return &RuleError{Code: code, Have: fmt.Sprint(have), Want: fmt.Sprint(want)}
}

// Error reads like "bad-height: have 7, want 6".
func (e *RuleError) Error() string {
	msg := e.Code.String()
	switch {
	case e.Have != "" && e.Want != "":
		msg += ": have " + e.Have + ", want " + e.Want
	case e.Have != "":
		msg += ": " + e.Have
	}
	if e.Err != nil {
		// Through fmt, which survives an Error method that panics: Err
		// may be a plugin engine's own error type.
		msg += ": " + fmt.Sprint(e.Err)
	}
	return msg
}

// Is reports whether target is this error's code, so that
// errors.Is(err, ErrBadHeight) works through any wrapping.
// A nil *RuleError (a typed nil in a non-nil error) is no code.
func (e *RuleError) Is(target error) bool {
	c, ok := target.(ErrorCode)
	return ok && e != nil && c == e.Code
}

// Unwrap returns the underlying cause, if any; a nil *RuleError has none,
// so errors.Is and errors.As walk past one rather than panic.
func (e *RuleError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}
