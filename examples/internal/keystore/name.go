package keystore

import (
	"fmt"
	"slices"
	"strings"
)

// MaxNameLen is the length limit of a key's name, in bytes.
const MaxNameLen = 32

// reservedNames are the device names Windows will not let a file have,
// whatever its extension: "con.key" would be the console, not a file.
var reservedNames = []string{
	"con", "prn", "aux", "nul",
	"com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
	"lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
}

// ValidateName returns nil if name can name a key, and otherwise a
// [*NameError] saying which rule it breaks. A name is
//
//   - 1 to [MaxNameLen] bytes long;
//   - made of lower-case ASCII letters, digits, '-' and '_' only, so it
//     holds no path separator, no "..", nothing a shell or a terminal
//     treats specially, and means the same file on file systems that
//     ignore case (where "Alice" and "alice" would be one file);
//   - started by a letter or a digit, so it is never a hidden file (".x")
//     and never looks like a command-line flag ("-x");
//   - not a device name of Windows ("con", "nul", "com1", …).
//
// Its key is stored in the file name + ".key".
func ValidateName(name string) error {
	fail := func(reason string, args ...any) error {
		shown := name
		if len(shown) > 64 {
			shown = shown[:64] + "…"
		}
		return &NameError{Name: shown, Reason: fmt.Sprintf(reason, args...)}
	}
	switch {
	case name == "":
		return fail("is empty")
	case len(name) > MaxNameLen:
		return fail("is too long: have %d bytes, want at most %d", len(name), MaxNameLen)
	case strings.ContainsAny(name, `/\`):
		return fail("holds a path separator")
	case name[0] == '.':
		return fail("starts with a dot (a hidden file, or a path)")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fail("offset %d is not one of a-z, 0-9, '-', '_'", i)
		}
	}
	if name[0] == '-' || name[0] == '_' {
		return fail("starts with %q: want a letter or a digit", name[0])
	}
	if slices.Contains(reservedNames, name) {
		return fail("is reserved: Windows keeps it for a device")
	}
	return nil
}
