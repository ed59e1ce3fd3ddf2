package bankclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Defaults of Poll.
const (
	DefaultPollInitial = 250 * time.Millisecond
	DefaultPollMax     = 5 * time.Second
)

// Poll says how WaitIncluded paces its requests: it waits Initial after
// the first, then twice as long after each next one, up to Max (an
// exponential backoff, so a transaction that takes long does not cost
// the bank a request every quarter second).
type Poll struct {
	// Initial is the first pause; 0 means DefaultPollInitial.
	Initial time.Duration
	// Max bounds every pause; 0 means DefaultPollMax.
	Max time.Duration
	// After is the clock: it returns a channel that receives once d has
	// passed. nil means time.After. Tests give a clock they drive
	// themselves, so no test waits for real time.
	After func(d time.Duration) <-chan time.Time
}

// withDefaults fills the zero fields of p.
func (p Poll) withDefaults() Poll {
	if p.Initial <= 0 {
		p.Initial = DefaultPollInitial
	}
	if p.Max <= 0 {
		p.Max = DefaultPollMax
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.After == nil {
		p.After = time.After
	}
	return p
}

// WithPoll returns a copy of c whose WaitIncluded paces itself by p.
// c itself is unchanged.
func (c *Client) WithPoll(p Poll) *Client {
	cp := *c
	cp.poll = p
	return &cp
}

// WaitIncluded polls the status of transaction id (GET
// /transactions/{id}) until it is final — included in a block, or dropped
// — and returns that status; a dropped transaction is not an error: its
// Status says why (Reason, Rule). progress, if not nil, is called with
// every status read, the final one included, in the calling goroutine.
//
// Between two polls it pauses as WithPoll set (by default 250 ms, doubling
// up to 5 s); an answer with Retry-After makes it pause at least that long,
// up to the maximum. A retryable failure (IsRetryable: the bank restarting,
// unreachable for a moment) is waited out like a pending status; any other
// error — a 404 for a transaction the bank does not know, a malformed
// answer — ends the wait and is returned. When ctx ends it returns the
// last status read (the zero Status if none) and ctx.Err(), wrapped with
// the last poll's error if that poll failed (errors.Is(err, ErrNoAnswer)
// then says the bank was not answering).
func (c *Client) WaitIncluded(ctx context.Context, id uuid.UUID, progress func(Status)) (Status, error) {
	p := c.poll.withDefaults()
	var last Status
	var lastErr error // the last finished poll's retryable error, nil after an answer
	ended := func() error {
		if lastErr != nil {
			return fmt.Errorf("%w, the last poll failing: %w", ctx.Err(), lastErr)
		}
		return ctx.Err()
	}
	pause := p.Initial
	for {
		st, err := c.Status(ctx, id)
		switch {
		case ctx.Err() != nil: // this poll was cut short: the one before says how the bank was
			return last, ended()
		case err == nil:
			lastErr = nil
			last = st
			if progress != nil {
				progress(st)
			}
			if st.State.Final() {
				return st, nil
			}
		case !IsRetryable(err):
			return last, fmt.Errorf("wait for %s: %w", id, err)
		default:
			lastErr = err
		}
		wait := pause
		if pe := (*ProblemError)(nil); errors.As(err, &pe) && pe.RetryAfter > wait {
			wait = min(pe.RetryAfter, p.Max)
		}
		select {
		case <-ctx.Done():
			return last, ended()
		case <-p.After(wait):
		}
		pause = min(2*pause, p.Max)
	}
}
