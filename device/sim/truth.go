package sim

import (
	"math"
	"time"
)

// closeDistance and closeSeconds are the public-health rule the default risk
// configuration implements: within 2 m for 15 minutes or more in a day.
const (
	closeDistance = 2.0
	closeSeconds  = 15 * 60
)

// closeTime returns, per UTC day, how many seconds a and b spent within
// closeDistance of each other in the same room.
func closeTime(a, b *Person) map[string]int64 {
	out := map[string]int64{}
	i, j := 0, 0
	for i < len(a.segs) && j < len(b.segs) {
		sa, sb := a.segs[i], b.segs[j]
		from, to := max(sa.from, sb.from), min(sa.to, sb.to)
		if from < to && sa.place == sb.place && sa.room == sb.room && math.Hypot(sa.x-sb.x, sa.y-sb.y) <= closeDistance {
			for from < to {
				day := time.Unix(from, 0).UTC()
				next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, time.UTC).Unix()
				end := min(to, next)
				out[day.Format("2006-01-02")] += end - from
				from = end
			}
		}
		if sa.to < sb.to {
			i++
		} else {
			j++
		}
	}
	return out
}

// infectiousDay reports whether a UTC day falls in the default
// configuration's infectious period for a case with symptom onset on onset
// (days −3 … +10).
func infectiousDay(day string, onset time.Time) bool {
	d, err := time.Parse("2006-01-02", day)
	if err != nil {
		return false
	}
	o := time.Date(onset.Year(), onset.Month(), onset.Day(), 0, 0, 0, 0, time.UTC)
	dsos := int(math.Round(d.Sub(o).Hours() / 24))
	return dsos >= -3 && dsos <= 10
}

// contactClass compares one person with a source: "close" when some
// infectious day has ≥ 15 min within 2 m, "near" when they were within 2 m
// at all (but less, or outside the infectious period), "" otherwise.
func contactClass(p, src *Person, onset time.Time) (class string, best int64) {
	for day, secs := range closeTime(p, src) {
		if secs > best {
			best = secs
		}
		if secs >= closeSeconds && infectiousDay(day, onset) {
			class = "close"
		}
	}
	if class == "" && best > 0 {
		class = "near"
	}
	return class, best
}
