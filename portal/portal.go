// Package portal is the health departments' web application: staff accounts
// with roles, the case registry of each province, issuing verification codes
// from cases, the daily counts a province sends up to the ministry, the
// agencies' deployment reports and the audit log of every staff action.
//
// It keeps as little personal data as the work allows: a case is a reference
// number, a district, a status and two dates — never a name or a phone
// number. Codes are shown once and never stored; the portal keeps only each
// code's UUID to ask the verification service whether it was claimed. Phone
// numbers typed for an SMS are used for that one message and forgotten.
//
// It is not the verification service nor the installs service: it talks to
// them through the small interfaces Codes, Deployment and KeyCounts, which
// package app adapts to the real services. Pages are server-rendered
// html/template (no JavaScript), Vietnamese by default with English.
package portal

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Component is the name under which the portal's migrations are recorded.
const Component = "portal"

// Migrate applies the portal's migrations (component "portal").
func Migrate(ctx context.Context, db *store.DB) error {
	return db.Migrate(ctx, Component, migrationFiles, "migrations")
}

// Config holds the portal's settings. Start from DefaultConfig.
type Config struct {
	// Prefix is where the portal is mounted ("/portal"): every route and the
	// session cookie's path live under it.
	Prefix string
	// PublicURL, when set (e.g. "https://bluezone.gov.vn"), is the https
	// origin of the app's verified links: codes are also shown as
	// <PublicURL>/v?c=<long code>, and that form goes into the QR code and
	// the SMS. Empty: only the app's own scheme (AppLinkScheme) is used.
	PublicURL string
	// AppLinkScheme is the custom URL scheme the app registers ("bluezone"):
	// bluezone://v?c=<long code>.
	AppLinkScheme string
	// SessionIdle ends a session that made no request for this long (30 min);
	// SessionMax ends any session this long after login (12 h).
	SessionIdle time.Duration
	SessionMax  time.Duration
	// MaxFailures wrong passwords or TOTP codes in a row lock an account for
	// Lockout (5 and 15 min).
	MaxFailures int
	Lockout     time.Duration
	// Argon2 are the password hashing parameters for new hashes; stored
	// hashes carry their own, so raising them is safe.
	Argon2 Argon2Params
	// MinPasswordLen is the shortest password accepted (12).
	MinPasswordLen int
	// NoteMaxLen is the longest case note in characters (500).
	NoteMaxLen int
	// PageSize is the number of rows on a list page (50).
	PageSize int
	// ReportDays is how many days a report page covers by default (30);
	// MaxReportDays caps a requested range (366).
	ReportDays    int
	MaxReportDays int
	// PollInterval is how often Run asks the verification service about
	// pending codes (1 min); 0 disables polling.
	PollInterval time.Duration
	// InsecureCookies drops the Secure flag from cookies. Only for plain-HTTP
	// development and tests on loopback; Validate refuses it with a https
	// PublicURL.
	InsecureCookies bool
	// TOTPIssuer is the issuer name shown in authenticator apps.
	TOTPIssuer string
}

// DefaultConfig returns the defaults documented in docs/security.md, "Portal".
func DefaultConfig() Config {
	return Config{
		Prefix:         "/portal",
		AppLinkScheme:  "bluezone",
		SessionIdle:    30 * time.Minute,
		SessionMax:     12 * time.Hour,
		MaxFailures:    5,
		Lockout:        15 * time.Minute,
		Argon2:         DefaultArgon2,
		MinPasswordLen: 12,
		NoteMaxLen:     500,
		PageSize:       50,
		ReportDays:     30,
		MaxReportDays:  366,
		PollInterval:   time.Minute,
		TOTPIssuer:     "Bluezone",
	}
}

