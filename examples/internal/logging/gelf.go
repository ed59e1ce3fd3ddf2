package logging

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/Graylog2/go-gelf/gelf"
)

// GELFWriter sends one GELF message. The writers of go-gelf satisfy it:
// *gelf.UDPWriter (compressed, chunked datagrams) and *gelf.TCPWriter
// (null-byte-delimited JSON over a stream), and so does [*AsyncWriter].
//
// A [GELFHandler] calls WriteMessage with a message it built for that call
// alone and never touches it afterwards, so the writer may keep it. The
// handler serialises its calls, so a GELFWriter given to one handler (and
// its clones) need not be safe for concurrent use.
type GELFWriter interface {
	WriteMessage(m *gelf.Message) error
}

// DefaultFacility is the GELF facility of a handler whose
// GELFOptions.Facility is empty.
const DefaultFacility = "eventchain"

// emptyMessage replaces a record message that is empty or only blanks:
// GELF requires a short_message and Graylog rejects a blank one.
const emptyMessage = "(no message)"

// MaxValueBytes bounds the short_message and every string field a
// [GELFHandler] sends: a longer one is cut, at a character boundary, to
// at most this many bytes, and " …[N bytes cut]" is added; a byte that is
// not UTF-8 counts as U+FFFD, the three bytes it is sent as. Log lines can
// carry text the program does not choose — an event type or an error
// message written by whoever appends to the event log — and an unbounded
// value would lose the whole message twice over: go-gelf refuses a UDP
// message that needs more than 128 chunks (about 180 KB compressed), and
// Graylog's search index refuses a field value over 32 766 bytes.
const MaxValueBytes = 16 << 10

// GELFOptions configures a [GELFHandler]. A nil *GELFOptions means the
// zero GELFOptions, whose fields all have defaults.
type GELFOptions struct {
	// Level is the minimum level the handler sends; records below it are
	// discarded. Nil means slog.LevelInfo. A *slog.LevelVar here lets the
	// program change the level while it runs.
	Level slog.Leveler

	// Host is the GELF host field: the name of the machine (or node) that
	// sent the message. Empty means os.Hostname(), or "unknown" if that
	// fails (Graylog rejects a message with an empty host).
	Host string

	// Facility is the GELF facility field, naming the program or subsystem.
	// Empty means DefaultFacility.
	Facility string

	// AddSource adds the caller's function, file and line as the fields
	// _source.function, _source.file and _source.line (a number), when the
	// record has a program counter.
	AddSource bool
}

// GELFHandler is a slog.Handler that turns each record into a GELF 1.1
// message and hands it to a [GELFWriter]; the package documentation
// describes the message it builds.
//
// Handle returns the writer's error (wrapped), which a slog.Logger
// ignores: logging never fails the program. It blocks for as long as the
// writer's WriteMessage does — briefly with a *gelf.UDPWriter, whether or
// not a server listens; with an [*AsyncWriter], never for the network.
//
// A GELFHandler is safe for concurrent use. WithAttrs and WithGroup return
// new handlers that share the writer and one mutex, so messages from all
// of them reach the writer one at a time.
type GELFHandler struct {
	w         GELFWriter
	mu        *sync.Mutex // serialises w.WriteMessage across all clones
	level     slog.Leveler
	host      string
	facility  string
	addSource bool

	// prefix is the field-name path of the groups opened with WithGroup,
	// each followed by a dot ("G.H."), or "" outside any group.
	prefix string
	// fields holds the attributes given to WithAttrs, resolved and named
	// already, in order; a record's own attributes come after them.
	fields []field
}

// field is one GELF additional field: its full name, leading underscore
// included, and its JSON value (a string or a number).
type field struct {
	name  string
	value any
}

var _ slog.Handler = (*GELFHandler)(nil)

// NewGELFHandler returns a handler that sends every record at or above
// opts.Level to w. It panics if w is nil, as slog.New does for a nil
// handler: that is a mistake in the program, not a condition to handle.
func NewGELFHandler(w GELFWriter, opts *GELFOptions) *GELFHandler {
	if w == nil {
		panic("logging: NewGELFHandler with a nil GELFWriter")
	}
	var o GELFOptions
	if opts != nil {
		o = *opts
	}
	if o.Level == nil {
		o.Level = slog.LevelInfo
	}
	if o.Host == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "unknown"
		}
		o.Host = host
	}
	if o.Facility == "" {
		o.Facility = DefaultFacility
	}
	return &GELFHandler{
		w:         w,
		mu:        new(sync.Mutex),
		level:     o.Level,
		host:      o.Host,
		facility:  o.Facility,
		addSource: o.AddSource,
	}
}

