package shipping

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// launchConfig is a VS Code debug configuration, the fields checked here.
type launchConfig struct {
	Name    string
	Type    string
	Request string
	Mode    string
	Program string
	Args    []string
	Env     map[string]string
	Host    string
	Port    int
}

// dlvHeadless is the command README.md gives for a headless Delve; the
// attach configuration must reach it.
var dlvHeadless = regexp.MustCompile(`dlv debug --headless --listen :(\d+) (\./\S+)`)

// .vscode/launch.json is strict JSON (VS Code reads comments and trailing
// commas; encoding/json does not, so there are none), every program it
// launches exists and takes the flags and EVENTCHAIN_* variables given,
// and its attach configuration reaches the headless Delve the README
// starts.
func TestLaunchJSON(t *testing.T) {
	var launch struct {
		Version        string
		Configurations []launchConfig
	}
	dec := json.NewDecoder(bytes.NewReader(readFile(t, ".vscode/launch.json")))
	require.NoError(t, dec.Decode(&launch), ".vscode/launch.json is not strict JSON")
	assert.False(t, dec.More(), ".vscode/launch.json has more than one value")
	assert.Equal(t, "0.2.0", launch.Version)
	require.NotEmpty(t, launch.Configurations)

	launched := map[string]bool{}
	var attach []launchConfig
	names := map[string]bool{}
	for _, c := range launch.Configurations {
		t.Run(c.Name, func(t *testing.T) {
			assert.NotEmpty(t, c.Name)
			assert.False(t, names[c.Name], "two configurations named %q", c.Name)
			names[c.Name] = true
			assert.Equal(t, "go", c.Type)
			switch c.Request {
			case "attach":
				attach = append(attach, c)
			case "launch":
				rel, ok := strings.CutPrefix(c.Program, "${workspaceFolder}/")
				require.True(t, ok, "program %q: want ${workspaceFolder}/…", c.Program)
				require.True(t, exists(rel), "program %s does not exist", rel)
				name := filepath.Base(rel)
				require.Contains(t, commands(t), name, "program %s is not a command of the module", rel)
				launched[name] = true
				a := accepts(t, name)
				a.checkArgs(t, ".vscode/launch.json "+c.Name+" args", c.Args)
				// A checkout leaves the demo keys readable by others (and,
				// under umask 002, their directory writable by the group),
				// which the keystore refuses: the configuration says how to
				// make them private, as README.md does.
				if ks, ok := flagValue(c.Args, "keystore"); ok && ks == "${workspaceFolder}/"+composeChainDir+"/keys" {
					for _, chmod := range []string{"chmod 700 " + composeChainDir + "/keys", "chmod 600 " + composeChainDir + "/keys/*.key"} {
						assert.Contains(t, c.Name, chmod, "the configuration uses the demo keystore of a checkout; its name says to run %q first", chmod)
					}
				}
				a.checkEnv(t, ".vscode/launch.json "+c.Name+" env", sortedKeys(c.Env))
			default:
				t.Errorf("request %q: want launch or attach", c.Request)
			}
		})
	}
	for name := range commands(t) {
		assert.True(t, launched[name], ".vscode/launch.json launches no %s", name)
	}

	m := dlvHeadless.FindStringSubmatch(string(readFile(t, "README.md")))
	require.NotNil(t, m, "README.md gives no `dlv debug --headless --listen :PORT ./…` command")
	assert.True(t, exists(m[2]), "README.md's dlv command debugs %s, which does not exist", m[2])
	if assert.Len(t, attach, 1, "one attach configuration") {
		assert.Equal(t, "remote", attach[0].Mode)
		assert.Equal(t, m[1], strconv.Itoa(attach[0].Port), "the attach configuration's port is the README's dlv port")
	}
}
