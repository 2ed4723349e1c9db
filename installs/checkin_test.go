package installs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func TestCheckinValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		good := `"token":"` + token(1) + `","province":"67","district":"660","platform":"ios","appVersion":"4.0"`
		cases := []struct {
			name, ctype, body string
			status            int
			code              string
		}{
			{"empty", "application/json", ``, 400, ErrCodeBadRequest},
			{"not json", "application/json", `hello`, 400, ErrCodeBadRequest},
			{"wrong content type", "text/plain", `{` + good + `}`, 415, ErrCodeBadRequest},
			{"unknown field", "application/json", `{` + good + `,"ip":"1.2.3.4"}`, 400, ErrCodeBadRequest},
			{"trailing data", "application/json", `{` + good + `}{}`, 400, ErrCodeBadRequest},
			{"too large", "application/json", `{` + good + `,"x":"` + strings.Repeat("a", 2000) + `"}`, 413, ErrCodeBadRequest},
			{"no token", "application/json", `{"province":"67","platform":"ios","appVersion":"4.0"}`, 400, ErrCodeBadToken},
			{"short token", "application/json", `{"token":"abc","province":"67","platform":"ios","appVersion":"4.0"}`, 400, ErrCodeBadToken},
			{"padded token", "application/json", `{"token":"` + token(1) + `==","province":"67","platform":"ios","appVersion":"4.0"}`, 400, ErrCodeBadToken},
			{"std base64 token", "application/json", `{"token":"++++++++++++++++++++++++","province":"67","platform":"ios","appVersion":"4.0"}`, 400, ErrCodeBadToken},
			{"no province", "application/json", `{"token":"` + token(1) + `","platform":"ios","appVersion":"4.0"}`, 400, ErrCodeBadProvince},
			{"unknown province", "application/json", `{"token":"` + token(1) + `","province":"99","platform":"ios","appVersion":"4.0"}`, 400, ErrCodeBadProvince},
			{"unknown district", "application/json", `{"token":"` + token(1) + `","province":"67","district":"999","platform":"ios","appVersion":"4.0"}`, 400, ErrCodeBadDistrict},
			{"district of another province", "application/json", `{"token":"` + token(1) + `","province":"67","district":"001","platform":"ios","appVersion":"4.0"}`, 400, ErrCodeBadDistrict},
			{"bad platform", "application/json", `{"token":"` + token(1) + `","province":"67","platform":"windows","appVersion":"4.0"}`, 400, ErrCodeBadPlatform},
			{"no version", "application/json", `{"token":"` + token(1) + `","province":"67","platform":"ios"}`, 400, ErrCodeBadVersion},
			{"bad version", "application/json", `{"token":"` + token(1) + `","province":"67","platform":"ios","appVersion":"4.0 <script>"}`, 400, ErrCodeBadVersion},
			{"number province", "application/json", `{"token":"` + token(1) + `","province":67,"platform":"ios","appVersion":"4.0"}`, 400, ErrCodeBadRequest},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				st, b := e.do(t, "POST", "/v1/installs/checkin", "", c.ctype, []byte(c.body))
				var r CheckinResponse
				if err := json.Unmarshal(b, &r); err != nil {
					t.Fatalf("response not JSON: %s", b)
				}
				if st != c.status || r.Error != c.code || r.Message == "" || r.Day != "" {
					t.Fatalf("got %d %+v, want %d %s", st, r, c.status, c.code)
				}
				var keys map[string]any
				json.Unmarshal(b, &keys)
				if len(keys) != 3 {
					t.Fatalf("response shape %v, want error/message/day", keys)
				}
			})
		}
		for _, table := range []string{"installs_tokens", "installs_daily"} {
			if n := e.count(t, table); n != 0 {
				t.Fatalf("%s has %d rows after only bad check-ins", table, n)
			}
		}
		// And a good one is stored, with the same response shape.
		r := e.checkin(t, token(1), "67", "660")
		if r.Error != "" || r.Day != "2020-08-13" {
			t.Fatalf("good check-in: %+v", r)
		}
		if n := e.count(t, "installs_tokens"); n != 1 {
			t.Fatalf("tokens = %d", n)
		}
	})
}

// TestCheckinCountsAcrossDays follows three devices over five days with
// N = 3 active days, through HTTP and a fake clock.
func TestCheckinCountsAcrossDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(c *Config) { c.ActiveDays = 3 })
		day := func(i int) time.Time { return testDay0.AddDate(0, 0, i) }
		a, b, c := token(1), token(2), token(3)
		// Day 0: A and B new in Gia Nghĩa; A again (idempotent).
		e.checkin(t, a, "67", "660")
		e.checkin(t, b, "67", "660")
		e.checkin(t, a, "67", "660")
		// Day 1: C new, no district; A again.
		e.clock.Set(day(1))
		e.checkin(t, c, "67", "")
		e.checkin(t, a, "67", "660")
		e.clock.Set(day(4))
		type want struct{ installs, active, inactive, newI, change int64 }
		for i, w := range []want{
			{2, 2, 0, 2, 2}, // day 0
			{3, 3, 0, 1, 1}, // day 1
			{3, 3, 0, 0, 0}, // day 2: B (day 0) active through day 2
			{3, 2, 1, 0, 0}, // day 3: A and C (day 1) through day 3; B inactive
			{3, 0, 3, 0, 0}, // day 4
		} {
			n := e.national(t, day(i))
			if n.Installs != w.installs || n.Active != w.active || n.Inactive != w.inactive || n.NewInstalls != w.newI || n.ChangeSinceYesterday != w.change {
				t.Errorf("day %d: installs %d active %d inactive %d new %d change %d; want %+v",
					i, n.Installs, n.Active, n.Inactive, n.NewInstalls, n.ChangeSinceYesterday, w)
			}
			p := rowOf(n, "67")
			if p.Installs != w.installs || p.Active != w.active {
				t.Errorf("day %d: province row %+v", i, p)
			}
		}
		series := e.national(t, day(4)).Series
		days := DefaultConfig().SeriesDays
		for i, want := range []int64{0, 2, 3, 3, 3, 3} {
			if p := series[days-6+i]; p.Installs != want || p.Projected {
				t.Errorf("national series day %d: %+v, want %d", i-1, p, want)
			}
		}
		if ps := e.province(t, "67", day(4)).Series; ps[days-4].Installs != 3 || ps[days-5].Installs != 2 {
			t.Errorf("province series: %+v", ps[days-6:days])
		}
		pr := e.province(t, "67", day(1))
		if d := districtOf(pr, "660"); d.Installs != 2 || d.Active != 2 {
			t.Errorf("Gia Nghĩa day 1: %+v", d)
		}
		if pr.DistrictSum != 2 || pr.Unattributed != 1 || pr.Flagged {
			t.Errorf("district sum %d, unattributed %d, flagged %v; want 2, 1 (C gave no district), false", pr.DistrictSum, pr.Unattributed, pr.Flagged)
		}
		if n := e.count(t, "installs_tokens"); n != 3 {
			t.Errorf("tokens = %d, want 3", n)
		}
	})
}

