package eventlogtest

import (
	"context"
	"sync"

	"github.com/eventchain/eventchain/eventlog"
)

// A Swappable is an [eventlog.Log] whose store a test replaces while the
// code under test holds it: every call goes to the log it holds at that
// moment. Swapping in a new, empty log plays an EventStoreDB server
// wiped under its clients, or restored from an older backup; what the
// code must then notice is that the log no longer holds what it read.
//
//	log := eventlogtest.NewSwappable(memlog.New(memlog.Config{}))
//	… run the code under test on log, let it read …
//	log.Swap(memlog.New(memlog.Config{})) // wiped
type Swappable struct {
	mu  sync.Mutex
	log eventlog.Log
}

// NewSwappable returns a Swappable holding log.
func NewSwappable(log eventlog.Log) *Swappable { return &Swappable{log: log} }

// Swap makes every later call go to log. It closes nothing: the test
// owns both logs.
func (s *Swappable) Swap(log eventlog.Log) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = log
}

// Current returns the log the calls go to now.
func (s *Swappable) Current() eventlog.Log {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log
}

// Append implements [eventlog.Log] on the current log.
func (s *Swappable) Append(ctx context.Context, stream string, expected eventlog.Expected, events ...eventlog.Event) (eventlog.AppendResult, error) {
	return s.Current().Append(ctx, stream, expected, events...)
}

// Read implements [eventlog.Log] on the current log.
func (s *Swappable) Read(ctx context.Context, stream string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	return s.Current().Read(ctx, stream, from, dir, max)
}

// Subscribe implements [eventlog.Log] on the current log: a subscription
// stays with the log it was made on.
func (s *Swappable) Subscribe(ctx context.Context, stream string, from eventlog.Revision) (eventlog.Subscription, error) {
	return s.Current().Subscribe(ctx, stream, from)
}

// Close implements [eventlog.Log]: it closes the current log.
func (s *Swappable) Close() error { return s.Current().Close() }

var _ eventlog.Log = (*Swappable)(nil)
