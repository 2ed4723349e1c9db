package installs

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/bluezone-vn/bluezone/store"
)

// National is the scope of national targets and campaigns.
const National = "VN"

// Denominators are a place's population figures. Zero means unknown.
type Denominators struct {
	Province    string `json:"province"`
	District    string `json:"district"` // "" for the province
	Population  int64  `json:"population"`
	Adults      int64  `json:"adults"`
	Smartphones int64  `json:"smartphones"`
}

// Of returns the figure of a denominator kind.
func (d Denominators) Of(kind string) int64 {
	switch kind {
	case KindAdults:
		return d.Adults
	case KindSmartphones:
		return d.Smartphones
	default:
		return d.Population
	}
}

// denominators returns the denominators of one province's districts (and
// the province itself under district ""), or of every province when
// province is "": census figures from vnadmin, adults = census ×
// AdultShare, overridden by what operators loaded.
func (s *Server) denominators(ctx context.Context, province string) (map[aggKey]Denominators, error) {
	out := map[aggKey]Denominators{}
	def := func(p, d string, pop int64) {
		out[aggKey{p, d}] = Denominators{Province: p, District: d, Population: pop,
			Adults: int64(math.Round(float64(pop) * s.cfg.AdultShare))}
	}
	var rows *sql.Rows
	var err error
	if province == "" {
		for _, p := range s.admin.Provinces {
			def(p.Code, "", p.Population)
		}
		rows, err = s.db.Query(ctx, `SELECT province, district, population, adults, smartphones
			FROM installs_denominators WHERE district = ''`)
	} else {
		p, _ := s.admin.Province(province)
		def(p.Code, "", p.Population)
		for _, d := range s.admin.DistrictsOf(province) {
			def(province, d.Code, d.Population)
		}
		rows, err = s.db.Query(ctx, `SELECT province, district, population, adults, smartphones
			FROM installs_denominators WHERE province = ?`, province)
	}
	if err != nil {
		return nil, fmt.Errorf("installs: read denominators: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k aggKey
		var pop, adults, phones sql.NullInt64
		if err := rows.Scan(&k.province, &k.district, &pop, &adults, &phones); err != nil {
			return nil, fmt.Errorf("installs: read denominators: %w", err)
		}
		d, ok := out[k]
		if !ok {
			continue
		}
		if pop.Valid {
			d.Population = pop.Int64
			if !adults.Valid {
				d.Adults = int64(math.Round(float64(pop.Int64) * s.cfg.AdultShare))
			}
		}
		if adults.Valid {
			d.Adults = adults.Int64
		}
		if phones.Valid {
			d.Smartphones = phones.Int64
		}
		out[k] = d
	}
	return out, rows.Err()
}

// DenominatorsCSVHeader is the header of the denominators CSV. Empty cells
// keep the default (census; census × adult share; unknown).
const DenominatorsCSVHeader = "province_code,district_code,population,adults,smartphones"

type denomRow struct {
	province, district         string
	population, adults, phones sql.NullInt64
}

// ParseDenominatorsCSV reads a denominators CSV, checking every code
// against the reference data and every number (non-negative integers, at
// most 200 million). realm limits rows to one province unless it is "VN".
// It returns the first error with its line number and no rows.
func (s *Server) ParseDenominatorsCSV(r io.Reader, realm string) ([]Denominators, error) {
	rows, err := s.parseDenominators(r, realm)
	if err != nil {
		return nil, err
	}
	out := make([]Denominators, len(rows))
	for i, x := range rows {
		out[i] = Denominators{Province: x.province, District: x.district, Population: x.population.Int64,
			Adults: x.adults.Int64, Smartphones: x.phones.Int64}
	}
	return out, nil
}

func (s *Server) parseDenominators(r io.Reader, realm string) ([]denomRow, error) {
	var out []denomRow
	seen := map[aggKey]bool{}
	err := readCSV(r, DenominatorsCSVHeader, func(line int, rec []string) error {
		x := denomRow{province: rec[0], district: rec[1]}
		if err := s.checkPlace(realm, x.province, x.district); err != nil {
			return err
		}
		k := aggKey{x.province, x.district}
		if seen[k] {
			return fmt.Errorf("duplicate row for %s/%s", x.province, x.district)
		}
		seen[k] = true
		for i, dst := range []*sql.NullInt64{&x.population, &x.adults, &x.phones} {
			if rec[2+i] == "" {
				continue
			}
			v, err := parseCount(rec[2+i], 200_000_000)
			if err != nil {
				return fmt.Errorf("%s: %w", strings.Split(DenominatorsCSVHeader, ",")[2+i], err)
			}
			*dst = sql.NullInt64{Int64: v, Valid: true}
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// LoadDenominatorsCSV replaces the denominators named in a CSV (see
// DenominatorsCSVHeader), all or nothing. It returns how many rows it
// stored.
func (s *Server) LoadDenominatorsCSV(ctx context.Context, r io.Reader, realm string) (int, error) {
	rows, err := s.parseDenominators(r, realm)
	if err != nil {
		return 0, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, x := range rows {
			if _, err := tx.Exec(ctx, `INSERT INTO installs_denominators (province, district, population, adults, smartphones)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (province, district) DO UPDATE SET population = excluded.population,
				adults = excluded.adults, smartphones = excluded.smartphones`,
				x.province, x.district, x.population, x.adults, x.phones); err != nil {
				return fmt.Errorf("installs: store denominators: %w", err)
			}
		}
		return nil
	})
	return len(rows), err
}

// checkPlace checks a province/district pair and that realm may act on it.
func (s *Server) checkPlace(realm, province, district string) error {
	if err := s.admin.ValidPair(province, district); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if realm != National && realm != province {
		return fmt.Errorf("province %s is outside this key's realm %s: %w", province, realm, ErrForbidden)
	}
	return nil
}

// ErrForbidden marks an action outside the caller's realm.
var ErrForbidden = errors.New("forbidden")

func parseCount(s string, limit int64) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	if v < 0 || v > limit {
		return 0, fmt.Errorf("%d is outside 0..%d", v, limit)
	}
	return v, nil
}

// readCSV reads a CSV with the given header (exactly), calling row for
// each record with its 1-based line number. Errors carry the line.
func readCSV(r io.Reader, header string, row func(line int, rec []string) error) error {
	cr := csv.NewReader(io.LimitReader(r, 16<<20))
	cols := strings.Split(header, ",")
	cr.FieldsPerRecord = len(cols)
	cr.ReuseRecord = true
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			if first {
				return invalidf("CSV is empty: the first line must be %s", header)
			}
			return nil
		}
		if err != nil {
			return invalidf("CSV: %v", err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			}
			if strings.Join(rec, ",") != header {
				return invalidf("CSV line 1: header must be %s", header)
			}
			continue
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if err := row(line, rec); err != nil {
			if errors.Is(err, ErrForbidden) || errors.Is(err, ErrInvalid) {
				return fmt.Errorf("CSV line %d: %w", line, err)
			}
			return fmt.Errorf("%w: CSV line %d: %v", ErrInvalid, line, err)
		}
	}
}
