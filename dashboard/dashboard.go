// Package dashboard serves Bluezone's public pages: the national statistics
// page (/), one page per province (/tinh/{code}), the transparency page
// (/minh-bach) and the static assets they use (/static/…).
//
// Pages are rendered on the server from html/template files embedded in the
// binary and parsed once; they read in Vietnamese by default, in English with
// ?lang=en (remembered in a cookie). Tables work without JavaScript (sorting
// falls back to ?sort= links); a small script sorts in place and draws the
// charts and the map with Apache ECharts, whose minified build is committed
// under static/vendor/ (see web/build.sh). Assets are served at
// content-hashed URLs with year-long cache headers.
//
// The package computes nothing about installs or keys: the figures come from
// two small interfaces, Reports (implemented by *installs.Server) and
// Transparency (wired by `bluezone serve` to the key server and the export
// worker). The CSV/JSON downloads it links to are served by package installs.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// Reports gives the installation figures the national and province pages
// show. *installs.Server implements it.
type Reports interface {
	// National returns the national report for the day containing day.
	National(ctx context.Context, day time.Time) (installs.NationalReport, error)
	// Province returns one province's report for the day containing day;
	// the error wraps installs.ErrNotFound for an unknown code.
	Province(ctx context.Context, code string, day time.Time) (installs.ProvinceReport, error)
}

var _ Reports = (*installs.Server)(nil)

// Transparency gives the published-key figures the transparency page shows.
// `bluezone serve` implements it over the key server and the export worker.
// Every method returns what is public anyway; none returns a key.
type Transparency interface {
	// KeysPerDay returns, for each of the last `days` days (oldest first,
	// days with nothing included as zero), how many keys were published.
	KeysPerDay(ctx context.Context, days int) ([]DayCount, error)
	// ExportFiles returns the export files currently listed in the index,
	// newest first.
	ExportFiles(ctx context.Context) ([]ExportFile, error)
	// PublicKeys returns the public keys that sign export files, and those of
	// the health authorities whose certificates the key server accepts.
	PublicKeys(ctx context.Context) ([]PublicKey, error)
}

// DayCount is the number of keys published on one day (in installs.Zone).
type DayCount struct {
	Day     time.Time
	Keys    int64 // diagnosis keys accepted that day
	Revised int64 // keys revised that day (e.g. a "likely" case later confirmed or revoked)
}

// ExportFile is one signed export file as listed in /exports/index.txt.
type ExportFile struct {
	Name       string    // path as in index.txt, e.g. "exports/1597276800-1597363200-00001.zip"
	URL        string    // where to download it (relative URLs are fine)
	Region     string    // e.g. "452" (Vietnam's MCC)
	Start, End time.Time // the batch's time window
	Keys       int       // number of keys in the file
	Batch      int       // batch_num
	BatchSize  int       // batch_size
	// SigningKeyID and SigningKeyVersion identify the key that signed the
	// file (SignatureInfo.verification_key_id and _version).
	SigningKeyID      string
	SigningKeyVersion string
}

// PublicKey is a public key published for verification.
type PublicKey struct {
	// Use says what the key signs: UseExport (export files, checked by the
	// apps) or UseCertificate (verification certificates of a health
	// authority, checked by the key server).
	Use       string
	Owner     string // e.g. "Bộ Y tế" or a certificate issuer "bluezone-vn-67"
	KeyID     string // e.g. "452" for export keys
	Version   string // e.g. "v1"
	Algorithm string // e.g. "ECDSA P-256 / SHA-256"
	PEM       string // PKIX public key in PEM
	From      time.Time
	Thru      *time.Time // nil while the key is in use
}

// Uses of a PublicKey.
const (
	UseExport      = "export"
	UseCertificate = "certificate"
)

// Config is the dashboard's configuration.
type Config struct {
	// KeysPerDayDays is how many days the transparency page's key chart
	// covers (default 28: the 14-day key life twice).
	KeysPerDayDays int
	// DownloadPrefix is where the installs service serves its downloads
	// (default "/data"): national.csv|json and province/{code}.csv|json.
	DownloadPrefix string
	// ExportsURL is the export index the transparency page links to
	// (default "/exports/index.txt").
	ExportsURL string
	// CacheSeconds is the max-age of the pages (default 60). Pages vary by
	// the language cookie, so they are cached privately only.
	CacheSeconds int
}

// DefaultConfig returns the defaults described on Config.
func DefaultConfig() Config {
	return Config{KeysPerDayDays: 28, DownloadPrefix: "/data", ExportsURL: "/exports/index.txt", CacheSeconds: 60}
}

// Validate says which setting is wrong and what is allowed.
func (c Config) Validate() error {
	var errs []error
	if c.KeysPerDayDays < 1 || c.KeysPerDayDays > 366 {
		errs = append(errs, fmt.Errorf("dashboard: KeysPerDayDays must be 1..366, not %d", c.KeysPerDayDays))
	}
	if c.DownloadPrefix == "" || c.DownloadPrefix[0] != '/' || c.DownloadPrefix[len(c.DownloadPrefix)-1] == '/' {
		errs = append(errs, fmt.Errorf("dashboard: DownloadPrefix must start with / and not end with /, not %q", c.DownloadPrefix))
	}
	if c.ExportsURL == "" {
		errs = append(errs, errors.New("dashboard: ExportsURL must not be empty"))
	}
	if c.CacheSeconds < 0 || c.CacheSeconds > 86400 {
		errs = append(errs, fmt.Errorf("dashboard: CacheSeconds must be 0..86400, not %d", c.CacheSeconds))
	}
	return errors.Join(errs...)
}

// Deps are the dashboard's dependencies. Reports, Clock and Logger are
// required. Transparency may be nil: the transparency page then explains the
// protocol and the data kept, and says that the figures are not available.
type Deps struct {
	Reports      Reports
	Transparency Transparency
	Clock        clock.Clock
	Logger       *slog.Logger
}

// Server renders the public pages.
type Server struct {
	cfg    Config
	deps   Deps
	admin  *vnadmin.Data
	pages  map[string]*template.Template
	assets *assets
}

// New checks cfg and deps, parses the templates and hashes the assets.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.Reports == nil:
		return nil, errors.New("dashboard: nil Reports")
	case deps.Clock == nil:
		return nil, errors.New("dashboard: nil Clock")
	case deps.Logger == nil:
		return nil, errors.New("dashboard: nil Logger")
	}
	admin, err := vnadmin.Load()
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	a, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	s := &Server{cfg: cfg, deps: deps, admin: admin, assets: a}
	if s.pages, err = parseTemplates(a); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return s, nil
}

// Register adds the dashboard's routes to mux:
//
//	GET /{$}                     national page (?date=YYYY-MM-DD, ?sort=, ?lang=)
//	GET /tinh/{code}             province page (same parameters)
//	GET /minh-bach               transparency page
//	GET /static/{hash}/{file...} assets at content-hashed URLs
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.handleNational)
	mux.HandleFunc("GET /tinh/{code}", s.handleProvince)
	mux.HandleFunc("GET /minh-bach", s.handleTransparency)
	mux.HandleFunc("GET /static/{hash}/{file...}", s.assets.serve)
}
