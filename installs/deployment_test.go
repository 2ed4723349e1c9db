package installs

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestDeploymentReports: a campaign with guidance by 18 Aug and reports due
// 20 Aug; one unit reports on time, one late, one never.
func TestDeploymentReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		at := func(date string) { d, _ := ParseDay(date); e.clock.Set(d.Time().Add(10 * time.Hour)) }
		post := func(key, path string, v any) (int, []byte) {
			b, _ := json.Marshal(v)
			return e.do(t, "POST", path, key, "application/json", b)
		}
		at("2020-08-10")
		var ids []int64
		for _, name := range []string{"Sở Y tế", "Công an tỉnh", "Sở Giáo dục"} {
			st, b := post("prov-67", "/api/installs/agencies", Agency{Province: "67", Name: name})
			var a Agency
			if json.Unmarshal(b, &a); st != 201 || a.ID == 0 {
				t.Fatalf("add agency: %d %s", st, b)
			}
			ids = append(ids, a.ID)
		}
		if st, _ := post("prov-01", "/api/installs/agencies", Agency{Province: "67", Name: "X"}); st != 403 {
			t.Fatalf("agency in another realm: %d", st)
		}
		if st, _ := post("prov-67", "/api/installs/agencies", Agency{Province: "67", Name: "Sở Y tế"}); st != 400 {
			t.Fatalf("duplicate agency: %d", st)
		}
		st, b := post("prov-67", "/api/installs/campaigns", Campaign{Province: "67", Name: "Cài đặt Bluezone", Start: "2020-08-10", GuidanceDue: "2020-08-18", ReportsDue: "2020-08-20"})
		var c Campaign
		if json.Unmarshal(b, &c); st != 201 || c.ID == 0 {
			t.Fatalf("campaign: %d %s", st, b)
		}
		if st, _ := post("prov-67", "/api/installs/campaigns", Campaign{Province: "67", Name: "x", Start: "2020-08-10", ReportsDue: "2020-08-01"}); st != 400 {
			t.Fatalf("deadline before start: %d", st)
		}
		// Bad reports: nothing stored.
		for name, r := range map[string]UnitReport{
			"installed > staff": {c.ID, ids[0], "2020-08-10", 10, 11},
			"negative":          {c.ID, ids[0], "2020-08-10", -1, 0},
			"future":            {c.ID, ids[0], "2020-08-11", 10, 1},
			"bad date":          {c.ID, ids[0], "10/08/2020", 10, 1},
			"unknown agency":    {c.ID, 9999, "2020-08-10", 10, 1},
			"unknown campaign":  {9999, ids[0], "2020-08-10", 10, 1},
		} {
			if st, b := post("prov-67", "/api/installs/reports", r); st != 400 && st != 404 {
				t.Errorf("%s: %d %s", name, st, b)
			}
		}
		if st, _ := post("prov-01", "/api/installs/reports", UnitReport{c.ID, ids[0], "2020-08-10", 10, 1}); st != 403 {
			t.Errorf("report from another realm: %d", st)
		}
		if n := e.count(t, "installs_unit_reports"); n != 0 {
			t.Fatalf("bad reports stored %d rows", n)
		}
		at("2020-08-19")
		if st, b := post("prov-67", "/api/installs/reports", UnitReport{c.ID, ids[0], "2020-08-19", 120, 90}); st != 200 {
			t.Fatalf("report: %d %s", st, b)
		}
		summary := func(date string) AgencySummary {
			st, b := e.do(t, "GET", fmt.Sprintf("/api/installs/provinces/67/summary?date=%s", date), "prov-67", "", nil)
			var s AgencySummary
			if err := json.Unmarshal(b, &s); st != 200 || err != nil {
				t.Fatalf("summary: %d %s", st, b)
			}
			return s
		}
		unit := func(s AgencySummary, id int64) UnitStatus {
			for _, u := range s.Units {
				if u.AgencyID == id {
					return u
				}
			}
			t.Fatalf("unit %d missing", id)
			return UnitStatus{}
		}
		s := summary("2020-08-20") // the deadline day: nobody is late yet
		if s.Reported != 1 || s.Late != 0 || s.TotalStaff != 120 || s.TotalInstalled != 90 || s.Campaign == nil || s.Campaign.ID != c.ID {
			t.Errorf("on 20 Aug: %+v", s)
		}
		at("2020-08-22")
		if st, b := post("prov-67", "/api/installs/reports", UnitReport{c.ID, ids[1], "2020-08-22", 300, 150}); st != 200 {
			t.Fatalf("late report: %d %s", st, b)
		}
		s = summary("2020-08-22")
		if u := unit(s, ids[0]); !u.Reported || u.Late || u.Rate != 0.75 || u.Date != "2020-08-19" {
			t.Errorf("on-time unit: %+v", u)
		}
		if u := unit(s, ids[1]); !u.Reported || !u.Late {
			t.Errorf("late unit: %+v", u)
		}
		if u := unit(s, ids[2]); u.Reported || !u.Late {
			t.Errorf("silent unit: %+v", u)
		}
		if s.Reported != 2 || s.Late != 2 || s.TotalStaff != 420 || s.TotalInstalled != 240 || s.Rate != 240.0/420 {
			t.Errorf("totals: %+v", s)
		}
		// The province page carries the same summary; the CSV export too.
		if pr := e.province(t, "67", e.clock.Now()); pr.Agencies.Late != 2 || pr.Agencies.TotalInstalled != 240 {
			t.Errorf("province page agencies: %+v", pr.Agencies)
		}
		st, b = e.do(t, "GET", "/api/installs/provinces/67/summary.csv?date=2020-08-22", "prov-67", "", nil)
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if st != 200 || err != nil || len(recs) != 5 {
			t.Fatalf("summary.csv: %d %v\n%s", st, err, b)
		}
		if tot := recs[4]; tot[3] != "TOTAL" || tot[4] != "2" || tot[5] != "2" || tot[7] != "420" || tot[8] != "240" || tot[9] != FormatRate(240.0/420) {
			t.Errorf("total row %v", tot)
		}
		if st, _ := e.do(t, "GET", "/api/installs/provinces/67/summary.csv", "prov-01", "", nil); st != 403 {
			t.Errorf("summary from another realm: %d", st)
		}
	})
}
