package logging

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"

	"github.com/Graylog2/go-gelf/gelf"
)

// DefaultPort is the port [OpenGELF] uses when the URL names none: the one
// Graylog's GELF inputs listen on.
const DefaultPort = 12201

// OpenGELF connects to the GELF server at rawURL and returns a handler
// that logs to it, configured by opts, and a function that closes the
// connection. It is what the apps' -gelf flag calls:
//
//	udp://graylog.example:12201   compressed datagrams, chunked when large
//	tcp://graylog.example:12201   null-byte-delimited JSON over one connection
//
// The port defaults to [DefaultPort]. An address that is not of this form
// is refused with an error wrapping [ErrInvalidURL].
//
// UDP never waits for the server: OpenGELF only resolves the host, and
// each log call compresses its message and sends it — in chunks of at
// most gelf.ChunkSize bytes when it is larger, up to 128 chunks — whether
// or not anything listens. Messages may be lost, and while nothing listens
// they all are; the operating system then reports the refusal of one
// datagram as the error of a later send ("connection refused"), which
// Handle returns, like go-gelf's error for a message too large even for
// 128 chunks. A log call is never delayed by the server's absence.
//
// TCP connects at once, so OpenGELF fails if the server refuses; the
// connect itself can take as long as the operating system allows for an
// unreachable host. Messages then go through an [AsyncWriter] with the
// default AsyncOptions: a log call only queues its message, and when the
// queue is full (the server is slow, or gone) the message is dropped.
// Behind the queue, a message whose write fails is lost and go-gelf dials
// again at once, without the sleeps of its defaults; while the server is
// down every message is lost that way, each after one connection attempt
// (refused at once by a reachable host, but slow for an unreachable one,
// so that the queue fills up and drops the rest). Close flushes the queue
// for at most DefaultFlushTimeout.
//
// The close function is idempotent. Messages logged after it has been
// called are dropped, and Handle returns an error.
func OpenGELF(rawURL string, opts *GELFOptions) (h *GELFHandler, closeFn func() error, err error) {
	network, addr, err := parseGELFURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	switch network {
	case "udp":
		w, err := gelf.NewUDPWriter(addr)
		if err != nil {
			return nil, nil, fmt.Errorf("open gelf %s: %w", rawURL, err)
		}
		return NewGELFHandler(w, opts), sync.OnceValue(w.Close), nil
	default: // "tcp"
		w, err := gelf.NewTCPWriter(addr)
		if err != nil {
			return nil, nil, fmt.Errorf("open gelf %s: %w", rawURL, err)
		}
		// One immediate reconnection after a failed write, instead of
		// go-gelf's default of three with a second's sleep before each,
		// during which the queue, and Close's flush, would wait.
		w.MaxReconnect = 0
		w.ReconnectDelay = 0
		aw := NewAsyncWriter(w, &AsyncOptions{FlushTimeout: openFlushTimeout})
		return NewGELFHandler(aw, opts), aw.Close, nil
	}
}

// openFlushTimeout is the FlushTimeout of the AsyncWriter OpenGELF puts
// in front of TCP: DefaultFlushTimeout, but for tests, which wait longer
// (see SetOpenFlushTimeout).
var openFlushTimeout = DefaultFlushTimeout

// CheckGELFURL checks a GELF URL as OpenGELF reads it, opening nothing:
// an error wraps ErrInvalidURL.
func CheckGELFURL(rawURL string) error {
	_, _, err := parseGELFURL(rawURL)
	return err
}

// parseGELFURL splits a udp:// or tcp:// URL into a network and a
// host:port address for net.Dial.
func parseGELFURL(rawURL string) (network, addr string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", fmt.Errorf("%w %q: %v", ErrInvalidURL, rawURL, err)
	}
	if u.Scheme != "udp" && u.Scheme != "tcp" || u.Opaque != "" {
		return "", "", fmt.Errorf("%w %q: have scheme %q, want udp://host:port or tcp://host:port", ErrInvalidURL, rawURL, u.Scheme)
	}
	if u.User != nil || u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("%w %q: want only a scheme, a host and a port", ErrInvalidURL, rawURL)
	}
	host := u.Hostname()
	if host == "" {
		return "", "", fmt.Errorf("%w %q: no host", ErrInvalidURL, rawURL)
	}
	port := DefaultPort
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return "", "", fmt.Errorf("%w %q: have port %q, want 1 to 65535", ErrInvalidURL, rawURL, p)
		}
	}
	return u.Scheme, net.JoinHostPort(host, strconv.Itoa(port)), nil
}
