package events

// Exported for the tests of package events_test only.
var (
	DecodeData = decodeData // Decode without the ID check
	EventID    = eventID    // the ID Encode gives a payload
)
