package main

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
)

func TestShellWord(t *testing.T) {
	// A POSIX shell to read each word back with, where there is one.
	sh, err := exec.LookPath("sh")
	if runtime.GOOS == "windows" {
		err = exec.ErrNotFound
	}
	for _, tc := range []struct {
		name, in, want string
		showable       bool // whether showableWord lets it be printed
	}{
		{"empty", "", "''", true},
		{"a plain word", "abc-DEF_012", "abc-DEF_012", true},
		{"every safe punctuation", "a_b.c/d:e=f@g%h+i,j-k", "a_b.c/d:e=f@g%h+i,j-k", true},
		{"an URL", "http://localhost:8080", "http://localhost:8080", true},
		{"base64 padding", "eyJoIjo1fQ==", "eyJoIjo1fQ==", true},
		{"a leading equals sign, which zsh expands", "=ls", "'=ls'", true},
		{"an equals sign alone", "=", "'='", true},
		{"a space", "a b", "'a b'", true},
		{"a single quote", "it's", `'it'\''s'`, true},
		{"single quotes only", "''", `''\'''\'''`, true},
		{"a double quote", `say "hi"`, `'say "hi"'`, true},
		{"a semicolon", "x;rm -rf ~", "'x;rm -rf ~'", true},
		{"command substitution", "$(id)`id`", "'$(id)`id`'", true},
		{"a variable", "$HOME", "'$HOME'", true},
		{"a backslash", `a\b`, `'a\b'`, true},
		{"a glob", "*", "'*'", true},
		{"a leading dash", "-rf", "-rf", true},
		{"a tilde", "~", "'~'", true},
		{"a pipe and redirections", "a|b>c<d&", "'a|b>c<d&'", true},
		{"unicode", "café 日本", "'café 日本'", true},
		{"a newline", "a\nb", "'a\nb'", false},
		{"a carriage return", "a\rb", "'a\rb'", false},
		{"a terminal escape", "a\x1b[2Kb", "'a\x1b[2Kb'", false},
		{"a right-to-left override", "a\u202eb", "'a\u202eb'", false},
		{"a line separator", "a\u2028b", "'a\u2028b'", false},
		{"a NUL", "a\x00b", "'a\x00b'", false},
		{"not UTF-8", "a\xffb", "'a\xffb'", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := shellWord(tc.in)
			assert.Equal(t, tc.want, got)
			serr := showableWord("the word", tc.in)
			if tc.showable {
				assert.NoError(t, serr)
			} else if assert.Error(t, serr) {
				assert.Contains(t, serr.Error(), "control or invisible character")
				assert.True(t, regexp.MustCompile(`^[[:print:]]*$`).MatchString(serr.Error()), "the error shows no control character: %q", serr.Error())
			}
			if err != nil || strings.ContainsRune(tc.in, 0) {
				return // no shell; and no shell argument holds a NUL
			}
			// The shell reads the word back as the string, and runs
			// nothing of it.
			out, rerr := exec.Command(sh, "-c", "printf '%s' "+got).Output()
			require.NoError(t, rerr)
			assert.Equal(t, tc.in, string(out), "what sh reads %s as", got)
		})
	}
}

// serveCursor makes the bank answer an account's history with a page of
// one transfer, from alice to bob, whose cursor of the next page is next.
func (f *fixture) serveCursor(t *testing.T, next string) {
	f.intercept(t, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/transactions") || r.Method != http.MethodGet {
			return false
		}
		tx := blockchain.Transfer{ChainID: testSpec().ChainID, To: consensustest.Addr("bob"), Amount: 5, Nonce: 0}.Sign(consensustest.Key("alice"))
		writeJSON(t, w, bankclient.Page{Height: 1, Next: next, Transactions: []bankclient.HistoryEntry{{
			ID: tx.ID(), Hash: tx.Hash(), Height: 1, BlockHash: blockchain.Hash{1},
			From: tx.From(), To: tx.To(), Amount: tx.Amount(), Nonce: tx.Nonce(), Direction: bankclient.In,
		}}})
		return true
	})
}

