// Package browsertest runs real headless Chromium for tests, driven by
// chromedp.
//
// It finds Debian's chromium ($BLUEZONE_CHROMIUM, else /usr/bin/chromium, else
// chromium on PATH) and starts it with a fresh profile and the flags that keep
// it quiet and offline apart from the pages a test opens. When no Chromium is
// found the test FAILS (never skips) and says to run ./scripts/test, which
// installs it. It also saves screenshots under the test output folder
// ($BLUEZONE_TEST_OUT, default testout/ at the module root) and collects the
// page's JavaScript exceptions so a test can fail on them.
//
// It is test plumbing only: production code never imports it.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath returns the Chromium binary the tests use: $BLUEZONE_CHROMIUM
// when set, else /usr/bin/chromium, else the first chromium or
// chromium-browser on PATH.
func ChromiumPath() (string, error) {
	if p := os.Getenv("BLUEZONE_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("BLUEZONE_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found (set BLUEZONE_CHROMIUM or install Debian's chromium): run ./scripts/test, which installs it")
}

// Options adjust a browser. The zero value is a 1280×900 window and a
// 60-second budget for the whole test.
type Options struct {
	Width, Height int
	Timeout       time.Duration
	// Lang sets the browser's Accept-Language (e.g. "vi-VN"); empty keeps
	// Chromium's default.
	Lang string
}

// Tab is one page in its own headless Chromium.
type Tab struct {
	// Ctx is the chromedp context of the tab: pass it to chromedp.Run.
	Ctx context.Context

	mu         sync.Mutex
	exceptions []string
	console    []string
}

// New starts a fresh headless Chromium (its own temporary profile) with one
// tab, and stops it when the test ends. It fails the test when Chromium is
// missing or does not start.
func New(t testing.TB, o Options) *Tab {
	t.Helper()
	path, err := ChromiumPath()
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
	if o.Width == 0 {
		o.Width, o.Height = 1280, 900
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.WindowSize(o.Width, o.Height),
	}
	if o.Lang != "" {
		opts = append(opts, chromedp.Flag("lang", o.Lang), chromedp.Flag("accept-lang", o.Lang))
	}
	base, cancelTimeout := context.WithTimeout(context.Background(), o.Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	tab := &Tab{Ctx: ctx}
	// Start the browser now so a broken install fails here, clearly.
	err = chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg := ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil && ex.Description != "" {
				msg = ex.Description
			}
			tab.mu.Lock()
			tab.exceptions = append(tab.exceptions, msg)
			tab.mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			}
			tab.mu.Lock()
			tab.console = append(tab.console, string(ev.Type)+": "+strings.Join(parts, " "))
			tab.mu.Unlock()
		}
	})
	if err != nil {
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		t.Fatalf("browser test: start %s: %v (run ./scripts/test, which installs Debian's chromium)", path, err)
	}
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
	})
	return tab
}

// Do runs chromedp actions in the tab, in order, and fails the test on error.
func (tab *Tab) Do(t testing.TB, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab.Ctx, steps...); err != nil {
		t.Fatalf("browser: %v (console: %s)", err, strings.Join(tab.Console(), " | "))
	}
}

// Get runs one chromedp action that returns a value (chromedp.Text,
// chromedp.Evaluate, …) and fails the test on error.
func Get[T any](t testing.TB, tab *Tab, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(tab.Ctx, a)
	if err != nil {
		t.Fatalf("browser: %v (console: %s)", err, strings.Join(tab.Console(), " | "))
	}
	return v
}

// Eval evaluates a JavaScript expression in the page (awaiting it when it is
// a promise) and returns its JSON value decoded into T.
func Eval[T any](t testing.TB, tab *Tab, js string) T {
	t.Helper()
	return Get(t, tab, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// Exceptions returns the uncaught JavaScript exceptions seen so far.
func (tab *Tab) Exceptions() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.exceptions...)
}

// Console returns the console messages seen so far, as "type: text".
func (tab *Tab) Console() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.console...)
}

// NoExceptions fails the test if the page threw any uncaught JavaScript
// exception.
func (tab *Tab) NoExceptions(t testing.TB) {
	t.Helper()
	if ex := tab.Exceptions(); len(ex) > 0 {
		t.Errorf("page threw %d JavaScript exception(s): %s", len(ex), strings.Join(ex, " | "))
	}
}

// Response is what Fetch got.
type Response struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

// Fetch runs fetch(url) inside the page (same origin, same cookies) and
// returns the response, as a user's click on a download link would get it.
func (tab *Tab) Fetch(t testing.TB, url string) Response {
	t.Helper()
	js := fmt.Sprintf(`fetch(%q, {credentials: "same-origin"}).then(async r => ({status: r.status, contentType: r.headers.get("Content-Type") || "", body: await r.text()}))`, url)
	return Eval[Response](t, tab, js)
}

// Screenshot saves a full-page PNG of the tab as <OutDir>/<name>.png and
// returns its path.
func (tab *Tab) Screenshot(t testing.TB, name string) string {
	t.Helper()
	png := Get(t, tab, chromedp.FullScreenshot(100))
	path := filepath.Join(OutDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// ScreenshotElement saves a PNG of the first element matching the CSS
// selector as <OutDir>/<name>.png and returns its path.
func (tab *Tab) ScreenshotElement(t testing.TB, selector, name string) string {
	t.Helper()
	png := Get(t, tab, chromedp.Screenshot(chromedp.CSS(selector)))
	path := filepath.Join(OutDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// OutDir returns the folder for test artifacts, creating it: $BLUEZONE_TEST_OUT,
// else testout/ at the module root (the folder holding go.mod above the
// working directory).
func OutDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("BLUEZONE_TEST_OUT")
	if dir == "" {
		dir = filepath.Join(moduleRoot(), "testout")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("test output folder: %v", err)
	}
	return dir
}

func moduleRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}
