package dashboard

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

// testNow is 13 Aug 2020, 10:00 in Vietnam: the day of the Đắk Nông notice.
var testNow = time.Date(2020, 8, 13, 10, 0, 0, 0, time.FixedZone("ICT", 7*3600))

func newTestServer(t testing.TB, rep Reports, tr Transparency) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(DefaultConfig(), Deps{Reports: rep, Transparency: tr, Clock: clock.NewFake(testNow), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return s, ts
}

func get(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestNewRefusesBadInput(t *testing.T) {
	good := Deps{Reports: &fakeReports{}, Clock: clock.NewFake(testNow), Logger: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		deps func(*Deps)
		want string
	}{
		{"nil reports", nil, func(d *Deps) { d.Reports = nil }, "nil Reports"},
		{"nil clock", nil, func(d *Deps) { d.Clock = nil }, "nil Clock"},
		{"nil logger", nil, func(d *Deps) { d.Logger = nil }, "nil Logger"},
		{"days", func(c *Config) { c.KeysPerDayDays = 0 }, nil, "KeysPerDayDays"},
		{"prefix", func(c *Config) { c.DownloadPrefix = "data/" }, nil, "DownloadPrefix"},
		{"cache", func(c *Config) { c.CacheSeconds = -1 }, nil, "CacheSeconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, deps := DefaultConfig(), good
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			if tc.deps != nil {
				tc.deps(&deps)
			}
			if _, err := New(cfg, deps); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error about %s", err, tc.want)
			}
		})
	}
	if _, err := New(DefaultConfig(), good); err != nil {
		t.Errorf("New with good input: %v", err)
	}
}

func TestTemplatesUseKnownKeys(t *testing.T) {
	keys, err := templateKeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 50 {
		t.Fatalf("found only %d message keys in the templates: the scan is broken", len(keys))
	}
	for _, k := range keys {
		if _, ok := messages[k]; !ok {
			t.Errorf("template uses unknown message key %q", k)
		}
	}
	for k, m := range messages {
		if strings.TrimSpace(m.VI()) == "" || strings.TrimSpace(m.EN()) == "" {
			t.Errorf("message %q lacks a translation: %+v", k, m)
		}
	}
}

func TestPagesRender(t *testing.T) {
	_, ts := newTestServer(t, &fakeReports{}, fakeTransparency{now: testNow})
	for _, tc := range []struct {
		path string
		want map[string][]string // by language
	}{
		{"/", map[string][]string{
			"vi": {"Tình hình cài đặt Bluezone toàn quốc", "Xếp hạng 63 tỉnh", "Hà Nội", `href="/data/national.csv?date=2020-08-13"`, "Tiến độ tới mục tiêu", "Số liệu ngày 13/08/2020"},
			"en": {"Bluezone installs nationwide", "The 63 provinces ranked", "Progress toward the target", "Figures for 13 Aug 2020"},
		}},
		{"/tinh/67", map[string][]string{
			"vi": {"Đắk Nông: tình hình cài đặt Bluezone", "57,511", "57,516", "−5", "Chưa phân bổ về quận, huyện", "Hạng 40/63", "Gia Nghĩa", "13,404", "8.82%", "Sở Giáo dục và Đào tạo", "Trễ hạn", `href="/data/province/67.csv?date=2020-08-13"`},
			"en": {"Đắk Nông: Bluezone installs", "Not attributed to a district", "Ranked 40 of 63 nationwide", "the province total and the districts&#39; sum disagree"},
		}},
		{"/minh-bach", map[string][]string{
			"vi": {"Giao thức, nói đơn giản", "Máy chủ không bao giờ lưu", "exports/1597276800-1597363200-00001.zip", "BEGIN PUBLIC KEY", "Ký tệp xuất khóa"},
			"en": {"The protocol in plain words", "What the server never stores", "Signs export files"},
		}},
	} {
		for _, lang := range []string{"vi", "en"} {
			t.Run(tc.path+"/"+lang, func(t *testing.T) {
				res, body := get(t, nil, ts.URL+tc.path+"?lang="+lang)
				if res.StatusCode != 200 {
					t.Fatalf("status %d: %s", res.StatusCode, body)
				}
				if !strings.Contains(body, `<html lang="`+lang+`">`) {
					t.Errorf("no lang=%s attribute", lang)
				}
				if strings.Contains(body, "‹") {
					t.Errorf("page shows a missing message key: %s", regexp.MustCompile(`‹[^›]*›`).FindString(body))
				}
				for _, w := range tc.want[lang] {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				if cc := res.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
					t.Errorf("Cache-Control %q, want private (pages vary by language cookie)", cc)
				}
			})
		}
	}
}

