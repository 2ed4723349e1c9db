package installs

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// fig is a province's figures on one day, as shown.
type fig struct {
	installs, counted, active, newInstalls int64
	imported                               bool
	importedDay                            Day
	off                                    *official
}

// provinceFigures returns every province's figures on each of days:
// counted from the province rows of installs_daily, replaced by the latest
// official import on or before the day where there is one. One query reads
// the counters of all days.
func (s *Server) provinceFigures(ctx context.Context, days ...Day) ([]map[string]fig, error) {
	codes := make([]string, len(s.admin.Provinces))
	reqs := make([]latestReq, 0, len(codes)*len(days))
	for i, p := range s.admin.Provinces {
		codes[i] = p.Code
		for _, d := range days {
			reqs = append(reqs, latestReq{aggKey{p.Code, provinceLevel}, d})
		}
	}
	latest, err := latestRows(ctx, s.db, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]fig, len(days))
	for i, day := range days {
		offs, err := s.officialAsOf(ctx, codes, day)
		if err != nil {
			return nil, err
		}
		out[i] = make(map[string]fig, len(codes))
		for _, code := range codes {
			r := latestReq{aggKey{code, provinceLevel}, day}
			row, ok := latest[r]
			c := asOf(row, ok, day)
			f := fig{installs: c.Installs, counted: c.Installs, active: c.Active, newInstalls: c.NewInstalls}
			if o := offs[code]; o != nil {
				f.installs, f.imported, f.importedDay, f.off = o.total, true, o.day, o
			}
			out[i][code] = f
		}
	}
	return out, nil
}

func (s *Server) allTargets(ctx context.Context) (map[string]Target, error) {
	rows, err := s.db.Query(ctx, `SELECT scope, rate, denominator_kind, target_day FROM installs_targets`)
	if err != nil {
		return nil, fmt.Errorf("installs: read targets: %w", err)
	}
	defer rows.Close()
	out := map[string]Target{}
	for rows.Next() {
		var t Target
		var d int64
		if err := rows.Scan(&t.Scope, &t.Rate, &t.DenominatorKind, &d); err != nil {
			return nil, fmt.Errorf("installs: read targets: %w", err)
		}
		t.Date = Day(d).String()
		out[t.Scope] = t
	}
	return out, rows.Err()
}

func targetOf(all map[string]Target, def Target, scope string) Target {
	t, ok := all[scope]
	if !ok {
		t, ok = all[National]
	}
	if !ok {
		t = def
	}
	t.Scope = scope
	return t
}

func rate(n, d int64) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// rankBy sets ranks 1, 2, 2, 4 … by descending rate on n items.
func rankBy(n int, rateOf func(int) float64, set func(int, int)) {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return rateOf(idx[a]) > rateOf(idx[b]) })
	for pos, i := range idx {
		if pos > 0 && rateOf(i) == rateOf(idx[pos-1]) {
			continue
		}
		for _, j := range idx[pos:] {
			if rateOf(j) != rateOf(i) {
				break
			}
			set(j, pos+1)
		}
	}
}

// ranking is the national table and its totals on day.
type ranking struct {
	rows                                   []ProvinceRow
	installs, active, newInstalls, counted int64
	prevInstalls, paceBase                 int64
	denominator                            int64
	targetDenominator                      int64
	imported                               int
	base                                   map[string]fig // figures PaceDays ago
}

