package logging

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Graylog2/go-gelf/gelf"
)

// Defaults of [AsyncOptions].
const (
	DefaultQueueSize    = 1024
	DefaultFlushTimeout = 2 * time.Second
)

// AsyncOptions configures an [AsyncWriter]. A nil *AsyncOptions means the
// zero AsyncOptions, whose fields all have defaults.
type AsyncOptions struct {
	// QueueSize is how many messages may wait to be sent; once that many
	// wait, WriteMessage drops the next ones. Zero or less means
	// DefaultQueueSize.
	QueueSize int

	// FlushTimeout is how long Close waits for the waiting messages to be
	// sent. Zero or less means DefaultFlushTimeout.
	FlushTimeout time.Duration
}

// AsyncStats counts what an [AsyncWriter] did with the messages it was
// given. Once Close has returned without ErrFlushTimeout, every message
// given to WriteMessage is counted exactly once.
type AsyncStats struct {
	Sent    uint64 // the inner writer accepted it
	Failed  uint64 // the inner writer returned an error
	Dropped uint64 // never reached the inner writer: queue full, writer closed, or flush timed out
}

// AsyncWriter is a [GELFWriter] that puts messages in a bounded queue and
// returns at once; one goroutine, which it owns, takes them from the queue
// and writes them to the inner GELFWriter in order. A slow or unreachable
// server therefore never blocks the program that logs: when the queue is
// full, WriteMessage drops the message and returns [ErrQueueFull].
//
// [OpenGELF] puts one in front of a *gelf.TCPWriter, whose writes block
// for as long as the server does not read.
//
// An AsyncWriter is safe for concurrent use. Close it to flush the queue
// and stop its goroutine.
type AsyncWriter struct {
	w       GELFWriter
	timeout time.Duration

	mu     sync.Mutex // guards closed and sending on queue
	closed bool
	queue  chan *gelf.Message

	abandon atomic.Bool   // set when Close gives up: drop what is left
	done    chan struct{} // closed when run has returned
	wErr    error         // the inner writer's Close error; read after done

	sent, failed, dropped atomic.Uint64

	closeOnce sync.Once
	closeErr  error
}

var _ GELFWriter = (*AsyncWriter)(nil)

// NewAsyncWriter returns an AsyncWriter that sends to w, and starts its
// goroutine. It panics if w is nil. The AsyncWriter owns w from now on:
// Close closes it if it has a Close() error method.
func NewAsyncWriter(w GELFWriter, opts *AsyncOptions) *AsyncWriter {
	if w == nil {
		panic("logging: NewAsyncWriter with a nil GELFWriter")
	}
	var o AsyncOptions
	if opts != nil {
		o = *opts
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = DefaultFlushTimeout
	}
	a := &AsyncWriter{
		w:       w,
		timeout: o.FlushTimeout,
		queue:   make(chan *gelf.Message, o.QueueSize),
		done:    make(chan struct{}),
	}
	go a.run()
	return a
}

// WriteMessage queues m to be sent and returns at once. It returns
// [ErrQueueFull] if the queue is full and [ErrClosed] after Close; the
// message is dropped then. Errors of the inner writer are not returned —
// they happen later — but counted in Stats().Failed. The AsyncWriter
// keeps m: the caller must not change it afterwards.
func (a *AsyncWriter) WriteMessage(m *gelf.Message) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		a.dropped.Add(1)
		return ErrClosed
	}
	select {
	case a.queue <- m:
		return nil
	default:
		a.dropped.Add(1)
		return ErrQueueFull
	}
}

// Stats returns the counts so far.
func (a *AsyncWriter) Stats() AsyncStats {
	return AsyncStats{Sent: a.sent.Load(), Failed: a.failed.Load(), Dropped: a.dropped.Load()}
}

// Close stops accepting messages and waits, at most
// AsyncOptions.FlushTimeout, for the queued ones to be written; then the
// goroutine closes the inner writer and Close returns that Close's error.
//
// If the time runs out, Close returns an error wrapping [ErrFlushTimeout]
// at once, and the messages still queued are dropped. The write in
// progress then — the one that is stuck — is left to finish on its own
// (a *gelf.TCPWriter's can wait as long as the server neither reads nor
// goes away); the goroutine closes the inner writer when it does.
//
// Close is idempotent: later calls return the first call's result.
func (a *AsyncWriter) Close() error {
	a.closeOnce.Do(func() { a.closeErr = a.close() })
	return a.closeErr
}

func (a *AsyncWriter) close() error {
	a.mu.Lock()
	a.closed = true
	close(a.queue)
	a.mu.Unlock()

	timer := time.NewTimer(a.timeout)
	defer timer.Stop()
	select {
	case <-a.done:
		return a.wErr
	case <-timer.C:
		a.abandon.Store(true)
		return fmt.Errorf("%w after %v: %d messages still queued", ErrFlushTimeout, a.timeout, len(a.queue))
	}
}

// run writes the queued messages until the queue is closed and empty,
// then closes the inner writer.
func (a *AsyncWriter) run() {
	defer close(a.done)
	for m := range a.queue {
		if a.abandon.Load() {
			a.dropped.Add(1)
			continue
		}
		if err := a.w.WriteMessage(m); err != nil {
			a.failed.Add(1)
		} else {
			a.sent.Add(1)
		}
	}
	if c, ok := a.w.(interface{ Close() error }); ok {
		a.wErr = c.Close()
	}
}
