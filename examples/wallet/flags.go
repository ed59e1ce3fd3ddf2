package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// usageError is a bad command, flag or argument: exit status 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// globals are the flags every command takes, before or after its name.
type globals struct {
	bank           string
	keystore       string
	passphraseFile string
	noKeystore     error           // why there is no default keystore, if there is none
	given          map[string]bool // the flags given on the command line, at either place
}

// envFallback names the flags that fall back to an environment variable,
// as the other apps' flags do (-bank: EVENTCHAIN_BANK). A command's own
// flags, such as -fee, have none: they belong to one invocation.
var envFallback = []string{"bank", "keystore", "passphrase-file"}

// register defines the global flags on fs, their defaults the values
// they have now (so that flags given before the command stand).
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.bank, "bank", g.bank, "the bank's base URL")
	fs.StringVar(&g.keystore, "keystore", g.keystore, "keystore directory: devnet's, in its data directory ($EVENTCHAIN_DATA_DIR if set)")
	fs.StringVar(&g.passphraseFile, "passphrase-file", g.passphraseFile, "file holding the key's passphrase (its trailing newline is dropped); or set EVENTCHAIN_PASSPHRASE")
}

// defaultKeystore is devnet's keystore: the keys directory of its data
// directory, which is $EVENTCHAIN_DATA_DIR if set (devnet's -data-dir
// falls back to it), else eventchain/devnet in the user's configuration
// directory. Where the system names no configuration directory (on
// Linux: neither $XDG_CONFIG_HOME nor $HOME is set) there is no default,
// and the error says why.
func defaultKeystore(getenv func(string) string) (string, error) {
	if dir := getenv("EVENTCHAIN_DATA_DIR"); dir != "" {
		return filepath.Join(dir, "keys"), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no default keystore: %w", err)
	}
	return filepath.Join(dir, "eventchain", "devnet", "keys"), nil
}

// newFlagSet returns a flag set named name that writes its usage to w.
func newFlagSet(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// parseInterspersed parses args into fs, flags and arguments in any order
// ("send alice bob 5 -fee 1" as well as "send -fee 1 alice bob 5"); after
// "--" everything is an argument, and so is a negative number ("send
// alice bob -5" is an amount of -5, for the command to refuse, not an
// unknown flag -5). It returns the arguments and records the flags
// given in given.
func parseInterspersed(fs *flag.FlagSet, args []string, given map[string]bool) ([]string, error) {
	var positional []string
	for {
		if len(args) > 0 && negativeNumber(args[0]) {
			positional = append(positional, args[0])
			args = args[1:]
			continue
		}
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return positional, err // the arguments before -h: "help send -h" asks for send's
			}
			return nil, usageError{err}
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return positional, nil
}

// negativeNumber reports whether arg is a minus sign and a digit, and so
// an argument rather than a flag: no flag's name starts with a digit.
func negativeNumber(arg string) bool {
	return len(arg) > 1 && arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9'
}

// applyEnv sets each flag of envFallback that was not given from its
// environment variable, if set.
func (g *globals) applyEnv(getenv func(string) string) error {
	fs := flag.NewFlagSet("env", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g.register(fs)
	for _, name := range envFallback {
		if g.given[name] {
			continue
		}
		env := "EVENTCHAIN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if v := getenv(env); v != "" {
			if err := fs.Set(name, v); err != nil {
				return usagef("%s=%q: %v", env, v, err)
			}
		}
	}
	return nil
}
