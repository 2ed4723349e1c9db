package keyserver

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
)

// Config holds the publish API's settings. The defaults (DefaultConfig) are
// the reference server's.
type Config struct {
	// MaxKeysOnPublish is the most keys one request may carry (30).
	MaxKeysOnPublish int
	// MaxSameStartIntervalKeys is the most keys that may share a start
	// interval (3).
	MaxSameStartIntervalKeys int
	// MaxIntervalAge is how long ago a key may have stopped being valid
	// (360 h = 15 days).
	MaxIntervalAge time.Duration
	// TruncateWindow is the precision of stored times (1 h).
	TruncateWindow time.Duration
	// MaxSymptomOnsetDays: keys more than this many days from symptom onset
	// are dropped with a warning (14).
	MaxSymptomOnsetDays int
	// MaxSymptomOnsetReportDays: a symptom onset older than this is ignored
	// (28).
	MaxSymptomOnsetReportDays int
	// DefaultSymptomOnsetDaysAgo is the onset assumed when none is usable (4).
	DefaultSymptomOnsetDaysAgo int
	// ClockSkew is the leeway for certificate exp/nbf/iat (1 min).
	ClockSkew time.Duration
	// CacheTTL is how long health authorities and apps are cached (1 min).
	CacheTTL time.Duration
	// AuthorizedApps are apps allowed without a database row (default:
	// "vn.bluezone" with every health authority).
	AuthorizedApps []AuthorizedApp
	// RevisionTokenAAD is the additional data bound into revision tokens.
	RevisionTokenAAD string
	// RevisionKeyRotation is how often a new revision-token key is made
	// (168 h); RevisionKeyRetention how long old ones are kept (720 h).
	RevisionKeyRotation  time.Duration
	RevisionKeyRetention time.Duration
	// ResponsePaddingMin and ResponsePaddingRange: each response carries
	// Min + rand(Range) bytes of random padding (1024 + rand(1024)).
	ResponsePaddingMin   int
	ResponsePaddingRange int
	// MaxChaffDelay caps how long a chaff request is held to look like a
	// real one (1 s).
	MaxChaffDelay time.Duration
	// MaxBatch is the most requests the writer commits in one transaction
	// (256); WriteTimeout bounds how long a request waits for it (10 s).
	MaxBatch     int
	WriteTimeout time.Duration
	// Writers is the number of batches committed at once on PostgreSQL
	// (0 means 3); SQLite always has one writer.
	Writers int
	// CommitDelay and CommitBatch: a batch of fewer than CommitBatch
	// requests (at most MaxBatch) waits up to CommitDelay for more before
	// it commits (2 ms, 24), as PostgreSQL's commit_delay does: one commit
	// (on SQLite one fsync, the table's last pages written once; on
	// PostgreSQL one round trip and WAL flush) then serves more requests.
	// On PostgreSQL each of the Writers gathers its own batch. A zero
	// CommitDelay commits at once.
	CommitDelay time.Duration
	CommitBatch int
}

