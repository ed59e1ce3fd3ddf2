package bank

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxQueryMessage bounds the error queryUint returns: it repeats at most
// maxEcho bytes of the client's text, quoted (a byte may take four to
// quote), beside a few words of its own.
const maxQueryMessage = 4*(maxEcho+len("…")) + 64

// TestParseDecimal: a number is read in its one canonical decimal
// spelling, and a refusal repeats at most maxEcho bytes of what the
// client sent, so that the reason survives the cut of a problem's detail.
func TestParseDecimal(t *testing.T) {
	zeros := strings.Repeat("0", 2*maxDetail)
	for _, tc := range []struct {
		name, v string
		bits    int
		want    uint64
		reason  string // "" if v is read
	}{
		{"zero", "0", 64, 0, ""},
		{"the largest", "18446744073709551615", 64, math.MaxUint64, ""},
		{"the largest of 63 bits", "9223372036854775807", 63, math.MaxInt64, ""},
		{"past 63 bits", "9223372036854775808", 63, 0, "is too large"},
		{"past 64 bits", "18446744073709551616", 64, 0, "is too large"},
		{"a sign", "+1", 64, 0, "is not a whole number"},
		{"a minus sign", "-1", 64, 0, "is not a whole number"},
		{"an underscore", "1_000", 64, 0, "is not a whole number"},
		{"a leading zero", "01", 64, 0, "has a leading zero"},
		{"zero twice", "00", 64, 0, "has a leading zero"},
		{"a long run of leading zeros", zeros + "1", 64, 0, "has a leading zero"},
		{"a long run of digits", strings.Repeat("9", 2*maxDetail), 64, 0, "is too large"},
		{"a long run of letters", strings.Repeat("x", 2*maxDetail), 64, 0, "is not a whole number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := parseDecimal(tc.v, tc.bits)
			if tc.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, n)
				return
			}
			require.Error(t, err)
			assert.Zero(t, n)
			assert.Contains(t, err.Error(), tc.reason)
			assert.LessOrEqual(t, len(err.Error()), maxQueryMessage, "%.100s…", err)
			detail := withReason("want 1…1000", err)
			assert.Contains(t, detail, tc.reason, "the problem's detail lost the reason")
		})
	}
}

// FuzzQueryUint feeds queryUint arbitrary query strings. It must never
// panic; a refusal is a short message in valid UTF-8 (what the client
// wrote, repeated at most maxEcho bytes of it); and a number it reads is
// the query's one value of that name, in its canonical decimal
// spelling, or the default when the query has none.
func FuzzQueryUint(f *testing.F) {
	for _, seed := range []string{
		"", "from=0", "from=18446744073709551615", "from=18446744073709551616", "from=01",
		"from=1&limit=2", "from=1&from=2", "from=", "from", "from=1;", "from=1%", "from=%31",
		"from=+1", "from=-1", "from=1e3", "from=%E2%80%A6", "from=\xff", "limit=100&from=7",
	} {
		f.Add(seed)
	}
	const def = 42
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := &http.Request{URL: &url.URL{RawQuery: rawQuery}}
		n, err := queryUint(r, "from", def)
		query, qerr := url.ParseQuery(rawQuery)
		if err != nil {
			msg := err.Error()
			require.NotEmpty(t, msg)
			require.LessOrEqual(t, len(msg), maxQueryMessage, "%.100s…", msg)
			require.True(t, utf8.ValidString(msg), "%q", msg)
			return
		}
		require.NoError(t, qerr, "read a number from a query that does not parse")
		values, given := query["from"]
		if !given {
			require.Equal(t, uint64(def), n)
			return
		}
		require.Len(t, values, 1)
		require.Equal(t, values[0], strconv.FormatUint(n, 10), "read %d from %q", n, values[0])
	})
}
