package shipping

import (
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// composeChainDir holds the chain docker-compose.yml runs: its spec and
// the keys of its demo accounts.
const composeChainDir = "examples/compose"

// composeConfigRef is a service's use of a top-level config: which one,
// and where, whose and of which mode the file is in the container.
// Compose writes it as a name alone or as a map.
type composeConfigRef struct {
	Source string
	Target string
	UID    string
	GID    string
	Mode   *int
}

// UnmarshalYAML takes both of Compose's forms.
func (r *composeConfigRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		r.Source = n.Value
		return nil
	}
	type plain composeConfigRef
	return n.Decode((*plain)(r))
}

// composeConfig is a top-level config: a file of the checkout (which
// Compose bind-mounts, with the mode it has there) or inline content
// (which Compose copies in with the owner and mode the service asks).
type composeConfig struct {
	File    string
	Content string
}

// composeChain is the part of docker-compose.yml the demo chain's checks
// read.
type composeChain struct {
	Services map[string]struct {
		Command any
		Configs []composeConfigRef
	}
	Configs map[string]composeConfig
}

// mounted returns the config service mounts at target, and the use.
func (c composeChain) mounted(t testing.TB, service, target string) (composeConfig, composeConfigRef) {
	t.Helper()
	for _, ref := range c.Services[service].Configs {
		want := ref.Target
		if want == "" {
			want = "/" + ref.Source // Compose's default
		}
		if want == target {
			cfg, ok := c.Configs[ref.Source]
			require.True(t, ok, "service %s uses config %q, which docker-compose.yml does not define", service, ref.Source)
			return cfg, ref
		}
	}
	t.Fatalf("service %s has no config at %s (the path its command names)", service, target)
	return composeConfig{}, composeConfigRef{}
}

// flagValue returns the value of -name in args ("-name value" or
// "-name=value").
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		n := strings.TrimLeft(a, "-")
		if n == a {
			continue // not a flag
		}
		if k, v, ok := strings.Cut(n, "="); ok && k == name {
			return v, true
		}
		if n == name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// composeKeys loads the keystore of the demo chain. A checkout gives
// files the mode its umask says, and the keystore refuses a key file
// others may read, so the files are copied into a private keystore first;
// what is checked is their content.
func composeKeys(t *testing.T) (files map[string][]byte, addrs map[string]blockchain.Address) {
	t.Helper()
	src := filepath.Join(root, filepath.FromSlash(composeChainDir), "keys")
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.Mkdir(dir, 0o700))
	files = map[string][]byte{}
	for _, e := range entries {
		require.True(t, e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".key"), "%s/keys holds %s, which is not a key file", composeChainDir, e.Name())
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600))
		files[strings.TrimSuffix(e.Name(), ".key")] = data
	}
	ks, err := keystore.Open(dir)
	require.NoError(t, err)
	list, err := ks.List()
	require.NoError(t, err, "every file of %s/keys is a key file", composeChainDir)
	require.NotEmpty(t, list, "%s/keys holds no key", composeChainDir)
	addrs = map[string]blockchain.Address{}
	for _, e := range list {
		assert.False(t, e.Encrypted, "key %s: the demo keys are stored in clear, for the scheduler", e.Name)
		key, err := ks.Load(e.Name, nil)
		require.NoError(t, err, "key %s", e.Name)
		require.Equal(t, e.Address, key.Address(), "key %s: its seed makes the address it names", e.Name)
		addrs[e.Name] = key.Address()
	}
	return files, addrs
}

