package events

// Exported for the tests of package events_test only.
var (
	DecodeData = decodeData // Decode without the ID check
	EventID    = eventID    // the ID Encode gives a payload
)

// The two ways splitObject reads an object, for the fuzz test that
// compares them.
var (
	QuickSplit  = quickSplit
	SplitTokens = splitTokens
	PlainText   = plainText
)
