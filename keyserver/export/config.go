// Package export is the export worker: it batches the key server's published
// diagnosis keys into signed key export files (the zips phones download),
// keeps index.txt listing the live files, deletes keys and files past their
// retention, and serves the files and its public signing keys over HTTP.
//
// Batches are aligned to a period that divides 24 hours; a batch closes once
// it is older than a minimum window age, so late writers of the key server
// (created_at is truncated to the hour) cannot miss it. Small batches are
// padded with fake keys that are persisted, so rebuilding a batch yields the
// same keys. Several replicas may run the worker against one database: a
// lease row makes sure only one builds at a time.
//
// It is not the file format (package exportfile), the storage (package blob)
// or the publish API (package keyserver, which owns the exposures table).
package export

import (
	"context"
	"crypto"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// Defaults of Config, as the reference server uses them (gaen.md §D) where
// it has one.
const (
	DefaultPeriod       = time.Hour
	DefaultMinWindowAge = 2 * time.Hour
	DefaultRegion       = "VN"
	DefaultMinRecords   = 1000
	DefaultPaddingRange = 100
	DefaultMaxRecords   = 500_000
	DefaultRetention    = 14 * 24 * time.Hour
	// MinRetention is the shortest retention Validate accepts: phones look
	// back 14 days, and keys must outlive the files that carry them.
	MinRetention       = 10 * 24 * time.Hour
	DefaultIndexPrefix = "exports/"
	DefaultLockTTL     = 5 * time.Minute
	DefaultTick        = time.Minute
	// DefaultKeyID is Vietnam's mobile country code, the id Apple and
	// Google register export signing keys under.
	DefaultKeyID      = "452"
	DefaultKeyVersion = "v1"
)

// Config sets how the worker batches, pads, splits, names and keeps files.
type Config struct {
	// Period is the length of a batch. It must be a whole number of seconds
	// that divides 24 h; batches start at multiples of it (UTC).
	Period time.Duration
	// MinWindowAge is how long after its end a batch is built. It must be
	// at least the key server's created_at truncation (1 h) in production;
	// 0 is allowed for tests.
	MinWindowAge time.Duration
	// Region is written into every file.
	Region string
	// MinRecords and PaddingRange: a non-empty batch with fewer keys than
	// MinRecords + random(0..PaddingRange) is padded with fake keys up to
	// that number. MinRecords 0 turns padding off.
	MinRecords, PaddingRange int
	// MaxRecords bounds keys plus revised keys per file; larger batches are
	// split into several files.
	MaxRecords int
	// Retention is how long keys and files are kept (at least MinRetention).
	Retention time.Duration
	// IndexPrefix is put before each file name in index.txt. Lines are
	// relative to the server root, as the reference writes them relative
	// to its bucket: "exports/" matches the GET /exports/{file} route.
	IndexPrefix string
	// LockTTL is how long a worker's lease lasts without renewal; a worker
	// that dies holding it blocks the others for at most this long.
	LockTTL time.Duration
	// Tick is how often Run looks for closed batches.
	Tick time.Duration
}

// DefaultConfig returns the production settings.
func DefaultConfig() Config {
	return Config{
		Period:       DefaultPeriod,
		MinWindowAge: DefaultMinWindowAge,
		Region:       DefaultRegion,
		MinRecords:   DefaultMinRecords,
		PaddingRange: DefaultPaddingRange,
		MaxRecords:   DefaultMaxRecords,
		Retention:    DefaultRetention,
		IndexPrefix:  DefaultIndexPrefix,
		LockTTL:      DefaultLockTTL,
		Tick:         DefaultTick,
	}
}

var (
	regionRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,16}$`)
	prefixRe = regexp.MustCompile(`^([A-Za-z0-9._-]+/)*$`)
	keyIDRe  = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

// Validate reports every setting that is out of range, saying what is
// allowed.
func (c Config) Validate() error {
	var errs []error
	day := 24 * time.Hour
	if c.Period < time.Second || c.Period%time.Second != 0 || day%c.Period != 0 {
		errs = append(errs, fmt.Errorf("export period %v: want a whole number of seconds that divides 24h", c.Period))
	}
	if c.MinWindowAge < 0 {
		errs = append(errs, fmt.Errorf("export minimum window age %v: must not be negative", c.MinWindowAge))
	}
	if !regionRe.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("export region %q: want 1-16 of [A-Za-z0-9_]", c.Region))
	}
	if c.MinRecords < 0 || c.PaddingRange < 0 {
		errs = append(errs, fmt.Errorf("export padding %d+%d: must not be negative", c.MinRecords, c.PaddingRange))
	}
	if c.MaxRecords < 1 {
		errs = append(errs, fmt.Errorf("export max records per file %d: must be at least 1", c.MaxRecords))
	}
	if c.MinRecords+c.PaddingRange > c.MaxRecords {
		errs = append(errs, fmt.Errorf("export padding %d+%d exceeds max records per file %d", c.MinRecords, c.PaddingRange, c.MaxRecords))
	}
	if c.Retention < MinRetention {
		errs = append(errs, fmt.Errorf("export retention %v: must be at least %v", c.Retention, MinRetention))
	}
	if !prefixRe.MatchString(c.IndexPrefix) {
		errs = append(errs, fmt.Errorf("export index prefix %q: want \"\" or folders ending in '/'", c.IndexPrefix))
	}
	if c.LockTTL < time.Second {
		errs = append(errs, fmt.Errorf("export lock TTL %v: must be at least 1s", c.LockTTL))
	}
	if c.Tick <= 0 {
		errs = append(errs, fmt.Errorf("export tick %v: must be positive", c.Tick))
	}
	return errors.Join(errs...)
}

// Signer is one export signing key: the id and version devices select it by
// (verification_key_id / verification_key_version) and the key itself, an
// ECDSA P-256 crypto.Signer so it may live in a KMS. Empty KeyID and
// KeyVersion mean DefaultKeyID and DefaultKeyVersion.
type Signer struct {
	KeyID, KeyVersion string
	Signer            crypto.Signer
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Component is the name under which the worker's migrations are recorded.
const Component = "export"

// Migrate creates or upgrades the worker's own tables (export_batches,
// export_padding, export_locks). The exposures table it reads is the key
// server's: run keyserver.Migrate too. Safe to call on every start.
func Migrate(ctx context.Context, db *store.DB) error {
	return db.Migrate(ctx, Component, migrationFiles, "migrations")
}
