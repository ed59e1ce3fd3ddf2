package main

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/apptest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/bankclient/bankclienttest"
	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// testScrypt makes encrypting a key cheap in tests.
var testScrypt = keystore.ScryptParams{N: 1024, R: 8, P: 1}

// The passphrase of dave's key in the fixture.
const davePass = "correct horse"

// testSpec is consensustest.Spec() with proof of work at 8 bits: the
// fake bank's blocks carry real work (about 256 hashes each), which
// verify and balance -verified check.
func testSpec() blockchain.ChainSpec {
	spec := consensustest.Spec()
	spec.Consensus.PoW = &blockchain.PoWSpec{Bits: 8}
	return spec
}

// fixture is a bank and a keystore like devnet's: alice, bob and carol's
// keys in clear, dave's encrypted, all funded by testSpec().
type fixture struct {
	bank *bankclienttest.Bank
	url  string
	keys string // the keystore's directory
	dir  string // a directory for other files
	// pause is what happens while the wallet waits between two polls
	// (the clock fires at once after it): by default a block is mined.
	pause func(f *fixture)
	// interceptors answer requests in the bank's stead (see intercept).
	interceptors []func(w http.ResponseWriter, r *http.Request) bool
	// indexCaughtUp, for a test whose bank's history lags its chain,
	// ends the lag.
	indexCaughtUp atomic.Bool
	// now, if set, is the wallet's clock.
	now func() time.Time
	// waited is the length of the last wait for a block the wallet
	// armed (its -timeout), and passDeadline passes that wait's
	// deadline: the wait ends as if waited had passed, without a moment
	// of real time. The wallet sets both as it arms the wait, in the
	// goroutine that then calls pause.
	waited       time.Duration
	passDeadline func()
}

// withTimeout is the wallet's withTimeout in the fixture: the deadline
// of a wait for a block passes when the test calls f.passDeadline (or
// never), whatever d is.
func (f *fixture) withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	f.waited = d
	f.passDeadline = func() { cancel(context.DeadlineExceeded) }
	return passableCtx{ctx}, func() { cancel(nil) }
}

// A passableCtx is a context ended by its cancel function with the
// cause context.DeadlineExceeded, as a deadline that has passed ends
// one: its Err is then context.DeadlineExceeded, not context.Canceled.
type passableCtx struct{ context.Context }

func (c passableCtx) Err() error {
	err := c.Context.Err()
	if err != nil && context.Cause(c.Context) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return err
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOf(t, testSpec())
}

// newFixtureOf is newFixture with a bank of another network.
func newFixtureOf(t *testing.T, spec blockchain.ChainSpec, opts ...bankclienttest.Option) *fixture {
	t.Helper()
	bank, err := bankclienttest.New(spec, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(bank)
	t.Cleanup(srv.Close)
	f := &fixture{bank: bank, url: srv.URL, keys: filepath.Join(t.TempDir(), "keys"), dir: t.TempDir(), pause: func(f *fixture) { f.bank.Mine() }}
	ks, err := keystore.New(keystore.Config{Dir: f.keys, Scrypt: testScrypt})
	require.NoError(t, err)
	for _, n := range []string{"alice", "bob", "carol"} {
		require.NoError(t, ks.ImportUnencrypted(n, consensustest.Key(n)))
	}
	require.NoError(t, ks.Import("dave", consensustest.Key("dave"), []byte(davePass), nil))
	return f
}

// run runs the wallet with args, where "{addr:NAME}" stands for the
// address of consensustest's key NAME, "{tx}" for the ID of the last
// transaction the bank accepted and "{tx0}" for the first, and the
// environment env (plus the fixture's bank and keystore, unless env names
// them).
func (f *fixture) run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return f.runCtx(context.Background(), t, env, args...)
}

// runCtx is run under ctx.
func (f *fixture) runCtx(ctx context.Context, t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	vars := map[string]string{"EVENTCHAIN_BANK": f.url, "EVENTCHAIN_KEYSTORE": f.keys}
	for k, v := range env {
		vars[k] = v
	}
	expanded := make([]string, len(args))
	for i, a := range args {
		a = regexp.MustCompile(`\{addr:(\w+)\}`).ReplaceAllStringFunc(a, func(m string) string {
			return consensustest.Addr(m[len("{addr:") : len(m)-1]).String()
		})
		if strings.Contains(a, "{genesis}") {
			genesis, err := testSpec().Genesis()
			require.NoError(t, err)
			a = strings.ReplaceAll(a, "{genesis}", genesis.Hash().String())
		}
		if strings.Contains(a, "{tx}") || strings.Contains(a, "{tx0}") {
			txs := f.bank.Submitted()
			require.NotEmpty(t, txs, "{tx} and {tx0} need a transaction")
			a = strings.ReplaceAll(a, "{tx}", txs[len(txs)-1].ID().String())
			a = strings.ReplaceAll(a, "{tx0}", txs[0].ID().String())
		}
		expanded[i] = a
	}
	var out, errOut bytes.Buffer
	w := &wallet{stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }, scrypt: testScrypt, now: f.now, withTimeout: f.withTimeout,
		poll: bankclient.Poll{After: func(time.Duration) <-chan time.Time {
			f.pause(f)
			ch := make(chan time.Time, 1)
			ch <- time.Time{}
			return ch
		}}}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	code = w.run(ctx, expanded)
	return code, out.String(), errOut.String()
}

// waitTimeout is the -timeout of the tests of send that wait for a block
// in vain. No real time is waited: the wallet's deadline passes when the
// test says (outwait), so a poll, however slow the machine, always ends
// before it.
const waitTimeout = 500 * time.Millisecond

// outwait is a pause that outlasts the wallet's wait: the wait's
// deadline passes during it. No block is mined. (A wallet that armed no
// wait through the fixture leaves nothing to pass: its test fails on
// waitedTimeout.)
func outwait(f *fixture) {
	if f.passDeadline != nil {
		f.passDeadline()
	}
}

// waitedTimeout checks that the wallet armed its wait for -timeout.
func waitedTimeout(t *testing.T, f *fixture) {
	assert.Equal(t, waitTimeout, f.waited, "the wait's length: -timeout")
}

// outwaitAfterFirst is outwait once the bank has answered a poll after
// the first (polls counts them): the first, answered pending, is followed
// at once by the second, whose failure is then the wallet's last poll.
func outwaitAfterFirst(f *fixture, polls *atomic.Int32) {
	if polls.Load() >= 2 {
		outwait(f)
	}
}

