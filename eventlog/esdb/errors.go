package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/eventchain/eventchain/eventlog"
)

// clientCode returns the official client's error code in err, and false
// if err holds no *esclient.Error. Some client calls wrap theirs, so this
// uses errors.As, not esclient.FromError.
func clientCode(err error) (esclient.ErrorCode, bool) {
	var e *esclient.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

// unreachable reports whether err says the server could not be reached
// or did not answer: trying again later may work.
func unreachable(err error) bool {
	if errors.Is(err, eventlog.ErrUnavailable) || connectionLost(err) {
		return true
	}
	code, ok := clientCode(err)
	if !ok {
		// Some calls (ReadStream, when it cannot start) return gRPC's
		// error as it is.
		return grpcCode(err) == codes.Unavailable
	}
	switch code {
	case esclient.ErrorUnavailable, esclient.ErrorCodeConnectionClosed, esclient.ErrorCodeNotLeader,
		esclient.ErrorCodeDeadlineExceeded, esclient.ErrorAborted:
		return true
	}
	return false
}

// connectionLost reports whether err says the connection ended in the
// middle of a call: an append's request stream found closed, say, which
// the client reports as ErrorCodeUnknown around io.EOF.
func connectionLost(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// cutShort reports whether a call that returned err ran out of time
// before its answer came: its context's deadline passed (ctx is the
// call's), or the client's own deadline did. The client's connection is then in a state
// nobody knows. It may be fine, and the server slow; or it may have
// gone silent — a firewall or NAT that forgot it drops every byte
// and tells neither end — which gRPC's keepalive notices only some
// 20 s later (keepAliveInterval plus keepAliveTimeout). Kept in the
// pool, such a client would hold every call that took it until then,
// so it is closed: a new connection costs a handshake and a call. A
// call that succeeded (err nil) was not cut short, even if ctx ended as
// it returned: its answer came, so its connection is known good.
func cutShort(ctx context.Context, err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	// A context cancelled, not timed out, is a caller that gave up (a
	// bank's client that hung up): that says nothing of the connection,
	// and closing it then would let anyone who can start requests and
	// abandon them make the log's connections churn.
	code, ok := clientCode(err)
	return ok && code == esclient.ErrorCodeDeadlineExceeded
}

// broken reports whether a client that returned err must not serve
// another call: its connection failed, and the client would rediscover
// its server on its next call, which v4.2.0 cannot do safely (see pool).
func broken(err error) bool {
	if connectionLost(err) {
		return true
	}
	code, ok := clientCode(err)
	if !ok {
		return grpcCode(err) == codes.Unavailable
	}
	switch code {
	case esclient.ErrorUnavailable, esclient.ErrorCodeConnectionClosed, esclient.ErrorCodeNotLeader:
		return true
	}
	return false
}

// fail turns an error of a call about stream into the contract's: the
// log's own ErrClosed if the log closed during the call; the caller's
// ctx.Err() if its context ended; else ErrStreamDeleted,
// ErrStreamNotFound or ErrUnavailable if the client's code says so. The
// client's error stays in the chain, for errors.As.
func (l *Log) fail(ctx context.Context, what, stream string, err error) error {
	if err == nil {
		return nil
	}
	call := "esdb: " + what
	if stream != "" {
		call += fmt.Sprintf(" %q", stream)
	}
	switch {
	case errors.Is(err, eventlog.ErrClosed) || l.ctx.Err() != nil:
		return fmt.Errorf("%s: %w", call, eventlog.ErrClosed)
	case ctx.Err() != nil:
		if errors.Is(err, ctx.Err()) {
			return fmt.Errorf("%s: %w", call, err)
		}
		return fmt.Errorf("%s: %w (%w)", call, ctx.Err(), err)
	case errors.Is(err, eventlog.ErrStreamDeleted), errors.Is(err, eventlog.ErrStreamNotFound),
		errors.Is(err, eventlog.ErrUnavailable):
		return fmt.Errorf("%s: %w", call, err)
	}
	var sentinel error
	if code, ok := clientCode(err); ok {
		switch code {
		case esclient.ErrorCodeStreamDeleted:
			sentinel = eventlog.ErrStreamDeleted
		case esclient.ErrorCodeResourceNotFound:
			sentinel = eventlog.ErrStreamNotFound
		}
	}
	if sentinel == nil && unreachable(err) {
		sentinel = eventlog.ErrUnavailable
	}
	if sentinel == nil {
		return fmt.Errorf("%s: %w", call, err)
	}
	return fmt.Errorf("%s: %w: %w", call, sentinel, err)
}

// gotRevision finds the current revision in the client's text for an
// append's wrong expected version, "... expecting '<e>' but got '<a>'",
// where <a> is "no_stream" or a number. The client v4.2.0 gives it in
// no other form.
var gotRevision = regexp.MustCompile(`but got '(no_stream|\d+)'`)

// actualVersion finds the current revision in a real node's message for
// a delete's wrong expected version, "... Actual version: <a>", where
// <a> is -1 for no stream.
var actualVersion = regexp.MustCompile(`Actual version: (-?\d+)`)

// parseActual finds with re the current revision in a message (the
// number or "no_stream" of re's first group) and returns the state it
// names; false if it names none.
func parseActual(re *regexp.Regexp, msg string) (eventlog.Expected, bool) {
	// The last match: a delete's message names the stream before it.
	all := re.FindAllStringSubmatch(msg, -1)
	if all == nil {
		return 0, false
	}
	m := all[len(all)-1]
	if m[1] == "no_stream" || m[1] == "-1" {
		return eventlog.NoStream, true
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return eventlog.Exact(eventlog.Revision(n)), true
}

// isDeleteWrongExpected reports whether a tombstone's error is the
// server's wrong expected version: a gRPC FailedPrecondition that the
// client leaves as ErrorCodeUnknown (it decodes only the append's).
func isDeleteWrongExpected(err error) bool {
	code, ok := clientCode(err)
	return ok && code == esclient.ErrorCodeUnknown && grpcCode(err) == codes.FailedPrecondition
}

// grpcCode returns the gRPC status code in err's chain, or Unknown.
func grpcCode(err error) codes.Code {
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	return codes.Unknown
}
