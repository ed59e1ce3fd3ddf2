package eventlogtest

import (
	"testing"

	"github.com/eventchain/eventchain/eventlog"
)

// suite is what every case gets: the way to a fresh log.
type suite struct {
	newLog func(*testing.T) eventlog.Log
}

// A testCase is one rule of the contract, checked by run; its name says
// the rule.
type testCase struct {
	name string
	run  func(*suite, *testing.T)
}

// cases lists the suite in the order Run runs it. Cases that are tables
// run each row as a subtest of its own, each with a fresh log.
var cases = []testCase{
	// Appending.
	{"RevisionsFollowAppendOrder", (*suite).revisionsFollowAppendOrder},
	{"ExpectationsThatHoldAppend", (*suite).expectationsThatHoldAppend},
	{"ExpectationsThatFailChangeNothing", (*suite).expectationsThatFailChangeNothing},
	{"ReappendIsANoOp", (*suite).reappendIsANoOp},
	{"ReappendWithOtherIDsFails", (*suite).reappendWithOtherIDsFails},
	{"InvalidArgumentsAreRefused", (*suite).invalidArgumentsAreRefused},
	{"AppendSizeIsLimited", (*suite).appendSizeIsLimited},
	{"LogKeepsItsOwnCopies", (*suite).logKeepsItsOwnCopies},

	// Reading.
	{"ReadWindows", (*suite).readWindows},
	{"RecordedFieldsRoundTrip", (*suite).recordedFieldsRoundTrip},
	{"ReadOfMissingStreamIsNotFound", (*suite).readOfMissingStreamIsNotFound},
	{"StreamsAreSeparate", (*suite).streamsAreSeparate},

	// Stream names.
	{"StreamNamesAreExactBytes", (*suite).streamNamesAreExactBytes},
	{"LongestStreamNameWorks", (*suite).longestStreamNameWorks},
	{"PrefixIsInvisible", (*suite).prefixIsInvisible},

	// Subscribing.
	{"SubscribeDeliversInOrder", (*suite).subscribeDeliversInOrder},
	{"SubscribeFromEndWhileAppending", (*suite).subscribeFromEndWhileAppending},
	{"SlowReaderLosesNothing", (*suite).slowReaderLosesNothing},
	{"SubscriptionOutlivesSubscribeContext", (*suite).subscriptionOutlivesSubscribeContext},

	// Concurrency.
	{"ExactRaceHasOneWinnerPerRevision", (*suite).exactRaceHasOneWinnerPerRevision},
	{"ConcurrentAppendsAreAtomicAndAgreed", (*suite).concurrentAppendsAreAtomicAndAgreed},

	// Contexts and closing.
	{"NextHonoursItsContext", (*suite).nextHonoursItsContext},
	{"DoneContextChangesNothing", (*suite).doneContextChangesNothing},
	{"SubscriptionCloseEndsNext", (*suite).subscriptionCloseEndsNext},
	{"LogCloseEndsEverything", (*suite).logCloseEndsEverything},

	// The optional Deleter.
	{"DeleteChecksExpectation", (*suite).deleteChecksExpectation},
	{"DeletedStreamRefusesEverything", (*suite).deletedStreamRefusesEverything},
	{"DeleteEndsSubscriptions", (*suite).deleteEndsSubscriptions},
}

// Run checks that the logs newLog returns keep the [eventlog.Log]
// contract. Each rule is a subtest of its own, named for the rule, with a
// fresh log from newLog, which Run closes when the subtest ends; see the
// package documentation for the list.
//
// newLog may share one backend among its logs (one EventStoreDB server,
// say): every case uses stream names of its own, made unique with a
// random UUID, and never looks at other streams. newLog may call t.Skip
// or t.Fatal, and register clean-ups of its own.
func Run(t *testing.T, newLog func(t *testing.T) eventlog.Log) {
	s := &suite{newLog: newLog}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(s, t) })
	}
}