// writeFile writes a file of the fixture and returns its path.
func (f *fixture) writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(f.dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// lastTx returns the last transaction the bank accepted.
func (f *fixture) lastTx(t *testing.T) blockchain.Transaction {
	t.Helper()
	txs := f.bank.Submitted()
	require.NotEmpty(t, txs)
	return txs[len(txs)-1]
}

// A case is one run of the wallet and what it must print.
type testCase struct {
	name   string
	setup  func(t *testing.T, f *fixture) // before the run; may set env
	env    map[string]string
	args   []string
	code   int
	stdout []string // regular expressions stdout must match, in order
	stderr []string // regular expressions stderr must match
	// stderrNot are regular expressions stderr must not match.
	stderrNot []string
	check     func(t *testing.T, f *fixture) // after the run
}

func runCases(t *testing.T, cases []testCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = strings.ReplaceAll(v, "{dir}", f.dir)
			}
			if tc.setup != nil {
				tc.setup(t, f)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "{dir}", f.dir)
			}
			code, stdout, stderr := f.run(t, env, args...)
			assert.Equal(t, tc.code, code, "exit status; stdout:\n%s\nstderr:\n%s", stdout, stderr)
			assert.Regexp(t, "(?s)"+strings.Join(tc.stdout, ".*"), stdout, "stdout")
			for _, re := range tc.stderr {
				assert.Regexp(t, re, stderr, "stderr")
			}
			for _, re := range tc.stderrNot {
				assert.NotRegexp(t, re, stderr, "stderr")
			}
			if tc.code == 0 {
				assert.NotContains(t, stderr, "wallet:", "no error on success")
			} else {
				assert.NotContains(t, stderr, "panic")
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

const addrRE = `ec[0-9a-f]{48}`

func TestKeys(t *testing.T) {
	runCases(t, []testCase{
		{
			name: "new demo key", args: []string{"new", "erin", "-insecure-no-passphrase"},
			stdout: []string{`^` + addrRE + `\n$`},
			check: func(t *testing.T, f *fixture) {
				_, out, _ := f.run(t, nil, "list")
				assert.Regexp(t, `erin\s+`+addrRE+`\s+in clear`, out)
			},
		},
		{
			name: "new key, passphrase in the environment", env: map[string]string{"EVENTCHAIN_PASSPHRASE": "s3cret"}, args: []string{"new", "erin"},
			stdout: []string{`^` + addrRE + `\n$`},
			check: func(t *testing.T, f *fixture) {
				ks, err := keystore.Open(f.keys)
				require.NoError(t, err)
				_, err = ks.Load("erin", []byte("s3cret"))
				assert.NoError(t, err)
			},
		},
		{
			name: "new key, passphrase file", args: []string{"-passphrase-file", "{dir}/pass", "new", "erin"},
			setup:  func(t *testing.T, f *fixture) { f.writeFile(t, "pass", "from a file\r\n") },
			stdout: []string{`^` + addrRE + `\n$`},
			check: func(t *testing.T, f *fixture) {
				ks, err := keystore.Open(f.keys)
				require.NoError(t, err)
				_, err = ks.Load("erin", []byte("from a file"))
				assert.NoError(t, err, "one trailing newline is not the passphrase's")
			},
		},
		{
			name: "new key in a new keystore", args: []string{"new", "erin", "-insecure-no-passphrase", "-keystore", "{dir}/fresh"},
			stdout: []string{`^` + addrRE + `\n$`},
		},
		{name: "new key, name taken", args: []string{"new", "alice", "-insecure-no-passphrase"}, code: 1, stderr: []string{`a key named "alice" exists already`}},
		{name: "new key without a passphrase", args: []string{"new", "erin"}, code: 2, stderr: []string{`needs a passphrase`}},
		{name: "new key, passphrase and none", env: map[string]string{"EVENTCHAIN_PASSPHRASE": "x"}, args: []string{"new", "erin", "-insecure-no-passphrase"}, code: 2, stderr: []string{`not both`}},
		{name: "new key, bad name", args: []string{"new", "Erin", "-insecure-no-passphrase"}, code: 2, stderr: []string{`bad key name`}},
		{name: "new key, empty passphrase file", setup: func(t *testing.T, f *fixture) { f.writeFile(t, "pass", "\n") }, args: []string{"new", "erin", "-passphrase-file", "{dir}/pass"}, code: 1, stderr: []string{`is empty`}},
		{name: "new key, no passphrase file", args: []string{"new", "erin", "-passphrase-file", "{dir}/none"}, code: 1, stderr: []string{`passphrase file: open`}},
		{name: "new key, a passphrase file others may read", setup: func(t *testing.T, f *fixture) {
			require.NoError(t, os.Chmod(f.writeFile(t, "pass", "secret\n"), 0o644))
		}, args: []string{"new", "erin", "-passphrase-file", "{dir}/pass"}, code: 1, stderr: []string{`mode -rw-r--r-- lets others read or write it: chmod 600 it`}},
		{name: "new key without a name", args: []string{"new"}, code: 2, stderr: []string{`new takes 1 argument`}},
		{name: "an empty keystore", args: []string{"-keystore", "", "list"}, code: 2, stderr: []string{`^wallet: -keystore: empty: give the keystore's directory`}},
		{name: "no confirmation", args: []string{"verify", "11111111-1111-1111-1111-111111111111", "-confirmations", "0"}, code: 2, stderr: []string{`-confirmations 0: the proof's own block is the first confirmation: want 1 or more`}},
		// -confirmations and -max-headers bound what the wallet believes:
		// read as Go's flag package reads numbers, -confirmations 010
		// would ask for 8 blocks of work, not 10, without a word.
		{name: "confirmations in octal", args: []string{"verify", "11111111-1111-1111-1111-111111111111", "-confirmations", "010"}, code: 2, stderr: []string{`-confirmations: have "010", want a whole number in decimal`}},
		{name: "confirmations in hex", args: []string{"verify", "11111111-1111-1111-1111-111111111111", "-confirmations", "0x10"}, code: 2, stderr: []string{`-confirmations: have "0x10", want a whole number in decimal`}},
		{name: "negative confirmations", args: []string{"verify", "11111111-1111-1111-1111-111111111111", "-confirmations", "-1"}, code: 2, stderr: []string{`-confirmations -1: the proof's own block is the first confirmation: want 1 or more`}},
		{name: "max-headers in octal", args: []string{"verify", "11111111-1111-1111-1111-111111111111", "-max-headers", "0100"}, code: 2, stderr: []string{`-max-headers: have "0100", want a whole number in decimal`}},
		{name: "max-headers in hex", args: []string{"verify", "11111111-1111-1111-1111-111111111111", "-max-headers", "0x10"}, code: 2, stderr: []string{`-max-headers: have "0x10", want a whole number in decimal`}},
		{
			name: "list", args: []string{"list"},
			stdout: []string{`alice\s+` + consensustest.Addr("alice").String() + `\s+in clear\n`, `bob\s+`, `carol\s+`, `dave\s+` + consensustest.Addr("dave").String() + `\s+encrypted\n$`},
		},
		{name: "list, no keystore", args: []string{"list", "-keystore", "{dir}/none"}, code: 1, stderr: []string{`no keystore at .*none`}},
		{
			// Each refusal errors.Join put on a line of its own is said
			// on the one line of the error, after "; ".
			name: "list, two key files refused", args: []string{"list"},
			setup: func(t *testing.T, f *fixture) {
				for _, name := range []string{"erin", "zoe"} {
					require.NoError(t, os.WriteFile(filepath.Join(f.keys, name+".key"), []byte("{}"), 0o600))
				}
			},
			code: 1, stderr: []string{`(?m)^wallet: some key files were refused: .*erin\.key: .*; .*zoe\.key: .*\n\z`}, stderrNot: []string{`\\n`},
		},
		{
			name: "list, empty keystore", args: []string{"list", "-keystore", "{dir}/empty"},
			setup:  func(t *testing.T, f *fixture) { require.NoError(t, os.Mkdir(filepath.Join(f.dir, "empty"), 0o700)) },
			stdout: []string{`^$`}, stderr: []string{`no keys in`},
		},
		{name: "address", args: []string{"address", "bob"}, stdout: []string{`^` + consensustest.Addr("bob").String() + `\n$`}},
		{name: "address of no key", args: []string{"address", "zoe"}, code: 1, stderr: []string{`no key named "zoe" in .*keys \('wallet list' shows them\)`}},
		{name: "address, bad name", args: []string{"address", "../bob"}, code: 2, stderr: []string{`bad key name`}},
	})
}

func TestBank(t *testing.T) {
	bob := consensustest.Addr("bob").String()
	typo := "ec" + strings.Repeat("0", 48) // a checksum that does not match
	runCases(t, []testCase{
		{
			name: "balance of a key", args: []string{"balance", "alice"},
			stdout: []string{`address\s+` + consensustest.Addr("alice").String() + `\n`, `balance\s+1000000\n`, `nonce\s+0\n`, `next nonce\s+0\n$`},
		},
		{
			name: "balance of an address, next nonce counting the pending", args: []string{"balance", bob},
			setup: func(t *testing.T, f *fixture) {
				code, _, stderr := f.run(t, nil, "send", "bob", "alice", "10", "-wait=false")
				require.Equal(t, 0, code, stderr)
			},
			stdout: []string{`balance\s+1000000\n`, `nonce\s+0\n`, `next nonce\s+1\n$`},
		},
		{name: "balance of an address with a typo", args: []string{"balance", typo}, code: 2, stderr: []string{`bad address: .*checksum does not match`}},
		{name: "balance of neither", args: []string{"balance", "Bob"}, code: 2, stderr: []string{`"Bob" is neither a key name nor an address`}},
		{name: "balance of no key", args: []string{"balance", "zoe"}, code: 1, stderr: []string{`no key named "zoe"`}},
		{
			name: "bank down", args: []string{"balance", "alice"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				srv := httptest.NewServer(http.NotFoundHandler())
				f.url = srv.URL
				srv.Close()
			},
			stderr: []string{`no answer from the bank.*is the bank running at http://127\.0\.0\.1:\d+\?`},
		},
		{name: "bad bank URL", env: map[string]string{"EVENTCHAIN_BANK": "localhost:8080"}, args: []string{"balance", "alice"}, code: 2, stderr: []string{`-bank: bank URL`}},
		{
			name: "a problem is shown with its rule and field", args: []string{"balance", "alice"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					w.Header().Set("Content-Type", "application/problem+json")
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte(`{"status":400,"title":"Bad Request","detail":"address: not one","field":"address","rule":"bad-chain-id"}`))
					return true
				})
			},
			stderr: []string{`^wallet: bank answered 400 Bad Request: address: not one \(rule bad-chain-id, field address\)\n$`},
		},
		{
			name: "history", args: []string{"history", "alice"},
			setup: func(t *testing.T, f *fixture) {
				for _, amount := range []string{"5", "6"} {
					code, _, stderr := f.run(t, nil, "send", "alice", "bob", amount)
					require.Equal(t, 0, code, stderr)
				}
				code, _, stderr := f.run(t, nil, "send", "carol", "alice", "7")
				require.Equal(t, 0, code, stderr)
			},
			stdout: []string{
				`BLOCK\s+DIRECTION\s+COUNTERPARTY\s+AMOUNT\s+FEE\s+NONCE\s+TRANSACTION\n`,
				`3\s+in\s+carol\s+7\s+0\s+0\s+[0-9a-f-]{36}\n`,
				`2\s+out\s+bob\s+6\s+0\s+1\s+`,
				`1\s+out\s+bob\s+5\s+0\s+0\s+[0-9a-f-]{36}\n$`,
			},
		},
		{
			name: "history pages", args: []string{"history", bob, "-limit", "1"},
			setup: func(t *testing.T, f *fixture) {
				for range 2 {
					code, _, stderr := f.run(t, nil, "send", "alice", "bob", "5")
					require.Equal(t, 0, code, stderr)
				}
			},
			stdout: []string{`2\s+in\s+alice\s+5`, `older transfers: wallet history ` + bob + ` -bank http://127\.0\.0\.1:\d+ -keystore \S+ -limit 1 -before \S+\n$`},
		},
		{name: "history, none", args: []string{"history", "carol"}, stdout: []string{`^no transfers of carol in the chain yet\n$`}},
		{name: "history, bad limit", args: []string{"history", "carol", "-limit", "0"}, code: 2, stderr: []string{`-limit`}},
		{name: "history, more than a page", args: []string{"history", "carol", "-limit", "101"}, code: 2, stderr: []string{`-limit: have 101, want 1…100`}},
		{name: "history, bad cursor", args: []string{"history", "carol", "-before", "garbage"}, code: 2, stderr: []string{`-before: bank answered 400 Bad Request: .*\(field before\)`}},
		{
			name: "status", args: []string{"status", "{tx}"},
			setup: func(t *testing.T, f *fixture) {
				code, _, stderr := f.run(t, nil, "send", "alice", "bob", "5")
				require.Equal(t, 0, code, stderr)
			},
			stdout: []string{`transaction\s+[0-9a-f-]{36}\n`, `hash\s+[0-9a-f]{64}\n`, `status\s+included\n`, `block\s+1 \(hash [0-9a-f]{64}\)\n$`},
		},
		{name: "status of no transaction", args: []string{"status", "00000000-0000-8000-8000-000000000000"}, code: 1, stderr: []string{`404 Not Found`}},
		{
			// A drop the bank recorded of a transaction it holds no longer:
			// no hash, which is not shown as sixty-four zeros.
			name: "status of a dropped transaction the bank holds no longer", args: []string{"status", "7de402c4-d7ab-8ca7-85ce-549b51abc752"},
			setup: func(t *testing.T, f *fixture) {
				f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"id":"7de402c4-d7ab-8ca7-85ce-549b51abc752","status":"dropped","reason":"its nonce 0 was used by another transaction","rule":"bad-nonce"}`))
					return true
				})
			},
			stdout:    []string{`hash\s+unknown \(the bank holds the transaction no longer\)\n`, `status\s+dropped\n`, `reason\s+.*nonce 0`},
			stderrNot: []string{`.`},
		},
		{name: "status, bad ID", args: []string{"status", "12"}, code: 2, stderr: []string{`want a UUID`}},
	})
}

func TestSend(t *testing.T) {
	typo := "ec" + strings.Repeat("0", 48)
	var restoring atomic.Bool // the bank answers 503 to status requests
	dropIt := func(f *fixture) {
		tx := f.bank.Submitted()[len(f.bank.Submitted())-1]
		f.bank.Drop(tx.ID(), &blockchain.RuleError{Code: blockchain.ErrBadNonce, Have: "0", Want: "1"})
	}
	runCases(t, []testCase{
		{
			name: "send and wait", args: []string{"send", "alice", "bob", "125", "-fee", "1"},
			stdout: []string{
				`^sent 125 from alice to bob \(fee 1, nonce 0\)\n`,
				`transaction [0-9a-f-]{36} \(hash [0-9a-f]{64}\)\n`,
				`pending…\n`,
				`included in block 1 \(hash [0-9a-f]{64}\)\n$`,
			},
			check: func(t *testing.T, f *fixture) {
				tx := f.lastTx(t)
				assert.NoError(t, blockchain.CheckTransactionSanity(tx))
				assert.Equal(t, consensustest.Spec().ChainID, tx.ChainID())
				assert.Equal(t, int64(1_000_000+125), f.bank.Account(consensustest.Addr("bob")).Balance)
				for _, r := range f.bank.Requests() {
					if r.Method == http.MethodPost {
						assert.Equal(t, tx.Hash().String(), r.IdempotencyKey, "the key derives from the transaction")
					}
				}
			},
		},
		{
			name: "flags first, to an address, nonce from the bank", args: []string{"send", "-fee", "2", "alice", "{addr:erin}", "5"},
			setup: func(t *testing.T, f *fixture) {
				code, _, stderr := f.run(t, nil, "send", "alice", "bob", "1", "-wait=false")
				require.Equal(t, 0, code, stderr)
			},
			stdout: []string{`^sent 5 from alice to ` + consensustest.Addr("erin").String() + ` \(fee 2, nonce 1\)\n`, `included in block 1`},
		},
		{
			name: "send without waiting", args: []string{"send", "alice", "bob", "5", "-wait=false"},
			stdout: []string{`^sent 5`, `pending; follow it with: wallet status [0-9a-f-]{36}\n$`},
			check:  func(t *testing.T, f *fixture) { assert.Zero(t, f.bank.Height(), "nothing waited for") },
		},
		{
			// The bank took the transfer, then answered 404 for its
			// status: it lost track of it (a restart). The transfer was
			// sent and may be mined: the error must not read as if it was
			// not, and a send run again posts the very same transaction.
			name: "the bank loses track of the transfer while send waits", args: []string{"send", "alice", "bob", "5"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.loseTrack(t) },
			stdout: []string{`^sent 5 from alice to bob \(fee 0, nonce 0\)\n`, `transaction [0-9a-f-]{36} `},
			stderr: []string{
				`^wallet: transaction ([0-9a-f-]{36}) \(nonce 0\) was sent: the bank took it, and now says it knows no such transaction \(.*404 Not Found.*\); it lost track of it since`,
				`it stays recorded in flight: the same send run again \(without -again\) posts this same transaction, nonce 0, ID [0-9a-f-]{36}, again while that nonce is unused`,
			},
			stderrNot: []string{`(?i)not sent|never sent|nothing was sent`},
			check: func(t *testing.T, f *fixture) {
				tx := f.lastTx(t)
				assert.True(t, f.journal("alice").holds(tx), "the transfer stays recorded")
				// As the error says: the same send again is the same
				// transaction.
				code, _, stderr := f.run(t, nil, "send", "alice", "bob", "5")
				assert.Equal(t, 1, code, stderr)
				assert.Contains(t, stderr, "following transaction "+tx.ID().String())
				for _, again := range f.bank.Submitted() {
					assert.Equal(t, tx.ID(), again.ID(), "one transfer, posted again")
				}
			},
		},
		{
			// The same, where the keystore could not record the transfer:
			// a send run again finds no record, and the error says when
			// it is the same transaction, and when a second payment.
			name: "the bank loses track of a transfer not recorded", args: []string{"send", "alice", "bob", "5", "-again"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				// A directory where the record goes: the journal cannot
				// write it.
				tx := blockchain.Transfer{ChainID: testSpec().ChainID, To: consensustest.Addr("bob"), Amount: 5}.Sign(consensustest.Key("alice"))
				require.NoError(t, os.Mkdir(f.journal("alice").path(tx.ID()), 0o700))
				f.loseTrack(t)
			},
			stderr: []string{
				`warning: record the transfer in flight: `,
				`transaction [0-9a-f-]{36} \(nonce 0\) was sent: the bank took it`,
				`it is not recorded in flight \(see the warning above\): the same send run again signs this same transaction only while the bank's next nonce for alice is still 0, and after a block has included it, a second payment`,
			},
			stderrNot: []string{`stays recorded`},
		},
		{
			// A run killed while it waited, run again: the same transfer
			// follows the first rather than pay twice (it signed a new
			// one with the next nonce, and both were mined).
			name: "the same transfer, in flight from an earlier run", args: []string{"send", "alice", "bob", "5", "-wait=false"},
			setup:  func(t *testing.T, f *fixture) { f.sendKilled(t, "alice", "bob", "5") },
			stdout: []string{`^sent 5 from alice to bob \(fee 0, nonce 0\)\n`},
			stderr: []string{`the same transfer, sent by an earlier run, is still in flight: following transaction [0-9a-f-]{36} \(nonce 0\) rather than paying twice; send with -again for a second payment\n`},
			check: func(t *testing.T, f *fixture) {
				ids := map[uuid.UUID]bool{}
				for _, tx := range f.bank.Submitted() {
					ids[tx.ID()] = true
				}
				assert.Len(t, ids, 1, "one transfer, posted twice")
			},
		},
		{
			// A run that did not wait ended as asked, the bank holding its
			// transfer and the user its ID: the same transfer again is a
			// second payment, and no record is left behind (the next
			// identical send, however much later, found it and signed
			// nothing).
			name: "the same transfer after a run that did not wait", args: []string{"send", "alice", "bob", "5", "-wait=false"},
			setup:     func(t *testing.T, f *fixture) { f.sendOK(t, "alice", "bob", "5", "-wait=false") },
			stdout:    []string{`^sent 5 from alice to bob \(fee 0, nonce 1\)\n`},
			stderrNot: []string{`in flight`, `included since`},
			check: func(t *testing.T, f *fixture) {
				records, err := filepath.Glob(filepath.Join(f.keys, ".inflight-*"))
				require.NoError(t, err)
				assert.Empty(t, records)
			},
		},
		{
			name: "a second payment, asked for", args: []string{"send", "alice", "bob", "5", "-wait=false", "-again"},
			setup:     func(t *testing.T, f *fixture) { f.sendKilled(t, "alice", "bob", "5") },
			stdout:    []string{`^sent 5 from alice to bob \(fee 0, nonce 1\)\n`},
			stderrNot: []string{`in flight`},
		},
		{
			// Another run of send -again read the same next nonce, signed
			// the very same transfer and sent it first: this run found it
			// recorded and reported it as a payment of its own.
			name: "a second payment, asked for, at the same time as another", args: []string{"send", "alice", "bob", "5", "-wait=false", "-again"},
			setup: func(t *testing.T, f *fixture) {
				f.sendKilled(t, "alice", "bob", "5", "-again")
				f.serveNextNonce(t, "alice", 0) // as read before the other run posted
			},
			stdout: []string{`^sent 5 from alice to bob \(fee 0, nonce 1\)\n`},
			check: func(t *testing.T, f *fixture) {
				txs := f.bank.Submitted()
				require.Len(t, txs, 2, "two payments")
				assert.NotEqual(t, txs[0].ID(), txs[1].ID())
				assert.Equal(t, []uint64{0, 1}, []uint64{txs[0].Nonce(), txs[1].Nonce()})
			},
		},
		{
			// The other run has recorded the same transfer and not yet
			// posted it, or never will (its bank answered 503): this run
			// posts it first, and then its own, with the next nonce. (It
			// posted the other run's and reported it as a payment of its
			// own; a first fix left every later run stuck behind a
			// record that never reached the bank.)
			name: "a second payment, asked for, behind the same not yet posted", args: []string{"send", "alice", "bob", "5", "-wait=false", "-again"},
			setup: func(t *testing.T, f *fixture) {
				tx := blockchain.Transfer{ChainID: testSpec().ChainID, To: consensustest.Addr("bob"), Amount: 5, Nonce: 0}.Sign(consensustest.Key("alice"))
				recorded, err := f.journal("alice").claim(testRecord(t, tx))
				require.NoError(t, err)
				require.True(t, recorded)
			},
			stdout: []string{`^sent 5 from alice to bob \(fee 0, nonce 1\)\n`},
			stderr: []string{`had not reached the bank: posted it, transaction [0-9a-f-]{36} \(nonce 0\); the second payment follows it`},
			check: func(t *testing.T, f *fixture) {
				txs := f.bank.Submitted()
				require.Len(t, txs, 2, "the other run's, and this one's")
				assert.Equal(t, []uint64{0, 1}, []uint64{txs[0].Nonce(), txs[1].Nonce()})
				code, _, _ := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false", "-again")
				require.Zero(t, code, "and another")
				assert.Len(t, f.bank.Submitted(), 3)
			},
		},
		{
			name: "another transfer while one is in flight", args: []string{"send", "alice", "bob", "6", "-wait=false"},
			setup:  func(t *testing.T, f *fixture) { f.sendKilled(t, "alice", "bob", "5") },
			stdout: []string{`^sent 6 from alice to bob \(fee 0, nonce 1\)\n`},
		},
		{
			// The first was mined while no run waited: it is reported,
			// not paid again.
			name: "the same transfer once the first was mined", args: []string{"send", "alice", "bob", "5", "-wait=false"},
			setup: func(t *testing.T, f *fixture) {
				f.sendKilled(t, "alice", "bob", "5")
				f.bank.Mine()
			},
			stdout: []string{`^included in block 1 \(hash [0-9a-f]{64}\)\n$`},
			stderr: []string{`the same transfer, sent by an earlier run, was included since: transaction [0-9a-f-]{36} \(nonce 0\); nothing new is signed`},
			check: func(t *testing.T, f *fixture) {
				assert.Len(t, f.bank.Submitted(), 1, "one transfer")
				code, _, _ := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
				require.Zero(t, code)
				assert.Len(t, f.bank.Submitted(), 2, "and the journal forgot it: the next send is a new transfer")
			},
		},
		{
			// The first's nonce is used, and the bank does not say by
			// what (it is restoring: 503). The wallet paid again, with
			// the next nonce; now it signs nothing, and keeps the record.
			name: "the same transfer once the first was mined, the bank not saying", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendKilled(t, "alice", "bob", "5")
				f.bank.Mine()
				restoring.Store(true)
				f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
					if !restoring.Load() || r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/transactions/") {
						return false
					}
					answerRestoring(w)
					return true
				})
			},
			stderr: []string{`^(.*trying again.*\n)*wallet: the same transfer, sent by an earlier run as transaction [0-9a-f-]{36} \(nonce 0\), may have been included: the bank did not say \(.*503.*\); nothing new is signed: run again, or send with -again for a second payment\n$`},
			check: func(t *testing.T, f *fixture) {
				assert.Len(t, f.bank.Submitted(), 1, "nothing signed again")
				restoring.Store(false) // the bank answers again
				code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
				require.Zero(t, code, stderr)
				assert.Contains(t, stderr, "was included since", "the record was kept")
				assert.Contains(t, stdout, "included in block 1")
				assert.Len(t, f.bank.Submitted(), 1, "one payment")
			},
		},
		{
			// The first's nonce is used, and the bank says "pending": it
			// applied the block and has not indexed it yet. The wallet
			// took any answer but "included" for "never", and paid again.
			name: "the same transfer once the first was mined, the bank saying pending", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.sendKilled(t, "alice", "bob", "5")
				first := f.lastTx(t)
				f.bank.Mine()
				f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method != http.MethodGet || r.URL.Path != "/transactions/"+first.ID().String() {
						return false
					}
					writeJSON(t, w, bankclient.Status{ID: first.ID(), Hash: first.Hash(), State: bankclient.Pending})
					return true
				})
			},
			stderr: []string{`^wallet: the same transfer, sent by an earlier run as transaction [0-9a-f-]{36} \(nonce 0\), is being included \(the bank says pending, and its nonce is used\); nothing new is signed`},
			check:  func(t *testing.T, f *fixture) { assert.Len(t, f.bank.Submitted(), 1, "nothing signed again") },
		},
		{
			// A proxy's 504 after the bank may have taken the transfer:
			// maybe reached, and kept in flight for the next run.
			name: "a gateway timeout", args: []string{"send", "alice", "bob", "5"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				var posts atomic.Int32
				f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method == http.MethodPost && posts.Add(1) <= 3 {
						w.Header().Set("Content-Type", "text/html")
						w.WriteHeader(http.StatusGatewayTimeout)
						_, _ = w.Write([]byte("<html>gateway timeout</html>"))
						return true
					}
					return false
				})
			},
			stderr: []string{`it may have reached the bank all the same: look it up`},
			check: func(t *testing.T, f *fixture) {
				code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
				require.Zero(t, code, stderr)
				assert.Contains(t, stderr, "still in flight: following transaction")
				assert.Contains(t, stdout, "(fee 0, nonce 0)", "the first transfer, not a second")
			},
		},
		{
			// Another transfer in between does not take the first's
			// record: each is kept on its own.
			name: "the same transfer after another", args: []string{"send", "alice", "bob", "5", "-wait=false"},
			setup: func(t *testing.T, f *fixture) {
				f.sendKilled(t, "alice", "bob", "5")
				f.sendKilled(t, "alice", "bob", "6")
			},
			stdout: []string{`^sent 5 from alice to bob \(fee 0, nonce 0\)\n`},
			stderr: []string{`still in flight: following transaction [0-9a-f-]{36} \(nonce 0\)`},
		},
		{
			name: "send from an address whose key the wallet holds", args: []string{"send", "{addr:carol}", "bob", "5"},
			stdout: []string{`^sent 5 from carol to bob`},
		},
		{
			name: "send from an encrypted key", env: map[string]string{"EVENTCHAIN_PASSPHRASE": davePass}, args: []string{"send", "dave", "bob", "5"},
			stdout: []string{`^sent 5 from dave to bob`, `included in block 1`},
		},
		{
			name: "send from an encrypted key, passphrase file", args: []string{"send", "dave", "bob", "5", "-passphrase-file", "{dir}/pass"},
			setup:  func(t *testing.T, f *fixture) { f.writeFile(t, "pass", davePass+"\n") },
			stdout: []string{`^sent 5 from dave to bob`},
		},
		{name: "send from an encrypted key without its passphrase", args: []string{"send", "dave", "bob", "5"}, code: 1, stderr: []string{`key dave is encrypted: give its passphrase`}},
		{name: "send with a wrong passphrase", env: map[string]string{"EVENTCHAIN_PASSPHRASE": "wrong"}, args: []string{"send", "dave", "bob", "5"}, code: 1, stderr: []string{`wrong passphrase.*check -passphrase-file`}},
		{name: "send from no key", args: []string{"send", "zoe", "bob", "5"}, code: 1, stderr: []string{`no key named "zoe"`}},
		{
			name: "send for the pinned network", args: []string{"send", "alice", "bob", "5", "-genesis-hash", "{genesis}"},
			stdout: []string{`^sent 5 from alice to bob`, `included in block 1`},
		},
		{
			// A bank that names another chain ID would have the key sign a
			// transfer valid on another network: with the genesis pinned,
			// nothing is signed.
			name: "send to a bank of another network, the genesis pinned", args: []string{"send", "alice", "bob", "5", "-genesis-hash", "{genesis}"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				spec := testSpec()
				spec.ChainID = "eventchain-elsewhere"
				f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
					if r.URL.Path != "/chain/spec" {
						return false
					}
					writeJSON(t, w, spec)
					return true
				})
			},
			stderr: []string{`^wallet: the bank's chain spec "eventchain-elsewhere" makes genesis [0-9a-f]{64}, not [0-9a-f]{64} \(-genesis-hash\): another network, or a bank that lies\n$`},
			check:  func(t *testing.T, f *fixture) { assert.Empty(t, f.bank.Submitted(), "nothing signed, nothing sent") },
		},
		{
			// Between the wallet's read of the next nonce and its post,
			// another transfer from alice took that nonce: the bank refuses
			// this one (bad-nonce). The wallet does not sign again by
			// itself, on the bank's word, and keeps the record: sent again
			// once the other is in a block under -confirmations blocks,
			// which the bank proves, the transfer is signed anew.
			name: "send while another transfer takes the nonce", args: []string{"send", "alice", "bob", "5", "-wait=false"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.takeNonceUnseen(t) },
			stderr: []string{`^wallet: submit: bank answered 400 Bad Request: .*bad-nonce.*; nonce 0 was taken by another transfer from alice meanwhile \(the bank's next nonce is now 1\): nothing was sent, the bank says; send again once that transfer is in a block under 6 block\(s\) of work, the block's own included \(-confirmations\); it stays recorded in flight: the same transfer sent again posts transaction [0-9a-f-]{36} again while its nonce 0 is unused, and signs a new one only once the bank proves which transfer used that nonce\n$`},
			check: func(t *testing.T, f *fixture) {
				assert.Len(t, f.bank.Submitted(), 1, "the first transfer alone: nothing signed again")
				code, _, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
				require.Equal(t, 1, code, "the other transfer not yet in a block: %s", stderr)
				assert.Contains(t, stderr, "still in flight: following transaction")
				assert.Len(t, f.bank.Submitted(), 1, "nothing signed again")
				// In a block, but not yet under the blocks send asks for:
				// the error said to wait for that many, and send waits.
				f.bank.Mine()
				code, _, stderr = f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
				require.Equal(t, 1, code, "the other transfer under one block: %s", stderr)
				assert.Contains(t, stderr, "not yet as deep as -confirmations asks")
				assert.Len(t, f.bank.Submitted(), 1, "nothing signed again")
				f.mineOK(defaultSendConfirmations - 1) // the other transfer, under as many blocks as send asks
				code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
				require.Zero(t, code, stderr)
				assert.Contains(t, stdout, "sent 5 from alice to bob (fee 0, nonce 1)")
				assert.Len(t, f.bank.Submitted(), 2)
			},
		},
		{name: "send with a malformed -genesis-hash", args: []string{"send", "alice", "bob", "5", "-genesis-hash", "abc"}, code: 2, stderr: []string{`-genesis-hash: have "abc", want 64 lower-case hex digits`}},
		{name: "send from an address without a key", args: []string{"send", "{addr:erin}", "bob", "5"}, code: 1, stderr: []string{`no key of ec`}},
		{name: "send to a mistyped address", args: []string{"send", "alice", typo, "5"}, code: 2, stderr: []string{`bad address`}},
		{name: "send to an address cut short", args: []string{"send", "alice", "ec00112233", "5"}, code: 2, stderr: []string{`bad address: "ec00112233" has 10 characters, an address 50 \(and no key is named so in `}},
		{
			name: "send to oneself", args: []string{"send", "alice", "alice", "5"}, code: 2, stderr: []string{`breaks a rule: self-transfer: alice would pay itself`},
			check: func(t *testing.T, f *fixture) {
				assert.Empty(t, f.bank.Requests(), "refused before asking the bank anything")
			},
		},
		{name: "send nothing", args: []string{"send", "alice", "bob", "0"}, code: 2, stderr: []string{`amount: have "0"`}},
		{name: "send a fraction", args: []string{"send", "alice", "bob", "1.5"}, code: 2, stderr: []string{`whole number of minor units`}},
		{name: "send too much to carry", args: []string{"send", "alice", "bob", "9007199254740992"}, code: 2, stderr: []string{`amount`}},
		{name: "send a negative amount", args: []string{"send", "alice", "bob", "-5"}, code: 2, stderr: []string{`amount: have "-5", want a whole number`}},
		{name: "send with a negative fee", args: []string{"send", "alice", "bob", "5", "-fee", "-1"}, code: 2, stderr: []string{`-fee`}},
		// Go's flag package would read 010 as octal 8 and 0x10 as 16: a
		// payment changed without a word.
		{name: "send with a fee in octal", args: []string{"send", "alice", "bob", "5", "-fee", "010"}, code: 2, stderr: []string{`-fee: have "010", want a whole number in decimal`}},
		{name: "send with a fee in hex", args: []string{"send", "alice", "bob", "5", "-fee", "0x10"}, code: 2, stderr: []string{`-fee`}},
		{name: "send with a fee with an underscore", args: []string{"send", "alice", "bob", "5", "-fee", "1_0"}, code: 2, stderr: []string{`-fee`}},
		{name: "send an amount with a plus sign", args: []string{"send", "alice", "bob", "+5"}, code: 2, stderr: []string{`amount: have "\+5"`}},
		{name: "send an amount with a leading zero", args: []string{"send", "alice", "bob", "010"}, code: 2, stderr: []string{`amount: have "010"`}},
		{name: "send, missing amount", args: []string{"send", "alice", "bob"}, code: 2, stderr: []string{`send takes 3 argument`}},
		{
			name: "send more than the balance", args: []string{"send", "alice", "bob", "2000000"}, code: 1,
			stderr: []string{`^wallet: submit: bank answered 400 Bad Request: .* \(rule insufficient-funds, field amount\); it stays recorded in flight: the same transfer sent again posts transaction [0-9a-f-]{36} again while its nonce 0 is unused, and signs a new one only once the bank proves which transfer used that nonce\n$`},
		},
		{
			name: "dropped", args: []string{"send", "alice", "bob", "5"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.pause = dropIt },
			stdout: []string{`^sent 5`, `pending…\n$`},
			stderr: []string{`^wallet: transaction [0-9a-f-]{36} dropped: bad-nonce: have 0, want 1 \(rule bad-nonce\); it stays recorded in flight: the same transfer sent again posts transaction [0-9a-f-]{36} again while its nonce 0 is unused, and signs a new one only once the bank proves which transfer used that nonce\n$`},
		},
		{
			name: "bank not ready for a moment", args: []string{"send", "alice", "bob", "5"},
			setup: func(t *testing.T, f *fixture) {
				var posts atomic.Int32
				f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method == http.MethodPost && posts.Add(1) <= 2 {
						w.Header().Set("Retry-After", "3")
						http.Error(w, "restoring", http.StatusServiceUnavailable)
						return true
					}
					return false
				})
			},
			stdout: []string{`^sent 5`, `included in block \d+`},
			stderr: []string{`^bank answered 503 Service Unavailable: restoring; trying again in 3s\nbank answered 503 Service Unavailable: restoring; trying again in 3s\n$`},
		},
		{
			name: "bank not ready", args: []string{"send", "alice", "bob", "5"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method == http.MethodPost {
						http.Error(w, "restoring", http.StatusServiceUnavailable)
						return true
					}
					return false
				})
			},
			stderr: []string{`wallet: submit: bank answered 503 Service Unavailable: restoring\n$`},
			check: func(t *testing.T, f *fixture) {
				assert.Equal(t, 3, countPosts(f.bank.Requests()), "three attempts")
			},
		},
		{
			// The bank's log did not confirm: the transfer may be
			// recorded, and the wallet names it, to look up rather than
			// send again (it said only "submit: … 503").
			name: "the event log unavailable", args: []string{"send", "alice", "bob", "5"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method == http.MethodPost {
						w.Header().Set("Content-Type", "application/problem+json")
						w.WriteHeader(http.StatusServiceUnavailable)
						_, _ = w.Write([]byte(`{"type":"about:blank","title":"event log unavailable","status":503,"detail":"the event log did not confirm the transaction: it may or may not be recorded"}`))
						return true
					}
					return false
				})
			},
			stderr: []string{`wallet: submit transaction [0-9a-f-]{36}: .*it may or may not be recorded; it may have reached the bank all the same: look it up with 'wallet status [0-9a-f-]{36}' rather than send again\n$`},
		},
		{
			name: "bank restoring: the account is read again", args: []string{"send", "alice", "bob", "5"},
			setup: func(t *testing.T, f *fixture) {
				var reads atomic.Int32
				f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					if r.URL.Path == "/accounts/"+consensustest.Addr("alice").String() && reads.Add(1) == 1 {
						w.Header().Set("Retry-After", "2")
						http.Error(w, "restoring", http.StatusServiceUnavailable)
						return true
					}
					return false
				})
			},
			stdout: []string{`^sent 5 from alice to bob \(fee 0, nonce 0\)`, `included in block \d+`},
			stderr: []string{`^bank answered 503 Service Unavailable: restoring; trying again in 2s\n$`},
		},
		{
			name: "no answer to the post: the ID is told, not a new send", args: []string{"send", "alice", "bob", "5"}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method != http.MethodPost {
						return false
					}
					conn, _, err := http.NewResponseController(w).Hijack()
					require.NoError(t, err)
					_ = conn.Close() // the request arrived; no answer leaves
					return true
				})
			},
			stderr: []string{`wallet: submit transaction ([0-9a-f-]{36}): .*no answer.*; it may have reached the bank all the same: look it up with 'wallet status ([0-9a-f-]{36})' rather than send again`},
			check: func(t *testing.T, f *fixture) {
				// Three of the wallet's, and net/http's own once, on a
				// reused connection, for a request with an Idempotency-Key.
				assert.GreaterOrEqual(t, countPosts(f.bank.Requests()), 3, "three attempts at least")
			},
		},
		{
			name: "no block in time", args: []string{"send", "alice", "bob", "5", "-timeout", waitTimeout.String()}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.pause = outwait },
			stdout: []string{`pending…\n$`},
			stderr: []string{`still pending after 500ms; follow it with 'wallet status [0-9a-f-]{36}'`},
			check:  waitedTimeout,
		},
		{
			// The bank goes away once the transfer is pending: the wallet
			// says so, rather than that the transfer is still pending.
			name: "the bank gone while waiting", args: []string{"send", "alice", "bob", "5", "-timeout", waitTimeout.String()}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				var polls atomic.Int32
				f.pause = func(f *fixture) { outwaitAfterFirst(f, &polls) }
				f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/transactions/") || polls.Add(1) == 1 {
						return false // the first poll answers: pending
					}
					conn, _, err := http.NewResponseController(w).Hijack()
					require.NoError(t, err)
					conn.Close() // no answer
					return true
				})
			},
			stdout: []string{`pending…\n$`},
			stderr: []string{`^wallet: the bank gave no status while the wallet waited 500ms \(context deadline exceeded, the last poll failing: .*no answer from the bank.*\); the transfer was submitted: follow it with 'wallet status [0-9a-f-]{36}'\n$`},
			check:  waitedTimeout,
		},
		{
			// The bank restarts while the wallet waits: its 503s say
			// nothing of the transfer, which is not "still pending".
			name: "the bank restoring while waiting", args: []string{"send", "alice", "bob", "5", "-timeout", waitTimeout.String()}, code: 1,
			setup: func(t *testing.T, f *fixture) {
				var polls atomic.Int32
				f.pause = func(f *fixture) { outwaitAfterFirst(f, &polls) }
				f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/transactions/") || polls.Add(1) == 1 {
						return false // the first poll answers: pending
					}
					answerRestoring(w)
					return true
				})
			},
			stdout: []string{`pending…\n$`},
			stderr: []string{`^wallet: the bank gave no status while the wallet waited 500ms \(context deadline exceeded, the last poll failing: .*503.*\); the transfer was submitted: follow it with 'wallet status [0-9a-f-]{36}'\n$`},
			check:  waitedTimeout,
		},
		{
			name: "the same transfer again", args: []string{"send", "alice", "bob", "5"},
			setup: func(t *testing.T, f *fixture) {
				// The bank reports a stale next nonce: the signed transfer
				// is the one sent before, which the bank has included.
				code, _, stderr := f.run(t, nil, "send", "alice", "bob", "5")
				require.Equal(t, 0, code, stderr)
				f.bank.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					if r.URL.Path == "/accounts/"+consensustest.Addr("alice").String() {
						w.Header().Set("Content-Type", "application/json")
						_, _ = w.Write([]byte(`{"address":"` + consensustest.Addr("alice").String() + `","balance":1000000,"nonce":0,"nextNonce":0}`))
						return true
					}
					return false
				})
			},
			stdout: []string{`^sent 5`, `included in block 1 \(hash`},
			check:  func(t *testing.T, f *fixture) { assert.Len(t, f.bank.Submitted(), 1, "posted twice, accepted once") },
		},
	})
}

