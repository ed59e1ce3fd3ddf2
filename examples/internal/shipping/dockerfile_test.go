package shipping

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Dockerfile's fixed stages; every command has a stage of its name
// besides.
const (
	stageSource = "source" // toolchain, module cache, code
	stageTest   = "test"   // runs the tests
	stageBuild  = "build"  // every command, static, in /out
)

// runtimeBases are the images an app's stage may start from: no shell,
// nothing but what a static binary needs.
var runtimeBases = []string{"gcr.io/distroless/static-debian12:nonroot", "gcr.io/distroless/static:nonroot", "scratch"}

// dockerfile is the parsed Dockerfile.
type dockerfile struct {
	stages []instructions.Stage
	byName map[string]*instructions.Stage
	args   map[string]string // ARGs before the first FROM, with their defaults
}

// parseDockerfile reads the Dockerfile with BuildKit's parser, failing
// on any warning BuildKit's linter raises while it does.
func parseDockerfile(t testing.TB) dockerfile {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readFile(t, "Dockerfile")))
	require.NoError(t, err)
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile: %s", w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, description, url, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		t.Errorf("Dockerfile:%d: %s: %s", line, rule, msg)
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	require.NoError(t, err)
	d := dockerfile{stages: stages, byName: map[string]*instructions.Stage{}, args: map[string]string{}}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			d.args[kv.Key] = kv.ValueString()
		}
	}
	for i := range stages {
		d.byName[stages[i].Name] = &stages[i]
	}
	return d
}

// commandsOf returns a stage's instructions of type C.
func commandsOf[C instructions.Command](s *instructions.Stage) []C {
	var out []C
	for _, c := range s.Commands {
		if c, ok := c.(C); ok {
			out = append(out, c)
		}
	}
	return out
}

// goCommands returns the go commands a stage's RUN instructions run,
// read with a shell parser.
func (d dockerfile) goCommands(t testing.TB, stage string) []goCommand {
	t.Helper()
	s := d.byName[stage]
	require.NotNil(t, s, "Dockerfile has no stage %q", stage)
	var out []goCommand
	for _, run := range commandsOf[*instructions.RunCommand](s) {
		require.True(t, run.PrependShell, "Dockerfile stage %s: RUN in exec form: %v", stage, run.CmdLine)
		out = append(out, goCommandsIn(t, "Dockerfile "+stage, strings.Join(run.CmdLine, " "))...)
	}
	return out
}

// builtPackages returns the packages the build stage's go build makes.
func (d dockerfile) builtPackages(t testing.TB) []string {
	t.Helper()
	var builds []goCommand
	for _, c := range d.goCommands(t, stageBuild) {
		if c.sub() == "build" {
			builds = append(builds, c)
		}
	}
	require.Len(t, builds, 1, "the build stage should make every command with one go build")
	return builds[0].packages()
}

