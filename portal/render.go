package portal

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/bluezone-vn/bluezone/vnadmin"
)

//go:embed templates/*.html static/*
var webFS embed.FS

// pages are the parsed templates (once, at New) and the stylesheet served
// at a content-hashed URL.
type pages struct {
	byName  map[string]*template.Template
	css     []byte
	cssName string // app.<hash>.css
}

func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	base, err := template.New("layout.html").ParseFS(webFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("portal templates: %w", err)
	}
	files, err := fs.Glob(webFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("portal templates: %w", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(webFS, f)
		if err != nil {
			return nil, fmt.Errorf("portal template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	if p.css, err = webFS.ReadFile("static/app.css"); err != nil {
		return nil, fmt.Errorf("portal stylesheet: %w", err)
	}
	sum := sha256.Sum256(p.css)
	p.cssName = "app." + hex.EncodeToString(sum[:6]) + ".css"
	return p, nil
}

// view is what every template gets.
type view struct {
	L      Locale
	User   *User
	CSRF   string
	Prefix string
	Title  string
	CSS    string
	OK     string // a confirmation message
	Nav    []navItem
	D      map[string]any
	adm    *vnadmin.Data
}

type navItem struct {
	Href, Label string
	Current     bool
}

// ProvinceName names a province code ("VN" is the whole country).
func (v view) ProvinceName(code string) string {
	if code == NationalRealm {
		return v.L.T("national")
	}
	if p, ok := v.adm.Province(code); ok {
		return p.Name
	}
	return code
}

// DistrictName names a district code ("" is the whole province).
func (v view) DistrictName(code string) string {
	if code == "" {
		return "—"
	}
	if d, ok := v.adm.District(code); ok {
		return d.Name
	}
	return code
}

// Can reports whether the user holds a permission (for links and buttons;
// the routes enforce it).
func (v view) Can(p string) bool { return v.User != nil && can(v.User.Role, perm(p)) }

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes a page into a buffer and writes it with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, name, titleKey string, data map[string]any) {
	t := s.pages.byName[name]
	if t == nil {
		s.log.ErrorContext(r.Context(), "portal: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := view{L: rc.L, User: rc.User, CSRF: rc.CSRF, Prefix: s.cfg.Prefix, Title: rc.L.T(titleKey),
		CSS: s.cfg.Prefix + "/static/" + s.pages.cssName, D: data, adm: s.admin}
	if ok := r.URL.Query().Get("ok"); ok != "" && rc.L.Has(ok) {
		v.OK = rc.L.T(ok)
	}
	if rc.User != nil && rc.Sess != nil && rc.Sess.Stage == stageOK {
		v.Nav = s.nav(rc, r.URL.Path)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		s.log.ErrorContext(r.Context(), "portal: render", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) nav(rc *reqCtx, current string) []navItem {
	items := []struct {
		path, key string
		p         perm
	}{
		{"/", "nav.home", permSelf},
		{"/cases", "nav.cases", permCaseView},
		{"/reports", "nav.reports", permStats},
		{"/deployment", "nav.deployment", permDeployView},
		{"/users", "nav.users", permUsers},
		{"/audit", "nav.audit", permAudit},
		{"/account", "nav.account", permSelf},
	}
	var out []navItem
	for _, it := range items {
		if can(rc.User.Role, it.p) {
			href := s.cfg.Prefix + it.path
			cur := current == href || (it.path != "/" && strings.HasPrefix(current, href+"/"))
			out = append(out, navItem{Href: href, Label: rc.L.T(it.key), Current: cur})
		}
	}
	return out
}

// handleStatic serves the stylesheet at its content-hashed name, cached
// for a year.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if r.PathValue("file") != s.pages.cssName {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(s.pages.css)
}
