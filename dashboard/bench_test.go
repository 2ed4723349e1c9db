package dashboard

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

// cachedReports returns reports computed once, so the benchmarks measure
// the dashboard's own work (sorting, templates, chart JSON), not the
// installs aggregates (benchmarked in package installs).
type cachedReports struct {
	nat  installs.NationalReport
	prov installs.ProvinceReport
}

func (c *cachedReports) National(context.Context, time.Time) (installs.NationalReport, error) {
	return c.nat, nil
}

func (c *cachedReports) Province(context.Context, string, time.Time) (installs.ProvinceReport, error) {
	return c.prov, nil
}

func benchServer(b *testing.B) http.Handler {
	f := &fakeReports{}
	nat, _ := f.National(context.Background(), testNow)
	prov, _ := f.Province(context.Background(), "67", testNow)
	s, err := New(DefaultConfig(), Deps{Reports: &cachedReports{nat, prov}, Transparency: fakeTransparency{now: testNow},
		Clock: clock.NewFake(testNow), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	return mux
}

func benchPage(b *testing.B, path string) {
	h := benchServer(b)
	req := httptest.NewRequest("GET", path, nil)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkNationalPage renders the national page (63 ranked provinces,
// map and series JSON, target) from a ready report.
func BenchmarkNationalPage(b *testing.B) { benchPage(b, "/?sort=installs") }

// BenchmarkProvincePage renders Đắk Nông's page from a ready report.
func BenchmarkProvincePage(b *testing.B) { benchPage(b, "/tinh/67") }

// BenchmarkTransparencyPage renders the transparency page.
func BenchmarkTransparencyPage(b *testing.B) { benchPage(b, "/minh-bach") }
