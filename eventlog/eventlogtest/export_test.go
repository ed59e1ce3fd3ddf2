package eventlogtest

import "time"

// SetWatchdog shortens the watchdog, for the tests that show it turns a
// hang into a failure without waiting half a minute.
func SetWatchdog(limit, grace time.Duration) { watchdog, hangGrace = limit, grace }