// Enabled reports whether the handler sends records at level: whether
// level is at least GELFOptions.Level.
func (h *GELFHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// Handle builds the GELF message for r and writes it. The error, if any,
// is the writer's, wrapped.
func (h *GELFHandler) Handle(_ context.Context, r slog.Record) error {
	m := h.message(r)
	h.mu.Lock()
	err := h.w.WriteMessage(m)
	h.mu.Unlock()
	if err != nil {
		return fmt.Errorf("send gelf message: %w", err)
	}
	return nil
}

// WithAttrs returns a handler that adds attrs to every message, inside the
// groups opened so far. Their values are resolved now, once.
func (h *GELFHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.fields = append([]field(nil), h.fields...)
	for _, a := range attrs {
		flatten(h.prefix, a, func(name string, v any) {
			h2.fields = append(h2.fields, field{name, v})
		})
	}
	return &h2
}

// WithGroup returns a handler that puts the attributes added later — by
// WithAttrs or with a record — in the group name: their field names start
// with name and a dot. An empty name returns h, as slog requires.
func (h *GELFHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + fieldSegment(name) + "."
	return &h2
}

// message builds the GELF message for r.
func (h *GELFHandler) message(r slog.Record) *gelf.Message {
	t := r.Time
	if t.IsZero() {
		// slog asks a handler to ignore a zero time. GELF receivers
		// disagree on a missing or zero timestamp (Graylog uses the
		// arrival time, others 1970), so send the time of sending.
		t = time.Now()
	}
	short := cut(r.Message)
	if strings.TrimSpace(short) == "" {
		short = emptyMessage
	}
	extra := make(map[string]any, len(h.fields)+r.NumAttrs()+3)
	for _, f := range h.fields {
		extra[f.name] = f.value
	}
	r.Attrs(func(a slog.Attr) bool {
		flatten(h.prefix, a, func(name string, v any) { extra[name] = v })
		return true
	})
	if h.addSource {
		if src := r.Source(); src != nil {
			const p = "_" + slog.SourceKey + "."
			extra[p+"function"] = src.Function
			extra[p+"file"] = src.File
			extra[p+"line"] = src.Line
		}
	}
	return &gelf.Message{
		Version:  "1.1",
		Host:     h.host,
		Short:    short,
		TimeUnix: float64(t.UnixMicro()) / 1e6,
		Level:    SyslogLevel(r.Level),
		Facility: h.facility,
		Extra:    extra,
	}
}

// SyslogLevel returns the syslog severity that stands for a slog level in
// a GELF message's level field. The four slog levels map to their syslog
// namesakes; a level in between maps to the severity of the nearest named
// level below it, counting Info+2 as notice; levels above Error climb to
// critical and alert in steps of four, as slog's levels are spaced:
//
//	slog level                      syslog severity
//	below Info (Debug, Debug+1, …)  7 debug
//	Info, Info+1                    6 info
//	Info+2, Info+3                  5 notice
//	Warn … Warn+3                   4 warning
//	Error … Error+3                 3 error
//	Error+4 … Error+7               2 critical
//	Error+8 and above               1 alert
//
// Emergency (0) is never used: it means the whole system is unusable,
// which no single program should claim, and go-gelf omits a zero level
// from the message altogether.
func SyslogLevel(l slog.Level) int32 {
	switch {
	case l < slog.LevelInfo:
		return gelf.LOG_DEBUG
	case l < slog.LevelInfo+2:
		return gelf.LOG_INFO
	case l < slog.LevelWarn:
		return gelf.LOG_NOTICE
	case l < slog.LevelError:
		return gelf.LOG_WARNING
	case l < slog.LevelError+4:
		return gelf.LOG_ERR
	case l < slog.LevelError+8:
		return gelf.LOG_CRIT
	default:
		return gelf.LOG_ALERT
	}
}

// flatten resolves a and calls emit with the GELF field name and value of
// every non-group attribute in it, prefix being the group path it sits in.
// It follows slog's rules: an attribute with an empty key and a nil value
// is ignored, a group with no attributes is omitted, and a group with an
// empty key is inlined.
func flatten(prefix string, a slog.Attr, emit func(name string, value any)) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += fieldSegment(a.Key) + "."
		}
		for _, ga := range a.Value.Group() {
			flatten(p, ga, emit)
		}
		return
	}
	name := prefix + fieldSegment(a.Key)
	if name == "id" {
		// GELF reserves _id (the server's own message ID).
		name = "id_"
	}
	v := fieldValue(a.Value)
	if s, ok := v.(string); ok {
		v = cut(s)
	}
	emit("_"+name, v)
}

