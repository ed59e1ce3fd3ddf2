package shipping

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// workflow is the part of a GitHub Actions workflow these checks read;
// actionlint (run by .ci/run) checks the rest.
type workflow struct {
	On   map[string]any
	Jobs map[string]struct {
		Uses      string
		Container any // an image name, or a map with one
		Strategy  struct {
			Matrix map[string]any
		}
		Steps []struct {
			Name string
			Uses string
			Run  string
			With map[string]any
			Env  map[string]string
		}
	}
}

func readWorkflow(t testing.TB, name string) workflow {
	t.Helper()
	var w workflow
	require.NoError(t, yaml.Unmarshal(readFile(t, ".github/workflows/"+name), &w))
	require.NotEmpty(t, w.Jobs, "%s has no jobs", name)
	return w
}

// imageTargets returns the Dockerfile's app stages, which is what the
// workflows build.
func imageTargets(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, pkg := range parseDockerfile(t).builtPackages(t) {
		out = append(out, filepath.Base(pkg))
	}
	return out
}

// matrixTargets returns a job's matrix.target list.
func matrixTargets(m map[string]any) []string {
	var out []string
	list, _ := m["target"].([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestWorkflowCI(t *testing.T) {
	w := readWorkflow(t, "ci.yml")
	assert.Contains(t, w.On, "push")
	assert.Contains(t, w.On, "pull_request")
	assert.Contains(t, w.On, "workflow_call", "release.yml calls it")

	var runs, uploads, images int
	for name, job := range w.Jobs {
		var profile string
		trusted := false
		for _, s := range job.Steps {
			if strings.Contains(s.Run, "safe.directory") {
				trusted = true
			}
			if strings.Contains(s.Run, ".ci/run") {
				// In a container job the checkout is the runner user's and
				// the steps run as root: git, and go build's VCS stamping
				// (the release build, the apps the tests build), refuse it
				// unless a step before says it is safe.
				if job.Container != nil {
					assert.True(t, trusted, "job %s runs .ci/run in a container without a step before it that adds the checkout to git's safe.directory", name)
				}
				runs++
				profile = s.Env["COVERPROFILE"]
				assert.NotEmpty(t, profile, "job %s: .ci/run is given COVERPROFILE, to keep the coverage profile", name)
			}
		}
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
				uploads++
				assert.Equal(t, profile, s.With["path"], "job %s uploads the coverage profile .ci/run wrote", name)
			}
			if strings.HasPrefix(s.Uses, "docker/build-push-action@") {
				images++
				assert.ElementsMatch(t, imageTargets(t), matrixTargets(job.Strategy.Matrix), "job %s builds every app's image", name)
				assert.Equal(t, "${{ matrix.target }}", s.With["target"])
			}
		}
	}
	assert.Equal(t, 1, runs, "one step runs .ci/run")
	assert.Equal(t, 1, uploads, "one step uploads the coverage profile")
	assert.Equal(t, 1, images, "one step builds the images")
}

func TestWorkflowRelease(t *testing.T) {
	w := readWorkflow(t, "release.yml")
	push, _ := w.On["push"].(map[string]any)
	assert.Equal(t, []any{"v*"}, push["tags"], "release.yml runs on a version tag")
	assert.Len(t, w.On, 1, "and on nothing else")

	callsCI, pushes := false, 0
	for name, job := range w.Jobs {
		if job.Uses == "./.github/workflows/ci.yml" {
			callsCI = true
		}
		for _, s := range job.Steps {
			if !strings.HasPrefix(s.Uses, "docker/build-push-action@") {
				continue
			}
			pushes++
			assert.ElementsMatch(t, imageTargets(t), matrixTargets(job.Strategy.Matrix), "job %s pushes every app's image", name)
			assert.Equal(t, "${{ matrix.target }}", s.With["target"])
			assert.Equal(t, true, s.With["push"])
			args, _ := s.With["build-args"].(string)
			assert.Contains(t, args, "VERSION=${{ github.ref_name }}", "the image is stamped with the tag")
			assert.Contains(t, args, "REVISION=${{ github.sha }}", "and the commit")
		}
	}
	assert.True(t, callsCI, "release.yml runs ci.yml first")
	assert.Equal(t, 1, pushes, "one step builds and pushes the images")
	assert.Contains(t, string(readFile(t, ".github/workflows/release.yml")), "vars.REGISTRY", "the registry is a repository variable")
}

// The Go release is the same everywhere: go.mod's go line, the image
// the Dockerfile builds on, and the image CI runs in.
func TestGoVersion(t *testing.T) {
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)(\.\d+)?$`).FindSubmatch(readFile(t, "go.mod"))
	require.NotNil(t, m, "go.mod has no go line")
	want := string(m[1])

	d := parseDockerfile(t)
	assert.Equal(t, want, d.args["GO_VERSION"], "the Dockerfile's GO_VERSION")
	if s := d.byName[stageSource]; assert.NotNil(t, s) {
		assert.Equal(t, "golang:${GO_VERSION}", s.BaseName, "the source stage is the golang image of GO_VERSION")
	}
	containers := 0
	for name, job := range readWorkflow(t, "ci.yml").Jobs {
		image, ok := job.Container.(string)
		if !ok {
			continue
		}
		containers++
		assert.Equal(t, "golang:"+want, image, "ci.yml job %s", name)
	}
	assert.NotZero(t, containers, "ci.yml runs .ci/run in a golang image")
}
