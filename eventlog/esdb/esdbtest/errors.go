package esdbtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// An rpcError is a gRPC status with the trailers EventStoreDB sends with
// it: the client reads "exception" (and "stream-name") from the trailers
// to tell a deleted stream from other failures.
type rpcError struct {
	st      *status.Status
	trailer metadata.MD
}

func (e *rpcError) Error() string { return e.st.Err().Error() }

// GRPCStatus makes the gRPC server send e's status.
func (e *rpcError) GRPCStatus() *status.Status { return e.st }

// The trailer keys and values of EventStoreDB's errors.
const (
	trailerException         = "exception"
	trailerStreamName        = "stream-name"
	exceptionStreamDeleted   = "stream-deleted"
	exceptionWrongExpected   = "wrong-expected-version"
	exceptionMaxAppendSize   = "maximum-append-size-exceeded"
	exceptionMissingMetadata = "missing-required-metadata-property"
)

// errStreamDeleted is what a real node answers about a tombstoned stream.
// Without the stream-name trailer the Go client panics.
func errStreamDeleted(name string) error {
	return &rpcError{
		st: status.Newf(codes.FailedPrecondition, "Event stream '%s' is deleted.", name),
		trailer: metadata.Pairs(
			trailerException, exceptionStreamDeleted,
			trailerStreamName, name,
		),
	}
}

// errWrongExpectedDelete is a delete's or tombstone's wrong expected
// version: unlike an append's, a gRPC error.
func errWrongExpectedDelete(name string, exp expectation, actual int64) error {
	return &rpcError{
		st: status.Newf(codes.FailedPrecondition,
			"Delete failed due to WrongExpectedVersion. Stream: %s, Expected version: %d, Actual version: %d",
			name, exp, actual),
		trailer: metadata.Pairs(
			trailerException, exceptionWrongExpected,
			trailerStreamName, name,
			"expected-version", strconv.FormatInt(int64(exp), 10),
			"actual-version", strconv.FormatInt(actual, 10),
		),
	}
}

func errMaxAppendSize() error {
	return &rpcError{
		st: status.Newf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", maxAppendSize),
		trailer: metadata.Pairs(
			trailerException, exceptionMaxAppendSize,
			"maximum-append-size", strconv.Itoa(maxAppendSize),
		),
	}
}

func errMissingMetadata(property string) error {
	return &rpcError{
		st: status.Newf(codes.InvalidArgument, "Required Metadata Property '%s' is missing", property),
		trailer: metadata.Pairs(
			trailerException, exceptionMissingMetadata,
			"required-metadata-properties", "type,content-type",
		),
	}
}

// errInvalid is a request the server refuses as a real node does, with
// InvalidArgument.
func errInvalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// errUnknown is what a real node's unhandled exceptions become.
func errUnknown(format string, args ...any) error {
	return status.Errorf(codes.Unknown, format, args...)
}

// errUnimplemented is the answer to anything the server does not do:
// never a silently wrong answer.
func errUnimplemented(what string) error {
	return status.Errorf(codes.Unimplemented, "esdbtest does not implement %s", what)
}

// trailerFor sets the trailers an rpcError carries, with set (a stream's
// SetTrailer, or grpc.SetTrailer for a unary call), and returns err.
func trailerFor(err error, set func(metadata.MD)) error {
	var re *rpcError
	if errors.As(err, &re) && re.trailer != nil {
		set(re.trailer)
	}
	return err
}

// unaryTrailer is trailerFor for unary calls.
func unaryTrailer(ctx context.Context, err error) error {
	return trailerFor(err, func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) })
}

// String names an expectation for messages.
func (e expectation) String() string {
	switch e {
	case expectAny:
		return "any"
	case expectNoStream:
		return "no_stream"
	case expectStreamExists:
		return "stream_exists"
	}
	return fmt.Sprint(int64(e))
}
