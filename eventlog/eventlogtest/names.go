package eventlogtest

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
)

// streamNamesAreExactBytes: any UTF-8 name works and comes back exactly as
// given, and names are compared byte for byte: no Unicode normalisation,
// no case folding.
func (s *suite) streamNamesAreExactBytes(t *testing.T) {
	h := s.fresh(t)
	id := uuid.NewString()
	name := "eventlogtest-流-ストリーム-é-" + id // é precomposed, U+00E9
	events := newEvents("unicode", 3)
	sub := h.mustSubscribe(name, eventlog.Start)
	h.mustAppend(name, eventlog.NoStream, events...)

	assertEvents(t, name, 0, events, h.readAll(name), "read")
	assertEvents(t, name, 0, events, h.mustNext(sub, 0, len(events)), "subscription")
	_, err := h.append(h.ctx, name, eventlog.NoStream, newEvent("refused"))
	assertWrongExpected(t, err, name, eventlog.NoStream, eventlog.Exact(2), "append expecting NoStream")

	for _, other := range []struct{ why, name string }{
		{"decomposed é (e + U+0301)", "eventlogtest-流-ストリーム-e\u0301-" + id},
		{"upper case", strings.ToUpper(name)},
	} {
		require.NotEqual(t, name, other.name)
		_, err := h.read(h.ctx, other.name, eventlog.Start, eventlog.Forwards, 10)
		assert.ErrorIs(t, err, eventlog.ErrStreamNotFound, "the name with %s is another stream", other.why)
	}
}

// longestStreamNameWorks: a name of exactly eventlog.NameLimit(log) bytes
// (MaxStreamNameLen, unless the log says less) names a stream like any
// other.
func (s *suite) longestStreamNameWorks(t *testing.T) {
	h := s.fresh(t)
	name := h.stream("longest") + "-"
	limit := eventlog.NameLimit(h.log)
	name += strings.Repeat("x", limit-len(name))
	require.Len(t, name, limit)
	events := newEvents("longest", 2)
	h.mustAppend(name, eventlog.NoStream, events...)
	assertEvents(t, name, 0, events, h.readAll(name), "read")
	assertEvents(t, name, 0, events, h.mustNext(h.mustSubscribe(name, eventlog.Start), 0, 2), "subscription")
}

// prefixIsInvisible: through eventlog.WithPrefix, streams round-trip
// under their unprefixed names (Recorded.Stream and
// WrongExpectedRevisionError.Stream included), live in the underlying log
// under prefix+name, and are not there under the bare name. The view is
// a Deleter exactly when the log is.
func (s *suite) prefixIsInvisible(t *testing.T) {
	h := s.fresh(t)
	prefix := "eventlogtest-prefix-" + uuid.NewString() + "/"
	p := h.with(eventlog.WithPrefix(h.log, prefix))
	stream := h.stream("prefixed")
	events := newEvents("prefixed", 3)

	sub := p.mustSubscribe(stream, eventlog.Start)
	res := p.mustAppend(stream, eventlog.NoStream, events...)
	assert.Equal(t, eventlog.Revision(2), res.NextExpected)
	assertEvents(t, stream, 0, events, p.readAll(stream), "read through the prefix")
	assertEvents(t, stream, 0, events, h.mustNext(sub, 0, len(events)), "subscription through the prefix")
	backwards := p.mustRead(stream, eventlog.End, eventlog.Backwards, 1)
	require.Len(t, backwards, 1)
	assert.Equal(t, stream, backwards[0].Stream, "read backwards through the prefix")

	assertEvents(t, prefix+stream, 0, events, h.readAll(prefix+stream), "read of prefix+name in the underlying log")
	_, err := h.read(h.ctx, stream, eventlog.Start, eventlog.Forwards, 10)
	assert.ErrorIs(t, err, eventlog.ErrStreamNotFound, "the bare name in the underlying log")

	_, err = p.append(h.ctx, stream, eventlog.NoStream, newEvent("refused"))
	assertWrongExpected(t, err, stream, eventlog.NoStream, eventlog.Exact(2), "append through the prefix expecting NoStream")
	_, err = h.append(h.ctx, prefix+stream, eventlog.NoStream, newEvent("refused"))
	assertWrongExpected(t, err, prefix+stream, eventlog.NoStream, eventlog.Exact(2), "append to prefix+name expecting NoStream")

	_, logDeletes := h.log.(eventlog.Deleter)
	_, viewDeletes := p.log.(eventlog.Deleter)
	assert.Equal(t, logDeletes, viewDeletes, "WithPrefix must keep the Deleter capability, no more, no less")
}
