package portal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/bluezone-vn/bluezone/internal/browsertest"
	"github.com/bluezone-vn/bluezone/store/storetest"
	"github.com/bluezone-vn/bluezone/verification"
)

// TestBrowserCaseToClaim drives the portal in headless Chromium: log in,
// record a suspected case, confirm it, issue a code, see it claimed after
// the device API used it, and see the day's counts change. Screenshots go
// to $BLUEZONE_TEST_OUT.
func TestBrowserCaseToClaim(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "cw67", CW, "67", "")
	deviceKey, err := e.verif.CreateAPIKey(context.Background(), "67", verification.KindDevice, "app")
	if err != nil {
		t.Fatal(err)
	}
	base := e.ts.URL + "/portal"
	tab := browsertest.New(t, browsertest.Options{Width: 1280, Height: 900, Timeout: 90 * time.Second})
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		return strings.TrimSpace(browsertest.Get(t, tab, chromedp.Text(css(sel))))
	}
	todayCell := func(class string) string { return text(`#by-day tr[data-day="2020-08-13"] td.` + class) }

	tab.Do(t, chromedp.Navigate(base+"/cases"), chromedp.WaitVisible(css("#username")))
	tab.Screenshot(t, "portal-login")
	tab.Do(t, chromedp.SendKeys(css("#username"), "cw67"), chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#cases")))

	tab.Do(t, chromedp.Navigate(base+"/reports"), chromedp.WaitVisible(css("#by-day")))
	if got := todayCell("c-suspected") + todayCell("c-confirmed") + todayCell("c-claimed"); got != "000" {
		t.Fatalf("counts before: %q", got)
	}

	tab.Do(t, chromedp.Navigate(base+"/cases/new"), chromedp.WaitVisible(css("#ref")),
		chromedp.SendKeys(css("#ref"), "BN-67-0042"), chromedp.SetValue(css("#district"), "660"),
		chromedp.Click(css("#status-suspected")), chromedp.SetValue(css("#onset_date"), "2020-08-11"),
		chromedp.SendKeys(css("#notes"), "sốt, ho"))
	tab.Screenshot(t, "portal-case-new")
	tab.Do(t, chromedp.Click(css("#save-case")), chromedp.WaitVisible(css("#case-status")))
	if st := text("#case-status"); st != "Nghi nhiễm" {
		t.Fatalf("new case status %q", st)
	}
	tab.Do(t, chromedp.Click(css("#to-confirmed")), chromedp.SetValue(css("#st-test-date"), "2020-08-12"),
		chromedp.Click(css("#change-status")),
		// The suspected case's page has an issue button too, so first wait for
		// the old page to go: only a suspected case offers #to-confirmed.
		chromedp.WaitNotPresent(css("#to-confirmed")),
		chromedp.WaitVisible(css("#issue-code")))
	if st := text("#case-status"); st != "F0 (xác nhận)" {
		t.Fatalf("status after confirming %q", st)
	}
	tab.Do(t, chromedp.Click(css("#issue-code")), chromedp.WaitVisible(css("#code")))
	code := text("#code")
	if len(code) != 8 {
		t.Fatalf("code %q", code)
	}
	if !browsertest.Eval[bool](t, tab, `document.getElementById("qr").naturalWidth > 0`) {
		t.Error("the QR code image did not load")
	}
	tab.Screenshot(t, "portal-code")

	tab.Do(t, chromedp.Click(css("#back-to-case")), chromedp.WaitVisible(css("#codes")))
	if st := text("#codes .code-state"); st != "Chưa dùng" {
		t.Fatalf("code state before the device: %q", st)
	}
	if st := e.deviceVerify(t, deviceKey, code); st != 200 {
		t.Fatalf("device verify: %d", st)
	}
	tab.Do(t, chromedp.Reload(), chromedp.WaitVisible(css("#codes")))
	if st := text("#codes .code-state"); st != "Đã dùng" {
		t.Fatalf("code state after the device: %q", st)
	}
	tab.Screenshot(t, "portal-case-claimed")

	tab.Do(t, chromedp.Navigate(base+"/reports"), chromedp.WaitVisible(css("#by-day")))
	for class, want := range map[string]string{"c-suspected": "1", "c-confirmed": "1", "c-issued": "1", "c-claimed": "1", "c-contacts": "0"} {
		if got := todayCell(class); got != want {
			t.Errorf("today's %s = %q, want %s", class, got, want)
		}
	}
	tab.Screenshot(t, "portal-report")

	tab.Do(t, chromedp.Navigate(base+"/reports?lang=en"), chromedp.WaitVisible(css("#by-day")))
	if h := text("h1"); h != "Daily report" {
		t.Errorf("English heading %q", h)
	}
	// Printed, the report is the document sent to the ministry: its table,
	// without navigation, forms or buttons.
	printMedia := func(media string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
			return err
		})
	}
	tab.Do(t, printMedia("print"))
	shown := browsertest.Eval[[]string](t, tab, `Array.from(document.querySelectorAll("nav, form, button")).filter(el => getComputedStyle(el).display !== "none").map(el => el.tagName)`)
	if len(shown) > 0 || !browsertest.Eval[bool](t, tab, `getComputedStyle(document.querySelector("#by-day")).display !== "none"`) {
		t.Errorf("printed report still shows %v, or hides its table", shown)
	}
	tab.Screenshot(t, "portal-report-print")
	tab.Do(t, printMedia(""))
	// Phone screen: nothing wider than the viewport.
	tab.Do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)), chromedp.Navigate(base+"/cases/new"), chromedp.WaitVisible(css("#ref")))
	if w := browsertest.Eval[int](t, tab, `document.documentElement.scrollWidth`); w > 392 {
		t.Errorf("the case form is %d px wide on a 390 px phone", w)
	}
	// Every form control has a label.
	unlabelled := browsertest.Eval[[]string](t, tab, `Array.from(document.querySelectorAll("input:not([type=hidden]),select,textarea")).filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")).map(el => el.name)`)
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %v", unlabelled)
	}
	tab.Screenshot(t, "portal-case-new-phone")
	tab.NoExceptions(t)
}
