package esdbtest

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// FuzzParseMeta reads any bytes as a stream's metadata, as a client may
// write anything there. It never panics; what it applies is what a real
// node applies — a $tb of at least 0, a $maxCount and a $maxAge of at
// least 1, a $maxAge a .NET TimeSpan holds — and only from a JSON object.
//
//	go test ./eventlog/esdb/esdbtest -run '^$' -fuzz FuzzParseMeta -fuzztime 60s
func FuzzParseMeta(f *testing.F) {
	for _, seed := range []string{
		`{"$tb":5}`, `{"$tb":-1}`, `{"$tb":9223372036854775808}`, `{"$maxCount":0}`, `{"$maxCount":3}`,
		`{"$maxAge":922337203685}`, `{"$maxAge":922337203686}`, `{"$maxAge":1.5}`, `{"$maxAge":1e3}`,
		`{"$tempStream":true,"$maxCount":2}`, `{"$tempStream":"yes","$maxCount":2}`,
		`{"$acl":{"$r":"a","$w":["b","c"]},"$tb":1}`, `{"$acl":{"$x":"a"},"$tb":1}`, `{"$acl":[],"$tb":1}`,
		`{"$cacheControl":-4,"$tb":2}`, `{"other":{"$tb":3}}`, `[]`, `null`, `"x"`, ``, `{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := parseMeta(data, true)
		var object map[string]json.RawMessage
		if json.Unmarshal(data, &object) != nil || object == nil {
			assert.Nil(t, m.tb)
			assert.Nil(t, m.maxCount)
			assert.Nil(t, m.maxAge)
			return
		}
		if m.tb != nil {
			assert.GreaterOrEqual(t, *m.tb, int64(0))
		}
		if m.maxCount != nil {
			assert.Positive(t, *m.maxCount)
		}
		if m.maxAge != nil {
			assert.Positive(t, *m.maxAge)
			assert.LessOrEqual(t, *m.maxAge, int64(maxTimeSpanSeconds))
		}
		if again := parseMeta(data, true); assert.NotNil(t, again) {
			assert.Equal(t, m.tb, again.tb, "the same metadata, read twice")
		}
		if notJSON := parseMeta(data, false); assert.NotNil(t, notJSON) {
			assert.Nil(t, notJSON.tb, "metadata not marked JSON is empty")
		}
	})
}

// FuzzParseGUID reads any string as an event's ID in string form. It
// never panics, and takes only what a real node's Guid.Parse takes: 32
// hex digits, or the dashed form, bare or in braces or parentheses; the
// ID it returns holds those digits.
//
//	go test ./eventlog/esdb/esdbtest -run '^$' -fuzz FuzzParseGUID -fuzztime 60s
func FuzzParseGUID(f *testing.F) {
	for _, seed := range []string{
		"0123456789abcdef0123456789abcdef", "01234567-89ab-cdef-0123-456789abcdef", "{01234567-89AB-cdef-0123-456789abcdef}",
		"(01234567-89ab-cdef-0123-456789abcdef)", "[01234567-89ab-cdef-0123-456789abcdef]", "urn:uuid:01234567-89ab-cdef-0123-456789abcdef",
		"01234567-89ab-cdef-0123-456789abcdeg", " 01234567-89ab-cdef-0123-456789abcdef", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseGUID(s)
		if err != nil {
			return
		}
		digits := strings.ToLower(strings.Trim(strings.ReplaceAll(s, "-", ""), "{}()"))
		assert.Equal(t, hex.EncodeToString(id[:]), digits, "the ID holds the digits of %q", s)
		switch len(s) {
		case 32:
			assert.NotContains(t, s, "-")
		case 36:
			for _, i := range []int{8, 13, 18, 23} {
				assert.Equal(t, byte('-'), s[i], "a dash at %d of %q", i, s)
			}
		case 38:
			assert.True(t, s[0] == '{' && s[37] == '}' || s[0] == '(' && s[37] == ')', "braces or parentheses round %q", s)
		default:
			t.Errorf("took %q, of %d characters", s, len(s))
		}
	})
}
