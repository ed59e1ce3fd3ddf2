package logging_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Graylog2/go-gelf/gelf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/logging"
	"github.com/eventchain/eventchain/examples/internal/logging/gelftest"
)

// gatedWriter is a GELF writer that a test controls: each WriteMessage
// announces itself on entered, then waits until the gate is opened, then
// records the message or fails with err. Close is announced on closed.
type gatedWriter struct {
	gelftest.Recorder
	entered  chan struct{}
	gate     chan struct{}
	closed   chan struct{}
	err      error // returned by every WriteMessage
	closeErr error
	closes   atomic.Int32
	openOnce sync.Once
}

func newGatedWriter() *gatedWriter {
	return &gatedWriter{
		entered: make(chan struct{}, 1000),
		gate:    make(chan struct{}),
		closed:  make(chan struct{}),
	}
}

func (w *gatedWriter) WriteMessage(m *gelf.Message) error {
	w.entered <- struct{}{}
	<-w.gate
	if w.err != nil {
		return w.err
	}
	return w.Recorder.WriteMessage(m)
}

func (w *gatedWriter) Close() error {
	if w.closes.Add(1) == 1 {
		close(w.closed)
	}
	return w.closeErr
}

// open lets every write, present and future, through.
func (w *gatedWriter) open() { w.openOnce.Do(func() { close(w.gate) }) }

// waitEntered waits until a write has started, failing t after the
// watchdog's time.
func (w *gatedWriter) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-w.entered:
	case <-time.After(watchdog):
		t.Fatal("no write started")
	}
}

// flushing is the AsyncOptions of a test that is not about the flush
// timeout: Close's wait for the queue is a bound on a hang, not a
// deadline the writer's goroutine must meet. The default, 2 s, is one a
// loaded machine can miss: the goroutine may not be run that long.
func flushing(o logging.AsyncOptions) *logging.AsyncOptions {
	o.FlushTimeout = time.Minute
	return &o
}

func msg(i int) *gelf.Message { return &gelf.Message{Version: "1.1", Short: fmt.Sprint(i)} }

func shorts(msgs []*gelf.Message) []string {
	s := make([]string, len(msgs))
	for i, m := range msgs {
		s[i] = m.Short
	}
	return s
}

// TestAsyncWriterFlushesInOrder: Close waits until every queued message
// has been written, in order, then closes the inner writer, once.
func TestAsyncWriterFlushesInOrder(t *testing.T) {
	w := newGatedWriter()
	w.open()
	a := logging.NewAsyncWriter(w, flushing(logging.AsyncOptions{}))
	var want []string
	for i := range 100 {
		require.NoError(t, a.WriteMessage(msg(i)))
		want = append(want, fmt.Sprint(i))
	}
	require.NoError(t, a.Close())
	assert.Equal(t, want, shorts(w.Messages()))
	assert.Equal(t, logging.AsyncStats{Sent: 100}, a.Stats())
	assert.Equal(t, int32(1), w.closes.Load(), "inner Close calls")

	require.NoError(t, a.Close(), "second Close")
	assert.Equal(t, int32(1), w.closes.Load(), "inner Close calls after a second Close")
}

// TestAsyncWriterQueueFull: while the inner writer is stuck, QueueSize
// messages wait and the next is dropped at once.
func TestAsyncWriterQueueFull(t *testing.T) {
	w := newGatedWriter()
	a := logging.NewAsyncWriter(w, flushing(logging.AsyncOptions{QueueSize: 2}))
	require.NoError(t, a.WriteMessage(msg(0)))
	w.waitEntered(t) // message 0 is being written, the queue is empty
	require.NoError(t, a.WriteMessage(msg(1)))
	require.NoError(t, a.WriteMessage(msg(2)))
	require.ErrorIs(t, a.WriteMessage(msg(3)), logging.ErrQueueFull)

	w.open()
	require.NoError(t, a.Close())
	assert.Equal(t, []string{"0", "1", "2"}, shorts(w.Messages()))
	assert.Equal(t, logging.AsyncStats{Sent: 3, Dropped: 1}, a.Stats())
}

