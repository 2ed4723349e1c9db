package dashboard

import (
	"html/template"
	"math"
	"net/http"

	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// nationalView is the national page's data.
type nationalView struct {
	R        installs.NationalReport
	Headers  []header
	Cards    cardsView
	Rows     []provinceRow
	RowsHTML template.HTML // Rows rendered (rows.go)
	Chart    chartData
	CSV      string
	JSON     string
	Progress progressView
}

// provinceRow is a ranking row with its link, its sort values and its
// cells already formatted: the template then only reads plain fields (no
// embedded-struct lookups, no function calls per cell), which keeps the
// 63-row table cheap to render.
type provinceRow struct {
	Code, Name, URL string
	Rank            int
	RankChange      int
	RankChangeTitle string
	ImportedTitle   string // "" unless the figures were imported
	Installs        int64
	Rate            float64
	ExpectedReach   float64
	Change          int64
	DaysV           int64 // DaysToTarget for sorting; "never" sorts last
	InstallsS       string
	RateS           string
	ReachS          string
	ChangeS         string
	DaysS           string
}

// progressView is the target bar's numbers, ready for the template.
type progressView struct {
	Percent   int    // 0..100 for <progress>
	Text      string // "37.12%"
	Behind    bool
	Reached   bool
	HasTarget bool
}

var provinceColumns = []column[provinceRow]{
	{Key: "rank", Label: "col.rank", Num: true, cmp: byInt(func(r provinceRow) int { return r.Rank })},
	{Key: "name", Label: "col.province", cmp: byInt(func(r provinceRow) string { return vnadmin.Fold(r.Name) })},
	{Key: "installs", Label: "col.installs", Num: true, FirstDesc: true, cmp: byInt(func(r provinceRow) int64 { return r.Installs })},
	{Key: "rate", Label: "col.rate", Num: true, FirstDesc: true, cmp: byInt(func(r provinceRow) float64 { return r.Rate })},
	{Key: "reach", Label: "col.reach", Num: true, FirstDesc: true, cmp: byInt(func(r provinceRow) float64 { return r.ExpectedReach })},
	{Key: "change", Label: "col.change", Num: true, FirstDesc: true, cmp: byInt(func(r provinceRow) int64 { return r.Change })},
	{Key: "days", Label: "col.days", Num: true, cmp: byInt(func(r provinceRow) int64 { return r.DaysV })},
}

func (s *Server) handleNational(w http.ResponseWriter, r *http.Request) {
	l := pickLocale(w, r)
	day, today, err := s.day(r)
	if err != nil {
		s.renderError(w, r, l, http.StatusBadRequest, l.T("err.baddate"))
		return
	}
	rep, err := s.deps.Reports.National(r.Context(), day.Time())
	if err != nil {
		s.internalError(w, r, l, "national report", err)
		return
	}
	v := &nationalView{
		R:        rep,
		CSV:      s.downloadURL("national.csv", day),
		JSON:     s.downloadURL("national.json", day),
		Progress: progressOf(rep.Target),
		Cards: cardsView{Installs: rep.Installs, Active: rep.Active, Change: rep.ChangeSinceYesterday, Rate: rep.Rate,
			Reach: rep.ExpectedReach, Kind: rep.Denominator.Kind, Denominator: rep.Denominator.Value},
	}
	v.Rows = make([]provinceRow, len(rep.Provinces))
	for i, p := range rep.Provinces {
		v.Rows[i] = newProvinceRow(l, p, dateQuery(r))
	}
	st := parseSort(r, provinceColumns, sortState{Key: "rank"})
	sortRows(v.Rows, provinceColumns, st)
	v.Headers = headers(r, l, provinceColumns, st, "ranking")
	v.RowsHTML = provinceRowsHTML(l, v.Rows)
	v.Chart = s.nationalChart(l, rep, r)
	s.render(w, r, http.StatusOK, "national.html", &page{
		L: l, Title: l.T("nav.national"), Nav: "national",
		Date: day.String(), Today: today.String(), DateForm: true, Data: v,
	})
}

// nationalChart is the JSON the script draws the map and the series from.
func (s *Server) nationalChart(l Locale, rep installs.NationalReport, r *http.Request) chartData {
	c := s.baseChart(l)
	c.Provinces = make([]mapProvince, len(rep.Provinces))
	for i, p := range rep.Provinces {
		c.Provinces[i] = mapProvince{
			Code: p.Code, Name: p.Name, Rate: round4(p.Rate * 100), RateText: installs.FormatRate(p.Rate),
			Installs: installs.FormatCount(p.Installs), Rank: p.Rank, URL: "/tinh/" + p.Code + dateQuery(r),
		}
	}
	c.Series = seriesOf(rep.Series)
	if rep.Target != nil {
		c.TargetInstalls = rep.Target.TargetInstalls
	}
	return c
}

func newProvinceRow(l Locale, p installs.ProvinceRow, dateQuery string) provinceRow {
	row := provinceRow{
		Code: p.Code, Name: p.Name, URL: "/tinh/" + p.Code + dateQuery,
		Rank: p.Rank, RankChange: p.RankChange,
		Installs: p.Installs, Rate: p.Rate, ExpectedReach: p.ExpectedReach, Change: p.ChangeSinceYesterday,
		DaysV:     daysSortValue(p.DaysToTarget),
		InstallsS: installs.FormatCount(p.Installs), RateS: installs.FormatRate(p.Rate),
		ReachS: installs.FormatRate(p.ExpectedReach), ChangeS: signedCount(p.ChangeSinceYesterday),
		DaysS: daysText(l, p.DaysToTarget),
	}
	if p.RankChange != 0 {
		row.RankChangeTitle = l.F("table.rank.change", p.RankChange)
	}
	if p.Imported {
		row.ImportedTitle = l.F("source.imported", p.ImportedDate)
	}
	return row
}

// daysText is a "days to target" cell: a number, "reached" or a dash.
func daysText(l Locale, d *int) string {
	switch {
	case d == nil:
		return l.T("days.never")
	case *d == 0:
		return l.T("days.reached")
	}
	return installs.FormatCount(int64(*d))
}

func progressOf(t *installs.TargetProgress) progressView {
	if t == nil {
		return progressView{}
	}
	p := math.Max(0, math.Min(1, t.Progress))
	return progressView{
		Percent: int(p*100 + 0.5), Text: installs.FormatRate(p), HasTarget: true,
		Reached: t.Remaining == 0, Behind: !t.OnTrack,
	}
}

func daysSortValue(d *int) int64 {
	if d == nil {
		return math.MaxInt32
	}
	return int64(*d)
}

// dateQuery keeps an explicit ?date= on links to other pages.
func dateQuery(r *http.Request) string {
	if d := r.URL.Query().Get("date"); d != "" {
		if _, err := installs.ParseDay(d); err == nil {
			return "?date=" + d
		}
	}
	return ""
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }
