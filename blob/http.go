package blob

import (
	"errors"
	"net/http"
	"strings"
)

// Cache policies, as the reference key server sets them: export zips never
// change once published, so CDNs and clients may keep them a day; the index
// changes every batch and must be revalidated on every fetch.
const (
	CacheZip   = "public, max-age=86400"
	CacheIndex = "no-cache, max-age=0"
)

// Content types of the served files.
const (
	TypeZip   = "application/zip"
	TypeIndex = "text/plain; charset=us-ascii"
)

// Headers returns the Content-Type and Cache-Control to serve the object
// called name with: zips are cacheable for a day, .txt files (the index) are
// plain US-ASCII text that must not be cached, anything else is opaque and
// not cached.
func Headers(name string) (contentType, cacheControl string) {
	switch {
	case strings.HasSuffix(name, ".zip"):
		return TypeZip, CacheZip
	case strings.HasSuffix(name, ".txt"):
		return TypeIndex, CacheIndex
	default:
		return "application/octet-stream", CacheIndex
	}
}

// Serve writes the object called name from s as an HTTP response, with the
// headers from Headers, Last-Modified when known, and support for HEAD,
// Range and If-Modified-Since. A missing or invalid name is a plain 404; a
// storage failure is a 500 without details.
func Serve(w http.ResponseWriter, r *http.Request, s Store, name string) {
	if ValidName(name) != nil {
		http.NotFound(w, r)
		return
	}
	obj, err := s.Open(r.Context(), name)
	if errors.Is(err, ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer obj.Close()
	ct, cc := Headers(name)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", cc)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, obj.Info().ModTime, obj)
}
