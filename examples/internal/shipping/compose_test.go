package shipping

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	"mvdan.cc/sh/v3/shell"
)

// composeService is the part of a docker-compose.yml service these
// checks read. Command and Environment come in either of Compose's
// forms (a string or a list; a map or a list).
type composeService struct {
	Image       string
	Build       any
	Command     any
	Environment any
	DependsOn   any `yaml:"depends_on"`
	Profiles    []string
}

// build returns the service's build context and target.
func (s composeService) build() (context, target string, ok bool) {
	switch b := s.Build.(type) {
	case string:
		return b, "", true
	case map[string]any:
		context, _ = b["context"].(string)
		target, _ = b["target"].(string)
		return context, target, true
	}
	return "", "", false
}

// args returns the command's arguments.
func (s composeService) args() ([]string, error) {
	switch c := s.Command.(type) {
	case nil:
		return nil, nil
	case string:
		return shell.Fields(c, func(string) string { return "" })
	case []any:
		var out []string
		for _, a := range c {
			out = append(out, fmt.Sprint(a))
		}
		return out, nil
	}
	return nil, fmt.Errorf("command: have %T", s.Command)
}

// env returns the names of the environment variables the service sets.
func (s composeService) env() []string {
	var out []string
	switch e := s.Environment.(type) {
	case map[string]any:
		for k := range e {
			out = append(out, k)
		}
	case []any:
		for _, kv := range e {
			k, _, _ := strings.Cut(fmt.Sprint(kv), "=")
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// dependsOn returns the services this one depends on.
func (s composeService) dependsOn() []string {
	switch d := s.DependsOn.(type) {
	case []any:
		var out []string
		for _, x := range d {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case map[string]any:
		return sortedKeys(d)
	}
	return nil
}

func TestCompose(t *testing.T) {
	var compose struct {
		Services map[string]composeService
	}
	require.NoError(t, yaml.Unmarshal(readFile(t, "docker-compose.yml"), &compose))
	require.NotEmpty(t, compose.Services)

	d := parseDockerfile(t)
	apps := map[string]bool{}
	for _, pkg := range d.builtPackages(t) {
		apps[pkg[strings.LastIndex(pkg, "/")+1:]] = true
	}
	built := 0
	for name, s := range compose.Services {
		t.Run(name, func(t *testing.T) {
			for _, dep := range s.dependsOn() {
				assert.Contains(t, compose.Services, dep, "depends_on names no service")
			}
			context, target, ok := s.build()
			if !ok {
				assert.NotEmpty(t, s.Image, "a service not built here names an image")
				assert.NotRegexp(t, `^golang(:|$)`, s.Image, "an app runs from its image, not with go run")
				assert.False(t, apps[name], "%s is an app of this repository: build its Dockerfile target", name)
				return
			}
			built++
			assert.Equal(t, ".", context, "the build context is the repository")
			require.True(t, apps[target], "build target %q is not an app's stage in the Dockerfile", target)
			a := accepts(t, target)
			args, err := s.args()
			require.NoError(t, err)
			where := "docker-compose.yml service " + name
			a.checkArgs(t, where+" command", args)
			a.checkEnv(t, where+" environment", s.env())
		})
	}
	require.NotZero(t, built, "no service builds an image from this repository")
	for _, app := range []string{"bank", "miner", "auditor", "scheduler"} {
		if s, ok := compose.Services[app]; assert.True(t, ok, "docker-compose.yml has no %s", app) {
			_, target, _ := s.build()
			assert.Equal(t, app, target, "the %s service builds its own target", app)
		}
	}
	if k, ok := compose.Services["kurrentdb"]; assert.True(t, ok, "docker-compose.yml runs KurrentDB") {
		assert.Contains(t, k.env(), "KURRENTDB_INSECURE")
	}
}
