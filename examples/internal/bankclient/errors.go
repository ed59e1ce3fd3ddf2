package bankclient

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/internal/clip"
)

// A Problem is an RFC 9457 problem detail, the body of every error answer
// of the bank (media type application/problem+json).
type Problem struct {
	// Type is a URI naming the kind of problem; "about:blank" or empty
	// when the status says it all.
	Type string `json:"type,omitempty"`
	// Title is a short summary of the kind of problem, the same for
	// every occurrence.
	Title string `json:"title,omitempty"`
	// Status is the HTTP status code the bank answered with.
	Status int `json:"status,omitempty"`
	// Detail explains this occurrence, for a person.
	Detail string `json:"detail,omitempty"`
	// Field names the request field at fault, such as "nonce" or
	// "address", if one is.
	Field string `json:"field,omitempty"`
	// Rule is the name of the blockchain rule the request broke, as
	// blockchain.ErrorCode.String writes it ("bad-nonce",
	// "insufficient-funds"), if one did.
	Rule string `json:"rule,omitempty"`
}

// A ProblemError is an answer of the bank outside 2xx. Problem holds what
// the bank said, its Detail cut to its first 1024 bytes and each other
// text to its first 200; when the body was not a problem detail (a
// proxy's HTML page, say), Problem has only Status, Title (the status
// text) and the first 200 bytes of the body as Detail.
//
// If the problem names a rule that package blockchain knows, the error
// wraps that blockchain.ErrorCode, so
//
//	errors.Is(err, blockchain.ErrBadNonce)
//
// tells a refused nonce without reading any text.
type ProblemError struct {
	// Status is the HTTP status code of the answer.
	Status int
	// Problem is the problem detail the bank sent.
	Problem Problem
	// RetryAfter is what the Retry-After header asked for (whole seconds),
	// or 0 if it was absent.
	RetryAfter time.Duration
}

// Error reads like
// "bank answered 400 Bad Request: nonce 3 is used (rule bad-nonce, field nonce)".
//
// The bank's words are its own: a control character in them (a newline,
// an escape sequence that would clear the screen or colour what follows)
// is written as an escape, so the error stays one line and cannot
// pass for the program's own output (see Printable).
func (e *ProblemError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bank answered %d %s", e.Status, http.StatusText(e.Status))
	// The title says what is wrong ("unknown transaction"), the detail
	// about what (the ID): both, unless the title only repeats the status.
	p := e.Problem
	if p.Title != "" && p.Title != http.StatusText(e.Status) {
		b.WriteString(": " + Printable(p.Title))
	}
	if p.Detail != "" {
		b.WriteString(": " + Printable(p.Detail))
	}
	var tags []string
	if e.Problem.Rule != "" {
		tags = append(tags, "rule "+Printable(e.Problem.Rule))
	}
	if e.Problem.Field != "" {
		tags = append(tags, "field "+Printable(e.Problem.Field))
	}
	if len(tags) > 0 {
		b.WriteString(" (" + strings.Join(tags, ", ") + ")")
	}
	return b.String()
}

// Printable returns s fit to print on a terminal: as it is if every
// character in it is graphic (letters, marks, numbers, punctuation,
// symbols, spaces) and it is valid UTF-8; else with each other character
// written as a Go escape (\n, \x1b, \u2028), quotes and backslashes
// escaped too, as strconv.QuoteToGraphic writes it, without the quotes
// around. Print what a bank or any stranger sent through it.
func Printable(s string) string {
	if clip.Graphic(s) {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

// Code returns the blockchain rule the problem names, and ErrUnknown if it
// names none or one this package's blockchain does not know.
func (e *ProblemError) Code() blockchain.ErrorCode {
	c, ok := blockchain.ParseErrorCode(e.Problem.Rule)
	if !ok {
		return blockchain.ErrUnknown
	}
	return c
}

// Unwrap returns the blockchain.ErrorCode the problem names, or nil.
func (e *ProblemError) Unwrap() error {
	if c := e.Code(); c != blockchain.ErrUnknown {
		return c
	}
	return nil
}

var (
	// ErrNoAnswer is wrapped by the error of a request that got no answer
	// at all: the bank is down or unreachable, or the connection broke
	// before a response came. The error also wraps the transport's
	// error, a *url.Error.
	ErrNoAnswer = errors.New("no answer from the bank")

	// ErrMalformedResponse is wrapped by the error of an answer the
	// client cannot read: a body that is not the JSON the API promises,
	// larger than MaxResponseSize, or that contradicts the request (the
	// status of another transaction, the account of another address).
	ErrMalformedResponse = errors.New("malformed response from the bank")
)

// IsRetryable reports whether trying the same request again later may
// succeed: the request got no answer (ErrNoAnswer: the bank is down, the
// connection broke, the http.Client's Timeout passed), or the bank
// answered 503 Service Unavailable (not ready, its event log down, its
// pool full, its ledger index behind the chain, or a keyed transaction's
// nonce not yet decided by a block), 502, 504 or 429 Too Many Requests. A request whose context ended is not
// retryable: its error is the context's, not ErrNoAnswer.
//
// Retrying a submission is safe: the same signed transaction, with the
// same Idempotency-Key, is accepted at most once.
func IsRetryable(err error) bool {
	if errors.Is(err, ErrNoAnswer) {
		return true
	}
	var pe *ProblemError
	if errors.As(err, &pe) {
		switch pe.Status {
		case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusTooManyRequests:
			return true
		}
	}
	return false
}
