package logging_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/Graylog2/go-gelf/gelf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/eventchain/eventchain/examples/internal/logging"
	"github.com/eventchain/eventchain/examples/internal/logging/gelftest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSlogtest runs the standard library's handler conformance suite. Each
// case's message is read back with gelftest.Fields, which rebuilds slog's
// nested groups from the flattened field names, so the suite checks what
// would arrive at the server, groups included.
func TestSlogtest(t *testing.T) {
	var (
		rec   *gelftest.Recorder
		start time.Time
	)
	slogtest.Run(t,
		func(t *testing.T) slog.Handler {
			rec = &gelftest.Recorder{}
			start = time.Now()
			// AddSource, so that the empty-PC case checks something.
			return logging.NewGELFHandler(rec, &logging.GELFOptions{Host: "test", AddSource: true})
		},
		func(t *testing.T) map[string]any {
			msgs := rec.Messages()
			require.Len(t, msgs, 1, "messages sent")
			fields, err := gelftest.Fields(msgs[0])
			require.NoError(t, err)
			if strings.HasSuffix(t.Name(), "/zero-time") {
				// Deliberate: GELF receivers disagree on a missing
				// timestamp, so a zero time is sent as the time of
				// sending. Check that, then drop the key as slog's rule
				// (ignore a zero time) expects.
				requireSendTime(t, msgs[0], start, time.Now())
				delete(fields, slog.TimeKey)
			}
			return fields
		})
}

// requireSendTime fails t unless m's timestamp lies within [from, to], to
// the microsecond GELF timestamps carry.
func requireSendTime(t testing.TB, m *gelf.Message, from, to time.Time) {
	t.Helper()
	lo := float64(from.Truncate(time.Microsecond).UnixMicro()) / 1e6
	hi := float64(to.Add(time.Microsecond).UnixMicro()) / 1e6
	require.GreaterOrEqual(t, m.TimeUnix, lo, "timestamp: have %f, want >= %f", m.TimeUnix, lo)
	require.LessOrEqual(t, m.TimeUnix, hi, "timestamp: have %f, want <= %f", m.TimeUnix, hi)
}

// logOne sends one record through a fresh handler and returns the message.
func logOne(t testing.TB, opts *logging.GELFOptions, log func(*slog.Logger)) *gelf.Message {
	t.Helper()
	rec := &gelftest.Recorder{}
	log(slog.New(logging.NewGELFHandler(rec, opts)))
	msgs := rec.Messages()
	require.Len(t, msgs, 1, "messages sent")
	return msgs[0]
}

type stringer struct{ s string }

func (s stringer) String() string { return "stringer:" + s.s }

type height uint32 // a named number, as slog.Any keeps it

type lazy struct{ v any }

func (l lazy) LogValue() slog.Value { return slog.AnyValue(l.v) }

type pair struct {
	A int
	B string
}

