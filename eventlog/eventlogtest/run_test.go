package eventlogtest_test

import (
	"testing"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
)

func TestRunOnReferenceLog(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log { return newRefLog() })
}

// TestRunOnForgetfulReferenceLog: a log that remembers no event IDs,
// and so stores again every re-append with Any or StreamExists, keeps the
// contract too.
func TestRunOnForgetfulReferenceLog(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log { return newForgetfulRefLog() })
}

// withoutDelete hides the Deleter capability of the log it wraps.
type withoutDelete struct{ eventlog.Log }

func TestRunOnLogWithoutDeleter(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log { return withoutDelete{newRefLog()} })
}
