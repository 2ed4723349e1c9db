package dashboard

import "github.com/bluezone-vn/bluezone/installs"

// cardsView is the four key figures at the top of a page.
type cardsView struct {
	Installs, Active, Change int64
	Rate, Reach              float64
	Kind                     string // denominator kind of Rate
	Denominator              int64
}

// chartData is embedded in the page as JSON (html/template escapes it for
// the script element) for static/app.js. Pages without a map or a series
// leave those fields empty.
type chartData struct {
	Lang   string      `json:"lang"`
	GeoURL string      `json:"geo,omitempty"`
	Labels chartLabels `json:"labels"`
	// Provinces colour the national map; Districts fill the province
	// page's bar chart.
	Provinces []mapProvince `json:"provinces,omitempty"`
	Districts []barItem     `json:"districts,omitempty"`
	// Series is installs per day, projected points flagged.
	Series         []seriesPoint `json:"series,omitempty"`
	TargetInstalls int64         `json:"targetInstalls,omitempty"`
	// Keys is the transparency page's keys per day.
	Keys []keyPoint `json:"keys,omitempty"`
}

type chartLabels struct {
	HoangSa   string `json:"hoangSa"`
	TruongSa  string `json:"truongSa"`
	Low       string `json:"low"`
	High      string `json:"high"`
	Rate      string `json:"rate"`
	Installs  string `json:"installs"`
	Rank      string `json:"rank"`
	Actual    string `json:"actual"`
	Projected string `json:"projected"`
	Target    string `json:"target"`
	Keys      string `json:"keys"`
	Revised   string `json:"revised"`
}

type mapProvince struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	Rate     float64 `json:"rate"` // percent
	RateText string  `json:"rateText"`
	Installs string  `json:"installs"`
	Rank     int     `json:"rank"`
	URL      string  `json:"url"`
}

type barItem struct {
	Name     string  `json:"name"`
	Rate     float64 `json:"rate"` // percent
	RateText string  `json:"rateText"`
	Installs string  `json:"installs"`
}

type seriesPoint struct {
	Date      string `json:"date"`
	Installs  int64  `json:"installs"`
	Projected bool   `json:"projected,omitempty"`
}

type keyPoint struct {
	Date    string `json:"date"`
	Keys    int64  `json:"keys"`
	Revised int64  `json:"revised"`
}

func (s *Server) baseChart(l Locale) chartData {
	return chartData{
		Lang:   l.Lang,
		GeoURL: s.assets.url(geoJSONName),
		Labels: chartLabels{
			HoangSa: l.T("map.hoangsa"), TruongSa: l.T("map.truongsa"),
			Low: l.T("map.low"), High: l.T("map.high"),
			Rate: l.T("col.rate"), Installs: l.T("col.installs"), Rank: l.T("col.rank"),
			Actual: l.T("series.actual"), Projected: l.T("series.proj"), Target: l.T("series.target"),
			Keys: l.T("col.keys"), Revised: l.T("col.revised"),
		},
	}
}

func seriesOf(pts []installs.SeriesPoint) []seriesPoint {
	out := make([]seriesPoint, len(pts))
	for i, p := range pts {
		out[i] = seriesPoint{Date: p.Date, Installs: p.Installs, Projected: p.Projected}
	}
	return out
}
