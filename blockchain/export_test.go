package blockchain

// DecodesToSmallOrder exports decodesToSmallOrder, IsSmallOrder done the
// slow way, for the tests that check the table against it.
var DecodesToSmallOrder = decodesToSmallOrder
