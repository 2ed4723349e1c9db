package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// seedCases fills province 67 with n cases spread over 8 districts and 120
// days, a code for every fifth case (issued through the real verification
// service for the first few, the rest as settled rows), and the matching
// daily counters, in multi-row inserts.
func seedCases(tb testing.TB, e *env, n int) int64 {
	tb.Helper()
	ctx := context.Background()
	districts := []string{"660", "661", "662", "663", "664", "665", "666", "667"}
	statuses := []string{"suspected", "contact", "confirmed", "negative", "released"}
	now := e.clock.Now().Unix()
	type key struct {
		d   string
		day int64
	}
	daily := map[key][3]int64{}
	err := e.db.InTx(ctx, func(tx *store.Tx) error {
		const batch = 500
		for i := 0; i < n; i += batch {
			var sb strings.Builder
			var args []any
			sb.WriteString(`INSERT INTO portal_cases (province, district, ref, status, test_date, onset_date, notes, created_at, updated_at, created_by) VALUES `)
			for j := i; j < i+batch && j < n; j++ {
				if j > i {
					sb.WriteString(",")
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				at := now - int64(n-j)*(120*86400/int64(n))
				d := districts[j%len(districts)]
				st := statuses[j%len(statuses)]
				args = append(args, "67", d, fmt.Sprintf("BN-67-%06d", j), st, "2020-08-01", "", "ghi chú ngắn", at, at, 1)
				k := key{d, (at + 7*3600) / 86400}
				c := daily[k]
				switch st {
				case "suspected", "negative":
					c[0]++
				case "contact", "released":
					c[1]++
				default:
					c[2]++
				}
				daily[k] = c
			}
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return err
			}
		}
		for k, c := range daily {
			if _, err := tx.Exec(ctx, `INSERT INTO portal_daily (province, district, day, suspected, contacts, confirmed, codes_issued, codes_claimed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				"67", k.d, k.day, c[0], c[1], c[2], (c[0]+c[1]+c[2])/5, (c[0]+c[1]+c[2])/6); err != nil {
				return err
			}
		}
		// Codes for every fifth case, already settled.
		for i := 0; i < n; i += 5 * 500 {
			var sb strings.Builder
			var args []any
			sb.WriteString(`INSERT INTO portal_codes (case_id, province, district, uuid, test_type, state, issued_at, long_expires_at, settled_at, issued_by) VALUES `)
			first := true
			for j := i; j < i+5*500 && j < n; j += 5 {
				if !first {
					sb.WriteString(",")
				}
				first = false
				sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, j+1, "67", districts[j%len(districts)], fmt.Sprintf("00000000-0000-4000-8000-%012d", j), "confirmed", "claimed", now-86400, now, now-3600, 1)
			}
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	var last int64
	e.db.QueryRow(ctx, `SELECT MAX(id) FROM portal_cases`).Scan(&last)
	return last
}

// BenchmarkPages renders the portal's pages with 100,000 cases in one
// province, through the mux (session lookup, permission check, queries,
// template) without the network.
//
//	go test ./portal -run XXX -bench Pages -benchtime 200x
func BenchmarkPages(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *store.DB
			if engine == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			benchPages(b, db)
		})
	}
}

func benchPages(b *testing.B, db *store.DB) {
	e := newEnv(b, db)
	e.user(b, "cw67", CW, "67", "")
	e.user(b, "na", NA, "VN", "")
	t0 := time.Now()
	last := seedCases(b, e, 100_000)
	b.Logf("seeded 100,000 cases in %v", time.Since(t0).Round(time.Millisecond))
	// One real, pending code on the newest case: its page asks the
	// verification service for the status.
	cw := e.client(b)
	cw.mustLogin("cw67")
	cw.get(fmt.Sprintf("/portal/cases/%d", last))
	if r := cw.post(fmt.Sprintf("/portal/cases/%d/codes", last), nil); r.Status != 200 && !strings.Contains(r.Location, "err=") {
		b.Fatalf("issue: %d", r.Status)
	}
	na := e.client(b)
	na.mustLogin("na")
	pages := []struct {
		name string
		c    *client
		path string
	}{
		{"home", cw, "/portal/"},
		{"cases", cw, "/portal/cases"},
		{"cases-district-status", cw, "/portal/cases?district=663&status=confirmed"},
		{"cases-deep-page", cw, "/portal/cases?before=1000"},
		{"cases-ref", cw, "/portal/cases?ref=BN-67-054321"},
		{"case", cw, fmt.Sprintf("/portal/cases/%d", last)},
		{"case-new", cw, "/portal/cases/new"},
		{"report-province-30d", cw, "/portal/reports"},
		{"report-province-120d", cw, "/portal/reports?from=2020-04-16&to=2020-08-13"},
		{"report-csv-120d", cw, "/portal/reports.csv?from=2020-04-16&to=2020-08-13"},
		{"report-national-30d", na, "/portal/reports"},
		{"audit", na, "/portal/audit"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", p.path, nil)
			for k, v := range p.c.cookies {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			took := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				start := time.Now()
				w := httptest.NewRecorder()
				e.mux.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("%s: %d", p.path, w.Code)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
		})
	}
}
