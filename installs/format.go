package installs

import (
	"strconv"
	"strings"
)

// FormatRate formats a rate (0..1) as a percentage with two decimals and a
// dot, as the downloads and the dashboard show it: FormatRate(0.0882) =
// "8.82%". Both use this function so a CSV cell and a page cell read alike.
func FormatRate(rate float64) string {
	return strconv.FormatFloat(rate*100, 'f', 2, 64) + "%"
}

// FormatCount formats a count with comma thousands separators, as the
// ministry's notices write them: FormatCount(57511) = "57,511".
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// FormatDate formats a day as YYYY-MM-DD, the date parameter of the
// downloads.
func FormatDate(d Day) string { return d.Time().Format(dateLayout) }
