package installs

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bluezone-vn/bluezone/store"
)

// OfficialCSVHeader is the header of the official figures CSV: one row per
// province total (district_code empty) or district, per date. Example (the
// Đắk Nông notice of 13 Aug 2020, testdata/daknong-2020-08-13.csv):
//
//	date,province_code,district_code,installs
//	2020-08-13,67,,57511
//	2020-08-13,67,660,13404
const OfficialCSVHeader = "date,province_code,district_code,installs"

// OfficialFigure is one imported figure.
type OfficialFigure struct {
	Date     string `json:"date"`
	Province string `json:"province"`
	District string `json:"district"` // "" for the province total
	Installs int64  `json:"installs"`
}

// ParseOfficialCSV reads and checks an official figures CSV: valid dates
// not after today, codes of the reference data within realm ("VN" = any),
// installs 0..200 million, no duplicate (date, province, district). It
// returns the first error with its line number, and no figures.
func (s *Server) ParseOfficialCSV(r io.Reader, realm string) ([]OfficialFigure, error) {
	today := s.Today()
	var out []OfficialFigure
	seen := map[OfficialFigure]bool{}
	err := readCSV(r, OfficialCSVHeader, func(line int, rec []string) error {
		d, err := ParseDay(rec[0])
		if err != nil {
			return err
		}
		if d > today {
			return fmt.Errorf("date %s is in the future", rec[0])
		}
		f := OfficialFigure{Date: d.String(), Province: rec[1], District: rec[2]}
		if err := s.checkPlace(realm, f.Province, f.District); err != nil {
			return err
		}
		if seen[f] {
			return fmt.Errorf("duplicate row for %s %s/%s", f.Date, f.Province, f.District)
		}
		seen[f] = true
		if f.Installs, err = parseCount(rec[3], 200_000_000); err != nil {
			return fmt.Errorf("installs: %w", err)
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ImportOfficial stores official figures, all or nothing. The figures of a
// (date, province) in the file replace every figure stored for that
// province and date, so a corrected notice can be re-imported.
func (s *Server) ImportOfficial(ctx context.Context, figs []OfficialFigure) error {
	type pd struct {
		p string
		d Day
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		cleared := map[pd]bool{}
		for _, f := range figs {
			d, err := ParseDay(f.Date)
			if err != nil {
				return err
			}
			if !cleared[pd{f.Province, d}] {
				cleared[pd{f.Province, d}] = true
				if _, err := tx.Exec(ctx, `DELETE FROM installs_official WHERE province = ? AND day = ?`, f.Province, int64(d)); err != nil {
					return fmt.Errorf("installs: import official figures: %w", err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO installs_official (province, day, district, installs) VALUES (?, ?, ?, ?)`,
				f.Province, int64(d), f.District, f.Installs); err != nil {
				return fmt.Errorf("installs: import official figures: %w", err)
			}
		}
		return nil
	})
}

// official is a province's latest imported figures on or before a day.
type official struct {
	day       Day
	total     int64 // the reported total, or the districts' sum if none was reported
	hasTotal  bool
	districts map[string]int64
}

// officialAsOf returns each province's latest import on or before day.
func (s *Server) officialAsOf(ctx context.Context, provinces []string, day Day) (map[string]*official, error) {
	out := map[string]*official{}
	if len(provinces) == 0 {
		return out, nil
	}
	cast := "(?)"
	if s.db.Dialect() == store.Postgres {
		cast = "(?::text)"
	}
	vals := strings.TrimSuffix(strings.Repeat(cast+",", len(provinces)), ",")
	args := make([]any, 0, len(provinces)+1)
	for _, p := range provinces {
		args = append(args, p)
	}
	args = append(args, int64(day))
	q := `SELECT o.province, o.day, o.district, o.installs
		FROM (VALUES ` + vals + `) AS v JOIN installs_official o ON o.province = v.column1
		AND o.day = (SELECT max(x.day) FROM installs_official x WHERE x.province = v.column1 AND x.day <= ?)`
	if s.db.Dialect() == store.Postgres {
		q = `SELECT o.province, o.day, o.district, o.installs
		FROM (VALUES ` + vals + `) AS v
		CROSS JOIN LATERAL (SELECT max(x.day) AS d FROM installs_official x WHERE x.province = v.column1 AND x.day <= ?) m
		JOIN installs_official o ON o.province = v.column1 AND o.day = m.d`
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("installs: read official figures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, dist string
		var d, n int64
		if err := rows.Scan(&p, &d, &dist, &n); err != nil {
			return nil, fmt.Errorf("installs: read official figures: %w", err)
		}
		o := out[p]
		if o == nil {
			o = &official{day: Day(d), districts: map[string]int64{}}
			out[p] = o
		}
		if dist == "" {
			o.total, o.hasTotal = n, true
		} else {
			o.districts[dist] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("installs: read official figures: %w", err)
	}
	for _, o := range out {
		if !o.hasTotal {
			for _, n := range o.districts {
				o.total += n
			}
		}
	}
	return out, nil
}
