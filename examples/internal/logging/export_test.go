package logging

import (
	"testing"
	"time"
)

// SetOpenFlushTimeout makes OpenGELF's TCP handlers flush for up to d on
// close, until tb ends. A test that is not about the flush timeout gives
// the writer's goroutine more than DefaultFlushTimeout: on a loaded
// machine it may not be run for 2 s, and Close would time out.
func SetOpenFlushTimeout(tb testing.TB, d time.Duration) {
	before := openFlushTimeout
	openFlushTimeout = d
	tb.Cleanup(func() { openFlushTimeout = before })
}
