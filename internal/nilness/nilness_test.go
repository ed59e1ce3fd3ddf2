package nilness_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eventchain/eventchain/internal/nilness"
)

type engine struct{}

func (*engine) Name() string { return "engine" }

func TestIsNil(t *testing.T) {
	var nilReader io.Reader
	var nilPtr *engine
	var nilMap map[string]int
	var nilFunc func()
	for _, tc := range []struct {
		name string
		v    any
		want bool
	}{
		{"nil", nil, true},
		{"a nil interface value", nilReader, true},
		{"a typed nil pointer", nilPtr, true},
		{"a typed nil map", nilMap, true},
		{"a typed nil func", nilFunc, true},
		{"a pointer", &engine{}, false},
		{"a struct value", engine{}, false},
		{"an int", 0, false},
		{"an empty string", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, nilness.IsNil(tc.v))
		})
	}
}

func ExampleIsNil() {
	var e *engine // a constructor's result, its error dropped
	var named interface{ Name() string } = e
	fmt.Println(named == nil, nilness.IsNil(named))
	// Output: false true
}
