package dashboard

import (
	"html"
	"html/template"
	"strconv"
	"strings"

	"github.com/bluezone-vn/bluezone/installs"
)

// The two big tables' bodies are written here rather than in the templates:
// html/template calls its escapers through reflection for every value,
// which made the 63-row ranking cost milliseconds per page. Every dynamic
// value below goes through html.EscapeString (text and quoted attributes
// alike) or is a number formatted here, so the result is safe to mark as
// template.HTML. The headings, captions and everything else stay in the
// templates.

// provinceRowsHTML renders the ranking table's <tr> rows.
func provinceRowsHTML(l Locale, rows []provinceRow) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 700)
	imported := html.EscapeString(l.T("source.imported.s"))
	for _, r := range rows {
		b.WriteString(`<tr data-code="`)
		b.WriteString(html.EscapeString(r.Code))
		b.WriteString("\">\n    ")
		rank := strconv.Itoa(r.Rank)
		b.WriteString(`<td class="num" data-v="` + rank + `">` + rank)
		if r.RankChange != 0 {
			cls, mark := "down", "▼"
			if r.RankChange > 0 {
				cls, mark = "up", "▲"
			}
			b.WriteString(` <small class="` + cls + `" title="` + html.EscapeString(r.RankChangeTitle) + `">` + mark + `</small>`)
		}
		b.WriteString(`</td>`)
		b.WriteString("\n    <th scope=\"row\" data-v=\"")
		b.WriteString(html.EscapeString(r.Name))
		b.WriteString(`"><a href="`)
		b.WriteString(html.EscapeString(r.URL))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(r.Name))
		b.WriteString(`</a>`)
		if r.ImportedTitle != "" {
			b.WriteString(` <span class="tag" title="` + html.EscapeString(r.ImportedTitle) + `">` + imported + `</span>`)
		}
		b.WriteString("</th>\n    ")
		numCell(&b, strconv.FormatInt(r.Installs, 10), r.InstallsS)
		numCell(&b, floatV(r.Rate), r.RateS)
		reachCell(&b, floatV(r.ExpectedReach), r.ReachS)
		numCell(&b, strconv.FormatInt(r.Change, 10), r.ChangeS)
		numCell(&b, strconv.FormatInt(r.DaysV, 10), r.DaysS)
		b.WriteString("\n  </tr>\n  ")
	}
	return template.HTML(b.String())
}

// districtRowsHTML renders a province page's district rows.
func districtRowsHTML(rows []installs.DistrictRow) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 600)
	for _, r := range rows {
		b.WriteString(`<tr data-code="`)
		b.WriteString(html.EscapeString(r.Code))
		b.WriteString("\">\n    ")
		numCell(&b, strconv.Itoa(r.Rank), "")
		b.WriteString("\n    <th scope=\"row\" data-v=\"")
		b.WriteString(html.EscapeString(r.Name))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(r.Name))
		b.WriteString("</th>\n    ")
		numCell(&b, strconv.FormatInt(r.Installs, 10), installs.FormatCount(r.Installs))
		numCell(&b, strconv.FormatInt(r.Active, 10), installs.FormatCount(r.Active))
		numCell(&b, strconv.FormatInt(r.Denominator, 10), installs.FormatCount(r.Denominator))
		numCell(&b, floatV(r.Rate), installs.FormatRate(r.Rate))
		reachCell(&b, floatV(r.ExpectedReach), installs.FormatRate(r.ExpectedReach))
		b.WriteString("\n  </tr>\n  ")
	}
	return template.HTML(b.String())
}

// numCell writes <td class="num" data-v="v">text</td>; text "" repeats v.
func numCell(b *strings.Builder, v, text string) {
	if text == "" {
		text = v
	}
	b.WriteString(`<td class="num" data-v="`)
	b.WriteString(html.EscapeString(v))
	b.WriteString(`">`)
	b.WriteString(html.EscapeString(text))
	b.WriteString(`</td>`)
}

func reachCell(b *strings.Builder, v, text string) {
	b.WriteString(`<td class="num reach" data-v="`)
	b.WriteString(html.EscapeString(v))
	b.WriteString(`">`)
	b.WriteString(html.EscapeString(text))
	b.WriteString(`</td>`)
}

func floatV(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
