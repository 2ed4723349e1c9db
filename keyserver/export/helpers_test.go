package export_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/blob"
	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/keyserver"
	"github.com/bluezone-vn/bluezone/keyserver/export"
	"github.com/bluezone-vn/bluezone/store"
)

// t0 is a batch boundary for every test period.
var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// exposure is a row of the key server's exposures table.
type exposure struct {
	key                                 [16]byte
	start, period, tr, reportType       int
	dsos                                *int
	createdAt                           time.Time
	revisedType, revisedDSOS, revisedTR *int
	revisedAt                           *time.Time
}

func intp(v int) *int { return &v }

func newKey(t testing.TB) [16]byte {
	var k [16]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	return k
}

// keyAt returns a confirmed-test exposure created at created.
func keyAt(t testing.TB, created time.Time) exposure {
	return exposure{key: newKey(t), start: 2_900_000, period: 144, tr: 2, reportType: 1, dsos: intp(3), createdAt: created}
}

func migrate(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := keyserver.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := export.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
}

func insert(t testing.TB, db *store.DB, rows ...exposure) {
	t.Helper()
	ctx := context.Background()
	for _, r := range rows {
		var revisedAt any
		if r.revisedAt != nil {
			revisedAt = r.revisedAt.Unix()
		}
		_, err := db.Exec(ctx, `INSERT INTO exposures (exposure_key, rolling_start, rolling_period, transmission_risk,
			report_type, days_since_onset, health_authority, created_at, revised_report_type, revised_days_since_onset,
			revised_transmission_risk, revised_at) VALUES (?, ?, ?, ?, ?, ?, 'test-ha', ?, ?, ?, ?, ?)`,
			r.key[:], r.start, r.period, r.tr, r.reportType, nullable(r.dsos), r.createdAt.Unix(),
			nullable(r.revisedType), nullable(r.revisedDSOS), nullable(r.revisedTR), revisedAt)
		if err != nil {
			t.Fatal(err)
		}
	}
}

func nullable(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// fixture is one worker with its collaborators.
type fixture struct {
	db    *store.DB
	blob  blob.Store
	clock *clock.Fake
	key   *ecdsa.PrivateKey
	w     *export.Worker
}

func testConfig() export.Config {
	cfg := export.DefaultConfig()
	cfg.Period = 10 * time.Second
	cfg.MinWindowAge = 0
	cfg.MinRecords = 0
	cfg.PaddingRange = 0
	return cfg
}

func newFixture(t *testing.T, db *store.DB, cfg export.Config, store blob.Store) *fixture {
	t.Helper()
	if store == nil {
		var err error
		store, err = blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, blob: store, clock: clock.NewFake(t0), key: key}
	f.w, err = export.New(cfg, export.Deps{DB: db, Blob: store, Clock: f.clock, Signers: []export.Signer{{Signer: key}}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) run(t *testing.T) int {
	t.Helper()
	n, err := f.w.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

// index returns the stored index lines.
func (f *fixture) index(t *testing.T) []string {
	t.Helper()
	data, err := f.blob.Get(context.Background(), export.IndexName)
	if err != nil {
		t.Fatalf("read index: %v", err)
	}
	lines, err := exportfile.ParseIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// file parses and verifies a stored export file named by an index line.
func (f *fixture) file(t *testing.T, line string) *exportfile.File {
	t.Helper()
	name := strings.TrimPrefix(line, export.DefaultIndexPrefix)
	data, err := f.blob.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("index line %q: %v", line, err)
	}
	file, err := exportfile.Parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	trusted := exportfile.TrustedKeys{{ID: export.DefaultKeyID, Version: export.DefaultKeyVersion}: &f.key.PublicKey}
	if _, err := file.Verify(trusted); err != nil {
		t.Fatalf("verify %s: %v", name, err)
	}
	return file
}

// zips lists the stored zip names.
func zips(t *testing.T, s blob.Store) []string {
	t.Helper()
	list, err := s.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, in := range list {
		if strings.HasSuffix(in.Name, ".zip") {
			out = append(out, in.Name)
		}
	}
	return out
}

// faultyStore fails the failOn-th Put of a zip (1-based; 0 never) and
// counts the Puts of each name.
type faultyStore struct {
	blob.Store
	mu     sync.Mutex
	zipPut int
	failOn int
	puts   map[string]int
}

var errInjected = errors.New("injected storage failure")

func (s *faultyStore) Put(ctx context.Context, name string, data []byte) error {
	s.mu.Lock()
	if s.puts == nil {
		s.puts = map[string]int{}
	}
	if strings.HasSuffix(name, ".zip") {
		s.zipPut++
		if s.zipPut == s.failOn {
			s.mu.Unlock()
			return errInjected
		}
	}
	s.puts[name]++
	s.mu.Unlock()
	return s.Store.Put(ctx, name, data)
}
