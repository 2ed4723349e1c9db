package installs

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// Server is the installs service: the check-in API, the batching writer,
// the admin API, the downloads and the report queries the dashboard uses.
type Server struct {
	cfg       Config
	db        *store.DB
	clock     clock.Clock
	log       *slog.Logger
	admin     *vnadmin.Data
	secret    []byte
	authorize func(r *http.Request) (string, error)
	target    Target // default national target from cfg

	queue    chan *pending
	pendings sync.Pool // *pending, reused once answered
	hmacs    sync.Pool // keyed hash.Hash of tokenHash
	okResp   atomic.Pointer[okResponse]
	counters counterCache     // the writer's; see counterCache
	stmts    *store.StmtCache // the writer's prepared SQLite statements
	metrics  metrics
	batches  atomic.Int64 // committed check-in batches, for benchmarks
}

// New checks cfg and deps and returns a Server. Check-ins are only written
// while Run is running.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.DB == nil:
		return nil, errors.New("installs: nil DB")
	case deps.Clock == nil:
		return nil, errors.New("installs: nil Clock")
	case deps.Logger == nil:
		return nil, errors.New("installs: nil Logger")
	case deps.Admin == nil:
		return nil, errors.New("installs: nil Admin reference data")
	case len(deps.Secret) < 32:
		return nil, fmt.Errorf("installs: Secret must be at least 32 bytes, got %d", len(deps.Secret))
	}
	td, _ := ParseDay(cfg.TargetDate)
	s := &Server{
		cfg:       cfg,
		db:        deps.DB,
		clock:     deps.Clock,
		log:       deps.Logger,
		admin:     deps.Admin,
		secret:    append([]byte(nil), deps.Secret...),
		authorize: deps.Authorize,
		target:    Target{Scope: National, Rate: cfg.TargetRate, DenominatorKind: cfg.TargetDenominator, Date: td.String()},
		queue:     make(chan *pending, cfg.QueueSize),
	}
	s.metrics = newMetrics()
	s.metrics.ok = s.metrics.checkins.WithLabelValues("ok")
	if deps.Registerer != nil {
		if err := s.metrics.register(deps.Registerer); err != nil {
			return nil, fmt.Errorf("installs: register metrics: %w", err)
		}
	}
	return s, nil
}

// Register adds the service's routes to mux:
//
//	POST /v1/installs/checkin                       device check-in (public)
//	GET  /data/national.csv|json?date=YYYY-MM-DD    national ranking table (public)
//	GET  /data/province/{file}?date=YYYY-MM-DD      {code}.csv|json: a province's district table (public)
//	/api/installs/…                                 admin API (see admin.go)
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/installs/checkin", s.handleCheckin)
	s.registerDownloads(mux)
	s.registerAdmin(mux)
}

// Today returns the service's current day.
func (s *Server) Today() Day { return DayOf(s.clock.Now()) }

type metrics struct {
	checkins  *prometheus.CounterVec
	ok        prometheus.Counter // checkins{outcome="ok"}
	batches   prometheus.Counter
	batchSize prometheus.Histogram
}

func newMetrics() metrics {
	return metrics{
		checkins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bluezone", Subsystem: "installs", Name: "checkins_total",
			Help: "Check-in requests by outcome.",
		}, []string{"outcome"}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "bluezone", Subsystem: "installs", Name: "batches_total",
			Help: "Check-in batches committed.",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "bluezone", Subsystem: "installs", Name: "batch_size",
			Help:    "Check-ins per committed batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 7),
		}),
	}
}

func (m metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.checkins, m.batches, m.batchSize} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
