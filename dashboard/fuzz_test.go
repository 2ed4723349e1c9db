package dashboard

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzQuery throws arbitrary query strings and province codes at the pages:
// they must answer 200, 400 or 404, never panic, never show a missing
// message key, and never echo a raw "<" from the input into the page.
func FuzzQuery(f *testing.F) {
	for _, seed := range []struct{ code, q string }{
		{"67", "sort=installs&dir=asc"},
		{"01", "date=2020-08-01&lang=en"},
		{"99", "date=2020-13-40"},
		{"<x>", "sort=<script>&dir=%00&lang=<b>"},
		{"67", "date=2020-08-13&sort=name&dir=desc&lang=vi&lang=en"},
	} {
		f.Add(seed.code, seed.q)
	}
	s, _ := newTestServer(f, &fakeReports{}, fakeTransparency{now: testNow})
	mux := http.NewServeMux()
	s.Register(mux)
	f.Fuzz(func(t *testing.T, code, rawQuery string) {
		for _, path := range []string{"/", "/tinh/" + url.PathEscape(code), "/minh-bach"} {
			req := httptest.NewRequest("GET", "http://x"+path, nil)
			req.URL.RawQuery = rawQuery
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			switch w.Code {
			case 200, 400, 404:
			default:
				t.Fatalf("%s?%s: status %d", path, rawQuery, w.Code)
			}
			body := w.Body.String()
			if strings.Contains(body, "‹") {
				t.Fatalf("%s?%s shows a missing message key", path, rawQuery)
			}
			if strings.Contains(body, "<script>") || strings.Contains(body, "<x>") || strings.Contains(body, "<b>") {
				t.Fatalf("%s?%s echoes raw markup", path, rawQuery)
			}
		}
	})
}
