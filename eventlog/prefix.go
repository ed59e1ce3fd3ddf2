package eventlog

import (
	"context"
	"errors"
	"fmt"
)

// WithPrefix returns a Log that keeps each stream s of its callers as
// prefix+s in log, so that many demos, classes or test runs can share one
// EventStoreDB without seeing each other's streams. Callers never see the
// prefix: they name streams without it, and Recorded.Stream comes back
// without it. If log is a Deleter, so is the result. Close closes log.
//
// The prefix is joined to each name as it is, so prefixes of which one
// begins another share streams: "class1" with stream "-blocks" is
// "class1-" with stream "blocks". End each prefix with a separator that
// no caller's stream name begins with, such as "/" ("class1/").
//
// The prefix counts towards MaxStreamNameLen: names may be at most
// MaxStreamNameLen − len(prefix) bytes, which [NameLimit] reports; with
// a prefix as long as the log's limit or longer, every Append, Read,
// Subscribe and Delete fails, saying so. Error messages other than a *WrongExpectedRevisionError may
// show the stored, prefixed name. log must not be nil.
//
// Event IDs are not prefixed: views that share a log share its memory
// of event IDs, which EventStoreDB keeps with the stream an ID was first
// written to. Two views that append the very same event (the same
// content, so the same ID, as two runs of one chain spec with the same
// keys may) write one ID to two streams, and a retry with [Any] in the
// second is stored again rather than recognised. Give each class or run
// a chain spec of its own.
func WithPrefix(log Log, prefix string) Log {
	p := prefixed{log: log, prefix: prefix}
	if d, ok := log.(Deleter); ok {
		return prefixedDeleter{p, d}
	}
	return p
}

type prefixed struct {
	log    Log
	prefix string
}

// Prefix returns the view's prefix, for messages that name a stream as
// the log stores it.
func (p prefixed) Prefix() string { return p.prefix }

// MaxStreamNameLen returns the longest name the view accepts: the
// underlying log's limit less the prefix.
func (p prefixed) MaxStreamNameLen() int { return NameLimit(p.log) - len(p.prefix) }

// NameLimit returns the longest stream name log accepts: MaxStreamNameLen,
// unless log says otherwise with a method MaxStreamNameLen() int (as the
// views of WithPrefix do).
func NameLimit(log Log) int {
	if l, ok := log.(interface{ MaxStreamNameLen() int }); ok {
		return l.MaxStreamNameLen()
	}
	return MaxStreamNameLen
}

// unprefix gives a *WrongExpectedRevisionError about the stored stream
// the caller's name for it.
func (p prefixed) unprefix(err error, stream string) error {
	var wrong *WrongExpectedRevisionError
	if errors.As(err, &wrong) && wrong.Stream == p.prefix+stream {
		unprefixed := *wrong
		unprefixed.Stream = stream
		return &unprefixed
	}
	return err
}

// check refuses a name that is invalid or too long once prefixed.
func (p prefixed) check(stream string) error {
	if err := CheckStreamName(stream); err != nil {
		return err
	}
	if room := p.MaxStreamNameLen(); room <= 0 {
		return fmt.Errorf("%w: a stream prefix of %d bytes leaves no room for a name: the log takes names of at most %d bytes, prefix included", ErrInvalid, len(p.prefix), NameLimit(p.log))
	} else if len(stream) > room {
		return fmt.Errorf("%w: stream name of %d bytes, want at most %d (MaxStreamNameLen less the prefix)", ErrInvalid, len(stream), room)
	}
	return nil
}

func (p prefixed) Append(ctx context.Context, stream string, expected Expected, events ...Event) (AppendResult, error) {
	if err := p.check(stream); err != nil {
		return AppendResult{}, err
	}
	res, err := p.log.Append(ctx, p.prefix+stream, expected, events...)
	return res, p.unprefix(err, stream)
}

func (p prefixed) Read(ctx context.Context, stream string, from Revision, dir Direction, max int) ([]Recorded, error) {
	if err := p.check(stream); err != nil {
		return nil, err
	}
	recs, err := p.log.Read(ctx, p.prefix+stream, from, dir, max)
	for i := range recs {
		recs[i].Stream = stream
	}
	return recs, err
}

func (p prefixed) Subscribe(ctx context.Context, stream string, from Revision) (Subscription, error) {
	if err := p.check(stream); err != nil {
		return nil, err
	}
	sub, err := p.log.Subscribe(ctx, p.prefix+stream, from)
	if err != nil {
		return nil, err
	}
	return prefixedSub{sub, stream}, nil
}

func (p prefixed) Close() error { return p.log.Close() }

type prefixedDeleter struct {
	prefixed
	d Deleter
}

func (p prefixedDeleter) Delete(ctx context.Context, stream string, expected Expected) error {
	if err := p.check(stream); err != nil {
		return err
	}
	return p.unprefix(p.d.Delete(ctx, p.prefix+stream, expected), stream)
}

type prefixedSub struct {
	Subscription
	stream string
}

func (s prefixedSub) Next(ctx context.Context) (Recorded, error) {
	r, err := s.Subscription.Next(ctx)
	if err == nil {
		r.Stream = s.stream
	}
	return r, err
}
