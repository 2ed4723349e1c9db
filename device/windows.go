package device

import (
	"math"
	"sort"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
)

// maxWindowSeconds is the longest exposure window (gaen.md §F: 30 min).
const maxWindowSeconds = 30 * 60

// exposure is one published key that explains some of this device's
// sightings, with the exposure windows built from them. Published keys are
// public, so keeping them (inside the sealed state) reveals nothing new;
// they are needed to apply later revisions.
type exposure struct {
	Key            []byte   `json:"key"`
	RollingStart   uint32   `json:"rollingStart"`
	ReportType     int32    `json:"reportType"`
	DaysSinceOnset int32    `json:"dsos"`
	HasDSOS        bool     `json:"hasDsos"`
	Calibration    uint8    `json:"calibration"`
	Windows        []window `json:"windows"`
}

// window is an exposure window: one key's scan instances over at most 30
// minutes.
type window struct {
	Start     int64          `json:"start"` // unix seconds of the first scan instance
	Instances []scanInstance `json:"scans"`
}

// scanInstance is one scan that heard the key: typical and minimum
// attenuation in dB and the seconds since the previous scan.
type scanInstance struct {
	Typical int `json:"typ"`
	Min     int `json:"min"`
	Seconds int `json:"s"`
}

// buildExposure turns one key's matches into windows. rssiOffset is this
// phone's receive calibration correction.
func buildExposure(km gaen.KeyMatch, logs []sighting, rssiOffset int, cfg *RiskConfig) exposure {
	ms := km.Matches
	sort.SliceStable(ms, func(a, b int) bool {
		return logs[ms[a].SightingIndex].Time < logs[ms[b].SightingIndex].Time
	})
	ex := exposure{
		Key:            append([]byte(nil), km.Key.TEK[:]...),
		RollingStart:   km.Key.RollingStart,
		ReportType:     km.Key.ReportType,
		DaysSinceOnset: km.Key.DaysSinceOnset,
		HasDSOS:        km.Key.Ref&refHasDSOS != 0,
	}
	var cur *window
	for _, m := range ms {
		s := &logs[m.SightingIndex]
		tx := int(m.Metadata.TXPower)
		ex.Calibration = m.Metadata.CalibrationConfidence
		typ := attenuation(tx, int(s.RSSI), rssiOffset)
		mn := attenuation(tx, int(s.MaxRSSI), rssiOffset)
		secs := int(s.Gap)
		if secs == 0 {
			secs = cfg.ScanGapDefaultSeconds
		}
		secs = min(secs, cfg.ScanGapCapSeconds)
		if cur == nil || s.Time-cur.Start >= maxWindowSeconds {
			ex.Windows = append(ex.Windows, window{Start: s.Time})
			cur = &ex.Windows[len(ex.Windows)-1]
		}
		cur.Instances = append(cur.Instances, scanInstance{Typical: typ, Min: min(mn, typ), Seconds: secs})
	}
	return ex
}

// attenuation is max(txPower − (rssi + offset), 0), capped at 255 (gaen.md §A).
func attenuation(tx, rssi, offset int) int {
	a := tx - (rssi + offset)
	return max(0, min(a, 255))
}

// refHasDSOS marks, in DiagnosisKey.Ref, a key that carries days since onset.
const refHasDSOS = 1 << 40

// DaySummary is the risk of one UTC day, from the scored exposure windows of
// that day, split into the F1 class (confirmed, clinically diagnosed and
// self-reported cases) and the F2 class (recursive reports).
type DaySummary struct {
	// Day is the UTC date, YYYY-MM-DD.
	Day string
	// F1Score and F2Score are the summed window scores; with weights 1
	// they are seconds spent within the counted distance.
	F1Score, F2Score float64
	// F1Seconds and F2Seconds are all the seconds of scan instances that
	// heard a case (F1) or an F1 (F2), at any distance.
	F1Seconds, F2Seconds int
	// F1MinAttenuationDb and F2MinAttenuationDb are the smallest
	// attenuations heard (-1 when none).
	F1MinAttenuationDb, F2MinAttenuationDb int
	// Windows counts the exposure windows of the day.
	Windows int
}

