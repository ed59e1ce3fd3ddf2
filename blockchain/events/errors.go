package events

import "errors"

// The errors of [Encode] and [Decode]. They are wrapped with the event type
// and the details, so test for them with errors.Is, never by their text.
var (
	// ErrUnknownType: Decode was given an event whose Type is none of the
	// Type… constants, or Encode a Go value that is none of the ten
	// payload types (a pointer to one, say).
	ErrUnknownType = errors.New("unknown event type")

	// ErrSchemaVersion: the payload's "v" field is missing or names a
	// schema version this package does not read. Only [SchemaVersion] is
	// read today.
	ErrSchemaVersion = errors.New("unsupported schema version")

	// ErrMalformed: the payload is not one this package writes. From
	// Decode: the data is not a JSON object; a field is unknown, missing,
	// null, repeated or of the wrong kind; there is data after the object;
	// a number is out of range; a required string is empty; a rule name is
	// not a [blockchain.ErrorCode]; a UUID or hash is not written in its
	// canonical lower-case form; or a transaction, block, chain spec,
	// packed accounts or packed headers inside do not decode. A transaction or block that names a hash its
	// contents do not have also matches errors.Is(err,
	// blockchain.ErrBadHash) and errors.As(err, &ruleErr) with a
	// *blockchain.RuleError; a chain spec that breaks one of its rules
	// matches errors.Is(err, blockchain.ErrInvalidSpec) and errors.As(err,
	// &specErr) with a *blockchain.SpecError, which names the field.
	//
	// From Encode: the payload breaks the same limits, so Encode never
	// writes an event that Decode refuses.
	ErrMalformed = errors.New("malformed event")

	// ErrIDMismatch: the event's ID is not the one its content derives
	// (see [Namespace]). The event was not written by Encode, or was
	// changed after.
	ErrIDMismatch = errors.New("event ID does not match its content")
)
