package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTab drives a real Chromium against a loopback server: it reads text,
// evaluates JavaScript, fetches a same-origin URL, records a thrown exception
// and saves a screenshot.
func TestTab(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/data.csv":
			w.Header().Set("Content-Type", "text/csv")
			fmt.Fprint(w, "a,b\n1,2\n")
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html lang="vi"><title>Thử</title><h1 id="h">Xin chào</h1>
<script>setTimeout(function(){ throw new Error("boom-test") }, 0)</script>`)
		}
	}))
	defer srv.Close()

	tab := New(t, Options{Width: 400, Height: 300})
	tab.Do(t, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#h")))
	if got := Get(t, tab, chromedp.Text(chromedp.CSS("#h"))); got != "Xin chào" {
		t.Errorf("h1 text = %q, want Xin chào", got)
	}
	if got := Eval[int](t, tab, `Promise.resolve(20 + 22)`); got != 42 {
		t.Errorf("Eval = %d, want 42", got)
	}
	res := tab.Fetch(t, "/data.csv")
	if res.Status != 200 || res.Body != "a,b\n1,2\n" || !strings.HasPrefix(res.ContentType, "text/csv") {
		t.Errorf("Fetch = %+v", res)
	}
	// The page's deliberate exception must be seen.
	found := false
	for range 50 {
		for _, e := range tab.Exceptions() {
			if strings.Contains(e, "boom-test") {
				found = true
			}
		}
		if found {
			break
		}
		tab.Do(t, chromedp.Sleep(20*time.Millisecond))
	}
	if !found {
		t.Errorf("exception not recorded; got %q", tab.Exceptions())
	}
	path := tab.Screenshot(t, "browsertest-selftest")
	data, err := os.ReadFile(path)
	if err != nil || len(data) < 8 || string(data[1:4]) != "PNG" {
		t.Errorf("screenshot %s is not a PNG (err %v)", path, err)
	}
}

// TestChromiumPathFromEnv checks that a bad $BLUEZONE_CHROMIUM is reported,
// not silently replaced.
func TestChromiumPathFromEnv(t *testing.T) {
	t.Setenv("BLUEZONE_CHROMIUM", "/nonexistent/chromium")
	if _, err := ChromiumPath(); err == nil || !strings.Contains(err.Error(), "/nonexistent/chromium") {
		t.Errorf("ChromiumPath with bad env = %v, want an error naming the path", err)
	}
}
