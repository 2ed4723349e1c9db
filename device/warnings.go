package device

import (
	"fmt"
	"time"
)

// Warning kinds.
const (
	// KindF1: close contact of a confirmed or clinically diagnosed case.
	KindF1 = "F1"
	// KindF2: close contact of an F1 whom a health worker authorised to
	// warn their own contacts (a RECURSIVE report).
	KindF2 = "F2"
)

// Warning is one day on which the user met the close-contact rule.
type Warning struct {
	// Kind is KindF1 or KindF2.
	Kind string
	// Day is the UTC date of the exposure, YYYY-MM-DD.
	Day string
	// CloseSeconds is the time counted toward the rule (within about 2 m
	// under the default configuration), weighted as configured.
	CloseSeconds int
	// TotalSeconds is all the time the case (or F1) was heard that day,
	// at any distance.
	TotalSeconds int
	// ClosestBucket is the nearest attenuation bucket heard: "immediate",
	// "near", "medium" or "other"; ClosestDistance says it in words.
	ClosestBucket   string
	ClosestDistance string
	// MinAttenuationDb is the smallest attenuation heard.
	MinAttenuationDb int
	// Advice tells the user what to do.
	Advice string
	// NotifiedUnix is when the device first raised this warning.
	NotifiedUnix int64
}

// String renders the warning on one line.
func (w *Warning) String() string {
	return fmt.Sprintf("%s %s: %d min close (%d min heard), closest %s (%s)",
		w.Kind, w.Day, w.CloseSeconds/60, w.TotalSeconds/60, w.ClosestBucket, w.ClosestDistance)
}

// Advice texts (Vietnamese Ministry of Health guidance, 2020, summarised).
const (
	AdviceF1 = "You were in close contact with a COVID-19 case (F1). Stay at home and isolate from others now, " +
		"call your district health centre or the 1900 9095 hotline, and follow their instructions for testing " +
		"and 14 days of quarantine counted from the day of contact."
	AdviceF2 = "You were in close contact with someone who is an F1 (F2). Limit contact with others, " +
		"watch for fever, cough or breathing difficulty, and declare your health to your local health station; " +
		"call the 1900 9095 hotline if symptoms appear."
)

var distanceWords = map[string]string{
	"immediate": "within about 1 m",
	"near":      "about 1–3 m",
	"medium":    "about 3–8 m",
	"other":     "farther than about 8 m",
}

// warningsFrom derives the warnings of the day summaries: a day whose F1
// score reaches the threshold is an F1 warning; otherwise a day whose F2
// score reaches it is an F2 warning.
func warningsFrom(sums []DaySummary, cfg *RiskConfig, notifiedAt func(kind, day string) time.Time) []Warning {
	var out []Warning
	for _, s := range sums {
		var w Warning
		switch {
		case s.F1Score >= cfg.F1MinimumDailyScore:
			w = Warning{Kind: KindF1, Day: s.Day, CloseSeconds: int(s.F1Score), TotalSeconds: s.F1Seconds, MinAttenuationDb: s.F1MinAttenuationDb, Advice: AdviceF1}
		case s.F2Score >= cfg.F2MinimumDailyScore:
			w = Warning{Kind: KindF2, Day: s.Day, CloseSeconds: int(s.F2Score), TotalSeconds: s.F2Seconds, MinAttenuationDb: s.F2MinAttenuationDb, Advice: AdviceF2}
		default:
			continue
		}
		w.ClosestBucket = bucketNames[cfg.bucket(w.MinAttenuationDb)]
		w.ClosestDistance = distanceWords[w.ClosestBucket]
		w.NotifiedUnix = notifiedAt(w.Kind, w.Day).Unix()
		out = append(out, w)
	}
	return out
}

// WarningList is a list of warnings, oldest day first (gomobile cannot bind
// slices of structs).
type WarningList struct{ items []Warning }

// Len returns the number of warnings.
func (l *WarningList) Len() int { return len(l.items) }

// At returns warning i (0 ≤ i < Len).
func (l *WarningList) At(i int) *Warning { w := l.items[i]; return &w }

// All returns the warnings as a slice (for Go callers).
func (l *WarningList) All() []Warning { return append([]Warning(nil), l.items...) }

// DaySummaryList is a list of day summaries, oldest first.
type DaySummaryList struct{ items []DaySummary }

// Len returns the number of days.
func (l *DaySummaryList) Len() int { return len(l.items) }

// At returns day i (0 ≤ i < Len).
func (l *DaySummaryList) At(i int) *DaySummary { s := l.items[i]; return &s }

// All returns the summaries as a slice (for Go callers).
func (l *DaySummaryList) All() []DaySummary { return append([]DaySummary(nil), l.items...) }