// summarize scores every window of exs and returns one summary per day with
// a window, oldest first, ignoring days older than the configuration's
// threshold before now.
func summarize(exs []exposure, cfg *RiskConfig, now time.Time) []DaySummary {
	byDay := map[string]*DaySummary{}
	oldest := dayName(now.AddDate(0, 0, -cfg.DaysSinceExposureThreshold))
	for _, ex := range exs {
		rt := ex.ReportType
		if rt == 0 {
			rt = reportTypeFromName(cfg.ReportTypeWhenMissing)
		}
		rtw := cfg.ReportTypeWeights[reportTypeName(rt)]
		inf := cfg.infectiousness(ex.DaysSinceOnset, ex.HasDSOS)
		if inf == InfectiousnessNone {
			continue
		}
		infw := cfg.InfectiousnessWeights[inf]
		f2 := rt == 4
		for _, w := range ex.Windows {
			day := dayName(time.Unix(w.Start, 0))
			if day < oldest {
				continue
			}
			weighted, secs, minAtt := 0.0, 0, math.MaxInt
			for _, si := range w.Instances {
				weighted += float64(si.Seconds) * cfg.AttenuationWeights[cfg.bucket(si.Typical)]
				secs += si.Seconds
				minAtt = min(minAtt, si.Min)
			}
			score := rtw * infw * weighted
			if score < cfg.MinimumWindowScore {
				continue
			}
			s := byDay[day]
			if s == nil {
				s = &DaySummary{Day: day, F1MinAttenuationDb: -1, F2MinAttenuationDb: -1}
				byDay[day] = s
			}
			s.Windows++
			if f2 {
				s.F2Score += score
				s.F2Seconds += secs
				s.F2MinAttenuationDb = minOr(s.F2MinAttenuationDb, minAtt)
			} else {
				s.F1Score += score
				s.F1Seconds += secs
				s.F1MinAttenuationDb = minOr(s.F1MinAttenuationDb, minAtt)
			}
		}
	}
	out := make([]DaySummary, 0, len(byDay))
	for _, s := range byDay {
		out = append(out, *s)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Day < out[b].Day })
	return out
}

func minOr(cur, v int) int {
	if cur < 0 || v < cur {
		return v
	}
	return cur
}

// ExposureWindow describes one exposure window for display ("encounter
// details"): when, how long, how close, and what kind of report it came
// from. It never says who.
type ExposureWindow struct {
	// Day is the UTC date; StartUnix the time of its first scan.
	Day       string
	StartUnix int64
	// ReportType is "confirmedTest", "confirmedClinicalDiagnosis",
	// "selfReport" or "recursive".
	ReportType string
	// Infectiousness is "none", "standard" or "high".
	Infectiousness string
	// Scans counts scan instances; Seconds sums their durations.
	Scans, Seconds int
	// MinAttenuationDb and MaxTypicalAttenuationDb bound how close it was.
	MinAttenuationDb, MaxTypicalAttenuationDb int
	// Score is the window's score under the current configuration.
	Score float64
}

// WindowList is a list of exposure windows, oldest first.
type WindowList struct{ items []ExposureWindow }

// Len returns the number of windows.
func (l *WindowList) Len() int { return len(l.items) }

// At returns window i.
func (l *WindowList) At(i int) *ExposureWindow { w := l.items[i]; return &w }

// All returns the windows as a slice (for Go callers).
func (l *WindowList) All() []ExposureWindow { return append([]ExposureWindow(nil), l.items...) }

// ExposureWindows lists the exposure windows of all matched keys.
func (d *Device) ExposureWindows() *WindowList {
	d.mu.Lock()
	defer d.mu.Unlock()
	cfg := d.risk
	out := &WindowList{}
	for _, ex := range d.st.Exposures {
		rt := ex.ReportType
		if rt == 0 {
			rt = reportTypeFromName(cfg.ReportTypeWhenMissing)
		}
		inf := cfg.infectiousness(ex.DaysSinceOnset, ex.HasDSOS)
		for _, w := range ex.Windows {
			ew := ExposureWindow{Day: dayName(time.Unix(w.Start, 0)), StartUnix: w.Start, ReportType: reportTypeName(rt), Infectiousness: inf, MinAttenuationDb: 255}
			weighted := 0.0
			for _, si := range w.Instances {
				ew.Scans++
				ew.Seconds += si.Seconds
				ew.MinAttenuationDb = min(ew.MinAttenuationDb, si.Min)
				ew.MaxTypicalAttenuationDb = max(ew.MaxTypicalAttenuationDb, si.Typical)
				weighted += float64(si.Seconds) * cfg.AttenuationWeights[cfg.bucket(si.Typical)]
			}
			if inf != InfectiousnessNone {
				ew.Score = cfg.ReportTypeWeights[reportTypeName(rt)] * cfg.InfectiousnessWeights[inf] * weighted
			}
			out.items = append(out.items, ew)
		}
	}
	sort.Slice(out.items, func(a, b int) bool { return out.items[a].StartUnix < out.items[b].StartUnix })
	return out
}