func TestLanguageCookie(t *testing.T) {
	_, ts := newTestServer(t, &fakeReports{}, nil)
	jar := &cookieJar{}
	client := &http.Client{Jar: jar}
	_, body := get(t, client, ts.URL+"/")
	if !strings.Contains(body, `lang="vi"`) {
		t.Fatal("default language is not Vietnamese")
	}
	_, body = get(t, client, ts.URL+"/?lang=en")
	if !strings.Contains(body, `<html lang="en">`) {
		t.Fatal("?lang=en did not switch")
	}
	_, body = get(t, client, ts.URL+"/minh-bach")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "What the server stores") {
		t.Error("the cookie did not carry English to the next page")
	}
	_, body = get(t, client, ts.URL+"/tinh/67?lang=vi")
	if !strings.Contains(body, `<html lang="vi">`) {
		t.Error("?lang=vi did not switch back")
	}
	_, body = get(t, client, ts.URL+"/")
	if !strings.Contains(body, `<html lang="vi">`) {
		t.Error("the cookie did not carry Vietnamese back")
	}
	_, body = get(t, nil, ts.URL+"/?lang=fr")
	if !strings.Contains(body, `<html lang="vi">`) {
		t.Error("an unknown language must fall back to Vietnamese")
	}
}

// cookieJar is the smallest jar: one cookie per name, any host.
type cookieJar struct{ c map[string]*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	if j.c == nil {
		j.c = map[string]*http.Cookie{}
	}
	for _, c := range cs {
		j.c[c.Name] = c
	}
}

func (j *cookieJar) Cookies(_ *url.URL) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range j.c {
		out = append(out, c)
	}
	return out
}

var rowName = regexp.MustCompile(`<th scope="row" data-v="([^"]*)">`)
var installsCell = regexp.MustCompile(`<tr data-code="\d+">\s*<td class="num" data-v="\d+">.*?</td>\s*<th[^>]*>.*?</th>\s*<td class="num" data-v="(\d+)">`)

func TestServerSideSort(t *testing.T) {
	_, ts := newTestServer(t, &fakeReports{}, nil)
	values := func(body string) []int64 {
		var out []int64
		for _, m := range installsCell.FindAllStringSubmatch(body, -1) {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			out = append(out, n)
		}
		return out
	}
	_, body := get(t, nil, ts.URL+"/?sort=installs&dir=asc")
	v := values(body)
	if len(v) != 63 {
		t.Fatalf("found %d rows, want 63", len(v))
	}
	for i := 1; i < len(v); i++ {
		if v[i-1] > v[i] {
			t.Fatalf("installs not ascending at row %d: %d > %d", i, v[i-1], v[i])
		}
	}
	if !strings.Contains(body, `aria-sort="ascending" data-key="installs"`) {
		t.Error("the installs heading is not marked aria-sort=ascending")
	}
	if !strings.Contains(body, `href="/?dir=desc&amp;sort=installs#ranking"`) {
		t.Error("the installs heading does not link to the descending order")
	}
	_, body = get(t, nil, ts.URL+"/?sort=installs")
	v = values(body)
	for i := 1; i < len(v); i++ {
		if v[i-1] < v[i] {
			t.Fatalf("default installs order is not descending at row %d", i)
		}
	}
	_, body = get(t, nil, ts.URL+"/tinh/67?sort=name&dir=desc")
	var names []string
	for _, m := range rowName.FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
	}
	if len(names) != 8 || names[0] != "Tuy Đức" || names[7] != "Cư Jút" {
		t.Errorf("districts by name descending = %q", names)
	}
}

func TestBadRequests(t *testing.T) {
	f := &fakeReports{}
	_, ts := newTestServer(t, f, nil)
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/?date=2020-13-01", 400, "Ngày không hợp lệ"},
		{"/?date=2020-08-14", 400, "Ngày không hợp lệ"}, // tomorrow
		{"/?date=yesterday", 400, "Ngày không hợp lệ"},
		{"/tinh/99", 404, "Không có tỉnh, thành phố mang mã"},
		{"/tinh/%3Cscript%3E?lang=en", 404, "There is no province with code &#34;&lt;script&gt;&#34;"},
		{"/tinh/67?date=2021-01-01", 400, "Ngày không hợp lệ"},
		{"/nope", 404, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			before := f.calls
			res, body := get(t, nil, ts.URL+tc.path)
			if res.StatusCode != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, want %d with %q; body: %.300s", res.StatusCode, tc.status, tc.want, body)
			}
			if f.calls != before {
				t.Error("a bad request reached the reports")
			}
		})
	}
	res, body := get(t, nil, ts.URL+"/?date=2020-08-01")
	if res.StatusCode != 200 || !strings.Contains(body, "01/08/2020") {
		t.Errorf("a past date: status %d", res.StatusCode)
	}
	if !strings.Contains(body, `href="/tinh/01?date=2020-08-01"`) {
		t.Error("province links do not keep the date")
	}
}

