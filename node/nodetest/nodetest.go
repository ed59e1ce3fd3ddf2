// Package nodetest helps tests that run nodes: waiting, without sleeping,
// until a node has caught up with something.
package nodetest

import (
	"testing"
	"time"
)

// Watchdog is how long WaitFor waits before it fails the test.
const Watchdog = 60 * time.Second

// A Changer signals each change of its state by closing the channel
// Changed returned before it: a *node.Node is one, and so is a test's
// fake of one.
type Changer interface {
	Changed() <-chan struct{}
}

// WaitFor returns once cond holds for n. It checks cond, then waits on the
// node's change signal (taken before the check, so no change is missed)
// and checks again; it never polls and never sleeps. If cond does not hold
// within Watchdog, the test fails with "waited … for what".
func WaitFor(tb testing.TB, n Changer, what string, cond func() bool) {
	tb.Helper()
	deadline := time.NewTimer(Watchdog)
	defer deadline.Stop()
	for {
		changed := n.Changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("waited %v for %s", Watchdog, what)
		}
	}
}
