// Package shipping checks how eventchain is shipped and tested, from
// the files that ship it, without Docker: the Dockerfile (read with
// BuildKit's own parser), docker-compose.yml, the GitHub workflows,
// .vscode/launch.json, the apps' -version, and that every test asserts
// something. Flags are checked against what the apps accept, read from
// their own -h output, so no list here can drift from the code.
//
// It has tests only; .ci/run runs them with every other test.
package shipping

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// module is the module's path; appPackage is the package whose Parse
// gives an app its EVENTCHAIN_* fallbacks and -version.
const (
	module     = "github.com/eventchain/eventchain"
	appPackage = module + "/examples/internal/app"
)

// root is the repository's top directory.
var root = func() string {
	dir, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		panic(err)
	}
	return dir
}()

// binDir holds the apps built by built; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shipping-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// readFile returns a file of the repository, by its slash path.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
	require.NoError(t, err)
	return b
}

// exists says whether a slash path names a file or directory in the
// repository.
func exists(path string) bool {
	_, err := os.Stat(filepath.Join(root, filepath.FromSlash(path)))
	return err == nil
}

// goPackage is what `go list` says of a package.
type goPackage struct {
	ImportPath string
	Dir        string
	Name       string
	Imports    []string
}

// rel is the package's directory as the go command names it from the
// repository's top: "./examples/bank".
func (p goPackage) rel() string { return "./" + strings.TrimPrefix(p.ImportPath, module+"/") }

// usesApp says whether the package calls into examples/internal/app,
// which is where the EVENTCHAIN_* fallbacks and -version come from.
func (p goPackage) usesApp() bool { return slices.Contains(p.Imports, appPackage) }

// mainPackages lists the module's commands, as `go list` sees them.
var mainPackages = sync.OnceValues(func() ([]goPackage, error) {
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Dir,Name,Imports", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, stderr.Bytes())
	}
	var mains []goPackage
	for d := json.NewDecoder(bytes.NewReader(out)); ; {
		var p goPackage
		if err := d.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		if p.Name == "main" {
			mains = append(mains, p)
		}
	}
	return mains, nil
})

// commands returns the module's commands by name (the last element of
// their path, as go build names the binary).
func commands(t testing.TB) map[string]goPackage {
	t.Helper()
	mains, err := mainPackages()
	require.NoError(t, err)
	require.NotEmpty(t, mains, "go list found no commands")
	out := map[string]goPackage{}
	for _, p := range mains {
		out[filepath.Base(p.ImportPath)] = p
	}
	return out
}

// gitHead is the commit checked out, or "" outside a git checkout (in
// the Dockerfile's test stage, which has no .git).
var gitHead = sync.OnceValue(func() string {
	cmd := exec.Command("git", "rev-parse", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})

// buildAll compiles every command into binDir the way a user does in a
// checkout: go build, with VCS stamping on where there is a checkout.
var buildAll = sync.OnceValue(func() error {
	mains, err := mainPackages()
	if err != nil {
		return err
	}
	args := []string{"build"}
	if gitHead() != "" {
		args = append(args, "-buildvcs=true") // a GOFLAGS=-buildvcs=false may be set
	}
	args = append(args, "-o", binDir+string(filepath.Separator))
	for _, p := range mains {
		args = append(args, p.rel())
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
})

// built returns the path of the named command, built by buildAll.
func built(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds every command; skipped with -short")
	}
	require.NoError(t, buildAll())
	bin := filepath.Join(binDir, name)
	require.FileExists(t, bin)
	return bin
}

// run runs bin with args for at most a minute, without the EVENTCHAIN_*
// variables of the test's environment, and returns its combined output
// and exit code.
func run(t testing.TB, bin string, args ...string) (string, int) {
	t.Helper()
	return runEnv(t, nil, bin, args...)
}

// runEnv is run with env added to the environment.
func runEnv(t testing.TB, env []string, bin string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(withoutEventchainEnv(os.Environ()), env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err, "%s %v", bin, args)
	return string(out), 0
}

// withoutEventchainEnv drops EVENTCHAIN_* variables, which an app would
// take for flags.
func withoutEventchainEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "EVENTCHAIN_") })
}

// usageFlag matches a flag in the flag package's usage output:
// "  -name type" or "  -name\tusage".
var usageFlag = regexp.MustCompile(`^  -([^\s=]+)`)

// accepted is what a command accepts, from its own -h output.
type accepted struct {
	name  string
	flags map[string]bool
	env   bool // EVENTCHAIN_<FLAG> falls back to the flag (it uses app.Parse)
}

// accepts runs the named command with -h and reads its flags.
func accepts(t testing.TB, name string) accepted {
	t.Helper()
	pkg, ok := commands(t)[name]
	require.True(t, ok, "no command named %q in the module", name)
	out, code := run(t, built(t, name), "-h")
	require.Equal(t, 0, code, "%s -h: exit status %d:\n%s", name, code, out)
	a := accepted{name: name, flags: map[string]bool{}, env: pkg.usesApp()}
	for s := bufio.NewScanner(strings.NewReader(out)); s.Scan(); {
		if m := usageFlag.FindStringSubmatch(s.Text()); m != nil {
			a.flags[m[1]] = true
		}
	}
	require.NotEmpty(t, a.flags, "%s -h listed no flags:\n%s", name, out)
	return a
}

// checkArgs checks that every flag in args is one the command accepts:
// -name, --name, -name=value, and a value after a flag that takes one.
func (a accepted) checkArgs(t testing.TB, where string, args []string) {
	t.Helper()
	for _, arg := range args {
		if !strings.HasPrefix(arg, "-") || arg == "-" || arg == "--" {
			continue // a flag's value
		}
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !a.flags[name] {
			t.Errorf("%s: %s has no flag -%s (it accepts %v)", where, a.name, name, sortedKeys(a.flags))
		}
	}
}

// checkEnv checks that every EVENTCHAIN_* variable stands for a flag the
// command accepts, and that the command reads such variables at all.
func (a accepted) checkEnv(t testing.TB, where string, names []string) {
	t.Helper()
	for _, name := range names {
		rest, ok := strings.CutPrefix(name, "EVENTCHAIN_")
		if !ok {
			continue
		}
		if !a.env {
			t.Errorf("%s: %s does not read EVENTCHAIN_* variables (it does not use app.Parse), have %s", where, a.name, name)
			continue
		}
		flag := strings.ToLower(strings.ReplaceAll(rest, "_", "-"))
		if !a.flags[flag] || flag == "version" {
			t.Errorf("%s: %s stands for -%s, which %s does not take from the environment (flags: %v)", where, name, flag, a.name, sortedKeys(a.flags))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
