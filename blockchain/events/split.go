package events

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"
)

// quickSplit is splitObject's fast path. It reads only the spelling
// Encode writes for most payloads — an object with no white space, names
// of plain ASCII, and values that are plain strings (no escape) or
// integers — and reports false for anything else, which splitTokens then
// reads. What it accepts, splitTokens accepts too, with the same fields:
// it refuses nothing itself, so every error still comes from one place.
//
// Its speed is in the strings: a block in base64 is thousands of bytes
// that need only be found (bytes.IndexByte) and checked eight bytes at a
// time (plainText), where a general JSON reader looks at each byte.
func quickSplit(data []byte) (map[string]json.RawMessage, bool) {
	if len(data) < 2 || data[0] != '{' || data[len(data)-1] != '}' {
		return nil, false
	}
	fields := make(map[string]json.RawMessage, 8)
	i := 1
	for {
		// A name: a plain ASCII string, then a colon.
		name, next, ok := quickName(data, i)
		if !ok {
			return nil, false
		}
		i = next
		// A value: a plain string or an integer.
		start := i
		switch {
		case data[i] == '"':
			end := bytes.IndexByte(data[i+1:], '"')
			if end < 0 || !plainText(data[i+1:i+1+end]) {
				return nil, false
			}
			i += end + 2
		case data[i] == '-' || '0' <= data[i] && data[i] <= '9':
			if i = quickInteger(data, i); i < 0 {
				return nil, false
			}
		default:
			return nil, false
		}
		if _, repeated := fields[string(name)]; repeated {
			return nil, false
		}
		fields[string(name)] = json.RawMessage(data[start:i])
		// Then a comma and the next field, or the closing brace at the
		// very end.
		switch {
		case i < len(data)-1 && data[i] == ',':
			i++
		case i == len(data)-1: // data[i] is the closing brace
			return fields, true
		default:
			return nil, false
		}
	}
}

// quickName reads `"name":` at data[i:], a name of ASCII letters and
// digits, and returns the name and the index just after the colon, which
// is still inside data (before its closing brace).
func quickName(data []byte, i int) (name []byte, next int, ok bool) {
	if data[i] != '"' {
		return nil, 0, false
	}
	end := bytes.IndexByte(data[i+1:], '"')
	if end <= 0 {
		return nil, 0, false
	}
	name = data[i+1 : i+1+end]
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return nil, 0, false
		}
	}
	next = i + end + 2
	if next >= len(data)-1 || data[next] != ':' {
		return nil, 0, false
	}
	return name, next + 1, true
}

// quickInteger reads a JSON integer at data[i:] — an optional minus, then
// 0 or a digit from 1 to 9 and more digits — and returns the index just
// after it, or -1 if there is none or a fraction or exponent follows
// (which splitTokens reads).
func quickInteger(data []byte, i int) int {
	if data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return -1
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		for i++; i < len(data) && '0' <= data[i] && data[i] <= '9'; i++ {
		}
	default:
		return -1
	}
	if i >= len(data) || data[i] != ',' && data[i] != '}' {
		return -1
	}
	return i
}

// plainText reports whether s can stand between the quotes of a JSON
// string as it is: no control character (below 0x20), no backslash, and
// valid UTF-8. (The caller has already found the closing quote.) It
// looks at eight bytes at a time while they are plain ASCII, which a
// block in base64 always is.
func plainText(s []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		// The classic tests for a byte of a word below n: (x - n·ones) &^ x
		// & highs is not zero exactly when one is (for n ≤ 0x80); a byte
		// equal to c is a byte of x^c·ones below 1.
		control := (x - 0x20*ones) &^ x & highs
		b := x ^ '\\'*ones
		backslash := (b - ones) &^ b & highs
		if control|backslash|x&highs != 0 {
			break // look at these bytes one by one
		}
	}
	for _, c := range s[i:] {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return utf8.Valid(s[i:]) // s[:i] is ASCII
}
