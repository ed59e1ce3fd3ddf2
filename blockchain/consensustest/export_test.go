package consensustest

import "time"

// SetWatchdog makes the suite give up on a step after d rather than the
// watchdog's 30 seconds, until restore is called: a test of the suite on
// an engine that hangs then takes seconds, not minutes.
func SetWatchdog(d time.Duration) (restore func()) {
	old := watchdog
	watchdog = d
	return func() { watchdog = old }
}
