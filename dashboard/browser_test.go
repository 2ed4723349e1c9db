package dashboard

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/internal/browsertest"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store/storetest"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// liveSite is the real installs service on a real SQLite database with the
// dashboard on one loopback server, as `bluezone serve` wires them.
type liveSite struct {
	url   string
	svc   *installs.Server
	clock *clock.Fake
}

// newLiveSite records check-ins over five days (2020-08-09..13) through the
// real check-in API, then imports the Đắk Nông notice of 13 Aug 2020 and
// the denominator under which its rate reads 8.82%.
func newLiveSite(t *testing.T) *liveSite {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db := storetest.SQLite(t)
	if err := installs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2020, 8, 9, 9, 0, 0, 0, installs.Zone))
	log := slog.New(slog.DiscardHandler)
	secret := bytes.Repeat([]byte{7}, 32)
	svc, err := installs.New(installs.DefaultConfig(), installs.Deps{DB: db, Clock: clk, Logger: log, Admin: vnadmin.MustLoad(), Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); svc.Run(ctx) }()
	dash, err := New(DefaultConfig(), Deps{Reports: svc, Transparency: fakeTransparency{now: time.Date(2020, 8, 13, 9, 0, 0, 0, installs.Zone)}, Clock: clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Register(mux)
	dash.Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() { ts.Close(); cancel(); wg.Wait() })

	// Devices: each day some new installs in a few provinces (some with a
	// district), and every earlier device checks in again.
	var devices []device
	places := []struct {
		province, district string
		perDay             int
	}{
		{"01", "001", 9}, {"01", "", 3}, {"79", "760", 8}, {"48", "490", 5}, {"31", "", 4}, {"92", "916", 3}, {"67", "660", 2},
	}
	for day := 0; day < 5; day++ {
		for _, p := range places {
			for range p.perDay + day {
				devices = append(devices, device{newToken(t), p.province, p.district})
			}
		}
		checkinAll(t, ts.URL, devices)
		if day < 4 {
			clk.Advance(24 * time.Hour)
		}
	}
	figs, err := svc.ParseOfficialCSV(mustOpen(t, "testdata/daknong-2020-08-13.csv"), "VN")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ImportOfficial(ctx, figs); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.LoadDenominatorsCSV(ctx, mustOpen(t, "testdata/denominators.csv"), "VN"); err != nil {
		t.Fatal(err)
	}
	// A deployment campaign in Đắk Nông: one unit on time, one late, one silent.
	camp, err := svc.AddCampaign(ctx, installs.Campaign{Province: "67", Name: "Triển khai Bluezone tháng 8",
		Start: "2020-08-09", GuidanceDue: "2020-08-10", ReportsDue: "2020-08-12"}, "67")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name             string
		date             string
		staff, installed int64
	}{{"Sở Y tế", "2020-08-11", 120, 110}, {"Sở Giáo dục và Đào tạo", "2020-08-13", 80, 40}, {"Công an tỉnh", "", 0, 0}} {
		a, err := svc.AddAgency(ctx, installs.Agency{Province: "67", Name: u.name}, "67")
		if err != nil {
			t.Fatal(err)
		}
		if u.date != "" {
			if err := svc.SubmitReport(ctx, installs.UnitReport{CampaignID: camp.ID, AgencyID: a.ID, Date: u.date, Staff: u.staff, Installed: u.installed}, "67"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return &liveSite{url: ts.URL, svc: svc, clock: clk}
}

func newToken(t *testing.T) string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func mustOpen(t *testing.T, path string) *bytes.Reader {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// device is one virtual phone with its install token.
type device struct{ token, province, district string }

// checkinAll posts every device's check-in, 16 at a time, and fails on any
// non-200 answer.
func checkinAll(t *testing.T, base string, devices []device) {
	t.Helper()
	sem := make(chan struct{}, 16)
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	for _, d := range devices {
		req, _ := json.Marshal(installs.CheckinRequest{Token: d.token, Province: d.province, District: d.district, Platform: "android", AppVersion: "1.0.0"})
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := http.Post(base+"/v1/installs/checkin", "application/json", bytes.NewReader(req))
			if err == nil {
				res.Body.Close()
			}
			if err != nil || res.StatusCode != 200 {
				mu.Lock()
				errs = append(errs, fmt.Sprint(err, res))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d check-ins failed, first: %s", len(errs), errs[0])
	}
}

// TestBrowser drives real headless Chromium through the national page, the
// province page of Đắk Nông and the transparency page, served from the real
// installs service.
func TestBrowser(t *testing.T) {
	site := newLiveSite(t)
	ctx := context.Background()
	today := site.clock.Now()
	nat, err := site.svc.National(ctx, today)
	if err != nil {
		t.Fatal(err)
	}
	dn, err := site.svc.Province(ctx, "67", today)
	if err != nil {
		t.Fatal(err)
	}
	tab := browsertest.New(t, browsertest.Options{Width: 1280, Height: 900, Timeout: 90 * time.Second})

	t.Run("national", func(t *testing.T) {
		tab.Do(t, chromedp.Navigate(site.url+"/"), chromedp.WaitVisible(chromedp.CSS("#ranking")),
			chromedp.WaitReady(chromedp.CSS(`#map[data-ready="1"]`)), chromedp.WaitReady(chromedp.CSS(`#series[data-ready="1"]`)))
		checkText(t, tab, "html", "lang", "vi")
		checkText(t, tab, "#total-installs", "", installs.FormatCount(nat.Installs))
		checkText(t, tab, "#total-active", "", installs.FormatCount(nat.Active))
		checkText(t, tab, "#total-rate", "", installs.FormatRate(nat.Rate))
		checkText(t, tab, "h1", "", "Tình hình cài đặt Bluezone toàn quốc")
		rows := tableRows(t, tab, "#ranking")
		if len(rows) != 63 {
			t.Fatalf("ranking has %d rows, want 63", len(rows))
		}
		for i, p := range nat.Provinces {
			want := []string{p.Name, installs.FormatCount(p.Installs), installs.FormatRate(p.Rate)}
			got := []string{rows[i][1], rows[i][2], rows[i][3]}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("row %d = %q, want %q", i, got, want)
			}
		}
		if nat.Provinces[0].Code != "67" || rows[0][3] != "8.82%" {
			t.Errorf("first row %q: Đắk Nông (8.82%%) should lead the ranking", rows[0])
		}
		// The map: drawn as SVG with the provinces and both archipelagos labelled.
		m := browsertest.Eval[struct {
			Paths int
			Texts []string
		}](t, tab, `({paths: document.querySelectorAll("#map svg path").length,
			texts: Array.from(document.querySelectorAll("#map svg text")).map(e => e.textContent)})`)
		if m.Paths < 63 {
			t.Errorf("map has %d paths, want ≥ 63 provinces", m.Paths)
		}
		for _, label := range []string{"Quần đảo Hoàng Sa", "Quần đảo Trường Sa"} {
			if !contains(m.Texts, label) {
				t.Errorf("map lacks the label %q (texts: %q)", label, m.Texts)
			}
		}
		tab.Screenshot(t, "dashboard-national-vi")
		tab.ScreenshotElement(t, "#map", "dashboard-map-vi")
	})

	t.Run("sort", func(t *testing.T) {
		tab.Do(t, chromedp.Click(chromedp.CSS(`#ranking th[data-key="installs"] a`)))
		col := columnValues(t, tab, "#ranking", 2)
		for i := 1; i < len(col); i++ {
			if col[i-1] < col[i] {
				t.Fatalf("after one click installs are not descending at row %d: %v", i, col[:i+1])
			}
		}
		checkText(t, tab, `#ranking th[data-key="installs"]`, "aria-sort", "descending")
		tab.Do(t, chromedp.Click(chromedp.CSS(`#ranking th[data-key="installs"] a`)))
		col = columnValues(t, tab, "#ranking", 2)
		for i := 1; i < len(col); i++ {
			if col[i-1] > col[i] {
				t.Fatalf("after two clicks installs are not ascending at row %d", i)
			}
		}
		if loc := browsertest.Eval[string](t, tab, `location.search`); !strings.Contains(loc, "sort=installs") || !strings.Contains(loc, "dir=asc") {
			t.Errorf("URL %q does not keep the order", loc)
		}
		// Back to rank order: row 1 is rank 1 again.
		tab.Do(t, chromedp.Click(chromedp.CSS(`#ranking th[data-key="rank"] a`)))
		ranks := columnValues(t, tab, "#ranking", 0)
		if ranks[0] != 1 {
			t.Errorf("rank order starts with %v", ranks[0])
		}
	})

	t.Run("csv", func(t *testing.T) {
		href := browsertest.Get(t, tab, chromedp.AttributeValue(chromedp.CSS("#dl-csv"), "href"))
		res := tab.Fetch(t, href.Value)
		if res.Status != 200 || !strings.HasPrefix(res.ContentType, "text/csv") {
			t.Fatalf("CSV: status %d, type %q", res.Status, res.ContentType)
		}
		recs, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string][]string{}
		for _, r := range recs[1:] {
			byCode[r[3]] = r // date,rank,rank_change,province_code,province,installs,…,rate(10)
		}
		for _, row := range tableRowsWithCode(t, tab, "#ranking") {
			r, ok := byCode[row.code]
			if !ok {
				t.Fatalf("CSV lacks province %s", row.code)
			}
			if r[4] != row.cells[1] || installs.FormatCount(atoi(t, r[5])) != row.cells[2] || r[10] != row.cells[3] || r[1] != row.cells[0] {
				t.Errorf("province %s: page %q, CSV %q", row.code, row.cells[:4], r)
			}
		}
		if len(byCode) != 63 {
			t.Errorf("CSV has %d provinces", len(byCode))
		}
	})

	t.Run("language", func(t *testing.T) {
		tab.Do(t, chromedp.Click(chromedp.CSS("#lang-switch")), chromedp.WaitReady(chromedp.CSS(`html[lang="en"]`)),
			chromedp.WaitReady(chromedp.CSS(`#map[data-ready="1"]`)))
		checkText(t, tab, "h1", "", "Bluezone installs nationwide")
		checkText(t, tab, `#ranking th[data-key="rate"] a`, "", "Rate")
		texts := browsertest.Eval[[]string](t, tab, `Array.from(document.querySelectorAll("#map svg text")).map(e => e.textContent)`)
		for _, label := range []string{"Hoàng Sa archipelago", "Trường Sa archipelago"} {
			if !contains(texts, label) {
				t.Errorf("English map lacks %q", label)
			}
		}
		tab.Screenshot(t, "dashboard-national-en")
		tab.ScreenshotElement(t, "#map", "dashboard-map-en")
		// The cookie keeps English on the next page; the switch brings Vietnamese back.
		tab.Do(t, chromedp.Navigate(site.url+"/minh-bach"), chromedp.WaitVisible(chromedp.CSS("h1")))
		checkText(t, tab, "h1", "", "Transparency: published keys and how the system works")
		tab.Do(t, chromedp.Click(chromedp.CSS("#lang-switch")), chromedp.WaitReady(chromedp.CSS(`html[lang="vi"]`)))
		checkText(t, tab, "h1", "", "Minh bạch: khóa đã công bố và cách hệ thống hoạt động")
	})

	t.Run("transparency", func(t *testing.T) {
		tab.Do(t, chromedp.Navigate(site.url+"/minh-bach"), chromedp.WaitReady(chromedp.CSS(`#keys-chart[data-ready="1"]`)))
		if n := browsertest.Eval[int](t, tab, `document.querySelectorAll("#keys-chart svg path").length`); n < 10 {
			t.Errorf("keys chart has %d paths", n)
		}
		checkText(t, tab, "#exports-table tbody th a", "", "exports/1597276800-1597363200-00001.zip")
		tab.Screenshot(t, "dashboard-transparency-vi")
	})

	t.Run("province", func(t *testing.T) {
		tab.Do(t, chromedp.Navigate(site.url+"/tinh/67"), chromedp.WaitVisible(chromedp.CSS("#districts")),
			chromedp.WaitReady(chromedp.CSS(`#bars[data-ready="1"]`)), chromedp.WaitReady(chromedp.CSS(`#series[data-ready="1"]`)))
		// The figures, from the imported notice.
		checkText(t, tab, "#total-installs", "", "57,511")
		checkText(t, tab, "#total-rate", "", "8.82%")
		checkText(t, tab, "#unattributed-value", "", "−5")
		checkText(t, tab, "#district-sum", "", "57,516")
		if !browsertest.Eval[bool](t, tab, `document.getElementById("unattributed").classList.contains("flagged")`) {
			t.Error("the −5 difference is not flagged")
		}
		checkText(t, tab, "#province-rank", "", fmt.Sprintf("Hạng %d/63 toàn quốc", dn.Province.Rank))
		rows := tableRowsWithCode(t, tab, "#districts")
		if len(rows) != 8 {
			t.Fatalf("%d district rows, want 8", len(rows))
		}
		for i, d := range dn.Districts {
			if rows[i].code != d.Code || rows[i].cells[2] != installs.FormatCount(d.Installs) || rows[i].cells[5] != installs.FormatRate(d.Rate) {
				t.Errorf("district row %d = %q, want %s %s %s", i, rows[i].cells, d.Name, installs.FormatCount(d.Installs), installs.FormatRate(d.Rate))
			}
		}
		// Sort by name, client-side.
		tab.Do(t, chromedp.Click(chromedp.CSS(`#districts th[data-key="name"] a`)))
		names := browsertest.Eval[[]string](t, tab, `Array.from(document.querySelectorAll("#districts tbody tr th")).map(e => e.dataset.v)`)
		if names[0] != "Cư Jút" || names[len(names)-1] != "Tuy Đức" {
			t.Errorf("districts by name: %q", names)
		}
		// The CSV holds the same district figures.
		href := browsertest.Get(t, tab, chromedp.AttributeValue(chromedp.CSS("#dl-csv"), "href"))
		res := tab.Fetch(t, href.Value)
		recs, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil || res.Status != 200 {
			t.Fatalf("CSV: %d %v", res.Status, err)
		}
		byCode := map[string][]string{}
		for _, r := range recs[1:] {
			byCode[r[2]] = r // date,rank,district_code,district,installs,active,denominator,rate,…
		}
		for _, row := range tableRowsWithCode(t, tab, "#districts") {
			r := byCode[row.code]
			if r == nil || r[3] != row.cells[1] || installs.FormatCount(atoi(t, r[4])) != row.cells[2] || r[7] != row.cells[5] {
				t.Errorf("district %s: page %q, CSV %q", row.code, row.cells, r)
			}
		}
		if tot := byCode["67"]; tot == nil || tot[4] != "57511" || tot[7] != "8.82%" {
			t.Errorf("CSV total row %q", tot)
		}
		// The agencies' reports.
		a := dn.Agencies
		if a.Campaign == nil || len(a.Units) != 3 {
			t.Fatalf("the live site's campaign is missing: %+v", a)
		}
		checkText(t, tab, "#agencies-summary", "", fmt.Sprintf("%d đơn vị đã báo cáo, %d đơn vị trễ hạn; %s/%s cán bộ đã cài (%s).",
			a.Reported, a.Late, installs.FormatCount(a.TotalInstalled), installs.FormatCount(a.TotalStaff), installs.FormatRate(a.Rate)))
		units := tableRows(t, tab, "#agencies")
		for i, u := range a.Units {
			if units[i][0] != u.Name {
				t.Errorf("agency row %d = %q, want %s", i, units[i], u.Name)
			}
		}
		tab.Screenshot(t, "dashboard-province-67-vi")
	})

	t.Run("mobile", func(t *testing.T) {
		tab.Do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)), chromedp.Navigate(site.url+"/"),
			chromedp.WaitReady(chromedp.CSS(`#map[data-ready="1"]`)))
		// Wide tables scroll inside their wrapper; the page itself must not.
		if w := browsertest.Eval[int](t, tab, `document.documentElement.scrollWidth`); w > 392 {
			t.Errorf("page is %d px wide on a 390 px screen", w)
		}
		tab.Screenshot(t, "dashboard-national-mobile-vi")
		tab.Do(t, chromedp.ResetViewport())
	})

	tab.NoExceptions(t)
	for _, c := range tab.Console() {
		if strings.HasPrefix(c, "error") || strings.Contains(c, "Content Security Policy") {
			t.Errorf("console: %s", c)
		}
	}
}

