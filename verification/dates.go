package verification

import (
	"math"
	"net/http"
	"time"
)

const dateLayout = "2006-01-02"

// maxTZOffset is the widest real UTC offset (UTC+14), in minutes.
const maxTZOffset = 14 * 60

// checkTZOffset accepts offsets in minutes between UTC-14 and UTC+14.
func checkTZOffset(minutes float64) (int, error) {
	if math.IsNaN(minutes) || math.Abs(minutes) > maxTZOffset {
		return 0, apiErr(http.StatusBadRequest, ErrUnparsableRequest, "tzOffset must be minutes between -%d and %d", maxTZOffset, maxTZOffset)
	}
	return int(math.Round(minutes)), nil
}

// parseDate validates an optional YYYY-MM-DD date given in the issuer's
// local time (tzOffset minutes east of UTC): it must not lie after the
// issuer's today nor more than maxAge before it. An empty string is "no
// date". The reference server compares with the server's UTC day and widens
// the lower bound by a day for negative offsets; comparing with the issuer's
// own day gives the same answers without rejecting "today" in UTC+7 between
// 00:00 and 07:00 local time.
func parseDate(field, value string, tzOffset int, now time.Time, maxAge time.Duration) (string, error) {
	if value == "" {
		return "", nil
	}
	d, err := time.Parse(dateLayout, value)
	if err != nil {
		return "", apiErr(http.StatusBadRequest, ErrUnparsableRequest, "%s must be a date as YYYY-MM-DD", field)
	}
	local := now.UTC().Add(time.Duration(tzOffset) * time.Minute)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	oldest := today.Add(-maxAge)
	oldest = time.Date(oldest.Year(), oldest.Month(), oldest.Day(), 0, 0, 0, 0, time.UTC)
	if d.After(today) || d.Before(oldest) {
		return "", apiErr(http.StatusBadRequest, ErrInvalidDate, "%s must be on or after %s and on or before %s",
			field, oldest.Format(dateLayout), today.Format(dateLayout))
	}
	return d.Format(dateLayout), nil
}

// dateInterval returns the Exposure Notification interval number (10-minute
// periods since the Unix epoch) of a YYYY-MM-DD date's UTC midnight, or 0
// for "".
func dateInterval(date string) uint32 {
	if date == "" {
		return 0
	}
	d, err := time.Parse(dateLayout, date)
	if err != nil {
		return 0
	}
	return uint32(d.Unix() / 600)
}
