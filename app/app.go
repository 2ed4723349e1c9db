// Package app assembles the whole Bluezone server — verification service,
// key server, export worker, installation statistics, dashboard and portal —
// into one process over one database, or any one part of it for deployments
// that run replicas behind a load balancer.
//
// It is wiring only: it opens the database, loads or creates the secrets
// and signing keys in the data folder, runs migrations, builds each service
// with its dependencies, mounts their routes on one mux with /healthz and
// /metrics, and runs their background loops. The command `bluezone serve`
// is a thin flag layer over it, and tests and the demo start it in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
)

// Parts that can run alone.
const (
	PartAll          = "all"
	PartKeyServer    = "keyserver"
	PartVerification = "verification"
	PartExport       = "export"
)

// Config says where the server keeps its data and what it runs.
type Config struct {
	// DataDir holds the SQLite database, secrets, signing keys and export
	// files. Created if missing.
	DataDir string
	// DB is a PostgreSQL URL (postgres://…); empty means SQLite in DataDir.
	DB string
	// Addr is the listen address, e.g. "127.0.0.1:8080" or ":0".
	Addr string
	// Only runs one part ("keyserver", "verification", "export"); "" or
	// "all" runs everything.
	Only string
	// PublicURL is the address devices and browsers use, for printed links.
	PublicURL string
	// Secret, when set, is the base64 master secret shared by replicas
	// (BLUEZONE_SECRET); else one is created in DataDir.
	Secret string
	// ExportPeriod is how often keys are batched into export files.
	ExportPeriod time.Duration
	// ExportMinWindowAge is how long after a batch ends it is built.
	ExportMinWindowAge time.Duration
	// ExportKeyID and ExportKeyVersion name the export signing key in files.
	ExportKeyID, ExportKeyVersion string
	// Region is written into export files.
	Region string
	// Clock is the time source; nil means the wall clock.
	Clock clock.Clock
	// Logger receives structured logs; nil means a text logger on stderr.
	Logger *slog.Logger
}

// DefaultConfig returns the settings `bluezone serve` starts with.
func DefaultConfig() Config {
	return Config{
		DataDir:            "data",
		Addr:               "127.0.0.1:8080",
		Only:               PartAll,
		ExportPeriod:       time.Hour,
		ExportMinWindowAge: 2 * time.Hour,
		ExportKeyID:        "452",
		ExportKeyVersion:   "v1",
		Region:             "VN",
	}
}

// Validate checks the settings and says which one is wrong.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data folder must be set"))
	}
	switch c.Only {
	case "", PartAll, PartKeyServer, PartVerification, PartExport:
	default:
		errs = append(errs, fmt.Errorf("--only %q: want keyserver, verification or export", c.Only))
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		errs = append(errs, fmt.Errorf("--db must be a postgres:// URL (SQLite is the default and needs no flag)"))
	}
	if c.ExportPeriod <= 0 || (24*time.Hour)%c.ExportPeriod != 0 {
		errs = append(errs, fmt.Errorf("export period %v must divide 24h", c.ExportPeriod))
	}
	if c.ExportMinWindowAge < 0 {
		errs = append(errs, errors.New("export minimum window age must not be negative"))
	}
	if c.ExportKeyID == "" || c.ExportKeyVersion == "" {
		errs = append(errs, errors.New("export key id and version must be set"))
	}
	if c.Region == "" {
		errs = append(errs, errors.New("region must be set"))
	}
	return errors.Join(errs...)
}

func (c *Config) runs(part string) bool {
	return c.Only == "" || c.Only == PartAll || c.Only == part
}

// App is a running (or ready to run) server.
type App struct {
	cfg      Config
	db       *store.DB
	clock    clock.Clock
	log      *slog.Logger
	registry *prometheus.Registry
	mux      *http.ServeMux
	handler  http.Handler
	secret   []byte
	// Notes lists what first start created, for the operator.
	Notes []string
	// loops are background jobs run by Run.
	loops []func(ctx context.Context) error
	parts
	closeOnce sync.Once
}

// New opens the database, prepares secrets and keys, migrates and builds the
// configured parts. Nothing listens until Run or Handler is used.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Only == "" {
		cfg.Only = PartAll
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	a := &App{cfg: cfg, clock: cfg.Clock, log: cfg.Logger, registry: prometheus.NewRegistry(), mux: http.NewServeMux()}
	if a.clock == nil {
		a.clock = clock.Real{}
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	dsn := cfg.DB
	if dsn == "" {
		dsn = filepath.Join(cfg.DataDir, "bluezone.db")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	a.db = db
	secret, created, err := loadOrCreateSecret(filepath.Join(cfg.DataDir, "secrets", "master.key"), cfg.Secret)
	if err != nil {
		db.Close()
		return nil, err
	}
	if created {
		a.Notes = append(a.Notes, "created the master secret "+filepath.Join(cfg.DataDir, "secrets", "master.key")+" (back it up; replicas share it via BLUEZONE_SECRET)")
	}
	a.secret = secret
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.buildParts(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.mux.HandleFunc("GET /healthz", a.healthz)
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	a.handler = newHTTPMetrics(a.registry).wrap(a.mux)
	return a, nil
}

// DB returns the app's database, for tests that inspect what is stored.
func (a *App) DB() *store.DB { return a.db }

// Handler returns the app's HTTP handler with every route mounted.
func (a *App) Handler() http.Handler { return a.handler }

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.db.SQL().PingContext(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// Run serves HTTP on ln (or cfg.Addr when ln is nil) and runs the
// background loops until ctx ends, then shuts down gracefully: it stops
// accepting, lets requests in flight finish (up to 10 s) and stops the loops.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", a.cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	errc := make(chan error, len(a.loops)+1)
	var wg sync.WaitGroup
	for _, loop := range a.loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loop(loopCtx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- err
			}
		}()
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve: %w", err)
		}
	}()
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("shutdown: %w", err))
	}
	stopLoops()
	wg.Wait()
	return runErr
}

// Close releases the database and stops what the parts hold open.
func (a *App) Close() error {
	var err error
	a.closeOnce.Do(func() {
		err = errors.Join(a.closeParts(), a.db.Close())
	})
	return err
}

// Links returns the human-facing URLs of the configured parts under base,
// for the start-up banner.
func (a *App) Links(base string) []string {
	links := []string{"health:   " + base + "/healthz", "metrics:  " + base + "/metrics"}
	return append(links, a.partLinks(base)...)
}
