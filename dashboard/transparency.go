package dashboard

import (
	"net/http"

	"github.com/bluezone-vn/bluezone/installs"
)

// transparencyView is the transparency page's data. Available is false when
// no Transparency source is wired or it failed; the explanatory sections
// are shown either way.
type transparencyView struct {
	Available  bool
	Days       int
	KeysTotal  int64
	KeysPerDay []DayCount
	Exports    []ExportFile
	PublicKeys []PublicKey
	ExportsURL string
	KeysPEM    string
	KeysJSON   string
	Chart      chartData
}

func (s *Server) handleTransparency(w http.ResponseWriter, r *http.Request) {
	l := pickLocale(w, r)
	v := &transparencyView{Days: s.cfg.KeysPerDayDays, ExportsURL: s.cfg.ExportsURL, KeysPEM: "/exports/keys.pem", KeysJSON: "/exports/keys.json"}
	v.Chart = s.baseChart(l)
	v.Chart.GeoURL = ""
	if t := s.deps.Transparency; t != nil {
		ctx := r.Context()
		var err error
		if v.KeysPerDay, err = t.KeysPerDay(ctx, s.cfg.KeysPerDayDays); err != nil {
			s.internalError(w, r, l, "transparency: keys per day", err)
			return
		}
		if v.Exports, err = t.ExportFiles(ctx); err != nil {
			s.internalError(w, r, l, "transparency: export files", err)
			return
		}
		if v.PublicKeys, err = t.PublicKeys(ctx); err != nil {
			s.internalError(w, r, l, "transparency: public keys", err)
			return
		}
		v.Available = true
		for _, d := range v.KeysPerDay {
			v.KeysTotal += d.Keys
			v.Chart.Keys = append(v.Chart.Keys, keyPoint{Date: installs.DayOf(d.Day).String(), Keys: d.Keys, Revised: d.Revised})
		}
	}
	s.render(w, r, http.StatusOK, "transparency.html", &page{L: l, Title: l.T("nav.transparency"), Nav: "transparency", Data: v})
}
