package installs

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// Config is the installs service's configuration.
type Config struct {
	// ActiveDays is N in "active: checked in within the last N days"
	// (including today). It must not change once data exists: the active
	// counters of future days were written with it.
	ActiveDays int
	// AdultShare is the share of the census population taken as adults
	// until an operator loads adult counts (default 0.70; see
	// installs/README.md for the source).
	AdultShare float64
	// RateDenominator is the denominator kind of the rates in rankings and
	// downloads (default KindPopulation, as in the ministry's notices).
	RateDenominator string
	// Default national target, used when none was stored: TargetRate of
	// the TargetDenominator population by TargetDate (YYYY-MM-DD).
	TargetRate        float64
	TargetDenominator string
	TargetDate        string
	// PaceDays is the window of the "current pace" (mean daily increase).
	PaceDays int
	// SeriesDays is how many past days a report's series holds.
	SeriesDays int
	// BatchSize and BatchDelay bound the check-in writer's batches: a batch
	// is written when it holds BatchSize check-ins or its first one waited
	// BatchDelay.
	BatchSize  int
	BatchDelay time.Duration
	// QueueSize is how many check-ins may wait for the writer before the
	// API answers 503.
	QueueSize int
}

// DefaultConfig returns the defaults: 7 active days, 70% adults, rates per
// population, a national target of 60% of adults by 2020-12-31, a 7-day
// pace, a 60-day series, batches of 2,000 or 5 ms.
func DefaultConfig() Config {
	return Config{
		ActiveDays:        7,
		AdultShare:        0.70,
		RateDenominator:   KindPopulation,
		TargetRate:        0.60,
		TargetDenominator: KindAdults,
		TargetDate:        "2020-12-31",
		PaceDays:          7,
		SeriesDays:        60,
		BatchSize:         2000,
		BatchDelay:        5 * time.Millisecond,
		QueueSize:         50_000,
	}
}

func validKind(k string) bool {
	return k == KindPopulation || k == KindAdults || k == KindSmartphones
}

// Validate says which setting is wrong and what is allowed.
func (c Config) Validate() error {
	var errs []error
	if c.ActiveDays < 1 || c.ActiveDays > 365 {
		errs = append(errs, fmt.Errorf("installs: ActiveDays must be 1..365, not %d", c.ActiveDays))
	}
	if !(c.AdultShare > 0 && c.AdultShare <= 1) {
		errs = append(errs, fmt.Errorf("installs: AdultShare must be in (0, 1], not %v", c.AdultShare))
	}
	if !validKind(c.RateDenominator) {
		errs = append(errs, fmt.Errorf("installs: RateDenominator must be population, adults or smartphones, not %q", c.RateDenominator))
	}
	if !(c.TargetRate > 0 && c.TargetRate <= 1) {
		errs = append(errs, fmt.Errorf("installs: TargetRate must be in (0, 1], not %v", c.TargetRate))
	}
	if !validKind(c.TargetDenominator) {
		errs = append(errs, fmt.Errorf("installs: TargetDenominator must be population, adults or smartphones, not %q", c.TargetDenominator))
	}
	if _, err := ParseDay(c.TargetDate); err != nil {
		errs = append(errs, fmt.Errorf("installs: TargetDate: %w", err))
	}
	if c.PaceDays < 1 || c.PaceDays > 90 {
		errs = append(errs, fmt.Errorf("installs: PaceDays must be 1..90, not %d", c.PaceDays))
	}
	if c.SeriesDays < 1 || c.SeriesDays > 730 {
		errs = append(errs, fmt.Errorf("installs: SeriesDays must be 1..730, not %d", c.SeriesDays))
	}
	if c.BatchSize < 1 || c.BatchSize > 20_000 {
		errs = append(errs, fmt.Errorf("installs: BatchSize must be 1..20000, not %d", c.BatchSize))
	}
	if c.BatchDelay < 0 || c.BatchDelay > time.Second {
		errs = append(errs, fmt.Errorf("installs: BatchDelay must be 0..1s, not %v", c.BatchDelay))
	}
	if c.QueueSize < 1 {
		errs = append(errs, fmt.Errorf("installs: QueueSize must be positive, not %d", c.QueueSize))
	}
	return errors.Join(errs...)
}

// Deps are the service's dependencies. DB, Clock, Logger, Admin and Secret
// are required.
type Deps struct {
	DB     *store.DB
	Clock  clock.Clock
	Logger *slog.Logger
	// Admin is the reference data (vnadmin.MustLoad()).
	Admin *vnadmin.Data
	// Secret keys the HMAC of install tokens; at least 32 bytes, kept
	// stable (a new secret makes every device look new).
	Secret []byte
	// Authorize returns the realm ("VN" or a province code) of an admin
	// API request, or an error when it carries no valid credentials. `serve`
	// wires verification's AuthenticateAdminKey on header X-API-Key. When
	// nil, the admin API answers 401 to everyone.
	Authorize func(r *http.Request) (realmCode string, err error)
	// Registerer receives the service's metrics; nil = not registered.
	Registerer prometheus.Registerer
}
