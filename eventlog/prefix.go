package eventlog

import (
	"context"
	"errors"
)

// WithPrefix returns a Log that keeps each stream s of its callers as
// prefix+s in log, so that many demos, classes or test runs can share one
// EventStoreDB without seeing each other's streams. Callers never see the
// prefix: they name streams without it, and Recorded.Stream comes back
// without it. If log is a Deleter, so is the result. Close closes log.
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

func (p prefixed) Append(ctx context.Context, stream string, expected Expected, events ...Event) (AppendResult, error) {
	if err := CheckStreamName(stream); err != nil {
		return AppendResult{}, err
	}
	res, err := p.log.Append(ctx, p.prefix+stream, expected, events...)
	var wrong *WrongExpectedRevisionError
	if errors.As(err, &wrong) && wrong.Stream == p.prefix+stream {
		unprefixed := *wrong
		unprefixed.Stream = stream
		return res, &unprefixed
	}
	return res, err
}

func (p prefixed) Read(ctx context.Context, stream string, from Revision, dir Direction, max int) ([]Recorded, error) {
	if err := CheckStreamName(stream); err != nil {
		return nil, err
	}
	recs, err := p.log.Read(ctx, p.prefix+stream, from, dir, max)
	for i := range recs {
		recs[i].Stream = stream
	}
	return recs, err
}

func (p prefixed) Subscribe(ctx context.Context, stream string, from Revision) (Subscription, error) {
	if err := CheckStreamName(stream); err != nil {
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
	if err := CheckStreamName(stream); err != nil {
		return err
	}
	return p.d.Delete(ctx, p.prefix+stream, expected)
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
