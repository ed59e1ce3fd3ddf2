package miner

// MaxRepublish is maxRepublish, for the tests.
const MaxRepublish = maxRepublish
