package esdb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/eventchain/eventchain/eventlog"
)

func TestBackoffIsCappedExponential(t *testing.T) {
	p := Policy{ReconnectMin: 100 * time.Millisecond, ReconnectMax: time.Second}.withDefaults()
	var have []time.Duration
	for attempt := range 7 {
		have = append(have, p.backoff(attempt))
	}
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{0, 100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}, have)
}

func TestPolicyDefaults(t *testing.T) {
	assert.Equal(t, DefaultPolicy(), Policy{}.withDefaults())
	p := Policy{ReconnectMin: time.Minute}.withDefaults()
	assert.Equal(t, time.Minute, p.ReconnectMax, "the cap is never below the first wait")
}

// TestParseActual reads the current revision from the texts of client
// v4.2.0 (appends) and of a real node (deletes).
func TestParseActual(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  string
		want eventlog.Expected
		ok   bool
	}{
		{"AppendRevision", "[ErrorCodeWrongExpectedVersion] ...: wrong expected version: expecting '0' but got '41'", eventlog.Exact(41), true},
		{"AppendNoStream", "wrong expected version: expecting 'stream_exists' but got 'no_stream'", eventlog.NoStream, true},
		{"AppendNothing", "wrong expected version", 0, false},
		{"DeleteRevision", "Delete failed due to WrongExpectedVersion. Stream: s, Expected version: 7, Actual version: 2", eventlog.Exact(2), true},
		{"DeleteNoStream", "Delete failed due to WrongExpectedVersion. Stream: s, Expected version: 0, Actual version: -1", eventlog.NoStream, true},
		{"DeleteStreamNamedLikeTheMessage", "Stream: a, Actual version: 9, Expected version: 0, Actual version: 3", eventlog.Exact(3), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := gotRevision
			if tc.name[:6] == "Delete" {
				re = actualVersion
			}
			have, ok := parseActual(re, tc.msg)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, have)
		})
	}
}

// TestCutShort: a client is closed after a call only if the call ended
// before its answer came; one whose answer came is kept, also when the
// caller's context ended just as it returned.
func TestCutShort(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithTimeout(context.Background(), -time.Second) // its deadline passed
	defer cancel()
	cancelled, cancelIt := context.WithCancel(context.Background())
	cancelIt()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"succeeded", live, nil, false},
		{"succeeded as its context ended", ended, nil, false},
		{"failed as its deadline passed", ended, context.DeadlineExceeded, true},
		// A caller that gave up (a bank's client hung up) says nothing of
		// the connection: were it closed, anyone who can start requests
		// and abandon them could make the log's connections churn.
		{"failed as its caller cancelled it", cancelled, context.Canceled, false},
		{"failed otherwise", live, errors.New("refused"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, cutShort(tc.ctx, tc.err))
		})
	}
}
