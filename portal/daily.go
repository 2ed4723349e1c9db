package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// dayOf returns the day (days since 1970-01-01 in Vietnam's time) of t.
func dayOf(t time.Time) int64 {
	_, off := t.In(Zone).Zone()
	return (t.Unix() + int64(off)) / 86400
}

// dayTime returns a day's local midnight.
func dayTime(d int64) time.Time { return time.Unix(d*86400-7*3600, 0).In(Zone) }

// dayString formats a day as YYYY-MM-DD.
func dayString(d int64) string { return dayTime(d).Format("2006-01-02") }

// parseDay parses YYYY-MM-DD as a day.
func parseDay(s string) (int64, error) {
	t, err := time.ParseInLocation("2006-01-02", s, Zone)
	if err != nil {
		return 0, err
	}
	return dayOf(t), nil
}

// dailyColumns are the counters of portal_daily; bumpDaily refuses others
// (the name goes into SQL).
var dailyColumns = map[string]bool{"confirmed": true, "suspected": true, "contacts": true, "codes_issued": true, "codes_claimed": true}

// bumpDaily adds n to one counter of a district's day, in the caller's
// transaction: the figures move with the change that caused them, so the
// report pages read a few hundred counter rows instead of every case.
func bumpDaily(ctx context.Context, q store.Querier, province, district string, day int64, col string, n int) error {
	if !dailyColumns[col] {
		return fmt.Errorf("daily counter %q does not exist", col)
	}
	_, err := q.Exec(ctx, `INSERT INTO portal_daily (province, district, day, `+col+`) VALUES (?, ?, ?, ?)
		ON CONFLICT (province, district, day) DO UPDATE SET `+col+` = portal_daily.`+col+` + excluded.`+col,
		province, district, day, n)
	if err != nil {
		return fmt.Errorf("daily %s: %w", col, err)
	}
	return nil
}
