package app

import "time"

// SetSlowLogAfter sets how long Join waits for the event log before it
// says so, until the returned function puts the default back.
func SetSlowLogAfter(d time.Duration) (restore func()) {
	old := slowLogAfter
	slowLogAfter = d
	return func() { slowLogAfter = old }
}
