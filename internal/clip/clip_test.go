package clip_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/eventchain/eventchain/internal/clip"
)

func TestText(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"exactly n", "abcde", 5, "abcde"},
		{"cut", "abcdef", 5, "abcde…"},
		{"a character not split", "abcd€", 5, "abcd…"}, // € is 3 bytes: 4 fit
		{"cut before a character", "ab€€", 4, "ab…"},
		{"nothing fits", "€", 1, "…"},
		{"n zero", "abc", 0, "…"},
		{"n negative", "abc", -1, "…"},
		{"not UTF-8 kept", "a\xffb", 5, "a\xffb"},
		// Bytes that continue no character: cut near n all the same, not
		// back to nothing.
		{"not UTF-8 cut", strings.Repeat("\x80", 10), 5, strings.Repeat("\x80", 2) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := clip.Text(tc.s, tc.n)
			assert.Equal(t, tc.want, got)
			if utf8.ValidString(tc.s) {
				assert.True(t, utf8.ValidString(got), "valid text stays valid")
			}
			assert.LessOrEqual(t, len(strings.TrimSuffix(got, "…")), max(tc.n, 0))
		})
	}
}

func ExampleText() {
	fmt.Println(clip.Text("an error a megabyte long", 8))
	fmt.Println(clip.Text("déjà vu", 3))
	// Output:
	// an error…
	// dé…
}

func TestGraphic(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"plain text, punctuation: 1 000 €", true},
		{"ünïcödé and 漢字", true},
		{"an escape \x1b[2K", false},
		{"a line\nbreak", false},
		{"a carriage\rreturn", false},
		{"a tab\there", false},
		{"a line separator \u2028", false},
		{"not UTF-8 \xff", false},
	} {
		assert.Equal(t, tc.want, clip.Graphic(tc.s), "%q", tc.s)
	}
}

func TestLine(t *testing.T) {
	for _, tc := range []struct {
		s, want string
	}{
		{"", ""},
		{`open "a b": no such file`, `open "a b": no such file`},
		{"ünïcödé and 漢字", "ünïcödé and 漢字"},
		{"open x\nforged: line: no such file", `open x\nforged: line: no such file`},
		{`a "quoted" \path` + "\r\x1b[2K", `a "quoted" \path\r\x1b[2K`},
		{"a line separator \u2028", `a line separator \u2028`},
		{"not UTF-8 \xff\xfe!", `not UTF-8 \xff\xfe!`},
	} {
		assert.Equal(t, tc.want, clip.Line(tc.s), "%q", tc.s)
	}
}