// TestAsyncWriterAfterClose: a message given after Close is dropped.
func TestAsyncWriterAfterClose(t *testing.T) {
	w := newGatedWriter()
	w.open()
	a := logging.NewAsyncWriter(w, flushing(logging.AsyncOptions{}))
	require.NoError(t, a.Close())
	require.ErrorIs(t, a.WriteMessage(msg(0)), logging.ErrClosed)
	assert.Empty(t, w.Messages())
	assert.Equal(t, logging.AsyncStats{Dropped: 1}, a.Stats())
}

// TestAsyncWriterCountsFailures: the inner writer's errors are counted,
// not returned, and Close returns the inner writer's Close error.
func TestAsyncWriterCountsFailures(t *testing.T) {
	w := newGatedWriter()
	w.err = errors.New("connection reset")
	w.closeErr = errors.New("close failed")
	w.open()
	a := logging.NewAsyncWriter(w, flushing(logging.AsyncOptions{}))
	for i := range 5 {
		require.NoError(t, a.WriteMessage(msg(i)))
	}
	require.ErrorIs(t, a.Close(), w.closeErr)
	require.ErrorIs(t, a.Close(), w.closeErr, "second Close")
	assert.Equal(t, logging.AsyncStats{Failed: 5}, a.Stats())
}

// TestAsyncWriterFlushTimeout: if the inner writer stays stuck, Close
// gives up after FlushTimeout and drops what is queued; the stuck write
// finishes later, and then the inner writer is closed.
func TestAsyncWriterFlushTimeout(t *testing.T) {
	w := newGatedWriter()
	a := logging.NewAsyncWriter(w, &logging.AsyncOptions{FlushTimeout: 10 * time.Millisecond})
	for i := range 3 {
		require.NoError(t, a.WriteMessage(msg(i)))
	}
	w.waitEntered(t)

	err := a.Close()
	require.ErrorIs(t, err, logging.ErrFlushTimeout)
	assert.ErrorContains(t, err, "2 messages still queued")
	require.ErrorIs(t, a.Close(), logging.ErrFlushTimeout, "second Close")

	w.open() // the stuck write returns at last
	select {
	case <-w.closed:
	case <-time.After(watchdog):
		t.Fatal("inner writer not closed after the stuck write returned")
	}
	assert.Equal(t, []string{"0"}, shorts(w.Messages()))
	assert.Equal(t, logging.AsyncStats{Sent: 1, Dropped: 2}, a.Stats())
}

// TestAsyncWriterConcurrent: writers racing with Close never panic, and
// every message is counted exactly once.
func TestAsyncWriterConcurrent(t *testing.T) {
	w := newGatedWriter()
	w.entered = make(chan struct{}, 1<<14)
	w.open()
	a := logging.NewAsyncWriter(w, flushing(logging.AsyncOptions{QueueSize: 16}))
	const writers, each = 8, 500
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range each {
				err := a.WriteMessage(msg(i*each + j))
				if err != nil && !errors.Is(err, logging.ErrQueueFull) && !errors.Is(err, logging.ErrClosed) {
					t.Errorf("WriteMessage: %v", err)
				}
			}
		})
	}
	wg.Go(func() { assert.NoError(t, a.Close()) })
	wg.Wait()
	s := a.Stats()
	assert.Equal(t, uint64(writers*each), s.Sent+s.Failed+s.Dropped, "messages counted: %+v", s)
	assert.Equal(t, int(s.Sent), len(w.Messages()))
}

// TestAsyncWriterNilPanics: a nil inner writer is a programming error.
func TestAsyncWriterNilPanics(t *testing.T) {
	assert.PanicsWithValue(t, "logging: NewAsyncWriter with a nil GELFWriter", func() {
		logging.NewAsyncWriter(nil, nil)
	})
}
