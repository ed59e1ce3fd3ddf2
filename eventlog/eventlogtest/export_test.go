package eventlogtest

import (
	"testing"
	"time"

	"github.com/eventchain/eventchain/eventlog"
)

// SetWatchdog shortens the watchdog, for the tests that show it turns a
// hang into a failure without waiting half a minute.
func SetWatchdog(limit, grace time.Duration) { watchdog, hangGrace = limit, grace }

// RunWithoutAny runs the cases of Run that append no new events with Any
// or StreamExists: those a log that duplicates such appends, as
// Duplicating's does, must pass all the same.
func RunWithoutAny(t *testing.T, newLog func(t *testing.T) eventlog.Log) {
	s := &suite{newLog: newLog}
	for _, c := range cases {
		if !c.appendsAny {
			t.Run(c.name, func(t *testing.T) { c.run(s, t) })
		}
	}
}
