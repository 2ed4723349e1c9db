package installs

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestRanking checks ranks with ties, rank change, change since
// yesterday, pace, days to target and expected reach, on figures imported
// for three provinces of 1,000 people each.
func TestRanking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		D := DayOf(testDay0)
		csvBody := OfficialCSVHeader + "\n"
		figs := map[string][3]int64{ // D-7, D-1, D
			"01": {100, 150, 170},
			"02": {0, 100, 170},
			"04": {50, 120, 160},
		}
		for code, f := range figs {
			for i, d := range []Day{D - 7, D - 1, D} {
				csvBody += d.String() + "," + code + ",," + itoa(f[i]) + "\n"
			}
		}
		if st, b := e.do(t, "POST", "/api/installs/official", "national", "text/csv", []byte(csvBody)); st != 200 {
			t.Fatalf("import: %d %s", st, b)
		}
		den := DenominatorsCSVHeader + "\n01,,1000,,\n02,,1000,,\n04,,1000,,\n"
		if st, b := e.do(t, "PUT", "/api/installs/denominators", "national", "text/csv", []byte(den)); st != 200 {
			t.Fatalf("denominators: %d %s", st, b)
		}
		target := Target{Scope: National, Rate: 0.6, DenominatorKind: KindPopulation, Date: (D + 30).String()}
		tb, _ := json.Marshal(target)
		if st, b := e.do(t, "PUT", "/api/installs/targets", "prov-01", "application/json", tb); st != 403 {
			t.Fatalf("national target with a province key: %d %s", st, b)
		}
		if st, b := e.do(t, "PUT", "/api/installs/targets", "national", "application/json", tb); st != 200 {
			t.Fatalf("target: %d %s", st, b)
		}
		n := e.national(t, testDay0)
		if len(n.Provinces) != 63 {
			t.Fatalf("%d provinces", len(n.Provinces))
		}
		for code, f := range figs {
			r := rowOf(n, code)
			wantRate := float64(f[2]) / 1000
			pace := float64(f[2]-f[0]) / 7
			wantDays := int(math.Ceil(float64(600-f[2]) / pace))
			if r.Installs != f[2] || r.Rate != wantRate || r.ExpectedReach != wantRate*wantRate ||
				r.ChangeSinceYesterday != f[2]-f[1] || r.DaysToTarget == nil || *r.DaysToTarget != wantDays {
				t.Errorf("%s: %+v (days %v), want rate %v change %d days %d", code, r, r.DaysToTarget, wantRate, f[2]-f[1], wantDays)
			}
		}
		ranks := map[string][2]int{"01": {1, 0}, "02": {1, 2}, "04": {3, -1}, "10": {4, 0}, "96": {4, 0}}
		for code, w := range ranks {
			if r := rowOf(n, code); r.Rank != w[0] || r.RankChange != w[1] {
				t.Errorf("%s: rank %d change %d, want %d %d", code, r.Rank, r.RankChange, w[0], w[1])
			}
		}
		if r := rowOf(n, "10"); r.DaysToTarget != nil {
			t.Errorf("a province with no pace has days to target %d", *r.DaysToTarget)
		}
		if n.Provinces[0].Code != "01" || n.Provinces[1].Code != "02" || n.Provinces[2].Code != "04" {
			t.Errorf("order: %s %s %s", n.Provinces[0].Code, n.Provinces[1].Code, n.Provinces[2].Code)
		}
		if n.Installs != 500 || n.ChangeSinceYesterday != 130 || n.Source != SourceMixed {
			t.Errorf("national: %d change %d source %s", n.Installs, n.ChangeSinceYesterday, n.Source)
		}
		tp := n.Target
		wantTarget := int64(math.Ceil(0.6 * float64(n.Denominator.Value)))
		if tp == nil || tp.TargetInstalls != wantTarget || tp.Remaining != wantTarget-500 || tp.DaysLeft != 30 ||
			tp.RequiredPerDay != float64(wantTarget-500)/30 || tp.CurrentPacePerDay != float64(500-150)/7 || tp.OnTrack {
			t.Errorf("target: %+v", tp)
		}
		// Series: flat before D-7's import, then the imported steps, then a projection.
		last := n.Series[len(n.Series)-1]
		if !last.Projected || len(n.Series) != DefaultConfig().SeriesDays+30 {
			t.Errorf("series of %d points, last %+v", len(n.Series), last)
		}
		if p := n.Series[DefaultConfig().SeriesDays-1]; p.Installs != 500 || p.Projected || p.Date != D.String() {
			t.Errorf("series today: %+v", p)
		}
		// Downloads show the same numbers.
		st, b := e.do(t, "GET", "/data/national.csv?date="+D.String(), "", "", nil)
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if st != 200 || err != nil || len(recs) != 64 || strings.Join(recs[0], ",") != NationalCSVHeader {
			t.Fatalf("national.csv: %d %v %d rows", st, err, len(recs))
		}
		if r := recs[1]; r[1] != "1" || r[3] != "01" || r[5] != "170" || r[10] != FormatRate(0.17) || r[10] != "17.00%" || r[13] != SourceImported {
			t.Errorf("first CSV row %v", r)
		}
		st, b = e.do(t, "GET", "/data/national.json?date="+(D-1).String(), "", "", nil)
		var jr NationalReport
		if err := json.Unmarshal(b, &jr); st != 200 || err != nil || jr.Date != (D-1).String() || jr.Installs != 370 {
			t.Errorf("national.json: %d %v %s %d", st, err, jr.Date, jr.Installs)
		}
		for _, bad := range []string{"/data/national.csv?date=13-08-2020", "/data/province/99.csv", "/data/province/67.xml"} {
			if st, _ := e.do(t, "GET", bad, "", "", nil); st != 400 && st != 404 {
				t.Errorf("%s: %d", bad, st)
			}
		}
	})
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		r    float64
		want string
	}{{0.0882, "8.82%"}, {57511.0 / 652052, "8.82%"}, {0, "0.00%"}, {1, "100.00%"}, {0.0882 * 0.0882, "0.78%"}, {0.36, "36.00%"}} {
		if got := FormatRate(c.r); got != c.want {
			t.Errorf("FormatRate(%v) = %s, want %s", c.r, got, c.want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 57511: "57,511", -5: "-5", -1234567: "-1,234,567", 40000000: "40,000,000"} {
		if got := FormatCount(n); got != want {
			t.Errorf("FormatCount(%d) = %s, want %s", n, got, want)
		}
	}
	if d, err := ParseDay("2020-08-13"); err != nil || d.String() != "2020-08-13" || DayOf(d.Time()) != d ||
		DayOf(time.Date(2020, 8, 13, 23, 59, 0, 0, Zone)) != d || DayOf(time.Date(2020, 8, 13, 16, 59, 0, 0, time.UTC)) != d ||
		DayOf(time.Date(2020, 8, 13, 17, 0, 0, 0, time.UTC)) != d+1 {
		t.Errorf("day arithmetic: %v %v", d, err)
	}
}