func TestReportErrorIsHidden(t *testing.T) {
	_, ts := newTestServer(t, &fakeReports{err: errors.New("pq: relation agg_secret does not exist")}, nil)
	for _, p := range []string{"/", "/tinh/67"} {
		res, body := get(t, nil, ts.URL+p)
		if res.StatusCode != 500 || strings.Contains(body, "agg_secret") || !strings.Contains(body, "Hệ thống đang gặp sự cố") {
			t.Errorf("%s: status %d, body %.200s", p, res.StatusCode, body)
		}
	}
	res, body := get(t, nil, ts.URL+"/minh-bach")
	if res.StatusCode != 200 || !strings.Contains(body, `id="tr-unavailable"`) || !strings.Contains(body, "Giao thức, nói đơn giản") {
		t.Errorf("transparency without a source: status %d", res.StatusCode)
	}
}

func TestAssets(t *testing.T) {
	s, ts := newTestServer(t, &fakeReports{}, nil)
	for _, name := range []string{"app.js", "app.css", "vendor/echarts.min.js", geoJSONName} {
		t.Run(name, func(t *testing.T) {
			u := s.assets.url(name)
			if !regexp.MustCompile(`^/static/[0-9a-f]{12}/`).MatchString(u) {
				t.Fatalf("url %q is not content-hashed", u)
			}
			req, _ := http.NewRequest("GET", ts.URL+u, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			res, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
				t.Fatalf("status %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
			}
			if res.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("not gzipped")
			}
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(zr)
			if string(body) != string(s.assets.byName[name].data) {
				t.Error("gzipped body differs from the asset")
			}
			// An old hash still works, briefly cached.
			old := strings.Replace(u, s.assets.byName[name].hash, "000000000000", 1)
			res2, _ := get(t, nil, ts.URL+old)
			if res2.StatusCode != 200 || strings.Contains(res2.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("old hash: status %d, Cache-Control %q", res2.StatusCode, res2.Header.Get("Cache-Control"))
			}
		})
	}
	res, _ := get(t, nil, ts.URL+"/static/000000000000/../dashboard.go")
	if res.StatusCode != 404 {
		t.Errorf("path escape: status %d", res.StatusCode)
	}
	res, _ = get(t, nil, ts.URL+"/static/000000000000/nothing.js")
	if res.StatusCode != 404 {
		t.Errorf("unknown asset: status %d", res.StatusCode)
	}
	// Pages link the hashed URLs and never inline the GeoJSON.
	_, body := get(t, nil, ts.URL+"/")
	if !strings.Contains(body, s.assets.url("vendor/echarts.min.js")) || !strings.Contains(body, s.assets.url(geoJSONName)) {
		t.Error("page does not reference the hashed assets")
	}
	if strings.Contains(body, "FeatureCollection") {
		t.Error("page inlines the GeoJSON")
	}
}

// hostileReports renames a province to markup, as a corrupted reference
// file or a hostile import might.
type hostileReports struct{ fakeReports }

const hostileName = `</script><img src=x onerror=alert(1)>"'&`

func (h *hostileReports) National(ctx context.Context, day time.Time) (installs.NationalReport, error) {
	rep, err := h.fakeReports.National(ctx, day)
	rep.Provinces[0].Name = hostileName
	rep.Provinces[0].Imported, rep.Provinces[0].ImportedDate = true, hostileName
	return rep, err
}

func TestHostileNamesAreEscaped(t *testing.T) {
	_, ts := newTestServer(t, &hostileReports{}, nil)
	_, body := get(t, nil, ts.URL+"/")
	if strings.Contains(body, "<img src=x") {
		t.Fatal("a province name reached the page as markup")
	}
	if !strings.Contains(body, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&#34;&#39;&amp;") {
		t.Error("the table does not show the name escaped")
	}
	const open = `<script type="application/json" id="chart-data">`
	i := strings.Index(body, open)
	j := strings.Index(body[i:], "</script>")
	if i < 0 || j < 0 {
		t.Fatal("no chart data")
	}
	var c chartData
	if err := json.Unmarshal([]byte(body[i+len(open):i+j]), &c); err != nil {
		t.Fatalf("chart data is not JSON: %v", err)
	}
	found := false
	for _, p := range c.Provinces {
		found = found || p.Name == hostileName
	}
	if !found {
		t.Error("the chart data does not carry the name intact")
	}
}