// Validate reports the first setting that is out of range.
func (c Config) Validate() error {
	switch {
	case !strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/") || strings.ContainsAny(c.Prefix, "{}? "):
		return fmt.Errorf("portal: Prefix %q must start with / and not end with / (e.g. /portal)", c.Prefix)
	case c.AppLinkScheme == "" || strings.ContainsAny(c.AppLinkScheme, ":/ "):
		return fmt.Errorf("portal: AppLinkScheme %q must be a bare URL scheme such as bluezone", c.AppLinkScheme)
	case c.SessionIdle <= 0 || c.SessionMax < c.SessionIdle:
		return fmt.Errorf("portal: need 0 < SessionIdle (%v) ≤ SessionMax (%v)", c.SessionIdle, c.SessionMax)
	case c.MaxFailures < 1 || c.Lockout <= 0:
		return fmt.Errorf("portal: MaxFailures (%d) must be ≥ 1 and Lockout (%v) positive", c.MaxFailures, c.Lockout)
	case c.MinPasswordLen < 8 || c.MinPasswordLen > 64:
		return fmt.Errorf("portal: MinPasswordLen %d must be 8..64", c.MinPasswordLen)
	case c.NoteMaxLen < 0 || c.NoteMaxLen > 2000:
		return fmt.Errorf("portal: NoteMaxLen %d must be 0..2000", c.NoteMaxLen)
	case c.PageSize < 5 || c.PageSize > 500:
		return fmt.Errorf("portal: PageSize %d must be 5..500", c.PageSize)
	case c.ReportDays < 1 || c.MaxReportDays < c.ReportDays || c.MaxReportDays > 3660:
		return fmt.Errorf("portal: need 1 ≤ ReportDays (%d) ≤ MaxReportDays (%d) ≤ 3660", c.ReportDays, c.MaxReportDays)
	case c.PollInterval < 0:
		return fmt.Errorf("portal: PollInterval %v must not be negative", c.PollInterval)
	case c.TOTPIssuer == "":
		return errors.New("portal: TOTPIssuer must not be empty")
	}
	if err := c.Argon2.validate(); err != nil {
		return err
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("portal: PublicURL %q must be an https origin such as https://bluezone.gov.vn", c.PublicURL)
		}
		if c.InsecureCookies {
			return errors.New("portal: InsecureCookies is for plain-HTTP development only; it cannot go with an https PublicURL")
		}
	}
	return nil
}

// Deps are the portal's collaborators. DB, Clock, Logger, Secret, Codes and
// Deployment are required; SMS defaults to LogSMS (logs, sends nothing);
// Keys may be nil (keys published are then shown as not available).
type Deps struct {
	DB     *store.DB
	Clock  clock.Clock
	Logger *slog.Logger
	// Secret (at least 32 bytes) keys the session-id HMAC, the CSRF tokens
	// and the sealing of TOTP secrets. A new secret logs everyone out and
	// makes enrolled TOTP secrets unreadable (admins must re-enrol them).
	Secret     []byte
	Codes      Codes
	Deployment Deployment
	SMS        SMS
	Keys       KeyCounts
	// Admin is the reference data; nil means vnadmin.MustLoad().
	Admin *vnadmin.Data
}

// Server is the portal. It is safe for concurrent use.
type Server struct {
	cfg    Config
	db     *store.DB
	clock  clock.Clock
	log    *slog.Logger
	keys   secretKeys
	codes  Codes
	deploy Deployment
	sms    SMS
	kc     KeyCounts
	admin  *vnadmin.Data
	pages  *pages
	routes []route
}

// New checks cfg and deps and returns a Server. Call Migrate first.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.DB == nil:
		return nil, errors.New("portal: Deps.DB is nil")
	case deps.Clock == nil:
		return nil, errors.New("portal: Deps.Clock is nil")
	case deps.Logger == nil:
		return nil, errors.New("portal: Deps.Logger is nil")
	case len(deps.Secret) < 32:
		return nil, errors.New("portal: Deps.Secret must be at least 32 bytes")
	case deps.Codes == nil:
		return nil, errors.New("portal: Deps.Codes is nil")
	case deps.Deployment == nil:
		return nil, errors.New("portal: Deps.Deployment is nil")
	}
	keys, err := deriveKeys(deps.Secret)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, db: deps.DB, clock: deps.Clock, log: deps.Logger, keys: keys,
		codes: deps.Codes, deploy: deps.Deployment, sms: deps.SMS, kc: deps.Keys, admin: deps.Admin,
	}
	if s.sms == nil {
		s.sms = LogSMS{Logger: deps.Logger}
	}
	if s.admin == nil {
		s.admin = vnadmin.MustLoad()
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	return s, nil
}

// Register adds the portal's routes (see routes.go) under Config.Prefix.
func (s *Server) Register(mux *http.ServeMux) {
	for _, rt := range s.routes {
		mux.Handle(rt.Method+" "+s.cfg.Prefix+rt.Path, s.wrap(rt))
	}
	// The bare prefix leads to the home page.
	mux.Handle("GET "+s.cfg.Prefix, http.RedirectHandler(s.cfg.Prefix+"/", http.StatusSeeOther))
}

// Run polls the verification service about pending codes every
// Config.PollInterval until ctx ends, so the daily counts of claimed codes
// stay current without anyone opening the cases. It returns nil then.
func (s *Server) Run(ctx context.Context) error {
	if s.cfg.PollInterval == 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := s.RefreshCodes(ctx, 500); err != nil && ctx.Err() == nil {
				s.log.Warn("portal: refresh code states", "err", err)
			}
		}
	}
}
