// Package decimalflag defines integer command-line flags read in decimal
// digits only, as a person writes a number. Go's flag package reads an
// integer in any base Go's syntax has: "-difficulty 020" is octal 16 and
// "-fee 0x10" is 16, which would change a chain or a payment without a
// word. The eventchain apps' integer flags refuse both:
//
//	fs := flag.NewFlagSet("miner", flag.ContinueOnError)
//	workers := decimalflag.New(fs, "workers", 4, "hashing goroutines")
//	decimalflag.Var(fs, &policy.MaxTx, "max-tx", 20, "most transactions in a block")
package decimalflag

import (
	"errors"
	"flag"
	"strconv"
	"strings"
)

// Integer is the kinds of whole number a flag of this package holds.
type Integer interface {
	~int | ~int64 | ~uint | ~uint64
}

// Var defines an integer flag, as flag.IntVar does, that is read
// in decimal digits only, as a person writes a number: no leading zero,
// no 0x, 0o or 0b, no underscores, no plus sign, and a minus sign only
// for a kind that takes one. Go's flag package reads "-difficulty 020"
// as octal 16 and "-fee 0x10" as 16, which would change a chain or a
// payment without a word; here both are usage errors.
func Var[T Integer](fs *flag.FlagSet, p *T, name string, value T, usage string) {
	*p = value
	fs.Var(decimal[T]{p}, name, usage)
}

// New is Var returning the flag's variable, as flag.Int does.
func New[T Integer](fs *flag.FlagSet, name string, value T, usage string) *T {
	p := new(T)
	Var(fs, p, name, value, usage)
	return p
}

// A decimal is the flag.Value of Var.
type decimal[T Integer] struct{ p *T }

func (d decimal[T]) String() string {
	if d.p == nil { // the flag package's zero value, for -h
		return "0"
	}
	var zero T
	if *d.p < zero {
		return strconv.FormatInt(int64(*d.p), 10)
	}
	return strconv.FormatUint(uint64(*d.p), 10)
}

// errNotDecimal is Set's error for text that is not a number in decimal.
var errNotDecimal = errors.New("want a whole number in decimal digits (no leading zero, no 0x)")

func (d decimal[T]) Set(s string) error {
	digits, negative := strings.CutPrefix(s, "-")
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" || len(digits) > 1 && digits[0] == '0' {
		return errNotDecimal
	}
	var zero T
	if negative {
		if zero-1 > zero { // an unsigned kind
			return errors.New("want 0 or more")
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if v := T(n); err != nil || int64(v) != n {
			return errors.New("out of range")
		}
		*d.p = T(n)
		return nil
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if v := T(n); err != nil || v < zero || uint64(v) != n {
		return errors.New("out of range")
	}
	*d.p = T(n)
	return nil
}