func (s *Server) ranking(ctx context.Context, day Day) (*ranking, map[string]Target, error) {
	paceDays := Day(s.cfg.PaceDays)
	figs, err := s.provinceFigures(ctx, day, day-1, day-paceDays)
	if err != nil {
		return nil, nil, err
	}
	today, yesterday, base := figs[0], figs[1], figs[2]
	dens, err := s.denominators(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	targets, err := s.allTargets(ctx)
	if err != nil {
		return nil, nil, err
	}
	nt := targetOf(targets, s.target, National)
	rk := &ranking{rows: make([]ProvinceRow, len(s.admin.Provinces)), base: base}
	yRates := make([]float64, len(rk.rows))
	yRanks := make([]int, len(rk.rows))
	for i, p := range s.admin.Provinces {
		f, y, b := today[p.Code], yesterday[p.Code], base[p.Code]
		den := dens[aggKey{p.Code, ""}]
		d := den.Of(s.cfg.RateDenominator)
		row := ProvinceRow{Code: p.Code, Name: p.Name, Installs: f.installs, Active: f.active,
			NewInstalls: f.newInstalls, ChangeSinceYesterday: f.installs - y.installs, Denominator: d,
			Rate: rate(f.installs, d), Imported: f.imported, Counted: f.counted}
		row.ExpectedReach = row.Rate * row.Rate
		if f.imported {
			row.ImportedDate = f.importedDay.String()
			rk.imported++
		}
		t := targetOf(targets, s.target, p.Code)
		pace := float64(f.installs-b.installs) / float64(paceDays)
		tp := progress(t, den.Of(t.DenominatorKind), f.installs, day, pace)
		if tp != nil && tp.TargetInstalls > 0 {
			row.DaysToTarget = tp.DaysToTarget
		}
		rk.rows[i] = row
		yRates[i] = rate(y.installs, d)
		rk.installs += f.installs
		rk.counted += f.counted
		rk.active += f.active
		rk.newInstalls += f.newInstalls
		rk.prevInstalls += y.installs
		rk.paceBase += b.installs
		rk.denominator += d
		rk.targetDenominator += den.Of(nt.DenominatorKind)
	}
	rankBy(len(rk.rows), func(i int) float64 { return rk.rows[i].Rate }, func(i, r int) { rk.rows[i].Rank = r })
	rankBy(len(rk.rows), func(i int) float64 { return yRates[i] }, func(i, r int) { yRanks[i] = r })
	for i := range rk.rows {
		rk.rows[i].RankChange = yRanks[i] - rk.rows[i].Rank
	}
	sort.SliceStable(rk.rows, func(a, b int) bool {
		if rk.rows[a].Rank != rk.rows[b].Rank {
			return rk.rows[a].Rank < rk.rows[b].Rank
		}
		return rk.rows[a].Code < rk.rows[b].Code
	})
	return rk, targets, nil
}

// National returns the national page data for the day (in Zone) that
// contains t.
func (s *Server) National(ctx context.Context, t time.Time) (NationalReport, error) {
	day := DayOf(t)
	rk, targets, err := s.ranking(ctx, day)
	if err != nil {
		return NationalReport{}, err
	}
	r := NationalReport{Day: day.Time(), Date: day.String(), Installs: rk.installs, Active: rk.active,
		Inactive: max(0, rk.counted-rk.active), NewInstalls: rk.newInstalls,
		ChangeSinceYesterday: rk.installs - rk.prevInstalls,
		Denominator:          Denominator{Kind: s.cfg.RateDenominator, Value: rk.denominator},
		Provinces:            rk.rows, Source: SourceCounted}
	r.Rate = rate(r.Installs, rk.denominator)
	r.ExpectedReach = r.Rate * r.Rate
	switch {
	case rk.imported == len(rk.rows):
		r.Source = SourceImported
	case rk.imported > 0:
		r.Source = SourceMixed
	}
	pace := float64(rk.installs-rk.paceBase) / float64(s.cfg.PaceDays)
	r.Target = progress(targetOf(targets, s.target, National), rk.targetDenominator, rk.installs, day, pace)
	r.Series, err = s.series(ctx, "", day, pace, r.Target)
	if err != nil {
		return NationalReport{}, err
	}
	return r, nil
}

// Province returns a province page's data for the day (in Zone) that
// contains t. The error wraps ErrNotFound for an unknown province code.
func (s *Server) Province(ctx context.Context, code string, t time.Time) (ProvinceReport, error) {
	if _, ok := s.admin.Province(code); !ok {
		return ProvinceReport{}, fmt.Errorf("installs: province %q: %w", code, ErrNotFound)
	}
	day := DayOf(t)
	rk, targets, err := s.ranking(ctx, day)
	if err != nil {
		return ProvinceReport{}, err
	}
	r := ProvinceReport{Day: day.Time(), Date: day.String(), Source: SourceCounted}
	for _, row := range rk.rows {
		if row.Code == code {
			r.Province = row
		}
	}
	dens, err := s.denominators(ctx, code)
	if err != nil {
		return ProvinceReport{}, err
	}
	dists := s.admin.DistrictsOf(code)
	var off *official
	if r.Province.Imported {
		r.Source = SourceImported
		offs, err := s.officialAsOf(ctx, []string{code}, day)
		if err != nil {
			return ProvinceReport{}, err
		}
		off = offs[code]
	}
	var counted map[latestReq]dayRow
	if off == nil {
		reqs := make([]latestReq, 0, len(dists)+1)
		for _, d := range dists {
			reqs = append(reqs, latestReq{aggKey{code, d.Code}, day})
		}
		reqs = append(reqs, latestReq{aggKey{code, ""}, day})
		if counted, err = latestRows(ctx, s.db, reqs); err != nil {
			return ProvinceReport{}, err
		}
	}
	for _, d := range dists {
		row := DistrictRow{Code: d.Code, Name: d.Name}
		if off != nil {
			n, ok := off.districts[d.Code]
			if !ok {
				continue // the import did not list it
			}
			row.Installs = n
		} else {
			req := latestReq{aggKey{code, d.Code}, day}
			c, ok := counted[req]
			c = asOf(c, ok, day)
			row.Installs, row.Active = c.Installs, c.Active
		}
		row.Denominator = dens[aggKey{code, d.Code}].Of(s.cfg.RateDenominator)
		row.Rate = rate(row.Installs, row.Denominator)
		row.ExpectedReach = row.Rate * row.Rate
		r.DistrictSum += row.Installs
		r.Districts = append(r.Districts, row)
	}
	rankBy(len(r.Districts), func(i int) float64 { return r.Districts[i].Rate }, func(i, k int) { r.Districts[i].Rank = k })
	sort.SliceStable(r.Districts, func(a, b int) bool { return r.Districts[a].Rank < r.Districts[b].Rank })
	r.Unattributed = r.Province.Installs - r.DistrictSum
	r.Flagged = off != nil && off.hasTotal && len(off.districts) > 0 && r.Unattributed != 0

	pace := float64(r.Province.Installs-rk.base[code].installs) / float64(s.cfg.PaceDays)
	t0 := targetOf(targets, s.target, code)
	r.Target = progress(t0, dens[aggKey{code, ""}].Of(t0.DenominatorKind), r.Province.Installs, day, pace)
	if r.Series, err = s.series(ctx, code, day, pace, r.Target); err != nil {
		return ProvinceReport{}, err
	}
	if r.Agencies, err = s.AgencySummary(ctx, code, 0, day); err != nil {
		return ProvinceReport{}, err
	}
	return r, nil
}
