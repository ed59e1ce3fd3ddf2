package shipping

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// goCommand is one go command in a shell script, as written: its
// variable assignments (CGO_ENABLED=0) and its words after "go".
type goCommand struct {
	assigns []*syntax.Assign
	words   []*syntax.Word
}

// goCommandsIn parses a shell script and returns the go commands in it,
// in order, wherever they are (in a pipeline, an if, after &&).
func goCommandsIn(t testing.TB, where, script string) []goCommand {
	t.Helper()
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(script), where)
	require.NoError(t, err, "parse %s", where)
	var out []goCommand
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) < 2 || call.Args[0].Lit() != "go" {
			return true
		}
		out = append(out, goCommand{assigns: call.Assigns, words: call.Args[1:]})
		return true
	})
	return out
}

// source prints a shell node as written.
func source(n syntax.Node) string {
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, n); err != nil {
		return "?"
	}
	return b.String()
}

// sub is the go subcommand: build, test, vet, tool, ….
func (c goCommand) sub() string {
	if len(c.words) == 0 {
		return ""
	}
	return c.words[0].Lit()
}

// String gives the command as written.
func (c goCommand) String() string {
	var parts []string
	for _, a := range c.assigns {
		parts = append(parts, source(a))
	}
	parts = append(parts, "go")
	for _, w := range c.words {
		parts = append(parts, source(w))
	}
	return strings.Join(parts, " ")
}

// outputFlags name files a command writes; where is up to the caller,
// so normal does not compare them.
var outputFlags = []string{"-o", "-coverprofile"}

// normal gives the command as written but for the values of its output
// flags, so two callers writing to different places compare equal.
func (c goCommand) normal() string {
	var parts []string
	for _, a := range c.assigns {
		parts = append(parts, source(a))
	}
	parts = append(parts, "go")
	skip := false
	for _, w := range c.words {
		s := source(w)
		switch {
		case skip:
			s, skip = "…", false
		default:
			for _, f := range outputFlags {
				if s == f {
					skip = true
				} else if strings.HasPrefix(s, f+"=") {
					s = f + "=…"
				}
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// packages returns the package patterns the command names (./…).
func (c goCommand) packages() []string {
	var out []string
	for _, w := range c.words {
		if s := w.Lit(); strings.HasPrefix(s, "./") {
			out = append(out, s)
		}
	}
	return out
}

// expand expands the command as a shell would with vars set, writing its
// output to out and building pkgs instead of its own packages. It
// returns the environment assignments and the go command's arguments.
func (c goCommand) expand(t testing.TB, vars map[string]string, out string, pkgs []string) (env, args []string) {
	t.Helper()
	var pairs []string
	for k, v := range vars {
		pairs = append(pairs, k+"="+v)
	}
	cfg := &expand.Config{Env: expand.ListEnviron(pairs...), NoUnset: true}
	for _, a := range c.assigns {
		v, err := expand.Literal(cfg, a.Value)
		require.NoError(t, err, "expand %s", source(a))
		env = append(env, a.Name.Value+"="+v)
	}
	words, err := expand.Fields(cfg, c.words...)
	require.NoError(t, err, "expand %s", c)
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-o" && i+1 < len(words):
			args = append(args, w, out)
			i++
		case strings.HasPrefix(w, "-o="):
			args = append(args, "-o="+out)
		case strings.HasPrefix(w, "./"):
		default:
			args = append(args, w)
		}
	}
	return env, append(args, pkgs...)
}

// runGo runs the go command in the repository with env added, and
// returns its combined output; it must succeed.
func runGo(t testing.TB, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go %s: %s", strings.Join(args, " "), out)
	return string(out)
}
