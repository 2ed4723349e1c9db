package installs

import (
	"context"
	"fmt"
	"math"

	"github.com/bluezone-vn/bluezone/store"
)

// series returns the installs of a province (or the nation when province
// is "") on each of the last Config.SeriesDays days up to day, as shown
// (imported figures where a province has them, counted otherwise),
// followed by projected points at pace: up to the target date when it is
// at most 60 days away, else 14 days.
//
// The national line reads the national counter rows (one per day) and
// corrects them only for the provinces that have imported figures, so its
// cost does not grow with the number of provinces.
func (s *Server) series(ctx context.Context, province string, day Day, pace float64, t *TargetProgress) ([]SeriesPoint, error) {
	n := s.cfg.SeriesDays
	from := day - Day(n) + 1
	var total []int64
	codes := []string{province}
	if province == "" {
		nat, err := s.countedSeries(ctx, []string{National}, from, day)
		if err != nil {
			return nil, err
		}
		total = nat[0]
		if codes, err = s.importedProvinces(ctx, day); err != nil {
			return nil, err
		}
	} else {
		total = make([]int64, n)
	}
	if len(codes) > 0 {
		counted, err := s.countedSeries(ctx, codes, from, day)
		if err != nil {
			return nil, err
		}
		imported, err := s.importedSeries(ctx, codes, from, day)
		if err != nil {
			return nil, err
		}
		for i := range codes {
			for j := 0; j < n; j++ {
				switch {
				case province == "" && imported[i][j] >= 0:
					total[j] += imported[i][j] - counted[i][j]
				case province != "" && imported[i][j] >= 0:
					total[j] = imported[i][j]
				case province != "":
					total[j] = counted[i][j]
				}
			}
		}
	}
	out := make([]SeriesPoint, n)
	for j := range out {
		d := from + Day(j)
		out[j] = SeriesPoint{Day: d.Time(), Date: d.String(), Installs: total[j]}
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

// importedProvinces lists the provinces with official figures on or
// before day.
func (s *Server) importedProvinces(ctx context.Context, day Day) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT province FROM installs_official WHERE day <= ?`, int64(day))
	if err != nil {
		return nil, fmt.Errorf("installs: read series: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("installs: read series: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// countedSeries returns, per code (a province, or "VN" for the nation),
// the counted installs of each day from..to, carried forward over days
// without a row.
func (s *Server) countedSeries(ctx context.Context, codes []string, from, to Day) ([][]int64, error) {
	n := int(to - from + 1)
	idx := map[string]int{}
	reqs := make([]latestReq, len(codes))
	for i, c := range codes {
		idx[c] = i
		reqs[i] = latestReq{aggKey{c, provinceLevel}, from - 1}
	}
	base, err := latestRows(ctx, s.db, reqs)
	if err != nil {
		return nil, err
	}
	vals := make([][]int64, len(codes))
	present := make([][]bool, len(codes))
	for i := range codes {
		vals[i], present[i] = make([]int64, n), make([]bool, n)
	}
	// province IN (…) walks the primary key (province, district, day) in
	// one short range per code.
	args := make([]any, 0, len(codes)+2)
	for _, c := range codes {
		args = append(args, c)
	}
	args = append(args, int64(from), int64(to))
	rows, err := s.db.Query(ctx, `SELECT province, day, installs FROM installs_daily WHERE province IN (`+
		store.Placeholders(len(codes), 1)+`) AND district = '*' AND day >= ? AND day <= ?`, args...)
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
			vals[i][d-int64(from)], present[i][d-int64(from)] = v, true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("installs: read series: %w", err)
	}
	for i := range codes {
		carry := base[reqs[i]].Installs
		for j := 0; j < n; j++ {
			if present[i][j] {
				carry = vals[i][j]
			}
			vals[i][j] = carry
		}
	}
	return vals, nil
}

// importedSeries returns, per province, the latest imported total on or
// before each day from..to, or −1 before its first import.
func (s *Server) importedSeries(ctx context.Context, codes []string, from, to Day) ([][]int64, error) {
	n := int(to - from + 1)
	idx := map[string]int{}
	for i, c := range codes {
		idx[c] = i
	}
	base, err := s.officialAsOf(ctx, codes, from-1)
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, len(codes)+2)
	for _, c := range codes {
		args = append(args, c)
	}
	args = append(args, int64(from), int64(to))
	rows, err := s.db.Query(ctx, `SELECT province, day, district, installs FROM installs_official WHERE province IN (`+
		store.Placeholders(len(codes), 1)+`) AND day >= ? AND day <= ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("installs: read series: %w", err)
	}
	type pd struct {
		i int
		d int64
	}
	totals, sums := map[pd]int64{}, map[pd]int64{}
	for rows.Next() {
		var p, dist string
		var d, v int64
		if err := rows.Scan(&p, &d, &dist, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("installs: read series: %w", err)
		}
		k := pd{idx[p], d - int64(from)}
		if dist == "" {
			totals[k] = v
		} else {
			sums[k] += v
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
	out := make([][]int64, len(codes))
	for i, c := range codes {
		out[i] = make([]int64, n)
		carry := int64(-1)
		if o := base[c]; o != nil {
			carry = o.total
		}
		for j := 0; j < n; j++ {
			if v, ok := totals[pd{i, int64(j)}]; ok {
				carry = v
			}
			out[i][j] = carry
		}
	}
	return out, nil
}