// The demo chain of docker-compose.yml holds together: genesis.json funds
// exactly the accounts whose keys are in the keystore beside it; the bank
// writes that genesis; the scheduler signs with those keys, handed to it
// byte for byte as the files are, readable by its image's user alone;
// and the miner pays one of those accounts.
func TestComposeChain(t *testing.T) {
	var spec blockchain.ChainSpec
	require.NoError(t, spec.UnmarshalJSON(readFile(t, composeChainDir+"/genesis.json")), "%s/genesis.json", composeChainDir)
	files, addrs := composeKeys(t)

	t.Run("genesis funds exactly the demo keys", func(t *testing.T) {
		var funded, keys []string
		for _, a := range spec.Alloc {
			funded = append(funded, a.Address.String())
			assert.Positive(t, a.Balance, "%s is funded", a.Address)
		}
		for _, a := range addrs {
			keys = append(keys, a.String())
		}
		assert.ElementsMatch(t, keys, funded, "the accounts genesis.json funds, and the keys in %s/keys", composeChainDir)
	})

	var compose composeChain
	require.NoError(t, yaml.Unmarshal(readFile(t, "docker-compose.yml"), &compose))
	args := func(t *testing.T, service string) []string {
		s, ok := compose.Services[service]
		require.True(t, ok, "docker-compose.yml has no %s", service)
		out, err := composeService{Command: s.Command}.args()
		require.NoError(t, err)
		return out
	}

	t.Run("the bank writes the genesis", func(t *testing.T) {
		genesis, ok := flagValue(args(t, "bank"), "genesis")
		require.True(t, ok, "the bank is started with -genesis")
		cfg, _ := compose.mounted(t, "bank", genesis)
		assert.Equal(t, "./"+composeChainDir+"/genesis.json", cfg.File, "the bank's -genesis is %s/genesis.json", composeChainDir)
		for _, other := range []string{"miner", "auditor"} {
			_, given := flagValue(args(t, other), "genesis")
			assert.False(t, given, "the %s waits for the bank's spec in the log", other)
		}
	})

	t.Run("the scheduler signs with the demo keys", func(t *testing.T) {
		a := args(t, "scheduler")
		dir, ok := flagValue(a, "keystore")
		require.True(t, ok, "the scheduler names its keystore")
		accounts, ok := flagValue(a, "accounts")
		require.True(t, ok, "the scheduler names its accounts")
		names := strings.Split(accounts, ",")
		assert.GreaterOrEqual(t, len(names), 2, "the scheduler needs two accounts")
		for _, name := range names {
			assert.Contains(t, addrs, name, "-accounts names %s, which is not a key of %s/keys", name, composeChainDir)
		}
		user := imageUser(t, "scheduler")
		for _, name := range sortedKeys(files) {
			cfg, ref := compose.mounted(t, "scheduler", path.Join(dir, name+".key"))
			assert.Empty(t, cfg.File, "key %s: inline content, which Compose copies with the mode asked, not a bind-mounted file", name)
			assert.Equal(t, string(files[name]), cfg.Content, "key %s: the content is %s/keys/%s.key, byte for byte", name, composeChainDir, name)
			assert.Equal(t, user, ref.UID, "key %s: owned by the scheduler image's user", name)
			if assert.NotNil(t, ref.Mode, "key %s: a mode, or Compose's default 0444 lets everyone read it", name) {
				assert.Zero(t, *ref.Mode&0o077, "key %s: mode %#o; the keystore refuses a key file its group or others may read", name, *ref.Mode)
				assert.NotZero(t, *ref.Mode&0o400, "key %s: mode %#o; its owner reads it", name, *ref.Mode)
			}
		}
	})

	t.Run("the miner pays a demo account", func(t *testing.T) {
		v, ok := flagValue(args(t, "miner"), "beneficiary")
		require.True(t, ok, "the miner is started with -beneficiary")
		addr, err := blockchain.ParseAddress(v)
		require.NoError(t, err)
		assert.Contains(t, slices.Collect(maps.Values(addrs)), addr, "the beneficiary is the address of a key in %s/keys", composeChainDir)
	})
}

// imageUser returns the numeric user an app's Dockerfile stage runs as.
func imageUser(t testing.TB, stage string) string {
	t.Helper()
	s := parseDockerfile(t).byName[stage]
	require.NotNil(t, s, "Dockerfile has no stage %q", stage)
	users := commandsOf[*instructions.UserCommand](s)
	require.Len(t, users, 1, "Dockerfile stage %s names its user once", stage)
	user, _, _ := strings.Cut(users[0].User, ":")
	return user
}
