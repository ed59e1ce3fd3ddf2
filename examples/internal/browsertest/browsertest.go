// Package browsertest starts the headless Chromium in which the tests of
// the bank's explorer (examples/internal/bank and examples/devnet) open
// its page, through chromedp. The browser is a real one, Debian's
// chromium package, which .ci/run installs; without it the tests skip,
// saying so.
package browsertest

import (
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Chromium returns the path of a Chromium or Chrome binary on PATH, or ""
// if there is none.
func Chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// Options returns the options of chromedp.NewExecAllocator for a
// headless Chromium started by test t, or skips t when there is no
// browser on PATH or the tests run with -short. Its profile, and its
// other files too — crash reports, caches, the directory of its
// singleton socket, left behind when it is stopped — go in t's own
// directories, removed when t ends, not in the user's configuration
// directory or the shared temporary one.
func Options(t *testing.T) []chromedp.ExecAllocatorOption {
	t.Helper()
	browser := Chromium()
	if browser == "" {
		t.Skip("no chromium binary on PATH: install Debian's chromium package (.ci/run does) to run this test")
	}
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Env("XDG_CONFIG_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir(), "TMPDIR="+TempDir(t)),
	)
}

// TempDir makes a temporary directory for test t's browser and removes
// it when t ends, after the browser has stopped (cleanups run last
// first). It is made directly in the system's temporary directory, not
// below t.TempDir: the path of the browser's socket in it must fit in a
// Unix socket's 108 bytes, and test names can be long.
func TempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "browser")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
