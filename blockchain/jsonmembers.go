package blockchain

import (
	"bytes"
	"fmt"
	"io"
	"slices"

	"github.com/go-json-experiment/json/jsontext"
)

// jsonMembers reads data as one JSON object whose members are named
// exactly (case and all) among known, each at most once, and returns
// them by name. It is the first pass of this package's decoders built on
// encoding/json, which on its own would match a member named "Amount" to
// the field "amount", keep the last of two members of one name, and so
// let two readers of one event see two transactions. The second pass,
// strictJSON, then reads only names it matches exactly. A value that is
// not an object (null among them), a name not in known or repeated,
// invalid UTF-8 and anything after the object are errors; present lists
// the members that must be there and not be null.
func jsonMembers(data []byte, known, present []string) (map[string]jsontext.Value, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data)) // refuses repeated names and invalid UTF-8
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	if tok.Kind() != '{' {
		return nil, fmt.Errorf("have %s, want an object", kindName(tok.Kind()))
	}
	members := make(map[string]jsontext.Value, len(known))
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String() // a token lives only until the next read
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("unknown field %q", name)
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		members[name] = v.Clone() // as does a value
	}
	if _, err := dec.ReadToken(); err != nil { // the '}'
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON object")
	}
	for _, name := range present {
		switch v, ok := members[name]; {
		case !ok:
			return nil, fmt.Errorf("%s: missing", name)
		case v.Kind() == 'n':
			return nil, fmt.Errorf("%s: null", name)
		}
	}
	return members, nil
}