// CutLongValues cuts, as the GELF handler does, every string value longer
// than [MaxValueBytes], the message's included, and an error's message:
// it is a [slog.HandlerOptions] ReplaceAttr, which the apps give their
// text and JSON handlers on stderr. Log lines carry text that others
// write, such as an error quoting what a stranger appended to the log;
// with CutLongValues one such text costs at most 16 KiB of a line, not
// whatever its writer chose. A value that fits is left as it is, and so
// is an error whose Error method panics, or that is a nil pointer whose
// Error method reads through it: the handler prints those as it would
// without CutLongValues ("<nil>", or the panic), never panicking itself.
func CutLongValues(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); len(s) > MaxValueBytes {
			a.Value = slog.StringValue(cut(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			// fmt, not err.Error(): fmt survives a nil receiver or a
			// panicking Error, which slog's handlers only survive when
			// ReplaceAttr does not call Error first.
			if s := fmt.Sprint(err); len(s) > MaxValueBytes {
				a.Value = slog.StringValue(cut(s))
			}
		}
	}
	return a
}

// cut returns s if it is at most MaxValueBytes long; otherwise its first
// MaxValueBytes bytes or fewer, ending on a character boundary, and a
// note of how many bytes of s were left out. The bytes are counted as the
// server receives them: the JSON encoder sends each byte that is not
// UTF-8 as U+FFFD, three bytes, so cut sends it so itself and counts it
// as three — or 16 KiB of such bytes would reach Graylog as 48 KiB,
// past its limit for a field.
func cut(s string) string {
	if len(s) <= MaxValueBytes && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(MaxValueBytes)
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:]) // utf8.RuneError, size 1, for a byte that is not UTF-8
		if b.Len()+utf8.RuneLen(r) > MaxValueBytes {
			break
		}
		b.WriteRune(r)
		i += size
	}
	if i == len(s) {
		return b.String()
	}
	return b.String() + " …[" + strconv.Itoa(len(s)-i) + " bytes cut]"
}

// fieldSegment returns key with every character GELF does not allow in a
// field name (anything but ASCII letters, digits, '_', '.' and '-')
// replaced by '_'. An empty key becomes "_".
func fieldSegment(key string) string {
	if key == "" {
		return "_"
	}
	clean := true
	for i := 0; i < len(key); i++ {
		if !nameByte(key[i]) {
			clean = false
			break
		}
	}
	if clean {
		return key
	}
	var b strings.Builder
	b.Grow(len(key))
	for _, r := range key {
		if r < 0x80 && nameByte(byte(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// nameByte reports whether c may appear in a GELF field name, which must
// match ^[\w\.\-]*$.
func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '-'
}

// fieldValue returns the JSON value of a resolved, non-group slog value.
// GELF allows only strings and numbers (Graylog drops booleans and nulls),
// so numbers stay numbers and everything else becomes a string.
func fieldValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		return jsonFloat(v.Float64())
	case slog.KindBool:
		return strconv.FormatBool(v.Bool())
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	}
	switch x := v.Any().(type) {
	case nil:
		return "<nil>"
	case error:
		return fmt.Sprint(x) // fmt survives a nil receiver or a panicking Error
	case []byte:
		return string(x)
	}
	// A number of a named type, as slog.AnyValue leaves it.
	rv := reflect.ValueOf(v.Any())
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if _, ok := v.Any().(fmt.Stringer); !ok {
			return rv.Int()
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if _, ok := v.Any().(fmt.Stringer); !ok {
			return rv.Uint()
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.Any().(fmt.Stringer); !ok {
			return jsonFloat(rv.Float())
		}
	}
	return fmt.Sprintf("%+v", v.Any())
}

// jsonFloat returns f as a JSON number, or as the string "NaN", "+Inf" or
// "-Inf", which JSON cannot hold as numbers.
func jsonFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return f
}
