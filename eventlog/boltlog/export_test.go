package boltlog

// SetQueueHook makes l call f each time a request is queued, with the
// number of requests then waiting. Call it before l is used.
func SetQueueHook(l *Log, f func(n int)) { l.onQueue = f }

// EncodeTombstone is encodeTombstone, for tests that forge a file.
var EncodeTombstone = encodeTombstone

// FillAhead is fillAhead: how far past its pages the committer keeps the
// file written.
var FillAhead = fillAhead

// Syncs reports whether l's bbolt commits fsync (bbolt's NoSync is off):
// what "acknowledged means on disk" rests on.
func Syncs(l *Log) bool { return !l.db.NoSync }
