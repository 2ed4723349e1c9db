package portal

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Counts are one row of a daily report.
type Counts struct {
	Confirmed, Suspected, Contacts int64
	CodesIssued, CodesClaimed      int64
	Keys                           int64 // keys published (when KeyCounts is wired)
}

func (c *Counts) add(o Counts) {
	c.Confirmed += o.Confirmed
	c.Suspected += o.Suspected
	c.Contacts += o.Contacts
	c.CodesIssued += o.CodesIssued
	c.CodesClaimed += o.CodesClaimed
	c.Keys += o.Keys
}

// ReportRow is a day or an area (district or province) with its counts.
type ReportRow struct {
	Key string // YYYY-MM-DD, or a district/province code
	Counts
}

// Report is a province's (Scope = its code) or the nation's (Scope "VN")
// daily figures over a range of days.
type Report struct {
	Scope    string
	From, To string // YYYY-MM-DD inclusive
	ByDay    []ReportRow
	ByArea   []ReportRow // districts of a province, or provinces
	Total    Counts
	// KeysAvailable says whether keys published could be counted.
	KeysAvailable bool
	// Verification holds the verification service's own per-UTC-day counts
	// for the realm (all channels), when it answered.
	Verification []CodeDayStats
}

// detailRow is one (day, province, district) counter row.
type detailRow struct {
	Day                int64
	Province, District string
	Counts
}

// dailyRows reads the counter rows of a scope ("VN" = all provinces).
func (s *Server) dailyRows(ctx context.Context, scope string, from, to int64) ([]detailRow, error) {
	q := `SELECT day, province, district, confirmed, suspected, contacts, codes_issued, codes_claimed FROM portal_daily WHERE day >= ? AND day <= ?`
	args := []any{from, to}
	if scope != NationalRealm {
		q += ` AND province = ?`
		args = append(args, scope)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY day, province, district`, args...)
	if err != nil {
		return nil, fmt.Errorf("daily rows: %w", err)
	}
	defer rows.Close()
	var out []detailRow
	for rows.Next() {
		var d detailRow
		if err := rows.Scan(&d.Day, &d.Province, &d.District, &d.Confirmed, &d.Suspected, &d.Contacts, &d.CodesIssued, &d.CodesClaimed); err != nil {
			return nil, fmt.Errorf("daily rows: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// keyCounts returns realm → day → keys published, or nil when unavailable.
func (s *Server) keyCounts(ctx context.Context, from, to int64) map[string]map[string]int64 {
	if s.kc == nil {
		return nil
	}
	list, err := s.kc.KeysPublished(ctx, dayString(from), dayString(to))
	if err != nil {
		s.log.WarnContext(ctx, "portal: keys published", "err", err)
		return nil
	}
	out := map[string]map[string]int64{}
	for _, k := range list {
		if out[k.Realm] == nil {
			out[k.Realm] = map[string]int64{}
		}
		out[k.Realm][k.Day] += k.Keys
	}
	return out
}

// report builds a scope's report for the days from..to.
func (s *Server) report(ctx context.Context, scope string, from, to int64) (Report, error) {
	rows, err := s.dailyRows(ctx, scope, from, to)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Scope: scope, From: dayString(from), To: dayString(to)}
	byDay := map[int64]*Counts{}
	byArea := map[string]*Counts{}
	for _, d := range rows {
		if byDay[d.Day] == nil {
			byDay[d.Day] = &Counts{}
		}
		byDay[d.Day].add(d.Counts)
		area := d.District
		if scope == NationalRealm {
			area = d.Province
		}
		if byArea[area] == nil {
			byArea[area] = &Counts{}
		}
		byArea[area].add(d.Counts)
		rep.Total.add(d.Counts)
	}
	if keys := s.keyCounts(ctx, from, to); keys != nil {
		rep.KeysAvailable = true
		for realm, days := range keys {
			if scope != NationalRealm && realm != scope {
				continue
			}
			for day, n := range days {
				d, err := parseDay(day)
				if err != nil || d < from || d > to {
					continue
				}
				if byDay[d] == nil {
					byDay[d] = &Counts{}
				}
				byDay[d].Keys += n
				rep.Total.Keys += n
				if scope == NationalRealm && realm != NationalRealm {
					if byArea[realm] == nil {
						byArea[realm] = &Counts{}
					}
					byArea[realm].Keys += n
				}
			}
		}
	}
	for d := to; d >= from; d-- { // newest first, every day shown
		row := ReportRow{Key: dayString(d)}
		if c := byDay[d]; c != nil {
			row.Counts = *c
		}
		rep.ByDay = append(rep.ByDay, row)
	}
	for k, c := range byArea {
		rep.ByArea = append(rep.ByArea, ReportRow{Key: k, Counts: *c})
	}
	sort.Slice(rep.ByArea, func(i, j int) bool { return rep.ByArea[i].Key < rep.ByArea[j].Key })
	realm := scope
	if scope == NationalRealm {
		realm = ""
	}
	vs, err := s.codes.Stats(ctx, realm, dayTime(from).UTC().Truncate(24*time.Hour), dayTime(to).UTC().Truncate(24*time.Hour))
	if err != nil {
		s.log.WarnContext(ctx, "portal: verification stats", "err", err)
	} else {
		rep.Verification = vs
	}
	return rep, nil
}
