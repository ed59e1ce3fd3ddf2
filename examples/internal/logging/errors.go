package logging

import "errors"

// The errors of this package. They are wrapped (with %w) where a message
// can say more, so test for them with errors.Is, never by their text:
//
//	if errors.Is(err, logging.ErrQueueFull) { … }
var (
	// ErrInvalidURL: [OpenGELF] was given an address it cannot use. The
	// message says what is wrong: the scheme is neither udp nor tcp, the
	// host is missing, the port is not a number, or the URL has a path,
	// query, fragment or user it would silently ignore.
	ErrInvalidURL = errors.New("invalid GELF URL")

	// ErrQueueFull: [AsyncWriter.WriteMessage] dropped the message because
	// AsyncOptions.QueueSize messages were already waiting to be sent —
	// the server is slower than the program's logging, or unreachable.
	ErrQueueFull = errors.New("gelf queue full, message dropped")

	// ErrClosed: the message was dropped because the [AsyncWriter] was
	// already closed.
	ErrClosed = errors.New("gelf writer closed")

	// ErrFlushTimeout: [AsyncWriter.Close] gave up waiting for the queued
	// messages to be sent after AsyncOptions.FlushTimeout. The message
	// says how many were still unsent; they are dropped.
	ErrFlushTimeout = errors.New("gelf flush timed out")
)
