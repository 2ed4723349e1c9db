package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/bluezone-vn/bluezone/vnadmin"
)

//go:embed static
var staticFS embed.FS

// geoJSONName is the asset name of the province boundaries, which come from
// vnadmin rather than from static/: the browser fetches them once and caches
// them for a year, so no page ever carries the 190 kB inline.
const geoJSONName = "provinces.geojson"

// asset is one static file, its content hash and (made on first use) its
// gzip form.
type asset struct {
	name  string
	data  []byte
	hash  string
	ctype string

	gzOnce sync.Once
	gz     []byte
}

// assets are the static files by name ("app.js", "vendor/echarts.min.js").
type assets struct {
	byName map[string]*asset
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		a.add(strings.TrimPrefix(p, "static/"), data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assets: %w", err)
	}
	a.add(geoJSONName, vnadmin.ProvincesGeoJSON())
	return a, nil
}

func (a *assets) add(name string, data []byte) {
	sum := sha256.Sum256(data)
	a.byName[name] = &asset{name: name, data: data, hash: hex.EncodeToString(sum[:6]), ctype: contentType(name)}
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".geojson":
		return "application/geo+json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	default:
		return "text/plain; charset=utf-8"
	}
}

// url returns the content-hashed URL of an asset. It panics on an unknown
// name: templates are rendered in tests, so a typo fails there.
func (a *assets) url(name string) string {
	as, ok := a.byName[name]
	if !ok {
		panic(fmt.Sprintf("dashboard: unknown asset %q", name))
	}
	return "/static/" + as.hash + "/" + as.name
}

// serve answers GET /static/{hash}/{file...}. The current hash gets a
// year-long immutable cache; an old hash (a page rendered by the previous
// version during a deploy) still gets the current file, cached briefly.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	as, ok := a.byName[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	if r.PathValue("hash") == as.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=60")
	}
	etag := `"` + as.hash + `"`
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := as.data
	if acceptsGzip(r) && len(as.data) > 1024 {
		body = as.gzipped()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func (as *asset) gzipped() []byte {
	as.gzOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(as.data)
		zw.Close()
		as.gz = b.Bytes()
	})
	return as.gz
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
