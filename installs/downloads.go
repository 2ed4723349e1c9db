package installs

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// registerDownloads adds the public downloads, stable URLs with an
// optional ?date=YYYY-MM-DD (default today):
//
//	GET /data/national.csv, /data/national.json     the ranking of the 63 provinces
//	GET /data/province/{code}.csv, .json            a province's district table
//
// The JSON is the NationalReport / ProvinceReport itself; the CSV has one
// row per province or district with rates formatted by FormatRate, exactly
// as the dashboard shows them, and counts as plain integers.
func (s *Server) registerDownloads(mux *http.ServeMux) {
	mux.HandleFunc("GET /data/national.csv", func(w http.ResponseWriter, r *http.Request) { s.serveNational(w, r, false) })
	mux.HandleFunc("GET /data/national.json", func(w http.ResponseWriter, r *http.Request) { s.serveNational(w, r, true) })
	mux.HandleFunc("GET /data/province/{file}", s.serveProvince)
}

func (s *Server) serveNational(w http.ResponseWriter, r *http.Request, asJSON bool) {
	day, err := s.dayParam(r)
	if err != nil {
		writeAdminError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	rep, err := s.National(r.Context(), day.Time())
	if err != nil {
		s.writeErr(w, r.Context(), err)
		return
	}
	if asJSON {
		writeDownloadJSON(w, "national-"+rep.Date+".json", rep)
		return
	}
	setDownload(w, "text/csv; charset=utf-8", "national-"+rep.Date+".csv")
	_ = WriteNationalCSV(w, rep)
}

func (s *Server) serveProvince(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	code, ext, ok := strings.Cut(file, ".")
	if !ok || (ext != "csv" && ext != "json") {
		writeAdminError(w, http.StatusNotFound, "not_found", "use /data/province/{code}.csv or .json")
		return
	}
	day, err := s.dayParam(r)
	if err != nil {
		writeAdminError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	rep, err := s.Province(r.Context(), code, day.Time())
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			writeAdminError(w, http.StatusNotFound, "not_found", "unknown province code")
			return
		}
		s.writeErr(w, r.Context(), err)
		return
	}
	name := "province-" + code + "-" + rep.Date + "." + ext
	if ext == "json" {
		writeDownloadJSON(w, name, rep)
		return
	}
	setDownload(w, "text/csv; charset=utf-8", name)
	_ = WriteProvinceCSV(w, rep)
}

func setDownload(w http.ResponseWriter, ctype, name string) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
}

func writeDownloadJSON(w http.ResponseWriter, name string, v any) {
	setDownload(w, "application/json; charset=utf-8", name)
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	_ = enc.Encode(v)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func optInt(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

// NationalCSVHeader is the header of /data/national.csv.
const NationalCSVHeader = "date,rank,rank_change,province_code,province,installs,active,change_since_yesterday,denominator_kind,denominator,rate,expected_reach,days_to_target,source"

// WriteNationalCSV writes the national ranking table as CSV.
func WriteNationalCSV(w io.Writer, rep NationalReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(strings.Split(NationalCSVHeader, ","))
	for _, p := range rep.Provinces {
		src := SourceCounted
		if p.Imported {
			src = SourceImported
		}
		_ = cw.Write([]string{rep.Date, strconv.Itoa(p.Rank), strconv.Itoa(p.RankChange), p.Code, p.Name, itoa(p.Installs),
			itoa(p.Active), itoa(p.ChangeSinceYesterday), rep.Denominator.Kind, itoa(p.Denominator), FormatRate(p.Rate),
			FormatRate(p.ExpectedReach), optInt(p.DaysToTarget), src})
	}
	cw.Flush()
	return cw.Error()
}

// ProvinceCSVHeader is the header of /data/province/{code}.csv. Besides one
// row per district it has a "not attributed to a district" row (code
// empty) when the province total and its districts' sum differ, and a
// "total" row.
const ProvinceCSVHeader = "date,rank,district_code,district,installs,active,denominator,rate,expected_reach,source"

// WriteProvinceCSV writes a province's district table as CSV.
func WriteProvinceCSV(w io.Writer, rep ProvinceReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(strings.Split(ProvinceCSVHeader, ","))
	for _, d := range rep.Districts {
		_ = cw.Write([]string{rep.Date, strconv.Itoa(d.Rank), d.Code, d.Name, itoa(d.Installs), itoa(d.Active),
			itoa(d.Denominator), FormatRate(d.Rate), FormatRate(d.ExpectedReach), rep.Source})
	}
	if rep.Unattributed != 0 {
		label := "not attributed to a district"
		if rep.Flagged {
			label += " (flagged: total and districts disagree)"
		}
		_ = cw.Write([]string{rep.Date, "", "", label, itoa(rep.Unattributed), "", "", "", "", rep.Source})
	}
	p := rep.Province
	_ = cw.Write([]string{rep.Date, strconv.Itoa(p.Rank), p.Code, "total " + p.Name, itoa(p.Installs), itoa(p.Active),
		itoa(p.Denominator), FormatRate(p.Rate), FormatRate(p.ExpectedReach), rep.Source})
	cw.Flush()
	return cw.Error()
}