// TestProvinceMove: a device counts where it checks in from that day on;
// the past stays where it was.
func TestProvinceMove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(c *Config) { c.ActiveDays = 7 })
		day := func(i int) time.Time { return testDay0.AddDate(0, 0, i) }
		e.checkin(t, token(1), "67", "660")
		e.checkin(t, token(2), "67", "661")
		e.clock.Set(day(2))
		e.checkin(t, token(1), "01", "001") // moved to Hà Nội, Ba Đình
		for _, c := range []struct {
			day                             int
			dn, dnActive, hn, hnActive, nat int64
		}{{0, 2, 2, 0, 0, 2}, {1, 2, 2, 0, 0, 2}, {2, 1, 1, 1, 1, 2}, {8, 1, 0, 1, 1, 2}, {9, 1, 0, 1, 0, 2}} {
			n := e.national(t, day(c.day))
			dn, hn := rowOf(n, "67"), rowOf(n, "01")
			if dn.Installs != c.dn || dn.Active != c.dnActive || hn.Installs != c.hn || hn.Active != c.hnActive || n.Installs != c.nat {
				t.Errorf("day %d: Đắk Nông %d/%d, Hà Nội %d/%d, national %d; want %+v", c.day, dn.Installs, dn.Active, hn.Installs, hn.Active, n.Installs, c)
			}
		}
		if d := districtOf(e.province(t, "67", day(2)), "660"); d.Installs != 0 || d.Active != 0 {
			t.Errorf("Gia Nghĩa after the move: %+v", d)
		}
		if d := districtOf(e.province(t, "67", day(1)), "660"); d.Installs != 1 || d.Active != 1 {
			t.Errorf("Gia Nghĩa before the move: %+v", d)
		}
		// Moving back the same day and forth again stays consistent.
		e.checkin(t, token(1), "67", "660")
		n := e.national(t, day(2))
		if rowOf(n, "67").Installs != 2 || rowOf(n, "01").Installs != 0 || rowOf(n, "01").Active != 0 || rowOf(n, "67").Active != 2 {
			t.Errorf("after moving back: 67 %+v, 01 %+v", rowOf(n, "67"), rowOf(n, "01"))
		}
	})
}

// TestPrivacy dumps every stored row of the service's tables and checks
// that no token in clear, no IP address and no time finer than a day is
// kept.
func TestPrivacy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		toks := []string{token(11), token(12), token(13)}
		for _, tk := range toks {
			e.checkin(t, tk, "67", "660")
		}
		ctx := context.Background()
		for _, table := range []string{"installs_tokens", "installs_daily"} {
			rows, err := db.Query(ctx, "SELECT * FROM "+table)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			n := 0
			for rows.Next() {
				n++
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for i, v := range vals {
					var s string
					switch x := v.(type) {
					case []byte:
						s = string(x)
						if table == "installs_tokens" && cols[i] == "token_hash" && len(x) != 16 {
							t.Errorf("token_hash is %d bytes", len(x))
						}
					case string:
						s = x
					case int64:
						if strings.Contains(cols[i], "day") && (x < 18000 || x > 30000) {
							t.Errorf("%s.%s = %d is not a day number", table, cols[i], x)
						}
					case time.Time:
						t.Errorf("%s.%s holds a timestamp %v", table, cols[i], x)
					}
					for _, tk := range toks {
						raw, _ := decodeTok(tk)
						if strings.Contains(s, tk) || (len(s) > 0 && strings.Contains(s, string(raw))) {
							t.Errorf("%s.%s holds a token in clear", table, cols[i])
						}
					}
					if strings.Contains(s, "127.0.0.1") || strings.Contains(s, "::1") {
						t.Errorf("%s.%s holds an IP address", table, cols[i])
					}
				}
			}
			rows.Close()
			if n == 0 {
				t.Fatalf("%s is empty: nothing was inspected", table)
			}
		}
		var cols int
		q := `SELECT count(*) FROM pragma_table_info('installs_tokens')`
		if db.Dialect() == store.Postgres {
			q = `SELECT count(*) FROM information_schema.columns WHERE table_name = 'installs_tokens' AND table_schema = current_schema()`
		}
		if err := db.QueryRow(ctx, q).Scan(&cols); err != nil || cols != 4 {
			t.Errorf("installs_tokens has %d columns (%v), want exactly 4: hash, province, district, day", cols, err)
		}
	})
}