func TestHistoryCursorIsQuoted(t *testing.T) {
	entry := `1\s+in\s+alice\s+5\s+0\s+0\s+[0-9a-f-]{36}\n`
	runCases(t, []testCase{
		{
			name: "a cursor a shell would run", args: []string{"history", "bob"},
			setup:  func(t *testing.T, f *fixture) { f.serveCursor(t, "x; touch pwned $(id) 'q'") },
			stdout: []string{entry, regexp.QuoteMeta(`-before 'x; touch pwned $(id) '\''q'\'''`) + "\n$"},
		},
		{
			name: "a cursor with a terminal escape", args: []string{"history", "bob"}, code: 1,
			setup: func(t *testing.T, f *fixture) { f.serveCursor(t, "x\x1b[2K\rwallet history bob") },
			// The page is shown, and no command after it.
			stdout: []string{entry + "$"},
			stderr: []string{`^wallet: older transfers: the bank's cursor of the next page holds a control or invisible character \(x\\x1b\[2K\\rwallet history bob, escaped here\)`},
		},
		{
			name: "a cursor with a newline", args: []string{"history", "bob"}, code: 1,
			setup:  func(t *testing.T, f *fixture) { f.serveCursor(t, "x\nrm -rf ~") },
			stdout: []string{entry + "$"},
			stderr: []string{`control or invisible character \(x\\nrm -rf ~, escaped here\)`},
		},
	})
}

// shellWords splits line as a POSIX shell would, with sh: what running
// it would pass as arguments.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil || runtime.GOOS == "windows" {
		t.Skip("no POSIX shell to read the command with")
	}
	out, err := exec.Command(sh, "-c", `printf '%s\0' `+line).Output()
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

func TestHistoryNextPageCommand(t *testing.T) {
	bob := consensustest.Addr("bob").String()
	for _, tc := range []struct {
		name string
		// args runs the first page; {bank} and {keys} stand for the
		// fixture's bank and keystore.
		args []string
		// fromEnv: the bank and keystore come from the environment, as
		// the fixture sets it, rather than from flags.
		fromEnv bool
	}{
		{name: "bank and keystore from the environment", args: []string{"history", "bob", "-limit", "1"}, fromEnv: true},
		{name: "flags after the command", args: []string{"history", "bob", "-limit", "1", "-bank", "{bank}", "-keystore", "{keys}"}},
		{name: "flags before the command", args: []string{"-bank", "{bank}", "-keystore", "{keys}", "history", "-limit", "1", "bob"}},
		{name: "an address", args: []string{"history", bob, "-limit", "1", "-bank", "{bank}", "-keystore", "{keys}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			for _, amount := range []string{"5", "6"} {
				f.sendOK(t, "alice", "bob", amount)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.NewReplacer("{bank}", f.url, "{keys}", f.keys).Replace(a)
			}
			var env map[string]string
			if !tc.fromEnv {
				env = map[string]string{"EVENTCHAIN_BANK": "", "EVENTCHAIN_KEYSTORE": ""}
			}
			code, stdout, stderr := f.run(t, env, args...)
			require.Equal(t, 0, code, stderr)
			require.Regexp(t, `2\s+in\s+alice\s+6`, stdout)
			_, line, found := strings.Cut(stdout, "older transfers: ")
			require.True(t, found, "no next-page command in:\n%s", stdout)
			words := shellWords(t, strings.TrimSuffix(line, "\n"))
			require.NotEmpty(t, words)
			assert.Equal(t, "wallet", words[0])
			assert.Contains(t, strings.Join(words, " "), " -bank "+f.url+" ", "the same bank")
			assert.Contains(t, strings.Join(words, " "), " -keystore "+f.keys+" ", "the same keystore")

			// Run as printed, where the environment names another bank
			// (one that is down) and another keystore: the command's
			// flags must name this run's.
			down := httptest.NewServer(http.NotFoundHandler())
			down.Close()
			code, stdout, stderr = f.run(t, map[string]string{"EVENTCHAIN_BANK": down.URL, "EVENTCHAIN_KEYSTORE": t.TempDir()}, words[1:]...)
			require.Equal(t, 0, code, stderr)
			assert.Regexp(t, `^BLOCK.*\n1\s+in\s+alice\s+5\s+0\s+0\s+[0-9a-f-]{36}\n$`, stdout, "the older page, and the last")
		})
	}
}