func checkText(t *testing.T, tab *browsertest.Tab, sel, attr, want string) {
	t.Helper()
	var got string
	if attr == "" {
		got = strings.TrimSpace(browsertest.Get(t, tab, chromedp.Text(chromedp.CSS(sel))))
	} else {
		got = browsertest.Get(t, tab, chromedp.AttributeValue(chromedp.CSS(sel), attr)).Value
	}
	if got != want {
		t.Errorf("%s %s = %q, want %q", sel, attr, got, want)
	}
}

// tableRows returns the visible text of each body row's cells.
func tableRows(t *testing.T, tab *browsertest.Tab, table string) [][]string {
	t.Helper()
	var out [][]string
	for _, r := range tableRowsWithCode(t, tab, table) {
		out = append(out, r.cells)
	}
	return out
}

type domRow struct {
	code  string
	cells []string
}

func tableRowsWithCode(t *testing.T, tab *browsertest.Tab, table string) []domRow {
	t.Helper()
	raw := browsertest.Eval[[]struct {
		Code  string
		Cells []string
	}](t, tab, fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(tr => ({code: tr.dataset.code,
		cells: Array.from(tr.cells).map(c => c.cloneNode(true)).map(c => { c.querySelectorAll("small,.tag").forEach(e => e.remove()); return c.textContent.trim() })}))`, table+" tbody tr"))
	out := make([]domRow, len(raw))
	for i, r := range raw {
		out[i] = domRow{r.Code, r.Cells}
	}
	return out
}

// columnValues returns the data-v numbers of one column, in row order.
func columnValues(t *testing.T, tab *browsertest.Tab, table string, col int) []float64 {
	t.Helper()
	return browsertest.Eval[[]float64](t, tab, fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(tr => parseFloat(tr.cells[%d].dataset.v))`, table+" tbody tr", col))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
