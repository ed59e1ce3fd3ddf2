package eventlogtest_test

import (
	"testing"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
)

func TestRunOnReferenceLog(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log { return newRefLog() })
}

// withoutDelete hides the Deleter capability of the log it wraps.
type withoutDelete struct{ eventlog.Log }

func TestRunOnLogWithoutDeleter(t *testing.T) {
	eventlogtest.Run(t, func(*testing.T) eventlog.Log { return withoutDelete{newRefLog()} })
}