// TestFields: every attribute becomes exactly one additional field, named
// by its groups and key, with a GELF value.
func TestFields(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.UTC)
	for _, tc := range []struct {
		name string
		log  func(*slog.Logger)
		want map[string]any
	}{
		{
			name: "NumbersStayNumbers",
			log: func(l *slog.Logger) {
				l.Info("m", "int", 42, "neg", int64(-7), "uint", uint64(math.MaxUint64),
					"float", 1.5, "f32", float32(0.25), "named", height(9))
			},
			want: map[string]any{
				"_int": int64(42), "_neg": int64(-7), "_uint": uint64(math.MaxUint64),
				"_float": 1.5, "_f32": 0.25, "_named": uint64(9),
			},
		},
		{
			name: "NonFiniteFloatsAsStrings",
			log: func(l *slog.Logger) {
				l.Info("m", "nan", math.NaN(), "inf", math.Inf(1), "ninf", math.Inf(-1))
			},
			want: map[string]any{"_nan": "NaN", "_inf": "+Inf", "_ninf": "-Inf"},
		},
		{
			name: "OtherKindsAsStrings",
			log: func(l *slog.Logger) {
				l.Info("m", "s", "text", "yes", true, "no", false,
					"d", 1500*time.Millisecond, "t", when,
					"err", errors.New("bad bits"), "nilerr", error(nil), "nil", nil,
					"bytes", []byte("raw"), "str", stringer{"x"}, "struct", pair{1, "b"},
					"level", slog.LevelWarn)
			},
			want: map[string]any{
				"_s": "text", "_yes": "true", "_no": "false",
				"_d": "1.5s", "_t": "2026-01-02T03:04:05.678901234Z",
				"_err": "bad bits", "_nilerr": "<nil>", "_nil": "<nil>",
				"_bytes": "raw", "_str": "stringer:x", "_struct": "{A:1 B:b}",
				"_level": "WARN",
			},
		},
		{
			name: "LogValuerResolved",
			log: func(l *slog.Logger) {
				l.With("w", lazy{lazy{"deep"}}).Info("m", "k", lazy{7}, slog.Group("g", "k", lazy{"v"}))
			},
			want: map[string]any{"_w": "deep", "_k": int64(7), "_g.k": "v"},
		},
		{
			name: "GroupsFlattenedWithDots",
			log: func(l *slog.Logger) {
				l.With("chain", "main").WithGroup("block").With("height", 42).
					WithGroup("pow").Info("m", "nonce", 7, slog.Group("target", "bits", 20))
			},
			want: map[string]any{
				"_chain": "main", "_block.height": int64(42),
				"_block.pow.nonce": int64(7), "_block.pow.target.bits": int64(20),
			},
		},
		{
			name: "EmptyAttrIgnored",
			log:  func(l *slog.Logger) { l.Info("m", "a", "b", "", nil, "c", "d") },
			want: map[string]any{"_a": "b", "_c": "d"},
		},
		{
			name: "EmptyGroupsOmitted",
			log: func(l *slog.Logger) {
				l.Info("m", "a", 1, slog.Group("G"), slog.Group("H", slog.Group("I")), slog.Group("J", "", nil))
			},
			want: map[string]any{"_a": int64(1)},
		},
		{
			name: "InlineGroup",
			log:  func(l *slog.Logger) { l.WithGroup("G").Info("m", slog.Group("", "c", "d")) },
			want: map[string]any{"_G.c": "d"},
		},
		{
			name: "WithGroupWithoutAttrsOmitted",
			log:  func(l *slog.Logger) { l.With("a", 1).WithGroup("G").WithGroup("H").Info("m") },
			want: map[string]any{"_a": int64(1)},
		},
		{
			name: "EmptyWithGroupNameIgnored",
			log:  func(l *slog.Logger) { l.WithGroup("").Info("m", "a", 1) },
			want: map[string]any{"_a": int64(1)},
		},
		{
			name: "IDRenamed",
			log:  func(l *slog.Logger) { l.Info("m", "id", "x", slog.Group("tx", "id", "y")) },
			want: map[string]any{"_id_": "x", "_tx.id": "y"},
		},
		{
			name: "NamesSanitized",
			log: func(l *slog.Logger) {
				l.WithGroup("my group").Info("m", "tx id", 1, "a/b:c", 2, "né", 3, "", 4, "ok_.-9", 5)
			},
			want: map[string]any{
				"_my_group.tx_id": int64(1), "_my_group.a_b_c": int64(2),
				"_my_group.n_": int64(3), "_my_group._": int64(4), "_my_group.ok_.-9": int64(5),
			},
		},
		{
			name: "LaterAttrWins",
			log:  func(l *slog.Logger) { l.With("k", "with").Info("m", "k", "call") },
			want: map[string]any{"_k": "call"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := logOne(t, &logging.GELFOptions{Host: "h"}, tc.log)
			assert.Equal(t, tc.want, m.Extra)
		})
	}
}

// TestStandardFields: version, host, facility, short message, level and
// timestamp come from the options and the record.
func TestStandardFields(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
	rec := &gelftest.Recorder{}
	h := logging.NewGELFHandler(rec, &logging.GELFOptions{Host: "node-1", Facility: "miner", Level: slog.LevelDebug})
	r := slog.NewRecord(when, slog.LevelWarn, "block rejected", 0)
	require.NoError(t, h.Handle(context.Background(), r))

	msgs := rec.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, "1.1", m.Version)
	assert.Equal(t, "node-1", m.Host)
	assert.Equal(t, "miner", m.Facility)
	assert.Equal(t, "block rejected", m.Short)
	assert.Empty(t, m.Full)
	assert.Equal(t, int32(gelf.LOG_WARNING), m.Level)
	assert.InDelta(t, float64(when.UnixMicro())/1e6, m.TimeUnix, 1e-6)
	assert.Empty(t, m.Extra)
}

