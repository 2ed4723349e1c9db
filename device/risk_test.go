package device

import (
	"strings"
	"testing"
	"time"
)

func TestParseRiskConfig(t *testing.T) {
	c, err := ParseRiskConfig([]byte(`{"attenuationThresholdsDb":[40,50,60],"f1MinimumDailyScore":1800}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.AttenuationThresholdsDb != [3]int{40, 50, 60} || c.F1MinimumDailyScore != 1800 || c.F2MinimumDailyScore != 900 {
		t.Errorf("parsed %+v", c)
	}
	// The default round-trips through its JSON.
	d, err := ParseRiskConfig([]byte(DefaultRiskConfig().JSON()))
	if err != nil || d.JSON() != DefaultRiskConfig().JSON() {
		t.Fatalf("default does not round-trip: %v", err)
	}
	for name, js := range map[string]string{
		"unknown field":      `{"attenuationThreshold":[1,2,3]}`,
		"descending":         `{"attenuationThresholdsDb":[60,50,40]}`,
		"weight too high":    `{"attenuationWeights":[3,1,0,0]}`,
		"bad day":            `{"infectiousnessByDaysSinceOnset":{"20":"high"}}`,
		"bad level":          `{"infectiousnessByDaysSinceOnset":{"0":"extreme"}}`,
		"bad report type":    `{"reportTypeWeights":{"revoked":1}}`,
		"zero threshold":     `{"f2MinimumDailyScore":0}`,
		"trailing data":      `{} {}`,
		"not json":           `high risk`,
		"days out of range":  `{"daysSinceExposureThreshold":30}`,
		"gap default > cap":  `{"scanGapDefaultSeconds":400}`,
		"missing rt unknown": `{"reportTypeWhenMissing":"x"}`,
	} {
		if _, err := ParseRiskConfig([]byte(js)); err == nil {
			t.Errorf("%s: accepted %s", name, js)
		}
	}
}

// exposureAt builds an exposure of minutes scans, one a minute, each 60 s
// at typical attenuation att (minimum att−3), cut into 30-minute windows.
func exposureAt(day time.Time, rt int32, dsos int32, hasDSOS bool, att int, minutes int) exposure {
	ex := exposure{Key: []byte(day.String() + string(rune(rt))), ReportType: rt, DaysSinceOnset: dsos, HasDSOS: hasDSOS}
	var w *window
	for m := 0; m < minutes; m++ {
		at := day.Add(time.Duration(m) * time.Minute).Unix()
		if w == nil || at-w.Start >= maxWindowSeconds {
			ex.Windows = append(ex.Windows, window{Start: at})
			w = &ex.Windows[len(ex.Windows)-1]
		}
		w.Instances = append(w.Instances, scanInstance{Typical: att, Min: att - 3, Seconds: 60})
	}
	return ex
}

func TestScoringAndWarnings(t *testing.T) {
	cfg := DefaultRiskConfig()
	day := time.Date(2020, 6, 1, 9, 0, 0, 0, time.UTC)
	now := day.Add(3 * 24 * time.Hour)
	at := func(d int) time.Time { return day.Add(time.Duration(d) * 24 * time.Hour) }
	cases := []struct {
		name string
		ex   []exposure
		want string // "" none, else kind and bucket
	}{
		{"15 min at 2–3 m", []exposure{exposureAt(day, 1, 0, true, 53, 15)}, "F1 near"},
		{"14 min at 2 m", []exposure{exposureAt(day, 1, 0, true, 51, 14)}, ""},
		{"15 min at 1 m, clinical", []exposure{exposureAt(day, 2, 0, true, 45, 15)}, "F1 immediate"},
		{"two 8-min encounters", []exposure{exposureAt(day, 1, 0, true, 50, 8), exposureAt(day.Add(3*time.Hour), 1, 0, true, 50, 8)}, "F1 immediate"},
		{"8 min on two days", []exposure{exposureAt(day, 1, 0, true, 50, 8), exposureAt(at(1), 1, 0, true, 50, 8)}, ""},
		{"60 min at 8 m", []exposure{exposureAt(day, 1, 0, true, 63, 60)}, ""},
		{"2 min pass-by", []exposure{exposureAt(day, 1, 0, true, 45, 2)}, ""},
		{"onset missing", []exposure{exposureAt(day, 1, 0, false, 53, 20)}, "F1 near"},
		{"before infectious period", []exposure{exposureAt(day, 1, -5, true, 45, 60)}, ""},
		{"self report weighs 0", []exposure{exposureAt(day, 3, 0, true, 45, 60)}, ""},
		{"recursive is F2", []exposure{exposureAt(day, 4, 0, true, 45, 20)}, "F2 immediate"},
		{"F1 wins over F2", []exposure{exposureAt(day, 4, 0, true, 45, 20), exposureAt(day, 1, 0, true, 53, 20)}, "F1 near"},
		{"too old", []exposure{exposureAt(now.AddDate(0, 0, -15), 1, 0, true, 45, 60)}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := warningsFrom(summarize(c.ex, cfg, now), cfg, func(string, string) time.Time { return now })
			got := ""
			if len(ws) > 1 {
				t.Fatalf("%d warnings", len(ws))
			}
			if len(ws) == 1 {
				got = ws[0].Kind + " " + ws[0].ClosestBucket
				if ws[0].Advice == "" || !strings.Contains(ws[0].String(), ws[0].Kind) {
					t.Error("warning without advice or text")
				}
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestWindowsCutAt30Minutes(t *testing.T) {
	ex := exposureAt(time.Date(2020, 6, 1, 9, 0, 0, 0, time.UTC), 1, 0, true, 50, 75)
	if len(ex.Windows) != 3 {
		t.Fatalf("%d windows for 75 min, want 3", len(ex.Windows))
	}
	for _, w := range ex.Windows {
		last := w.Start + int64(len(w.Instances)-1)*60
		if last-w.Start >= maxWindowSeconds {
			t.Errorf("window spans %d s", last-w.Start)
		}
	}
}
