package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/browsertest"
)

// TestExplorerInABrowser runs a devnet in this process and opens the
// bank's explorer page in headless Chromium. The page must draw a mined
// block, pushed to it by server-sent events, and the richest accounts;
// then the test clicks its way through a live chain: a block with
// transactions, one of them, whose Merkle path the page re-checks in the
// browser, and an account, whose state proof it re-checks too. It saves a
// screenshot under the test's temporary directory.
func TestExplorerInABrowser(t *testing.T) {
	opts := browsertest.Options(t) // skips t without a browser
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

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// A mined block can only reach the page by a server-sent event: the
	// page starts with nothing and draws what /events sends. (Which
	// block is up to the browser: one slow to start finds block 1 gone
	// from the strip of the newest.)
	err := chromedp.Do(browserCtx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#chain .block:not([data-height="0"])`)),
		chromedp.WaitVisible(chromedp.CSS(`#accounts tbody tr[data-address]`)),
	)
	require.NoError(t, err)
	height, err := chromedp.Run(browserCtx, chromedp.Text(chromedp.ID("height")))
	require.NoError(t, err)
	assert.NotEqual(t, "–", height, "the height is drawn")

	// The page redraws the chain as blocks arrive, several times a
	// second, so an element found by one call may be gone by the next:
	// the clicks below find and click in one step, in the page.
	// find is JavaScript that yields the element, or undefined.
	click := func(find string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const e = %s; if (!e) return false; e.click(); return true; })()`, find),
			chromedp.WithPollingTimeout(30*time.Second))
	}
	query := func(selector string) string { return fmt.Sprintf("document.querySelector(%q)", selector) }
	verdict := func(id string) string {
		v, err := chromedp.Run(browserCtx, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).dataset.verdict`, id)))
		require.NoError(t, err)
		return v
	}
	readPage := func() string {
		s, _ := chromedp.Run(browserCtx, chromedp.Evaluate[string](`document.body.innerText`))
		return s
	}

	// A block with at least two transactions, so that its Merkle paths
	// have hashes to climb with.
	err = chromedp.Do(browserCtx,
		click(`[...document.querySelectorAll("#chain .block")].find((b) => Number(b.dataset.txs) >= 2)`),
		chromedp.WaitVisible(chromedp.CSS(`#block-txs tbody tr.tx`)),
		click(query(`#block-txs tbody tr.tx a.tx-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#tx-verdict`)),
	)
	require.NoError(t, err, readPage())
	assert.Equal(t, "ok", verdict("tx-verdict"), readPage())
	text, err := chromedp.Run(browserCtx, chromedp.Text(chromedp.ID("tx-verdict")))
	require.NoError(t, err)
	assert.Contains(t, text, "re-checked in your browser: the path leads to the header's Merkle root")

	err = chromedp.Do(browserCtx,
		click(query(`#accounts tbody tr a.account-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#account-verdict`)),
	)
	require.NoError(t, err, readPage())
	assert.Equal(t, "ok", verdict("account-verdict"), readPage())
	text, err = chromedp.Run(browserCtx, chromedp.Text(chromedp.ID("account-verdict")))
	require.NoError(t, err)
	assert.Contains(t, text, "re-checked in your browser: the path leads to the header's state root")

	screenshot, err := chromedp.Run(browserCtx, chromedp.FullScreenshot(90))
	require.NoError(t, err)
	shot := filepath.Join(t.TempDir(), "explorer.png")
	require.NoError(t, os.WriteFile(shot, screenshot, 0o644))
	t.Logf("screenshot: %s (%d bytes)", shot, len(screenshot))
	assert.Greater(t, len(screenshot), 1000)

	cancelBrowser()
	cancel()
	require.NoError(t, <-done)
}
