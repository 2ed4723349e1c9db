package dashboard

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// provinceView is a province page's data.
type provinceView struct {
	R        installs.ProvinceReport
	Headers  []header
	Cards    cardsView
	Rows     []installs.DistrictRow
	RowsHTML template.HTML // Rows rendered (rows.go)
	Chart    chartData
	CSV      string
	JSON     string
	Progress progressView
	// UnattributedShown: the difference is worth a line (non-zero, or
	// imported figures that were flagged).
	UnattributedShown bool
}

var districtColumns = []column[installs.DistrictRow]{
	{Key: "rank", Label: "col.rank", Num: true, cmp: byInt(func(r installs.DistrictRow) int { return r.Rank })},
	{Key: "name", Label: "col.district", cmp: byInt(func(r installs.DistrictRow) string { return vnadmin.Fold(r.Name) })},
	{Key: "installs", Label: "col.installs", Num: true, FirstDesc: true, cmp: byInt(func(r installs.DistrictRow) int64 { return r.Installs })},
	{Key: "active", Label: "col.active", Num: true, FirstDesc: true, cmp: byInt(func(r installs.DistrictRow) int64 { return r.Active })},
	{Key: "denominator", Label: "col.denominator", Num: true, FirstDesc: true, cmp: byInt(func(r installs.DistrictRow) int64 { return r.Denominator })},
	{Key: "rate", Label: "col.rate", Num: true, FirstDesc: true, cmp: byInt(func(r installs.DistrictRow) float64 { return r.Rate })},
	{Key: "reach", Label: "col.reach", Num: true, FirstDesc: true, cmp: byInt(func(r installs.DistrictRow) float64 { return r.ExpectedReach })},
}

func (s *Server) handleProvince(w http.ResponseWriter, r *http.Request) {
	l := pickLocale(w, r)
	code := r.PathValue("code")
	prov, ok := s.admin.Province(code)
	if !ok {
		s.renderError(w, r, l, http.StatusNotFound, l.F("province.notfound", code))
		return
	}
	day, today, err := s.day(r)
	if err != nil {
		s.renderError(w, r, l, http.StatusBadRequest, l.T("err.baddate"))
		return
	}
	rep, err := s.deps.Reports.Province(r.Context(), prov.Code, day.Time())
	p := rep.Province
	if errors.Is(err, installs.ErrNotFound) {
		s.renderError(w, r, l, http.StatusNotFound, l.F("province.notfound", code))
		return
	}
	if err != nil {
		s.internalError(w, r, l, "province report", err)
		return
	}
	v := &provinceView{
		R:                 rep,
		CSV:               s.downloadURL("province/"+prov.Code+".csv", day),
		JSON:              s.downloadURL("province/"+prov.Code+".json", day),
		Progress:          progressOf(rep.Target),
		UnattributedShown: rep.Unattributed != 0 || rep.Flagged,
		// ProvinceReport does not name its denominator kind: it is the
		// installs service's rate denominator, population by default.
		Cards: cardsView{Installs: p.Installs, Active: p.Active, Change: p.ChangeSinceYesterday, Rate: p.Rate,
			Reach: p.ExpectedReach, Kind: installs.KindPopulation, Denominator: p.Denominator},
	}
	v.Rows = append([]installs.DistrictRow(nil), rep.Districts...)
	st := parseSort(r, districtColumns, sortState{Key: "rank"})
	sortRows(v.Rows, districtColumns, st)
	v.Headers = headers(r, l, districtColumns, st, "districts")
	v.RowsHTML = districtRowsHTML(v.Rows)

	c := s.baseChart(l)
	c.GeoURL = "" // no district boundaries: a bar chart instead of a map
	for _, d := range rep.Districts {
		c.Districts = append(c.Districts, barItem{Name: d.Name, Rate: round4(d.Rate * 100), RateText: installs.FormatRate(d.Rate), Installs: installs.FormatCount(d.Installs)})
	}
	c.Series = seriesOf(rep.Series)
	if rep.Target != nil {
		c.TargetInstalls = rep.Target.TargetInstalls
	}
	v.Chart = c
	name := rep.Province.Name
	if name == "" {
		name = prov.Name
	}
	s.render(w, r, http.StatusOK, "province.html", &page{
		L: l, Title: name, Date: day.String(), Today: today.String(), DateForm: true, Data: v,
	})
}