// serveNextNonce makes the bank answer GET /accounts/{addr} for the key
// name with next as both its nonce and its next nonce.
func (f *fixture) serveNextNonce(t *testing.T, name string, next uint64) {
	addr := consensustest.Addr(name)
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || r.URL.Path != "/accounts/"+addr.String() {
			return false
		}
		writeJSON(t, w, bankclient.Account{Address: addr, Balance: f.bank.Account(addr).Balance, Nonce: next, NextNonce: next})
		return true
	})
}

// journal returns the in-flight journal of the key name.
func (f *fixture) journal(name string) inflightJournal {
	w := &wallet{g: globals{keystore: f.keys}}
	return w.inflight(consensustest.Addr(name))
}

// TestInflightClaim checks that a transfer is recorded in flight once:
// of runs that claim the same one, one records it.
func TestInflightClaim(t *testing.T) {
	tx := blockchain.Transfer{ChainID: testSpec().ChainID, To: consensustest.Addr("bob"), Amount: 5}.Sign(consensustest.Key("alice"))
	rec := testRecord(t, tx)
	tests := []struct {
		name   string
		setup  func(t *testing.T, j inflightJournal)
		claims int // how many claim it at once
		want   int // how many of them record it
		err    string
	}{
		{name: "one run", claims: 1, want: 1},
		{name: "runs at the same time", claims: 8, want: 1},
		{
			name: "recorded by an earlier run", claims: 1, want: 0,
			setup: func(t *testing.T, j inflightJournal) {
				recorded, err := j.claim(rec)
				require.NoError(t, err)
				require.True(t, recorded)
			},
		},
		{
			name: "a broken record in its place", claims: 1, want: 0, err: "holds no valid record of it",
			setup: func(t *testing.T, j inflightJournal) {
				require.NoError(t, os.WriteFile(j.path(tx.ID()), []byte("{"), 0o600))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			j := f.journal("alice")
			if tt.setup != nil {
				tt.setup(t, j)
			}
			var recorded atomic.Int32
			errs := make(chan error, tt.claims)
			var wg sync.WaitGroup
			for range tt.claims {
				wg.Go(func() {
					ok, err := j.claim(rec)
					if ok {
						recorded.Add(1)
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if tt.err == "" {
					assert.NoError(t, err)
				} else {
					assert.ErrorContains(t, err, tt.err)
				}
			}
			assert.Equal(t, int32(tt.want), recorded.Load(), "runs that recorded it")
			if tt.err == "" {
				assert.True(t, j.holds(tx))
			}
			tmp, err := filepath.Glob(filepath.Join(f.keys, "*.tmp"))
			require.NoError(t, err)
			assert.Empty(t, tmp, "no temporary file left")
		})
	}
}

func countPosts(reqs []bankclienttest.Request) int {
	n := 0
	for _, r := range reqs {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

// TestInterrupted: a run stopped by Ctrl-C or SIGTERM before it was done
// ended with the request's error, "…: context canceled", which reads as
// a failure of the bank. It now says the run was interrupted.
func TestInterrupted(t *testing.T) {
	for _, args := range [][]string{
		{"balance", "alice"},
		{"history", "alice"},
		{"send", "alice", "bob", "5"},
		{"verify", "00000000-0000-0000-0000-000000000000"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := newFixture(t)
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // Ctrl-C, before the first request
			code, stdout, stderr := f.runCtx(ctx, t, nil, args...)
			assert.Equal(t, 1, code, stderr)
			assert.Empty(t, stdout)
			assert.Regexp(t, `^wallet: interrupted: .*context canceled\n$`, stderr)
			assert.Empty(t, f.bank.Submitted(), "nothing is sent")
		})
	}
}

// TestInterruptedWhileWaiting: a send stopped by Ctrl-C while it waits
// for a block said only that it stopped waiting; doc.go promises every
// interrupted run's error begins "interrupted:".
func TestInterruptedWhileWaiting(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.pause = func(*fixture) { cancel() } // Ctrl-C between two polls; no block is mined
	code, stdout, stderr := f.runCtx(ctx, t, nil, "send", "alice", "bob", "5")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stdout, "pending…")
	txs := f.bank.Submitted()
	require.Len(t, txs, 1, "the transfer is sent before the wait")
	assert.Regexp(t, `^wallet: interrupted: stopped waiting for a block: context canceled; the transfer stays submitted: follow it with 'wallet status `+txs[0].ID().String()+`'\n$`, stderr)
}

func TestUsage(t *testing.T) {
	runCases(t, []testCase{
		{name: "help", args: []string{"help"}, stdout: []string{`^usage: wallet`, `send FROM TO AMOUNT`, `EVENTCHAIN_PASSPHRASE`}},
		{name: "help with a command", args: []string{"help", "send"}, stdout: []string{`^usage: wallet send FROM TO AMOUNT \[flags\]`, `-again`, `if a block has included it since, says so and signs nothing`, `-wait=false the run ends once the bank has taken it`}},
		{name: "help help", args: []string{"help", "help"}, stdout: []string{`^usage: wallet \[`, `help \[COMMAND\]`}},
		{name: "help with an unknown command", args: []string{"help", "pay"}, code: 2, stderr: []string{`help: unknown command "pay"`}},
		{name: "help with two commands", args: []string{"help", "send", "list"}, code: 2, stderr: []string{`help takes at most one argument`}},
		{name: "help with a global flag after it", args: []string{"help", "-bank", "http://127.0.0.1:1"}, stdout: []string{`^usage: wallet`, `send FROM TO AMOUNT`}},
		{name: "help with a command and a global flag", args: []string{"help", "send", "-keystore", "{dir}"}, stdout: []string{`^usage: wallet send FROM TO AMOUNT`}},
		{name: "help -h", args: []string{"help", "-h"}, stdout: []string{`^usage: wallet \[`}},
		{name: "help with a command and -h", args: []string{"help", "send", "-h"}, stdout: []string{`^usage: wallet send FROM TO AMOUNT`}},
		{name: "no command", args: nil, code: 2, stderr: []string{`^usage: wallet`}},
		{name: "-h asks for the usage", args: []string{"-h"}, stderr: []string{`^usage: wallet`}},
		{name: "a command's -h", args: []string{"send", "-h"}, stderr: []string{`usage: wallet send FROM TO AMOUNT`}},
		{name: "unknown command", args: []string{"pay", "bob"}, code: 2, stderr: []string{`unknown command "pay"`, `run 'wallet help'`}},
		{name: "unknown flag", args: []string{"list", "-colour"}, code: 2, stderr: []string{`flag provided but not defined: -colour`},
			// one line and the hint: no usage dump, no error said twice
			stderrNot: []string{`usage:`, `(?s)-colour.*-colour`}},
		{name: "a command's -h", args: []string{"send", "-h"}, code: 0, stderr: []string{`usage: wallet send FROM TO AMOUNT \[flags\]`, `-fee`}},
		{name: "too many arguments", args: []string{"list", "alice"}, code: 2, stderr: []string{`list takes no arguments; have 1`}},
		{name: "arguments after --", args: []string{"address", "--", "-x"}, code: 2, stderr: []string{`bad key name`}},
		{name: "version", args: []string{"-version"}, env: map[string]string{"EVENTCHAIN_BANK": "bogus"}, stdout: []string{`^wallet (v\S+|\(devel\)) revision ([0-9a-f]{40}|unknown)( \(modified\))? \S+\n$`}},
		{name: "-version with a command", args: []string{"-version", "list"}, code: 2, stderr: []string{`-version takes no command; have \["list"\]`}},
		{name: "global flags before the command win over the environment", env: map[string]string{"EVENTCHAIN_KEYSTORE": "{dir}/none"}, args: []string{"-keystore", "{dir}/none2", "list"}, code: 1, stderr: []string{`no keystore at .*none2`}},
		// An error may quote what a stranger sent, or a path: whatever
		// its maker did, a control character in it is printed escaped,
		// and cannot erase the line to paint another on the terminal.
		{name: "an error's control characters are escaped", args: []string{"-keystore", "{dir}/none\x1b[2K\r", "list"}, code: 1,
			stderr: []string{`no keystore at .*none\\x1b\[2K\\r`}, stderrNot: []string{"\x1b", "\r"}},
	})
}

// loseTrack makes the bank answer 404 Not Found to every request for a
// transaction's status, as a bank that lost track of the transactions it
// took (a restart that lost its pending ones) does.
func (f *fixture) loseTrack(t *testing.T) {
	status := regexp.MustCompile(`^/transactions/[0-9a-f-]{36}$`)
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !status.MatchString(r.URL.Path) {
			return false
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"title":"Not Found","status":404,"detail":"no such transaction"}`))
		return true
	})
}

// answerRestoring answers as a bank does while its node restores: 503,
// the problem that says so.
func answerRestoring(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"title":"not ready","status":503,"detail":"the bank's node is still restoring the chain"}`))
}

// TestNoConfigDirectory: where the system names no configuration
// directory (no $HOME, as under some service managers), there is no
// default keystore, and the wallet says so, naming the ways to give one.
// It used to look in devnet-data/keys below whatever directory it was
// started in, and report that no keystore was there.
func TestNoConfigDirectory(t *testing.T) {
	apptest.NoConfigDir(t)
	t.Chdir(t.TempDir())
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"no keystore named", nil, []string{"list"}, 2, `^wallet: -keystore: no default keystore: .*: give the keystore's directory .*EVENTCHAIN_KEYSTORE or EVENTCHAIN_DATA_DIR`},
		{"a key by name, no keystore named", nil, []string{"balance", "alice"}, 2, `^wallet: -keystore: no default keystore: `},
		{"an address needs no keystore", nil, []string{"balance", "{addr:bob}"}, 0, `^$`},
		{"history of an address needs none either", nil, []string{"history", "{addr:bob}"}, 0, `^$`},
		{"-keystore", nil, []string{"-keystore", f.keys, "list"}, 0, `^$`},
		{"EVENTCHAIN_DATA_DIR", map[string]string{"EVENTCHAIN_DATA_DIR": filepath.Dir(f.keys)}, []string{"list"}, 0, `^$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"EVENTCHAIN_KEYSTORE": ""}
			maps.Copy(env, tc.env)
			code, stdout, stderr := f.run(t, env, tc.args...)
			assert.Equal(t, tc.code, code, "exit status; stdout:\n%s\nstderr:\n%s", stdout, stderr)
			assert.Regexp(t, tc.stderr, stderr)
		})
	}
	t.Run("the next page's command names no keystore", func(t *testing.T) {
		for _, amount := range []string{"5", "6"} {
			f.sendOK(t, "alice", "bob", amount)
		}
		code, stdout, stderr := f.run(t, map[string]string{"EVENTCHAIN_KEYSTORE": ""}, "history", "{addr:bob}", "-limit", "1")
		require.Equal(t, 0, code, stderr)
		_, line, found := strings.Cut(stdout, "older transfers: ")
		require.True(t, found, "no next-page command in:\n%s", stdout)
		assert.NotContains(t, line, "-keystore", "there is no keystore to name")
	})
}
