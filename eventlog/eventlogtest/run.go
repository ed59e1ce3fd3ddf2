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
	// appendsAny says that the case appends new events with Any or
	// StreamExists and counts what is stored: a log that stores such an
	// append twice, as Duplicating's may, fails it by design.
	appendsAny bool
}

// cases lists the suite in the order Run runs it. Cases that are tables
// run each row as a subtest of its own, each with a fresh log.
var cases = []testCase{
	// Appending.
	{"RevisionsFollowAppendOrder", (*suite).revisionsFollowAppendOrder, true},
	{"ExpectationsThatHoldAppend", (*suite).expectationsThatHoldAppend, true},
	{"ExpectationsThatFailChangeNothing", (*suite).expectationsThatFailChangeNothing, false},
	{"ReappendWithExactIsANoOp", (*suite).reappendWithExactIsANoOp, false},
	{"ReappendWithAnyIsANoOpOrStoredAgain", (*suite).reappendWithAnyIsANoOpOrStoredAgain, true},
	{"ReappendWithExactAndOtherIDsFails", (*suite).reappendWithExactAndOtherIDsFails, false},
	{"ReappendWithAnyAndOtherIDsFailsOrIsNew", (*suite).reappendWithAnyAndOtherIDsFailsOrIsNew, true},
	{"AnyRetryInAnotherStreamIsNew", (*suite).anyRetryInAnotherStreamIsNew, true},
	{"InvalidArgumentsAreRefused", (*suite).invalidArgumentsAreRefused, false},
	{"AppendSizeIsLimited", (*suite).appendSizeIsLimited, false},
	{"LogKeepsItsOwnCopies", (*suite).logKeepsItsOwnCopies, false},

	// Reading.
	{"ReadWindows", (*suite).readWindows, false},
	{"RecordedFieldsRoundTrip", (*suite).recordedFieldsRoundTrip, false},
	{"ReadOfMissingStreamIsNotFound", (*suite).readOfMissingStreamIsNotFound, false},
	{"StreamsAreSeparate", (*suite).streamsAreSeparate, true},

	// Stream names.
	{"StreamNamesAreExactBytes", (*suite).streamNamesAreExactBytes, false},
	{"LongestStreamNameWorks", (*suite).longestStreamNameWorks, false},
	{"PrefixIsInvisible", (*suite).prefixIsInvisible, false},

	// Subscribing.
	{"SubscribeDeliversInOrder", (*suite).subscribeDeliversInOrder, true},
	{"SubscribeFromEndWhileAppending", (*suite).subscribeFromEndWhileAppending, true},
	{"SlowReaderLosesNothing", (*suite).slowReaderLosesNothing, true},
	{"SubscriptionOutlivesSubscribeContext", (*suite).subscriptionOutlivesSubscribeContext, false},
	{"SubscribedStreamIsStillNew", (*suite).subscribedStreamIsStillNew, false},

	// Concurrency.
	{"ExactRaceHasOneWinnerPerRevision", (*suite).exactRaceHasOneWinnerPerRevision, false},
	{"ConcurrentAppendsAreAtomicAndAgreed", (*suite).concurrentAppendsAreAtomicAndAgreed, true},

	// Contexts and closing.
	{"NextHonoursItsContext", (*suite).nextHonoursItsContext, false},
	{"DoneContextChangesNothing", (*suite).doneContextChangesNothing, false},
	{"SubscriptionCloseEndsNext", (*suite).subscriptionCloseEndsNext, false},
	{"LogCloseEndsEverything", (*suite).logCloseEndsEverything, false},

	// The optional Deleter.
	{"DeleteChecksExpectation", (*suite).deleteChecksExpectation, false},
	{"DeletedStreamRefusesEverything", (*suite).deletedStreamRefusesEverything, false},
	{"DeleteEndsSubscriptions", (*suite).deleteEndsSubscriptions, false},
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
