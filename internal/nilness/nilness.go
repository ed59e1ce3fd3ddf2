// Package nilness tells whether an interface value holds nothing usable:
// nil itself, or a nil pointer, map, slice, channel or function in a
// non-nil interface. The constructors of the project's packages take
// their collaborators as interfaces (a Consensus engine, an event log, a
// node), and a caller who dropped a constructor's error hands them a
// typed nil, which a plain "== nil" does not catch; the constructors
// refuse it with a clear error instead of panicking at first use.
package nilness

import "reflect"

// IsNil reports whether v is nil or an interface holding a nil pointer,
// map, slice, channel, function or interface.
func IsNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}
