package decimalflag_test

import (
	"flag"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/decimalflag"
)

// TestDecimal: a flag of this package takes a number as a person writes one, and
// refuses what Go's flag package would read in another base or
// wrapped round.
func TestDecimal(t *testing.T) {
	for _, tc := range []struct {
		arg     string
		asInt   int64  // the int64 flag's value, if it takes arg
		asUint  uint64 // the uint64 flag's value, if it takes arg
		intErr  string // the int64 flag's error, if it refuses arg
		uintErr string // the uint64 flag's error, if it refuses arg
	}{
		{arg: "0"},
		{arg: "18", asInt: 18, asUint: 18},
		{arg: "-3", asInt: -3, uintErr: "want 0 or more"},
		{arg: "9223372036854775807", asInt: math.MaxInt64, asUint: math.MaxInt64},
		{arg: "-9223372036854775808", asInt: math.MinInt64, uintErr: "want 0 or more"},
		{arg: "18446744073709551615", intErr: "out of range", asUint: math.MaxUint64},
		{arg: "18446744073709551616", intErr: "out of range", uintErr: "out of range"},
		{arg: "020", intErr: "decimal", uintErr: "decimal"},
		{arg: "0x10", intErr: "decimal", uintErr: "decimal"},
		{arg: "0b1", intErr: "decimal", uintErr: "decimal"},
		{arg: "1_000", intErr: "decimal", uintErr: "decimal"},
		{arg: "+5", intErr: "decimal", uintErr: "decimal"},
		{arg: "-0x1", intErr: "decimal", uintErr: "decimal"},
		{arg: "", intErr: "decimal", uintErr: "decimal"},
		{arg: "-", intErr: "decimal", uintErr: "decimal"},
		{arg: " 5", intErr: "decimal", uintErr: "decimal"},
		{arg: "5e3", intErr: "decimal", uintErr: "decimal"},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			i := decimalflag.New(fs, "fee", int64(7), "")
			var u uint64
			decimalflag.Var(fs, &u, "difficulty", 7, "")
			require.Equal(t, int64(7), *i, "the default")

			err := fs.Parse([]string{"-fee=" + tc.arg})
			if tc.intErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.intErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.asInt, *i)
			}
			err = fs.Parse([]string{"-difficulty=" + tc.arg})
			if tc.uintErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.uintErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.asUint, u)
			}
		})
	}
}

// TestDecimalPlatformSizes: an int or uint flag takes the largest
// number an int or a uint holds on this platform (64 bits on most, 32 on
// GOARCH=386 or arm) and refuses one more, as "out of range" rather
// than wrapped round.
func TestDecimalPlatformSizes(t *testing.T) {
	plusOne := func(n uint64) string {
		return new(big.Int).Add(new(big.Int).SetUint64(n), big.NewInt(1)).String()
	}
	for _, tc := range []struct {
		name       string
		set        func(fs *flag.FlagSet) func() uint64 // defines -n, returns its value
		max, least string
	}{
		{"int", func(fs *flag.FlagSet) func() uint64 {
			p := decimalflag.New(fs, "n", 0, "")
			return func() uint64 { return uint64(*p) }
		}, strconv.Itoa(math.MaxInt), plusOne(math.MaxInt)},
		{"uint", func(fs *flag.FlagSet) func() uint64 {
			p := decimalflag.New(fs, "n", uint(0), "")
			return func() uint64 { return uint64(*p) }
		}, strconv.FormatUint(math.MaxUint, 10), plusOne(math.MaxUint)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			value := tc.set(fs)
			require.NoError(t, fs.Parse([]string{"-n=" + tc.max}))
			assert.Equal(t, tc.max, strconv.FormatUint(value(), 10))
			err := fs.Parse([]string{"-n=" + tc.least})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "out of range")
			assert.Equal(t, tc.max, strconv.FormatUint(value(), 10), "a refused value leaves the flag as it was")
		})
	}
}

// TestDecimalHelp: -h shows a flag of this package's default as flag.Int would.
func TestDecimalHelp(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	decimalflag.New(fs, "workers", 4, "hashing `goroutines`")
	decimalflag.New(fs, "count", 0, "stop after this many")
	decimalflag.New(fs, "offset", int64(-2), "an offset")
	fs.PrintDefaults()
	assert.Contains(t, out.String(), "-workers goroutines")
	assert.Contains(t, out.String(), "(default 4)")
	assert.Contains(t, out.String(), "(default -2)")
	assert.NotContains(t, out.String(), "(default 0)", "a zero default is not shown")
	assert.NotContains(t, out.String(), "panic")
}
