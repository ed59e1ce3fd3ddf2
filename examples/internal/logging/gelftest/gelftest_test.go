package gelftest_test

import (
	"testing"
	"time"

	"github.com/Graylog2/go-gelf/gelf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/logging/gelftest"
)

// TestFields: flattened names become nested maps; clashes are errors.
func TestFields(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
	for _, tc := range []struct {
		name    string
		msg     gelf.Message
		want    map[string]any
		wantErr string
	}{
		{
			name: "StandardKeys",
			msg:  gelf.Message{Short: "hello", Level: 4, TimeUnix: float64(when.UnixMicro()) / 1e6},
			want: map[string]any{"msg": "hello", "level": int32(4), "time": when},
		},
		{
			name: "ZeroTimestampHasNoTime",
			msg:  gelf.Message{Short: "m", Level: 6},
			want: map[string]any{"msg": "m", "level": int32(6)},
		},
		{
			name: "GroupsNested",
			msg: gelf.Message{Short: "m", Level: 6, Extra: map[string]any{
				"_a": "b", "_G.c": "d", "_G.H.e": 1.5, "_G.H.f": int64(2),
			}},
			want: map[string]any{"msg": "m", "level": int32(6),
				"a": "b",
				"G": map[string]any{"c": "d", "H": map[string]any{"e": 1.5, "f": int64(2)}},
			},
		},
		{
			name: "UnderscorePartIsEmptyKey",
			msg:  gelf.Message{Short: "m", Level: 6, Extra: map[string]any{"__": 1, "_G._": 2}},
			want: map[string]any{"msg": "m", "level": int32(6),
				"": 1, "G": map[string]any{"": 2},
			},
		},
		{
			name:    "NoUnderscore",
			msg:     gelf.Message{Extra: map[string]any{"a": 1}},
			wantErr: `additional field "a": name does not start with '_'`,
		},
		{
			name:    "StandardKeyClash",
			msg:     gelf.Message{Extra: map[string]any{"_msg.x": 1}},
			wantErr: `additional field "_msg.x": "msg" is a standard key`,
		},
		{
			name:    "ValueAndGroup",
			msg:     gelf.Message{Extra: map[string]any{"_a.b": 1, "_a.b.c": 2}},
			wantErr: `additional field "_a.b.c": "a.b" is both a value and a group`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := gelftest.Fields(&tc.msg)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestRecorder: messages come back in order, as copies the caller may
// change without changing the record.
func TestRecorder(t *testing.T) {
	var r gelftest.Recorder
	m := &gelf.Message{Short: "one", Extra: map[string]any{"_k": 1}}
	require.NoError(t, r.WriteMessage(m))
	m.Extra["_k"] = 99 // the writer's caller changes its message afterwards
	require.NoError(t, r.WriteMessage(&gelf.Message{Short: "two"}))

	msgs := r.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, "one", msgs[0].Short)
	assert.Equal(t, map[string]any{"_k": 1}, msgs[0].Extra)
	assert.Equal(t, "two", msgs[1].Short)

	msgs[0].Extra["_k"] = 2
	assert.Equal(t, map[string]any{"_k": 1}, r.Messages()[0].Extra, "after changing a returned copy")

	r.Reset()
	assert.Empty(t, r.Messages())
}