func TestDockerfileStages(t *testing.T) {
	d := parseDockerfile(t)
	cmds := commands(t)
	built := d.builtPackages(t)

	var want []string
	for _, p := range cmds {
		want = append(want, p.rel())
	}
	assert.ElementsMatch(t, want, built, "the build stage should make every command of the module (go list), have %v", built)

	for _, name := range []string{stageSource, stageTest, stageBuild} {
		assert.Contains(t, d.byName, name, "Dockerfile stage")
	}
	if s := d.byName[stageTest]; assert.NotNil(t, s) {
		assert.Equal(t, stageSource, s.BaseName, "the test stage starts from the source stage")
	}
	if s := d.byName[stageBuild]; assert.NotNil(t, s) {
		assert.Equal(t, stageSource, s.BaseName, "the build stage starts from the source stage")
	}
	if s := d.byName[stageSource]; assert.NotNil(t, s) {
		copies := commandsOf[*instructions.CopyCommand](s)
		runs := commandsOf[*instructions.RunCommand](s)
		if assert.NotEmpty(t, copies) && assert.NotEmpty(t, runs) {
			assert.Equal(t, []string{"go.mod", "go.sum"}, copies[0].SourcePaths, "the source stage copies go.mod and go.sum first, so the module cache is a layer of its own")
			assert.Equal(t, []string{"go mod download"}, runs[0].CmdLine, "then downloads the modules")
		}
	}

	for _, pkg := range built {
		name := filepath.Base(pkg)
		t.Run(name, func(t *testing.T) {
			s := d.byName[name]
			require.NotNil(t, s, "Dockerfile has no stage %q for %s", name, pkg)
			assert.Contains(t, runtimeBases, s.BaseName, "an app's image starts from distroless static or scratch")
			assert.Empty(t, commandsOf[*instructions.RunCommand](s), "an app's image runs nothing at build time: it has no shell")
			users := commandsOf[*instructions.UserCommand](s)
			if assert.Len(t, users, 1, "an app's image names its user") {
				user, _, _ := strings.Cut(users[0].User, ":")
				assert.Regexp(t, `^[1-9][0-9]*$`, user, "a numeric user other than root, so a runtime can check it is not root")
			}
			copies := commandsOf[*instructions.CopyCommand](s)
			if assert.Len(t, copies, 1, "an app's image holds its binary alone") {
				assert.Equal(t, stageBuild, copies[0].From)
				assert.Equal(t, []string{"/out/" + name}, copies[0].SourcePaths)
			}
			entry := commandsOf[*instructions.EntrypointCommand](s)
			if assert.Len(t, entry, 1) {
				assert.False(t, entry[0].PrependShell, "ENTRYPOINT in exec form: there is no shell")
				assert.Equal(t, []string{copies[0].DestPath}, entry[0].CmdLine, "ENTRYPOINT runs the binary")
			}
		})
	}
}

// Every file a COPY takes from the build context is there, and not left
// out by .dockerignore; so are the files the test stage's tests read.
func TestDockerfileCopySources(t *testing.T) {
	d := parseDockerfile(t)
	patterns, err := ignorefile.ReadAll(bytes.NewReader(readFile(t, ".dockerignore")))
	require.NoError(t, err)
	ignore, err := patternmatcher.New(patterns)
	require.NoError(t, err)

	inContext := func(t *testing.T, path string) {
		t.Helper()
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(path)))
		require.NoError(t, err)
		if !assert.NotEmpty(t, matches, "%s is not in the repository", path) {
			return
		}
		for _, m := range matches {
			rel, err := filepath.Rel(root, m)
			require.NoError(t, err)
			if rel == "." {
				continue
			}
			ignored, err := ignore.MatchesOrParentMatches(filepath.ToSlash(rel))
			require.NoError(t, err)
			assert.False(t, ignored, "%s is left out of the build context by .dockerignore", rel)
		}
	}
	copied := 0
	for _, s := range d.stages {
		for _, c := range commandsOf[*instructions.CopyCommand](&s) {
			if c.From != "" {
				continue // from a stage, not the context
			}
			for _, src := range c.SourcePaths {
				copied++
				t.Run(s.Name+"/"+src, func(t *testing.T) { inContext(t, src) })
			}
		}
	}
	require.NotZero(t, copied, "the Dockerfile copies nothing from the build context")
	for _, path := range []string{"Dockerfile", ".dockerignore", "docker-compose.yml", ".ci/run", ".github/workflows", ".vscode/launch.json", "README.md"} {
		t.Run("read by the tests/"+path, func(t *testing.T) { inContext(t, path) })
	}
	ignored, err := ignore.MatchesOrParentMatches(".git/HEAD")
	require.NoError(t, err)
	assert.True(t, ignored, ".dockerignore leaves .git out (release builds are stamped instead)")
}

// The go commands the Dockerfile runs are ones .ci/run runs.
func TestDockerfileCommandsAreCI(t *testing.T) {
	d := parseDockerfile(t)
	ci := goCommandsIn(t, ".ci/run", string(readFile(t, ".ci/run")))
	require.NotEmpty(t, ci, ".ci/run runs no go command")
	var ciNorm []string
	for _, c := range ci {
		ciNorm = append(ciNorm, c.normal())
	}
	for _, stage := range []string{stageTest, stageBuild} {
		cmds := d.goCommands(t, stage)
		require.NotEmpty(t, cmds, "the %s stage runs no go command", stage)
		for _, c := range cmds {
			assert.Contains(t, ciNorm, c.normal(), "the %s stage runs %q, which .ci/run does not", stage, c.String())
		}
	}
	var subs []string
	for _, c := range d.goCommands(t, stageTest) {
		subs = append(subs, c.sub())
	}
	assert.Subset(t, subs, []string{"vet", "test"}, "the test stage vets and tests")
}

