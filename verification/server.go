// Package verification is the health authority's side of a diagnosis: it
// issues one-time codes to confirmed (or likely, negative, contact) cases,
// trades a code for a single-use device token and the token for an ES256
// verification certificate that the key server accepts with a publish.
//
// Its HTTP API is wire-compatible with the Exposure Notifications
// verification server's device API (POST /api/verify, /api/certificate) and
// admin API (/api/issue, /api/batch-issue, /api/checkcodestatus,
// /api/expirecode). It also owns realms (one per province plus the national
// "VN"), their signing keys and the API keys, and exposes a Go API for the
// CLI, the portal and `bluezone serve`.
//
// It is not the key server (it never sees exposure keys, only an HMAC of
// them) and it does not send SMS: the portal delivers codes.
package verification

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the service's migrations (component "verification").
func Migrate(ctx context.Context, db *store.DB) error {
	return db.Migrate(ctx, "verification", migrationFiles, "migrations")
}

// Server is the verification service. It is safe for concurrent use.
type Server struct {
	cfg   Config
	db    *store.DB
	clock clock.Clock
	log   *slog.Logger
	keys  *keyring

	limits *limiter

	signersMu sync.Mutex
	signers   map[string]*realmSigner // active signing key per realm, cached

	requests *prometheus.CounterVec // nil without a Registerer
}

// New checks cfg and deps and returns a Server. Call Migrate first (and
// EnsureBootstrap to seed realms).
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := deps.validate(); err != nil {
		return nil, err
	}
	kr, err := newKeyring(deps.Secret)
	if err != nil {
		return nil, fmt.Errorf("verification: %w", err)
	}
	s := &Server{
		cfg:     cfg,
		db:      deps.DB,
		clock:   deps.Clock,
		log:     deps.Logger,
		keys:    kr,
		limits:  newLimiter(cfg),
		signers: map[string]*realmSigner{},
	}
	if deps.Registerer != nil {
		s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bluezone", Subsystem: "verification", Name: "requests_total",
			Help: "Verification API requests by path and result code (\"ok\" on success).",
		}, []string{"path", "result"})
		if err := deps.Registerer.Register(s.requests); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("verification: register metrics: %w", err)
			}
			s.requests = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	return s, nil
}

// Register adds the service's routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/verify", s.deviceAPI(s.handleVerify))
	mux.HandleFunc("POST /api/certificate", s.deviceAPI(s.handleCertificate))
	mux.HandleFunc("POST /api/issue", s.adminAPI(s.handleIssue))
	mux.HandleFunc("POST /api/batch-issue", s.adminAPI(s.handleBatchIssue))
	mux.HandleFunc("POST /api/checkcodestatus", s.adminAPI(s.handleCheckCodeStatus))
	mux.HandleFunc("POST /api/expirecode", s.adminAPI(s.handleExpireCode))
}

// Run deletes old codes, tokens and retired keys every CleanupInterval and
// forgets stale guessing counters, until ctx ends. It returns nil then.
func (s *Server) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.CleanupInterval)
	defer t.Stop()
	for {
		if _, err := s.Cleanup(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "verification cleanup failed", "error", err)
		}
		s.limits.prune(s.clock.Now())
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Server) metricResult(path, result string) {
	if s.requests != nil {
		s.requests.WithLabelValues(path, result).Inc()
	}
}

func (s *Server) now() time.Time { return s.clock.Now().UTC() }
