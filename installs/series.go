package installs

import (
	"context"
	"fmt"
	"math"
)

// series returns the installs of a province (or the nation when province
// is "") on each of the last Config.SeriesDays days up to day, as shown
// (imported figures where a province has them, counted otherwise),
// followed by projected points at pace: up to the target date when it is
// at most 60 days away, else 14 days.
func (s *Server) series(ctx context.Context, province string, day Day, pace float64, t *TargetProgress) ([]SeriesPoint, error) {
	n := s.cfg.SeriesDays
	from := day - Day(n) + 1
	codes := []string{province}
	if province == "" {
		codes = codes[:0]
		for _, p := range s.admin.Provinces {
			codes = append(codes, p.Code)
		}
	}
	idx := map[string]int{}
	reqs := make([]latestReq, len(codes))
	for i, c := range codes {
		idx[c] = i
		reqs[i] = latestReq{aggKey{c, provinceLevel}, from - 1}
	}
	counted := make([][]int64, len(codes))
	imported := make([][]int64, len(codes))
	for i := range codes {
		counted[i] = make([]int64, n)
		imported[i] = make([]int64, n)
		for j := range imported[i] {
			imported[i][j] = -1
		}
	}
	// Counted: rows in the window, carried forward from the row before it.
	baseRows, err := latestRows(ctx, s.db, reqs)
	if err != nil {
		return nil, err
	}
	q := `SELECT province, day, installs FROM installs_daily WHERE district = '*' AND day >= ? AND day <= ?`
	args := []any{int64(from), int64(day)}
	if province != "" {
		q += ` AND province = ?`
		args = append(args, province)
	}
	present := make([][]bool, len(codes))
	for i := range present {
		present[i] = make([]bool, n)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("installs: read series: %w", err)
	}
	for rows.Next() {
		var p string
		var d, v int64
		if err := rows.Scan(&p, &d, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("installs: read series: %w", err)
		}
		if i, ok := idx[p]; ok {
			counted[i][d-int64(from)] = v
			present[i][d-int64(from)] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("installs: read series: %w", err)
	}
	// Imported: the latest import before the window, then those inside it.
	offBase, err := s.officialAsOf(ctx, codes, from-1)
	if err != nil {
		return nil, err
	}
	q = `SELECT province, day, district, installs FROM installs_official WHERE day >= ? AND day <= ?`
	args = []any{int64(from), int64(day)}
	if province != "" {
		q += ` AND province = ?`
		args = append(args, province)
	}
	type pd struct {
		i int
		d int64
	}
	totals, sums := map[pd]int64{}, map[pd]int64{}
	rows, err = s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("installs: read series: %w", err)
	}
	for rows.Next() {
		var p, dist string
		var d, v int64
		if err := rows.Scan(&p, &d, &dist, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("installs: read series: %w", err)
		}
		i, ok := idx[p]
		if !ok {
			continue
		}
		if dist == "" {
			totals[pd{i, d - int64(from)}] = v
		} else {
			sums[pd{i, d - int64(from)}] += v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("installs: read series: %w", err)
	}
	for k, v := range sums {
		if _, ok := totals[k]; !ok {
			totals[k] = v
		}
	}
	for k, v := range totals {
		imported[k.i][k.d] = v
	}
	out := make([]SeriesPoint, n)
	for i, c := range codes {
		cv := baseRows[reqs[i]].Installs
		iv := int64(-1)
		if o := offBase[c]; o != nil {
			iv = o.total
		}
		for j := 0; j < n; j++ {
			if present[i][j] {
				cv = counted[i][j]
			}
			if imported[i][j] >= 0 {
				iv = imported[i][j]
			}
			if iv >= 0 {
				out[j].Installs += iv
			} else {
				out[j].Installs += cv
			}
		}
	}
	for j := range out {
		d := from + Day(j)
		out[j].Day, out[j].Date = d.Time(), d.String()
	}
	proj := 14
	if t != nil && t.DaysLeft > 0 && t.DaysLeft <= 60 {
		proj = t.DaysLeft
	}
	last := out[n-1].Installs
	for k := 1; k <= proj; k++ {
		d := day + Day(k)
		out = append(out, SeriesPoint{Day: d.Time(), Date: d.String(), Projected: true,
			Installs: last + int64(math.Round(pace*float64(k)))})
	}
	return out, nil
}
