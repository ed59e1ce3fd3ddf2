// Package gelftest helps test code that logs through package logging's
// GELF handler: a [Recorder] that keeps the messages instead of sending
// them, and [Fields], which reads a message back into the nested map a
// slog JSON handler would have produced, so tests (and testing/slogtest)
// can check attributes and groups by their slog keys.
package gelftest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Graylog2/go-gelf/gelf"
)

// Recorder is a GELF writer (it satisfies logging.GELFWriter) that keeps
// every message it is given, in order. The zero Recorder is ready to use.
// A Recorder is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	msgs []*gelf.Message
}

// WriteMessage records m and returns nil.
func (r *Recorder) WriteMessage(m *gelf.Message) error {
	c := *m
	c.Extra = cloneMap(m.Extra)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, &c)
	return nil
}

// Messages returns copies of the messages recorded so far, oldest first.
func (r *Recorder) Messages() []*gelf.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*gelf.Message, len(r.msgs))
	for i, m := range r.msgs {
		c := *m
		c.Extra = cloneMap(m.Extra)
		out[i] = &c
	}
	return out
}

// Reset forgets the messages recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = nil
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Fields returns m as slog's JSON handler would have written the record
// it came from, decoded into a map:
//
//   - "time": the timestamp as a time.Time in UTC, to the microsecond,
//     absent if it is zero;
//   - "level": the syslog severity (an int32);
//   - "msg": the short message;
//   - every additional field under its name without the leading '_',
//     split at each '.' into nested maps: "_G.H.e" becomes
//     m["G"].(map[string]any)["H"].(map[string]any)["e"].
//
// It undoes package logging's field naming: a part of a name that is just
// "_" is read back as the empty key it stands for. The characters that
// naming replaced with '_' cannot be restored, nor can a top-level "id",
// renamed "id_"; the host and facility fields are left out. It returns an error if an additional
// field's name does not start with '_', if it is "_time", "_level" or
// "_msg", or if one name is both a value and a group ("_a" and "_a.b").
func Fields(m *gelf.Message) (map[string]any, error) {
	out := map[string]any{
		"level": m.Level,
		"msg":   m.Short,
	}
	if m.TimeUnix != 0 {
		out["time"] = time.UnixMicro(int64(math.Round(m.TimeUnix * 1e6))).UTC()
	}
	// In sorted order a value ("_a") comes before the fields of a group of
	// the same name ("_a.b"), so a clash is always found at the second.
	names := make([]string, 0, len(m.Extra))
	for name := range m.Extra {
		names = append(names, name)
	}
	slices.Sort(names)
	builtin := map[string]bool{"time": true, "level": true, "msg": true}
	for _, name := range names {
		path, ok := strings.CutPrefix(name, "_")
		if !ok {
			return nil, fmt.Errorf("additional field %q: name does not start with '_'", name)
		}
		keys := strings.Split(path, ".")
		for i, k := range keys {
			if k == "_" {
				keys[i] = ""
			}
		}
		if builtin[keys[0]] {
			return nil, fmt.Errorf("additional field %q: %q is a standard key", name, keys[0])
		}
		group := out
		for i, k := range keys {
			if i == len(keys)-1 {
				if _, exists := group[k]; exists {
					return nil, fmt.Errorf("additional field %q: %q is both a value and a group", name, path)
				}
				group[k] = m.Extra[name]
				break
			}
			sub, exists := group[k]
			if !exists {
				sub = map[string]any{}
				group[k] = sub
			}
			g, isGroup := sub.(map[string]any)
			if !isGroup {
				return nil, fmt.Errorf("additional field %q: %q is both a value and a group", name, strings.Join(keys[:i+1], "."))
			}
			group = g
		}
	}
	return out, nil
}
