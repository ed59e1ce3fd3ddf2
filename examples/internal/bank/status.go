package bank

import (
	"errors"
	"fmt"
)

// A Status says what became of a transaction, as GET /transactions/{id}
// answers. In JSON it is text: "pending", "included" or "dropped".
type Status int

const (
	// StatusUnknown: the bank knows nothing of the transaction. It is
	// never sent; the API answers 404 instead.
	StatusUnknown Status = iota
	// StatusPending: accepted and waiting for a block.
	StatusPending
	// StatusIncluded: in a block of the chain; the answer says which.
	StatusIncluded
	// StatusDropped: the auditor gave up on it; the answer says why.
	StatusDropped
)

var statusNames = [...]string{StatusUnknown: "unknown", StatusPending: "pending", StatusIncluded: "included", StatusDropped: "dropped"}

// ErrUnknownStatus is wrapped by the errors of MarshalText and
// UnmarshalText for a value or a text that is not a known Status.
var ErrUnknownStatus = errors.New("unknown transaction status")

// String returns the status's name, or "Status(n)".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText returns "pending", "included" or "dropped". StatusUnknown
// and values outside the constants are errors wrapping ErrUnknownStatus:
// the API never sends them.
func (s Status) MarshalText() ([]byte, error) {
	if s <= StatusUnknown || int(s) >= len(statusNames) {
		return nil, fmt.Errorf("bank: %w: %v", ErrUnknownStatus, s)
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText reads the text MarshalText writes; anything else is an
// error wrapping ErrUnknownStatus that names it.
func (s *Status) UnmarshalText(text []byte) error {
	for v := StatusPending; int(v) < len(statusNames); v++ {
		if string(text) == statusNames[v] {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("bank: %w: have %q, want pending, included or dropped", ErrUnknownStatus, text)
}
