package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium finds a Chromium or Chrome binary, or "" if there is none.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// TestExplorerInABrowser runs a devnet in this process and opens the
// bank's explorer page in headless Chromium: the page must draw a mined
// block, pushed to it by server-sent events. It saves a screenshot under
// the test's temporary directory.
func TestExplorerInABrowser(t *testing.T) {
	browser := chromium()
	if browser == "" {
		t.Skip("no chromium binary on PATH: install Debian's chromium package (.ci/run does) to run this test")
	}
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	out, in := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-eventlog", "memory", "-addr", "127.0.0.1:0", "-difficulty", "10", "-every", "100ms", "-max-wait", "300ms"}, in, io.Discard)
		in.Close()
	}()
	lines := bufio.NewScanner(out)
	require.True(t, lines.Scan(), "devnet printed nothing")
	url := regexp.MustCompile(`http://[0-9.:]+`).FindString(lines.Text())
	require.NotEmpty(t, url)
	go func() { // keep reading devnet's status lines so it never blocks
		for lines.Scan() {
		}
	}()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// Block 1 can only reach the page by a server-sent event: the page
	// starts with nothing and draws what /events sends.
	err := chromedp.Do(browserCtx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.block[data-height="1"]`)),
	)
	require.NoError(t, err)
	height, err := chromedp.Run(browserCtx, chromedp.Text(chromedp.ID("height")))
	require.NoError(t, err)
	screenshot, err := chromedp.Run(browserCtx, chromedp.FullScreenshot(90))
	require.NoError(t, err)
	assert.NotEqual(t, "–", height, "the height is drawn")
	shot := filepath.Join(t.TempDir(), "explorer.png")
	require.NoError(t, os.WriteFile(shot, screenshot, 0o644))
	t.Logf("screenshot: %s (%d bytes)", shot, len(screenshot))
	assert.Greater(t, len(screenshot), 1000)

	cancelBrowser()
	cancel()
	require.NoError(t, <-done)
}
