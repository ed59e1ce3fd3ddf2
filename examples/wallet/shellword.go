package main

import (
	"fmt"
	"strings"

	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/internal/clip"
)

// shellWord returns s written as one word of a POSIX shell (sh, bash,
// zsh, dash): the shell reads it back as s exactly, whatever s holds —
// spaces, quotes, ';', '|', '$(…)', '*', a newline — and runs nothing of
// it. A word of letters, digits and _ . / : = @ % + , - alone is left as
// it is, unless it begins with = (which zsh replaces by the path of the
// command it names); any other, the empty word included, is put between single
// quotes, inside which a shell gives no character a meaning, and each
// single quote of it is written as these four characters (end the
// quotes, an escaped quote, quotes again):
//
//	'\''
//
// A word so quoted is safe to run, not to show: a newline inside the
// quotes is one the shell keeps, but a terminal's escape sequence would
// still act on the screen and could hide, there, what the command does.
// Check a word a stranger spelled with showableWord before printing it.
func shellWord(s string) string {
	if s != "" && s[0] != '=' && strings.IndexFunc(s, func(r rune) bool { return !shellSafe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellSafe reports whether r means nothing to a shell, anywhere in a
// word: the ASCII letters and digits and _ . / : = @ % + , -.
func shellSafe(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_./:=@%+,-", r)
}

// showableWord returns an error unless s, what the word named what
// holds, can be printed in a command for a person to copy and paste: it
// must be valid UTF-8 and hold only graphic characters (clip.Graphic).
// A control character (a newline, an escape sequence), or a Unicode
// format character such as a right-to-left override, can make a
// terminal show another command than the one it pastes; escaping it
// visibly would print a command that passes a value other than s, which
// is no better. So such a word is not printed at all.
func showableWord(what, s string) error {
	if clip.Graphic(s) {
		return nil
	}
	return fmt.Errorf("%s holds a control or invisible character (%s, escaped here), so no command that passes it is printed: a terminal could show another command than the one it pastes", what, bankclient.Printable(clip.Text(s, maxShownWord)))
}

// maxShownWord bounds how much of a refused word showableWord's error
// quotes, in bytes: a bank may send a cursor of any length.
const maxShownWord = 100