// TestDefaults: with nil options, the host is the machine's name, the
// facility DefaultFacility and the level Info.
func TestDefaults(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)
	rec := &gelftest.Recorder{}
	l := slog.New(logging.NewGELFHandler(rec, nil))
	l.Debug("hidden")
	l.Info("shown")
	msgs := rec.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, host, msgs[0].Host)
	assert.Equal(t, logging.DefaultFacility, msgs[0].Facility)
	assert.Equal(t, "shown", msgs[0].Short)
}

// TestEmptyMessage: GELF requires a short message and Graylog refuses a
// blank one, so an empty or blank message is replaced.
func TestEmptyMessage(t *testing.T) {
	for _, msg := range []string{"", " \t\n"} {
		m := logOne(t, nil, func(l *slog.Logger) { l.Info(msg, "k", 1) })
		assert.Equal(t, "(no message)", m.Short, "message %q", msg)
	}
}

// TestZeroTime: a record without a time is stamped with the time it is
// sent, not with 0 (which some receivers read as 1970).
func TestZeroTime(t *testing.T) {
	rec := &gelftest.Recorder{}
	h := logging.NewGELFHandler(rec, nil)
	from := time.Now()
	require.NoError(t, h.Handle(context.Background(), slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)))
	to := time.Now()
	msgs := rec.Messages()
	require.Len(t, msgs, 1)
	requireSendTime(t, msgs[0], from, to)
}

// TestSyslogLevel walks the table of the package documentation.
func TestSyslogLevel(t *testing.T) {
	for _, tc := range []struct {
		level slog.Level
		want  int32
	}{
		{slog.LevelDebug - 4, gelf.LOG_DEBUG},
		{slog.LevelDebug, gelf.LOG_DEBUG},
		{slog.LevelDebug + 3, gelf.LOG_DEBUG},
		{slog.LevelInfo, gelf.LOG_INFO},
		{slog.LevelInfo + 1, gelf.LOG_INFO},
		{slog.LevelInfo + 2, gelf.LOG_NOTICE},
		{slog.LevelInfo + 3, gelf.LOG_NOTICE},
		{slog.LevelWarn, gelf.LOG_WARNING},
		{slog.LevelWarn + 3, gelf.LOG_WARNING},
		{slog.LevelError, gelf.LOG_ERR},
		{slog.LevelError + 3, gelf.LOG_ERR},
		{slog.LevelError + 4, gelf.LOG_CRIT},
		{slog.LevelError + 7, gelf.LOG_CRIT},
		{slog.LevelError + 8, gelf.LOG_ALERT},
		{slog.LevelError + 100, gelf.LOG_ALERT},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			assert.Equal(t, tc.want, logging.SyslogLevel(tc.level), "SyslogLevel")
			m := logOne(t, &logging.GELFOptions{Level: slog.LevelDebug - 10}, func(l *slog.Logger) {
				l.Log(context.Background(), tc.level, "m")
			})
			assert.Equal(t, tc.want, m.Level, "message level")
		})
	}
}

// TestEnabled: records below the level are not sent, and a LevelVar
// changes the level while the handler is in use.
func TestEnabled(t *testing.T) {
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	rec := &gelftest.Recorder{}
	l := slog.New(logging.NewGELFHandler(rec, &logging.GELFOptions{Level: &lv})).With("a", 1).WithGroup("g")
	l.Info("dropped")
	l.Warn("kept 1")
	lv.Set(slog.LevelDebug)
	l.Debug("kept 2")
	var shorts []string
	for _, m := range rec.Messages() {
		shorts = append(shorts, m.Short)
	}
	assert.Equal(t, []string{"kept 1", "kept 2"}, shorts)
}

// TestAddSource: the caller's location, as three fields of the group
// "source", only when asked for.
func TestAddSource(t *testing.T) {
	m := logOne(t, &logging.GELFOptions{AddSource: true}, func(l *slog.Logger) { l.Info("m") })
	assert.Contains(t, m.Extra["_source.function"], "TestAddSource")
	assert.Contains(t, m.Extra["_source.file"], "handler_test.go")
	assert.IsType(t, 0, m.Extra["_source.line"])
	assert.Positive(t, m.Extra["_source.line"])

	m = logOne(t, nil, func(l *slog.Logger) { l.Info("m") })
	assert.Empty(t, m.Extra)
}

