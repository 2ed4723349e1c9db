package portal

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
)

// reportRange reads ?from= and ?to= (YYYY-MM-DD), defaulting to the last
// Config.ReportDays days and capping the span at Config.MaxReportDays.
func (s *Server) reportRange(q url.Values) (int64, int64, bool) {
	to := dayOf(s.clock.Now())
	if v := q.Get("to"); v != "" {
		d, err := parseDay(v)
		if err != nil {
			return 0, 0, false
		}
		to = d
	}
	from := to - int64(s.cfg.ReportDays) + 1
	if v := q.Get("from"); v != "" {
		d, err := parseDay(v)
		if err != nil {
			return 0, 0, false
		}
		from = d
	}
	if from > to || to-from+1 > int64(s.cfg.MaxReportDays) {
		return 0, 0, false
	}
	return from, to, true
}

// reportScope is the report's province (?province=), or "VN" for the
// national report, which only national users see.
func (s *Server) reportScope(rc *reqCtx, p string) (string, bool) {
	if rc.User.Realm != NationalRealm {
		return rc.User.Realm, p == "" || p == rc.User.Realm
	}
	if p == "" || p == NationalRealm {
		return NationalRealm, true
	}
	_, ok := s.admin.Province(p)
	return p, ok
}

// reportRequest reads a report's scope and days, answering 400 (and
// returning false) when they are invalid or outside the user's realm.
func (s *Server) reportRequest(w http.ResponseWriter, r *http.Request, rc *reqCtx) (string, int64, int64, bool) {
	q := r.URL.Query()
	scope, ok := s.reportScope(rc, q.Get("province"))
	from, to, ok2 := s.reportRange(q)
	if !ok || !ok2 {
		s.badRequest(w, r, rc)
		return "", 0, 0, false
	}
	return scope, from, to, true
}

// handleReport shows the daily counts of a province (by day and district)
// or of the nation (by day and province).
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	scope, from, to, ok := s.reportRequest(w, r, rc)
	if !ok {
		return
	}
	rep, err := s.report(r.Context(), scope, from, to)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	csvURL := s.cfg.Prefix + "/reports.csv?" + url.Values{"province": {scope}, "from": {rep.From}, "to": {rep.To}}.Encode()
	s.render(w, r, rc, http.StatusOK, "report", "report.title", map[string]any{
		"Rep": rep, "CSV": csvURL, "Provinces": s.provinceChoices(rc),
	})
}

// ReportCSVHeader is the header of the report download: one row per day
// and district with activity.
const ReportCSVHeader = "date,province_code,province,district_code,district,new_confirmed,new_suspected,new_contacts,codes_issued,codes_claimed"

// handleReportCSV downloads the report's rows, what a province sends up.
// Keys published are per realm, not per district, so they are on the page
// only.
func (s *Server) handleReportCSV(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	scope, from, to, ok := s.reportRequest(w, r, rc)
	if !ok {
		return
	}
	rows, err := s.dailyRows(r.Context(), scope, from, to)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="bluezone-`+scope+`-`+dayString(from)+`-`+dayString(to)+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write(splitHeader(ReportCSVHeader))
	for _, d := range rows {
		pn, dn := "", ""
		if p, ok := s.admin.Province(d.Province); ok {
			pn = p.Name
		}
		if di, ok := s.admin.District(d.District); ok {
			dn = di.Name
		}
		cw.Write([]string{dayString(d.Day), d.Province, pn, d.District, dn,
			i64(d.Confirmed), i64(d.Suspected), i64(d.Contacts), i64(d.CodesIssued), i64(d.CodesClaimed)})
	}
	cw.Flush()
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func splitHeader(h string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(h); i++ {
		if i == len(h) || h[i] == ',' {
			out = append(out, h[start:i])
			start = i + 1
		}
	}
	return out
}
