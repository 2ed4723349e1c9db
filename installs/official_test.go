package installs

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestDakNongImport reproduces the Đắk Nông notice of 13 Aug 2020 from
// issue 5: 57,511 total, 8 districts adding up to 57,516, a flagged
// difference of −5, and 8.82% with a denominator of 652,052.
func TestDakNongImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		figures, err := os.ReadFile("testdata/daknong-2020-08-13.csv")
		if err != nil {
			t.Fatal(err)
		}
		// A province key of another province may not import it.
		if st, _ := e.do(t, "POST", "/api/installs/official", "prov-01", "text/csv", figures); st != 403 {
			t.Fatalf("import with Hà Nội's key: %d, want 403", st)
		}
		if st, _ := e.do(t, "POST", "/api/installs/official", "", "text/csv", figures); st != 401 {
			t.Fatalf("import without key: %d, want 401", st)
		}
		if n := e.count(t, "installs_official"); n != 0 {
			t.Fatalf("refused imports stored %d rows", n)
		}
		st, b := e.do(t, "POST", "/api/installs/official", "prov-67", "text/csv", figures)
		if st != 200 || !strings.Contains(string(b), `"imported":9`) {
			t.Fatalf("import: %d %s", st, b)
		}
		st, b = e.do(t, "PUT", "/api/installs/denominators", "prov-67", "text/csv",
			[]byte(DenominatorsCSVHeader+"\n67,,652052,,\n"))
		if st != 200 {
			t.Fatalf("denominators: %d %s", st, b)
		}
		day := time.Date(2020, 8, 13, 12, 0, 0, 0, Zone)
		r := e.province(t, "67", day)
		var sum int64
		for _, d := range r.Districts {
			sum += d.Installs
		}
		switch {
		case r.Province.Installs != 57511:
			t.Errorf("total %d, want 57,511", r.Province.Installs)
		case len(r.Districts) != 8:
			t.Errorf("%d districts, want 8", len(r.Districts))
		case r.DistrictSum != 57516 || sum != 57516:
			t.Errorf("district sum %d (%d), want 57,516", r.DistrictSum, sum)
		case r.Unattributed != -5 || !r.Flagged:
			t.Errorf("unattributed %d flagged %v, want −5 flagged", r.Unattributed, r.Flagged)
		case !r.Province.Imported || r.Source != SourceImported || r.Province.ImportedDate != "2020-08-13":
			t.Errorf("not labelled imported: %+v", r.Province)
		case r.Province.Denominator != 652052 || FormatRate(r.Province.Rate) != "8.82%":
			t.Errorf("rate %s of %d, want 8.82%% of 652,052", FormatRate(r.Province.Rate), r.Province.Denominator)
		case r.Province.Counted != 0:
			t.Errorf("counted %d: imported figures leaked into counts", r.Province.Counted)
		}
		if d := districtOf(r, "660"); d.Name != "Gia Nghĩa" || d.Installs != 13404 || d.Rank == 0 {
			t.Errorf("Gia Nghĩa: %+v", d)
		}
		// The download shows the same figures, formatted the same way.
		st, b = e.do(t, "GET", "/data/province/67.csv?date=2020-08-13", "", "", nil)
		if st != 200 {
			t.Fatalf("download: %d %s", st, b)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		last := recs[len(recs)-1]
		if last[4] != "57511" || last[7] != "8.82%" || !strings.Contains(string(b), "not attributed to a district (flagged") ||
			!strings.Contains(string(b), ",-5,") {
			t.Errorf("CSV:\n%s", b)
		}
		st, b = e.do(t, "GET", "/data/province/67.json?date=2020-08-13", "", "", nil)
		var jr ProvinceReport
		if err := json.Unmarshal(b, &jr); st != 200 || err != nil || jr.Unattributed != -5 || len(jr.Districts) != 8 {
			t.Errorf("JSON download: %d %v %+v", st, err, jr)
		}
		// The day before, nothing was imported.
		if r := e.province(t, "67", day.AddDate(0, 0, -1)); r.Province.Imported || r.Province.Installs != 0 {
			t.Errorf("day before: %+v", r.Province)
		}
		// Re-importing a corrected notice replaces the figures of that day.
		fixed := OfficialCSVHeader + "\n2020-08-13,67,,57516\n"
		if st, b := e.do(t, "POST", "/api/installs/official", "national", "text/csv", []byte(fixed)); st != 200 {
			t.Fatalf("re-import: %d %s", st, b)
		}
		if r := e.province(t, "67", day); r.Province.Installs != 57516 || len(r.Districts) != 0 || r.Flagged {
			t.Errorf("after re-import: %+v", r)
		}
	})
}

func TestOfficialCSVValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		h := OfficialCSVHeader + "\n"
		for name, body := range map[string]string{
			"empty":            "",
			"wrong header":     "date,province,district,installs\n2020-08-13,67,,1\n",
			"bad date":         h + "13/08/2020,67,,1\n",
			"future date":      h + "2020-08-14,67,,1\n",
			"unknown province": h + "2020-08-13,99,,1\n",
			"foreign district": h + "2020-08-13,67,001,1\n",
			"negative":         h + "2020-08-13,67,,-1\n",
			"not a number":     h + "2020-08-13,67,,1.5\n",
			"too many fields":  h + "2020-08-13,67,,1,2\n",
			"duplicate":        h + "2020-08-13,67,,1\n2020-08-13,67,,2\n",
			"one bad row":      h + "2020-08-13,67,,1\n2020-08-13,67,660,x\n",
		} {
			t.Run(name, func(t *testing.T) {
				st, b := e.do(t, "POST", "/api/installs/official", "national", "text/csv", []byte(body))
				if st != 400 || !strings.Contains(string(b), `"invalid"`) {
					t.Fatalf("%d %s", st, b)
				}
			})
		}
		if n := e.count(t, "installs_official"); n != 0 {
			t.Fatalf("bad imports stored %d rows", n)
		}
		for name, body := range map[string]string{
			"bad header":   "province,district,population\n",
			"negative":     DenominatorsCSVHeader + "\n67,,-5,,\n",
			"unknown":      DenominatorsCSVHeader + "\n67,999,5,,\n",
			"huge":         DenominatorsCSVHeader + "\n67,,999999999999,,\n",
			"second wrong": DenominatorsCSVHeader + "\n67,,5,,\n67,660,abc,,\n",
		} {
			t.Run("denominators "+name, func(t *testing.T) {
				if st, b := e.do(t, "PUT", "/api/installs/denominators", "national", "text/csv", []byte(body)); st != 400 {
					t.Fatalf("%d %s", st, b)
				}
			})
		}
		if n := e.count(t, "installs_denominators"); n != 0 {
			t.Fatalf("bad denominators stored %d rows", n)
		}
	})
}