// DefaultConfig returns the reference server's settings.
func DefaultConfig() Config {
	return Config{
		MaxKeysOnPublish:           30,
		MaxSameStartIntervalKeys:   3,
		MaxIntervalAge:             360 * time.Hour,
		TruncateWindow:             time.Hour,
		MaxSymptomOnsetDays:        14,
		MaxSymptomOnsetReportDays:  28,
		DefaultSymptomOnsetDaysAgo: 4,
		ClockSkew:                  time.Minute,
		CacheTTL:                   time.Minute,
		AuthorizedApps:             []AuthorizedApp{{ID: "vn.bluezone", AllHealthAuthorities: true}},
		RevisionTokenAAD:           "bluezone-vn keyserver revision token v1",
		RevisionKeyRotation:        168 * time.Hour,
		RevisionKeyRetention:       720 * time.Hour,
		ResponsePaddingMin:         1024,
		ResponsePaddingRange:       1024,
		MaxChaffDelay:              time.Second,
		MaxBatch:                   256,
		WriteTimeout:               10 * time.Second,
		CommitDelay:                2 * time.Millisecond,
		CommitBatch:                24,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.MaxKeysOnPublish < 1:
		return errors.New("keyserver: MaxKeysOnPublish must be >= 1")
	case c.MaxSameStartIntervalKeys < 1:
		return errors.New("keyserver: MaxSameStartIntervalKeys must be >= 1")
	case c.MaxIntervalAge <= 0:
		return errors.New("keyserver: MaxIntervalAge must be > 0")
	case c.TruncateWindow <= 0 || (24*time.Hour)%c.TruncateWindow != 0:
		return errors.New("keyserver: TruncateWindow must divide 24 h")
	case c.MaxSymptomOnsetDays < 0 || c.MaxSymptomOnsetReportDays < 1 || c.DefaultSymptomOnsetDaysAgo < 0:
		return errors.New("keyserver: symptom onset settings must not be negative")
	case c.ClockSkew < 0 || c.ClockSkew > 10*time.Minute:
		return errors.New("keyserver: ClockSkew must be within 0..10 min")
	case c.CacheTTL <= 0:
		return errors.New("keyserver: CacheTTL must be > 0")
	case c.RevisionTokenAAD == "":
		return errors.New("keyserver: RevisionTokenAAD must be set")
	case c.RevisionKeyRotation <= 0 || c.RevisionKeyRetention < c.RevisionKeyRotation+c.MaxIntervalAge:
		return errors.New("keyserver: RevisionKeyRetention must cover RevisionKeyRotation + MaxIntervalAge")
	case c.ResponsePaddingMin < 0 || c.ResponsePaddingRange < 0:
		return errors.New("keyserver: response padding must not be negative")
	case c.MaxChaffDelay < 0:
		return errors.New("keyserver: MaxChaffDelay must not be negative")
	case c.MaxBatch < 1:
		return errors.New("keyserver: MaxBatch must be >= 1")
	case c.WriteTimeout <= 0:
		return errors.New("keyserver: WriteTimeout must be > 0")
	case c.Writers < 0 || c.Writers > 64:
		return errors.New("keyserver: Writers must be 0..64")
	case c.CommitDelay < 0 || c.CommitDelay > 100*time.Millisecond:
		return errors.New("keyserver: CommitDelay must be within 0..100 ms")
	case c.CommitDelay > 0 && c.CommitBatch < 2:
		return errors.New("keyserver: CommitBatch must be >= 2")
	}
	for _, a := range c.AuthorizedApps {
		if a.ID == "" {
			return errors.New("keyserver: authorized app with empty id")
		}
	}
	return nil
}

// Deps are the publish API's dependencies. DB, Clock, Logger and Secret
// are required; Registerer is optional (nil: no metrics).
type Deps struct {
	DB         *store.DB
	Clock      clock.Clock
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Secret (≥ 32 bytes) encrypts the revision-token keys at rest. It must
	// stay the same across restarts and replicas, or issued tokens stop
	// working.
	Secret []byte
}

// Server is the publish API. Create it with New, add its routes with
// Register and run its writer with Run.
type Server struct {
	cfg   Config
	db    *store.DB
	clock clock.Clock
	log   *slog.Logger

	authorities *ttlCache[parsedAuthority]
	apps        *ttlCache[AuthorizedApp]
	tokens      *tokenManager
	chaff       *chaffTracker
	metrics     *metrics

	queue   chan *writeJob
	stopped chan struct{}
	running atomic.Bool
}

// New checks cfg and deps and returns a Server. It does no I/O; call
// Migrate before serving and Run to start the writer.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.DB == nil:
		return nil, errors.New("keyserver: nil DB")
	case deps.Clock == nil:
		return nil, errors.New("keyserver: nil Clock")
	case deps.Logger == nil:
		return nil, errors.New("keyserver: nil Logger")
	case len(deps.Secret) < 32:
		return nil, errors.New("keyserver: Secret must be at least 32 bytes")
	}
	tm, err := newTokenManager(deps.DB, deps.Clock, deps.Secret, []byte(cfg.RevisionTokenAAD),
		cfg.RevisionKeyRotation, cfg.RevisionKeyRetention)
	if err != nil {
		return nil, fmt.Errorf("keyserver: %w", err)
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, fmt.Errorf("keyserver: %w", err)
	}
	return &Server{
		cfg:         cfg,
		db:          deps.DB,
		clock:       deps.Clock,
		log:         deps.Logger,
		authorities: newTTLCache[parsedAuthority](cfg.CacheTTL, deps.Clock.Now),
		apps:        newTTLCache[AuthorizedApp](cfg.CacheTTL, deps.Clock.Now),
		tokens:      tm,
		chaff:       newChaffTracker(cfg.MaxChaffDelay),
		metrics:     m,
		queue:       make(chan *writeJob, 4*cfg.MaxBatch),
		stopped:     make(chan struct{}),
	}, nil
}
