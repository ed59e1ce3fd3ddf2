package app

import (
	"context"
	"time"
)

// SetSlowLogAfter sets how long Join waits for the event log before it
// says so, until the returned function puts the default back.
func SetSlowLogAfter(d time.Duration) (restore func()) {
	old := slowLogAfter
	slowLogAfter = d
	return func() { slowLogAfter = old }
}

// WithWork returns p doing work instead of its own.
func WithWork(p Participant, work func(ctx context.Context) error) Participant {
	p.work = work
	return p
}
