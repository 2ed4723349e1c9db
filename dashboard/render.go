package dashboard

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/bluezone-vn/bluezone/installs"
)

//go:embed templates
var templatesFS embed.FS

// pageFiles are the page templates; each is parsed together with
// layout.html and executed as "layout".
var pageFiles = []string{"national.html", "province.html", "transparency.html", "error.html"}

func parseTemplates(a *assets) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"asset":  a.url,
		"count":  installs.FormatCount,
		"rate":   installs.FormatRate,
		"signed": signedCount,
		"perday": func(v float64) string { return installs.FormatCount(int64(v + 0.5)) },
		"iso":    func(t time.Time) string { return t.Format("2006-01-02") },
		"dict":   func(l Locale, v, x any) fragment { return fragment{L: l, V: v, X: x} },
		"derefTime": func(p *time.Time) time.Time {
			if p == nil {
				return time.Time{}
			}
			return *p
		},
		"deref": func(p *int) int {
			if p == nil {
				return 0
			}
			return *p
		},
	}
	pages := map[string]*template.Template{}
	for _, name := range pageFiles {
		t, err := template.New(name).Funcs(funcs).ParseFS(templatesFS, "templates/layout.html", "templates/parts.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// fragment is the argument of a shared template fragment: the locale, a
// value and an extra value.
type fragment struct {
	L Locale
	V any
	X any
}

// signedCount formats a change with its sign: +1,234, −56 (a true minus), 0.
func signedCount(n int64) string {
	switch {
	case n > 0:
		return "+" + installs.FormatCount(n)
	case n < 0:
		return "−" + installs.FormatCount(-n)
	}
	return "0"
}

// page is what every template receives: the layout's fields and the page's
// own data in Data.
type page struct {
	L        Locale
	Title    string
	Nav      string // "national", "transparency" or "" (marks the current link)
	LangURL  string // this page in the other language
	Date     string // the figures' day, YYYY-MM-DD ("" when the page has none)
	Today    string // max of the date picker
	DateForm bool   // show the date picker
	Data     any
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	p.LangURL = langURL(r, p.L.Other())
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.deps.Logger.Error("dashboard: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.L.Lang)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Vary", "Cookie")
	if status == http.StatusOK {
		h.Set("Cache-Control", "private, max-age="+strconv.Itoa(s.cfg.CacheSeconds))
	} else {
		h.Set("Cache-Control", "no-store")
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage shows a short message in the page's language.
type errorPage struct{ Message string }

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, l Locale, status int, message string) {
	s.render(w, r, status, "error.html", &page{L: l, Title: l.T("err.title"), Data: errorPage{Message: message}})
}

// internalError logs err (never the request's address) and shows a generic
// message.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, l Locale, what string, err error) {
	s.deps.Logger.Error("dashboard: "+what, "path", r.URL.Path, "err", err)
	s.renderError(w, r, l, http.StatusInternalServerError, l.T("err.internal"))
}

var errBadDate = errors.New("bad date")

// day returns the day the page shows: ?date=YYYY-MM-DD, or today in
// installs.Zone. A malformed or future date is errBadDate.
func (s *Server) day(r *http.Request) (installs.Day, installs.Day, error) {
	today := installs.DayOf(s.deps.Clock.Now())
	q := r.URL.Query().Get("date")
	if q == "" {
		return today, today, nil
	}
	d, err := installs.ParseDay(q)
	if err != nil || d > today || d < installs.DayOf(time.Date(2020, 1, 1, 0, 0, 0, 0, installs.Zone)) {
		return 0, today, errBadDate
	}
	return d, today, nil
}

// langURL is the current URL with lang set to other.
func langURL(r *http.Request, other string) string {
	q := r.URL.Query()
	q.Set("lang", other)
	return r.URL.Path + "?" + q.Encode()
}

// downloadURL is a download of the installs service for one day.
func (s *Server) downloadURL(file string, day installs.Day) string {
	return s.cfg.DownloadPrefix + "/" + file + "?date=" + url.QueryEscape(day.String())
}

var messageCall = regexp.MustCompile(`(?:\$l|\.L)\.[TF] "([^"]+)"`)

// templateKeys lists the message keys the templates use literally (for the
// test that every key exists in both languages).
func templateKeys() ([]string, error) {
	var keys []string
	err := fs.WalkDir(templatesFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templatesFS.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range messageCall.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		return nil
	})
	return keys, err
}
