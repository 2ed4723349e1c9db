package gaen

import "time"

const (
	// IntervalSeconds is the length of one ENIntervalNumber interval: 10 minutes.
	IntervalSeconds = 600
	// IntervalDuration is IntervalSeconds as a time.Duration.
	IntervalDuration = IntervalSeconds * time.Second
	// TEKRollingPeriod is the number of intervals a TEK is valid for (144 × 10 min = 24 h), and the largest
	// rolling period a diagnosis key may carry.
	TEKRollingPeriod = 144
	// MaxClockDriftIntervals is the matching tolerance between the interval an RPI was derived for and the
	// interval it was heard in: ±12 intervals (±2 h).
	MaxClockDriftIntervals = 12
	// RetentionDays is how long devices keep their TEKs and sightings.
	RetentionDays = 14
	// RetentionIntervals is RetentionDays in intervals.
	RetentionIntervals = RetentionDays * TEKRollingPeriod
)

// IntervalNumber returns the ENIntervalNumber of t: floor(unix seconds / 600). Times before the Unix epoch give 0
// and times past the uint32 range give the largest interval number; neither occurs in practice.
func IntervalNumber(t time.Time) uint32 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	n := s / IntervalSeconds
	if n > 0xFFFFFFFF {
		return 0xFFFFFFFF
	}
	return uint32(n)
}

// IntervalTime returns the UTC start time of interval n.
func IntervalTime(n uint32) time.Time {
	return time.Unix(int64(n)*IntervalSeconds, 0).UTC()
}

// RollingStart returns the interval number of the UTC midnight at or before t: the rolling start interval
// number of the TEK valid at t.
func RollingStart(t time.Time) uint32 {
	return AlignRollingStart(IntervalNumber(t))
}

// AlignRollingStart rounds interval n down to a multiple of TEKRollingPeriod (UTC midnight).
func AlignRollingStart(n uint32) uint32 {
	return n - n%TEKRollingPeriod
}