// TestClonesIndependent: WithAttrs and WithGroup leave the handler they
// are called on unchanged, and sibling clones do not share attributes.
func TestClonesIndependent(t *testing.T) {
	rec := &gelftest.Recorder{}
	base := slog.New(logging.NewGELFHandler(rec, nil)).With("base", 1)
	a := base.With("a", 1)
	b := base.With("b", 2)
	g := base.WithGroup("g")
	for _, l := range []*slog.Logger{base, a, b, g} {
		l.Info("m", "k", 0)
	}
	msgs := rec.Messages()
	require.Len(t, msgs, 4)
	assert.Equal(t, map[string]any{"_base": int64(1), "_k": int64(0)}, msgs[0].Extra, "base")
	assert.Equal(t, map[string]any{"_base": int64(1), "_a": int64(1), "_k": int64(0)}, msgs[1].Extra, "a")
	assert.Equal(t, map[string]any{"_base": int64(1), "_b": int64(2), "_k": int64(0)}, msgs[2].Extra, "b")
	assert.Equal(t, map[string]any{"_base": int64(1), "_g.k": int64(0)}, msgs[3].Extra, "g")
}

// failingWriter returns its error for every message.
type failingWriter struct{ err error }

func (w failingWriter) WriteMessage(*gelf.Message) error { return w.err }

// TestHandleReturnsWriterError: Handle wraps the writer's error.
func TestHandleReturnsWriterError(t *testing.T) {
	errDown := errors.New("server down")
	h := logging.NewGELFHandler(failingWriter{errDown}, nil)
	err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0))
	require.ErrorIs(t, err, errDown)
}

// TestNilWriterPanics: a nil writer is a programming error.
func TestNilWriterPanics(t *testing.T) {
	assert.PanicsWithValue(t, "logging: NewGELFHandler with a nil GELFWriter", func() {
		logging.NewGELFHandler(nil, nil)
	})
}

// exclusiveWriter records messages and counts the calls that overlapped
// another call.
type exclusiveWriter struct {
	gelftest.Recorder
	inside, overlaps atomic.Int32
}

func (w *exclusiveWriter) WriteMessage(m *gelf.Message) error {
	if w.inside.Add(1) > 1 {
		w.overlaps.Add(1)
	}
	defer w.inside.Add(-1)
	return w.Recorder.WriteMessage(m)
}

// TestConcurrentUse: a handler and its clones, used from many goroutines,
// deliver every message and call the writer one at a time.
func TestConcurrentUse(t *testing.T) {
	const goroutines, each = 8, 200
	w := &exclusiveWriter{}
	base := slog.New(logging.NewGELFHandler(w, nil))
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			l := base.With("worker", i).WithGroup(fmt.Sprintf("g%d", i))
			for j := range each {
				l.Info("m", "j", j)
			}
		})
	}
	wg.Wait()
	assert.Len(t, w.Messages(), goroutines*each)
	assert.Zero(t, w.overlaps.Load(), "overlapping WriteMessage calls")
}

// TestLongValuesCut: a string longer than MaxValueBytes, in a field or as
// the message, is cut at a character boundary and says how much was cut;
// one that fits is sent whole.
func TestLongValuesCut(t *testing.T) {
	const max = logging.MaxValueBytes
	for _, tc := range []struct {
		name  string
		value string
		want  string
	}{
		{"short", "abc", "abc"},
		{"exactly the limit", strings.Repeat("a", max), strings.Repeat("a", max)},
		{"one byte over", strings.Repeat("a", max+1), strings.Repeat("a", max) + " …[1 bytes cut]"},
		{"far over", strings.Repeat("b", 400_000), strings.Repeat("b", max) + " …[" + strconv.Itoa(400_000-max) + " bytes cut]"},
		// "é" is two bytes; the limit falls inside the last one that
		// would fit, which is cut whole.
		{"a character across the limit", strings.Repeat("a", max-1) + "éz", strings.Repeat("a", max-1) + " …[3 bytes cut]"},
		{"a four-byte character across the limit", strings.Repeat("a", max-1) + "😀", strings.Repeat("a", max-1) + " …[4 bytes cut]"},
		// Not UTF-8 at all: each byte is sent as U+FFFD, as the JSON
		// encoder would send it, and counts as the three bytes the
		// server receives.
		{"bytes that continue no character", strings.Repeat("\x80", max+10), strings.Repeat("\uFFFD", max/3) + " …[" + strconv.Itoa(max+10-max/3) + " bytes cut]"},
		{"bytes not UTF-8 under the limit, over it once sent", strings.Repeat("\xff", max/2), strings.Repeat("\uFFFD", max/3) + " …[" + strconv.Itoa(max/2-max/3) + " bytes cut]"},
		{"a few bytes not UTF-8", "a\xffb", "a\uFFFDb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := logOne(t, nil, func(l *slog.Logger) {
				l.With("with", tc.value).Info(tc.value, "attr", tc.value, "err", errors.New(tc.value))
			})
			assert.Equal(t, tc.want, m.Short, "short_message")
			for _, name := range []string{"_with", "_attr", "_err"} {
				assert.Equal(t, tc.want, m.Extra[name], "field %s", name)
				// What the server stores, once the JSON is decoded, fits.
				sent, err := json.Marshal(m.Extra[name])
				require.NoError(t, err)
				var stored string
				require.NoError(t, json.Unmarshal(sent, &stored))
				kept, _, _ := strings.Cut(stored, " …[")
				assert.LessOrEqual(t, len(kept), max, "field %s as stored", name)
			}
		})
	}
}

