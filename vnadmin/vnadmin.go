// Package vnadmin is Vietnam's administrative reference data as of
// 2020-06-01: the 63 provinces and 707 districts with their GSO codes and
// 2019 census populations, and simplified province boundaries for maps.
//
// The data is embedded (data/, with its sources and licence notices in
// data/SOURCES.md and data/LICENSES.md) so the binary needs nothing else. It
// is read-only reference data; denominators that operators replace live in
// the installs service, not here.
package vnadmin

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

//go:embed data/provinces.csv
var provincesCSV []byte

//go:embed data/districts.csv
var districtsCSV []byte

//go:embed data/provinces.geojson
var provincesGeoJSON []byte

// Province is a province or centrally governed city.
type Province struct {
	Code       string // 2-digit GSO code, e.g. "67"
	Name       string // Vietnamese short name, e.g. "Đắk Nông"
	Type       string // "tinh" or "thanh-pho-trung-uong"
	Population int64  // 2019 census
}

// District is a district-level unit (quận, huyện, thị xã, thành phố thuộc tỉnh).
type District struct {
	Code         string // 3-digit GSO code, e.g. "660"
	ProvinceCode string
	Name         string
	Type         string // quan, huyen, thi-xa or thanh-pho
	Population   int64  // 2019 census; 0 for Hoàng Sa, which has no census row
}

// Data is the whole reference set, indexed by code.
type Data struct {
	Provinces []Province // ordered by code
	Districts []District // ordered by code
	province  map[string]int
	district  map[string]int
	byProv    map[string][]District
}

var (
	loadOnce sync.Once
	loaded   *Data
	loadErr  error
)

// Load returns the embedded data, parsed once. It fails only if the embedded
// files are corrupt, which the package's tests rule out.
func Load() (*Data, error) {
	loadOnce.Do(func() { loaded, loadErr = parse(provincesCSV, districtsCSV) })
	return loaded, loadErr
}

// MustLoad is Load for program start-up, where corrupt embedded data is a
// build defect.
func MustLoad() *Data {
	d, err := Load()
	if err != nil {
		panic(err)
	}
	return d
}

// ProvincesGeoJSON returns the province boundaries as a GeoJSON
// FeatureCollection whose features carry properties {code, name}. It lacks
// the Hoàng Sa and Trường Sa archipelagos: maps must add them.
func ProvincesGeoJSON() []byte { return provincesGeoJSON }

// Province returns the province with the given code.
func (d *Data) Province(code string) (Province, bool) {
	i, ok := d.province[code]
	if !ok {
		return Province{}, false
	}
	return d.Provinces[i], true
}

// District returns the district with the given code.
func (d *Data) District(code string) (District, bool) {
	i, ok := d.district[code]
	if !ok {
		return District{}, false
	}
	return d.Districts[i], true
}

// DistrictsOf returns the districts of a province, ordered by code.
func (d *Data) DistrictsOf(provinceCode string) []District {
	return d.byProv[provinceCode]
}

// ValidPair reports whether district (if not empty) lies in province.
func (d *Data) ValidPair(provinceCode, districtCode string) error {
	if _, ok := d.Province(provinceCode); !ok {
		return fmt.Errorf("unknown province code %q", provinceCode)
	}
	if districtCode == "" {
		return nil
	}
	dist, ok := d.District(districtCode)
	if !ok {
		return fmt.Errorf("unknown district code %q", districtCode)
	}
	if dist.ProvinceCode != provinceCode {
		return fmt.Errorf("district %q is in province %q, not %q", districtCode, dist.ProvinceCode, provinceCode)
	}
	return nil
}

// Fold returns the matching key of a Vietnamese name: diacritics stripped,
// đ mapped to d, lower case, only letters and digits kept. "Đắk R'Lấp" and
// "dak rlap" fold alike. Prefer codes; use this only for names from outside.
func Fold(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case r == 'đ' || r == 'Đ':
			b.WriteRune('d')
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func parse(provinces, districts []byte) (*Data, error) {
	d := &Data{province: map[string]int{}, district: map[string]int{}, byProv: map[string][]District{}}
	err := readCSV(provinces, []string{"code", "name", "type", "population_2019"}, func(f []string) error {
		pop, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil || len(f[0]) != 2 {
			return fmt.Errorf("province %q: bad code or population", f[0])
		}
		d.province[f[0]] = len(d.Provinces)
		d.Provinces = append(d.Provinces, Province{Code: f[0], Name: f[1], Type: f[2], Population: pop})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vnadmin: provinces.csv: %w", err)
	}
	err = readCSV(districts, []string{"code", "province_code", "name", "type", "population_2019"}, func(f []string) error {
		var pop int64
		if f[4] != "" {
			p, err := strconv.ParseInt(f[4], 10, 64)
			if err != nil {
				return fmt.Errorf("district %q: bad population: %w", f[0], err)
			}
			pop = p
		}
		if _, ok := d.province[f[1]]; !ok || len(f[0]) != 3 {
			return fmt.Errorf("district %q: bad code or unknown province %q", f[0], f[1])
		}
		dist := District{Code: f[0], ProvinceCode: f[1], Name: f[2], Type: f[3], Population: pop}
		d.district[f[0]] = len(d.Districts)
		d.Districts = append(d.Districts, dist)
		d.byProv[f[1]] = append(d.byProv[f[1]], dist)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vnadmin: districts.csv: %w", err)
	}
	sort.Slice(d.Provinces, func(i, j int) bool { return d.Provinces[i].Code < d.Provinces[j].Code })
	for i, p := range d.Provinces {
		d.province[p.Code] = i
	}
	return d, nil
}

func readCSV(data []byte, header []string, row func([]string) error) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(header)
	first, err := r.Read()
	if err != nil {
		return fmt.Errorf("read header: %w", err)
	}
	if strings.Join(first, ",") != strings.Join(header, ",") {
		return fmt.Errorf("header %q, want %q", first, header)
	}
	for {
		f, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := row(f); err != nil {
			return err
		}
	}
}
