// Package clip shortens text that hostile input, or a plugin's error, can
// make as long as it likes, before it goes into an error message, a log
// line or an event: at most a given number of bytes, cut where a UTF-8
// character begins, so that no character is split in two, with an
// ellipsis to show that something was cut. [Graphic] tells text a
// terminal may print as it is.
package clip

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Graphic reports whether s is valid UTF-8 and every character of it is
// graphic (unicode.IsGraphic: letters, marks, numbers, punctuation,
// symbols, spaces): text a terminal shows as it is, with no control
// character, line break or escape sequence in it that a stranger could
// use to rewrite what is on the screen. Print other text escaped, as
// strconv.QuoteToGraphic writes it.
func Graphic(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) }) < 0
}

// Line returns s as one line a terminal shows as it is: s itself if it
// is [Graphic], else s with each character that is not graphic — a line
// break, a terminal's escape — written as a Go escape (\n, \x1b, \u2028),
// and each byte that is not UTF-8 as \xff. Quotes and backslashes are
// left as they are, unlike strconv.QuoteToGraphic, so that text with one
// odd character reads as before around it. Print an error so when it
// may quote a value a user or a stranger spelled (a path holding a
// newline) and the output promises one line.
func Line(s string) string {
	if Graphic(s) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case unicode.IsGraphic(r):
			b.WriteString(s[:size])
		default:
			q := strconv.QuoteRuneToGraphic(r)
			b.WriteString(q[1 : len(q)-1])
		}
		s = s[size:]
	}
	return b.String()
}

// Text returns s if it is at most n bytes long, and otherwise its first
// n bytes or fewer, cut at the start of a character, and "…". Bytes of s
// that are not UTF-8 are kept as they are: see [strings.ToValidUTF8] for
// text that must be valid.
func Text(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n, 0)
	// s[cut] continuing the character before, cut before that one. A
	// character is at most utf8.UTFMax bytes: in bytes that are not
	// UTF-8 at all, the cut stays near n rather than going back to 0.
	for i := 1; cut > 0 && i < utf8.UTFMax && !utf8.RuneStart(s[cut]); i++ {
		cut--
	}
	return s[:cut] + "…"
}
