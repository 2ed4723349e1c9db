package installs

import (
	"fmt"
	"time"
)

// Zone is Vietnam's time (UTC+7, no daylight saving): days begin at local
// midnight, as in the ministry's daily figures.
var Zone = time.FixedZone("ICT", 7*3600)

const dateLayout = "2006-01-02"

// Day is a calendar day in Zone, counted from 1970-01-01. It is the only
// time the service stores: never an hour or a second.
type Day int32

// DayOf returns the day (in Zone) that contains t.
func DayOf(t time.Time) Day {
	_, off := t.In(Zone).Zone()
	return Day((t.Unix() + int64(off)) / 86400)
}

// Time returns the day's local midnight in Zone.
func (d Day) Time() time.Time {
	return time.Unix(int64(d)*86400-7*3600, 0).In(Zone)
}

// String formats the day as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(dateLayout) }

// ParseDay parses YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.ParseInLocation(dateLayout, s, Zone)
	if err != nil {
		return 0, fmt.Errorf("date %q must be YYYY-MM-DD", s)
	}
	return DayOf(t), nil
}
