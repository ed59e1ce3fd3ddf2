package boltlog

import (
	"context"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/eventlog"
)

// A subscription reads ahead of its reader at most this much: so many
// events, or the first events past so many bytes of data.
const (
	subPage      = 64
	subPageBytes = 256 << 10
)

// Subscribe implements [eventlog.Log]. The subscription is a cursor into
// the file: each Next that finds its page of events used up reads the
// next page (up to 64 events) in a read transaction of its own, so a slow
// reader holds no transaction open and costs a page of memory at most.
// When it has read everything, Next waits for a commit that changes the
// stream: the committer wakes it by closing a channel, never by polling.
func (l *Log) Subscribe(ctx context.Context, name string, from eventlog.Revision) (eventlog.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := eventlog.CheckStreamName(name); err != nil {
		return nil, err
	}
	next := uint64(from)
	err := l.view(func(tx *bolt.Tx) error {
		b, err := streamBucket(tx, name)
		if err != nil || from != eventlog.End {
			return err
		}
		next = 0
		if b != nil {
			next = b.Sequence() // the stream's number of events
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	l.watchStream(name)
	return &subscription{log: l, name: name, next: next, done: make(chan struct{})}, nil
}

// watchStream registers a subscriber of the named stream.
func (l *Log) watchStream(name string) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	w := l.watchers[name]
	if w == nil {
		w = &watch{ch: make(chan struct{})}
		l.watchers[name] = w
	}
	w.subs++
}

// unwatchStream unregisters a subscriber of the named stream.
func (l *Log) unwatchStream(name string) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if w := l.watchers[name]; w != nil {
		if w.subs--; w.subs == 0 {
			delete(l.watchers, name)
		}
	}
}

// changes returns the channel the next commit that changes the named
// stream closes; nil if the stream has no subscribers any more.
func (l *Log) changes(name string) <-chan struct{} {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if w := l.watchers[name]; w != nil {
		return w.ch
	}
	return nil
}

// notify wakes the subscribers of the streams a commit changed.
func (l *Log) notify(streams []string) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	for _, name := range streams {
		if w := l.watchers[name]; w != nil {
			close(w.ch)
			w.ch = make(chan struct{})
		}
	}
}

// subscription is a cursor into one stream, with the page of events it
// read last.
type subscription struct {
	log  *Log
	name string

	// Only the reading goroutine touches these.
	next uint64              // the revision after the last one read
	page []eventlog.Recorded // read, not yet delivered
	end  error               // ErrStreamDeleted, once seen

	closeOnce sync.Once
	done      chan struct{}
}

// Next implements [eventlog.Subscription].
func (s *subscription) Next(ctx context.Context) (eventlog.Recorded, error) {
	for {
		select {
		case <-s.done:
			return eventlog.Recorded{}, eventlog.ErrClosed
		case <-s.log.done:
			return eventlog.Recorded{}, eventlog.ErrClosed
		default:
		}
		if len(s.page) > 0 {
			r := s.page[0]
			s.page[0] = eventlog.Recorded{}
			s.page = s.page[1:]
			return r, nil
		}
		if s.end != nil {
			return eventlog.Recorded{}, s.end
		}
		if err := ctx.Err(); err != nil {
			return eventlog.Recorded{}, err
		}
		// Take the channel before reading, so that a commit after the read
		// closes this one: no wake-up is lost.
		wait := s.log.changes(s.name)
		if err := s.read(); err != nil {
			if errors.Is(err, eventlog.ErrStreamDeleted) {
				s.end = err
			}
			return eventlog.Recorded{}, err
		}
		if len(s.page) > 0 {
			continue
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return eventlog.Recorded{}, ctx.Err()
		case <-s.done:
			return eventlog.Recorded{}, eventlog.ErrClosed
		case <-s.log.done:
			return eventlog.Recorded{}, eventlog.ErrClosed
		case <-s.log.brokenCh: // no commit will wake it now
			return eventlog.Recorded{}, s.log.broken.Load()
		}
	}
}

// read reads the next page of events, in a read transaction of its own.
func (s *subscription) read() error {
	return s.log.view(func(tx *bolt.Tx) error {
		b, err := streamBucket(tx, s.name)
		if err != nil || b == nil {
			return err
		}
		page, err := readForwards(b, s.name, s.next, subPage, subPageBytes)
		if err != nil {
			return fmt.Errorf("boltlog: %w", err)
		}
		s.page = page
		s.next += uint64(len(page))
		return nil
	})
}

// Close implements [eventlog.Subscription].
func (s *subscription) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.log.unwatchStream(s.name)
	})
	return nil
}