// TestCutLongValues: through the standard library's text and JSON
// handlers, CutLongValues cuts a long message, string and error as the
// GELF handler does, and leaves values that fit, and values of other
// kinds, as they are.
func TestCutLongValues(t *testing.T) {
	const max = logging.MaxValueBytes
	long := strings.Repeat("x", 300_000)
	errText := fmt.Sprintf("event type %q: unknown", long)
	cutTo := func(s string) string { return s[:max] + " …[" + strconv.Itoa(len(s)-max) + " bytes cut]" }
	for _, tc := range []struct {
		name string
		log  func(*slog.Logger)
		want map[string]any // members of the JSON line
	}{
		{"a long message", func(l *slog.Logger) { l.Info(long) }, map[string]any{"msg": cutTo(long)}},
		{"a long string", func(l *slog.Logger) { l.Info("m", "type", long) }, map[string]any{"msg": "m", "type": cutTo(long)}},
		{"a long error", func(l *slog.Logger) { l.Info("m", "err", errors.New(errText)) }, map[string]any{"msg": "m", "err": cutTo(errText)}},
		{"a long string in a group", func(l *slog.Logger) { l.WithGroup("g").Info("m", "s", long) },
			map[string]any{"msg": "m", "g": map[string]any{"s": cutTo(long)}}},
		{"short values", func(l *slog.Logger) { l.Info("m", "s", "abc", "err", errors.New("e"), "n", 7) },
			map[string]any{"msg": "m", "s": "abc", "err": "e", "n": float64(7)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var js, text strings.Builder
			opts := &slog.HandlerOptions{ReplaceAttr: logging.CutLongValues}
			tc.log(slog.New(slog.NewJSONHandler(&js, opts)))
			tc.log(slog.New(slog.NewTextHandler(&text, opts)))

			var line map[string]any
			require.NoError(t, json.Unmarshal([]byte(js.String()), &line))
			for k, want := range tc.want {
				// Compared whole, but not printed whole on failure.
				assert.True(t, assert.ObjectsAreEqual(want, line[k]), "member %s: have %.80q…", k, fmt.Sprint(line[k]))
			}
			assert.Less(t, text.Len(), max+200, "the text line")
		})
	}
}

// nilDerefError is an error whose Error method reads through its
// receiver, as most do: a nil *nilDerefError panics in it.
type nilDerefError struct{ msg string }

func (e *nilDerefError) Error() string { return e.msg }

// panickyError is an error whose Error method panics.
type panickyError struct{}

func (panickyError) Error() string { panic("no message") }

// TestCutLongValuesSurvivesBrokenErrors: slog's text and JSON handlers
// print a nil *T error as <nil>, and an error whose Error panics with
// the panic, rather than panic themselves. CutLongValues called Error
// before them, so the same log call panicked, ending the app that logged
// it; it now leaves such an error to the handler, as it found it.
func TestCutLongValuesSurvivesBrokenErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string // in the line, as the handler writes it without CutLongValues
	}{
		{"a nil pointer", (*nilDerefError)(nil), "<nil>"},
		{"a panicking Error", panickyError{}, "no message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, json := range []bool{false, true} {
				var line strings.Builder
				opts := &slog.HandlerOptions{ReplaceAttr: logging.CutLongValues}
				var h slog.Handler = slog.NewTextHandler(&line, opts)
				if json {
					h = slog.NewJSONHandler(&line, opts)
				}
				require.NotPanics(t, func() { slog.New(h).Warn("skipped", "err", tc.err) }, "json=%v", json)
				assert.Contains(t, line.String(), tc.want, "json=%v", json)
			}
		})
	}
}