// Every ENV, ENTRYPOINT and CMD flag in an app's image is one the app
// accepts.
func TestDockerfileFlags(t *testing.T) {
	d := parseDockerfile(t)
	for _, pkg := range d.builtPackages(t) {
		name := filepath.Base(pkg)
		t.Run(name, func(t *testing.T) {
			s := d.byName[name]
			require.NotNil(t, s)
			a := accepts(t, name)
			where := fmt.Sprintf("Dockerfile stage %s", name)
			var env []string
			for _, e := range commandsOf[*instructions.EnvCommand](s) {
				for _, kv := range e.Env {
					env = append(env, kv.Key)
				}
			}
			a.checkEnv(t, where+" ENV", env)
			for _, e := range commandsOf[*instructions.EntrypointCommand](s) {
				if len(e.CmdLine) > 1 {
					a.checkArgs(t, where+" ENTRYPOINT", e.CmdLine[1:])
				}
			}
			for _, c := range commandsOf[*instructions.CmdCommand](s) {
				assert.False(t, c.PrependShell, "%s: CMD in exec form: there is no shell", where)
				a.checkArgs(t, where+" CMD", c.CmdLine)
			}
		})
	}
}

// The release build works as the Dockerfile writes it, without Docker:
// it makes a static binary that prints the VERSION and REVISION given.
func TestDockerfileReleaseBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an app; skipped with -short")
	}
	d := parseDockerfile(t)
	var build goCommand
	for _, c := range d.goCommands(t, stageBuild) {
		if c.sub() == "build" {
			build = c
		}
	}
	require.NotEmpty(t, build.words, "the build stage has no go build")

	var app string
	for _, pkg := range build.packages() {
		if p := commands(t)[filepath.Base(pkg)]; p.usesApp() {
			app = pkg
			break
		}
	}
	require.NotEmpty(t, app, "the build stage makes no app that uses examples/internal/app")
	const version, revision = "v9.8.7-test", "0123456789abcdef0123456789abcdef01234567"
	out := t.TempDir()
	env, args := build.expand(t, map[string]string{"VERSION": version, "REVISION": revision}, out+string(filepath.Separator), []string{app})
	require.Contains(t, env, "CGO_ENABLED=0", "the release build is static")
	runGo(t, env, args...)

	bin := filepath.Join(out, filepath.Base(app))
	text, code := run(t, bin, "-version")
	require.Equal(t, 0, code, "%s -version: %s", app, text)
	assert.True(t, strings.HasPrefix(text, fmt.Sprintf("%s %s revision %s ", filepath.Base(app), version, revision)), "-version prints the stamped version and revision, have %q", text)

	// A plain docker build gives no build arguments, and its context has no
	// .git: the binary says it knows neither, as the Dockerfile's comment
	// says.
	plain := t.TempDir()
	env, args = build.expand(t, map[string]string{"VERSION": "", "REVISION": ""}, plain+string(filepath.Separator), []string{app})
	runGo(t, append(env, "GOFLAGS=-buildvcs=false"), args...)
	text, code = run(t, filepath.Join(plain, filepath.Base(app)), "-version")
	require.Equal(t, 0, code, "%s -version: %s", app, text)
	assert.True(t, strings.HasPrefix(text, filepath.Base(app)+" (devel) revision unknown "), "-version of an unstamped build, have %q", text)

	info := runGo(t, nil, "version", "-m", bin)
	assert.Contains(t, info, "CGO_ENABLED=0")
	assert.Contains(t, info, "-trimpath=true")

	if runtime.GOOS != "linux" {
		return // the images are linux; elsewhere the binary is the host's kind
	}
	// Static: no program interpreter (dynamic loader) to find in the image.
	f, err := elf.Open(bin)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "%s is dynamically linked", bin)
	}
}
